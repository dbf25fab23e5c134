"""The schema: a SQLModel row class per table, and the UTC datetime column type.

Only the store's query modules use these; callers get the frozen values of
monitor.store.records, never rows. A change here needs a migration in
monitor/store/migrations/versions/ (tests/test_storage.py checks they agree).
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; SQLite's naive values come back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; pass a UTC-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc_column(*, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index)


class FeedRow(SQLModel, table=True):
    __tablename__ = "feed"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.Text, unique=True)
    url: str = Field(sa_type=sa.Text)
    interval_min: float
    is_active: bool = True
    etag: str | None = Field(default=None, sa_type=sa.Text)
    last_modified: str | None = Field(default=None, sa_type=sa.Text)
    last_fetched_at: datetime | None = _utc_column()
    last_status: int | None = None
    entry_count: int = 0
    consecutive_errors: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    next_due_at: datetime | None = _utc_column(index=True)
    lease_owner: str | None = Field(default=None, sa_type=sa.Text)
    lease_expires_at: datetime | None = _utc_column()
    # The `source:` set in feeds.yaml: the name the feed's articles are attributed to.
    source_label: str | None = Field(default=None, sa_type=sa.Text)
    # When a poll of this feed (at this address) first succeeded. Until then the feed is
    # new, and the entries its first good poll finds are its backlog (baseline, no alerts).
    first_polled_at: datetime | None = _utc_column()
    # The schedule (pipeline.schedule): `interval_min` is the interval in use; the feed's
    # own `interval` in feeds.yaml (None: adaptive), why the interval is what it is, and
    # until when a server hint (max-age, ttl, Retry-After ...) forbids polling.
    own_interval_min: float | None = None
    interval_reason: str | None = Field(default=None, sa_type=sa.Text)
    hint_until: datetime | None = _utc_column()
    # The wait the feed document itself asks for (RSS <ttl>, sy:updatePeriod), in seconds,
    # as of its last full fetch: a 304 does not repeat it.
    document_refresh_s: float | None = None


class FeedEntryRow(SQLModel, table=True):
    __tablename__ = "feed_entry"
    __table_args__ = (sa.UniqueConstraint("feed_id", "guid", name="uq_feed_entry_guid"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    guid: str = Field(sa_type=sa.Text)
    url: str = Field(sa_type=sa.Text)
    title: str = Field(default="", sa_type=sa.Text)
    published_at: datetime | None = _utc_column()
    first_seen_at: datetime | None = _utc_column()
    article_id: int | None = Field(default=None, foreign_key="article.id", index=True)


class ArticleRow(SQLModel, table=True):
    __tablename__ = "article"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=sa.Text, unique=True)
    canonical_url: str | None = Field(default=None, sa_type=sa.Text)
    title: str = Field(default="", sa_type=sa.Text)
    outlet: str | None = Field(default=None, sa_type=sa.Text)
    source_label: str | None = Field(default=None, sa_type=sa.Text)
    author: str | None = Field(default=None, sa_type=sa.Text)
    origin: str = Field(default="feed", sa_type=sa.Text)
    feed_id: int | None = Field(default=None, foreign_key="feed.id")
    published_at: datetime | None = _utc_column(index=True)
    created_at: datetime | None = _utc_column()
    fetched_at: datetime | None = _utc_column()
    text: str | None = Field(default=None, sa_type=sa.Text)
    content_hash: str | None = Field(default=None, sa_type=sa.Text, index=True)
    revision: int = 0
    status: str = Field(default="pending", sa_type=sa.Text, index=True)
    error: str | None = Field(default=None, sa_type=sa.Text)
    duplicate_of: int | None = Field(default=None, foreign_key="article.id")
    matched_at: datetime | None = _utc_column()
    is_new_incident: bool = False
    lease_owner: str | None = Field(default=None, sa_type=sa.Text)
    lease_expires_at: datetime | None = _utc_column()
    recheck_count: int = 0
    next_recheck_at: datetime | None = _utc_column(index=True)
    fetch_attempts: int = 0
    next_fetch_at: datetime | None = _utc_column()
    # The page as last fetched, so a re-check can ask for it conditionally (ETag,
    # Last-Modified) and skip extraction when the bytes are the same.
    page_etag: str | None = Field(default=None, sa_type=sa.Text)
    page_last_modified: str | None = Field(default=None, sa_type=sa.Text)
    page_hash: str | None = Field(default=None, sa_type=sa.Text)
    # The publication date the feed or page stated, when it was implausible (year 9999,
    # 1970) and published_at holds the first sight instead.
    stated_published_at: datetime | None = _utc_column()
    # Queued by a feed's first successful poll: what the feed already held when it was
    # added. Its analysis feeds the ledger, but its alerts are baseline, never posted.
    is_backlog: bool = False


class ArticleRevisionRow(SQLModel, table=True):
    """An earlier text of an article that its outlet later changed."""

    __tablename__ = "article_revision"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    revision: int
    title: str = Field(sa_type=sa.Text)
    text: str = Field(sa_type=sa.Text)
    content_hash: str = Field(sa_type=sa.Text)
    fetched_at: datetime | None = _utc_column()


class ArticleIncidentRow(SQLModel, table=True):
    """An article is about an incident: the matcher's score and evidence (JSON)."""

    __tablename__ = "article_incident"

    article_id: int = Field(foreign_key="article.id", primary_key=True)
    incident_id: str = Field(sa_type=sa.Text, primary_key=True, index=True)
    score: float
    evidence: str = Field(default="[]", sa_type=sa.Text)


