"""Entity mentions in an article: one Aho-Corasick automaton, then disambiguation.

Every alias form of every entity (entities.yaml) is compiled once per Rules
into a single automaton over case-folded text, so finding the candidates costs
the article's length and its mentions, not the number of aliases. Each
candidate is then checked against its form: exact case, a context alias's
neighbouring words, a weak alias only after a full mention or a title, an
entity's `requires_entities` and `excluded_after`; of overlapping mentions the
longest, leftmost one stays. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import ahocorasick

from monitor.analysis.rule_values import STRAIGHTEN, EntityRule, normalise_alias
from monitor.model import EntityHit, EntityKind

# A place name followed by a street type names a street ("on Portland Avenue").
_STREET_AFTER = re.compile(
    r"\s+(?:Avenue|Ave\b\.?|Street|Road|Rd\b\.?|Boulevard|Blvd\b\.?|Drive|Lane"
    r"|Parkway|Pkwy\b\.?|Highway|Hwy\b\.?|Place|Terrace|Court|Way)\b"
)


def fold_case(text: str) -> str:
    """Lower-case `text` with straight apostrophes, keeping every offset in place."""
    lowered = text.translate(STRAIGHTEN).lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (e.g. 'İ') lower-case to two; keep those as they are.
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text.translate(STRAIGHTEN))


class _Mode(StrEnum):
    ANY_CASE = "any_case"
    EXACT = "exact"
    WEAK = "weak"
    CONTEXT = "context"


@dataclass(frozen=True, slots=True)
class _AliasSpec:
    entity_id: str
    alias: str
    exact: str
    mode: _Mode
    context_index: int = -1


@dataclass(frozen=True, slots=True)
class _Candidate:
    spec: _AliasSpec
    start: int
    end: int


class EntityFinder:
    """The entities' aliases compiled once per Rules; `find_hits` per article."""

    def __init__(self, entities: Sequence[EntityRule], titles: Iterable[str]) -> None:
        self.entities: dict[str, EntityRule] = {e.entity_id: e for e in entities}
        self.tags_of: dict[str, frozenset[str]] = {e.entity_id: frozenset(e.tags) for e in entities}
        self._titles = tuple(sorted({t.rstrip(".") for t in titles}, key=len, reverse=True))
        self._title_before = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, self._titles)) + r")\.?\s+$")
            if self._titles
            else None
        )
        self._automaton = self._build_automaton(entities)

    @staticmethod
    def _build_automaton(entities: Iterable[EntityRule]) -> ahocorasick.Automaton:
        table: dict[str, list[_AliasSpec]] = {}
        for entity in entities:
            for spec in _alias_specs(entity):
                table.setdefault(fold_case(spec.exact), []).append(spec)
        automaton = ahocorasick.Automaton()
        for key, specs in table.items():
            automaton.add_word(key, (len(key), tuple(specs)))
        if table:
            automaton.make_automaton()
        return automaton

    def find_hits(self, text: str, spans: Sequence[tuple[int, int]]) -> list[EntityHit]:
        """Every entity mention in `text`, disambiguated, with its sentence index."""
        folded = fold_case(text)
        straight = text.translate(STRAIGHTEN)
        candidates = [c for c in self._candidates(folded) if self._fits(c, text, straight)]
        chosen = _longest_leftmost(candidates)
        chosen = self._keep_weak(chosen, text)
        present = {c.spec.entity_id for c in chosen}
        chosen = [c for c in chosen if self._requirements_met(c.spec.entity_id, present)]
        starts = [s for s, _ in spans]
        return [
            EntityHit(
                c.spec.entity_id,
                text[c.start : c.end],
                c.start,
                c.end,
                _sentence_at(starts, c.start),
            )
            for c in chosen
        ]

    def _candidates(self, folded: str) -> Iterator[_Candidate]:
        if len(self._automaton) == 0:
            return
        for end_index, (length, specs) in self._automaton.iter(folded):
            start, end = end_index - length + 1, end_index + 1
            if not _is_word_bounded(folded, start, end):
                continue
            for spec in specs:
                yield _Candidate(spec, start, end)

    def _fits(self, candidate: _Candidate, text: str, straight: str) -> bool:
        """Checks that need only the text around one mention."""
        spec, start, end = candidate.spec, candidate.start, candidate.end
        if spec.mode is not _Mode.ANY_CASE and straight[start:end] != spec.exact:
            return False
        if spec.mode is _Mode.EXACT and spec.exact.isupper() and _is_shouting(text, start, end):
            return False
        entity = self.entities[spec.entity_id]
        if entity.excluded_after is not None and entity.excluded_after.search(text[end : end + 40]):
            return False
        if entity.kind is EntityKind.PLACE and _STREET_AFTER.match(text, end):
            return False  # "Portland Avenue", "Chicago Ave.": a street, not the city
        if spec.mode is _Mode.CONTEXT:
            context = entity.context_aliases[spec.context_index]
            after = context.after is not None and context.after.search(text[end : end + 60])
            before = context.before is not None and context.before.search(
                text[max(0, start - 60) : start]
            )
            return bool(after or before)
        return True

    def _keep_weak(self, chosen: list[_Candidate], text: str) -> list[_Candidate]:
        """A weak alias counts after a full mention of its entity, or after a title."""
        first_full: dict[str, int] = {}
        for c in chosen:
            if c.spec.mode is not _Mode.WEAK:
                first_full.setdefault(c.spec.entity_id, c.start)
        kept = []
        for c in chosen:
            if c.spec.mode is _Mode.WEAK:
                earlier = first_full.get(c.spec.entity_id, len(text)) < c.start
                titled = self._title_before is not None and bool(
                    self._title_before.search(text[max(0, c.start - 30) : c.start])
                )
                if not (earlier or titled):
                    continue
            kept.append(c)
        return kept

    def _requirements_met(self, entity_id: str, present: set[str]) -> bool:
        required = self.entities[entity_id].requires_entities
        return not required or any(r in present for r in required)


