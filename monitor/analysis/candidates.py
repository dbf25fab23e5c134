"""Which incidents an article can be about, before its events are read.

A known incident is a candidate when the article was published in its date
window and its condition holds over the whole article, or a dated follow-up
anchors it ("the man shot on Wednesday remains in critical condition"), unless
the story was filed from an untracked place (its dateline) and names none of
the incident's people. Candidate incidents known from earlier articles are
followed the same way (`followed_candidates`). The watch rule is asked, sentence
by sentence, whether an unnamed shooter's shooting is worth a new candidate
(`fits_watch`; events.py and event_identity.py decide the rest). What each
incident owns (its places, the other incidents' cities, the people its
condition names) is compiled once per Rules (`IncidentPlaces`). Pure: no I/O,
no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from monitor.analysis.attribution import EVENT_WORDS, ArticleView, SentenceScorer
from monitor.analysis.dates import find_dates
from monitor.analysis.places import Gazetteer, PlaceMention
from monitor.analysis.rule_values import (
    AllCondition,
    AnyCondition,
    Condition,
    EntityCondition,
    EntityRule,
    IncidentRule,
    NoneCondition,
    Rules,
    TagCondition,
    TermCondition,
    iter_conditions,
)
from monitor.model import EntityHit, EntityKind

# "the shooting", "Wednesday's shooting", "the Portland shooting": an event the reader
# is taken to know already.
DEFINITE_SHOOTING = re.compile(
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


def _scope(view: ArticleView, hits: Iterable[EntityHit], text: str) -> _Scope:
    ids = frozenset(h.entity_id for h in hits)
    tags = frozenset(t for i in ids for t in view.tags_of.get(i, ()))
    return _Scope(text, ids, tags)


# ---------------------------------------------------------------- incidents' places


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


class IncidentPlaces:
    """What each incident owns, compiled once per Rules: the places its condition and
    cues refer to, the other incidents' cities, and the people its condition names."""

    def __init__(
        self,
        incidents: Sequence[IncidentRule],
        entities: Mapping[str, EntityRule],
        tags_of: Mapping[str, frozenset[str]],
    ) -> None:
        self.entities = entities
        self.tags_of = tags_of
        self.place_refs: dict[str, _PlaceRefs] = {i.incident_id: _place_refs(i) for i in incidents}
        self.other_cities: dict[str, re.Pattern[str] | None] = {
            i.incident_id: _other_cities(i, incidents) for i in incidents
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
            for i in incidents
        }

    def is_place(self, hit: EntityHit) -> bool:
        return self.entities[hit.entity_id].kind is EntityKind.PLACE

    def is_own_place(self, hit: EntityHit, incident: IncidentRule) -> bool:
        refs = self.place_refs[incident.incident_id]
        tags = self.tags_of.get(hit.entity_id, frozenset())
        return hit.entity_id in refs.entity_ids or bool(tags & refs.tags)


# ---------------------------------------------------------------------- candidates


class CandidateFinder:
    """The known incidents one article can be about."""

    def __init__(self, rules: Rules, places: IncidentPlaces, scorer: SentenceScorer) -> None:
        self.rules = rules
        self.places = places
        self.scorer = scorer
        self.view = scorer.view
        self.dateline = find_dateline(scorer.view.text)

    def candidates(self) -> list[IncidentRule]:
        """Incidents in their date window whose condition fits the article or that anchor it."""
        whole = _scope(self.view, self.view.hits, self.view.text)
        return [
            incident
            for incident in self.rules.incidents
            if self.in_window(incident)
            and (holds(incident.condition, whole) or self.is_anchored(incident))
            and not self.filed_elsewhere(incident)
        ]

    def followed_candidates(self, rules: Sequence[IncidentRule]) -> list[IncidentRule]:
        """The candidate incidents (as rules) in their window whose condition fits."""
        whole = _scope(self.view, self.view.hits, self.view.text)
        return [r for r in rules if self.in_window(r) and holds(r.condition, whole)]

    def fits_watch(self, index: int) -> bool:
        """The watch rule holds over sentence `index` and the ones just before it."""
        watch = self.rules.watch
        if watch is None:
            return False
        first = max(0, index - watch.window_sentences + 1)
        start, end = self.view.spans[first][0], self.view.spans[index][1]
        hits = [h for i in range(first, index + 1) for h in self.view.hits_by_sentence.get(i, [])]
        return holds(watch.condition, _scope(self.view, hits, self.view.text[start:end]))

    def dateline_city(self, gazetteer: Gazetteer) -> PlaceMention | None:
        """The city the story was filed from ("ST. PAUL, Minn. —"), in title case."""
        if self.dateline is None:
            return None
        found = gazetteer.find(self.view.text, *self.dateline.span(), anywhere=True)
        if not found:
            return None
        city = found[0]
        return replace(city, name=city.name.title() if city.name.isupper() else city.name)

    def in_window(self, incident: IncidentRule) -> bool:
        published = self.view.published
        if published is None:
            return True
        first = incident.date - timedelta(days=1)
        return first <= published <= incident.date + timedelta(days=incident.window_days)

    def is_anchored(self, incident: IncidentRule) -> bool:
        """A short follow-up dated to the incident's day, with its cues, naming no other place.

        "The man shot by an ICE officer on Wednesday remains in critical condition"
        names no city, so no condition holds; published two days after a Wednesday
        incident and describing its victim, it is about that incident. The dated
        sentence must also fit the watch rule (agents and gunfire) or refer to the
        shooting as known ("Wednesday's shooting"), so a fresh local shooting on the
        same day is not taken in.
        """
        view = self.view
        if view.published is None or not self.places_fit(incident):
            return False
        watch = self.rules.watch
        for index, (start, end) in enumerate(view.spans):
            sentence = view.text[start:end]
            if not EVENT_WORDS.search(sentence):
                continue
            hits = view.hits_by_sentence.get(index, [])
            fits_watch = watch is not None and holds(watch.condition, _scope(view, hits, sentence))
            if not (fits_watch or DEFINITE_SHOOTING.search(sentence)):
                continue
            dates = find_dates(sentence, start, view.published)
            if not any(m.is_one_day and m.covers(incident.date) for m in dates):
                continue
            if any(self.scorer.cue_evidence(cue, index, start, end, hits) for cue in incident.cues):
                return True
        return False

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
            for hit in self.view.hits
            if dateline.start() <= hit.start < dateline.end() and self.places.is_place(hit)
        ]
        tracked = self.rules.incidents
        if not places or any(self.places.is_own_place(h, i) for h in places for i in tracked):
            return False
        people = self.places.condition_people[incident.incident_id]
        return not any(hit.entity_id in people for hit in self.view.hits)

    def places_fit(self, incident: IncidentRule) -> bool:
        """No place named but the incident's own: no other city, state or dateline."""
        others = self.places.other_cities[incident.incident_id]
        if others is not None and others.search(self.view.text):
            return False
        own_places = []
        for hit in self.view.hits:
            if not self.places.is_place(hit):
                continue
            if not self.places.is_own_place(hit, incident):
                return False
            own_places.append(hit)
        dateline = self.dateline
        return dateline is None or any(
            dateline.start() <= h.start < dateline.end() for h in own_places
        )