class ClaimRow(SQLModel, table=True):
    """One claim as one article states it; the ledger is all of them."""

    __tablename__ = "claim"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    subject: str = Field(sa_type=sa.Text, index=True)
    incident_id: str | None = Field(default=None, sa_type=sa.Text)
    slot: str = Field(sa_type=sa.Text)
    value_json: str = Field(sa_type=sa.Text)
    qualifier: str | None = Field(default=None, sa_type=sa.Text)
    speaker: str = Field(default="", sa_type=sa.Text)
    stance: str = Field(sa_type=sa.Text)
    sentence: str = Field(sa_type=sa.Text)
    sentence_index: int
    source: str = Field(sa_type=sa.Text)
    article_url: str = Field(sa_type=sa.Text)
    published_at: datetime | None = _utc_column()
    corroborates_id: int | None = Field(default=None, foreign_key="claim.id")
    # An earlier account the article says was replaced ("had initially said").
    superseded: bool = False


class AlertRow(SQLModel, table=True):
    """An alert and its delivery state: the outbox Slack delivery reads."""

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(sa_type=sa.Text, unique=True)
    kind: str = Field(sa_type=sa.Text)
    subject: str | None = Field(default=None, sa_type=sa.Text)
    incident_id: str | None = Field(default=None, sa_type=sa.Text, index=True)
    slot: str | None = Field(default=None, sa_type=sa.Text)
    previous_json: str | None = Field(default=None, sa_type=sa.Text)
    earlier_json: str = Field(default="[]", sa_type=sa.Text)
    current_json: str = Field(sa_type=sa.Text)
    article_id: int = Field(foreign_key="article.id")
    article_url: str = Field(sa_type=sa.Text)
    reason: str = Field(sa_type=sa.Text)
    created_at: datetime | None = _utc_column(index=True)
    is_seeded: bool = False
    delivery_status: str = Field(default="pending", sa_type=sa.Text, index=True)
    delivered_at: datetime | None = _utc_column()
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    next_attempt_at: datetime | None = _utc_column()
    slack_channel: str | None = Field(default=None, sa_type=sa.Text)
    slack_ts: str | None = Field(default=None, sa_type=sa.Text)
    # When the current run of failed tries began: delivery gives up on an alert that
    # keeps failing (MONITOR_DELIVERY_GIVE_UP_AFTER) instead of holding the outbox.
    first_failed_at: datetime | None = _utc_column()


