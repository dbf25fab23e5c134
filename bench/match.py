"""Benchmark: matching time per article with 10 vs 10,000 aliases, 3 vs 300 incidents.

Builds two Rules from the shipped rules/: one cut down to 10 aliases, one with
synthetic entities added until it holds 10,000 aliases (some case-sensitive, some
weak), then times `Matcher.match` over the five seed articles. Because all
aliases live in one Aho-Corasick automaton, the cost per article should barely
move: the ratio (large / small) should be at most 2.

Candidate incidents accumulate for months, so it also times the analysis of one
article (match, then claims against an empty ledger) with the three shipped
incidents and with 297 more in other cities and on other dates (some in
Minneapolis and Portland): half declared in a copy of incidents.yaml, half passed
as candidate incidents. `incidents_ratio` (300 / 3) should be at most 2.

The last line printed is a JSON object with the numbers.

Run from the repository root: .venv/bin/python bench/match.py
"""

from __future__ import annotations

import inspect
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.analysis import engine  # noqa: E402  (the path is set just above)
from monitor.analysis.engine import RuleSet, analyse_claims, load_rule_set  # noqa: E402
from monitor.analysis.match import Matcher, MatchResult  # noqa: E402
from monitor.analysis.rule_values import EntityRule, Rules  # noqa: E402
from monitor.analysis.rules import load_rules  # noqa: E402
from monitor.model import Document, EntityKind  # noqa: E402

SMALL_ALIASES = 10
LARGE_ALIASES = 10_000
ROUNDS = 5
PASSES_PER_ROUND = 20
EXTRA_INCIDENTS = 297
INCIDENT_PASSES_PER_ROUND = 4
# Cities of the synthetic incidents: the tracked ones (on other dates) and others.
CITIES = (
    "Minneapolis", "Portland, Oregon", "St. Paul", "Chicago", "Los Angeles", "Houston",
    "Phoenix", "Charlotte", "Newark", "Denver", "Atlanta", "San Diego", "El Paso",
    "Tucson", "Dallas", "Miami", "Seattle", "Boston", "Omaha", "Raleigh",
)  # fmt: skip
TRACKED_DATES = {date(2026, 1, 7), date(2026, 1, 8), date(2026, 1, 14)}


def seed_documents() -> list[Document]:
    """The five seed articles with their manifest publication times."""
    manifest = yaml.safe_load((ROOT / "seeds" / "manifest.yaml").read_text(encoding="utf-8"))
    documents = []
    for entry in manifest["documents"]:
        text = (ROOT / "seeds" / entry["file"]).read_text(encoding="utf-8")
        published = entry["published"]
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        documents.append(Document(entry["file"], "", text, entry["source"], published))
    return documents


def alias_count(rules: Rules) -> int:
    return sum(len(e.entity.aliases) for e in rules.entities)


def cut_to(rules: Rules, limit: int) -> Rules:
    """Keep entities, in file order, until `limit` aliases are reached."""
    kept: list[EntityRule] = []
    total = 0
    for entity in rules.entities:
        aliases = entity.aliases[: max(0, limit - total)]
        if not aliases:
            break
        kept.append(
            replace(
                entity,
                aliases=aliases,
                case_sensitive_aliases=(),
                weak_aliases=(),
                context_aliases=(),
                requires_entities=(),
            )
        )
        total += len(aliases)
    return replace(rules, entities=tuple(kept))


