"""Receiving the alert buttons' clicks: over Socket Mode (SLACK_APP_TOKEN) and over a
signed HTTP endpoint on the health server (MONITOR_SLACK_SIGNING_SECRET).

Socket Mode uses slack_sdk's built-in client (`slack_sdk.socket_mode.builtin`), which
needs no other library and no public address: the daemon opens a WebSocket to Slack
(`apps.connections.open` with the app-level token), Slack sends each click as an
`interactive` envelope, and the daemon acknowledges the envelope once the click is
stored. The HTTP endpoint, `POST /slack/actions`, checks Slack's signature and the
request's age before reading anything, and answers 200 once the click is stored; the
thread reply is posted after the answer, so Slack's three seconds are never at risk.
Both hand the payload to `monitor.notify.desk.FeedbackDesk`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from monitor.config import Settings
from monitor.notify.desk import FeedbackDesk, StoredClick
from monitor.notify.slack import DEFAULT_BASE_URL, DEFAULT_TIMEOUT_S, Notifier
from monitor.notify.triage import TriagePayloadError, payload_from_form, signature_problem
from monitor.service.health import Request, Response, RouteHandler
from monitor.store import Database

log = logging.getLogger(__name__)

ACTIONS_PATH: Final = "/slack/actions"
RECONNECT_S: Final = 30.0
# Errors no retry fixes: the token itself is wrong.
_TOKEN_ERRORS: Final = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type"}
)
# slack_sdk logs every session change at INFO and payloads at DEBUG; keep its warnings.
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.setLevel(logging.WARNING)

Seconds = Callable[[], float]


class SocketModeReceiver:
    """Keeps a Socket Mode connection open and hands each interactive envelope to the desk."""

    def __init__(self, app_token: str, desk: FeedbackDesk, *, base_url: str | None = None) -> None:
        self.desk = desk
        url = base_url or DEFAULT_BASE_URL
        web_client = WebClient(
            base_url=url if url.endswith("/") else url + "/",
            timeout=DEFAULT_TIMEOUT_S,  # type: ignore[arg-type]  # urllib takes float seconds
            logger=_sdk_log,
        )
        self.client = SocketModeClient(app_token=app_token, web_client=web_client, logger=_sdk_log)
        self.client.socket_mode_request_listeners.append(self._on_request)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:  # never show the token
        return "SocketModeReceiver(app_token=<redacted>)"

    def start(self) -> None:
        """Connect in the background, retrying every RECONNECT_S while Slack is unreachable;
        a token Slack refuses is logged (with the fix) and not retried."""
        self._thread = threading.Thread(target=self._connect, name="socket-mode", daemon=True)
        self._thread.start()

    def is_connected(self) -> bool:
        return bool(self.client.is_connected())

    def stop(self) -> None:
        self._stop.set()
        # Before the socket closes, so neither its reader nor a connect in flight reconnects.
        self.client.default_auto_reconnect_enabled = self.client.auto_reconnect_enabled = False
        session = self.client.current_session
        if session is not None and session.sock is not None:
            # Wakes the reader blocked in recv(), which would otherwise sit out its timeout.
            with contextlib.suppress(OSError):
                session.sock.shutdown(socket.SHUT_RDWR)
        self.client.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _connect(self) -> None:
        while not self._stop.is_set():
            try:
                self.client.connect()
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "")
                if error in _TOKEN_ERRORS:
                    log.error(
                        f"Slack refused SLACK_APP_TOKEN ({error}); create an app-level token "
                        "with the connections:write scope and turn Socket Mode on; clicks "
                        "are not received until then"
                    )
                    return
                log.warning("Socket Mode connection failed; retrying", extra={"error": error})
            except (OSError, SlackClientError) as exc:
                log.warning("Socket Mode connection failed; retrying", extra={"error": str(exc)})
            else:
                log.info("Socket Mode connected: alert buttons are received")
                return
            self._stop.wait(RECONNECT_S)

    def _on_request(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        """Store the clicks, then acknowledge the envelope, then reply in the thread. A
        click that could not be stored is not acknowledged, so Slack shows the editor an
        error and the click can be made again."""
        stored: list[StoredClick] = []
        if request.type == "interactive":
            try:
                stored = self.desk.record(request.payload)
            except TriagePayloadError as exc:
                log.warning("Socket Mode payload ignored", extra={"error": str(exc)})
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        self.desk.acknowledge(stored)


def slack_actions_route(desk: FeedbackDesk, signing_secret: str, now_s: Seconds) -> RouteHandler:
    """The handler of POST /slack/actions: signature and age first, then the click."""

    def handle(request: Request) -> Response:
        if request.method != "POST":
            return Response(405, b"POST Slack's interaction payloads here\n")
        problem = signature_problem(
            secret=signing_secret,
            timestamp=request.headers.get("X-Slack-Request-Timestamp"),
            signature=request.headers.get("X-Slack-Signature"),
            body=request.body,
            now_s=now_s(),
        )
        if problem is not None:
            log.warning("Slack request refused", extra={"path": request.path, "error": problem})
            return Response(401, f"refused: {problem}\n".encode())
        try:
            stored = desk.record(payload_from_form(request.body))
        except TriagePayloadError as exc:
            return Response(400, f"{exc}\n".encode())
        if any(item.recorded.is_new for item in stored):
            # After the answer: Slack wants it within 3 s, chat.postMessage may take longer.
            threading.Thread(target=desk.acknowledge, args=(stored,), daemon=True).start()
        return Response(200)

    return handle


@dataclass
class Interactivity:
    """What receives the buttons in this daemon: extra health-server routes and the Socket
    Mode connection (each present only when its setting is)."""

    routes: Mapping[str, RouteHandler] = field(default_factory=dict)
    receiver: SocketModeReceiver | None = None

    def start(self) -> None:
        if self.receiver is not None:
            self.receiver.start()

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()


def interactivity_from_settings(
    settings: Settings, database: Database, notifier: Notifier | None, now_s: Seconds
) -> Interactivity:
    """The receivers the settings ask for: Socket Mode with SLACK_APP_TOKEN, the signed
    endpoint with MONITOR_SLACK_SIGNING_SECRET (served on the health port)."""
    desk = FeedbackDesk(database, notifier)
    interactivity = Interactivity()
    secret = settings.slack_signing_secret.strip()
    if secret:
        if settings.health_port == 0:
            log.warning(
                "MONITOR_SLACK_SIGNING_SECRET is set but MONITOR_HEALTH_PORT is 0: "
                f"{ACTIONS_PATH} is not served; set a health port or use SLACK_APP_TOKEN"
            )
        interactivity.routes = {ACTIONS_PATH: slack_actions_route(desk, secret, now_s)}
    if settings.slack_app_token:
        interactivity.receiver = SocketModeReceiver(
            settings.slack_app_token, desk, base_url=settings.slack_base_url.strip() or None
        )
    return interactivity
