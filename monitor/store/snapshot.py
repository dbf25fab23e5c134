"""A read-only look at a SQLite database through the standard library's sqlite3.

`monitor explain` reads four things from the database: a stored article's source and
dates, the candidate incidents, the ledger of some subjects, and which alert keys exist.
Through `Database` that costs importing SQLAlchemy and SQLModel, most of a command's
start-up; here it costs nothing, and the file is opened read-only (a dry run cannot
write, not even a schema upgrade). The queries return the same values as `Database`'s
methods of the same names (tests/test_snapshot.py compares them on a filled database).

A database this code cannot read as it is (an older schema that `Database.open` would
upgrade, or not SQLite at all) raises SnapshotUnavailableError; the caller falls back to
`Database`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from monitor.analysis.claim_voice import Stance
from monitor.analysis.claims import Claim
from monitor.analysis.engine import LedgerEntry
from monitor.analysis.events import CandidateIncident, Outcome, Shooter
from monitor.store.sources import source_name

SQLITE_FILE_PREFIX = "sqlite:///"


class SnapshotUnavailableError(Exception):
    """The database cannot be read here; use `Database` instead."""


@dataclass(frozen=True, slots=True)
class StoredArticleDates:
    """What explain needs of an article already stored: its source and dates."""

    source: str
    published_at: datetime | None
    stated_published_at: datetime | None


def sqlite_file(database_url: str) -> Path | None:
    """The file of a `sqlite:///path` URL; None for any other database (or in-memory)."""
    if not database_url.startswith(SQLITE_FILE_PREFIX):
        return None
    path = database_url[len(SQLITE_FILE_PREFIX) :].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _utc(text: str | None) -> datetime | None:
    """A stored datetime (SQLAlchemy keeps UTC, naive, as ISO text in SQLite)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqliteSnapshot:
    """Read-only queries on one SQLite file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        try:
            self._connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise SnapshotUnavailableError(str(exc)) from exc
        self._connection.row_factory = sqlite3.Row

    def close(self) -> None:
        self._connection.close()

    def _rows(self, query: str, parameters: Collection[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._connection.execute(query, tuple(parameters)).fetchall()
        except sqlite3.Error as exc:  # a schema this code does not know: let Database read it
            raise SnapshotUnavailableError(str(exc)) from exc

    def article_by_url(self, url: str) -> StoredArticleDates | None:
        """The stored article at this URL, if any (`Database.article_by_url`, in part)."""
        rows = self._rows(
            "SELECT source_label, outlet, url, published_at, stated_published_at "
            "FROM article WHERE url = ? LIMIT 1",
            [url],
        )
        if not rows:
            return None
        row = rows[0]
        return StoredArticleDates(
            source=source_name(row["source_label"], row["outlet"], row["url"]),
            published_at=_utc(row["published_at"]),
            stated_published_at=_utc(row["stated_published_at"]),
        )

    def candidates(
        self, *, since: date | None = None, until: date | None = None
    ) -> list[CandidateIncident]:
        """Candidates from `since` to `until` (both included), newest first."""
        rows = self._rows(
            "SELECT incident_id, city, date, title, shooter, outcome, agency, names_json "
            "FROM candidate_incident WHERE date >= ? AND date <= ? "
            "ORDER BY date DESC, incident_id",
            [(since or date.min).isoformat(), (until or date.max).isoformat()],
        )
        return [
            CandidateIncident(
                incident_id=row["incident_id"],
                city=row["city"],
                date=date.fromisoformat(row["date"]),
                title=row["title"],
                shooter=Shooter(row["shooter"]),
                outcome=Outcome(row["outcome"]),
                agency=row["agency"],
                names=tuple(json.loads(row["names_json"])),
            )
            for row in rows
        ]

    def ledger(self, subjects: Collection[str]) -> list[LedgerEntry]:
        """Every stored claim about these subjects, oldest publication first."""
        if not subjects:
            return []
        marks = ",".join("?" * len(subjects))
        # SQLAlchemy's ORDER BY puts NULL first in SQLite too.
        rows = self._rows(
            f"SELECT * FROM claim WHERE subject IN ({marks}) ORDER BY published_at, id",
            list(subjects),
        )
        return [_ledger_entry(row) for row in rows]

    def known_alert_keys(self, keys: Collection[str]) -> set[str]:
        """Which of these dedup keys already have an alert."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        rows = self._rows(f"SELECT dedup_key FROM alert WHERE dedup_key IN ({marks})", list(keys))
        return {row["dedup_key"] for row in rows}


def _ledger_entry(row: sqlite3.Row) -> LedgerEntry:
    claim = Claim(
        subject=row["subject"],
        slot=row["slot"],
        value=json.loads(row["value_json"]),
        qualifier=row["qualifier"],
        speaker=row["speaker"],
        stance=Stance(row["stance"]),
        sentence=row["sentence"],
        sentence_index=row["sentence_index"],
        source=row["source"],
        article_url=row["article_url"],
        published_at=_utc(row["published_at"]),
        incident_id=row["incident_id"],
        superseded=bool(row["superseded"]),
    )
    return LedgerEntry(row["id"], claim, row["article_id"], row["corroborates_id"])
