"""A tiny HTTP server for orchestrators: GET /healthz and GET /metrics.

Input: callables that answer "is the database reachable?", "is the scheduler
alive?" and "when did the last cycle succeed?", plus a prometheus registry.
Output: `/healthz` as JSON with 200 (healthy) or 503, `/metrics` in the
Prometheus text format, 404 for anything else.

The server is the standard library's ThreadingHTTPServer in a daemon thread,
so a hung probe never keeps the process alive. Health is judged per request:

    error  database unreachable or scheduler dead                 -> 503
    stale  last successful cycle older than stale_after_s, or no  -> 503
           cycle yet and the server started stale_after_s ago
    ok     everything else (including "started recently, no cycle yet") -> 200
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

Status = Literal["ok", "stale", "error"]


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The body of /healthz."""

    status: Status
    database: bool
    scheduler: bool
    last_cycle_age_s: float | None

    @property
    def is_healthy(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> bytes:
        payload = {
            "status": self.status,
            "database": self.database,
            "scheduler": self.scheduler,
            "last_cycle_age_s": self.last_cycle_age_s,
        }
        return json.dumps(payload).encode()


def judge_health(
    *,
    database: bool,
    scheduler: bool,
    last_success_at: datetime | None,
    started_at: datetime,
    now: datetime,
    stale_after_s: float,
) -> HealthReport:
    """Combine the checks into one report (pure: `now` comes in)."""
    age_s = (now - last_success_at).total_seconds() if last_success_at is not None else None
    if age_s is not None:
        is_fresh = age_s <= stale_after_s
    else:
        is_fresh = (now - started_at).total_seconds() < stale_after_s
    status: Status = "error" if not (database and scheduler) else "ok" if is_fresh else "stale"
    return HealthReport(status, database, scheduler, age_s)


def _safely(check: Callable[[], bool], name: str) -> bool:
    """Run a check; an exception counts as failure (and is logged), never as a 500."""
    try:
        return bool(check())
    except Exception:
        log.exception("health check raised", extra={"check": name})
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: HealthServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # a client that never sends its request cannot hold a thread forever

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        """Probes arrive every few seconds; don't log each one."""

    def do_GET(self) -> None:  # stdlib naming
        path = urlsplit(self.path).path
        if path == "/healthz":
            report = self.server.owner.check()
            self._send(200 if report.is_healthy else 503, "application/json", report.to_json())
        elif path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, generate_latest(self.server.owner.registry))
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class HealthServer:
    """Serves /healthz and /metrics on host:port (port 0: a free port, see `.port`)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        check_database: Callable[[], bool],
        scheduler_alive: Callable[[], bool],
        last_success_at: Callable[[], datetime | None],
        stale_after_s: float,
        registry: CollectorRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self.host = host
        self.requested_port = port
        self.check_database = check_database
        self.scheduler_alive = scheduler_alive
        self.last_success_at = last_success_at
        self.stale_after_s = stale_after_s
        self.registry = registry
        self.clock = clock
        self.started_at = clock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (the requested one until start())."""
        if self._server is None:
            return self.requested_port
        return int(self._server.server_address[1])

    def check(self) -> HealthReport:
        """Run every check now."""
        return judge_health(
            database=_safely(self.check_database, "database"),
            scheduler=_safely(self.scheduler_alive, "scheduler"),
            last_success_at=self.last_success_at(),
            started_at=self.started_at,
            now=self.clock(),
            stale_after_s=self.stale_after_s,
        )

    def start(self) -> None:
        """Bind and serve in a daemon thread; OSError if the port is taken."""
        if self._server is not None:
            return
        self._server = _Server((self.host, self.requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="health",
            daemon=True,
        )
        self._thread.start()
        log.info("health server started", extra={"host": self.host, "port": self.port})

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> HealthServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
