"""Match an article against the rules: entities, incidents, sentence attribution.

Input: a `Document` and validated `Rules`. Output: a `MatchResult` naming the
incidents the article is about (with a score and evidence), whether it looks
like a new incident (the watch rule fits but no known incident does), every
entity mention, and each sentence with the incident it speaks of.

Pure: no I/O, no clock. All aliases are compiled once per Rules into a single
Aho-Corasick automaton, so the cost per article depends on the article's length
and its mentions, not on how many aliases the rules define.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import ahocorasick

from monitor.analysis.patterns import check_budget
from monitor.analysis.rules import (
    AllCondition,
    AnyCondition,
    Condition,
    Cue,
    EntityCondition,
    EntityRule,
    IncidentRule,
    NoneCondition,
    Rules,
    TagCondition,
    TermCondition,
    iter_conditions,
    normalise_alias,
)
from monitor.model import Document, EntityHit, EntityKind, Sentence

log = logging.getLogger(__name__)

# Weights the matcher adds on top of the cues in incidents.yaml (documented there).
DATE_WEIGHT = 3.0
LOOKBACK_WEIGHT = 2.0


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a sentence counts for an incident: what matched, where, and its weight."""

    sentence_index: int
    start: int
    end: int
    matched: str
    weight: float
    reason: str
    entity_id: str | None = None


@dataclass(frozen=True, slots=True)
class Recap:
    """A look-back clause inside a sentence ("..., a week after an agent killed X").

    The sentence itself goes to its main clause's incident; the clause from
    `start` to `end` (offsets into `MatchResult.text`) recalls the older
    `incident_id`, so its facts belong there.
    """

    sentence_index: int
    start: int
    end: int
    incident_id: str


@dataclass(frozen=True, slots=True)
class IncidentMatch:
    """One incident an article is about.

    `score` is the share (0..1) of the article's sentences attributed to the
    incident, so the article's main subject comes first; `weight` sums the
    evidence found for it.
    """

    incident_id: str
    score: float
    weight: float
    sentence_indexes: tuple[int, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Everything matching found in one article; offsets index `text`."""

    url: str
    text: str
    incidents: tuple[IncidentMatch, ...]
    new_incident: bool
    watch_evidence: tuple[Evidence, ...]
    hits: tuple[EntityHit, ...]
    sentences: tuple[Sentence, ...]
    # Sentences with cues for more than one incident ("shot a man in the leg, a week
    # after an agent killed a woman"): claim extraction should treat them with care.
    mixed_sentences: tuple[int, ...] = ()
    # Look-back clauses scored apart from their sentence's main clause.
    recaps: tuple[Recap, ...] = ()

    @property
    def incident_ids(self) -> tuple[str, ...]:
        """The ids of the matched incidents, best first."""
        return tuple(m.incident_id for m in self.incidents)

    def sentences_of(self, incident_id: str) -> tuple[Sentence, ...]:
        """The sentences attributed to one incident."""
        return tuple(s for s in self.sentences if s.incident_id == incident_id)

    def recap_of(self, sentence_index: int) -> Recap | None:
        """The look-back clause of one sentence, if it has one tied to an older incident."""
        return next((r for r in self.recaps if r.sentence_index == sentence_index), None)


def analysed_text(document: Document) -> str:
    """The text matching works on: the title (if any) as a first paragraph, then the body.

    Plain-text articles keep their headline as the body's first line; it is not
    repeated, or every claim in a headline would be read twice.
    """
    title = document.title.strip()
    if not title or document.text.lstrip().startswith(title):
        return document.text
    return f"{title}\n\n{document.text}"


# -------------------------------------------------------------------------- text folding

_FOLD = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "\u00a0": " "})


def fold_case(text: str) -> str:
    """Lower-case `text` with straight apostrophes, keeping every offset in place."""
    lowered = text.translate(_FOLD).lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (e.g. 'İ') lower-case to two; keep those as they are.
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text.translate(_FOLD))


# ---------------------------------------------------------------------- sentence splitting

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


# ------------------------------------------------------------------------- the matcher


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


class Matcher:
    """Rules compiled for matching: build once per Rules, then call `match` per article."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.entities: dict[str, EntityRule] = {e.entity_id: e for e in rules.entities}
        self.tags_of: dict[str, frozenset[str]] = {
            e.entity_id: frozenset(e.tags) for e in rules.entities
        }
        self._titles = tuple(sorted({t.rstrip(".") for t in rules.titles}, key=len, reverse=True))
        self._title_before = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, self._titles)) + r")\.?\s+$")
            if self._titles
            else None
        )
        self._automaton = self._build_automaton(rules.entities)
        self.place_refs: dict[str, _PlaceRefs] = {
            i.incident_id: _place_refs(i) for i in rules.incidents
        }
        self.other_cities: dict[str, re.Pattern[str] | None] = {
            i.incident_id: _other_cities(i, rules.incidents) for i in rules.incidents
        }
        # The people an incident's condition names (its victim, its shooter).
        self.condition_people: dict[str, frozenset[str]] = {
            i.incident_id: frozenset(
                c.entity
                for c in iter_conditions(i.condition, asked_for=True)
                if isinstance(c, EntityCondition)
                and c.entity in self.entities
                and self.entities[c.entity].kind is EntityKind.PERSON
            )
            for i in rules.incidents
        }

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

    def match(self, document: Document) -> MatchResult:
        """Match one article; never raises on messy text."""
        text = analysed_text(document)
        spans = split_sentences(text)
        hits = self.find_hits(text, spans)
        return _Attribution(self, document, text, spans, hits).result()

    # ---------------------------------------------------------------- entity hits

    def find_hits(self, text: str, spans: Sequence[tuple[int, int]]) -> list[EntityHit]:
        """Every entity mention in `text`, disambiguated, with its sentence index."""
        folded = fold_case(text)
        straight = text.translate(_FOLD)
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


