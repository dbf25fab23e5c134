"""`monitor explain`: a dry run of the analysis on one article, for editors tuning rules.

Reads a URL or file exactly as `monitor ingest` would, runs the pure stages,
and renders what they found. Writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.config import Settings
from monitor.fetch import Fetcher
from monitor.match import MatchResult, explain, match_document
from monitor.model import Document
from monitor.pipeline import read_target
from monitor.rules import load_rules
from monitor.views import iso, match_json


@dataclass(frozen=True, slots=True)
class Explanation:
    """The article as read, and what the stages found in it."""

    document: Document
    match: MatchResult

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.document.url,
            "title": self.document.title,
            "source": self.document.source,
            "published": iso(self.document.published_at),
            "text": self.document.text,
            **match_json(self.match),
        }

    def as_lines(self, *, width: int = 100) -> list[str]:
        published = iso(self.document.published_at) or "unknown (relative dates not resolved)"
        header = [
            f"article:   {self.document.title or '(no title)'}",
            f"url:       {self.document.url}",
            f"source:    {self.document.source}",
            f"published: {published}",
            "",
            "entities:  " + (", ".join(sorted({h.entity_id for h in self.match.hits})) or "none"),
            "",
        ]
        return header + explain(self.match, width=width)


def explain_target(
    settings: Settings,
    target: str,
    *,
    published_at: datetime | None = None,
    source_label: str | None = None,
) -> Explanation:
    """Read one article (URL or file) and run the analysis on it, storing nothing."""
    rules = load_rules(settings.rules_dir)
    with Fetcher(settings) as fetcher:
        url, page = read_target(settings, fetcher, target)
    document = Document(
        url=url,
        title=page.title,
        text=page.text,
        source=source_label or page.site_name or url,
        published_at=published_at or page.published_at,
    )
    return Explanation(document, match_document(document, rules))
