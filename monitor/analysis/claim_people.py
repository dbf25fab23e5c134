"""People in a sentence for claims.py: who is named, and whose attribute a value is.

`people_mentions` finds the people the rules know in a sentence (for speakers
and background). `bound_value` keeps a cue's value only when the person it
describes may fill the slot (roles.py), and widens a count read from one noun
phrase to the coordinated list it belongs to (counts.py). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from monitor.analysis.claim_schema import ClaimValue, SlotRule, SlotType
from monitor.analysis.claim_values import HONORIFIC, display_name
from monitor.analysis.claim_voice import Mention
from monitor.analysis.counts import SINGULAR, coordinated_count, is_singular
from monitor.analysis.patterns import RuleMatch
from monitor.analysis.roles import VICTIM_SLOTS, Cast, Role, fits, holder_role
from monitor.model import Entity, EntityHit, EntityKind, Sentence

# A name a person slot accepts becomes who that person is for the rest of the article.
_NAME_ROLES = {"victim_name": Role.VICTIM, "shooter_name": Role.SHOOTER}

Normalised = tuple[ClaimValue, str | None]


def value_holder(slot: SlotRule, clause: str, match: RuleMatch, cast: Cast) -> Role | None:
    """The role of the person a victim slot's value describes (None: not a victim slot)."""
    if slot.name not in VICTIM_SLOTS:
        return None
    start, end = match.span("value") if match.groupdict().get("value") is not None else match.span()
    return holder_role(slot.name, clause, start, end, cast)


def bound_value(
    slot: SlotRule, clause: str, match: RuleMatch, normalised: Normalised, cast: Cast
) -> Normalised | None:
    """The value if its holder may fill `slot` (None if not); counts cover their list."""
    groups: Mapping[str, str | None] = match.groupdict()
    raw = groups.get("value")
    start, end = match.span("value") if raw is not None else match.span()
    if not fits(slot.name, holder_role(slot.name, clause, start, end, cast)):
        return None
    value, qualifier = normalised
    if slot.name in _NAME_ROLES and isinstance(value, str):
        cast.learn_name(value, _NAME_ROLES[slot.name])
    is_phrase = "partitive" in groups and groups["partitive"] is None
    if slot.type is SlotType.COUNT and is_phrase and raw is not None and type(value) is int:
        total = coordinated_count(clause, start, value)
        if total != value:
            return total, qualifier
        if qualifier is None and is_singular(raw):
            return value, SINGULAR  # settled once the article is read (counts.py)
    return normalised


def people_mentions(
    sentence: Sentence, hits: Sequence[EntityHit], entities: Sequence[Entity]
) -> list[Mention]:
    """People named in the sentence (sentence-local offsets): matcher hits and full names."""
    people = {e.entity_id: e for e in entities if e.kind is EntityKind.PERSON}
    text = sentence.text.replace("’", "'")
    found: dict[tuple[int, int], str] = {}
    for hit in hits:
        if hit.sentence_index == sentence.index and hit.entity_id in people:
            found[(hit.start - sentence.start, hit.end - sentence.start)] = hit.entity_id
    for entity in people.values():
        for alias in entity.aliases:
            # Surnames alone ("Frey said") count only capitalised, as names are.
            flags = re.IGNORECASE if len(alias.split()) >= 2 else 0
            for named in re.finditer(rf"\b{re.escape(alias)}\b", text, flags):
                found.setdefault((named.start(), named.end()), entity.entity_id)
        for titled in HONORIFIC.finditer(text):
            if titled.group(1) in entity.aliases:
                found.setdefault((titled.start(), titled.end()), entity.entity_id)
    return [
        Mention(start, end, entity_id, display_name(people[entity_id]))
        for (start, end), entity_id in sorted(found.items())
    ]
