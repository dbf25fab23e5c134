"""Incident matches: which incidents an article is about, and each incident's coverage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from monitor.store.engine import Sessions
from monitor.store.records import IncidentCoverage, IncidentLink
from monitor.store.tables import ArticleIncidentRow, ArticleRow, UTCDateTime


def replace_matches(
    session: Session,
    article_id: int,
    links: Sequence[IncidentLink],
    is_new_incident: bool,
    matched_at: datetime,
) -> None:
    """Replace the article's incident matches with these, in the caller's transaction; the
    article counts as analysed (matched_at) and its lease is released."""
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


class MatchQueries(Sessions):
    """The article_incident table: an article's matches, and what they add up to."""

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
            replace_matches(session, article_id, links, is_new_incident, matched_at)
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
