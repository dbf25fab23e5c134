"""Storage on SQLite and PostgreSQL: migrations, feed state, entry and article dedup."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from monitor.model import ExtractedPage, FeedItem, FeedSpec
from monitor.store import ArticleStatus, Database, content_hash
from monitor.store.tables import ArticleRow, FeedEntryRow

NOW = datetime(2026, 1, 9, 12, 0, tzinfo=UTC)


def _item(n: int, *, guid: str | None = None, url: str | None = None) -> FeedItem:
    return FeedItem(
        guid=guid or f"guid-{n}",
        url=url or f"https://news.example/story-{n}",
        title=f"Story {n}",
        published_at=NOW - timedelta(hours=n),
        summary="",
    )


def _page(text: str) -> ExtractedPage:
    return ExtractedPage(
        text=text,
        title="A title",
        author=None,
        published_at=None,
        site_name="Example News",
        canonical_url=None,
    )


def _feed_id(database: Database) -> int:
    database.sync_feeds([FeedSpec("wire", "https://wire.example/rss")], default_interval_min=15)
    return database.feeds()[0].feed_id


def test_migrations_create_exactly_the_model_schema(database: Database) -> None:
    """After upgrade, the database schema has nothing the models lack and lacks nothing."""
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_upgrading_twice_is_harmless(database_url: str) -> None:
    """Opening an already upgraded database (a daemon restart) changes nothing."""
    Database.open(database_url).close()
    again = Database.open(database_url)
    assert again.ping()
    again.close()


def test_a_reissued_guid_for_a_known_url_queues_no_new_article(database: Database) -> None:
    """A feed that re-issues GUIDs for the same URLs never duplicates an article."""
    feed_id = _feed_id(database)
    assert database.add_feed_items(feed_id, [_item(1), _item(2)], NOW) == 2
    reissued = [_item(2, guid="new-guid-2"), _item(1, guid="new-guid-1")]
    assert database.add_feed_items(feed_id, reissued, NOW) == 0
    assert database.article_count() == 2


def test_a_known_guid_is_skipped_even_when_reordered(database: Database) -> None:
    """Reordering a feed's items queues nothing new."""
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(1), _item(2), _item(3)], NOW)
    assert database.add_feed_items(feed_id, [_item(3), _item(1), _item(2)], NOW) == 0


def test_same_text_under_another_url_is_stored_as_a_duplicate(database: Database) -> None:
    """Content-hash dedup: the second copy is marked duplicate and keeps no text."""
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(1), _item(2)], NOW)
    first, second = database.claim_pending_articles("me", NOW, lease_s=30, limit=10)
    body = "Federal agents shot two people in Portland on Thursday, police said."
    stored = database.store_extraction(first.article_id, _page(body), fetched_at=NOW)
    assert stored is not None and stored.text == body
    reflowed = body.replace(" ", "  ").upper()
    assert database.store_extraction(second.article_id, _page(reflowed), fetched_at=NOW) is None
    statuses = {a.article_id: a.status for a in database.articles()}
    assert statuses == {
        first.article_id: ArticleStatus.EXTRACTED,
        second.article_id: ArticleStatus.DUPLICATE,
    }


def test_feed_errors_count_up_and_reset_on_success(database: Database) -> None:
    """consecutive_errors grows per failure, keeps the last error, and clears on success."""
    feed_id = _feed_id(database)
    later = NOW + timedelta(minutes=15)
    for _ in range(2):
        database.record_feed_poll(
            feed_id, fetched_at=NOW, next_due_at=later, status=None, error="fetch: boom"
        )
    failed = database.feeds()[0]
    assert (failed.consecutive_errors, failed.last_error) == (2, "fetch: boom")
    database.record_feed_poll(
        feed_id,
        fetched_at=NOW,
        next_due_at=later,
        status=200,
        error=None,
        etag='"v1"',
        entry_count=3,
    )
    healed = database.feeds()[0]
    assert (healed.consecutive_errors, healed.last_error, healed.etag) == (0, None, '"v1"')
    assert healed.next_due_at == later


