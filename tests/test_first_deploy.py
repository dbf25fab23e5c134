"""A first deploy starts quiet: an empty ledger gets the seeds' baseline before the first
cycle, and a new feed's first poll records what it already holds as baseline; only news
published after that posts."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.engine import load_rule_set
from monitor.config import Settings
from monitor.ingest.fetch import Fetcher
from monitor.model import ExtractedPage, FeedItem, FeedSpec
from monitor.pipeline.cycle import Pipeline, load_start_baseline, run_once
from monitor.store import AlertRecord, Database
from monitor.store.engine import MIGRATIONS_DIR, create_db_engine
from tests.conftest import REPO_ROOT, make_rules_dir, make_settings
from tests.fakeslack import serve_fake_slack
from tests.loopback import LoopbackServer, Route
from tests.manifests import applied_objects, pod_environment
from tests.newsroom import BACKLOG, NEW_ARTICLE, NEW_FACT, NewsSite

# The deployment test's pod: its environment builder, process and fixtures, reused.
from tests.test_deploy import (  # noqa: F401  (pods, manifest_database: fixtures)
    Pod,
    _free_port,
    _on_loopback,
    _secret_value,
    manifest_database,
    pods,
    start_pod,
)

SEEDS_DIR = REPO_ROOT / "seeds"
NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def _settings(
    tmp_path: Path, database_url: str, feeds: dict[str, str], **extra: object
) -> Settings:
    return make_settings(
        tmp_path,
        database_url=database_url,
        rules_dir=make_rules_dir(tmp_path, feeds),
        seeds_dir=extra.pop("seeds_dir", SEEDS_DIR),
        **extra,
    )


@pytest.fixture
def open_pipeline_for(tmp_path: Path) -> Iterator[list[Pipeline]]:
    """Pipelines a test opens; closed with their databases at the end."""
    opened: list[Pipeline] = []
    yield opened
    for pipeline in opened:
        pipeline.close()
        pipeline.fetcher.close()
        pipeline.database.close()


def _pipeline(settings: Settings, opened: list[Pipeline]) -> Pipeline:
    database = Database.open(settings.resolved_database_url)
    pipeline = Pipeline(settings, database, Fetcher(settings), load_rule_set(settings.rules_dir))
    opened.append(pipeline)
    return pipeline


def _cycle(pipeline: Pipeline) -> None:
    """One cycle over every feed in the rules, due or not."""
    report = pipeline.run_cycle(pipeline.rule_set.rules.feeds, ignore_due=True)
    assert not report.article_errors, report.article_errors


def _posted_or_waiting(database: Database) -> list[AlertRecord]:
    return [alert for alert in database.alerts() if not alert.is_seeded]


def test_an_empty_ledger_gets_the_seed_baseline_once_and_never_posts_it(
    tmp_path: Path,
    database_url: str,
    open_pipeline_for: list[Pipeline],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The start-up baseline stores every seed, records its alerts as seeded, says so in the
    log, and does nothing the second time."""
    pipeline = _pipeline(_settings(tmp_path, database_url, {}), open_pipeline_for)
    caplog.set_level(logging.INFO, logger="monitor")

    assert load_start_baseline(pipeline) == 5
    database = pipeline.database
    assert {a.source for a in database.articles()} == {f"seed-00{n}" for n in range(5)}
    assert database.alerts() and _posted_or_waiting(database) == []
    assert database.outbox_state().waiting == 0
    messages = [r.getMessage() for r in caplog.records]
    assert f"ledger empty: loaded the baseline from 5 seed articles in {SEEDS_DIR}" in messages

    alerts_before = len(database.alerts())
    assert load_start_baseline(pipeline) == 0
    assert database.article_count() == 5 and len(database.alerts()) == alerts_before


