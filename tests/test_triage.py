"""Triage from Slack as an editor uses it: alerts from the real pipeline posted with their
buttons to the fake Slack, clicks arriving over Socket Mode (a loopback WebSocket speaking
Slack's envelopes) and over the signed HTTP endpoint, stored once, acknowledged in the
thread, shown by `monitor alerts`, counted in /metrics, muting a slot, and exported as
an evaluation case the bench reads."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
import yaml
from typer.testing import CliRunner, Result

from bench.claims_eval_events import is_event_set, parse_event_set
from monitor.analysis.alerts import AlertDraft
from monitor.cli import app
from monitor.config import Settings
from monitor.metrics import Metrics
from monitor.model import Verdict
from monitor.notify.delivery import Delivery
from monitor.notify.desk import has_triage_buttons
from monitor.notify.slack import WebhookNotifier
from monitor.notify.triage import ACTION_IDS, sign
from monitor.service.health import HealthServer
from monitor.service.interactivity import ACTIONS_PATH, Interactivity, interactivity_from_settings
from monitor.store import AlertRecord, Database, DeliveryStatus
from monitor.store.alerts import insert_alert
from tests.fakeslack import FakeSlack, PostedMessage, serve_fake_slack
from tests.test_delivery import (
    TOKEN,
    _base_settings,
    copy_db,
    open_delivery,
    seed_then_follow_up,
    slack_settings,
)

runner = CliRunner()
APP_TOKEN = "xapp-test-token"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLIC_URL = "https://desk.example.org"
CHANNEL_ID = "C0NEWS"
WAIT_S = 30.0  # generous for a loaded machine; every wait ends as soon as it holds
T = TypeVar("T")


def wait_until(found: Callable[[], T | None], what: str) -> T:
    """The first truthy value of `found()`, polled until WAIT_S; fails naming `what`."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(scope="module")
