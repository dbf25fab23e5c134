"""Slack delivery: the alert outbox in, Slack messages out, each alert's state stored.

Input: pending alerts from the outbox (`Database.pending_alerts`), the rules
(incident titles and Slack channels) and a `Notifier`. Output: alerts marked
delivered, failed or due for a retry, and a `DeliveryReport` per pass.

Guarantees:
- Order: alerts go out in id order. A retryable failure is retried within the
  pass while the pass's waiting stays under MONITOR_DELIVERY_MAX_WAIT_S; after
  that the pass ends, so no later alert overtakes the one that failed.
- Bounded hold: an alert that keeps failing for a passing reason is marked
  failed ("gave up after N tries over D: <last error>") once it has had
  MONITOR_DELIVERY_MAX_ATTEMPTS tries AND its first failed try is
  MONITOR_DELIVERY_GIVE_UP_AFTER old; the next alert then goes out. Both bounds
  must be reached, so a short Slack outage fails nothing, while one alert Slack
  keeps refusing cannot hold every later alert forever.
- At least once: an alert is marked delivered only after Slack's ok. A crash
  between Slack's ok and that commit re-posts that one alert at the next pass.
- Threading: each incident gets one parent message per channel (its first
  alert); later alerts about it are replies in that thread. New-incident alerts
  are top-level in the main channel; one about a candidate incident (its
  `incident_id` is the candidate's) is that candidate's thread, so later alerts
  about the candidate reply to it. Webhooks cannot thread: every alert is
  top-level there.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from typing import Any, Final

from monitor.analysis.claim_values import PM_ASSUMED, QUALIFIER_WORDS
from monitor.analysis.engine import RuleSet
from monitor.analysis.rule_values import IncidentRule
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.metrics import METRICS, Metrics
from monitor.notify.desk import message_dressing
from monitor.notify.messages import AlertKind, AlertMessage, ClaimView, build_message
from monitor.notify.slack import (
    MessageRejectedError,
    Notifier,
    PermanentDeliveryError,
    RetryableDeliveryError,
    SlackNotifier,
    WebhookNotifier,
)
from monitor.store import AlertRecord, Database, new_lease_owner
from monitor.views import attributed_source, editor_words, why_line

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], object]

DEFAULT_BACKOFF_S: Final = 0.5
DEFAULT_MAX_BACKOFF_S: Final = 300.0
BATCH_SIZE: Final = 100
DELIVERY_LEASE: Final = "delivery"

DELIVERY_OFF_HINT: Final = (
    "Slack delivery is off: alerts stay pending in the database; set SLACK_BOT_TOKEN and "
    "MONITOR_SLACK_CHANNEL (or MONITOR_SLACK_WEBHOOK_URL) to send them"
)

_IDENTIFIER = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery pass did: alerts delivered, failed for good, and retryable failures."""

    delivered: int = 0
    failed: int = 0
    retried: int = 0


@dataclass(slots=True)
class _Failures:
    """An alert's run of failed tries: how many, and when the first one was."""

    tries: int
    first_at: datetime


@dataclass(slots=True)
class _Tally:
    delivered: int = 0
    failed: int = 0
    retried: int = 0


