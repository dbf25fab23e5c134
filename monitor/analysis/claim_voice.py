"""Who states a claim, and how firmly: attribution and stance for claims.py.

Input: one clause of a sentence, the people the article names, the claim
rules. Output: the speaker ("DHS", "Jacob Frey", "witnesses", "PPB"; "" for
the outlet's own voice) and the stance of a value found in the clause. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import regex

from monitor.analysis.claim_schema import ClaimSchema
from monitor.analysis.claim_values import clean_name
from monitor.analysis.patterns import SafePattern

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
    """Every attribution in `clause` (which starts at `offset` in its sentence).

    A verb of saying inside a quotation ("'He told me he fired,' Frey said") is the
    quoted person's, not the speaker's: when the clause has an attribution outside
    quotation marks, those inside do not count.
    """
    found: list[Attribution] = []
    city = _named_city(clause, schema) or city
    for verb in schema.say_verbs.finditer(clause):
        speaker = _passive_speaker(clause, verb.end(), offset, mentions, schema, city)
        speaker = speaker or _subject_speaker(clause, verb, offset, mentions, schema, city)
        if speaker:
            found.append(Attribution(verb.start(), speaker))
    for according in _ACCORDING_TO.finditer(clause):
        tail = clause[according.end() :]
        stop = _SPAN_BREAK.search(tail)
        end = according.end() + (stop.start() if stop else len(tail))
        # "according to the city": the article belongs to the name ("the city").
        named_from = according.start() + len("according to")
        speaker = _resolve(clause, named_from, end, offset, mentions, schema, city)
        if speaker:
            found.append(Attribution(according.start(), speaker))
    quoted = _quoted_spans(clause)
    outside = [f for f in found if not any(a < f.position < b for a, b in quoted)]
    return sorted(outside or found, key=lambda a: a.position)


def _named_city(clause: str, schema: ClaimSchema) -> str | None:
    """The one city with a known police force the clause names ("police in Portland")."""
    named = {
        city
        for city in schema.police_by_city
        if re.search(rf"(?<![\w.]){re.escape(city)}\b", clause, re.IGNORECASE)
    }
    return named.pop() if len(named) == 1 else None


def _subject_speaker(
    clause: str,
    verb: regex.Match[str],
    offset: int,
    mentions: list[Mention],
    schema: ClaimSchema,
    city: str | None,
) -> str | None:
    """Who a verb of saying has for its subject: before it, or after it when inverted."""
    span_start = _span_start(clause, verb.start())
    before = clause[span_start : verb.start()]
    if not before.strip():
        # '..., said Jane Roe, a spokeswoman': after a quotation or comma the speaker
        # may follow the verb.
        after = _SPAN_BREAK.search(clause, verb.end())
        after_end = len(clause) if after is None else after.start()
        inverted = _resolve(clause, verb.end(), after_end, offset, mentions, schema, city)
        if inverted and inverted != ANAPHORIC:
            return inverted
        # "Vance weighed in Thursday, saying ...": the subject is before the comma.
        span_start = _span_start(clause, max(0, span_start - 1))
    elif _NO_SUBJECT.fullmatch(before):
        # "DHS, which had initially said ...", "..., now says": the subject is the
        # stretch before.
        span_start = _span_start(clause, max(0, span_start - 1))
    return _resolve(clause, span_start, verb.start(), offset, mentions, schema, city)


# A stretch before a verb of saying that holds no subject of its own.
_NO_SUBJECT = re.compile(
    r"\s*(?:(?:which|who|that|and|now|later|also|since|then|initially|originally|first|"
    r"earlier|previously|itself|had|has|have|in\s+a\s+statement)\s*)*",
    re.IGNORECASE,
)


def _quoted_spans(clause: str) -> list[tuple[int, int]]:
    """(open, close) positions of the quotations a clause holds."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for position, char in enumerate(clause):
        if char == "“" or (char == '"' and opened is None):
            opened = position
        elif char in '"”' and opened is not None:
            spans.append((opened, position))
            opened = None
    return spans


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


def stance_of(
    clause: str,
    value_end: int,
    schema: ClaimSchema,
    *,
    value_start: int | None = None,
    slot: str | None = None,
) -> Stance:
    """The stance of a value spanning clause[value_start:value_end] of slot `slot`.

    A dispute targets the account (the slots of `anaphor_slots`: "..., a claim the
    mayor called garbage" disputes the self-defence wherever the word is), and any
    other value only when it names it: the value stands inside the dispute
    ("..., not two as officials said") or in the clause it governs ("disputed that
    she was 37"). So "which video disputed" after a recap, or "a lawsuit based on
    lies by an agent", disputes no name, age or agency. Denials and hedges govern
    their own predicate only: they must come before the value, and "two men who
    allegedly joined the attack were taken into custody" hedges the joining, not
    the custody. Without `slot` every slot counts as the account (the old reading).
    """
    start = value_end if value_start is None else value_start
    is_account = slot is None or slot in schema.anaphor_slots
    if _is_disputed(clause, start, value_end, schema, is_account=is_account):
        return Stance.DISPUTES
    if _governed(schema.denies, clause, value_end):
        return Stance.DENIES
    if _governed(schema.hedges, clause, value_end):
        return Stance.HEDGES
    return Stance.ASSERTS


