"""Secrets and hostile lengths in URLs never reach stored errors, CLI output or logs.

End to end through `monitor -v once`, `monitor feeds` and `monitor articles`
against a loopback server: one feed whose URL carries a password and works, one
that carries it and fails, and a feed item linking to a page by a URL with a
password and another by a 20 KB URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.redact import redact_text, redact_url, shorten_url, shown_url
from monitor.store import Database
from tests.conftest import make_rules_dir
from tests.documents import article_html
from tests.loopback import LoopbackServer, Route

runner = CliRunner()
SECRET = "s3cret-pw"


def feed_document(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><guid>urn:t:{n}</guid></item>"
        for n, link in enumerate(links)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>".encode()


@pytest.fixture
def site(loopback: LoopbackServer, tmp_path: Path) -> dict[str, str]:
    """A working and a failing credentialed feed; the working one links to three pages."""
    credentialed = f"http://reader:{SECRET}@127.0.0.1:{loopback.port}"
    loopback.route("/ok.html", Route(body=article_html(1)))
    long_link = f"{loopback.base_url}/gone.html?{'x' * 20_000}"
    links = [f"{credentialed}/ok.html", f"{credentialed}/gone.html", long_link]
    loopback.route(
        "/feed.xml",
        Route(body=feed_document(links), content_type="application/rss+xml"),
    )
    feeds = {"works": f"{credentialed}/feed.xml", "fails": f"{credentialed}/missing.xml"}
    make_rules_dir(tmp_path, feeds)
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
        "MONITOR_PAGE_RETRY_SCHEDULE": "",
        "MONITOR_TOTAL_TIMEOUT_S": "60",
        "MONITOR_READ_TIMEOUT_S": "30",
    }


def test_a_feed_password_is_masked_in_stored_errors_cli_output_and_logs(
    site: dict[str, str], loopback: LoopbackServer, tmp_path: Path
) -> None:
    """The password authenticates the polls, yet no stored error, output or log line holds it."""
    once = runner.invoke(app, ["-v", "once"], env=site)
    assert once.exit_code == 0, once.stderr
    feeds_json = runner.invoke(app, ["feeds", "--json"], env=site)
    feeds_table = runner.invoke(app, ["feeds"], env=site)
    articles = runner.invoke(app, ["articles", "--json"], env=site)

    assert loopback.hits("/feed.xml") == 1 and loopback.hits("/ok.html") == 1
    for output in (once.stderr, feeds_json.stdout, feeds_table.stdout, articles.stdout):
        assert SECRET not in output
    assert '"feed_url": "http://reader:***@127.0.0.1' in once.stderr  # the JSON log lines
    by_name = {feed["name"]: feed for feed in json.loads(feeds_json.stdout)}
    assert by_name["works"]["url"] == f"http://reader:***@127.0.0.1:{loopback.port}/feed.xml"
    assert by_name["fails"]["last_error"] == (
        f"fetch: http://reader:***@127.0.0.1:{loopback.port}/missing.xml answered HTTP 404"
    )
    database = Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}")
    try:
        stored = [f.last_error or "" for f in database.feeds()]
        article_errors = [a.error or "" for a in database.articles()]
    finally:
        database.close()
    assert any("reader:***@" in error for error in stored)
    assert not any(SECRET in error for error in stored + article_errors)
    assert any("reader:***@" in error and "gone.html" in error for error in article_errors)


def test_a_20_kb_link_gives_a_short_stored_error_and_short_output(
    site: dict[str, str], tmp_path: Path
) -> None:
    """The page behind a 20 KB link fails with an error of a few hundred characters."""
    once = runner.invoke(app, ["once"], env=site)
    assert once.exit_code == 0, once.stderr

    article_lines = [line for line in once.stderr.splitlines() if line.startswith("article ")]
    assert article_lines and all(len(line) < 1000 for line in article_lines)
    database = Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}")
    try:
        errors = [a.error for a in database.articles() if a.error]
    finally:
        database.close()
    [long_error] = [e for e in errors if "chars)" in e]
    assert len(long_error) < 600
    assert "…(20,0" in long_error


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@host/feed", "https://user:***@host/feed"),
        ("https://token@host/feed", "https://***@host/feed"),
        ("https://user:p@ss@host/feed", "https://user:***@host/feed"),
        ("postgresql://u:secret@db:5432/monitor", "postgresql://u:***@db:5432/monitor"),
        ("u:secret@host/db", "u:***@host/db"),
        ("https://host/path?next=a@b", "https://host/path?next=a@b"),
        ("https://host/feed", "https://host/feed"),
    ],
)
def test_redact_url_masks_the_password_and_leaves_the_rest(url: str, shown: str) -> None:
    """Only the userinfo's secret part is replaced; an @ after the host is left alone."""
    assert redact_url(url) == shown


def test_urls_in_free_text_are_masked_and_bounded() -> None:
    """redact_text finds every URL in a library's message and shows each one safely."""
    long_url = "https://example.org/" + "a" * 500
    text = f"GET https://u:pw@h/x failed; see {long_url} and 'http://t@h/y'"

    assert redact_text(text) == (
        f"GET https://u:***@h/x failed; see {long_url[:200]}…(520 chars) and 'http://***@h/y'"
    )
    assert shorten_url("https://h/") == "https://h/"
    assert shown_url("https://u:pw@h/" + "b" * 300).startswith("https://u:***@h/bbb")


def test_redacting_twice_changes_nothing() -> None:
    """A message built with shown_url and redacted again on its way to storage stays the same."""
    message = f"fetch: {shown_url('https://u:pw@h/' + 'c' * 20_000)} answered HTTP 404"

    assert redact_text(message) == message
    assert redact_text(redact_text(message)) == message
