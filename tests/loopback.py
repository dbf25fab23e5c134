"""A real HTTP server on 127.0.0.1 for tests: register routes, fetch them, count hits.

Input: `Route` values registered per path. Output: real HTTP answers (200s,
304s for matching validators, redirects, hangs, byte-at-a-time drips, gzip,
streamed multi-megabyte bodies) and a record of every request received.

    with serve() as server:
        url = server.route("/feed.xml", Route(body=b"<rss/>", etag='"v1"'))
        ...
        assert server.hits("/feed.xml") == 1

Handlers that sleep (`delay_s`, `drip_s`) wait on an event that `close()`
sets, and every handler thread is a daemon, so closing never blocks a test.
A handler that sees its client hang up mid-answer (a timeout or size cap on
the client's side) records it, so a test can wait for the client to let go:

    assert server.wait_for_hang_up("/hang.xml", timeout_s=30)
"""

from __future__ import annotations

import gzip as gzip_module
import select
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

CHUNK_BYTES = 64 * 1024


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # When set, a request with a matching If-None-Match / If-Modified-Since gets 304.
    etag: str | None = None
    last_modified: str | None = None
    redirect_to: str | None = None  # answer 302 (or `status` if it is a 3xx) with Location
    delay_s: float = 0.0  # sleep before answering; a large value is a hang
    drip_s: float | None = None  # send the body one byte every drip_s seconds
    gzip: bool = False  # compress `body` and send it with Content-Encoding: gzip
    raw: bool = False  # send `body` as-is with only the given headers (e.g. a gzip bomb)
    big_body_mb: int = 0  # instead of `body`, stream this many MB of filler (never held in memory)
    stream: Callable[[], Iterable[bytes]] | None = None  # instead of `body`, stream these chunks


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str  # without the query string
    target: str  # the request target as sent, with its query string
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""


