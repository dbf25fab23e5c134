"""`monitor explain`: a dry run of the analysis on one article, for editors tuning rules.

Reads a URL or file exactly as `monitor ingest` would, runs the pure stages
with the pipeline's limits (MONITOR_MAX_ANALYSED_CHARS, MONITOR_ANALYSIS_BUDGET_S),
and renders what they found. Writes nothing. An analysis that outruns its budget
is reported as the error the pipeline would store on the article.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.engine import (
    Analysis,
    LedgerEntry,
    analyse_claims,
    capped,
    ledger_subjects,
    load_rule_set,
    match,
)
from monitor.analysis.events import CandidateIncident
from monitor.analysis.match import explain
from monitor.analysis.patterns import AnalysisBudget
from monitor.config import Settings
from monitor.errors import AnalysisBudgetError
from monitor.model import Document, iso
from monitor.pipeline.explain_events import events_json, events_lines
from monitor.pipeline.followed import ReadsCandidates, known_candidates
from monitor.pipeline.targets import read_target
from monitor.store.snapshot import (
    SnapshotUnavailableError,
    SqliteSnapshot,
    sqlite_file,
)
from monitor.views import alert_draft_json, claim_json, match_json

if TYPE_CHECKING:
    from collections.abc import Collection


class _StoredArticle(Protocol):
    """What explain needs of an article already stored."""

    @property
    def source(self) -> str: ...

    @property
    def published_at(self) -> datetime | None: ...

    @property
    def stated_published_at(self) -> datetime | None: ...


class _Reads(ReadsCandidates, Protocol):
    """What explain reads: `Database`, or on SQLite a `SqliteSnapshot` (no SQLAlchemy)."""

    def article_by_url(self, url: str) -> _StoredArticle | None: ...

    def ledger(self, subjects: Collection[str]) -> list[LedgerEntry]: ...

    def known_alert_keys(self, keys: Collection[str]) -> set[str]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Explanation:
    """The article as read, and what the stages found in it."""

    document: Document
    analysis: Analysis
    # The drafts that would be new alerts (their dedup key is not stored yet).
    alerts: tuple[AlertDraft, ...]
    # The implausible date the feed stated, when the stored article is dated by its first sight.
    stated_published_at: datetime | None = None
    # The candidate incidents the article was matched against (stored by earlier articles).
    known_candidates: tuple[CandidateIncident, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.document.url,
            "title": self.document.title,
            "source": self.document.source,
            "published": iso(self.document.published_at),
            "stated_published": iso(self.stated_published_at),
            "text": self.document.text,
            **match_json(self.analysis.match),
            "claims": [claim_json(c) for c in self.analysis.claims],
            "alerts": [alert_draft_json(a) for a in self.alerts],
            **events_json(self.analysis.match, self.known_candidates),
        }

    def as_lines(self, *, width: int = 100) -> list[str]:
        published = iso(self.document.published_at) or "unknown (relative dates not resolved)"
        if self.stated_published_at is not None:
            published += f" (the feed said {iso(self.stated_published_at)}, which is implausible)"
        header = [
            f"article:   {self.document.title or '(no title)'}",
            f"url:       {self.document.url}",
            f"source:    {self.document.source}",
            f"published: {published}",
            "",
            "entities:  "
            + (", ".join(sorted({h.entity_id for h in self.analysis.match.hits})) or "none"),
            "",
        ]
        lines = header + explain(self.analysis.match, width=width)
        lines.extend(events_lines(self.analysis.match, self.known_candidates, width=width))
        lines.append("claims:")
        for claim in self.analysis.claims or ():
            who = claim.speaker or claim.source
            qualifier = f" ({claim.qualifier})" if claim.qualifier else ""
            lines.append(
                f"  [{claim.sentence_index}] {claim.subject} {claim.slot} = {claim.value!r}"
                f"{qualifier}, {claim.stance} by {who}"
            )
        if not self.analysis.claims:
            lines.append("  none")
        lines.append("alerts that would fire:")
        lines.extend(
            f"  {a.kind} {a.subject or ''} {a.slot or ''}: {a.reason}" for a in self.alerts
        )
        if not self.alerts:
            lines.append("  none")
        return lines


def explain_target(
    settings: Settings,
    target: str,
    *,
    published_at: datetime | None = None,
    source_label: str | None = None,
) -> Explanation:
    """Read one article (URL or file) and run the analysis on it, storing nothing."""
    rule_set = load_rule_set(settings.rules_dir, cache_dir=settings.data_dir / "cache")
    url, page = read_target(settings, target)
    database = _existing_database(settings)
    # An article already stored (from a feed) is explained as the pipeline sees it:
    # attributed to its feed, dated by its first sight if the feed's date was absurd.
    stored = database.article_by_url(url) if database is not None else None
    stored_at = stored.published_at if stored else None
    stored_date_uncertain = stored is not None and stored.stated_published_at is not None
    document = Document(
        url=url,
        title=page.title,
        text=page.text,
        source=source_label or (stored.source if stored else None) or page.site_name or url,
        published_at=published_at or stored_at or page.published_at,
        # Dated by first sight (the outlet's date was absurd): weekdays do not resolve.
        date_uncertain=published_at is None and stored_date_uncertain,
    )
    document = capped(document, settings.max_analysed_chars)
    followed: list[CandidateIncident] = []
    if database is not None:  # matched as the pipeline would: against the known candidates
        day = (document.published_at or datetime.now(UTC)).date()
        followed = known_candidates(database, rule_set.rules, day)
    try:
        budget = AnalysisBudget(settings.analysis_budget_s, clock=time.monotonic)
        result = match(document, rule_set, budget, candidates=followed)
        left_s = budget.remaining_s()
        ledger: list[LedgerEntry] = []
        if database is not None:
            ledger = database.ledger(ledger_subjects(result, rule_set.rules))
        rest = AnalysisBudget(left_s, clock=time.monotonic)
        analysis = analyse_claims(document, result, rule_set, ledger, rest)
    except AnalysisBudgetError as exc:
        if database is not None:
            database.close()
        raise AnalysisBudgetError(
            f"{exc} (the pipeline stores such an article as analysis_failed)"
        ) from None
    known = database.known_alert_keys([a.dedup_key for a in analysis.alerts]) if database else set()
    if database is not None:
        database.close()
    return Explanation(
        document,
        analysis,
        tuple(a for a in analysis.alerts if a.dedup_key not in known),
        stated_published_at=None if published_at or stored is None else stored.stated_published_at,
        known_candidates=tuple(followed),
    )


def _existing_database(settings: Settings) -> _Reads | None:
    """The configured database, or None for a SQLite file that does not exist yet.

    A dry run must not create the default SQLite file; against it, the ledger is empty.
    SQLite is read through a read-only snapshot (fast to start, cannot write); another
    database, or a SQLite schema the snapshot cannot read, through `Database`.
    """
    url = settings.resolved_database_url
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return None
    if path is not None:
        snapshot = _snapshot(path)
        if snapshot is not None:
            return snapshot
    from monitor.store import Database  # SQLAlchemy: only when the snapshot cannot serve

    database: _Reads = Database.open(url)
    return database


def _snapshot(path: Path) -> SqliteSnapshot | None:
    """A snapshot whose schema answers every query explain makes, or None."""
    try:
        snapshot = SqliteSnapshot(path)
    except SnapshotUnavailableError:
        return None
    try:
        snapshot.article_by_url("")
        snapshot.candidates()
        snapshot.ledger([""])
        snapshot.known_alert_keys([""])
    except SnapshotUnavailableError:
        snapshot.close()
        return None
    return snapshot
