"""Storage edge: tables, migrations and the queries, one module per entity.

`Database` (database.py) is the one entry point; it composes the queries of each
entity: feeds.py, articles.py, revisions.py, matches.py, claims.py, alerts.py and
leases.py. The schema is in tables.py, the values callers get in records.py, and
connecting, SQLite's configuration and schema upgrades in engine.py.
"""

from monitor.store.database import Database
from monitor.store.engine import SQLITE_BUSY_TIMEOUT_S, StorageError, create_db_engine
from monitor.store.leases import new_lease_owner
from monitor.store.records import (
    AlertRecord,
    ArticleRecord,
    ArticleStatus,
    DeliveryStatus,
    FeedState,
    IncidentCoverage,
    IncidentLink,
    PageCheck,
    PendingArticle,
    RecheckDue,
    StoredDocument,
    content_hash,
)

__all__ = [
    "SQLITE_BUSY_TIMEOUT_S",
    "AlertRecord",
    "ArticleRecord",
    "ArticleStatus",
    "Database",
    "DeliveryStatus",
    "FeedState",
    "IncidentCoverage",
    "IncidentLink",
    "PageCheck",
    "PendingArticle",
    "RecheckDue",
    "StorageError",
    "StoredDocument",
    "content_hash",
    "create_db_engine",
    "new_lease_owner",
]
