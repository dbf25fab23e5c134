"""What fails in daily operation, for /healthz's `degraded` and the backlog gauges.

Input: the database (feeds' error counters, the alert outbox), the last refused rules
reload, the thresholds from the settings and a clock. Output: `VitalSigns`, the
`reasons` a running daemon is degraded (one line each, with what to look at), and the
gauges `monitor_feeds_failing`, `monitor_alerts_waiting` and
`monitor_oldest_waiting_alert_age_seconds`, set on every read.

The signs come from the database, not from this process's memory, so every replica
reports the shared state and a restart does not hide a failing feed. A degraded daemon
still answers 200: it is alive, and restarting it would not fix a dead outlet or Slack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from monitor.config import Settings
from monitor.metrics import Metrics
from monitor.redact import redact_text
from monitor.store import Database

# Names of failing feeds shown in a reason; the rest are counted.
MAX_NAMED_FEEDS = 3
# Longest error text quoted in a reason.
MAX_QUOTED_CHARS = 160


@dataclass(frozen=True, slots=True)
class RulesFailure:
    """The last rules reload the daemon refused (it kept its last good rules)."""

    at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class VitalSigns:
    """What is failing or waiting now."""

    feeds: int
    failing_feeds: tuple[str, ...]
    alerts_waiting: int
    oldest_waiting_age_s: float | None
    # The pending alert failing longest: its id, how long, and its last error.
    failing_alert_id: int | None = None
    delivery_failing_s: float | None = None
    delivery_error: str | None = None
    rules_failure: RulesFailure | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a sign makes the daemon degraded (MONITOR_DEGRADED_*)."""

    feed_share: float
    delivery_s: float

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(settings.degraded_feed_share, settings.degraded_delivery_s)


def degraded_reasons(signs: VitalSigns, limits: Thresholds) -> list[str]:
    """Why the daemon is degraded, one line each; empty when it is not (pure)."""
    found = (
        _feeds_reason(signs, limits),
        _delivery_reason(signs, limits),
        _rules_reason(signs.rules_failure),
    )
    return [reason for reason in found if reason]


def _feeds_reason(signs: VitalSigns, limits: Thresholds) -> str | None:
    failing, total = len(signs.failing_feeds), signs.feeds
    if not failing or not total:
        return None
    if failing < total and failing / total <= limits.feed_share:
        return None
    named = ", ".join(signs.failing_feeds[:MAX_NAMED_FEEDS])
    more = failing - MAX_NAMED_FEEDS
    names = f"{named} and {more} more" if more > 0 else named
    look = "see `monitor feeds` for each last_error"
    if failing == total:
        subject = "the only feed is" if total == 1 else f"all {total} feeds are"
        return f"{subject} failing ({names}); {look}"
    return (
        f"{failing} of {total} feeds are failing ({names}), more than "
        f"MONITOR_DEGRADED_FEED_SHARE ({limits.feed_share:g}); {look}"
    )


def _delivery_reason(signs: VitalSigns, limits: Thresholds) -> str | None:
    failing_s = signs.delivery_failing_s
    if failing_s is None or failing_s <= limits.delivery_s:
        return None
    error = _quoted(signs.delivery_error)
    return (
        f"alert delivery has been failing for {failing_s:.0f} s (more than "
        f"MONITOR_DEGRADED_DELIVERY_S, {limits.delivery_s:g}): alert #{signs.failing_alert_id} "
        f"and the {signs.alerts_waiting} waiting{error}; see `monitor alerts`"
    )


def _rules_reason(failure: RulesFailure | None) -> str | None:
    if failure is None:
        return None
    return (
        f"the rules reload at {failure.at.isoformat(timespec='seconds')} failed, so the "
        f"last good rules are in use{_quoted(failure.error)}; fix the file "
        "(`monitor rules check`)"
    )


def _quoted(error: str | None) -> str:
    if not error:
        return ""
    text = " ".join(redact_text(error).split())
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 1] + "…"
    return f" ({text})"


def read_vital_signs(
    database: Database, now: datetime, rules_failure: RulesFailure | None = None
) -> VitalSigns:
    """The signs as the database shows them at `now`."""
    feeds = database.feeds()
    outbox = database.outbox_state()
    oldest = outbox.oldest_created_at
    since = outbox.failing_since
    return VitalSigns(
        feeds=len(feeds),
        failing_feeds=tuple(f.name for f in feeds if f.consecutive_errors > 0),
        alerts_waiting=outbox.waiting,
        oldest_waiting_age_s=(now - oldest).total_seconds() if oldest else None,
        failing_alert_id=outbox.failing_alert_id,
        delivery_failing_s=(now - since).total_seconds() if since else None,
        delivery_error=outbox.failing_error,
        rules_failure=rules_failure,
    )


class Vitals:
    """Reads the signs, sets the backlog gauges, and says why the daemon is degraded."""

    def __init__(
        self,
        database: Database,
        limits: Thresholds,
        metrics: Metrics,
        *,
        clock: Callable[[], datetime],
        rules_failure: Callable[[], RulesFailure | None] = lambda: None,
    ) -> None:
        self.database = database
        self.limits = limits
        self.metrics = metrics
        self.clock = clock
        self.rules_failure = rules_failure

    def read(self) -> VitalSigns:
        signs = read_vital_signs(self.database, self.clock(), self.rules_failure())
        self.metrics.record_backlog(
            feeds_failing=len(signs.failing_feeds),
            alerts_waiting=signs.alerts_waiting,
            oldest_waiting_age_s=signs.oldest_waiting_age_s,
        )
        return signs

    def reasons(self) -> list[str]:
        """Why the daemon is degraded now (empty: it is not); the gauges are refreshed."""
        return degraded_reasons(self.read(), self.limits)
