"""WebSub subscriptions: per feed, the hub it advertises, our callback token and secret,
and the lease the hub granted.

A row exists once a feed's document has been looked at for a hub (state `none` when it
names none). Its callback token and HMAC secret are drawn from `secrets` when the row is
made and never change; the value callers get hides both from `repr`, so a logged value
shows neither. `requested_at` is set before a subscription request leaves (a hub may
verify before it answers) and cleared by the hub's verification: only then is a
verification of intent confirmed.

A subscription that ends (the hub denied it, its lease lapsed, a request failed with no
lease left) makes its feed due at once: the feed goes back to polling without waiting
for the long interval it had while pushed.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.redact import redact_text
from monitor.store.engine import Sessions, storage_errors
from monitor.store.tables import FeedRow, WebSubSubscriptionRow


class PushState:
    """Values of websub_subscription.state."""

    NONE = "none"  # the feed advertises no hub
    PENDING = "pending"  # asked the hub, awaiting its verification
    ACTIVE = "active"  # verified: the hub pushes until lease_until
    DENIED = "denied"  # the hub refused (hub.mode=denied)
    FAILED = "failed"  # the request failed, or the hub never verified
    LAPSED = "lapsed"  # the lease ran out without a renewal


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed's push state. The token and secret are never shown (repr=False)."""

    feed_id: int
    state: str
    hub_url: str | None
    topic_url: str | None
    callback_token: str = field(repr=False)
    secret: str = field(repr=False)
    requested_at: datetime | None
    lease_until: datetime | None
    lease_seconds: int | None
    checked_at: datetime | None
    next_action_at: datetime | None
    last_error: str | None
    notified_at: datetime | None

    @property
    def awaiting_verification(self) -> bool:
        return self.requested_at is not None

    def is_live(self, now: datetime) -> bool:
        """Pushed now: verified, and the lease has not run out."""
        return (
            self.state == PushState.ACTIVE
            and self.lease_until is not None
            and self.lease_until > now
        )


def _subscription(row: WebSubSubscriptionRow) -> Subscription:
    return Subscription(
        feed_id=row.feed_id,
        state=row.state,
        hub_url=row.hub_url,
        topic_url=row.topic_url,
        callback_token=row.callback_token,
        secret=row.secret,
        requested_at=row.requested_at,
        lease_until=row.lease_until,
        lease_seconds=row.lease_seconds,
        checked_at=row.checked_at,
        next_action_at=row.next_action_at,
        last_error=row.last_error,
        notified_at=row.notified_at,
    )


def live_push_leases(session: Session, feed_ids: Collection[int]) -> dict[int, datetime]:
    """Feed id -> the end of its verified WebSub lease, for feeds with one (feeds.py
    fills FeedState.push_lease_until from it)."""
    if not feed_ids:
        return {}
    rows = session.exec(
        select(WebSubSubscriptionRow.feed_id, WebSubSubscriptionRow.lease_until).where(
            col(WebSubSubscriptionRow.feed_id).in_(list(feed_ids)),
            col(WebSubSubscriptionRow.state) == PushState.ACTIVE,
            col(WebSubSubscriptionRow.lease_until).is_not(None),
        )
    )
    return {feed_id: until for feed_id, until in rows if until is not None}


