"""The HTTP edge: a URL from a third party in, a checked `FetchResult` out.

Every URL (the first and each redirect hop) is resolved once, every address
it resolves to must be public (`monitor.ingest.address_guard`), and the
connection then goes to that checked address: the request URL's host is
rewritten to the IP while the Host header (and, for https, the TLS server name)
keeps the real hostname. A DNS answer that changes between the check and the
connect (rebinding) therefore cannot reach an internal service.

With HTTPS_PROXY / HTTP_PROXY set (`monitor.ingest.proxies`; NO_PROXY honoured) the
target is still resolved and checked first, and only then is the proxy asked for it, by
name: a proxy cannot be handed a pinned address, so rebinding protection then rests on
the proxy. The proxy's own address is the operator's choice and is not checked.

Bodies are streamed raw and decompressed here with a bounded zlib output, so
neither a huge body nor a gzip bomb holds more than `max_bytes + 1` bytes.
Connect/read timeouts apply to each hop and a total deadline covers the whole
fetch, redirects and streaming included. Keep-alive is off: connections are
keyed by IP, and reusing one TLS session for another hostname on the same IP
(a CDN) would skip that hostname's certificate check.

Failures raise `FetchError` (or `BlockedAddressError`, `ResponseTooLargeError`)
with a short message prefixed "fetch: " that names the URL and the fix. URLs in
messages and logs go through `redact.shown_url`: a password in a feed URL is
masked and a hostile multi-kilobyte link is cut short.
"""

from __future__ import annotations

import logging
import socket
import time
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from urllib.parse import urljoin

import httpx

from monitor.config import Settings
from monitor.errors import FetchError, ResponseTooLargeError, TransientFetchError
from monitor.ingest.address_guard import is_ip_literal, refuse_non_public
from monitor.ingest.decoding import Decoder
from monitor.ingest.proxies import ProxyChoice
from monitor.model import CacheHeaders, FetchResult
from monitor.redact import redact_text, shown_url

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]

DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Besides 5xx: the server asks for patience (request timeout, rate limit).
TRANSIENT_STATUSES = frozenset({408, 429})
DEFAULT_PORTS = {"http": 80, "https": 443}
# The server is busy or limiting us: its Retry-After, if any, is a floor for the next try.
THROTTLE_STATUSES = frozenset({429, 503})
# A header longer than this is not a timing hint (and is not kept).
MAX_HINT_HEADER_CHARS = 256


class ThrottledFetchError(TransientFetchError):
    """HTTP 429 or 503: a passing failure whose `cache` headers may say when to come back."""

    def __init__(self, message: str, cache: CacheHeaders) -> None:
        super().__init__(message)
        self.cache = cache


