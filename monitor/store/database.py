"""Storage edge: SQLModel tables and the queries the pipeline and CLI need.

Only this module and the alembic migrations touch the schema. Callers get
plain frozen values (FeedState, ArticleRecord), never rows, so a session's
lifetime never leaks out of this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, select

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.claim_voice import Stance
from monitor.analysis.claims import Claim
from monitor.analysis.engine import LedgerEntry
from monitor.errors import ConfigError
from monitor.model import (
    ExtractedPage,
    FeedItem,
    FeedSpec,
    FetchResult,
    checked_published_at,
    is_plausible_date,
)
from monitor.redact import redact_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every replica.
_MIGRATION_LOCK_KEY = 0x6D6F6E69
_ANALYSIS_LOCK_KEY = 0x6D6F6E6A
# How long a SQLite writer waits for another's lock before failing "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30.0
# Rows per INSERT when storing a feed's entries: a few hundred keeps each statement well
# under SQLite's bound-parameter limit (32,766) and PostgreSQL's (65,535).
ENTRY_BATCH_ROWS = 200
# An execution option marking reads that never write: on SQLite they start with a plain
# BEGIN, so they neither take nor wait for the write lock.
_READ_ONLY = "monitor_read_only"


class StorageError(RuntimeError):
    """The database refused a write (locked past the busy timeout, or gone away)."""


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


class ArticleStatus:
    """Values of article.status (plain strings: they are part of the JSON output)."""

    PENDING = "pending"
    EXTRACTED = "extracted"
    FETCH_FAILED = "fetch_failed"
    EXTRACT_FAILED = "extract_failed"
    DUPLICATE = "duplicate"
    # Extracted and stored, but its analysis outran MONITOR_ANALYSIS_BUDGET_S (see error).
    ANALYSIS_FAILED = "analysis_failed"


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed's polling state, as `monitor feeds` shows it."""

    feed_id: int
    name: str
    url: str
    interval_min: float
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    last_status: int | None
    entry_count: int
    consecutive_errors: int
    last_error: str | None
    next_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One stored article, as `monitor articles` shows it."""

    article_id: int
    url: str
    canonical_url: str | None
    title: str
    source: str
    published_at: datetime | None
    fetched_at: datetime | None
    status: str
    error: str | None
    revision: int
    retry_at: datetime | None  # a pending article whose last fetch failed: its next try
    outlet: str | None = None  # the page's own name for its outlet (og:site_name)
    # The date the feed or page stated when it was implausible (published_at is then
    # the first sight).
    stated_published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """An extracted article's text and metadata, for matching and claims."""

    article_id: int
    url: str
    title: str
    text: str
    source: str
    published_at: datetime | None
    origin: str


@dataclass(frozen=True, slots=True)
class IncidentLink:
    """One article-to-incident match to store: the score and the evidence as JSON text."""

    incident_id: str
    score: float
    evidence_json: str


@dataclass(frozen=True, slots=True)
class IncidentCoverage:
    """How much coverage an incident has: article count and the latest publication."""

    incident_id: str
    article_count: int
    latest_published_at: datetime | None


class DeliveryStatus:
    """Values of alert.delivery_status."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SEEDED = "seeded"  # the baseline: recorded, never posted


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One stored alert with its delivery state."""

    alert_id: int
    dedup_key: str
    kind: str
    subject: str | None
    incident_id: str | None
    slot: str | None
    previous: dict[str, Any] | None
    earlier: list[dict[str, Any]]
    current: dict[str, Any]
    article_id: int
    article_url: str
    reason: str
    created_at: datetime | None
    is_seeded: bool
    delivery_status: str
    delivered_at: datetime | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    slack_channel: str | None
    slack_ts: str | None
    first_failed_at: datetime | None = None  # when the current run of failed tries began


@dataclass(frozen=True, slots=True)
class RecheckDue:
    """A published article due for a re-fetch, to catch quiet edits."""

    article_id: int
    url: str
    content_hash: str | None
    recheck_count: int
    published_at: datetime | None
    first_seen_at: datetime | None
    page: PageCheck


@dataclass(frozen=True, slots=True)
class PageCheck:
    """What identifies a fetched page's bytes: its validators and a hash of the body."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    @classmethod
    def of(cls, result: FetchResult) -> PageCheck:
        return cls(result.etag, result.last_modified, hashlib.sha256(result.body).hexdigest())

    def is_same_page(self, result: FetchResult) -> bool:
        """True when the server says (304) or the bytes show the page has not changed."""
        if result.status == 304:
            return True
        return self.body_hash is not None and PageCheck.of(result).body_hash == self.body_hash

    def columns(self) -> dict[str, str | None]:
        return {
            "page_etag": self.etag,
            "page_last_modified": self.last_modified,
            "page_hash": self.body_hash,
        }


@dataclass(frozen=True, slots=True)
class PendingArticle:
    """An article whose page still has to be fetched and extracted."""

    article_id: int
    url: str
    fetch_attempts: int = 0  # failed fetches so far (each one retried later)
    # For a re-check: the validators of the stored page, sent for a conditional GET.
    etag: str | None = None
    last_modified: str | None = None


def new_lease_owner() -> str:
    """An id for one process's leases: host, pid, and a nonce (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def content_hash(text: str) -> str:
    """Hash of the text with whitespace and case folded, so trivial reflows match."""
    folded = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _as_feed_state(row: FeedRow) -> FeedState:
    assert row.id is not None
    return FeedState(
        feed_id=row.id,
        name=row.name,
        url=row.url,
        interval_min=row.interval_min,
        etag=row.etag,
        last_modified=row.last_modified,
        last_fetched_at=row.last_fetched_at,
        last_status=row.last_status,
        entry_count=row.entry_count,
        consecutive_errors=row.consecutive_errors,
        last_error=row.last_error,
        next_due_at=row.next_due_at,
    )


