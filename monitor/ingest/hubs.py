"""Requests to WebSub hubs: a feed's head for discovery (GET, with its Link headers), and
subscription requests (a form POST).

A hub is an outlet's input like its feed, so every request goes through the same guard
as `ingest.fetch`: each URL (and each redirect hop of the discovery GET) is resolved
once, every address must be public (`address_guard`), and the connection goes to the
checked address with the real name in the Host header and TLS server name (no DNS
rebinding). HTTPS_PROXY / NO_PROXY apply as they do for feeds. Timeouts are the
fetcher's (MONITOR_CONNECT/READ/TOTAL_TIMEOUT_S); a discovery reads at most
`websub.HEAD_BYTES` of the document, asks for it uncompressed and refuses another
encoding; a hub's answer is read up to a few kilobytes, for its error message.

A subscription POST is not redirected: a hub that answers 3xx has not accepted it.
Failures raise `FetchError` (`TransientFetchError` for passing ones) with a one-line
message naming the URL as `redact.shown_url` shows it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import closing
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlencode, urljoin

import httpx

from monitor.config import Settings
from monitor.errors import FetchError, TransientFetchError
from monitor.ingest.address_guard import is_ip_literal, refuse_non_public
from monitor.ingest.fetch import DEFAULT_ACCEPT, REDIRECT_STATUSES, resolve_host
from monitor.ingest.proxies import ProxyChoice
from monitor.ingest.websub import HEAD_BYTES
from monitor.redact import redact_text, shown_url

Resolver = Callable[[str, int], list[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
# A hub's answer to a subscription request is a status and maybe a short reason.
MAX_ANSWER_BYTES = 4 * 1024


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
        self._resolve = resolver or resolve_host
        self._resolver_pool = ThreadPoolExecutor(2, "hub-resolve")
        self._proxies = ProxyChoice.from_environment()
        self._clients: dict[str | None, httpx.Client] = {}
        for proxy in {None, *self._proxies.by_scheme.values()}:
            self._clients[proxy] = httpx.Client(
                follow_redirects=False,
                trust_env=False,
                proxy=proxy,
                limits=httpx.Limits(max_keepalive_connections=0),
                headers={"User-Agent": settings.user_agent},
            )

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
        for client in self._clients.values():
            client.close()
        self._resolver_pool.shutdown(wait=False, cancel_futures=True)

    def feed_head(self, url: str) -> FeedHead:
        """GET a feed (following guarded redirects) and keep its Link headers and head."""
        deadline = time.monotonic() + self._settings.total_timeout_s
        headers = {"Accept": DEFAULT_ACCEPT, "Accept-Encoding": "identity"}
        current = url
        for _ in range(self._settings.max_redirects + 1):
            with closing(self._open("GET", current, headers, b"", deadline)) as response:
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
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        with closing(self._open("POST", url, headers, content, deadline)) as response:
            text = self._read(url, response, MAX_ANSWER_BYTES, deadline)
            return HubAnswer(response.status_code, text.decode("utf-8", errors="replace"))

    # -- one guarded request ----------------------------------------------------

    def _open(
        self, method: str, url: str, headers: dict[str, str], content: bytes, deadline: float
    ) -> httpx.Response:
        """Send one request to a checked address (or through the proxy for its host)."""
        shown = shown_url(url)
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(f"hub: {shown}: invalid URL ({redact_text(str(exc))})") from exc
        if parsed.scheme not in DEFAULT_PORTS or not parsed.raw_host:
            raise FetchError(f"hub: refused {shown}: only http and https URLs are requested")
        host = parsed.raw_host.decode("ascii").strip("[]").lower()
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        addresses = self._addresses_of(shown, host, port, deadline)
        refuse_non_public(
            shown,
            host,
            port,
            addresses,
            allow_private=self._settings.allow_private_networks,
            allowed_hosts=self._settings.allowed_host_list,
        )
        proxy = self._proxies.proxy_for(parsed.scheme, host, port)
        client = self._clients[proxy]
        targets = [parsed] if proxy is not None else [parsed.copy_with(host=ip) for ip in addresses]
        extra: dict[str, str] = {} if proxy is not None else {"Host": parsed.netloc.decode()}
        extensions = {}
        if proxy is None and parsed.scheme == "https" and not is_ip_literal(host):
            extensions["sni_hostname"] = host
        last_error: Exception | None = None
        for target in targets:
            remaining = self._remaining(shown, deadline)
            request = client.build_request(
                method,
                target,
                headers={**headers, **extra},
                content=content or None,
                extensions=extensions,
                timeout=httpx.Timeout(
                    min(self._settings.read_timeout_s, remaining),
                    connect=min(self._settings.connect_timeout_s, remaining),
                ),
            )
            try:
                return client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last_error = exc
            except httpx.HTTPError as exc:
                raise TransientFetchError(f"hub: {shown}: {_describe(exc)}") from exc
        raise TransientFetchError(f"hub: {shown}: cannot connect ({_describe(last_error)})")

    def _addresses_of(self, shown: str, host: str, port: int, deadline: float) -> list[str]:
        if is_ip_literal(host):
            return [host]
        limit_s = min(self._settings.connect_timeout_s, self._remaining(shown, deadline))
        try:
            addresses = self._resolver_pool.submit(self._resolve, host, port).result(limit_s)
        except FutureTimeoutError as exc:
            raise TransientFetchError(f"hub: {shown}: timed out resolving {host}") from exc
        except (OSError, UnicodeError) as exc:
            passing = isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN
            raise (TransientFetchError if passing else FetchError)(
                f"hub: {shown}: cannot resolve {host} ({exc})"
            ) from exc
        if not addresses:
            raise FetchError(f"hub: {shown}: {host} resolves to no address")
        return addresses

    def _read(self, url: str, response: httpx.Response, limit: int, deadline: float) -> bytes:
        """Up to `limit` bytes of the body: what discovery or an error message needs."""
        body = bytearray()
        try:
            for chunk in response.iter_raw():
                body += chunk
                if len(body) >= limit:
                    break
                self._remaining(shown_url(url), deadline)
        except httpx.HTTPError as exc:
            raise TransientFetchError(f"hub: {shown_url(url)}: {_describe(exc)}") from exc
        return bytes(body[:limit])

    def _remaining(self, shown: str, deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransientFetchError(
                f"hub: {shown} timed out after {self._settings.total_timeout_s:g} s in total "
                "(MONITOR_TOTAL_TIMEOUT_S)"
            )
        return remaining


def _status_error(url: str, status: int) -> FetchError:
    passing = status in (408, 429) or status >= 500
    return (TransientFetchError if passing else FetchError)(
        f"hub discovery: {shown_url(url)} answered HTTP {status}"
    )


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no address to try"
    return redact_text(str(exc)) or type(exc).__name__
