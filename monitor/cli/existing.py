"""The database as read-only commands open it: only when it exists.

`alerts`, `claims`, `articles`, `feeds` and `incidents` only show what is stored. On a
directory where monitor has never run, opening the database would create the data
directory and a fresh SQLite file and migrate it, leaving an empty database behind a
typo in MONITOR_DATA_DIR. They say there is no database yet instead, and create nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.store import Database

FIRST_RUN_HINT = "run `monitor once` or `monitor run` first"


class NoDatabaseError(MonitorError):
    """A read-only command found no database: nothing has run here yet (exit 4)."""


def open_existing_database(settings: Settings) -> Database:
    """The configured database, upgraded to the current schema; NoDatabaseError when a
    SQLite file does not exist or a PostgreSQL database holds no monitor tables."""
    import sqlalchemy as sa

    from monitor.config import shown_database_url
    from monitor.store import Database

    url = settings.resolved_database_url
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise NoDatabaseError(f"no database at {path} yet: {FIRST_RUN_HINT}")
    elif not _has_monitor_tables(url):
        raise NoDatabaseError(
            f"no monitor tables in {shown_database_url(url)} yet: {FIRST_RUN_HINT}"
        )
    return Database.open(url)


def _has_monitor_tables(url: str) -> bool:
    """Whether migrations ever ran on this (PostgreSQL) database, checked without
    creating anything; an unreachable server is the usual ConfigError."""
    import sqlalchemy as sa

    from monitor.errors import ConfigError
    from monitor.store import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).has_table("alembic_version")
    except sa.exc.OperationalError as exc:
        reason = " ".join(str(exc.orig).split())
        raise ConfigError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
            f"{reason}; check that it runs and is reachable, and MONITOR_DATABASE_URL"
        ) from exc
    finally:
        engine.dispose()
