"""The seeded ledger and alerts through the real pipeline: `monitor seed`, `claims`, `alerts`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import REPO_ROOT

runner = CliRunner()
PDX, MPLS_07, MPLS_14 = "pdx-2026-01-08", "mpls-2026-01-07", "mpls-2026-01-14"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One database with the seed baseline loaded, shared by this module's read-only tests."""
    env = {
        "MONITOR_DATA_DIR": str(tmp_path_factory.mktemp("seeded") / "data"),
        "MONITOR_RULES_DIR": str(REPO_ROOT / "rules"),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
    }
    result = runner.invoke(app, ["seed"], env=env)
    assert result.exit_code == 0, result.stderr
    return env


def _json(env: dict[str, str], *args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _values(claims: list[dict[str, Any]], slot: str) -> list[Any]:
    return [c["value"] for c in claims if c["slot"] == slot and c["stance"] == "asserts"]


def _alerts(env: dict[str, str], incident: str, slot: str) -> list[dict[str, Any]]:
    return [a for a in _json(env, "alerts", "--incident", incident) if a["slot"] == slot]


def test_portland_ledger_holds_the_seed_facts(seeded: dict[str, str]) -> None:
    """Portland: two wounded, Border Patrol (CBP), one shot, self-defence per DHS."""
    ledger = _json(seeded, "claims", PDX)
    assert ledger["incident"] == PDX
    assert ledger["state"]["wounded"]["value"] == 2
    assert ledger["state"]["shooter_agency"]["value"] == "CBP"
    assert ledger["state"]["shots_fired"]["value"] == 1
    assert ledger["state"]["justification"]["value"] == "self_defense"
    dhs = [c for c in ledger["claims"] if c["slot"] == "justification" and c["speaker"] == "DHS"]
    assert dhs
    claim = ledger["claims"][0]
    assert set(claim) >= {
        "slot", "value", "source", "speaker", "stance", "sentence", "article_url", "published",
    }  # fmt: skip


def test_portland_condition_moves_from_unknown_to_alive(seeded: dict[str, str]) -> None:
    """Police said the conditions were unknown; 'still alive' later is an update."""
    ledger = _json(seeded, "claims", PDX)
    conditions = _values(ledger["claims"], "victim_condition")
    assert conditions[0] == "unknown"
    assert "alive" in conditions
    assert ledger["state"]["victim_condition"]["value"] == "alive"
    [update] = [a for a in _alerts(seeded, PDX, "victim_condition") if a["kind"] == "update"]
    assert update["current"]["value"] == "alive"


def test_portland_time_is_a_contradiction_between_police_and_dhs(seeded: dict[str, str]) -> None:
    """Police say about 2:15 p.m., Noem's DHS timeline 2:19: a contradiction, both sides cited."""
    [alert] = [a for a in _alerts(seeded, PDX, "time") if a["kind"] == "contradiction"]
    assert alert["previous"]["value"] == "14:15"
    assert alert["current"]["value"] == "14:19"
    assert alert["previous"]["source"] == "seed-001"
    assert alert["current"]["source"] == "seed-004"
    assert alert["current"]["sentence"] and alert["reason"]


def test_minneapolis_killing_ledger_and_updates(seeded: dict[str, str]) -> None:
    """Good killing: one dead, 37, ICE; her name and the officer's name arrive as updates."""
    ledger = _json(seeded, "claims", MPLS_07)
    assert ledger["state"]["killed"]["value"] == 1
    assert ledger["state"]["victim_age"]["value"] == 37
    assert ledger["state"]["shooter_agency"]["value"] == "ICE"
    assert ledger["state"]["victim_name"]["value"] == "Renee Good"
    assert ledger["state"]["shooter_name"]["value"] == "Jonathan Ross"
    for slot, value in (("victim_name", "Renee Good"), ("shooter_name", "Jonathan Ross")):
        updates = [a for a in _alerts(seeded, MPLS_07, slot) if a["kind"] == "update"]
        assert [a["current"]["value"] for a in updates] == [value]


def test_self_defence_claim_is_disputed_by_local_officials(seeded: dict[str, str]) -> None:
    """Federal officials' self-defence account, disputed by local officials: a contradiction."""
    contradictions = [
        a for a in _alerts(seeded, MPLS_07, "justification") if a["kind"] == "contradiction"
    ]
    assert contradictions
    assert contradictions[0]["previous"]["value"] == "self_defense"
    assert contradictions[0]["current"]["stance"] in {"disputes", "denies"}


def test_second_minneapolis_shooting_ledger(seeded: dict[str, str]) -> None:
    """The leg wound: one wounded, not life-threatening, two in custody, FBI, officer hurt."""
    state = _json(seeded, "claims", MPLS_14)["state"]
    assert state["wounded"]["value"] == 1
    assert state["victim_condition"]["value"] == "non_life_threatening"
    assert state["in_custody"]["value"] == 2
    assert state["investigation"]["value"] == "FBI"
    assert state["officer_injured"]["value"] is True
    for slot in ("investigation", "officer_injured"):
        assert [a["kind"] for a in _alerts(seeded, MPLS_14, slot)] == ["update"]


def test_the_killing_ledger_holds_no_claim_about_the_leg_wound(seeded: dict[str, str]) -> None:
    """Recap and look-back clauses do not file the newer shooting's facts under the old one."""
    state = _json(seeded, "claims", MPLS_07)["state"]
    assert state.get("wounded") is None
    assert state.get("victim_condition", {}).get("value") != "non_life_threatening"


def test_deployment_is_a_city_wide_update_from_2000_to_3000(seeded: dict[str, str]) -> None:
    """More than 2,000 officers (seed-001), then about 3,000 (seed-003), for both incidents."""
    for incident in (MPLS_07, MPLS_14):
        deployed = _json(seeded, "claims", incident)["state"]["federal_officers_deployed"]
        assert (deployed["value"], deployed["qualifier"]) == (3000, "about")
    updates = [
        a
        for a in _json(seeded, "alerts")
        if a["slot"] == "federal_officers_deployed" and a["previous"]
    ]
    assert [(u["previous"]["value"], u["current"]["value"]) for u in updates] == [(2000, 3000)]
    assert updates[0]["previous"]["qualifier"] == "more_than"


def test_seed_alerts_are_recorded_as_seeded_and_never_delivered(seeded: dict[str, str]) -> None:
    """Every alert the baseline raises is seeded and undelivered, with the documented fields."""
    alerts = _json(seeded, "alerts")
    assert alerts
    assert all(a["seeded"] and not a["delivered"] for a in alerts)
    assert set(alerts[0]) >= {
        "id", "incident", "kind", "slot", "previous", "current", "article_url", "reason",
        "created_at", "delivered", "seeded",
    }  # fmt: skip


def test_unknown_incident_is_a_clear_error(seeded: dict[str, str]) -> None:
    """`monitor claims nope` exits 2 and lists the known incident ids."""
    result = runner.invoke(app, ["claims", "nope"], env=seeded)
    assert result.exit_code == 2
    assert PDX in result.stderr


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_syndicated_copy_raises_nothing(seeded: dict[str, str], tmp_path: Path) -> None:
    """A wire story stored under two outlets alerts once, for the first copy only."""
    env = {**seeded, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    runner.invoke(app, ["seed"], env=env)
    story = (
        "Portland shooting: victims out of danger\n"
        "Both people wounded by a Border Patrol agent in Portland, Oregon, on Thursday are in "
        "serious condition, the Portland Police Bureau said on Saturday.\n"
    )
    first = _write(tmp_path, "wire.txt", story)
    copy = _write(tmp_path, "copy.txt", story.replace("Saturday", "Saturday afternoon"))
    before = len(_json(env, "alerts"))
    published = ["--published", "2026-01-10T18:00:00Z"]
    runner.invoke(app, ["ingest", first, "--source", "Wire", *published], env=env)
    after_first = len(_json(env, "alerts"))
    runner.invoke(app, ["ingest", copy, "--source", "Reprint", *published], env=env)
    assert after_first > before
    assert len(_json(env, "alerts")) == after_first


def test_an_article_repeating_known_claims_raises_nothing(
    seeded: dict[str, str], tmp_path: Path
) -> None:
    """A recap that only restates the ledger adds claims as corroboration, not alerts."""
    env = {**seeded, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    runner.invoke(app, ["seed"], env=env)
    recap = _write(
        tmp_path,
        "recap.txt",
        "What we know about the Portland shooting\n"
        "A Border Patrol agent shot and wounded two people in Portland, Oregon, on Thursday, "
        "the Department of Homeland Security said.\n",
    )
    before = len(_json(env, "alerts"))
    result = runner.invoke(
        app, ["ingest", recap, "--source", "Recap", "--published", "2026-01-10T09:00:00Z"], env=env
    )
    assert result.exit_code == 0, result.stderr
    assert len(_json(env, "alerts")) == before
    wounded = [c for c in _json(env, "claims", PDX)["claims"] if c["source"] == "Recap"]
    assert wounded
