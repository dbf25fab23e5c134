"""Event mentions: which shooting a sentence is about, from the arguments it states.

An article may speak of several shootings: the new one and recaps of others.
Before claims are read, each sentence (or look-back clause) that reports a
shooting becomes an `EventMention` with the arguments the text states: the date
(resolved against publication), the city, who fired (federal immigration
agents, city police, another agency), at whom (shots fired *at* agents are not
a shooting by agents), and the outcome. A mention belongs to a tracked incident
only when its stated arguments are compatible with the incident's (another
date, another city, a non-federal shooter or another outcome rule it out; the
anchor is cross-document event coreference as in the ECB+ corpus: two mentions
are one event only when time, place and participants agree). A mention that
fits the watch rule and no incident becomes a `CandidateIncident` with a
stable id (city and date, `st-paul-2026-01-20`) and its own ledger.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from monitor.analysis.dates import DateMention, find_dates
from monitor.analysis.places import Gazetteer, PlaceMention


class Shooter(StrEnum):
    """Who fired, as far as the sentence says."""

    FEDERAL = "federal"  # ICE, Border Patrol, CBP, DHS, "federal agents"
    POLICE = "police"  # city or county police, deputies, troopers
    OTHER = "other"  # US Marshals task force, a civilian, a suspect firing at agents
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """What the shooting did to the person shot, as far as the sentence says."""

    KILLED = "killed"
    WOUNDED = "wounded"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RuledOut:
    """Why a mention is not about an incident ("date 2026-01-24, not 2026-01-07")."""

    incident_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class EventMention:
    """One report of a shooting in an article, with the arguments its clause states.

    `start`/`end` index `MatchResult.text`. `incident_id` is the tracked incident or
    candidate the mention went to; None when it is an event no one tracks (a city
    police shooting, shots fired at agents).
    """

    sentence_index: int
    start: int
    end: int
    trigger: str
    date: date | None
    city: str | None
    shooter: Shooter
    outcome: Outcome
    incident_id: str | None
    ruled_out: tuple[RuledOut, ...] = ()
    state: str | None = None  # the city's state code, when known
    # Entity ids of the persons named in the shooting's own phrase (its victim, shooter).
    people: frozenset[str] = frozenset()
    # A further shooting told inside the clause ("..., and on Jan. 14 an officer shot a
    # man"): start/end are then its own phrase, whose facts are that event's.
    secondary: bool = False
    phrase: str = ""  # the shooting's own phrase, as written
    region: str | None = None  # the state it names when it names no city ("Arizona")

    @property
    def states_anything(self) -> bool:
        """True when the clause states an argument that can tell events apart."""
        return (
            self.date is not None
            or self.city is not None
            or self.region is not None
            or self.shooter in (Shooter.POLICE, Shooter.OTHER)
            or self.outcome is not Outcome.UNKNOWN
        )


@dataclass(frozen=True, slots=True)
class CandidateIncident:
    """A shooting that fits the watch rule and no tracked incident: followed in its own
    ledger under `incident_id` (city slug and date) until an editor promotes it."""

    incident_id: str
    city: str
    date: date
    title: str
    shooter: Shooter = Shooter.FEDERAL
    outcome: Outcome = Outcome.UNKNOWN
    agency: str | None = None  # "ICE", "CBP" when the text names one
    # The victims' and shooter's names as its coverage gives them: later stories that
    # name them are about it ("the officer who shot Marcus Quill").
    names: tuple[str, ...] = ()


def candidate_id(city: str, day: date) -> str:
    """The stable id of a candidate incident: `st-paul-2026-01-20`."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in city.lower()).split())
    return f"{slug}-{day.isoformat()}"


# ------------------------------------------------------------------ reading mentions

