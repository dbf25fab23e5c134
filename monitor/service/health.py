"""A tiny HTTP server for orchestrators: GET /healthz and GET /metrics.

Input: callables that answer "is the database reachable?", "is the scheduler
alive?", "when did the last cycle succeed?" and "what is failing in daily
operation?" (feeds, delivery, rules: `monitor.service.vitals`), plus a
prometheus registry. Output: `/healthz` as JSON with 200 (healthy or
degraded) or 503, `/metrics` in the Prometheus text format, 404 for anything
else. HEAD answers every path like GET, without the body.

The server is the standard library's ThreadingHTTPServer in a daemon thread,
so a hung probe never keeps the process alive. Health is judged per request:

    error  database unreachable or scheduler dead                 -> 503
    stale  last successful cycle older than stale_after_s, or no  -> 503
           cycle yet and the server started stale_after_s ago
    degraded  running, but feeds, delivery or a rules reload fail -> 200
           (the process is alive: restarting it would not help)
    ok     everything else (including "started recently, no cycle yet") -> 200

`reasons` in the body says, one line each, why the status is not ok.

For Kubernetes, two narrower answers (same JSON shapes):

    /livez   200 while the scheduler runs, whatever the database: a database outage
             must not restart the pod (a restart would not bring PostgreSQL back)
    /readyz  200 when /healthz would be (database answers, last cycle fresh), else 503
"""

from __future__ import annotations

import errno
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from monitor.errors import ConfigError

log = logging.getLogger(__name__)

Status = Literal["ok", "degraded", "stale", "error"]

# A request body larger than this is refused unread (413): callers are outlets' hubs
# and Slack, whose bodies are a feed document or an interaction payload.
MAX_REQUEST_BODY = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Request:
    """A request for an extra route: `path` without the query, `query` as sent."""

    method: str
    path: str
    query: str
    headers: Message
    body: bytes


@dataclass(frozen=True, slots=True)
class Response:
    """What an extra route answers."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


# Extra routes by path prefix (WebSub callbacks, Slack interactivity): each handler gets
# every GET, HEAD and POST under its prefix and must never raise for bad input.
RouteHandler = Callable[[Request], Response]


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The body of /healthz."""

    status: Status
    database: bool
    scheduler: bool
    last_cycle_age_s: float | None
    reasons: tuple[str, ...] = ()

    @property
    def is_healthy(self) -> bool:
        """Alive enough for liveness: a degraded daemon still answers 200."""
        return self.status in ("ok", "degraded")

    def to_json(self) -> bytes:
        payload = {
            "status": self.status,
            "database": self.database,
            "scheduler": self.scheduler,
            "last_cycle_age_s": self.last_cycle_age_s,
            "reasons": list(self.reasons),
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
    problems: Sequence[str] = (),
) -> HealthReport:
    """Combine the checks into one report (pure: `now` comes in); `problems` are what
    fails in daily operation (they make an otherwise healthy daemon degraded)."""
    age_s = (now - last_success_at).total_seconds() if last_success_at is not None else None
    if age_s is not None:
        is_fresh = age_s <= stale_after_s
    else:
        is_fresh = (now - started_at).total_seconds() < stale_after_s
    reasons = [
        *(["the database does not answer"] if not database else []),
        *(["the scheduler is not running"] if not scheduler else []),
        *([] if is_fresh else [_stale_reason(age_s, stale_after_s)]),
        *problems,
    ]
    status: Status
    if not (database and scheduler):
        status = "error"
    elif not is_fresh:
        status = "stale"
    else:
        status = "degraded" if problems else "ok"
    return HealthReport(status, database, scheduler, age_s, tuple(reasons))


def _stale_reason(age_s: float | None, stale_after_s: float) -> str:
    if age_s is None:
        return f"no cycle has succeeded since start (MONITOR_STALE_AFTER_S is {stale_after_s:g})"
    return (
        f"the last successful cycle was {age_s:.0f} s ago "
        f"(more than MONITOR_STALE_AFTER_S, {stale_after_s:g})"
    )


def _problems(assess: Callable[[], Sequence[str]]) -> tuple[str, ...]:
    """What fails in daily operation; none when the assessment itself fails (the database
    check reports an unreachable database)."""
    try:
        return tuple(assess())
    except Exception:
        log.exception("health assessment raised")
        return ()


