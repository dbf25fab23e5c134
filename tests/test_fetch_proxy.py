"""HTTPS_PROXY / HTTP_PROXY / NO_PROXY through a real forward proxy on loopback: the proxy
is used when set, NO_PROXY bypasses it, and the address guard still checks every target
(and every redirect) before the proxy is asked."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.config import Settings
from monitor.errors import BlockedAddressError, ConfigError, FetchError
from monitor.ingest.fetch import Fetcher
from monitor.ingest.proxies import ProxyChoice
from tests.loopback import LoopbackServer, Route

MB = 1024 * 1024
# Names the test resolver knows; real DNS never sees them.
PUBLIC_NAME = "news.monitor-test.invalid"
PRIVATE_NAME = "intranet.monitor-test.invalid"
PUBLIC_IP = "93.184.216.34"  # public, so the guard lets it through; never connected to
PRIVATE_IP = "10.0.0.5"


@dataclass(frozen=True, slots=True)
class ProxiedRequest:
    """One request as the proxy received it."""

    method: str
    target: str  # absolute URI (GET http://host/path) or host:port (CONNECT)
    host_header: str | None


@dataclass
class Answer:
    """What the proxy answers for an absolute URI it is asked for."""

    status: int = 200
    body: bytes = b""
    location: str | None = None


@dataclass
class ForwardProxy:
    """A tiny forward proxy: answers absolute-URI GETs from its own table (as if it had
    fetched them) and refuses CONNECT tunnels after recording them."""

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[ProxiedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def record(self, request: ProxiedRequest) -> None:
        with self.lock:
            self.requests.append(request)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        """Keep test output quiet."""

    def do_GET(self) -> None:
        proxy = self.server.proxy
        proxy.record(ProxiedRequest("GET", self.path, self.headers.get("Host")))
        answer = proxy.answers.get(self.path, Answer(status=502, body=b"not in the table"))
        self.send_response(answer.status)
        if answer.location:
            self.send_header("Location", answer.location)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_CONNECT(self) -> None:
        self.server.proxy.record(ProxiedRequest("CONNECT", self.path, self.headers.get("Host")))
        self.send_response(403, "tunnels refused by the test proxy")
        self.send_header("Content-Length", "0")
        self.end_headers()


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: ForwardProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    """A running forward proxy on 127.0.0.1."""
    state = ForwardProxy()
    server = _ProxyServer(state)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_inherited_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the proxy variables it means; none come from the machine."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def resolve(host: str, port: int) -> list[str]:
    """The test's DNS: a public and a private name; anything else does not exist."""
    known = {PUBLIC_NAME: [PUBLIC_IP], PRIVATE_NAME: [PRIVATE_IP]}
    if host not in known:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return known[host]


def settings(**overrides: object) -> Settings:
    """The guard on, short timeouts."""
    values: dict[str, object] = {
        "allow_private_networks": False,
        "connect_timeout_s": 2,
        "read_timeout_s": 2,
        "total_timeout_s": 5,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]  # pydantic validates the values


