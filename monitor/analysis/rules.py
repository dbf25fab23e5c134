"""Load and validate rules/*.yaml into typed, frozen Rules.

Input: a rules directory holding entities.yaml, incidents.yaml, watch.yaml and
feeds.yaml. Output: a `Rules` value, or every problem found, each naming the
file, the line and the fix. Each file is checked against its JSON Schema
(monitor/schemas/<name>.schema.json), then for what a schema cannot express:
duplicate ids and aliases, dangling references, and regular expressions that are
invalid or could run away (see monitor/analysis/patterns.py). A rule file is at most
MAX_RULE_FILE_BYTES, UTF-8, and may not use YAML aliases (`*name`): a few hundred
bytes of nested aliases expand to gigabytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from monitor.analysis.patterns import SafePattern, check_pattern, compile_safe
from monitor.errors import RuleError
from monitor.model import Entity, EntityKind, FeedSpec

KeyPath = tuple[str | int, ...]

ENTITIES_FILE = "entities.yaml"
INCIDENTS_FILE = "incidents.yaml"
WATCH_FILE = "watch.yaml"
FEEDS_FILE = "feeds.yaml"
DEFAULT_WINDOW_DAYS = 120
DEFAULT_WATCH_WINDOW_SENTENCES = 2
MAX_RULE_FILE_BYTES = 1_000_000
# libyaml's parser when PyYAML was built with it (much faster), else the pure-Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong in a rule file: where it is and how to fix it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


def raise_problems(problems: Sequence[RuleProblem]) -> None:
    """Raise one RuleError listing every problem, if there are any."""
    if problems:
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        listing = "\n".join(str(p) for p in problems)
        raise RuleError(f"rules are invalid ({count}):\n{listing}")


# --------------------------------------------------------------------- YAML with lines


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A parsed YAML file plus its node tree, so any key path maps back to a line."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line(self, key_path: KeyPath) -> int | None:
        """The 1-based line of the deepest node on `key_path` that exists."""
        node = self.root
        line = None if node is None else node.start_mark.line + 1
        for key in key_path:
            found = _child_node(node, key)
            if found is None:
                break
            line = found[0].start_mark.line + 1
            node = found[1]
        return line

    def problem(self, key_path: KeyPath, message: str) -> RuleProblem:
        """A RuleProblem located at `key_path` in this file."""
        return RuleProblem(str(self.path), self.line(key_path), message)


def _child_node(node: yaml.Node | None, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node to report a line for, node to descend into) for one path step."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(key):
                return key_node, value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]
        return item, item
    return None


def _parse_yaml(path: Path) -> YamlDoc | RuleProblem:
    """Parse `path` once (the node tree, then the data built from it), or say what is wrong."""
    text = _read_rule_file(path)
    if isinstance(text, RuleProblem):
        return text
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        alias = _first_alias(root)
        if alias is not None:
            return RuleProblem(
                str(path),
                alias,
                "uses a YAML alias (*name) to repeat an anchored (&name) value; "
                "rule files do not allow aliases: write the value out in full",
            )
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        what = exc.problem or "invalid YAML"
        return RuleProblem(
            str(path), line, f"YAML syntax error: {what}; check indentation, quotes and colons"
        )
    except yaml.YAMLError as exc:
        return RuleProblem(str(path), None, f"YAML error: {exc}; fix the file's syntax")
    except RecursionError:
        return RuleProblem(str(path), None, "nests too deeply to read; flatten the structure")
    finally:
        loader.dispose()
    try:
        return YamlDoc(path, _dates_to_strings(data), root)
    except RecursionError:
        return RuleProblem(str(path), None, "nests too deeply to read; flatten the structure")


def _read_rule_file(path: Path) -> str | RuleProblem:
    """The file's text, or a problem: unreadable, too big, or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_RULE_FILE_BYTES:
            return RuleProblem(
                str(path),
                None,
                f"the file is {size:,} bytes, more than the {MAX_RULE_FILE_BYTES:,} allowed "
                "for a rule file; split it or remove what is not needed",
            )
        raw = path.read_bytes()
    except OSError as exc:
        return RuleProblem(str(path), None, f"cannot read the file ({exc.strerror}); create it")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return RuleProblem(
            str(path),
            line,
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
        )


