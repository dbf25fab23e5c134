"""Which incident an event mention can be: the arguments it states against each one's.

Two mentions are one event only when time, place and participants agree (the
ECB+ notion of event coreference). So a mention is ruled out of an incident
when it states another day, another city, a shooter who is not a federal agent
or another outcome, unless it names one of the incident's people. A mention
that states something and fits no tracked or candidate incident is an event of
its own: a new candidate incident when federal agents fired, else an event no
one tracks (a city police shooting, shots fired at agents), whose sentences
are filed under no incident. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from monitor.analysis.dates import find_dates
from monitor.analysis.events import (
    CandidateIncident,
    Clause,
    EventMention,
    Outcome,
    RuledOut,
    Shooter,
    candidate_id,
    read_mentions,
)
from monitor.analysis.incident_arguments import name_pattern
from monitor.analysis.places import Gazetteer, PlaceMention, city_key
from monitor.analysis.rule_values import IncidentRule

# The city of a candidate whose article names none: "unknown-2026-01-21".
UNKNOWN_PLACE = "unknown"


@dataclass(frozen=True, slots=True)
class KnownEvent:
    """An incident (tracked or candidate) as event mentions are compared with it."""

    incident_id: str
    date: date
    city: str
    state: str | None
    outcome: Outcome
    people: frozenset[str] = frozenset()
    federal: bool = True
    is_candidate: bool = False
    names: re.Pattern[str] | None = None  # a candidate's people, as written

    def is_named_in(self, mention: EventMention) -> bool:
        return self.names is not None and self.names.search(mention.phrase) is not None

    @property
    def city_key(self) -> str:
        return city_key(self.city)


def known_event(rule: IncidentRule, gazetteer: Gazetteer, people: frozenset[str]) -> KnownEvent:
    """The arguments of an incident rule: its day, city (and state), outcome and people."""
    name, _, state_words = rule.city.partition(",")
    states = gazetteer.cities.get(city_key(name), frozenset())
    state = gazetteer.state_code(state_words.strip()) if state_words else None
    if state is None and len(states) == 1:
        state = next(iter(states))
    outcome = Outcome(rule.outcome) if rule.outcome in ("killed", "wounded") else Outcome.UNKNOWN
    named = people | set(rule.victim_names) | ({rule.shooter} if rule.shooter else set())
    return KnownEvent(
        rule.incident_id,
        rule.date,
        name.strip(),
        state,
        outcome,
        frozenset(named),
        is_candidate=rule.is_candidate,
    )


def candidate_event(candidate: CandidateIncident) -> KnownEvent:
    name, _, _ = candidate.city.partition(",")
    return KnownEvent(
        candidate.incident_id,
        candidate.date,
        name.strip(),
        None,
        candidate.outcome,
        is_candidate=True,
        names=_compiled(name_pattern(candidate.names)),
    )


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern)


def rule_out(mention: EventMention, event: KnownEvent) -> str | None:
    """Why the mention cannot be about the event (None: it can)."""
    if mention.people & event.people or event.is_named_in(mention):
        return None  # it names the incident's victim or shooter
    if event.federal and mention.shooter in (Shooter.POLICE, Shooter.OTHER):
        return f"fired by {mention.shooter} shooter, not federal agents"
    if mention.date is not None and mention.date != event.date:
        return f"dated {mention.date.isoformat()}, not {event.date.isoformat()}"
    if mention.city is not None and city_key(mention.city) != event.city_key:
        return f"in {mention.city}, not {event.city}"
    if mention.state and event.state and mention.state != event.state:
        where = mention.city or mention.region
        return f"in {where}, {mention.state}, not {event.city}, {event.state}"
    # An outcome tells two shootings apart only where no day does: a victim who later dies
    # is still the same shooting.
    outcomes = (mention.outcome, event.outcome)
    if mention.date is None and Outcome.UNKNOWN not in outcomes and len(set(outcomes)) == 2:
        return f"{mention.outcome}, not {event.outcome}"
    return None


@dataclass(slots=True)
class ArticleEvents:
    """The event mentions of one article, each with the incidents it may be about."""

    mentions: dict[tuple[int, bool], EventMention] = field(default_factory=dict)
    # For each mention (sentence index, is recap): the incident ids not ruled out.
    allowed: dict[tuple[int, bool], frozenset[str]] = field(default_factory=dict)
    new_candidates: list[CandidateIncident] = field(default_factory=list)
    # Further shootings told inside a clause, each with the incidents it may be about.
    secondary: list[tuple[EventMention, frozenset[str]]] = field(default_factory=list)

    def of(self, index: int, recap: bool = False) -> EventMention | None:
        return self.mentions.get((index, recap))

    def allows(self, index: int, recap: bool, incident_id: str) -> bool:
        allowed = self.allowed.get((index, recap))
        return allowed is None or incident_id in allowed

    def is_orphan(self, index: int, recap: bool = False) -> bool:
        """The mention fits no incident but its own (a candidate, or none)."""
        allowed = self.allowed.get((index, recap))
        return allowed is not None and not (allowed - self._own(index, recap))

    def _own(self, index: int, recap: bool) -> set[str]:
        mention = self.mentions[(index, recap)]
        return set() if mention.incident_id is None else {mention.incident_id}


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """What event reading needs to know about one article."""

    text: str
    clauses: Sequence[Clause]
    published: date | None
    people: Sequence[tuple[int, str]]  # (offset, entity id) of every person named
    dateline_city: PlaceMention | None
    fits_watch: Callable[[int], bool]
    # The first city the article places anything in, or a place entity it names.
    article_city: str | None = None
    # The sentence the dateline opens (None: no dateline).
    dateline_sentence: int | None = None


def _placed_at_dateline(mention: EventMention, city: PlaceMention | None) -> EventMention:
    if city is None:
        return mention
    return replace(mention, city=city.name, state=city.state)


def resolve_events(
    facts: ArticleFacts, gazetteer: Gazetteer, known: Sequence[KnownEvent]
) -> ArticleEvents:
    """Read every clause's mention, rule incidents out, and make candidates of orphans."""
    found = ArticleEvents()
    orphans: list[tuple[int, bool]] = []
    frame: _Frame | None = None
    for clause in facts.clauses:
        mentions = read_mentions(facts.text, clause, facts.published, gazetteer, facts.people)
        if not mentions and not clause.is_recap:
            frame = _header(facts, clause, gazetteer) or frame
        for index, mention in enumerate(mentions):
            lead = not clause.is_recap and clause.sentence_index == facts.dateline_sentence
            if index == 0 and mention.city is None and lead:
                # The lead of a datelined story happened where it was filed.
                mention = _placed_at_dateline(mention, facts.dateline_city)
            if frame is not None and clause.sentence_index - frame.sentence_index <= _FRAME_REACH:
                mention = frame.filled(mention)
            ruled = [RuledOut(e.incident_id, r) for e in known if (r := rule_out(mention, e))]
            gone = {r.incident_id for r in ruled}
            allowed = frozenset(e.incident_id for e in known if e.incident_id not in gone)
            mention = replace(mention, ruled_out=tuple(ruled))
            if mention.secondary:
                found.secondary.append((mention, allowed))
                continue
            key = (clause.sentence_index, clause.is_recap)
            found.mentions[key], found.allowed[key] = mention, allowed
            if mention.states_anything and not allowed:
                orphans.append(key)
    _new_candidates(found, facts, orphans, gazetteer)
    return found