def _no_problems() -> Sequence[str]:
    return ()


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
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # stdlib naming
        """The same status and headers as GET, no body (curl -I, some load balancers)."""
        self._answer(with_body=False)

    def do_POST(self) -> None:  # stdlib naming
        """Only extra routes take POST; the probes are read-only."""
        handler = self.server.owner.route_for(urlsplit(self.path).path)
        if handler is None:
            body = b"POST is only for WebSub callbacks and Slack interactivity\n"
            self._send(405, "text/plain; charset=utf-8", body, with_body=True)
            return
        self._route(handler, with_body=True)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is larger than MAX_REQUEST_BODY."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or length > MAX_REQUEST_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _route(self, handler: RouteHandler, *, with_body: bool) -> None:
        body = self._read_body() if self.command == "POST" else b""
        if body is None:
            self._send(413, "text/plain; charset=utf-8", b"body too large\n", with_body=True)
            return
        parts = urlsplit(self.path)
        request = Request(self.command, parts.path, parts.query, self.headers, body)
        try:
            response = handler(request)
        except Exception:
            log.exception("route handler raised", extra={"path": parts.path})
            response = Response(500, b"internal error\n")
        self._send(response.status, response.content_type, response.body, with_body=with_body)

    def _answer(self, *, with_body: bool) -> None:
        path = urlsplit(self.path).path
        owner = self.server.owner
        handler = owner.route_for(path)
        if handler is not None:
            self._route(handler, with_body=with_body)
        elif path == "/healthz":
            report = owner.check()
            status = 200 if report.is_healthy else 503
            self._send(status, "application/json", report.to_json(), with_body=with_body)
        elif path == "/livez":
            alive = _safely(owner.scheduler_alive, "scheduler")
            answer = json.dumps({"status": "ok" if alive else "error", "scheduler": alive})
            code = 200 if alive else 503
            self._send(code, "application/json", answer.encode(), with_body=with_body)
        elif path == "/readyz":
            report = owner.check()
            status = 200 if report.is_healthy else 503
            self._send(status, "application/json", report.to_json(), with_body=with_body)
        elif path == "/metrics":
            _problems(owner.assess_operations)  # refreshes the backlog gauges
            body = generate_latest(owner.registry)
            self._send(200, CONTENT_TYPE_LATEST, body, with_body=with_body)
        else:
            body = b"not found: try /healthz, /livez, /readyz or /metrics\n"
            self._send(404, "text/plain; charset=utf-8", body, with_body=with_body)

    def _send(self, status: int, content_type: str, body: bytes, *, with_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
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
        assess_operations: Callable[[], Sequence[str]] = _no_problems,
        routes: Mapping[str, RouteHandler] | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.check_database = check_database
        self.scheduler_alive = scheduler_alive
        self.last_success_at = last_success_at
        self.stale_after_s = stale_after_s
        self.registry = registry
        self.clock = clock
        # What fails in daily operation (feeds, delivery, rules); also refreshes the gauges.
        self.assess_operations = assess_operations
        self.started_at = clock()
        # Path prefix -> handler; the longest matching prefix wins.
        self.routes: dict[str, RouteHandler] = dict(routes or {})
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound (the requested one until start())."""
        if self._server is None:
            return self.requested_port
        return int(self._server.server_address[1])

    def route_for(self, path: str) -> RouteHandler | None:
        """The extra route serving `path`, if any (longest prefix first)."""
        for prefix in sorted(self.routes, key=len, reverse=True):
            if path.startswith(prefix):
                return self.routes[prefix]
        return None

    def check(self) -> HealthReport:
        """Run every check now."""
        return judge_health(
            database=_safely(self.check_database, "database"),
            scheduler=_safely(self.scheduler_alive, "scheduler"),
            last_success_at=self.last_success_at(),
            started_at=self.started_at,
            now=self.clock(),
            stale_after_s=self.stale_after_s,
            problems=_problems(self.assess_operations),
        )

    def start(self) -> None:
        """Bind and serve in a daemon thread; ConfigError (with the fix) if the port is
        taken or the address cannot be bound."""
        if self._server is not None:
            return
        try:
            self._server = _Server((self.host, self.requested_port), self)
        except OSError as exc:
            raise ConfigError(_bind_problem(self.host, self.requested_port, exc)) from exc
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


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    """One line: why the health endpoint could not listen, and what to change."""
    where = f"{host}:{port}"
    off = "or MONITOR_HEALTH_PORT=0 to turn the endpoint off"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"the health port {port} is already in use ({where}); stop the program holding "
            f"it, or set MONITOR_HEALTH_PORT to a free port ({off})"
        )
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on {where} (ports below 1024 need privileges); set "
            f"MONITOR_HEALTH_PORT to 1024 or above ({off})"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {where}: {host} is not an address of this machine; set "
            "MONITOR_HEALTH_HOST to one of its addresses, or 0.0.0.0 for all"
        )
    return f"cannot listen on {where} ({exc.strerror or exc}); check MONITOR_HEALTH_HOST/PORT"
