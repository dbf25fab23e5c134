"""Loading rules/claims.yaml: typed slots, and located, fixable problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.analysis.claim_schema import Scope, SlotType, load_claim_schema
from monitor.errors import RuleError
from tests.claimkit import REPO_ROOT

SHIPPED = REPO_ROOT / "rules" / "claims.yaml"
SLOTS = [
    "killed", "wounded", "victim_condition", "victim_name", "victim_age", "shooter_agency",
    "shooter_name", "shots_fired", "time", "justification", "in_custody", "investigation",
    "officer_injured", "federal_officers_deployed",
]  # fmt: skip


def test_shipped_rules_load_with_every_slot() -> None:
    """The shipped claims.yaml loads and defines exactly the slots editors track."""
    schema = load_claim_schema(SHIPPED)
    assert [s.name for s in schema.slots] == SLOTS
    assert schema.slot("federal_officers_deployed").scope is Scope.CITY
    assert schema.slot("victim_condition").type is SlotType.ORDERED_ENUM


def test_shipped_rules_carry_the_schema_modeline() -> None:
    """Editors' YAML tooling finds the JSON Schema through the modeline."""
    first = SHIPPED.read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../monitor/schemas/claims.schema.json"


def test_agency_aliases_resolve_to_canonical_ids() -> None:
    """'Border Patrol' is CBP and 'homeland security department' is DHS."""
    schema = load_claim_schema(SHIPPED)
    assert schema.agency_id("Border Patrol") == "CBP"
    assert schema.agency_id("homeland security department") == "DHS"
    assert schema.agency_parent("ICE") == "DHS"


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text("utf-8")
    assert old in text
    path = tmp_path / "claims.yaml"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(
        n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line
    )


def test_invalid_regex_is_reported_with_file_and_line(tmp_path: Path) -> None:
    """A cue pattern that does not compile names the file, its line and the fix."""
    path = broken_copy(tmp_path, "death toll (?:rose", "death toll ((?:rose")
    with pytest.raises(RuleError) as raised:
        load_claim_schema(path)
    message = str(raised.value)
    assert f"{path}:{line_of(path, 'death toll ((?:rose')}" in message
    assert "invalid regular expression" in message


def test_unknown_placeholder_is_reported(tmp_path: Path) -> None:
    """A typo in {NP} is caught, listing the placeholders that exist."""
    path = broken_copy(
        tmp_path, "'(?:arrested|detained)\\s+{NP}'", "'(?:arrested|detained)\\s+{NPP}'"
    )
    with pytest.raises(RuleError, match=r"unknown placeholder \{NPP\}; use one of"):
        load_claim_schema(path)


def test_cue_value_outside_the_levels_is_reported(tmp_path: Path) -> None:
    """An ordered_enum cue must give one of the slot's levels."""
    path = broken_copy(tmp_path, "value: stable", "value: steady")
    with pytest.raises(RuleError, match="'steady' is not in the slot's levels"):
        load_claim_schema(path)


def test_cue_without_value_is_reported(tmp_path: Path) -> None:
    """A cue needs a (?P<value>...) group or a fixed value."""
    path = broken_copy(
        tmp_path,
        "      - pattern: '\\baged (?P<value>\\d{1,3})\\b'",
        "      - pattern: '\\baged \\d{1,3}\\b'",
    )
    with pytest.raises(RuleError, match="neither a"):
        load_claim_schema(path)


def test_unknown_key_is_reported_by_the_json_schema(tmp_path: Path) -> None:
    """A misspelt key is named with the keys that are allowed."""
    path = broken_copy(tmp_path, "    tolerance_min: 0", "    tolerance_mins: 0")
    with pytest.raises(RuleError, match="unknown key 'tolerance_mins'"):
        load_claim_schema(path)


def test_missing_slot_is_reported(tmp_path: Path) -> None:
    """Every tracked slot must be defined."""
    text = SHIPPED.read_text("utf-8")
    start = text.index("  shots_fired:")
    end = text.index("  time:\n")
    path = tmp_path / "claims.yaml"
    path.write_text(text[:start] + text[end:], "utf-8")
    with pytest.raises(RuleError, match="shots_fired"):
        load_claim_schema(path)
