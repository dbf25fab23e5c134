"""What every stage of a cycle shares: settings, edges, clock, stop event and lease owner.

The feed poller, the article fetcher, the analyser and the re-checker each take one
CycleContext rather than the whole Pipeline, so a stage reaches only what stages share.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from monitor.config import Settings
from monitor.pipeline.report import Progress
from monitor.store import Database

if TYPE_CHECKING:  # types only: `monitor explain` reaches this module and needs none of them
    from monitor.ingest.extractor_pool import ExtractorPool
    from monitor.ingest.fetch import Fetcher
    from monitor.metrics import Metrics

# One logger for the whole cycle, whichever module of it logs: log filters, and the
# `logger` field of JSON logs, keep naming the cycle as they did before it was split.
log = logging.getLogger("monitor.pipeline.cycle")

Clock = Callable[[], datetime]

Work = TypeVar("Work", covariant=True)


class Claim(Protocol[Work]):
    """A database query that leases up to `limit` units of due work to `owner`."""

    def __call__(
        self, owner: str, now: datetime, *, lease_s: float, limit: int
    ) -> Sequence[Work]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CycleContext:
    """The pipeline's shared parts, handed to each stage of a cycle."""

    settings: Settings
    database: Database
    fetcher: Fetcher
    extractors: ExtractorPool
    metrics: Metrics
    clock: Clock
    # Set by the daemon on SIGTERM: finish the feed or page in hand, start no new one.
    stop: threading.Event
    # Who holds this process's leases; unique even across restarts of one pid.
    owner: str
    progress: Progress

    def leased_batches(self, claim: Claim[Work], *, limit: int) -> Iterator[Sequence[Work]]:
        """Batches of work leased to us by `claim`, until none is left for us or we stop.

        The next batch is claimed only when the caller is done with the last one, so
        each lease is taken just before its work and other replicas share the rest.
        """
        while not self.stop.is_set():
            batch = claim(self.owner, self.clock(), lease_s=self.settings.lease_ttl_s, limit=limit)
            if not batch:
                return
            yield batch
