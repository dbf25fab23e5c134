"""A quiet edit alerts once, as an edit: its new value is not also a 'first report'."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.analysis.engine import load_rule_set
from monitor.ingest.fetch import Fetcher
from monitor.metrics import Metrics
from monitor.model import FeedSpec
from monitor.pipeline.cycle import Pipeline
from monitor.store import Database
from tests.conftest import REPO_ROOT, make_settings
from tests.loopback import LoopbackServer, Route

PUBLISHED = datetime(2026, 1, 10, 11, 59, tzinfo=UTC)
STORY = (
    "<html><head><title>Two hurt in Portland shooting</title></head><body>"
    "<article><h1>Two hurt in Portland shooting</h1>"
    "<p>PORTLAND, Ore. — A U.S. Border Patrol agent on Thursday shot two people, who are in "
    "{condition} condition at a hospital, the Portland Police Bureau said on Saturday.</p>"
    "</article></body></html>"
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def newsroom(
    loopback: LoopbackServer, tmp_path: Path
) -> Iterator[tuple[Pipeline, Database, Clock]]:
    """A pipeline on SQLite with an injected clock, one feed and one article page."""
    page = loopback.route("/story.html", Route(body=STORY.format(condition="serious").encode()))
    feed = (
        "<rss version='2.0'><channel><title>OPB</title><item><title>Hurt</title>"
        f"<link>{page}</link><guid>story-1</guid>"
        "<pubDate>Sat, 10 Jan 2026 11:59:00 GMT</pubDate></item></channel></rss>"
    )
    loopback.route("/feed.xml", Route(body=feed.encode(), content_type="application/rss+xml"))
    settings = make_settings(tmp_path, recheck_schedule="10m,1h,6h")
    database = Database.open(settings.resolved_database_url)
    clock = Clock(PUBLISHED + timedelta(minutes=1))
    rules = load_rule_set(REPO_ROOT / "rules")
    with (
        Fetcher(settings) as fetcher,
        Pipeline(settings, database, fetcher, rules, clock=clock, metrics=Metrics()) as pipeline,
    ):
        yield pipeline, database, clock
    database.close()


def test_an_edited_value_alerts_as_an_edit_and_not_as_a_first_report(
    newsroom: tuple[Pipeline, Database, Clock], loopback: LoopbackServer
) -> None:
    """serious -> critical on re-fetch: one edit alert, and no update reporting 'critical' first."""
    pipeline, database, clock = newsroom
    feed = [FeedSpec("opb", f"{loopback.base_url}/feed.xml")]
    pipeline.run_cycle(feed)
    before = {a.dedup_key for a in database.alerts()}
    assert any(a.slot == "victim_condition" for a in database.alerts())  # the first report

    loopback.route("/story.html", Route(body=STORY.format(condition="critical").encode()))
    clock.now = PUBLISHED + timedelta(minutes=11)
    pipeline.run_cycle(feed)

    new = [a for a in database.alerts() if a.dedup_key not in before]
    condition = [(a.kind, a.current["value"]) for a in new if a.slot == "victim_condition"]
    assert condition == [("edit", "critical")]
