"""One article handed in by an editor, read now: a URL fetched and extracted, or a .txt or
.html file, exactly as `monitor ingest` stores it and `monitor explain` shows it.

Apart from cycle.py so that `monitor explain` imports none of a cycle's parts (delivery,
Slack, the extractor pool). Each reader imports only what it needs when it runs: a .txt
file needs no HTML extraction (trafilatura), and only a URL needs the fetcher (httpx, its
TLS set-up) and URL canonicalisation (feed parsing); together they are a third of a
short command's start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import ConfigError, ExtractionError
from monitor.ingest.extract import extract_html, is_html_content_type, read_plain_text
from monitor.model import ExtractedPage

if TYPE_CHECKING:
    from monitor.config import Settings
    from monitor.ingest.fetch import Fetcher


def read_target(
    settings: Settings, target: str, *, fetcher: Fetcher | None = None
) -> tuple[str, ExtractedPage]:
    """A URL (fetched and extracted) or a .txt/.html file, as `ingest` and `explain` read it.

    A URL is fetched with `fetcher`, or without one with a fetcher of its own, closed after.
    """
    if target.startswith(("http://", "https://")):
        from monitor.ingest.feeds import canonical_url

        url = canonical_url(target)
        if fetcher is not None:
            return url, fetch_page(fetcher, url, max_bytes=settings.max_page_bytes)
        from monitor.ingest.fetch import Fetcher

        with Fetcher(settings) as own_fetcher:
            return url, fetch_page(own_fetcher, url, max_bytes=settings.max_page_bytes)
    path = Path(target)
    if not path.exists():
        raise ConfigError(f"{target}: no such file, and not an http(s) URL")
    return path.resolve().as_uri(), read_article_file(path)


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


def fetch_page(fetcher: Fetcher, url: str, *, max_bytes: int) -> ExtractedPage:
    """Fetch and extract one page now; FetchError or ExtractionError when it fails."""
    result = fetcher.fetch(url, max_bytes=max_bytes)
    if not is_html_content_type(result.content_type):
        raise ExtractionError(f"extract: {url}: not an HTML page ({result.content_type})")
    return extract_html(result.body, url=result.final_url)
