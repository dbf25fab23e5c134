"""bench/claims_eval.py reads both label formats and scores the real engine on them.

The articles here are our own few sentences about the seeded incidents (never the
evaluation sets' texts): each test writes a small label file, runs the bench's
`main` on it with the real rules, seeds and engine, and reads its report.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import claims_eval
from bench.claims_eval_events import (
    CandidateNames,
    NewIncidentLabel,
    same_city,
    seeded_desk,
)
from monitor.analysis.engine import load_rule_set
from monitor.analysis.events import CandidateIncident
from monitor.analysis.match import MatchResult
from monitor.model import Document

ROOT = Path(__file__).resolve().parent.parent
GOOD = "mpls-2026-01-07"
STATE_PROBE = (
    "State investigators said Friday that the Minnesota Bureau of Criminal Apprehension "
    "is investigating the killing of Renee Good by ICE officer Jonathan Ross."
)
FAMILY_AGE = (
    "Renee Good, 38, was killed by ICE officer Jonathan Ross on Jan. 7 in Minneapolis, "
    "her family said."
)
PASTOR_AGE = (
    "Renee Good, 39, was killed by ICE officer Jonathan Ross on Jan. 7 in Minneapolis, "
    "her pastor said."
)
BCA_UPDATE = ["update", GOOD, "investigation", "BCA"]
HAS_CANDIDATES = "new_candidates" in MatchResult.__dataclass_fields__


def article(article_id: str, text: str, **labels: Any) -> dict[str, Any]:
    """One labelled article of an event set; labels default to none."""
    return {
        "id": article_id,
        "source": "Test Ledger",
        "published_at": labels.pop("published_at", "2026-01-17T12:00:00Z"),
        "incidents": labels.pop("incidents", [GOOD]),
        "new_incidents": labels.pop("new_incidents", []),
        "text": text,
        "claims": labels.pop("claims", []),
        "alerts": labels.pop("alerts", []),
        "why": "written for the bench's tests",
    }


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Write the label file, run the bench on it, return its JSON line and its lines."""
    path = tmp_path / "labels.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert claims_eval.main(["--set", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    return json.loads(lines[-1]), lines


def test_an_event_set_scores_the_alerts_and_claims_the_engine_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first report of an investigation, labelled as the editor expects, scores 1.0."""
    labels = {"claims": [[GOOD, "investigation", "BCA"]], "alerts": [BCA_UPDATE]}
    data = {"mode": "independent", "articles": [article("t01", STATE_PROBE, **labels)]}
    summary, lines = run(tmp_path, capsys, data)
    assert summary["alert_precision"] == summary["alert_recall"] == 1.0
    assert (summary["update_precision"], summary["update_recall"]) == (1.0, 1.0)
    assert summary["update_expected"] == summary["update_raised"] == 1
    assert summary["claim_recall"] == 1.0
    assert summary["incident_exact"] == 1.0
    assert summary["articles"] == 1
    assert not [line for line in lines if "missed" in line or "false" in line]


def test_a_wrong_alert_label_is_listed_as_a_miss_and_a_false_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An alert the engine does not raise is a miss; the one it raises instead is false."""
    alerts = [["update", GOOD, "investigation", "FBI"]]
    data = {"mode": "independent", "articles": [article("t01", STATE_PROBE, alerts=alerts)]}
    summary, lines = run(tmp_path, capsys, data)
    assert (summary["alert_precision"], summary["alert_recall"]) == (0.0, 0.0)
    assert f"  t01: missed alert ('update', '{GOOD}', 'investigation', 'fbi')" in lines
    assert f"  t01: false alert ('update', '{GOOD}', 'investigation', 'bca')" in lines


def test_contradictions_are_scored_apart_from_updates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A different age from the family is a contradiction, counted under its own kind."""
    alerts = [["contradiction", GOOD, "victim_age", 38]]
    data = {"mode": "independent", "articles": [article("t01", FAMILY_AGE, alerts=alerts)]}
    summary, _ = run(tmp_path, capsys, data)
    assert summary["contradiction_expected"] == summary["contradiction_raised"] == 1
    assert summary["contradiction_precision"] == summary["contradiction_recall"] == 1.0
    assert summary["update_expected"] == summary["update_raised"] == 0


def test_independent_articles_each_raise_the_same_first_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Judged alone against the seeds, two articles with the same news both alert."""
    texts = [article(f"t0{n}", STATE_PROBE, alerts=[BCA_UPDATE]) for n in (1, 2)]
    summary, _ = run(tmp_path, capsys, {"mode": "independent", "articles": texts})
    assert summary["alerts_raised"] == 2
    assert summary["alert_precision"] == summary["alert_recall"] == 1.0


def test_in_sequence_a_repeated_first_report_alerts_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a sequence the second article's news is already known: labelling it is a miss."""
    texts = [article(f"t0{n}", STATE_PROBE, alerts=[BCA_UPDATE]) for n in (1, 2)]
    summary, lines = run(tmp_path, capsys, {"mode": "sequence", "articles": texts})
    assert summary["alerts_raised"] == 1
    assert summary["alert_recall"] == 0.5
    assert f"  t02: missed alert ('update', '{GOOD}', 'investigation', 'bca')" in lines
    assert "mode: sequence" in lines


