"""Candidate incidents: stored once per id, listed beside tracked incidents, promoted into
rule stanzas, and their alerts threaded in Slack under their new_incident alert.

The candidates here are built directly (as the engine would report them), so these tests
hold whatever the engine finds; tests/test_candidates_pipeline.py runs the engine.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.analysis.alerts import NEW_INCIDENT, AlertDraft
from monitor.analysis.engine import load_rule_set
from monitor.analysis.events import CandidateIncident, Outcome, Shooter
from monitor.cli import app
from monitor.metrics import Metrics
from monitor.model import ExtractedPage
from monitor.notify.delivery import Delivery, notifier_from_settings
from monitor.pipeline.analyser import threads_first
from monitor.pipeline.promote import promote
from monitor.store import Database
from tests.conftest import REPO_ROOT, make_settings
from tests.fakeslack import FakeSlack, serve_fake_slack

runner = CliRunner()
NOW = datetime(2026, 2, 4, 9, 30, tzinfo=UTC)
TOKEN = "xoxb-test-token"
CHANNEL = "#news-alerts"

ST_PAUL = CandidateIncident(
    incident_id="st-paul-2026-01-20",
    city="St. Paul, Minnesota",
    date=date(2026, 1, 20),
    title="Federal agent shoots a man in St. Paul",
    shooter=Shooter.FEDERAL,
    outcome=Outcome.WOUNDED,
    agency="ICE",
)
CHARLOTTE = CandidateIncident(
    incident_id="charlotte-2026-02-02",
    city="Charlotte, North Carolina",
    date=date(2026, 2, 2),
    title="Border Patrol agent kills a driver in Charlotte",
    outcome=Outcome.KILLED,
    agency="Border Patrol",
)


def _article(database: Database, n: int, published_at: datetime = NOW) -> int:
    """A stored article (the first report a candidate names)."""
    page = ExtractedPage(
        text=f"Story number {n} about a shooting.",
        title=f"Story {n}",
        author=None,
        published_at=None,
        site_name="Example News",
        canonical_url=None,
    )
    article_id, _ = database.add_article(
        url=f"https://news.example/story-{n}",
        page=page,
        fetched_at=published_at,
        origin="ingest",
        source_label="Wire",
        published_at=published_at,
    )
    return article_id


# --------------------------------------------------------------------------- storage


def test_a_stored_candidate_comes_back_as_the_engine_gave_it(database: Database) -> None:
    """Every field of a candidate survives storage, with its first article and first sight."""
    first = _article(database, 1)

    assert database.add_candidates([ST_PAUL], article_id=first, seen_at=NOW) == 1

    assert database.candidates() == [ST_PAUL]
    stored = database.candidate(ST_PAUL.incident_id)
    assert stored is not None
    assert (stored.candidate, stored.first_article_id, stored.first_seen_at) == (
        ST_PAUL,
        first,
        NOW,
    )
    assert database.candidate("no-such-2026-01-01") is None


def test_the_same_candidate_from_two_articles_is_one_row_named_by_the_first(
    database: Database,
) -> None:
    """A second article reporting the same id (even with another title) adds nothing, and
    the first report's values and article stay."""
    first, second = _article(database, 1), _article(database, 2)
    database.add_candidates([ST_PAUL], article_id=first, seen_at=NOW)
    retold = CandidateIncident(
        ST_PAUL.incident_id, ST_PAUL.city, ST_PAUL.date, "Man shot by agent in St. Paul"
    )

    added = database.add_candidates(
        [retold, CHARLOTTE], article_id=second, seen_at=NOW + timedelta(hours=1)
    )

    assert added == 1
    assert {c.incident_id: c for c in database.candidates()}[ST_PAUL.incident_id] == ST_PAUL
    stored = database.candidate(ST_PAUL.incident_id)
    assert stored is not None and stored.first_article_id == first


