"""What an editor's rule may not do: run away, expand aliases, be huge, not be UTF-8."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.analysis.engine import check_rule_set, load_rule_set
from monitor.analysis.patterns import MAX_PATTERN_CHARS, check_pattern
from monitor.analysis.rule_files import MAX_RULE_FILE_BYTES
from monitor.analysis.rules import check_rules
from monitor.cli import app
from monitor.errors import RuleError
from tests.conftest import REPO_ROOT

runner = CliRunner()

# 546 bytes that expand to 9**9 ("lol" * 387 million) when every alias is copied.
ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _shipped_rules(tmp_path: Path) -> Path:
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO_ROOT / "rules", rules_dir)
    return rules_dir


def _with_term(rules_dir: Path, term: str) -> str:
    """Replace the first incident term with `term`; return the file's new text."""
    path = rules_dir / "incidents.yaml"
    text = path.read_text(encoding="utf-8")
    first = re.search(r"term: '([^']*)'", text)
    assert first is not None
    text = text[: first.start(1)] + term + text[first.end(1) :]
    path.write_text(text, encoding="utf-8")
    return text


# ------------------------------------------------------------------- patterns


def test_a_nested_repeat_is_refused_with_the_reason_and_the_rewrite() -> None:
    """'(a+)+$' is refused: it nests a repeat in a repeat; the fix is 'a+$'."""
    assert check_pattern("(a+)+$") == (
        "pattern '(a+)+$' nests a repeat inside a repeat, which can take exponential "
        "time on some text; rewrite it without the outer repeat, e.g. 'a+$'"
    )


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a*)*b", "nests a repeat inside a repeat"),
        (r"\b(\w+\s?)*$", "nests a repeat inside a repeat"),
        (r"(?:x+y?)+z", "nests a repeat inside a repeat"),
        (r"(a|a)*", "repeats alternatives that can match the same text"),
        (r"(a|aa)+$", "repeats alternatives that can match the same text"),
        (r"(?:aa?)+$", "repeats alternatives that can match the same text"),
        (r"(?:\w|\d)+(?:x|\s)+", None),
        (r"(?<!non-)\bfatal(ly)?\b|\b(killed|killing|shot dead|death|died)\b", None),
        (r"(?:\s+[^\s,;]+){0,14}?\s+(?:is|are)", None),
        (r"\b(another|latest)\b[\w\s-]{0,20}\b(shooting|incident)\b", None),
    ],
)
def test_the_static_check_refuses_runaway_shapes_and_keeps_ordinary_ones(
    pattern: str, reason: str | None
) -> None:
    """Nested repeats and overlapping repeated alternatives are refused; rule-like patterns pass."""
    found = check_pattern(pattern, re.IGNORECASE)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_a_pattern_longer_than_the_cap_is_refused() -> None:
    """A pattern over MAX_PATTERN_CHARS is refused with its length and what to do."""
    found = check_pattern("x" * (MAX_PATTERN_CHARS + 1))
    assert found is not None
    assert "2,001 characters long, more than the 2,000 allowed; split it" in found


def test_rules_check_refuses_a_catastrophic_incident_term(tmp_path: Path) -> None:
    """`monitor rules check` names the file, the line, the pattern and the rewrite; exit 1."""
    rules_dir = _shipped_rules(tmp_path)
    text = _with_term(rules_dir, "(a+)+$")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "(a+)+$" in row)
    result = runner.invoke(app, ["rules", "check"], env={"MONITOR_RULES_DIR": str(rules_dir)})
    assert result.exit_code == 1
    assert f"incidents.yaml:{line}: pattern '(a+)+$' nests a repeat inside a repeat" in (
        result.stdout + result.stderr
    )
    with pytest.raises(RuleError, match=r"rewrite it without the outer repeat, e\.g\. 'a"):
        load_rule_set(rules_dir)


