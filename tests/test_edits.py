"""Stealth edits: published articles are re-fetched on a schedule; changed claims alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.analysis.engine import load_rule_set
from monitor.ingest.fetch import Fetcher
from monitor.metrics import RECHECK_OUTCOMES, Metrics
from monitor.model import FeedSpec
from monitor.pipeline.cycle import Pipeline
from monitor.store import Database
from tests.conftest import REPO_ROOT, make_settings
from tests.loopback import LoopbackServer, Route

PUBLISHED = datetime(2026, 1, 10, 11, 59, tzinfo=UTC)
STORY = (
    "<html><head><title>Portland shooting victims still in hospital</title></head><body>"
    "<article><h1>Portland shooting victims still in hospital</h1>"
    "<p>PORTLAND, Ore. — The two people shot by a U.S. Border Patrol agent on Thursday "
    "remain in the hospital in {condition} condition, the Portland Police Bureau said on "
    "Saturday.</p><p>Federal officials have said the agent fired once after the driver "
    "tried to run agents over, an account city leaders have questioned.</p>"
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
) -> Iterator[tuple[Pipeline, Database, Clock, str]]:
    """A pipeline on SQLite with an injected clock, one feed and one article page."""
    page = loopback.route("/story.html", Route(body=STORY.format(condition="serious").encode()))
    feed = (
        "<rss version='2.0'><channel><title>OPB</title><item><title>Victims</title>"
        f"<link>{page}</link><guid>story-1</guid>"
        "<pubDate>Sat, 10 Jan 2026 11:59:00 GMT</pubDate></item></channel></rss>"
    )
    loopback.route("/feed.xml", Route(body=feed.encode(), content_type="application/rss+xml"))
    settings = make_settings(tmp_path, recheck_schedule="10m,1h,6h")
    metrics = Metrics()  # counters of this test only
    database = Database.open(settings.resolved_database_url)
    clock = Clock(PUBLISHED + timedelta(minutes=1))
    with (
        Fetcher(settings) as fetcher,
        Pipeline(
            settings,
            database,
            fetcher,
            load_rule_set(REPO_ROOT / "rules"),
            clock=clock,
            metrics=metrics,
        ) as pipeline,
    ):
        yield pipeline, database, clock, page
    database.close()


def _cycle(pipeline: Pipeline, loopback_feed: str) -> None:
    pipeline.run_cycle([FeedSpec("opb", loopback_feed)])


def rechecks(pipeline: Pipeline) -> dict[str, float]:
    """monitor_rechecks_total by outcome, where not zero."""
    counts = {
        outcome: pipeline.metrics.registry.get_sample_value(
            "monitor_rechecks_total", {"outcome": outcome}
        )
        or 0.0
        for outcome in RECHECK_OUTCOMES
    }
    return {outcome: count for outcome, count in counts.items() if count}


def test_an_outlet_editing_a_claim_raises_an_edit_alert_with_both_sentences(
    newsroom: tuple[Pipeline, Database, Clock, str], loopback: LoopbackServer
) -> None:
    """serious -> critical on re-fetch: revision 2 and an 'edit' alert with both sentences."""
    pipeline, database, clock, page = newsroom
    feed = f"{loopback.base_url}/feed.xml"
    _cycle(pipeline, feed)
    [article] = database.articles()
    assert article.revision == 1
    assert not [a for a in database.alerts() if a.kind == "edit"]

    loopback.route("/story.html", Route(body=STORY.format(condition="critical").encode()))
    clock.now = PUBLISHED + timedelta(minutes=11)  # the 10-minute re-check is due
    _cycle(pipeline, feed)

    [article] = database.articles()
    assert article.revision == 2
    [edit] = [a for a in database.alerts() if a.kind == "edit"]
    assert edit.slot == "victim_condition"
    assert edit.previous is not None
    assert (edit.previous["value"], edit.current["value"]) == ("serious", "critical")
    assert "serious condition" in edit.previous["sentence"]
    assert "critical condition" in edit.current["sentence"]
    assert "edited its own story" in edit.reason
    assert edit.article_url == page
    assert rechecks(pipeline) == {"edited": 1}


def test_an_unchanged_page_costs_no_reanalysis(
    newsroom: tuple[Pipeline, Database, Clock, str], loopback: LoopbackServer
) -> None:
    """Same page at the re-check: same revision, the same claim rows, no new alert, and no
    extraction (the bytes are the same)."""
    pipeline, database, clock, _ = newsroom
    feed = f"{loopback.base_url}/feed.xml"
    _cycle(pipeline, feed)
    [article] = database.articles()
    claims_before = [e.claim_id for e in database.article_claims(article.article_id)]
    alerts_before = len(database.alerts())
    page_hits = loopback.hits("/story.html")

    clock.now = PUBLISHED + timedelta(minutes=11)
    _cycle(pipeline, feed)

    assert loopback.hits("/story.html") == page_hits + 1  # it was re-fetched
    assert database.articles()[0].revision == 1
    assert [e.claim_id for e in database.article_claims(article.article_id)] == claims_before
    assert len(database.alerts()) == alerts_before
    assert rechecks(pipeline) == {"same_page": 1}


def test_a_recheck_asks_conditionally_and_a_304_costs_no_extraction(
    newsroom: tuple[Pipeline, Database, Clock, str], loopback: LoopbackServer
) -> None:
    """The page's ETag and Last-Modified from the first fetch go with the re-check; the
    server's 304 leaves the article as it was."""
    pipeline, database, clock, _ = newsroom
    etag, last_modified = '"story-v1"', "Sat, 10 Jan 2026 11:59:00 GMT"
    story = STORY.format(condition="serious").encode()
    loopback.route("/story.html", Route(body=story, etag=etag, last_modified=last_modified))
    feed = f"{loopback.base_url}/feed.xml"
    _cycle(pipeline, feed)

    clock.now = PUBLISHED + timedelta(minutes=11)
    _cycle(pipeline, feed)

    recheck = [r for r in loopback.requests if r.path == "/story.html"][-1]
    assert recheck.headers.get("if-none-match") == etag
    assert recheck.headers.get("if-modified-since") == last_modified
    assert rechecks(pipeline) == {"not_modified": 1}
    assert database.articles()[0].revision == 1