def test_due_feeds_respects_next_due_unless_told_otherwise(database: Database) -> None:
    """A feed polled a minute ago is not due; --all polls it anyway."""
    feed_id = _feed_id(database)
    database.record_feed_poll(
        feed_id, fetched_at=NOW, next_due_at=NOW + timedelta(minutes=15), status=200, error=None
    )
    assert database.due_feeds(NOW + timedelta(minutes=1)) == []
    assert len(database.due_feeds(NOW + timedelta(minutes=1), ignore_due=True)) == 1
    assert len(database.due_feeds(NOW + timedelta(minutes=16))) == 1


def test_datetimes_come_back_timezone_aware(database: Database) -> None:
    """Both backends return UTC-aware datetimes, whatever the column type does."""
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(1)], NOW)
    [article] = database.articles()
    assert article.published_at == NOW - timedelta(hours=1)
    assert article.published_at is not None and article.published_at.tzinfo is not None


def test_extraction_keeps_the_feed_date_and_fills_what_the_feed_lacked(
    database: Database,
) -> None:
    """The feed's publication time wins over the page's; a page date fills a missing one;
    the page's headline is stored, its own name for its outlet is kept beside the feed's
    name (which the article is attributed to); the returned document is what is stored."""
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(1), _item(2, guid="undated")], NOW)
    dated, undated = database.claim_pending_articles("me", NOW, lease_s=30, limit=10)
    page_date = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    page = ExtractedPage(
        text="Agents fired at a car in Portland on Thursday, police said.",
        title="Page headline",
        author="A. Reporter",
        published_at=page_date,
        site_name="Example News",
        canonical_url="https://news.example/canonical",
    )
    stored = database.store_extraction(dated.article_id, page, fetched_at=NOW)
    assert stored is not None
    assert (stored.title, stored.source, stored.published_at, stored.text) == (
        "Page headline",
        "wire",
        NOW - timedelta(hours=1),
        page.text,
    )
    assert stored == database.document(dated.article_id)
    listed = {a.article_id: a for a in database.articles()}
    assert (listed[dated.article_id].source, listed[dated.article_id].outlet) == (
        "wire",
        "Example News",
    )
    with database.session() as session:  # a feed entry without a date
        row = session.get_one(ArticleRow, undated.article_id)
        row.published_at = None
        session.commit()
    other = ExtractedPage(
        text="A different story about a city budget vote.",
        title="",
        author=None,
        published_at=page_date,
        site_name=None,
        canonical_url=None,
    )
    filled = database.store_extraction(undated.article_id, other, fetched_at=NOW)
    assert filled is not None
    assert (filled.title, filled.source, filled.published_at) == (
        "Story 2",
        "wire",
        page_date,
    )
    assert [a.revision for a in database.articles()] == [1, 1]


def test_removed_feeds_stop_being_listed(database: Database) -> None:
    """A feed taken out of feeds.yaml is no longer polled or shown."""
    specs = [FeedSpec("a", "https://a.example/rss"), FeedSpec("b", "https://b.example/rss")]
    database.sync_feeds(specs, default_interval_min=15)
    database.sync_feeds(specs[:1], default_interval_min=15)
    assert [feed.name for feed in database.feeds()] == ["a"]


def test_content_hash_ignores_whitespace_and_case() -> None:
    """Trivial reflows of the same text hash alike; different words do not."""
    assert content_hash("Two  people\nwounded") == content_hash("two people wounded")
    assert content_hash("two people wounded") != content_hash("three people wounded")


def test_two_replicas_claim_disjoint_articles(database: Database) -> None:
    """Articles leased to one replica are not handed to another until the lease expires."""
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(n) for n in range(6)], NOW)
    first = database.claim_pending_articles("a", NOW, lease_s=30, limit=4)
    second = database.claim_pending_articles("b", NOW, lease_s=30, limit=4)
    assert len(first) == 4 and len(second) == 2
    assert not {a.article_id for a in first} & {a.article_id for a in second}
    assert database.claim_pending_articles("b", NOW, lease_s=30, limit=4) == second


