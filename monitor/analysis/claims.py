"""Claim extraction: the facts each sentence states about an incident.

Input: a Document, its sentences already attributed to incidents (match.py),
the entity hits, the claim rules (claim_schema.py) and an ExtractionContext.
Output: Claim values in article order, each with its slot, normalised value,
qualifier, speaker and stance. Pure: no I/O, no clock.

Stages, per sentence: split into clauses -> find who speaks -> mark
background text (another event: "a week after ...") -> run every slot's cues
-> normalise values -> decide the stance -> resolve "disputed that claim".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from monitor.analysis.claim_people import bound_value, people_mentions, value_holder
from monitor.analysis.claim_schema import ClaimSchema, ClaimValue, Cue, Scope, SlotRule, SlotType
from monitor.analysis.claim_values import (
    AT_LEAST,
    canonical_person,
    parse_count,
    parse_time,
)
from monitor.analysis.claim_voice import (
    ANAPHORIC,
    Attribution,
    Mention,
    Stance,
    clause_subject,
    disowns_previous,
    find_attributions,
    is_open_question,
    is_superseded,
    quote_open_after,
    stance_of,
    starts_in_quote,
)
from monitor.analysis.counts import group_sizes, settle_singular_counts
from monitor.analysis.patterns import RuleMatch, check_budget
from monitor.analysis.roles import Cast, cast_from_entities
from monitor.analysis.rule_values import Rules
from monitor.model import Document, Entity, EntityHit, EntityKind, Sentence

log = logging.getLogger(__name__)

__all__ = [
    "Claim",
    "ExtractionContext",
    "Stance",
    "city_slug",
    "context_from_rules",
    "extract_claims",
]

# Clause breaks: "; ", ", but", ", while", ", and", and "and said" (a new verb of saying).
_CLAUSE_BREAK = re.compile(
    r";\s+|,\s+(?:but|while|whereas|and|though|although)\s+|\s+but\s+"
    r"|,?\s+and\s+(?=(?:said|says|told|added|noted|stated)\b)"
    # "..., an account city leaders have questioned": a comment on the claim before it,
    # by someone else
    r"|,\s+(?=(?:an?|the)\s+(?:account|claim|version|assertion|characteri[sz]ation)\b)"
)
# A headline in Title Case capitalises every word, so it names no one reliably.
_TITLE_WORD = re.compile(r"[A-Za-z][\w'’-]{3,}")


@dataclass(frozen=True, slots=True)
class Claim:
    """One fact as one article states it: who says what about which incident."""

    subject: str  # incident id, or "city:<slug>" for city-scope slots
    slot: str
    value: ClaimValue
    qualifier: str | None
    speaker: str  # "" means the outlet's own voice
    stance: Stance
    sentence: str
    sentence_index: int
    source: str
    article_url: str
    published_at: datetime | None
    incident_id: str | None = None  # the incident the sentence was attributed to
    # Stated as an earlier, replaced account ("had said", "initially said"): history the
    # ledger keeps, never the current value nor news of its own.
    superseded: bool = False
    # Whom a person slot's value was bound to (roles.py: "victim", or "unknown" when
    # nothing in the text ties it to anyone). Read, not stored: it gates alerts only.
    holder: str = ""


@dataclass(frozen=True, slots=True)
class ExtractionContext:
    """What extraction needs from the rules besides the claim schema."""

    entities: tuple[Entity, ...] = ()
    city_by_incident: Mapping[str, str] = field(default_factory=dict)
    # A person tied to one incident (its victim, its shooter): a background
    # clause naming them ("a week after Ross shot Good") speaks of that incident.
    incident_by_person: Mapping[str, str] = field(default_factory=dict)
    # The incidents the article as a whole is about, best first.
    article_incidents: tuple[str, ...] = ()
    # Stretches of text (offsets into the analysed text) that tell of another shooting
    # than their sentence's, and the incident each is about (None: one no one tracks):
    # the event layer's look-back clauses and further shootings inside a clause.
    event_regions: tuple[tuple[int, int, str | None], ...] = ()


def city_slug(city: str) -> str:
    """'Portland, Oregon' -> 'portland': the key of a city-scope subject."""
    return city.split(",")[0].strip().lower()


# --------------------------------------------------------------------- extraction


@dataclass(slots=True)
class _ArticleState:
    """What carries over from sentence to sentence."""

    named_speaker: str = ""  # the latest explicitly named speaker ("the statement" -> it)
    previous_speaker: str = ""
    in_quote: bool = False
    previous_incident: str | None = None
    claims: list[Claim] = field(default_factory=list)
    cast: Cast = field(default_factory=Cast)  # who is who: victim, shooter, others


def extract_claims(
    document: Document,
    sentences: Sequence[Sentence],
    hits: Sequence[EntityHit],
    schema: ClaimSchema,
    context: ExtractionContext,
) -> list[Claim]:
    """Every claim the article's sentences make, in article order."""
    state = _ArticleState(cast=cast_from_entities(context.entities))
    is_afternoon = bool(schema.afternoon_cues.search(document.text))
    for sentence in sentences:
        check_budget(f"extracting claims from sentence {sentence.index}")
        mentions = people_mentions(sentence, hits, context.entities)
        state.cast.learn_sentence(sentence.text)
        _extract_sentence(document, sentence, mentions, schema, context, state, is_afternoon)
        if sentence.incident_id is not None:
            state.previous_incident = sentence.incident_id
    return settle_singular_counts(state.claims, group_sizes(sentences))


