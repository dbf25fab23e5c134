"""Triage from Slack, the pure part: the alert buttons' ids, a click read from Slack's
`block_actions` payload, Slack's request signature checked. No I/O and no clock: the
caller passes `now` and the bytes it received; `monitor.notify.desk` stores the click.

Each alert message carries four buttons (see `monitor.notify.messages`); their
`action_id`s are stable, part of the contract with the Slack app, and each button's
`value` is the alert id:

    monitor_feedback_useful          Useful
    monitor_feedback_wrong           Wrong
    monitor_feedback_wrong_incident  Wrong incident
    monitor_mute_slot                Mute this slot for this incident

Signatures (https://api.slack.com/authentication/verifying-requests-from-slack): `v0=`
and the hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}` keyed with the
signing secret; a timestamp more than five minutes from now is a replay and refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs

from monitor.model import Verdict

ACTION_IDS: Final[Mapping[Verdict, str]] = {
    Verdict.USEFUL: "monitor_feedback_useful",
    Verdict.WRONG: "monitor_feedback_wrong",
    Verdict.WRONG_INCIDENT: "monitor_feedback_wrong_incident",
    Verdict.MUTE: "monitor_mute_slot",
}
VERDICT_BY_ACTION: Final[Mapping[str, Verdict]] = {a: v for v, a in ACTION_IDS.items()}
BUTTON_LABELS: Final[Mapping[Verdict, str]] = {
    Verdict.USEFUL: "Useful",
    Verdict.WRONG: "Wrong",
    Verdict.WRONG_INCIDENT: "Wrong incident",
    Verdict.MUTE: "Mute this slot for this incident",
}

MAX_SIGNATURE_AGE_S: Final = 5 * 60
# Slack's interaction payloads carry the whole message (up to 50 blocks): well under this.
MAX_PAYLOAD_BYTES: Final = 1024 * 1024
MAX_ACTIONS: Final = 5  # a click is one action; more in one payload is not Slack's doing
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_TS = re.compile(r"\d{1,12}\.\d{1,9}")
_CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{2,20}")


class TriagePayloadError(ValueError):
    """A request that is not a click on an alert button; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Click:
    """One button press on an alert message: who, which verdict, where to answer."""

    alert_id: int
    verdict: Verdict
    user_id: str
    user_name: str | None
    channel: str | None  # where the alert message is (the acknowledgement goes there)
    thread_ts: str | None  # the thread the acknowledgement joins


# --------------------------------------------------------------------------- signatures


def signature_problem(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now_s: float
) -> str | None:
    """Why this request is not Slack's (missing headers, a replay, a bad signature), or None
    when its signature is good. The comparison takes constant time."""
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    try:
        sent_s = int(timestamp.strip())
    except ValueError:
        return "X-Slack-Request-Timestamp is not a Unix time"
    if abs(now_s - sent_s) > MAX_SIGNATURE_AGE_S:
        return "the request timestamp is more than 5 minutes from now (a replay?)"
    expected = (
        "v0="
        + hmac.new(
            secret.encode(), b"v0:" + timestamp.strip().encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return "the signature does not match MONITOR_SLACK_SIGNING_SECRET"
    return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature Slack sends for this body (for tests and tooling)."""
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


# --------------------------------------------------------------------------- payloads


def payload_from_form(body: bytes) -> dict[str, Any]:
    """The JSON payload of Slack's form-encoded interaction request (`payload=<json>`)."""
    if len(body) > MAX_PAYLOAD_BYTES:
        raise TriagePayloadError("the request body is larger than 1 MB")
    try:
        form = parse_qs(body.decode("utf-8"), strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise TriagePayloadError("the request body is not UTF-8 form data") from exc
    values = form.get("payload")
    if not values:
        raise TriagePayloadError("no `payload` field in the form body")
    try:
        payload = json.loads(values[0])
    except json.JSONDecodeError as exc:
        raise TriagePayloadError("the `payload` field is not JSON") from exc
    if not isinstance(payload, dict):
        raise TriagePayloadError("the `payload` field is not a JSON object")
    return payload


def _text(value: object, limit: int = 200) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def _mapping(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def _matching(value: object, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


def clicks_from_payload(payload: Mapping[str, Any]) -> list[Click]:
    """The alert-button clicks in a `block_actions` payload; other interactions (another
    app's buttons, shortcuts) give none. TriagePayloadError when a click of ours is
    malformed (no user, an alert id that is not a number)."""
    if payload.get("type") != "block_actions":
        return []
    actions = payload.get("actions")
    if not isinstance(actions, list):
        raise TriagePayloadError("block_actions payload without an `actions` list")
    ours = [
        a
        for a in actions[:MAX_ACTIONS]
        if isinstance(a, Mapping) and a.get("action_id") in VERDICT_BY_ACTION
    ]
    if not ours:
        return []
    user = _mapping(payload, "user")
    user_id = _matching(user.get("id"), _USER_ID)
    if user_id is None:
        raise TriagePayloadError("block_actions payload without a Slack user id")
    name = _text(user.get("name")) or _text(user.get("username"))
    channel = _matching(_mapping(payload, "channel").get("id"), _CHANNEL_ID)
    message = _mapping(payload, "message")
    container = _mapping(payload, "container")
    thread_ts = (
        _matching(message.get("thread_ts"), _TS)
        or _matching(container.get("thread_ts"), _TS)
        or _matching(message.get("ts"), _TS)
        or _matching(container.get("message_ts"), _TS)
    )
    return [
        Click(_alert_id(a.get("value")), VERDICT_BY_ACTION[a["action_id"]], user_id, name,
              channel, thread_ts)
        for a in ours
    ]  # fmt: skip


def _alert_id(value: object) -> int:
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    raise TriagePayloadError(f"button value {str(value)[:40]!r} is not an alert id")
