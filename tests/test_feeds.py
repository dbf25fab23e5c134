"""Feed parsing (RSS, Atom, hostile documents) and article URL canonicalisation."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.analysis.engine import load_rule_set
from monitor.errors import FetchError
from monitor.ingest.feeds import canonical_url, parse_feed
from monitor.ingest.fetch import Fetcher
from monitor.model import MAX_AGE_AT_FIRST_SIGHT, MAX_FUTURE_SKEW, checked_published_at
from monitor.pipeline.cycle import Pipeline
from monitor.pipeline.report import CycleReport
from monitor.store import Database, FeedState
from tests.conftest import make_rules_dir, make_settings
from tests.loopback import LoopbackServer, Route

REPO_ROOT = Path(__file__).resolve().parent.parent

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>City &amp; County News</title>
<link>https://news.example.com/</link>
<item>
  <title>Fire &lt;b&gt;downtown&lt;/b&gt;</title>
  <link>/2026/01/fire.html?utm_source=rss</link>
  <guid isPermaLink="false">fire-2026-01-10</guid>
  <pubDate>Sat, 10 Jan 2026 09:00:00 +0100</pubDate>
  <description>&lt;p&gt;Two people were &lt;b&gt;hurt&lt;/b&gt;.&lt;/p&gt;</description>
</item>
<item>
  <title>No guid here</title>
  <link>https://news.example.com/2026/01/no-guid.html</link>
</item>
<item><title>Neither guid nor link</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://wire.example.org/news/">
<title type="html">Wire &lt;i&gt;service&lt;/i&gt;</title>
<id>urn:uuid:feed</id>
<updated>2026-01-10T09:00:00Z</updated>
<entry>
  <id>urn:uuid:entry-1</id>
  <title>Bridge closed</title>
  <link href="bridge.html"/>
  <updated>2026-01-10T09:30:00Z</updated>
  <summary>The bridge is closed.</summary>
</entry>
</feed>"""


