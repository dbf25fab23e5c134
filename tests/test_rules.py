"""Tests for monitor.analysis.rules: loading, JSON Schema and semantic checks, located messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from monitor.analysis.rule_files import RuleProblem, load_yaml_with_lines
from monitor.analysis.rule_values import AllCondition, EntityCondition
from monitor.analysis.rules import check_rules, load_feeds, load_rules
from monitor.errors import RuleError

ROOT = Path(__file__).resolve().parent.parent

ENTITIES = """\
entities:
  - entity_id: cbp
    kind: agency
    name: Customs and Border Protection
    aliases: [Customs and Border Protection]
    case_sensitive_aliases: [CBP]
    tags: [federal-immigration]
  - entity_id: portland
    kind: place
    name: Portland, Oregon
    aliases: [Portland]
"""

INCIDENTS = """\
incidents:
  - incident_id: pdx-2026-01-08
    title: Border Patrol agent wounds two in Portland
    date: 2026-01-08
    city: Portland
    condition:
      all:
        - entity: portland
        - tag: federal-immigration
        - term: '\\bshot\\b'
    cues:
      - {entity: portland, weight: 2}
"""

WATCH = """\
watch:
  watch_id: federal-shooting
  title: A shooting by federal agents
  condition:
    all:
      - tag: federal-immigration
      - term: '\\bshot\\b'
"""

FEEDS = """\
feeds:
  - name: one
    url: https://example.test/one.xml
  - name: two
    url: https://example.test/two.xml
    interval: 30
