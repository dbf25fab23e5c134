"""Robustness over ../shared/corpus: every real feed and page is handled or clearly refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.analysis.engine import load_rule_set
from monitor.ingest.fetch import Fetcher
from monitor.model import FeedSpec
from monitor.pipeline.cycle import Pipeline
from monitor.pipeline.report import CycleReport
from monitor.store import ArticleStatus, Database
from tests.conftest import CORPUS_DIR, REPO_ROOT, make_settings
from tests.loopback import LoopbackServer, Route

pytestmark = pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason=f"corpus not found at {CORPUS_DIR}")


def _corpus_files(kind: str) -> list[Path]:
    """The corpus documents of one kind, without their ground-truth companions."""
    folder = CORPUS_DIR / kind
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.endswith((".expected.json", ".expected.html"))
    )


def _pipeline(tmp_path: Path) -> tuple[Pipeline, Database]:
    settings = make_settings(tmp_path, fetch_concurrency=4)
    database = Database.open(settings.resolved_database_url)
    rules = load_rule_set(REPO_ROOT / "rules")
    return Pipeline(settings, database, Fetcher(settings), rules), database


def test_every_corpus_feed_is_parsed_or_recorded_with_a_clear_error(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Each corpus feed, served over HTTP, is parsed with entries or gets a stated error."""
    files = _corpus_files("feeds")
    assert len(files) > 300
    specs = [
        FeedSpec(
            name=path.name,
            url=loopback.route(
                f"/feeds/{path.name}", Route(body=path.read_bytes(), content_type="application/xml")
            ),
        )
        for path in files
    ]
    pipeline, database = _pipeline(tmp_path)
    database.sync_feeds(specs, default_interval_min=15)
    with pipeline:
        pipeline.poll_feeds(database.feeds(), CycleReport())
    states = database.feeds()
    assert len(states) == len(files)
    parsed = [s for s in states if s.last_error is None]
    failed = [s for s in states if s.last_error is not None]
    for state in failed:
        assert state.last_error and state.last_error.startswith(("feed:", "fetch:")), state
    for state in parsed:
        assert state.last_status == 200
    # Parser fixtures whose entries have no link parse, but a poll of them fails: a news
    # feed without links gives nothing to fetch (reported as "N entries, none with a link").
    linkless = [s for s in failed if "none with a link" in (s.last_error or "")]
    # Most of the corpus is valid feeds; a parser that rejects them all is broken.
    assert len(parsed) + len(linkless) > 0.8 * len(files), [(s.name, s.last_error) for s in failed][
        :20
    ]


def test_every_corpus_page_is_extracted_or_recorded_with_a_clear_error(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """Each corpus page, listed in a loopback feed, ends extracted or with a stated reason."""
    pages = _corpus_files("pages")
    assert len(pages) > 200
    items = []
    for path in pages:
        url = loopback.route(f"/pages/{path.name}", Route(body=path.read_bytes()))
        items.append(f"<item><title>{path.stem}</title><link>{url}</link></item>")
    feed = "<rss version='2.0'><channel><title>corpus</title>" + "".join(items)
    feed_url = loopback.route("/corpus.xml", Route(body=(feed + "</channel></rss>").encode()))
    pipeline, database = _pipeline(tmp_path)
    with pipeline:
        report = pipeline.run_cycle([FeedSpec("corpus", feed_url)])
    articles = database.articles()
    assert len(articles) == len(pages)
    for article in articles:
        assert article.status in {
            ArticleStatus.EXTRACTED,
            ArticleStatus.EXTRACT_FAILED,
            ArticleStatus.DUPLICATE,
        }, article
        if article.status == ArticleStatus.EXTRACT_FAILED:
            assert article.error and article.error.startswith("extract:")
    assert report.articles_extracted > 0.9 * len(pages)