class JobLeaseRow(SQLModel, table=True):
    """A job only one replica may run at a time (alert delivery), and who runs it."""

    __tablename__ = "job_lease"

    name: str = Field(sa_type=sa.Text, primary_key=True)
    owner: str = Field(sa_type=sa.Text)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class SlackThreadRow(SQLModel, table=True):
    """The Slack message an incident's alerts thread under, per channel."""

    __tablename__ = "slack_thread"

    incident_id: str = Field(sa_type=sa.Text, primary_key=True)
    channel: str = Field(sa_type=sa.Text, primary_key=True)
    parent_ts: str = Field(sa_type=sa.Text)
    created_at: datetime | None = _utc_column()


class CandidateIncidentRow(SQLModel, table=True):
    """A shooting that fits the watch rule and no tracked incident, followed under its own
    id (city and date) from the first article that reported it."""

    __tablename__ = "candidate_incident"

    incident_id: str = Field(sa_type=sa.Text, primary_key=True)
    city: str = Field(sa_type=sa.Text)
    date: dt.date = Field(sa_type=sa.Date, index=True)
    title: str = Field(sa_type=sa.Text)
    shooter: str = Field(sa_type=sa.Text)
    outcome: str = Field(sa_type=sa.Text)
    agency: str | None = Field(default=None, sa_type=sa.Text)
    names_json: str = Field(default="[]", sa_type=sa.Text)  # victims' and shooter's names
    first_article_id: int = Field(foreign_key="article.id")
    first_seen_at: datetime = Field(sa_type=UTCDateTime)


class AlertFeedbackRow(SQLModel, table=True):
    """A verdict an editor gave an alert from Slack (useful, wrong, wrong incident, mute);
    one row per alert, user and verdict, so Slack's retries store it once."""

    __tablename__ = "alert_feedback"
    __table_args__ = (
        sa.UniqueConstraint("alert_id", "user_id", "verdict", name="uq_alert_feedback_vote"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    user_id: str = Field(sa_type=sa.Text)
    user_name: str | None = Field(default=None, sa_type=sa.Text)
    verdict: str = Field(sa_type=sa.Text, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SlotMuteRow(SQLModel, table=True):
    """An (incident, slot) the desk muted from Slack: its alerts are stored, not posted."""

    __tablename__ = "slot_mute"

    incident_id: str = Field(sa_type=sa.Text, primary_key=True)
    slot: str = Field(sa_type=sa.Text, primary_key=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")  # the alert clicked
    user_id: str = Field(sa_type=sa.Text)
    user_name: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class WebSubSubscriptionRow(SQLModel, table=True):
    """A feed's WebSub push state: the hub it advertises, our callback (its unguessable
    token and the HMAC secret we gave the hub), and the lease the hub granted."""

    __tablename__ = "websub_subscription"

    feed_id: int = Field(foreign_key="feed.id", primary_key=True)
    # none (no hub advertised) | pending | active | denied | failed | lapsed
    state: str = Field(sa_type=sa.Text)
    hub_url: str | None = Field(default=None, sa_type=sa.Text)
    topic_url: str | None = Field(default=None, sa_type=sa.Text)
    callback_token: str = Field(sa_type=sa.Text, unique=True)
    secret: str = Field(sa_type=sa.Text)
    # When we last asked the hub to (re)subscribe and it has not verified since.
    requested_at: datetime | None = _utc_column()
    lease_until: datetime | None = _utc_column()
    lease_seconds: int | None = None
    checked_at: datetime | None = _utc_column()  # the last discovery
    next_action_at: datetime | None = _utc_column(index=True)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    notified_at: datetime | None = _utc_column()
