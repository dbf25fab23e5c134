"""Small builders for claim tests: the shipped schema, hand-made sentences and claims."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from monitor.analysis.claim_schema import ClaimSchema, ClaimValue, load_claim_schema
from monitor.analysis.claims import Claim, ExtractionContext, Stance, extract_claims
from monitor.model import Document, Entity, EntityKind, Sentence

REPO_ROOT = Path(__file__).resolve().parent.parent
INCIDENT = "inc-riverside"
OTHER_INCIDENT = "inc-earlier"
PUBLISHED_AT = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

PEOPLE = (
    Entity("jacob-frey", EntityKind.PERSON, "Jacob Frey", ("Jacob Frey", "Frey")),
    Entity("ana-ortiz", EntityKind.PERSON, "Ana Maria Ortiz", ("Ana Maria Ortiz", "Ana Ortiz")),
    Entity("tom-keller", EntityKind.PERSON, "Tom Keller", ("Tom Keller",)),
)
CONTEXT = ExtractionContext(
    entities=PEOPLE,
    city_by_incident={INCIDENT: "portland", OTHER_INCIDENT: "portland"},
    incident_by_person={"ana-ortiz": OTHER_INCIDENT, "tom-keller": OTHER_INCIDENT},
    article_incidents=(INCIDENT, OTHER_INCIDENT),
)


@cache
def shipped_schema() -> ClaimSchema:
    """rules/claims.yaml as shipped."""
    return load_claim_schema(REPO_ROOT / "rules" / "claims.yaml")


def sentences_of(text: str, incident_id: str | None = INCIDENT) -> list[Sentence]:
    """Split at sentence ends; every sentence goes to `incident_id`."""
    found: list[Sentence] = []
    start = 0
    cuts = [m.end() for m in re.finditer(r"(?<=[.!?])[\"”]?\s+(?=[A-Z\"“])", text)]
    for end in [*cuts, len(text)]:
        stripped = text[start:end].strip()
        if stripped:
            begin = text.index(stripped, start)
            found.append(Sentence(len(found), stripped, begin, begin + len(stripped), incident_id))
        start = end
    return found


def extract(
    text: str, source: str = "Test Herald", url: str = "https://example.test/a"
) -> list[Claim]:
    """Claims from `text`, all sentences attributed to INCIDENT."""
    document = Document(url, "", text, source, PUBLISHED_AT)
    return extract_claims(document, sentences_of(text), (), shipped_schema(), CONTEXT)


def values(text: str, slot: str) -> list[ClaimValue]:
    """The values of one slot that `text` states."""
    return [c.value for c in extract(text) if c.slot == slot]


def claim(
    slot: str,
    value: ClaimValue,
    *,
    speaker: str = "DHS",
    source: str = "outlet-a",
    stance: Stance = Stance.ASSERTS,
    qualifier: str | None = None,
    subject: str = INCIDENT,
    sentence: str | None = None,
    sentence_index: int = 0,
    article_url: str | None = None,
    published_at: datetime = PUBLISHED_AT,
    holder: str = "victim",
) -> Claim:
    """A hand-made claim for comparison and revision tests (a person slot's value is the
    victim's unless `holder` says the engine could not tell)."""
    return Claim(
        subject=subject,
        slot=slot,
        value=value,
        qualifier=qualifier,
        speaker=speaker,
        stance=stance,
        sentence=sentence if sentence is not None else f"{slot} is {value}.",
        sentence_index=sentence_index,
        source=source,
        article_url=article_url or f"https://{source}.test/story",
        published_at=published_at,
        incident_id=subject,
        holder=holder,
    )
