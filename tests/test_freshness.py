"""Freshness over loopback: each server hint is a floor on the next poll, busy feeds are
polled near the minimum and quiet ones near the maximum, a feed's own interval wins,
and `monitor feeds --json` says how often and why. Every time is the injected clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.ingest.fetch import Fetcher
from monitor.metrics import Metrics
from monitor.model import FeedItem, FeedSpec
from monitor.pipeline.context import CycleContext
from monitor.pipeline.polling import FeedPoller
from monitor.pipeline.report import CycleReport, NoProgress
from monitor.store import Database, FeedState, new_lease_owner
from monitor.store.feeds import RECENT_SIGHTINGS
from tests.conftest import make_settings
from tests.loopback import LoopbackServer, Route

if TYPE_CHECKING:
    from monitor.ingest.extractor_pool import ExtractorPool

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
RSS = "application/rss+xml"
SY = "xmlns:sy='http://purl.org/rss/1.0/modules/syndication/'"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def rss(dates: list[datetime | None], *, channel_extra: str = "", prefix: str = "s") -> bytes:
    """An RSS document with one entry per date (None: undated); a dated entry's GUID and
    link are its date, an undated one's its position."""
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{prefix}/{key}</link>"
        f"<guid>{prefix}-{key}</guid>"
        + (f"<pubDate>{format_datetime(d, usegmt=True)}</pubDate>" if d else "")
        + "</item>"
        for i, d in enumerate(dates)
        for key in [int(d.timestamp()) if d else i]
    )
    channel = f"<channel><title>T</title>{channel_extra}{items}</channel>"
    return f"<rss version='2.0' {SY}>{channel}</rss>".encode()


def every(step: timedelta, count: int, *, until: datetime = NOW) -> list[datetime | None]:
    return [until - step * i for i in range(count)]


class Desk:
    """The feed poller on SQLite over loopback, with the clock in the test's hand."""

    def __init__(self, poller: FeedPoller, database: Database, clock: Clock) -> None:
        self.poller, self.database, self.clock = poller, database, clock

    def poll(self, specs: list[FeedSpec]) -> dict[str, FeedState]:
        """Sync the feeds, poll the due ones (no page is fetched), return their state."""
        self.database.sync_feeds(specs, default_interval_min=15)
        self.poller.poll_due_feeds(CycleReport())
        return {feed.name: feed for feed in self.database.feeds()}

    def poll_one(self, url: str, *, interval_min: float | None = None) -> FeedState:
        return self.poll([FeedSpec("wire", url, interval_min)])["wire"]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """Bounds of 120 s and 3600 s, 15 minutes for a feed without history. Polling never
    extracts, so the poller's context has no extractor pool (no worker process)."""
    settings = make_settings(
        tmp_path, min_interval_s=120, max_interval_s=3600, default_interval_min=15
    )
    database = Database.open(settings.resolved_database_url)
    clock = Clock(NOW)
    with Fetcher(settings) as fetcher:
        context = CycleContext(
            settings=settings,
            database=database,
            fetcher=fetcher,
            extractors=cast("ExtractorPool", None),
            metrics=Metrics(),
            clock=clock,
            stop=threading.Event(),
            owner=new_lease_owner(),
            progress=NoProgress(),
        )
        yield Desk(FeedPoller(context), database, clock)
    database.close()


# Without a hint, a poll is due half a tick (MONITOR_TICK_S, 30 s here) before its
# interval ends, so the tick nearest its interval polls it (schedule.due_at_the_nearest_tick).
TICK_LEAD_S = 15


def wait_s(feed: FeedState, clock: Clock) -> float:
    assert feed.next_due_at is not None
    return (feed.next_due_at - clock.now).total_seconds()


def test_a_busy_feed_is_polled_near_the_minimum_a_quiet_one_near_the_maximum(
    desk: Desk, loopback: LoopbackServer
) -> None:
    """An entry a minute: 120 s; an entry every two days: 3600 s; both for the observed rate."""
    busy = loopback.route(
        "/busy.xml", Route(body=rss(every(timedelta(minutes=1), 20), prefix="b"), content_type=RSS)
    )
    quiet = loopback.route(
        "/quiet.xml", Route(body=rss(every(timedelta(days=2), 3), prefix="q"), content_type=RSS)
    )
    feeds = desk.poll([FeedSpec("busy", busy), FeedSpec("quiet", quiet)])
    assert (wait_s(feeds["busy"], desk.clock), feeds["busy"].interval_reason) == (
        120 - TICK_LEAD_S,
        "observed rate",
    )
    assert (wait_s(feeds["quiet"], desk.clock), feeds["quiet"].interval_reason) == (
        3600 - TICK_LEAD_S,
        "observed rate",
    )


