"""A full database disk: `monitor once` exits 1 with the reason, the daemon retries and recovers.

The disk is made full for real, without root: SQLite's `PRAGMA max_page_count`
caps the database at its current size, and SQLite then answers every write that
needs a new page with SQLITE_FULL ("database or disk is full"), exactly as on a
full disk. A pool listener sets the cap on every connection monitor checks out,
so the test can free the "space" again by lifting it.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import DatabaseFullError, database_full_error
from monitor.metrics import Metrics
from monitor.service.scheduler import run_daemon
from monitor.store import Database
from tests.conftest import make_rules_dir, make_settings
from tests.documents import article_html, rss_feed
from tests.loopback import LoopbackServer, Route

runner = CliRunner()
SQLITE_DEFAULT_MAX_PAGES = 1073741823
WAIT_S = 120.0


class DiskSpace:
    """Whether SQLite databases opened by this process may grow (a full disk when not)."""

    def __init__(self) -> None:
        self.full = False

    def apply(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # Setting a cap below the current size leaves it at the current size.
        pages = 1 if self.full else SQLITE_DEFAULT_MAX_PAGES
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")


@pytest.fixture
def disk() -> Iterator[DiskSpace]:
    """Every SQLite connection checked out while `disk.full` is set cannot grow its file."""
    space = DiskSpace()
    sa.event.listen(sa.pool.Pool, "checkout", space.apply)
    yield space
    sa.event.remove(sa.pool.Pool, "checkout", space.apply)


def serve_site(loopback: LoopbackServer, count: int) -> str:
    for n in range(count):
        loopback.route(f"/articles/{n}.html", Route(body=article_html(n)))
    return loopback.route(
        "/feed.xml",
        Route(body=rss_feed(loopback.base_url, count), content_type="application/rss+xml"),
    )


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
    }


def article_count(tmp_path: Path) -> int:
    database = Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}")
    try:
        return sum(1 for a in database.articles() if a.status == "extracted")
    finally:
        database.close()


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {WAIT_S:g} s")
        time.sleep(0.1)


def test_once_on_a_full_disk_exits_1_with_the_reason_and_the_next_run_stores_everything(
    disk: DiskSpace, loopback: LoopbackServer, tmp_path: Path
) -> None:
    """A full disk is one line and exit 1, no traceback; once space is back nothing is lost."""
    make_rules_dir(tmp_path, {"site": serve_site(loopback, 12)})
    env = cli_env(tmp_path)
    Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}").close()  # schema in place

    disk.full = True
    full = runner.invoke(app, ["once"], env=env)

    assert full.exit_code == 1, full.stderr
    lines = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: the database's disk is full (database or disk is full); free space, monitor "
        "retries on its next cycle (unfinished work stays pending)"
    ]
    assert "Traceback" not in full.stderr

    disk.full = False
    again = runner.invoke(app, ["once"], env=env)

    assert again.exit_code == 0, again.stderr
    assert article_count(tmp_path) == 12


def test_the_daemon_logs_a_cycle_failing_on_a_full_disk_and_recovers_when_space_returns(
    disk: DiskSpace, loopback: LoopbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cycle that hits a full disk is logged and retried at the next tick; the daemon lives on."""
    rules_dir = make_rules_dir(tmp_path, {"site": serve_site(loopback, 12)})
    settings = make_settings(tmp_path, rules_dir=rules_dir, tick_s=0.5, health_port=0)
    Database.open(settings.resolved_database_url).close()  # the schema, before the disk fills
    disk.full = True
    stop = threading.Event()
    daemon = threading.Thread(
        target=run_daemon, args=(settings,), kwargs={"stop": stop, "metrics": Metrics()}
    )
    caplog.set_level(logging.INFO)
    daemon.start()
    try:
        wait_for(
            lambda: any(database_full_error(r.exc_info[1]) for r in _failures(caplog)),
            "no cycle failed on the full disk",
        )
        assert daemon.is_alive()

        disk.full = False
        wait_for(lambda: article_count(tmp_path) == 12, "the daemon did not recover")
    finally:
        stop.set()
        daemon.join(timeout=WAIT_S)
    assert not daemon.is_alive()


def _failures(caplog: pytest.LogCaptureFixture) -> list[Any]:
    return [r for r in caplog.records if r.getMessage() == "cycle failed" and r.exc_info]


def test_disk_full_is_recognised_in_sqlite_postgresql_and_os_errors() -> None:
    """SQLITE_FULL, PostgreSQL's SQLSTATE 53100 and ENOSPC all read as a full disk; others not."""
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    sqlite_full.sqlite_errorcode = sqlite3.SQLITE_FULL

    wrapped = sa.exc.OperationalError("INSERT ...", {}, sqlite_full)
    assert isinstance(database_full_error(wrapped), DatabaseFullError)
    pg_full = sa.exc.OperationalError("INSERT ...", {}, psycopg.errors.DiskFull("no space"))
    assert database_full_error(pg_full) is not None
    assert database_full_error(OSError(errno.ENOSPC, "No space left on device")) is not None
    assert database_full_error(sqlite3.OperationalError("database is locked")) is None
    assert database_full_error(ValueError("nope")) is None