def test_candidates_are_chosen_by_the_date_of_their_shooting_newest_first(
    database: Database,
) -> None:
    """`candidates(since=, until=)` keeps those whose date lies in the window, both ends
    included, the newest shooting first."""
    first = _article(database, 1)
    database.add_candidates([ST_PAUL, CHARLOTTE], article_id=first, seen_at=NOW)

    assert database.candidates() == [CHARLOTTE, ST_PAUL]
    assert database.candidates(since=date(2026, 1, 21)) == [CHARLOTTE]
    assert database.candidates(since=date(2026, 1, 20), until=date(2026, 2, 1)) == [ST_PAUL]
    assert database.candidates(until=date(2026, 1, 19)) == []


def test_an_analysis_stores_its_new_candidates_with_its_claims_and_alerts(
    database: Database,
) -> None:
    """`record_analysis` stores the candidates an article first reported in its own
    transaction; analysing the article again (an edit) keeps one row."""
    first = _article(database, 1)
    for _ in range(2):
        added = database.record_analysis(
            first,
            links=[],
            is_new_incident=True,
            matched_at=NOW,
            claims=[],
            alerts=[_new_incident_alert(CHARLOTTE)],
            seeded=False,
            candidates=[CHARLOTTE],
        )
    assert database.candidates() == [CHARLOTTE]
    assert [a.incident_id for a in database.alerts()] == [CHARLOTTE.incident_id]
    assert added == []  # the second analysis: its alert was already stored


# --------------------------------------------------------------------------- listing


def _env(data_dir: Path, rules_dir: Path = REPO_ROOT / "rules") -> dict[str, str]:
    return {"MONITOR_DATA_DIR": str(data_dir), "MONITOR_RULES_DIR": str(rules_dir)}


