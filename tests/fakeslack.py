"""A fake Slack on 127.0.0.1: the Web API's chat.postMessage and incoming webhooks, and
Socket Mode (`apps.connections.open` and a WebSocket speaking Slack's envelopes).

A real `ThreadingHTTPServer` in a daemon thread, so `slack_sdk` talks HTTP to it
exactly as it would to Slack. It records every accepted message in order, answers
like Slack (`{"ok": true, "ts": ...}`), and can be scripted to fail:

    with serve_fake_slack(expected_token="xoxb-test") as slack:
        slack.fail_next(FakeReply(status=429, headers={"Retry-After": "1"}))
        notifier = SlackNotifier("xoxb-test", base_url=slack.base_url)

It also enforces a few Block Kit limits (50 blocks, header 150 chars, section text
3000, fields 10 x 2000, buttons) and answers `invalid_blocks`, as Slack does.

Socket Mode: `slack.socket_mode()` starts a loopback WebSocket server (the `websockets`
library) that `apps.connections.open` hands out as a ws:// URL. It greets each client
with `hello`, sends `interactive` envelopes on demand (`send_interactive`) and records
the acks the client sends back.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server as WebSocketServer
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve as ws_serve

# Slack's incoming webhooks answer errors as plain text with these statuses.
WEBHOOK_ERROR_STATUS = {
    "invalid_payload": 400,
    "no_text": 400,
    "too_many_attachments": 400,
    "user_not_found": 400,
    "invalid_token": 403,
    "action_prohibited": 403,
    "posting_to_general_channel_denied": 403,
    "channel_not_found": 404,
    "no_service": 404,
    "channel_is_archived": 410,
    "rollup_error": 500,
}

FIRST_TS_SECONDS = 1767225600  # 2026-01-01T00:00:00Z, so ts values look like Slack's


@dataclass(frozen=True, slots=True)
class FakeReply:
    """One scripted answer; unset fields mean "what Slack would send for this"."""

    status: int | None = None
    error: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    delay_s: float = 0.0
    hang_up: bool = False  # close the connection without answering


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """A message the fake accepted through chat.postMessage."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    ts: str


@dataclass(frozen=True, slots=True)
class WebhookPost:
    """A message the fake accepted through an incoming webhook."""

    webhook_id: str
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: str
    content_type: str
    headers: Mapping[str, str]
    delay_s: float = 0.0
    hang_up: bool = False


def _json_answer(payload: Mapping[str, Any], status: int = 200, **headers: str) -> _Answer:
    return _Answer(status, json.dumps(payload), "application/json; charset=utf-8", headers)


def block_kit_problem(blocks: object) -> str | None:
    """Why Slack would answer invalid_blocks for these blocks, or None if they pass."""
    if not isinstance(blocks, list):
        return "blocks is not a list"
    if len(blocks) > 50:
        return f"{len(blocks)} blocks, more than 50"
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or "type" not in block:
            return f"block {index} has no type"
        kind = block["type"]
        if kind == "header" and not _text_ok(block.get("text"), 150, plain=True):
            return f"block {index}: header text missing, not plain_text or over 150"
        if kind == "section":
            fields = block.get("fields")
            if "text" not in block and not fields:
                return f"block {index}: section has neither text nor fields"
            if "text" in block and not _text_ok(block["text"], 3000):
                return f"block {index}: section text empty or over 3000"
            if fields is not None and (
                not isinstance(fields, list)
                or len(fields) > 10
                or not all(_text_ok(item, 2000) for item in fields)
            ):
                return f"block {index}: fields not a list of at most 10 texts of 2000"
        if kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                return f"block {index}: context needs 1 to 10 elements"
            if not all(_text_ok(item, 3000) for item in elements):
                return f"block {index}: context element empty or over 3000"
        if kind == "actions":
            problem = _actions_problem(block.get("elements"))
            if problem is not None:
                return f"block {index}: {problem}"
    return None