def entity_doc(declarations: str, body: str) -> bytes:
    """An RSS document whose DOCTYPE declares the given entities."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{declarations}\n]>\n'
        f'<rss version="2.0"><channel><title>t</title>'
        f"<item><title>{body}</title><link>http://example.invalid/x</link></item>"
        "</channel></rss>"
    ).encode()


def billion_laughs() -> bytes:
    """Ten levels of ten references each: 10^9 "lol"s when expanded."""
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return entity_doc("\n".join(lines), "&lol9;")


def quadratic_blowup() -> bytes:
    """One 50 KB entity referenced 50,000 times: 2.5 GB when expanded, with plain-text values."""
    return entity_doc(f'<!ENTITY a "{"x" * 50_000}">', "&a;" * 50_000)


def test_rss_items_become_feed_items() -> None:
    """RSS: guid, resolved link, plain-text title and summary, UTC published_at."""
    feed = parse_feed(RSS, url="https://news.example.com/feeds/main.xml")

    assert feed.title == "City & County News"
    first, second, third = feed.items
    assert first.guid == "fire-2026-01-10"
    assert first.url == "https://news.example.com/2026/01/fire.html?utm_source=rss"
    assert first.title == "Fire downtown"
    assert first.summary == "Two people were hurt."
    assert first.published_at == datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    assert second.guid == second.url == "https://news.example.com/2026/01/no-guid.html"
    assert second.published_at is None
    assert third.url == ""
    assert third.guid.startswith("sha256:")


def test_item_without_guid_or_link_gets_a_stable_hash_guid() -> None:
    """The fallback guid depends only on title and link, so re-polls match."""
    first = parse_feed(RSS, url="https://news.example.com/feeds/main.xml").items[2]
    again = parse_feed(RSS, url="https://mirror.example.com/feed.xml").items[2]

    assert first.guid == again.guid


def test_atom_entries_become_feed_items_with_xml_base_links() -> None:
    """Atom: id as guid, link resolved against xml:base, updated as published_at."""
    feed = parse_feed(ATOM, url="https://wire.example.org/atom.xml")

    assert feed.title == "Wire service"
    (entry,) = feed.items
    assert entry.guid == "urn:uuid:entry-1"
    assert entry.url == "https://wire.example.org/news/bridge.html"
    assert entry.published_at == datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
    assert entry.summary == "The bridge is closed."


def test_relative_links_are_resolved_against_the_feed_url() -> None:
    """A relative <link> is made absolute with the URL the feed was fetched from."""
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>a</title><link>../stories/a.html</link></item>"
        b"<item><title>b</title><link>b.html</link></item>"
        b"</channel></rss>"
    )

    feed = parse_feed(body, url="https://example.com/feeds/rss/all.xml")

    assert [item.url for item in feed.items] == [
        "https://example.com/feeds/stories/a.html",
        "https://example.com/feeds/rss/b.html",
    ]


def test_feed_with_a_title_and_no_items_is_an_empty_feed() -> None:
    """A valid feed with nothing in it yet is not an error."""
    body = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'

    assert parse_feed(body, url="https://example.com/rss").items == ()


@pytest.mark.parametrize(
    "body",
    [
        random.Random(7).randbytes(20_000),
        b"",
        b"<html><head><title>Home</title></head><body><p>Hello</p></body></html>",
        b'{"items": []}',
        b"/etc/passwd",
    ],
    ids=["random-bytes", "empty", "html-page", "json", "a-local-path"],
)
def test_non_feed_documents_are_a_clear_error(body: bytes) -> None:
    """Garbage, HTML, JSON or a file name fail with "is not a feed" and the URL."""
    with pytest.raises(FetchError, match=r"^feed: https://example.com/f is not a feed \("):
        parse_feed(body, url="https://example.com/f", content_type="text/html")


@pytest.mark.parametrize(
    "body",
    [
        billion_laughs(),
        quadratic_blowup(),
        billion_laughs().decode().encode("utf-16"),
        billion_laughs().decode().encode("utf-16-be"),
        billion_laughs().decode().encode("cp037"),
        entity_doc('<!ENTITY % p "x">', "t"),
        entity_doc('<!ENTITY copy "(C)">', "&copy;"),
    ],
    ids=[
        "billion-laughs",
        "quadratic-blowup",
        "utf-16-with-bom",
        "utf-16-without-bom",
        "ebcdic",
        "parameter-entity",
        "harmless-looking-entity",
    ],
)
def test_documents_declaring_entities_are_refused(body: bytes) -> None:
    """Any internal entity declaration, in any encoding feedparser reads, is refused up front."""
    with pytest.raises(FetchError, match="declares XML entities"):
        parse_feed(body, url="https://example.com/evil.xml")


def test_entity_text_inside_an_item_is_not_mistaken_for_a_declaration() -> None:
    """An article about XML that mentions <!ENTITY in its body is parsed normally."""
    body = (
        b'<rss version="2.0"><channel><title>XML weekly</title><item><title>XXE</title>'
        b"<description><![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>]]></description>"
        b"<link>https://example.com/xxe</link></item></channel></rss>"
    )

    (item,) = parse_feed(body, url="https://example.com/rss").items

    assert item.title == "XXE"


def test_entity_bombs_are_handled_in_bounded_memory_and_time(tmp_path: Path) -> None:
    """In a fresh process, parsing both entity bombs grows memory by under 100 MB."""
    paths = []
    for name, body in (("laughs.xml", billion_laughs()), ("quadratic.xml", quadratic_blowup())):
        path = tmp_path / name
        path.write_bytes(body)
        paths.append(str(path))
    script = (
        "import json, resource, sys\n"
        "from pathlib import Path\n"
        "from monitor.errors import FetchError\n"
        "from monitor.ingest.feeds import parse_feed\n"
        "errors = []\n"
        "bodies = [Path(path).read_bytes() for path in sys.argv[1:]]\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "for body in bodies:\n"
        "    try:\n"
        "        parse_feed(body, url='https://example.com/f')\n"
        "        errors.append(None)\n"
        "    except FetchError as exc:\n"
        "        errors.append(str(exc))\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'errors': errors, 'growth_mb': peak - before}))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", script, *paths],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO_ROOT,
        check=True,
    )

    outcome = json.loads(done.stdout)
    assert all("declares XML entities" in (error or "") for error in outcome["errors"])
    assert outcome["growth_mb"] < 100


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/Story", "https://news.example.com/Story"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        (
            "https://example.com/a?id=7&utm_source=rss&UTM_Medium=x&fbclid=abc&gclid=1",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?utm_campaign=x", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"),
        ("https://example.com/a?q=caf%C3%A9+bar", "https://example.com/a?q=caf%C3%A9+bar"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("https://example.com./a", "https://example.com/a"),
    ],
    ids=[
        "case",
        "fragment",
        "http-default-port",
        "https-default-port",
        "other-port-kept",
        "empty-path",
        "tracking-params",
        "only-tracking",
        "order-kept",
        "encoding-kept",
        "ipv6",
        "trailing-dot",
    ],
)
def test_canonical_url_drops_what_does_not_identify_the_article(url: str, expected: str) -> None:
    """Lowercase scheme and host, no fragment, no default port, no utm_*/fbclid/gclid."""
    assert canonical_url(url) == expected


@given(st.text(max_size=80))
def test_canonical_url_never_raises_and_is_idempotent(url: str) -> None:
    """Canonicalising twice gives the same URL as once, for any input text."""
    once = canonical_url(url)

    assert canonical_url(once) == once


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[A-Za-z0-9-]{1,10}(\.[A-Za-z]{2,5}){1,2}", fullmatch=True),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.from_regex(r"(/[a-z0-9%]{0,6}){0,3}", fullmatch=True),
    st.lists(st.sampled_from(["a=1", "utm_x=2", "fbclid=3", "b=", "c"]), max_size=4),
    st.sampled_from(["", "#top"]),
)
def test_canonical_url_is_idempotent_for_web_urls(
    scheme: str, host: str, port: str, path: str, query: list[str], fragment: str
) -> None:
    """Structured web URLs: canonical form is stable and keeps every non-tracking parameter."""
    url = f"{scheme}://{host}{port}{path}" + ("?" + "&".join(query) if query else "") + fragment

    once = canonical_url(url)

    assert canonical_url(once) == once
    assert once.startswith(("http://", "https://"))
    assert "#" not in once
    kept = [piece for piece in query if not piece.startswith(("utm_", "fbclid"))]
    assert once.partition("?")[2] == "&".join(kept)


def test_a_body_that_names_a_local_file_is_not_read_from_disk(tmp_path: Path) -> None:
    """feedparser opens bytes that name a file; parse_feed never lets it."""
    local = tmp_path / "local-feed.xml"
    local.write_bytes(RSS)

    with pytest.raises(FetchError, match="is not a feed"):
        parse_feed(str(local).encode(), url="https://example.com/f")


FIRST_SIGHT = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "stated",
    [
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        FIRST_SIGHT + MAX_FUTURE_SKEW + timedelta(seconds=1),
        FIRST_SIGHT - MAX_AGE_AT_FIRST_SIGHT - timedelta(seconds=1),
    ],
)
def test_an_implausible_publication_date_is_replaced_by_the_first_sight(stated: datetime) -> None:
    """Dates beyond a day ahead of first sight or ten years before it give way to the
    first sight, and the stated date comes back beside it."""
    assert checked_published_at(stated, FIRST_SIGHT) == (FIRST_SIGHT, stated)


@pytest.mark.parametrize(
    "stated",
    [
        None,
        FIRST_SIGHT,
        FIRST_SIGHT + MAX_FUTURE_SKEW,
        FIRST_SIGHT - timedelta(days=400),
        FIRST_SIGHT - MAX_AGE_AT_FIRST_SIGHT,
    ],
)
def test_a_plausible_publication_date_is_used_as_stated(stated: datetime | None) -> None:
    """A missing date, or one within the bounds (clock skew of a day, a relisted old
    story), is used as given, with nothing replaced."""
    assert checked_published_at(stated, FIRST_SIGHT) == (stated, None)


# -- a poll whose entries have no usable link --------------------------------------------

TRUNCATED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>One</title><description>first</description></item>
<item><title>Two</title><description>second</description></item>
<item><title>Three</title><lin"""

