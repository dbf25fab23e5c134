"""Load and validate rules/*.yaml into typed, frozen Rules.

Input: a rules directory holding entities.yaml, incidents.yaml, watch.yaml and
feeds.yaml. Output: a `Rules` value (rule_values.py), or every problem found,
each naming the file, the line and the fix. Each file is read and checked
against its JSON Schema (monitor/schemas/<name>.schema.json) by rule_files.py;
this module builds the values and checks what a schema cannot express:
duplicate ids and aliases, dangling references, and regular expressions that are
invalid or could run away (see monitor/analysis/patterns.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from monitor.analysis.incident_arguments import (
    IncidentArguments,
    derived_condition,
    derived_cues,
)
from monitor.analysis.patterns import SafePattern, compile_safe
from monitor.analysis.places import load_us_gazetteer
from monitor.analysis.rule_files import (
    KeyPath,
    RuleProblem,
    YamlDoc,
    checked_doc,
    compile_rule_pattern,
    raise_problems,
)
from monitor.analysis.rule_values import (
    DEFAULT_WATCH_WINDOW_SENTENCES,
    DEFAULT_WINDOW_DAYS,
    AllCondition,
    AnyCondition,
    Condition,
    ContextAlias,
    Cue,
    EntityCondition,
    EntityRule,
    IncidentRule,
    NoneCondition,
    Rules,
    TagCondition,
    TermCondition,
    WatchRule,
    normalise_alias,
)
from monitor.model import EntityKind, FeedSpec

ENTITIES_FILE = "entities.yaml"
INCIDENTS_FILE = "incidents.yaml"
WATCH_FILE = "watch.yaml"
FEEDS_FILE = "feeds.yaml"


# --------------------------------------------------------------------- loading entry points


def check_rules(rules_dir: Path) -> list[RuleProblem]:
    """Every problem in the rule files of `rules_dir` (empty: all good)."""
    return _load(rules_dir)[1]


def load_rules(rules_dir: Path) -> Rules:
    """Load rules/*.yaml; raise RuleError listing every problem if any."""
    rules, problems = _load(rules_dir)
    raise_problems(problems)
    assert rules is not None  # no problems means every file was built
    return rules


def load_feeds(rules_dir: Path) -> list[FeedSpec]:
    """The feeds listed in rules_dir/feeds.yaml; raise RuleError if invalid."""
    path = rules_dir / FEEDS_FILE
    if not path.exists():
        raise_problems([_missing_feeds_problem(path)])
    feeds, problems = _load_feeds(path)
    raise_problems(problems)
    return list(feeds)


def _load(rules_dir: Path) -> tuple[Rules | None, list[RuleProblem]]:
    problems: list[RuleProblem] = []
    entities_doc = checked_doc(rules_dir / ENTITIES_FILE, "entities", problems)
    incidents_doc = checked_doc(rules_dir / INCIDENTS_FILE, "incidents", problems)
    watch_path = rules_dir / WATCH_FILE
    watch_doc = checked_doc(watch_path, "watch", problems) if watch_path.exists() else None
    feeds: tuple[FeedSpec, ...] = ()
    if (rules_dir / FEEDS_FILE).exists():
        feeds, feed_problems = _load_feeds(rules_dir / FEEDS_FILE)
        problems.extend(feed_problems)
    else:
        # Without it nothing is polled, silently: a missing feeds file is an error.
        problems.append(_missing_feeds_problem(rules_dir / FEEDS_FILE))
    if entities_doc is None or incidents_doc is None or (watch_path.exists() and watch_doc is None):
        return None, problems

    builder = _Builder(problems)
    entities, titles = builder.entities(entities_doc)
    known_ids = {e.entity_id for e in entities}
    known_tags = {t for e in entities for t in e.tags}
    builder.check_entity_refs(entities_doc, known_ids)
    refs = _Refs(known_ids, known_tags, ENTITIES_FILE)
    incidents = builder.incidents(incidents_doc, refs)
    watch = builder.watch(watch_doc, refs) if watch_doc is not None else None
    if problems:
        return None, problems
    return Rules(entities, incidents, watch, feeds, titles, load_us_gazetteer()), problems


def _missing_feeds_problem(path: Path) -> RuleProblem:
    return RuleProblem(
        str(path),
        None,
        "not found; create it with feeds: [{name: ..., url: ...}] "
        "(without it no feed is polled; feeds: [] polls none on purpose)",
    )


def _load_feeds(path: Path) -> tuple[tuple[FeedSpec, ...], list[RuleProblem]]:
    problems: list[RuleProblem] = []
    doc = checked_doc(path, "feeds", problems)
    if doc is None:
        return (), problems
    feeds: list[FeedSpec] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    for i, raw in enumerate(doc.data["feeds"]):
        name, url = str(raw["name"]), str(raw["url"])
        if name in names:
            problems.append(
                doc.problem(
                    ("feeds", i, "name"),
                    f"feed name {name!r} is already used by "
                    f"feeds[{names[name]}]; give each feed its own name",
                )
            )
        if url in urls:
            problems.append(
                doc.problem(
                    ("feeds", i, "url"),
                    f"feed url {url!r} is already listed as "
                    f"feeds[{urls[url]}]; remove the duplicate",
                )
            )
        names.setdefault(name, i)
        urls.setdefault(url, i)
        interval = raw.get("interval", raw.get("interval_min"))
        source = str(raw["source"]) if raw.get("source") else None
        feeds.append(FeedSpec(name, url, None if interval is None else float(interval), source))
    return tuple(feeds), problems


# ------------------------------------------------------------------------- building


@dataclass(frozen=True, slots=True)
class _Refs:
    """What conditions and cues may refer to."""

    entity_ids: set[str]
    tags: set[str]
    entities_file: str


class _Builder:
    """Turns schema-valid YAML data into rule values, collecting semantic problems."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems

    def entities(self, doc: YamlDoc) -> tuple[tuple[EntityRule, ...], tuple[str, ...]]:
        seen_ids: dict[str, int] = {}
        seen_aliases: dict[str, str] = {}
        built: list[EntityRule] = []
        for i, raw in enumerate(doc.data["entities"]):
            path: KeyPath = ("entities", i)
            entity_id = str(raw["entity_id"])
            if entity_id in seen_ids:
                self.problems.append(
                    doc.problem(
                        (*path, "entity_id"),
                        f"duplicate entity id {entity_id!r} "
                        f"(also entities[{seen_ids[entity_id]}]); rename one",
                    )
                )
            seen_ids.setdefault(entity_id, i)
            self._check_aliases(doc, path, raw, entity_id, seen_aliases)
            built.append(self._entity(doc, path, raw))
        titles = tuple(str(t) for t in doc.data.get("titles", []))
        return tuple(built), titles

    def _check_aliases(
        self,
        doc: YamlDoc,
        path: KeyPath,
        raw: Mapping[str, Any],
        entity_id: str,
        seen: dict[str, str],
    ) -> None:
        """An alias may name only one entity; case-insensitive ones clash ignoring case."""
        for key in ("aliases", "case_sensitive_aliases", "weak_aliases"):
            for j, alias in enumerate(raw.get(key, [])):
                norm = normalise_alias(alias, case_sensitive=key != "aliases")
                owner = seen.get(norm)
                if owner is not None:
                    self.problems.append(
                        doc.problem(
                            (*path, key, j),
                            f"duplicate alias {alias!r}: entity "
                            f"{entity_id!r} and {owner!r} both use it; keep it on one",
                        )
                    )
                seen.setdefault(norm, entity_id)

    def _entity(self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any]) -> EntityRule:
        contexts = []
        for j, ctx in enumerate(raw.get("context_aliases", [])):
            here = (*path, "context_aliases", j)
            before = self._optional_regex(doc, (*here, "before"), ctx.get("before"))
            after = self._optional_regex(doc, (*here, "after"), ctx.get("after"))
            contexts.append(ContextAlias(str(ctx["alias"]), before, after))
        excluded = self._optional_regex(doc, (*path, "excluded_after"), raw.get("excluded_after"))
        return EntityRule(
            entity_id=str(raw["entity_id"]),
            kind=EntityKind(raw["kind"]),
            name=str(raw["name"]),
            role=str(raw.get("role", "")),
            aliases=tuple(raw["aliases"]),
            case_sensitive_aliases=tuple(raw.get("case_sensitive_aliases", [])),
            weak_aliases=tuple(raw.get("weak_aliases", [])),
            context_aliases=tuple(contexts),
            requires_entities=tuple(raw.get("requires_entities", [])),
            excluded_after=excluded,
            tags=tuple(raw.get("tags", [])),
        )

    def _optional_regex(
        self, doc: YamlDoc, path: KeyPath, pattern: str | None
    ) -> SafePattern | None:
        return None if pattern is None else compile_rule_pattern(doc, path, pattern, self.problems)

    def check_entity_refs(self, doc: YamlDoc, known: set[str]) -> None:
        for i, raw in enumerate(doc.data["entities"]):
            for j, ref in enumerate(raw.get("requires_entities", [])):
                if ref not in known:
                    self.problems.append(
                        doc.problem(
                            ("entities", i, "requires_entities", j),
                            f"entity {raw['entity_id']!r} requires unknown entity "
                            f"{ref!r}; define it or fix the id",
                        )
                    )

    def incidents(self, doc: YamlDoc, refs: _Refs) -> tuple[IncidentRule, ...]:
        seen: dict[str, int] = {}
        built: list[IncidentRule] = []
        for i, raw in enumerate(doc.data["incidents"]):
            path: KeyPath = ("incidents", i)
            incident_id = str(raw["incident_id"])
            if incident_id in seen:
                self.problems.append(
                    doc.problem(
                        (*path, "incident_id"),
                        f"duplicate incident id "
                        f"{incident_id!r} (also incidents[{seen[incident_id]}]); "
                        "rename one",
                    )
                )
            seen.setdefault(incident_id, i)
            built.append(self._incident(doc, path, raw, refs))
        return tuple(built)

    def _incident(
        self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any], refs: _Refs
    ) -> IncidentRule:
        owner = f"incident {raw['incident_id']!r}"
        try:
            when = date.fromisoformat(str(raw["date"]))
        except ValueError:
            self.problems.append(
                doc.problem(
                    (*path, "date"),
                    f"{owner} has date {raw['date']!r}, "
                    "which is not a calendar date; write YYYY-MM-DD",
                )
            )
            when = date.min
        arguments = self._arguments(doc, path, raw, refs, owner)
        if "condition" in raw:
            condition = self.condition(doc, (*path, "condition"), raw["condition"], refs, owner)
        else:
            condition = derived_condition(arguments, refs.entity_ids)
        if "cues" in raw:
            cues = tuple(
                self._cue(doc, (*path, "cues", j), cue, refs, owner)
                for j, cue in enumerate(raw["cues"])
            )
        else:
            cues = derived_cues(arguments, refs.entity_ids)
        return IncidentRule(
            incident_id=str(raw["incident_id"]),
            title=str(raw["title"]),
            date=when,
            city=str(raw["city"]),
            condition=condition,
            cues=cues,
            window_days=int(raw.get("window_days", DEFAULT_WINDOW_DAYS)),
            slack_channel=raw.get("slack_channel"),
            **arguments.fields(),
        )

    def _arguments(
        self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any], refs: _Refs, owner: str
    ) -> IncidentArguments:
        """The incident's arguments; every entity or tag they name must exist."""
        victims = raw.get("victims") or {}
        arguments = IncidentArguments(
            place=raw.get("place"),
            agency=raw.get("agency"),
            shooter=raw.get("shooter"),
            victim_names=tuple(victims.get("names", ())),
            victim_count=victims.get("count"),
            outcome=victims.get("outcome"),
        )
        for key, ref in arguments.references():
            if ref not in refs.entity_ids and ref not in refs.tags:
                self.problems.append(
                    doc.problem(
                        (*path, *key),
                        f"{owner} names {ref!r}, which is no entity id or tag; define it "
                        f"in {refs.entities_file} or fix the spelling",
                    )
                )
        if "condition" not in raw and not (arguments.place or arguments.victim_names):
            self.problems.append(
                doc.problem(
                    path,
                    f"{owner} has no condition and no place or victim names to derive one "
                    "from; add `place:` (the city's entity id) or a `condition:`",
                )
            )
        return arguments

    def _cue(
        self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any], refs: _Refs, owner: str
    ) -> Cue:
        entity, tag, term = raw.get("entity"), raw.get("tag"), raw.get("term")
        self._check_ref(doc, path, raw, refs, owner)
        pattern = None
        if term is not None:
            pattern = compile_rule_pattern(doc, (*path, "term"), term, self.problems, re.IGNORECASE)
        label = str(raw.get("label") or entity or tag or term)
        return Cue(float(raw["weight"]), label, entity, tag, pattern)

    def _check_ref(
        self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any], refs: _Refs, owner: str
    ) -> None:
        entity, tag = raw.get("entity"), raw.get("tag")
        if entity is not None and entity not in refs.entity_ids:
            self.problems.append(
                doc.problem(
                    (*path, "entity"),
                    f"{owner} refers to unknown entity {entity!r}; "
                    f"define it in {refs.entities_file} or fix the id",
                )
            )
        if tag is not None and tag not in refs.tags:
            self.problems.append(
                doc.problem(
                    (*path, "tag"),
                    f"{owner} refers to tag {tag!r}, which no entity "
                    f"carries; add it to an entity's tags in {refs.entities_file} "
                    "or fix the spelling",
                )
            )

    def condition(
        self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any], refs: _Refs, owner: str
    ) -> Condition:
        """Build a condition tree; bad references and regexes become problems."""
        key, value = next(iter(raw.items()))
        if key in ("all", "any", "none"):
            parts = tuple(
                self.condition(doc, (*path, key, j), sub, refs, owner)
                for j, sub in enumerate(value)
            )
            makers: dict[str, Callable[[tuple[Condition, ...]], Condition]] = {
                "all": AllCondition,
                "any": AnyCondition,
                "none": NoneCondition,
            }
            return makers[key](parts)
        self._check_ref(doc, path, raw, refs, owner)
        if key == "entity":
            return EntityCondition(str(value))
        if key == "tag":
            return TagCondition(str(value))
        pattern = compile_rule_pattern(
            doc, (*path, "term"), str(value), self.problems, re.IGNORECASE
        )
        return TermCondition(str(value), pattern or compile_safe(r"(?!x)x", "never"))

    def watch(self, doc: YamlDoc, refs: _Refs) -> WatchRule:
        raw = doc.data["watch"]
        owner = f"watch rule {raw['watch_id']!r}"
        condition = self.condition(doc, ("watch", "condition"), raw["condition"], refs, owner)
        return WatchRule(
            watch_id=str(raw["watch_id"]),
            title=str(raw["title"]),
            condition=condition,
            window_sentences=int(raw.get("window_sentences", DEFAULT_WATCH_WINDOW_SENTENCES)),
        )
