"""Which forward proxy, if any, a fetch goes through: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY
and NO_PROXY, as curl and most tools read them (lower-case names too).

A proxy is the operator's explicit choice, so its own address is never checked by the
address guard; the guard still checks every target (and every redirect) before the
proxy is asked. Through a proxy the connection cannot be pinned to the checked address:
the proxy resolves the name again, so DNS rebinding protection then rests on the proxy.
"""

from __future__ import annotations

import ipaddress
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from monitor.errors import ConfigError
from monitor.ingest.address_guard import is_ip_literal
from monitor.redact import redact_url

PROXY_EXAMPLE = "http://proxy.internal:3128"


@dataclass(frozen=True, slots=True)
class ProxyChoice:
    """The proxies from the environment: per scheme, and the hosts that bypass them."""

    by_scheme: Mapping[str, str]  # "http" / "https" -> proxy URL
    no_proxy: str  # NO_PROXY as given: comma-separated hosts, domains (.example) or *

    @classmethod
    def from_environment(cls) -> ProxyChoice:
        """The proxies the environment names; ConfigError for one that is not a URL."""
        found = urllib.request.getproxies_environment()
        by_scheme: dict[str, str] = {}
        for scheme in ("http", "https"):
            url = found.get(scheme) or found.get("all")
            if url:
                by_scheme[scheme] = _checked_proxy_url(scheme, url)
        return cls(by_scheme, found.get("no", ""))

    def proxy_for(self, scheme: str, host: str, port: int) -> str | None:
        """The proxy URL for a request to host:port over `scheme`, or None (go direct)."""
        proxy = self.by_scheme.get(scheme)
        if proxy is None:
            return None
        if any(_bypasses(entry, host, port) for entry in self.no_proxy.split(",")):
            return None
        return proxy


def _bypasses(entry: str, host: str, port: int) -> bool:
    """Whether one NO_PROXY entry covers host:port, as curl reads it: `*`, a host, a domain
    (`example.com` and `.example.com` both cover its subdomains), a host:port, an IP or
    a CIDR block (`10.0.0.0/8`)."""
    entry = entry.strip().lower()
    if not entry:
        return False
    if entry == "*":
        return True
    if "/" in entry or is_ip_literal(entry.strip("[]")):
        return _in_network(entry.strip("[]"), host)
    name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if entry_port and entry_port != str(port):
        return False
    name = name.lstrip(".")
    return host == name or host.endswith("." + name)


def _in_network(network: str, host: str) -> bool:
    if not is_ip_literal(host):
        return False
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _checked_proxy_url(scheme: str, url: str) -> str:
    """`url` with http:// added when it has no scheme (curl's reading); ConfigError when
    httpx cannot use it. The message masks a password in it."""
    candidate = url.strip() if "://" in url else f"http://{url.strip()}"
    variable = f"{scheme.upper()}_PROXY"
    try:
        proxy = httpx.Proxy(candidate)
    except (ValueError, httpx.InvalidURL) as exc:
        raise ConfigError(
            f"{variable} {redact_url(url)!r} is not a proxy URL ({exc}); "
            f"use e.g. {PROXY_EXAMPLE}, or unset it"
        ) from exc
    if proxy.url.scheme not in ("http", "https"):
        raise ConfigError(
            f"{variable} uses {proxy.url.scheme}://, which monitor does not speak; "
            f"use an HTTP proxy, e.g. {PROXY_EXAMPLE}"
        )
    return candidate