def synthetic_word(rng: random.Random) -> str:
    """A pronounceable word that does not occur in the seeds ("Velmorin")."""
    syllables = ["vel", "mor", "kan", "dri", "sol", "tep", "bru", "zan", "qui", "lom", "rax"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()


def grow_to(rules: Rules, target: int, rng: random.Random) -> Rules:
    """Add synthetic people and agencies until the rules hold `target` aliases."""
    entities = list(rules.entities)
    n = 0
    while sum(len(e.entity.aliases) for e in entities) < target:
        first, last = synthetic_word(rng), synthetic_word(rng)
        entities.append(
            EntityRule(
                entity_id=f"synthetic-{n}",
                kind=EntityKind.PERSON if n % 2 else EntityKind.AGENCY,
                name=f"{first} {last}",
                role="synthetic",
                aliases=(f"{first} {last}", f"{first} {last} Department"),
                case_sensitive_aliases=(f"{first[:3].upper()}{n}",),
                weak_aliases=(f"{last}{n}",),
            )
        )
        n += 1
    return replace(rules, entities=tuple(entities))


def time_per_article_ms(matcher: Matcher, documents: list[Document]) -> float:
    """Best-of-rounds mean time to match one article, in milliseconds."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(PASSES_PER_ROUND):
            for document in documents:
                matcher.match(document)
        elapsed = time.perf_counter() - started
        best = min(best, elapsed / (PASSES_PER_ROUND * len(documents)))
    return best * 1000


def synthetic_incidents(count: int) -> list[tuple[str, date]]:
    """(city, date) pairs, none on a tracked date, all in a window that holds the seeds."""
    days = [date(2025, 9, 20) + timedelta(days=n) for n in range(120)]
    days = [d for d in days if d not in TRACKED_DATES]
    pairs = [(CITIES[n % len(CITIES)], days[(n * 7) % len(days)]) for n in range(count)]
    assert len(set(pairs)) == count, "synthetic incidents must be distinct"
    return pairs


def incident_stanza(city: str, day: date) -> dict[str, Any]:
    """An incidents.yaml entry for a federal shooting in `city` on `day`."""
    name = city.split(",")[0]
    slug = "-".join(name.lower().replace(".", "").split())
    return {
        "incident_id": f"synthetic-{slug}-{day.isoformat()}",
        "title": f"Federal agent shoots a man in {name}",
        "date": day.isoformat(),
        "city": city,
        "window_days": 180,
        "condition": {
            "all": [
                {"tag": "federal-immigration"},
                {"term": rf"\b{name}\b"},
                {"term": r"\b(shot|shooting|fired|opened fire)\b"},
            ]
        },
        "cues": [{"term": rf"\b{name}\b", "weight": 2, "label": name}],
    }


def rule_set_with(stanzas: Sequence[dict[str, Any]], folder: Path) -> RuleSet:
    """The shipped rules with `stanzas` added to incidents.yaml, loaded from `folder`."""
    shutil.copytree(ROOT / "rules", folder, dirs_exist_ok=True)
    incidents_file = folder / "incidents.yaml"
    data = yaml.safe_load(incidents_file.read_text(encoding="utf-8"))
    data["incidents"].extend(stanzas)
    incidents_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_rule_set(folder)


def candidate_incidents(pairs: Sequence[tuple[str, date]]) -> tuple[Any, ...]:
    """Candidate incidents for `pairs`; none when the engine has no candidates yet."""
    try:
        from monitor.analysis.events import CandidateIncident, candidate_id
    except ImportError:
        return ()
    return tuple(
        CandidateIncident(
            incident_id=candidate_id(city, day),
            city=city,
            date=day,
            title=f"Federal agent shoots a man in {city}",
        )
        for city, day in pairs
    )


def takes_candidates() -> bool:
    return "candidates" in inspect.signature(engine.match).parameters


def analyse_once(rule_set: RuleSet, candidates: tuple[Any, ...]) -> Callable[[Document], object]:
    """One article's analysis as the pipeline runs it: match, then claims (empty ledger)."""
    matcher: Callable[..., MatchResult] = engine.match  # typed loosely: candidates are new

    def analyse(document: Document) -> object:
        if candidates:
            result = matcher(document, rule_set, candidates=candidates)
        else:
            result = matcher(document, rule_set)
        return analyse_claims(document, result, rule_set, [])

    return analyse


def analysis_ms(analyse: Callable[[Document], object], documents: list[Document]) -> float:
    """Best-of-rounds mean time to analyse one article, in milliseconds."""
    for document in documents:  # warm up: the matcher is compiled on first use
        analyse(document)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(INCIDENT_PASSES_PER_ROUND):
            for document in documents:
                analyse(document)
        elapsed = time.perf_counter() - started
        best = min(best, elapsed / (INCIDENT_PASSES_PER_ROUND * len(documents)))
    return best * 1000


def incidents_timing(documents: list[Document]) -> dict[str, Any]:
    """Analysis time per article with 3 incidents and with 300 (tracked and candidate)."""
    pairs = synthetic_incidents(EXTRA_INCIDENTS)
    as_candidates = candidate_incidents(pairs[len(pairs) // 2 :]) if takes_candidates() else ()
    as_tracked = pairs[: len(pairs) - len(as_candidates)]
    with tempfile.TemporaryDirectory(prefix="bench-match-") as folder:
        small = rule_set_with([], Path(folder) / "small")
        large = rule_set_with(
            [incident_stanza(c, d) for c, d in as_tracked], Path(folder) / "large"
        )
    small_ms = analysis_ms(analyse_once(small, ()), documents)
    large_ms = analysis_ms(analyse_once(large, as_candidates), documents)
    tracked = len(large.rules.incidents)
    return {
        "incidents_ratio": round(large_ms / small_ms, 3),
        "incidents_small": len(small.rules.incidents),
        "incidents_large": tracked + len(as_candidates),
        "incidents_large_tracked": tracked,
        "incidents_large_candidates": len(as_candidates),
        "ms_per_analysis_small": round(small_ms, 3),
        "ms_per_analysis_large": round(large_ms, 3),
    }


def main() -> None:
    shipped = load_rules(ROOT / "rules")
    documents = seed_documents()
    small = cut_to(shipped, SMALL_ALIASES)
    large = grow_to(small, LARGE_ALIASES, random.Random(7))

    started = time.perf_counter()
    large_matcher = Matcher(large)
    compile_ms = (time.perf_counter() - started) * 1000
    small_matcher = Matcher(small)
    for matcher in (small_matcher, large_matcher):  # warm up caches and regexes
        for document in documents:
            matcher.match(document)

    small_ms = time_per_article_ms(small_matcher, documents)
    large_ms = time_per_article_ms(large_matcher, documents)
    ratio = large_ms / small_ms
    print(f"aliases: {alias_count(small):>6}  per article: {small_ms:.3f} ms")
    print(
        f"aliases: {alias_count(large):>6}  per article: {large_ms:.3f} ms"
        f"  (compiled once in {compile_ms:.0f} ms)"
    )
    print(f"ratio {ratio:.2f} (target at most 2)")
    incidents = incidents_timing(documents)
    print(
        f"incidents: {incidents['incidents_small']:>6}  per analysis: "
        f"{incidents['ms_per_analysis_small']:.3f} ms"
    )
    print(
        f"incidents: {incidents['incidents_large']:>6}  per analysis: "
        f"{incidents['ms_per_analysis_large']:.3f} ms  "
        f"({incidents['incidents_large_tracked']} tracked, "
        f"{incidents['incidents_large_candidates']} candidates)"
    )
    print(f"incidents_ratio {incidents['incidents_ratio']:.2f} (target at most 2)")
    print(
        json.dumps(
            {
                "ratio": round(ratio, 3),
                "aliases_small": alias_count(small),
                "aliases_large": alias_count(large),
                "ms_per_article_small": round(small_ms, 3),
                "ms_per_article_large": round(large_ms, 3),
                "compile_ms_large": round(compile_ms, 1),
                "articles": len(documents),
                **incidents,
            }
        )
    )


if __name__ == "__main__":
    main()
