"""Extraction edge: an HTML page (bytes) in, an ExtractedPage out, via trafilatura.

Also reads the plain-text articles editors hand to `monitor ingest` and
`monitor seed`: the first line is the headline, the rest the body.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from monitor.errors import ExtractionError
from monitor.model import ExtractedPage

log = logging.getLogger(__name__)

HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
# Below this, trafilatura has found a cookie banner or a headline, not an article.
MIN_TEXT_CHARS = 80


def is_html_content_type(content_type: str) -> bool:
    """True for HTML media types and for a missing type (many servers omit it)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "" or media_type in HTML_CONTENT_TYPES


def _parse_page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def extract_html(html: bytes | str, *, url: str) -> ExtractedPage:
    """Main text and metadata of an HTML page; ExtractionError when there is no article text."""
    import trafilatura  # only pages need it, not `monitor explain file.txt` (a third of a second)

    try:
        found = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
        )
    except Exception as exc:  # trafilatura raises assorted lxml and parser errors
        raise ExtractionError(f"extract: {url}: trafilatura failed: {exc}") from exc
    fields: dict[str, object] = {}
    if found is not None:
        fields = found if isinstance(found, dict) else found.as_dict()
    text = _text_field(fields, "text")
    if not text:
        raise ExtractionError(f"extract: {url}: no article text found in the page")
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(
            f"extract: {url}: only {len(text)} characters of text found; not an article"
        )
    page_url = _text_field(fields, "url")
    return ExtractedPage(
        text=text,
        title=_text_field(fields, "title"),
        author=_text_field(fields, "author") or None,
        published_at=_parse_page_date(_text_field(fields, "date")),
        site_name=_text_field(fields, "sitename") or None,
        canonical_url=page_url if page_url and page_url != url else None,
    )


def _text_field(fields: dict[str, object], key: str) -> str:
    value = fields.get(key)
    return value.strip() if isinstance(value, str) else ""


def read_plain_text(content: str) -> ExtractedPage:
    """A plain-text article: first non-empty line is the headline, the rest the body."""
    lines = content.strip().splitlines()
    if not lines:
        raise ExtractionError("extract: the text file is empty")
    title = lines[0].strip()
    body = "\n".join(lines[1:]).strip()
    return ExtractedPage(
        text=(f"{title}\n{body}" if body else title),
        title=title,
        author=None,
        published_at=None,
        site_name=None,
        canonical_url=None,
    )
