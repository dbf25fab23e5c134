"""Re-checks: outlets editing their own stories. Articles about an incident are re-fetched
on MONITOR_RECHECK_SCHEDULE; a changed text becomes a revision, analysed for edit alerts."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime

from monitor.analysis.engine import Analysis
from monitor.analysis.revisions import next_recheck_at, skip_overdue_checks
from monitor.errors import ExtractionError, FetchError
from monitor.model import ExtractedPage, FetchResult
from monitor.pipeline.analyser import Analyser
from monitor.pipeline.context import CycleContext, log
from monitor.pipeline.pages import article_batch_size, fetch_pages
from monitor.pipeline.report import CycleReport
from monitor.store import PageCheck, PendingArticle, RecheckDue, StoredDocument, content_hash


class Rechecker:
    """Schedules and runs re-checks; a failed one leaves the stored revision standing."""

    def __init__(self, context: CycleContext, analyser: Analyser) -> None:
        self.context = context
        self.analyser = analyser

    def schedule_first_recheck(
        self, stored: StoredDocument, analysis: Analysis, page: ExtractedPage
    ) -> None:
        """Articles about an incident are re-fetched on MONITOR_RECHECK_SCHEDULE."""
        is_web_page = stored.url.startswith(("http://", "https://"))
        if not analysis.match.incident_ids or not is_web_page:
            return
        now = self.context.clock()
        published = stored.published_at or page.published_at
        self._schedule_recheck(stored.article_id, published, now, checks_done=0, fetched_at=now)

    def _schedule_recheck(
        self,
        article_id: int,
        published_at: datetime | None,
        first_seen_at: datetime,
        *,
        checks_done: int,
        fetched_at: datetime,
    ) -> None:
        delays = self.context.settings.recheck_delays
        done = skip_overdue_checks(published_at, first_seen_at, checks_done, delays, fetched_at)
        at = next_recheck_at(published_at, first_seen_at, done, delays)
        self.context.database.schedule_recheck(article_id, checks_done=done, at=at)

    def recheck_published(self, report: CycleReport) -> None:
        """Re-fetch articles due for a re-check; a changed text becomes a new revision.

        The page is asked for conditionally (its ETag and Last-Modified): a 304, or
        the same bytes, costs no extraction; the same text (hash) costs no claim
        extraction. A changed text is stored as a revision and analysed again:
        claims the outlet changed raise `edit` alerts with the sentence before and
        after.
        """
        context = self.context
        claim = context.database.claim_due_rechecks
        for due in context.leased_batches(claim, limit=article_batch_size(context)):
            by_id = {item.article_id: item for item in due}
            pending = [
                PendingArticle(
                    item.article_id,
                    item.url,
                    etag=item.page.etag,
                    last_modified=item.page.last_modified,
                )
                for item in due
            ]
            for article, fetched in fetch_pages(context, pending):
                self._recheck(by_id[article.article_id], fetched, report)

    def _recheck(self, item: RecheckDue, fetched: Future[FetchResult], report: CycleReport) -> None:
        now = self.context.clock()
        first_seen = item.first_seen_at or now
        try:
            outcome = self._recheck_page(item, fetched.result(), now, report)
        except (FetchError, ExtractionError) as exc:
            # The stored revision stands; the next scheduled check tries again.
            log.info("re-check failed", extra={"article_id": item.article_id, "error": str(exc)})
            outcome = "failed"
        self.context.metrics.record_recheck(outcome)
        self._schedule_recheck(
            item.article_id,
            item.published_at,
            first_seen,
            checks_done=item.recheck_count + 1,
            fetched_at=now,
        )

    def _recheck_page(
        self, item: RecheckDue, result: FetchResult, now: datetime, report: CycleReport
    ) -> str:
        """Compare a re-fetched page with the stored one; returns the metric outcome."""
        if item.page.is_same_page(result):
            return "not_modified" if result.status == 304 else "same_page"
        check = PageCheck.of(result)
        extractors, database = self.context.extractors, self.context.database
        page = extractors.result(extractors.submit(result.body, result.final_url), item.url)
        if content_hash(page.text) == item.content_hash:
            database.record_page_check(item.article_id, check)
            return "same_text"
        revision = database.store_revision(item.article_id, page, fetched_at=now, check=check)
        self.analyser.analyse(item.article_id, is_edit=True)
        report.articles_revised += 1
        log.info(
            "article edited",
            extra={"article_id": item.article_id, "url": item.url, "revision": revision},
        )
        return "edited"
