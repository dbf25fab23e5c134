"""Replicas of `monitor run` on one PostgreSQL: each entry processed once, each alert posted once.

Real processes, a real PostgreSQL (tests/pgserver.py), a loopback feed of
article pages written for these tests and a fake Slack. The helpers here
(`Fleet`, `follow_up_html`, `news_feed`, ...) are shared with tests/test_faults.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import make_rules_dir
from tests.documents import article_html
from tests.fakeslack import FakeSlack, PostedMessage, serve_fake_slack
from tests.loopback import LoopbackServer, Route
from tests.pgserver import PgServer
from tests.processes import monitor_env

TOKEN = "xoxb-test-token"
CHANNEL = "#news-alerts"
# Follow-ups are published after both incidents they update (2026-01-08 and -14).
FOLLOW_UP_PUBLISHED_AT = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)
_ALERT_ID = re.compile(r"\bAlert (\d+)\b")

# Follow-ups in our own words that change claims the seed baseline holds.
FOLLOW_UPS: dict[str, tuple[str, list[str]]] = {
    "pdx-critical": (
        "Portland wounded pair now in critical condition",
        [
            "The two people wounded when a Border Patrol agent opened fire in Portland, Oregon, "
            "on Thursday are now in critical condition, the Portland Police Bureau said on Sunday.",
            "According to police, the agent fired four shots into the vehicle.",
            "The FBI continues to investigate the shooting, a bureau spokesperson said.",
        ],
    ),
    "pdx-revised": (
        "Portland police revise account of Border Patrol shooting",
        [
            "A Border Patrol agent in Portland, Oregon, fired five shots during Thursday's "
            "encounter, the Portland Police Bureau said in an updated statement on Monday.",
            "Both people who were hit have been released from the hospital, police said.",
        ],
    ),
    "mpls-released": (
        "Man shot in leg by ICE officer in Minneapolis leaves hospital",
        [
            "The Venezuelan man shot in the leg by an ICE officer in Minneapolis on Wednesday "
            "has been released from the hospital, Minneapolis police said on Friday.",
            "Police said the officer fired two shots during the non-fatal encounter.",
        ],
    ),
}


def follow_up_html(key: str) -> bytes:
    """A news page for one of FOLLOW_UPS."""
    title, paragraphs = FOLLOW_UPS[key]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>"
        f"{body}</article></body></html>"
    ).encode()


def news_feed(base_url: str, paths: Sequence[str]) -> bytes:
    """An RSS 2.0 document with one item per path, all published after the incidents."""
    items = []
    for n, path in enumerate(paths):
        when = format_datetime(FOLLOW_UP_PUBLISHED_AT + timedelta(minutes=n))
        items.append(
            f"<item><title>Item {n}</title><link>{escape(base_url + path)}</link>"
            f"<guid>urn:replicas:{n}</guid><pubDate>{when}</pubDate></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Replica desk</title><link>{escape(base_url)}/</link>"
        f"<description>Test feed</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve_news(
    loopback: LoopbackServer, plain: int, follow_ups: Sequence[str], *, delay_s: float = 0.0
) -> tuple[str, list[str]]:
    """Route `plain` ordinary pages and the follow-ups behind one feed: (feed URL, page paths)."""
    paths = []
    for n in range(plain):
        paths.append(f"/articles/{n}.html")
        loopback.route(paths[-1], Route(body=article_html(n), delay_s=delay_s))
    for key in follow_ups:
        paths.append(f"/follow-ups/{key}.html")
        loopback.route(paths[-1], Route(body=follow_up_html(key), delay_s=delay_s))
    feed = loopback.route(
        "/feed.xml",
        Route(body=news_feed(loopback.base_url, paths), content_type="application/rss+xml"),
    )
    return feed, paths


def poll_first_while_empty(fleet: Fleet, loopback: LoopbackServer, paths: Sequence[str]) -> None:
    """Let `monitor once` make the feed's first poll while it lists nothing, then list `paths`.

    A feed's first poll is its baseline (its alerts are recorded, never posted: README), so
    entries that are to reach Slack must appear after it; a short interval (and a low
    floor for the adaptive schedule) makes the feed due again at once for the replicas.
    """
    rss = "application/rss+xml"
    loopback.route("/feed.xml", Route(body=news_feed(loopback.base_url, []), content_type=rss))
    fleet.env["MONITOR_DEFAULT_INTERVAL_MIN"] = "0.01"
    fleet.env["MONITOR_MIN_INTERVAL_S"] = "0.5"  # the adaptive schedule's floor, else 120 s
    fleet.cli("once")
    loopback.route("/feed.xml", Route(body=news_feed(loopback.base_url, paths), content_type=rss))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], timeout_s: float, what: str, step_s: float = 0.2) -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


# --------------------------------------------------------------------------- processes


@dataclass
class Replica:
    """One `monitor run` process, leader of its own process group."""

    name: str
    process: subprocess.Popen[str]
    health_port: int
    log_path: Path

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.health_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def health(self) -> tuple[int, dict[str, Any]] | None:
        """(status, body) of /healthz, or None while nothing listens."""
        try:
            status, body = self.get("/healthz")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None
        return status, json.loads(body)

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (not the last one, if it is still being written)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        complete = text.split("\n")[:-1]
        return [json.loads(line) for line in complete if line.startswith("{")]

    def cycles_finished(self) -> int:
        return sum(1 for event in self.log_events() if event.get("event") == "cycle finished")

    def kill_group(self) -> None:
        """SIGKILL the daemon and anything it started (its extraction worker)."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(10)