def _alias_specs(entity: EntityRule) -> Iterator[_AliasSpec]:
    for alias in entity.aliases:
        yield _AliasSpec(
            entity.entity_id, alias, normalise_alias(alias, case_sensitive=True), _Mode.ANY_CASE
        )
    for alias in entity.case_sensitive_aliases:
        yield _AliasSpec(
            entity.entity_id, alias, normalise_alias(alias, case_sensitive=True), _Mode.EXACT
        )
    for alias in entity.weak_aliases:
        yield _AliasSpec(
            entity.entity_id, alias, normalise_alias(alias, case_sensitive=True), _Mode.WEAK
        )
    for i, context in enumerate(entity.context_aliases):
        yield _AliasSpec(
            entity.entity_id,
            context.alias,
            normalise_alias(context.alias, case_sensitive=True),
            _Mode.CONTEXT,
            i,
        )


def _is_word_bounded(text: str, start: int, end: int) -> bool:
    """The mention is a whole word: no letter or digit glued to either side."""
    before_ok = start == 0 or not text[start - 1].isalnum() or not text[start].isalnum()
    after_ok = end >= len(text) or not text[end].isalnum() or not text[end - 1].isalnum()
    return before_ok and after_ok


def _is_shouting(text: str, start: int, end: int) -> bool:
    """An acronym inside an all-caps headline ("ICE STORM HITS") proves nothing."""
    around = text[max(0, start - 30) : start] + " " + text[end : end + 30]
    letters = [c for c in around if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.7


def _longest_leftmost(candidates: list[_Candidate]) -> list[_Candidate]:
    """Drop mentions inside a longer one ("Good" inside "Renee Good").

    Of two equal spans naming the same entity, a weak alias yields to any other
    form ("shot Good" read through a context alias), since weak ones may be dropped.
    """
    ordered = sorted(
        candidates, key=lambda c: (c.start, -(c.end - c.start), c.spec.mode is _Mode.WEAK)
    )
    chosen: list[_Candidate] = []
    reach = -1
    for c in ordered:
        if c.start >= reach:
            chosen.append(c)
            reach = c.end
        elif (c.start, c.end) == (chosen[-1].start, chosen[-1].end) and all(
            k.spec.entity_id != c.spec.entity_id for k in chosen if k.start == c.start
        ):
            chosen.append(c)  # the same words naming two entities: keep both
    return chosen


def _sentence_at(starts: Sequence[int], offset: int) -> int:
    """Index of the sentence containing `offset` (or the one just before it)."""
    low, high = 0, len(starts)
    while low < high:
        mid = (low + high) // 2
        if starts[mid] <= offset:
            low = mid + 1
        else:
            high = mid
    return max(0, low - 1)
