"""Shared fixtures: loopback HTTP servers, SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from monitor.config import Settings
from monitor.store import Database
from tests.pgserver import PgServer, find_pg_bindir
from tests.processes import is_developer_setting

if TYPE_CHECKING:
    from tests.loopback import LoopbackServer

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's MONITOR_* variables, Slack token, proxy settings or
    .env file: loopback servers must be reached directly, whatever the machine's proxy."""
    for name in list(os.environ):
        if is_developer_setting(name):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A real HTTP server on 127.0.0.1 serving the routes a test registers."""
    from tests.loopback import serve

    with serve() as server:
        yield server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server for the whole test session."""
    bindir = find_pg_bindir()
    if bindir is None:
        reason = "PostgreSQL binaries (initdb, pg_ctl) not found; apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)")
        pytest.skip(reason)
    server = PgServer(bindir)
    server.init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An upgraded, empty database on each backend."""
    db = Database.open(database_url)
    yield db
    db.close()


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: data under tmp_path, loopback allowed, short timeouts."""
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "rules_dir": tmp_path / "rules",
        "allow_private_networks": True,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "total_timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_rules_dir(tmp_path: Path, feeds: dict[str, str]) -> Path:
    """A copy of the shipped rules with feeds.yaml replaced by these feeds."""
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir(exist_ok=True)
    for source in (REPO_ROOT / "rules").glob("*.yaml"):
        if source.name != "feeds.yaml":
            (rules_dir / source.name).write_text(source.read_text("utf-8"), "utf-8")
    entries = "".join(f"  - name: {name}\n    url: '{url}'\n" for name, url in feeds.items())
    (rules_dir / "feeds.yaml").write_text(
        f"feeds:\n{entries}" if entries else "feeds: []\n", "utf-8"
    )
    return rules_dir