def follow_up_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded baseline plus the three Portland alerts a follow-up raised, all waiting."""
    folder = tmp_path_factory.mktemp("triage")
    path = folder / "monitor.db"
    seed_then_follow_up(_base_settings(folder, f"sqlite:///{path}"), folder)
    return path


@dataclasses.dataclass
class Desk:
    """A delivered outbox and the receivers of its buttons, as the daemon wires them."""

    settings: Settings
    database: Database
    delivery: Delivery
    slack: FakeSlack
    triage: Interactivity
    health: HealthServer
    now_s: list[float]  # the endpoint's clock

    def posted_alerts(self) -> list[PostedMessage]:
        return [m for m in self.slack.messages if _actions(m) is not None]

    def alert(self, alert_id: int) -> AlertRecord:
        return next(a for a in self.database.alerts() if a.alert_id == alert_id)


def _actions(message: PostedMessage) -> dict[str, Any] | None:
    return next((b for b in message.blocks if b["type"] == "actions"), None)


def _button_value(message: PostedMessage) -> str | None:
    block = _actions(message)
    return str(block["elements"][0]["value"]) if block else None


@pytest.fixture
def desk(
    tmp_path: Path, follow_up_db: Path, slack: FakeSlack, opened: list[Database]
) -> Iterator[Desk]:
    """The follow-up's alerts delivered with buttons; Socket Mode and /slack/actions ready."""
    settings = slack_settings(
        tmp_path,
        copy_db(follow_up_db, tmp_path),
        slack,
        SLACK_APP_TOKEN=APP_TOKEN,
        slack_signing_secret=SECRET,
        public_url=PUBLIC_URL,
    )
    delivery, database = open_delivery(settings, opened)
    assert delivery.deliver_pending().delivered == 3
    slack.socket_mode()
    now_s = [time.time()]
    triage = interactivity_from_settings(settings, database, delivery.notifier, lambda: now_s[0])
    metrics = Metrics()
    metrics.count_feedback_with(database.feedback_counts)
    health = HealthServer(
        "127.0.0.1",
        0,
        check_database=database.ping,
        scheduler_alive=lambda: True,
        last_success_at=lambda: None,
        stale_after_s=900.0,
        registry=metrics.registry,
        clock=lambda: datetime.now(UTC),
        routes=triage.routes,
    )
    triage.start()
    with health:
        yield Desk(settings, database, delivery, slack, triage, health, now_s)
    triage.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The fake Slack: Web API, webhooks and Socket Mode."""
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def opened() -> Iterator[list[Database]]:
    """Databases a test opens, closed at teardown."""
    databases: list[Database] = []
    yield databases
    for database in databases:
        database.close()


def click(message: PostedMessage, verdict: Verdict, user: str = "U0ANN") -> dict[str, Any]:
    """Slack's block_actions payload for a press of `verdict`'s button on `message`."""
    block = _actions(message)
    assert block is not None, "the message has no buttons"
    button = next(e for e in block["elements"] if e["action_id"] == ACTION_IDS[verdict])
    container = {"type": "message", "message_ts": message.ts, "channel_id": CHANNEL_ID}
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": "ann", "team_id": "T0"},
        "api_app_id": "A0FAKE",
        "container": {**container, "thread_ts": message.thread_ts, "is_ephemeral": False},
        "channel": {"id": CHANNEL_ID, "name": "news-alerts"},
        "message": {"ts": message.ts, "thread_ts": message.thread_ts, "text": message.text},
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": block["block_id"],
                "value": button["value"],
                "type": "button",
                "action_ts": "1767225700.000001",
            }
        ],
    }


def acknowledgements(slack: FakeSlack, alert_id: int) -> list[PostedMessage]:
    return [m for m in slack.messages if f"alert {alert_id}" in m.text and m.thread_ts]


# --------------------------------------------------------------------------- messages


def test_each_delivered_alert_carries_the_four_buttons_and_its_incident_page(
    desk: Desk,
) -> None:
    """Useful, Wrong, Wrong incident and Mute carry the alert id; the page link is there."""
    posted = desk.posted_alerts()
    assert len(posted) == 3
    for message in posted:
        block = _actions(message)
        assert block is not None
        assert [e["action_id"] for e in block["elements"]] == list(ACTION_IDS.values())
        alert_id = _button_value(message)
        assert {e["value"] for e in block["elements"]} == {alert_id}
        links = " ".join(b["text"]["text"] for b in message.blocks if b["type"] == "section"
                         and "text" in b)  # fmt: skip
        assert f"<{PUBLIC_URL}/incidents/pdx-2026-01-08|pdx-2026-01-08>" in links


def test_without_a_receiver_or_through_a_webhook_alerts_carry_no_buttons(
    tmp_path: Path, follow_up_db: Path, slack: FakeSlack, opened: list[Database]
) -> None:
    """A button nobody receives would only show the editor an error, so none is sent; a
    webhook cannot acknowledge a click in a thread, so it never gets buttons either."""
    plain = slack_settings(tmp_path, copy_db(follow_up_db, tmp_path), slack)
    delivery, _ = open_delivery(plain, opened)
    assert delivery.deliver_pending().delivered == 3
    assert slack.messages and all(_actions(m) is None for m in slack.messages)
    with_app = slack_settings(tmp_path, "sqlite://", slack, SLACK_APP_TOKEN=APP_TOKEN)
    assert not has_triage_buttons(with_app, WebhookNotifier(slack.webhook_url()))
    assert has_triage_buttons(with_app, delivery.notifier)


# --------------------------------------------------------------------------- Socket Mode


def test_a_click_over_socket_mode_is_acked_stored_and_acknowledged_in_its_thread(
    desk: Desk,
) -> None:
    """The envelope is acked with its id, the verdict stored, and the thread told who said
    what, with the alert's article text escaped."""
    message = desk.posted_alerts()[1]
    alert_id = int(_button_value(message) or 0)
    socket = desk.slack.socket_mode()
    envelope = socket.send_interactive(click(message, Verdict.WRONG))
    assert socket.wait_for_ack(envelope) == {"envelope_id": envelope}
    reply = wait_until(lambda: acknowledgements(desk.slack, alert_id), "the thread reply")[0]
    assert reply.thread_ts == (message.thread_ts or message.ts)
    assert reply.channel == CHANNEL_ID
    assert reply.text.startswith(f":memo: <@U0ANN> marked alert {alert_id} wrong:")
    feedback = desk.database.feedback_for([alert_id])[alert_id]
    assert [(f.verdict, f.user_id, f.user_name) for f in feedback] == [("wrong", "U0ANN", "ann")]


