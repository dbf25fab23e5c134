"""Candidate incidents: shootings that fit the watch rule and no tracked incident.

The first article that reports one stores it (`add_candidates`, or `record_analysis` in
the analysis's transaction); later articles are matched against the candidates of the
days before them (`candidates`), so their claims go into the candidate's own ledger.
A candidate is unique by its id (city and date): the same shooting reported by two
articles, or by two replicas at once, is one row, and the first report names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from monitor.analysis.events import CandidateIncident
from monitor.store.engine import Sessions, dialect_insert
from monitor.store.records import CandidateRecord, candidate_columns, candidate_record
from monitor.store.tables import CandidateIncidentRow


def insert_candidates(
    session: Session, candidates: Sequence[CandidateIncident], article_id: int, seen_at: datetime
) -> int:
    """Add the candidates not stored yet, in the caller's transaction; how many were new."""
    added = 0
    insert = dialect_insert(session.get_bind(), CandidateIncidentRow)
    for candidate in candidates:
        statement = (
            insert.values(**candidate_columns(candidate, article_id, seen_at))
            .on_conflict_do_nothing(index_elements=["incident_id"])
            .returning(col(CandidateIncidentRow.incident_id))
        )
        added += session.execute(statement).scalar_one_or_none() is not None
    return added


class CandidateQueries(Sessions):
    """The candidate_incident table: new shootings followed under their own ids."""

    def add_candidates(
        self, candidates: Sequence[CandidateIncident], *, article_id: int, seen_at: datetime
    ) -> int:
        """Store the candidates an article first reported; one already stored (the same id
        from another article) stays as its first report made it. Returns how many were new."""
        if not candidates:
            return 0
        with self.session() as session:
            added = insert_candidates(session, candidates, article_id, seen_at)
            session.commit()
        return added

    def candidates(
        self, *, since: date | None = None, until: date | None = None
    ) -> list[CandidateIncident]:
        """Candidates whose shooting happened from `since` to `until` (both included),
        newest first."""
        return [r.candidate for r in self.candidate_records(since=since, until=until)]

    def candidate_records(
        self, *, since: date | None = None, until: date | None = None
    ) -> list[CandidateRecord]:
        """Like `candidates`, with the article that first reported each and when."""
        query = select(CandidateIncidentRow).order_by(
            col(CandidateIncidentRow.date).desc(), col(CandidateIncidentRow.incident_id)
        )
        if since is not None:
            query = query.where(col(CandidateIncidentRow.date) >= since)
        if until is not None:
            query = query.where(col(CandidateIncidentRow.date) <= until)
        with self.read_session() as session:
            return [candidate_record(row) for row in session.exec(query)]

    def candidate(self, incident_id: str) -> CandidateRecord | None:
        """One candidate by its id, or None."""
        with self.read_session() as session:
            row = session.get(CandidateIncidentRow, incident_id)
            return candidate_record(row) if row is not None else None
