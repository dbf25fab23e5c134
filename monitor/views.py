"""JSON shapes for scripts: stage values in, plain dicts out.

These shapes are a contract with newsroom scripts: fields are added, never
renamed. Every `--json` output and the stored evidence go through here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from monitor.model import iso
from monitor.redact import redact_text, redact_url

if TYPE_CHECKING:  # `monitor alerts` and `feeds` need only the words below, not the analysis
    from monitor.analysis.alerts import AlertDraft
    from monitor.analysis.attribution import Evidence
    from monitor.analysis.claims import Claim
    from monitor.analysis.events import CandidateIncident
    from monitor.analysis.match import IncidentMatch, MatchResult
    from monitor.analysis.rule_values import Rules

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


# ------------------------------------------------------------------ stored values
# What the shapes below read of the store's records (monitor.store.records), named here
# because this pure module may not import the store: the records satisfy them as they are.


class StoredAlert(Protocol):
    @property
    def alert_id(self) -> int: ...
    @property
    def incident_id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def slot(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def previous(self) -> dict[str, Any] | None: ...
    @property
    def earlier(self) -> list[dict[str, Any]]: ...
    @property
    def current(self) -> dict[str, Any]: ...
    @property
    def article_id(self) -> int: ...
    @property
    def article_url(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def delivered_at(self) -> datetime | None: ...
    @property
    def is_seeded(self) -> bool: ...
    @property
    def delivery_status(self) -> str: ...
    @property
    def last_error(self) -> str | None: ...


class StoredArticle(Protocol):
    @property
    def article_id(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def fetched_at(self) -> datetime | None: ...
    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def retry_at(self) -> datetime | None: ...
    @property
    def revision(self) -> int: ...
    @property
    def outlet(self) -> str | None: ...
    @property
    def stated_published_at(self) -> datetime | None: ...


class Coverage(Protocol):
    @property
    def article_count(self) -> int: ...
    @property
    def latest_published_at(self) -> datetime | None: ...


class StoredCandidate(Protocol):
    @property
    def candidate(self) -> CandidateIncident: ...
    @property
    def first_article_id(self) -> int: ...
    @property
    def first_seen_at(self) -> datetime: ...


# ------------------------------------------------------------------ stored shapes


def waiting_behind(alert: StoredAlert, head: StoredAlert | None) -> int | None:
    """The outbox's head, when it is failing and this pending alert waits behind it
    (delivery goes in order, so one outage holds up every later alert)."""
    if head is None or head.last_error is None or alert.alert_id == head.alert_id:
        return None
    return head.alert_id if alert.delivery_status == "pending" else None


class StoredFeedback(Protocol):
    """A verdict the desk gave an alert from Slack (monitor.store.feedback.FeedbackRecord)."""

    @property
    def user_id(self) -> str: ...
    @property
    def user_name(self) -> str | None: ...
    @property
    def verdict(self) -> str: ...
    @property
    def at(self) -> datetime: ...


def feedback_json(feedback: Sequence[StoredFeedback]) -> list[dict[str, Any]]:
    """An alert's verdicts, oldest first: the `feedback` field of the alert shape."""
    return [
        {"verdict": f.verdict, "user": f.user_id, "user_name": f.user_name, "at": iso(f.at)}
        for f in feedback
    ]


def alert_json(
    alert: StoredAlert, head: StoredAlert | None, feedback: Sequence[StoredFeedback] = ()
) -> dict[str, Any]:
    """One stored alert as `monitor alerts --json` and `/api/alerts` show it; `head` is
    the outbox's first pending alert (see `waiting_behind`), `feedback` its verdicts
    from Slack (`Database.feedback_for`)."""
    return {
        "id": alert.alert_id,
        "incident": alert.incident_id,
        "kind": alert.kind,
        "slot": alert.slot,
        "subject": alert.subject,
        "previous": alert.previous,
        "earlier": alert.earlier,
        "current": alert.current,
        "article_url": redact_url(alert.article_url),
        "reason": alert.reason,
        "created_at": iso(alert.created_at),
        "delivered": alert.delivered_at is not None,
        "delivered_at": iso(alert.delivered_at),
        "seeded": alert.is_seeded,
        "delivery_status": alert.delivery_status,
        "delivery_error": redact_text(alert.last_error) if alert.last_error else None,
        "waiting_behind": waiting_behind(alert, head),
        "feedback": feedback_json(feedback),
    }


def article_json(article: StoredArticle, incidents: list[str]) -> dict[str, Any]:
    """One stored article as `monitor articles --json` lists it."""
    return {
        "id": article.article_id,
        "url": redact_url(article.url),
        "title": article.title,
        "source": article.source,
        "published": iso(article.published_at),
        "fetched": iso(article.fetched_at),
        "status": article.status,
        "error": redact_text(article.error) if article.error else None,
        "retry_at": iso(article.retry_at),
        "revision": article.revision,
        "incidents": incidents,
        "outlet": article.outlet,  # the page's own name for its outlet, as it says
        "stated_published": iso(article.stated_published_at),  # an implausible stated date
    }


def incidents_json(
    rules: Rules, coverage: Mapping[str, Coverage], candidates: Sequence[StoredCandidate]
) -> list[dict[str, Any]]:
    """`monitor incidents --json`: tracked incidents (incidents.yaml), then candidates
    newest first; a candidate an editor since tracked under its id is listed once."""
    tracked = {incident.incident_id for incident in rules.incidents}
    rows = [
        {
            "id": incident.incident_id,
            "title": incident.title,
            "city": incident.city,
            "date": incident.date.isoformat(),
            **_coverage_fields(coverage.get(incident.incident_id)),
            "kind": "tracked",
            "first_seen": None,
            "first_article": None,
        }
        for incident in rules.incidents
    ]
    for stored in candidates:
        candidate = stored.candidate
        if candidate.incident_id in tracked:
            continue
        rows.append(
            {
                "id": candidate.incident_id,
                "title": candidate.title,
                "city": candidate.city,
                "date": candidate.date.isoformat(),
                **_coverage_fields(coverage.get(candidate.incident_id)),
                "kind": "candidate",
                "first_seen": iso(stored.first_seen_at),
                "first_article": stored.first_article_id,
            }
        )
    return rows


def _coverage_fields(covered: Coverage | None) -> dict[str, Any]:
    return {
        "articles": covered.article_count if covered else 0,
        "latest_coverage": iso(covered.latest_published_at) if covered else None,
    }


def ledger_json(incident: str, ledger: Sequence[Claim]) -> dict[str, Any]:
    """`monitor claims ID --json` and `/api/incidents/{id}`: each slot's current state,
    then every claim in ledger order."""
    from monitor.analysis.ledger import current_state  # the analysis, only when asked

    return {
        "incident": incident,
        "state": {
            slot: {
                "value": s.value,
                "qualifier": s.qualifier,
                "sources": list(s.sources),
                "disputed_by": list(s.disputed_by),
                "hedged": s.is_hedged,
            }
            for slot, s in current_state(ledger).items()
        },
        "claims": [claim_json(c) for c in ledger],
    }
