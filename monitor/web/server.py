"""The desk served by uvicorn in a thread of the daemon (MONITOR_WEB_PORT), beside the
health server: the socket is bound before the thread starts, so a taken port stops the
daemon's start with a clear error instead of a page that never answers."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from monitor.analysis.engine import RuleSet
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.store import Database
from monitor.web.access import Login
from monitor.web.app import create_app
from monitor.web.desk import Desk

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
# Slow or many clients cannot take the daemon's memory: a bounded number of connections.
MAX_CONNECTIONS = 32


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: any free port); ConfigError with the fix when
    the address is taken or not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise ConfigError(
            f"MONITOR_WEB_HOST={host} MONITOR_WEB_PORT={port}: cannot listen there "
            f"({exc.strerror or exc}); pick a free port, or another address of this machine"
        ) from exc


class WebServer:
    """uvicorn serving the desk on its own thread and event loop."""

    def __init__(self, desk: Desk, *, settings: Settings) -> None:
        app = create_app(desk, login=Login.of(settings), zone=settings.zone)
        config = uvicorn.Config(
            app,
            log_config=None,  # the daemon's logging, not uvicorn's
            access_log=False,
            lifespan="off",
            limit_concurrency=MAX_CONNECTIONS,
            timeout_graceful_shutdown=2,
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._host, self._port = settings.web_host, settings.web_port or 0
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose for MONITOR_WEB_PORT=0)."""
        if self._socket is None:
            return self._port
        return int(self._socket.getsockname()[1])

    def start(self) -> None:
        """Bind, then serve on a daemon thread; returns once uvicorn answers."""
        self._socket = bind(self._host, self._port)
        sockets = [self._socket]
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=sockets)),
            name="web",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                raise ConfigError("the desk's web server did not start; see the log above")
            time.sleep(0.02)
        if not self._server.started:
            raise ConfigError("the desk's web server stopped at its start; see the log above")
        log.info("desk serving", extra={"host": self._host, "port": self.port})

    def stop(self) -> None:
        """Let open requests finish (briefly), then close the socket."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
        if self._socket is not None:
            self._socket.close()


def web_server(
    settings: Settings, database: Database, rule_set: Callable[[], RuleSet]
) -> WebServer | None:
    """The desk on MONITOR_WEB_HOST:MONITOR_WEB_PORT; None when MONITOR_WEB_PORT is unset."""
    if settings.web_port is None:
        return None
    desk = Desk(
        database,
        rule_set,
        analysis_budget_s=settings.analysis_budget_s,
        max_analysed_chars=settings.max_analysed_chars,
    )
    return WebServer(desk, settings=settings)
