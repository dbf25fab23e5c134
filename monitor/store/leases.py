"""Leases: which replica works on which row or job, and the lock around the ledger.

Every unit of work is a row (a feed, an article) that a replica works on only
while it holds its lease; `claim_rows` is how feeds.py, articles.py and
revisions.py take them. Singleton jobs (alert delivery) have a lease of their
own, and the analysis lock serialises the ledger's read-compare-write.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from monitor.store.engine import Sessions, dialect_insert
from monitor.store.tables import ArticleRow, FeedRow, JobLeaseRow

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every replica.
_ANALYSIS_LOCK_KEY = 0x6D6F6E6A


def new_lease_owner() -> str:
    """An id for one process's leases: host, pid, and a nonce (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _log_takeovers(table: object, owner: str, previous_owners: Sequence[str | None]) -> None:
    """A row still naming another owner had a lapsed lease: that replica died or hung
    mid-work. Say so, so a kill or crash is visible in the survivor's log."""
    taken = Counter(p for p in previous_owners if p is not None and p != owner)
    for previous, count in sorted(taken.items()):
        log.warning(
            "took over lapsed leases",
            extra={"table": str(table), "rows": count, "from_owner": previous, "owner": owner},
        )


def claim_rows(
    engine: Engine,
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
    with engine.begin() as connection:
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


class LeaseQueries(Sessions):
    """Renewing and releasing leases, job leases, and the analysis lock."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._local_analysis_lock = threading.Lock()

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
        insert = dialect_insert(self.engine, JobLeaseRow)
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
