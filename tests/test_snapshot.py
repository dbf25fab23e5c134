"""`monitor explain` reads SQLite through a read-only snapshot (the standard library's
sqlite3, no SQLAlchemy): it must read exactly what `Database` reads, on a database the
real pipeline filled, and step aside for a schema it cannot read."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor.analysis.events import CandidateIncident, Outcome, Shooter
from monitor.store import Database
from monitor.store.snapshot import SnapshotUnavailableError, SqliteSnapshot, sqlite_file
from tests.test_delivery import _base_settings, seed_then_follow_up

FOLLOWED = CandidateIncident(
    incident_id="st-paul-2026-01-20",
    city="St. Paul",
    date=date(2026, 1, 20),
    title="Agents shoot a driver in St. Paul",
    shooter=Shooter.FEDERAL,
    outcome=Outcome.WOUNDED,
    agency="ICE",
    names=("Dara Lind",),
)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded baseline, a follow-up's claims and alerts, and one candidate incident."""
    folder = tmp_path_factory.mktemp("filled")
    path = folder / "monitor.db"
    seed_then_follow_up(_base_settings(folder, f"sqlite:///{path}"), folder)
    database = Database.open(f"sqlite:///{path}")
    try:
        first = database.articles()[0].article_id
        seen = datetime(2026, 1, 21, 3, 4, 5, tzinfo=UTC)
        database.add_candidates([FOLLOWED], article_id=first, seen_at=seen)
    finally:
        database.close()
    return path


@pytest.fixture
def both(filled: Path) -> Iterator[tuple[Database, SqliteSnapshot]]:
    database = Database.open(f"sqlite:///{filled}")
    snapshot = SqliteSnapshot(filled)
    yield database, snapshot
    snapshot.close()
    database.close()


def test_the_snapshot_reads_the_ledger_exactly_as_the_database_does(
    both: tuple[Database, SqliteSnapshot],
) -> None:
    """Every claim of every subject: the same entries, values, dates and order."""
    database, snapshot = both
    subjects = {entry.claim.subject for entry in database.ledger(["pdx-2026-01-08"])}
    subjects |= {"pdx-2026-01-08", "mpls-2026-01-07", "mpls-2026-01-14", "city:portland"}
    expected = database.ledger(sorted(subjects))

    assert len(expected) > 10  # a ledger the pipeline filled, not an empty one
    assert snapshot.ledger(sorted(subjects)) == expected
    assert snapshot.ledger([]) == []


def test_the_snapshot_reads_candidates_articles_and_alert_keys_as_the_database_does(
    both: tuple[Database, SqliteSnapshot],
) -> None:
    """Candidates by date window, a stored article's source and dates, known alert keys."""
    database, snapshot = both
    window = {"since": date(2026, 1, 1), "until": date(2026, 1, 31)}
    assert snapshot.candidates(**window) == database.candidates(**window) == [FOLLOWED]
    assert snapshot.candidates(since=date(2026, 2, 1)) == []

    for article in database.articles():
        stored = snapshot.article_by_url(article.url)
        assert stored is not None
        assert (stored.source, stored.published_at, stored.stated_published_at) == (
            article.source,
            article.published_at,
            article.stated_published_at,
        )
    assert snapshot.article_by_url("https://example.org/never-stored") is None

    keys = [alert.dedup_key for alert in database.alerts()]
    assert keys
    assert snapshot.known_alert_keys([*keys, "no-such-key"]) == set(keys)


def test_the_snapshot_cannot_write(filled: Path, tmp_path: Path) -> None:
    """The file is opened read-only: a dry run cannot change the ledger."""
    copy = tmp_path / "monitor.db"
    shutil.copy(filled, copy)
    snapshot = SqliteSnapshot(copy)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            snapshot._connection.execute("DELETE FROM claim")
    finally:
        snapshot.close()


def test_a_schema_the_snapshot_does_not_know_is_reported_not_misread(tmp_path: Path) -> None:
    """A database without the tables explain reads raises SnapshotUnavailableError (the
    caller then opens it with `Database`, which upgrades it)."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE claim (id INTEGER PRIMARY KEY)")
    snapshot = SqliteSnapshot(path)
    try:
        with pytest.raises(SnapshotUnavailableError):
            snapshot.ledger(["pdx-2026-01-08"])
        with pytest.raises(SnapshotUnavailableError):
            snapshot.candidates()
    finally:
        snapshot.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////data/monitor.db", Path("/data/monitor.db")),
        ("sqlite:///relative.db", Path("relative.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql://u:p@db/monitor", None),
    ],
)
def test_only_a_sqlite_file_url_is_read_through_a_snapshot(url: str, expected: Path | None) -> None:
    """PostgreSQL and in-memory SQLite go through `Database`."""
    assert sqlite_file(url) == expected
