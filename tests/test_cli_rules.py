"""`monitor seed`, `rules check`, `explain`, `incidents` and `replay` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import REPO_ROOT

runner = CliRunner()
PDX, MPLS_07, MPLS_14 = "pdx-2026-01-08", "mpls-2026-01-07", "mpls-2026-01-14"


def _env(tmp_path: Path, rules_dir: Path | None = None) -> dict[str, str]:
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(rules_dir or REPO_ROOT / "rules"),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
    }


def _json(env: dict[str, str], *args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_seed_files_each_article_under_its_incidents(tmp_path: Path) -> None:
    """`monitor seed` matches every seed article to its incidents, main incident first."""
    env = _env(tmp_path)
    assert runner.invoke(app, ["seed"], env=env).exit_code == 0
    by_source = {a["source"]: a["incidents"] for a in _json(env, "articles")}
    assert by_source["seed-000"] == [PDX, MPLS_07]
    assert by_source["seed-001"] == [PDX, MPLS_07]
    assert set(by_source["seed-004"]) == {PDX, MPLS_07}
    assert by_source["seed-002"] == [MPLS_14, MPLS_07]
    assert by_source["seed-003"] == [MPLS_14, MPLS_07]


def test_seed_twice_adds_nothing(tmp_path: Path) -> None:
    """Running `monitor seed` again stores no new article."""
    env = _env(tmp_path)
    runner.invoke(app, ["seed"], env=env)
    second = runner.invoke(app, ["seed"], env=env)
    assert second.exit_code == 0
    assert second.stderr.count("already stored") == 5
    assert len(_json(env, "articles")) == 5


def test_incidents_counts_coverage_after_seeding(tmp_path: Path) -> None:
    """`monitor incidents --json` lists the three incidents with their article counts."""
    env = _env(tmp_path)
    runner.invoke(app, ["seed"], env=env)
    rows = {row["id"]: row for row in _json(env, "incidents")}
    assert set(rows) == {PDX, MPLS_07, MPLS_14}
    assert (rows[MPLS_07]["articles"], rows[PDX]["articles"], rows[MPLS_14]["articles"]) == (
        5,
        3,
        2,
    )
    assert rows[MPLS_14]["latest_coverage"] == "2026-01-15T14:00:00Z"
    assert rows[PDX]["city"] and rows[PDX]["date"] == "2026-01-08"


def test_explain_attributes_the_recap_sentence_and_writes_nothing(tmp_path: Path) -> None:
    """`monitor explain --json` shows the look-back to 2026-01-07 and stores nothing."""
    env = _env(tmp_path)
    story = tmp_path / "followup.txt"
    story.write_text(
        "Second Minneapolis shooting fuels protests\n"
        "A federal immigration officer shot a man in the leg on Wednesday night in "
        "north Minneapolis, the Department of Homeland Security said.\n"
        "The shooting came one week after an ICE officer killed Renee Good, a 37-year-old "
        "mother, as she sat in her car.\n",
        encoding="utf-8",
    )
    explained = _json(env, "explain", str(story), "--published", "2026-01-15T08:00:00Z")
    assert [i["id"] for i in explained["incidents"]] == [MPLS_14, MPLS_07]
    assert all(i["evidence"] and i["score"] > 0 for i in explained["incidents"])
    recap = next(s for s in explained["sentences"] if "Renee Good" in s["text"])
    assert (recap["incident"], recap["recalls"]) == (MPLS_14, MPLS_07)
    assert explained["new_incident"] is False
    assert not (tmp_path / "data").exists()


def test_explain_prints_reasons_for_people(tmp_path: Path) -> None:
    """Without --json, explain prints each incident's reasons and each sentence's incident."""
    result = runner.invoke(
        app, ["explain", str(REPO_ROOT / "seeds" / "000_b9bc8e2e153b431c.txt")], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    assert f"{PDX}: score" in result.stdout
    assert "sentences:" in result.stdout


def test_rules_check_accepts_the_shipped_rules(tmp_path: Path) -> None:
    """The rules that ship with monitor pass `monitor rules check`."""
    result = runner.invoke(app, ["rules", "check"], env=_env(tmp_path))
    assert result.exit_code == 0, result.stderr


def _copied_rules(tmp_path: Path) -> Path:
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO_ROOT / "rules", rules_dir)
    return rules_dir


def test_rules_check_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    """Two broken files: both problems are printed with file and line; exit code 1."""
    rules_dir = _copied_rules(tmp_path)
    feeds = rules_dir / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: wire\n    url: ftp://wire.example/rss\n", "utf-8")
    incidents = rules_dir / "incidents.yaml"
    incidents.write_text(incidents.read_text("utf-8") + "\nsurprise: 1\n", "utf-8")
    result = runner.invoke(app, ["rules", "check"], env=_env(tmp_path, rules_dir))
    assert result.exit_code == 1
    assert "feeds.yaml:3" in result.stderr
    assert "incidents.yaml:" in result.stderr and "surprise" in result.stderr


def test_daemon_commands_refuse_to_start_on_invalid_rules(tmp_path: Path) -> None:
    """`monitor once` exits 2 naming the broken file instead of polling with bad rules."""
    rules_dir = _copied_rules(tmp_path)
    (rules_dir / "entities.yaml").write_text("entities: [\n", "utf-8")
    result = runner.invoke(app, ["once"], env=_env(tmp_path, rules_dir))
    assert result.exit_code == 2
    assert "entities.yaml" in result.stderr


def test_replay_shows_changes_and_applies_them_only_when_asked(tmp_path: Path) -> None:
    """Dropping an incident from the rules: replay lists the articles losing it; --apply stores."""
    env = _env(tmp_path)
    runner.invoke(app, ["seed"], env=env)
    rules_dir = _copied_rules(tmp_path)
    incidents_file = rules_dir / "incidents.yaml"
    data = yaml.safe_load(incidents_file.read_text("utf-8"))
    data["incidents"] = [i for i in data["incidents"] if i["incident_id"] != MPLS_14]
    incidents_file.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    edited = _env(tmp_path, rules_dir)

    preview = _json(edited, "replay")
    assert {c["id"] for c in preview if MPLS_14 in c["lost"]} == {4, 5}
    assert all(MPLS_14 in a["incidents"] for a in _json(env, "articles") if a["id"] in {4, 5})

    assert runner.invoke(app, ["replay", "--apply"], env=edited).exit_code == 0
    assert not any(MPLS_14 in a["incidents"] for a in _json(edited, "articles"))
    assert _json(edited, "replay") == []
