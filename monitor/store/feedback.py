"""Feedback from the desk: the verdicts editors give alerts from Slack, and the muted
(incident, slot) pairs whose alerts are stored but not posted.

A verdict is unique per (alert, user, verdict), inserted on conflict do nothing, so a
click Slack delivers twice (its retries carry the same payload) is stored once; the
caller learns whether it was new and acknowledges only then.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from monitor.model import Verdict
from monitor.store.engine import Sessions, dialect_insert
from monitor.store.records import AlertRecord, DeliveryStatus, alert_record
from monitor.store.tables import AlertFeedbackRow, AlertRow, SlotMuteRow

# The verdicts an evaluation case is made of: the alert should not have fired as it did.
WRONG_VERDICTS = (Verdict.WRONG, Verdict.WRONG_INCIDENT)


@dataclass(frozen=True, slots=True)
class Vote:
    """One click: which alert, who (Slack user id and name), which verdict, when."""

    alert_id: int
    user_id: str
    user_name: str | None
    verdict: Verdict
    at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """A stored verdict, as `monitor alerts` and the export show it."""

    alert_id: int
    user_id: str
    user_name: str | None
    verdict: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SlotMute:
    """A muted (incident, slot): who muted it, from which alert, when."""

    incident_id: str
    slot: str
    alert_id: int | None
    user_id: str
    user_name: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordedVote:
    """What storing a click did: the alert it was about, whether the verdict is new (a
    retry is not), and the (incident, slot) it muted, if it muted one just now."""

    alert: AlertRecord
    is_new: bool
    muted: tuple[str, str] | None = None


def _feedback_record(row: AlertFeedbackRow) -> FeedbackRecord:
    return FeedbackRecord(row.alert_id, row.user_id, row.user_name, row.verdict, row.created_at)


def _insert_ignoring_duplicates(
    session: Session, table: type[SQLModel], values: dict[str, object]
) -> bool:
    """Insert one row unless its unique key is taken; True when it was inserted."""
    statement = dialect_insert(session.get_bind(), table).values(**values)
    result = session.execute(statement.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an INSERT


class FeedbackQueries(Sessions):
    """The alert_feedback and slot_mute tables."""

    def record_vote(self, vote: Vote) -> RecordedVote | None:
        """Store a click (once per alert, user and verdict); a mute also mutes the alert's
        (incident, slot), in the same transaction. None when the alert does not exist."""
        with self.session() as session:
            alert = session.get(AlertRow, vote.alert_id)
            if alert is None:
                return None
            is_new = _insert_ignoring_duplicates(
                session,
                AlertFeedbackRow,
                {
                    "alert_id": vote.alert_id,
                    "user_id": vote.user_id,
                    "user_name": vote.user_name,
                    "verdict": str(vote.verdict),
                    "created_at": vote.at,
                },
            )
            muted = None
            if vote.verdict is Verdict.MUTE and alert.incident_id and alert.slot:
                _insert_ignoring_duplicates(
                    session,
                    SlotMuteRow,
                    {
                        "incident_id": alert.incident_id,
                        "slot": alert.slot,
                        "alert_id": vote.alert_id,
                        "user_id": vote.user_id,
                        "user_name": vote.user_name,
                        "created_at": vote.at,
                    },
                )
                muted = (alert.incident_id, alert.slot)
            record = alert_record(alert)
            session.commit()
        return RecordedVote(record, is_new, muted)

    def feedback_for(self, alert_ids: Collection[int]) -> dict[int, list[FeedbackRecord]]:
        """Each alert's verdicts, oldest first (alerts without any are left out)."""
        if not alert_ids:
            return {}
        query = (
            select(AlertFeedbackRow)
            .where(col(AlertFeedbackRow.alert_id).in_(list(alert_ids)))
            .order_by(col(AlertFeedbackRow.created_at), col(AlertFeedbackRow.id))
        )
        found: dict[int, list[FeedbackRecord]] = {}
        with self.read_session() as session:
            for row in session.exec(query):
                found.setdefault(row.alert_id, []).append(_feedback_record(row))
        return found

    def feedback_counts(self) -> dict[str, int]:
        """How many verdicts of each kind are stored (every verdict listed, 0 included)."""
        query = sa.select(col(AlertFeedbackRow.verdict), sa.func.count()).group_by(
            col(AlertFeedbackRow.verdict)
        )
        counts = {str(verdict): 0 for verdict in Verdict}
        with self.read_session() as session:
            for verdict, count in session.execute(query):
                counts[str(verdict)] = int(count)
        return counts

    def alerts_marked_wrong(self) -> list[tuple[AlertRecord, list[FeedbackRecord]]]:
        """Alerts an editor marked wrong or about the wrong incident, oldest first, each
        with all its verdicts."""
        wrong = sa.select(col(AlertFeedbackRow.alert_id)).where(
            col(AlertFeedbackRow.verdict).in_([str(v) for v in WRONG_VERDICTS])
        )
        query = select(AlertRow).where(col(AlertRow.id).in_(wrong)).order_by(col(AlertRow.id))
        with self.read_session() as session:
            alerts = [alert_record(row) for row in session.exec(query)]
        verdicts = self.feedback_for([a.alert_id for a in alerts])
        return [(alert, verdicts.get(alert.alert_id, [])) for alert in alerts]

    def mutes(self) -> list[SlotMute]:
        """Every muted (incident, slot), oldest first."""
        query = select(SlotMuteRow).order_by(col(SlotMuteRow.created_at))
        with self.read_session() as session:
            return [
                SlotMute(r.incident_id, r.slot, r.alert_id, r.user_id, r.user_name, r.created_at)
                for r in session.exec(query)
            ]

    def muted_slots(self) -> set[tuple[str, str]]:
        """The muted (incident, slot) pairs, for the delivery pass."""
        with self.read_session() as session:
            rows = session.execute(sa.select(col(SlotMuteRow.incident_id), col(SlotMuteRow.slot)))
            return {(str(incident), str(slot)) for incident, slot in rows}

    def unmute(self, incident_id: str, slot: str) -> bool:
        """Lift a mute; False when that (incident, slot) was not muted."""
        with self.session() as session:
            row = session.get(SlotMuteRow, (incident_id, slot))
            if row is None:
                return False
            session.delete(row)
            session.commit()
        return True

    def mute_waiting_alerts(self) -> int:
        """Take the waiting alerts of every muted (incident, slot) out of the outbox: they
        are `muted`, stored and never posted; returns how many."""
        if not self.muted_slots():  # the usual case: no write transaction at all
            return 0
        is_muted = (
            sa.select(col(SlotMuteRow.incident_id))
            .where(
                col(SlotMuteRow.incident_id) == col(AlertRow.incident_id),
                col(SlotMuteRow.slot) == col(AlertRow.slot),
            )
            .exists()
        )
        with self.session() as session:
            result = session.execute(
                sa.update(AlertRow)
                .where(col(AlertRow.delivery_status) == DeliveryStatus.PENDING, is_muted)
                .values(delivery_status=DeliveryStatus.MUTED, next_attempt_at=None)
            )
            session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