def _extract_sentence(
    document: Document,
    sentence: Sentence,
    mentions: list[Mention],
    schema: ClaimSchema,
    context: ExtractionContext,
    state: _ArticleState,
    is_afternoon: bool,
) -> None:
    text = sentence.text
    incident = sentence.incident_id
    city = context.city_by_incident.get(incident or state.previous_incident or "")
    clauses = _clauses(text)
    attributions = [find_attributions(text[a:b], a, mentions, schema, city) for a, b in clauses]
    sentence_speaker = _sentence_speaker(text, attributions, state)
    previous: tuple[int, int] | None = None
    disowned = [disowns_previous(text[a:b]) for a, b in clauses[1:]] + [False]
    for (start, end), found, is_disowned in zip(clauses, attributions, disowned, strict=True):
        clause = text[start:end]
        speaker = _named(found[0].speaker, state) if found else sentence_speaker
        if not found and previous is not None and schema.say_verbs.match(clause):
            # "Frey criticized ... and noted that ...": the verb shares the subject.
            subject = clause_subject(
                text[previous[0] : previous[1]], previous[0], mentions, schema, city
            )
            speaker = _named(subject, state) if subject else speaker
        previous = (start, end)
        regions = _regions(clause, start, sentence, mentions, schema, context)
        new = _clause_claims(
            clause, start, regions, speaker, schema, is_afternoon, context, state.cast
        )
        if not new:
            new = _anaphoric_dispute(clause, speaker, schema, state)
        if is_disowned:
            new = [
                replace(c, stance=Stance.HEDGES) if c.stance is Stance.ASSERTS else c for c in new
            ]
        for claim in new:
            state.claims.append(_stamped(claim, document, sentence, incident))
    state.previous_speaker = sentence_speaker
    state.in_quote = quote_open_after(text, was_open=state.in_quote)


def _named(speaker: str, state: _ArticleState) -> str:
    """Resolve 'the statement said'/'it said' to the speaker named earlier."""
    if speaker == ANAPHORIC:
        return state.named_speaker
    state.named_speaker = speaker
    return speaker


def _sentence_speaker(
    text: str, attributions: list[list[Attribution]], state: _ArticleState
) -> str:
    """The sentence's speaker: its first attribution, else the open quote's speaker."""
    for found in attributions:
        if found:
            return _named(found[0].speaker, state)
    if starts_in_quote(text) or state.in_quote:
        return state.previous_speaker
    return ""


