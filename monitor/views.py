"""JSON shapes for scripts: stage values in, plain dicts out.

These shapes are a contract with newsroom scripts: fields are added, never
renamed. Every `--json` output and the stored evidence go through here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.match import Evidence, IncidentMatch, MatchResult


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a Z, or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


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
            {"index": s.index, "text": s.text, "incident": s.incident_id} for s in result.sentences
        ],
    }
