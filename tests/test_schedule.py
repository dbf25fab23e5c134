"""The adaptive schedule as pure functions: a feed's pace, the outlet's hints, the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.ingest.feeds import document_refresh_s, parse_feed
from monitor.metrics import Metrics
from monitor.model import CacheHeaders
from monitor.pipeline.freshness import short_duration
from monitor.pipeline.schedule import (
    Bounds,
    Hints,
    Reason,
    Sighting,
    http_freshness_s,
    median_delay_s,
    observed_interval_s,
    plan_after_failure,
    plan_after_success,
    publication_times,
    retry_after_s,
)

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
BOUNDS = Bounds(min_s=120, max_s=3600, new_feed_s=900, max_backoff_s=86_400)
NO_HINTS = Hints()


def _every(step: timedelta, count: int) -> list[datetime]:
    return [NOW - step * i for i in range(count)]


def _plan(observed_s: float | None, hints: Hints = NO_HINTS, **kw: object) -> tuple[float, str]:
    plan = plan_after_success(
        NOW,
        BOUNDS,
        own_interval_s=kw.get("own_interval_s"),  # type: ignore[arg-type]
        push_lease_until=kw.get("push_lease_until"),  # type: ignore[arg-type]
        observed_s=observed_s,
        hints=hints,
    )
    assert plan.next_due_at == NOW + timedelta(seconds=plan.interval_s)
    return plan.interval_s, plan.reason.value


def test_a_busy_feed_is_polled_at_the_minimum_and_a_quiet_one_at_the_maximum() -> None:
    """An entry a minute clamps to the minimum; one every two days to the maximum."""
    busy = observed_interval_s(_every(timedelta(minutes=1), 30), NOW)
    quiet = observed_interval_s(_every(timedelta(days=2), 4), NOW)
    assert busy == pytest.approx(60)
    assert _plan(busy) == (120, "observed rate")
    assert _plan(quiet) == (3600, "observed rate")


def test_a_feed_publishing_every_ten_minutes_is_polled_every_ten_minutes() -> None:
    """Between the bounds, the interval is the mean time between entries (Miniflux's rule)."""
    interval_s, reason = _plan(observed_interval_s(_every(timedelta(minutes=10), 25), NOW))
    assert (round(interval_s), reason) == (600, "observed rate")


def test_a_feed_that_falls_silent_slows_down_poll_after_poll() -> None:
    """The silence since the last entry counts: the interval grows with it."""
    burst = [NOW - timedelta(hours=3) - timedelta(minutes=i) for i in range(5)]
    assert observed_interval_s(burst, NOW) == pytest.approx((3 * 3600 + 240) / 4)
    assert observed_interval_s(burst, NOW + timedelta(hours=3)) == pytest.approx(
        (6 * 3600 + 240) / 4
    )


def test_entries_older_than_a_week_mean_a_quiet_feed_and_no_entries_a_new_one() -> None:
    """No entry in the lookback: the maximum; no entry at all: the new-feed interval."""
    assert _plan(observed_interval_s([NOW - timedelta(days=30)], NOW)) == (3600, "observed rate")
    assert observed_interval_s([], NOW) is None
    assert _plan(None) == (900, "no history yet")


def test_the_feeds_own_interval_wins_over_its_pace_and_its_document() -> None:
    """feeds.yaml's interval beats the observed rate and the ttl, not the HTTP freshness."""
    assert _plan(60, own_interval_s=420.0) == (420, "feed's own interval")
    assert _plan(60, Hints(document_s=1800), own_interval_s=420.0) == (420, "feed's own interval")
    assert _plan(60, Hints(http_s=900), own_interval_s=420.0) == (900, "server hint")


def test_a_live_push_subscription_drops_polling_to_the_maximum_until_it_lapses() -> None:
    """While push_lease_until is ahead, the maximum (reason push); after it, the pace again."""
    assert _plan(60, push_lease_until=NOW + timedelta(days=1)) == (3600, "push")
    assert _plan(60, push_lease_until=NOW - timedelta(seconds=1)) == (120, "observed rate")


def test_a_hint_is_a_floor_capped_at_the_maximum() -> None:
    """max-age above the interval sets it; a year's hint is cut to MONITOR_MAX_INTERVAL_S."""
    plan = plan_after_success(
        NOW, BOUNDS, own_interval_s=None, push_lease_until=None, observed_s=60,
        hints=Hints(http_s=1800),
    )  # fmt: skip
    assert (plan.interval_s, plan.reason, plan.hint_until) == (
        1800,
        Reason.HINT,
        NOW + timedelta(seconds=1800),
    )
    assert _plan(60, Hints(document_s=365 * 86_400.0)) == (3600, "server hint")
    assert _plan(3000, Hints(http_s=60)) == (3000, "observed rate")


def test_backoff_doubles_per_error_and_a_retry_after_is_its_floor() -> None:
    """Errors double the interval (capped); Retry-After above the backoff sets the wait."""
    first = plan_after_failure(NOW, BOUNDS, base_s=120, consecutive_errors=0, hints=NO_HINTS)
    third = plan_after_failure(NOW, BOUNDS, base_s=120, consecutive_errors=2, hints=NO_HINTS)
    many = plan_after_failure(NOW, BOUNDS, base_s=120, consecutive_errors=40, hints=NO_HINTS)
    assert (first.interval_s, third.interval_s, many.interval_s) == (240, 960, 86_400)
    assert first.reason is Reason.BACKOFF
    told = plan_after_failure(
        NOW, BOUNDS, base_s=120, consecutive_errors=0, hints=Hints(retry_after_s=7200)
    )
    assert (told.interval_s, told.reason) == (7200, Reason.HINT)
    silenced = plan_after_failure(
        NOW, BOUNDS, base_s=120, consecutive_errors=0, hints=Hints(retry_after_s=10**9)
    )
    assert silenced.interval_s == 86_400  # never longer than MONITOR_MAX_BACKOFF_MIN


@pytest.mark.parametrize(
    ("cache", "expected"),
    [
        pytest.param(CacheHeaders(cache_control="public, max-age=600"), 600, id="max-age"),
        pytest.param(CacheHeaders(cache_control="max-age=600", age="100"), 500, id="age"),
        pytest.param(CacheHeaders(cache_control="no-cache, max-age=600"), None, id="no-cache"),
        pytest.param(CacheHeaders(cache_control="max-age=abc"), None, id="garbage"),
        pytest.param(
            CacheHeaders(
                expires="Sat, 10 Jan 2026 12:15:00 GMT", date="Sat, 10 Jan 2026 12:00:00 GMT"
            ),
            900,
            id="expires-date",
        ),
        pytest.param(CacheHeaders(expires="Sat, 10 Jan 2026 12:05:00 GMT"), 300, id="expires-now"),
        pytest.param(CacheHeaders(expires="0"), None, id="expires-0"),
        pytest.param(CacheHeaders(expires="Sat, 10 Jan 2026 11:00:00 GMT"), None, id="expired"),
    ],
)
def test_http_freshness_reads_max_age_then_expires(
    cache: CacheHeaders, expected: float | None
) -> None:
    """max-age less Age, else Expires less Date (else the clock); no-cache and junk: none."""
    assert http_freshness_s(cache, NOW) == expected


def test_retry_after_reads_seconds_or_a_date() -> None:
    """Retry-After is a number of seconds or an HTTP date (counted from Date, else now)."""
    assert retry_after_s(CacheHeaders(retry_after="120"), NOW) == 120
    dated = CacheHeaders(
        retry_after="Sat, 10 Jan 2026 13:00:00 GMT", date="Sat, 10 Jan 2026 12:30:00 GMT"
    )
    assert retry_after_s(dated, NOW) == 1800
    assert retry_after_s(CacheHeaders(retry_after="soon"), NOW) is None
    assert retry_after_s(CacheHeaders(), NOW) is None


def test_a_documents_ttl_or_syndication_period_becomes_seconds() -> None:
    """<ttl> is minutes; sy:updatePeriod is divided by sy:updateFrequency; junk is none."""
    assert document_refresh_s("45", None, None) == 2700
    assert document_refresh_s(None, "hourly", "2") == 1800
    assert document_refresh_s(None, " Daily ", None) == 86_400
    assert document_refresh_s("soon", "fortnightly", "2") is None
    feed = parse_feed(
        b"<rss version='2.0' xmlns:sy='http://purl.org/rss/1.0/modules/syndication/'>"
        b"<channel><title>t</title><sy:updatePeriod>hourly</sy:updatePeriod>"
        b"<sy:updateFrequency>4</sy:updateFrequency><item><title>a</title>"
        b"<link>https://x.example/a</link></item></channel></rss>",
        url="https://x.example/rss",
    )
    assert feed.refresh_s == 900


def test_publication_times_take_plausible_dates_else_first_sight_but_not_the_backlogs() -> None:
    """A future or implausible date gives way to the first sight; undated backlog is skipped."""
    subscribed = NOW - timedelta(hours=1)
    sightings = [
        Sighting(NOW - timedelta(minutes=5), NOW),  # dated: its date
        Sighting(NOW + timedelta(hours=2), NOW),  # ahead of its first sight: the sight
        Sighting(datetime(1970, 1, 1, tzinfo=UTC), NOW),  # implausible: the sight
        Sighting(None, subscribed),  # undated, in the first poll: skipped
        Sighting(subscribed - timedelta(days=1), subscribed),  # dated backlog: kept
    ]
    assert publication_times(sightings, backlog_seen_at=subscribed) == [
        NOW - timedelta(minutes=5),
        NOW,
        NOW,
        subscribed - timedelta(days=1),
    ]


def test_median_delay_counts_dated_entries_seen_after_the_first_poll() -> None:
    """Publication to first sight, over dated entries not in the backlog."""
    subscribed = NOW - timedelta(hours=1)
    sightings = [
        Sighting(NOW - timedelta(minutes=1), NOW),
        Sighting(NOW - timedelta(minutes=3), NOW),
        Sighting(NOW - timedelta(minutes=9), NOW),
        Sighting(None, NOW),
        Sighting(subscribed - timedelta(days=3), subscribed),
    ]
    assert median_delay_s(sightings, backlog_seen_at=subscribed) == 180
    assert median_delay_s([Sighting(None, NOW)], backlog_seen_at=None) is None


def test_alert_latency_counts_from_publication_or_else_first_sight() -> None:
    """A date ahead of the first sight, or none, counts from the first sight."""
    metrics = Metrics()
    seen = NOW - timedelta(minutes=2)
    delivered = NOW
    assert (
        metrics.record_alert_latency("update", (NOW - timedelta(minutes=5), seen), delivered) == 300
    )
    assert (
        metrics.record_alert_latency("update", (NOW + timedelta(hours=1), seen), delivered) == 120
    )
    assert metrics.record_alert_latency("update", (None, seen), delivered) == 120
    assert metrics.record_alert_latency("update", (None, None), delivered) is None
    count = metrics.registry.get_sample_value(
        "monitor_alert_latency_seconds_count", {"kind": "update"}
    )
    total = metrics.registry.get_sample_value(
        "monitor_alert_latency_seconds_sum", {"kind": "update"}
    )
    assert (count, total) == (3, 540)


def test_durations_read_short_in_a_table() -> None:
    """Seconds, minutes, hours and days, one decimal under ten."""
    assert [short_duration(s) for s in (45, 120, 90, 5400, 36_000, 172_800, None)] == [
        "45s",
        "2m",
        "1.5m",
        "1.5h",
        "10h",
        "2d",
        "-",
    ]