def test_a_retried_click_is_stored_once_and_acknowledged_once(desk: Desk) -> None:
    """Slack's retry carries the same payload: acked again, stored and replied to once."""
    message = desk.posted_alerts()[0]
    alert_id = int(_button_value(message) or 0)
    socket = desk.slack.socket_mode()
    payload = click(message, Verdict.USEFUL)
    first = socket.send_interactive(payload)
    socket.wait_for_ack(first)
    wait_until(lambda: acknowledgements(desk.slack, alert_id), "the first thread reply")
    retry = socket.send_interactive(payload, retry_attempt=1)
    socket.wait_for_ack(retry)
    other_user = socket.send_interactive(click(message, Verdict.USEFUL, user="U0BOB"))
    socket.wait_for_ack(other_user)
    wait_until(lambda: len(acknowledgements(desk.slack, alert_id)) == 2, "the second user's reply")
    assert [f.user_id for f in desk.database.feedback_for([alert_id])[alert_id]] == [
        "U0ANN",
        "U0BOB",
    ]
    assert desk.database.feedback_counts()["useful"] == 2


# --------------------------------------------------------------------------- HTTP


def _post_signed(desk: Desk, body: bytes, *, timestamp: int, signature: str | None = None) -> int:
    port = desk.health.port
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{ACTIONS_PATH}",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or sign(SECRET, str(timestamp), body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_signed_endpoint_takes_good_signatures_and_refuses_bad_and_replayed_ones(
    desk: Desk,
) -> None:
    """A good signature stores the click; a wrong secret, a changed body and a request
    older than five minutes are refused with 401 and store nothing."""
    message = desk.posted_alerts()[2]
    alert_id = int(_button_value(message) or 0)
    body = urlencode({"payload": json.dumps(click(message, Verdict.WRONG_INCIDENT))}).encode()
    now = int(desk.now_s[0])
    forged = sign("not-the-secret", str(now), body)
    assert _post_signed(desk, body, timestamp=now, signature=forged) == 401
    tampered = body.replace(b"wrong_incident", b"useful")
    assert (
        _post_signed(desk, tampered, timestamp=now, signature=sign(SECRET, str(now), body)) == 401
    )
    replayed = now - 6 * 60
    assert _post_signed(desk, body, timestamp=replayed) == 401
    assert desk.database.feedback_for([alert_id]) == {}
    assert _post_signed(desk, body, timestamp=now) == 200
    assert _post_signed(desk, body, timestamp=now) == 200  # Slack's retry: stored once
    stored = desk.database.feedback_for([alert_id])[alert_id]
    assert [f.verdict for f in stored] == ["wrong_incident"]
    wait_until(lambda: acknowledgements(desk.slack, alert_id), "the thread reply")
    assert len(acknowledgements(desk.slack, alert_id)) == 1


def test_a_request_that_is_not_a_click_is_refused_in_one_line(desk: Desk) -> None:
    """A signed body without a payload is a 400 that says what is missing."""
    now = int(desk.now_s[0])
    assert _post_signed(desk, b"text=hello", timestamp=now) == 400


# --------------------------------------------------------------------------- mutes


def _raise_again(desk: Desk, like: AlertRecord, value: int) -> None:
    """A later alert on the same incident and slot, stored in the outbox as analysis does."""
    draft = AlertDraft(
        dedup_key=f"{like.dedup_key}:again:{value}",
        kind=like.kind,
        subject=like.subject,
        incident_id=like.incident_id,
        slot=like.slot,
        previous=like.previous,
        earlier=tuple(like.earlier),
        current={**like.current, "value": value},
        article_url=like.article_url,
        reason=like.reason,
    )
    with desk.database.session() as session:
        insert_alert(session, draft, like.article_id, datetime.now(UTC), seeded=False)
        session.commit()


def _cli(desk: Desk, *args: str) -> Result:
    env = {
        "MONITOR_DATABASE_URL": desk.settings.resolved_database_url,
        "MONITOR_RULES_DIR": str(desk.settings.rules_dir),
    }
    return runner.invoke(app, list(args), env=env)


