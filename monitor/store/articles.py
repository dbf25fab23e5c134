"""Articles: waiting for their page, extracted (or failed), listed, and read back.

An article is queued pending (from a feed entry in feeds.py, or given directly by
ingest and seed), leased to one replica, fetched and extracted; its text is then
what the analysis reads (a StoredDocument). Re-checks of published articles are
in revisions.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from monitor.model import ExtractedPage, is_plausible_date
from monitor.store.engine import Sessions
from monitor.store.leases import claim_rows
from monitor.store.records import (
    ArticleRecord,
    ArticleStatus,
    PageCheck,
    PendingArticle,
    StoredDocument,
    article_record,
    content_hash,
    stored_document,
)
from monitor.store.sources import source_name
from monitor.store.tables import ArticleRow, UTCDateTime


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


class ArticleQueries(Sessions):
    """The article table, up to extraction: claims on pending work, outcomes, listings."""

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
        ids = claim_rows(
            self.engine,
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
                    col(ArticleRow.stated_published_at),
                )
            ).one()
        return StoredDocument(
            article_id=article_id,
            url=row.url,
            title=row.title,
            text=page.text,
            source=source_name(row.source_label, row.outlet, row.url),
            published_at=row.published_at,
            origin=row.origin,
            date_uncertain=row.stated_published_at is not None,
        )

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

    def record_article_failure(
        self, article_id: int, *, status: str, error: str, fetched_at: datetime
    ) -> None:
        """Keep the reason a page could not be fetched or extracted."""
        with self.session() as session:
            row = session.get_one(ArticleRow, article_id)
            row.status, row.error, row.fetched_at = status, error, fetched_at
            row.lease_owner = row.lease_expires_at = None
            session.commit()

    def claim_unanalysed_articles(
        self, owner: str, now: datetime, *, lease_s: float, limit: int
    ) -> list[int]:
        """Lease extracted articles whose analysis never got stored (a crash between commits)."""
        unanalysed = sa.and_(
            col(ArticleRow.status) == ArticleStatus.EXTRACTED, col(ArticleRow.matched_at).is_(None)
        )
        return claim_rows(
            self.engine,
            ArticleRow,
            unanalysed,
            col(ArticleRow.id),
            owner=owner,
            now=now,
            lease_s=lease_s,
            limit=limit,
        )

    def record_analysis_failure(self, article_id: int, *, error: str) -> None:
        """Keep why an article's analysis failed; it leaves `extracted`, so neither the
        left-over analysis nor a re-check claims it again."""
        with self.session() as session:
            row = session.get_one(ArticleRow, article_id)
            row.status, row.error = ArticleStatus.ANALYSIS_FAILED, error
            row.lease_owner = row.lease_expires_at = None
            session.commit()

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
            return [article_record(row) for row in session.exec(query)]

    def article(self, article_id: int) -> ArticleRecord | None:
        """One stored article by its id, or None."""
        with self.read_session() as session:
            row = session.get(ArticleRow, article_id)
            return None if row is None else article_record(row)

    def article_by_url(self, url: str) -> ArticleRecord | None:
        """The stored article at this URL, if any."""
        with self.read_session() as session:
            row = session.exec(select(ArticleRow).where(ArticleRow.url == url)).first()
            return None if row is None else article_record(row)

    def article_count(self) -> int:
        with self.read_session() as session:
            return int(session.exec(select(sa.func.count()).select_from(ArticleRow)).one())

    def document(self, article_id: int) -> StoredDocument:
        """One extracted article's text, for the analysis stages."""
        with self.read_session() as session:
            return stored_document(session.get_one(ArticleRow, article_id))

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
            return [stored_document(row) for row in session.exec(query)]
