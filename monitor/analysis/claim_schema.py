"""Load and validate rules/claims.yaml into a typed ClaimSchema.

Input: the path of a claims rule file. Output: a frozen `ClaimSchema` with
compiled cue patterns, or a RuleError listing every problem (file, line, fix):
JSON Schema violations, unknown placeholders, regular expressions that are
invalid or could run away (monitor/analysis/patterns.py; a cue is checked with its
macros expanded) and values outside a slot's levels. Every pattern runs with
the time limit of the active analysis budget. The YAML-with-lines helpers come
from rule_files.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from monitor.analysis.candidates import DATELINE_PATTERN
from monitor.analysis.claim_values import COUNT_WORDS, COUNT_WORDS_WITH_ARTICLES, NAME_PATTERN
from monitor.analysis.patterns import MAX_PATTERN_CHARS, SafePattern, check_pattern, compile_safe
from monitor.analysis.rule_files import (
    KeyPath,
    RuleProblem,
    YamlDoc,
    compile_rule_pattern,
    duplicate_key_problems,
    load_yaml_with_lines,
    pattern_origin,
    raise_problems,
    schema_problems,
)

ClaimValue = int | str | bool
FLAGS = re.IGNORECASE
_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_BUILT_IN = ("COUNT", "NP", "N1", "NAME", "TIME", "AGENCY", "DATELINE")


class SlotType(StrEnum):
    COUNT = "count"
    ORDERED_ENUM = "ordered_enum"
    PERSON = "person"
    TIME_OF_DAY = "time_of_day"
    AGENCY = "agency"
    BOOLEAN = "boolean"
    TEXT = "text"


class Scope(StrEnum):
    INCIDENT = "incident"
    CITY = "city"


class ChangeAction(StrEnum):
    UPDATE = "update"
    CONTRADICTION = "contradiction"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class Changes:
    """What a change of a slot's value means (see rules/claims.yaml)."""

    first: ChangeAction = ChangeAction.UPDATE
    increase: ChangeAction = ChangeAction.UPDATE
    decrease: ChangeAction = ChangeAction.CONTRADICTION
    differ: ChangeAction = ChangeAction.CONTRADICTION


@dataclass(frozen=True, slots=True)
class Cue:
    """One way news text states a slot's value."""

    pattern: SafePattern
    value: ClaimValue | None = None
    requires: SafePattern | None = None
    # The value no longer holds ("the BCA withdrew from the investigation").
    superseded: bool = False


@dataclass(frozen=True, slots=True)
class SlotRule:
    """A fact editors track about an incident (or a city), and how it changes."""

    name: str
    type: SlotType
    scope: Scope
    changes: Changes
    cues: tuple[Cue, ...]
    levels: tuple[tuple[str, ...], ...] = ()
    absent: frozenset[str] = frozenset()
    conflicts: Mapping[str, frozenset[str]] = field(default_factory=dict)
    tolerance_min: int = 0
    # value -> count slot whose positive asserted value already implies it
    implied_by: Mapping[str, str] = field(default_factory=dict)
    # A state that moves over time (a condition, who is held): a value reported this many
    # hours after the latest one is the state moving on, not a clash; 0: never.
    evolves_after_h: float = 0.0

    def rank(self, value: ClaimValue) -> int | None:
        """The position of an ordered_enum value in `levels`, or None."""
        for position, level in enumerate(self.levels):
            if value in level:
                return position
        return None


@dataclass(frozen=True, slots=True)
class AgencyRule:
    """An agency's canonical id, the names news uses for it and its parent."""

    agency: str
    aliases: tuple[str, ...]
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimSchema:
    """Everything claims.py and compare.py need from rules/claims.yaml."""

    slots: tuple[SlotRule, ...]
    agencies: tuple[AgencyRule, ...]
    qualifiers: Mapping[str, str]
    say_verbs: SafePattern
    groups: tuple[tuple[str, SafePattern], ...]
    anaphora: SafePattern
    police_by_city: Mapping[str, str]
    disputes: SafePattern
    denies: SafePattern
    hedges: SafePattern
    anaphors: SafePattern
    anaphor_slots: tuple[str, ...]
    supersedes: SafePattern
    background_openers: SafePattern
    time_markers: SafePattern
    afternoon_cues: SafePattern

    def slot(self, name: str) -> SlotRule:
        """The rule for slot `name` (KeyError if the schema has none)."""
        for rule in self.slots:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def agency_id(self, text: str) -> str | None:
        """The canonical id of an agency alias ("Border Patrol" -> "CBP")."""
        wanted = " ".join(text.lower().split())
        for agency in self.agencies:
            if wanted == agency.agency.lower() or wanted in (a.lower() for a in agency.aliases):
                return agency.agency
        return None

    def agency_parent(self, agency_id: str) -> str | None:
        """The parent agency of `agency_id` (ICE -> DHS), if any."""
        for agency in self.agencies:
            if agency.agency == agency_id:
                return agency.parent
        return None


# ----------------------------------------------------------------------- loading


