"""JSON shapes for scripts: stage values in, plain dicts out.

These shapes are a contract with newsroom scripts: fields are added, never
renamed. Every `--json` output and the stored evidence go through here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from monitor.model import iso

if TYPE_CHECKING:  # `monitor alerts` and `feeds` need only the words below, not the analysis
    from monitor.analysis.alerts import AlertDraft
    from monitor.analysis.attribution import Evidence
    from monitor.analysis.claims import Claim
    from monitor.analysis.match import IncidentMatch, MatchResult

# ------------------------------------------------------------------ words for editors

_IDENTIFIER = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")
# Words that join the next one with a hyphen: self-defense, non-life-threatening.
_HYPHEN_PREFIXES = frozenset({"self", "non", "anti", "ex", "co", "pre", "post", "semi", "multi"})
_HYPHENATED_PAIRS = frozenset({("life", "threatening"), ("well", "known")})
_QUALIFIERS = {
    "more_than": "more than",
    "at_least": "at least",
    "about": "about",
    "almost": "almost",
    "fewer_than": "fewer than",
    "at_most": "at most",
}
_STANCE_WORDS = {
    "asserts": "according to",
    "disputes": "disputed by",
    "denies": "denied by",
    "hedges": "unconfirmed, reported by",
}


def editor_words(name: str) -> str:
    """An identifier as words: 'federal_officers_deployed' -> 'federal officers deployed',
    'self_defense' -> 'self-defense', 'non_life_threatening' -> 'non-life-threatening'.
    Anything that is not a snake_case identifier (a name, a time) is left as it is."""
    if not _IDENTIFIER.fullmatch(name):
        return name
    words = name.split("_")
    text = words[0]
    for before, word in pairwise(words):
        joined = before in _HYPHEN_PREFIXES or (before, word) in _HYPHENATED_PAIRS
        text += ("-" if joined else " ") + word
    return text


def voice_words(voice: str) -> str:
    """'federal_officials (seed-000)' -> 'federal officials (seed-000)': the speaker in
    words, the outlet (a name someone chose, e.g. a feed's) as it is."""
    speaker, separator, outlet = voice.partition(" (")
    return editor_words(speaker) + separator + outlet if outlet.endswith(")") else voice


def editor_value(value: object, qualifier: str | None = None) -> str:
    """A claim's value as an editor reads it: 'yes'/'no', '2,000', 'about 3,000',
    'self-defense', '14:19 (no a.m./p.m. given)'."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = editor_words(str(value))
    if qualifier == "pm_assumed":
        return f"{text} (no a.m./p.m. given)"
    words = _QUALIFIERS.get(qualifier or "")
    return f"{words} {text}" if words else text


def stance_words(stance: str, who: str) -> str:
    """'disputed by local officials', 'according to DHS (seed-001)'."""
    return f"{_STANCE_WORDS.get(stance, stance)} {who}"


def shown_time(moment: datetime | None, zone: tzinfo = UTC) -> str | None:
    """A time as tables show it, in the newsroom's zone, to the minute, with the zone:
    '2026-01-08 14:15 PST'; None for no time."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def side_voice(side: dict[str, Any]) -> str:
    """Who stands behind one side of an alert: 'DHS via seed-001', or the outlet alone."""
    source = attributed_source(str(side.get("source") or "unknown source"), side.get("outlet"))
    speaker = side.get("speaker")
    return f"{editor_words(str(speaker))} via {source}" if speaker else source


def why_line(
    kind: str,
    slot: str | None,
    previous: dict[str, Any] | None,
    current: dict[str, Any],
    reason: str,
) -> str:
    """Why an alert fired, in words, naming exactly the two sides the alert shows
    (`previous`, `current`): the Slack "Why" line and `monitor alerts` use it, so they
    cannot cite another earlier claim than the one beside them. Other kinds (new
    incident, edit) keep the reason the analysis gave."""
    if kind not in ("update", "contradiction"):
        return reason
    label = editor_words(slot or "value")
    now = editor_value(current.get("value"), current.get("qualifier"))
    if previous is None:
        return f"first report of {label}: {now} ({side_voice(current)})"
    before = editor_value(previous.get("value"), previous.get("qualifier"))
    stance = str(current.get("stance") or "asserts")
    if stance in ("disputes", "denies"):
        verb = "disputed" if stance == "disputes" else "denied"
        says = f", who says {now}" if now != before else ""
        return f"{label}: {before} ({side_voice(previous)}), {verb} by {side_voice(current)}{says}"
    if kind == "update":
        return f"{label}: {before} ({side_voice(previous)}) → {now} ({side_voice(current)})"
    return f"{label}: {now} ({side_voice(current)}) contradicts {before} ({side_voice(previous)})"


# ------------------------------------------------------------------ JSON shapes


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
