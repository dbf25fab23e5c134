"""Polling feeds: lease the due ones, fetch and parse them off the main thread, and
record each poll (its new entries, or its failure and backoff) on the feed.

A document that parses but whose entries carry no usable link (garbage bytes, a
truncated download) is a failed poll, with the reason, not a healthy empty one. The
first successful poll of a new feed queues what it already holds as backlog: analysed
into the ledger, never posted (see store.feeds).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime

from monitor.config import Settings
from monitor.errors import FetchError
from monitor.ingest.feeds import canonical_url, parse_feed
from monitor.ingest.fetch import ThrottledFetchError
from monitor.model import CacheHeaders, FeedItem, FetchResult, ParsedFeed
from monitor.pipeline.context import CycleContext, log
from monitor.pipeline.report import CycleReport
from monitor.pipeline.schedule import (
    Bounds,
    Hints,
    Plan,
    Sighting,
    due_at_the_nearest_tick,
    http_freshness_s,
    observed_interval_s,
    plan_after_failure,
    plan_after_success,
    publication_times,
    retry_after_s,
)
from monitor.redact import redact_text
from monitor.store import FeedState, StorageError
from monitor.store.records import FeedSchedule


@dataclass(frozen=True, slots=True)
class _FeedPoll:
    """The outcome of fetching and parsing one feed, computed off the main thread:
    `items` are the parsed entries with a usable (canonical http/https) link."""

    feed: FeedState
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    items: tuple[FeedItem, ...] = ()
    error: str | None = None
    cache: CacheHeaders | None = None  # a failed poll's headers (Retry-After on 429/503)


def schedule_bounds(settings: Settings) -> Bounds:
    """The schedule's bounds from the settings, in seconds."""
    return Bounds(
        min_s=settings.min_interval_s,
        max_s=settings.max_interval_s,
        new_feed_s=settings.default_interval_min * 60,
        max_backoff_s=settings.max_backoff_min * 60,
    )


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


def no_usable_link_error(url: str, entries: int) -> str:
    """Why a feed whose entries all lack a usable link failed: it is not healthy."""
    counted = "1 entry" if entries == 1 else f"{entries} entries"
    return (
        f"feed: {url}: {counted}, none with a link; the document is truncated or not a "
        "news feed: check the feed URL in rules/feeds.yaml"
    )


