"""Feeds and their entries: syncing feeds.yaml, polling state, and queueing new entries.

A poll's entries land here: each new GUID becomes a feed entry, and each URL not
yet stored a pending article (which articles.py then fetches and extracts).

A feed is new until a poll of it succeeds (`first_polled_at`). The articles its first
successful poll queues are its backlog (`is_backlog`): what the feed already held when
it was added. They are analysed like any article, so the ledger knows them, but their
alerts are stored as baseline and never posted (claims.record_analysis), as a feed
reader marks a new subscription's backlog read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from monitor.model import FeedItem, FeedSpec, checked_published_at
from monitor.store.engine import Sessions, dialect_insert, storage_errors
from monitor.store.leases import claim_rows
from monitor.store.records import ArticleStatus, FeedSchedule, FeedState, feed_state
from monitor.store.subscriptions import live_push_leases
from monitor.store.tables import ArticleRow, FeedEntryRow, FeedRow

# Entries read back to estimate a feed's pace (the schedule uses the newest 20 by date).
RECENT_SIGHTINGS = 50

# Rows per INSERT when storing a feed's entries: a few hundred keeps each statement well
# under SQLite's bound-parameter limit (32,766) and PostgreSQL's (65,535).
ENTRY_BATCH_ROWS = 200


class FeedQueries(Sessions):
    """The feed table and feed entries: what to poll, and what a poll found."""

    def sync_feeds(self, specs: Sequence[FeedSpec], *, default_interval_min: float) -> None:
        """Make the feed table match rules/feeds.yaml, keeping each feed's polling state."""
        wanted = {spec.name: spec for spec in specs}
        with self.session() as session:
            rows = {row.name: row for row in session.exec(select(FeedRow))}
            for name, spec in wanted.items():
                row = rows.get(name)
                if row is None:
                    session.add(
                        FeedRow(
                            name=name,
                            url=spec.url,
                            interval_min=spec.interval_min or default_interval_min,
                            own_interval_min=spec.interval_min,
                            source_label=spec.source,
                        )
                    )
                    continue
                if row.url != spec.url:
                    # A new address is a new feed as far as caching, errors and the
                    # backlog go: what it already holds is baseline, not news.
                    row.etag = row.last_modified = row.last_error = None
                    row.consecutive_errors = 0
                    row.next_due_at = row.first_polled_at = None
                _sync_interval(row, spec.interval_min, default_interval_min)
                row.url, row.is_active = spec.url, True
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
            feeds = list(rows)
            leases = live_push_leases(session, [row.id for row in feeds if row.id is not None])
            return [feed_state(row, push_lease_until=leases.get(row.id or 0)) for row in feeds]

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
        ids = claim_rows(
            self.engine,
            FeedRow,
            sa.and_(col(FeedRow.is_active), due, col(FeedRow.id).not_in(list(exclude))),
            col(FeedRow.next_due_at),
            owner=owner,
            now=now,
            lease_s=lease_s,
            limit=limit,
        )
        with self.read_session() as session:
            leases = live_push_leases(session, ids)
            rows = session.exec(select(FeedRow).where(col(FeedRow.id).in_(ids)))
            return sorted(
                (feed_state(row, push_lease_until=leases.get(row.id or 0)) for row in rows),
                key=lambda f: f.name,
            )

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
        schedule: FeedSchedule | None = None,
    ) -> None:
        """Store one poll's outcome: caching headers on success, the error counter on failure,
        and the schedule that chose `next_due_at` (None: the interval stays as it was).

        StorageError when the database refuses the write (locked past the busy timeout).
        """
        with storage_errors(), self.session() as session:
            row = session.get_one(FeedRow, feed_id)
            row.last_fetched_at, row.next_due_at, row.last_status = fetched_at, next_due_at, status
            row.lease_owner = row.lease_expires_at = None
            if schedule is not None:
                row.interval_reason, row.hint_until = schedule.reason, schedule.hint_until
                if schedule.interval_min is not None:
                    row.interval_min = schedule.interval_min
                if schedule.document_read:
                    row.document_refresh_s = schedule.document_refresh_s
            if error is None:
                row.consecutive_errors, row.last_error = 0, None
                row.first_polled_at = row.first_polled_at or fetched_at
                if status != 304:
                    row.etag, row.last_modified = etag, last_modified
                if entry_count is not None:
                    row.entry_count = entry_count
            else:
                row.consecutive_errors += 1
                row.last_error = error
            session.commit()

    def recent_sightings(
        self, feed_id: int, *, limit: int = RECENT_SIGHTINGS
    ) -> list[tuple[datetime | None, datetime]]:
        """(stated date, first sight) of the feed's newest entries, newest first: what the
        schedule estimates the feed's pace from."""
        with self.read_session() as session:
            rows = session.exec(
                select(FeedEntryRow.published_at, FeedEntryRow.first_seen_at)
                .where(col(FeedEntryRow.feed_id) == feed_id)
                .where(col(FeedEntryRow.first_seen_at).is_not(None))
                # Newest first by sight, then by stated date: one poll's entries share a
                # sight and get their ids in guid order, so id order would sample a big
                # first poll at random, not its newest.
                .order_by(
                    col(FeedEntryRow.first_seen_at).desc(),
                    col(FeedEntryRow.published_at).desc().nulls_last(),
                    col(FeedEntryRow.id).desc(),
                )
                .limit(limit)
            )
            return [(published, seen) for published, seen in rows if seen is not None]

    def publication_sighting(self, article_id: int) -> tuple[datetime | None, datetime | None]:
        """(publication date, first sight) of an article, as stored; (None, None) if gone."""
        with self.read_session() as session:
            found = session.exec(
                select(ArticleRow.published_at, ArticleRow.created_at).where(
                    col(ArticleRow.id) == article_id
                )
            ).first()
            return (found[0], found[1]) if found is not None else (None, None)

    def add_feed_items(
        self,
        feed_id: int,
        items: Iterable[FeedItem],
        now: datetime,
        *,
        first_poll_is_baseline: bool = True,
    ) -> int:
        """Record a successful poll's new entries and queue an article per unseen URL;
        returns how many were queued. `first_poll_is_baseline` False: a new feed's backlog
        alerts like any later entry (MONITOR_FIRST_POLL_IS_BASELINE).

        The feed's first successful poll (no `first_polled_at` yet) queues its articles
        as backlog, and sets `first_polled_at` in the same transaction; the feed row is
        locked meanwhile, so of two replicas racing over a lapsed lease only the first
        poll is the backlog.

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
        with storage_errors(), self.engine.begin() as connection:
            name, label, first_polled_at = connection.execute(
                sa.select(
                    col(FeedRow.name), col(FeedRow.source_label), col(FeedRow.first_polled_at)
                )
                .where(col(FeedRow.id) == feed_id)
                .with_for_update()
            ).one()
            is_backlog = first_poll_is_baseline and first_polled_at is None
            if is_backlog:
                connection.execute(
                    sa.update(FeedRow).where(col(FeedRow.id) == feed_id).values(first_polled_at=now)
                )
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
                queued += _add_entries(
                    connection, feed_id, label or name, batch, now, is_backlog=is_backlog
                )
        return queued


def _sync_interval(row: FeedRow, own_interval_min: float | None, default_min: float) -> None:
    """feeds.yaml's interval takes effect at once; a removed one gives the feed back to
    the adaptive schedule, from the new-feed interval until its next poll."""
    if own_interval_min is not None:
        row.interval_min = own_interval_min
    elif row.own_interval_min is not None:
        row.interval_min = default_min
        row.interval_reason = None
    row.own_interval_min = own_interval_min


def _add_entries(
    connection: sa.Connection,
    feed_id: int,
    source: str,
    items: Sequence[FeedItem],
    now: datetime,
    *,
    is_backlog: bool,
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
                "is_backlog": is_backlog,
            },
        )
    # Executed with a list of rows: SQLAlchemy sends them as one multi-row INSERT
    # (its "insertmanyvalues"), compiled once and cached, unlike .values([...]).
    inserted = connection.execute(
        dialect_insert(connection, ArticleRow)
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
        dialect_insert(connection, FeedEntryRow).on_conflict_do_nothing(
            index_elements=["feed_id", "guid"]
        ),
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
