"""What the desk's pages and its /api read: the stored incidents, ledgers, articles and
alerts, in the JSON shapes of `monitor.views` (the CLI's `--json`), plus what only a page
shows (open contradictions, sentence marks, revision diffs).

Only reads: the pipeline writes on its own thread, these queries each open their own
read session.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.analysis.claims import Claim, city_slug
from monitor.analysis.engine import RuleSet, capped, match
from monitor.analysis.match import MatchResult
from monitor.analysis.patterns import AnalysisBudget
from monitor.errors import AnalysisBudgetError, ConfigError
from monitor.model import iso
from monitor.pipeline.analyser import as_document
from monitor.pipeline.followed import known_candidates
from monitor.pipeline.promote import promotion
from monitor.store import AlertRecord, Database
from monitor.views import (
    alert_json,
    article_json,
    claim_json,
    editor_value,
    incidents_json,
    ledger_json,
    side_voice,
)

# Lines of context around each change in a revision diff.
DIFF_CONTEXT_LINES = 2


class NotFoundError(LookupError):
    """No incident, candidate or article by that id."""


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """The /alerts filters; None or '' means any."""

    incident: str | None = None
    kind: str | None = None
    delivery: str | None = None  # a delivery_status, or "seeded"
    feedback: str | None = None  # "none", "any", or a verdict

    def keeps(self, shown: Mapping[str, Any]) -> bool:
        if self.kind and shown["kind"] != self.kind:
            return False
        if self.delivery and shown["delivery_status"] != self.delivery:
            return False
        return not self.feedback or _feedback_matches(shown.get("feedback"), self.feedback)


def verdicts(feedback: object) -> list[str]:
    """The verdicts in an alert's `feedback` field (null, or the editors' verdicts as
    strings or as objects with a `verdict`)."""
    items = feedback if isinstance(feedback, list) else [feedback] if feedback else []
    found = [str(item.get("verdict")) if isinstance(item, Mapping) else str(item) for item in items]
    return [v for v in found if v and v != "None"]


def _feedback_matches(feedback: object, wanted: str) -> bool:
    given = verdicts(feedback)
    if wanted == "none":
        return not given
    if wanted == "any":
        return bool(given)
    return wanted in given


def open_contradictions(alerts: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Slots whose latest alert (in `monitor alerts --json` shape, oldest first) is a
    contradiction, each with its two sides: '1 (seed-004)', '3 (PPB via X)'. A later
    update of the slot (the compare stage judged the new value news, not a conflict)
    closes it."""
    latest: dict[str, Mapping[str, Any]] = {}
    for alert in alerts:
        if alert["slot"] and alert["kind"] in ("update", "contradiction"):
            latest[alert["slot"]] = alert
    return {
        slot: [_side(alert["previous"]), _side(alert["current"])]
        for slot, alert in latest.items()
        if alert["kind"] == "contradiction" and alert["previous"]
    }


def _side(side: Mapping[str, Any]) -> str:
    value = editor_value(side.get("value"), side.get("qualifier"))
    stance = side.get("stance") or "asserts"
    return f"{'' if stance == 'asserts' else stance + ' '}{value} ({side_voice(dict(side))})"


def revision_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The lines an edit changed, as (mark, line): '-' removed, '+' added, ' ' context,
    '@' a hunk's position."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), lineterm="", n=DIFF_CONTEXT_LINES
    )
    return [(line[:1], line[1:]) for line in list(lines)[2:]]  # past the ---/+++ header