def _clauses(text: str) -> list[tuple[int, int]]:
    """Split at '; ', ', but', ', while', ', and': each part can have its own speaker."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in _CLAUSE_BREAK.finditer(text):
        if cut.start() > start:
            spans.append((start, cut.start()))
        start = cut.end()
    spans.append((start, len(text)))
    return spans


# -------------------------------------------------------------------- background


@dataclass(frozen=True, slots=True)
class _Region:
    """A stretch of a clause and the incident it speaks of (None: unknown)."""

    start: int
    end: int
    incident_id: str | None


def _regions(
    clause: str,
    offset: int,
    sentence: Sentence,
    mentions: list[Mention],
    schema: ClaimSchema,
    context: ExtractionContext,
) -> list[_Region]:
    """Foreground and background parts of a clause, each with its incident.

    After a background opener ("a week after", "since") the clause tells of
    another event; it goes to the incident of a person named there, else it is
    dropped. The foreground keeps the sentence's incident: match.py attributes a
    sentence by its main clause and scores a look-back clause apart
    (MatchResult.recaps), so the recalled incident no longer pulls the sentence.
    """
    opener = schema.background_openers.search(clause)
    cut = opener.start() if opener else len(clause)
    regions = [_Region(0, cut, sentence.incident_id)]
    if opener:
        background = _person_incident(offset + cut, offset + len(clause), mentions, context)
        regions.append(_Region(cut, len(clause), background))
    at = sentence.start + offset  # the clause's offset in the analysed text
    for start, end, incident in context.event_regions:
        regions = _carved(regions, start - at, end - at, incident)
    return _without_past_fragments(clause, regions, schema)


def _carved(regions: list[_Region], start: int, end: int, incident: str | None) -> list[_Region]:
    """The regions with [start, end) given to `incident` where they overlap it."""
    carved: list[_Region] = []
    for region in regions:
        low, high = max(region.start, start), min(region.end, end)
        if low >= high:
            carved.append(region)
            continue
        if region.start < low:
            carved.append(_Region(region.start, low, region.incident_id))
        carved.append(_Region(low, high, incident))
        if high < region.end:
            carved.append(_Region(high, region.end, region.incident_id))
    return carved


def _without_past_fragments(
    clause: str, regions: list[_Region], schema: ClaimSchema
) -> list[_Region]:
    """Drop comma-fragments dated to another time ("injured ... last June")."""
    marked = list(schema.time_markers.finditer(clause))
    if not marked:
        return regions
    result: list[_Region] = []
    for region in regions:
        for marker in marked:
            if region.start <= marker.start() < region.end:
                left = clause.rfind(",", region.start, marker.start())
                cut = region.start if left < 0 else left + 1
                region = _Region(region.start, cut, region.incident_id)
        if region.end > region.start:
            result.append(region)
    return result


def _person_incident(
    start: int, end: int, mentions: list[Mention], context: ExtractionContext
) -> str | None:
    for mention in mentions:
        if start <= mention.start < end:
            incident = context.incident_by_person.get(mention.entity_id)
            if incident is not None:
                return incident
    return None


# -------------------------------------------------------------------------- cues


def _clause_claims(
    clause: str,
    offset: int,
    regions: list[_Region],
    speaker: str,
    schema: ClaimSchema,
    is_afternoon: bool,
    context: ExtractionContext,
    cast: Cast,
) -> list[Claim]:
    found: list[Claim] = []
    is_title_case = _is_title_case(clause)
    for slot in schema.slots:
        if is_title_case and slot.type is SlotType.PERSON:
            continue
        for match, cue, value in _slot_matches(slot, clause):
            region = next((r for r in regions if r.start <= match.start() < r.end), None)
            if region is None or region.incident_id is None:
                continue
            normalised = _normalise(slot, cue, value, match, schema, is_afternoon, context)
            if normalised is None or is_open_question(clause, match.end()):
                continue
            holder = value_holder(slot, clause, match, cast)
            if (normalised := bound_value(slot, clause, match, normalised, cast)) is None:
                continue  # another person's age, name or condition (roles.py)
            stance = stance_of(
                clause, match.end(), schema, value_start=match.start(), slot=slot.name
            )
            subject = _subject(slot, region.incident_id, context)
            if subject is None:
                continue
            claim = Claim(
                subject=subject,
                slot=slot.name,
                value=normalised[0],
                qualifier=normalised[1],
                speaker=speaker,
                stance=stance,
                sentence="",
                sentence_index=-1,
                source="",
                article_url="",
                published_at=None,
                incident_id=region.incident_id,
                holder="" if holder is None else str(holder),
                superseded=cue.superseded
                or is_superseded(clause, match.start(), match.end(), schema),
            )
            if claim not in found:
                found.append(claim)
    return found


def _subject(slot: SlotRule, incident_id: str, context: ExtractionContext) -> str | None:
    """The incident id, or "city:<slug>" for a city-scope slot (None: city unknown)."""
    if slot.scope is Scope.INCIDENT:
        return incident_id
    city = context.city_by_incident.get(incident_id)
    return None if city is None else f"city:{city}"


def _is_title_case(text: str) -> bool:
    """'Videos Show ICE Officer Fired Three Shots': most longer words capitalised."""
    words = _TITLE_WORD.findall(text)
    capitalised = sum(1 for w in words if w[0].isupper())
    return len(words) >= 4 and capitalised >= 0.85 * len(words)


def _slot_matches(slot: SlotRule, clause: str) -> Iterable[tuple[RuleMatch, Cue, str | None]]:
    """Cue matches in priority order; a match overlapping an earlier cue's is skipped."""
    taken: list[tuple[int, int]] = []
    for cue in slot.cues:
        if cue.requires is not None and not cue.requires.search(clause):
            continue
        for match in cue.pattern.finditer(clause):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append((match.start(), match.end()))
            raw = match.groupdict().get("value")
            yield match, cue, raw


