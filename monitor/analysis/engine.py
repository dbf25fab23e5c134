"""The analysis core composed: match, extract claims, compare with the ledger, draft alerts.

Pure: the caller loads the rules, reads the ledger for `ledger_subjects(...)`
and stores the `Analysis`. `monitor explain` runs the same function and
stores nothing, so what it shows is what the pipeline would do.

Bounded: the caller cuts the text with `capped` (MONITOR_MAX_ANALYSED_CHARS) and
passes an `AnalysisBudget` (MONITOR_ANALYSIS_BUDGET_S, its clock given by the
caller); every rule pattern runs within it, and running out raises
AnalysisBudgetError.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import regex

from monitor.analysis.alerts import AlertDraft, draft_alerts
from monitor.analysis.claim_schema import ClaimSchema, load_claim_schema
from monitor.analysis.claims import (
    Claim,
    ExtractionContext,
    city_slug,
    context_from_rules,
    extract_claims,
)
from monitor.analysis.compare import Finding, FindingKind, compare_article
from monitor.analysis.events import CandidateIncident
from monitor.analysis.match import MatchResult, match_document
from monitor.analysis.patterns import AnalysisBudget, spending
from monitor.analysis.rule_values import IncidentRule, Rules
from monitor.analysis.rules import check_rules, load_rules
from monitor.errors import RuleError
from monitor.model import Document

CLAIMS_FILE = "claims.yaml"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything editors tune: matching rules and the claim schema."""

    rules: Rules
    claims: ClaimSchema


def load_rule_set(rules_dir: Path, *, cache_dir: Path | None = None) -> RuleSet:
    """Load and validate every rule file; RuleError lists every problem.

    With `cache_dir`, the parsed rules are kept there as a pickle keyed by the rule
    files' bytes (see `rule_cache_key`): compiling ~200 editor regexes and their
    safety checks is most of a command's start-up, and the `regex` module pickles a
    compiled pattern's code, so a cached RuleSet loads in milliseconds. A cache that
    is missing, stale, corrupt or unreadable is ignored and rebuilt; one that cannot
    be written is skipped. Rules with problems are never cached.
    """
    if cache_dir is None:
        return _parsed_rule_set(rules_dir)
    key = rule_cache_key(rules_dir)
    cache_file = cache_dir / f"rules-{key[:32]}.pickle"
    cached = _read_cached(cache_file, key)
    if cached is not None:
        return cached
    rule_set = _parsed_rule_set(rules_dir)
    _write_cache(cache_file, key, rule_set)
    return rule_set


def _parsed_rule_set(rules_dir: Path) -> RuleSet:
    return RuleSet(load_rules(rules_dir), load_claim_schema(rules_dir / CLAIMS_FILE))


# The code that turns rule files into a RuleSet: a change to it (in development, where
# the version stays the same) must not reuse rules parsed by the old code.
_VERSION_FILE = Path(__file__).parent.parent / "__init__.py"
_PARSER_FILES = (
    *sorted(Path(__file__).parent.glob("*.py")),
    *sorted((Path(__file__).parent.parent / "schemas").glob("*.json")),
)


