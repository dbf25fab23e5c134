"""/healthz `degraded` and the backlog gauges, read from a real SQLite database the tests
fill: failing feeds, an outbox whose head keeps failing, a refused rules reload."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.analysis.alerts import AlertDraft
from monitor.ingest.extract import read_plain_text
from monitor.metrics import Metrics
from monitor.model import FeedSpec
from monitor.service.health import HealthServer
from monitor.service.vitals import (
    RulesFailure,
    Thresholds,
    Vitals,
    degraded_reasons,
    read_vital_signs,
)
from monitor.store import Database

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
DEFAULTS = Thresholds(feed_share=0.5, delivery_s=1800.0)
FEEDS = ("ledger", "wire", "courier", "herald")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A real SQLite database with four active feeds, none polled yet."""
    db = Database.open(f"sqlite:///{tmp_path / 'monitor.db'}")
    specs = [FeedSpec(name, f"https://{name}.example/feed.xml") for name in FEEDS]
    db.sync_feeds(specs, default_interval_min=15)
    yield db
    db.close()


def fail_feeds(database: Database, *names: str) -> None:
    """Record a failed poll for each named feed (consecutive_errors becomes 1)."""
    by_name = {feed.name: feed for feed in database.feeds()}
    for name in names:
        database.record_feed_poll(
            by_name[name].feed_id,
            fetched_at=NOW,
            next_due_at=NOW + timedelta(minutes=15),
            status=None,
            error=f"fetch: https://{name}.example/feed.xml: cannot resolve {name}.example",
        )


def raise_alerts(database: Database, count: int, *, at: datetime) -> list[int]:
    """Store `count` pending alerts raised at `at`; returns their ids, oldest first."""
    page = read_plain_text("Shooting update\nPolice said two people were wounded.\n")
    article_id, _ = database.add_article(
        url=f"https://ledger.example/{at.timestamp()}",
        page=page,
        fetched_at=at,
        origin="feed",
        source_label="ledger",
        published_at=at,
    )
    drafts = [
        AlertDraft(
            dedup_key=f"key-{at.timestamp()}-{n}",
            kind="update",
            subject="incident:pdx",
            incident_id="pdx",
            slot="wounded",
            previous=None,
            earlier=(),
            current={"value": n, "source": "ledger"},
            article_url="https://ledger.example/a",
            reason="first report",
        )
        for n in range(count)
    ]
    database.record_analysis(
        article_id,
        links=[],
        is_new_incident=False,
        matched_at=at,
        claims=[],
        alerts=drafts,
        seeded=False,
    )
    return [a.alert_id for a in database.alerts() if a.created_at == at]


def fail_delivery(database: Database, alert_id: int, *, since: datetime) -> None:
    """One failed try of the alert, its run of failures beginning at `since`."""
    database.mark_retry(
        alert_id,
        error="Slack answered HTTP 500; retry later",
        next_attempt_at=since + timedelta(minutes=1),
        failed_at=since,
    )


def reasons_of(database: Database, limits: Thresholds = DEFAULTS) -> list[str]:
    return degraded_reasons(read_vital_signs(database, NOW), limits)


def test_a_healthy_database_gives_no_reasons(database: Database) -> None:
    """No failing feed, an empty outbox and good rules: not degraded."""
    assert reasons_of(database) == []


def test_all_feeds_failing_is_degraded_with_their_count(database: Database) -> None:
    """Every feed failing makes one reason that counts and names them."""
    fail_feeds(database, *FEEDS)
    [reason] = reasons_of(database)
    assert reason.startswith("all 4 feeds are failing (")
    assert "courier, herald, ledger and 1 more" in reason
    assert "monitor feeds" in reason


def test_more_than_the_set_share_of_feeds_failing_is_degraded(database: Database) -> None:
    """Three of four failing is past the default share of 0.5; two of four is not."""
    fail_feeds(database, "ledger", "wire")
    assert reasons_of(database) == []
    fail_feeds(database, "courier")
    [reason] = reasons_of(database)
    assert reason.startswith("3 of 4 feeds are failing")
    assert "MONITOR_DEGRADED_FEED_SHARE (0.5)" in reason


def test_the_feed_share_is_a_setting(database: Database) -> None:
    """With a share of 0.75, three failing feeds of four are tolerated; all four are not."""
    lenient = Thresholds(feed_share=0.75, delivery_s=1800.0)
    fail_feeds(database, "ledger", "wire", "courier")
    assert reasons_of(database, lenient) == []
    fail_feeds(database, "herald")
    assert reasons_of(database, lenient)[0].startswith("all 4 feeds are failing")