def _source_of(row: ArticleRow) -> str:
    return _source(row.source_label, row.outlet, row.url)


def _source(source_label: str | None, outlet: str | None, url: str) -> str:
    """The name an article's claims are attributed to: its feed's name (or `source:`), or
    the label given at ingest or seed; else the outlet's own name, else the host."""
    if source_label:
        return source_label
    if outlet:
        return outlet
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0]
    return host or "unknown"


def _log_takeovers(table: object, owner: str, previous_owners: Sequence[str | None]) -> None:
    """A row still naming another owner had a lapsed lease: that replica died or hung
    mid-work. Say so, so a kill or crash is visible in the survivor's log."""
    taken = Counter(p for p in previous_owners if p is not None and p != owner)
    for previous, count in sorted(taken.items()):
        log.warning(
            "took over lapsed leases",
            extra={"table": str(table), "rows": count, "from_owner": previous, "owner": owner},
        )


def _page_date_columns(page_date: datetime, fetched_at: datetime) -> dict[str, Any]:
    """SET clauses giving an article the page's date if it has none yet (the feed's wins).

    An implausible page date (see model.is_plausible_date) gives way to the article's
    first sight, and is kept as stated_published_at.
    """
    undated = col(ArticleRow.published_at).is_(None)
    if is_plausible_date(page_date, fetched_at):
        stated = sa.literal(page_date, UTCDateTime())
        return {"published_at": sa.func.coalesce(col(ArticleRow.published_at), stated)}
    first_seen = sa.func.coalesce(
        col(ArticleRow.published_at),
        col(ArticleRow.created_at),
        sa.literal(fetched_at, UTCDateTime()),
    )
    return {
        "published_at": first_seen,
        "stated_published_at": sa.case(
            (undated, sa.literal(page_date, UTCDateTime())),
            else_=col(ArticleRow.stated_published_at),
        ),
    }


def _fetch_due(now: datetime) -> sa.ColumnElement[bool]:
    """Not waiting for a retry's time (see Database.defer_article)."""
    return sa.or_(col(ArticleRow.next_fetch_at).is_(None), col(ArticleRow.next_fetch_at) <= now)


def _as_article_record(row: ArticleRow) -> ArticleRecord:
    assert row.id is not None
    return ArticleRecord(
        article_id=row.id,
        url=row.url,
        canonical_url=row.canonical_url,
        title=row.title,
        source=_source_of(row),
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        status=row.status,
        error=row.error,
        revision=row.revision,
        retry_at=row.next_fetch_at if row.status == ArticleStatus.PENDING else None,
        outlet=row.outlet,
        stated_published_at=row.stated_published_at,
    )


def _as_document(row: ArticleRow) -> StoredDocument:
    assert row.id is not None
    return StoredDocument(
        article_id=row.id,
        url=row.url,
        title=row.title,
        text=row.text or "",
        source=_source_of(row),
        published_at=row.published_at,
        origin=row.origin,
    )


def _as_ledger_entry(row: ClaimRow) -> LedgerEntry:
    assert row.id is not None
    claim = Claim(
        subject=row.subject,
        slot=row.slot,
        value=json.loads(row.value_json),
        qualifier=row.qualifier,
        speaker=row.speaker,
        stance=Stance(row.stance),
        sentence=row.sentence,
        sentence_index=row.sentence_index,
        source=row.source,
        article_url=row.article_url,
        published_at=row.published_at,
        incident_id=row.incident_id,
    )
    return LedgerEntry(row.id, claim, row.article_id, row.corroborates_id)


def _claim_row(article_id: int, claim: Claim, corroborates_id: int | None) -> ClaimRow:
    return ClaimRow(
        article_id=article_id,
        subject=claim.subject,
        incident_id=claim.incident_id,
        slot=claim.slot,
        value_json=json.dumps(claim.value),
        qualifier=claim.qualifier,
        speaker=claim.speaker,
        stance=str(claim.stance),
        sentence=claim.sentence,
        sentence_index=claim.sentence_index,
        source=claim.source,
        article_url=claim.article_url,
        published_at=claim.published_at,
        corroborates_id=corroborates_id,
    )


