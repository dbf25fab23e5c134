"""The daemon's start: it waits for an unreachable PostgreSQL with backoff (logging each
wait, password masked) instead of exiting, gives up after MONITOR_DATABASE_WAIT_S with one
line and exit 2, and once running, a database outage fails readiness but not liveness."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.service.startup import wait_for_database
from tests.conftest import make_rules_dir
from tests.pgserver import PgServer, find_pg_bindir
from tests.processes import REPO_ROOT, http_get

PASSWORD = "hunter2"


class FakeClock:
    """Monotonic seconds that pass only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return False  # not asked to stop


class Refusing:
    """A database probe that fails `times` times with `error`, then answers."""

    def __init__(self, times: int, error: Exception) -> None:
        self.left = times
        self.error = error
        self.calls = 0

    def __call__(self, url: str) -> None:
        self.calls += 1
        if self.left > 0:
            self.left -= 1
            raise self.error


URL = f"postgresql://monitor:{PASSWORD}@db.internal:5432/monitor"


def test_an_unreachable_database_is_retried_with_backoff_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Waits double from 1 s; each is logged with the masked URL and the driver's reason."""
    clock = FakeClock()
    probe = Refusing(4, ConnectionRefusedError("connection refused"))

    with caplog.at_level(logging.WARNING):
        assert wait_for_database(URL, 300, probe=probe, sleep=clock.sleep, clock=clock)

    assert clock.sleeps == [1, 2, 4, 8] and probe.calls == 5
    waits = [r for r in caplog.records if r.getMessage() == "database unreachable; waiting"]
    assert len(waits) == 4
    assert {vars(r)["database"] for r in waits} == {
        "postgresql://monitor:***@db.internal:5432/monitor"
    }
    assert {vars(r)["reason"] for r in waits} == {"connection refused"}
    assert PASSWORD not in caplog.text


def test_waits_never_exceed_thirty_seconds_nor_the_time_left() -> None:
    """Backoff is capped at 30 s, and the last wait ends exactly at MONITOR_DATABASE_WAIT_S."""
    clock = FakeClock()
    with pytest.raises(ConfigError):
        wait_for_database(
            URL, 100, probe=Refusing(99, OSError("timeout")), sleep=clock.sleep, clock=clock
        )

    assert clock.sleeps == [1, 2, 4, 8, 16, 30, 30, 9]
    assert clock.now == 100


def test_giving_up_is_one_line_naming_the_setting_without_the_password() -> None:
    """After MONITOR_DATABASE_WAIT_S the error says how long, why, and what to check."""
    clock = FakeClock()
    with pytest.raises(ConfigError) as raised:
        wait_for_database(
            URL, 10, probe=Refusing(99, OSError("no route to host")), sleep=clock.sleep, clock=clock
        )

    message = str(raised.value)
    assert "\n" not in message and PASSWORD not in message
    assert message.startswith(
        "the database postgresql://monitor:***@db.internal:5432/monitor did not answer "
        "within 10 s (MONITOR_DATABASE_WAIT_S): no route to host"
    )
    assert "check MONITOR_DATABASE_URL" in message


def test_a_stop_request_during_the_wait_ends_it_quietly() -> None:
    """SIGTERM while waiting: the wait returns False and nothing is raised."""
    probe = Refusing(99, OSError("refused"))
    assert not wait_for_database(URL, 300, probe=probe, sleep=lambda seconds: True)
    assert probe.calls == 1


# -- real processes ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _daemon_env(tmp_path: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITOR_", "SLACK_"))}
    env.update(
        {
            "MONITOR_DATABASE_URL": database_url,
            "MONITOR_DATA_DIR": str(tmp_path / "data"),
            "MONITOR_RULES_DIR": str(make_rules_dir(tmp_path, {})),
            "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
            "MONITOR_HEALTH_HOST": "127.0.0.1",
            "MONITOR_TICK_S": "1",
            **settings,
        }
    )
    return env


def _run(env: dict[str, str], log_path: Path) -> subprocess.Popen[str]:
    with log_path.open("w") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            env=env,
            cwd=log_path.parent,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _events(log_path: Path) -> list[dict[str, object]]:
    lines = log_path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.mark.slow
def test_the_daemon_waits_for_an_absent_database_then_exits_2_with_one_line(
    tmp_path: Path,
) -> None:
    """Nothing listening on the database port: logged waits, then exit 2 and the reason."""
    port = _free_port()  # closed again: connections to it are refused
    url = f"postgresql://monitor:{PASSWORD}@127.0.0.1:{port}/monitor"
    env = _daemon_env(
        tmp_path, url, MONITOR_DATABASE_WAIT_S="2", MONITOR_HEALTH_PORT="0", MONITOR_TICKS="1"
    )
    log_path = tmp_path / "daemon.log"
    process = _run(env, log_path)
    try:
        assert process.wait(timeout=60) == 2
    finally:
        process.kill()
    text = log_path.read_text(encoding="utf-8")
    waits = [e for e in _events(log_path) if e["event"] == "database unreachable; waiting"]
    assert waits, text
    assert waits[0]["database"] == f"postgresql://monitor:***@127.0.0.1:{port}/monitor"
    assert "refused" in str(waits[0]["reason"]).lower()
    last = text.splitlines()[-1]
    assert last.startswith("error: the database postgresql://monitor:***@127.0.0.1:")
    assert "did not answer within 2 s (MONITOR_DATABASE_WAIT_S)" in last
    assert PASSWORD not in text