def _is_disputed(
    clause: str, value_start: int, value_end: int, schema: ClaimSchema, *, is_account: bool
) -> bool:
    others = _DISPUTES_OTHERS.search(clause)
    if is_account:
        return bool(schema.disputes.search(clause)) and not (others and value_end <= others.start())
    for word in schema.disputes.finditer(clause):
        if word.start() <= value_start < word.end():
            return True  # ", not two as officials said": the value is the disputed one
        if value_end <= word.start() and _COUNTER.match(clause, word.start()):
            return True  # "three were wounded, not two as ...": a counter-claim to it
        if word.end() <= value_start and _names_its_object(clause[word.end() : value_start]):
            return True
    return False


# ", not two as officials said" after a value: the value is said against another.
_COUNTER = re.compile(r",\s+not\s+(?:[\w,.'’-]+\s+){1,4}?as\s+", re.IGNORECASE)

# Between a dispute word and the value it names: a complement ("that", "whether"),
# within one stretch of the clause.
_COMPLEMENT = re.compile(r"\b(?:that|whether)\b", re.IGNORECASE)
_STRETCH_BREAK = re.compile(r"[,;:()\u2014]|\s-\s|\s--\s")


def _names_its_object(gap: str) -> bool:
    """Whether the text between a dispute word and a value links them: 'disputed that'."""
    return (
        len(gap) <= 120
        and _STRETCH_BREAK.search(gap) is None
        and _COMPLEMENT.search(gap) is not None
    )


def _governed(words: SafePattern, clause: str, value_end: int) -> bool:
    """Whether a denial or hedge before the value governs the predicate that states it."""
    return any(
        word.start() < value_end <= scope_end(clause, word.start(), word.end())
        for word in words.finditer(clause[:value_end])
    )


# A hedge inside a relative clause ("who allegedly joined") ends where the main
# verb follows; a coordinated predicate ("... and were taken into custody") is a
# new predicate; a comma ends it, but for a sentence adverb ("Reportedly, ...").
_RELATIVE = re.compile(r"\b(?:who|whom|whose|which)\b", re.IGNORECASE)
_MAIN_VERB = re.compile(
    r"\s(?:is|are|was|were|remains?|remained|has been|have been|had been)\b", re.IGNORECASE
)
_NEW_PREDICATE = re.compile(
    r"[;\u2014]|\sand\s+(?=(?:is|are|was|were|has|have|had|later|then|also|remains?|remained)\b)"
    r"|,(?!\s*\d{1,3},)",
    re.IGNORECASE,
)
_OPENING_WORDS = re.compile(r"^\W*(?:(?:but|and|so|yet|however)\W+)?$", re.IGNORECASE)


def scope_end(clause: str, word_start: int, word_end: int) -> int:
    """Where the predicate governed by a hedge or denial at clause[word_start:word_end] ends."""
    if _OPENING_WORDS.match(clause[:word_start]):
        return len(clause)  # "Reportedly, two were hurt": a sentence adverb governs it all
    end = len(clause)
    stop = _NEW_PREDICATE.search(clause, word_end)
    if stop is not None:
        end = stop.start()
    relative = _last_relative(clause[:word_start])
    if relative is not None:
        verb = _MAIN_VERB.search(clause, word_end, end)
        if verb is not None:
            end = verb.start()
    return end


def _last_relative(before: str) -> re.Match[str] | None:
    """The relative pronoun opening the stretch a word stands in, if any."""
    found = None
    for candidate in _RELATIVE.finditer(before):
        found = candidate
    if found is None or _STRETCH_BREAK.search(before, found.end()) is not None:
        return None
    return found


# Where an earlier account's words end: a stretch break, or the new account ("now
# says", "later", "but"). A marker ending in "from" ends at "to" ("from two to three").
_EARLIER_ENDS = re.compile(
    r"[;:()\u2014]|,(?!\s*\d{1,3},)|\b(?:now|later|since|subsequently|instead|but|then)\b"
    r"|\bto\s+(?:say|show|state|reflect|read)\b",
    re.IGNORECASE,
)
_FROM_ENDS = re.compile(r"\bto\b", re.IGNORECASE)
_AS_EARLIER = re.compile(
    r"\bnot\s+(?P<old>(?:[\w,.'’-]+\s+){1,4}?)as\s+(?:[\w'’-]+\s+){0,2}?"
    r"(?:initially|originally|first|earlier|previously)\s+(?:said|stated|reported|claimed)",
    re.IGNORECASE,
)


def is_superseded(clause: str, value_start: int, value_end: int, schema: ClaimSchema) -> bool:
    """Whether clause[value_start:value_end] is an earlier, replaced account.

    "An earlier statement had said a single shot was fired", "DHS initially said",
    "revised the count from two to three" (the two), "three shots, not one as first
    reported" (the one): the speaker has since said otherwise, so the value is history.
    """
    for earlier in _AS_EARLIER.finditer(clause):
        if earlier.start("old") <= value_start < earlier.end("old"):
            return True
    for marker in schema.supersedes.finditer(clause[:value_end]):
        if marker.end() > value_end:
            continue
        ends = _FROM_ENDS if marker.group(0).lower().endswith("from") else _EARLIER_ENDS
        stop = ends.search(clause, marker.end())
        scope_end = len(clause) if stop is None else stop.start()
        if max(value_start, marker.start()) < scope_end and value_end <= scope_end:
            return True
    return False


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