def test_a_feed_that_recovered_no_longer_counts(database: Database) -> None:
    """A successful poll resets consecutive_errors, and the feed stops counting as failing."""
    fail_feeds(database, *FEEDS)
    ledger = next(f for f in database.feeds() if f.name == "ledger")
    database.record_feed_poll(
        ledger.feed_id, fetched_at=NOW, next_due_at=NOW, status=200, error=None
    )
    assert reasons_of(database)[0].startswith("3 of 4 feeds are failing")


def test_delivery_failing_longer_than_the_threshold_is_degraded(database: Database) -> None:
    """The outbox head failing for 31 minutes (threshold 30) is a reason naming it."""
    head, *_ = raise_alerts(database, 3, at=NOW - timedelta(hours=1))
    fail_delivery(database, head, since=NOW - timedelta(minutes=31))
    [reason] = reasons_of(database)
    assert reason.startswith("alert delivery has been failing for 1860 s")
    assert f"alert #{head} and the 3 waiting" in reason
    assert "HTTP 500" in reason


def test_delivery_failing_for_less_than_the_threshold_is_not_degraded(
    database: Database,
) -> None:
    """A short Slack outage (29 minutes) is not yet a reason."""
    head, *_ = raise_alerts(database, 2, at=NOW - timedelta(hours=1))
    fail_delivery(database, head, since=NOW - timedelta(minutes=29))
    assert reasons_of(database) == []
    shorter = Thresholds(feed_share=0.5, delivery_s=600.0)
    assert reasons_of(database, shorter)[0].startswith("alert delivery has been failing")


def test_alerts_waiting_without_a_failed_try_are_not_degraded(database: Database) -> None:
    """Alerts kept while delivery is off (no token) are waiting, not failing."""
    raise_alerts(database, 2, at=NOW - timedelta(days=2))
    assert reasons_of(database) == []


def test_a_refused_rules_reload_is_degraded_with_its_time_and_error(database: Database) -> None:
    """The last refused reload is a reason with its time and the file's error."""
    failure = RulesFailure(NOW, "rules/incidents.yaml, line 1: unexpected end of the file")
    signs = read_vital_signs(database, NOW, failure)
    [reason] = degraded_reasons(signs, DEFAULTS)
    assert reason.startswith("the rules reload at 2026-01-10T12:00:00+00:00 failed")
    assert "incidents.yaml, line 1" in reason and "monitor rules check" in reason


def test_reading_the_signs_sets_the_backlog_gauges(database: Database) -> None:
    """Feeds failing, alerts waiting and the oldest one's age land in the gauges."""
    fail_feeds(database, "wire")
    raise_alerts(database, 2, at=NOW - timedelta(minutes=10))
    raise_alerts(database, 1, at=NOW - timedelta(minutes=2))
    metrics = Metrics()
    Vitals(database, DEFAULTS, metrics, clock=lambda: NOW).read()
    sample = metrics.registry.get_sample_value
    assert sample("monitor_feeds_failing") == 1.0
    assert sample("monitor_alerts_waiting") == 3.0
    assert sample("monitor_oldest_waiting_alert_age_seconds") == 600.0


def test_healthz_is_200_degraded_with_the_reasons_and_metrics_has_the_gauges(
    database: Database,
) -> None:
    """Over HTTP: 200 with status degraded and the reasons; /metrics shows the gauges."""
    fail_feeds(database, *FEEDS)
    metrics = Metrics()
    vitals = Vitals(database, DEFAULTS, metrics, clock=lambda: NOW)
    health = HealthServer(
        "127.0.0.1",
        0,
        check_database=database.ping,
        scheduler_alive=lambda: True,
        last_success_at=lambda: NOW,
        stale_after_s=900,
        registry=metrics.registry,
        clock=lambda: NOW,
        assess_operations=vitals.reasons,
    )
    with health:
        base = f"http://127.0.0.1:{health.port}"
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as reply:
            status, payload = reply.status, json.loads(reply.read())
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    assert status == 200
    assert payload["status"] == "degraded"
    assert payload["reasons"][0].startswith("all 4 feeds are failing")
    assert "monitor_feeds_failing 4.0" in text.splitlines()
    assert "monitor_alerts_waiting 0.0" in text.splitlines()
