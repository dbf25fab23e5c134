"""Re-checks and revisions: published articles fetched again to catch quiet edits.

When an outlet changes an article, its previous text is kept as a revision, so
the edit's claims can be compared with what the article said before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from monitor.model import ExtractedPage
from monitor.store.engine import Sessions
from monitor.store.leases import claim_rows
from monitor.store.records import ArticleStatus, PageCheck, RecheckDue, content_hash, recheck_due
from monitor.store.tables import ArticleRevisionRow, ArticleRow


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """An earlier text of an article, as its outlet published it before an edit."""

    revision: int
    title: str
    text: str
    fetched_at: datetime | None


class RevisionQueries(Sessions):
    """When to re-check an article, the due re-checks, and storing a changed text."""

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
        ids = claim_rows(
            self.engine,
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
            return [recheck_due(row) for row in rows]

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

    def revisions(self, article_id: int) -> list[RevisionRecord]:
        """An article's earlier texts, oldest first (the current text is on the article)."""
        query = (
            select(ArticleRevisionRow)
            .where(ArticleRevisionRow.article_id == article_id)
            .order_by(col(ArticleRevisionRow.revision))
        )
        with self.read_session() as session:
            return [
                RevisionRecord(row.revision, row.title, row.text, row.fetched_at)
                for row in session.exec(query)
            ]
