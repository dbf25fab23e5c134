"""`monitor explain` starts lean: it reads one article without the cycle's machinery
(delivery, Slack, feed polling, the extractor pool), fetches only a URL, and still reads
URLs and files exactly as `monitor ingest` does (checked in real child processes and
against a loopback server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from monitor.cli import app
from monitor.store import Database
from tests.conftest import REPO_ROOT
from tests.documents import article_html
from tests.loopback import LoopbackServer, Route

runner = CliRunner()
SEED = REPO_ROOT / "seeds" / "000_b9bc8e2e153b431c.txt"

# What a dry run of one text file needs none of: each costs start-up time on every call.
NOT_FOR_A_FILE = {
    "monitor.pipeline.cycle",  # the cycle's parts
    "monitor.notify.delivery",
    "monitor.notify.slack",
    "slack_sdk",
    "monitor.ingest.extractor_pool",
    "monitor.ingest.fetch",  # a file is not fetched
    "httpx",
    "monitor.ingest.feeds",  # nor parsed as a feed
    "feedparser",
    "trafilatura",  # nor extracted from HTML
    "alembic",  # the schema is at its head
    "sqlalchemy.dialects.postgresql",  # the database is SQLite
}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(REPO_ROOT / "rules"),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
        **extra,
    }


def _explain_in_child(tmp_path: Path, *args: str) -> tuple[dict[str, Any], set[str]]:
    """Run `monitor explain --json ARGS` in a fresh interpreter: its output, and the
    modules it imported."""
    script = (
        "import json, sys\n"
        "from monitor.cli import app\n"
        f"try:\n    app({['explain', '--json', *args]!r})\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join(sys.path), **_env(tmp_path)},
    )
    *output, modules = done.stdout.strip().splitlines()
    return json.loads("\n".join(output)), set(json.loads(modules))


def test_explaining_a_text_file_imports_none_of_the_cycle_fetching_or_extraction(
    tmp_path: Path,
) -> None:
    """Against a SQLite database, `monitor explain story.txt` loads no delivery, Slack,
    fetcher, feed parser, HTML extractor, nor SQLAlchemy at all (the ledger is read through
    the read-only snapshot), and still explains it."""
    Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}").close()

    explained, modules = _explain_in_child(tmp_path, str(SEED))

    assert modules & NOT_FOR_A_FILE == set()
    assert "monitor.store.snapshot" in modules  # the ledger was read, without SQLAlchemy
    assert not {m for m in modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel")}
    assert explained["url"] == SEED.resolve().as_uri()
    assert [i["id"] for i in explained["incidents"]][:1] == ["pdx-2026-01-08"]


def test_explain_of_a_url_fetches_and_extracts_the_page_as_ingest_does(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """`monitor explain URL` fetches the page with a fetcher of its own, extracts it and
    shows the outlet the page names."""
    url = loopback.route("/story.html", Route(body=article_html(7)))
    env = _env(tmp_path, MONITOR_ALLOW_PRIVATE_NETWORKS="1")

    result = runner.invoke(app, ["explain", "--json", url], env=env)

    assert result.exit_code == 0, result.stderr
    explained = json.loads(result.stdout)
    assert explained["url"] == url
    assert explained["source"] == "Loopback Ledger"
    assert explained["text"]


def test_explain_of_a_page_that_is_not_html_fails_with_the_reason(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """A URL that serves a PDF makes `monitor explain` exit 1 and say why, as ingest does."""
    url = loopback.route("/file.pdf", Route(body=b"%PDF-1.4", content_type="application/pdf"))
    env = _env(tmp_path, MONITOR_ALLOW_PRIVATE_NETWORKS="1")

    result = runner.invoke(app, ["explain", url], env=env)

    assert result.exit_code == 1
    assert "not an HTML page" in result.stderr
