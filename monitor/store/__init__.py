"""Storage edge: tables, migrations and the queries, one module per entity.

`Database` (database.py) is the one entry point; it composes the queries of each
entity: feeds.py, articles.py, revisions.py, matches.py, claims.py, alerts.py and
leases.py. The schema is in tables.py, the values callers get in records.py, and
connecting, SQLite's configuration and schema upgrades in engine.py.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Importing the package costs nothing: `monitor explain` reads SQLite through
# snapshot.py and must not pay for SQLAlchemy; each name is imported on first use.
_HOMES = {
    "Database": "database",
    "SQLITE_BUSY_TIMEOUT_S": "engine",
    "StorageError": "engine",
    "create_db_engine": "engine",
    "new_lease_owner": "leases",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'monitor.store' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f"monitor.store.{_HOMES.get(name, 'records')}")
    return getattr(module, name)


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