def big_body(size_bytes: int, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield `size_bytes` of filler text a chunk at a time, never holding more than one chunk."""
    chunk = (b"<p>filler</p>\n" * (chunk_bytes // 14 + 1))[:chunk_bytes]
    remaining = size_bytes
    while remaining > 0:
        piece = chunk if remaining >= len(chunk) else chunk[:remaining]
        yield piece
        remaining -= len(piece)


def gzip_bomb(uncompressed_mb: int) -> bytes:
    """Gzip of `uncompressed_mb` MB of zeros (about 1 KB per MB), built a megabyte at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(uncompressed_mb)]
    return b"".join(parts) + compressor.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # the default 5 drops SYNs when a thread pool connects at once

    def __init__(self, owner: LoopbackServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection; the close ends the body
    timeout = 30  # a client that never sends its request cannot hold a thread forever

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._answer(send_body=True)

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        request_body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        headers = {name.lower(): value for name, value in self.headers.items()}
        owner._record(RecordedRequest(self.command, path, self.path, headers, request_body))
        route = owner._routes.get(path)
        try:
            if route is None:
                self._send_simple(404, b"not found\n", send_body=send_body)
                return
            if route.delay_s and not self._wait_for_client(route.delay_s):
                return
            self._send_route(route, headers, send_body=send_body)
        except (ConnectionError, TimeoutError):
            # The client gave up (timeouts, size caps): that is what tests provoke.
            owner._record_hang_up(path)

    def _wait_for_client(self, delay_s: float) -> bool:
        """Sleep `delay_s` before answering; False (and a recorded hang-up) if the client
        closes the connection meanwhile, or False when the server is closing."""
        owner = self.server.owner
        deadline = time.monotonic() + delay_s
        while (remaining := deadline - time.monotonic()) > 0:
            if owner._closing.wait(min(remaining, 0.05)):
                return False
            if self._client_hung_up():
                owner._record_hang_up(urlsplit(self.path).path)
                return False
        return True

    def _client_hung_up(self) -> bool:
        """Whether the client closed its end: its request was read, so readable means EOF."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        return peeked == b""

    def _send_simple(self, status: int, body: bytes, *, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _send_route(self, route: Route, headers: dict[str, str], *, send_body: bool) -> None:
        if route.redirect_to is not None:
            status = route.status if 300 <= route.status < 400 else 302
            self.send_response(status)
            self.send_header("Location", route.redirect_to)
            self.send_header("Content-Length", "0")
            self._send_extra_headers(route)
            self.end_headers()
            return
        if _is_not_modified(route, headers):
            self.send_response(304)
            self._send_validators(route)
            self.end_headers()
            return
        self.send_response(route.status)
        if not route.raw:
            self.send_header("Content-Type", route.content_type)
            self._send_validators(route)
        chunks, length = _body_of(route)
        if route.gzip and not route.raw:
            self.send_header("Content-Encoding", "gzip")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self._send_extra_headers(route)
        self.end_headers()
        if send_body:
            self._write_body(route, chunks)

    def _send_validators(self, route: Route) -> None:
        if route.etag is not None:
            self.send_header("ETag", route.etag)
        if route.last_modified is not None:
            self.send_header("Last-Modified", route.last_modified)

    def _send_extra_headers(self, route: Route) -> None:
        for name, value in route.headers.items():
            self.send_header(name, value)

    def _write_body(self, route: Route, chunks: Iterable[bytes]) -> None:
        closing = self.server.owner._closing
        for chunk in chunks:
            if route.drip_s is None:
                self.wfile.write(chunk)
                continue
            for index in range(len(chunk)):
                self.wfile.write(chunk[index : index + 1])
                self.wfile.flush()
                if closing.wait(route.drip_s):
                    return


def _body_of(route: Route) -> tuple[Iterable[bytes], int | None]:
    """The chunks to send and the Content-Length (None: unknown, the close ends the body)."""
    if route.stream is not None:
        return route.stream(), None
    if route.big_body_mb:
        size = route.big_body_mb * 1024 * 1024
        return big_body(size), size
    body = gzip_module.compress(route.body) if route.gzip and not route.raw else route.body
    return [body], len(body)


def _is_not_modified(route: Route, headers: dict[str, str]) -> bool:
    """Whether the request's validators match the route (If-None-Match wins, as in RFC 9110)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if route.etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or route.etag.removeprefix("W/") in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None or route.last_modified is None:
        return False
    try:
        return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(
            if_modified_since
        )
    except (TypeError, ValueError):
        return route.last_modified == if_modified_since


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) answering registered routes; else 404."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[RecordedRequest] = []
        self._hang_ups: list[str] = []  # paths whose client closed before the answer ended
        self._hung_up = threading.Condition(self._lock)
        self._server = _Server(self)
        self.host = "127.0.0.1"
        self.port: int = self._server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def route(self, path: str, route: Route) -> str:
        """Register (or replace) what `path` answers; return its full URL."""
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/', e.g. '/feed.xml'")
        self._routes[path] = route
        return self.base_url + path

    def hits(self, path: str | None = None) -> int:
        """How many requests arrived, for `path` (without query) or in all."""
        with self._lock:
            return sum(1 for request in self.requests if path is None or request.path == path)

    def wait_for_hang_up(self, path: str, timeout_s: float) -> bool:
        """Wait until a client closed its connection to `path` before the answer ended (a
        client-side timeout or cap); False if none did within `timeout_s`."""
        with self._hung_up:
            return self._hung_up.wait_for(lambda: path in self._hang_ups, timeout_s)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _record_hang_up(self, path: str) -> None:
        with self._hung_up:
            self._hang_ups.append(path)
            self._hung_up.notify_all()

    def close(self) -> None:
        """Stop serving and wake sleeping handlers; never waits for a hanging one."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def serve() -> Iterator[LoopbackServer]:
    """A running LoopbackServer, closed on exit (for fixtures: `with serve() as server:`)."""
    server = LoopbackServer()
    try:
        yield server
    finally:
        server.close()
