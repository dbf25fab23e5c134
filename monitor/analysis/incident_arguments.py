"""Incidents declared by what editors know: date, city, agency, shooter, victims.

An incident in incidents.yaml may give its arguments instead of (or beside) a
hand-written `condition` and `cues`:

    place: minneapolis            # entity id or tag of the city or its area
    agency: federal-immigration   # entity id or tag of the shooter's agency
    shooter: jonathan-ross        # entity id
    victims: {names: [renee-good], count: 1, outcome: killed}

From them this module derives the condition an article must meet (a victim or
the shooter named, or the place, the agency and gunfire together, with the
outcome when one is given) and the cues that tell neighbouring incidents apart
sentence by sentence. Event mentions are checked against the same arguments
(events.py). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.analysis.events import CandidateIncident, Outcome
from monitor.analysis.patterns import compile_safe
from monitor.analysis.rule_values import (
    AllCondition,
    AnyCondition,
    Condition,
    Cue,
    EntityCondition,
    IncidentRule,
    TagCondition,
    TermCondition,
)

FEDERAL_IMMIGRATION = "federal-immigration"
GUNFIRE_TERM = r"\b(shot|shoots?|shooting|fired|opened fire|gunfire|gunshots?)\b"
OUTCOME_TERMS = {
    "killed": r"(?<!non-)\bfatal(ly)?\b|\b(killed|killing|shot dead|death|died|dead)\b",
    "wounded": (
        r"\b(wounded|wounding|injured|non-?fatal|non-life-threatening|not life-threatening"
        r"|survived|hospitali[sz]ed|in the (leg|arm|thigh|foot|shoulder|hand|hip))\b"
    ),
}
# Weights of derived cues: a named person is near-certain, the city is strong, the
# agency and outcome tell neighbours apart, the area alone is weak.
PERSON_WEIGHT = 4.0
PLACE_ENTITY_WEIGHT = 2.0
PLACE_TAG_WEIGHT = 1.0
AGENCY_WEIGHT = 1.0
OUTCOME_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class IncidentArguments:
    """The arguments an incident declares in incidents.yaml (all optional)."""

    place: str | None = None
    agency: str | None = None
    shooter: str | None = None
    victim_names: tuple[str, ...] = ()
    victim_count: int | None = None
    outcome: str | None = None

    def references(self) -> Iterator[tuple[tuple[Any, ...], str]]:
        """(key path, entity id or tag) for every reference, for checking."""
        for key in ("place", "agency", "shooter"):
            value = getattr(self, key)
            if value is not None:
                yield (key,), value
        for index, name in enumerate(self.victim_names):
            yield ("victims", "names", index), name

    def fields(self) -> dict[str, Any]:
        """The IncidentRule fields these arguments fill."""
        return {
            "place": self.place,
            "agency": self.agency,
            "shooter": self.shooter,
            "victim_names": self.victim_names,
            "victim_count": self.victim_count,
            "outcome": self.outcome,
        }


def _atom(ref: str, entity_ids: Collection[str]) -> Condition:
    return EntityCondition(ref) if ref in entity_ids else TagCondition(ref)


def _term(pattern: str, origin: str) -> TermCondition:
    return TermCondition(pattern, compile_safe(pattern, origin, re.IGNORECASE))


def derived_condition(arguments: IncidentArguments, entity_ids: Collection[str]) -> Condition:
    """A victim or the shooter named; or the place, the agency and gunfire (and the
    outcome, when the incident gives one) together."""
    people = [EntityCondition(name) for name in arguments.victim_names]
    if arguments.shooter is not None:
        people.append(EntityCondition(arguments.shooter))
    together: list[Condition] = [_term(GUNFIRE_TERM, "derived gunfire term")]
    if arguments.place is not None:
        together.insert(0, _atom(arguments.place, entity_ids))
        together.insert(1, _atom(arguments.agency or FEDERAL_IMMIGRATION, entity_ids))
        if arguments.outcome in OUTCOME_TERMS:
            together.append(_term(OUTCOME_TERMS[arguments.outcome], "derived outcome term"))
        return AnyCondition((*people, AllCondition(tuple(together))))
    return AnyCondition(tuple(people))


def derived_cues(arguments: IncidentArguments, entity_ids: Collection[str]) -> tuple[Cue, ...]:
    """Cues from the arguments: the people named, the place, the agency, the outcome."""
    cues = [Cue(PERSON_WEIGHT, f"victim {n}", entity=n) for n in arguments.victim_names]
    if arguments.shooter is not None:
        cues.append(Cue(PERSON_WEIGHT, f"shooter {arguments.shooter}", entity=arguments.shooter))
    if arguments.place is not None:
        is_entity = arguments.place in entity_ids
        cues.append(_ref_cue(arguments.place, is_entity, "place", PLACE_ENTITY_WEIGHT))
    if arguments.agency is not None:
        cues.append(_ref_cue(arguments.agency, arguments.agency in entity_ids, "agency"))
    if arguments.outcome in OUTCOME_TERMS:
        pattern = OUTCOME_TERMS[arguments.outcome]
        term = compile_safe(pattern, "derived outcome cue", re.IGNORECASE)
        cues.append(Cue(OUTCOME_WEIGHT, f"outcome {arguments.outcome}", term=term))
    return tuple(cues)


def _ref_cue(ref: str, is_entity: bool, what: str, entity_weight: float = AGENCY_WEIGHT) -> Cue:
    if is_entity:
        return Cue(entity_weight, f"{what} {ref}", entity=ref)
    return Cue(PLACE_TAG_WEIGHT, f"{what} {ref}", tag=ref)


CANDIDATE_CITY_WEIGHT = 3.0
# A surname shorter than this is too common a word to stand for the person.
_MIN_SURNAME = 4


def name_pattern(names: Sequence[str]) -> str | None:
    """A case-sensitive pattern for people's full names and surnames (None: no names)."""
    parts = set()
    for name in names:
        words = name.split()
        parts.add(re.escape(name))
        if len(words) > 1 and len(words[-1]) >= _MIN_SURNAME:
            parts.add(re.escape(words[-1]))
    if not parts:
        return None
    return r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")\b"


