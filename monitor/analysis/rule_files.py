"""Rule files as read: YAML with line numbers, located problems, JSON Schema checks.

Shared by every rule file (rules/*.yaml here, rules/claims.yaml in
claim_schema.py): a file is at most MAX_RULE_FILE_BYTES, UTF-8, and may not use
YAML aliases (`*name`): a few hundred bytes of nested aliases expand to
gigabytes. Any key path maps back to its line, so each `RuleProblem` names the
file, the line and the fix. Regular expressions written in a rule file are
checked and compiled here too, located where they were written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from monitor.analysis.patterns import MAX_PATTERN_CHARS, SafePattern, check_pattern, compile_safe
from monitor.errors import RuleError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

KeyPath = tuple[str | int, ...]

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
    # Imported here: only parsing rule files needs it, and a command whose rules come
    # from the cache should not pay its import (a tenth of `monitor explain`).
    from jsonschema import Draft202012Validator

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


def checked_doc(path: Path, schema: str, problems: list[RuleProblem]) -> YamlDoc | None:
    """Parse and schema-check one file; None (with problems added) if unusable."""
    parsed = _parse_yaml(path)
    if isinstance(parsed, RuleProblem):
        problems.append(parsed)
        return None
    found = duplicate_key_problems(parsed) + schema_problems(parsed, schema)
    problems.extend(found)
    return None if found else parsed


# ------------------------------------------------------------------- patterns in rules


def compile_rule_pattern(
    doc: YamlDoc,
    path: KeyPath,
    pattern: str,
    problems: list[RuleProblem],
    flags: int = 0,
    *,
    max_chars: int | None = MAX_PATTERN_CHARS,
) -> SafePattern | None:
    """Compile a rule regex to run with a time limit, or add a problem saying why it
    cannot be (invalid, too long, or able to take exponential time)."""
    refused = check_pattern(pattern, flags, max_chars=max_chars)
    if refused is not None:
        problems.append(doc.problem(path, refused))
        return None
    return compile_safe(pattern, pattern_origin(doc, path), flags)


def pattern_origin(doc: YamlDoc, path: KeyPath) -> str:
    """'incidents.yaml:53 incidents[0].cues[2].term': where a pattern was written."""
    line = doc.line(path)
    where = doc.path.name if line is None else f"{doc.path.name}:{line}"
    return f"{where} {_dotted(path)}"