def _first_alias(root: yaml.Node | None) -> int | None:
    """The line of the first alias in the file (a node used a second time), or None.

    The composer hands back an alias as the very node it names, so a node met
    twice is an alias. Each node is visited once, in document order: an alias
    bomb costs no more than its text.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [] if root is None else [(root, root.start_mark.line)]
    while stack:
        node, line = stack.pop()
        if id(node) in seen:
            return line + 1
        seen.add(id(node))
        children: list[tuple[yaml.Node, int]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                children.append((key_node, key_node.start_mark.line))
                children.append((value_node, key_node.start_mark.line))
        elif isinstance(node, yaml.SequenceNode):
            children.extend((item, line) for item in node.value)
        stack.extend(reversed(children))
    return None


def load_yaml_with_lines(path: Path) -> YamlDoc:
    """Parse a YAML rule file keeping line numbers; raise RuleError on bad syntax."""
    parsed = _parse_yaml(path)
    if isinstance(parsed, RuleProblem):
        raise_problems([parsed])
        raise AssertionError("unreachable")  # raise_problems raised
    return parsed


def _dates_to_strings(value: Any) -> Any:
    """YAML turns 2026-01-07 into a date; the schemas (JSON) expect a string."""
    if isinstance(value, dict):
        return {str(k): _dates_to_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_strings(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def duplicate_key_problems(doc: YamlDoc) -> list[RuleProblem]:
    """YAML keeps the last of two equal keys silently; report every repeat."""
    problems: list[RuleProblem] = []
    stack: list[yaml.Node] = [] if doc.root is None else [doc.root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    problems.append(
                        RuleProblem(
                            str(doc.path),
                            key_node.start_mark.line + 1,
                            f"key {key!r} appears twice in the same mapping; keep one",
                        )
                    )
                seen.add(key)
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return problems


# ------------------------------------------------------------------------ JSON Schema


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema shipped as monitor/schemas/<name>.schema.json."""
    text = resources.files("monitor").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_problems(doc: YamlDoc, schema_name: str) -> list[RuleProblem]:
    """Every JSON Schema violation in `doc`, located and phrased with a fix."""
    validator = Draft202012Validator(load_schema(schema_name))
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path)))
    hint = f"see monitor/schemas/{schema_name}.schema.json"
    return [_schema_problem(doc, error, hint) for error in errors]


