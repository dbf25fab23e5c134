"""A database filled by the real pipeline for the desk's tests and its screenshot: the
seed baseline (`monitor seed`), a new shooting in Charlotte that becomes a candidate
incident, and a hostile article about Portland (markup, `<!channel>`, `javascript:`
links in its title, text and source label) that contradicts the seeds' shot count and is
then edited once (a revision).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.analysis.engine import load_rule_set
from monitor.cli import app
from monitor.config import Settings
from monitor.model import ExtractedPage, Verdict
from monitor.store import Database
from monitor.store.feedback import Vote
from monitor.web.server import WebServer, web_server
from tests.conftest import REPO_ROOT

PDX, CHARLOTTE = "pdx-2026-01-08", "charlotte-2026-02-02"
HOSTILE_SOURCE = "Evil <script>alert('source')</script>"
HOSTILE_TITLE = "Portland <script>alert(1)</script> shooting <!channel>"
HOSTILE_TEXT = (
    "The two people shot by a Border Patrol agent in Portland on January 8 were still in "
    "the hospital on Monday <script>document.title='pwned'</script>, a family member said "
    '<!channel> <a href="javascript:alert(2)">click</a>.\n'
    "The agent fired three shots, police said. "
    "See javascript:alert(3) and <img src=x onerror=alert(4)>."
)
# The outlet's edit: one paragraph added at the end (earlier sentences keep their index).
HOSTILE_UPDATE = "Update: the FBI is investigating, a spokesperson said <b onclick=alert(5)>."
EDITOR = "Anna <i>Desk</i>"  # a Slack display name is text someone typed
VOTED_AT = datetime(2026, 1, 12, 16, 0, tzinfo=UTC)
CHARLOTTE_TEXT = (
    "A U.S. Border Patrol agent shot and wounded a man in Charlotte, North Carolina, on "
    "Monday during an immigration arrest, the Department of Homeland Security said.\n"
    "The man was taken to a hospital with a gunshot wound to the shoulder, a spokesperson "
    "for the department said on Tuesday."
)


@dataclass(frozen=True, slots=True)
class Newsroom:
    """The filled database and the environment the CLI reads it with."""

    env: dict[str, str]
    hostile_article: int

    @property
    def database_url(self) -> str:
        return f"sqlite:///{Path(self.env['MONITOR_DATA_DIR']) / 'monitor.db'}"

    @property
    def rules_dir(self) -> Path:
        return Path(self.env["MONITOR_RULES_DIR"])

    @property
    def cache_dir(self) -> Path:
        return Path(self.env["MONITOR_DATA_DIR"]) / "cache"


_filled: dict[Path, Newsroom] = {}
runner = CliRunner()


def invoke(env: dict[str, str], *args: str) -> str:
    """A CLI command's stdout; fails the test on a non-zero exit."""
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def fill_newsroom(folder: Path) -> Newsroom:
    """Seed, ingest the two articles, and edit the hostile one, once per folder."""
    if folder in _filled:
        return _filled[folder]
    env = {
        "MONITOR_DATA_DIR": str(folder / "data"),
        "MONITOR_RULES_DIR": str(REPO_ROOT / "rules"),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
    }
    invoke(env, "seed")
    articles = folder / "articles"
    articles.mkdir(exist_ok=True)
    charlotte = articles / "charlotte.txt"
    charlotte.write_text(
        "Border Patrol agent shoots a man in Charlotte\n" + CHARLOTTE_TEXT, encoding="utf-8"
    )
    invoke(env, "ingest", str(charlotte), "--published", "2026-02-03T15:00:00Z")
    hostile = articles / "hostile.txt"
    hostile.write_text(f"{HOSTILE_TITLE}\n{HOSTILE_TEXT}", encoding="utf-8")
    invoke(
        env, "ingest", str(hostile), "--published", "2026-01-12T15:00:00Z",
        "--source", HOSTILE_SOURCE,
    )  # fmt: skip
    newsroom = Newsroom(env, _edit_hostile_article(env, hostile))
    _mark_contradiction_wrong(newsroom)
    _filled[folder] = newsroom
    return newsroom


def _edit_hostile_article(env: dict[str, str], hostile: Path) -> int:
    """Store the outlet's edit of the hostile article as the re-check does."""
    database = Database.open(f"sqlite:///{Path(env['MONITOR_DATA_DIR']) / 'monitor.db'}")
    try:
        record = database.article_by_url(hostile.resolve().as_uri())
        assert record is not None
        edited = ExtractedPage(
            text=f"{HOSTILE_TEXT}\n{HOSTILE_UPDATE}",
            title=HOSTILE_TITLE,
            author=None,
            published_at=None,
            site_name=None,
            canonical_url=None,
        )
        database.store_revision(
            record.article_id, edited, fetched_at=datetime(2026, 1, 12, 18, 0, tzinfo=UTC)
        )
        return record.article_id
    finally:
        database.close()


def _mark_contradiction_wrong(newsroom: Newsroom) -> None:
    """An editor marks the hostile article's contradiction wrong, as a Slack click does."""
    database = Database.open(newsroom.database_url)
    try:
        [alert] = [
            a
            for a in database.alerts(incident_id=PDX)
            if a.kind == "contradiction" and a.article_id == newsroom.hostile_article
        ]
        vote = Vote(alert.alert_id, "U0EDITOR", EDITOR, Verdict.WRONG, VOTED_AT)
        assert database.record_vote(vote) is not None
    finally:
        database.close()


@pytest.fixture(scope="session")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Newsroom:
    """The filled database, shared by every desk test module of the session."""
    return fill_newsroom(tmp_path_factory.getbasetemp() / "desk-newsroom")


@contextmanager
def serve_desk(newsroom: Newsroom, **settings: object) -> Iterator[WebServer]:
    """The desk over the filled database, served by uvicorn on 127.0.0.1 (any free port
    unless `settings` say otherwise), as the daemon serves it."""
    values: dict[str, object] = {"web_port": 0, "timezone": "America/Los_Angeles"}
    values.update(settings)
    rule_set = load_rule_set(newsroom.rules_dir, cache_dir=newsroom.cache_dir)
    database = Database.open(newsroom.database_url)
    server = web_server(Settings(**values), database, lambda: rule_set)  # type: ignore[arg-type]
    assert server is not None
    try:
        server.start()
        yield server
    finally:
        server.stop()
        database.close()