@dataclass(frozen=True, slots=True)
class _Frame:
    """A header line that dates and places what follows ("Jan. 24, Minneapolis.")."""

    sentence_index: int
    date: date | None
    city: PlaceMention | None

    def filled(self, mention: EventMention) -> EventMention:
        """The mention with the day and city it does not state itself."""
        if mention.date is None and self.date is not None:
            mention = replace(mention, date=self.date)
        if mention.city is None and self.city is not None:
            mention = replace(mention, city=self.city.name, state=self.city.state)
        return mention


# A header is a line of a few words; it frames the sentences right after it.
_HEADER_WORDS = 6
_FRAME_REACH = 3


def _header(facts: ArticleFacts, clause: Clause, gazetteer: Gazetteer) -> _Frame | None:
    """A short line that states a single day (and maybe a city) and reports nothing."""
    words = facts.text[clause.start : clause.end]
    if len(words.split()) > _HEADER_WORDS:
        return None
    days = [d for d in find_dates(words, clause.start, facts.published) if d.is_one_day]
    if not days or days[0].earliest is None:
        return None
    places = gazetteer.find(facts.text, clause.start, clause.end, anywhere=True)
    return _Frame(clause.sentence_index, days[0].earliest, places[0] if places else None)


def _federal_orphans(
    found: ArticleEvents, facts: ArticleFacts, orphans: list[tuple[int, bool]]
) -> list[tuple[int, bool]]:
    """The orphans that may be new federal shootings. A mention with no shooter of its own
    that fits an untracked event told earlier in the article (its day or its city: "the
    shooting Thursday" after "police shot a man Thursday") is that event again."""
    untracked: list[EventMention] = []
    federal = []
    for key in orphans:
        mention = found.mentions[key]
        clause = facts.text[mention.start : mention.end]
        if (
            mention.shooter is Shooter.UNKNOWN
            and untracked
            and (any(_same_event(mention, u) for u in untracked) or _DEFINITE.search(clause))
        ):
            continue  # "the shooting" after an untracked one is that one again
        if _is_federal(mention, facts):
            federal.append(key)
        else:
            untracked.append(mention)
    return federal