def load_claim_schema(path: Path) -> ClaimSchema:
    """Read and validate a claims rule file; raise RuleError naming every problem."""
    doc = load_yaml_with_lines(path)
    problems = duplicate_key_problems(doc) + schema_problems(doc, "claims")
    raise_problems(problems)
    builder = _Builder(doc)
    schema = builder.build()
    raise_problems(builder.problems)
    return schema


class _Builder:
    """Turns validated YAML into a ClaimSchema, collecting located problems."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data
        self.problems: list[RuleProblem] = []
        self.macros: dict[str, str] = {}

    def build(self) -> ClaimSchema:
        agencies = tuple(
            AgencyRule(a["agency"], tuple(a["aliases"]), a.get("parent"))
            for a in self.data["agencies"]
        )
        qualifiers: dict[str, str] = dict(self.data.get("qualifiers", {}))
        self.macros = self._macros(agencies, qualifiers)
        attribution = self.data["attribution"]
        stances = self.data["stances"]
        background = self.data["background"]
        return ClaimSchema(
            slots=tuple(self._slot(name, raw) for name, raw in self.data["slots"].items()),
            agencies=agencies,
            # Time qualifiers join after the macros: no count is "shortly before" anything.
            qualifiers={**qualifiers, **self.data.get("time_qualifiers", {})},
            say_verbs=self._any([rf"\b(?:{attribution['verbs']})\b"], ("attribution", "verbs")),
            groups=tuple(
                (speaker, self._any(patterns, ("attribution", "groups", speaker)))
                for speaker, patterns in attribution.get("groups", {}).items()
            ),
            anaphora=self._any(attribution.get("anaphora", []), ("attribution", "anaphora")),
            police_by_city=dict(attribution.get("police_by_city", {})),
            disputes=self._any(stances.get("disputes", []), ("stances", "disputes")),
            denies=self._any(stances.get("denies", []), ("stances", "denies")),
            hedges=self._any(stances.get("hedges", []), ("stances", "hedges")),
            anaphors=self._any(stances.get("anaphors", []), ("stances", "anaphors")),
            anaphor_slots=tuple(stances.get("anaphor_slots", [])),
            supersedes=self._any(stances.get("supersedes", []), ("stances", "supersedes")),
            background_openers=self._any(background.get("openers", []), ("background", "openers")),
            time_markers=self._any(
                background.get("time_markers", []), ("background", "time_markers")
            ),
            afternoon_cues=self._any(self.data.get("afternoon_cues", []), ("afternoon_cues",)),
        )

    def _macros(
        self, agencies: Sequence[AgencyRule], qualifiers: Mapping[str, str]
    ) -> dict[str, str]:
        macros: dict[str, str] = {}
        for name, pattern in self.data.get("macros", {}).items():
            if name in _BUILT_IN:
                self._problem(
                    ("macros", name), f"macro {name} shadows a built-in placeholder; rename it"
                )
            elif self._compiles(pattern, ("macros", name)):
                macros[name] = pattern
        if "PERSON" not in macros:
            self._problem(
                ("macros",),
                "macro PERSON (nouns for people) is missing; "
                "add it, e.g. PERSON: '(?:people|man|woman)'",
            )
            macros["PERSON"] = "(?:people|persons?|m[ae]n|wom[ae]n)"
        quals = (
            "|".join(
                re.escape(q).replace(r"\ ", r"\s+")
                for q in sorted(qualifiers, key=len, reverse=True)
            )
            or "(?!)"
        )
        person = macros["PERSON"]
        lead = rf"(?:(?P<qualifier>{quals})\s+)?(?:the\s+)?"
        # Modifiers never span "and": "a man and a woman" is a list (counts.py), not one NP.
        noun = rf"\s+(?:(?!and\b)[\w'’-]+\s+){{0,3}}?{person}\b"
        aliases = sorted({a for rule in agencies for a in rule.aliases}, key=len, reverse=True)
        macros["COUNT"] = rf"{lead}\b(?P<value>{COUNT_WORDS})\b"
        macros["N1"] = rf"{lead}\b(?P<value>{COUNT_WORDS_WITH_ARTICLES})\b"
        # A partitive counts part of a group: "one of the two people has died" says at
        # least one died (group `partitive`: the claim gets qualifier at_least), and
        # never that two did, so the group's own count is not an NP. "Both of them"
        # and "all three" do give the whole group's size.
        not_in_partitive = r"(?<!\bof\s)(?<!\bof\sthe\s)"
        partitive = r"(?P<partitive>(?<!\bboth)(?<!\ball)(?=\s+of\b))?"
        macros["NP"] = (
            rf"{not_in_partitive}(?:all\s+)?{lead}\b(?P<value>(?:{COUNT_WORDS_WITH_ARTICLES})"
            rf"{partitive}(?={noun})|no\s+one\b|nobody\b)(?:{noun})?"
        )
        macros["NAME"] = NAME_PATTERN  # claim_values.py: up to four parts, bare initials
        macros["DATELINE"] = rf"(?:{DATELINE_PATTERN}\s*)?"  # optional: most sentences have none
        macros["TIME"] = (
            r"(?P<value>\d{1,2}:\d{2}(?:\s*[ap]\.?\s?m\b\.?)?|\d{1,2}\s*[ap]\.?\s?m\b\.?|noon|midnight)"
        )
        alternation = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in aliases) or "(?!)"
        macros["AGENCY"] = rf"(?:(?:U\.?S\.?|United\s+States)\s+)?\b(?P<value>{alternation})\b"
        return macros

    def _slot(self, name: str, raw: dict[str, Any]) -> SlotRule:
        where: KeyPath = ("slots", name)
        levels = tuple(tuple(level) for level in raw.get("levels", []))
        known = {value for level in levels for value in level}
        slot_type = SlotType(raw["type"])
        if slot_type is SlotType.ORDERED_ENUM and not levels:
            self._problem(
                where, f"slot {name!r} is an ordered_enum without levels; add levels: [[...]]"
            )
        cues = tuple(
            cue
            for index, cue_raw in enumerate(raw["cues"])
            if (cue := self._cue(cue_raw, (*where, "cues", index), slot_type, known)) is not None
        )
        for other in raw.get("implied_by", {}).values():
            if other not in self.data["slots"]:
                self._problem(
                    (*where, "implied_by"),
                    f"implied_by names unknown slot {other!r}; use a slot defined under slots",
                )
        for value in [
            *raw.get("absent", []),
            *raw.get("conflicts", {}),
            *raw.get("implied_by", {}),
        ]:
            if value not in known:
                self._problem(
                    where,
                    f"slot {name!r} names value {value!r} outside its levels; "
                    "add it to levels or fix the spelling",
                )
        return SlotRule(
            name=name,
            type=slot_type,
            scope=Scope(raw["scope"]),
            changes=Changes(**{k: ChangeAction(v) for k, v in raw["changes"].items()}),
            cues=cues,
            levels=levels,
            absent=frozenset(raw.get("absent", [])),
            conflicts={k: frozenset(v) for k, v in raw.get("conflicts", {}).items()},
            tolerance_min=int(raw.get("tolerance_min", 0)),
            implied_by=dict(raw.get("implied_by", {})),
            evolves_after_h=float(raw.get("evolves_after_hours", 0)),
        )

    def _cue(
        self, raw: dict[str, Any], where: KeyPath, slot_type: SlotType, known: set[str]
    ) -> Cue | None:
        written = str(raw["pattern"])
        pattern = self._expand(written, (*where, "pattern"))
        compiled = None
        if pattern is not None and self._short_enough(written, (*where, "pattern")):
            # The macros are checked with the cue around them: '({NP} )+' nests repeats.
            compiled = self._regex(pattern, (*where, "pattern"), max_chars=None)
        requires = raw.get("requires")
        required = None if requires is None else self._regex(requires, (*where, "requires"))
        value = raw.get("value")
        if compiled is None:
            return None
        if value is None and "value" not in compiled.groupindex:
            self._problem(
                where, "cue has neither a (?P<value>...) group nor a fixed `value:`; add one"
            )
            return None
        if slot_type is SlotType.ORDERED_ENUM and value not in known:
            self._problem(
                where,
                f"cue value {value!r} is not in the slot's levels {sorted(known)}; use one of them",
            )
            return None
        if slot_type is SlotType.BOOLEAN and not isinstance(value, bool):
            self._problem(where, "a boolean slot's cue needs `value: true` or `value: false`")
            return None
        return Cue(compiled, value, required, bool(raw.get("superseded", False)))

    def _expand(self, pattern: str, where: KeyPath) -> str | None:
        unknown = [m for m in _PLACEHOLDER.findall(pattern) if m not in self.macros]
        if unknown:
            names = ", ".join(sorted(self.macros))
            self._problem(
                where,
                f"unknown placeholder {{{unknown[0]}}}; "
                f"use one of {names} or define it under macros",
            )
            return None
        return _PLACEHOLDER.sub(lambda m: self.macros[m.group(1)], pattern)

    def _any(self, patterns: Sequence[str], where: KeyPath) -> SafePattern:
        good = [p for i, p in enumerate(patterns) if self._compiles(p, (*where, i))]
        # Each part passed the check; joined as alternatives, outside any repeat, they
        # add no backtracking of their own.
        joined = "|".join(f"(?:{p})" for p in good) or "(?!)"
        return compile_safe(joined, pattern_origin(self.doc, where), FLAGS)

    def _compiles(self, pattern: str, where: KeyPath) -> bool:
        return self._regex(pattern, where) is not None

    def _short_enough(self, pattern: str, where: KeyPath) -> bool:
        refused = check_pattern(pattern) if len(pattern) > MAX_PATTERN_CHARS else None
        if refused is not None:
            self._problem(where, refused)
        return refused is None

    def _regex(
        self, pattern: str, where: KeyPath, *, max_chars: int | None = MAX_PATTERN_CHARS
    ) -> SafePattern | None:
        return compile_rule_pattern(
            self.doc, where, pattern, self.problems, FLAGS, max_chars=max_chars
        )

    def _problem(self, where: KeyPath, message: str) -> None:
        self.problems.append(self.doc.problem(where, message))
