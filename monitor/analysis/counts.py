"""Counts of people as news states them: coordinated noun phrases and subsets.

"a man and a woman with gunshot wounds" is two people; "a man was shot and
wounded" in an article that says two people were shot is one of them, not the
total. claims.py reads one noun phrase per cue; this module widens it to the
coordinated phrase it belongs to, and settles, once the article is read,
whether a lone "a man" is a total or part of a larger group. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from monitor.analysis.claim_values import (
    AT_LEAST,
    COUNT_WORDS,
    COUNT_WORDS_WITH_ARTICLES,
    parse_count,
)
from monitor.analysis.roles import PEOPLE_NOUNS
from monitor.model import Sentence

if TYPE_CHECKING:
    from monitor.analysis.claims import Claim

# A qualifier claims.py gives a count read from one singular noun phrase ("a man")
# until the whole article is read; settle_singular_counts replaces it.
SINGULAR = "_singular"
_SINGULAR_WORDS = frozenset({"a", "an", "one", "a single", "a lone", "single"})
# Slots that count people shot: a lone "a man" may be one of a larger group.
_PEOPLE_SHOT_SLOTS = frozenset({"killed", "wounded"})

# One noun phrase of a list: "a man", "two teenagers", "his 12-year-old daughter".
_UNIT = (
    rf"\b(?:(?P<own>his|her|their)\s+(?:(?P<n>{COUNT_WORDS_WITH_ARTICLES})\s+)?"
    rf"|(?P<m>{COUNT_WORDS_WITH_ARTICLES})\s+)"
    rf"(?:(?!and\b)[\w'’-]+\s+){{0,3}}?(?:{PEOPLE_NOUNS})\b"
)
_UNIT_AT = re.compile(_UNIT, re.IGNORECASE)
_NEXT_UNIT = re.compile(rf"(?P<join>,\s+(?:and\s+)?|\s+and\s+){_UNIT}", re.IGNORECASE)
_UNIT_BEFORE = re.compile(rf"{_UNIT}(?P<join>,\s+(?:and\s+)?|\s+and\s+)$", re.IGNORECASE)
# A singular verb after a phrase: it is the subject of a clause of its own.
_SINGULAR_VERB = re.compile(r"\s+(?:was|is|has)\b", re.IGNORECASE)
# "two people were shot", "agents shot three men": how many were shot in all.
_GROUP_SHOT = (
    re.compile(
        rf"\b(?P<n>{COUNT_WORDS})\s+(?:(?:[\w'’-]+\s+){{0,3}}?(?:{PEOPLE_NOUNS})\s+)?"
        r"(?:were|have been|had been)\s+(?:\w+\s+)?shot\b(?!\s+at\b)",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\bshot\s+(?P<n>{COUNT_WORDS})\s+(?:[\w'’-]+\s+){{0,3}}?(?:{PEOPLE_NOUNS})\b",
        re.IGNORECASE,
    ),
)


def coordinated_count(clause: str, start: int, count: int) -> int:
    """The count of the list the noun phrase at clause[start:] belongs to.

    "shot a man and a woman" -> 2; "a man, a woman and a boy were wounded" -> 3.
    A list needs "and" before its last phrase; a phrase followed by "was" starts a
    clause of its own ("killed a man and a woman was wounded": one killed).
    """
    here = _UNIT_AT.match(clause, start)
    if here is None:
        return count
    total = count
    position = here.end()
    after: list[re.Match[str]] = []
    while (more := _NEXT_UNIT.match(clause, position)) is not None:
        after.append(more)
        position = more.end()
    if after and _SINGULAR_VERB.match(clause, position):
        after.pop()
    if after and count > 1 and "and" not in after[0].group("join"):
        after = []  # "two people, a man and a woman": the list restates the group
    if after and "and" in after[-1].group("join"):
        total += sum(_unit_count(m) or 0 for m in after)
        if any(_unit_count(m) is None for m in after):
            return count
    if not _SINGULAR_VERB.match(clause, here.end()):
        total += _count_before(clause[:start])
    return total


def _count_before(text: str) -> int:
    """People listed just before a phrase that closes a list ("a man and [a woman]")."""
    found = _UNIT_BEFORE.search(text[-160:])
    if found is None or "and" not in found.group("join"):
        return 0
    added = 0
    while found is not None:
        counted = _unit_count(found)
        if counted is None:
            return 0
        added += counted
        text = text[: len(text) - len(found.group())]
        found = _UNIT_BEFORE.search(text[-160:])
        if found is not None and "and" in found.group("join"):
            break  # "a man and a woman and ...": only one "and" per list
    return added


def _unit_count(unit: re.Match[str]) -> int | None:
    number = unit.group("n") or unit.group("m")
    if number:
        return parse_count(number)
    return 1 if unit.group("own") else None


def is_singular(raw: str) -> bool:
    """Whether a count word reads one person: "a", "an", "one"."""
    return " ".join(raw.lower().split()) in _SINGULAR_WORDS


def group_sizes(sentences: Sequence[Sentence]) -> dict[str | None, int]:
    """The largest number of people each incident's sentences say were shot."""
    sizes: dict[str | None, int] = {}
    for sentence in sentences:
        for pattern in _GROUP_SHOT:
            for found in pattern.finditer(sentence.text):
                size = parse_count(found.group("n")) or 0
                sizes[sentence.incident_id] = max(sizes.get(sentence.incident_id, 0), size)
    return sizes


def settle_singular_counts(claims: list[Claim], sizes: Mapping[str | None, int]) -> list[Claim]:
    """A lone "a man" is the total unless the article says more were shot.

    A larger count of the same slot makes it a subset (dropped: the larger count
    carries the news); a larger group of people shot makes it "at least one".
    """
    settled: list[Claim] = []
    for claim in claims:
        if claim.qualifier != SINGULAR:
            settled.append(claim)
            continue
        larger = any(
            other.slot == claim.slot
            and other.subject == claim.subject
            and isinstance(other.value, int)
            and other.value > 1
            for other in claims
        )
        if larger:
            continue
        in_group = claim.slot in _PEOPLE_SHOT_SLOTS and sizes.get(claim.incident_id, 0) > 1
        settled.append(replace(claim, qualifier=AT_LEAST if in_group else None))
    return settled
