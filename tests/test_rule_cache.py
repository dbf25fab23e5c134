"""Start-up: the parsed rules cached by the rule files' contents, and commands that import
only what they use (checked in real child processes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.analysis.engine import load_rule_set, match, rule_cache_key
from monitor.model import Document
from tests.conftest import REPO_ROOT

SEED = REPO_ROOT / "seeds" / "000_b9bc8e2e153b431c.txt"


def _rules_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO_ROOT / "rules", rules)
    return rules


def _incidents(rule_set_dir: Path, cache_dir: Path | None) -> list[tuple[str, float]]:
    text = SEED.read_text(encoding="utf-8")
    document = Document("file:///seed.txt", "", text, "seed-000", None)
    result = match(document, load_rule_set(rule_set_dir, cache_dir=cache_dir))
    return [(m.incident_id, m.score) for m in result.incidents]


def test_a_cached_rule_set_matches_exactly_as_a_freshly_parsed_one(tmp_path: Path) -> None:
    """The second load comes from the pickle and gives the same matches as no cache."""
    rules, cache = _rules_copy(tmp_path), tmp_path / "data" / "cache"
    (tmp_path / "data").mkdir()
    fresh = _incidents(rules, None)
    assert _incidents(rules, cache) == fresh  # parsed, then written
    [cached] = cache.glob("rules-*.pickle")
    assert _incidents(rules, cache) == fresh  # read back
    assert fresh and fresh[0][0] == "pdx-2026-01-08"
    assert cached.name == f"rules-{rule_cache_key(rules)[:32]}.pickle"


def test_editing_a_rule_file_changes_the_key_and_replaces_the_cache(tmp_path: Path) -> None:
    """A rule file's new bytes are a new key; the stale pickle is removed."""
    rules, cache = _rules_copy(tmp_path), tmp_path / "data" / "cache"
    (tmp_path / "data").mkdir()
    load_rule_set(rules, cache_dir=cache)
    before = rule_cache_key(rules)
    incidents = rules / "incidents.yaml"
    incidents.write_text(incidents.read_text("utf-8") + "\n# an editor's note\n", "utf-8")
    assert rule_cache_key(rules) != before
    load_rule_set(rules, cache_dir=cache)
    assert [p.name for p in cache.glob("rules-*.pickle")] == [
        f"rules-{rule_cache_key(rules)[:32]}.pickle"
    ]


def test_a_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    """Garbage in the cache file: the rules are parsed again and the file rewritten."""
    rules, cache = _rules_copy(tmp_path), tmp_path / "data" / "cache"
    cache.mkdir(parents=True)
    target = cache / f"rules-{rule_cache_key(rules)[:32]}.pickle"
    target.write_bytes(b"not a pickle at all")
    assert _incidents(rules, cache) == _incidents(rules, None)
    assert target.read_bytes() != b"not a pickle at all"


def test_the_cache_never_creates_the_data_directory(tmp_path: Path) -> None:
    """A dry run against a data dir that does not exist leaves it uncreated."""
    rules = _rules_copy(tmp_path)
    load_rule_set(rules, cache_dir=tmp_path / "missing" / "cache")
    assert not (tmp_path / "missing").exists()


def test_invalid_rules_are_never_cached(tmp_path: Path) -> None:
    """Rules with a problem raise as before and leave no cache behind."""
    from monitor.errors import RuleError

    rules, cache = _rules_copy(tmp_path), tmp_path / "data" / "cache"
    (tmp_path / "data").mkdir()
    (rules / "incidents.yaml").write_text("incidents: [\n", "utf-8")
    with pytest.raises(RuleError):
        load_rule_set(rules, cache_dir=cache)
    assert not list(cache.glob("rules-*.pickle"))


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a child process has imported after running `code`."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "MONITOR_DATA_DIR": str(tmp_path / "data")},
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_imports_neither_the_database_nor_the_settings_libraries(tmp_path: Path) -> None:
    """`monitor --help` loads typer and rich only: no SQLAlchemy, alembic, pydantic, regex."""
    modules = _modules_after(
        "from monitor.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass",
        tmp_path,
    )
    heavy = {"sqlalchemy", "alembic", "sqlmodel", "pydantic", "pydantic_settings", "regex"}
    assert heavy & modules == set()
    assert "monitor.cli.listings" in modules  # every command is registered


def test_opening_an_up_to_date_database_does_not_import_alembic(tmp_path: Path) -> None:
    """The schema is upgraded with alembic only when a migration is missing."""
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    first = _modules_after(f"from monitor.store import Database\nDatabase.open({url!r})", tmp_path)
    again = _modules_after(f"from monitor.store import Database\nDatabase.open({url!r})", tmp_path)
    assert "alembic" in first
    assert "alembic" not in again