def _schema_problem(doc: YamlDoc, error: ValidationError, hint: str) -> RuleProblem:
    path: KeyPath = tuple(error.absolute_path)
    where = _dotted(path) or "the file"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = cast(Mapping[str, Any], error.schema)
        allowed = cast(Mapping[str, Any], schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        key = unknown[0] if unknown else "?"
        fix = f"allowed keys: {', '.join(allowed)}; fix the spelling or remove it"
        return doc.problem((*path, key), f"unknown key {key!r} in {where}; {fix}")
    if error.validator == "required":
        return doc.problem(path, f"{where}: {error.message}; add it ({hint})")
    if error.validator == "not" and path[:1] == ("feeds",):
        return doc.problem(path, f"{where} gives both interval and interval_min; keep one")
    if error.validator == "pattern" and path and path[-1] in _PATTERN_FIXES:
        return doc.problem(path, f"{where}: {error.instance!r} {_PATTERN_FIXES[str(path[-1])]}")
    if error.validator == "minItems" and error.instance == []:
        return doc.problem(path, f"{where} is empty; add at least one entry ({hint})")
    return doc.problem(path, f"{where}: {error.message}; {hint}")


# What to tell an editor when a value does not match its schema's pattern.
_ID_FIX = "is not a valid id; use lower-case letters, digits and dashes, e.g. mpls-2026-01-07"
_PATTERN_FIXES = {
    "url": "is not an http(s) URL; write the full address, e.g. https://example.org/feed.xml",
    "entity_id": _ID_FIX,
    "incident_id": _ID_FIX,
    "watch_id": _ID_FIX,
    "date": "is not a date; write YYYY-MM-DD, e.g. 2026-01-07",
}


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# ----------------------------------------------------------------------- rule values


@dataclass(frozen=True, slots=True)
class EntityCondition:
    """True when the entity is mentioned (after disambiguation)."""

    entity: str


@dataclass(frozen=True, slots=True)
class TagCondition:
    """True when any entity carrying the tag is mentioned."""

    tag: str


@dataclass(frozen=True, slots=True)
class TermCondition:
    """True when the case-insensitive regular expression matches the text."""

    term: str
    pattern: SafePattern = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AllCondition:
    """True when every sub-condition is."""

    all: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyCondition:
    """True when at least one sub-condition is."""

    any: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NoneCondition:
    """True when no sub-condition is."""

    none: tuple[Condition, ...]


Condition = (
    EntityCondition | TagCondition | TermCondition | AllCondition | AnyCondition | NoneCondition
)


@dataclass(frozen=True, slots=True)
class ContextAlias:
    """An alias that counts only next to text matching `before` or `after`."""

    alias: str
    before: SafePattern | None
    after: SafePattern | None


@dataclass(frozen=True, slots=True)
class EntityRule:
    """An entity as written in entities.yaml, with its disambiguation settings."""

    entity_id: str
    kind: EntityKind
    name: str
    role: str
    aliases: tuple[str, ...]
    case_sensitive_aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    context_aliases: tuple[ContextAlias, ...] = ()
    requires_entities: tuple[str, ...] = ()
    excluded_after: SafePattern | None = None
    tags: tuple[str, ...] = ()

    @property
    def entity(self) -> Entity:
        """The plain model value, with every alias form listed."""
        context = tuple(c.alias for c in self.context_aliases)
        every = self.aliases + self.case_sensitive_aliases + self.weak_aliases + context
        return Entity(self.entity_id, self.kind, self.name, every, self.role)


@dataclass(frozen=True, slots=True)
class Cue:
    """Evidence that a sentence speaks of one incident rather than its neighbours."""

    weight: float
    label: str
    entity: str | None = None
    tag: str | None = None
    term: SafePattern | None = None


@dataclass(frozen=True, slots=True)
class IncidentRule:
    """A known incident: what identifies an article about it, and its cues."""

    incident_id: str
    title: str
    date: date
    city: str
    condition: Condition
    cues: tuple[Cue, ...] = ()
    window_days: int = DEFAULT_WINDOW_DAYS
    slack_channel: str | None = None


@dataclass(frozen=True, slots=True)
class WatchRule:
    """The shape of a story worth flagging as a possible new incident."""

    watch_id: str
    title: str
    condition: Condition
    window_sentences: int = DEFAULT_WATCH_WINDOW_SENTENCES


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything in rules/, validated."""

    entities: tuple[EntityRule, ...]
    incidents: tuple[IncidentRule, ...]
    watch: WatchRule | None = None
    feeds: tuple[FeedSpec, ...] = ()
    titles: tuple[str, ...] = ()


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
    entities_doc = _checked_doc(rules_dir / ENTITIES_FILE, "entities", problems)
    incidents_doc = _checked_doc(rules_dir / INCIDENTS_FILE, "incidents", problems)
    watch_path = rules_dir / WATCH_FILE
    watch_doc = _checked_doc(watch_path, "watch", problems) if watch_path.exists() else None
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
    return Rules(entities, incidents, watch, feeds, titles), problems


def _missing_feeds_problem(path: Path) -> RuleProblem:
    return RuleProblem(
        str(path),
        None,
        "not found; create it with feeds: [{name: ..., url: ...}] "
        "(without it no feed is polled; feeds: [] polls none on purpose)",
    )


def _checked_doc(path: Path, schema: str, problems: list[RuleProblem]) -> YamlDoc | None:
    """Parse and schema-check one file; None (with problems added) if unusable."""
    parsed = _parse_yaml(path)
    if isinstance(parsed, RuleProblem):
        problems.append(parsed)
        return None
    found = duplicate_key_problems(parsed) + schema_problems(parsed, schema)
    problems.extend(found)
    return None if found else parsed


def _load_feeds(path: Path) -> tuple[tuple[FeedSpec, ...], list[RuleProblem]]:
    problems: list[RuleProblem] = []
    doc = _checked_doc(path, "feeds", problems)
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


def _compile(
    doc: YamlDoc, path: KeyPath, pattern: str, problems: list[RuleProblem], flags: int = 0
) -> SafePattern | None:
    """Compile a rule regex to run with a time limit, or add a problem saying why it
    cannot be (invalid, too long, or able to take exponential time)."""
    refused = check_pattern(pattern, flags)
    if refused is not None:
        problems.append(doc.problem(path, refused))
        return None
    return compile_safe(pattern, pattern_origin(doc, path), flags)


def pattern_origin(doc: YamlDoc, path: KeyPath) -> str:
    """'incidents.yaml:53 incidents[0].cues[2].term': where a pattern was written."""
    line = doc.line(path)
    where = doc.path.name if line is None else f"{doc.path.name}:{line}"
    return f"{where} {_dotted(path)}"


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
        return None if pattern is None else _compile(doc, path, pattern, self.problems)

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
        condition = self.condition(doc, (*path, "condition"), raw["condition"], refs, owner)
        cues = tuple(
            self._cue(doc, (*path, "cues", j), cue, refs, owner)
            for j, cue in enumerate(raw.get("cues", []))
        )
        return IncidentRule(
            incident_id=str(raw["incident_id"]),
            title=str(raw["title"]),
            date=when,
            city=str(raw["city"]),
            condition=condition,
            cues=cues,
            window_days=int(raw.get("window_days", DEFAULT_WINDOW_DAYS)),
            slack_channel=raw.get("slack_channel"),
        )

    def _cue(
        self, doc: YamlDoc, path: KeyPath, raw: Mapping[str, Any], refs: _Refs, owner: str
    ) -> Cue:
        entity, tag, term = raw.get("entity"), raw.get("tag"), raw.get("term")
        self._check_ref(doc, path, raw, refs, owner)
        pattern = None
        if term is not None:
            pattern = _compile(doc, (*path, "term"), term, self.problems, re.IGNORECASE)
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
        pattern = _compile(doc, (*path, "term"), str(value), self.problems, re.IGNORECASE)
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


# --------------------------------------------------------------------------- helpers

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "\u00a0": " "})


def normalise_alias(alias: str, *, case_sensitive: bool) -> str:
    """The form an alias is compared in: straight apostrophes, case folded unless exact."""
    text = alias.translate(_APOSTROPHES)
    return text if case_sensitive else text.lower()


def iter_conditions(condition: Condition, *, asked_for: bool = False) -> Iterator[Condition]:
    """Every node of a condition tree, depth first; with asked_for, only the nodes the
    condition requires, leaving out `none:` branches (what it rules out)."""
    if asked_for and isinstance(condition, NoneCondition):
        return
    yield condition
    if isinstance(condition, AllCondition):
        children: tuple[Condition, ...] = condition.all
    elif isinstance(condition, AnyCondition):
        children = condition.any
    elif isinstance(condition, NoneCondition):
        children = condition.none
    else:
        children = ()
    for child in children:
        yield from iter_conditions(child, asked_for=asked_for)