def cache_headers(headers: httpx.Headers) -> CacheHeaders:
    """The headers that say when to ask again, as sent (bounded in length)."""

    def value(name: str) -> str | None:
        text = headers.get(name)
        return text if text is not None and len(text) <= MAX_HINT_HEADER_CHARS else None

    return CacheHeaders(
        cache_control=value("Cache-Control"),
        expires=value("Expires"),
        date=value("Date"),
        age=value("Age"),
        retry_after=value("Retry-After"),
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (socket.getaddrinfo), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for *_, sockaddr in infos:
        ip = str(sockaddr[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def _new_client(settings: Settings, *, proxy: str | None) -> httpx.Client:
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,  # proxies come from ProxyChoice, which the guard knows of
        proxy=proxy,
        timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
        limits=httpx.Limits(max_keepalive_connections=0),
        # Requests go to IPs, so a cookie would be shared by every site on that IP.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
    )


@dataclass(frozen=True, slots=True)
class _Hop:
    """One request of a fetch: the URL as given and the checked addresses to connect to."""

    url: httpx.URL
    host: str  # ASCII hostname (IDNA), without brackets
    port: int
    addresses: tuple[str, ...]


class Fetcher:
    """Fetches third-party URLs safely; one instance is shared by the pipeline's threads."""

    def __init__(self, settings: Settings, *, resolver: Resolver | None = None) -> None:
        self._settings = settings
        self._resolve = resolver or resolve_host
        # getaddrinfo has no timeout of its own; resolving in a pool lets the deadline apply.
        self._resolver_pool = ThreadPoolExecutor(settings.fetch_concurrency, "resolve")
        self._client = _new_client(settings, proxy=None)
        # The environment is read here, once; ProxyChoice chooses per hop (NO_PROXY).
        self._proxies = ProxyChoice.from_environment()
        self._proxy_clients = {
            url: _new_client(settings, proxy=url) for url in set(self._proxies.by_scheme.values())
        }

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (a resolver thread still stuck in DNS is left to finish)."""
        self._client.close()
        for client in self._proxy_clients.values():
            client.close()
        self._resolver_pool.shutdown(wait=False, cancel_futures=True)

    def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """GET `url` (following checked redirects); a 304 comes back with an empty body."""
        started = time.monotonic()
        deadline = started + self._settings.total_timeout_s
        shown = shown_url(url)  # what messages quote: no password, bounded length
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for redirects in range(self._settings.max_redirects + 1):
            hop = self._plan_hop(shown, url, current, deadline)
            response = self._send(shown, hop, headers, deadline)
            try:
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_STATUSES and location:
                    if redirects == self._settings.max_redirects:
                        raise FetchError(
                            f"fetch: {shown}: too many redirects (more than "
                            f"{self._settings.max_redirects}, last to {shown_url(location)}); "
                            "use the final URL or raise MONITOR_MAX_REDIRECTS"
                        )
                    current = urljoin(current, location)
                    continue
                if response.status_code == 304:
                    body = b""
                elif 200 <= response.status_code < 300:
                    body = self._read_body(shown, response, max_bytes, deadline)
                else:
                    message = f"fetch: {shown} answered HTTP {response.status_code}" + (
                        f" (after redirect to {shown_url(current)})" if current != url else ""
                    )
                    if response.status_code in THROTTLE_STATUSES:
                        raise ThrottledFetchError(message, cache_headers(response.headers))
                    if response.status_code in TRANSIENT_STATUSES or response.status_code >= 500:
                        raise TransientFetchError(message)
                    raise FetchError(message)
            finally:
                response.close()
            return FetchResult(
                url=url,
                final_url=current,
                status=response.status_code,
                body=body,
                content_type=response.headers.get("Content-Type", ""),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                elapsed_ms=round((time.monotonic() - started) * 1000),
                cache=cache_headers(response.headers),
            )
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        deadline: float,
        content: bytes = b"",
    ) -> httpx.Response:
        """One request through the same guard as `fetch` (parse, resolve, refuse non-public
        addresses, connect to a checked address or the proxy), no redirect followed: the
        caller reads the streamed response and closes it (WebSub hub requests)."""
        shown = shown_url(url)
        hop = self._plan_hop(shown, url, url, deadline)
        return self._send(shown, hop, dict(headers), deadline, method=method, content=content)

    def remaining_s(self, url: str, deadline: float) -> float:
        """Seconds left before `deadline`; TransientFetchError once it has passed."""
        return self._remaining(shown_url(url), deadline)

    # -- address checks ----------------------------------------------------

    def _plan_hop(self, shown: str, original: str, current: str, deadline: float) -> _Hop:
        """Parse, resolve and check one URL; BlockedAddressError if it reaches a non-public IP.

        `shown` is the original URL as messages quote it (see `redact.shown_url`).
        """
        where = shown if current == original else f"{shown} (redirected to {shown_url(current)})"
        try:
            parsed = httpx.URL(current)
        except httpx.InvalidURL as exc:
            raise FetchError(
                f"fetch: {where}: invalid URL ({redact_text(str(exc))}); fix the link"
            ) from exc
        if parsed.scheme not in DEFAULT_PORTS:
            raise FetchError(
                f"fetch: refused {where}: only http and https URLs are fetched, "
                f"not {parsed.scheme or 'a URL without scheme'}"
            )
        host = parsed.raw_host.decode("ascii").strip("[]").lower()
        if not host:
            raise FetchError(f"fetch: {where}: the URL has no host; fix the link")
        port = parsed.port or DEFAULT_PORTS[parsed.scheme]
        addresses = self._addresses_of(where, host, port, deadline)
        refuse_non_public(
            where,
            host,
            port,
            addresses,
            allow_private=self._settings.allow_private_networks,
            allowed_hosts=self._settings.allowed_host_list,
        )
        return _Hop(parsed, host, port, tuple(addresses))

    def _addresses_of(self, where: str, host: str, port: int, deadline: float) -> list[str]:
        if is_ip_literal(host):
            return [host]
        limit_s = min(self._settings.connect_timeout_s, self._remaining(where, deadline))
        try:
            addresses = self._resolver_pool.submit(self._resolve, host, port).result(limit_s)
        except FutureTimeoutError as exc:
            raise TransientFetchError(
                f"fetch: {where} timed out after {limit_s:.3g} s resolving {host} "
                "(MONITOR_CONNECT_TIMEOUT_S); check the hostname and the DNS server"
            ) from exc
        except (OSError, UnicodeError) as exc:
            # EAI_AGAIN: the DNS server could not answer now; anything else is the name.
            passing = isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN
            raise (TransientFetchError if passing else FetchError)(
                f"fetch: {where}: cannot resolve {host} ({exc}); check the hostname"
            ) from exc
        if not addresses:
            raise FetchError(f"fetch: {where}: {host} resolves to no address; check the hostname")
        return addresses

    # -- one request ---------------------------------------------------------

    def _send(
        self,
        shown: str,
        hop: _Hop,
        headers: dict[str, str],
        deadline: float,
        *,
        method: str = "GET",
        content: bytes = b"",
    ) -> httpx.Response:
        """Send the request to the first checked address that accepts a connection (or,
        when a proxy applies to this host, to the proxy, naming the host)."""
        proxy = self._proxies.proxy_for(hop.url.scheme, hop.host, hop.port)
        if proxy is not None:
            return self._send_through(proxy, shown, hop, headers, deadline, method, content)
        host_header = hop.url.netloc.decode("ascii")
        extensions: dict[str, str] = {}
        if hop.url.scheme == "https" and not is_ip_literal(hop.host):
            extensions["sni_hostname"] = hop.host
        last_error: httpx.ConnectError | None = None
        for ip in hop.addresses:
            remaining = self._remaining(shown, deadline)
            try:
                pinned = hop.url.copy_with(host=ip)
            except httpx.InvalidURL as exc:
                raise FetchError(
                    f"fetch: {shown}: cannot use address {ip} ({_describe(exc)})"
                ) from exc
            request = self._client.build_request(
                method,
                pinned,
                headers={**headers, "Host": host_header},
                content=content or None,
                extensions=extensions,
                timeout=httpx.Timeout(
                    min(self._settings.read_timeout_s, remaining),
                    connect=min(self._settings.connect_timeout_s, remaining),
                ),
            )
            try:
                return self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last_error = exc
                log.debug("connect failed", extra={"url": shown, "ip": ip, "error": str(exc)})
            except httpx.TimeoutException as exc:
                raise _timed_out(self._settings, shown, exc, deadline) from exc
            except httpx.HTTPError as exc:
                raise TransientFetchError(f"fetch: {shown}: {_describe(exc)}") from exc
        raise TransientFetchError(
            f"fetch: {shown}: cannot connect to {hop.host} "
            f"({', '.join(hop.addresses)}): {_describe(last_error)}"
        ) from last_error

    def _send_through(
        self,
        proxy: str,
        shown: str,
        hop: _Hop,
        headers: dict[str, str],
        deadline: float,
        method: str = "GET",
        content: bytes = b"",
    ) -> httpx.Response:
        """Ask the proxy for the hop's URL as it is (the guard has checked its addresses)."""
        remaining = self._remaining(shown, deadline)
        client = self._proxy_clients[proxy]
        request = client.build_request(
            method,
            hop.url,
            headers=headers,
            content=content or None,
            timeout=httpx.Timeout(
                min(self._settings.read_timeout_s, remaining),
                connect=min(self._settings.connect_timeout_s, remaining),
            ),
        )
        try:
            return client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise _timed_out(self._settings, shown, exc, deadline) from exc
        except httpx.HTTPError as exc:
            raise TransientFetchError(
                f"fetch: {shown}: through the proxy {shown_url(proxy)}: {_describe(exc)}; "
                "check HTTPS_PROXY / HTTP_PROXY"
            ) from exc

    def _read_body(
        self, shown: str, response: httpx.Response, max_bytes: int, deadline: float
    ) -> bytes:
        """Stream the body, decompressing it here, never holding more than max_bytes + 1."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(self._settings, shown, max_bytes, f"declares {int(declared):,} bytes")
        decoder = Decoder.for_encoding(shown, response.headers.get("Content-Encoding", ""))
        body = bytearray()
        try:
            # No chunk size: each network read arrives at once, so a drip meets the deadline.
            for chunk in response.iter_raw():
                decoder.feed(chunk, body, max_bytes)
                if len(body) > max_bytes:
                    raise _too_large(self._settings, shown, max_bytes, "")
                self._remaining(shown, deadline)
            decoder.finish(body, max_bytes)
        except httpx.TimeoutException as exc:
            raise _timed_out(self._settings, shown, exc, deadline) from exc
        except httpx.HTTPError as exc:
            raise TransientFetchError(f"fetch: {shown}: {_describe(exc)}") from exc
        except zlib.error as exc:
            raise FetchError(
                f"fetch: {shown}: corrupt compressed body ({exc}); the server is at fault"
            ) from exc
        if len(body) > max_bytes:
            raise _too_large(self._settings, shown, max_bytes, "")
        return bytes(body)

    # -- time ----------------------------------------------------------------

    def _remaining(self, shown: str, deadline: float) -> float:
        """Seconds left before the total deadline; FetchError once it has passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransientFetchError(
                f"fetch: {shown} timed out after {self._settings.total_timeout_s:g} s "
                "in total (MONITOR_TOTAL_TIMEOUT_S)"
            )
        return remaining


def _too_large(
    settings: Settings, shown: str, max_bytes: int, detail: str
) -> ResponseTooLargeError:
    if max_bytes == settings.max_page_bytes:
        setting = "MONITOR_MAX_PAGE_BYTES"
    elif max_bytes == settings.max_feed_bytes:
        setting = "MONITOR_MAX_FEED_BYTES"
    else:
        setting = "the byte cap"
    return ResponseTooLargeError(
        f"fetch: response from {shown} exceeds {_format_size(max_bytes)} ({setting})"
        + (f"; it {detail}" if detail else "")
        + "; raise the limit if the document is legitimate"
    )


def _timed_out(
    settings: Settings, shown: str, exc: httpx.TimeoutException, deadline: float
) -> TransientFetchError:
    """The message for an httpx timeout, naming the limit that was hit."""
    if time.monotonic() >= deadline - 0.05:  # the wait was shortened to the total deadline
        return TransientFetchError(
            f"fetch: {shown} timed out after {settings.total_timeout_s:g} s "
            "in total (MONITOR_TOTAL_TIMEOUT_S)"
        )
    if isinstance(exc, httpx.ConnectTimeout):
        limit, setting = settings.connect_timeout_s, "MONITOR_CONNECT_TIMEOUT_S"
        what = "connecting"
    else:
        limit, setting = settings.read_timeout_s, "MONITOR_READ_TIMEOUT_S"
        what = "waiting for data"
    return TransientFetchError(f"fetch: {shown} timed out after {limit:g} s {what} ({setting})")


def _format_size(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size:,} bytes"


def _describe(exc: BaseException | None) -> str:
    """A library error as a message may quote it: URLs in it shown as `shown_url` shows them."""
    if exc is None:
        return "no address to try"
    return redact_text(str(exc)) or type(exc).__name__
