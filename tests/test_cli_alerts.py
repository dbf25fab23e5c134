"""`monitor once` counts the alerts it raised, sent, left waiting and failed, and
`monitor alerts --drop-pending` discards a stale backlog only once confirmed: the real
pipeline on SQLite, a loopback feed and the fake Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from monitor.cli import app
from monitor.pipeline.cycle import seed_baseline
from tests.conftest import make_rules_dir
from tests.documents import rss_feed
from tests.fakeslack import FakeReply, FakeSlack, serve_fake_slack
from tests.loopback import LoopbackServer, Route
from tests.test_delivery import (
    FOLLOW_UP,
    MAIN_CHANNEL,
    TOKEN,
    _base_settings,
    copy_db,
    seed_then_follow_up,
)

runner = CliRunner()


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the seeded baseline only: nothing waits to be sent."""
    folder = tmp_path_factory.mktemp("seeded")
    path = folder / "monitor.db"
    seed_baseline(_base_settings(folder, f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="module")
def backlog_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded baseline plus the alerts a Portland follow-up raised, all waiting."""
    folder = tmp_path_factory.mktemp("backlog")
    path = folder / "monitor.db"
    seed_then_follow_up(_base_settings(folder, f"sqlite:///{path}"), folder)
    return path


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


def _follow_up_page() -> bytes:
    """The Portland follow-up as a news page."""
    headline, *paragraphs = FOLLOW_UP.strip().splitlines()
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(headline)}</title>"
        f"</head><body><article><h1>{escape(headline)}</h1>{body}</article></body></html>"
    ).encode()


def _env(tmp_path: Path, slack: FakeSlack, feeds: dict[str, str], **extra: str) -> dict[str, str]:
    make_rules_dir(tmp_path, feeds)
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "1",
        "SLACK_BOT_TOKEN": TOKEN,
        "MONITOR_SLACK_BASE_URL": slack.base_url,
        "MONITOR_SLACK_CHANNEL": MAIN_CHANNEL,
        **extra,
    }


def _feed_with_the_follow_up(loopback: LoopbackServer) -> str:
    """The feed, empty until `_publish_the_follow_up` (a new feed's first poll is baseline)."""
    loopback.route("/articles/0.html", Route(body=_follow_up_page()))
    return loopback.route("/feed.xml", Route(body=rss_feed(loopback.base_url, 0)))


def _publish_the_follow_up(loopback: LoopbackServer, env: dict[str, str]) -> None:
    """Poll the empty feed once (its first poll is the baseline), then publish the follow-up,
    so the next cycle reads it as news."""
    assert runner.invoke(app, ["once"], env=env).exit_code == 0
    loopback.route("/feed.xml", Route(body=rss_feed(loopback.base_url, 1)))


def _alerts(env: dict[str, str]) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["alerts", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    listed: list[dict[str, Any]] = json.loads(result.stdout)
    return [a for a in listed if not a["seeded"]]


def _statuses(env: dict[str, str]) -> list[str]:
    return [a["delivery_status"] for a in _alerts(env)]


# --------------------------------------------------------------------------- once


def test_once_counts_the_alerts_it_raised_and_sent(
    seeded_db: Path, loopback: LoopbackServer, slack: FakeSlack, tmp_path: Path
) -> None:
    """A follow-up in the feed raises alerts; the summary counts them raised and sent."""
    copy_db(seeded_db, tmp_path)
    env = _env(tmp_path, slack, {"wire": _feed_with_the_follow_up(loopback)})
    _publish_the_follow_up(loopback, env)

    result = runner.invoke(app, ["once", "--all"], env=env)  # --all: the feed was just polled

    assert result.exit_code == 0, result.stderr
    raised = len(_alerts(env))
    assert raised > 0
    assert len(slack.messages) == raised
    assert f"alerts: {raised} raised, {raised} sent, 0 waiting, 0 failed" in result.stderr


def test_once_with_slack_down_counts_the_alerts_waiting_and_exits_0(
    seeded_db: Path, loopback: LoopbackServer, slack: FakeSlack, tmp_path: Path
) -> None:
    """A passing Slack failure leaves the alerts waiting: counted, exit 0 (they go later)."""
    copy_db(seeded_db, tmp_path)
    slack.always_fail(FakeReply(status=500))
    env = _env(
        tmp_path,
        slack,
        {"wire": _feed_with_the_follow_up(loopback)},
        MONITOR_DELIVERY_MAX_WAIT_S="0",
    )
    _publish_the_follow_up(loopback, env)

    result = runner.invoke(app, ["once", "--all"], env=env)  # --all: the feed was just polled

    assert result.exit_code == 0, result.stderr
    raised = len(_alerts(env))
    assert raised > 0 and set(_statuses(env)) == {"pending"}
    assert f"alerts: {raised} raised, 0 sent, {raised} waiting, 0 failed" in result.stderr


def test_once_exits_3_when_slack_refuses_an_alert_for_good(
    backlog_db: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    """A channel Slack does not know fails the alerts: exit 3, counted, with what to do."""
    copy_db(backlog_db, tmp_path)
    slack.always_fail(FakeReply(error="channel_not_found"))
    env = _env(tmp_path, slack, {})

    result = runner.invoke(app, ["once"], env=env)

    failed = len(_alerts(env))
    assert result.exit_code == 3, result.stderr
    assert set(_statuses(env)) == {"failed"}
    assert f"alerts: 0 raised, 0 sent, 0 waiting, {failed} failed" in result.stderr
    assert "monitor alerts --retry-failed" in result.stderr.splitlines()[-1]


# --------------------------------------------------------------------------- drop


def _drop(env: dict[str, str], *args: str, answer: str | None = None) -> Result:
    return runner.invoke(app, ["alerts", "--drop-pending", *args], env=env, input=answer)


def test_drop_pending_asks_first_and_a_no_drops_nothing(
    backlog_db: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    """Answering no leaves every alert waiting and exits 1 saying nothing was dropped."""
    copy_db(backlog_db, tmp_path)
    env = _env(tmp_path, slack, {})
    waiting = len(_alerts(env))

    result = _drop(env, answer="n\n")

    assert result.exit_code == 1
    assert f"Drop {waiting} waiting alert(s)" in result.stderr
    assert "nothing dropped" in result.stderr
    assert set(_statuses(env)) == {"pending"}


def test_drop_pending_without_an_answer_drops_nothing(
    backlog_db: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    """No terminal to answer (empty input) counts as no, and the hint names --yes."""
    copy_db(backlog_db, tmp_path)
    env = _env(tmp_path, slack, {})

    result = _drop(env, answer="")

    assert result.exit_code == 1
    assert "--yes" in result.stderr
    assert set(_statuses(env)) == {"pending"}


def test_drop_pending_confirmed_marks_them_dropped_and_they_are_never_sent(
    backlog_db: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    """A yes drops every waiting alert, says how many, lists them dropped; `once` and
    --retry-failed leave them alone."""
    copy_db(backlog_db, tmp_path)
    env = _env(tmp_path, slack, {})
    waiting = len(_alerts(env))

    result = _drop(env, answer="y\n")

    assert result.exit_code == 0, result.stderr
    assert f"dropped {waiting} waiting alert(s)" in result.stderr
    assert _statuses(env) == ["dropped"] * waiting
    # (CliRunner echoes the typed answer to stdout, as a terminal would: skip it.)
    listed = [line for line in result.stdout.splitlines() if line.startswith("#")]
    shown = [line for line in listed if " [seeded] " not in line]
    assert len(shown) == waiting and all(" [dropped] " in line for line in shown)

    assert runner.invoke(app, ["alerts", "--retry-failed"], env=env).exit_code == 0
    once = runner.invoke(app, ["once"], env=env)
    assert once.exit_code == 0, once.stderr
    assert slack.messages == []
    assert _statuses(env) == ["dropped"] * waiting


def test_drop_pending_with_yes_does_not_ask_and_keeps_to_the_incident_given(
    backlog_db: Path, slack: FakeSlack, tmp_path: Path
) -> None:
    """--yes drops at once; --incident limits the drop to that incident's alerts."""
    copy_db(backlog_db, tmp_path)
    env = _env(tmp_path, slack, {})

    other = _drop(env, "--yes", "--incident", "no-such-incident")
    assert other.exit_code == 2, other.stderr  # an unknown incident, as for `claims`
    assert "unknown incident 'no-such-incident'" in other.stderr
    assert set(_statuses(env)) == {"pending"}

    incident = _alerts(env)[0]["incident"]
    result = _drop(env, "--yes", "--incident", incident, "--json")
    assert result.exit_code == 0, result.stderr
    assert "Drop " not in result.stderr  # no question asked
    listed = [a for a in json.loads(result.stdout) if not a["seeded"]]
    assert {a["delivery_status"] for a in listed} == {"dropped"}
    assert {a["delivery_status"] for a in _alerts(env) if a["incident"] == incident} == {"dropped"}
