"""The lease heartbeat: this process keeps the feeds, articles and jobs it has claimed."""

from __future__ import annotations

import threading

from monitor.pipeline.context import Clock, log
from monitor.store import Database


class LeaseKeeper:
    """A heartbeat thread renewing this process's leases every third of their lifetime.

    While the process lives, its feeds, articles and jobs stay its own however
    slow a fetch is; once it dies, its leases expire within MONITOR_LEASE_TTL_S
    and another replica takes the work over.
    """

    def __init__(self, database: Database, owner: str, lease_s: float, clock: Clock) -> None:
        self.database, self.owner, self.lease_s, self.clock = database, owner, lease_s, clock
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.lease_s / 3):
            try:
                self.database.renew_leases(self.owner, self.clock(), lease_s=self.lease_s)
            except Exception:  # database down: leases may lapse; work is re-leased later
                log.warning("lease renewal failed", exc_info=True)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
