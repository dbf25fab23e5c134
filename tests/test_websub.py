"""WebSub push against a loopback hub: the hub receives our subscription request, verifies
it on the daemon's real callback (the health server's /websub/ route), and then POSTs
signed notifications; leases are renewed, lapse or are denied on an injected clock."""

from __future__ import annotations

import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.analysis.engine import load_rule_set
from monitor.config import Settings
from monitor.ingest.fetch import Fetcher
from monitor.ingest.hubs import HubClient
from monitor.ingest.websub import sign
from monitor.metrics import Metrics
from monitor.model import FeedSpec
from monitor.pipeline.cycle import Pipeline
from monitor.pipeline.push import PushReceiver, PushSubscriber
from monitor.service.health import HealthServer
from monitor.service.push_route import WEBSUB_PREFIX, websub_route
from monitor.service.scheduler import run_daemon
from monitor.store import Database
from monitor.store.subscriptions import PushState, Subscription
from tests.conftest import make_rules_dir, make_settings
from tests.loopback import LoopbackServer, Route
from tests.newsroom import NEW_ARTICLE, NewsSite

START = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)
LEASE_S = 1000  # what the loopback hub grants


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """(status, body) of a request on loopback; an HTTP error is an answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Subscriber:
    """What the hub knows of one subscriber after verifying it."""

    topic: str
    callback: str
    secret: str


@dataclass
class LoopbackHub:
    """A WebSub hub on 127.0.0.1: takes subscription requests, verifies them on the
    callback before answering (as synchronous hubs do), and publishes signed content."""

    answer: str = "verify"  # verify | deny | refuse
    requests: list[dict[str, str]] = field(default_factory=list)
    verifications: list[tuple[int, bytes, str]] = field(
        default_factory=list
    )  # status, body, challenge
    subscribers: dict[str, Subscriber] = field(default_factory=dict)  # by topic
    url: str = ""

    def subscribe(self, form: dict[str, str]) -> int:
        """Handle one POST; the status the hub answers."""
        self.requests.append(form)
        if self.answer == "refuse":
            return 503
        topic, callback = form["hub.topic"], form["hub.callback"]
        if self.answer == "deny":
            query = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": "not allowed"}
            status, body = _request(f"{callback}?{urllib.parse.urlencode(query)}")
            self.verifications.append((status, body, ""))
            return 202
        challenge = secrets.token_urlsafe(16)
        query = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.challenge": challenge,
            "hub.lease_seconds": str(LEASE_S),
        }
        status, body = _request(f"{callback}?{urllib.parse.urlencode(query)}")
        self.verifications.append((status, body, challenge))
        if status == 200 and body == challenge.encode():
            self.subscribers[topic] = Subscriber(topic, callback, form["hub.secret"])
        return 202

    def publish(self, topic: str, body: bytes, *, signature: str | None = "good") -> int:
        """POST `body` to the topic's subscriber, signed with its secret ("good"), with
        another secret ("bad"), or not at all (None)."""
        subscriber = self.subscribers[topic]
        headers = {"Content-Type": "application/rss+xml"}
        if signature == "good":
            headers["X-Hub-Signature"] = sign(body, subscriber.secret, "sha256")
        elif signature == "bad":
            headers["X-Hub-Signature"] = sign(body, "guessed-secret", "sha256")
        status, _ = _request(subscriber.callback, data=body, headers=headers)
        return status


def _serve_hub(hub: LoopbackHub) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            status = hub.subscribe(form)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


@dataclass
class World:
    """A feed advertising the hub, the hub, our health server and the push parts."""

    clock: Clock
    hub: LoopbackHub
    site: NewsSite
    settings: Settings
    database: Database
    metrics: Metrics
    subscriber: PushSubscriber
    health: HealthServer
    woken: list[datetime]

    @property
    def feed_id(self) -> int:
        return self.database.feeds()[0].feed_id

    def subscription(self) -> Subscription:
        return self.database.subscriptions()[0]

    def rejected(self, reason: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "monitor_websub_rejected_total", {"reason": reason}
        )
        return value or 0.0


def _advertise_hub(site: NewsSite, hub_url: str) -> None:
    """Serve the site's feed with the hub in a Link header, as the hub will push it."""
    site.server.route(
        "/feed.xml",
        Route(
            body=site._feed(),
            content_type="application/rss+xml",
            headers={"Link": f'<{hub_url}>; rel="hub", <{site.feed_url}>; rel="self"'},
        ),
    )


