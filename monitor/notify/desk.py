"""Triage from Slack, the edge: a click on an alert button stored (once, however often
Slack delivers it) and acknowledged in the alert's thread.

Input: Slack's `block_actions` payload, from Socket Mode or the signed HTTP endpoint
(`monitor.service.interactivity`). Output: the verdict in `alert_feedback` (a mute also
in `slot_mute`), and one thread reply per new verdict, posted with the bot token.
A retry of a click already stored is not acknowledged again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.config import Settings
from monitor.errors import DeliveryError
from monitor.notify.messages import AlertMessage, build_acknowledgement
from monitor.notify.slack import Notifier, SlackNotifier
from monitor.notify.triage import Click, clicks_from_payload
from monitor.store import Database
from monitor.store.feedback import RecordedVote, Vote
from monitor.views import why_line

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def has_triage_buttons(settings: Settings, notifier: Notifier | None) -> bool:
    """Alerts carry the triage buttons only when a click can be received (Socket Mode or the
    signed endpoint) and acknowledged in its thread (the bot token). Through an incoming
    webhook, or with no receiver, a button would only show the clicker an error."""
    receives = bool(settings.slack_app_token or settings.slack_signing_secret.strip())
    return receives and isinstance(notifier, SlackNotifier)


def message_dressing(
    settings: Settings, notifier: Notifier | None
) -> Callable[[AlertMessage], AlertMessage]:
    """What delivery adds to each alert message: the triage buttons (when clicks can be
    received) and the link to the incident's page (when MONITOR_PUBLIC_URL is set)."""
    buttons = has_triage_buttons(settings, notifier)

    def dress(message: AlertMessage) -> AlertMessage:
        return dataclasses.replace(message, buttons=buttons, public_url=settings.public_url)

    return dress


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredClick:
    """A click as stored: the click, and what storing it did."""

    click: Click
    recorded: RecordedVote


class FeedbackDesk:
    """Stores clicks and acknowledges them; both receivers (Socket Mode, HTTP) share it."""

    def __init__(
        self, database: Database, notifier: Notifier | None, *, clock: Clock = _now
    ) -> None:
        self.database = database
        self.notifier = notifier
        self.clock = clock

    def record(self, payload: Mapping[str, Any]) -> list[StoredClick]:
        """Store each alert-button click in the payload; TriagePayloadError when a click
        is malformed. A click on an alert that does not exist is logged and skipped."""
        stored = []
        for click in clicks_from_payload(payload):
            vote = Vote(click.alert_id, click.user_id, click.user_name, click.verdict, self.clock())
            recorded = self.database.record_vote(vote)
            if recorded is None:
                log.warning(
                    "triage click on an unknown alert ignored",
                    extra={"alert_id": click.alert_id, "user_id": click.user_id},
                )
                continue
            log.info(
                "triage click stored",
                extra={
                    "alert_id": click.alert_id,
                    "verdict": str(click.verdict),
                    "user_id": click.user_id,
                    "is_retry": not recorded.is_new,
                    "muted": "/".join(recorded.muted) if recorded.muted else None,
                },
            )
            stored.append(StoredClick(click, recorded))
        return stored

    def acknowledge(self, stored: list[StoredClick]) -> None:
        """Reply in each new verdict's thread; a failure is logged (the verdict is kept)."""
        for item in stored:
            if item.recorded.is_new:
                self._reply(item)

    def _reply(self, item: StoredClick) -> None:
        alert, click = item.recorded.alert, item.click
        channel = click.channel or alert.slack_channel
        thread_ts = click.thread_ts or alert.slack_ts
        if self.notifier is None or not channel:
            return
        line = why_line(alert.kind, alert.slot, alert.previous, alert.current, alert.reason)
        text, blocks = build_acknowledgement(click, line, item.recorded.muted)
        try:
            self.notifier.post(channel, text, blocks, thread_ts=thread_ts)
        except DeliveryError as exc:
            log.warning(
                "triage acknowledgement not posted",
                extra={"alert_id": alert.alert_id, "channel": channel, "error": str(exc)},
            )