@dataclass(frozen=True, slots=True)
class _PlaceRefs:
    """The entities and tags an incident's condition and cues refer to."""

    entity_ids: frozenset[str]
    tags: frozenset[str]


def _place_refs(incident: IncidentRule) -> _PlaceRefs:
    # Only what the condition asks for: a place under `none:` (Portland, Maine) is
    # one the incident rules out, not one of its own.
    conditions = list(iter_conditions(incident.condition, asked_for=True))
    entity_ids = {c.entity for c in conditions if isinstance(c, EntityCondition)}
    entity_ids |= {c.entity for c in incident.cues if c.entity is not None}
    tags = {c.tag for c in conditions if isinstance(c, TagCondition)}
    tags |= {c.tag for c in incident.cues if c.tag is not None}
    return _PlaceRefs(frozenset(entity_ids), frozenset(tags))


def _city_name(incident: IncidentRule) -> str:
    return incident.city.split(",")[0].strip()


def _other_cities(
    incident: IncidentRule, incidents: Sequence[IncidentRule]
) -> re.Pattern[str] | None:
    """The names of the other incidents' cities, as one pattern (None: there are none)."""
    own = _city_name(incident).lower()
    names = sorted({_city_name(i) for i in incidents if _city_name(i).lower() != own})
    if not names:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)


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