@pytest.fixture
def world(tmp_path: Path, loopback: LoopbackServer) -> Iterator[World]:
    clock, hub, woken = Clock(), LoopbackHub(), []
    hub_server = _serve_hub(hub)
    site = NewsSite(loopback)
    _advertise_hub(site, hub.url)
    metrics = Metrics(CollectorRegistry())
    health = HealthServer(
        "127.0.0.1",
        0,
        check_database=lambda: True,
        scheduler_alive=lambda: True,
        last_success_at=lambda: None,
        stale_after_s=900,
        registry=metrics.registry,
        clock=clock,
    )
    health.start()
    settings = make_settings(
        tmp_path,
        public_url=f"http://127.0.0.1:{health.port}/",
        rules_dir=make_rules_dir(tmp_path, {"tribune": site.feed_url}),
        websub_lease_s=3600,
    )
    database = Database.open(settings.resolved_database_url)
    database.sync_feeds([FeedSpec("tribune", site.feed_url)], default_interval_min=15)
    receiver = PushReceiver(
        settings, database, metrics, clock=clock, wake=lambda: woken.append(clock())
    )
    health.routes[WEBSUB_PREFIX] = websub_route(receiver)
    with HubClient(settings) as hubs:
        subscriber = PushSubscriber(settings, database, hubs, owner="test", clock=clock)
        yield World(clock, hub, site, settings, database, metrics, subscriber, health, woken)
    health.stop()
    hub_server.shutdown()
    hub_server.server_close()
    database.close()


def test_a_feed_advertising_a_hub_is_subscribed_and_the_verification_answered(
    world: World,
) -> None:
    """The push step asks the hub with our callback, a random secret and our lease; the
    hub's verification on the real callback gets its challenge back; the feed is pushed
    until the lease the hub granted ends."""
    world.subscriber.run()

    [form] = world.hub.requests
    assert form["hub.mode"] == "subscribe"
    assert form["hub.topic"] == world.site.feed_url
    assert form["hub.callback"].startswith(f"{world.settings.public_url}/websub/")
    assert len(form["hub.secret"]) == 64 and form["hub.lease_seconds"] == "3600"
    [(status, body, challenge)] = world.hub.verifications
    assert (status, body) == (200, challenge.encode())
    sub = world.subscription()
    assert sub.state == PushState.ACTIVE
    assert sub.lease_until == START + timedelta(seconds=LEASE_S)
    assert world.database.feeds()[0].push_lease_until == sub.lease_until
    assert sub.secret not in repr(sub) and sub.callback_token not in repr(sub)


def test_a_verification_we_did_not_ask_for_and_an_unknown_token_get_404(world: World) -> None:
    """Once verified, a replayed subscribe verification is refused, as is another topic;
    a token we never handed out is 404 for GET and POST alike."""
    world.subscriber.run()
    callback = world.hub.subscribers[world.site.feed_url].callback
    query = {"hub.mode": "subscribe", "hub.topic": world.site.feed_url, "hub.challenge": "x"}
    assert _request(f"{callback}?{urllib.parse.urlencode(query)}")[0] == 404
    query["hub.topic"] = "http://elsewhere.example/feed"
    assert _request(f"{callback}?{urllib.parse.urlencode(query)}")[0] == 404
    unknown = f"http://127.0.0.1:{world.health.port}/websub/{secrets.token_urlsafe(32)}"
    assert _request(f"{unknown}?{urllib.parse.urlencode(query)}")[0] == 404
    assert _request(unknown, data=b"<rss/>")[0] == 404
    assert world.rejected("unknown_callback") == 1


def test_the_lease_is_renewed_before_it_runs_out(world: World) -> None:
    """Nothing is asked while three quarters of the lease are left; past that the push
    step asks the hub again, the hub verifies, and the lease runs from then."""
    world.subscriber.run()
    world.clock.advance(LEASE_S * 0.7)
    world.subscriber.run()
    assert len(world.hub.requests) == 1

    world.clock.advance(LEASE_S * 0.1)
    world.subscriber.run()
    assert len(world.hub.requests) == 2
    assert world.hub.verifications[-1][0] == 200
    assert world.subscription().lease_until == world.clock.now + timedelta(seconds=LEASE_S)
    assert world.subscription().state == PushState.ACTIVE


def test_a_lapsed_lease_returns_the_feed_to_polling_at_once(world: World) -> None:
    """When the hub stops taking renewals the lease runs on until it ends; then the feed
    is no longer pushed and is due for a poll at once, however long its interval."""
    world.subscriber.run()
    world.database.record_feed_poll(
        world.feed_id,
        fetched_at=world.clock.now,
        next_due_at=world.clock.now + timedelta(hours=1),
        status=200,
        error=None,
    )
    world.hub.answer = "refuse"
    world.clock.advance(LEASE_S * 0.8)
    world.subscriber.run()
    assert world.subscription().state == PushState.ACTIVE  # the renewal failed; lease runs on
    assert "503" in (world.subscription().last_error or "")
    assert world.database.due_feeds(world.clock.now) == []

    world.clock.advance(LEASE_S * 0.2 + 1)
    world.subscriber.run()
    assert world.subscription().state != PushState.ACTIVE
    assert world.database.feeds()[0].push_lease_until is None
    assert [feed.name for feed in world.database.due_feeds(world.clock.now)] == ["tribune"]