def _actions_problem(elements: object) -> str | None:
    """Why Slack would refuse an actions block's buttons, or None."""
    if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
        return "actions needs 1 to 25 elements"
    action_ids = [e.get("action_id") for e in elements if isinstance(e, dict)]
    if len(set(action_ids)) != len(elements):
        return "action_id missing or repeated"
    for element in elements:
        if element.get("type") != "button" or not _text_ok(element.get("text"), 75, plain=True):
            return "button without a plain_text text of at most 75"
        if len(str(element["action_id"])) > 255 or len(str(element.get("value", ""))) > 2000:
            return "button action_id over 255 or value over 2000"
        if element.get("style") not in (None, "primary", "danger"):
            return "button style must be primary or danger"
        confirm = element.get("confirm")
        if confirm is not None and not (
            _text_ok(confirm.get("title"), 100, plain=True)
            and _text_ok(confirm.get("text"), 300)
            and _text_ok(confirm.get("confirm"), 30, plain=True)
            and _text_ok(confirm.get("deny"), 30, plain=True)
        ):
            return "confirm dialog needs title 100, text 300, confirm and deny 30"
    return None


def _text_ok(obj: object, limit: int, *, plain: bool = False) -> bool:
    if not isinstance(obj, dict):
        return False
    if obj.get("type") not in ({"plain_text"} if plain else {"plain_text", "mrkdwn"}):
        return False
    text = obj.get("text")
    return isinstance(text, str) and 0 < len(text) <= limit