def _as_alert_record(row: AlertRow) -> AlertRecord:
    assert row.id is not None
    return AlertRecord(
        alert_id=row.id,
        dedup_key=row.dedup_key,
        kind=row.kind,
        subject=row.subject,
        incident_id=row.incident_id,
        slot=row.slot,
        previous=json.loads(row.previous_json) if row.previous_json else None,
        earlier=json.loads(row.earlier_json),
        current=json.loads(row.current_json),
        article_id=row.article_id,
        article_url=row.article_url,
        reason=row.reason,
        created_at=row.created_at,
        is_seeded=row.is_seeded,
        delivery_status=row.delivery_status,
        delivered_at=row.delivered_at,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        first_failed_at=row.first_failed_at,
    )


def _with_outlet(draft: AlertDraft, outlet: str | None) -> AlertDraft:
    if not outlet:
        return draft
    return dataclasses.replace(draft, current={**draft.current, "outlet": outlet})


def _alert_values(
    draft: AlertDraft, article_id: int, *, created_at: datetime, seeded: bool
) -> dict[str, Any]:
    return {
        "dedup_key": draft.dedup_key,
        "kind": draft.kind,
        "subject": draft.subject,
        "incident_id": draft.incident_id,
        "slot": draft.slot,
        "previous_json": json.dumps(draft.previous) if draft.previous else None,
        "earlier_json": json.dumps(list(draft.earlier)),
        "current_json": json.dumps(draft.current),
        "article_id": article_id,
        "article_url": draft.article_url,
        "reason": draft.reason,
        "created_at": created_at,
        "is_seeded": seeded,
        "delivery_status": DeliveryStatus.SEEDED if seeded else DeliveryStatus.PENDING,
        "attempts": 0,
    }


def _sqlite_configurer(busy_timeout_s: float) -> Any:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy's pysqlite recipe: pysqlite must not begin transactions itself
        # (it would BEGIN deferred, and only before a write); _begin_sqlite does.
        dbapi_connection.isolation_level = None
        # WAL lets `monitor feeds` read while the daemon writes; the timeout makes
        # two writers wait for each other instead of failing with "locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of monitor itself; only a power cut
        # can lose the last commits. It saves an fsync per article.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return configure


def _begin_sqlite(connection: sa.Connection) -> None:
    """Every transaction that may write takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction reads first and asks for the write lock at its first write;
    if another connection committed in between, SQLite fails that upgrade at once with
    "database is locked", without waiting out the busy timeout. BEGIN IMMEDIATE waits
    (the busy timeout) at the start instead, where waiting is safe. Reads marked
    read-only begin deferred: in WAL mode they never wait for a writer.
    """
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def _storage_errors() -> Iterator[None]:
    """OperationalError (locked past the busy timeout, connection lost) as StorageError,
    so the caller can record it on the feed it was storing."""
    try:
        yield
    except OperationalError as exc:
        raise StorageError(f"database: {exc.orig}") from exc


