"""`monitor run` as a real process: health endpoint, metrics, rules reload, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, make_rules_dir
from tests.documents import article_html, rss_feed
from tests.loopback import LoopbackServer, Route
from tests.processes import http_get

# Waits end as soon as their condition holds; the bound only has to outlast a loaded machine.
WAIT_S = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Daemon:
    process: subprocess.Popen[str]
    port: int
    rules_dir: Path

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.port, path)

    def wait_healthy(self, timeout_s: float = WAIT_S) -> dict[str, object]:
        """The /healthz body once a cycle has succeeded (before that, 200 is the grace period)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                status, body = self.get("/healthz")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
                continue
            health: dict[str, object] = json.loads(body)
            if status == 200 and health["last_cycle_age_s"] is not None:
                return health
            time.sleep(0.2)
        raise AssertionError(f"daemon not healthy within {timeout_s} s")


@pytest.fixture
def daemon(loopback: LoopbackServer, tmp_path: Path) -> Iterator[Daemon]:
    """`python -m monitor run` on a loopback feed, with JSON logs captured in a file."""
    for n in range(3):
        loopback.route(f"/articles/{n}.html", Route(body=article_html(n)))
    feed = loopback.route("/feed.xml", Route(body=rss_feed(loopback.base_url, 3)))
    rules_dir = make_rules_dir(tmp_path, {"ledger": feed})
    port = _free_port()
    env = {
        **os.environ,
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(rules_dir),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
        "MONITOR_HEALTH_HOST": "127.0.0.1",
        "MONITOR_HEALTH_PORT": str(port),
        "MONITOR_TICK_S": "1",
    }
    log_file = (tmp_path / "daemon.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
        text=True,
    )
    yield Daemon(process, port, rules_dir)
    if process.poll() is None:
        process.kill()
        process.wait(10)
    log_file.close()


def _log_events(tmp_path: Path) -> list[dict[str, object]]:
    lines = (tmp_path / "daemon.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.mark.slow
def test_daemon_serves_health_and_metrics_and_stops_on_sigterm(
    daemon: Daemon, tmp_path: Path
) -> None:
    """/healthz is 200 after a cycle, /metrics counts it, SIGTERM stops it cleanly (exit 0,
    "daemon stopped": the jobs finished inside the grace period)."""
    health = daemon.wait_healthy()
    assert health["status"] == "ok" and health["database"] is True
    status, metrics = daemon.get("/metrics")
    assert status == 200
    assert "monitor_cycle_duration_seconds_count" in metrics
    assert 'monitor_articles_processed_total{status="extracted"} 3.0' in metrics
    assert daemon.get("/nope")[0] == 404

    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=WAIT_S) == 0
    events = [e["event"] for e in _log_events(tmp_path)]
    assert "daemon started" in events and "daemon stopped" in events
    assert not [e for e in events if "outlasted the grace period" in str(e)]


@pytest.mark.slow
def test_broken_rule_edit_keeps_the_last_good_rules(daemon: Daemon, tmp_path: Path) -> None:
    """A running daemon logs a broken edit as an error and keeps polling with the old rules."""
    daemon.wait_healthy()
    (daemon.rules_dir / "incidents.yaml").write_text("incidents: [\n", encoding="utf-8")
    deadline = time.monotonic() + WAIT_S
    errors: list[dict[str, object]] = []
    while time.monotonic() < deadline and not errors:
        time.sleep(0.5)
        errors = [e for e in _log_events(tmp_path) if str(e["event"]).startswith("rules invalid")]
    assert errors, "the broken edit was not reported"
    assert "incidents.yaml" in str(errors[0]["error"])
    assert daemon.process.poll() is None
    # Still alive (200), but degraded until the file is fixed: the refused reload is a reason.
    assert daemon.wait_healthy()["status"] == "degraded"