def test_a_mute_stops_the_next_alerts_of_that_slot_until_unmuted(desk: Desk) -> None:
    """After Mute, a new alert on that (incident, slot) is stored as muted, not posted;
    `monitor mutes` lists the mute and `monitor mutes remove` lets the next one out."""
    message = desk.posted_alerts()[1]
    alert = desk.alert(int(_button_value(message) or 0))
    socket = desk.slack.socket_mode()
    socket.wait_for_ack(socket.send_interactive(click(message, Verdict.MUTE)))
    reply = wait_until(lambda: acknowledgements(desk.slack, alert.alert_id), "the mute reply")[0]
    assert f"muted `{alert.slot}` for `{alert.incident_id}`" in reply.text
    listed = json.loads(_cli(desk, "mutes", "--json").stdout)
    assert [(m["incident"], m["slot"], m["user"]) for m in listed] == [
        (alert.incident_id, alert.slot, "U0ANN")
    ]
    before = len(desk.slack.messages)
    _raise_again(desk, alert, 4)
    assert desk.delivery.deliver_pending().delivered == 0
    assert len(desk.slack.messages) == before
    assert desk.database.alerts()[-1].delivery_status == DeliveryStatus.MUTED
    assert _cli(desk, "mutes", "remove", str(alert.incident_id), str(alert.slot)).exit_code == 0
    assert _cli(desk, "mutes", "remove", str(alert.incident_id), str(alert.slot)).exit_code == 1
    _raise_again(desk, alert, 5)
    assert desk.delivery.deliver_pending().delivered == 1
    assert desk.database.alerts()[-2].delivery_status == DeliveryStatus.MUTED  # stays muted


# --------------------------------------------------------------------------- outputs


def test_monitor_alerts_shows_the_desks_verdicts(desk: Desk) -> None:
    """`--json` carries each alert's verdicts as `feedback`; the table names them."""
    message = desk.posted_alerts()[0]
    alert_id = int(_button_value(message) or 0)
    socket = desk.slack.socket_mode()
    socket.wait_for_ack(socket.send_interactive(click(message, Verdict.WRONG)))
    result = _cli(desk, "alerts", "--json")
    assert result.exit_code == 0, result.output
    shown = {a["id"]: a["feedback"] for a in json.loads(result.stdout) if not a["seeded"]}
    assert [(f["verdict"], f["user"], f["user_name"]) for f in shown[alert_id]] == [
        ("wrong", "U0ANN", "ann")
    ]
    assert all(shown[other] == [] for other in shown if other != alert_id)
    table = _cli(desk, "alerts").stdout
    assert f"#{alert_id} " in table and "(desk: wrong by ann)" in table


def _metrics(desk: Desk) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{desk.health.port}/metrics") as answer:
        text = answer.read().decode()
    prefix = 'monitor_alert_feedback_total{verdict="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_metrics_count_the_alerts_by_verdict(desk: Desk) -> None:
    """/metrics exports monitor_alert_feedback_total by verdict, from the stored clicks."""
    assert _metrics(desk) == {"useful": 0, "wrong": 0, "wrong_incident": 0, "mute": 0}
    posted = desk.posted_alerts()
    socket = desk.slack.socket_mode()
    for message, verdict in ((posted[0], Verdict.WRONG), (posted[1], Verdict.WRONG),
                             (posted[2], Verdict.USEFUL)):  # fmt: skip
        socket.wait_for_ack(socket.send_interactive(click(message, verdict)))
    assert _metrics(desk) == {"useful": 1, "wrong": 2, "wrong_incident": 0, "mute": 0}


def test_feedback_export_turns_a_wrong_alert_into_a_case_the_bench_reads(
    desk: Desk, tmp_path: Path
) -> None:
    """The export is an event set the bench's own loader reads: the article's text, the
    marked alert left out of the expected alerts, its sentence and verdict kept."""
    message = desk.posted_alerts()[0]
    alert = desk.alert(int(_button_value(message) or 0))
    assert "no alerts are marked wrong" in _cli(desk, "feedback", "export").stderr
    socket = desk.slack.socket_mode()
    socket.wait_for_ack(socket.send_interactive(click(message, Verdict.WRONG)))
    target = tmp_path / "desk_cases.yaml"
    result = _cli(desk, "feedback", "export", "--output", str(target))
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(target.read_text("utf-8"))
    assert is_event_set(data)
    event_set = parse_event_set(data, target.name)
    (case,) = event_set.articles
    document = desk.database.document(alert.article_id)
    assert case.text == document.text and case.published_at == document.published_at
    assert case.incidents == frozenset({"pdx-2026-01-08"})
    marked = (alert.kind, alert.subject, alert.slot, str(alert.current["value"]).casefold())
    assert marked not in case.alerts
    assert len(case.alerts) == 2  # the two alerts nobody marked
    (verdict,) = data["articles"][0]["verdicts"]
    assert verdict["alert"] == alert.alert_id and verdict["verdict"] == ["wrong"]
    assert verdict["sentence"] == alert.current["sentence"]