# A shooting reported in a clause.
_TRIGGER = re.compile(
    r"\b(shot|shoots?|shooting|fired|opened fire|gunfire|gunshots?|kills?|killed|killing"
    r"|fatally"
    # "charged with firing a handgun at an agents' SUV": shots at someone, an event; "to
    # bar officers from firing at moving vehicles" is a rule, no event.
    r"|(?<!from )(?<!on )(?<!of )(?<!about )(?<!against )firing"
    r"(?=\s+(?:[\w-]+\s+){0,3}?(?:at|into|toward|towards)\s))\b",
    re.IGNORECASE,
)
# Not gunfire at a person: crowd-control rounds, an officer's firearm drawn, a car "fired".
_NOT_GUNFIRE = re.compile(
    r"\b(pepper[- ]?balls?|pepper spray|rubber bullets?|less[- ]lethal|projectiles?|tear gas"
    r"|flash[- ]?bangs?|chemical (irritants?|agents?)|fired (him|her|them|from (his|her) job)"
    r"|was fired|were fired from)\b",
    re.IGNORECASE,
)
# Shots fired AT agents: the agents are not the shooters.
_AT_AGENTS = re.compile(
    r"\b(shot|fired|firing|opened fire|shooting)"
    r"(?:\s+(?:\w+\s+){0,3}?(?:shots?|rounds?|bullets?|a gun|a weapon|a handgun|a rifle))?"
    r"\s+(?:(?:at|on|toward|towards|upon|into)\s+)"
    r"(?:\w+\s+){0,3}?(agents?|officers?|deputies|troopers"
    r"|(?:(?:ICE|Border Patrol|CBP|federal|agency|government|unmarked)\s+)"
    r"(?:vehicles?|cars?|SUVs?|trucks?|vans?)|vehicles? (carrying|driven by) agents)\b"
    r"|\b(agents?|officers?)\s+(were|was|had been|came under)\s+(shot at|fired (up)?on|fire)\b"
    # The agent is the one shot: "an ICE officer was shot in the arm".
    r"|\b(agents?|officers?|deputy|trooper)\s+(was|were|had been|has been)\s+"
    r"(shot|wounded by gunfire|struck by (gunfire|a bullet))\b",
    re.IGNORECASE,
)
_POLICE = re.compile(
    r"\b(police(?: officers?)?|police department|sheriff'?s? (?:deputy|deputies|office)"
    r"|deputies|deputy|troopers?|state patrol|patrol officers?|SWAT)\b",
    re.IGNORECASE,
)
_OTHER_AGENCY = re.compile(
    r"\b(U\.?S\.? marshals?(?: service)?|marshals?(?: service)?|marshals task force|task force"
    r"|FBI agents?|DEA agents?|ATF agents?|security guard|homeowner|gunm[ae]n|suspects?"
    r"|a man|a woman"
    r"|someone|somebody|an? (?:unknown|unidentified) (?:person|man|assailant|shooter)|assailants?"
    r"|a driver|a resident|a teenager)\b",
    re.IGNORECASE,
)
_FEDERAL = re.compile(
    r"\b(ICE|Immigration and Customs Enforcement|Border Patrol|CBP|Customs and Border Protection"
    r"|immigration (agents?|officers?|officials)|federal (immigration )?(agents?|officers?)"
    r"|agents?|HSI|Homeland Security)\b",
)
_FEDERAL_LOOSE = re.compile(_FEDERAL.pattern, re.IGNORECASE)
# Who fired: the words right before the verb, or after "by".
_ACTIVE = re.compile(
    r"(?P<agent>(?:[\w.'’-]+\s+){1,7}?)(?:\w+ly\s+)?"
    r"(?:shot|shoot|fired|opened fire|killed|kills?|fatally shot|fatally shoot|shoots)\b"
)
_PASSIVE = re.compile(
    r"\b(?:shot|killed|wounded|injured|struck)(?:\s+(?:and|or)\s+(?:killed|wounded|injured))?"
    r"(?:\s+\w+){0,4}?\s+by\s+(?P<agent>[^,;]{1,60})",
    re.IGNORECASE,
)
_SPEECH_VERB = (
    r"(said|says|saying|told|telling|announced|confirmed|stated|reported|released|wrote|added"
    r"|adding|noted|noting|called|calling)"
)
_KILLED = re.compile(
    r"\b(shot and killed|fatally (shot|wounded|injured)|shot dead|shot to death|killed|killing"
    r"|(?<!non-)(?<!non)fatal shooting)\b",
    re.IGNORECASE,
)
_WOUNDED = re.compile(
    r"\b(shot and (wounded|injured)|wounded|wounding|non-?fatal|nonfatal|survived"
    r"|in the (legs?|arms?|thighs?|foot|feet|shoulder|hand|hip|wrist|ankle|knee|buttocks)"
    r"|hospitali[sz]ed|non-life-threatening)\b",
    re.IGNORECASE,
)
# ("died" is left out of _KILLED: a wounded victim who later dies is the same event.)
# An officer's own injury is not the outcome of the shooting for the person shot.
_OFFICER_HURT = re.compile(
    r"\b(officers?|agents?|deputy|deputies)\s+(was|were|had been|is)\s+(\w+\s+)?"
    r"(injured|hurt|wounded|hospitali[sz]ed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Clause:
    """A stretch of one sentence that can report an event: its main clause or a look-back."""

    sentence_index: int
    start: int
    end: int
    is_recap: bool = False


# A death in custody, of illness or in a cell: an event, and no shooting by agents.
_CUSTODY_DEATH = re.compile(
    r"\b(died|dies|death|found unresponsive)\b[^.;]{0,40}?\b(in|while in|in the)\s+"
    r"(ICE |immigration |federal |agency |its )?(custody|detention|cell|jail)\b"
    r"|\b(in-custody|custodial) death\b",
    re.IGNORECASE,
)


# A clause rarely tells more than a few shootings; a run-on page with no full stops can
# hold thousands of "shot"s, and each mention reads its clause again.
_MAX_MENTIONS_PER_CLAUSE = 6


@dataclass(frozen=True, slots=True)
class _ClauseReading:
    """What a clause states, read once for all the shootings it tells."""

    text: str
    clause: Clause
    words: str
    places: Sequence[PlaceMention]
    states: Sequence[PlaceMention]
    dates: Sequence[DateMention]
    people: Sequence[tuple[int, str]]


def read_mentions(
    text: str,
    clause: Clause,
    published: date | None,
    gazetteer: Gazetteer,
    people: Sequence[tuple[int, str]] = (),
) -> list[EventMention]:
    """The clause's shooting, then any further one told in a phrase of its own."""
    words = text[clause.start : clause.end]
    dates = find_dates(words, clause.start, published)
    custody = _CUSTODY_DEATH.search(words)
    if custody is not None:
        return [_custody_death(clause, custody, words, dates)]
    if _NOT_GUNFIRE.search(words) or _TRIGGER.search(words) is None:
        return []
    reading = _ClauseReading(
        text,
        clause,
        words,
        gazetteer.find(text, clause.start, clause.end),
        gazetteer.find_states(text, clause.start, clause.end),
        dates,
        people,
    )
    found: list[EventMention] = []
    position = 0
    while len(found) < _MAX_MENTIONS_PER_CLAUSE:
        trigger = _TRIGGER.search(words, position)
        if trigger is None:
            break
        first, last = event_phrase(words, trigger)
        mention = _mention(reading, trigger, (first, last))
        if found:
            at = clause.start
            mention = replace(mention, start=at + first, end=at + last, secondary=True)
        found.append(mention)
        position = max(last, trigger.end())
    return found


def _mention(
    reading: _ClauseReading, trigger: re.Match[str], bounds: tuple[int, int]
) -> EventMention:
    clause, words = reading.clause, reading.words
    first, last = bounds
    phrase = words[first:last]
    city = _event_place(words, trigger, reading.places, clause)
    # No city in the phrase: a state still tells shootings apart ("in Arizona").
    region = None if city is not None else _event_place(words, trigger, reading.states, clause)
    people_from = clause.start + _people_start(words, first)
    return EventMention(
        sentence_index=clause.sentence_index,
        start=clause.start,
        end=clause.end,
        trigger=trigger.group(),
        date=_event_date(words, trigger, clause.start, reading.dates),
        city=None if city is None else city.name,
        shooter=shooter_of(words if first == 0 else phrase),
        outcome=outcome_of(phrase),
        incident_id=None,
        state=city.state if city is not None else (region.state if region else None),
        region=None if region is None else region.name,
        phrase=phrase,
        people=frozenset(
            entity for at, entity in reading.people if people_from <= at < clause.start + last
        ),
    )


def _custody_death(
    clause: Clause, found: re.Match[str], words: str, dates: Sequence[DateMention]
) -> EventMention:
    """A death in custody: an event of its own, never a shooting by agents."""
    return EventMention(
        sentence_index=clause.sentence_index,
        start=clause.start,
        end=clause.end,
        trigger=found.group(),
        date=_event_date(words, found, clause.start, dates),
        city=None,
        shooter=Shooter.OTHER,
        outcome=Outcome.UNKNOWN,
        incident_id=None,
    )


def _people_start(clause: str, first: int) -> int:
    """Where the people of a phrase may be named: a relative clause's phrase also takes its
    antecedent ("Renee Good, who was killed")."""
    if _RELATIVE_END.search(clause, 0, first):
        return max(0, first - _ANTECEDENT_REACH)
    return first


def event_phrase(clause: str, trigger: re.Match[str]) -> tuple[int, int]:
    """Where the shooting's own phrase runs in the clause: from the last other verb phrase
    before the verb to the first one after it ("shot a woman ... neighborhood" in "shot a
    woman ..., a mile from where X was killed two weeks earlier")."""
    first = 0
    for m in _OTHER_PHRASE.finditer(clause, 0, trigger.start()):
        first = m.end()
    after = _OTHER_PHRASE.search(clause, trigger.end())
    last = len(clause) if after is None else after.start()
    if _RELATIVE_END.search(clause, 0, first):
        # "NAME, who was killed by an agent, hangs ...": the relative clause ends at
        # its comma, and what follows is the main clause's.
        comma = clause.find(",", trigger.end(), last)
        last = last if comma < 0 else comma
    return first, last


_RELATIVE_END = re.compile(r"\b(who|which|that)\s*$", re.IGNORECASE)
# How far before a relative pronoun its antecedent's name may end ("NAME, who").
_ANTECEDENT_REACH = 40


# "Officials in Washington said ...": a city standing for its officials places nothing.
_METONYMY_BEFORE = re.compile(
    r"\b(officials|lawmakers|leaders|politicians|Democrats|Republicans|administration|"
    r"headquarters|offices?|rally|vigils?|protests?|marches|residents)\s+(in|near)\s+$",
    re.IGNORECASE,
)


def _event_place(
    clause: str, trigger: re.Match[str], places: Sequence[PlaceMention], at: Clause
) -> PlaceMention | None:
    """The first city placed in the shooting's own phrase: after the verb ("shot a man in
    Gresham") or before it ("In Gresham, an agent shot"), no other verb phrase between."""
    for place in places:
        start, end = place.start - at.start, place.end - at.start
        if _METONYMY_BEFORE.search(clause[max(0, start - 40) : start]):
            continue
        if start >= trigger.end():
            between, reach = clause[trigger.end() : start], _reach(trigger, _PLACE_AFTER_REACH)
        else:
            between, reach = clause[end : trigger.start()], _reach(trigger, _PLACE_BEFORE_REACH)
        if not _apart(trigger, between, reach):
            return place
    return None


def shooter_of(clause: str) -> Shooter:
    """Who fired, from the words before the shooting verb or after "by"."""
    if _AT_AGENTS.search(clause):
        return Shooter.OTHER
    agents = [m.group("agent") for m in _PASSIVE.finditer(clause)]
    agents += [m.group("agent") for m in _ACTIVE.finditer(clause)]
    for agent in agents:
        kind = _agent_kind(agent)
        if kind is not Shooter.UNKNOWN:
            return kind
    # No agent phrase: agents named in the clause fired, unless they are only its source.
    told = _ATTRIBUTION_TAIL.sub("", clause)
    if _FEDERAL.search(told) and not _POLICE.search(told):
        return Shooter.FEDERAL
    return Shooter.UNKNOWN


# ", federal officials said" / "according to ICE": who tells, not who fired.
_ATTRIBUTION_TAIL = re.compile(
    rf"(,\s*[^,]*\b{_SPEECH_VERB}\b[^,]*$|\baccording to\b[^,]*)", re.IGNORECASE
)


_PASSIVE_SUBJECT = re.compile(r"\b(was|were|is|are|been|being|be|had|has|have|got)\s*$", re.I)


def _agent_kind(agent: str) -> Shooter:
    # The agent phrase ends at the verb: "ICE officer" in "an ICE officer shot", while
    # "police said an agent shot" keeps only "an agent" after the verb of saying.
    tail = re.split(rf"\b{_SPEECH_VERB}\b(?:\s+that)?", agent)[-1]
    if _PASSIVE_SUBJECT.search(tail):
        return Shooter.UNKNOWN  # "a man was shot": the one shot, not the shooter
    if _FEDERAL.search(tail) or re.search(r"\bimmigration\b", tail, re.IGNORECASE):
        return Shooter.FEDERAL
    if _OTHER_AGENCY.search(tail):
        return Shooter.OTHER
    if _POLICE.search(tail):
        return Shooter.POLICE
    return Shooter.UNKNOWN


def outcome_of(clause: str) -> Outcome:
    """Killed or wounded, when the clause says so (and only one of them)."""
    words = _OFFICER_HURT.sub(" ", clause)
    killed = _KILLED.search(words)
    wounded = _WOUNDED.search(_KILLED.sub(" ", words))  # "fatally wounded" is no wound
    if killed and not wounded:
        return Outcome.KILLED
    if wounded and not killed:
        return Outcome.WOUNDED
    return Outcome.UNKNOWN


# Between a date and the shooting verb, words that start another verb phrase: the date is
# when something else happened ("preparing on Friday for protests after an agent shot",
# "declined on Thursday to name the officer who shot").
_OTHER_PHRASE = re.compile(
    rf"\b(after|before|since|when|while|where|whether|following|amid|as|because|until|who"
    rf"|which|that|would|could|will|say|comment"
    rf"|earlier|ago|previously|to \w+|{_SPEECH_VERB})\b|[;:]|,\s+(?:and|but)\b",
    re.IGNORECASE,
)
# How far from the verb a date may be and still be its adjunct.
# A shooting named by a noun ("the shooting", "the killing") takes a day or a place only
# as its own modifier: "Wednesday's shooting", "the shooting in Portland on Jan. 8".
_NOMINAL = re.compile(r"(?i:shooting|killing|gunfire|gunshots?)")
_NOMINAL_REACH = 24


def _reach(trigger: re.Match[str], verbal: int) -> int:
    return _NOMINAL_REACH if _NOMINAL.fullmatch(trigger.group()) else verbal


def _apart(trigger: re.Match[str], between: str, reach: int) -> bool:
    """Too far, another verb phrase between, or (for a noun) a comma between: not the
    shooting's own day or place ("weighed in Thursday, saying the shooting ...")."""
    nominal = _NOMINAL.fullmatch(trigger.group()) is not None
    return (
        len(between) > reach or bool(_OTHER_PHRASE.search(between)) or (nominal and "," in between)
    )


_DATE_AFTER_REACH = 90
_DATE_BEFORE_REACH = 60
_PLACE_AFTER_REACH = 120
_PLACE_BEFORE_REACH = 90


def _event_date(
    clause: str, trigger: re.Match[str], offset: int, dates: Sequence[DateMention]
) -> date | None:
    """The one day the clause dates its shooting to: the nearest single-day date after the
    verb ("shot a man in the leg on Wednesday") or before it ("On Wednesday, an agent
    shot ..."), with no other verb phrase in between."""
    best: tuple[int, date] | None = None
    for mention in dates:
        if not mention.is_one_day or mention.earliest is None:
            continue
        start, end = mention.start - offset, mention.end - offset
        if start >= trigger.end():
            between, reach = clause[trigger.end() : start], _reach(trigger, _DATE_AFTER_REACH)
        else:
            between, reach = clause[end : trigger.start()], _reach(trigger, _DATE_BEFORE_REACH)
        if _apart(trigger, between, reach):
            continue
        if best is None or len(between) < best[0]:
            best = (len(between), mention.earliest)
    return None if best is None else best[1]
