"""Sentence spans of an article's text: where each sentence starts and ends.

A line break always ends a sentence; inside a line a sentence ends at a final
mark followed by what starts a sentence, unless the period closes an
abbreviation ("Sen.", "U.S.", "Jan.") or an initial, or "a.m."/"p.m." runs on
("at 2 p.m. Thursday"). Linear in the text's length, even on one long
paragraph (`python -m bench.split` measures it). Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Words that end with a period without ending the sentence.
# fmt: off
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "lt", "col", "gen", "sgt", "capt",
    "cmdr", "det", "insp", "supt", "st", "mt", "ft", "jr", "sr", "vs", "no", "inc", "corp",
    "co", "ltd", "ave", "blvd", "rd", "u.s", "u.k", "u.n", "d.c", "e.g", "i.e",
    "ore", "minn", "calif", "wash", "ariz", "colo", "conn", "fla", "ill", "ind", "mass",
    "mich", "nev", "okla", "penn", "tenn", "tex", "wis",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})
# After "a.m."/"p.m." these words continue the sentence ("at 2 p.m. Thursday").
_TIME_FOLLOWERS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "et", "pt", "ct", "mt", "eastern", "pacific", "central", "mountain", "local",
})
# fmt: on
# Linear: it starts only at the first mark of a run (a run of 100,000 dots is one try,
# not 100,000) and never gives back what it took (possessive).
_BOUNDARY = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]?([A-Z0-9])")
# No abbreviation (with its opening quotes or brackets) is longer than this.
_LONGEST_ABBREVIATION = 16
_NEXT_WORD = re.compile(r"\s+[\"'“‘(\[]?(\w+)")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a line break always ends a sentence."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for cut in _cuts(text, line.start(), line.end()):
            spans.extend(_stripped(text, start, cut))
            start = cut
        spans.extend(_stripped(text, start, line.end()))
    return spans


def _cuts(text: str, line_start: int, line_end: int) -> Iterator[int]:
    for found in _BOUNDARY.finditer(text, line_start, line_end):
        following = _NEXT_STARTS_SENTENCE.match(text, found.end(), line_end)
        if following is None:
            continue
        if found.group().startswith(".") and _is_abbreviation(text, line_start, found):
            continue
        yield found.end()


def _is_abbreviation(text: str, line_start: int, period: re.Match[str]) -> bool:
    """True when the period closes an abbreviation or an initial, not a sentence."""
    word = _word_before(text, line_start, period.start())
    if word is None:
        return False
    word = word.lstrip("\"'“‘([").lower()
    if word in ("a.m", "p.m"):
        following = _NEXT_WORD.match(text, period.end())
        return following is not None and following.group(1).lower() in _TIME_FOLLOWERS
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _word_before(text: str, line_start: int, end: int) -> str | None:
    """The word ending at `end`, if short enough to be an abbreviation (None otherwise).

    Scans back at most _LONGEST_ABBREVIATION characters: a search from the line's
    start for every period made one long paragraph cost quadratic time.
    """
    start = end
    floor = max(line_start, end - _LONGEST_ABBREVIATION - 1)
    while start > floor and not text[start - 1].isspace():
        start -= 1
    if start == end or (start == floor and start > line_start and not text[start - 1].isspace()):
        return None
    return text[start:end]


def _stripped(text: str, start: int, end: int) -> list[tuple[int, int]]:
    segment = text[start:end]
    left = len(segment) - len(segment.lstrip())
    right = len(segment.rstrip())
    return [(start + left, start + right)] if right > left else []
