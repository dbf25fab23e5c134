"""Prometheus metrics for the daemon, on a registry of their own.

Input: calls from the pipeline and the alert stage (`record_feed_poll`,
`record_article`, `record_cycle`, ...). Output: counters, a histogram and
gauges in `Metrics.registry`, which `monitor.service.health` serves as `/metrics`.

Each `Metrics()` owns a fresh `CollectorRegistry` (never prometheus_client's
global one), so tests build their own and start from zero. The daemon uses
the module-level `METRICS`.

Exported names (counters get prometheus_client's `_total` suffix):

    monitor_feed_polls_total{outcome}          ok | not_modified | error
    monitor_fetch_errors_total{kind}           see FETCH_ERROR_KINDS
    monitor_articles_processed_total{status}   extracted | fetch_failed | extract_failed | duplicate
                                               | analysis_failed
    monitor_claims_recorded_total
    monitor_rechecks_total{outcome}            see RECHECK_OUTCOMES
    monitor_alerts_raised_total{kind}
    monitor_alerts_delivered_total
    monitor_alerts_failed_total
    monitor_cycle_duration_seconds             histogram
    monitor_alert_latency_seconds{kind}        histogram: an article's publication (or first
                                               sight, when its date is missing or ahead of it)
                                               to Slack's ok
    monitor_rules_reload_failures_total        rule edits refused (the last good rules stay)
    monitor_websub_notifications_total{outcome} signed pushes: queued (entries stored) | poll
    monitor_websub_rejected_total{reason}      pushes ignored: see WEBSUB_REJECTIONS
    monitor_last_success_timestamp_seconds     Unix time of the last successful cycle
    monitor_feeds_failing                      active feeds whose last poll failed
    monitor_alerts_waiting                     alerts in the outbox (pending)
    monitor_oldest_waiting_alert_age_seconds   age of the oldest pending alert (0: none)

The last three are read from the database when /healthz or /metrics is asked
(`monitor.service.vitals`), so every replica reports the shared state.

    monitor_alert_feedback_total{verdict}      the desk's verdicts on alerts from Slack
                                               (useful | wrong | wrong_incident | mute)

is read from the database at each scrape too (`count_feedback_with`): a counter every
replica reports alike, so take max(), not sum(), across replicas.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.model import Verdict

log = logging.getLogger(__name__)

POLL_OUTCOMES = ("ok", "not_modified", "error")
ARTICLE_STATUSES = ("extracted", "fetch_failed", "extract_failed", "duplicate", "analysis_failed")
FETCH_ERROR_KINDS = (
    "dns",
    "timeout",
    "too_large",
    "blocked_address",
    "http_status",
    "redirects",
    "parse",
    "other",
)
# How a failed name lookup reads: fetch's own words ("cannot resolve HOST (...)", "timed
# out after N s resolving HOST", "HOST resolves to no address") and the resolver's.
_DNS_SIGNS = (
    "cannot resolve ",
    " resolving ",
    "resolves to no address",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "getaddrinfo failed",
)
# A re-check of a published article: the server said 304, the bytes were the same,
# the extracted text was the same, the text changed (a new revision), or it failed.
RECHECK_OUTCOMES = ("not_modified", "same_page", "same_text", "edited", "failed")
# A WebSub notification taken: its entries stored, or (a body without entries) a poll.
WEBSUB_OUTCOMES = ("queued", "poll")
# Why a notification was ignored (monitor.ingest.websub.Rejection).
WEBSUB_REJECTIONS = ("unsigned", "unsupported_method", "bad_signature", "unknown_callback")
# A cycle polls up to dozens of feeds and extracts their new pages: seconds to minutes.
CYCLE_BUCKETS_S = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
# Publication to Slack: seconds when pushed, minutes when polled, hours for a slow outlet
# (and days for an edit found by a re-check: the `kind` label tells them apart).
LATENCY_BUCKETS_S = (
    *(1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0),
    *(1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 24 * 3600.0, 7 * 86400.0),
)


def classify_fetch_error(message: str) -> str:
    """The `kind` label for a FetchError message (one of FETCH_ERROR_KINDS)."""
    text = message.lower()
    if any(sign in text for sign in _DNS_SIGNS):
        return "dns"
    if " timed out after " in text:
        return "timeout"
    if text.startswith("fetch: response from ") and " exceeds " in text:
        return "too_large"
    if text.startswith("fetch: refused ") and " address" in text:
        return "blocked_address"
    if " answered http " in text:
        return "http_status"
    if "too many redirects" in text:
        return "redirects"
    if text.startswith("feed:") or "not a feed" in text:
        return "parse"
    return "other"


def _check_label(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")
    return value


class Metrics:
    """The daemon's metrics, registered on `registry` (a fresh one unless given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.last_success_at: datetime | None = None
        self.feed_polls = Counter(
            "monitor_feed_polls",
            "Feed polls, by outcome (ok, not_modified, error).",
            ["outcome"],
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "monitor_fetch_errors",
            "Failed fetches of feeds and pages, by kind of failure.",
            ["kind"],
            registry=self.registry,
        )
        self.articles_processed = Counter(
            "monitor_articles_processed",
            "Articles processed, by resulting status.",
            ["status"],
            registry=self.registry,
        )
        self.rechecks = Counter(
            "monitor_rechecks",
            "Re-fetches of published articles, by outcome (see RECHECK_OUTCOMES).",
            ["outcome"],
            registry=self.registry,
        )
        self.claims_recorded = Counter(
            "monitor_claims_recorded", "Claims added to the ledger.", registry=self.registry
        )
        self.alerts_raised = Counter(
            "monitor_alerts_raised", "Alerts raised, by kind.", ["kind"], registry=self.registry
        )
        self.alerts_delivered = Counter(
            "monitor_alerts_delivered", "Alerts delivered to Slack.", registry=self.registry
        )
        self.alerts_failed = Counter(
            "monitor_alerts_failed", "Alerts Slack refused or timed out.", registry=self.registry
        )
        self.cycle_duration = Histogram(
            "monitor_cycle_duration_seconds",
            "Wall time of one poll-and-process cycle.",
            buckets=CYCLE_BUCKETS_S,
            registry=self.registry,
        )
        self.alert_latency = Histogram(
            "monitor_alert_latency_seconds",
            "From an article's publication (or first sight) to Slack's ok, by alert kind.",
            ["kind"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.last_success = Gauge(
            "monitor_last_success_timestamp_seconds",
            "Unix time at which the last successful cycle finished (0: none yet).",
            registry=self.registry,
        )
        self.rules_reload_failures = Counter(
            "monitor_rules_reload_failures",
            "Rule edits the running daemon refused, keeping its last good rules.",
            registry=self.registry,
        )
        self.feeds_failing = Gauge(
            "monitor_feeds_failing",
            "Active feeds whose last poll failed (consecutive_errors > 0).",
            registry=self.registry,
        )
        self.alerts_waiting = Gauge(
            "monitor_alerts_waiting",
            "Alerts waiting in the outbox to be sent to Slack.",
            registry=self.registry,
        )
        self.oldest_waiting_alert_age = Gauge(
            "monitor_oldest_waiting_alert_age_seconds",
            "Age of the oldest alert waiting in the outbox (0: none waiting).",
            registry=self.registry,
        )
        self.websub_notifications = Counter(
            "monitor_websub_notifications",
            "Signed WebSub notifications taken, by outcome (queued, poll).",
            ["outcome"],
            registry=self.registry,
        )
        self.websub_rejected = Counter(
            "monitor_websub_rejected",
            "WebSub notifications ignored, by reason (see WEBSUB_REJECTIONS).",
            ["reason"],
            registry=self.registry,
        )
        # The desk's verdicts, counted from the database at each scrape (see the module doc).
        self.feedback_counts: Callable[[], Mapping[str, int]] | None = None
        self.registry.register(_FeedbackCollector(self))
        self._initialise_labels()

    def _initialise_labels(self) -> None:
        """Export every known label value at 0, so rates work from the first scrape."""
        for outcome in POLL_OUTCOMES:
            self.feed_polls.labels(outcome=outcome)
        for kind in FETCH_ERROR_KINDS:
            self.fetch_errors.labels(kind=kind)
        for status in ARTICLE_STATUSES:
            self.articles_processed.labels(status=status)
        for outcome in RECHECK_OUTCOMES:
            self.rechecks.labels(outcome=outcome)
        for outcome in WEBSUB_OUTCOMES:
            self.websub_notifications.labels(outcome=outcome)
        for reason in WEBSUB_REJECTIONS:
            self.websub_rejected.labels(reason=reason)

    def record_feed_poll(self, outcome: str) -> None:
        """Count one feed poll: ok, not_modified or error."""
        self.feed_polls.labels(outcome=_check_label(outcome, POLL_OUTCOMES, "poll outcome")).inc()

    def record_fetch_error(self, message: str) -> str:
        """Count one failed fetch, classified from its message; return the kind."""
        kind = classify_fetch_error(message)
        self.fetch_errors.labels(kind=kind).inc()
        return kind

    def record_article(self, status: str) -> None:
        """Count one processed article by its resulting status."""
        label = _check_label(status, ARTICLE_STATUSES, "article status")
        self.articles_processed.labels(status=label).inc()

    def record_recheck(self, outcome: str) -> None:
        """Count one re-check of a published article by its outcome."""
        self.rechecks.labels(
            outcome=_check_label(outcome, RECHECK_OUTCOMES, "recheck outcome")
        ).inc()

    def record_websub_notification(self, outcome: str) -> None:
        """Count one signed WebSub notification taken: queued or poll."""
        label = _check_label(outcome, WEBSUB_OUTCOMES, "notification outcome")
        self.websub_notifications.labels(outcome=label).inc()

    def record_websub_rejected(self, reason: str) -> None:
        """Count one WebSub notification ignored, by why (see WEBSUB_REJECTIONS)."""
        self.websub_rejected.labels(reason=_check_label(reason, WEBSUB_REJECTIONS, "reason")).inc()

    def record_claims(self, count: int = 1) -> None:
        """Count claims added to the ledger."""
        self.claims_recorded.inc(count)

    def record_alert_raised(self, kind: str) -> None:
        """Count one alert raised, by its kind (e.g. update, contradiction)."""
        self.alerts_raised.labels(kind=kind).inc()

    def record_alert_delivery(self, *, delivered: bool) -> None:
        """Count one alert delivered to Slack, or one that failed."""
        (self.alerts_delivered if delivered else self.alerts_failed).inc()

    def record_alert_latency(
        self, kind: str, sighting: tuple[datetime | None, datetime | None], delivered_at: datetime
    ) -> float | None:
        """Observe one delivered alert's latency from its article's (publication, first
        sight): the publication when it is known and not after the first sight, else the
        first sight; nothing when neither is known. Returns the seconds observed."""
        published, first_seen = sighting
        start = published if published and (not first_seen or published <= first_seen) else None
        start = start or first_seen
        if start is None:
            return None
        seconds = max((delivered_at - start).total_seconds(), 0.0)
        self.alert_latency.labels(kind=kind).observe(seconds)
        return seconds

    def count_feedback_with(self, read: Callable[[], Mapping[str, int]]) -> None:
        """Export the desk's verdicts as `read` (the database's counts) gives them."""
        self.feedback_counts = read

    def record_rules_reload_failure(self) -> None:
        """Count one refused rule reload (the daemon keeps its last good rules)."""
        self.rules_reload_failures.inc()

    def record_backlog(
        self, *, feeds_failing: int, alerts_waiting: int, oldest_waiting_age_s: float | None
    ) -> None:
        """Set the gauges of what is failing or waiting now (read from the database)."""
        self.feeds_failing.set(feeds_failing)
        self.alerts_waiting.set(alerts_waiting)
        self.oldest_waiting_alert_age.set(oldest_waiting_age_s or 0.0)

    def record_cycle(self, elapsed_s: float, *, finished_at: datetime, succeeded: bool) -> None:
        """Observe a cycle's duration; a successful one also moves the last-success time."""
        self.cycle_duration.observe(elapsed_s)
        if succeeded:
            self.last_success_at = finished_at.astimezone(UTC)
            self.last_success.set(finished_at.timestamp())


class _FeedbackCollector(Collector):
    """monitor_alert_feedback_total{verdict}, read when /metrics is scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "monitor_alert_feedback",
            "Verdicts the desk gave alerts with the Slack buttons, by verdict.",
            labels=["verdict"],
        )
        counts = {str(verdict): 0 for verdict in Verdict}
        read = self.metrics.feedback_counts
        if read is not None:
            try:
                counts.update(read())
            except Exception:  # a scrape must not fail because the database does
                log.warning("feedback counts unavailable for /metrics", exc_info=True)
                return
        for verdict, count in counts.items():
            family.add_metric([verdict], count)
        yield family


METRICS = Metrics()
"""The daemon's metrics; tests build their own `Metrics()`."""
