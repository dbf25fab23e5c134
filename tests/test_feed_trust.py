"""What a feed or page says about itself is not taken on trust: its name, its dates.

A loopback feed carries articles about a tracked incident whose pages call themselves
"Associated Press" and whose feed dates are absurd (1970, year 9999). A real Pipeline
(with its clock injected) stores them; `monitor articles` and `monitor explain` show
what was stated beside what is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.analysis.engine import load_rule_set
from monitor.cli import app
from monitor.ingest.fetch import Fetcher
from monitor.notify.delivery import claim_view
from monitor.pipeline.cycle import Pipeline
from monitor.pipeline.explain import explain_target
from monitor.store import ArticleRecord, Database
from tests.conftest import make_rules_dir, make_settings
from tests.loopback import LoopbackServer, Route
from tests.test_replicas import FOLLOW_UPS

# A week after the Portland shooting (2026-01-08): inside its incident window.
NOW = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
PORTLAND = "pdx-critical"
MINNEAPOLIS = "mpls-released"

runner = CliRunner()


def _page(key: str) -> bytes:
    """A follow-up story whose page names its outlet "Associated Press"."""
    title, paragraphs = FOLLOW_UPS[key]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<meta property='og:site_name' content='Associated Press'></head>"
        f"<body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    ).encode()


def _feed(base_url: str, dated: dict[str, datetime]) -> bytes:
    items = "".join(
        f"<item><title>{key}</title><link>{escape(base_url)}/{key}.html</link>"
        f"<guid>urn:trust:{key}</guid><pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
        "</item>"
        for key, when in dated.items()
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Blog</title><link>{escape(base_url)}/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


@pytest.fixture
def stored(loopback: LoopbackServer, tmp_path: Path) -> Iterator[dict[str, ArticleRecord]]:
    """One cycle over a feed (labelled "Portland Blog" in feeds.yaml) with absurd dates."""
    for key in (PORTLAND, MINNEAPOLIS):
        loopback.route(f"/{key}.html", Route(body=_page(key)))
    feed = loopback.route(
        "/feed.xml",
        Route(
            body=_feed(loopback.base_url, {PORTLAND: EPOCH, MINNEAPOLIS: FAR_FUTURE}),
            content_type="application/rss+xml",
        ),
    )
    rules_dir = make_rules_dir(tmp_path, {"pdx-blog": feed})
    feeds_yaml = rules_dir / "feeds.yaml"
    feeds_yaml.write_text(feeds_yaml.read_text("utf-8") + "    source: Portland Blog\n", "utf-8")
    settings = make_settings(tmp_path)
    rule_set = load_rule_set(settings.rules_dir)
    database = Database.open(settings.resolved_database_url)
    try:
        with (
            Fetcher(settings) as fetcher,
            Pipeline(settings, database, fetcher, rule_set, clock=lambda: NOW) as pipeline,
        ):
            report = pipeline.run_cycle(rule_set.rules.feeds)
        assert report.feed_errors == [] and report.article_errors == []
        yield {a.url.rsplit("/", 1)[1].removesuffix(".html"): a for a in database.articles()}
    finally:
        database.close()


def test_an_epoch_dated_article_about_a_tracked_incident_raises_no_new_incident(
    stored: dict[str, ArticleRecord], tmp_path: Path
) -> None:
    """A 1970 feed date is replaced by the first sight, so the article falls inside its
    incident's window: it is matched to the incident and no "possible new incident" is
    posted; the dates the feed stated are kept."""
    portland, minneapolis = stored[PORTLAND], stored[MINNEAPOLIS]
    assert (portland.published_at, portland.stated_published_at) == (NOW, EPOCH)
    assert (minneapolis.published_at, minneapolis.stated_published_at) == (NOW, FAR_FUTURE)
    database = Database.open(make_settings(tmp_path).resolved_database_url)
    try:
        incidents = database.incidents_by_article()
        kinds = {alert.kind for alert in database.alerts()}
    finally:
        database.close()
    assert incidents.get(portland.article_id), "the Portland story matched no incident"
    assert "new_incident" not in kinds


def test_the_feeds_label_names_the_article_and_the_page_name_stays_beside_it(
    stored: dict[str, ArticleRecord], tmp_path: Path
) -> None:
    """`monitor articles --json` attributes the articles to the feed's `source:` label and
    adds the page's own name as `outlet` and the stated date as `stated_published`."""
    env = {"MONITOR_DATA_DIR": str(tmp_path / "data"), "MONITOR_RULES_DIR": str(tmp_path / "rules")}
    result = runner.invoke(app, ["articles", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    listed = {a["url"].rsplit("/", 1)[1]: a for a in json.loads(result.stdout)}
    portland = listed[f"{PORTLAND}.html"]
    assert (portland["source"], portland["outlet"]) == ("Portland Blog", "Associated Press")
    assert (portland["published"], portland["stated_published"]) == (
        "2026-01-16T12:00:00Z",
        "1970-01-01T00:00:00Z",
    )
    table = runner.invoke(app, ["articles"], env={**env, "COLUMNS": "300"})
    assert "Portland Blog (page says: Associated Press)" in table.stdout


def test_explain_says_which_date_the_feed_stated(
    stored: dict[str, ArticleRecord], loopback: LoopbackServer, tmp_path: Path
) -> None:
    """`monitor explain` of a stored feed article shows the date used and the implausible
    one the feed stated, and attributes the article to its feed."""
    explained = explain_target(make_settings(tmp_path), f"{loopback.base_url}/{MINNEAPOLIS}.html")
    lines = explained.as_lines()
    assert (
        "published: 2026-01-16T12:00:00Z (the feed said 9999-12-31T23:59:59Z, which is implausible)"
    ) in lines
    assert "source:    Portland Blog" in lines
    shown = explained.as_json()
    assert (shown["published"], shown["stated_published"], shown["source"]) == (
        "2026-01-16T12:00:00Z",
        "9999-12-31T23:59:59Z",
        "Portland Blog",
    )


def test_slack_names_the_feed_and_what_the_page_says_only_when_they_differ() -> None:
    """An alert side whose page names another outlet reads "Feed (page says: X)"; one
    whose page agrees, or names nothing, reads just the feed."""
    side = {"value": 2, "source": "Portland Blog", "url": "https://x.example/a"}
    assert claim_view({**side, "outlet": "Associated Press"}).source == (
        "Portland Blog (page says: Associated Press)"
    )
    assert claim_view({**side, "outlet": "portland blog"}).source == "Portland Blog"
    assert claim_view(side).source == "Portland Blog"