@pytest.fixture
def with_candidates(tmp_path: Path) -> dict[str, str]:
    """A database (shipped rules) holding two candidates, St. Paul's with two articles."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = Database.open(f"sqlite:///{data_dir / 'monitor.db'}")
    try:
        first, second = _article(database, 1), _article(database, 2)
        database.record_analysis(
            first,
            links=[],
            is_new_incident=True,
            matched_at=NOW,
            claims=[],
            alerts=[],
            seeded=False,
            candidates=[ST_PAUL, CHARLOTTE],
        )
        from monitor.store import IncidentLink

        for article in (first, second):
            database.record_matches(
                article,
                [IncidentLink(ST_PAUL.incident_id, 0.5, "[]")],
                is_new_incident=False,
                matched_at=NOW,
            )
    finally:
        database.close()
    return _env(data_dir)


def _json(env: dict[str, str], *args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_incidents_lists_candidates_beside_the_tracked_ones(
    with_candidates: dict[str, str],
) -> None:
    """`monitor incidents --json` keeps every tracked row's fields, marks each row tracked or
    candidate, and gives candidates their coverage, first article and first sight."""
    rows = {row["id"]: row for row in _json(with_candidates, "incidents")}

    tracked = {i.incident_id for i in load_rule_set(REPO_ROOT / "rules").rules.incidents}
    assert {i for i, row in rows.items() if row["kind"] == "tracked"} == tracked
    assert {i for i, row in rows.items() if row["kind"] == "candidate"} == {
        ST_PAUL.incident_id,
        CHARLOTTE.incident_id,
    }
    st_paul = rows[ST_PAUL.incident_id]
    assert st_paul == {
        "id": "st-paul-2026-01-20",
        "title": "Federal agent shoots a man in St. Paul",
        "city": "St. Paul, Minnesota",
        "date": "2026-01-20",
        "articles": 2,
        "latest_coverage": "2026-02-04T09:30:00Z",
        "kind": "candidate",
        "first_seen": "2026-02-04T09:30:00Z",
        "first_article": 1,
    }
    assert rows[CHARLOTTE.incident_id]["articles"] == 0
    assert all(
        set(row) >= {"id", "title", "city", "date", "articles", "latest_coverage"}
        for row in rows.values()
    )


def test_the_incidents_table_shows_the_kind_of_each_row(
    with_candidates: dict[str, str],
) -> None:
    """The terminal table has a kind column: candidate rows say so, tracked rows too."""
    result = runner.invoke(app, ["incidents"], env={**with_candidates, "COLUMNS": "160"})

    assert result.exit_code == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert lines[ST_PAUL.incident_id].split()[1] == "candidate"
    assert lines["mpls-2026-01-07"].split()[1] == "tracked"


def test_a_candidate_tracked_under_its_own_id_is_listed_once_as_tracked(
    with_candidates: dict[str, str], tmp_path: Path
) -> None:
    """After an editor adds the promoted stanza under the same id, the row is tracked only."""
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for source in (REPO_ROOT / "rules").glob("*.yaml"):
        (rules_dir / source.name).write_text(source.read_text("utf-8"), "utf-8")
    incidents = yaml.safe_load((rules_dir / "incidents.yaml").read_text("utf-8"))
    tracked = {**copy.deepcopy(incidents["incidents"][0]), "incident_id": ST_PAUL.incident_id}
    incidents["incidents"].append(tracked)
    (rules_dir / "incidents.yaml").write_text(yaml.safe_dump(incidents), "utf-8")
    env = {**with_candidates, "MONITOR_RULES_DIR": str(rules_dir)}

    rows = [row for row in _json(env, "incidents") if row["id"] == ST_PAUL.incident_id]

    assert [row["kind"] for row in rows] == ["tracked"]


# --------------------------------------------------------------------------- promote


def test_promote_prints_the_incident_stanza_by_its_arguments(
    with_candidates: dict[str, str],
) -> None:
    """A candidate in a city entities.yaml knows (by an alias) is promoted with that place
    and the agency the text named; no entity stanza is printed."""
    result = runner.invoke(app, ["incidents", "promote", ST_PAUL.incident_id], env=with_candidates)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# rules/incidents.yaml, under `incidents:`\n  - ")
    assert "entities.yaml" not in result.stdout
    assert yaml.safe_load(result.stdout) == [
        {
            "incident_id": "st-paul-2026-01-20",
            "title": "Federal agent shoots a man in St. Paul",
            "date": date(2026, 1, 20),
            "city": "St. Paul, Minnesota",
            "window_days": 180,
            "place": "st-paul",
            "agency": "ice",
            "victims": {"outcome": "wounded"},
        }
    ]


def test_promote_adds_an_entity_for_a_city_no_entity_names(
    with_candidates: dict[str, str],
) -> None:
    """A city unknown to entities.yaml gets a place entity stanza, which the incident's
    `place` names."""
    found = _json(with_candidates, "incidents", "promote", CHARLOTTE.incident_id)

    assert found["entity"] == {
        "entity_id": "charlotte",
        "kind": "place",
        "name": "Charlotte, North Carolina",
        "role": "city",
        "aliases": ["Charlotte"],
    }
    assert found["incident"]["place"] == "charlotte"
    assert found["incident"]["agency"] == "border-patrol"
    assert found["incident"]["victims"] == {"outcome": "killed"}
    # The shipped catch-all place for untracked cities lists Charlotte among its aliases.
    assert found["notes"] == [
        "entities.yaml: elsewhere also has the alias 'Charlotte': remove it there, "
        "or the new place shares its mentions"
    ]
    text = runner.invoke(app, ["incidents", "promote", CHARLOTTE.incident_id], env=with_candidates)
    incident_part, entity_part = text.stdout.split("# rules/entities.yaml, under `entities:`\n")
    assert yaml.safe_load(entity_part) == [found["entity"]]
    assert text.stdout.rstrip().endswith(f"# note: {found['notes'][0]}")
    assert yaml.safe_load(incident_part)[0]["incident_id"] == CHARLOTTE.incident_id


def test_promote_never_takes_a_namesake_city_in_another_state() -> None:
    """Portland, Maine is not the Portland, Oregon entity: it gets its own, with an unused id;
    an unnamed agency is the federal immigration tag."""
    rules = load_rule_set(REPO_ROOT / "rules").rules
    maine = CandidateIncident("portland-2026-03-01", "Portland, Maine", date(2026, 3, 1), "t")

    found = promote(maine, rules)

    assert found.entity is not None
    assert found.entity["name"] == "Portland, Maine"
    assert found.entity["entity_id"] not in {e.entity_id for e in rules.entities}
    assert found.incident["place"] == found.entity["entity_id"]
    assert found.incident["agency"] == "federal-immigration"
    assert "victims" not in found.incident  # the outcome is unknown


@pytest.mark.parametrize(
    ("incident", "says"),
    [
        ("no-such-2026-01-01", "unknown candidate incident 'no-such-2026-01-01'"),
        ("mpls-2026-01-07", "'mpls-2026-01-07' is already tracked in incidents.yaml"),
    ],
)
def test_promoting_an_unknown_or_tracked_id_is_a_one_line_error(
    with_candidates: dict[str, str], incident: str, says: str
) -> None:
    """Exit 2 with one line that says what is wrong and that `monitor incidents` lists them."""
    result = runner.invoke(app, ["incidents", "promote", incident], env=with_candidates)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert says in result.stderr and "`monitor incidents` lists" in result.stderr


# --------------------------------------------------------------------------- threading


def _new_incident_alert(candidate: CandidateIncident) -> AlertDraft:
    return AlertDraft(
        dedup_key=f"{NEW_INCIDENT}|{candidate.incident_id}",
        kind=NEW_INCIDENT,
        subject=candidate.incident_id,
        incident_id=candidate.incident_id,
        slot=None,
        previous=None,
        earlier=(),
        current={"value": candidate.title, "source": "Wire", "url": "https://news.example/1"},
        article_url="https://news.example/1",
        reason=f"possible new incident: {candidate.title}",
    )


def _update_alert(candidate: CandidateIncident, slot: str, value: object) -> AlertDraft:
    return AlertDraft(
        dedup_key=f"update|{candidate.incident_id}|{slot}|{value}",
        kind="update",
        subject=candidate.incident_id,
        incident_id=candidate.incident_id,
        slot=slot,
        previous=None,
        earlier=(),
        current={"value": value, "source": "Wire", "url": "https://news.example/2"},
        article_url="https://news.example/2",
        reason=f"first report of {slot}",
    )


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


def test_later_alerts_about_a_candidate_reply_to_its_new_incident_alert(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """The new_incident alert of a candidate is posted top-level and becomes its thread: the
    first reports stored after it in its own article, and a later article's update, reply
    to it; a new_incident alert that names no incident threads nothing."""
    settings = make_settings(
        tmp_path,
        rules_dir=REPO_ROOT / "rules",
        SLACK_BOT_TOKEN=TOKEN,
        slack_channel=CHANNEL,
        slack_base_url=slack.base_url,
    )
    database = Database.open(settings.resolved_database_url)
    try:
        first, later = _article(database, 1), _article(database, 2)
        stray = dataclasses.replace(
            _new_incident_alert(CHARLOTTE),
            dedup_key="new_incident|a story no event names",
            subject=None,
            incident_id=None,
        )
        first_alerts = [_update_alert(CHARLOTTE, "victim_age", 41), _new_incident_alert(CHARLOTTE)]
        database.record_analysis(
            first,
            links=[],
            is_new_incident=True,
            matched_at=NOW,
            claims=[],
            alerts=[stray, *threads_first(first_alerts)],
            seeded=False,
            candidates=[CHARLOTTE],
        )
        database.record_analysis(
            later,
            links=[],
            is_new_incident=False,
            matched_at=NOW + timedelta(hours=2),
            claims=[],
            alerts=[_update_alert(CHARLOTTE, "victim_condition", "died")],
            seeded=False,
        )
        delivery = Delivery(
            settings,
            database,
            load_rule_set(settings.rules_dir),
            notifier_from_settings(settings),
            metrics=Metrics(),
        )

        report = delivery.deliver_pending()

        assert report.delivered == 4
        stray_post, parent, *replies = slack.messages
        assert stray_post.thread_ts is None and parent.thread_ts is None
        assert "Possible new incident" in parent.text
        assert [reply.thread_ts for reply in replies] == [parent.ts, parent.ts]
        assert {m.channel for m in slack.messages} == {CHANNEL}
        assert database.thread_parent(CHARLOTTE.incident_id, CHANNEL) == parent.ts
    finally:
        database.close()


def test_a_new_candidates_alert_is_stored_before_the_first_reports_about_it() -> None:
    """The analyser orders an article's alerts new_incident first (else unchanged), so the
    new_incident alert is delivered first and becomes the candidate's thread."""
    updates = [_update_alert(CHARLOTTE, "victim_age", 41), _update_alert(ST_PAUL, "a", 1)]
    new = _new_incident_alert(CHARLOTTE)

    assert threads_first([*updates, new]) == [new, *updates]
    assert threads_first(updates) == updates