def test_a_public_target_is_asked_of_the_proxy_by_name(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTP_PROXY set, the proxy gets the absolute URL with the real host name."""
    feed_url = f"http://{PUBLIC_NAME}/feed.xml"
    proxy.answers[feed_url] = Answer(body=b"<rss/>")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    with Fetcher(settings(), resolver=resolve) as fetcher:
        result = fetcher.fetch(feed_url, max_bytes=MB)

    assert result.body == b"<rss/>"
    assert proxy.requests == [ProxiedRequest("GET", feed_url, PUBLIC_NAME)]


def test_a_private_target_is_refused_before_the_proxy_is_asked(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard checks the target's own addresses: a proxy does not make 10.x reachable."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    with Fetcher(settings(), resolver=resolve) as fetcher:
        with pytest.raises(
            BlockedAddressError, match=re.escape(f"resolves to {PRIVATE_IP}, a private")
        ):
            fetcher.fetch(f"http://{PRIVATE_NAME}/secrets", max_bytes=MB)
        with pytest.raises(BlockedAddressError, match=re.escape("169.254.169.254 is a link-local")):
            fetcher.fetch("https://169.254.169.254/latest/meta-data/", max_bytes=MB)

    assert proxy.requests == []


def test_a_loopback_target_is_refused_even_though_the_proxy_is_on_loopback(
    proxy: ForwardProxy, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy's own (loopback) address is the operator's choice; a loopback target is not."""
    target = loopback.route("/admin", Route(body=b"internal"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    with (
        Fetcher(settings(), resolver=resolve) as fetcher,
        pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1 is a loopback address"),
    ):
        fetcher.fetch(target, max_bytes=MB)

    assert proxy.requests == [] and loopback.hits() == 0


def test_a_redirect_through_the_proxy_to_a_private_host_is_refused(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each redirect hop is checked again before the proxy is asked for it."""
    start = f"http://{PUBLIC_NAME}/moved"
    proxy.answers[start] = Answer(status=302, location=f"http://{PRIVATE_NAME}/internal")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    with (
        Fetcher(settings(), resolver=resolve) as fetcher,
        pytest.raises(BlockedAddressError, match=re.escape(f"redirected to http://{PRIVATE_NAME}")),
    ):
        fetcher.fetch(start, max_bytes=MB)

    assert [request.target for request in proxy.requests] == [start]


def test_https_goes_through_a_connect_tunnel_to_the_host_name(
    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For https the proxy is asked to CONNECT to host:443 by name (no pinned address)."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    with (
        Fetcher(settings(), resolver=resolve) as fetcher,
        pytest.raises(FetchError, match=re.escape(f"through the proxy {proxy.url}")),
    ):
        fetcher.fetch(f"https://{PUBLIC_NAME}/feed.xml", max_bytes=MB)

    assert [(r.method, r.target) for r in proxy.requests] == [("CONNECT", f"{PUBLIC_NAME}:443")]


def test_no_proxy_hosts_are_fetched_directly_and_pinned(
    proxy: ForwardProxy, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host in NO_PROXY goes straight to its checked address; others still use the proxy."""
    loopback.route("/feed.xml", Route(body=b"direct"))
    intranet = f"{PRIVATE_NAME}:{loopback.port}"
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"localhost,.monitor-test.invalid:{loopback.port}")

    def resolve_to_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    allowed = settings(allowed_hosts=intranet)
    with Fetcher(allowed, resolver=resolve_to_loopback) as fetcher:
        result = fetcher.fetch(f"http://{intranet}/feed.xml", max_bytes=MB)
    assert result.body == b"direct"
    assert loopback.requests[0].headers["host"] == intranet
    assert proxy.requests == []

    monkeypatch.setenv("NO_PROXY", "localhost")
    with Fetcher(allowed, resolver=resolve_to_loopback) as fetcher, pytest.raises(FetchError):
        fetcher.fetch(f"http://{intranet}/feed.xml", max_bytes=MB)  # the proxy answers 502
    assert [request.target for request in proxy.requests] == [f"http://{intranet}/feed.xml"]
    assert loopback.hits() == 1


@pytest.mark.parametrize(
    ("entry", "host", "port", "bypassed"),
    [
        ("*", "news.example", 443, True),
        ("example.com", "example.com", 443, True),
        ("example.com", "www.example.com", 443, True),
        (".example.com", "www.example.com", 80, True),
        ("example.com", "badexample.com", 443, False),
        ("example.com:8080", "example.com", 8080, True),
        ("example.com:8080", "example.com", 443, False),
        ("10.0.0.0/8", "10.1.2.3", 80, True),
        ("10.0.0.0/8", "11.1.2.3", 80, False),
        ("::1", "::1", 80, True),
    ],
)
def test_no_proxy_entries_read_as_curl_reads_them(
    entry: str, host: str, port: int, bypassed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_PROXY takes hosts, domains with or without a leading dot, host:port, IPs and CIDRs."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "proxy.internal:3128")  # no scheme: http://, as in curl
    monkeypatch.setenv("NO_PROXY", f" {entry} ,")
    choice = ProxyChoice.from_environment()

    expected = None if bypassed else "http://proxy.internal:3128"
    assert choice.proxy_for("https", host, port) == expected
    assert choice.proxy_for("http", host, port) == expected


def test_a_proxy_that_is_not_a_url_stops_the_start_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A malformed HTTPS_PROXY is a ConfigError naming the variable, its password masked."""
    monkeypatch.setenv("HTTPS_PROXY", "socks9://user:hunter2@proxy:1080")

    with pytest.raises(ConfigError, match="HTTPS_PROXY") as raised:
        Fetcher(settings())

    assert "hunter2" not in str(raised.value)
    assert "http://proxy.internal:3128" in str(raised.value)
