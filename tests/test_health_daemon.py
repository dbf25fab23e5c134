"""`monitor run` as a real process: /healthz says degraded when every feed fails or a rules
reload is refused, /metrics carries the backlog gauges and the dns kind, HEAD answers,
and a taken health port stops the start with one line."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_rules_dir
from tests.processes import http_get, monitor_env

WAIT_S = 60.0  # generous: a loaded 2-core machine; the waits end as soon as it holds


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Daemon:
    process: subprocess.Popen[str]
    port: int
    rules_dir: Path

    def healthz(self) -> tuple[int, dict[str, object]] | None:
        """(status, body) of /healthz; None while the endpoint is not up yet."""
        try:
            status, body = http_get(self.port, "/healthz")
        except (urllib.error.URLError, ConnectionError):
            return None
        payload: dict[str, object] = json.loads(body)
        return status, payload

    def wait_for(
        self, holds: Callable[[int, dict[str, object]], bool]
    ) -> tuple[int, dict[str, object]]:
        """The first /healthz answer for which `holds` is true (fails after WAIT_S)."""
        deadline = time.monotonic() + WAIT_S
        last = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the daemon exited"
            last = self.healthz()
            if last is not None and holds(*last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"/healthz never matched; last answer: {last}")

    def head(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("HEAD", path)
            reply = connection.getresponse()
            return reply.status, reply.read()
        finally:
            connection.close()


@pytest.fixture
def failing_daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A daemon whose two feeds both fail: one on a closed loopback port, one on a host
    name that does not resolve."""
    feeds = {
        "closed": f"http://127.0.0.1:{_closed_port()}/feed.xml",
        "nowhere": "http://no-such-host.invalid/feed.xml",
    }
    rules_dir = make_rules_dir(tmp_path, feeds)
    port = _closed_port()
    env = monitor_env(
        database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        workdir=tmp_path,
        rules_dir=rules_dir,
        MONITOR_HEALTH_HOST="127.0.0.1",
        MONITOR_HEALTH_PORT=str(port),
        MONITOR_CONNECT_TIMEOUT_S="2",
    )
    with (tmp_path / "daemon.log").open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            text=True,
        )
        try:
            yield Daemon(process, port, rules_dir)
        finally:
            process.kill()
            process.wait(10)


def _reasons(payload: dict[str, object]) -> list[str]:
    reasons = payload["reasons"]
    assert isinstance(reasons, list)
    return [str(r) for r in reasons]


@pytest.mark.slow
def test_a_daemon_whose_feeds_all_fail_is_degraded_and_says_why(failing_daemon: Daemon) -> None:
    """Both feeds failing: /healthz is 200 degraded with the reason, the gauges and the dns
    kind show in /metrics, and HEAD answers without a body."""
    status, payload = failing_daemon.wait_for(
        lambda _status, body: any("feeds are failing" in r for r in _reasons(body))
    )
    assert (status, payload["status"]) == (200, "degraded")
    [reason] = _reasons(payload)
    assert reason.startswith("all 2 feeds are failing (closed, nowhere)")

    status, metrics = http_get(failing_daemon.port, "/metrics")
    lines = metrics.splitlines()
    assert status == 200
    assert "monitor_feeds_failing 2.0" in lines
    assert "monitor_alerts_waiting 0.0" in lines
    dns = [line for line in lines if line.startswith('monitor_fetch_errors_total{kind="dns"}')]
    assert dns and float(dns[0].split()[-1]) >= 1.0

    assert failing_daemon.head("/healthz") == (200, b"")
    assert failing_daemon.head("/metrics") == (200, b"")
    assert failing_daemon.head("/nope") == (404, b"")


@pytest.mark.slow
def test_a_refused_rules_reload_makes_the_daemon_degraded_until_fixed(
    failing_daemon: Daemon,
) -> None:
    """A broken rules edit adds a reason naming the file; restoring the file removes it."""
    failing_daemon.wait_for(lambda status, _body: status == 200)
    incidents = failing_daemon.rules_dir / "incidents.yaml"
    good = incidents.read_text(encoding="utf-8")
    incidents.write_text("incidents: [\n", encoding="utf-8")

    status, payload = failing_daemon.wait_for(
        lambda _status, body: any("rules reload" in r for r in _reasons(body))
    )
    assert (status, payload["status"]) == (200, "degraded")
    [rules] = [r for r in _reasons(payload) if "rules reload" in r]
    assert "incidents.yaml" in rules and "last good rules are in use" in rules

    incidents.write_text(good + "\n", encoding="utf-8")  # a new size: the watcher sees it
    failing_daemon.wait_for(
        lambda _status, body: not any("rules reload" in r for r in _reasons(body))
    )


def test_a_taken_health_port_stops_the_daemon_with_one_line_and_exit_2(tmp_path: Path) -> None:
    """`monitor run` on a port a socket holds exits 2 with the port and the fix, no traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = monitor_env(
            database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
            workdir=tmp_path,
            rules_dir=make_rules_dir(tmp_path, {}),
            MONITOR_HEALTH_HOST="127.0.0.1",
            MONITOR_HEALTH_PORT=str(port),
        )
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 2, result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert f"the health port {port} is already in use" in error_lines[0]
    assert "MONITOR_HEALTH_PORT" in error_lines[0]
    assert "Traceback" not in result.stderr
