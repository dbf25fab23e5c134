"""The events part of `monitor explain`: each shooting the article reports, the arguments
its clause states, the incident or candidate it went to, and why the others were ruled out.

`--json` gains `events` and `new_candidates`; the terminal view an `events:` section
saying the same. Both read the engine's `MatchResult.events` and `.new_candidates`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection
from typing import Any

from monitor.analysis.events import CandidateIncident, EventMention
from monitor.analysis.match import MatchResult


def candidate_ids(result: MatchResult, known: Collection[CandidateIncident]) -> frozenset[str]:
    """The ids that name candidates (known before the article, or first reported by it)."""
    return frozenset(c.incident_id for c in (*known, *result.new_candidates))


def _went_to(event: EventMention, candidates: Collection[str]) -> str | None:
    """ "tracked", "candidate", or None for an event no one follows."""
    if event.incident_id is None:
        return None
    return "candidate" if event.incident_id in candidates else "tracked"


def event_json(
    event: EventMention, result: MatchResult, candidates: Collection[str], new: Collection[str]
) -> dict[str, Any]:
    """One event mention as `monitor explain --json` shows it."""
    return {
        "sentence_index": event.sentence_index,
        "text": result.text[event.start : event.end],
        "trigger": event.trigger,
        "arguments": {
            "date": event.date.isoformat() if event.date else None,
            "city": event.city,
            "state": event.state,
            "shooter": str(event.shooter),
            "outcome": str(event.outcome),
        },
        "incident": event.incident_id,
        "incident_kind": _went_to(event, candidates),
        "new_candidate": event.incident_id in new,
        "ruled_out": [{"incident": r.incident_id, "reason": r.reason} for r in event.ruled_out],
    }


def candidate_json(candidate: CandidateIncident) -> dict[str, Any]:
    return {
        "id": candidate.incident_id,
        "title": candidate.title,
        "city": candidate.city,
        "date": candidate.date.isoformat(),
        "shooter": str(candidate.shooter),
        "outcome": str(candidate.outcome),
        "agency": candidate.agency,
    }


def events_json(result: MatchResult, known: Collection[CandidateIncident]) -> dict[str, Any]:
    """The `events` and `new_candidates` fields of `monitor explain --json`."""
    candidates = candidate_ids(result, known)
    new = {c.incident_id for c in result.new_candidates}
    return {
        "events": [event_json(e, result, candidates, new) for e in result.events],
        "new_candidates": [candidate_json(c) for c in result.new_candidates],
    }


def _destination(event: EventMention, candidates: Collection[str], new: Collection[str]) -> str:
    kind = _went_to(event, candidates)
    if kind is None:
        return "-> no incident (not followed)"
    label = "new candidate" if event.incident_id in new else kind
    return f"-> {event.incident_id} ({label})"


def _place(event: EventMention) -> str:
    if event.city is None:
        return "-"
    return f"{event.city}, {event.state}" if event.state else event.city


def events_lines(
    result: MatchResult, known: Collection[CandidateIncident], *, width: int = 100
) -> list[str]:
    """The `events:` section of `monitor explain`: one block per event mention."""
    candidates = candidate_ids(result, known)
    new = {c.incident_id for c in result.new_candidates}
    lines = ["events:"]
    for event in result.events:
        clause = " ".join(result.text[event.start : event.end].split())
        lines.append(textwrap.shorten(f"  [{event.sentence_index}] {clause}", width=width))
        stated = (
            f"date {event.date.isoformat() if event.date else '-'}, "
            f"city {_place(event)}, shooter {event.shooter}, outcome {event.outcome}"
        )
        lines.append(f"      {stated}")
        lines.append(f"      {_destination(event, candidates, new)}")
        lines.extend(f"      not {r.incident_id}: {r.reason}" for r in event.ruled_out)
    if len(lines) == 1:
        lines.append("  none")
    return lines