def test_in_sequence_each_article_is_compared_with_the_ones_before_it() -> None:
    """The ledger grows: a third age contradicts the second article's, not the seeds'."""
    desk = seeded_desk(load_rule_set(ROOT / "rules"), ROOT / "seeds")
    baseline = desk.copy()
    published = datetime(2026, 1, 17, 12, tzinfo=UTC)
    first = Document("eval://t01", "", FAMILY_AGE, "Test Ledger", published)
    second = Document("eval://t02", "", PASTOR_AGE, "Test Ledger", published)
    desk.record(*desk.analyse(first)[:2])
    _, _, alone = baseline.analyse(second)
    _, _, after = desk.analyse(second)
    assert [d.previous["value"] for d in alone if d.previous] == [37]
    assert [d.previous["value"] for d in after if d.previous] == [38]


def test_the_tracked_incidents_must_be_the_exact_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An article labelled with two incidents that matches one scores 0 on the exact set."""
    both = [GOOD, "pdx-2026-01-08"]
    data = {"mode": "independent", "articles": [article("t01", STATE_PROBE, incidents=both)]}
    summary, lines = run(tmp_path, capsys, data)
    assert summary["incident_exact"] == 0.0
    expected = f"  t01: incidents ['{GOOD}'] matched, ['{GOOD}', 'pdx-2026-01-08'] expected"
    assert expected in lines


def test_the_single_incident_sets_keep_their_format_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An old-format file (one incident, [slot, value] labels) is read as before."""
    data = {
        "articles": [
            {
                "id": "o01",
                "source": "Test Ledger",
                "incident": GOOD,
                "text": STATE_PROBE,
                "claims": [["investigation", "BCA"]],
                "alerts": [["update", "investigation", "BCA"]],
            }
        ]
    }
    summary, lines = run(tmp_path, capsys, data)
    old_keys = ["attribution", "alert_precision", "alert_recall", "alerts_expected"]
    old_keys += ["alerts_raised", "claim_precision", "claim_recall", "articles", "eval_set"]
    assert list(summary)[: len(old_keys)] == old_keys
    assert summary["alert_precision"] == summary["alert_recall"] == 1.0
    assert summary["claim_recall"] == 1.0
    assert summary["incident_exact"] == 1.0
    assert lines[0] == "attribution: match"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mode": "parallel"}, "write `mode: independent` or `mode: sequence`"),
        (
            {"articles": [article("t01", STATE_PROBE, alerts=[["update", GOOD]])]},
            "[new_incident, id]",
        ),
        (
            {"articles": [{"id": "t01", "text": "x"}]},
            "add the missing field(s) source, published_at",
        ),
        (
            {"articles": [article("t01", "x", published_at="soon")]},
            "published_at must be an ISO time",
        ),
    ],
)
def test_a_malformed_event_set_is_refused_with_what_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], message: str
) -> None:
    """A label file that breaks the format exits 2 with one line naming the fix."""
    data: dict[str, Any] = {"mode": "independent", "articles": [article("t01", STATE_PROBE)]}
    data.update(change)
    path = tmp_path / "labels.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert claims_eval.main(["--set", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error
    assert len(error.splitlines()) == 1


def test_a_city_named_with_its_state_is_the_same_city() -> None:
    """ "Vancouver" and "Vancouver WA", "Saint Paul" and "St. Paul, Minn." are one city."""
    assert same_city("Vancouver WA", "Vancouver, Washington")
    assert same_city("Saint Paul", "St. Paul, Minn.")
    assert not same_city("St. Paul", "St. Louis")
    assert not same_city("", "Chicago")


def test_an_engine_candidate_is_scored_under_the_labelled_id() -> None:
    """A candidate on the labelled date in the labelled city takes the label's id."""
    labels = (NewIncidentLabel("mpls-2026-01-24", "Minneapolis", date(2026, 1, 24)),)
    names = CandidateNames(labels)
    same = CandidateIncident("minneapolis-2026-01-24", "Minneapolis", date(2026, 1, 24), "t")
    other_day = CandidateIncident("minneapolis-2026-01-25", "Minneapolis", date(2026, 1, 25), "t")
    names.learn([same, other_day])
    assert names.name("minneapolis-2026-01-24") == "mpls-2026-01-24"
    assert names.name("minneapolis-2026-01-25") == "minneapolis-2026-01-25"
    assert names.name(GOOD) == GOOD


@pytest.mark.skipif(not HAS_CANDIDATES, reason="the engine does not report candidates yet")
def test_in_sequence_a_new_shooting_is_a_candidate_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first report of a shooting elsewhere is a new candidate; a follow-up is not."""
    chicago = {"id": "chi-2026-01-15", "city": "Chicago", "date": "2026-01-15"}
    first = article(
        "t01",
        "CHICAGO — A Border Patrol agent shot and wounded a man in Chicago on Thursday, "
        "federal officials said.",
        incidents=[],
        new_incidents=[chicago],
        alerts=[["new_incident", "chi-2026-01-15"]],
        published_at="2026-01-16T12:00:00Z",
    )
    follow_up = article(
        "t02",
        "CHICAGO — The man a Border Patrol agent shot and wounded in Chicago on Jan. 15 "
        "remained hospitalized Saturday, federal officials said.",
        incidents=[],
        published_at="2026-01-17T12:00:00Z",
    )
    summary, lines = run(tmp_path, capsys, {"mode": "sequence", "articles": [first, follow_up]})
    assert (summary["candidate_precision"], summary["candidate_recall"]) == (1.0, 1.0), lines
    assert summary["new_incident_precision"] == summary["new_incident_recall"] == 1.0