@dataclass
class Fleet:
    """Replicas sharing one database and one rules folder; every one is killed at teardown."""

    workdir: Path
    database_url: str
    rules_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    replicas: list[Replica] = field(default_factory=list)

    def base_env(self) -> dict[str, str]:
        return monitor_env(
            database_url=self.database_url,
            workdir=self.workdir,
            rules_dir=self.rules_dir,
            MONITOR_DELIVERY_INTERVAL_S="1",
            # These tests count the alerts a feed's articles raise from the first poll on.
            MONITOR_FIRST_POLL_IS_BASELINE="false",
            MONITOR_HEALTH_HOST="127.0.0.1",
            MONITOR_CONNECT_TIMEOUT_S="2",
            MONITOR_READ_TIMEOUT_S="5",
            MONITOR_TOTAL_TIMEOUT_S="10",
            **self.env,
        )

    def use_slack(self, fake: FakeSlack) -> None:
        self.env.update(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "MONITOR_SLACK_CHANNEL": CHANNEL,
                "MONITOR_SLACK_BASE_URL": fake.base_url,
            }
        )

    def cli(self, *args: str) -> str:
        """Run one `monitor` command against the fleet's database; its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            env=self.base_env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"monitor {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout

    def start(self, name: str, *, health_port: int = 0) -> Replica:
        env = self.base_env()
        env["MONITOR_HEALTH_PORT"] = str(health_port)
        log_path = self.workdir / f"{name}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run"],
                env=env,
                cwd=self.workdir,
                stdout=subprocess.DEVNULL,
                stderr=log,
                text=True,
                start_new_session=True,
            )
        replica = Replica(name, process, health_port, log_path)
        self.replicas.append(replica)
        return replica

    def kill_all(self) -> None:
        for replica in self.replicas:
            replica.kill_group()


@pytest.fixture
def fleet(pg_server: PgServer, tmp_path: Path) -> Iterator[Fleet]:
    """An empty PostgreSQL database and a place to start replicas; all killed at teardown."""
    fleet = Fleet(tmp_path, pg_server.create_database(), tmp_path / "rules")
    try:
        yield fleet
    finally:
        fleet.kill_all()


@pytest.fixture
def engine(fleet: Fleet) -> Iterator[sa.Engine]:
    """A direct connection to the fleet's database, for checks the CLI does not show."""
    engine = sa.create_engine(fleet.database_url, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


# --------------------------------------------------------------------------- database checks


def rows(engine: sa.Engine, sql: str, **params: object) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def feed_articles(engine: sa.Engine) -> list[tuple[str, str, int]]:
    """(url, status, revision) of every article that came from a feed."""
    try:
        found = rows(engine, "SELECT url, status, revision FROM article WHERE origin = 'feed'")
    except sa.exc.SQLAlchemyError:
        return []  # the schema is not there yet, or the server is restarting
    return [(str(url), str(status), int(revision)) for url, status, revision in found]


def all_final(engine: sa.Engine, expected: int) -> bool:
    articles = feed_articles(engine)
    return len(articles) == expected and all(status != "pending" for _, status, _ in articles)


def news_alerts(engine: sa.Engine) -> list[tuple[int, str, str | None]]:
    """(alert id, delivery status, last error) of every alert that is not the seeded baseline."""
    found = rows(
        engine,
        "SELECT id, delivery_status, last_error FROM alert WHERE NOT is_seeded ORDER BY id",
    )
    return [(int(i), str(status), error) for i, status, error in found]


def all_delivered(engine: sa.Engine) -> bool:
    alerts = news_alerts(engine)
    return bool(alerts) and all(status == "delivered" for _, status, _ in alerts)


def posted_alert_ids(messages: Sequence[PostedMessage]) -> list[int]:
    """The alert id each posted message names in its context block, in arrival order."""
    ids = []
    for message in messages:
        contexts = [b for b in message.blocks if b.get("type") == "context"]
        text = " ".join(e["text"] for block in contexts for e in block["elements"])
        found = _ALERT_ID.findall(text)
        assert found, f"a posted message names no alert: {message.text[:200]!r}"
        ids.append(int(found[0]))
    return ids


def assert_each_alert_posted_once(engine: sa.Engine, fake: FakeSlack) -> None:
    """Slack got exactly the alerts the database holds, each once, none seeded."""
    alerts = news_alerts(engine)
    posted = posted_alert_ids(fake.messages)
    assert sorted(posted) == [alert_id for alert_id, _, _ in alerts]
    texts = [message.text for message in fake.messages]
    assert len(texts) == len(set(texts)), "the same alert text was posted twice"


def wait_for_more_cycles(replicas: Sequence[Replica], count: int = 2) -> None:
    """Wait until each replica finished `count` more cycles than now. Delivery runs on the same
    1 s schedule, so a duplicate post or fetch any of them would make has landed by then, however
    slow the machine: the positive signal to wait for before asserting that none did."""
    seen = {replica.name: replica.cycles_finished() for replica in replicas}
    wait_for(
        lambda: all(
            replica.cycles_finished() >= seen[replica.name] + count for replica in replicas
        ),
        120,
        f"{count} more cycles of {', '.join(seen)}",
    )


def extracted_in_cycles(replica: Replica) -> int:
    """Articles this replica extracted, from its canonical "cycle finished" log lines."""
    events = replica.log_events()
    return sum(
        int(e.get("articles_extracted", 0)) for e in events if e["event"] == "cycle finished"
    )


# --------------------------------------------------------------------------- the test


@pytest.mark.postgres
@pytest.mark.slow
def test_three_replicas_process_every_entry_once_and_post_every_alert_once(
    fleet: Fleet, engine: sa.Engine, loopback: LoopbackServer, slack: FakeSlack
) -> None:
    """Three replicas racing over one feed fetch each page once, extract each article once
    (revision 1), and post each alert to Slack once."""
    feed, paths = serve_news(loopback, 27, list(FOLLOW_UPS), delay_s=0.05)
    make_rules_dir(fleet.workdir, {"desk": feed})
    fleet.use_slack(slack)
    # Small claims (2 fetchers x 4 articles) so all three replicas get a share of 30.
    fleet.env["MONITOR_FETCH_CONCURRENCY"] = "2"
    fleet.cli("seed")
    poll_first_while_empty(fleet, loopback, paths)

    replicas = [fleet.start(f"replica-{n}") for n in range(3)]
    wait_for(lambda: all_final(engine, len(paths)), 90, "every article to reach a final status")
    wait_for(lambda: all_delivered(engine), 60, "every alert to be delivered")
    wait_for_more_cycles(replicas)

    assert all(replica.process.poll() is None for replica in replicas)
    fetched = {path: loopback.hits(path) for path in paths}
    assert {path: hits for path, hits in fetched.items() if hits != 1} == {}
    articles = feed_articles(engine)
    assert sorted(status for _, status, _ in articles) == ["extracted"] * len(paths)
    assert [url for url, _, revision in articles if revision != 1] == []
    assert len(news_alerts(engine)) >= 3, "the follow-ups raised too few alerts"
    assert_each_alert_posted_once(engine, slack)
    extracted_by = [extracted_in_cycles(replica) for replica in replicas]
    assert sum(extracted_by) == len(paths), extracted_by
    assert sum(1 for count in extracted_by if count) >= 2, f"no race: {extracted_by}"
    assert rows(engine, "SELECT count(*) FROM article WHERE lease_owner IS NOT NULL") == [(0,)]
