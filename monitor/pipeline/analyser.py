"""Analysing stored articles: match → claims → compare with the ledger → alerts, stored in
one transaction, within MONITOR_ANALYSIS_BUDGET_S; and the analyses a crash left undone."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import nullcontext

from monitor.analysis.alerts import NEW_INCIDENT, AlertDraft
from monitor.analysis.engine import (
    Analysis,
    RuleSet,
    analyse_claims,
    capped,
    ledger_subjects,
    match,
)
from monitor.analysis.events import CandidateIncident
from monitor.analysis.match import MatchResult
from monitor.analysis.patterns import AnalysisBudget
from monitor.analysis.revisions import edit_alerts, without_edited_first_reports
from monitor.errors import AnalysisBudgetError
from monitor.model import Document
from monitor.pipeline.context import CycleContext, log
from monitor.pipeline.followed import known_candidates
from monitor.store import ArticleStatus, IncidentLink, StoredDocument
from monitor.views import incident_match_json


def as_document(stored: StoredDocument) -> Document:
    return Document(
        url=stored.url,
        title=stored.title,
        text=stored.text,
        source=stored.source,
        published_at=stored.published_at,
        date_uncertain=stored.date_uncertain,
    )


def incident_links(result: MatchResult) -> list[IncidentLink]:
    """The incident matches of a result, with their evidence as JSON, ready to store; a
    candidate the article first reports is one of its incidents too (its coverage counts)."""
    links = [
        IncidentLink(m.incident_id, m.score, json.dumps(incident_match_json(m, result)["evidence"]))
        for m in result.incidents
    ]
    matched = set(result.incident_ids)
    for candidate in result.new_candidates:
        if candidate.incident_id not in matched:
            links.append(IncidentLink(candidate.incident_id, _share(result, candidate), "[]"))
    return links


def _share(result: MatchResult, candidate: CandidateIncident) -> float:
    """The share of the article's sentences whose events went to the candidate."""
    own = candidate.incident_id
    indexes = {e.sentence_index for e in result.events if e.incident_id == own}
    return round(len(indexes) / max(1, len(result.sentences)), 3)


def threads_first(alerts: Sequence[AlertDraft]) -> list[AlertDraft]:
    """The alerts in storage (and so delivery) order: a new candidate's new_incident alert
    before the first reports about it, so that it becomes the candidate's Slack thread."""
    return sorted(alerts, key=lambda draft: draft.kind != NEW_INCIDENT)


class Analyser:
    """Analyses stored articles with the current rule set (the daemon swaps it on reload)."""

    def __init__(self, context: CycleContext, rule_set: RuleSet) -> None:
        self.context = context
        self.rule_set = rule_set

    def analyse_leftovers(self) -> None:
        """Analyse extracted articles whose analysis was lost (the process or database died
        between the extraction's commit and the analysis's)."""
        claim = self.context.database.claim_unanalysed_articles
        for leftovers in self.context.leased_batches(claim, limit=50):
            for article_id in leftovers:
                self.analyse(article_id)

    def analyse(
        self, article_id: int, *, stored: StoredDocument | None = None, is_edit: bool = False
    ) -> Analysis | None:
        """Analyse a stored article (see _analyse); None when the analysis outran
        MONITOR_ANALYSIS_BUDGET_S: the article is then analysis_failed, with the reason,
        and no claim picks it up again (it would only hang again)."""
        try:
            return self._analyse(article_id, stored=stored, is_edit=is_edit)
        except AnalysisBudgetError as exc:
            error = f"analyse: {exc}"
            self.context.metrics.record_article(ArticleStatus.ANALYSIS_FAILED)
            self.context.database.record_analysis_failure(article_id, error=error)
            log.warning("article analysis failed", extra={"article_id": article_id, "error": error})
            return None

    def _analyse(
        self, article_id: int, *, stored: StoredDocument | None = None, is_edit: bool = False
    ) -> Analysis:
        """Match a stored article, extract its claims, compare them with the ledger, and
        store matches, claims and alerts in one transaction.

        `stored` is the article as just stored, when the caller has it (saves a read).

        For an edited article (is_edit), its previous revision's claims are compared
        with the new ones for edit alerts, and left out of the ledger it is compared with.
        """
        database, settings = self.context.database, self.context.settings
        stored = stored or database.document(article_id)
        document = capped(as_document(stored), settings.max_analysed_chars)
        published = (document.published_at or self.context.clock()).date()
        known = known_candidates(database, self.rule_set.rules, published)
        budget = AnalysisBudget(settings.analysis_budget_s, clock=time.monotonic)
        result = match(document, self.rule_set, budget, candidates=known)
        left_s = budget.remaining_s()  # waiting for the lock and the ledger is not analysis
        subjects = ledger_subjects(result, self.rule_set.rules)
        old_claims = [e.claim for e in database.article_claims(article_id)] if is_edit else []
        # Most articles match no incident: nothing to compare, so no need to wait
        # for other replicas' analyses (the lock only orders ledger updates).
        found = result.new_candidates
        needs_lock = bool(subjects) or result.new_incident or bool(found)
        with database.analysis_lock() if needs_lock else nullcontext():
            ledger = database.ledger(subjects, exclude_article=article_id)
            rest = AnalysisBudget(left_s, clock=time.monotonic)
            analysis = analyse_claims(document, result, self.rule_set, ledger, rest)
            edits = (
                edit_alerts(
                    old_claims, analysis.claims, outlet=stored.source, article_url=stored.url
                )
                if is_edit
                else []
            )
            added = database.record_analysis(
                article_id,
                links=incident_links(result),
                is_new_incident=result.new_incident,
                matched_at=self.context.clock(),
                claims=list(zip(analysis.claims, analysis.corroborates, strict=True)),
                alerts=threads_first(
                    [*without_edited_first_reports(analysis.alerts, edits), *edits]
                ),
                seeded=stored.origin == "seed",
                candidates=analysis.candidates,
            )
        self.context.metrics.record_claims(len(analysis.claims))
        for draft in added:
            self.context.metrics.record_alert_raised(draft.kind)
        return analysis