# --------------------------------------------------------------------------- explain


def test_explain_shows_each_event_where_it_went_and_why_not_elsewhere(tmp_path: Path) -> None:
    """`monitor explain` of a new shooting that recalls a tracked one: `--json` has an event
    for each (the new one a new candidate, the recap the tracked incident) with the
    arguments stated and the incidents ruled out; the terminal's events section says the
    same. No database: nothing is stored."""
    story = tmp_path / "story.txt"
    story.write_text(
        "A Border Patrol agent shot and killed a man in Charlotte, North Carolina, on Monday, "
        "weeks after an ICE officer fatally shot Renee Good in Minneapolis.\n",
        "utf-8",
    )
    env = _env(tmp_path / "data")
    args = ["explain", str(story), "--published", "2026-02-04T12:00:00Z"]

    found = _json(env, *args)
    shown = runner.invoke(app, args, env={**env, "COLUMNS": "200"})

    new = [e for e in found["events"] if e["new_candidate"]]
    assert len(new) == 1 and new[0]["incident_kind"] == "candidate"
    assert new[0]["arguments"]["date"] == "2026-02-02"
    assert new[0]["arguments"]["outcome"] == "killed"
    assert new[0]["text"] in story.read_text("utf-8")
    assert "mpls-2026-01-07" in {r["incident"] for r in new[0]["ruled_out"]}
    assert [c["id"] for c in found["new_candidates"]] == [new[0]["incident"]]
    recap = [e for e in found["events"] if e["incident"] == "mpls-2026-01-07"]
    assert recap and recap[0]["incident_kind"] == "tracked"
    assert shown.exit_code == 0, shown.stderr
    events = shown.stdout[shown.stdout.index("events:") : shown.stdout.index("claims:")]
    assert f"-> {new[0]['incident']} (new candidate)" in events
    assert "-> mpls-2026-01-07 (tracked)" in events
    assert "      not mpls-2026-01-07: " in events
    assert not (tmp_path / "data").exists()


def test_claims_reads_a_candidates_own_ledger(with_candidates: dict[str, str]) -> None:
    """`monitor claims ID` works for a candidate incident too: its ledger is its own, and
    an id that is neither tracked nor stored is still a one-line error naming the ids."""
    from tests.claimkit import claim

    data_dir = Path(with_candidates["MONITOR_DATA_DIR"])
    database = Database.open(f"sqlite:///{data_dir / 'monitor.db'}")
    try:
        article = _article(database, 3)
        age = claim("victim_age", 31, subject=ST_PAUL.incident_id, speaker="")
        database.record_analysis(
            article,
            links=[],
            is_new_incident=False,
            matched_at=NOW,
            claims=[(age, None)],
            alerts=[],
            seeded=False,
        )
    finally:
        database.close()

    ledger = _json(with_candidates, "claims", ST_PAUL.incident_id)
    assert ledger["incident"] == ST_PAUL.incident_id
    assert ledger["state"]["victim_age"]["value"] == 31

    unknown = runner.invoke(app, ["claims", "nowhere-2026-01-01"], env=with_candidates)
    assert unknown.exit_code == 2
    assert "unknown incident 'nowhere-2026-01-01'" in unknown.stderr