LINKS_NOT_WEB = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>One</title><link>mailto:desk@news.example</link></item>
<item><title>Two</title><link>javascript:void(0)</link></item>
<item><title>Three</title><guid isPermaLink="false">three</guid></item>
</channel></rss>"""


def _poll_once(tmp_path: Path, feed_url: str) -> tuple[FeedState, CycleReport, int]:
    """One poll of one feed through the pipeline: the feed's state, the report, and how
    many articles were queued."""
    settings = make_settings(tmp_path, rules_dir=make_rules_dir(tmp_path, {"wire": feed_url}))
    database = Database.open(settings.resolved_database_url)
    report = CycleReport()
    try:
        with (
            Fetcher(settings) as fetcher,
            Pipeline(settings, database, fetcher, load_rule_set(settings.rules_dir)) as pipeline,
        ):
            database.sync_feeds(pipeline.rule_set.rules.feeds, default_interval_min=15)
            pipeline.poll_due_feeds(report)
        [feed] = database.feeds()
        return feed, report, database.article_count()
    finally:
        database.close()


@pytest.mark.parametrize("body", [TRUNCATED, LINKS_NOT_WEB], ids=["truncated", "not-web-links"])
def test_a_feed_whose_entries_have_no_usable_link_is_recorded_as_failing(
    body: bytes, tmp_path: Path, loopback: LoopbackServer
) -> None:
    """A document that parses into entries none of which links to a web page is a failed
    poll with the reason ("3 entries, none with a link"), not a healthy empty feed."""
    url = loopback.route("/feed.xml", Route(body=body, content_type="application/rss+xml"))
    feed, report, articles = _poll_once(tmp_path, url)
    assert feed.last_error is not None
    assert "3 entries, none with a link" in feed.last_error
    assert "rules/feeds.yaml" in feed.last_error
    assert feed.consecutive_errors == 1 and feed.last_status is None
    assert report.feed_errors == [("wire", feed.last_error)]
    # Not a successful poll: the feed is still new, its backlog still ahead.
    assert articles == 0 and feed.first_polled_at is None


def test_a_feed_with_some_linkless_entries_is_healthy_and_queues_the_linked_ones(
    tmp_path: Path, loopback: LoopbackServer
) -> None:
    """One entry without a link among linked ones is the feed's quirk, not its failure."""
    url = loopback.route("/feed.xml", Route(body=RSS, content_type="application/rss+xml"))
    feed, report, articles = _poll_once(tmp_path, url)
    assert feed.last_error is None and report.feed_errors == []
    assert feed.last_status == 200 and feed.entry_count == 3
    assert articles == 2
