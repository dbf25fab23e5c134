"""Article pages: lease pending articles, fetch them in threads, extract them in worker
processes, and store each page, or its failure or next retry, on its article."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from monitor.errors import ExtractionError, FetchError, TransientFetchError
from monitor.ingest.extract import is_html_content_type
from monitor.model import ExtractedPage, FetchResult, iso
from monitor.pipeline.context import CycleContext, log
from monitor.pipeline.report import CycleReport
from monitor.redact import redact_text
from monitor.store import ArticleStatus, PageCheck, PendingArticle, StoredDocument

# Articles leased per claim, per fetch thread: enough to keep fetching ahead of
# extraction, few enough that a claim finishes well within one lease.
ARTICLE_BATCH_PER_FETCHER = 4


def article_batch_size(context: CycleContext) -> int:
    return ARTICLE_BATCH_PER_FETCHER * context.settings.fetch_concurrency


# What happens to an article whose page was just extracted and stored (its analysis).
PageStored = Callable[[StoredDocument, ExtractedPage], None]


def fetch_pages(
    context: CycleContext, pending: Sequence[PendingArticle]
) -> Iterator[tuple[PendingArticle, Future[FetchResult]]]:
    """Fetch pages concurrently, at most a small window ahead of the consumer.

    Extraction is slower than loopback or LAN fetching; without a window,
    finished pages of up to MONITOR_MAX_PAGE_BYTES each would pile up in memory.
    """
    settings = context.settings
    window = 2 * settings.fetch_concurrency
    queue = iter(pending)
    with ThreadPoolExecutor(settings.fetch_concurrency, "page") as pool:
        in_flight: dict[Future[FetchResult], PendingArticle] = {}

        def submit_next() -> None:
            if context.stop.is_set():
                return  # the rest stay pending in the database
            article = next(queue, None)
            if article is not None:
                future = pool.submit(
                    context.fetcher.fetch,
                    article.url,
                    max_bytes=settings.max_page_bytes,
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


class ArticleFetcher:
    """Turns pending articles into stored pages; a page's failure stays on its article."""

    def __init__(self, context: CycleContext, page_stored: PageStored) -> None:
        self.context = context
        self.page_stored = page_stored

    def process_pending(self, report: CycleReport) -> None:
        """Fetch and extract every queued article; failures are stored on the article.

        Pages are fetched by a thread pool and extracted by worker processes;
        this thread stores and analyses each page as its extraction finishes.
        """
        context = self.context
        context.progress.start("articles", context.database.pending_count(context.clock()))
        claim = context.database.claim_pending_articles
        for batch in context.leased_batches(claim, limit=article_batch_size(context)):
            self._process_batch(batch, report)

    def _process_batch(self, pending: Sequence[PendingArticle], report: CycleReport) -> None:
        extractors = self.context.extractors
        extracting: dict[Future[ExtractedPage], tuple[PendingArticle, PageCheck]] = {}
        # Enough queued work to keep every worker busy, no more pages in memory than that.
        limit = 2 * extractors.workers
        for article, fetched in fetch_pages(self.context, pending):
            result = self._checked_fetch(article, fetched, report)
            if result is not None:
                extraction = extractors.submit(result.body, result.final_url)
                extracting[extraction] = (article, PageCheck.of(result))
            self._collect_extractions(extracting, report, block=len(extracting) >= limit)
        while extracting:
            self._collect_extractions(extracting, report, block=True)

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
        context = self.context
        try:
            page = context.extractors.result(extracted, article.url)
        except ExtractionError as exc:
            self._fail_article(article, ArticleStatus.EXTRACT_FAILED, str(exc), report)
            return
        stored = context.database.store_extraction(
            article.article_id, page, fetched_at=context.clock(), check=check
        )
        if stored is not None:
            report.articles_extracted += 1
            context.metrics.record_article(ArticleStatus.EXTRACTED)
            self.page_stored(stored, page)
        else:
            report.duplicates += 1
            context.metrics.record_article(ArticleStatus.DUPLICATE)
        context.progress.advance()
        log.debug("article extracted", extra={"article_id": article.article_id, "url": article.url})

    def _retry_later_or_fail(
        self, article: PendingArticle, exc: TransientFetchError, report: CycleReport
    ) -> None:
        """A passing failure (timeout, 5xx, 429...): the article stays pending until its next
        try on MONITOR_PAGE_RETRY_SCHEDULE; after the last one it is fetch_failed."""
        delays = self.context.settings.page_retry_delays
        reason = redact_text(str(exc))
        if article.fetch_attempts >= len(delays):
            tries = article.fetch_attempts + 1
            error = f"{reason} (gave up after {tries} tries)" if delays else reason
            self._fail_article(article, ArticleStatus.FETCH_FAILED, error, report)
            return
        now = self.context.clock()
        retry_at = now + delays[article.fetch_attempts]
        error = f"{reason}; retry {article.fetch_attempts + 1} of {len(delays)} at {iso(retry_at)}"
        self.context.database.defer_article(
            article.article_id, error=error, retry_at=retry_at, fetched_at=now
        )
        report.article_retries.append((article.url, error))
        self.context.progress.advance()
        log.warning("article fetch failed; will retry", extra={"url": article.url, "error": error})

    def _fail_article(
        self, article: PendingArticle, status: str, error: str, report: CycleReport
    ) -> None:
        error = redact_text(error)  # no password, no 20 KB link in the stored error
        report.article_errors.append((article.url, error))
        self.context.metrics.record_article(status)
        self.context.database.record_article_failure(
            article.article_id, status=status, error=error, fetched_at=self.context.clock()
        )
        self.context.progress.advance()
        log.warning("article failed", extra={"article_id": article.article_id, "error": error})