def test_a_dead_replicas_lease_expires_and_is_taken_over(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """After the lease time, another replica claims the work, and its log says whose work it
    took over; renewals keep a lease alive."""
    caplog.set_level(logging.WARNING, logger="monitor.store.leases")
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(1)], NOW)
    [article] = database.claim_pending_articles("a", NOW, lease_s=30, limit=1)
    database.renew_leases("a", NOW + timedelta(seconds=20), lease_s=30)
    assert (
        database.claim_pending_articles("b", NOW + timedelta(seconds=40), lease_s=30, limit=1) == []
    )
    assert not caplog.records
    later = NOW + timedelta(seconds=51)
    assert database.claim_pending_articles("b", later, lease_s=30, limit=1) == [article]
    [takeover] = caplog.records
    assert takeover.getMessage() == "took over lapsed leases"
    expected = {"from_owner": "a", "owner": "b", "rows": 1, "table": "article"}
    assert {key: getattr(takeover, key, None) for key in expected} == expected


def test_released_leases_are_free_at_once_and_taken_without_alarm(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A replica shutting down hands its leases back: another claims them right away, and
    that is not reported as a takeover."""
    caplog.set_level(logging.WARNING, logger="monitor.store.leases")
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [_item(1), _item(2)], NOW)
    held = database.claim_pending_articles("a", NOW, lease_s=30, limit=2)
    [feed] = database.claim_due_feeds("a", NOW, lease_s=30, limit=5, ignore_due=True)
    database.release_leases("a")
    assert database.claim_pending_articles("b", NOW, lease_s=30, limit=2) == held
    claimed = database.claim_due_feeds("b", NOW, lease_s=30, limit=5, ignore_due=True)
    assert [f.feed_id for f in claimed] == [feed.feed_id]
    assert not caplog.records


def test_due_feeds_are_leased_once_and_released_by_the_poll(database: Database) -> None:
    """A leased feed is not claimed again; recording its poll frees it for the next due time."""
    feed_id = _feed_id(database)
    [feed] = database.claim_due_feeds("a", NOW, lease_s=30, limit=5)
    assert database.claim_due_feeds("b", NOW, lease_s=30, limit=5) == []
    database.record_feed_poll(
        feed_id, fetched_at=NOW, next_due_at=NOW + timedelta(minutes=15), status=200, error=None
    )
    assert database.claim_due_feeds("b", NOW, lease_s=30, limit=5) == []
    assert [
        f.feed_id for f in database.claim_due_feeds("b", NOW, lease_s=30, limit=5, ignore_due=True)
    ] == [feed.feed_id]


def test_only_one_replica_holds_a_job_lease(database: Database) -> None:
    """The delivery lease is held by one owner until it lapses."""
    assert database.acquire_job_lease("delivery", "a", NOW, lease_s=30)
    assert database.acquire_job_lease("delivery", "a", NOW + timedelta(seconds=10), lease_s=30)
    assert not database.acquire_job_lease("delivery", "b", NOW + timedelta(seconds=20), lease_s=30)
    assert database.acquire_job_lease("delivery", "b", NOW + timedelta(seconds=41), lease_s=30)


def test_polling_every_feed_skips_those_already_polled_this_cycle(database: Database) -> None:
    """With --all, a feed polled in this cycle is excluded from the next claim."""
    feed_id = _feed_id(database)
    [feed] = database.claim_due_feeds("a", NOW, lease_s=30, limit=5, ignore_due=True)
    assert feed.feed_id == feed_id
    again = database.claim_due_feeds(
        "a", NOW, lease_s=30, limit=5, ignore_due=True, exclude={feed_id}
    )
    assert again == []


def test_a_feeds_articles_are_attributed_to_its_source_label_or_its_name(
    database: Database,
) -> None:
    """An article queued by a feed is the feed's (its `source:` label, else its name), even
    when its page calls itself something else; the page's name is kept as the outlet."""
    specs = [
        FeedSpec("wire", "https://wire.example/rss", source="Wire Desk"),
        FeedSpec("blog", "https://blog.example/rss"),
    ]
    database.sync_feeds(specs, default_interval_min=15)
    ids = {feed.name: feed.feed_id for feed in database.feeds()}
    database.add_feed_items(ids["wire"], [_item(1)], NOW)
    database.add_feed_items(ids["blog"], [_item(2)], NOW)
    for pending in database.claim_pending_articles("me", NOW, lease_s=30, limit=10):
        page = _page(f"Text of article {pending.article_id}, long enough to be different.")
        page = dataclasses.replace(page, site_name="Associated Press")
        database.store_extraction(pending.article_id, page, fetched_at=NOW)
    listed = {a.url.rsplit("-", 1)[1]: a for a in database.articles()}
    assert (listed["1"].source, listed["1"].outlet) == ("Wire Desk", "Associated Press")
    assert (listed["2"].source, listed["2"].outlet) == ("blog", "Associated Press")


def test_an_ingested_article_is_still_named_by_its_label_or_its_page(database: Database) -> None:
    """Without a feed, an article's source is the label given at ingest, else the page's
    own name for its outlet, as before."""
    for n, label in ((1, "desk"), (2, None)):
        database.add_article(
            url=f"https://news.example/ingested-{n}",
            page=_page(f"An ingested story number {n}, with its own words."),
            fetched_at=NOW,
            origin="ingest",
            source_label=label,
            published_at=None,
        )
    sources = {a.url.rsplit("-", 1)[1]: a.source for a in database.articles()}
    assert sources == {"1": "desk", "2": "Example News"}


@pytest.mark.parametrize(
    "stated",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        NOW + timedelta(days=3),
    ],
)
def test_an_implausible_feed_date_gives_way_to_the_first_sight_and_is_kept(
    database: Database, stated: datetime
) -> None:
    """A feed date far in the future or the distant past dates the article by its first
    sight; the stated date is kept beside it; a plausible date is used as given."""
    feed_id = _feed_id(database)
    absurd = dataclasses.replace(_item(1), published_at=stated)
    plausible = dataclasses.replace(_item(2), published_at=NOW - timedelta(days=300))
    database.add_feed_items(feed_id, [absurd, plausible], NOW)
    listed = {a.url.rsplit("-", 1)[1]: a for a in database.articles()}
    assert (listed["1"].published_at, listed["1"].stated_published_at) == (NOW, stated)
    assert (listed["2"].published_at, listed["2"].stated_published_at) == (
        NOW - timedelta(days=300),
        None,
    )
    assert database.document(listed["1"].article_id).published_at == NOW