def test_new_page_bytes_with_the_same_text_are_remembered_without_a_revision(
    newsroom: tuple[Pipeline, Database, Clock, str], loopback: LoopbackServer
) -> None:
    """A page whose markup changed but whose article text did not: extracted, no revision;
    the next re-check of those same bytes skips extraction."""
    pipeline, database, clock, _ = newsroom
    feed = f"{loopback.base_url}/feed.xml"
    _cycle(pipeline, feed)
    restyled = STORY.format(condition="serious").replace("<body>", "<body><!-- ad slot 2 -->")
    loopback.route("/story.html", Route(body=restyled.encode()))

    clock.now = PUBLISHED + timedelta(minutes=11)
    _cycle(pipeline, feed)
    assert rechecks(pipeline) == {"same_text": 1}
    clock.now = PUBLISHED + timedelta(minutes=61)
    _cycle(pipeline, feed)

    assert rechecks(pipeline) == {"same_text": 1, "same_page": 1}
    assert database.articles()[0].revision == 1
    assert not [a for a in database.alerts() if a.kind == "edit"]


def test_rechecks_stop_after_the_schedule(
    newsroom: tuple[Pipeline, Database, Clock, str], loopback: LoopbackServer
) -> None:
    """After the last scheduled check the page is not fetched again."""
    pipeline, _, clock, _ = newsroom
    feed = f"{loopback.base_url}/feed.xml"
    _cycle(pipeline, feed)
    for minutes in (11, 61, 361, 2000, 5000):
        clock.now = PUBLISHED + timedelta(minutes=minutes)
        _cycle(pipeline, feed)
    assert loopback.hits("/story.html") == 4  # first fetch + 10 min, 1 h, 6 h


def test_an_unmatched_article_is_never_rechecked(loopback: LoopbackServer, tmp_path: Path) -> None:
    """Articles about no tracked incident are not re-fetched."""
    from tests.documents import article_html, rss_feed

    loopback.route("/articles/0.html", Route(body=article_html(0)))
    feed = loopback.route("/feed.xml", Route(body=rss_feed(loopback.base_url, 1)))
    settings = make_settings(tmp_path, recheck_schedule="10m")
    database = Database.open(settings.resolved_database_url)
    clock = Clock(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    rules = load_rule_set(REPO_ROOT / "rules")
    with (
        Fetcher(settings) as fetcher,
        Pipeline(settings, database, fetcher, rules, clock=clock) as pipeline,
    ):
        pipeline.run_cycle([FeedSpec("ledger", feed)])
        clock.now += timedelta(hours=2)
        pipeline.run_cycle([FeedSpec("ledger", feed)])
    database.close()
    assert loopback.hits("/articles/0.html") == 1


def test_a_bad_recheck_schedule_is_a_configuration_error(tmp_path: Path) -> None:
    """MONITOR_RECHECK_SCHEDULE with an unknown unit is refused with an example."""
    from monitor.config import load_settings
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError, match="10m,1h"):
        load_settings(recheck_schedule="10m,1x")
