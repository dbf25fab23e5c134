"""Who may read the desk: anyone on loopback, a password (HTTP Basic), or a reverse proxy's
user header, as configured (MONITOR_WEB_PASSWORD(_FILE), MONITOR_WEB_TRUSTED_HEADER).

`monitor.config` refuses an address other than loopback without one of them, so a page
is never reachable from another machine without a login.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.config import Settings

REALM = 'Basic realm="monitor desk", charset="UTF-8"'
# Host headers a loopback desk without a login answers: a page of another site that
# rebinds its DNS name to 127.0.0.1 sends its own name and gets nothing.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


@dataclass(frozen=True, slots=True)
class Login:
    """What a request must show: the password, or the header the proxy sets; neither
    when both are empty (loopback only)."""

    password: str = ""
    trusted_header: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Login:
        return cls(settings.web_password, settings.web_trusted_header)

    @property
    def required(self) -> bool:
        return bool(self.password or self.trusted_header)

    def admits(self, headers: Mapping[str, str]) -> bool:
        """True when the request's headers carry the login (or none is required)."""
        if not self.required:
            return True
        if self.trusted_header and headers.get(self.trusted_header.lower(), "").strip():
            return True
        return bool(self.password) and password_matches(
            headers.get("authorization", ""), self.password
        )


def password_matches(authorization: str, password: str) -> bool:
    """An `Authorization: Basic ...` header carrying `password` (any user name), compared
    in constant time so the answer's timing tells nothing about the password."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    _user, _, given = decoded.partition(":")
    return hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port: '127.0.0.1:8081' -> '127.0.0.1'."""
    if host_header.startswith("["):
        return host_header.partition("]")[0] + "]"
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header