"""


def _write(rules_dir: Path, **overrides: str) -> Path:
    """A valid rules directory, with some files replaced by broken versions."""
    files = {"entities": ENTITIES, "incidents": INCIDENTS, "watch": WATCH, "feeds": FEEDS}
    files.update(overrides)
    rules_dir.mkdir(exist_ok=True)
    for name, text in files.items():
        (rules_dir / f"{name}.yaml").write_text(text, encoding="utf-8")
    return rules_dir


def _line_of(text: str, fragment: str) -> int:
    """The line of the last occurrence of `fragment` (where a duplicate is reported)."""
    return max(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_shipped_rules_load_cleanly() -> None:
    """rules/ in the repository has no problems and defines the three seed incidents."""
    assert check_rules(ROOT / "rules") == []
    rules = load_rules(ROOT / "rules")
    assert {i.incident_id for i in rules.incidents} == {
        "mpls-2026-01-07",
        "pdx-2026-01-08",
        "mpls-2026-01-14",
    }
    assert rules.watch is not None


def test_a_minimal_rules_directory_loads_into_typed_values(tmp_path: Path) -> None:
    """YAML keys become frozen dataclasses, dates become dates, conditions become trees."""
    rules = load_rules(_write(tmp_path))
    incident = rules.incidents[0]
    assert incident.date.isoformat() == "2026-01-08"
    assert isinstance(incident.condition, AllCondition)
    assert incident.condition.all[0] == EntityCondition("portland")
    assert rules.entities[0].entity.aliases == ("Customs and Border Protection", "CBP")
    assert [f.interval_min for f in rules.feeds] == [None, 30.0]


BROKEN = [
    pytest.param(
        "entities",
        ENTITIES.replace("    tags: [federal", "    colour: red\n    tags: [federal"),
        "colour: red",
        r"unknown key 'colour' in entities\[0\]; allowed keys: .*entity_id",
        id="unknown-key",
    ),
    pytest.param(
        "incidents",
        INCIDENTS.replace("- entity: portland", "- entity: cbpp"),
        "entity: cbpp",
        r"incident 'pdx-2026-01-08' refers to unknown entity 'cbpp'; "
        r"define it in entities.yaml or fix the id",
        id="dangling-reference",
    ),
    pytest.param(
        "incidents",
        INCIDENTS.replace("term: '\\bshot\\b'", "tag: federal-immigraton"),
        "tag: federal-immigraton",
        r"refers to tag 'federal-immigraton', which no entity carries",
        id="dangling-tag",
    ),
    pytest.param(
        "incidents",
        INCIDENTS + INCIDENTS.split("incidents:\n")[1].replace("Border", "CBP"),
        "incident_id: pdx",
        r"duplicate incident id 'pdx-2026-01-08' \(also incidents\[0\]\); rename",
        id="duplicate-id",
    ),
    pytest.param(
        "entities",
        ENTITIES.replace(
            "aliases: [Portland]", "aliases: [Portland, customs and border protection]"
        ),
        "aliases: [Portland, customs",
        r"duplicate alias 'customs and border protection': entity 'portland' and 'cbp'",
        id="duplicate-alias",
    ),
    pytest.param(
        "incidents",
        INCIDENTS.replace("term: '\\bshot\\b'", "term: '(shot|fired'"),
        "term: '(shot|fired'",
        r"invalid regular expression '\(shot\|fired': missing \), unterminated subpattern",
        id="invalid-regex",
    ),
    pytest.param(
        "entities",
        ENTITIES.replace("aliases: [Portland]", "aliases: []"),
        "aliases: []",
        r"entities\[1\]\.aliases is empty; add at least one entry",
        id="empty-alias-list",
    ),
    pytest.param(
        "watch",
        WATCH.replace("title: A shooting", "title: [A shooting"),
        "watch_id:",
        r"YAML syntax error: .*; check indentation, quotes and colons",
        id="yaml-syntax-error",
    ),
    pytest.param(
        "entities",
        ENTITIES.replace("    kind: place", "    kind: place\n    kind: city"),
        "kind: city",
        r"key 'kind' appears twice in the same mapping; keep one",
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "feeds",
        FEEDS.replace("name: two", "name: one"),
        "name: one",
        r"feed name 'one' is already used by feeds\[0\]; give each feed its own name",
        id="duplicate-feed-name",
    ),
    pytest.param(
        "feeds",
        FEEDS.replace("https://example.test/two", "ftp://example.test/two"),
        "ftp://",
        r"feeds\[1\]\.url: 'ftp://example.test/two.xml' is not an http\(s\) URL; write",
        id="non-http-feed-url",
    ),
    pytest.param(
        "feeds",
        FEEDS.replace("interval: 30", "interval: -5"),
        "interval: -5",
        r"feeds\[1\]\.interval: -5 is less than or equal to the minimum of 0",
        id="bad-feed-interval",
    ),
]


@pytest.mark.parametrize(("name", "text", "fragment", "message"), BROKEN)
def test_a_broken_rule_file_is_reported_with_file_line_and_fix(
    tmp_path: Path, name: str, text: str, fragment: str, message: str
) -> None:
    """Each kind of mistake gives one problem naming the file, the line and the fix."""
    rules_dir = _write(tmp_path, **{name: text})
    problems = check_rules(rules_dir)
    matching = [p for p in problems if re.search(message, p.message)]
    assert matching, problems
    problem = matching[0]
    assert problem.file == str(rules_dir / f"{name}.yaml")
    if name != "watch":  # a syntax error is reported where the parser noticed it
        assert problem.line == _line_of(text, fragment)
    else:
        assert problem.line is not None
    assert str(problem).startswith(f"{rules_dir / name}.yaml:{problem.line}: ")


def test_every_problem_is_collected_not_just_the_first(tmp_path: Path) -> None:
    """Mistakes in several files are all reported, and load_rules lists them all."""
    rules_dir = _write(
        tmp_path,
        entities=ENTITIES.replace("aliases: [Portland]", "aliases: []"),
        incidents=INCIDENTS.replace("term: '\\bshot\\b'", "term: '(shot'"),
        feeds=FEEDS.replace("name: two", "name: one"),
    )
    problems = check_rules(rules_dir)
    files = {Path(p.file).name for p in problems}
    assert files == {"entities.yaml", "feeds.yaml"}  # incidents wait for valid entities
    with pytest.raises(RuleError, match=r"rules are invalid \(2 problems\)") as caught:
        load_rules(rules_dir)
    assert "entities.yaml:11:" in str(caught.value)


def test_semantic_problems_in_one_file_are_all_collected(tmp_path: Path) -> None:
    """A dangling entity, a dangling tag and a bad regex in one file give three problems."""
    broken = (
        INCIDENTS.replace("- entity: portland", "- entity: nowhere")
        .replace("- tag: federal-immigration", "- tag: nobody")
        .replace("term: '\\bshot\\b'", "term: '[unclosed'")
    )
    problems = check_rules(_write(tmp_path, incidents=broken))
    assert len(problems) == 3
    assert sorted(p.line or 0 for p in problems) == [8, 9, 10]


def test_load_feeds_returns_feed_specs(tmp_path: Path) -> None:
    """load_feeds reads only feeds.yaml and maps interval (minutes) to interval_min."""
    feeds = load_feeds(_write(tmp_path))
    assert [(f.name, f.interval_min) for f in feeds] == [("one", None), ("two", 30.0)]


def test_load_feeds_names_a_missing_file(tmp_path: Path) -> None:
    """A missing feeds.yaml is an error that says how to create it."""
    with pytest.raises(RuleError, match=r"feeds.yaml: not found; create it"):
        load_feeds(tmp_path)


def test_yaml_lines_can_be_looked_up_by_key_path(tmp_path: Path) -> None:
    """Another rule file's loader can map a key path back to its line."""
    path = tmp_path / "claims.yaml"
    path.write_text("claims:\n  - claim_id: a\n  - claim_id: b\n    kind: count\n")
    doc = load_yaml_with_lines(path)
    assert doc.data["claims"][1]["kind"] == "count"
    assert doc.line(("claims", 1, "kind")) == 4
    assert doc.line(("claims", 1, "missing")) == 3
    assert doc.problem(("claims", 0), "bad") == RuleProblem(str(path), 2, "bad")


@pytest.mark.parametrize("name", ["entities", "incidents", "watch", "feeds"])
def test_each_rule_file_points_at_its_shipped_schema(name: str) -> None:
    """The first line is a yaml-language-server modeline naming a schema that exists."""
    path = ROOT / "rules" / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"rules/{name}.yaml is not written yet")
    first = path.read_text(encoding="utf-8").splitlines()[0]
    relative = f"../monitor/schemas/{name}.schema.json"
    assert first == f"# yaml-language-server: $schema={relative}"
    json.loads((path.parent / relative).read_text(encoding="utf-8"))
