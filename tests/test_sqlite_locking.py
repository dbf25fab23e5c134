"""SQLite under contention: concurrent `monitor once` runs, huge feeds, and a held lock.

Real child processes (tests/processes.py), real loopback feeds (tests/loopback.py)
and a real SQLite file. Write transactions start with BEGIN IMMEDIATE, so a writer
waits for the lock (the busy timeout) instead of failing when it upgrades a read;
a lock held past the busy timeout fails the one feed being stored, not the cycle.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from monitor.analysis.engine import load_rule_set
from monitor.ingest.fetch import Fetcher
from monitor.pipeline.cycle import Pipeline
from monitor.pipeline.report import CycleReport
from monitor.store import Database
from tests.conftest import make_rules_dir, make_settings
from tests.documents import BASE_TIME, article_html, rss_feed
from tests.loopback import LoopbackServer, Route
from tests.processes import monitor_env

PROCESS_TIMEOUT_S = 600  # a hang fails the test instead of hanging the whole run


def _many_entries_feed(base_url: str, count: int) -> bytes:
    """An RSS document with `count` items (their pages are not served: only the feed is polled)."""
    when = format_datetime(BASE_TIME)
    items = "".join(
        f"<item><title>Entry {n}</title><link>{escape(base_url)}/big/{n}.html</link>"
        f"<guid>urn:big:{n}</guid><pubDate>{when}</pubDate></item>"
        for n in range(count)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Big</title><link>{escape(base_url)}/</link><description>big</description>"
        f"{items}</channel></rss>"
    ).encode()


def _serve_feed(loopback: LoopbackServer, name: str, count: int) -> str:
    for n in range(count):
        loopback.route(f"/{name}/articles/{n}.html", Route(body=article_html(n)))
    return loopback.route(
        f"/{name}/feed.xml",
        Route(
            body=rss_feed(loopback.base_url, count, path=f"/{name}/articles/{{n}}.html"),
            content_type="application/rss+xml",
        ),
    )


def _start_once(
    database_url: str, workdir: Path, rules_dir: Path, **settings: str
) -> subprocess.Popen[str]:
    env = monitor_env(database_url=database_url, workdir=workdir, rules_dir=rules_dir, **settings)
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "once", "--all"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _articles(database_url: str, workdir: Path, rules_dir: Path) -> list[dict[str, object]]:
    env = monitor_env(database_url=database_url, workdir=workdir, rules_dir=rules_dir)
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "articles", "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=True,
    )
    listed: list[dict[str, object]] = json.loads(done.stdout)
    return listed


def test_two_concurrent_once_runs_on_one_sqlite_file_both_succeed(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Two `monitor once` processes started together on one SQLite file both exit 0, and
    every entry of every feed is stored once."""
    feeds = {f"desk-{n}": _serve_feed(loopback, f"desk{n}", 40) for n in range(4)}
    rules_dir = make_rules_dir(tmp_path, feeds)
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    # Short leases: the heartbeat thread of each process commits every second as well.
    runs = [
        _start_once(database_url, tmp_path, rules_dir, MONITOR_LEASE_TTL_S="3") for _ in range(2)
    ]
    outcomes = [run.communicate(timeout=PROCESS_TIMEOUT_S) for run in runs]
    for run, (_, stderr) in zip(runs, outcomes, strict=True):
        assert run.returncode == 0, stderr
        assert "database is locked" not in stderr
    # The first run also loads the seeds' baseline into the empty ledger (once: the other
    # run waits for it); only the feeds' articles are counted here.
    listed = _articles(database_url, tmp_path, rules_dir)
    stored = [a for a in listed if not str(a["url"]).startswith("seed://")]
    assert len(stored) == 160
    assert len({a["url"] for a in stored}) == 160


