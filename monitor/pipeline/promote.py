"""`monitor incidents promote ID`: the rule stanzas that would track a candidate incident.

A candidate is followed under its own id (city and date) until an editor decides to
track it. Promoting prints what to add to `rules/incidents.yaml`, in the form that
declares an incident by its arguments (date, city, place, agency, victims), and, when no
entity of `rules/entities.yaml` names its city, the place entity to add there too. It
writes nothing: the editor reviews the stanza (the title above all) and pastes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from monitor.analysis.events import CandidateIncident, Outcome
from monitor.analysis.rule_values import EntityRule, Rules
from monitor.errors import ConfigError
from monitor.store import Database

# The window a promoted incident gets: as long as candidates are followed.
PROMOTED_WINDOW_DAYS = 180
# The tag incidents.yaml takes for "some federal immigration agency" (its default agency).
FEDERAL_IMMIGRATION = "federal-immigration"


@dataclass(frozen=True, slots=True)
class Promotion:
    """The stanzas that would track a candidate: its incident, and its city's entity when
    entities.yaml has none."""

    incident: dict[str, Any]
    entity: dict[str, Any] | None
    # What else to change by hand (another entity with the city's name as an alias).
    notes: tuple[str, ...] = ()

    def as_yaml(self) -> str:
        """Both stanzas as YAML list items, indented to paste under `incidents:` and
        `entities:`, each after a comment naming its file."""
        parts = ["# rules/incidents.yaml, under `incidents:`", _list_item(self.incident)]
        if self.entity is not None:
            parts += ["# rules/entities.yaml, under `entities:`", _list_item(self.entity)]
        parts += [f"# note: {note}" for note in self.notes]
        return "\n".join(parts)


def _list_item(stanza: dict[str, Any]) -> str:
    text = yaml.safe_dump([stanza], sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"  {line}" for line in text.splitlines(keepends=True)).rstrip("\n")


def promotion(database: Database, rules: Rules, incident_id: str) -> Promotion:
    """The stanzas for a stored candidate; ConfigError (one line, with what to do) for an
    id that names no candidate or one already tracked."""
    if any(incident.incident_id == incident_id for incident in rules.incidents):
        raise ConfigError(
            f"{incident_id!r} is already tracked in incidents.yaml; "
            "`monitor incidents` lists the candidates"
        )
    stored = database.candidate(incident_id)
    if stored is None:
        raise ConfigError(
            f"unknown candidate incident {incident_id!r}; "
            "`monitor incidents` lists the candidates and their ids"
        )
    return promote(stored.candidate, rules)


def promote(candidate: CandidateIncident, rules: Rules) -> Promotion:
    """The stanzas that would track the candidate under the same id, so its ledger and
    Slack thread carry on."""
    place, entity = _place(candidate.city, rules.entities)
    incident: dict[str, Any] = {
        "incident_id": candidate.incident_id,
        "title": candidate.title,
        "date": candidate.date,
        "city": candidate.city,
        "window_days": PROMOTED_WINDOW_DAYS,
        "place": place,
        "agency": agency_entity(candidate.agency, rules.entities),
    }
    if candidate.outcome is not Outcome.UNKNOWN:
        incident["victims"] = {"outcome": str(candidate.outcome)}
    notes = _sharing_the_name(candidate.city, rules.entities) if entity else []
    return Promotion(incident, entity, tuple(notes))


def _place(city: str, entities: tuple[EntityRule, ...]) -> tuple[str, dict[str, Any] | None]:
    """The id of the city's place entity, and that entity's stanza when it is new."""
    known = city_entity(city, entities)
    if known is not None:
        return known.entity_id, None
    entity = new_place(city, entities)
    return str(entity["entity_id"]), entity


def _folded(text: str) -> str:
    return " ".join(text.replace(".", " ").casefold().split())


def _names(entity: EntityRule) -> set[str]:
    names = {entity.entity_id, entity.name, entity.name.split(",")[0]}
    names.update(entity.aliases, entity.case_sensitive_aliases)
    return {_folded(name) for name in names}


def city_entity(city: str, entities: tuple[EntityRule, ...]) -> EntityRule | None:
    """The place entity of the city: "St. Paul, Minnesota" is Saint Paul's (alias St. Paul,
    in Minnesota); "Portland, Maine" is not Portland, Oregon's; a catch-all entity listing
    many cities among its aliases is none of them."""
    return next((e for e in entities if e.kind == "place" and _is_the_city(e, city)), None)


def _is_the_city(entity: EntityRule, city: str) -> bool:
    town, _, state = (_folded(part) for part in city.partition(","))
    its_town, _, its_state = (_folded(part) for part in entity.name.partition(","))
    if state and its_state and state != its_state:
        return False
    if town == its_town:
        return True
    # By an alias only when the entity is named after the town ("Saint Paul" for "St. Paul").
    named_after = {word for word in town.split() if len(word) > 2} & set(its_town.split())
    return town in _names(entity) and bool(named_after)


def _sharing_the_name(city: str, entities: tuple[EntityRule, ...]) -> list[str]:
    """Lines naming the other place entities that have the town as an alias."""
    town = city.partition(",")[0].strip()
    return [
        f"entities.yaml: {e.entity_id} also has the alias {town!r}: remove it there, "
        "or the new place shares its mentions"
        for e in entities
        if e.kind == "place" and _folded(town) in _names(e)
    ]


def new_place(city: str, entities: tuple[EntityRule, ...]) -> dict[str, Any]:
    """A place entity for a city entities.yaml does not know, with an unused id."""
    short = city.split(",")[0].strip()
    taken = {e.entity_id for e in entities}
    entity_id = next(
        i for i in (_slug(short), _slug(city), f"{_slug(city)}-city") if i not in taken
    )
    return {
        "entity_id": entity_id,
        "kind": "place",
        "name": city,
        "role": "city",
        "aliases": [short],
    }


def _slug(text: str) -> str:
    """Lower-case words joined by dashes, as in candidate ids: "St. Paul" -> st-paul."""
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def agency_entity(agency: str | None, entities: tuple[EntityRule, ...]) -> str:
    """The id of the agency entity the text named ("ICE" -> ice), else the tag of every
    federal immigration agency."""
    if agency:
        named = next(
            (e for e in entities if e.kind == "agency" and _folded(agency) in _names(e)), None
        )
        if named is not None:
            return named.entity_id
    return FEDERAL_IMMIGRATION