def _normalise(
    slot: SlotRule,
    cue: Cue,
    raw: str | None,
    match: RuleMatch,
    schema: ClaimSchema,
    is_afternoon: bool,
    context: ExtractionContext,
) -> tuple[ClaimValue, str | None] | None:
    """(value, qualifier) in the slot's canonical form, or None if unusable."""
    qualifier_text = match.groupdict().get("qualifier")
    qualifier = _qualifier(qualifier_text, schema)
    if cue.value is not None:
        return cue.value, qualifier
    if raw is None:
        return None
    if slot.type is SlotType.COUNT:
        count = parse_count(raw)
        if match.groupdict().get("partitive") is not None:  # "one of the two people"
            qualifier = qualifier or AT_LEAST
        return None if count is None else (count, qualifier)
    if slot.type is SlotType.TIME_OF_DAY:
        parsed = parse_time(raw, is_afternoon=is_afternoon)
        if parsed is None:
            return None
        return parsed[0], parsed[1] or qualifier
    if slot.type is SlotType.AGENCY:
        agency = schema.agency_id(raw)
        return None if agency is None else (agency, None)
    if slot.type is SlotType.PERSON:
        person = canonical_person(raw, context.entities)
        return None if person is None else (person, None)
    return raw.strip(), qualifier


def _qualifier(text: str | None, schema: ClaimSchema) -> str | None:
    if not text:
        return None
    return schema.qualifiers.get(" ".join(text.lower().split()))


# ---------------------------------------------------------------------- anaphora


def _anaphoric_dispute(
    clause: str, speaker: str, schema: ClaimSchema, state: _ArticleState
) -> list[Claim]:
    """'Local officials disputed that claim': a dispute of the latest such claim."""
    if not (schema.disputes.search(clause) and schema.anaphors.search(clause)):
        return []
    for earlier in reversed(state.claims):
        if earlier.slot in schema.anaphor_slots and earlier.stance is Stance.ASSERTS:
            if earlier.speaker == speaker:
                return []
            return [replace(earlier, speaker=speaker, stance=Stance.DISPUTES)]
    return []


def _stamped(claim: Claim, document: Document, sentence: Sentence, incident: str | None) -> Claim:
    """Fill in the article fields; a claim from a look-back clause keeps its older incident."""
    return replace(
        claim,
        sentence=sentence.text,
        sentence_index=sentence.index,
        source=document.source,
        article_url=document.url,
        published_at=document.published_at,
        incident_id=claim.incident_id or incident,
    )


# ------------------------------------------------------------------------ context


def context_from_rules(rules: Rules, article_incidents: Sequence[str] = ()) -> ExtractionContext:
    """The ExtractionContext for an article, built from the loaded rules.

    A person counts as tied to an incident when one incident, and only one,
    lists them as a strong cue (weight 3 or more: its victim, its shooter).
    """
    owners: dict[str, set[str]] = {}
    for incident in rules.incidents:
        for cue in incident.cues:
            if cue.entity is not None and cue.weight >= _STRONG_CUE_WEIGHT:
                owners.setdefault(cue.entity, set()).add(incident.incident_id)
    people = {e.entity_id for e in rules.entities if e.kind is EntityKind.PERSON}
    return ExtractionContext(
        entities=tuple(e.entity for e in rules.entities),
        city_by_incident={i.incident_id: city_slug(i.city) for i in rules.incidents},
        incident_by_person={
            entity: next(iter(ids))
            for entity, ids in owners.items()
            if len(ids) == 1 and entity in people
        },
        article_incidents=tuple(article_incidents),
    )


_STRONG_CUE_WEIGHT = 3