def candidate_rule(candidate: CandidateIncident) -> IncidentRule:
    """A candidate incident matched like a tracked one: its city with gunfire makes the
    condition, and naming its city singles it out sentence by sentence."""
    name = candidate.city.partition(",")[0].strip()
    words = [re.escape(w).replace(r"\.", r"\.?") for w in name.split()]
    city = r"\b" + r"\s+".join(words) + r"\b"
    if words and words[0].lower() in ("st", r"st\.?", "saint"):
        city = r"\b(st\.?|saint)\s+" + r"\s+".join(words[1:]) + r"\b"
    origin = f"candidate {candidate.incident_id}"
    cues = [
        Cue(
            CANDIDATE_CITY_WEIGHT,
            f"candidate's city {name}",
            term=compile_safe(city, origin, re.IGNORECASE),
            identifying=True,
        )
    ]
    if str(candidate.outcome) in OUTCOME_TERMS:
        term = compile_safe(OUTCOME_TERMS[str(candidate.outcome)], origin, re.IGNORECASE)
        cues.append(Cue(OUTCOME_WEIGHT, f"outcome {candidate.outcome}", term=term))
    names = name_pattern(candidate.names)
    people: list[Condition] = []
    if names is not None:
        named = compile_safe(names, origin)
        cues.append(Cue(PERSON_WEIGHT, "candidate's people", term=named, identifying=True))
        people.append(TermCondition(names, named))
    condition = AnyCondition(
        (*people, AllCondition((_term(city, origin), _term(GUNFIRE_TERM, origin))))
    )
    return IncidentRule(
        incident_id=candidate.incident_id,
        title=candidate.title,
        date=candidate.date,
        city=candidate.city,
        condition=condition,
        cues=tuple(cues),
        outcome=None if candidate.outcome is Outcome.UNKNOWN else str(candidate.outcome),
        is_candidate=True,
    )