def test_a_missing_seeds_folder_is_a_warning_and_the_start_goes_on(
    tmp_path: Path,
    database_url: str,
    open_pipeline_for: list[Pipeline],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No seeds where MONITOR_SEEDS_DIR points: one warning naming the setting, no baseline,
    no exception."""
    settings = _settings(tmp_path, database_url, {}, seeds_dir=tmp_path / "no-seeds")
    pipeline = _pipeline(settings, open_pipeline_for)
    caplog.set_level(logging.INFO, logger="monitor")

    assert load_start_baseline(pipeline) == 0
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "MONITOR_SEEDS_DIR" in warning.getMessage()
    assert str(tmp_path / "no-seeds") in str(getattr(warning, "error", ""))
    assert pipeline.database.article_count() == 0


def test_a_ledger_built_from_feeds_is_not_given_the_seeds_later(
    tmp_path: Path, database_url: str, loopback: LoopbackServer, open_pipeline_for: list[Pipeline]
) -> None:
    """Claims already stored (here from a feed, with no seeds at hand) mean the ledger is not
    empty: a later start with seeds leaves it as it is."""
    site = NewsSite(loopback)
    feeds = {"tribune": site.feed_url}
    without_seeds = _settings(tmp_path, database_url, feeds, seeds_dir=tmp_path / "none")
    first = _pipeline(without_seeds, open_pipeline_for)
    load_start_baseline(first)
    _cycle(first)
    assert first.database.ledger_is_empty() is False

    second = _pipeline(_settings(tmp_path, database_url, feeds), open_pipeline_for)
    assert load_start_baseline(second) == 0
    assert not any(a.source.startswith("seed-") for a in second.database.articles())


def test_a_new_feeds_first_poll_is_baseline_and_only_later_entries_post(
    tmp_path: Path, database_url: str, loopback: LoopbackServer, open_pipeline_for: list[Pipeline]
) -> None:
    """The backlog is fetched, analysed and kept in the ledger with its alerts seeded; an
    article published after the first poll raises exactly the alert its new fact warrants."""
    site = NewsSite(loopback)
    pipeline = _pipeline(
        _settings(tmp_path, database_url, {"tribune": site.feed_url}), open_pipeline_for
    )
    database = pipeline.database
    load_start_baseline(pipeline)
    seeded_alerts = len(database.alerts())

    _cycle(pipeline)
    backlog = [database.article_by_url(site.url(article)) for article in BACKLOG]
    assert all(a is not None and a.status == "extracted" for a in backlog)
    # Each backlog article stated a fact the seeds did not: alerts raised, none to post.
    backlog_alerts = database.alerts()[seeded_alerts:]
    assert len(backlog_alerts) == len(BACKLOG)
    assert all(alert.is_seeded for alert in backlog_alerts)
    assert database.outbox_state().waiting == 0
    assert all(database.article_claims(a.article_id) for a in backlog if a is not None)
    [feed] = database.feeds()
    assert feed.first_polled_at is not None and feed.last_error is None

    site.publish(NEW_ARTICLE)
    _cycle(pipeline)
    [alert] = _posted_or_waiting(database)
    incident_id, slot, value = NEW_FACT
    assert (alert.incident_id, alert.slot, alert.current["value"]) == (incident_id, slot, value)
    assert alert.article_url == site.url(NEW_ARTICLE)
    assert database.outbox_state().waiting == 1


def test_a_feed_whose_first_poll_fails_is_still_new_at_its_first_good_poll(
    tmp_path: Path, database_url: str, loopback: LoopbackServer, open_pipeline_for: list[Pipeline]
) -> None:
    """A failed first poll (the feed answers 503) stores nothing and leaves the feed new, so
    the entries of its first successful poll are still the backlog."""
    site = NewsSite(loopback)
    working_feed = loopback.route("/feed.xml", Route(status=503, body=b"down for maintenance"))
    pipeline = _pipeline(
        _settings(tmp_path, database_url, {"tribune": site.feed_url}), open_pipeline_for
    )
    database = pipeline.database

    _cycle(pipeline)
    [feed] = database.feeds()
    assert feed.last_error and feed.first_polled_at is None

    site.publish(BACKLOG[0])  # the feed answers again, with its entries
    assert site.feed_url == working_feed
    _cycle(pipeline)
    [feed] = database.feeds()
    assert feed.last_error is None and feed.first_polled_at is not None
    assert database.alerts() and _posted_or_waiting(database) == []


def test_a_feed_moved_to_a_new_address_starts_a_new_backlog(
    tmp_path: Path, database: Database
) -> None:
    """A changed URL in feeds.yaml is a new feed: its next successful poll is its backlog."""
    database.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], default_interval_min=15)
    [feed] = database.feeds()
    database.add_feed_items(feed.feed_id, [_item(1)], NOW)
    assert database.feeds()[0].first_polled_at is not None

    database.sync_feeds([FeedSpec("wire", "https://wire.example/v2/rss")], default_interval_min=15)
    assert database.feeds()[0].first_polled_at is None


def _item(n: int) -> FeedItem:
    return FeedItem(
        guid=f"guid-{n}",
        url=f"https://wire.example/story-{n}",
        title="",
        published_at=NOW,
        summary="",
    )


def _draft(key: str, url: str) -> AlertDraft:
    return AlertDraft(
        dedup_key=key,
        kind="update",
        subject="mpls-2026-01-14",
        incident_id="mpls-2026-01-14",
        slot="victim_age",
        previous=None,
        earlier=(),
        current={"value": 24},
        article_url=url,
        reason="first report",
    )


def test_a_backlog_article_is_baseline_only_in_its_first_text(database: Database) -> None:
    """Alerts from a backlog article's first analysis are seeded; once the outlet revises it,
    the edit's alerts are news and wait for delivery."""
    database.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], default_interval_min=15)
    [feed] = database.feeds()
    database.add_feed_items(feed.feed_id, [_item(1)], NOW)
    database.add_feed_items(feed.feed_id, [_item(2)], NOW)  # the second poll: not backlog
    [first, second] = sorted(database.articles(), key=lambda a: a.article_id)
    page = ExtractedPage("Text one.", "One", None, None, None, None)
    for article in (first, second):
        database.store_extraction(article.article_id, page, fetched_at=NOW)
        page = ExtractedPage("Text two.", "Two", None, None, None, None)

    def analysed(article_id: int, key: str, url: str) -> bool:
        [added] = database.record_analysis(
            article_id,
            links=[],
            is_new_incident=False,
            matched_at=NOW,
            claims=[],
            alerts=[_draft(key, url)],
            seeded=False,
        )
        [stored] = [a for a in database.alerts() if a.dedup_key == added.dedup_key]
        return stored.is_seeded

    assert analysed(first.article_id, "backlog", first.url) is True
    assert analysed(second.article_id, "later", second.url) is False
    revised = ExtractedPage("Text one, revised.", "One", None, None, None, None)
    database.store_revision(first.article_id, revised, fetched_at=NOW)
    assert analysed(first.article_id, "edit", first.url) is False