@dataclass(slots=True)
class Desk:
    """The stored state as the pages see it; `rule_set` is asked at each request, so a
    rules reload in the daemon shows at once."""

    database: Database
    rule_set: Callable[[], RuleSet]
    analysis_budget_s: float = 10.0
    max_analysed_chars: int = 200_000
    clock: Callable[[], float] = field(default=time.monotonic)

    # ------------------------------------------------------------ incidents

    def incidents(self) -> list[dict[str, Any]]:
        """`monitor incidents --json`."""
        database = self.database
        return incidents_json(
            self.rule_set().rules, database.incident_coverage(), database.candidate_records()
        )

    def incident_rows(self) -> list[dict[str, Any]]:
        """The incidents with their open contradictions (the index page)."""
        by_incident: dict[str, list[dict[str, Any]]] = {}
        for alert in self.alerts(AlertFilter()):
            by_incident.setdefault(alert["incident"] or "", []).append(alert)
        return [
            {**row, "contradictions": open_contradictions(by_incident.get(row["id"], []))}
            for row in self.incidents()
        ]

    def incident(self, incident_id: str) -> dict[str, Any]:
        """One incident's row (NotFoundError for an unknown id)."""
        for row in self.incidents():
            if row["id"] == incident_id:
                return row
        raise NotFoundError(f"no incident or candidate incident {incident_id!r}")

    def _ledger_entries(self, incident_id: str, city: str) -> list[Any]:
        return self.database.ledger({incident_id, f"city:{city_slug(city)}"})

    def _ledger(self, incident_id: str, city: str) -> list[Claim]:
        return [e.claim for e in self._ledger_entries(incident_id, city)]

    def claims(self, incident_id: str) -> dict[str, Any]:
        """`monitor claims ID --json`."""
        row = self.incident(incident_id)
        return ledger_json(incident_id, self._ledger(incident_id, row["city"]))

    def incident_page(self, incident_id: str) -> dict[str, Any]:
        """Everything the incident page shows."""
        row = self.incident(incident_id)
        entries = self._ledger_entries(incident_id, row["city"])
        ledger = [e.claim for e in entries]
        shown = ledger_json(incident_id, ledger)
        timeline: dict[str, list[dict[str, Any]]] = {}
        for entry, claim in zip(entries, shown["claims"], strict=True):
            timeline.setdefault(claim["slot"], []).append({**claim, "article_id": entry.article_id})
        alerts = self.alerts(AlertFilter(incident=incident_id))
        return {
            "incident": row,
            "state": shown["state"],
            "timeline": timeline,
            "contradictions": open_contradictions(alerts),
            "alerts": alerts,
            "promote": self._promote_hint(row),
        }

    def _promote_hint(self, row: Mapping[str, Any]) -> str | None:
        """A candidate's incidents.yaml stanza (`monitor incidents promote ID`)."""
        if row["kind"] != "candidate":
            return None
        try:
            return promotion(self.database, self.rule_set().rules, row["id"]).as_yaml()
        except ConfigError as exc:
            return f"# {exc}"

    # ------------------------------------------------------------ alerts

    def alert_records(self, wanted: AlertFilter) -> list[tuple[AlertRecord, dict[str, Any]]]:
        """Alerts oldest first, each with its `monitor alerts --json` shape, filtered."""
        records = self.database.alerts(incident_id=wanted.incident or None)
        head = next(iter(self.database.pending_alerts(limit=1)), None)
        verdicts = self.database.feedback_for([record.alert_id for record in records])
        pairs = [
            (record, alert_json(record, head, verdicts.get(record.alert_id, [])))
            for record in records
        ]
        return [(record, shown) for record, shown in pairs if wanted.keeps(shown)]

    def alerts(self, wanted: AlertFilter) -> list[dict[str, Any]]:
        """`monitor alerts --json` (with --incident), filtered further for the page."""
        return [shown for _record, shown in self.alert_records(wanted)]

    # ------------------------------------------------------------ articles

    def articles(self) -> list[dict[str, Any]]:
        """`monitor articles --json`."""
        incidents = self.database.incidents_by_article()
        return [article_json(a, incidents.get(a.article_id, [])) for a in self.database.articles()]

    def article(self, article_id: int) -> dict[str, Any]:
        """One article: its listing, text, sentences with their incidents, its stored
        claims, and its revisions with the diff each edit made."""
        record = self.database.article(article_id)
        if record is None:
            raise NotFoundError(f"no article {article_id}")
        incidents = self.database.incidents_by_article().get(article_id, [])
        stored = self.database.document(article_id)
        claims = [claim_json(e.claim) for e in self.database.article_claims(article_id)]
        result, problem = self._matched(stored)
        earlier = self.database.revisions(article_id)
        texts = [r.text for r in earlier] + [stored.text]
        revisions = [
            {
                "revision": r.revision,
                "title": r.title,
                "fetched": iso(r.fetched_at),
                # What the edit after this revision changed.
                "diff": [list(pair) for pair in revision_diff(r.text, texts[i + 1])],
            }
            for i, r in enumerate(earlier)
        ]
        return {
            **article_json(record, incidents),
            "text": stored.text,
            "sentences": _sentences(result, claims),
            "analysis_problem": problem,
            "claims": claims,
            "revisions": revisions,
        }

    def _matched(self, stored: Any) -> tuple[MatchResult | None, str | None]:
        """The article matched as `monitor explain` matches it, within the analysis
        budget; None and the reason when it outran the budget."""
        rule_set = self.rule_set()
        document = capped(as_document(stored), self.max_analysed_chars)
        day = (document.published_at or datetime.now(UTC)).date()
        followed = known_candidates(self.database, rule_set.rules, day)
        budget = AnalysisBudget(self.analysis_budget_s, clock=self.clock)
        try:
            return match(document, rule_set, budget, candidates=followed), None
        except AnalysisBudgetError as exc:
            return None, str(exc)


def _sentences(
    result: MatchResult | None, claims: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each sentence with the text before it (line breaks), its incident, the incident a
    look-back clause recalls, and the claims made in it."""
    if result is None:
        return []
    by_index: dict[int, list[Mapping[str, Any]]] = {}
    for claim in claims:
        by_index.setdefault(int(claim["sentence_index"]), []).append(claim)
    shown, end = [], 0
    for sentence in result.sentences:
        recap = result.recap_of(sentence.index)
        shown.append(
            {
                "index": sentence.index,
                "before": result.text[end : sentence.start],
                "text": sentence.text,
                "incident": sentence.incident_id,
                "recalls": recap.incident_id if recap else None,
                "claims": by_index.get(sentence.index, []),
            }
        )
        end = sentence.end
    return shown
