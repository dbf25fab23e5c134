"""One cycle: poll due feeds, queue new entries, fetch and extract their pages, analyse
them, re-check published ones; and the commands that run a pipeline (once, ingest, seed,
replay).

The edges (Fetcher, Database) come in from outside; this module only decides
what happens in which order and makes sure one bad feed or page never stops
the others. Network work runs in a bounded thread pool; every database write
happens on the calling thread, so SQLite never sees two writers of ours.

Each stage is its own part, sharing one CycleContext: FeedPoller (polling.py),
ArticleFetcher (pages.py), Analyser (analyser.py), Rechecker (rechecks.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.analysis.engine import Analysis, RuleSet, load_rule_set, match
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.ingest.extract import read_plain_text
from monitor.ingest.extractor_pool import ExtractorPool
from monitor.ingest.fetch import Fetcher
from monitor.ingest.seeds import SeedArticle, load_seeds
from monitor.metrics import METRICS, Metrics
from monitor.model import ExtractedPage, FeedSpec
from monitor.notify.delivery import Delivery, notifier_from_settings
from monitor.pipeline.analyser import Analyser, as_document, incident_links
from monitor.pipeline.context import Clock, CycleContext, log, utc_now
from monitor.pipeline.leases import LeaseKeeper
from monitor.pipeline.pages import ArticleFetcher
from monitor.pipeline.polling import FeedPoller
from monitor.pipeline.rechecks import Rechecker
from monitor.pipeline.report import CycleReport, NoProgress, Progress
from monitor.pipeline.targets import read_target
from monitor.store import Database, FeedState, StoredDocument, new_lease_owner


class Pipeline:
    """Runs cycles against one database with one fetcher.

    It orders the stages, holds the leases, and keeps the methods the daemon, the
    commands and the tests call; the work itself is done by the stage parts.
    """

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
        self.extractors = ExtractorPool(settings.extract_workers)
        self.lease_keeper = LeaseKeeper(database, self.owner, settings.lease_ttl_s, clock)
        # Set by the daemon on SIGTERM: finish the feed or page in hand, start no new one.
        self.stop = stop or threading.Event()
        self.database = database
        self.fetcher = fetcher
        self.clock = clock
        self.progress: Progress = progress or NoProgress()
        self._cycle_running = threading.Lock()
        context = CycleContext(
            settings=settings,
            database=database,
            fetcher=fetcher,
            extractors=self.extractors,
            metrics=metrics,
            clock=clock,
            stop=self.stop,
            owner=self.owner,
            progress=self.progress,
        )
        self.analyser = Analyser(context, rule_set)
        self.rechecker = Rechecker(context, self.analyser)
        self.feed_poller = FeedPoller(context)
        self.article_fetcher = ArticleFetcher(context, self._analyse_new_page)

    @property
    def rule_set(self) -> RuleSet:
        return self.analyser.rule_set

    @rule_set.setter
    def rule_set(self, rule_set: RuleSet) -> None:
        """The daemon swaps in reloaded rules between cycles; the next analysis uses them."""
        self.analyser.rule_set = rule_set

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

    # -- the stages, in cycle order ---------------------------------------------

    def poll_due_feeds(self, report: CycleReport, *, ignore_due: bool = False) -> None:
        """Lease due feeds a batch at a time and poll them, until none is left for us."""
        self.feed_poller.poll_due_feeds(report, ignore_due=ignore_due)

    def poll_feeds(self, feeds: Sequence[FeedState], report: CycleReport) -> None:
        self.feed_poller.poll_feeds(feeds, report)

    def process_pending(self, report: CycleReport) -> None:
        """Finish analyses a crash left undone, then fetch, extract and analyse every
        queued article; failures are stored on the article."""
        self.analyse_leftovers()
        self.article_fetcher.process_pending(report)

    def recheck_published(self, report: CycleReport) -> None:
        """Re-fetch articles due for a re-check; a changed text becomes a new revision."""
        self.rechecker.recheck_published(report)

    def analyse_leftovers(self) -> None:
        """Analyse extracted articles whose analysis a crash left undone."""
        self.analyser.analyse_leftovers()

    def analyse(
        self, article_id: int, *, stored: StoredDocument | None = None, is_edit: bool = False
    ) -> Analysis | None:
        """Analyse a stored article; None when it outran MONITOR_ANALYSIS_BUDGET_S."""
        return self.analyser.analyse(article_id, stored=stored, is_edit=is_edit)

    def _analyse_new_page(self, stored: StoredDocument, page: ExtractedPage) -> None:
        """A page just extracted and stored: analyse it, and re-check it later if it is
        about an incident."""
        analysis = self.analyse(stored.article_id, stored=stored)
        if analysis is not None:
            self.rechecker.schedule_first_recheck(stored, analysis, page)

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
    rule_set = load_rule_set(settings.rules_dir, cache_dir=settings.data_dir / "cache")
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
        load_start_baseline(pipeline)
        database = pipeline.database
        newest_before = database.last_alert_id()
        report = pipeline.run_cycle(pipeline.rule_set.rules.feeds, ignore_due=ignore_due)
        # monitor once ends its cycle with one delivery pass, so a cron-style run delivers too.
        delivered = Delivery(
            settings, database, pipeline.rule_set, notifier, owner=pipeline.owner
        ).deliver_pending()
        report.alerts_raised = database.count_alerts_after(newest_before)
        report.alerts_sent, report.alerts_failed = delivered.delivered, delivered.failed
        report.alerts_waiting = database.outbox_state().waiting
        return report


def ingest_target(
    settings: Settings,
    target: str,
    *,
    published_at: datetime | None = None,
    source_label: str | None = None,
) -> tuple[int, bool]:
    """`monitor ingest`: one article from a URL or a file, stored now."""
    with open_pipeline(settings) as pipeline:
        url, page = read_target(settings, target, fetcher=pipeline.fetcher)
        return pipeline.ingest_page(
            url, page, origin="ingest", source_label=source_label, published_at=published_at
        )


def seed_baseline(settings: Settings) -> list[tuple[SeedArticle, int, bool]]:
    """`monitor seed`: the seed articles, oldest first, through the same pipeline as feeds."""
    seeds = load_seeds(settings.seeds_dir)
    with open_pipeline(settings) as pipeline:
        return ingest_seeds(pipeline, seeds)


def ingest_seeds(
    pipeline: Pipeline, seeds: Sequence[SeedArticle]
) -> list[tuple[SeedArticle, int, bool]]:
    """Store and analyse seed articles in order; their alerts are the baseline, never posted.
    Idempotent: a seed already stored is skipped. ConfigError when a file cannot be read."""
    results = []
    for seed in seeds:
        try:
            page = read_plain_text(seed.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the seed {seed.path}: {exc}") from exc
        article_id, is_new = pipeline.ingest_page(
            seed.url,
            page,
            origin="seed",
            source_label=seed.source,
            published_at=seed.published_at,
        )
        results.append((seed, article_id, is_new))
    return results


# The job lease held while one process loads the start-up baseline.
BASELINE_JOB = "baseline"


def load_start_baseline(pipeline: Pipeline) -> int:
    """Before the first cycle of `monitor run` or `monitor once`: on an empty ledger (see
    Database.ledger_is_empty), load the seeds (MONITOR_SEEDS_DIR) as `monitor seed` does,
    so the first article about a tracked incident is compared with the baseline instead
    of posting every known fact as a first report. Returns how many seed articles it
    stored (0 when the ledger had a baseline).

    Replicas starting together take turns under a job lease: the others wait until the
    baseline is in, and then find the ledger not empty. Missing or unreadable seeds are
    a warning, not a failed start: the daemon runs, unquietly.
    """
    database, settings = pipeline.database, pipeline.settings
    while not database.acquire_job_lease(
        BASELINE_JOB, pipeline.owner, pipeline.clock(), lease_s=settings.lease_ttl_s
    ):
        if pipeline.stop.wait(1.0):  # another replica is loading it; SIGTERM ends the wait
            return 0
    try:
        if not database.ledger_is_empty():
            return 0
        return _load_seeds_into_empty_ledger(pipeline, settings.seeds_dir)
    finally:
        database.release_job_lease(BASELINE_JOB, pipeline.owner)


def _load_seeds_into_empty_ledger(pipeline: Pipeline, seeds_dir: Path) -> int:
    try:
        seeds = load_seeds(seeds_dir)
        if not seeds:
            raise ConfigError(f"{seeds_dir}: the seed manifest lists no documents")
        stored = sum(is_new for _seed, _id, is_new in ingest_seeds(pipeline, seeds))
    except ConfigError as exc:
        log.warning(
            "ledger empty and no baseline loaded: the first articles about tracked incidents "
            "will post their facts as first reports; set MONITOR_SEEDS_DIR to the seeds folder",
            extra={"seeds_dir": str(seeds_dir), "error": str(exc)},
        )
        return 0
    log.info(
        f"ledger empty: loaded the baseline from {len(seeds)} seed articles in {seeds_dir}",
        extra={"seed_articles": len(seeds), "seeds_dir": str(seeds_dir), "stored": stored},
    )
    return stored


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
    rule_set = load_rule_set(settings.rules_dir, cache_dir=settings.data_dir / "cache")
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
