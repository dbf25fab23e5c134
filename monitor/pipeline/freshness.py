"""How fresh each feed keeps the desk, as `monitor feeds` shows it: the interval a feed
is polled at now and why, and how long its entries took to reach monitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.pipeline.schedule import Reason, Sighting, median_delay_s
from monitor.store import Database, FeedState


@dataclass(frozen=True, slots=True)
class FeedFreshness:
    """One feed's schedule and delay: `interval_s` from its last poll to its next (the
    interval in use before its first poll), `reason` a `schedule.Reason` value, and the
    median delay of its last entries from publication to first sight (None: no dated
    entry seen since its first poll)."""

    interval_s: float
    reason: str
    hint_until: datetime | None
    median_delay_s: float | None


def feed_freshness(database: Database, feed: FeedState, now: datetime) -> FeedFreshness:
    """The feed's current schedule and the median delay of its last entries."""
    sightings = [Sighting(p, seen) for p, seen in database.recent_sightings(feed.feed_id)]
    return FeedFreshness(
        interval_s=current_interval_s(feed),
        reason=current_reason(feed, now),
        hint_until=feed.hint_until if feed.hint_until and feed.hint_until > now else None,
        median_delay_s=median_delay_s(sightings, backlog_seen_at=feed.first_polled_at),
    )


def current_interval_s(feed: FeedState) -> float:
    """The interval the last poll decided; for a hint or a backoff, from the last poll to
    the next. (Not that span otherwise: a poll falls due half a tick early, so the tick
    nearest its interval takes it; see schedule.due_at_the_nearest_tick.)"""
    if (
        feed.interval_reason in (Reason.HINT, Reason.BACKOFF)
        and feed.last_fetched_at is not None
        and feed.next_due_at is not None
    ):
        return max((feed.next_due_at - feed.last_fetched_at).total_seconds(), 0.0)
    return feed.interval_min * 60


def current_reason(feed: FeedState, now: datetime) -> str:
    """Why the feed is polled at its interval: what its last poll decided; push while a
    subscription is live; its own interval or no history before its first poll."""
    if feed.push_lease_until is not None and feed.push_lease_until > now:
        return Reason.PUSH.value
    if feed.interval_reason:
        return feed.interval_reason
    return (Reason.OWN if feed.own_interval_min is not None else Reason.NEW).value


def short_duration(seconds: float | None) -> str:
    """'45s', '12m', '3.5h', '2d' for a table; '-' for None."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86_400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            value = seconds / size
            shown = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
            return shown + unit
    return f"{seconds:.0f}s"