class FeedPoller:
    """Polls feeds; a feed that fails, or whose poll cannot be stored, fails alone."""

    def __init__(self, context: CycleContext) -> None:
        self.context = context

    def poll_due_feeds(self, report: CycleReport, *, ignore_due: bool = False) -> None:
        """Lease due feeds a batch at a time and poll them, until none is left for us.

        Other replicas lease other batches; a feed leased by a replica that died
        is free again once its lease expires.
        """
        context = self.context
        context.progress.start(
            "feeds", len(context.database.due_feeds(context.clock(), ignore_due=ignore_due))
        )
        polled: set[int] = set()
        while not context.stop.is_set():
            batch = context.database.claim_due_feeds(
                context.owner,
                context.clock(),
                lease_s=context.settings.lease_ttl_s,
                limit=context.settings.fetch_concurrency,
                ignore_due=ignore_due,
                exclude=polled,
            )
            if not batch:
                return
            polled.update(feed.feed_id for feed in batch)
            self.poll_feeds(batch, report)

    def poll_feeds(self, feeds: Sequence[FeedState], report: CycleReport) -> None:
        with ThreadPoolExecutor(self.context.settings.fetch_concurrency, "feed") as pool:
            futures = [pool.submit(self._fetch_feed, feed) for feed in feeds]
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                self._record_feed_poll(future.result(), report)
                self.context.progress.advance()
                if self.context.stop.is_set():
                    # Feeds not yet polled stay due; the next start polls them.
                    for waiting in futures:
                        waiting.cancel()

    def _fetch_feed(self, feed: FeedState) -> _FeedPoll:
        try:
            result = self.context.fetcher.fetch(
                feed.url,
                max_bytes=self.context.settings.max_feed_bytes,
                etag=feed.etag,
                last_modified=feed.last_modified,
            )
            if result.is_not_modified:
                return _FeedPoll(feed, result=result)
            parsed = parse_feed(result.body, url=result.final_url, content_type=result.content_type)
        except ThrottledFetchError as exc:
            return _FeedPoll(feed, error=str(exc), cache=exc.cache)
        except FetchError as exc:
            return _FeedPoll(feed, error=str(exc))
        items = tuple(_canonical_items(parsed.items))
        if parsed.items and not items:
            return _FeedPoll(feed, error=no_usable_link_error(feed.url, len(parsed.items)))
        return _FeedPoll(feed, result=result, parsed=parsed, items=items)

    def _record_feed_poll(self, poll: _FeedPoll, report: CycleReport) -> None:
        """Store a poll's entries and outcome. A database that refuses the write (locked
        past the busy timeout) fails this feed, on the feed: the cycle goes on."""
        now = self.context.clock()
        report.feeds_polled += 1
        if poll.error is not None or poll.result is None:
            error = poll.error or "unknown error"
            self._record_feed_failure(poll.feed, now, error, report, cache=poll.cache)
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
        # Never polled successfully: what this poll finds is the feed's backlog.
        is_backlog = feed.first_polled_at is None and poll.parsed is not None
        if poll.parsed is not None:
            new_articles = self.context.database.add_feed_items(
                feed.feed_id,
                poll.items,
                now,
                first_poll_is_baseline=self.context.settings.first_poll_is_baseline,
            )
        plan = self._plan_after_success(poll, result, now)
        self.context.database.record_feed_poll(
            feed.feed_id,
            fetched_at=now,
            next_due_at=plan.next_due_at,
            status=result.status,
            error=None,
            etag=result.etag,
            last_modified=result.last_modified,
            entry_count=len(poll.parsed.items) if poll.parsed else None,
            schedule=FeedSchedule(
                plan.interval_s / 60,
                plan.reason,
                plan.hint_until,
                document_read=poll.parsed is not None,
                document_refresh_s=poll.parsed.refresh_s if poll.parsed else None,
            ),
        )
        self.context.metrics.record_feed_poll("ok" if poll.parsed else "not_modified")
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
                "without_link": len(poll.parsed.items) - len(poll.items) if poll.parsed else 0,
                "elapsed_ms": result.elapsed_ms,
                "interval_s": round(plan.interval_s),
                "interval_reason": plan.reason,
            },
        )
        if is_backlog:
            log.info(
                "new feed: its entries are the baseline, not news",
                extra={
                    "feed": feed.name,
                    "backlog_articles": new_articles,
                    "detail": "analysed into the ledger; their alerts are recorded, not posted",
                },
            )

    def _record_feed_failure(
        self,
        feed: FeedState,
        now: datetime,
        error: str,
        report: CycleReport,
        *,
        cache: CacheHeaders | None = None,
    ) -> None:
        error = redact_text(error)  # no password, no 20 KB link in last_error
        report.feed_errors.append((feed.name, error))
        self.context.metrics.record_feed_poll("error")
        self.context.metrics.record_fetch_error(error)
        log.warning("feed failed", extra={"feed": feed.name, "feed_url": feed.url, "error": error})
        plan = plan_after_failure(
            now,
            schedule_bounds(self.context.settings),
            base_s=feed.interval_min * 60,
            consecutive_errors=feed.consecutive_errors,
            hints=Hints(retry_after_s=retry_after_s(cache, now) if cache else None),
        )
        try:
            self.context.database.record_feed_poll(
                feed.feed_id,
                fetched_at=now,
                next_due_at=plan.next_due_at,
                status=None,
                error=error,
                schedule=FeedSchedule(None, plan.reason, plan.hint_until),
            )
        except StorageError as exc:
            # Not even the failure could be stored: the feed's lease lapses and the
            # feed is polled again then; the report and the log keep the reason.
            log.error(
                "could not record the feed's failure", extra={"feed": feed.name, "error": str(exc)}
            )

    def _plan_after_success(self, poll: _FeedPoll, result: FetchResult, now: datetime) -> Plan:
        """The next poll of a feed just polled: its pace (with this poll's entries stored),
        its own interval or a live push subscription, the outlet's hints as floors."""
        feed = poll.feed
        sightings = [
            Sighting(published, seen)
            for published, seen in self.context.database.recent_sightings(feed.feed_id)
        ]
        times = publication_times(sightings, backlog_seen_at=feed.first_polled_at or now)
        document_s = poll.parsed.refresh_s if poll.parsed else feed.document_refresh_s
        own_min = feed.own_interval_min
        plan = plan_after_success(
            now,
            schedule_bounds(self.context.settings),
            own_interval_s=own_min * 60 if own_min is not None else None,
            push_lease_until=feed.push_lease_until,
            observed_s=observed_interval_s(times, now),
            hints=Hints(
                http_s=http_freshness_s(result.cache, now),
                document_s=document_s,
                retry_after_s=retry_after_s(result.cache, now),
            ),
        )
        return due_at_the_nearest_tick(plan, self.context.settings.tick_s)