@pytest.mark.slow
def test_an_unknown_monitor_variable_is_a_warning_in_the_daemon_log(tmp_path: Path) -> None:
    """A typo such as MONITOR_TICKS is logged at start with the closest setting's name."""
    env = _daemon_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'monitor.db'}",
        MONITOR_HEALTH_PORT="0",
        MONITOR_DATABSE_URL="postgresql://u:p@db/x",
    )
    log_path = tmp_path / "daemon.log"
    process = _run(env, log_path)
    try:
        deadline = time.monotonic() + 60
        while not any(e["event"] == "daemon started" for e in _events(log_path)):
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    [warning] = [e for e in _events(log_path) if "MONITOR_DATABSE_URL" in str(e["event"])]
    assert warning["level"] == "warning"
    assert "did you mean MONITOR_DATABASE_URL?" in str(warning["event"])


@pytest.fixture
def bare_postgres() -> Iterator[PgServer]:
    """A PostgreSQL server neither initialised nor started (the test does both)."""
    bindir = find_pg_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries not found (required when CI=true)")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found")
    server = PgServer(bindir)
    yield server
    server.destroy()


@pytest.fixture
def late_postgres(bare_postgres: PgServer) -> PgServer:
    """A PostgreSQL server initialised but not started (the test starts and stops it)."""
    bare_postgres.init()
    return bare_postgres


def _wait_status(port: int, path: str, status: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    last: object = None
    while time.monotonic() < deadline:
        assert process.poll() is None, "the daemon exited"
        try:
            last = http_get(port, path)
            if last[0] == status:
                return
        except (urllib.error.URLError, ConnectionError) as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"{path} did not answer {status}: {last}")


@pytest.mark.slow
@pytest.mark.postgres
def test_a_database_outage_fails_readiness_but_not_liveness(
    tmp_path: Path, late_postgres: PgServer
) -> None:
    """Started before PostgreSQL, the daemon waits and comes up with it; stopping PostgreSQL
    turns /readyz and /healthz to 503 while /livez stays 200; it recovers on its own."""
    port = _free_port()
    env = _daemon_env(tmp_path, late_postgres.url("postgres"), MONITOR_HEALTH_PORT=str(port))
    log_path = tmp_path / "daemon.log"
    process = _run(env, log_path)
    try:
        deadline = time.monotonic() + 60
        while not any(e["event"] == "database unreachable; waiting" for e in _events(log_path)):
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        late_postgres.start()
        _wait_status(port, "/readyz", 200, process)
        assert http_get(port, "/livez")[0] == 200

        late_postgres.stop()
        _wait_status(port, "/readyz", 503, process)
        assert http_get(port, "/livez") == (200, '{"status": "ok", "scheduler": true}')
        assert http_get(port, "/healthz")[0] == 503

        late_postgres.start()
        _wait_status(port, "/readyz", 200, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()


@pytest.fixture
def password_postgres(bare_postgres: PgServer) -> PgServer:
    """A running PostgreSQL that checks passwords (scram-sha-256): monitor's is `right`."""
    password_file = bare_postgres.root / "password"
    password_file.write_text("right\n", encoding="utf-8")
    if bare_postgres.user_prefix:  # as root, initdb runs as postgres and must read it
        shutil.chown(password_file, user="postgres")
    bare_postgres._run(
        str(bare_postgres.bindir / "initdb"),
        "-D",
        str(bare_postgres.datadir),
        "-U",
        "monitor",
        "--auth=scram-sha-256",
        f"--pwfile={password_file}",
        "--no-sync",
    )
    bare_postgres.start()
    return bare_postgres


@pytest.mark.postgres
def test_a_refused_login_is_not_waited_for(password_postgres: PgServer) -> None:
    """A wrong password will not fix itself: ConfigError at once, no wait, no password."""
    url = f"postgresql://monitor:{PASSWORD}@127.0.0.1:{password_postgres.port}/postgres"
    clock = FakeClock()
    with pytest.raises(ConfigError, match="refused the login") as raised:
        wait_for_database(url, 300, sleep=clock.sleep, clock=clock)

    assert clock.sleeps == []
    assert "password authentication failed" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    right = f"postgresql://monitor:right@127.0.0.1:{password_postgres.port}/postgres"
    assert wait_for_database(right, 300, sleep=clock.sleep, clock=clock)