def test_an_implausible_page_date_does_not_date_an_undated_entry(database: Database) -> None:
    """When the feed gave no date, a page date from year 9999 is not used: the article
    keeps its first sight, and the page's claim is kept as stated."""
    feed_id = _feed_id(database)
    database.add_feed_items(feed_id, [dataclasses.replace(_item(1), published_at=None)], NOW)
    [pending] = database.claim_pending_articles("me", NOW, lease_s=30, limit=1)
    page = dataclasses.replace(
        _page("A story whose page claims to come from the far future, oddly."),
        published_at=datetime(9999, 1, 1, tzinfo=UTC),
    )
    later = NOW + timedelta(minutes=5)
    stored = database.store_extraction(pending.article_id, page, fetched_at=later)
    assert stored is not None and stored.published_at == NOW
    [article] = database.articles()
    assert article.stated_published_at == datetime(9999, 1, 1, tzinfo=UTC)


def test_thousands_of_entries_are_stored_in_batches_without_duplicates(
    database: Database,
) -> None:
    """A poll of more entries than one INSERT holds queues each new URL once: repeated
    GUIDs and URLs inside the poll, and URLs another feed already queued, add no article
    but still record the entry."""
    database.sync_feeds(
        [FeedSpec("a", "https://a.example/rss"), FeedSpec("b", "https://b.example/rss")],
        default_interval_min=15,
    )
    ids = {feed.name: feed.feed_id for feed in database.feeds()}
    assert database.add_feed_items(ids["a"], [_item(n) for n in range(0, 1000, 2)], NOW) == 500
    items = [_item(n, guid=f"b-{n}") for n in range(1000)]
    items += [_item(5, guid="b-5"), _item(7, guid="b-7-again")]  # a GUID twice; a URL twice
    assert database.add_feed_items(ids["b"], items, NOW) == 500
    assert database.article_count() == 1000
    assert database.add_feed_items(ids["b"], items, NOW) == 0
    with database.read_session() as session:
        entries = session.exec(
            select(FeedEntryRow.guid, FeedEntryRow.article_id).where(
                FeedEntryRow.feed_id == ids["b"]
            )
        ).all()
    assert len(entries) == 1001
    assert all(article_id is not None for _, article_id in entries)
