"""Who states a claim, and how firmly: attribution and stance for claims.py.

Input: one clause of a sentence, the people the article names, the claim
rules. Output: the speaker ("DHS", "Jacob Frey", "witnesses", "PPB"; "" for
the outlet's own voice) and the stance of a value found in the clause. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from monitor.analysis.claim_schema import ClaimSchema
from monitor.analysis.claim_values import clean_name

ANAPHORIC = "<anaphoric>"
_CAPITALISED_RUN = re.compile(r"(?-i:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)")
_QUOTES = '"“”'
_SPAN_BREAK = re.compile(r"[,;:\"“”—(]")
_ACCORDING_TO = re.compile(r"\baccording to\s+(?:the\s+)+|\baccording to\s+", re.IGNORECASE)


class Stance(StrEnum):
    """How a clause states a value."""

    ASSERTS = "asserts"
    DENIES = "denies"
    DISPUTES = "disputes"
    HEDGES = "hedges"


@dataclass(frozen=True, slots=True)
class Mention:
    """A person or agency named in a sentence, with sentence-local offsets."""

    start: int
    end: int
    entity_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Attribution:
    """ "<speaker> said" found in a clause: where the verb is and who speaks."""

    position: int
    speaker: str


def find_attributions(
    clause: str, offset: int, mentions: list[Mention], schema: ClaimSchema, city: str | None
) -> list[Attribution]:
    """Every attribution in `clause` (which starts at `offset` in its sentence)."""
    found: list[Attribution] = []
    for verb in schema.say_verbs.finditer(clause):
        speaker = _passive_speaker(clause, verb.end(), offset, mentions, schema, city)
        span_start = _span_start(clause, verb.start())
        if not clause[span_start : verb.start()].strip():
            # "Vance weighed in Thursday, saying ...": the subject is before the comma.
            span_start = _span_start(clause, max(0, span_start - 1))
        speaker = speaker or _resolve(
            clause, span_start, verb.start(), offset, mentions, schema, city
        )
        if speaker:
            found.append(Attribution(verb.start(), speaker))
    for according in _ACCORDING_TO.finditer(clause):
        tail = clause[according.end() :]
        stop = _SPAN_BREAK.search(tail)
        end = according.end() + (stop.start() if stop else len(tail))
        speaker = _resolve(clause, according.end(), end, offset, mentions, schema, city)
        if speaker:
            found.append(Attribution(according.start(), speaker))
    return sorted(found, key=lambda a: a.position)


_PASSIVE_BY = re.compile(r"\s+by\s+(?:the\s+)?([^,.;]{1,60}?)(?=\s+as\b|[,.;]|$)", re.IGNORECASE)


def _passive_speaker(
    clause: str,
    verb_end: int,
    offset: int,
    mentions: list[Mention],
    schema: ClaimSchema,
    city: str | None,
) -> str | None:
    """ "characterized by federal authorities as ...": the speaker follows "by"."""
    found = _PASSIVE_BY.match(clause, verb_end)
    if found is None:
        return None
    return _resolve(clause, found.start(1), found.end(1), offset, mentions, schema, city)


def clause_subject(
    clause: str, offset: int, mentions: list[Mention], schema: ClaimSchema, city: str | None
) -> str | None:
    """Who a clause is about, read from its opening words ("Mayor Jacob Frey criticized ...")."""
    return _resolve(clause, 0, min(len(clause), 100), offset, mentions, schema, city)


def _span_start(clause: str, verb_start: int) -> int:
    """Where the subject of a verb can begin: after the last comma or quote, 80 chars back."""
    window_start = max(0, verb_start - 80)
    breaks = list(_SPAN_BREAK.finditer(clause, window_start, verb_start))
    return breaks[-1].end() if breaks else window_start


def _resolve(
    clause: str,
    start: int,
    end: int,
    offset: int,
    mentions: list[Mention],
    schema: ClaimSchema,
    city: str | None,
) -> str | None:
    """The speaker named in clause[start:end]: a person, else an agency, else a group."""
    span = clause[start:end]
    people = [m for m in mentions if start <= m.start - offset and m.end - offset <= end]
    if people:
        return people[-1].name
    agency = _last_agency(span, schema)
    if agency:
        return agency
    for run in reversed(_CAPITALISED_RUN.findall(span)):
        name = clean_name(run)
        if name is not None:
            return name
    group = _last_group(span, schema, city)
    if group:
        return group
    return ANAPHORIC if _ends_with_anaphor(span, schema) else None


def _ends_with_anaphor(span: str, schema: ClaimSchema) -> bool:
    """'..., the statement' or 'it': a pronoun-like subject right before the verb."""
    words = span.split()
    return any(
        schema.anaphora.fullmatch(" ".join(words[-n:])) for n in range(1, 4) if n <= len(words)
    )


def _last_agency(span: str, schema: ClaimSchema) -> str | None:
    best: tuple[int, str] | None = None
    for agency in schema.agencies:
        for alias in agency.aliases:
            flags = 0 if alias.isupper() else re.IGNORECASE
            for hit in re.finditer(rf"\b{re.escape(alias)}\b", span, flags):
                if best is None or hit.start() > best[0]:
                    best = (hit.start(), agency.agency)
    return None if best is None else best[1]


def _last_group(span: str, schema: ClaimSchema, city: str | None) -> str | None:
    # The group ending last is nearest the verb; of two ending together
    # ("local officials" / "officials") the longer, more specific one wins.
    best: tuple[int, int, str] | None = None
    for group, pattern in schema.groups:
        for hit in pattern.finditer(span):
            key = (hit.end(), -hit.start(), group)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is None:
        return None
    if best[2] == "police" and city is not None:
        return schema.police_by_city.get(city, f"police:{city}")
    return best[2]


# "It remains unclear whether agents were hurt" asks a question; it states no value,
# not even a hedged one.
_OPEN_QUESTION = re.compile(
    r"\b(?:unclear|not\s+clear|unknown|not\s+known"
    r"|(?:(?:did|would|could|will|does|do|has|have|had)\s+not|didn't|wouldn't|couldn't|won't"
    r"|doesn't|don't|hasn't|haven't|hadn't)\s+(?:(?:yet|previously|publicly|immediately)\s+)?"
    r"(?:say|said|confirm|confirmed|disclose|disclosed|indicate|indicated|reveal|revealed)"
    r"|(?:declined|refused)\s+to\s+(?:say|confirm|disclose)"
    r"|nor\s+[^.;]{1,60}?\s+would\s+(?:say|confirm|disclose)"
    r"|asked|wondered|wondering|investigating|to\s+determine|to\s+establish)"
    r"\s+(?:yet\s+)?(?:whether|if)\b",
    re.IGNORECASE,
)


# "...claimed one of them had died; reporters could not verify it": a clause that
# disowns the one before it, which then states its values only as hedged.
_DISOWNS_PREVIOUS = re.compile(
    r"^\W*(?:[\w'’.-]+\s+){0,4}?(?:(?:could|did|has|have|had|was|were)\s+not|couldn't|"
    r"didn't|hasn't|haven't|was\s+unable\s+to|were\s+unable\s+to)\s+(?:been\s+)?"
    r"(?:independently\s+)?(?:verify|verified|confirm|confirmed|corroborate|corroborated)"
    r"(?:\s+(?:it|them|that|this|those|these|the\s+(?:claims?|posts?|reports?|accounts?)))?\b"
    r"|^\W*(?:it|they|that|this|the\s+(?:claims?|posts?|reports?|accounts?))\s+"
    r"(?:could|can|has|have)\s+not\s+(?:be|been)\s+(?:independently\s+)?(?:verified|confirmed)",
    re.IGNORECASE,
)


def disowns_previous(clause: str) -> bool:
    """Whether `clause` says the clause before it could not be verified."""
    return _DISOWNS_PREVIOUS.search(clause) is not None


def is_open_question(clause: str, value_end: int) -> bool:
    """Whether the value ending at `value_end` is only asked about ("unclear whether ...")."""
    return _OPEN_QUESTION.search(clause[:value_end]) is not None


# "X is in critical condition, the lawyer said, disputing earlier official
# descriptions": the speaker disputes what others said by stating values of their
# own, which (before the phrase) are asserted. A value inside its object ("disputing
# the federal account of a shooting in self-defense") is still disputed.
_DISPUTES_OTHERS = re.compile(
    r"\b(?:disput(?:e|es|ed|ing)|contradict(?:s|ed|ing)?|challeng(?:e|es|ed|ing)|"
    r"reject(?:s|ed|ing)?)\s+(?:the\s+|an?\s+)?(?:earlier|previous|prior|initial|first|"
    r"official|federal|government|police)\b",
    re.IGNORECASE,
)


def stance_of(clause: str, value_end: int, schema: ClaimSchema) -> Stance:
    """The stance of a value ending at `value_end` in `clause`.

    A dispute word anywhere in the clause ("..., a claim the mayor called
    garbage") disputes it. Denials and hedges ("allegedly", "did not confirm")
    only count before the value ends: "killed after reportedly ramming" hedges
    the ramming, not the killing.
    """
    others = _DISPUTES_OTHERS.search(clause)
    if schema.disputes.search(clause) and not (others and value_end <= others.start()):
        return Stance.DISPUTES
    before = clause[:value_end]
    if schema.denies.search(before):
        return Stance.DENIES
    if schema.hedges.search(before):
        return Stance.HEDGES
    return Stance.ASSERTS


def quote_open_after(text: str, *, was_open: bool) -> bool:
    """Whether a quotation is still open after `text` (curly quotes say which way)."""
    is_open = was_open
    for char in text:
        if char == '"':
            is_open = not is_open
        elif char == "“":
            is_open = True
        elif char == "”":
            is_open = False
    return is_open


def starts_in_quote(text: str) -> bool:
    """True when a sentence begins with a quotation mark."""
    return text.lstrip()[:1] in _QUOTES
