"""`monitor run` as a real process against a runaway rule pattern and a deleted feeds.yaml."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.store import ArticleRecord, ArticleStatus, Database
from tests.conftest import make_rules_dir
from tests.documents import rss_feed
from tests.loopback import LoopbackServer, Route
from tests.processes import http_get, monitor_env
from tests.test_daemon import _free_port

# Accepted by `rules check` (no nested repeat), yet n**5 on a long run of letters:
# only the time limit stops it. The daemon takes the same path as every article:
# feed -> page fetch -> extraction (worker process) -> analysis on the cycle's thread.
SLOW_TERM = r"[a-z]+[a-z]+[a-z]+[a-z]+[a-z]+\d"
SLOW_INCIDENT = f"""
  - incident_id: slow-2026-01-08
    title: An incident whose term is slow on long words
    date: 2026-01-08
    city: Nowhere
    condition:
      term: '{SLOW_TERM}'
"""
PAGE_PATH = "/articles/0.html"


def _slow_page() -> bytes:
    paragraphs = [
        "Officials said on Tuesday that the council would meet again next month.",
        "The clerk read the attached note aloud: " + "a" * 4_000,
        "Residents who spoke at the meeting were divided about the plan.",
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Council notes</title></head>"
        f"<body><article><h1>Council notes</h1>{body}</article></body></html>"
    ).encode()


@dataclass
class Daemon:
    process: subprocess.Popen[str]
    port: int
    rules_dir: Path
    log_path: Path
    database_url: str

    def get(self, path: str) -> tuple[int, str]:
        return http_get(self.port, path)

    def events(self) -> list[dict[str, object]]:
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def page_article(self) -> ArticleRecord | None:
        """The article of the feed's one page (the seeds' baseline articles are others)."""
        database = Database.open(self.database_url)
        try:
            return next((a for a in database.articles() if a.url.endswith(PAGE_PATH)), None)
        finally:
            database.close()

    def article_status(self) -> str | None:
        article = self.page_article()
        return article.status if article else None


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Poll until `condition` holds; the timeout only turns a hang into a failure."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def _start(loopback: LoopbackServer, tmp_path: Path, *, slow_rule: bool, **settings: str) -> Daemon:
    loopback.route(PAGE_PATH, Route(body=_slow_page()))
    feed = loopback.route("/feed.xml", Route(body=rss_feed(loopback.base_url, 1)))
    rules_dir = make_rules_dir(tmp_path, {"ledger": feed})
    if slow_rule:
        incidents = rules_dir / "incidents.yaml"
        incidents.write_text(incidents.read_text("utf-8") + SLOW_INCIDENT, "utf-8")
    port = _free_port()
    database_url = Settings(data_dir=tmp_path / "data").resolved_database_url
    env = monitor_env(
        database_url=database_url,
        workdir=tmp_path,
        rules_dir=rules_dir,
        MONITOR_HEALTH_HOST="127.0.0.1",
        MONITOR_HEALTH_PORT=str(port),
        MONITOR_LOG_LEVEL="INFO",
        **settings,
    )
    log_path = tmp_path / "daemon.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_path.open("w"),
        text=True,
    )
    return Daemon(process, port, rules_dir, log_path, database_url)


@pytest.fixture
def started() -> Iterator[list[Daemon]]:
    """Daemons a test starts; any still running at the end is killed."""
    daemons: list[Daemon] = []
    yield daemons
    for daemon in daemons:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(10)


@pytest.mark.slow
def test_health_answers_while_a_slow_pattern_runs_and_sigterm_stops_the_daemon(
    loopback: LoopbackServer, tmp_path: Path, started: list[Daemon]
) -> None:
    """Mid-analysis on a pattern that would run for hours, /healthz answers and SIGTERM exits 0."""
    daemon = _start(
        loopback,
        tmp_path,
        slow_rule=True,
        MONITOR_ANALYSIS_BUDGET_S="3600",
        MONITOR_SHUTDOWN_GRACE_S="2",
    )
    started.append(daemon)
    # Stored as extracted, then analysed on the same thread: from here the pattern runs.
    _wait_for(lambda: daemon.article_status() == ArticleStatus.EXTRACTED, "article extracted")
    for _ in range(5):
        status, body = daemon.get("/healthz")
        assert status in (200, 503) and "database" in json.loads(body)
    assert daemon.get("/metrics")[0] == 200
    assert daemon.article_status() == ArticleStatus.EXTRACTED  # still being analysed

    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=30) == 0
    assert "stopping" in [e["event"] for e in daemon.events()]


@pytest.mark.slow
def test_the_daemon_records_a_timed_out_article_once_and_stays_healthy(
    loopback: LoopbackServer, tmp_path: Path, started: list[Daemon]
) -> None:
    """With a 1 s budget the article is analysis_failed, logged once, and cycles go on.
    (On a loaded machine a baseline article may run out of the 1 s too: each is counted.)"""
    daemon = _start(loopback, tmp_path, slow_rule=True, MONITOR_ANALYSIS_BUDGET_S="1")
    started.append(daemon)
    _wait_for(lambda: daemon.article_status() == ArticleStatus.ANALYSIS_FAILED, "analysis_failed")

    def cycles() -> float:
        metrics = daemon.get("/metrics")[1]
        line = next(
            row
            for row in metrics.splitlines()
            if row.startswith("monitor_cycle_duration_seconds_count")
        )
        return float(line.split()[-1])

    seen = cycles()
    _wait_for(lambda: cycles() >= seen + 2, "two more cycles")
    status, body = daemon.get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    page = daemon.page_article()
    assert page is not None
    failures = [e for e in daemon.events() if e["event"] == "article analysis failed"]
    of_the_page = [e for e in failures if e.get("article_id") == page.article_id]
    assert len(of_the_page) == 1
    assert f"pattern {SLOW_TERM!r} (incidents.yaml:" in str(of_the_page[0]["error"])
    assert (
        f'monitor_articles_processed_total{{status="analysis_failed"}} {float(len(failures))}'
        in daemon.get("/metrics")[1]
    )


@pytest.mark.slow
def test_deleting_feeds_yaml_keeps_the_last_good_rules_and_counts_the_failure(
    loopback: LoopbackServer, tmp_path: Path, started: list[Daemon]
) -> None:
    """A deleted feeds.yaml is a refused reload: logged with the fix, counted, daemon alive."""
    daemon = _start(loopback, tmp_path, slow_rule=False)
    started.append(daemon)
    _wait_for(lambda: daemon.get("/healthz")[0] == 200 and _cycled(daemon), "a first cycle")
    assert "monitor_rules_reload_failures_total 0.0" in daemon.get("/metrics")[1]

    (daemon.rules_dir / "feeds.yaml").unlink()
    _wait_for(
        lambda: "monitor_rules_reload_failures_total 1.0" in daemon.get("/metrics")[1],
        "the failed reload counted",
    )
    errors = [e for e in daemon.events() if str(e["event"]).startswith("rules invalid")]
    assert len(errors) == 1
    assert "feeds.yaml: not found; create it with feeds:" in str(errors[0]["error"])
    assert daemon.process.poll() is None
    status, body = daemon.get("/healthz")
    health = json.loads(body)
    # Alive (200), and degraded with the refused reload as its reason until feeds.yaml is back.
    assert status == 200 and health["status"] == "degraded"
    assert any("feeds.yaml: not found" in reason for reason in health["reasons"])


def _cycled(daemon: Daemon) -> bool:
    health: dict[str, object] = json.loads(daemon.get("/healthz")[1])
    return health["last_cycle_age_s"] is not None
