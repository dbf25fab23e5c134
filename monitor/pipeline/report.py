"""What a cycle tells its caller: the CycleReport, and where long work reports progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    """Where long work reports how far it got (a progress bar, or nothing)."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass
class CycleReport:
    """What one cycle did; the CLI prints its failures, the daemon logs it."""

    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feed_errors: list[tuple[str, str]] = field(default_factory=list)
    articles_queued: int = 0
    articles_extracted: int = 0
    articles_revised: int = 0
    duplicates: int = 0
    article_errors: list[tuple[str, str]] = field(default_factory=list)
    # Pages that failed for a passing reason and wait for a retry (MONITOR_PAGE_RETRY_SCHEDULE).
    article_retries: list[tuple[str, str]] = field(default_factory=list)
    elapsed_s: float = 0.0
    # `monitor once` only (its delivery pass): alerts raised by the cycle, sent to Slack,
    # failed for good in the pass, and left waiting in the outbox after it.
    alerts_raised: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0
    alerts_waiting: int = 0