def test_feeds_polled_before_the_upgrade_are_not_new_afterwards(tmp_path: Path) -> None:
    """Migration 0012 marks feeds an earlier version polled successfully as polled, so the
    upgrade does not swallow their next news as backlog; a never-polled feed stays new."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0011")
        connection.execute(
            sa.text(
                "INSERT INTO feed (name, url, interval_min, is_active, entry_count,"
                " consecutive_errors, last_fetched_at, last_status) VALUES"
                " ('polled', 'https://a.example/rss', 15, 1, 3, 0, :at, 200),"
                " ('failing', 'https://b.example/rss', 15, 1, 0, 2, :at, NULL),"
                " ('never', 'https://c.example/rss', 15, 1, 0, 0, NULL, NULL)"
            ),
            {"at": "2026-01-21 12:00:00.000000"},
        )
    engine.dispose()
    database = Database.open(url)
    try:
        first_polled = {feed.name: feed.first_polled_at for feed in database.feeds()}
    finally:
        database.close()
    assert first_polled == {"polled": NOW, "failing": None, "never": None}


def test_monitor_once_on_an_empty_database_loads_the_baseline_first(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """`monitor once` on a new database: the seeds, then the feed's backlog, and nothing to
    post."""
    site = NewsSite(loopback)
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'once.db'}", {"tribune": site.feed_url})
    report = run_once(settings)
    assert report.alerts_raised == 0 and report.alerts_waiting == 0
    database = Database.open(settings.resolved_database_url)
    try:
        sources = {a.source for a in database.articles()}
        assert {f"seed-00{n}" for n in range(5)} < sources
        assert database.article_count() == 5 + len(BACKLOG)
    finally:
        database.close()


# -- the first deploy, as a real daemon ----------------------------------------------------

# What the test sets beyond the manifests' environment with its loopback stand-ins
# (tests/test_deploy.py): the feed and its pages are on loopback, which the address guard
# refuses unless told, and short ticks so that a cycle and a delivery pass follow each
# change within a second instead of the defaults' 30 and 10 s.
FIRST_DEPLOY_SETTINGS = {
    "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
    "MONITOR_TICK_S": "1",
    "MONITOR_DELIVERY_INTERVAL_S": "1",
}
# A bound on how long a condition may take on a loaded machine, not a timing expectation.
CONDITION_TIMEOUT_S = 180.0


def _feed_rules(rules_dir: Path, feed_url: str) -> None:
    """feeds.yaml with the one loopback feed, polled every few seconds."""
    (rules_dir / "feeds.yaml").write_text(
        f"feeds:\n  - name: tribune\n    url: '{feed_url}'\n    interval: 0.05\n", "utf-8"
    )


def _wait_until(pod: Pod, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + CONDITION_TIMEOUT_S
    while not condition():
        assert pod.process.poll() is None, f"monitor exited:\n{pod.log()}"
        assert time.monotonic() < deadline, f"{what} did not happen:\n{pod.log()[-4000:]}"
        time.sleep(0.3)


def _analysed(database: Database, url: str) -> bool:
    article = database.article_by_url(url)
    return article is not None and bool(database.article_claims(article.article_id))


@pytest.mark.slow
def test_a_first_deploy_posts_nothing_for_the_backlog_and_one_alert_for_new_news(
    tmp_path: Path,
    manifest_database: str,  # noqa: F811  (the fixture imported from tests/test_deploy.py)
    loopback: LoopbackServer,
    pods: list[Pod],  # noqa: F811  (likewise)
) -> None:
    """`monitor run` with the Kubernetes manifests' environment on an empty database and a
    feed already holding three incident follow-ups: the seeds' baseline is loaded, the
    backlog is analysed and posts nothing; one article published later posts its one new
    fact, once."""
    site = NewsSite(loopback)
    objects = applied_objects()
    token = _secret_value(objects, "SLACK_BOT_TOKEN")
    port = _free_port()
    with serve_fake_slack(expected_token=token) as slack:
        env = _on_loopback(
            pod_environment(objects),
            tmp_path,
            database_url=manifest_database,
            slack=slack,
            port=port,
        )
        _feed_rules(Path(env["MONITOR_RULES_DIR"]), site.feed_url)
        pod = start_pod({**env, **FIRST_DEPLOY_SETTINGS}, tmp_path, port)
        pods.append(pod)
        database = Database.open(manifest_database)
        try:
            _wait_until(
                pod,
                lambda: all(_analysed(database, site.url(a)) for a in BACKLOG),
                "the backlog's analysis",
            )
            # The seeds and the backlog raised alerts (each backlog article states a fact
            # the seeds lack), and every one of them is baseline: nothing to post, ever.
            assert len(database.alerts()) > len(BACKLOG)
            assert _posted_or_waiting(database) == []
            assert slack.messages == []

            site.publish(NEW_ARTICLE)
            _wait_until(pod, lambda: len(slack.messages) >= 1, "the new article's post")
            _wait_until(
                pod,
                lambda: all(a.delivery_status == "delivered" for a in _posted_or_waiting(database)),
                "the outbox emptying",
            )
            [alert] = _posted_or_waiting(database)
        finally:
            database.close()
        [message] = slack.messages
        incident_id, slot, value = NEW_FACT
        assert (alert.incident_id, alert.slot, alert.current["value"]) == (incident_id, slot, value)
        assert alert.article_url == site.url(NEW_ARTICLE) and alert.slack_ts == message.ts
        assert message.channel == env["MONITOR_SLACK_CHANNEL"]

        events = [event["event"] for event in pod.events()]
        seeds = env["MONITOR_SEEDS_DIR"]
        assert f"ledger empty: loaded the baseline from 5 seed articles in {seeds}" in events
        assert "new feed: its entries are the baseline, not news" in events
        assert events.index("daemon started") > events.index(
            f"ledger empty: loaded the baseline from 5 seed articles in {seeds}"
        )
        pod.process.send_signal(signal.SIGTERM)
        assert pod.process.wait(timeout=60) == 0