def test_a_twenty_thousand_entry_feed_is_stored_in_one_cycle(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Every one of 20,000 entries is queued as an article by one poll, while the lease
    heartbeat thread commits beside it every second."""
    feed = loopback.route(
        "/big.xml",
        Route(
            body=_many_entries_feed(loopback.base_url, 20_000),
            content_type="application/rss+xml",
        ),
    )
    make_rules_dir(tmp_path, {"big": feed})
    settings = make_settings(tmp_path, lease_ttl_s=3)
    rule_set = load_rule_set(settings.rules_dir)
    database = Database.open(f"sqlite:///{tmp_path / 'big.db'}")
    report = CycleReport()
    try:
        with (
            Fetcher(settings) as fetcher,
            Pipeline(settings, database, fetcher, rule_set) as pipeline,
        ):
            database.sync_feeds(rule_set.rules.feeds, default_interval_min=15)
            # Only the feed poll: the 20,000 pages are not what this test is about.
            pipeline.poll_due_feeds(report, ignore_due=True)
        [state] = database.feeds()
        assert database.article_count() == 20_000
    finally:
        database.close()
    assert report.feed_errors == []
    assert report.articles_queued == 20_000
    assert (state.last_error, state.entry_count) == (None, 20_000)


class _ReleaseOnStoreFailure(logging.Handler):
    """Lets go of the test's lock as soon as the pipeline reports that storing failed,
    so the failure itself can be recorded (deterministically, on the pipeline's thread)."""

    def __init__(self, holder: sqlite3.Connection) -> None:
        super().__init__()
        self.holder = holder
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "storing the feed's poll failed" and self.holder.in_transaction:
            self.seen.append(str(getattr(record, "feed", "")))
            self.holder.rollback()


@pytest.fixture
def lock_holder(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(
        tmp_path / "locked.db", isolation_level=None, check_same_thread=False, timeout=30
    )
    yield connection
    connection.close()


def test_a_feed_whose_store_hits_a_held_lock_fails_alone(
    loopback: LoopbackServer,
    tmp_path: Path,
    lock_holder: sqlite3.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another connection holds the write lock past the busy timeout while one feed is
    stored: that feed is recorded as failed (its error and backoff), the other feed of the
    same cycle is stored, and the cycle ends normally."""
    locked_url = _serve_feed(loopback, "locked", 3)
    free_url = _serve_feed(loopback, "free", 3)
    body = rss_feed(loopback.base_url, 3, path="/locked/articles/{n}.html")

    def take_the_lock_then_answer() -> Iterator[bytes]:
        lock_holder.execute("BEGIN EXCLUSIVE")
        yield body

    loopback.route("/locked/feed.xml", Route(stream=take_the_lock_then_answer))
    # "a-locked" sorts (and with one fetch thread, is polled and stored) before "b-free".
    make_rules_dir(tmp_path, {"a-locked": locked_url, "b-free": free_url})
    # No lease heartbeat during the test: with a 0.2 s busy timeout, a heartbeat write
    # that a loaded machine stalls mid-transaction would lock out the pipeline too.
    settings = make_settings(tmp_path, fetch_concurrency=1, lease_ttl_s=3600)
    database_url = f"sqlite:///{tmp_path / 'locked.db'}"
    database = Database.open(database_url, busy_timeout_s=2.0)
    # The lock is released when the warning is logged: make sure warnings are, whatever
    # level an earlier test's command line left on the logger.
    caplog.set_level(logging.WARNING, logger="monitor.pipeline.cycle")
    handler = _ReleaseOnStoreFailure(lock_holder)
    logging.getLogger("monitor.pipeline.cycle").addHandler(handler)
    rule_set = load_rule_set(settings.rules_dir)
    try:
        with (
            Fetcher(settings) as fetcher,
            Pipeline(settings, database, fetcher, rule_set) as pipeline,
        ):
            report = pipeline.run_cycle(rule_set.rules.feeds, ignore_due=True)
        feeds = {feed.name: feed for feed in database.feeds()}
        stored = {a.url.split("/")[3] for a in database.articles()}
    finally:
        logging.getLogger("monitor.pipeline.cycle").removeHandler(handler)
        database.close()
    assert handler.seen == ["a-locked"]
    locked, free = feeds["a-locked"], feeds["b-free"]
    assert locked.consecutive_errors == 1
    assert locked.last_error is not None and "database is locked" in locked.last_error
    assert locked.next_due_at is not None and locked.last_fetched_at is not None
    assert locked.next_due_at > locked.last_fetched_at
    assert (free.consecutive_errors, free.last_error, free.entry_count) == (0, None, 3)
    assert stored == {"free"}
    assert [name for name, _ in report.feed_errors] == ["a-locked"]
    assert report.articles_extracted == 3