# --------------------------------------------------------------------- dates in text

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTH_DAY = re.compile(_MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b")
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b")
# Relative days, as (earliest, latest) days before publication.
_RELATIVE_DAYS: tuple[tuple[re.Pattern[str], int, int], ...] = (
    (re.compile(r"\byesterday\b", re.IGNORECASE), 2, 1),
    (re.compile(r"\b(today|tonight|this (morning|afternoon|evening))\b", re.IGNORECASE), 1, 0),
    (re.compile(r"\blast week\b", re.IGNORECASE), 11, 4),
    (re.compile(r"\ba week (ago|earlier|before|after)\b", re.IGNORECASE), 9, 5),
)
_LOOKBACK = re.compile(
    r"\b((a|one|the) (day|week) (earlier|before|after|ago|prior)|last week|"
    r"earlier this (week|month)|previous(ly)?|since)\b",
    re.IGNORECASE,
)
# Dates and look-backs count only in sentences about an event, not "Tensions remained
# high Thursday".
_EVENT_WORDS = re.compile(
    r"\b(shot|shoots?|shooting|fired|killed|killing|wounded|death|incident|attack(ed)?)\b",
    re.IGNORECASE,
)
# A look-back clause: after a main clause, words turning to an earlier event
# ("..., a week after an agent killed X", "since an agent shot ...", "following the
# fatal shooting of ..."). A sentence opening with a look-back ("A day earlier, an
# agent killed ...") is all look-back and is scored whole.
_RECAP_OPENER = re.compile(
    r"\b((a|one|two|three|several|\d+) (days?|weeks?) (after|since)|(days|weeks) after|since"
    r"|following (the|a|an)|in the wake of"
    r"|after (the|a|an) (\w+\s+){0,3}?(shooting|killing|death))\b",
    re.IGNORECASE,
)
_MIN_MAIN_CLAUSE_WORDS = 3
# "the shooting", "Wednesday's shooting", "the Portland shooting": an event the reader
# is taken to know already.
_DEFINITE_SHOOTING = re.compile(
    r"\b(the|that|this|\w+day['’]s)\s+(\w+\s+)?(shooting|killing)\b", re.IGNORECASE
)
# "DENVER —", "ST. PAUL, Minn. (AP) —", "MINNEAPOLIS, Jan 15 (Reuters) -": where the
# story was filed. Claim cues use it too, as the {DATELINE} placeholder.
DATELINE_PATTERN = (
    r"(?-i:[A-Z][A-Z.'’ -]{2,})(?:,\s*[A-Z][\w.]*(?:\s+\d{1,2})?)?"
    r"(?:\s*\([^)\n]{1,20}\))?\s*[—–-]"
)
# At the start of the body (after the headline, if there is one).
_DATELINE = re.compile(rf"^[ \t]*{DATELINE_PATTERN}", re.MULTILINE)
# How far into the text a dateline may start: past a headline, not into the story.
_DATELINE_REACH = 400


def find_dateline(text: str) -> re.Match[str] | None:
    """The dateline opening the article's body, if it has one."""
    return _DATELINE.search(text, 0, _DATELINE_REACH)


def find_recap(sentence: str) -> int | None:
    """Where a look-back clause starts in `sentence` (None: none after a main clause)."""
    for m in _RECAP_OPENER.finditer(sentence):
        if len(sentence[: m.start()].split()) >= _MIN_MAIN_CLAUSE_WORDS:
            return m.start()
    return None


@dataclass(frozen=True, slots=True)
class _DateMention:
    start: int
    end: int
    words: str
    earliest: date | None
    latest: date | None
    month_day: tuple[int, int] | None = None

    @property
    def is_one_day(self) -> bool:
        """True for a single day ("Wednesday", "Jan. 7"), not a range ("last week")."""
        return self.month_day is not None or (
            self.earliest is not None and self.earliest == self.latest
        )

    def covers(self, when: date) -> bool:
        if self.month_day is not None:
            return (when.month, when.day) == self.month_day
        return (
            self.earliest is not None
            and self.latest is not None
            and (self.earliest <= when <= self.latest)
        )

    def describe(self) -> str:
        if self.earliest is not None and self.earliest == self.latest:
            return f"{self.words!r} resolves to {self.earliest.isoformat()}"
        if self.month_day is not None:
            return f"{self.words!r} is {self.month_day[0]:02d}-{self.month_day[1]:02d}"
        return f"{self.words!r} covers {self.earliest} to {self.latest}"


def find_dates(sentence: str, offset: int, published: date | None) -> list[_DateMention]:
    """Date expressions in one sentence, resolved against the publication date."""
    found: list[_DateMention] = []
    for m in _MONTH_DAY.finditer(sentence):
        month, day = _MONTHS[m.group(1)[:3].lower()], int(m.group(2))
        found.extend(_calendar(m, month, day, offset, published))
    for m in _DAY_MONTH.finditer(sentence):
        month, day = _MONTHS[m.group(2)[:3].lower()], int(m.group(1))
        found.extend(_calendar(m, month, day, offset, published))
    if published is None:
        return found
    for m in _WEEKDAY.finditer(sentence):
        back = (published.weekday() - _WEEKDAYS.index(m.group(1))) % 7
        weekday = published - timedelta(days=back)
        found.append(
            _DateMention(offset + m.start(), offset + m.end(), m.group(), weekday, weekday)
        )
    for pattern, earliest, latest in _RELATIVE_DAYS:
        for m in pattern.finditer(sentence):
            found.append(
                _DateMention(
                    offset + m.start(),
                    offset + m.end(),
                    m.group(),
                    published - timedelta(days=earliest),
                    published - timedelta(days=latest),
                )
            )
    return found


def _calendar(
    m: re.Match[str], month: int, day: int, offset: int, published: date | None
) -> list[_DateMention]:
    """A month-day date; with a publication date, in the latest year not after it."""
    if published is not None:
        for year in (published.year, published.year - 1):
            try:
                when = date(year, month, day)
            except ValueError:
                return []  # "February 30": not a date, so no evidence
            if when <= published + timedelta(days=1):
                return [_DateMention(offset + m.start(), offset + m.end(), m.group(), when, when)]
        return []
    if not 1 <= day <= 31:
        return []
    return [_DateMention(offset + m.start(), offset + m.end(), m.group(), None, None, (month, day))]


# -------------------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a condition is evaluated over: some text and the entities mentioned in it."""

    text: str
    entity_ids: frozenset[str]
    tags: frozenset[str]


def holds(condition: Condition, scope: _Scope) -> bool:
    """Evaluate a rule condition over a text scope."""
    if isinstance(condition, EntityCondition):
        return condition.entity in scope.entity_ids
    if isinstance(condition, TagCondition):
        return condition.tag in scope.tags
    if isinstance(condition, TermCondition):
        return condition.pattern.search(scope.text) is not None
    if isinstance(condition, AllCondition):
        return all(holds(c, scope) for c in condition.all)
    if isinstance(condition, AnyCondition):
        return any(holds(c, scope) for c in condition.any)
    if isinstance(condition, NoneCondition):
        return not any(holds(c, scope) for c in condition.none)
    raise AssertionError(f"unknown condition {condition!r}")  # rules.py builds no other kind


# ------------------------------------------------------------------------- attribution


@dataclass(frozen=True, slots=True)
class _Score:
    incident_id: str
    total: float
    evidence: tuple[Evidence, ...]


@dataclass(slots=True)
class _Attributed:
    """Sentence attribution as it is built: labels, winning scores, mixes, recaps."""

    labels: list[str | None] = field(default_factory=list)
    winners: dict[int, _Score] = field(default_factory=dict)
    mixed: list[int] = field(default_factory=list)
    recaps: dict[int, tuple[Recap, _Score]] = field(default_factory=dict)


class _Attribution:
    """Attributes the sentences of one article to its candidate incidents."""

    def __init__(
        self,
        matcher: Matcher,
        document: Document,
        text: str,
        spans: Sequence[tuple[int, int]],
        hits: list[EntityHit],
    ) -> None:
        self.matcher = matcher
        self.document = document
        self.text = text
        self.spans = spans
        self.hits = hits
        self.dateline = find_dateline(text)
        self.published = None if document.published_at is None else document.published_at.date()
        self.hits_by_sentence: dict[int, list[EntityHit]] = {}
        for hit in hits:
            self.hits_by_sentence.setdefault(hit.sentence_index, []).append(hit)

    def scope(self, hits: Iterable[EntityHit], text: str) -> _Scope:
        ids = frozenset(h.entity_id for h in hits)
        tags = frozenset(t for i in ids for t in self.matcher.tags_of.get(i, ()))
        return _Scope(text, ids, tags)

    def result(self) -> MatchResult:
        candidates = self.candidates()
        found = self.attribute(candidates)
        incidents = self.incident_matches(candidates, found)
        unattributed = {i for i, label in enumerate(found.labels) if label is None}
        watch_evidence = self.watch_evidence(unattributed)
        sentences = tuple(
            Sentence(i, self.text[s:e], s, e, found.labels[i])
            for i, (s, e) in enumerate(self.spans)
        )
        return MatchResult(
            url=self.document.url,
            text=self.text,
            incidents=incidents,
            new_incident=bool(watch_evidence),
            watch_evidence=watch_evidence,
            hits=tuple(self.hits),
            sentences=sentences,
            mixed_sentences=tuple(found.mixed),
            recaps=tuple(r for r, _ in found.recaps.values()),
        )

    def candidates(self) -> list[IncidentRule]:
        """Incidents in their date window whose condition fits the article or that anchor it."""
        whole = self.scope(self.hits, self.text)
        return [
            incident
            for incident in self.matcher.rules.incidents
            if self.in_window(incident)
            and (holds(incident.condition, whole) or self.is_anchored(incident))
            and not self.filed_elsewhere(incident)
        ]

    def in_window(self, incident: IncidentRule) -> bool:
        if self.published is None:
            return True
        first = incident.date - timedelta(days=1)
        return first <= self.published <= incident.date + timedelta(days=incident.window_days)

    def is_anchored(self, incident: IncidentRule) -> bool:
        """A short follow-up dated to the incident's day, with its cues, naming no other place.

        "The man shot by an ICE officer on Wednesday remains in critical condition"
        names no city, so no condition holds; published two days after a Wednesday
        incident and describing its victim, it is about that incident. The dated
        sentence must also fit the watch rule (agents and gunfire) or refer to the
        shooting as known ("Wednesday's shooting"), so a fresh local shooting on the
        same day is not taken in.
        """
        if self.published is None or not self.places_fit(incident):
            return False
        watch = self.matcher.rules.watch
        for index, (start, end) in enumerate(self.spans):
            sentence = self.text[start:end]
            if not _EVENT_WORDS.search(sentence):
                continue
            hits = self.hits_by_sentence.get(index, [])
            fits_watch = watch is not None and holds(watch.condition, self.scope(hits, sentence))
            if not (fits_watch or _DEFINITE_SHOOTING.search(sentence)):
                continue
            dates = find_dates(sentence, start, self.published)
            if not any(m.is_one_day and m.covers(incident.date) for m in dates):
                continue
            if any(self.cue_evidence(cue, index, start, end, hits) for cue in incident.cues):
                return True
        return False

    def is_own_place(self, hit: EntityHit, incident: IncidentRule) -> bool:
        refs = self.matcher.place_refs[incident.incident_id]
        tags = self.matcher.tags_of.get(hit.entity_id, frozenset())
        return hit.entity_id in refs.entity_ids or bool(tags & refs.tags)

    def filed_elsewhere(self, incident: IncidentRule) -> bool:
        """Filed from a place no tracked incident is in ("DENVER —" on a story that mentions
        Minneapolis only in passing), and naming none of the people the incident's
        condition names: the story is about a shooting elsewhere.

        A story filed from another tracked city ("PORTLAND, Ore. — ..., a day after an
        officer killed a driver in Minnesota") still speaks of both incidents.
        """
        dateline = self.dateline
        if dateline is None:
            return False
        places = [
            hit
            for hit in self.hits
            if dateline.start() <= hit.start < dateline.end()
            and self.matcher.entities[hit.entity_id].kind is EntityKind.PLACE
        ]
        tracked = self.matcher.rules.incidents
        if not places or any(self.is_own_place(h, i) for h in places for i in tracked):
            return False
        people = self.matcher.condition_people[incident.incident_id]
        return not any(hit.entity_id in people for hit in self.hits)

    def places_fit(self, incident: IncidentRule) -> bool:
        """No place named but the incident's own: no other city, state or dateline."""
        others = self.matcher.other_cities[incident.incident_id]
        if others is not None and others.search(self.text):
            return False
        own_places = []
        for hit in self.hits:
            if self.matcher.entities[hit.entity_id].kind is not EntityKind.PLACE:
                continue
            if not self.is_own_place(hit, incident):
                return False
            own_places.append(hit)
        dateline = self.dateline
        return dateline is None or any(
            dateline.start() <= h.start < dateline.end() for h in own_places
        )

    def attribute(self, candidates: Sequence[IncidentRule]) -> _Attributed:
        """Each sentence's incident: best cue score of its main clause, else the previous one's.

        A look-back clause after the main clause ("..., a week after an agent
        killed X") is scored on its own; when it recalls an older incident it
        becomes a Recap, and the sentence keeps its main clause's incident. A
        main clause with no evidence and no event of its own ("Tensions have
        risen since ...") gives the whole sentence to the recalled incident.
        """
        found = _Attributed()
        newest = max((c.date for c in candidates), default=None)
        for index, (start, end) in enumerate(self.spans):
            check_budget(f"attributing sentence {index}")
            cut = find_recap(self.text[start:end])
            main_end = end if cut is None else start + cut
            scores = [self.score(c, index, start, main_end, newest) for c in candidates]
            best = _best(scores, candidates)
            if best is not None and _is_mixed(best, scores):
                found.mixed.append(index)
            if best is None:
                found.labels.append(found.labels[-1] if found.labels else None)
            else:
                found.labels.append(best.incident_id)
                found.winners[index] = best
            if cut is not None:
                recap = self.recap(candidates, index, main_end, end, found.labels[-1], newest)
                if (
                    recap is not None
                    and best is None
                    and not _EVENT_WORDS.search(self.text, start, main_end)
                ):
                    # The main clause names no event of its own ("Tensions have risen
                    # since ..."), unlike "The shooting came a week after ...": the
                    # sentence is a recap, wholly the older incident's.
                    found.labels[-1] = recap[0].incident_id
                    found.winners[index] = recap[1]
                elif recap is not None:
                    found.recaps[index] = recap
                    if index not in found.mixed:
                        found.mixed.append(index)
        return found

    def recap(
        self,
        candidates: Sequence[IncidentRule],
        index: int,
        start: int,
        end: int,
        own: str | None,
        newest: date | None,
    ) -> tuple[Recap, _Score] | None:
        """The older incident a look-back clause recalls (None: its own, or unclear)."""
        opener = _RECAP_OPENER.match(self.text, start)
        scores = [self.score(c, index, start, end, newest, opener) for c in candidates]
        best = _best(scores, candidates)
        if best is None or best.incident_id == own:
            return None
        dates = {c.incident_id: c.date for c in candidates}
        if own is not None and dates[best.incident_id] >= dates[own]:
            return None
        return Recap(index, start, end, best.incident_id), best

    def score(
        self,
        incident: IncidentRule,
        index: int,
        start: int,
        end: int,
        newest: date | None,
        lookback: re.Match[str] | None = None,
    ) -> _Score:
        """Cue, date and look-back evidence for `incident` in text[start:end]."""
        sentence = self.text[start:end]
        hits = [h for h in self.hits_by_sentence.get(index, []) if start <= h.start < end]
        evidence = [
            e for cue in incident.cues for e in self.cue_evidence(cue, index, start, end, hits)
        ]
        if evidence or _EVENT_WORDS.search(sentence):
            evidence.extend(self.date_evidence(incident, index, start, sentence))
            m = lookback or _LOOKBACK.search(self.text, start, end)
            if incident.date != newest and m is not None:
                evidence.append(
                    Evidence(
                        index,
                        m.start(),
                        m.end(),
                        m.group(),
                        LOOKBACK_WEIGHT,
                        f"{m.group()!r} looks back to an earlier incident",
                    )
                )
        return _Score(incident.incident_id, sum(e.weight for e in evidence), tuple(evidence))

    def cue_evidence(
        self, cue: Cue, index: int, start: int, end: int, hits: Sequence[EntityHit]
    ) -> list[Evidence]:
        """The first place a cue is found in text[start:end] (a cue counts once there)."""
        if cue.term is not None:
            m = cue.term.search(self.text, start, end)
            if m is None:
                return []
            return [
                Evidence(
                    index, m.start(), m.end(), m.group(), cue.weight, f"{cue.label}: {m.group()!r}"
                )
            ]
        for hit in hits:
            tags = self.matcher.tags_of.get(hit.entity_id, frozenset())
            if hit.entity_id == cue.entity or (cue.tag is not None and cue.tag in tags):
                return [
                    Evidence(
                        index,
                        hit.start,
                        hit.end,
                        hit.alias,
                        cue.weight,
                        f"{cue.label}: {hit.alias!r}",
                        hit.entity_id,
                    )
                ]
        return []

    def date_evidence(
        self, incident: IncidentRule, index: int, start: int, sentence: str
    ) -> list[Evidence]:
        for mention in find_dates(sentence, start, self.published):
            if mention.covers(incident.date):
                reason = f"{mention.describe()}, the incident date"
                return [
                    Evidence(index, mention.start, mention.end, mention.words, DATE_WEIGHT, reason)
                ]
        return []

    def incident_matches(
        self, candidates: Sequence[IncidentRule], found: _Attributed
    ) -> tuple[IncidentMatch, ...]:
        matches = []
        for incident in candidates:
            own = incident.incident_id
            recalled = {i: s for i, (r, s) in found.recaps.items() if r.incident_id == own}
            indexes = tuple(
                i for i, label in enumerate(found.labels) if label == own or i in recalled
            )
            won = [s for s in found.winners.values() if s.incident_id == own]
            won.extend(recalled.values())
            if not won:
                continue
            evidence = tuple(e for s in won for e in s.evidence)
            share = round(len(indexes) / max(1, len(found.labels)), 3)
            weight = sum(s.total for s in won)
            matches.append(IncidentMatch(own, share, weight, indexes, evidence))
        return tuple(sorted(matches, key=lambda m: (-m.score, -m.weight)))

    def watch_evidence(self, unattributed: Collection[int]) -> tuple[Evidence, ...]:
        """Where the watch rule fits in sentences no known incident claims (or nothing).

        The rule must hold inside `window_sentences` neighbouring sentences, none of
        them attributed to a known incident: a Chicago shooting story that goes on to
        recap the Minneapolis killing is still a candidate new incident.
        """
        watch = self.matcher.rules.watch
        if watch is None or not self.spans:
            return ()
        size = min(watch.window_sentences, len(self.spans))
        for first in range(len(self.spans) - size + 1):
            window = range(first, first + size)
            if any(i not in unattributed for i in window):
                continue
            start, end = self.spans[window[0]][0], self.spans[window[-1]][1]
            hits = [h for i in window for h in self.hits_by_sentence.get(i, [])]
            if holds(watch.condition, self.scope(hits, self.text[start:end])):
                names = ", ".join(sorted({h.alias for h in hits}))
                reason = f"fits watch rule {watch.watch_id!r} ({watch.title}) near: {names}"
                return (Evidence(window[0], start, end, self.text[start:end], 1.0, reason),)
        return ()


def _is_mixed(best: _Score, scores: Sequence[_Score]) -> bool:
    """True when another incident has evidence of its own here, not just shared words."""
    taken = {(e.start, e.end) for e in best.evidence}
    return any((e.start, e.end) not in taken for s in scores if s is not best for e in s.evidence)


def _best(scores: Sequence[_Score], candidates: Sequence[IncidentRule]) -> _Score | None:
    """Highest score wins; a tie goes to the newest incident (news leads with the latest)."""
    ranked = sorted(
        zip(scores, candidates, strict=True), key=lambda pair: (pair[0].total, pair[1].date)
    )
    if not ranked or ranked[-1][0].total <= 0:
        return None
    return ranked[-1][0]


# -------------------------------------------------------------------------- entry points

_COMPILED: dict[int, tuple[Rules, Matcher]] = {}
_MAX_COMPILED = 4


def compile_matcher(rules: Rules) -> Matcher:
    """The Matcher for `rules`, built on first use and reused (keyed by identity)."""
    cached = _COMPILED.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    matcher = Matcher(rules)
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[id(rules)] = (rules, matcher)
    return matcher


def match_document(document: Document, rules: Rules) -> MatchResult:
    """Match one article against the rules (the matcher is compiled once per Rules)."""
    return compile_matcher(rules).match(document)


def explain(result: MatchResult, width: int = 100) -> list[str]:
    """Plain-text lines saying what matched and why (for `monitor explain`)."""
    lines: list[str] = []
    for match in result.incidents:
        share = f"{len(match.sentence_indexes)} of {len(result.sentences)} sentences"
        lines.append(
            f"{match.incident_id}: score {match.score:.2f} ({share}, "
            f"evidence weight {match.weight:g})"
        )
        lines.extend(f"  [{e.sentence_index}] +{e.weight:g} {e.reason}" for e in match.evidence)
    if result.new_incident:
        lines.append(f"candidate new incident: {result.watch_evidence[0].reason}")
    if not lines:
        lines.append("no known incident and no watch rule fits")
    lines.append("sentences:")
    for sentence in result.sentences:
        mixed = " (mixed)" if sentence.index in result.mixed_sentences else ""
        recap = result.recap_of(sentence.index)
        mixed += f" (recalls {recap.incident_id})" if recap is not None else ""
        head = f"  [{sentence.index}] {sentence.incident_id or '-'}{mixed}: "
        text = " ".join(sentence.text.split())
        room = max(10, width - len(head))
        lines.append(head + (text if len(text) <= room else text[: room - 1] + "…"))
    return lines
