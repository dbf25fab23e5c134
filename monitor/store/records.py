"""The frozen values callers get from the store, and the mappings between them and rows.

Callers never see a row (monitor.store.tables), so a session's lifetime never
leaks out of the store. Most mappings are one line: a value's fields take the
row's columns of the same names, and only what differs (ids, JSON, derived
fields) is spelled out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import SQLModel

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.claim_voice import Stance
from monitor.analysis.claims import Claim
from monitor.analysis.engine import LedgerEntry
from monitor.analysis.events import CandidateIncident, Outcome, Shooter
from monitor.model import FetchResult
from monitor.store.sources import source_name
from monitor.store.tables import AlertRow, ArticleRow, CandidateIncidentRow, ClaimRow, FeedRow

if TYPE_CHECKING:  # _typeshed exists only for the type checker
    from _typeshed import DataclassInstance

    Value = TypeVar("Value", bound=DataclassInstance)


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
    # None until a poll succeeds: the feed is new, and that poll's entries its backlog.
    first_polled_at: datetime | None = None
    # The schedule: `interval_min` is the interval in use, `own_interval_min` the one
    # feeds.yaml sets (None: adaptive), `interval_reason` why (pipeline.schedule.Reason),
    # `hint_until` the server hint's floor.
    own_interval_min: float | None = None
    interval_reason: str | None = None
    hint_until: datetime | None = None
    document_refresh_s: float | None = None  # RSS <ttl> / sy:updatePeriod, in seconds
    # While a WebSub subscription is live (its lease runs until then), polling drops
    # to MONITOR_MAX_INTERVAL_S; None: no live subscription.
    push_lease_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class FeedSchedule:
    """What a poll's schedule decided, to store with it: the interval in use (None: keep
    the stored one, as after a failure), why, and a server hint's floor."""

    interval_min: float | None
    reason: str
    hint_until: datetime | None = None
    # Set after a full fetch (the document was read): the wait it asks for, or None.
    document_read: bool = False
    document_refresh_s: float | None = None


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
    date_uncertain: bool = False  # published_at is the first sight (see model.Document)


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


@dataclass(frozen=True, slots=True)
class CandidateRecord:
    """A stored candidate incident and the article that first reported it."""

    candidate: CandidateIncident
    first_article_id: int
    first_seen_at: datetime


class DeliveryStatus:
    """Values of alert.delivery_status."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SEEDED = "seeded"  # the baseline: recorded, never posted
    DROPPED = "dropped"  # discarded from the outbox on purpose (monitor alerts --drop-pending)
    MUTED = "muted"  # its (incident, slot) was muted from Slack: stored, never posted


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
class OutboxState:
    """How the Slack outbox stands: what waits, since when, and the oldest failing alert."""

    waiting: int
    oldest_created_at: datetime | None
    # The pending alert whose run of failed tries began first (None: no pending alert failed).
    failing_alert_id: int | None = None
    failing_since: datetime | None = None
    failing_error: str | None = None


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


def content_hash(text: str) -> str:
    """Hash of the text with whitespace and case folded, so trivial reflows match."""
    folded = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


# -- rows to values -----------------------------------------------------------


def _from_row(value_type: type[Value], row: SQLModel, **differing: Any) -> Value:
    """A value whose fields are the row's columns of the same names, but for `differing`."""
    same = (f.name for f in dataclasses.fields(value_type) if f.name not in differing)
    return value_type(**{name: getattr(row, name) for name in same}, **differing)


def feed_state(row: FeedRow, *, push_lease_until: datetime | None = None) -> FeedState:
    return _from_row(FeedState, row, feed_id=row.id, push_lease_until=push_lease_until)


def article_record(row: ArticleRow) -> ArticleRecord:
    pending = row.status == ArticleStatus.PENDING
    return _from_row(
        ArticleRecord,
        row,
        article_id=row.id,
        source=source_name(row.source_label, row.outlet, row.url),
        retry_at=row.next_fetch_at if pending else None,
    )


def stored_document(row: ArticleRow) -> StoredDocument:
    return _from_row(
        StoredDocument,
        row,
        article_id=row.id,
        text=row.text or "",
        source=source_name(row.source_label, row.outlet, row.url),
        date_uncertain=row.stated_published_at is not None,
    )


def recheck_due(row: ArticleRow) -> RecheckDue:
    return _from_row(
        RecheckDue,
        row,
        article_id=row.id,
        first_seen_at=row.created_at or row.fetched_at,
        page=PageCheck(row.page_etag, row.page_last_modified, row.page_hash),
    )


def ledger_entry(row: ClaimRow) -> LedgerEntry:
    assert row.id is not None
    claim = _from_row(
        Claim, row, value=json.loads(row.value_json), stance=Stance(row.stance), holder=""
    )
    return LedgerEntry(row.id, claim, row.article_id, row.corroborates_id)


def candidate_record(row: CandidateIncidentRow) -> CandidateRecord:
    candidate = _from_row(
        CandidateIncident,
        row,
        shooter=Shooter(row.shooter),
        outcome=Outcome(row.outcome),
        names=tuple(json.loads(row.names_json)),
    )
    return CandidateRecord(candidate, row.first_article_id, row.first_seen_at)


def alert_record(row: AlertRow) -> AlertRecord:
    return _from_row(
        AlertRecord,
        row,
        alert_id=row.id,
        previous=json.loads(row.previous_json) if row.previous_json else None,
        earlier=json.loads(row.earlier_json),
        current=json.loads(row.current_json),
    )


# -- values to rows -----------------------------------------------------------


def _columns(value: DataclassInstance, *, but: Collection[str]) -> dict[str, Any]:
    """A value's fields by name, for the row's columns of the same names; `but` left out."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.name not in but}


def claim_row(article_id: int, claim: Claim, corroborates_id: int | None) -> ClaimRow:
    return ClaimRow(
        **_columns(claim, but={"value", "stance", "holder"}),
        value_json=json.dumps(claim.value),
        stance=str(claim.stance),
        article_id=article_id,
        corroborates_id=corroborates_id,
    )


def candidate_columns(
    candidate: CandidateIncident, article_id: int, seen_at: datetime
) -> dict[str, Any]:
    return {
        **_columns(candidate, but={"shooter", "outcome", "names"}),
        "shooter": str(candidate.shooter),
        "outcome": str(candidate.outcome),
        "names_json": json.dumps(list(candidate.names)),
        "first_article_id": article_id,
        "first_seen_at": seen_at,
    }


def alert_columns(
    draft: AlertDraft, article_id: int, *, created_at: datetime, seeded: bool
) -> dict[str, Any]:
    return {
        **_columns(draft, but={"previous", "earlier", "current"}),
        "previous_json": json.dumps(draft.previous) if draft.previous else None,
        "earlier_json": json.dumps(list(draft.earlier)),
        "current_json": json.dumps(draft.current),
        "article_id": article_id,
        "created_at": created_at,
        "is_seeded": seeded,
        "delivery_status": DeliveryStatus.SEEDED if seeded else DeliveryStatus.PENDING,
        "attempts": 0,
    }
