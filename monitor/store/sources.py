"""Whom an article's claims are attributed to (shared by the ORM queries and snapshot.py,
so it imports nothing heavy)."""

from __future__ import annotations

import re


def source_name(source_label: str | None, outlet: str | None, url: str) -> str:
    """The name an article's claims are attributed to: its feed's name (or `source:`), or
    the label given at ingest or seed; else the outlet's own name, else the host."""
    if source_label:
        return source_label
    if outlet:
        return outlet
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0]
    return host or "unknown"