class SubscriptionQueries(Sessions):
    """The websub_subscription table: discovery, requests, verification, leases."""

    def subscriptions(self) -> list[Subscription]:
        """Every feed's push state, by feed id."""
        with self.read_session() as session:
            rows = session.exec(
                select(WebSubSubscriptionRow).order_by(col(WebSubSubscriptionRow.feed_id))
            )
            return [_subscription(row) for row in rows]

    def subscription_by_token(self, token: str) -> Subscription | None:
        """The subscription whose callback path carries `token`, if any."""
        with self.read_session() as session:
            row = session.exec(
                select(WebSubSubscriptionRow).where(
                    col(WebSubSubscriptionRow.callback_token) == token
                )
            ).first()
            return _subscription(row) if row is not None else None

    def record_discovery(
        self,
        feed_id: int,
        now: datetime,
        *,
        hub_url: str | None,
        topic_url: str | None,
        next_action_at: datetime,
        error: str | None = None,
    ) -> Subscription:
        """Store what a look at the feed found (no hub: state none); the row, its token
        and secret are made on the first look."""
        with storage_errors(), self.session() as session:
            row = session.get(WebSubSubscriptionRow, feed_id)
            if row is None:
                row = WebSubSubscriptionRow(
                    feed_id=feed_id,
                    state=PushState.NONE,
                    callback_token=secrets.token_urlsafe(32),
                    secret=secrets.token_hex(32),
                )
                session.add(row)
            row.checked_at, row.next_action_at = now, next_action_at
            row.last_error = redact_text(error) if error else None
            if hub_url is None:
                if row.state != PushState.ACTIVE:  # a live lease runs on; no renewal
                    row.state = PushState.NONE
            else:
                row.hub_url, row.topic_url = hub_url, topic_url
            session.commit()
            session.refresh(row)
            return _subscription(row)

    def mark_requested(self, feed_id: int, now: datetime) -> None:
        """We are about to ask the hub to (re)subscribe: its verification may come now."""
        with storage_errors(), self.session() as session:
            row = session.get_one(WebSubSubscriptionRow, feed_id)
            row.requested_at = now
            if row.state != PushState.ACTIVE:
                row.state = PushState.PENDING
            session.commit()

    def record_request_accepted(self, feed_id: int, *, verify_by: datetime) -> None:
        """The hub took the request; unless it has verified already, give up waiting for
        its verification at `verify_by`."""
        self._update(
            feed_id,
            sa.and_(col(WebSubSubscriptionRow.requested_at).is_not(None)),
            next_action_at=verify_by,
            last_error=None,
        )

    def record_request_failed(
        self, feed_id: int, now: datetime, error: str, *, retry_at: datetime
    ) -> None:
        """The request failed (or was never verified); a live lease runs on until it lapses,
        anything else is failed, and its feed is polled."""
        with storage_errors(), self.session() as session:
            row = session.get_one(WebSubSubscriptionRow, feed_id)
            row.requested_at, row.next_action_at = None, retry_at
            row.last_error = redact_text(error)
            if row.state == PushState.ACTIVE and row.lease_until and row.lease_until > now:
                session.commit()
                return
            row.state, row.lease_until = PushState.FAILED, None
            _make_feed_due(session, feed_id, now)
            session.commit()

    def confirm_subscription(
        self, feed_id: int, now: datetime, *, lease_seconds: int, renew_at: datetime
    ) -> None:
        """The hub verified our request: pushed until now + lease_seconds."""
        with storage_errors(), self.session() as session:
            row = session.get_one(WebSubSubscriptionRow, feed_id)
            row.state, row.requested_at, row.last_error = PushState.ACTIVE, None, None
            row.lease_seconds = lease_seconds
            row.lease_until = now + timedelta(seconds=lease_seconds)
            row.next_action_at = renew_at
            session.commit()

    def end_subscription(
        self, feed_id: int, now: datetime, *, state: str, reason: str, retry_at: datetime
    ) -> None:
        """The subscription is over (denied, lapsed): the feed is due for a poll now."""
        with storage_errors(), self.session() as session:
            row = session.get_one(WebSubSubscriptionRow, feed_id)
            row.state, row.lease_until, row.requested_at = state, None, None
            row.last_error, row.next_action_at = redact_text(reason), retry_at
            _make_feed_due(session, feed_id, now)
            session.commit()

    def record_notification(self, feed_id: int, now: datetime, *, poll_now: bool) -> None:
        """A signed notification arrived; `poll_now`: its body held no entries we could
        read, so the feed is polled at once instead."""
        with storage_errors(), self.session() as session:
            row = session.get_one(WebSubSubscriptionRow, feed_id)
            row.notified_at = now
            if poll_now:
                _make_feed_due(session, feed_id, now)
            session.commit()

    def _update(self, feed_id: int, condition: sa.ColumnElement[bool], **values: object) -> None:
        with storage_errors(), self.engine.begin() as connection:
            connection.execute(
                sa.update(WebSubSubscriptionRow)
                .where(col(WebSubSubscriptionRow.feed_id) == feed_id, condition)
                .values(**values)
            )


def _make_feed_due(session: Session, feed_id: int, now: datetime) -> None:
    """Bring the feed's next poll forward to `now` (never push it back)."""
    session.execute(
        sa.update(FeedRow)
        .where(
            col(FeedRow.id) == feed_id,
            sa.or_(col(FeedRow.next_due_at).is_(None), col(FeedRow.next_due_at) > now),
        )
        .values(next_due_at=now)
    )
