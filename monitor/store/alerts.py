"""Alerts: storing them (unique by dedup key), listing them, and the Slack outbox.

Delivery reads the outbox in id order and records each outcome on the alert:
delivered, a retry later, or a permanent failure; the Slack message an incident's
alerts thread under is kept per channel.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.analysis.alerts import AlertDraft
from monitor.store.engine import Sessions, dialect_insert
from monitor.store.records import (
    AlertRecord,
    DeliveryStatus,
    OutboxState,
    alert_columns,
    alert_record,
)
from monitor.store.tables import AlertRow, SlackThreadRow


def with_outlet(draft: AlertDraft, outlet: str | None) -> AlertDraft:
    if not outlet:
        return draft
    return dataclasses.replace(draft, current={**draft.current, "outlet": outlet})


def insert_alert(
    session: Session, draft: AlertDraft, article_id: int, now: datetime, seeded: bool
) -> int | None:
    """Add the alert in the caller's transaction; None when its dedup key is already stored."""
    values = alert_columns(draft, article_id, created_at=now, seeded=seeded)
    insert = dialect_insert(session.get_bind(), AlertRow)
    statement = insert.values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    result = session.execute(statement.returning(col(AlertRow.id)))
    return result.scalar_one_or_none()


class AlertQueries(Sessions):
    """The alert and slack_thread tables: what was raised, and how its delivery went."""

    def known_alert_keys(self, keys: Collection[str]) -> set[str]:
        """Which of these dedup keys already have an alert."""
        if not keys:
            return set()
        query = select(AlertRow.dedup_key).where(col(AlertRow.dedup_key).in_(list(keys)))
        with self.read_session() as session:
            return set(session.exec(query))

    def alerts(
        self, *, incident_id: str | None = None, since: datetime | None = None
    ) -> list[AlertRecord]:
        """Stored alerts, oldest first."""
        query = select(AlertRow).order_by(col(AlertRow.id))
        if incident_id is not None:
            query = query.where(AlertRow.incident_id == incident_id)
        if since is not None:
            query = query.where(col(AlertRow.created_at) >= since)
        with self.read_session() as session:
            return [alert_record(row) for row in session.exec(query)]

    def pending_alerts(self, *, limit: int = 100) -> list[AlertRecord]:
        """Undelivered alerts in id order, due or waiting for a retry.

        Delivery needs the waiting ones too: an alert waiting for its retry keeps
        every later alert behind it, so Slack sees them in order.
        """
        query = (
            select(AlertRow)
            .where(AlertRow.delivery_status == DeliveryStatus.PENDING)
            .order_by(col(AlertRow.id))
            .limit(limit)
        )
        with self.read_session() as session:
            return [alert_record(row) for row in session.exec(query)]

    def outbox_state(self) -> OutboxState:
        """How many alerts wait, the oldest one's creation, and the pending alert that has
        been failing longest (for /healthz and the backlog gauges)."""
        pending = col(AlertRow.delivery_status) == DeliveryStatus.PENDING
        failing = (
            select(AlertRow)
            .where(pending, col(AlertRow.first_failed_at).is_not(None))
            .order_by(col(AlertRow.first_failed_at), col(AlertRow.id))
            .limit(1)
        )
        with self.read_session() as session:
            count, oldest = session.execute(
                sa.select(sa.func.count(), sa.func.min(AlertRow.created_at)).where(pending)
            ).one()
            head = session.exec(failing).first()
        if head is None:
            return OutboxState(int(count), oldest)
        return OutboxState(
            int(count),
            oldest,
            failing_alert_id=head.id,
            failing_since=head.first_failed_at,
            failing_error=head.last_error,
        )

    def last_alert_id(self) -> int:
        """The id of the newest alert (0: none yet)."""
        with self.read_session() as session:
            newest = session.execute(sa.select(sa.func.max(AlertRow.id))).scalar_one()
        return int(newest or 0)

    def count_alerts_after(self, alert_id: int) -> int:
        """Alerts raised after `alert_id`, the seeded baseline left out."""
        query = sa.select(sa.func.count()).where(
            col(AlertRow.id) > alert_id, col(AlertRow.is_seeded).is_(False)
        )
        with self.read_session() as session:
            return int(session.execute(query).scalar_one())

    def drop_pending(self, alert_ids: Collection[int]) -> int:
        """Take these alerts out of the outbox for good (`dropped`), if they still wait;
        returns how many were dropped."""
        if not alert_ids:
            return 0
        with self.session() as session:
            result = session.execute(
                sa.update(AlertRow)
                .where(
                    col(AlertRow.id).in_(list(alert_ids)),
                    col(AlertRow.delivery_status) == DeliveryStatus.PENDING,
                )
                .values(delivery_status=DeliveryStatus.DROPPED, next_attempt_at=None)
            )
            session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE

    def mark_delivered(self, alert_id: int, *, channel: str, ts: str, at: datetime) -> None:
        """Slack said ok: the alert is delivered (committed right away)."""
        with self.session() as session:
            row = session.get_one(AlertRow, alert_id)
            row.delivery_status, row.delivered_at = DeliveryStatus.DELIVERED, at
            row.slack_channel, row.slack_ts, row.last_error = channel, ts or None, None
            row.attempts += 1
            session.commit()

    def mark_retry(
        self,
        alert_id: int,
        *,
        error: str,
        next_attempt_at: datetime,
        failed_at: datetime | None = None,
    ) -> None:
        """A passing failure: keep the alert pending, try again at next_attempt_at."""
        with self.session() as session:
            row = session.get_one(AlertRow, alert_id)
            row.attempts += 1
            row.last_error, row.next_attempt_at = error, next_attempt_at
            row.first_failed_at = row.first_failed_at or failed_at
            session.commit()

    def mark_failed(self, alert_id: int, *, error: str) -> None:
        """A permanent failure (bad token, unknown channel): stop retrying, keep the reason."""
        with self.session() as session:
            row = session.get_one(AlertRow, alert_id)
            row.attempts += 1
            row.delivery_status, row.last_error = DeliveryStatus.FAILED, error
            session.commit()

    def requeue_failed(self) -> int:
        """Put every failed alert back in the outbox (after fixing the token or channel)."""
        with self.session() as session:
            result = session.execute(
                sa.update(AlertRow)
                .where(col(AlertRow.delivery_status) == DeliveryStatus.FAILED)
                # A fresh start: its tries and give-up clock count from now.
                .values(
                    delivery_status=DeliveryStatus.PENDING,
                    next_attempt_at=None,
                    attempts=0,
                    first_failed_at=None,
                )
            )
            session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE

    def thread_parent(self, incident_id: str, channel: str) -> str | None:
        """The ts of the message an incident's alerts thread under in a channel, if posted."""
        with self.read_session() as session:
            row = session.get(SlackThreadRow, (incident_id, channel))
            return row.parent_ts if row else None

    def set_thread_parent(self, incident_id: str, channel: str, ts: str, at: datetime) -> None:
        with self.session() as session:
            session.merge(
                SlackThreadRow(
                    incident_id=incident_id, channel=channel, parent_ts=ts, created_at=at
                )
            )
            session.commit()