def test_the_feeds_own_interval_wins_over_a_busy_pace(desk: Desk, loopback: LoopbackServer) -> None:
    """interval: 7 in feeds.yaml polls a feed publishing every minute every 7 minutes."""
    url = loopback.route(
        "/own.xml", Route(body=rss(every(timedelta(minutes=1), 20)), content_type=RSS)
    )
    feed = desk.poll_one(url, interval_min=7)
    assert (wait_s(feed, desk.clock), feed.interval_reason) == (
        420 - TICK_LEAD_S,
        "feed's own interval",
    )


def test_a_new_undated_feed_waits_the_default_then_follows_what_it_sees(
    desk: Desk, loopback: LoopbackServer
) -> None:
    """No dates and no history: MONITOR_DEFAULT_INTERVAL_MIN; an entry seen later counts."""
    loopback.route("/undated.xml", Route(body=rss([None, None]), content_type=RSS))
    url = f"{loopback.base_url}/undated.xml"
    first = desk.poll_one(url)
    assert (wait_s(first, desk.clock), first.interval_reason) == (
        900 - TICK_LEAD_S,
        "no history yet",
    )
    loopback.route("/undated.xml", Route(body=rss([None, None, None]), content_type=RSS))
    desk.clock.now += timedelta(minutes=15)
    second = desk.poll_one(url)
    assert (wait_s(second, desk.clock), second.interval_reason) == (
        120 - TICK_LEAD_S,
        "observed rate",
    )


def test_cache_control_max_age_is_a_floor(desk: Desk, loopback: LoopbackServer) -> None:
    """A busy feed sent with max-age=1800 is not polled for 30 minutes."""
    url = loopback.route(
        "/cached.xml",
        Route(
            body=rss(every(timedelta(minutes=1), 20)),
            content_type=RSS,
            headers={"Cache-Control": "public, max-age=1800"},
        ),
    )
    feed = desk.poll_one(url)
    assert (wait_s(feed, desk.clock), feed.interval_reason) == (1800, "server hint")
    assert feed.hint_until == NOW + timedelta(seconds=1800)


def test_a_max_age_of_a_year_is_capped_at_the_maximum(desk: Desk, loopback: LoopbackServer) -> None:
    """A hint cannot silence a feed: a year's max-age waits MONITOR_MAX_INTERVAL_S."""
    url = loopback.route(
        "/year.xml",
        Route(
            body=rss(every(timedelta(minutes=1), 20)),
            content_type=RSS,
            headers={"Cache-Control": "max-age=31536000"},
        ),
    )
    assert wait_s(desk.poll_one(url), desk.clock) == 3600


def test_expires_counted_from_the_servers_date_is_a_floor(
    desk: Desk, loopback: LoopbackServer
) -> None:
    """Expires 1500 s after the response's Date: the feed waits that long, whatever the clock."""
    before = datetime.now(UTC).replace(microsecond=0)
    expires = before + timedelta(seconds=1500)
    url = loopback.route(
        "/expires.xml",
        Route(
            body=rss(every(timedelta(minutes=1), 20)),
            content_type=RSS,
            headers={"Expires": format_datetime(expires, usegmt=True)},
        ),
    )
    feed = desk.poll_one(url)
    after = datetime.now(UTC)
    # The server's Date lies between `before` and `after` (to the second).
    assert (expires - after).total_seconds() <= wait_s(feed, desk.clock) <= 1500
    assert feed.interval_reason == "server hint"


def test_an_rss_ttl_is_a_floor(desk: Desk, loopback: LoopbackServer) -> None:
    """<ttl>45</ttl> on a busy feed: 45 minutes."""
    url = loopback.route(
        "/ttl.xml",
        Route(
            body=rss(every(timedelta(minutes=1), 20), channel_extra="<ttl>45</ttl>"),
            content_type=RSS,
        ),
    )
    feed = desk.poll_one(url)
    assert (wait_s(feed, desk.clock), feed.interval_reason) == (2700, "server hint")