# A shooting the reader already knows: "the shooting", "Friday's shooting", "that gunfire".
_DEFINITE = re.compile(
    r"\b(the|that|this|\w+day['’]s)\s+(\w+\s+){0,2}(shooting|gunfire|killing|incident)\b",
    re.IGNORECASE,
)


def _same_event(mention: EventMention, other: EventMention) -> bool:
    same_day = mention.date is not None and mention.date == other.date
    same_city = mention.city is not None and mention.city == other.city
    clash = (mention.date and other.date and mention.date != other.date) or (
        mention.city and other.city and city_key(mention.city) != city_key(other.city)
    )
    return (same_day or same_city) and not clash


def _is_federal(mention: EventMention, facts: ArticleFacts) -> bool:
    """Fired by federal agents, or by someone unnamed where the editors' watch rule fits."""
    if mention.shooter is Shooter.FEDERAL:
        return True
    return mention.shooter is Shooter.UNKNOWN and facts.fits_watch(mention.sentence_index)


def _new_candidates(
    found: ArticleEvents,
    facts: ArticleFacts,
    orphans: list[tuple[int, bool]],
    gazetteer: Gazetteer,
) -> None:
    """Orphan mentions fired by federal agents become candidate incidents, one per city
    and day; a mention that states only one of them joins the candidate it fits. A small
    place within the dateline city's area is named by the dateline city (a story filed
    from LOS ANGELES about Van Nuys is a Los Angeles shooting, as the desk calls it)."""
    federal = _federal_orphans(found, facts, sorted(orphans))
    by_id: dict[str, CandidateIncident] = {}
    # Mentions stating both the city and the day first, so the others can join them.
    federal.sort(key=lambda k: (found.mentions[k].city is None) + (found.mentions[k].date is None))
    for key in federal:
        mention = found.mentions[key]
        named = _in_dateline_area(mention, facts, gazetteer)
        candidate = _joined(named, by_id.values()) or _made(named, facts)
        if candidate is None:
            continue
        by_id.setdefault(candidate.incident_id, candidate)
        found.mentions[key] = replace(mention, incident_id=candidate.incident_id)
    found.new_candidates = list(by_id.values())
    # Other mentions that fit a new candidate may be about it too (the headline of the
    # story that states the day only further down).
    events = [candidate_event(c) for c in found.new_candidates]
    for key, mention in found.mentions.items():
        if key in federal:
            continue
        fits = {e.incident_id for e in events if rule_out(mention, e) is None}
        if fits and _is_federal(mention, facts):
            found.allowed[key] = found.allowed[key] | fits


def _in_dateline_area(
    mention: EventMention, facts: ArticleFacts, gazetteer: Gazetteer
) -> EventMention:
    """The mention placed in the dateline city when its own place lies in that city's area."""
    dateline = facts.dateline_city
    if mention.city is None or dateline is None:
        return mention
    if not gazetteer.in_area_of(mention.city, mention.state, dateline.name, dateline.state):
        return mention
    return replace(mention, city=dateline.name, state=dateline.state)


def _joined(
    mention: EventMention, candidates: Iterable[CandidateIncident]
) -> CandidateIncident | None:
    for candidate in candidates:
        same_city = mention.city is None or city_key(mention.city) == city_key(candidate.city)
        same_day = mention.date is None or mention.date == candidate.date
        if same_city and same_day:
            return candidate
    return None


def _made(mention: EventMention, facts: ArticleFacts) -> CandidateIncident | None:
    """A new candidate from a mention: its city (else the dateline's), its day (else the
    publication day: news reports today's shooting without a date)."""
    city = mention.city or mention.region
    city = city or (facts.dateline_city.name if facts.dateline_city else None)
    city = city or facts.article_city or UNKNOWN_PLACE
    day = mention.date or facts.published
    if day is None:
        return None
    verb = {Outcome.KILLED: "shoot and kill", Outcome.WOUNDED: "shoot and wound"}.get(
        mention.outcome, "shoot"
    )
    return CandidateIncident(
        candidate_id(city, day),
        city,
        day,
        f"Federal agents {verb} a person in {city} on {day.isoformat()}",
        Shooter.FEDERAL,
        mention.outcome,
    )