def test_a_claim_cue_that_nests_repeats_around_a_macro_is_refused(tmp_path: Path) -> None:
    """A claims.yaml cue is checked with its macros expanded: '(?:{NP}\\s)+' nests repeats."""
    rules_dir = _shipped_rules(tmp_path)
    path = rules_dir / "claims.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("- pattern: '(?:arrested|detained)\\s+{NP}'", "- pattern: '(?:{NP}\\s)+'")
    path.write_text(text, encoding="utf-8")
    problems = check_rule_set(rules_dir)
    assert len(problems) == 1
    assert "claims.yaml:" in problems[0]
    assert "nests a repeat inside a repeat" in problems[0]


# ------------------------------------------------------------------- YAML files


def test_an_alias_bomb_is_refused_naming_the_line(tmp_path: Path) -> None:
    """A YAML alias bomb (546 bytes) is refused without expanding it: 'write it out in full'."""
    rules_dir = _shipped_rules(tmp_path)
    (rules_dir / "watch.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    problems = [str(p) for p in check_rules(rules_dir)]
    assert problems == [
        f"{rules_dir / 'watch.yaml'}:2: uses a YAML alias (*name) to repeat an anchored "
        "(&name) value; rule files do not allow aliases: write the value out in full"
    ]


def test_an_alias_in_claims_yaml_is_refused(tmp_path: Path) -> None:
    """rules/claims.yaml shares the loader: an alias there is refused the same way."""
    rules_dir = _shipped_rules(tmp_path)
    path = rules_dir / "claims.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "extra: &x [1]\nmore: *x\n", "utf-8")
    problems = check_rule_set(rules_dir)
    assert len(problems) == 1 and "claims.yaml:" in problems[0]
    assert "rule files do not allow aliases" in problems[0]


def test_a_rule_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    """A rule file over 1 MB is refused with its size and what to do, before it is parsed."""
    rules_dir = _shipped_rules(tmp_path)
    padding = "# padding\n" * (MAX_RULE_FILE_BYTES // 10 + 1)
    path = rules_dir / "entities.yaml"
    path.write_text(path.read_text(encoding="utf-8") + padding, encoding="utf-8")
    problems = [str(p) for p in check_rules(rules_dir)]
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: the file is ")
    assert "more than the 1,000,000 allowed for a rule file; split it" in problems[0]


def test_invalid_utf8_is_one_clear_problem_naming_the_file(tmp_path: Path) -> None:
    """A rule file with a Latin-1 byte gives one line naming file and line, not a traceback."""
    rules_dir = _shipped_rules(tmp_path)
    path = rules_dir / "incidents.yaml"
    path.write_bytes(b"# header\nincidents:\n  - title: caf\xe9\n")
    result = runner.invoke(app, ["rules", "check"], env={"MONITOR_RULES_DIR": str(rules_dir)})
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = result.stdout + result.stderr
    assert f"{path}:3: is not valid UTF-8 (byte 0xe9 at offset 34); save the file as UTF-8" in (
        output
    )


def test_invalid_utf8_in_claims_yaml_is_a_rule_error(tmp_path: Path) -> None:
    """claims.yaml with invalid UTF-8 raises RuleError naming it, not UnicodeDecodeError."""
    rules_dir = _shipped_rules(tmp_path)
    (rules_dir / "claims.yaml").write_bytes(b"version: 1\n\xff\n")
    with pytest.raises(RuleError, match=r"claims.yaml:2: is not valid UTF-8"):
        load_rule_set(rules_dir)


# ------------------------------------------------------------------- feeds.yaml


def test_a_missing_feeds_file_is_a_problem_with_the_fix(tmp_path: Path) -> None:
    """Without feeds.yaml nothing would be polled: rules check says so and how to fix it."""
    rules_dir = _shipped_rules(tmp_path)
    (rules_dir / "feeds.yaml").unlink()
    result = runner.invoke(app, ["rules", "check"], env={"MONITOR_RULES_DIR": str(rules_dir)})
    assert result.exit_code == 1
    assert "feeds.yaml: not found; create it with feeds: [{name: ..., url: ...}]" in (
        result.stdout + result.stderr
    )
