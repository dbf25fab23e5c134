"""`monitor feedback export`: the alerts the desk marked wrong, as evaluation cases.

Output: an event set in the format `bench/claims_eval.py --set FILE` reads
(`bench/claims_eval_events.py`: `mode: independent`, one article each, its exact set of
tracked incidents, new incidents, claims and alerts). The event format, not the
single-incident one of claims_eval_set.yaml, because a stored article has its own
publication date (matching windows depend on it) and may be about several incidents,
and a wrong alert names its subject, which only the event format's alerts carry.

Each article with an alert marked *wrong* or *wrong incident* becomes one case; its labels
are what monitor stored for it, corrected by the desk's verdicts:

- `incidents`: the tracked incidents it matched; *wrong incident* takes out the alert's;
- `new_incidents`: the candidate incidents it first reported, less any the desk rejected;
- `claims`: its stored claims (stances the bench counts), less the marked alerts' claims;
- `alerts`: its other alerts (not seeded, not edits, not marked wrong): the alerts the
  case expects, so the marked one counts as a false alert while it still fires.

Extra keys the bench's loader ignores keep the evidence: `verdicts` (each marked alert
with its sentence and the desk's verdict). The labels are the engine's own output
corrected by one verdict, so an editor should read a case before adding it to a set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import yaml

from monitor.model import Verdict, iso
from monitor.store import AlertRecord, Database
from monitor.store.feedback import WRONG_VERDICTS, FeedbackRecord
from monitor.views import why_line

NEW_INCIDENT: Final = "new_incident"
# The stances the bench's labels count as claims (bench/claims_eval_events.COUNTED_STANCES).
COUNTED_STANCES: Final = frozenset({"asserts", "disputes", "denies"})
HEADER: Final = """\
# Evaluation cases from the desk: alerts editors marked wrong in Slack (`monitor feedback
# export`, {when}). Run: .venv/bin/python -m bench.claims_eval --set THIS_FILE
# Each article's labels are what monitor stored for it, corrected by the desk's verdicts
# (see `verdicts`): read them before adding a case to an evaluation set.
"""


@dataclass(frozen=True, slots=True)
class Marked:
    """An alert the desk marked wrong, and how."""

    alert: AlertRecord
    verdicts: tuple[str, ...]  # wrong, wrong_incident
    by: tuple[str, ...]


def _value_text(value: object) -> str:
    """A value as the bench compares it (bench/eval_scores.value_text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


def _marked(alert: AlertRecord, feedback: Sequence[FeedbackRecord]) -> Marked:
    wrong = [f for f in feedback if f.verdict in {str(v) for v in WRONG_VERDICTS}]
    return Marked(
        alert,
        tuple(dict.fromkeys(f.verdict for f in wrong)),
        tuple(dict.fromkeys(f.user_name or f.user_id for f in wrong)),
    )


def _alert_label(alert: AlertRecord) -> list[Any]:
    if alert.kind == NEW_INCIDENT:
        return [NEW_INCIDENT, alert.incident_id or alert.subject or ""]
    return [alert.kind, alert.subject or "", alert.slot or "", alert.current.get("value")]


def _alert_fact(alert: AlertRecord) -> tuple[str, str, str]:
    return (alert.subject or "", alert.slot or "", _value_text(alert.current.get("value")))


def _verdict_entry(marked: Marked) -> dict[str, Any]:
    alert = marked.alert
    previous = alert.previous or {}
    return {
        "alert": alert.alert_id,
        "verdict": list(marked.verdicts),
        "by": list(marked.by),
        "kind": alert.kind,
        "incident": alert.incident_id,
        "slot": alert.slot,
        "value": alert.current.get("value"),
        "previous_value": previous.get("value"),
        "why": why_line(alert.kind, alert.slot, alert.previous, alert.current, alert.reason),
        "sentence": alert.current.get("sentence"),
    }


class _Case:
    """One article's case, built from what the store holds about it."""

    def __init__(self, database: Database, article_id: int, marked: list[Marked]) -> None:
        self.database = database
        self.article_id = article_id
        self.marked = marked
        self.wrong_ids = {m.alert.alert_id for m in marked}
        self.wrong_facts = {_alert_fact(m.alert) for m in marked}
        self.rejected = {  # incidents the desk says the article is not about
            m.alert.incident_id
            for m in marked
            if m.alert.incident_id
            and (Verdict.WRONG_INCIDENT in m.verdicts or m.alert.kind == NEW_INCIDENT)
        }

    def build(
        self,
        matched: Sequence[str],
        candidates: dict[str, dict[str, Any]],
        alerts: Sequence[AlertRecord],
    ) -> dict[str, Any]:
        document = self.database.document(self.article_id)
        published: datetime | None = document.published_at
        return {
            "id": f"desk-article-{self.article_id}",
            "source": document.source,
            "published_at": iso(published) or iso(self.marked[0].alert.created_at),
            "incidents": [i for i in matched if i not in candidates and i not in self.rejected],
            "new_incidents": [
                {"id": c["id"], "city": c["city"], "date": c["date"]}
                for c in candidates.values()
                if c["first_article_id"] == self.article_id and c["id"] not in self.rejected
            ],
            "text": document.text,
            "claims": self._claims(),
            "alerts": [_alert_label(a) for a in alerts if self._expected(a)],
            "why": f"marked wrong by the desk in Slack: alert(s) {sorted(self.wrong_ids)}",
            "url": document.url,
            "verdicts": [_verdict_entry(m) for m in self.marked],
        }

    def _claims(self) -> list[list[Any]]:
        labels: dict[tuple[str, str, str], list[Any]] = {}
        for entry in self.database.article_claims(self.article_id):
            claim = entry.claim
            fact = (claim.subject, claim.slot, _value_text(claim.value))
            if str(claim.stance) in COUNTED_STANCES and fact not in self.wrong_facts:
                labels.setdefault(fact, [claim.subject, claim.slot, claim.value])
        return list(labels.values())

    def _expected(self, alert: AlertRecord) -> bool:
        return (
            alert.article_id == self.article_id
            and alert.alert_id not in self.wrong_ids
            and not alert.is_seeded
            and alert.kind != "edit"  # re-checks raise edits; the bench runs no revisions
        )


def _candidates(database: Database) -> dict[str, dict[str, Any]]:
    return {
        record.candidate.incident_id: {
            "id": record.candidate.incident_id,
            "city": record.candidate.city,
            "date": record.candidate.date.isoformat(),
            "first_article_id": record.first_article_id,
        }
        for record in database.candidate_records()
    }


def wrong_alert_cases(database: Database) -> list[dict[str, Any]]:
    """One evaluation case per article with an alert the desk marked wrong, oldest first."""
    by_article: dict[int, list[Marked]] = {}
    for alert, feedback in database.alerts_marked_wrong():
        by_article.setdefault(alert.article_id, []).append(_marked(alert, feedback))
    if not by_article:
        return []
    matched = database.incidents_by_article()
    candidates = _candidates(database)
    alerts = database.alerts()
    return [
        _Case(database, article_id, marked).build(matched.get(article_id, []), candidates, alerts)
        for article_id, marked in by_article.items()
    ]


def event_set_yaml(cases: Iterable[dict[str, Any]], now: datetime) -> str:
    """The cases as an event-set file: a header saying where they came from, then YAML."""
    body = yaml.safe_dump(
        {"mode": "independent", "articles": list(cases)},
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return HEADER.format(when=iso(now)) + body