def test_sy_update_period_is_a_floor_that_a_304_keeps(desk: Desk, loopback: LoopbackServer) -> None:
    """hourly / 2 is 30 minutes; the next poll answered 304 still waits 30 minutes."""
    extra = "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
    url = loopback.route(
        "/sy.xml",
        Route(
            body=rss(every(timedelta(minutes=1), 20), channel_extra=extra),
            content_type=RSS,
            etag='"v1"',
        ),
    )
    first = desk.poll_one(url)
    assert (wait_s(first, desk.clock), first.interval_reason) == (1800, "server hint")
    desk.clock.now += timedelta(minutes=30)
    second = desk.poll_one(url)
    assert second.last_status == 304
    assert (wait_s(second, desk.clock), second.interval_reason) == (1800, "server hint")
    assert second.document_refresh_s == 1800


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_on_a_throttled_answer_is_a_floor(
    desk: Desk, loopback: LoopbackServer, status: int
) -> None:
    """HTTP 429/503 with Retry-After: 7200 waits two hours, above the backoff (30 min)."""
    url = loopback.route(
        "/throttled.xml", Route(status=status, body=b"slow down", headers={"Retry-After": "7200"})
    )
    feed = desk.poll_one(url)
    assert feed.consecutive_errors == 1
    assert (wait_s(feed, desk.clock), feed.interval_reason) == (7200, "server hint")


def test_retry_after_as_a_date_on_a_503_is_a_floor(desk: Desk, loopback: LoopbackServer) -> None:
    """A Retry-After date three hours after the server's Date waits three hours."""
    before = datetime.now(UTC).replace(microsecond=0)
    retry = before + timedelta(hours=3)
    url = loopback.route(
        "/down.xml",
        Route(
            status=503, body=b"down", headers={"Retry-After": format_datetime(retry, usegmt=True)}
        ),
    )
    feed = desk.poll_one(url)
    after = datetime.now(UTC)
    assert (retry - after).total_seconds() <= wait_s(feed, desk.clock) <= 3 * 3600
    assert feed.interval_reason == "server hint"


def test_a_failure_without_retry_after_backs_off(desk: Desk, loopback: LoopbackServer) -> None:
    """A 500 doubles the interval in use (15 minutes for a new feed): 30 minutes."""
    url = loopback.route("/broken.xml", Route(status=500, body=b"oops"))
    feed = desk.poll_one(url)
    assert (wait_s(feed, desk.clock), feed.interval_reason) == (1800, "backoff")


def test_monitor_feeds_shows_the_interval_its_reason_and_the_median_delay(
    desk: Desk, loopback: LoopbackServer, tmp_path: Path
) -> None:
    """--json adds interval_s, interval_reason, hint_until and median_delay_s; the table
    shows them too."""
    dates = every(timedelta(minutes=1), 20)
    loopback.route("/wire.xml", Route(body=rss(dates), content_type=RSS))
    url = f"{loopback.base_url}/wire.xml"
    desk.poll_one(url)
    desk.clock.now += timedelta(minutes=5)
    fresh = [NOW + timedelta(minutes=4), NOW + timedelta(minutes=2)]  # seen 60 s and 180 s late
    loopback.route("/wire.xml", Route(body=rss([*fresh, *dates]), content_type=RSS))
    desk.poll_one(url)

    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "feeds.yaml").write_text(f"feeds:\n  - name: wire\n    url: {url}\n")
    env = {"MONITOR_DATA_DIR": str(tmp_path / "data"), "MONITOR_RULES_DIR": str(rules)}
    result = CliRunner().invoke(app, ["feeds", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    [row] = rows
    assert row["interval_s"] == 120
    assert row["interval_reason"] == "observed rate"
    assert row["median_delay_s"] == 120  # the median of 60 s and 180 s
    assert "hint_until" in row
    table = CliRunner().invoke(app, ["feeds"], env=env).stdout
    assert "observed rate" in table and "2m" in table


def test_the_pace_is_read_from_the_newest_entries_even_of_a_big_first_poll(
    database: Database,
) -> None:
    """A first poll listing more entries than the sample (their guids sorting oldest
    first by chance) gives the schedule its newest entries, not the first by guid."""
    database.sync_feeds(
        [FeedSpec("wire", "https://wire.example/feed.xml")], default_interval_min=15
    )
    [feed] = database.feeds()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    items = [
        FeedItem(
            guid=f"urn:{n:03d}",  # guid order is the reverse of publication order
            url=f"https://wire.example/{n}",
            title=f"Item {n}",
            published_at=now - timedelta(minutes=n),
            summary="",
        )
        for n in range(RECENT_SIGHTINGS + 30)
    ]
    database.add_feed_items(feed.feed_id, items, now)

    sample = database.recent_sightings(feed.feed_id)

    stated = [published for published, _ in sample]
    assert stated == [now - timedelta(minutes=n) for n in range(RECENT_SIGHTINGS)]
