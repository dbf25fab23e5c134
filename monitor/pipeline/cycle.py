"""One cycle: poll due feeds, queue new entries, fetch and extract their pages.

The edges (Fetcher, Database) come in from outside; this module only decides
what happens in which order and makes sure one bad feed or page never stops
the others. Network work runs in a bounded thread pool; every database write
happens on the calling thread, so SQLite never sees two writers of ours.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from monitor.analysis.engine import (
    Analysis,
    RuleSet,
    analyse_claims,
    capped,
    ledger_subjects,
    load_rule_set,
    match,
)
from monitor.analysis.match import MatchResult
from monitor.analysis.patterns import AnalysisBudget
from monitor.analysis.revisions import edit_alerts, next_recheck_at, skip_overdue_checks
from monitor.config import Settings
from monitor.errors import (
    AnalysisBudgetError,
    ConfigError,
    ExtractionError,
    FetchError,
    TransientFetchError,
)
from monitor.ingest.extract import extract_html, is_html_content_type, read_plain_text
from monitor.ingest.extractor_pool import ExtractorPool
from monitor.ingest.feeds import canonical_url, parse_feed
from monitor.ingest.fetch import Fetcher
from monitor.ingest.seeds import SeedArticle, load_seeds
from monitor.metrics import METRICS, Metrics
from monitor.model import (
    Document,
    ExtractedPage,
    FeedItem,
    FeedSpec,
    FetchResult,
    ParsedFeed,
    iso,
)
from monitor.notify.delivery import Delivery, notifier_from_settings
from monitor.redact import redact_text
from monitor.store.database import (
    ArticleStatus,
    Database,
    FeedState,
    IncidentLink,
    PageCheck,
    PendingArticle,
    RecheckDue,
    StorageError,
    StoredDocument,
    content_hash,
    new_lease_owner,
)
from monitor.views import incident_match_json

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


# Articles leased per claim, per fetch thread: enough to keep fetching ahead of
# extraction, few enough that a claim finishes well within one lease.
ARTICLE_BATCH_PER_FETCHER = 4


def utc_now() -> datetime:
    return datetime.now(UTC)


class Progress(Protocol):
    """Where long work reports how far it got (a progress bar, or nothing)."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...


class LeaseKeeper:
    """A heartbeat thread renewing this process's leases every third of their lifetime.

    While the process lives, its feeds, articles and jobs stay its own however
    slow a fetch is; once it dies, its leases expire within MONITOR_LEASE_TTL_S
    and another replica takes the work over.
    """

    def __init__(self, database: Database, owner: str, lease_s: float, clock: Clock) -> None:
        self.database, self.owner, self.lease_s, self.clock = database, owner, lease_s, clock
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.lease_s / 3):
            try:
                self.database.renew_leases(self.owner, self.clock(), lease_s=self.lease_s)
            except Exception:  # database down: leases may lapse; work is re-leased later
                log.warning("lease renewal failed", exc_info=True)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass
