"""Requests to WebSub hubs: a feed's head for discovery (GET, with its Link headers), and
subscription requests (a form POST).

A hub is an outlet's input like its feed, so every request goes through the fetcher's
own guard (`Fetcher.request`): each URL, and each redirect hop of the discovery GET, is
resolved once, every address must be public, the connection goes to the checked address
(no DNS rebinding), HTTPS_PROXY / NO_PROXY apply, and MONITOR_CONNECT/READ/TOTAL_TIMEOUT_S
bound it. A discovery reads at most `websub.HEAD_BYTES` of the document, asks for it
uncompressed and refuses another encoding; a hub's answer is read up to a few kilobytes,
for its error message.

A subscription POST is not redirected: a hub that answers 3xx has not accepted it.
Failures raise `FetchError` (`TransientFetchError` for passing ones) with a one-line
message naming the URL as `redact.shown_url` shows it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode, urljoin

import httpx

from monitor.config import Settings
from monitor.errors import FetchError, TransientFetchError
from monitor.ingest.fetch import DEFAULT_ACCEPT, REDIRECT_STATUSES, Fetcher, Resolver
from monitor.ingest.websub import HEAD_BYTES
from monitor.redact import redact_text, shown_url

# A hub's answer to a subscription request is a status and maybe a short reason.
MAX_ANSWER_BYTES = 4 * 1024
# Bodies are read as sent: discovery needs the document's first bytes, not a decoder.
_UNCOMPRESSED = {"Accept-Encoding": "identity"}


@dataclass(frozen=True, slots=True)
class FeedHead:
    """The start of a feed document and its Link headers, for hub discovery."""

    final_url: str
    link_headers: tuple[str, ...]
    head: bytes


@dataclass(frozen=True, slots=True)
class HubAnswer:
    """A hub's answer to a subscription request."""

    status: int
    text: str

    @property
    def accepted(self) -> bool:
        """2xx: the hub took the request (202: it verifies later, 204: it has verified)."""
        return 200 <= self.status < 300


class HubClient:
    """Guarded requests to hubs; one instance is shared by the push step's threads."""

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None) -> None:
        self._settings = settings
        self._fetcher = Fetcher(settings, resolver=resolver)

    def __enter__(self) -> HubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._fetcher.close()

    def feed_head(self, url: str) -> FeedHead:
        """GET a feed (following guarded redirects) and keep its Link headers and head."""
        deadline = time.monotonic() + self._settings.total_timeout_s
        headers = {"Accept": DEFAULT_ACCEPT, **_UNCOMPRESSED}
        current = url
        for _ in range(self._settings.max_redirects + 1):
            response = self._fetcher.request("GET", current, headers=headers, deadline=deadline)
            with closing(response):
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_STATUSES and location:
                    current = urljoin(current, location)
                    continue
                if not 200 <= response.status_code < 300:
                    raise _status_error(current, response.status_code)
                encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise FetchError(
                        f"hub discovery: {shown_url(current)} sent a {encoding[:40]} body "
                        "though asked for none; the feed is polled instead"
                    )
                head = self._read(current, response, HEAD_BYTES, deadline)
                links = tuple(response.headers.get_list("Link"))
                return FeedHead(current, links, head)
        raise FetchError(
            f"hub discovery: {shown_url(url)}: too many redirects (more than "
            f"{self._settings.max_redirects}); use the final URL in rules/feeds.yaml"
        )

    def post_form(self, url: str, form: Mapping[str, str]) -> HubAnswer:
        """POST `form` to a hub; its status and the start of its answer. Never redirected."""
        deadline = time.monotonic() + self._settings.total_timeout_s
        content = urlencode(dict(form)).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **_UNCOMPRESSED}
        response = self._fetcher.request(
            "POST", url, headers=headers, deadline=deadline, content=content
        )
        with closing(response):
            text = self._read(url, response, MAX_ANSWER_BYTES, deadline)
            return HubAnswer(response.status_code, text.decode("utf-8", errors="replace"))

    def _read(self, url: str, response: httpx.Response, limit: int, deadline: float) -> bytes:
        """Up to `limit` bytes of the body: what discovery or an error message needs."""
        body = bytearray()
        try:
            for chunk in response.iter_raw():
                body += chunk
                if len(body) >= limit:
                    break
                self._fetcher.remaining_s(url, deadline)
        except httpx.HTTPError as exc:
            raise TransientFetchError(f"hub: {shown_url(url)}: {_describe(exc)}") from exc
        return bytes(body[:limit])


def _status_error(url: str, status: int) -> FetchError:
    passing = status in (408, 429) or status >= 500
    return (TransientFetchError if passing else FetchError)(
        f"hub discovery: {shown_url(url)} answered HTTP {status}"
    )


def _describe(exc: BaseException) -> str:
    return redact_text(str(exc)) or type(exc).__name__
