"""GET /healthz and /metrics against a real HealthServer on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.metrics import FETCH_ERROR_KINDS, Metrics, classify_fetch_error
from monitor.service.health import (
    MAX_REQUEST_BODY,
    HealthServer,
    Request,
    Response,
    judge_health,
)
from monitor.store import Database, create_db_engine

START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
STALE_AFTER_S = 900.0


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Checks:
    """What the server is told about the daemon; tests flip these."""

    database: Callable[[], bool]
    scheduler_alive: bool = True
    last_success_at: datetime | None = None


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A real SQLite database in tmp_path."""
    db = Database.open(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield db
    db.close()


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock starting at START."""
    return Clock()


@pytest.fixture
def metrics() -> Metrics:
    """Fresh metrics on their own registry."""
    return Metrics()


@pytest.fixture
def checks(database: Database) -> Checks:
    """Healthy inputs: a reachable database, a live scheduler, no cycle yet."""
    return Checks(database=database.ping)


@pytest.fixture
def server(checks: Checks, clock: Clock, metrics: Metrics) -> Iterator[HealthServer]:
    """A running HealthServer on an ephemeral loopback port."""
    health = HealthServer(
        "127.0.0.1",
        0,
        check_database=lambda: checks.database(),
        scheduler_alive=lambda: checks.scheduler_alive,
        last_success_at=lambda: checks.last_success_at,
        stale_after_s=STALE_AFTER_S,
        registry=metrics.registry,
        clock=clock,
    )
    with health:
        yield health


def _get(server: HealthServer, path: str) -> tuple[int, str, bytes]:
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["Content-Type"], exc.read()


def _healthz(server: HealthServer) -> tuple[int, dict[str, object]]:
    status, content_type, body = _get(server, "/healthz")
    assert content_type == "application/json"
    payload: dict[str, object] = json.loads(body)
    return status, payload


def test_healthz_is_200_when_the_last_cycle_is_fresh(
    server: HealthServer, checks: Checks, clock: Clock
) -> None:
    """A cycle a minute ago, a reachable database and a live scheduler make 200 ok."""
    checks.last_success_at = clock.now
    clock.advance(60)
    assert _healthz(server) == (
        200,
        {
            "status": "ok",
            "database": True,
            "scheduler": True,
            "last_cycle_age_s": 60.0,
            "reasons": [],
        },
    )


def test_healthz_is_200_right_after_start_before_any_cycle(server: HealthServer) -> None:
    """A daemon that has not finished its first cycle yet is healthy during the grace period."""
    status, payload = _healthz(server)
    assert status == 200
    assert payload["status"] == "ok" and payload["last_cycle_age_s"] is None


def test_healthz_is_503_stale_when_no_cycle_finished_within_the_threshold(
    server: HealthServer, clock: Clock
) -> None:
    """No successful cycle since start, and the threshold has passed: 503 stale."""
    clock.advance(STALE_AFTER_S + 1)
    status, payload = _healthz(server)
    assert status == 503
    assert payload["status"] == "stale" and payload["last_cycle_age_s"] is None


def test_healthz_is_503_stale_when_the_last_cycle_is_too_old(
    server: HealthServer, checks: Checks, clock: Clock
) -> None:
    """A last success older than stale_after_s makes 503 stale with the age reported."""
    checks.last_success_at = clock.now
    clock.advance(STALE_AFTER_S + 30)
    status, payload = _healthz(server)
    assert status == 503
    assert payload == {
        "status": "stale",
        "database": True,
        "scheduler": True,
        "last_cycle_age_s": STALE_AFTER_S + 30,
        "reasons": [
            "the last successful cycle was 930 s ago (more than MONITOR_STALE_AFTER_S, 900)"
        ],
    }


def test_healthz_is_503_error_when_the_database_is_unreachable(
    server: HealthServer, checks: Checks, clock: Clock, tmp_path: Path
) -> None:
    """A database that refuses connections (a closed loopback port) makes 503 error."""
    unreachable = Database(create_db_engine("postgresql://monitor:x@127.0.0.1:1/monitor"))
    checks.database = unreachable.ping
    checks.last_success_at = clock.now
    status, payload = _healthz(server)
    unreachable.close()
    assert status == 503
    assert payload["status"] == "error" and payload["database"] is False


def test_healthz_is_503_error_when_a_check_raises(server: HealthServer, checks: Checks) -> None:
    """A check that raises counts as failed instead of crashing the probe."""

    def broken() -> bool:
        raise RuntimeError("boom")

    checks.database = broken
    status, payload = _healthz(server)
    assert status == 503
    assert payload["database"] is False


def test_healthz_is_503_error_when_the_scheduler_is_dead(
    server: HealthServer, checks: Checks, clock: Clock
) -> None:
    """A stopped scheduler makes 503 error even with a fresh cycle."""
    checks.last_success_at = clock.now
    checks.scheduler_alive = False
    status, payload = _healthz(server)
    assert status == 503
    assert payload["status"] == "error" and payload["scheduler"] is False


def test_metrics_lists_every_metric_with_its_counts(server: HealthServer, metrics: Metrics) -> None:
    """After recording events, /metrics shows each metric name with the new values."""
    metrics.record_feed_poll("ok")
    metrics.record_feed_poll("not_modified")
    metrics.record_fetch_error("fetch: https://a.example/ answered HTTP 500")
    metrics.record_article("extracted")
    metrics.record_claims(3)
    metrics.record_alert_raised("contradiction")
    metrics.record_alert_delivery(delivered=True)
    metrics.record_alert_delivery(delivered=False)
    metrics.record_cycle(2.5, finished_at=START, succeeded=True)

    status, content_type, body = _get(server, "/metrics")
    text = body.decode()
    assert status == 200
    assert content_type.startswith("text/plain")
    for line in (
        'monitor_feed_polls_total{outcome="ok"} 1.0',
        'monitor_feed_polls_total{outcome="error"} 0.0',
        'monitor_fetch_errors_total{kind="http_status"} 1.0',
        'monitor_articles_processed_total{status="extracted"} 1.0',
        "monitor_claims_recorded_total 3.0",
        'monitor_alerts_raised_total{kind="contradiction"} 1.0',
        "monitor_alerts_delivered_total 1.0",
        "monitor_alerts_failed_total 1.0",
        "monitor_cycle_duration_seconds_count 1.0",
        "# TYPE monitor_last_success_timestamp_seconds gauge",
    ):
        assert line in text.splitlines(), line
    assert metrics.last_success_at == START
    last_success = metrics.registry.get_sample_value("monitor_last_success_timestamp_seconds")
    assert last_success == START.timestamp()


def test_failed_cycle_does_not_move_the_last_success_time() -> None:
    """A cycle that failed is timed but leaves the last-success time alone."""
    metrics = Metrics()
    metrics.record_cycle(1.0, finished_at=START, succeeded=False)
    assert metrics.last_success_at is None
    assert metrics.registry.get_sample_value("monitor_cycle_duration_seconds_count") == 1.0
    assert metrics.registry.get_sample_value("monitor_last_success_timestamp_seconds") == 0.0


def test_unknown_label_values_are_refused() -> None:
    """A typo in an outcome or status is an error, not a new time series."""
    metrics = Metrics()
    with pytest.raises(ValueError, match="unknown poll outcome 'fine'"):
        metrics.record_feed_poll("fine")
    with pytest.raises(ValueError, match="unknown article status"):
        metrics.record_article("done")


def test_unknown_path_is_404(server: HealthServer) -> None:
    """Anything but /healthz and /metrics is 404."""
    assert _get(server, "/")[0] == 404
    assert _get(server, "/healthz/extra")[0] == 404


def test_healthz_ignores_the_query_string(server: HealthServer) -> None:
    """Probes that add a cache-buster query still reach /healthz."""
    assert _get(server, "/healthz?probe=1")[0] == 200


def test_stopped_server_releases_its_port(checks: Checks, clock: Clock, metrics: Metrics) -> None:
    """After stop() the port accepts a new server."""
    first = HealthServer(
        "127.0.0.1",
        0,
        check_database=checks.database,
        scheduler_alive=lambda: True,
        last_success_at=lambda: None,
        stale_after_s=STALE_AFTER_S,
        registry=metrics.registry,
        clock=clock,
    )
    with first:
        port = first.port
    second = HealthServer(
        "127.0.0.1",
        port,
        check_database=checks.database,
        scheduler_alive=lambda: True,
        last_success_at=lambda: None,
        stale_after_s=STALE_AFTER_S,
        registry=metrics.registry,
        clock=clock,
    )
    with second:
        assert _get(second, "/healthz")[0] == 200


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("fetch: https://a.example/feed timed out after 10 s connecting", "timeout"),
        (
            "fetch: response from https://a.example/p exceeds 5 MB (MONITOR_MAX_PAGE_BYTES)",
            "too_large",
        ),
        (
            "fetch: refused http://127.0.0.1:8/x: 127.0.0.1 is a loopback address; set ...",
            "blocked_address",
        ),
        ("fetch: https://a.example/ answered HTTP 500", "http_status"),
        ("fetch: https://a.example/: too many redirects (more than 5)", "redirects"),
        ("feed: https://a.example/feed is not a feed (HTML page)", "parse"),
        ("fetch: refused ftp://a.example/: only http and https URLs are fetched", "other"),
        ("fetch: https://a.example/: cannot resolve a.example", "dns"),
        (
            "fetch: https://a.example/: cannot resolve a.example ([Errno -2] Name or service "
            "not known); check the hostname",
            "dns",
        ),
        (
            "fetch: https://a.example/ timed out after 10 s resolving a.example "
            "(MONITOR_CONNECT_TIMEOUT_S); check the hostname and the DNS server",
            "dns",
        ),
        ("fetch: https://a.example/: a.example resolves to no address; check the hostname", "dns"),
    ],
    ids=[
        "timeout",
        "too-large",
        "blocked",
        "http-status",
        "redirects",
        "parse",
        "scheme",
        "dns",
        "dns-name-not-known",
        "dns-timeout",
        "dns-no-address",
    ],
)
def test_fetch_error_messages_are_classified_by_kind(message: str, kind: str) -> None:
    """Each FetchError message maps to one documented kind label."""
    assert classify_fetch_error(message) == kind
    assert kind in FETCH_ERROR_KINDS


def test_judge_health_puts_error_before_stale() -> None:
    """A dead scheduler with an old cycle is reported as error, the more urgent state."""
    report = judge_health(
        database=True,
        scheduler=False,
        last_success_at=START,
        started_at=START,
        now=START + timedelta(hours=2),
        stale_after_s=STALE_AFTER_S,
    )
    assert report.status == "error" and report.last_cycle_age_s == 7200.0


def _head(port: int, path: str) -> tuple[int, str | None, bytes]:
    """(status, Content-Length, body) of a HEAD request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("HEAD", path)
        reply = connection.getresponse()
        return reply.status, reply.getheader("Content-Length"), reply.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/metrics", "/nope"])
def test_head_answers_like_get_without_a_body(server: HealthServer, path: str) -> None:
    """HEAD gets GET's status and Content-Length, and no body."""
    get_status, _, get_body = _get(server, path)
    status, length, body = _head(server.port, path)
    assert (status, body) == (get_status, b"")
    assert length is not None and int(length) == len(get_body) > 0


def test_healthz_is_200_degraded_with_the_reasons_when_operations_fail(
    checks: Checks, clock: Clock, metrics: Metrics
) -> None:
    """Problems from the operations check make 200 degraded, each one a reason."""
    checks.last_success_at = clock.now
    problems = ["all 2 feeds are failing (a, b); see `monitor feeds` for each last_error"]
    health = HealthServer(
        "127.0.0.1",
        0,
        check_database=checks.database,
        scheduler_alive=lambda: True,
        last_success_at=lambda: checks.last_success_at,
        stale_after_s=STALE_AFTER_S,
        registry=metrics.registry,
        clock=clock,
        assess_operations=lambda: problems,
    )
    with health:
        status, payload = _healthz(health)
        assert (status, payload["status"], payload["reasons"]) == (200, "degraded", problems)
        clock.advance(STALE_AFTER_S + 1)
        status, payload = _healthz(health)
    assert (status, payload["status"]) == (503, "stale")
    assert payload["reasons"] == [
        "the last successful cycle was 901 s ago (more than MONITOR_STALE_AFTER_S, 900)",
        *problems,
    ]


def test_a_failing_operations_check_never_turns_healthz_into_a_500(
    checks: Checks, clock: Clock, metrics: Metrics
) -> None:
    """An operations check that raises is logged and left out: the probe still answers."""

    def broken() -> list[str]:
        raise RuntimeError("database went away mid-query")

    health = HealthServer(
        "127.0.0.1",
        0,
        check_database=checks.database,
        scheduler_alive=lambda: True,
        last_success_at=lambda: None,
        stale_after_s=STALE_AFTER_S,
        registry=metrics.registry,
        clock=clock,
        assess_operations=broken,
    )
    with health:
        assert _healthz(health) == (
            200,
            {
                "status": "ok",
                "database": True,
                "scheduler": True,
                "last_cycle_age_s": None,
                "reasons": [],
            },
        )
        assert _get(health, "/metrics")[0] == 200


def test_a_taken_port_is_a_config_error_naming_the_port_and_the_fix(
    checks: Checks, clock: Clock, metrics: Metrics
) -> None:
    """Binding a port another socket holds raises ConfigError with the port and the setting."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        health = HealthServer(
            "127.0.0.1",
            port,
            check_database=checks.database,
            scheduler_alive=lambda: True,
            last_success_at=lambda: None,
            stale_after_s=STALE_AFTER_S,
            registry=metrics.registry,
            clock=clock,
        )
        with pytest.raises(ConfigError) as raised:
            health.start()
    message = str(raised.value)
    assert f"the health port {port} is already in use" in message
    assert "MONITOR_HEALTH_PORT" in message and "\n" not in message


def _post(
    server: HealthServer, path: str, body: bytes, *, length: int | None = None
) -> tuple[int, bytes]:
    """POST `body`, announcing `length` bytes (the body's own length by default)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Length", str(len(body) if length is None else length))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_an_extra_route_answers_get_and_post_under_its_prefix(server: HealthServer) -> None:
    """A registered route gets every method under its prefix, with the query and body."""
    seen: list[Request] = []

    def echo(request: Request) -> Response:
        seen.append(request)
        return Response(202, request.method.encode() + b" " + request.body)

    server.routes["/hooks/"] = echo
    assert _post(server, "/hooks/feed-1?x=1", b"payload") == (202, b"POST payload")
    status, _, body = _get(server, "/hooks/feed-1?hub.challenge=abc")
    assert (status, body) == (202, b"GET ")
    assert [(r.path, r.query) for r in seen] == [
        ("/hooks/feed-1", "x=1"),
        ("/hooks/feed-1", "hub.challenge=abc"),
    ]
    assert _healthz(server)[0] == 200  # the probes are untouched


def test_post_without_a_route_is_refused_and_an_oversized_body_is_not_read(
    server: HealthServer,
) -> None:
    """POST to a probe is 405; a body over the cap is 413 and never reaches the handler."""
    calls: list[Request] = []

    def record(request: Request) -> Response:
        calls.append(request)
        return Response(200)

    server.routes["/hooks/"] = record
    assert _post(server, "/healthz", b"")[0] == 405
    assert _post(server, "/hooks/x", b"x", length=MAX_REQUEST_BODY + 1)[0] == 413
    assert calls == []


def test_a_route_that_raises_answers_500_and_the_server_keeps_serving(
    server: HealthServer,
) -> None:
    """A handler's bug is a 500 for that request, never a dead health endpoint."""

    def broken(request: Request) -> Response:
        raise RuntimeError("bug")

    server.routes["/hooks/"] = broken
    assert _post(server, "/hooks/x", b"")[0] == 500
    assert _healthz(server)[0] == 200