def test_a_hub_denial_returns_the_feed_to_polling(world: World) -> None:
    """hub.mode=denied on our callback ends the subscription and makes the feed due."""
    world.hub.answer = "deny"
    world.subscriber.run()
    assert world.hub.verifications[0][0] == 200
    sub = world.subscription()
    assert (sub.state, sub.lease_until) == (PushState.DENIED, None)
    assert "not allowed" in (sub.last_error or "")
    assert world.database.feeds()[0].push_lease_until is None
    assert [feed.name for feed in world.database.due_feeds(world.clock.now)] == ["tribune"]


def test_unsigned_and_wrongly_signed_notifications_are_ignored_and_counted(
    world: World,
) -> None:
    """A body without X-Hub-Signature, or signed with another secret, is acknowledged
    (so the hub does not retry) but stores nothing, wakes nothing, and is counted."""
    world.subscriber.run()
    world.site.publish(NEW_ARTICLE)
    articles_before = world.database.article_count()

    assert world.hub.publish(world.site.feed_url, world.site._feed(), signature=None) == 202
    assert world.hub.publish(world.site.feed_url, world.site._feed(), signature="bad") == 202

    assert world.database.article_count() == articles_before
    assert (world.rejected("unsigned"), world.rejected("bad_signature")) == (1, 1)
    assert world.woken == []


def test_a_thin_notification_makes_the_feed_due_for_a_poll(world: World) -> None:
    """A signed notification whose body is not a feed makes the feed due now and wakes
    the cycle."""
    world.subscriber.run()
    world.database.record_feed_poll(
        world.feed_id,
        fetched_at=world.clock.now,
        next_due_at=world.clock.now + timedelta(hours=1),
        status=200,
        error=None,
    )
    assert world.hub.publish(world.site.feed_url, b"updated") == 202
    assert [feed.name for feed in world.database.due_feeds(world.clock.now)] == ["tribune"]
    assert world.woken == [world.clock.now]


def test_a_notifications_entries_reach_the_outbox_without_a_poll(world: World) -> None:
    """A signed notification's new entry is queued at once and the cycle woken; the next
    cycle fetches and analyses the article and its alert waits in the outbox, while the
    feed itself is not polled again."""
    settings, database = world.settings, world.database
    rule_set = load_rule_set(settings.rules_dir, cache_dir=settings.data_dir / "cache")
    with (
        Fetcher(settings) as fetcher,
        Pipeline(settings, database, fetcher, rule_set, clock=world.clock) as pipeline,
    ):
        pipeline.run_cycle(rule_set.rules.feeds)  # the first poll: the backlog
        world.subscriber.run()
        feed_polls = world.site.server.hits("/feed.xml")
        url = world.site.publish(NEW_ARTICLE)

        assert world.hub.publish(world.site.feed_url, world.site._feed()) == 202
        assert world.woken == [world.clock.now]
        pipeline.run_cycle(rule_set.rules.feeds)

    assert world.site.server.hits("/feed.xml") == feed_polls
    [article] = [a for a in database.articles() if a.url == url]
    assert article.status == "extracted"
    fresh = [alert for alert in database.alerts() if alert.article_url == url]
    assert fresh and not any(alert.is_seeded for alert in fresh)
    value = world.metrics.registry.get_sample_value(
        "monitor_websub_notifications_total", {"outcome": "queued"}
    )
    assert value == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    """Poll `condition` until it holds; the bound only has to outlast a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_daemon_subscribes_serves_the_callback_and_runs_a_pushed_entry_at_once(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """`monitor run` with MONITOR_PUBLIC_URL: its push job subscribes, the hub verifies on
    the daemon's health port, and a signed notification's article is extracted by a
    cycle the notification wakes (the tick is an hour, so no tick would run it)."""
    hub = LoopbackHub()
    hub_server = _serve_hub(hub)
    site = NewsSite(loopback)
    _advertise_hub(site, hub.url)
    port = _free_port()
    settings = make_settings(
        tmp_path,
        public_url=f"http://127.0.0.1:{port}",
        health_host="127.0.0.1",
        health_port=port,
        rules_dir=make_rules_dir(tmp_path, {"tribune": site.feed_url}),
        seeds_dir=tmp_path / "no-seeds",
        tick_s=3600,
    )
    stop = threading.Event()
    daemon = threading.Thread(
        target=run_daemon, args=(settings,), kwargs={"stop": stop, "metrics": Metrics()}
    )
    daemon.start()
    try:
        assert _wait_for(lambda: site.feed_url in hub.subscribers)
        database = Database.open(settings.resolved_database_url)
        try:
            assert _wait_for(lambda: database.article_count() == len(site.published))
            url = site.publish(NEW_ARTICLE)
            assert hub.publish(site.feed_url, site._feed()) == 202
            assert _wait_for(
                lambda: any(a.url == url and a.status == "extracted" for a in database.articles())
            )
        finally:
            database.close()
    finally:
        stop.set()
        daemon.join(30)
        hub_server.shutdown()
        hub_server.server_close()
    assert not daemon.is_alive()