def rule_cache_key(rules_dir: Path) -> str:
    """A hash of every rule file's name and bytes, monitor's and regex's versions, the
    Python version and the parsing code (size and modification time of each file)."""
    digest = hashlib.sha256()
    digest.update(f"{regex.__version__}|{sys.version}|".encode())
    digest.update(_VERSION_FILE.read_bytes())  # monitor's __version__
    for source in _PARSER_FILES:
        stat = source.stat()
        digest.update(f"|{source.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for rule_file in sorted(rules_dir.glob("*.yaml")):
        digest.update(f"|{rule_file.name}|".encode())
        digest.update(rule_file.read_bytes())
    return digest.hexdigest()


def _read_cached(cache_file: Path, key: str) -> RuleSet | None:
    try:
        with cache_file.open("rb") as handle:
            stored_key, rule_set = pickle.load(handle)
    except Exception:  # missing, truncated, from another version: rebuild it
        return None
    if stored_key != key or not isinstance(rule_set, RuleSet):
        return None
    return rule_set


def _write_cache(cache_file: Path, key: str, rule_set: RuleSet) -> None:
    """Write the cache next to the data it serves; a dry run never creates the data
    directory itself, only its `cache` folder when the data directory exists."""
    folder = cache_file.parent
    partial = folder / f".{cache_file.name}.{os.getpid()}.tmp"
    try:
        if not folder.parent.is_dir():
            return
        folder.mkdir(exist_ok=True)
        partial.write_bytes(pickle.dumps((key, rule_set), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, cache_file)  # readers see the old file or the new, never half
        for stale in folder.glob("rules-*.pickle"):
            if stale != cache_file:
                stale.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        partial.unlink(missing_ok=True)  # a read-only data dir: run without a cache


def check_rule_set(rules_dir: Path) -> list[str]:
    """Every problem in the rule files, one line each (file:line: message and fix)."""
    problems = [str(problem) for problem in check_rules(rules_dir)]
    try:
        load_claim_schema(rules_dir / CLAIMS_FILE)
    except RuleError as exc:
        # The first line is a summary ("rules are invalid (N problems):").
        problems.extend(str(exc).splitlines()[1:] or [str(exc)])
    return problems


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A claim already in the ledger, with its storage id and what it repeats."""

    claim_id: int
    claim: Claim
    article_id: int = 0
    corroborates_id: int | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the pure stages found in one article."""

    match: MatchResult
    claims: tuple[Claim, ...]
    # For each claim, the id of the ledger claim it repeats (a corroboration), or None.
    corroborates: tuple[int | None, ...]
    findings: tuple[Finding, ...]
    alerts: tuple[AlertDraft, ...]
    # The candidates this article first reports, with the names its claims give them.
    candidates: tuple[CandidateIncident, ...] = ()


def ledger_subjects(result: MatchResult, rules: Rules) -> set[str]:
    """The ledger subjects an article's claims can touch: its incidents and candidates
    (each has its own ledger) and their cities."""
    cities = {i.incident_id: city_slug(i.city) for i in rules.incidents}
    cities.update((c.incident_id, city_slug(c.city)) for c in result.new_candidates)
    subjects = set(result.incident_ids)
    subjects.update(f"city:{cities[i]}" for i in result.incident_ids if i in cities)
    return subjects


def _corroborated_ids(
    claims: Sequence[Claim], findings: Sequence[Finding], ledger: Sequence[LedgerEntry]
) -> tuple[int | None, ...]:
    id_of = {id(entry.claim): entry.claim_id for entry in ledger}
    repeated: dict[int, int] = {}
    for finding in findings:
        if finding.kind is FindingKind.CORROBORATION and finding.earlier:
            earlier_id = id_of.get(id(finding.earlier[-1]))
            if earlier_id is not None:
                repeated.setdefault(id(finding.claim), earlier_id)
    return tuple(repeated.get(id(claim)) for claim in claims)


def analyse_claims(
    document: Document,
    result: MatchResult,
    rule_set: RuleSet,
    ledger: Sequence[LedgerEntry],
    budget: AnalysisBudget | None = None,
) -> Analysis:
    """Claims, findings and alert drafts of a matched article against the ledger."""
    claims: list[Claim] = []
    if result.incident_ids:  # claims are filed under incidents: none, nothing to extract
        context = context_from_rules(rule_set.rules, result.incident_ids)
        context = with_candidate_cities(context, result)
        with spending(budget):
            claims = extract_claims(
                document, result.sentences, result.hits, rule_set.claims, context
            )
        claims = fitting_victims(claims, rule_set.rules)
    findings = compare_article(claims, [entry.claim for entry in ledger], rule_set.claims)
    return Analysis(
        match=result,
        claims=tuple(claims),
        corroborates=_corroborated_ids(claims, findings, ledger),
        findings=tuple(findings),
        alerts=tuple(draft_alerts(findings, result, document)),
        candidates=named_candidates(result.new_candidates, claims),
    )


_NAME_SLOTS = ("victim_name", "shooter_name")
_LIVING_CONDITIONS = frozenset({"alive", "non_life_threatening", "stable", "serious", "critical"})


def fitting_victims(claims: Sequence[Claim], rules: Rules) -> list[Claim]:
    """Claims an incident's declared victims allow (`victims:` in incidents.yaml).

    An editor who wrote `victims: {count: 1, outcome: killed}` knows no one survived
    that shooting: a wounded count, a living condition or more dead than it had are
    another shooting's facts read into its sentences (a recap beside a new shooting),
    not news about it. More wounded than a wounded-only incident had likewise.
    """
    declared = {i.incident_id: i for i in rules.incidents if i.outcome is not None}
    return [c for c in claims if c.subject not in declared or _fits(c, declared[c.subject])]


def _fits(claim: Claim, incident: IncidentRule) -> bool:
    count, value = incident.victim_count, claim.value
    if incident.outcome == "killed":
        if claim.slot == "wounded" and isinstance(value, int) and value > 0:
            return False
        if claim.slot == "victim_condition" and value in _LIVING_CONDITIONS:
            return False
    over = count is not None and isinstance(value, int) and value > count
    return not (over and claim.slot == incident.outcome)


def named_candidates(
    candidates: Sequence[CandidateIncident], claims: Sequence[Claim]
) -> tuple[CandidateIncident, ...]:
    """Each new candidate with the victim and shooter names its article states."""
    named = []
    for candidate in candidates:
        names = {
            str(c.value)
            for c in claims
            if c.subject == candidate.incident_id and c.slot in _NAME_SLOTS and not c.superseded
        }
        named.append(replace(candidate, names=tuple(sorted(names))))
    return tuple(named)


def match(
    document: Document,
    rule_set: RuleSet,
    budget: AnalysisBudget | None = None,
    candidates: Sequence[CandidateIncident] = (),
) -> MatchResult:
    """The first, ledger-free step: which incidents (tracked, or candidates known from
    earlier articles) and sentences the article is about, and the events it reports."""
    with spending(budget):
        return match_document(document, rule_set.rules, candidates)


def with_candidate_cities(context: ExtractionContext, result: MatchResult) -> ExtractionContext:
    """The extraction context, knowing the cities of the article's candidate incidents."""
    cities = dict(context.city_by_incident)
    for event in result.events:
        if event.incident_id and event.incident_id not in cities and event.city:
            cities[event.incident_id] = city_slug(event.city)
    for candidate in result.new_candidates:
        cities[candidate.incident_id] = city_slug(candidate.city)
    return replace(context, city_by_incident=cities, event_regions=event_regions(result))


def event_regions(result: MatchResult) -> tuple[tuple[int, int, str | None], ...]:
    """Where the event layer says a stretch of a sentence tells of another shooting: look-back
    clauses it tied to an older incident, and further shootings inside a clause."""
    labels = {s.index: s.incident_id for s in result.sentences}
    regions: list[tuple[int, int, str | None]] = [
        (r.start, r.end, r.incident_id) for r in result.recaps
    ]
    regions += [
        (m.start, m.end, m.incident_id)
        for m in result.events
        if m.secondary and m.incident_id != labels.get(m.sentence_index)
    ]
    return tuple(regions)


# How far back from the cap a paragraph break may end the analysed text.
_CUT_AT_PARAGRAPH_WITHIN = 2_000


def capped(document: Document, max_chars: int) -> Document:
    """The document with its text cut to `max_chars` (at a line break just before the cap
    when there is one): the rest is stored but not analysed, so one huge page costs no
    more than a long article."""
    if len(document.text) <= max_chars:
        return document
    cut = document.text.rfind("\n", max(0, max_chars - _CUT_AT_PARAGRAPH_WITHIN), max_chars)
    return replace(document, text=document.text[: cut if cut > 0 else max_chars])