class FakeSlack:
    """The fake's state: recorded messages, scripted failures, and the server itself."""

    def __init__(
        self,
        *,
        expected_token: str | None = "xoxb-test-token",
        channels: Iterable[str] | None = None,
    ) -> None:
        self.expected_token = expected_token
        self.channels = frozenset(channels) if channels is not None else None
        self._lock = threading.Lock()
        self._messages: list[PostedMessage] = []
        self._webhook_posts: list[WebhookPost] = []
        self._queue: deque[FakeReply] = deque()
        self._outage: FakeReply | None = None
        self._requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.expected_app_token = "xapp-test-token"
        self._socket: FakeSocketMode | None = None

    # --------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Listen on a free loopback port and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        # A short poll interval makes shutdown() (and each test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and free the port; later requests get "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --------------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started; use `with serve_fake_slack() as s:`")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The Web API root for WebClient(base_url=...), ending in /api/ as slack_sdk expects."""
        return f"http://127.0.0.1:{self.port}/api/"

    def webhook_url(self, webhook_id: str = "T0000/B0000/fakesecret") -> str:
        """An incoming-webhook URL served by this fake."""
        return f"http://127.0.0.1:{self.port}/webhook/{webhook_id}"

    # --------------------------------------------------------------- scripting

    def fail_next(self, *replies: FakeReply) -> None:
        """Answer the next requests with these replies, one each, before normal answers."""
        with self._lock:
            self._queue.extend(replies)

    def always_fail(self, error: str | FakeReply) -> None:
        """Answer every request with this failure until `heal()` (an outage, a bad token)."""
        with self._lock:
            self._outage = FakeReply(error=error) if isinstance(error, str) else error

    def heal(self) -> None:
        """End an `always_fail` outage and drop any queued failures."""
        with self._lock:
            self._outage = None
            self._queue.clear()

    # --------------------------------------------------------------- records

    @property
    def messages(self) -> list[PostedMessage]:
        """Every message accepted through chat.postMessage, in arrival order."""
        with self._lock:
            return list(self._messages)

    @property
    def webhook_posts(self) -> list[WebhookPost]:
        """Every message accepted through an incoming webhook, in arrival order."""
        with self._lock:
            return list(self._webhook_posts)

    @property
    def requests(self) -> int:
        """How many requests arrived, accepted or not."""
        with self._lock:
            return self._requests

    def replies_to(self, ts: str) -> list[PostedMessage]:
        """The messages posted in the thread of the message with this ts."""
        return [message for message in self.messages if message.thread_ts == ts]

    # --------------------------------------------------------------- answers

    def _scripted(self) -> FakeReply | None:
        with self._lock:
            self._requests += 1
            if self._queue:
                return self._queue.popleft()
            return self._outage

    def answer_api(self, method: str, authorization: str | None, body: dict[str, Any]) -> _Answer:
        scripted = self._scripted()
        if scripted is not None:
            return _api_failure(scripted)
        if method == "apps.connections.open":
            return self._open_connection(authorization)
        if method != "chat.postMessage":
            return _json_answer({"ok": False, "error": "unknown_method"}, 404)
        if not authorization or not authorization.startswith("Bearer "):
            return _json_answer({"ok": False, "error": "not_authed"})
        if self.expected_token is not None and authorization != f"Bearer {self.expected_token}":
            return _json_answer({"ok": False, "error": "invalid_auth"})
        channel = body.get("channel")
        if not isinstance(channel, str) or not channel:
            return _json_answer({"ok": False, "error": "channel_not_found"})
        if self.channels is not None and channel not in self.channels:
            return _json_answer({"ok": False, "error": "channel_not_found"})
        text = body.get("text") or ""
        blocks = body.get("blocks")
        if isinstance(blocks, str):  # form bodies carry blocks as a JSON string
            try:
                blocks = json.loads(blocks)
            except json.JSONDecodeError:
                return _json_answer({"ok": False, "error": "invalid_blocks_format"})
        if not text and not blocks:
            return _json_answer({"ok": False, "error": "no_text"})
        if not isinstance(text, str) or len(text) > 40_000:
            return _json_answer({"ok": False, "error": "msg_too_long"})
        if blocks is not None:
            problem = block_kit_problem(blocks)
            if problem is not None:
                return _json_answer({"ok": False, "error": "invalid_blocks", "detail": problem})
        thread_ts = body.get("thread_ts")
        with self._lock:
            ts = f"{FIRST_TS_SECONDS}.{len(self._messages) + 1:06d}"
            self._messages.append(
                PostedMessage(
                    channel=channel,
                    text=text,
                    blocks=list(blocks or []),
                    thread_ts=str(thread_ts) if thread_ts else None,
                    ts=ts,
                )
            )
        message = {"type": "message", "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = str(thread_ts)
        return _json_answer({"ok": True, "channel": channel, "ts": ts, "message": message})

    def _open_connection(self, authorization: str | None) -> _Answer:
        """apps.connections.open: the Socket Mode URL, for the app-level token only."""
        if authorization != f"Bearer {self.expected_app_token}":
            error = "not_allowed_token_type" if authorization else "not_authed"
            return _json_answer({"ok": False, "error": error})
        if self._socket is None:
            return _json_answer({"ok": False, "error": "internal_error"})
        return _json_answer({"ok": True, "url": self._socket.url})

    def socket_mode(self) -> FakeSocketMode:
        """Start the Socket Mode WebSocket server apps.connections.open hands out."""
        if self._socket is None:
            self._socket = FakeSocketMode().start()
        return self._socket

    def answer_webhook(self, webhook_id: str, body: dict[str, Any]) -> _Answer:
        scripted = self._scripted()
        if scripted is not None:
            return _webhook_failure(scripted)
        text = body.get("text") or ""
        blocks = body.get("blocks")
        if not isinstance(text, str) or (not text and not blocks):
            return _text_answer(400, "no_text")
        if blocks is not None and block_kit_problem(blocks) is not None:
            return _text_answer(400, "invalid_blocks")
        with self._lock:
            self._webhook_posts.append(WebhookPost(webhook_id, text, list(blocks or [])))
        return _text_answer(200, "ok")


def _api_failure(reply: FakeReply) -> _Answer:
    status = reply.status or 200
    if reply.body is not None:
        body, content_type = reply.body, "text/plain; charset=utf-8"
    elif reply.error is not None:
        body = json.dumps({"ok": False, "error": reply.error})
        content_type = "application/json; charset=utf-8"
    elif status == 429:
        body = json.dumps({"ok": False, "error": "ratelimited"})
        content_type = "application/json; charset=utf-8"
    elif status >= 500:
        body, content_type = f"<html><body>{status} Server Error</body></html>", "text/html"
    else:
        body = json.dumps({"ok": True, "ts": "0000000000.000000", "channel": "C0"})
        content_type = "application/json; charset=utf-8"
    return _Answer(status, body, content_type, reply.headers, reply.delay_s, reply.hang_up)


def _webhook_failure(reply: FakeReply) -> _Answer:
    error = reply.error
    status = reply.status or (WEBHOOK_ERROR_STATUS.get(error, 400) if error else 200)
    if reply.body is not None:
        body = reply.body
    elif error is not None:
        body = error
    elif status == 429:
        body = "rate_limited"
    elif status >= 500:
        body = "<html><body>Server Error</body></html>"
    else:
        body = "ok"
    return _Answer(status, body, "text/html", reply.headers, reply.delay_s, reply.hang_up)


def _text_answer(status: int, body: str) -> _Answer:
    return _Answer(status, body, "text/html", {})


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any] | None:
    if content_type.startswith("application/json"):
        try:
            parsed = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}
    return None


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "").lower()
            body = _parse_body(content_type, raw)
            path = self.path.split("?", 1)[0]
            if path.startswith("/api/"):
                if body is None:
                    answer = _json_answer({"ok": False, "error": "invalid_form_data"})
                else:
                    method = path.removeprefix("/api/")
                    answer = fake.answer_api(method, self.headers.get("Authorization"), body)
            elif path.startswith("/webhook/"):
                if body is None:
                    answer = _text_answer(400, "invalid_payload")
                else:
                    answer = fake.answer_webhook(path.removeprefix("/webhook/"), body)
            else:
                answer = _text_answer(404, "not found")
            self._send(answer)

        def _send(self, answer: _Answer) -> None:
            if answer.delay_s > 0:
                time.sleep(answer.delay_s)
            if answer.hang_up:
                self.close_connection = True
                return
            payload = answer.body.encode("utf-8")
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test); nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet; the fake's records are the log

    return Handler


