"""When to poll a feed next: its observed publication rate, bounded, with the outlet's
hints as floors (pure: values in, a time out; it never reads the clock).

The rate follows Miniflux's `entry_frequency` scheduler (interval = a week / the entries
of the week, clamped), with the window drawn from the data instead of fixed at a week,
so the same code serves minutes in production and seconds in a bench: the interval is
the time from the oldest of a feed's recent entries to now, divided by the gaps among
them. A feed that stops publishing sees that span grow with every poll, so its interval
roughly doubles each time until it reaches the maximum.

Precedence, highest first: a feed's own `interval` in feeds.yaml; a live WebSub
subscription (the hub pushes, polling is the safety net: the maximum); the observed
rate; MONITOR_DEFAULT_INTERVAL_MIN for a feed with no history yet. Then the floors: the
HTTP freshness the server states (Cache-Control max-age, Expires: a cache would hand
back the same bytes anyway) always; the document's RSS <ttl> and sy:updatePeriod only
for a feed without its own interval (they are often a template's default). Every floor
is capped (a hint of a year does not silence a feed). After a failure: the backoff,
doubling per error, and a Retry-After on 429/503 as its floor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from statistics import median

from monitor.model import CacheHeaders, is_plausible_date

# The newest entries the rate is estimated from, and how far back they may lie: older
# entries say nothing about today's pace (Miniflux counts one week).
RATE_SAMPLE = 20
RATE_LOOKBACK = timedelta(days=7)
# Consecutive errors past which the backoff stops doubling (the cap applies anyway).
MAX_BACKOFF_DOUBLINGS = 16
# Bound on a hint as written, before any cap: ten years; beyond is garbage, not a hint.
MAX_HINT_S = 3652 * 86_400.0


class Reason(StrEnum):
    """Why a feed is polled at its interval (`monitor feeds` shows it)."""

    RATE = "observed rate"
    NEW = "no history yet"
    OWN = "feed's own interval"
    HINT = "server hint"
    PUSH = "push"
    BACKOFF = "backoff"


@dataclass(frozen=True, slots=True)
class Bounds:
    """The schedule's settings, in seconds."""

    min_s: float  # MONITOR_MIN_INTERVAL_S
    max_s: float  # MONITOR_MAX_INTERVAL_S
    new_feed_s: float  # MONITOR_DEFAULT_INTERVAL_MIN
    max_backoff_s: float  # MONITOR_MAX_BACKOFF_MIN

    def clamp(self, interval_s: float) -> float:
        return min(max(interval_s, self.min_s), self.max_s)


@dataclass(frozen=True, slots=True)
class Sighting:
    """One feed entry: the date its feed stated (None: none) and when monitor first saw it."""

    published_at: datetime | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Hints:
    """What the outlet asked, in seconds from now (None: nothing)."""

    http_s: float | None = None  # Cache-Control max-age or Expires
    document_s: float | None = None  # RSS <ttl>, sy:updatePeriod / sy:updateFrequency
    retry_after_s: float | None = None  # Retry-After (on 429/503, or any answer)


@dataclass(frozen=True, slots=True)
class Plan:
    """The next poll: after `interval_s`, for `reason`; `hint_until` when a hint set it."""

    interval_s: float
    reason: Reason
    next_due_at: datetime
    hint_until: datetime | None = None


# -- the observed rate ---------------------------------------------------------------


def stated_date(sighting: Sighting) -> datetime | None:
    """The entry's stated date when it can be its publication: plausible, and not after
    its first sight (a future date is not yet a publication)."""
    stated, seen = sighting.published_at, sighting.first_seen_at
    if stated is not None and is_plausible_date(stated, seen) and stated <= seen:
        return stated
    return None


def publication_times(
    sightings: Iterable[Sighting], *, backlog_seen_at: datetime | None
) -> list[datetime]:
    """When each entry was published as far as monitor can tell: its usable stated date,
    else its first sight. An undated entry of the feed's first poll (`backlog_seen_at`)
    is skipped: its first sight says when monitor subscribed, not when it was published."""
    times = []
    for sighting in sightings:
        stated = stated_date(sighting)
        if stated is not None:
            times.append(stated)
        elif not _in_backlog(sighting, backlog_seen_at):
            times.append(sighting.first_seen_at)
    return times


def observed_interval_s(times: Sequence[datetime], now: datetime) -> float | None:
    """The mean time between publications, counting the silence up to now; None when the
    feed has no history. Entries older than RATE_LOOKBACK count as none (the lookback is
    returned, which the bounds clamp to the maximum)."""
    if not times:
        return None
    recent = sorted(t for t in times if now - RATE_LOOKBACK <= t <= now)[-RATE_SAMPLE:]
    if not recent:
        return RATE_LOOKBACK.total_seconds()
    span_s = (now - recent[0]).total_seconds()
    return span_s / max(len(recent) - 1, 1)


