"""JSON shapes for scripts: stage values in, plain dicts out.

These shapes are a contract with newsroom scripts: fields are added, never
renamed. Every `--json` output and the stored evidence go through here.
"""

from __future__ import annotations

from typing import Any

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.claims import Claim
from monitor.analysis.match import Evidence, IncidentMatch, MatchResult
from monitor.model import iso


def attributed_source(source: str, outlet: str | None) -> str:
    """'Feed Name (page says: X)' when the page names its outlet otherwise, else the source.

    A page's og:site_name is whatever its author typed; it is shown beside the name
    the article is attributed to (the feed's), never in its place.
    """
    if outlet and outlet.strip() and outlet.strip().casefold() != source.strip().casefold():
        return f"{source} (page says: {outlet.strip()})"
    return source


def evidence_json(evidence: Evidence, result: MatchResult) -> dict[str, Any]:
    return {
        "alias": evidence.matched,
        "entity": evidence.entity_id,
        "offset": evidence.start,
        "sentence_index": evidence.sentence_index,
        "sentence": result.sentences[evidence.sentence_index].text,
        "weight": evidence.weight,
        "reason": evidence.reason,
    }


def incident_match_json(match: IncidentMatch, result: MatchResult) -> dict[str, Any]:
    return {
        "id": match.incident_id,
        "score": match.score,
        "weight": match.weight,
        "evidence": [evidence_json(e, result) for e in match.evidence],
    }


def match_json(result: MatchResult) -> dict[str, Any]:
    """The matching part of `monitor explain --json`."""
    return {
        "incidents": [incident_match_json(m, result) for m in result.incidents],
        "new_incident": result.new_incident,
        "new_incident_evidence": [evidence_json(e, result) for e in result.watch_evidence],
        "entities": [
            {
                "entity": h.entity_id,
                "alias": h.alias,
                "offset": h.start,
                "sentence_index": h.sentence_index,
            }
            for h in result.hits
        ],
        "sentences": [
            _sentence_json(s.index, s.text, s.incident_id, result) for s in result.sentences
        ],
    }


def _sentence_json(
    index: int, text: str, incident_id: str | None, result: MatchResult
) -> dict[str, Any]:
    recap = result.recap_of(index)
    return {
        "index": index,
        "text": text,
        "incident": incident_id,
        # A look-back clause ("..., a week after an ICE officer killed Renee Good")
        # speaks of an older incident than the sentence itself.
        "recalls": recap.incident_id if recap else None,
    }


def claim_json(claim: Claim) -> dict[str, Any]:
    """One claim as `monitor claims --json` and `monitor explain --json` show it."""
    return {
        "subject": claim.subject,
        "incident": claim.incident_id
        or (None if claim.subject.startswith("city:") else claim.subject),
        "slot": claim.slot,
        "value": claim.value,
        "qualifier": claim.qualifier,
        "source": claim.source,
        "speaker": claim.speaker or None,
        "stance": str(claim.stance),
        "sentence": claim.sentence,
        "sentence_index": claim.sentence_index,
        "article_url": claim.article_url,
        "published": iso(claim.published_at),
    }


def alert_draft_json(draft: AlertDraft) -> dict[str, Any]:
    """An alert that would fire, shaped as in `monitor alerts --json` (not stored: no id)."""
    return {
        "id": None,
        "incident": draft.incident_id,
        "kind": draft.kind,
        "slot": draft.slot,
        "subject": draft.subject,
        "previous": draft.previous,
        "earlier": list(draft.earlier),
        "current": draft.current,
        "article_url": draft.article_url,
        "reason": draft.reason,
        "created_at": None,
        "delivered": False,
        "seeded": False,
    }
