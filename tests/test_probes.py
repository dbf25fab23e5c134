"""/livez and /readyz against a real HealthServer on 127.0.0.1: liveness ignores the
database (an outage must not restart the pod), readiness follows it and the cycle's age."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from monitor.metrics import Metrics
from monitor.service.health import HealthServer
from tests.processes import http_get

START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
STALE_AFTER_S = 900.0


@dataclass
class State:
    """What the server is told about the daemon; tests flip these, and move the clock."""

    database: bool = True
    scheduler: bool = True
    last_success_at: datetime | None = START
    now: datetime = START


@pytest.fixture
def state() -> State:
    """A healthy daemon whose last cycle just succeeded."""
    return State()


@pytest.fixture
def port(state: State) -> Iterator[int]:
    """The port of a running HealthServer fed by `state`."""
    server = HealthServer(
        "127.0.0.1",
        0,
        check_database=lambda: state.database,
        scheduler_alive=lambda: state.scheduler,
        last_success_at=lambda: state.last_success_at,
        stale_after_s=STALE_AFTER_S,
        registry=Metrics().registry,
        clock=lambda: state.now,
    )
    with server:
        yield server.port


def test_both_probes_answer_200_when_all_is_well(port: int) -> None:
    """A running scheduler, a reachable database and a fresh cycle: live and ready."""
    assert http_get(port, "/livez") == (200, '{"status": "ok", "scheduler": true}')
    status, body = http_get(port, "/readyz")
    assert status == 200 and json.loads(body)["database"] is True


def test_a_database_outage_fails_readiness_and_not_liveness(state: State, port: int) -> None:
    """Database down: /readyz and /healthz are 503, /livez stays 200 (no restart)."""
    state.database = False

    assert http_get(port, "/livez")[0] == 200
    status, body = http_get(port, "/readyz")
    assert status == 503 and json.loads(body)["database"] is False
    assert http_get(port, "/healthz")[0] == 503


def test_a_stale_cycle_fails_readiness_and_not_liveness(state: State, port: int) -> None:
    """No successful cycle for longer than MONITOR_STALE_AFTER_S: not ready, still live."""
    state.now = START + timedelta(seconds=STALE_AFTER_S + 1)

    assert http_get(port, "/livez")[0] == 200
    status, body = http_get(port, "/readyz")
    assert status == 503 and json.loads(body)["status"] == "stale"


def test_a_dead_scheduler_fails_liveness(state: State, port: int) -> None:
    """The loop that does the work has stopped: /livez is 503, so the pod is restarted."""
    state.scheduler = False

    assert http_get(port, "/livez") == (503, '{"status": "error", "scheduler": false}')
    assert http_get(port, "/readyz")[0] == 503


def test_head_on_the_probes_answers_without_a_body(state: State, port: int) -> None:
    """HEAD /livez and /readyz give the status and no body."""
    state.database = False
    for path, expected in (("/livez", 200), ("/readyz", 503)):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:
                status, body = reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        assert (status, body) == (expected, b"")