def median_delay_s(
    sightings: Iterable[Sighting], *, backlog_seen_at: datetime | None
) -> float | None:
    """The median delay from publication to first sight over the entries with a usable
    date, the backlog left out (it was published before monitor subscribed); None when
    there are none."""
    delays = [
        (sighting.first_seen_at - stated).total_seconds()
        for sighting in sightings
        if (stated := stated_date(sighting)) is not None
        and not _in_backlog(sighting, backlog_seen_at)
    ]
    return median(delays) if delays else None


def _in_backlog(sighting: Sighting, backlog_seen_at: datetime | None) -> bool:
    return backlog_seen_at is not None and sighting.first_seen_at <= backlog_seen_at


# -- the outlet's hints --------------------------------------------------------------


def http_freshness_s(cache: CacheHeaders, now: datetime) -> float | None:
    """How long the response stays fresh by its own headers: max-age (less Age) over
    Expires (less Date, else now); None for no-cache/no-store or nothing usable."""
    directives = _cache_directives(cache.cache_control)
    if "no-store" in directives or "no-cache" in directives:
        return None
    if "max-age" in directives:
        max_age = _seconds(directives["max-age"])
        if max_age is None:
            return None
        return _positive(max_age - (_seconds(cache.age) or 0.0))
    expires = _http_date(cache.expires)
    if expires is None:
        return None
    base = _http_date(cache.date) or now
    return _positive((expires - base).total_seconds())


def retry_after_s(cache: CacheHeaders, now: datetime) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (less Date, else now)."""
    value = (cache.retry_after or "").strip()
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return _positive(seconds)
    when = _http_date(value)
    if when is None:
        return None
    return _positive((when - (_http_date(cache.date) or now)).total_seconds())


def _cache_directives(header: str | None) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in (header or "").split(",")[:32]:
        name, _, value = part.strip().partition("=")
        if name:
            directives.setdefault(name.strip().lower(), value.strip().strip('"'))
    return directives


def _seconds(value: str | None) -> float | None:
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 12:
        return None
    return min(float(text), MAX_HINT_S)


def _positive(seconds: float) -> float | None:
    return min(seconds, MAX_HINT_S) if seconds > 0 else None


def _http_date(value: str | None) -> datetime | None:
    if not value or len(value) > 64:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else None


# -- the plan ------------------------------------------------------------------------


def plan_after_success(
    now: datetime,
    bounds: Bounds,
    *,
    own_interval_s: float | None,
    push_lease_until: datetime | None,
    observed_s: float | None,
    hints: Hints,
) -> Plan:
    """The next poll after a successful one (see the module's precedence)."""
    if own_interval_s is not None:
        interval_s, reason = own_interval_s, Reason.OWN
    elif push_lease_until is not None and push_lease_until > now:
        interval_s, reason = bounds.max_s, Reason.PUSH
    elif observed_s is None:
        interval_s, reason = bounds.clamp(bounds.new_feed_s), Reason.NEW
    else:
        interval_s, reason = bounds.clamp(observed_s), Reason.RATE
    floors = [hints.http_s, hints.retry_after_s]
    if own_interval_s is None:
        floors.append(hints.document_s)
    return _with_floor(now, interval_s, reason, floors, cap_s=max(bounds.max_s, interval_s))


def due_at_the_nearest_tick(plan: Plan, tick_s: float) -> Plan:
    """The plan due half a tick early (at most half its interval), unless a hint or the
    backoff set it. Due feeds are looked for once a tick, and a poll is recorded a moment
    after its tick, so a feed due exactly `interval_s` later would just miss the tick
    then and wait a whole tick more, every time (120 s and a 30 s tick: every 150 s).
    Half a tick early, it is polled at the tick nearest its due time: on average at its
    interval. An outlet's hint is a floor and is never anticipated."""
    if plan.reason in (Reason.HINT, Reason.BACKOFF):
        return plan
    lead = timedelta(seconds=min(tick_s, plan.interval_s) / 2)
    return replace(plan, next_due_at=plan.next_due_at - lead)


def plan_after_failure(
    now: datetime, bounds: Bounds, *, base_s: float, consecutive_errors: int, hints: Hints
) -> Plan:
    """The next poll after a failed one: `base_s` doubled per consecutive error (this one
    included), capped at MONITOR_MAX_BACKOFF_MIN; a Retry-After is the floor."""
    doublings = min(consecutive_errors + 1, MAX_BACKOFF_DOUBLINGS)
    delay_s = min(base_s * 2**doublings, bounds.max_backoff_s)
    return _with_floor(
        now, delay_s, Reason.BACKOFF, [hints.retry_after_s], cap_s=bounds.max_backoff_s
    )


def _with_floor(
    now: datetime,
    interval_s: float,
    reason: Reason,
    floors: Sequence[float | None],
    *,
    cap_s: float,
) -> Plan:
    floor_s = min(max((f for f in floors if f is not None), default=0.0), cap_s)
    if floor_s > interval_s:
        hint_until = now + timedelta(seconds=floor_s)
        return Plan(floor_s, Reason.HINT, hint_until, hint_until)
    return Plan(interval_s, reason, now + timedelta(seconds=interval_s))
