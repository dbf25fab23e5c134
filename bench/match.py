"""Benchmark: matching time per article with 10 vs 10,000 aliases.

Builds two Rules from the shipped rules/: one cut down to 10 aliases, one with
synthetic entities added until it holds 10,000 aliases (some case-sensitive, some
weak), then times `Matcher.match` over the five seed articles. Because all
aliases live in one Aho-Corasick automaton, the cost per article should barely
move: the ratio (large / small) should be at most 2. The last line printed is
a JSON object with the numbers.

Run from the repository root: .venv/bin/python bench/match.py
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.analysis.match import Matcher  # noqa: E402  (the path is set just above)
from monitor.analysis.rule_values import EntityRule, Rules  # noqa: E402
from monitor.analysis.rules import load_rules  # noqa: E402
from monitor.model import Document, EntityKind  # noqa: E402

SMALL_ALIASES = 10
LARGE_ALIASES = 10_000
ROUNDS = 5
PASSES_PER_ROUND = 20


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
            }
        )
    )


if __name__ == "__main__":
    main()
