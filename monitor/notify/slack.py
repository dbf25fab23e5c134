"""The Slack edge: a message in, posted with a bot token or an incoming webhook, Slack's
answer classified.

Input: a message's `(text, blocks)` (see `monitor.notify.messages`).
Output: a `Notifier` posts them and returns the message ts, or raises one of
the errors below.

DeliveryError                 (monitor.errors)
 +-- RetryableDeliveryError   rate limit, 5xx, timeout, connection: try again later
 +-- PermanentDeliveryError   Slack refused for a reason that needs a human
      +-- MessageRejectedError  only this message is bad (too long, invalid blocks)

Notifiers never retry inside `post()`: the delivery job owns retries, backoff and
ordering, and an in-call retry (or sleep) would hold up the whole outbox.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping
from http.client import HTTPException
from typing import Any, Final, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from monitor.errors import ConfigError, DeliveryError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://slack.com/api/"
DEFAULT_TIMEOUT_S: Final = 10.0

# slack_sdk's own logger: at DEBUG the webhook client logs its URL (a secret), and
# on a failed request the web client logs at ERROR what we already raise. We report
# failures through exceptions (the delivery job logs one line per alert), so keep
# the SDK quiet; `propagate` stays on, so CRITICAL would still surface.
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.setLevel(logging.CRITICAL)


# --------------------------------------------------------------------------- errors


class RetryableDeliveryError(DeliveryError):
    """Slack is rate limiting, failing or unreachable; the same message may succeed later."""

    def __init__(
        self, message: str, retry_after_s: float | None = None, *, slack_error: str | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.slack_error = slack_error


class PermanentDeliveryError(DeliveryError):
    """Slack refused in a way retrying cannot fix (token, channel, scopes); a human must act."""

    def __init__(self, message: str, *, slack_error: str | None = None) -> None:
        super().__init__(message)
        self.slack_error = slack_error


class MessageRejectedError(PermanentDeliveryError):
    """Slack refused this one message (too long, invalid blocks); later messages may still go."""


# --------------------------------------------------------------------------- notifiers


class Notifier(Protocol):
    """Posts one message and returns its ts ("" when the transport has none)."""

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
    ) -> str: ...


RETRYABLE_SLACK_ERRORS: Final = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "service_unavailable",
        "fatal_error",
        "internal_error",
        "request_timeout",
        "team_added_to_org",
    }
)

MESSAGE_ERRORS: Final = frozenset(
    {
        "msg_too_long",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_attachments",
        "too_many_attachments",
        "no_text",
        "invalid_payload",
        "invalid_arguments",
        "invalid_form_data",
        "json_not_object",
        "message_limit_exceeded",
    }
)

_REBUILD_HINT = (
    "monitor built a message Slack will not accept; this alert cannot be sent as is, "
    "report it with the alert id (monitor/notify/messages.py build_message)"
)


def _fix_for(error: str, channel: str) -> str:
    """How a human fixes a permanent Slack error, in one clause."""
    fixes = {
        "invalid_auth": "check SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-...)",
        "not_authed": "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...)",
        "account_inactive": "the bot's user or workspace was deactivated; reinstall the app "
        "and update SLACK_BOT_TOKEN",
        "token_revoked": "the token was revoked; reinstall the Slack app and update "
        "SLACK_BOT_TOKEN",
        "token_expired": "the token expired; reinstall the Slack app and update SLACK_BOT_TOKEN",
        "missing_scope": "add the chat:write scope to the Slack app, reinstall it and update "
        "SLACK_BOT_TOKEN",
        "no_permission": "add the chat:write scope to the Slack app, reinstall it and update "
        "SLACK_BOT_TOKEN",
        "channel_not_found": f"invite the bot to {channel} or fix MONITOR_SLACK_CHANNEL",
        "not_in_channel": f"invite the bot to {channel} (/invite @your-bot) "
        "or fix MONITOR_SLACK_CHANNEL",
        "is_archived": f"{channel} is archived; unarchive it or change MONITOR_SLACK_CHANNEL",
        "channel_is_archived": f"{channel} is archived; unarchive it or change "
        "MONITOR_SLACK_CHANNEL",
        "restricted_action": f"a workspace admin blocks the bot from posting in {channel}; "
        "ask them or change MONITOR_SLACK_CHANNEL",
        "posting_to_general_channel_denied": f"only admins may post in {channel}; "
        "change MONITOR_SLACK_CHANNEL",
        "action_prohibited": "a workspace admin restricted this webhook's channel; "
        "ask them or create a webhook for another channel",
        "invalid_token": "the webhook was revoked; create a new incoming webhook "
        "and update its URL",
        "no_service": "the incoming webhook was disabled or removed; create a new one "
        "and update its URL",
        "no_active_hooks": "the incoming webhook was disabled; create a new one and update its URL",
    }
    if error in fixes:
        return fixes[error]
    if error in MESSAGE_ERRORS:
        return _REBUILD_HINT
    return "see https://api.slack.com/methods/chat.postMessage#errors"


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            if isinstance(value, list | tuple):
                return str(value[0]) if value else None
            return str(value)
    return None


_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _error_code(value: object) -> str | None:
    """Slack's error code (e.g. "invalid_auth"), or None for an HTML page or prose."""
    if isinstance(value, str) and _ERROR_CODE.fullmatch(value.strip()):
        return value.strip()
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header; None when absent or not a number of seconds."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP-date; Slack sends seconds, so the caller's backoff decides
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _classify(
    *,
    where: str,
    channel: str,
    status: int,
    error: str | None,
    headers: Mapping[str, Any] | None,
) -> DeliveryError:
    """Turn Slack's answer (HTTP status and error code) into our exception."""
    label = error or f"http_{status}"
    if status == 429 or error in RETRYABLE_SLACK_ERRORS:
        retry_after_s = parse_retry_after(_header(headers, "Retry-After"))
        wait = f"retry after {retry_after_s:g}s" if retry_after_s is not None else "retry later"
        return RetryableDeliveryError(
            f"{where}: Slack is rate limiting or busy (HTTP {status}, {label}); {wait}",
            retry_after_s,
            slack_error=label,
        )
    if status >= 500:
        return RetryableDeliveryError(
            f"{where}: Slack failed with HTTP {status} ({label}); retry later",
            parse_retry_after(_header(headers, "Retry-After")),
            slack_error=label,
        )
    if error is None:
        return PermanentDeliveryError(
            f"{where}: unexpected HTTP {status} without a Slack error code; "
            "check MONITOR_SLACK_BASE_URL (it must end in /api/) or the webhook URL",
            slack_error=label,
        )
    message = f"{where}: {error}: {_fix_for(error, channel)}"
    if error in MESSAGE_ERRORS:
        return MessageRejectedError(message, slack_error=error)
    return PermanentDeliveryError(message, slack_error=error)


