"""Feeds and article pages for tests, written for these tests (no seed text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

_TOPICS = [
    ("Council weighs new bus lanes", "transit planners", "a pilot on three avenues"),
    ("River cleanup draws volunteers", "neighbourhood groups", "two tons of debris"),
    ("Library extends weekend hours", "the library board", "a grant from the state"),
    ("School board debates start times", "parents and teachers", "a survey of families"),
    ("Storm knocks out power to thousands", "the utility", "crews working overnight"),
]

BASE_TIME = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def article_html(n: int) -> bytes:
    """A plausible news page with a unique body, so extraction and dedup have real work."""
    headline, who, detail = _TOPICS[n % len(_TOPICS)]
    paragraphs = [
        f"{headline}: story number {n} in a series on local affairs.",
        f"Officials said on Tuesday that {who} had asked for {detail}, and that a decision "
        f"would follow within {n + 2} weeks after a public hearing.",
        f"Residents who spoke at the meeting were divided. One said the plan, item {n}, "
        "would help working families; another said the city had not explained the cost.",
        "The proposal goes to a vote next month. Reporters will follow the debate and "
        "publish the full minutes once the clerk releases them.",
    ]
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(headline)} ({n})</title>"
        "<meta property='og:site_name' content='Loopback Ledger'></head>"
        "<body><nav><a href='/'>Home</a> | <a href='/local'>Local</a></nav>"
        f"<article><h1>{escape(headline)} ({n})</h1>{body}</article>"
        "<footer>Copyright Loopback Ledger</footer></body></html>"
    ).encode()


def rss_feed(base_url: str, count: int, *, path: str = "/articles/{n}.html") -> bytes:
    """An RSS 2.0 document with `count` items linking to pages under base_url."""
    items = []
    for n in range(count):
        link = base_url + path.format(n=n)
        when = format_datetime(BASE_TIME - timedelta(minutes=n))
        items.append(
            f"<item><title>Story {n}</title><link>{escape(link)}</link>"
            f"<guid>urn:test:{n}</guid><pubDate>{when}</pubDate>"
            f"<description>Summary {n}</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        "<title>Loopback Ledger</title><link>http://example.invalid/</link>"
        f"<description>Test feed</description>{''.join(items)}</channel></rss>"
    ).encode()