@contextmanager
def serve_fake_slack(
    *, expected_token: str | None = "xoxb-test-token", channels: Iterable[str] | None = None
) -> Iterator[FakeSlack]:
    """Run a FakeSlack for the duration of a with-block (or a pytest fixture)."""
    with FakeSlack(expected_token=expected_token, channels=channels) as fake:
        yield fake


class FakeSocketMode:
    """Slack's Socket Mode end on loopback: hello, interactive envelopes, acks recorded."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._acks: list[dict[str, Any]] = []
        self._envelopes = 0
        self._server: WebSocketServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._server = ws_serve(self._session, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeSocketMode is not started"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake"

    def _session(self, connection: ServerConnection) -> None:
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}}
        connection.send(json.dumps(hello))
        with self._lock:
            self._connections.append(connection)
            self._lock.notify_all()
        try:
            for message in connection:
                ack = json.loads(message)
                with self._lock:
                    self._acks.append(ack)
                    self._lock.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)

    def wait_for_client(self, timeout_s: float = 30.0) -> None:
        """Until a client is connected (it has been sent `hello`)."""
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self._connections), timeout_s):
                raise AssertionError("no Socket Mode client connected")

    def send_interactive(self, payload: dict[str, Any], *, retry_attempt: int = 0) -> str:
        """Send one `interactive` envelope to the connected client; returns its envelope_id."""
        self.wait_for_client()
        with self._lock:
            self._envelopes += 1
            envelope_id = f"env-{self._envelopes:04d}"
            connection = self._connections[-1]
        envelope = {
            "envelope_id": envelope_id,
            "type": "interactive",
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
        """The client's ack of this envelope (fails after timeout_s)."""

        def found() -> dict[str, Any] | None:
            return next((a for a in self._acks if a.get("envelope_id") == envelope_id), None)

        with self._lock:
            if not self._lock.wait_for(lambda: found() is not None, timeout_s):
                raise AssertionError(f"envelope {envelope_id} was never acknowledged")
            ack = found()
        assert ack is not None
        return ack

    @property
    def acks(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._acks)
