"""Slack delivery end to end: the real outbox, the real fake Slack, real processes.

Alerts come from the real pipeline: either the seed articles ingested as news
(24 pending alerts over three incidents), or the seeded baseline plus a
Portland follow-up (three pending alerts about one incident).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.analysis.engine import load_rule_set
from monitor.cli import app
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.ingest.extract import read_plain_text
from monitor.ingest.seeds import load_seeds
from monitor.metrics import Metrics
from monitor.notify.delivery import (
    Delivery,
    DeliveryReport,
    notifier_from_settings,
    render_value,
)
from monitor.pipeline.cycle import ingest_target, open_pipeline, seed_baseline
from monitor.store import AlertRecord, Database, DeliveryStatus
from tests.conftest import REPO_ROOT, make_rules_dir, make_settings
from tests.fakeslack import FakeReply, FakeSlack, PostedMessage, _Answer, serve_fake_slack

runner = CliRunner()
TOKEN = "xoxb-test-token"
MAIN_CHANNEL = "#news-alerts"
PDX = "pdx-2026-01-08"
FOLLOW_UP = (
    "Portland shooting: victims in serious condition\n"
    "Both people wounded by a Border Patrol agent in Portland, Oregon, on Thursday are in "
    "serious condition, the Portland Police Bureau said on Saturday. The agent fired three "
    "shots, police said. The FBI is investigating the shooting, the bureau said.\n"
)
_ALERT_ID = re.compile(r"\bAlert (\d+)\b")
_INCIDENT_ID = re.compile(r"incident `([^`]+)`")


# --------------------------------------------------------------------------- alerts


def _base_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "rules_dir": REPO_ROOT / "rules",
        "seeds_dir": REPO_ROOT / "seeds",
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


def ingest_seeds_as_news(settings: Settings) -> None:
    """The seed articles through the pipeline as ordinary news: every alert is deliverable."""
    with open_pipeline(settings) as pipeline:
        for seed in load_seeds(settings.seeds_dir):
            page = read_plain_text(seed.path.read_text(encoding="utf-8"))
            pipeline.ingest_page(
                seed.url,
                page,
                origin="ingest",
                source_label=seed.source,
                published_at=seed.published_at,
            )


def seed_then_follow_up(settings: Settings, folder: Path) -> None:
    """The seeded baseline (never posted), then a Portland follow-up raising three alerts."""
    seed_baseline(settings)
    article = folder / "follow-up.txt"
    article.write_text(FOLLOW_UP, encoding="utf-8")
    published = datetime(2026, 1, 10, 18, tzinfo=UTC)
    ingest_target(settings, str(article), published_at=published, source_label="Wire")


@pytest.fixture(scope="module")
def news_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the 24 pending alerts the seed articles raise as news."""
    folder = tmp_path_factory.mktemp("news")
    path = folder / "monitor.db"
    ingest_seeds_as_news(_base_settings(folder, f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="module")
def follow_up_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the seeded baseline plus three pending Portland alerts."""
    folder = tmp_path_factory.mktemp("follow-up")
    path = folder / "monitor.db"
    seed_then_follow_up(_base_settings(folder, f"sqlite:///{path}"), folder)
    return path


def copy_db(template: Path, tmp_path: Path) -> Path:
    """A private copy of a template database at tmp_path/data/monitor.db."""
    target = tmp_path / "data" / "monitor.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))
    return target


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack on loopback that accepts the test token."""
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


def slack_settings(
    tmp_path: Path, db_path: Path | str, fake: FakeSlack, **extra: object
) -> Settings:
    url = db_path if isinstance(db_path, str) else f"sqlite:///{db_path}"
    return _base_settings(
        tmp_path,
        url,
        SLACK_BOT_TOKEN=TOKEN,
        slack_channel=MAIN_CHANNEL,
        slack_base_url=fake.base_url,
        **extra,
    )


@pytest.fixture
def opened() -> Iterator[list[Database]]:
    """Databases a test opens, closed at teardown."""
    databases: list[Database] = []
    yield databases
    for database in databases:
        database.close()


def open_delivery(
    settings: Settings, opened: list[Database], **options: Any
) -> tuple[Delivery, Database]:
    database = Database.open(settings.resolved_database_url)
    opened.append(database)
    rule_set = load_rule_set(settings.rules_dir)
    notifier = notifier_from_settings(settings)
    delivery = Delivery(settings, database, rule_set, notifier, metrics=Metrics(), **options)
    return delivery, database


def pending(database: Database) -> list[AlertRecord]:
    return [a for a in database.alerts() if a.delivery_status == DeliveryStatus.PENDING]


def context_text(message: PostedMessage) -> str:
    contexts = [b for b in message.blocks if b.get("type") == "context"]
    return " ".join(e["text"] for block in contexts for e in block["elements"])


def alert_ids(messages: list[PostedMessage]) -> list[int]:
    """The alert id each message carries in its context block, in arrival order."""
    return [int(_ALERT_ID.findall(context_text(m))[0]) for m in messages]


def incident_of(message: PostedMessage) -> str | None:
    found = _INCIDENT_ID.findall(context_text(message))
    return found[0] if found else None


def assert_threaded_per_incident(messages: list[PostedMessage]) -> None:
    """Each incident's first message is top-level; its later ones reply to it."""
    parents: dict[tuple[str, str], str] = {}
    for message in messages:
        incident = incident_of(message)
        if incident is None:
            assert message.thread_ts is None
            continue
        key = (incident, message.channel)
        if key not in parents:
            assert message.thread_ts is None
            parents[key] = message.ts
        else:
            assert message.thread_ts == parents[key]


# --------------------------------------------------------------------------- threading


def test_three_alerts_about_one_incident_are_a_parent_and_two_replies(
    follow_up_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """The first alert is posted top-level and stored as the thread; the next two reply in it."""
    settings = slack_settings(tmp_path, copy_db(follow_up_db, tmp_path), slack)
    delivery, database = open_delivery(settings, opened)

    report = delivery.deliver_pending()

    assert report == DeliveryReport(delivered=3, failed=0, retried=0)
    parent, *replies = slack.messages
    assert len(replies) == 2
    assert parent.thread_ts is None
    assert [reply.thread_ts for reply in replies] == [parent.ts, parent.ts]
    assert all(m.text and m.blocks and m.channel == MAIN_CHANNEL for m in slack.messages)
    assert {incident_of(m) for m in slack.messages} == {PDX}
    assert database.thread_parent(PDX, MAIN_CHANNEL) == parent.ts
    delivered = [a for a in database.alerts() if a.delivery_status == DeliveryStatus.DELIVERED]
    assert [a.slack_ts for a in delivered] == [m.ts for m in slack.messages]


def test_seeded_alerts_are_never_posted(
    follow_up_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """Only the follow-up's alerts reach Slack; the baseline's stay seeded."""
    settings = slack_settings(tmp_path, copy_db(follow_up_db, tmp_path), slack)
    delivery, database = open_delivery(settings, opened)
    seeded_ids = {a.alert_id for a in database.alerts() if a.is_seeded}
    assert seeded_ids

    delivery.deliver_pending()

    assert not seeded_ids & set(alert_ids(slack.messages))
    assert {a.delivery_status for a in database.alerts() if a.is_seeded} == {"seeded"}


def test_alerts_go_out_in_id_order_each_incident_in_its_own_thread(
    news_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """Alerts about three interleaved incidents keep id order and one thread per incident."""
    settings = slack_settings(tmp_path, copy_db(news_db, tmp_path), slack)
    delivery, database = open_delivery(settings, opened)
    expected = [a.alert_id for a in pending(database)]

    report = delivery.deliver_pending()

    assert report.delivered == len(expected) == 24
    assert alert_ids(slack.messages) == expected
    assert len({incident_of(m) for m in slack.messages}) == 3
    assert_threaded_per_incident(slack.messages)
    assert pending(database) == []


def test_an_incident_slack_channel_routes_its_alerts_there(
    news_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """Portland's alerts go to its own channel (threaded there); the rest to the main one."""
    rules_dir = make_rules_dir(tmp_path, {})
    incidents_file = rules_dir / "incidents.yaml"
    rules = yaml.safe_load(incidents_file.read_text(encoding="utf-8"))
    for incident in rules["incidents"]:
        if incident["incident_id"] == PDX:
            incident["slack_channel"] = "#pdx-desk"
    incidents_file.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    settings = slack_settings(tmp_path, copy_db(news_db, tmp_path), slack, rules_dir=rules_dir)
    delivery, database = open_delivery(settings, opened)

    delivery.deliver_pending()

    channels = {(incident_of(m), m.channel) for m in slack.messages}
    assert (PDX, "#pdx-desk") in channels
    assert {c for i, c in channels if i == PDX} == {"#pdx-desk"}
    assert {c for i, c in channels if i != PDX} == {MAIN_CHANNEL}
    assert_threaded_per_incident(slack.messages)
    assert database.thread_parent(PDX, "#pdx-desk") is not None
    assert database.thread_parent(PDX, MAIN_CHANNEL) is None


# --------------------------------------------------------------------------- failures


@pytest.mark.slow
def test_rate_limit_and_server_errors_are_retried_in_order_exactly_once(
    database_url: str, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """429 with Retry-After 1, then 500 twice: the pass waits 1 s, then backs off, and every
    alert still arrives once, in id order."""
    settings = slack_settings(tmp_path, database_url, slack)
    ingest_seeds_as_news(settings)
    waits: list[float] = []
    delivery, database = open_delivery(settings, opened, backoff_s=0.05, sleep=waits.append)
    expected = [a.alert_id for a in pending(database)]
    slack.fail_next(
        FakeReply(status=429, headers={"Retry-After": "1"}),
        FakeReply(status=500),
        FakeReply(status=500),
    )

    report = delivery.deliver_pending()

    assert waits == [1.0, 0.1, 0.2]  # Retry-After honoured, then the backoff doubling
    assert report == DeliveryReport(delivered=len(expected), failed=0, retried=3)
    assert alert_ids(slack.messages) == expected
    assert slack.requests == len(expected) + 3
    assert_threaded_per_incident(slack.messages)
    first = database.alerts()[0]
    assert (first.delivery_status, first.attempts, first.last_error) == ("delivered", 4, None)


@pytest.mark.parametrize("outage", ["http-500", "connection-refused"])
def test_slack_down_keeps_every_alert_pending_and_the_pass_ends_within_max_wait(
    outage: str, news_db: Path, tmp_path: Path, opened: list[Database]
) -> None:
    """With Slack failing all pass long nothing is lost: the pass waits no longer than
    MONITOR_DELIVERY_MAX_WAIT_S and the head is due again after the backoff it stopped at."""
    fake = FakeSlack(expected_token=TOKEN).start()
    if outage == "http-500":
        fake.always_fail(FakeReply(status=500))
    else:
        fake.close()  # the port is free again: connection refused
    settings = slack_settings(tmp_path, copy_db(news_db, tmp_path), fake, delivery_max_wait_s=1.0)
    now = datetime.now(UTC)
    waits: list[float] = []
    delivery, database = open_delivery(
        settings, opened, backoff_s=0.1, sleep=waits.append, clock=lambda: now
    )
    before = pending(database)

    report = delivery.deliver_pending()
    fake.close()

    assert waits == [0.1, 0.2, 0.4]  # 0.7 s; waiting 0.8 s more would pass the 1 s budget
    assert report == DeliveryReport(delivered=0, failed=0, retried=4)
    after = pending(database)
    assert [a.alert_id for a in after] == [a.alert_id for a in before]
    head = after[0]
    assert head.next_attempt_at == now + timedelta(seconds=0.8)
    assert head.last_error and "retry later" in head.last_error
    assert all(a.attempts == 0 and a.next_attempt_at is None for a in after[1:])


def test_a_later_alert_never_overtakes_one_waiting_for_its_retry(
    news_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """A Retry-After beyond the wait budget ends the pass; later passes wait for the head."""
    settings = slack_settings(tmp_path, copy_db(news_db, tmp_path), slack)
    clock_offset = [timedelta(0)]
    delivery, database = open_delivery(
        settings, opened, clock=lambda: datetime.now(UTC) + clock_offset[0]
    )
    expected = [a.alert_id for a in pending(database)]
    slack.fail_next(FakeReply(status=429, headers={"Retry-After": "120"}))

    assert delivery.deliver_pending() == DeliveryReport(retried=1)
    assert delivery.deliver_pending() == DeliveryReport()  # the head is not due yet
    assert slack.messages == []

    clock_offset[0] = timedelta(minutes=3)
    assert delivery.deliver_pending().delivered == len(expected)
    assert alert_ids(slack.messages) == expected


def test_a_rejected_message_fails_alone_and_later_alerts_still_go_out(
    follow_up_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """invalid_blocks fails that alert with the reason; the next alert becomes the thread."""
    settings = slack_settings(tmp_path, copy_db(follow_up_db, tmp_path), slack)
    delivery, database = open_delivery(settings, opened)
    first, second, third = pending(database)
    slack.fail_next(FakeReply(error="invalid_blocks"))

    assert delivery.deliver_pending() == DeliveryReport(delivered=2, failed=1)

    failed = {a.alert_id: a for a in database.alerts()}[first.alert_id]
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.last_error and "invalid_blocks" in failed.last_error
    assert alert_ids(slack.messages) == [second.alert_id, third.alert_id]
    assert slack.messages[1].thread_ts == slack.messages[0].ts


def _cli_env(tmp_path: Path, fake: FakeSlack, token: str) -> dict[str, str]:
    make_rules_dir(tmp_path, {})
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        "SLACK_BOT_TOKEN": token,
        "MONITOR_SLACK_BASE_URL": fake.base_url,
        "MONITOR_SLACK_CHANNEL": MAIN_CHANNEL,
    }


def _cli_alerts(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["alerts", "--json", *args], env=env)
    assert result.exit_code == 0, result.stderr
    alerts: list[dict[str, Any]] = json.loads(result.stdout)
    return [a for a in alerts if not a["seeded"]]


def test_a_wrong_token_fails_alerts_until_fixed_and_requeued(
    follow_up_db: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    """invalid_auth marks alerts failed with the fix and `once` exits 3 counting them;
    --retry-failed and `once` then send them."""
    copy_db(follow_up_db, tmp_path)
    wrong = _cli_env(tmp_path, slack, "xoxb-wrong")

    result = runner.invoke(app, ["once"], env=wrong)
    assert result.exit_code == 3, result.stderr
    assert "alerts: 0 raised, 0 sent, 0 waiting, 3 failed" in result.stderr
    assert "error: 3 alert(s) could not be delivered" in result.stderr
    failed = _cli_alerts(wrong)
    assert {a["delivery_status"] for a in failed} == {"failed"}
    assert all("invalid_auth" in a["delivery_error"] for a in failed)
    assert all("SLACK_BOT_TOKEN" in a["delivery_error"] for a in failed)
    assert slack.messages == []

    fixed = _cli_env(tmp_path, slack, TOKEN)
    result = runner.invoke(app, ["alerts", "--retry-failed"], env=fixed)
    assert result.exit_code == 0, result.stderr
    assert f"re-queued {len(failed)} failed alert(s)" in result.stderr
    assert {a["delivery_status"] for a in _cli_alerts(fixed)} == {"pending"}

    result = runner.invoke(app, ["once"], env=fixed)
    assert result.exit_code == 0, result.stderr
    assert "alerts: 0 raised, 3 sent, 0 waiting, 0 failed" in result.stderr
    delivered = _cli_alerts(fixed)
    assert {a["delivery_status"] for a in delivered} == {"delivered"}
    assert alert_ids(slack.messages) == [a["id"] for a in delivered]


class HeldSlack(FakeSlack):
    """The fake Slack, holding each message after the first `answer_freely` until `released`
    is set: a sender is caught mid-post, whatever the machine's speed."""

    def __init__(self, *, answer_freely: int, **options: Any) -> None:
        super().__init__(**options)
        self.answer_freely = answer_freely
        self.holding = threading.Event()  # a message is being held
        self.released = threading.Event()

    def answer_api(self, method: str, authorization: str | None, body: dict[str, Any]) -> _Answer:
        if len(self.messages) >= self.answer_freely and not self.released.is_set():
            self.holding.set()
            self.released.wait(120)
        return super().answer_api(method, authorization, body)


_DELIVER_SCRIPT = """
from monitor.analysis.engine import load_rule_set
from monitor.config import load_settings
from monitor.notify.delivery import Delivery, notifier_from_settings
from monitor.store import Database

settings = load_settings()
database = Database.open(settings.resolved_database_url)
rule_set = load_rule_set(settings.rules_dir)
Delivery(settings, database, rule_set, notifier_from_settings(settings)).deliver_pending()
"""


@pytest.mark.slow
def test_kill_9_during_delivery_then_a_restart_loses_no_alert(
    news_db: Path, tmp_path: Path
) -> None:
    """SIGKILL mid-post, then `monitor once` after the lease lapses: every alert arrives, and
    only the one in flight at the kill arrives twice."""
    copy_db(news_db, tmp_path)
    with HeldSlack(expected_token=TOKEN, answer_freely=5) as fake:
        # The killed process's delivery lease must lapse before another may deliver.
        env = {**os.environ, **_cli_env(tmp_path, fake, TOKEN), "MONITOR_LEASE_TTL_S": "3"}
        process = subprocess.Popen([sys.executable, "-c", _DELIVER_SCRIPT], env=env, cwd=tmp_path)
        try:
            assert fake.holding.wait(120), "the sixth message never arrived"
        finally:
            process.kill()  # SIGKILL
            process.wait(timeout=60)
            fake.released.set()  # Slack got the sixth message; its sender is dead
        assert process.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 60
        while len(fake.messages) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake.messages) == 6

        time.sleep(3.5)  # at least the 3 s lease; a loaded machine only makes it longer
        restart = subprocess.run(
            [sys.executable, "-m", "monitor", "once"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert restart.returncode == 0, restart.stderr
        ids = alert_ids(fake.messages)

    database = Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}")
    try:
        alerts = database.alerts()
    finally:
        database.close()
    assert set(ids) == {a.alert_id for a in alerts} and len(alerts) == 24
    duplicates = [alert_id for alert_id in set(ids) if ids.count(alert_id) > 1]
    assert duplicates == [ids[5]]  # only the message in flight at the kill, posted again
    assert {a.delivery_status for a in alerts} == {"delivered"}


# --------------------------------------------------------------------------- settings


def test_without_a_notifier_alerts_stay_pending_and_delivery_off_is_logged_once(
    news_db: Path, tmp_path: Path, opened: list[Database], caplog: pytest.LogCaptureFixture
) -> None:
    """No token, no webhook: nothing is sent, and one log record says how to turn it on."""
    settings = _base_settings(tmp_path, f"sqlite:///{copy_db(news_db, tmp_path)}")
    delivery, database = open_delivery(settings, opened)
    assert delivery.notifier is None
    caplog.set_level(logging.INFO, logger="monitor.notify.delivery")

    assert delivery.deliver_pending() == DeliveryReport()
    assert delivery.deliver_pending() == DeliveryReport()

    off = [r for r in caplog.records if getattr(r, "delivery", None) == "off"]
    assert len(off) == 1
    assert off[0].levelno == logging.WARNING
    assert "SLACK_BOT_TOKEN" in off[0].getMessage()
    assert len(pending(database)) == 24


def test_each_delivered_alert_logs_one_canonical_line_without_the_token(
    follow_up_db: Path,
    slack: FakeSlack,
    tmp_path: Path,
    opened: list[Database],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One 'alert delivered' record per alert, with its id, incident, kind and source."""
    settings = slack_settings(tmp_path, copy_db(follow_up_db, tmp_path), slack)
    delivery, _ = open_delivery(settings, opened)
    caplog.set_level(logging.INFO, logger="monitor")

    delivery.deliver_pending()

    lines = [vars(r) for r in caplog.records if r.getMessage() == "alert delivered"]
    assert [line["alert_id"] for line in lines] == alert_ids(slack.messages)
    assert {line["incident_id"] for line in lines} == {PDX}
    assert all(line["kind"] and line["source"] == "Wire" for line in lines)
    assert not any(TOKEN in str(vars(r)) for r in caplog.records)


def test_a_webhook_posts_every_alert_top_level(
    news_db: Path, slack: FakeSlack, tmp_path: Path, opened: list[Database]
) -> None:
    """Without a token a webhook URL delivers; webhooks cannot thread, so no thread is stored."""
    settings = _base_settings(
        tmp_path,
        f"sqlite:///{copy_db(news_db, tmp_path)}",
        slack_webhook_url=slack.webhook_url(),
    )
    delivery, database = open_delivery(settings, opened)

    assert delivery.deliver_pending().delivered == 24

    assert len(slack.webhook_posts) == 24
    assert all(post.text and post.blocks for post in slack.webhook_posts)
    assert database.thread_parent(PDX, "") is None
    assert pending(database) == []


def test_a_token_without_a_channel_is_a_config_error(tmp_path: Path) -> None:
    """SLACK_BOT_TOKEN alone cannot deliver; the error names MONITOR_SLACK_CHANNEL."""
    settings = make_settings(tmp_path, SLACK_BOT_TOKEN=TOKEN)
    with pytest.raises(ConfigError, match="MONITOR_SLACK_CHANNEL"):
        notifier_from_settings(settings)


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("side", "shown"),
    [
        pytest.param({"value": 3000, "qualifier": "about"}, "about 3,000", id="about-count"),
        pytest.param({"value": 2000, "qualifier": "more_than"}, "more than 2,000", id="more-than"),
        pytest.param({"value": "14:19", "qualifier": None}, "14:19", id="clock-time"),
        pytest.param(
            {"value": "14:19", "qualifier": "pm_assumed"}, "14:19 (p.m. assumed)", id="pm-assumed"
        ),
        pytest.param({"value": True}, "yes", id="boolean"),
        pytest.param({"value": "non_life_threatening"}, "non-life-threatening", id="enum-level"),
        pytest.param({"value": "CBP"}, "CBP", id="agency"),
        pytest.param(
            {"value": "self_defense", "stance": "disputes"}, "disputed: self-defense", id="disputed"
        ),
    ],
)
def test_a_claim_value_is_shown_with_its_qualifier(side: dict[str, Any], shown: str) -> None:
    """Values read as a reporter would write them, qualifier first."""
    assert render_value(side) == shown
