"""Alerts: findings and new-incident candidates in, alert drafts out (pure).

An alert draft carries everything an editor needs to judge it: the kind, the
earlier claim(s) and the new one with outlet, speaker, sentence and URL, and a
one-line reason. Its `dedup_key` makes a story syndicated to twenty outlets
alert once: storage keeps one alert per key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.analysis.claims import Claim
from monitor.analysis.compare import Finding, alert_key
from monitor.analysis.match import MatchResult
from monitor.model import Document, iso

NEW_INCIDENT = "new_incident"


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """An alert before storage gives it an id."""

    dedup_key: str
    kind: str
    subject: str | None
    incident_id: str | None
    slot: str | None
    previous: dict[str, Any] | None
    earlier: tuple[dict[str, Any], ...]
    current: dict[str, Any]
    article_url: str
    reason: str


def claim_view(claim: Claim) -> dict[str, Any]:
    """One side of an alert as JSON: value, source, speaker, url, published, sentence."""
    return {
        "value": claim.value,
        "qualifier": claim.qualifier,
        "source": claim.source,
        "speaker": claim.speaker or None,
        "stance": str(claim.stance),
        "url": claim.article_url,
        "published": iso(claim.published_at),
        "sentence": claim.sentence,
    }


def _incident_of(claim: Claim) -> str | None:
    if claim.incident_id:
        return claim.incident_id
    return None if claim.subject.startswith("city:") else claim.subject


def draft_from_finding(finding: Finding) -> AlertDraft:
    """An update or contradiction alert; the most recent earlier claim is `previous`."""
    claim = finding.claim
    earlier = tuple(claim_view(c) for c in finding.earlier)
    return AlertDraft(
        dedup_key=alert_key(finding),
        kind=str(finding.kind),
        subject=claim.subject,
        incident_id=_incident_of(claim),
        slot=claim.slot,
        previous=earlier[-1] if earlier else None,
        earlier=earlier,
        current=claim_view(claim),
        article_url=claim.article_url,
        reason=finding.reason,
    )


def draft_new_incident(result: MatchResult, document: Document) -> list[AlertDraft]:
    """One alert per candidate incident the article is first to report, keyed by the
    candidate's id (city and day), so twenty outlets reporting it alert once."""
    drafts = []
    for candidate, evidence in zip(result.new_candidates, result.watch_evidence, strict=False):
        sentence = result.sentences[evidence.sentence_index].text
        drafts.append(
            AlertDraft(
                dedup_key=f"{NEW_INCIDENT}|{candidate.incident_id}",
                kind=NEW_INCIDENT,
                subject=candidate.incident_id,
                incident_id=candidate.incident_id,
                slot=None,
                previous=None,
                earlier=(),
                current={
                    "value": candidate.title,
                    "qualifier": None,
                    "source": document.source,
                    "speaker": None,
                    "stance": "asserts",
                    "url": document.url,
                    "published": iso(document.published_at),
                    "sentence": sentence,
                    "headline": document.title,
                },
                article_url=document.url,
                reason=f"possible new incident: {evidence.reason}",
            )
        )
    return drafts


def draft_alerts(
    findings: Sequence[Finding], result: MatchResult, document: Document
) -> list[AlertDraft]:
    """Every alert an analysed article raises, in order (corroborations raise none)."""
    # A new candidate's facts in the article that first reports it are its baseline: the
    # new_incident alert carries them, and only later coverage raises updates.
    new = {c.incident_id for c in result.new_candidates}
    drafts = [draft_from_finding(f) for f in findings if f.is_alert and f.claim.subject not in new]
    return [*draft_new_incident(result, document), *drafts]
