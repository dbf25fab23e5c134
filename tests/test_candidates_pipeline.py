"""A new shooting followed from its first article: the real pipeline over a loopback feed.

Cycle one: a feed carries a story about a Border Patrol shooting in Charlotte, a city no
incident tracks; it becomes a candidate incident and raises one new_incident alert whose
incident is the candidate. Cycle two, a day later: a follow-up about the same shooting
is matched to the candidate, files its claims in the candidate's ledger and raises no
second new_incident alert. Delivered to a fake Slack, the follow-up's alerts reply in the
new_incident alert's thread; `monitor incidents` and `monitor explain` show the candidate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.analysis.alerts import NEW_INCIDENT
from monitor.analysis.engine import load_rule_set
from monitor.cli import app
from monitor.config import Settings
from monitor.ingest.fetch import Fetcher
from monitor.metrics import Metrics
from monitor.notify.delivery import Delivery, notifier_from_settings
from monitor.pipeline.cycle import Pipeline
from monitor.store import Database
from tests.conftest import make_rules_dir, make_settings
from tests.fakeslack import FakeSlack, serve_fake_slack
from tests.loopback import LoopbackServer, Route

runner = CliRunner()
TOKEN = "xoxb-test-token"
CHANNEL = "#news-alerts"
SHOT_ON = date(2026, 2, 2)  # a Monday
FIRST_AT = datetime(2026, 2, 3, 15, 0, tzinfo=UTC)
LATER_AT = datetime(2026, 2, 4, 18, 0, tzinfo=UTC)

FIRST = (
    "Border Patrol agent shoots a man in Charlotte",
    [
        "A U.S. Border Patrol agent shot and wounded a man in Charlotte, North Carolina, on "
        "Monday during an immigration arrest, the Department of Homeland Security said.",
        "The man was taken to a hospital with a gunshot wound to the shoulder, a spokesperson "
        "for the department said on Tuesday.",
        "Charlotte police said they were not involved in the arrest.",
    ],
)
LATER = (
    "Man shot by Border Patrol in Charlotte is in critical condition",
    [
        "The man a U.S. Border Patrol agent shot in Charlotte, North Carolina, on Monday is in "
        "critical condition, his family said on Wednesday.",
        "The Department of Homeland Security said the agent fired two shots.",
    ],
)
# A later follow-up: the man died. Wounded then killed is the same shooting's news.
DIED = (
    "Man shot by Border Patrol in Charlotte has died",
    [
        "The man a U.S. Border Patrol agent shot in Charlotte, North Carolina, on Monday died "
        "of his wounds on Wednesday, his family said.",
    ],
)


def _page(story: tuple[str, list[str]]) -> bytes:
    title, paragraphs = story
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head>"
        f"<body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    ).encode()


def _feed(base_url: str, dated: dict[str, datetime]) -> bytes:
    items = "".join(
        f"<item><title>{key}</title><link>{escape(base_url)}/{key}.html</link>"
        f"<guid>urn:candidates:{key}</guid><pubDate>{format_datetime(when, usegmt=True)}"
        "</pubDate></item>"
        for key, when in dated.items()
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Wire</title><link>{escape(base_url)}/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


@dataclass(frozen=True, slots=True)
class Followed:
    """The database after both cycles, and the ids of the two articles."""

    settings: Settings
    first_id: int
    later_id: int


def _cycle(settings: Settings, now: datetime) -> None:
    rule_set = load_rule_set(settings.rules_dir)
    database = Database.open(settings.resolved_database_url)
    try:
        with (
            Fetcher(settings) as fetcher,
            Pipeline(settings, database, fetcher, rule_set, clock=lambda: now) as pipeline,
        ):
            report = pipeline.run_cycle(rule_set.rules.feeds, ignore_due=True)
        assert report.feed_errors == [] and report.article_errors == []
    finally:
        database.close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def followed(loopback: LoopbackServer, tmp_path: Path, slack: FakeSlack) -> Followed:
    """Two cycles: the first story alone, then the feed with the follow-up added."""
    loopback.route("/first.html", Route(body=_page(FIRST)))
    loopback.route("/later.html", Route(body=_page(LATER)))
    feed = loopback.route("/feed.xml", Route(body=_feed(loopback.base_url, {"first": FIRST_AT})))
    make_rules_dir(tmp_path, {"wire": feed})
    settings = make_settings(
        tmp_path,
        first_poll_is_baseline=False,
        SLACK_BOT_TOKEN=TOKEN,
        slack_channel=CHANNEL,
        slack_base_url=slack.base_url,
    )
    _cycle(settings, FIRST_AT)
    both = {"first": FIRST_AT, "later": LATER_AT}
    loopback.route("/feed.xml", Route(body=_feed(loopback.base_url, both)))
    _cycle(settings, LATER_AT)
    database = Database.open(settings.resolved_database_url)
    try:
        ids = {
            a.url.rsplit("/", 1)[1].removesuffix(".html"): a.article_id for a in database.articles()
        }
    finally:
        database.close()
    return Followed(settings, ids["first"], ids["later"])


def _open(followed: Followed) -> Database:
    return Database.open(followed.settings.resolved_database_url)


def test_a_shooting_in_an_untracked_city_becomes_one_candidate_with_one_alert(
    followed: Followed,
) -> None:
    """The first story stores one candidate (Charlotte, the Monday it names) and raises one
    new_incident alert whose incident is the candidate; the follow-up adds neither."""
    database = _open(followed)
    try:
        candidates = database.candidates()
        alerts = database.alerts()
    finally:
        database.close()
    assert len(candidates) == 1
    candidate = candidates[0]
    assert candidate.incident_id.startswith("charlotte-") and candidate.date == SHOT_ON
    assert candidate.incident_id.endswith(SHOT_ON.isoformat())
    new = [a for a in alerts if a.kind == NEW_INCIDENT]
    assert [(a.incident_id, a.article_id) for a in new] == [
        (candidate.incident_id, followed.first_id)
    ]


def test_the_follow_up_files_its_claims_in_the_candidates_own_ledger(
    followed: Followed,
) -> None:
    """The follow-up is matched to the candidate: its claims have the candidate as subject
    (none goes to a tracked incident) and its alerts name the candidate."""
    database = _open(followed)
    try:
        (candidate,) = database.candidates()
        claims = [entry.claim for entry in database.article_claims(followed.later_id)]
        incidents = database.incidents_by_article()
        later_alerts = [a for a in database.alerts() if a.article_id == followed.later_id]
    finally:
        database.close()
    own = candidate.incident_id
    assert own in incidents[followed.later_id] and own in incidents[followed.first_id]
    assert claims and {c.subject for c in claims if not c.subject.startswith("city:")} == {own}
    assert later_alerts and {a.incident_id for a in later_alerts} == {own}


def test_the_follow_ups_alerts_reply_in_the_new_incident_alerts_thread(
    followed: Followed, slack: FakeSlack
) -> None:
    """Delivered in order, the new_incident alert is posted top-level and every later alert
    about the candidate replies to it."""
    database = _open(followed)
    try:
        delivery = Delivery(
            followed.settings,
            database,
            load_rule_set(followed.settings.rules_dir),
            notifier_from_settings(followed.settings),
            metrics=Metrics(),
        )
        delivery.deliver_pending()
        (candidate,) = database.candidates()
        parent_ts = database.thread_parent(candidate.incident_id, CHANNEL)
    finally:
        database.close()
    parent, *replies = slack.messages
    assert "Possible new incident" in parent.text and parent.thread_ts is None
    assert parent_ts == parent.ts
    assert replies and all(reply.thread_ts == parent.ts for reply in replies)


def test_incidents_and_explain_show_the_candidate(followed: Followed) -> None:
    """`monitor incidents --json` lists the candidate with both articles; `monitor explain
    --json` of the follow-up shows its event going to the known candidate, and the
    terminal view has the same in its events section."""
    env = {
        "MONITOR_DATA_DIR": str(followed.settings.data_dir),
        "MONITOR_RULES_DIR": str(followed.settings.rules_dir),
    }
    listed = runner.invoke(app, ["incidents", "--json"], env=env)
    assert listed.exit_code == 0, listed.stderr
    (row,) = [r for r in json.loads(listed.stdout) if r["kind"] == "candidate"]
    assert (row["articles"], row["first_article"]) == (2, followed.first_id)

    story = followed.settings.data_dir.parent / "later.txt"
    story.write_text("\n\n".join([LATER[0], *LATER[1]]), "utf-8")
    args = ["explain", str(story), "--published", LATER_AT.isoformat()]
    explained = runner.invoke(app, [*args, "--json"], env=env)
    assert explained.exit_code == 0, explained.stderr
    events = json.loads(explained.stdout)["events"]
    followed_events = [e for e in events if e["incident"] == row["id"]]
    assert followed_events and all(
        (e["incident_kind"], e["new_candidate"]) == ("candidate", False) for e in followed_events
    )
    assert SHOT_ON.isoformat() in {e["arguments"]["date"] for e in followed_events}
    assert json.loads(explained.stdout)["new_candidates"] == []
    shown = runner.invoke(app, args, env={**env, "COLUMNS": "200"})
    assert shown.exit_code == 0, shown.stderr
    assert "events:" in shown.stdout
    assert f"-> {row['id']} (candidate)" in shown.stdout


def test_a_follow_up_saying_the_man_died_stays_with_the_wounding_shooting(
    followed: Followed,
) -> None:
    """A man reported wounded who later dies is the same shooting: `monitor explain` of a
    story saying so, two days on, files every event under the candidate and reports no
    new candidate (a death date is not the shooting's date)."""
    env = {
        "MONITOR_DATA_DIR": str(followed.settings.data_dir),
        "MONITOR_RULES_DIR": str(followed.settings.rules_dir),
    }
    story = followed.settings.data_dir.parent / "died.txt"
    story.write_text("\n\n".join([DIED[0], *DIED[1]]), "utf-8")
    published = datetime(2026, 2, 5, 9, 0, tzinfo=UTC).isoformat()
    explained = runner.invoke(
        app, ["explain", str(story), "--published", published, "--json"], env=env
    )
    assert explained.exit_code == 0, explained.stderr
    found = json.loads(explained.stdout)
    database = _open(followed)
    try:
        (candidate,) = database.candidates()
    finally:
        database.close()
    assert found["new_candidates"] == []
    assert found["events"] and {e["incident"] for e in found["events"]} == {candidate.incident_id}