class _Outcome(Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    DEFERRED = "deferred"


# --------------------------------------------------------------------------- settings


def now_utc() -> datetime:
    return datetime.now(UTC)


def notifier_from_settings(settings: Settings) -> Notifier | None:
    """A SlackNotifier with a bot token, else a WebhookNotifier with a webhook URL, else None."""
    token = settings.slack_bot_token.strip()
    if token:
        if not settings.slack_channel.strip():
            raise ConfigError(
                "SLACK_BOT_TOKEN is set but MONITOR_SLACK_CHANNEL is empty; set it to the "
                "channel alerts go to, e.g. #news-alerts or a channel id like C0123456789"
            )
        return SlackNotifier(token, base_url=settings.slack_base_url.strip() or None)
    webhook_url = settings.slack_webhook_url.strip()
    if webhook_url:
        return WebhookNotifier(webhook_url)
    return None


# --------------------------------------------------------------------------- rendering


def humanise(name: str) -> str:
    """'federal_officers_deployed' -> 'Federal officers deployed'."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _plain_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    return editor_words(text) if _IDENTIFIER.fullmatch(text) else text  # self-defense


def render_value(side: dict[str, Any]) -> str:
    """A claim's value with its qualifier and stance: 'about 3,000', '14:19', 'disputed: ...'."""
    text = _plain_value(side.get("value"))
    qualifier = side.get("qualifier")
    if qualifier == PM_ASSUMED:
        text = f"{text} (p.m. assumed)"
    elif isinstance(qualifier, str) and qualifier:
        text = f"{QUALIFIER_WORDS.get(qualifier, qualifier.replace('_', ' '))} {text}"
    stance = side.get("stance")
    if stance == "denies":
        return f"denied: {text}"
    if stance == "disputes":
        return f"disputed: {text}"
    if stance == "hedges":
        return f"{text} (unconfirmed)"
    return text


def _parse_published(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _optional_text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def claim_view(side: dict[str, Any]) -> ClaimView:
    """One side of a stored alert (its previous/current JSON) rendered for Slack."""
    return ClaimView(
        value=render_value(side),
        source=attributed_source(
            str(side.get("source") or "unknown source"), _optional_text(side.get("outlet"))
        ),
        speaker=_optional_text(side.get("speaker")),
        url=_optional_text(side.get("url")),
        published_at=_parse_published(side.get("published")),
        sentence=_optional_text(side.get("sentence")),
    )


def _incident_title(alert: AlertRecord, incident: IncidentRule | None) -> str:
    if incident is not None:
        return incident.title
    if alert.incident_id and alert.kind == AlertKind.NEW_INCIDENT:
        # A candidate incident's first alert: its title says where and when.
        return f"Possible new incident: {alert.current.get('value') or alert.incident_id}"
    if alert.incident_id:
        return f"Candidate incident {alert.incident_id} (not tracked yet)"
    if alert.kind == AlertKind.NEW_INCIDENT:
        return "Story that matches no tracked incident"
    if alert.subject and alert.subject.startswith("city:"):
        return f"City-wide: {humanise(alert.subject.removeprefix('city:'))}"
    return alert.subject or "Untracked story"


def alert_message(
    alert: AlertRecord, incident: IncidentRule | None, zone: tzinfo = UTC
) -> AlertMessage:
    """The Slack view of one stored alert; its Why line cites the sides its fields show."""
    return AlertMessage(
        alert_id=alert.alert_id,
        kind=alert.kind,
        incident_id=alert.incident_id,
        incident_title=_incident_title(alert, incident),
        slot=alert.slot,
        # claims.yaml has no per-slot label yet, so the slot name is made readable.
        slot_label=humanise(alert.slot) if alert.slot else "",
        previous=claim_view(alert.previous) if alert.previous else None,
        current=claim_view(alert.current),
        reason=why_line(alert.kind, alert.slot, alert.previous, alert.current, alert.reason),
        zone=zone,
    )


# --------------------------------------------------------------------------- the job


class Delivery:
    """Sends the outbox to Slack, one pass per `deliver_pending()` call."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        rule_set: RuleSet,
        notifier: Notifier | None,
        *,
        clock: Clock = now_utc,
        sleep: Sleep | None = None,
        stop: threading.Event | None = None,
        metrics: Metrics = METRICS,
        backoff_s: float = DEFAULT_BACKOFF_S,
        max_backoff_s: float = DEFAULT_MAX_BACKOFF_S,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        # The delivery lease's holder: one replica delivers at a time, keeping the order.
        self.owner = owner or new_lease_owner()
        self.database = database
        # Public so the daemon can swap in reloaded rules (titles, channels).
        self.rule_set = rule_set
        self.notifier = notifier
        self.clock = clock
        # Set on SIGTERM: the alert in hand finishes, no retry wait starts.
        self.stop = stop or threading.Event()
        self.sleep: Sleep = sleep or self.stop.wait
        self.metrics = metrics
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._has_logged_off = False
        self._waited_s = 0.0
        self.dress = message_dressing(settings, notifier)  # triage buttons, incident link

    def deliver_pending(self) -> DeliveryReport:
        """One pass over the outbox in id order; ends early when Slack needs longer to recover."""
        if self.notifier is None:
            self._log_delivery_off()
            return DeliveryReport()
        if not self._hold_lease():
            log.debug("another replica is delivering", extra={"owner": self.owner})
            return DeliveryReport()
        tally = _Tally()
        self._waited_s = 0.0
        try:
            while not self.stop.is_set():
                self.database.mute_waiting_alerts()  # muted from Slack: stored, never posted
                batch = self.database.pending_alerts(limit=BATCH_SIZE)
                if not self._deliver_batch(batch, tally) or len(batch) < BATCH_SIZE:
                    break
        finally:
            # Free for the next pass, in this replica or another; a replica that dies
            # mid-pass leaves the lease to lapse after MONITOR_LEASE_TTL_S.
            self.database.release_job_lease(DELIVERY_LEASE, self.owner)
        report = DeliveryReport(tally.delivered, tally.failed, tally.retried)
        if report != DeliveryReport():
            log.info(
                "delivery pass finished",
                extra={
                    "delivered": report.delivered,
                    "failed": report.failed,
                    "retried": report.retried,
                    "waited_s": round(self._waited_s, 3),
                },
            )
        return report

    def _hold_lease(self) -> bool:
        """Take or renew the delivery lease; False when a live replica holds it."""
        return self.database.acquire_job_lease(
            DELIVERY_LEASE, self.owner, self.clock(), lease_s=self.settings.lease_ttl_s
        )

    def _deliver_batch(self, batch: list[AlertRecord], tally: _Tally) -> bool:
        """Deliver a batch in order; False when the pass must end here."""
        for alert in batch:
            if self.stop.is_set() or not self._hold_lease():
                return False
            if alert.next_attempt_at is not None and alert.next_attempt_at > self.clock():
                return False  # waiting for its retry: no later alert may overtake it
            outcome, failures = self._deliver_one(alert)
            tally.retried += failures
            if outcome is _Outcome.DEFERRED:
                return False
            if outcome is _Outcome.DELIVERED:
                tally.delivered += 1
            else:
                tally.failed += 1
        return True

    # -- one alert -------------------------------------------------------------

    def _deliver_one(self, alert: AlertRecord) -> tuple[_Outcome, int]:
        """Post one alert, retrying in place while the pass's wait budget allows."""
        assert self.notifier is not None
        channel = self.channel_for(alert)
        incident = self._incident(alert.incident_id)
        text, blocks = build_message(self.dress(alert_message(alert, incident, self.settings.zone)))
        failures = 0
        first_failed_at = alert.first_failed_at
        while True:
            thread_ts = self._thread_ts(alert, channel)
            try:
                ts = self.notifier.post(channel, text, blocks, thread_ts=thread_ts)
            except RetryableDeliveryError as exc:
                failures += 1
                first_failed_at = first_failed_at or self.clock()
                run = _Failures(alert.attempts + failures, first_failed_at)
                if self._should_give_up(run):
                    self._give_up(alert, exc, channel, run)
                    return _Outcome.FAILED, failures
                if not self._wait_to_retry(alert, exc, run):
                    return _Outcome.DEFERRED, failures
                continue
            except PermanentDeliveryError as exc:
                self._fail(alert, exc, channel)
                return _Outcome.FAILED, failures
            self._delivered(alert, channel, ts, thread_ts)
            return _Outcome.DELIVERED, failures

    def channel_for(self, alert: AlertRecord) -> str:
        """The incident's own slack_channel, else MONITOR_SLACK_CHANNEL; new incidents: main."""
        incident = self._incident(alert.incident_id)
        if alert.kind != AlertKind.NEW_INCIDENT and incident and incident.slack_channel:
            return incident.slack_channel
        return self.settings.slack_channel

    def _incident(self, incident_id: str | None) -> IncidentRule | None:
        if incident_id is None:
            return None
        for incident in self.rule_set.rules.incidents:
            if incident.incident_id == incident_id:
                return incident
        return None

    def _thread_ts(self, alert: AlertRecord, channel: str) -> str | None:
        if alert.kind == AlertKind.NEW_INCIDENT or not alert.incident_id:
            return None
        return self.database.thread_parent(alert.incident_id, channel)

    def _delivered(self, alert: AlertRecord, channel: str, ts: str, thread_ts: str | None) -> None:
        now = self.clock()
        # The first alert of an incident becomes its thread (webhooks give no ts: no thread);
        # a candidate incident's thread is its new_incident alert, so the desk follows the new
        # shooting under its first report.
        if thread_ts is None and ts and alert.incident_id:
            self.database.set_thread_parent(alert.incident_id, channel, ts, now)
        self.database.mark_delivered(alert.alert_id, channel=channel, ts=ts, at=now)
        self.metrics.record_alert_delivery(delivered=True)
        sighting = self.database.publication_sighting(alert.article_id)
        self.metrics.record_alert_latency(alert.kind, sighting, now)
        log.info(
            "alert delivered",
            extra={
                **_alert_fields(alert),
                "channel": channel,
                "slack_ts": ts or None,
                "thread_ts": thread_ts,
            },
        )

    def _fail(self, alert: AlertRecord, exc: PermanentDeliveryError, channel: str) -> None:
        self.database.mark_failed(alert.alert_id, error=str(exc))
        self.metrics.record_alert_delivery(delivered=False)
        log.error(
            "alert failed",
            extra={
                **_alert_fields(alert),
                "channel": channel,
                "error": str(exc),
                "slack_error": exc.slack_error,
                "is_message_rejected": isinstance(exc, MessageRejectedError),
            },
        )

    def _should_give_up(self, run: _Failures) -> bool:
        """True once the alert has had its tries AND its failures have lasted long enough."""
        return (
            run.tries >= self.settings.delivery_max_attempts
            and self.clock() - run.first_at >= self.settings.delivery_give_up_delay
        )

    def _give_up(
        self, alert: AlertRecord, exc: RetryableDeliveryError, channel: str, run: _Failures
    ) -> None:
        """Mark the alert failed with why, so the alerts behind it go out."""
        over = format_duration(self.clock() - run.first_at)
        error = f"gave up after {run.tries} tries over {over}: {exc}"
        self.database.mark_failed(alert.alert_id, error=error)
        self.metrics.record_alert_delivery(delivered=False)
        log.error(
            "alert delivery given up; the next alerts go out",
            extra={
                **_alert_fields(alert),
                "channel": channel,
                "error": error,
                "slack_error": exc.slack_error,
                "attempt": run.tries,
            },
        )

    def _wait_to_retry(
        self, alert: AlertRecord, exc: RetryableDeliveryError, run: _Failures
    ) -> bool:
        """Record the failure; wait and return True if the pass may retry now, else False."""
        attempt = run.tries
        wait_s = self._retry_wait_s(exc, attempt)
        self.database.mark_retry(
            alert.alert_id,
            error=str(exc),
            next_attempt_at=self.clock() + timedelta(seconds=wait_s),
            failed_at=run.first_at,
        )
        may_wait = (
            not self.stop.is_set() and self._waited_s + wait_s <= self.settings.delivery_max_wait_s
        )
        log.warning(
            "alert delivery will be retried",
            extra={
                **_alert_fields(alert),
                "error": str(exc),
                "slack_error": exc.slack_error,
                "attempt": attempt,
                "retry_in_s": wait_s,
                "retry_in_this_pass": may_wait,
            },
        )
        if not may_wait:
            return False
        self.sleep(wait_s)
        self._waited_s += wait_s
        return not self.stop.is_set()

    def _retry_wait_s(self, exc: RetryableDeliveryError, attempt: int) -> float:
        """Slack's Retry-After when given, else backoff doubling per attempt, capped."""
        if exc.retry_after_s is not None:
            return exc.retry_after_s
        return min(self.backoff_s * 2.0 ** min(attempt - 1, 30), self.max_backoff_s)

    def _log_delivery_off(self) -> None:
        if self._has_logged_off:
            return
        self._has_logged_off = True
        log.warning(DELIVERY_OFF_HINT, extra={"delivery": "off"})


def format_duration(delay: timedelta) -> str:
    """'45s', '12m 5s', '3h 20m', '2d 4h': the two largest units, for messages."""
    seconds = max(0, round(delay.total_seconds()))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count or (unit == "s" and not parts):
            parts.append(f"{count}{unit}")
    return " ".join(parts[:2])


def _alert_fields(alert: AlertRecord) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id,
        "incident_id": alert.incident_id,
        "kind": alert.kind,
        "slot": alert.slot,
        "source": alert.current.get("source"),
    }