def create_db_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, with the SQLite data directory created."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:  # ValueError: a port not a number
        raise ConfigError(
            f"MONITOR_DATABASE_URL {redact_url(url)!r} is not a database URL; "
            "use e.g. sqlite:///data/monitor.db or postgresql://user:pass@host/db"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_configurer(busy_timeout_s))
        sa.event.listen(engine, "begin", _begin_sqlite)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(
        f"MONITOR_DATABASE_URL uses {backend!r}; monitor supports sqlite and postgresql"
    )


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe when replicas start together)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting at once would race to create the same tables.
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """The storage edge: every read and write the pipeline and CLI make."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The same pool, for queries that only read (see _begin_sqlite).
        self._reader = engine.execution_options(**{_READ_ONLY: True})
        self._local_analysis_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Database:
        """Connect, upgrade the schema, and return a ready database."""
        engine = create_db_engine(url, busy_timeout_s=busy_timeout_s)
        try:
            upgrade_schema(engine)
        except OperationalError as exc:
            raise ConfigError(
                f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
                f"{exc.orig}; check MONITOR_DATABASE_URL"
            ) from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it neither takes nor waits for the write lock."""
        with Session(self._reader, expire_on_commit=False) as session:
            yield session

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self._reader.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    # -- feeds -----------------------------------------------------------

    def sync_feeds(self, specs: Sequence[FeedSpec], *, default_interval_min: float) -> None:
        """Make the feed table match rules/feeds.yaml, keeping each feed's polling state."""
        wanted = {spec.name: spec for spec in specs}
        with self.session() as session:
            rows = {row.name: row for row in session.exec(select(FeedRow))}
            for name, spec in wanted.items():
                interval = spec.interval_min or default_interval_min
                row = rows.get(name)
                if row is None:
                    session.add(
                        FeedRow(
                            name=name, url=spec.url, interval_min=interval, source_label=spec.source
                        )
                    )
                    continue
                if row.url != spec.url:
                    # A new address is a new feed as far as caching and errors go.
                    row.etag = row.last_modified = row.last_error = None
                    row.consecutive_errors = 0
                    row.next_due_at = None
                row.url, row.interval_min, row.is_active = spec.url, interval, True
                row.source_label = spec.source
            for name, row in rows.items():
                if name not in wanted:
                    row.is_active = False
            session.commit()

    def feeds(self) -> list[FeedState]:
        """Every active feed, in name order."""
        with self.read_session() as session:
            rows = session.exec(
                select(FeedRow).where(col(FeedRow.is_active)).order_by(col(FeedRow.name))
            )
            return [_as_feed_state(row) for row in rows]

    def due_feeds(self, now: datetime, *, ignore_due: bool = False) -> list[FeedState]:
        """Active feeds whose next poll time has come (all active feeds with ignore_due)."""
        return [
            feed
            for feed in self.feeds()
            if ignore_due or feed.next_due_at is None or feed.next_due_at <= now
        ]

    def claim_due_feeds(
        self,
        owner: str,
        now: datetime,
        *,
        lease_s: float,
        limit: int,
        ignore_due: bool = False,
        exclude: Collection[int] = (),
    ) -> list[FeedState]:
        """Lease up to `limit` due feeds (any active feed with ignore_due) to `owner`.

        On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so
        replicas claiming at once get disjoint feeds; a lease held by a dead
        replica expires and the feed is claimed again.
        """
        due = (
            sa.true()
            if ignore_due
            else sa.or_(col(FeedRow.next_due_at).is_(None), col(FeedRow.next_due_at) <= now)
        )
        ids = self._claim(
            FeedRow,
            sa.and_(col(FeedRow.is_active), due, col(FeedRow.id).not_in(list(exclude))),
            col(FeedRow.next_due_at),
            owner=owner,
            now=now,
            lease_s=lease_s,
            limit=limit,
        )
        with self.read_session() as session:
            rows = session.exec(select(FeedRow).where(col(FeedRow.id).in_(ids)))
            return sorted((_as_feed_state(row) for row in rows), key=lambda f: f.name)

    def _claim(
        self,
        table: type[FeedRow] | type[ArticleRow],
        condition: sa.ColumnElement[bool],
        order: Any,
        *,
        owner: str,
        now: datetime,
        lease_s: float,
        limit: int,
    ) -> list[int]:
        """Lease the first `limit` rows meeting `condition` whose lease is free (or ours)."""
        free = sa.or_(
            col(table.lease_expires_at).is_(None),
            col(table.lease_expires_at) < now,
            col(table.lease_owner) == owner,
        )
        pick = (
            sa.select(table.id, table.lease_owner)  # type: ignore[call-overload]  # SQLModel id
            .where(condition, free)
            .order_by(order, table.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self.engine.begin() as connection:
            rows = connection.execute(pick).all()
            ids = [row[0] for row in rows]
            if ids:
                connection.execute(
                    sa.update(table)
                    .where(col(table.id).in_(ids))
                    .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_s))
                )
        _log_takeovers(table.__tablename__, owner, [row[1] for row in rows])
        return ids

    def renew_leases(self, owner: str, now: datetime, *, lease_s: float) -> None:
        """Extend every lease `owner` holds: the heartbeat of a live replica."""
        until = now + timedelta(seconds=lease_s)
        with self.engine.begin() as connection:
            for table in (FeedRow, ArticleRow):
                connection.execute(
                    sa.update(table)
                    .where(col(table.lease_owner) == owner)
                    .values(lease_expires_at=until)
                )
            connection.execute(
                sa.update(JobLeaseRow)
                .where(col(JobLeaseRow.owner) == owner)
                .values(expires_at=until)
            )

    def release_leases(self, owner: str) -> None:
        """Give up every feed and article lease `owner` holds (a replica shutting down)."""
        with self.engine.begin() as connection:
            for table in (FeedRow, ArticleRow):
                connection.execute(
                    sa.update(table)
                    .where(col(table.lease_owner) == owner)
                    .values(lease_owner=None, lease_expires_at=None)
                )

    def acquire_job_lease(self, name: str, owner: str, now: datetime, *, lease_s: float) -> bool:
        """Take (or keep) the lease on a singleton job; False when a live replica holds it."""
        until = now + timedelta(seconds=lease_s)
        insert = (postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(
            JobLeaseRow
        )
        with self.engine.begin() as connection:
            connection.execute(
                insert.values(name=name, owner=owner, expires_at=until).on_conflict_do_nothing()
            )
            taken = connection.execute(
                sa.update(JobLeaseRow)
                .where(
                    col(JobLeaseRow.name) == name,
                    sa.or_(col(JobLeaseRow.owner) == owner, col(JobLeaseRow.expires_at) < now),
                )
                .values(owner=owner, expires_at=until)
            )
            return bool(taken.rowcount)

    def release_job_lease(self, name: str, owner: str) -> None:
        """Give up a singleton job's lease if `owner` holds it."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.delete(JobLeaseRow).where(
                    col(JobLeaseRow.name) == name, col(JobLeaseRow.owner) == owner
                )
            )

    @contextmanager
    def analysis_lock(self) -> Iterator[None]:
        """Serialise ledger read-compare-write across replicas (a PostgreSQL advisory lock).

        Two replicas analysing articles about one incident at once would each
        miss the other's claims; analysis takes milliseconds, so one at a time
        costs little. In one process (SQLite), a thread lock does the same.
        """
        if self.engine.dialect.name != "postgresql":
            with self._local_analysis_lock:
                yield
            return
        with self.engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(_ANALYSIS_LOCK_KEY)))
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(_ANALYSIS_LOCK_KEY)))
                connection.commit()

    def record_feed_poll(
        self,
        feed_id: int,
        *,
        fetched_at: datetime,
        next_due_at: datetime,
        status: int | None,
        error: str | None,
        etag: str | None = None,
        last_modified: str | None = None,
        entry_count: int | None = None,
    ) -> None:
        """Store one poll's outcome: caching headers on success, the error counter on failure.

        StorageError when the database refuses the write (locked past the busy timeout).
        """
        with _storage_errors(), self.session() as session:
            row = session.get_one(FeedRow, feed_id)
            row.last_fetched_at, row.next_due_at, row.last_status = fetched_at, next_due_at, status
            row.lease_owner = row.lease_expires_at = None
            if error is None:
                row.consecutive_errors, row.last_error = 0, None
                if status != 304:
                    row.etag, row.last_modified = etag, last_modified
                if entry_count is not None:
                    row.entry_count = entry_count
            else:
                row.consecutive_errors += 1
                row.last_error = error
            session.commit()

    # -- entries and articles ----------------------------------------------

    def add_feed_items(self, feed_id: int, items: Iterable[FeedItem], now: datetime) -> int:
        """Record new entries and queue an article per unseen URL; returns how many were queued.

        Deduplication: an entry whose GUID this feed already has is skipped; a
        new GUID whose URL is already stored points at the existing article
        (a feed re-issuing GUIDs costs no download). Content-hash dedup happens
        after extraction, in store_extraction.

        One transaction, a few hundred rows per INSERT ... ON CONFLICT DO NOTHING:
        another process (a cron `monitor once` beside the daemon) may store the same
        URL or GUID at the same time, and its row simply wins. An article is
        attributed to the feed (its name, or its `source:`), and a publication date
        no feed could truly state (year 9999, 1970) is replaced by the first sight.
        StorageError when the database refuses the write (locked past the busy timeout).
        """
        queued = 0
        with _storage_errors(), self.engine.begin() as connection:
            name, label = connection.execute(
                sa.select(col(FeedRow.name), col(FeedRow.source_label)).where(
                    col(FeedRow.id) == feed_id
                )
            ).one()
            known = set(
                connection.execute(
                    sa.select(col(FeedEntryRow.guid)).where(col(FeedEntryRow.feed_id) == feed_id)
                ).scalars()
            )
            fresh: dict[str, FeedItem] = {}
            for item in items:
                if item.guid not in known:
                    fresh.setdefault(item.guid, item)
            entries = list(fresh.values())
            for start in range(0, len(entries), ENTRY_BATCH_ROWS):
                batch = entries[start : start + ENTRY_BATCH_ROWS]
                queued += self._add_entries(connection, feed_id, label or name, batch, now)
        return queued

    def _insert(self, table: type[SQLModel]) -> Any:
        """INSERT for this dialect (both have ON CONFLICT DO NOTHING)."""
        dialect_insert = (
            postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        )
        # The table, not the SQLModel class: an ORM-enabled INSERT costs a Python
        # round of attribute handling per row.
        return dialect_insert(sa.inspect(table).local_table)

    def _add_entries(
        self,
        connection: sa.Connection,
        feed_id: int,
        source: str,
        items: Sequence[FeedItem],
        now: datetime,
    ) -> int:
        """Store a batch of new entries, and an article per URL not yet stored; how many
        articles were queued. Rows go in key order, so two writers lock them alike."""
        articles: dict[str, dict[str, Any]] = {}
        for item in sorted(items, key=lambda i: i.url):
            published, stated = checked_published_at(item.published_at, now)
            articles.setdefault(
                item.url,
                {
                    "url": item.url,
                    "title": item.title,
                    "feed_id": feed_id,
                    "source_label": source,
                    "origin": "feed",
                    "published_at": published,
                    "stated_published_at": stated,
                    "created_at": now,
                    "revision": 0,
                    "status": ArticleStatus.PENDING,
                    "is_new_incident": False,
                    "recheck_count": 0,
                    "fetch_attempts": 0,
                },
            )
        # Executed with a list of rows: SQLAlchemy sends them as one multi-row INSERT
        # (its "insertmanyvalues"), compiled once and cached, unlike .values([...]).
        inserted = connection.execute(
            self._insert(ArticleRow)
            .on_conflict_do_nothing(index_elements=["url"])
            .returning(col(ArticleRow.id)),
            list(articles.values()),
        ).all()
        ids = dict(
            connection.execute(
                sa.select(col(ArticleRow.url), col(ArticleRow.id)).where(
                    col(ArticleRow.url).in_(list(articles))
                )
            ).all()
        )
        connection.execute(
            self._insert(FeedEntryRow).on_conflict_do_nothing(index_elements=["feed_id", "guid"]),
            [
                {
                    "feed_id": feed_id,
                    "guid": item.guid,
                    "url": item.url,
                    "title": item.title,
                    "published_at": item.published_at,  # as the feed stated it
                    "first_seen_at": now,
                    "article_id": ids.get(item.url),
                }
                for item in sorted(items, key=lambda i: i.guid)
            ],
        )
        return len(inserted)

    def claim_unanalysed_articles(
        self, owner: str, now: datetime, *, lease_s: float, limit: int
    ) -> list[int]:
        """Lease extracted articles whose analysis never got stored (a crash between commits)."""
        unanalysed = sa.and_(
            col(ArticleRow.status) == ArticleStatus.EXTRACTED, col(ArticleRow.matched_at).is_(None)
        )
        return self._claim(
            ArticleRow,
            unanalysed,
            col(ArticleRow.id),
            owner=owner,
            now=now,
            lease_s=lease_s,
            limit=limit,
        )

    # -- re-checks and revisions ----------------------------------------------

    def schedule_recheck(self, article_id: int, *, checks_done: int, at: datetime | None) -> None:
        """When to re-fetch the article next (None: never again)."""
        with self.session() as session:
            row = session.get_one(ArticleRow, article_id)
            row.recheck_count, row.next_recheck_at = checks_done, at
            row.lease_owner = row.lease_expires_at = None
            session.commit()

    def claim_due_rechecks(
        self, owner: str, now: datetime, *, lease_s: float, limit: int
    ) -> list[RecheckDue]:
        """Lease extracted articles whose next re-check time has come."""
        due = sa.and_(
            col(ArticleRow.status) == ArticleStatus.EXTRACTED,
            col(ArticleRow.next_recheck_at) <= now,
        )
        ids = self._claim(
            ArticleRow,
            due,
            col(ArticleRow.next_recheck_at),
            owner=owner,
            now=now,
            lease_s=lease_s,
            limit=limit,
        )
        with self.read_session() as session:
            rows = session.exec(select(ArticleRow).where(col(ArticleRow.id).in_(ids)))
            return [
                RecheckDue(
                    r.id,
                    r.url,
                    r.content_hash,
                    r.recheck_count,
                    r.published_at,
                    r.created_at or r.fetched_at,
                    PageCheck(r.page_etag, r.page_last_modified, r.page_hash),
                )
                for r in rows
                if r.id is not None
            ]

    def record_page_check(self, article_id: int, check: PageCheck) -> None:
        """Remember a re-fetched page's validators and hash (its text was unchanged)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(ArticleRow)
                .where(col(ArticleRow.id) == article_id)
                .values(**check.columns())
            )

    def store_revision(
        self,
        article_id: int,
        page: ExtractedPage,
        *,
        fetched_at: datetime,
        check: PageCheck | None = None,
    ) -> int:
        """Keep the current text as a past revision and store the new one; returns the revision."""
        with self.session() as session:
            row = session.get_one(ArticleRow, article_id)
            for column, value in (check.columns() if check else {}).items():
                setattr(row, column, value)
            session.add(
                ArticleRevisionRow(
                    article_id=article_id,
                    revision=row.revision,
                    title=row.title,
                    text=row.text or "",
                    content_hash=row.content_hash or "",
                    fetched_at=row.fetched_at,
                )
            )
            row.text, row.content_hash = page.text, content_hash(page.text)
            row.title = page.title or row.title
            row.revision += 1
            row.fetched_at = fetched_at
            session.commit()
            return row.revision

    def article_claims(self, article_id: int) -> list[LedgerEntry]:
        """The claims one article made, in its sentence order."""
        query = (
            select(ClaimRow)
            .where(ClaimRow.article_id == article_id)
            .order_by(col(ClaimRow.sentence_index), col(ClaimRow.id))
        )
        with self.read_session() as session:
            return [_as_ledger_entry(row) for row in session.exec(query)]

    def pending_count(self, now: datetime) -> int:
        """How many articles wait for their page and are due (for progress bars)."""
        query = select(sa.func.count()).where(
            ArticleRow.status == ArticleStatus.PENDING, _fetch_due(now)
        )
        with self.read_session() as session:
            return int(session.exec(query).one())

    def claim_pending_articles(
        self, owner: str, now: datetime, *, lease_s: float, limit: int
    ) -> list[PendingArticle]:
        """Lease up to `limit` articles waiting for their page (and not for a retry's time),
        oldest first."""
        ids = self._claim(
            ArticleRow,
            sa.and_(col(ArticleRow.status) == ArticleStatus.PENDING, _fetch_due(now)),
            col(ArticleRow.id),
            owner=owner,
            now=now,
            lease_s=lease_s,
            limit=limit,
        )
        with self.read_session() as session:
            rows = session.exec(select(ArticleRow).where(col(ArticleRow.id).in_(ids)))
            return sorted(
                (
                    PendingArticle(article_id=r.id, url=r.url, fetch_attempts=r.fetch_attempts)
                    for r in rows
                    if r.id is not None
                ),
                key=lambda a: a.article_id,
            )

    def store_extraction(
        self,
        article_id: int,
        page: ExtractedPage,
        *,
        fetched_at: datetime,
        check: PageCheck | None = None,
    ) -> StoredDocument | None:
        """Store extracted text (and `check`, the fetched page's validators and hash) and
        return the stored article, or None when the same text is already stored under
        another article (a duplicate)."""
        digest = content_hash(page.text)
        this_article = col(ArticleRow.id) == article_id
        # Core statements, not ORM objects: this runs once per article, on the hot path.
        with self.engine.begin() as connection:
            twin = connection.execute(
                sa.select(col(ArticleRow.id))
                .where(col(ArticleRow.content_hash) == digest, col(ArticleRow.id) != article_id)
                .limit(1)
            ).scalar()
            done = {
                "fetched_at": fetched_at,
                "error": None,
                "lease_owner": None,
                "lease_expires_at": None,
            }
            if twin is not None:
                connection.execute(
                    sa.update(ArticleRow)
                    .where(this_article)
                    .values(status=ArticleStatus.DUPLICATE, duplicate_of=twin, **done)
                )
                return None
            found: dict[str, Any] = {"author": page.author, "canonical_url": page.canonical_url}
            if check is not None:
                found |= check.columns()
            if page.title:
                found["title"] = page.title
            if page.site_name:
                found["outlet"] = page.site_name
            if page.published_at is not None:
                found |= _page_date_columns(page.published_at, fetched_at)
            row = connection.execute(
                sa.update(ArticleRow)
                .where(this_article)
                .values(
                    text=page.text,
                    content_hash=digest,
                    revision=col(ArticleRow.revision) + 1,
                    status=ArticleStatus.EXTRACTED,
                    **found,
                    **done,
                )
                .returning(
                    col(ArticleRow.url),
                    col(ArticleRow.title),
                    col(ArticleRow.source_label),
                    col(ArticleRow.outlet),
                    col(ArticleRow.published_at),
                    col(ArticleRow.origin),
                )
            ).one()
        return StoredDocument(
            article_id=article_id,
            url=row.url,
            title=row.title,
            text=page.text,
            source=_source(row.source_label, row.outlet, row.url),
            published_at=row.published_at,
            origin=row.origin,
        )

    def record_article_failure(
        self, article_id: int, *, status: str, error: str, fetched_at: datetime
    ) -> None:
        """Keep the reason a page could not be fetched or extracted."""
        with self.session() as session:
            row = session.get_one(ArticleRow, article_id)
            row.status, row.error, row.fetched_at = status, error, fetched_at
            row.lease_owner = row.lease_expires_at = None
            session.commit()

    def record_analysis_failure(self, article_id: int, *, error: str) -> None:
        """Keep why an article's analysis failed; it leaves `extracted`, so neither the
        left-over analysis nor a re-check claims it again."""
        with self.session() as session:
            row = session.get_one(ArticleRow, article_id)
            row.status, row.error = ArticleStatus.ANALYSIS_FAILED, error
            row.lease_owner = row.lease_expires_at = None
            session.commit()

    def defer_article(
        self, article_id: int, *, error: str, retry_at: datetime, fetched_at: datetime
    ) -> None:
        """A fetch failed for a passing reason: keep the article pending until retry_at,
        with the error shown, and count the attempt."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(ArticleRow)
                .where(col(ArticleRow.id) == article_id)
                .values(
                    error=error,
                    fetched_at=fetched_at,
                    next_fetch_at=retry_at,
                    fetch_attempts=ArticleRow.fetch_attempts + 1,
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )

    def add_article(
        self,
        *,
        url: str,
        page: ExtractedPage,
        fetched_at: datetime,
        origin: str,
        source_label: str | None,
        published_at: datetime | None,
    ) -> tuple[int, bool]:
        """Store an article given directly (ingest, seed). Returns (id, is_new)."""
        with self.session() as session:
            existing = session.exec(select(ArticleRow).where(ArticleRow.url == url)).first()
            if existing is not None and existing.status == ArticleStatus.EXTRACTED:
                assert existing.id is not None
                return existing.id, False
            row = existing or ArticleRow(url=url, created_at=fetched_at)
            row.origin, row.source_label = origin, source_label
            row.published_at = published_at or row.published_at
            session.add(row)
            session.commit()
            assert row.id is not None
            article_id = row.id
        stored = self.store_extraction(article_id, page, fetched_at=fetched_at)
        return article_id, stored is not None

    def articles(self, *, since: datetime | None = None) -> list[ArticleRecord]:
        """Stored articles, newest first; `since` filters on publication (else fetch) time."""
        query = select(ArticleRow).order_by(col(ArticleRow.id).desc())
        if since is not None:
            when = sa.func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
            query = query.where(when >= since)
        with self.read_session() as session:
            return [_as_article_record(row) for row in session.exec(query)]

    def article_by_url(self, url: str) -> ArticleRecord | None:
        """The stored article at this URL, if any."""
        with self.read_session() as session:
            row = session.exec(select(ArticleRow).where(ArticleRow.url == url)).first()
            return None if row is None else _as_article_record(row)

    # -- incident matches --------------------------------------------------------

    def document(self, article_id: int) -> StoredDocument:
        """One extracted article's text, for the analysis stages."""
        with self.read_session() as session:
            return _as_document(session.get_one(ArticleRow, article_id))

    def documents(self, *, since: datetime | None = None) -> list[StoredDocument]:
        """Every extracted article, oldest publication first (for replays)."""
        when = sa.func.coalesce(ArticleRow.published_at, ArticleRow.fetched_at)
        query = (
            select(ArticleRow)
            .where(ArticleRow.status == ArticleStatus.EXTRACTED)
            .order_by(when, col(ArticleRow.id))
        )
        if since is not None:
            query = query.where(when >= since)
        with self.read_session() as session:
            return [_as_document(row) for row in session.exec(query)]

    def record_matches(
        self,
        article_id: int,
        links: Sequence[IncidentLink],
        *,
        is_new_incident: bool,
        matched_at: datetime,
    ) -> None:
        """Replace the article's incident matches with these."""
        with self.session() as session:
            self._replace_matches(session, article_id, links, is_new_incident, matched_at)
            session.commit()

    @staticmethod
    def _replace_matches(
        session: Session,
        article_id: int,
        links: Sequence[IncidentLink],
        is_new_incident: bool,
        matched_at: datetime,
    ) -> None:
        session.execute(
            sa.update(ArticleRow)
            .where(col(ArticleRow.id) == article_id)
            .values(
                matched_at=matched_at,
                is_new_incident=is_new_incident,
                lease_owner=None,
                lease_expires_at=None,
            )
        )
        session.execute(
            sa.delete(ArticleIncidentRow).where(col(ArticleIncidentRow.article_id) == article_id)
        )
        for link in links:
            session.add(
                ArticleIncidentRow(
                    article_id=article_id,
                    incident_id=link.incident_id,
                    score=link.score,
                    evidence=link.evidence_json,
                )
            )

    # -- claims and alerts ---------------------------------------------------

    def ledger(
        self, subjects: Collection[str], *, exclude_article: int | None = None
    ) -> list[LedgerEntry]:
        """Every stored claim about these subjects, oldest publication first.

        `exclude_article` leaves out one article's own claims: an edited article
        is compared with its previous revision separately, not with itself.
        """
        if not subjects:
            return []
        query = (
            select(ClaimRow)
            .where(col(ClaimRow.subject).in_(list(subjects)))
            .where(col(ClaimRow.article_id) != (exclude_article or -1))
            .order_by(col(ClaimRow.published_at), col(ClaimRow.id))
        )
        with self.read_session() as session:
            return [_as_ledger_entry(row) for row in session.exec(query)]

    def record_analysis(
        self,
        article_id: int,
        *,
        links: Sequence[IncidentLink],
        is_new_incident: bool,
        matched_at: datetime,
        claims: Sequence[tuple[Claim, int | None]],
        alerts: Sequence[AlertDraft],
        seeded: bool,
    ) -> list[AlertDraft]:
        """Store an article's matches, claims and alerts in one transaction.

        Claims come with the id of the claim they corroborate (or None). An
        alert whose dedup key is already stored is skipped: a syndicated copy
        raises nothing. Returns the alerts actually added.

        Each alert's current side also keeps the page's own name for its outlet
        (`outlet`), so Slack can show it beside the source.
        """
        with self.session() as session:
            outlet = session.execute(
                sa.select(col(ArticleRow.outlet)).where(col(ArticleRow.id) == article_id)
            ).scalar()
            self._replace_matches(session, article_id, links, is_new_incident, matched_at)
            session.execute(sa.delete(ClaimRow).where(col(ClaimRow.article_id) == article_id))
            session.add_all(_claim_row(article_id, c, earlier) for c, earlier in claims)
            added = [
                draft
                for draft in alerts
                if self._insert_alert(
                    session, _with_outlet(draft, outlet), article_id, matched_at, seeded
                )
                is not None
            ]
            session.commit()
        return added

    def _insert_alert(
        self, session: Session, draft: AlertDraft, article_id: int, now: datetime, seeded: bool
    ) -> int | None:
        values = _alert_values(draft, article_id, created_at=now, seeded=seeded)
        insert = (postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert)(
            AlertRow
        )
        statement = insert.values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
        result = session.execute(statement.returning(col(AlertRow.id)))
        return result.scalar_one_or_none()

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
            return [_as_alert_record(row) for row in session.exec(query)]

    # -- the outbox ------------------------------------------------------------

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
            return [_as_alert_record(row) for row in session.exec(query)]

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

    def incidents_by_article(self) -> dict[int, list[str]]:
        """Each matched article's incident ids, best score first."""
        query = select(ArticleIncidentRow).order_by(
            col(ArticleIncidentRow.article_id), col(ArticleIncidentRow.score).desc()
        )
        found: dict[int, list[str]] = {}
        with self.read_session() as session:
            for link in session.exec(query):
                found.setdefault(link.article_id, []).append(link.incident_id)
        return found

    def incident_coverage(self) -> dict[str, IncidentCoverage]:
        """Article count and latest publication per incident."""
        query = (
            select(
                ArticleIncidentRow.incident_id,
                sa.func.count(),
                sa.func.max(ArticleRow.published_at, type_=UTCDateTime()),
            )
            .join(ArticleRow, col(ArticleRow.id) == col(ArticleIncidentRow.article_id))
            .group_by(col(ArticleIncidentRow.incident_id))
        )
        with self.read_session() as session:
            rows = session.exec(query).all()
        return {
            incident_id: IncidentCoverage(incident_id, int(count), latest)
            for incident_id, count, latest in rows
        }

    def article_count(self) -> int:
        with self.read_session() as session:
            return int(session.exec(select(sa.func.count()).select_from(ArticleRow)).one())
