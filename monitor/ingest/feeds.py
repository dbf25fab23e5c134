"""Feed documents: RSS/Atom bytes in, a `ParsedFeed` out; plus article URL canonicalisation.

Pure: no HTTP, no clock. feedparser does the parsing; this module turns its
untyped dicts into `model.FeedItem` values (plain-text title and summary,
absolute URL, UTC-aware `published_at`).

Documents that declare internal XML entities (`<!ENTITY` in the DOCTYPE) are
refused before feedparser sees them: feedparser keeps entity declarations
whose values are plain text, so a "quadratic blowup" document (one large
entity referenced thousands of times) would be expanded by expat in memory.
Real feeds do not declare entities.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser

from monitor.errors import FetchError
from monitor.model import FeedItem, ParsedFeed

DROPPED_QUERY_KEYS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_eid"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# sy:updatePeriod (RSS 1.0 Syndication module) in seconds; a refresh hint is bounded.
SY_PERIODS_S = {
    "hourly": 3600.0,
    "daily": 86_400.0,
    "weekly": 7 * 86_400.0,
    "monthly": 30 * 86_400.0,
    "yearly": 365 * 86_400.0,
}
MAX_REFRESH_S = 365 * 86_400.0


_ENTITY_DECLARATION = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
_ELEMENT_START = re.compile(r"<[A-Za-z_:]")
_WHITESPACE = re.compile(r"\s+")
# Every encoding feedparser detects from the bytes alone: ASCII-compatible
# ones (latin-1 stands in for UTF-8, Windows-125x, ...), UTF-16/32 with or
# without BOM, and EBCDIC. The guard looks at the prolog in each.
_GUARD_ENCODINGS = ("latin-1", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS or Atom document fetched from `url`; FetchError if it is not a feed."""
    if _declares_entities(body):
        raise FetchError(
            f"feed: {url} is refused: it declares XML entities (<!ENTITY ...> in its DOCTYPE), "
            "which can expand to gigabytes; ask the publisher for a plain RSS/Atom feed"
        )
    headers: dict[str, str] = {}
    if content_type:
        headers["content-type"] = content_type
    # A BytesIO, never the bytes: feedparser treats a str/bytes that names a file or URL as one.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    entries: list[Any] = list(parsed.get("entries") or [])
    feed: Mapping[str, Any] = parsed.get("feed") or {}
    title = _plain_text(feed.get("title"))
    if not entries and (not parsed.get("version") or (parsed.get("bozo") and not title)):
        reason = parsed.get("bozo_exception")
        detail = f"{reason}" if reason else "no RSS or Atom elements found"
        raise FetchError(
            f"feed: {url} is not a feed ({detail}); check the feed URL in rules/feeds.yaml"
        )
    return ParsedFeed(
        title=title,
        items=tuple(_item(entry, url) for entry in entries),
        refresh_s=document_refresh_s(
            feed.get("ttl"), feed.get("sy_updateperiod"), feed.get("sy_updatefrequency")
        ),
    )


def document_refresh_s(ttl: object, period: object, frequency: object) -> float | None:
    """The wait between polls a feed document asks for, in seconds: RSS <ttl> (minutes),
    else sy:updatePeriod divided by sy:updateFrequency (default 1); None when it says
    nothing readable. Bounded at a year: the schedule caps it further."""
    minutes = _count(ttl)
    if minutes:
        return min(minutes * 60.0, MAX_REFRESH_S)
    period_s = SY_PERIODS_S.get(period.strip().lower()) if isinstance(period, str) else None
    if period_s is None:
        return None
    return period_s / max(_count(frequency) or 1, 1)


def _count(value: object) -> int | None:
    """A small whole number written as text (at most 9 digits), else None."""
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _declares_entities(body: bytes) -> bool:
    """Whether the prolog (before the root element) declares entities, in any encoding."""
    for encoding in _GUARD_ENCODINGS:
        text = body.decode(encoding, errors="replace")
        root = _ELEMENT_START.search(text)
        if _ENTITY_DECLARATION.search(text, 0, root.start() if root else len(text)):
            return True
    return False


def _item(entry: Mapping[str, Any], feed_url: str) -> FeedItem:
    link = _text(entry.get("link"))
    url = urljoin(feed_url, link) if link else ""
    title = _plain_text(entry.get("title"))
    guid = _text(entry.get("id")) or url
    if not guid:
        guid = "sha256:" + hashlib.sha256(f"{title}\n{link}".encode()).hexdigest()[:32]
    return FeedItem(
        guid=guid,
        url=url,
        title=title,
        published_at=_published_at(entry),
        summary=_plain_text(entry.get("summary")),
    )


def _published_at(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        # dict.get: FeedParserDict.get maps a missing published_parsed to updated_parsed
        # with a DeprecationWarning; the fallback is done here explicitly instead.
        value = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
        if value is None:
            continue
        try:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
    return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _plain_text(value: object) -> str:
    """Text without markup, entities decoded and whitespace collapsed."""
    text = _text(value)
    if not text:
        return ""
    if "<" in text:
        collector = _TextCollector()
        collector.feed(text)
        collector.close()
        text = "".join(collector.parts)
    else:
        text = unescape(text)
    return _WHITESPACE.sub(" ", text).strip()


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters or default port; scheme and host lowercase."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = _canonical_netloc(scheme, parts.netloc)
    path = parts.path or ("/" if scheme in DEFAULT_PORTS and netloc else "")
    query = "&".join(piece for piece in parts.query.split("&") if piece and not _is_tracking(piece))
    # Strip again: dropping the fragment can expose trailing spaces ("0 #x").
    return urlunsplit((scheme, netloc, path, query, "")).strip()


def _canonical_netloc(scheme: str, netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end > 0:
            host, port = hostport[: end + 1], hostport[end + 1 :].removeprefix(":")
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower().rstrip(".") if host.endswith(".") and host != "." else host.lower()
    if port and port.isdigit() and int(port) == DEFAULT_PORTS.get(scheme):
        port = ""
    return f"{userinfo}{at}{host}" + (f":{port}" if port else "")


def _is_tracking(piece: str) -> bool:
    key = piece.split("=", 1)[0].lower()
    return key.startswith("utm_") or key in DROPPED_QUERY_KEYS