def _transport_error(where: str, exc: BaseException) -> RetryableDeliveryError:
    """A connection, TLS or timeout failure: Slack never answered, so try again later."""
    return RetryableDeliveryError(
        f"{where}: could not reach Slack ({type(exc).__name__}: {exc}); "
        "retry later, and check network access if it persists",
        slack_error="connection_error",
    )


class SlackNotifier:
    """Posts messages with a bot token through chat.postMessage."""

    def __init__(
        self, token: str, *, base_url: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        if not token.strip():
            raise ConfigError(
                "SLACK_BOT_TOKEN is empty; set it to the app's Bot User OAuth Token (xoxb-...)"
            )
        if timeout_s <= 0:
            raise ConfigError(f"Slack timeout_s={timeout_s!r} must be positive, e.g. 10")
        url = base_url or DEFAULT_BASE_URL
        # WebClient urljoins base_url + "chat.postMessage"; without the trailing
        # slash the last path segment ("api") would be silently replaced.
        self.base_url = url if url.endswith("/") else url + "/"
        self.timeout_s = timeout_s
        self._client = WebClient(
            token=token,
            base_url=self.base_url,
            # urllib takes float seconds; slack_sdk only annotates int.
            timeout=timeout_s,  # type: ignore[arg-type]
            logger=_sdk_log,
            # No in-call retries: slack_sdk's default handler retries connection
            # errors inside post(). The delivery job owns retries, backoff and ordering.
            retry_handlers=[],
        )

    def __repr__(self) -> str:  # never show the token
        return f"SlackNotifier(base_url={self.base_url!r}, timeout_s={self.timeout_s!r})"

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
    ) -> str:
        """Post one message (as a thread reply when thread_ts is given) and return its ts."""
        where = f"Slack chat.postMessage to {channel}"
        started = time.monotonic()
        try:
            response = self._client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            answer = exc.response
            error = answer.get("error") if isinstance(answer.data, dict) else None
            raise _classify(
                where=where,
                channel=channel,
                status=answer.status_code,
                error=_error_code(error),
                headers=answer.headers,
            ) from exc
        except (OSError, HTTPException) as exc:  # URLError, timeouts, refused, reset
            raise _transport_error(where, exc) from exc
        except SlackClientError as exc:  # a request slack_sdk refused to build
            raise PermanentDeliveryError(
                f"{where}: {exc}; check MONITOR_SLACK_BASE_URL and MONITOR_SLACK_CHANNEL"
            ) from exc
        ts = response.get("ts")
        if not isinstance(ts, str) or not ts:
            raise PermanentDeliveryError(
                f"{where}: Slack answered ok without a message ts; "
                "check MONITOR_SLACK_BASE_URL points at Slack's Web API"
            )
        log.debug(
            "slack_posted",
            extra={
                "channel": channel,
                "ts": ts,
                "thread_ts": thread_ts,
                "elapsed_ms": round((time.monotonic() - started) * 1000),
            },
        )
        return ts


class WebhookNotifier:
    """Posts through an incoming webhook; it cannot thread and returns no ts.

    An incoming webhook is bound to one channel when it is created, so `channel` is
    ignored; Slack's webhooks return no message ts, so `post()` returns "" and
    `thread_ts` is ignored: alerts appear as top-level messages, not threads.
    The webhook URL is a secret and never appears in errors or logs.
    """

    def __init__(self, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if not url.lower().startswith(("https://", "http://")):
            raise ConfigError(
                "the Slack webhook URL must start with https://, e.g. "
                "https://hooks.slack.com/services/T000/B000/XXXX"
            )
        self._client = WebhookClient(
            url=url,
            timeout=timeout_s,  # type: ignore[arg-type]  # urllib takes float seconds
            logger=_sdk_log,
            retry_handlers=[],  # no in-call retries: the delivery job owns them
        )

    def __repr__(self) -> str:  # the URL is a credential
        return "WebhookNotifier(url=<redacted>)"

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
    ) -> str:
        """Post one message through the webhook; always returns "" (webhooks have no ts)."""
        where = "Slack incoming webhook"
        try:
            response = self._client.send(
                text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )
        except (OSError, HTTPException) as exc:
            raise _transport_error(where, exc) from exc
        except SlackClientError as exc:
            raise PermanentDeliveryError(f"{where}: {exc}; check the webhook URL") from exc
        if response.status_code == 200:
            return ""
        raise _classify(
            where=where,
            channel="the webhook's channel",
            status=response.status_code,
            error=_error_code(response.body),
            headers=response.headers,
        )