class CycleReport:
    """What one cycle did; the CLI prints its failures, the daemon logs it."""

    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feed_errors: list[tuple[str, str]] = field(default_factory=list)
    articles_queued: int = 0
    articles_extracted: int = 0
    articles_revised: int = 0
    duplicates: int = 0
    article_errors: list[tuple[str, str]] = field(default_factory=list)
    # Pages that failed for a passing reason and wait for a retry (MONITOR_PAGE_RETRY_SCHEDULE).
    article_retries: list[tuple[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class _FeedPoll:
    """The outcome of fetching and parsing one feed, computed off the main thread."""

    feed: FeedState
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None


def next_poll_at(
    feed: FeedState, now: datetime, *, failed: bool, max_backoff_min: float
) -> datetime:
    """The feed's interval after success; doubling per consecutive error, capped, after failure."""
    if not failed:
        return now + timedelta(minutes=feed.interval_min)
    errors = feed.consecutive_errors + 1
    delay_min = min(feed.interval_min * 2 ** min(errors, 16), max_backoff_min)
    return now + timedelta(minutes=delay_min)


def _canonical_items(items: Sequence[FeedItem]) -> Iterator[FeedItem]:
    for item in items:
        url = canonical_url(item.url) if item.url else ""
        if url.startswith(("http://", "https://")):
            yield FeedItem(
                guid=item.guid,
                url=url,
                title=item.title,
                published_at=item.published_at,
                summary=item.summary,
            )


class Pipeline:
    """Runs cycles against one database with one fetcher."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        fetcher: Fetcher,
        rule_set: RuleSet,
        *,
        clock: Clock = utc_now,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        metrics: Metrics = METRICS,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        # Who holds this process's leases; unique even across restarts of one pid.
        self.owner = new_lease_owner()
        self.rule_set = rule_set
        self.extractors = ExtractorPool(settings.extract_workers)
        self.lease_keeper = LeaseKeeper(database, self.owner, settings.lease_ttl_s, clock)
        # Set by the daemon on SIGTERM: finish the feed or page in hand, start no new one.
        self.stop = stop or threading.Event()
        self.database = database
        self.fetcher = fetcher
        self.clock = clock
        self.progress: Progress = progress or NoProgress()
        self._cycle_running = threading.Lock()

    def run_cycle(self, specs: Sequence[FeedSpec], *, ignore_due: bool = False) -> CycleReport:
        """Poll every due feed (every feed with ignore_due), then process all queued articles."""
        started = time.monotonic()
        report = CycleReport()
        with self._cycle_running:
            self.database.sync_feeds(specs, default_interval_min=self.settings.default_interval_min)
            self.poll_due_feeds(report, ignore_due=ignore_due)
            if not self.stop.is_set():
                self.process_pending(report)
            if not self.stop.is_set():
                self.recheck_published(report)
        report.elapsed_s = time.monotonic() - started
        log.info(
            "cycle finished",
            extra={
                "feeds_polled": report.feeds_polled,
                "feeds_failed": len(report.feed_errors),
                "articles_extracted": report.articles_extracted,
                "articles_failed": len(report.article_errors),
                "articles_to_retry": len(report.article_retries),
                "elapsed_ms": int(report.elapsed_s * 1000),
            },
        )
        return report

    def close(self) -> None:
        """Stop the lease heartbeat and the extraction workers, and hand back the leases of
        work not done (after SIGTERM), so another replica need not wait for them to lapse."""
        self.lease_keeper.close()
        self.extractors.close()
        # A cycle still running (the grace period ran out) may yet store its page; its
        # leases are left to lapse rather than have another replica redo that work.
        if self._cycle_running.acquire(blocking=False):
            try:
                self.database.release_leases(self.owner)
            except Exception:  # database down at shutdown: the leases lapse instead
                log.warning("could not release leases", exc_info=True)
            finally:
                self._cycle_running.release()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- feeds ---------------------------------------------------------------

    def poll_due_feeds(self, report: CycleReport, *, ignore_due: bool = False) -> None:
        """Lease due feeds a batch at a time and poll them, until none is left for us.

        Other replicas lease other batches; a feed leased by a replica that died
        is free again once its lease expires.
        """
        self.progress.start(
            "feeds", len(self.database.due_feeds(self.clock(), ignore_due=ignore_due))
        )
        polled: set[int] = set()
        while not self.stop.is_set():
            batch = self.database.claim_due_feeds(
                self.owner,
                self.clock(),
                lease_s=self.settings.lease_ttl_s,
                limit=self.settings.fetch_concurrency,
                ignore_due=ignore_due,
                exclude=polled,
            )
            if not batch:
                return
            polled.update(feed.feed_id for feed in batch)
            self.poll_feeds(batch, report)

    def poll_feeds(self, feeds: Sequence[FeedState], report: CycleReport) -> None:
        with ThreadPoolExecutor(self.settings.fetch_concurrency, "feed") as pool:
            futures = [pool.submit(self._fetch_feed, feed) for feed in feeds]
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                self._record_feed_poll(future.result(), report)
                self.progress.advance()
                if self.stop.is_set():
                    # Feeds not yet polled stay due; the next start polls them.
                    for waiting in futures:
                        waiting.cancel()

    def _fetch_feed(self, feed: FeedState) -> _FeedPoll:
        try:
            result = self.fetcher.fetch(
                feed.url,
                max_bytes=self.settings.max_feed_bytes,
                etag=feed.etag,
                last_modified=feed.last_modified,
            )
            if result.is_not_modified:
                return _FeedPoll(feed, result=result)
            parsed = parse_feed(result.body, url=result.final_url, content_type=result.content_type)
        except FetchError as exc:
            return _FeedPoll(feed, error=str(exc))
        return _FeedPoll(feed, result=result, parsed=parsed)

    def _record_feed_poll(self, poll: _FeedPoll, report: CycleReport) -> None:
        """Store a poll's entries and outcome. A database that refuses the write (locked
        past the busy timeout) fails this feed, on the feed: the cycle goes on."""
        now = self.clock()
        report.feeds_polled += 1
        if poll.error is not None or poll.result is None:
            self._record_feed_failure(poll.feed, now, poll.error or "unknown error", report)
            return
        try:
            self._store_feed_poll(poll, poll.result, now, report)
        except StorageError as exc:
            entries = len(poll.parsed.items) if poll.parsed else 0
            log.warning(
                "storing the feed's poll failed",
                extra={"feed": poll.feed.name, "entries": entries, "error": str(exc)},
            )
            error = f"{exc} while storing {entries} entries; the next poll tries again"
            self._record_feed_failure(poll.feed, now, error, report)

    def _store_feed_poll(
        self, poll: _FeedPoll, result: FetchResult, now: datetime, report: CycleReport
    ) -> None:
        feed = poll.feed
        new_articles = 0
        if poll.parsed is not None:
            new_articles = self.database.add_feed_items(
                feed.feed_id, _canonical_items(poll.parsed.items), now
            )
        self.database.record_feed_poll(
            feed.feed_id,
            fetched_at=now,
            next_due_at=self._next_poll(feed, now, failed=False),
            status=result.status,
            error=None,
            etag=result.etag,
            last_modified=result.last_modified,
            entry_count=len(poll.parsed.items) if poll.parsed else None,
        )
        self.metrics.record_feed_poll("ok" if poll.parsed else "not_modified")
        if poll.parsed is None:
            report.feeds_not_modified += 1
        report.articles_queued += new_articles
        log.info(
            "feed polled",
            extra={
                "feed": feed.name,
                "feed_url": feed.url,
                "status": result.status,
                "new_articles": new_articles,
                "elapsed_ms": result.elapsed_ms,
            },
        )

    def _record_feed_failure(
        self, feed: FeedState, now: datetime, error: str, report: CycleReport
    ) -> None:
        error = redact_text(error)  # no password, no 20 KB link in last_error
        report.feed_errors.append((feed.name, error))
        self.metrics.record_feed_poll("error")
        self.metrics.record_fetch_error(error)
        log.warning("feed failed", extra={"feed": feed.name, "feed_url": feed.url, "error": error})
        try:
            self.database.record_feed_poll(
                feed.feed_id,
                fetched_at=now,
                next_due_at=self._next_poll(feed, now, failed=True),
                status=None,
                error=error,
            )
        except StorageError as exc:
            # Not even the failure could be stored: the feed's lease lapses and the
            # feed is polled again then; the report and the log keep the reason.
            log.error(
                "could not record the feed's failure", extra={"feed": feed.name, "error": str(exc)}
            )

    def _next_poll(self, feed: FeedState, now: datetime, *, failed: bool) -> datetime:
        return next_poll_at(feed, now, failed=failed, max_backoff_min=self.settings.max_backoff_min)

    # -- articles ------------------------------------------------------------

    def process_pending(self, report: CycleReport) -> None:
        """Fetch and extract every queued article; failures are stored on the article.

        Pages are fetched by a thread pool and extracted by worker processes;
        this thread stores and analyses each page as its extraction finishes.
        """
        self.analyse_leftovers()
        self.progress.start("articles", self.database.pending_count(self.clock()))
        while not self.stop.is_set():
            batch = self.database.claim_pending_articles(
                self.owner,
                self.clock(),
                lease_s=self.settings.lease_ttl_s,
                limit=ARTICLE_BATCH_PER_FETCHER * self.settings.fetch_concurrency,
            )
            if not batch:
                return
            self._process_batch(batch, report)

    def _process_batch(self, pending: Sequence[PendingArticle], report: CycleReport) -> None:
        extracting: dict[Future[ExtractedPage], tuple[PendingArticle, PageCheck]] = {}
        # Enough queued work to keep every worker busy, no more pages in memory than that.
        limit = 2 * self.extractors.workers
        for article, fetched in self._fetch_pages(pending):
            result = self._checked_fetch(article, fetched, report)
            if result is not None:
                extraction = self.extractors.submit(result.body, result.final_url)
                extracting[extraction] = (article, PageCheck.of(result))
            self._collect_extractions(extracting, report, block=len(extracting) >= limit)
        while extracting:
            self._collect_extractions(extracting, report, block=True)

    def _fetch_pages(
        self, pending: Sequence[PendingArticle]
    ) -> Iterator[tuple[PendingArticle, Future[FetchResult]]]:
        """Fetch pages concurrently, at most a small window ahead of the consumer.

        Extraction is slower than loopback or LAN fetching; without a window,
        finished pages of up to MONITOR_MAX_PAGE_BYTES each would pile up in memory.
        """
        window = 2 * self.settings.fetch_concurrency
        queue = iter(pending)
        with ThreadPoolExecutor(self.settings.fetch_concurrency, "page") as pool:
            in_flight: dict[Future[FetchResult], PendingArticle] = {}

            def submit_next() -> None:
                if self.stop.is_set():
                    return  # the rest stay pending in the database
                article = next(queue, None)
                if article is not None:
                    future = pool.submit(
                        self.fetcher.fetch,
                        article.url,
                        max_bytes=self.settings.max_page_bytes,
                        etag=article.etag,
                        last_modified=article.last_modified,
                    )
                    in_flight[future] = article

            for _ in range(window):
                submit_next()
            while in_flight:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    yield in_flight.pop(future), future
                    submit_next()

    def _checked_fetch(
        self, article: PendingArticle, fetched: Future[FetchResult], report: CycleReport
    ) -> FetchResult | None:
        """The fetched page if it can be extracted; otherwise the failure is stored."""
        try:
            result = fetched.result()
        except TransientFetchError as exc:
            self._retry_later_or_fail(article, exc, report)
            return None
        except FetchError as exc:
            self._fail_article(article, ArticleStatus.FETCH_FAILED, str(exc), report)
            return None
        if not is_html_content_type(result.content_type):
            error = f"extract: {article.url}: not an HTML page ({result.content_type})"
            self._fail_article(article, ArticleStatus.EXTRACT_FAILED, error, report)
            return None
        return result

    def _collect_extractions(
        self,
        extracting: dict[Future[ExtractedPage], tuple[PendingArticle, PageCheck]],
        report: CycleReport,
        *,
        block: bool,
    ) -> None:
        """Store every finished extraction; with block, wait for at least one."""
        done = [future for future in extracting if future.done()]
        if not done and block and extracting:
            done = list(wait(extracting, return_when=FIRST_COMPLETED).done)
        for future in done:
            article, check = extracting.pop(future)
            self._store_page(article, check, future, report)

    def _store_page(
        self,
        article: PendingArticle,
        check: PageCheck,
        extracted: Future[ExtractedPage],
        report: CycleReport,
    ) -> None:
        try:
            page = self.extractors.result(extracted, article.url)
        except ExtractionError as exc:
            self._fail_article(article, ArticleStatus.EXTRACT_FAILED, str(exc), report)
            return
        stored = self.database.store_extraction(
            article.article_id, page, fetched_at=self.clock(), check=check
        )
        if stored is not None:
            report.articles_extracted += 1
            self.metrics.record_article(ArticleStatus.EXTRACTED)
            analysis = self.analyse(article.article_id, stored=stored)
            if analysis is not None:
                self._schedule_first_recheck(stored, analysis, page)
        else:
            report.duplicates += 1
            self.metrics.record_article(ArticleStatus.DUPLICATE)
        self.progress.advance()
        log.debug("article extracted", extra={"article_id": article.article_id, "url": article.url})

    def _retry_later_or_fail(
        self, article: PendingArticle, exc: TransientFetchError, report: CycleReport
    ) -> None:
        """A passing failure (timeout, 5xx, 429...): the article stays pending until its next
        try on MONITOR_PAGE_RETRY_SCHEDULE; after the last one it is fetch_failed."""
        delays = self.settings.page_retry_delays
        reason = redact_text(str(exc))
        if article.fetch_attempts >= len(delays):
            tries = article.fetch_attempts + 1
            error = f"{reason} (gave up after {tries} tries)" if delays else reason
            self._fail_article(article, ArticleStatus.FETCH_FAILED, error, report)
            return
        now = self.clock()
        retry_at = now + delays[article.fetch_attempts]
        error = f"{reason}; retry {article.fetch_attempts + 1} of {len(delays)} at {iso(retry_at)}"
        self.database.defer_article(
            article.article_id, error=error, retry_at=retry_at, fetched_at=now
        )
        report.article_retries.append((article.url, error))
        self.progress.advance()
        log.warning("article fetch failed; will retry", extra={"url": article.url, "error": error})

    def _fail_article(
        self, article: PendingArticle, status: str, error: str, report: CycleReport
    ) -> None:
        error = redact_text(error)  # no password, no 20 KB link in the stored error
        report.article_errors.append((article.url, error))
        self.metrics.record_article(status)
        self.database.record_article_failure(
            article.article_id, status=status, error=error, fetched_at=self.clock()
        )
        self.progress.advance()
        log.warning("article failed", extra={"article_id": article.article_id, "error": error})

    # -- analysis --------------------------------------------------------------

    def analyse_leftovers(self) -> None:
        """Analyse extracted articles whose analysis was lost (the process or database died
        between the extraction's commit and the analysis's)."""
        while not self.stop.is_set():
            leftovers = self.database.claim_unanalysed_articles(
                self.owner, self.clock(), lease_s=self.settings.lease_ttl_s, limit=50
            )
            if not leftovers:
                return
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
            self.metrics.record_article(ArticleStatus.ANALYSIS_FAILED)
            self.database.record_analysis_failure(article_id, error=error)
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
        stored = stored or self.database.document(article_id)
        document = capped(as_document(stored), self.settings.max_analysed_chars)
        budget = AnalysisBudget(self.settings.analysis_budget_s, clock=time.monotonic)
        result = match(document, self.rule_set, budget)
        left_s = budget.remaining_s()  # waiting for the lock and the ledger is not analysis
        subjects = ledger_subjects(result, self.rule_set.rules)
        old_claims = [e.claim for e in self.database.article_claims(article_id)] if is_edit else []
        # Most articles match no incident: nothing to compare, so no need to wait
        # for other replicas' analyses (the lock only orders ledger updates).
        needs_lock = bool(subjects) or result.new_incident
        with self.database.analysis_lock() if needs_lock else nullcontext():
            ledger = self.database.ledger(subjects, exclude_article=article_id)
            rest = AnalysisBudget(left_s, clock=time.monotonic)
            analysis = analyse_claims(document, result, self.rule_set, ledger, rest)
            edits = (
                edit_alerts(
                    old_claims, analysis.claims, outlet=stored.source, article_url=stored.url
                )
                if is_edit
                else []
            )
            added = self.database.record_analysis(
                article_id,
                links=incident_links(result),
                is_new_incident=result.new_incident,
                matched_at=self.clock(),
                claims=list(zip(analysis.claims, analysis.corroborates, strict=True)),
                alerts=[*analysis.alerts, *edits],
                seeded=stored.origin == "seed",
            )
        self.metrics.record_claims(len(analysis.claims))
        for draft in added:
            self.metrics.record_alert_raised(draft.kind)
        return analysis

    # -- re-checks: outlets editing their own stories ----------------------------

    def _schedule_first_recheck(
        self, stored: StoredDocument, analysis: Analysis, page: ExtractedPage
    ) -> None:
        """Articles about an incident are re-fetched on MONITOR_RECHECK_SCHEDULE."""
        is_web_page = stored.url.startswith(("http://", "https://"))
        if not analysis.match.incident_ids or not is_web_page:
            return
        now = self.clock()
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
        delays = self.settings.recheck_delays
        done = skip_overdue_checks(published_at, first_seen_at, checks_done, delays, fetched_at)
        at = next_recheck_at(published_at, first_seen_at, done, delays)
        self.database.schedule_recheck(article_id, checks_done=done, at=at)

    def recheck_published(self, report: CycleReport) -> None:
        """Re-fetch articles due for a re-check; a changed text becomes a new revision.

        The page is asked for conditionally (its ETag and Last-Modified): a 304, or
        the same bytes, costs no extraction; the same text (hash) costs no claim
        extraction. A changed text is stored as a revision and analysed again:
        claims the outlet changed raise `edit` alerts with the sentence before and
        after.
        """
        while not self.stop.is_set():
            due = self.database.claim_due_rechecks(
                self.owner,
                self.clock(),
                lease_s=self.settings.lease_ttl_s,
                limit=ARTICLE_BATCH_PER_FETCHER * self.settings.fetch_concurrency,
            )
            if not due:
                return
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
            for article, fetched in self._fetch_pages(pending):
                self._recheck(by_id[article.article_id], fetched, report)

    def _recheck(self, item: RecheckDue, fetched: Future[FetchResult], report: CycleReport) -> None:
        now = self.clock()
        first_seen = item.first_seen_at or now
        try:
            outcome = self._recheck_page(item, fetched.result(), now, report)
        except (FetchError, ExtractionError) as exc:
            # The stored revision stands; the next scheduled check tries again.
            log.info("re-check failed", extra={"article_id": item.article_id, "error": str(exc)})
            outcome = "failed"
        self.metrics.record_recheck(outcome)
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
        page = self.extractors.result(
            self.extractors.submit(result.body, result.final_url), item.url
        )
        if content_hash(page.text) == item.content_hash:
            self.database.record_page_check(item.article_id, check)
            return "same_text"
        revision = self.database.store_revision(item.article_id, page, fetched_at=now, check=check)
        self.analyse(item.article_id, is_edit=True)
        report.articles_revised += 1
        log.info(
            "article edited",
            extra={"article_id": item.article_id, "url": item.url, "revision": revision},
        )
        return "edited"

    # -- single articles -----------------------------------------------------

    def ingest_page(
        self,
        url: str,
        page: ExtractedPage,
        *,
        origin: str,
        source_label: str | None,
        published_at: datetime | None,
    ) -> tuple[int, bool]:
        """Store one article handed in directly (ingest, seed). Returns (article id, is new)."""
        article_id, is_new = self.database.add_article(
            url=url,
            page=page,
            fetched_at=self.clock(),
            origin=origin,
            source_label=source_label,
            published_at=published_at or page.published_at,
        )
        if is_new:
            self.analyse(article_id)
        return article_id, is_new


def as_document(stored: StoredDocument) -> Document:
    return Document(
        url=stored.url,
        title=stored.title,
        text=stored.text,
        source=stored.source,
        published_at=stored.published_at,
    )


def incident_links(result: MatchResult) -> list[IncidentLink]:
    """The incident matches of a result, with their evidence as JSON, ready to store."""
    return [
        IncidentLink(m.incident_id, m.score, json.dumps(incident_match_json(m, result)["evidence"]))
        for m in result.incidents
    ]


@contextmanager
def open_pipeline(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    metrics: Metrics = METRICS,
) -> Iterator[Pipeline]:
    """A pipeline on the configured database, with its fetcher, closed afterwards."""
    rule_set = load_rule_set(settings.rules_dir)
    database = Database.open(settings.resolved_database_url)
    try:
        with (
            Fetcher(settings) as fetcher,
            Pipeline(
                settings,
                database,
                fetcher,
                rule_set,
                clock=clock,
                progress=progress,
                stop=stop,
                metrics=metrics,
            ) as pipeline,
        ):
            yield pipeline
    finally:
        database.close()


def run_once(
    settings: Settings, *, ignore_due: bool = False, progress: Progress | None = None
) -> CycleReport:
    """`monitor once`: one cycle over the feeds in rules/feeds.yaml, then one delivery pass."""
    notifier = notifier_from_settings(settings)  # a bad Slack setting fails before the cycle
    with open_pipeline(settings, progress=progress) as pipeline:
        report = pipeline.run_cycle(pipeline.rule_set.rules.feeds, ignore_due=ignore_due)
        # monitor once ends its cycle with one delivery pass, so a cron-style run delivers too.
        Delivery(
            settings, pipeline.database, pipeline.rule_set, notifier, owner=pipeline.owner
        ).deliver_pending()
        return report


def read_article_file(path: Path) -> ExtractedPage:
    """A .txt (first line the headline) or .html file, read as `monitor ingest` reads it."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".txt":
            return read_plain_text(path.read_text(encoding="utf-8"))
        if suffix in {".html", ".htm"}:
            return extract_html(path.read_bytes(), url=path.resolve().as_uri())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    raise ConfigError(f"{path}: unknown file type {suffix!r}; give a .txt or .html file, or a URL")


def ingest_target(
    settings: Settings,
    target: str,
    *,
    published_at: datetime | None = None,
    source_label: str | None = None,
) -> tuple[int, bool]:
    """`monitor ingest`: one article from a URL or a file, stored now."""
    with open_pipeline(settings) as pipeline:
        url, page = read_target(settings, pipeline.fetcher, target)
        return pipeline.ingest_page(
            url, page, origin="ingest", source_label=source_label, published_at=published_at
        )


def fetch_page(fetcher: Fetcher, url: str, *, max_bytes: int) -> ExtractedPage:
    """Fetch and extract one page now; FetchError or ExtractionError when it fails."""
    result = fetcher.fetch(url, max_bytes=max_bytes)
    if not is_html_content_type(result.content_type):
        raise ExtractionError(f"extract: {url}: not an HTML page ({result.content_type})")
    return extract_html(result.body, url=result.final_url)


def read_target(settings: Settings, fetcher: Fetcher, target: str) -> tuple[str, ExtractedPage]:
    """A URL (fetched and extracted) or a .txt/.html file, as `ingest` and `explain` read it."""
    if target.startswith(("http://", "https://")):
        url = canonical_url(target)
        return url, fetch_page(fetcher, url, max_bytes=settings.max_page_bytes)
    path = Path(target)
    if not path.exists():
        raise ConfigError(f"{target}: no such file, and not an http(s) URL")
    return path.resolve().as_uri(), read_article_file(path)


def seed_baseline(settings: Settings) -> list[tuple[SeedArticle, int, bool]]:
    """`monitor seed`: the seed articles, oldest first, through the same pipeline as feeds."""
    seeds = load_seeds(settings.seeds_dir)
    with open_pipeline(settings) as pipeline:
        results = []
        for seed in seeds:
            page = read_plain_text(seed.path.read_text(encoding="utf-8"))
            article_id, is_new = pipeline.ingest_page(
                seed.url,
                page,
                origin="seed",
                source_label=seed.source,
                published_at=seed.published_at,
            )
            results.append((seed, article_id, is_new))
        return results


@dataclass(frozen=True, slots=True)
class ReplayChange:
    """How re-matching one article with the current rules changes its incidents."""

    article_id: int
    url: str
    title: str
    gained: tuple[str, ...]
    lost: tuple[str, ...]


def replay_matches(
    settings: Settings, *, since: datetime | None = None, apply: bool = False
) -> list[ReplayChange]:
    """`monitor replay`: re-match stored articles; store the new matches only with apply."""
    rule_set = load_rule_set(settings.rules_dir)
    database = Database.open(settings.resolved_database_url)
    try:
        current = database.incidents_by_article()
        changes = []
        for stored in database.documents(since=since):
            result = match(as_document(stored), rule_set)
            before = set(current.get(stored.article_id, []))
            after = set(result.incident_ids)
            if before != after:
                changes.append(
                    ReplayChange(
                        stored.article_id,
                        stored.url,
                        stored.title,
                        gained=tuple(sorted(after - before)),
                        lost=tuple(sorted(before - after)),
                    )
                )
            if apply:
                database.record_matches(
                    stored.article_id,
                    incident_links(result),
                    is_new_incident=result.new_incident,
                    matched_at=utc_now(),
                )
        return changes
    finally:
        database.close()
