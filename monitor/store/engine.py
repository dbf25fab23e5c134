"""The connection: engines for SQLite and PostgreSQL, schema upgrades, and sessions.

Here live the SQLite configuration (WAL, busy timeout, BEGIN IMMEDIATE), the
alembic upgrade, StorageError and the translation of database errors into it,
and `Sessions`, the engine and sessions every group of queries builds on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel

from monitor.errors import ConfigError
from monitor.redact import redact_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every replica.
_MIGRATION_LOCK_KEY = 0x6D6F6E69
# How long a SQLite writer waits for another's lock before failing "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30.0
# An execution option marking reads that never write: on SQLite they start with a plain
# BEGIN, so they neither take nor wait for the write lock.
_READ_ONLY = "monitor_read_only"


class StorageError(RuntimeError):
    """The database refused a write (locked past the busy timeout, or gone away)."""


def _sqlite_configurer(busy_timeout_s: float) -> Any:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy's pysqlite recipe: pysqlite must not begin transactions itself
        # (it would BEGIN deferred, and only before a write); _begin_sqlite does.
        dbapi_connection.isolation_level = None
        # WAL lets `monitor feeds` read while the daemon writes; the timeout makes
        # two writers wait for each other instead of failing with "locked".
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of monitor itself; only a power cut
        # can lose the last commits. It saves an fsync per article.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return configure


def _begin_sqlite(connection: sa.Connection) -> None:
    """Every transaction that may write takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction reads first and asks for the write lock at its first write;
    if another connection committed in between, SQLite fails that upgrade at once with
    "database is locked", without waiting out the busy timeout. BEGIN IMMEDIATE waits
    (the busy timeout) at the start instead, where waiting is safe. Reads marked
    read-only begin deferred: in WAL mode they never wait for a writer.
    """
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def storage_errors() -> Iterator[None]:
    """OperationalError (locked past the busy timeout, connection lost) as StorageError,
    so the caller can record it on the feed it was storing."""
    try:
        yield
    except OperationalError as exc:
        raise StorageError(f"database: {exc.orig}") from exc


def create_db_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, with the SQLite data directory created."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:  # ValueError: a port not a number
        raise ConfigError(
            f"MONITOR_DATABASE_URL {redact_url(url)!r} is not a database URL; "
            "use e.g. sqlite:///data/monitor.db or postgresql://user:pass@host/db"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            ensure_writable_dir(Path(parsed.database).parent)
        engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_configurer(busy_timeout_s))
        sa.event.listen(engine, "begin", _begin_sqlite)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(
        f"MONITOR_DATABASE_URL uses {backend!r}; monitor supports sqlite and postgresql"
    )


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe when replicas start together)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting at once would race to create the same tables.
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        if _at_head(connection):
            return  # the usual case: no need to import alembic (a third of a command's start)
        from alembic import command
        from alembic.config import Config as AlembicConfig

        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_REVISION = re.compile(r'^(down_revision|revision)\b[^=\n]*=\s*["\']([^"\']+)["\']', re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files without alembic;
    None unless exactly one revision is no other's parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (parents if name == "down_revision" else revisions).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _at_head(connection: sa.Connection) -> bool:
    head = head_revision()
    if head is None or not sa.inspect(connection).has_table("alembic_version"):
        return False
    stored = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    return list(stored) == [head]


def open_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """Connect and upgrade the schema; a database that cannot be reached is a ConfigError."""
    engine = create_db_engine(url, busy_timeout_s=busy_timeout_s)
    try:
        upgrade_schema(engine)
    except OperationalError as exc:
        # psycopg's message runs over lines ("...refused\n\tIs the server running..."): one.
        reason = " ".join(str(exc.orig).split())
        raise ConfigError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
            f"{reason}; check that it runs and is reachable, and MONITOR_DATABASE_URL"
        ) from exc
    return engine


def ensure_writable_dir(folder: Path) -> None:
    """Create the SQLite file's folder; ConfigError naming it and the user when it cannot
    be created or written (a data dir owned by another uid, a path through a file)."""
    user = f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"
    fix = (
        "create it writable for that user (e.g. chown), or set MONITOR_DATA_DIR "
        "(or MONITOR_DATABASE_URL) to a directory it can write"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot create the data directory {folder} as {user} ({reason}); {fix}"
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"the data directory {folder} is not writable by {user}; {fix}")


def dialect_insert(bind: Engine | sa.Connection, table: type[SQLModel]) -> Any:
    """INSERT for this dialect (both have ON CONFLICT DO NOTHING)."""
    # The table, not the SQLModel class: an ORM-enabled INSERT costs a Python
    # round of attribute handling per row.
    local_table = sa.inspect(table).local_table
    # Imported here: SQLAlchemy's PostgreSQL dialect costs a tenth of a second at every
    # command's start, and a SQLite database never needs it.
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(local_table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(local_table)


class Sessions:
    """The engine and its sessions: what every group of queries (feeds.py, ...) uses."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The same pool, for queries that only read (see _begin_sqlite).
        self._reader = engine.execution_options(**{_READ_ONLY: True})

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it neither takes nor waits for the write lock."""
        with Session(self._reader, expire_on_commit=False) as session:
            yield session

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self._reader.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True
