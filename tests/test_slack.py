"""The Slack edge: message rendering, and notifiers against a fake Slack on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from monitor.errors import ConfigError, DeliveryError
from monitor.notify.messages import (
    AlertKind,
    AlertMessage,
    ClaimView,
    build_message,
    build_parent_message,
)
from monitor.notify.slack import (
    MessageRejectedError,
    Notifier,
    PermanentDeliveryError,
    RetryableDeliveryError,
    SlackNotifier,
    WebhookNotifier,
    parse_retry_after,
)
from tests.fakeslack import FakeReply, FakeSlack, block_kit_problem, serve_fake_slack

TOKEN = "xoxb-test-token"
CHANNEL = "#incidents"

EARLIER = ClaimView(
    value="14:19",
    source="seed-001",
    speaker="DHS",
    url="https://example.com/dhs-statement?id=1&lang=en",
    published_at=datetime(2026, 1, 8, 22, 5, tzinfo=UTC),
    sentence="DHS said the shooting happened at 14:19.",
)
CURRENT = ClaimView(
    value="14:32",
    source="OPB",
    speaker="Portland police",
    url="https://www.opb.org/article/2026/01/08/portland-shooting/",
    published_at=datetime(2026, 1, 9, 1, 40, tzinfo=UTC),
    sentence='Police said the agent fired at 14:32 & that "<2> people" were hit.',
)
ALERT = AlertMessage(
    alert_id=42,
    kind="contradiction",
    incident_id="pdx-2026-01-08",
    incident_title="Border Patrol agent shoots two in Portland, Oregon (2026-01-08)",
    slot="time",
    slot_label="Time of the shooting",
    previous=EARLIER,
    current=CURRENT,
    reason="Portland police give a later time than DHS",
)


def _all_text(blocks: list[dict[str, Any]]) -> str:
    """Every string inside the blocks, joined, for substring checks."""
    return json.dumps(blocks, ensure_ascii=False)


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API on 127.0.0.1 that accepts TOKEN."""
    with serve_fake_slack(expected_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def notifier(slack: FakeSlack) -> SlackNotifier:
    """A SlackNotifier pointed at the fake, with a short timeout."""
    return SlackNotifier(TOKEN, base_url=slack.base_url, timeout_s=2.0)


# ------------------------------------------------------------------ build_message


def test_article_links_drop_the_credentials_a_feed_url_gave_them() -> None:
    """A link inherited from a password-protected feed reaches Slack without the password."""
    current = replace(CURRENT, url="https://reader:s3cret@news.example/a?x=1")
    _, blocks = build_message(replace(ALERT, current=current))

    assert "s3cret" not in _all_text(blocks)
    assert "<https://news.example/a?x=1|" in _all_text(blocks)


def test_contradiction_message_shows_both_values_speakers_outlets_and_links() -> None:
    """The blocks carry both values, who said each, each outlet and both article links."""
    _, blocks = build_message(ALERT)
    fields = next(block["fields"] for block in blocks if "fields" in block)
    earlier, current = (field["text"] for field in fields)
    assert "14:19" in earlier
    assert "DHS" in earlier
    assert "seed-001" in earlier
    assert "14:32" in current
    assert "Portland police" in current
    assert "OPB" in current
    text = "\n".join(_texts(blocks))
    assert "<https://example.com/dhs-statement?id=1&amp;lang=en|seed-001>" in text
    assert "<https://www.opb.org/article/2026/01/08/portland-shooting/|OPB>" in text
    assert "Time of the shooting" in text
    assert "Border Patrol agent shoots two in Portland, Oregon (2026-01-08)" in text


def test_header_names_the_kind_and_context_names_reason_and_alert_id() -> None:
    """The header says what kind of alert it is; the context line says why and which alert."""
    _, blocks = build_message(ALERT)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": ":warning: Contradiction", "emoji": True},
    }
    context = " ".join(element["text"] for element in blocks[-1]["elements"])
    assert blocks[-1]["type"] == "context"
    assert "Portland police give a later time than DHS" in context
    assert "Alert 42" in context
    assert "pdx-2026-01-08" in context


def test_fallback_text_is_one_line_with_kind_incident_slot_both_values_and_source() -> None:
    """The notification text is a single line naming kind, incident, slot, earlier → new, source."""
    text, _ = build_message(ALERT)
    assert "\n" not in text
    assert text == (
        "Contradiction: Border Patrol agent shoots two in Portland, Oregon (2026-01-08)"
        " — Time of the shooting: 14:19 → 14:32 (Portland police via OPB)"
    )


def test_quoted_sentence_is_a_quote_with_slack_control_characters_escaped() -> None:
    """The new sentence appears as a > quote with &, < and > escaped."""
    _, blocks = build_message(ALERT)
    quotes = [text for text in _texts(blocks) if text.startswith("> ")]
    assert quotes == [
        '> Police said the agent fired at 14:32 &amp; that "&lt;2&gt; people" were hit.'
    ]


def test_article_text_cannot_inject_mentions_or_links() -> None:
    """Values, speakers and reasons with <!channel> or <url|x> are escaped everywhere."""
    hostile = replace(CURRENT, value="<!channel>", speaker="<@U123>", source="A&B <https://evil|x>")
    alert = replace(ALERT, current=hostile, reason="<!here> look")
    text, blocks = build_message(alert)
    rendered = "\n".join([text, *_texts(blocks)])
    assert "<!channel>" not in rendered
    assert "<!here>" not in rendered
    assert "<@U123>" not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert "A&amp;B" in rendered


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        (AlertKind.CONTRADICTION, ":warning: Contradiction"),
        (AlertKind.UPDATE, ":arrows_counterclockwise: Update"),
        (AlertKind.NEW_INCIDENT, ":new: Possible new incident"),
        (AlertKind.EDIT, ":pencil2: Outlet edited its story"),
        ("something_else", ":bell: Alert (something_else)"),
    ],
    ids=["contradiction", "update", "new-incident", "edit", "unknown-kind-still-renders"],
)
def test_each_kind_has_its_own_header_label(kind: str, header: str) -> None:
    """Every alert kind gets a distinct, readable header; an unknown kind still renders."""
    _, blocks = build_message(replace(ALERT, kind=kind))
    assert blocks[0]["text"]["text"] == header


def test_new_incident_without_previous_claim_renders_one_side() -> None:
    """A new-incident alert with no earlier claim shows only the reported value and one link."""
    alert = replace(
        ALERT,
        kind="new_incident",
        incident_id=None,
        incident_title="Shooting reported near Lake Street, Minneapolis",
        slot=None,
        slot_label="",
        previous=None,
    )
    text, blocks = build_message(alert)
    fields = next(block["fields"] for block in blocks if "fields" in block)
    assert len(fields) == 1
    assert fields[0]["text"].startswith("*Reported*\n14:32")
    rendered = "\n".join(_texts(blocks))
    assert "Earlier article" not in rendered
    assert "New article: <https://www.opb.org/" in rendered
    assert text.startswith("Possible new incident: Shooting reported near Lake Street")
    assert "→" not in text
    assert block_kit_problem(blocks) is None


def test_published_times_show_in_each_readers_time_zone_with_a_utc_fallback() -> None:
    """Publication times use Slack's <!date> syntax, falling back to a UTC timestamp."""
    _, blocks = build_message(ALERT)
    fields = next(block["fields"] for block in blocks if "fields" in block)
    epoch = int(datetime(2026, 1, 9, 1, 40, tzinfo=UTC).timestamp())
    assert (
        f"<!date^{epoch}^{{date_short_pretty}} {{time}}|2026-01-09 01:40 UTC>" in fields[1]["text"]
    )


def test_non_http_links_are_not_rendered_as_links() -> None:
    """A javascript: or missing URL gives no link line rather than a clickable hazard."""
    alert = replace(ALERT, previous=replace(EARLIER, url="javascript:alert(1)"))
    _, blocks = build_message(alert)
    rendered = "\n".join(_texts(blocks))
    assert "javascript:" not in rendered
    assert "Earlier article" not in rendered
    assert "New article" in rendered


def test_long_sentence_and_value_are_truncated_within_block_kit_limits() -> None:
    """A 10,000-character sentence and value are cut so every block stays within Slack's limits."""
    huge = "Witnesses & police <said> " * 400
    alert = replace(ALERT, current=replace(CURRENT, sentence=huge, value=huge))
    text, blocks = build_message(alert)
    assert block_kit_problem(blocks) is None
    quote = next(t for t in _texts(blocks) if t.startswith("> "))
    assert quote.endswith("…")
    assert len(quote) <= 3000
    assert not quote.removesuffix("…").endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g"))
    assert len(text) <= 3000
    assert len(blocks) <= 50


def test_parent_message_names_the_incident_and_promises_a_thread() -> None:
    """The per-incident parent message carries the title, the id and explains the thread."""
    text, blocks = build_parent_message(
        "mpls-2026-01-07", "ICE agent shoots Renee Good in Minneapolis (2026-01-07)"
    )
    assert (
        text
        == "Tracking: ICE agent shoots Renee Good in Minneapolis (2026-01-07) (mpls-2026-01-07)"
    )
    assert "Renee Good" in blocks[0]["text"]["text"]
    assert "mpls-2026-01-07" in _all_text(blocks)
    assert "thread" in _all_text(blocks)
    assert block_kit_problem(blocks) is None


# ------------------------------------------------------------------ SlackNotifier


def test_slack_notifier_posts_the_message_and_returns_its_ts(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """A post reaches the fake with channel, text and blocks, and returns the fake's ts."""
    text, blocks = build_message(ALERT)
    ts = notifier.post(CHANNEL, text, blocks)
    [message] = slack.messages
    assert ts == message.ts
    assert message.channel == CHANNEL
    assert message.text == text
    assert message.blocks == blocks
    assert message.thread_ts is None


def test_a_reply_lands_in_the_parent_messages_thread(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """Passing the parent's ts as thread_ts files the alert in that thread."""
    parent_ts = notifier.post(CHANNEL, *build_parent_message(ALERT.incident_id or "", "Portland"))
    reply_ts = notifier.post(CHANNEL, *build_message(ALERT), thread_ts=parent_ts)
    assert [message.ts for message in slack.replies_to(parent_ts)] == [reply_ts]
    assert reply_ts > parent_ts


def test_messages_arrive_in_posting_order_with_increasing_ts(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """Sequential posts are recorded in order, each ts later than the one before."""
    stamps = [notifier.post(CHANNEL, f"alert {n}", []) for n in range(3)]
    assert [message.text for message in slack.messages] == ["alert 0", "alert 1", "alert 2"]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3


def test_rate_limit_is_retryable_and_exposes_retry_after_seconds(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """HTTP 429 with Retry-After: 1 raises RetryableDeliveryError with retry_after_s == 1."""
    slack.fail_next(FakeReply(status=429, headers={"Retry-After": "1"}))
    with pytest.raises(RetryableDeliveryError) as caught:
        notifier.post(CHANNEL, "hello", [])
    assert caught.value.retry_after_s == 1
    assert caught.value.slack_error == "ratelimited"
    assert "retry after 1s" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable(
    slack: FakeSlack, notifier: SlackNotifier, status: int
) -> None:
    """A 5xx from Slack (HTML body, no error code) raises RetryableDeliveryError."""
    slack.fail_next(FakeReply(status=status))
    with pytest.raises(RetryableDeliveryError, match=f"HTTP {status}") as caught:
        notifier.post(CHANNEL, "hello", [])
    assert caught.value.retry_after_s is None


@pytest.mark.parametrize(
    "error",
    ["ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"],
)
def test_transient_slack_error_codes_are_retryable(
    slack: FakeSlack, notifier: SlackNotifier, error: str
) -> None:
    """ok:false with a transient error code raises RetryableDeliveryError naming the code."""
    slack.fail_next(FakeReply(error=error))
    with pytest.raises(RetryableDeliveryError, match=error) as caught:
        notifier.post(CHANNEL, "hello", [])
    assert caught.value.slack_error == error


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        ("invalid_auth", "check SLACK_BOT_TOKEN"),
        ("not_authed", "set SLACK_BOT_TOKEN"),
        ("account_inactive", "SLACK_BOT_TOKEN"),
        ("token_revoked", "reinstall the Slack app"),
        ("missing_scope", "chat:write"),
        ("channel_not_found", "invite the bot to #incidents or fix MONITOR_SLACK_CHANNEL"),
        ("not_in_channel", "invite the bot to #incidents"),
        ("is_archived", "#incidents is archived"),
        ("some_new_error", "api.slack.com/methods/chat.postMessage#errors"),
    ],
)
def test_permanent_slack_errors_name_the_error_and_the_fix(
    slack: FakeSlack, notifier: SlackNotifier, error: str, fix: str
) -> None:
    """A permanent refusal raises PermanentDeliveryError whose message names the code and fix."""
    slack.fail_next(FakeReply(error=error))
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.post(CHANNEL, "hello", [])
    assert not isinstance(caught.value, MessageRejectedError)
    assert f"{error}: " in str(caught.value)
    assert fix in str(caught.value)
    assert caught.value.slack_error == error


@pytest.mark.parametrize("error", ["msg_too_long", "invalid_blocks", "no_text"])
def test_a_message_slack_rejects_is_a_message_rejected_error(
    slack: FakeSlack, notifier: SlackNotifier, error: str
) -> None:
    """Errors about this one message are MessageRejectedError, so later alerts can still go."""
    slack.fail_next(FakeReply(error=error))
    with pytest.raises(MessageRejectedError, match=error):
        notifier.post(CHANNEL, "hello", [])


def test_blocks_over_slacks_limits_are_rejected_by_the_fake(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """The fake refuses 51 blocks with invalid_blocks, as Slack does."""
    blocks = [{"type": "divider"}] * 51
    with pytest.raises(MessageRejectedError, match="invalid_blocks"):
        notifier.post(CHANNEL, "hello", blocks)
    assert slack.messages == []


def test_a_wrong_token_is_permanent_and_names_slack_bot_token(slack: FakeSlack) -> None:
    """A token the workspace does not know raises PermanentDeliveryError pointing at the setting."""
    notifier = SlackNotifier("xoxb-wrong", base_url=slack.base_url)
    with pytest.raises(PermanentDeliveryError, match="invalid_auth: check SLACK_BOT_TOKEN"):
        notifier.post(CHANNEL, "hello", [])


def test_an_unknown_channel_is_permanent_and_names_the_channel_setting() -> None:
    """Posting to a channel the bot cannot see names the channel and MONITOR_SLACK_CHANNEL."""
    with serve_fake_slack(expected_token=TOKEN, channels=["#newsroom"]) as fake:
        notifier = SlackNotifier(TOKEN, base_url=fake.base_url)
        with pytest.raises(PermanentDeliveryError, match="MONITOR_SLACK_CHANNEL") as caught:
            notifier.post("#nowhere", "hello", [])
    assert "channel_not_found: invite the bot to #nowhere" in str(caught.value)


def test_a_closed_server_refusing_connections_is_retryable() -> None:
    """Connection refused (the fake has shut down) raises RetryableDeliveryError."""
    with serve_fake_slack() as fake:
        base_url = fake.base_url
    notifier = SlackNotifier(TOKEN, base_url=base_url, timeout_s=1.0)
    with pytest.raises(RetryableDeliveryError, match="could not reach Slack") as caught:
        notifier.post(CHANNEL, "hello", [])
    assert caught.value.slack_error == "connection_error"


def test_a_slow_answer_times_out_as_retryable(slack: FakeSlack) -> None:
    """A reply slower than timeout_s raises RetryableDeliveryError instead of blocking."""
    # 50 times the timeout: even a stalled client cannot find the answer already there.
    slack.fail_next(FakeReply(delay_s=5.0))
    notifier = SlackNotifier(TOKEN, base_url=slack.base_url, timeout_s=0.1)
    with pytest.raises(RetryableDeliveryError, match="could not reach Slack"):
        notifier.post(CHANNEL, "hello", [])


def test_post_never_retries_by_itself(slack: FakeSlack, notifier: SlackNotifier) -> None:
    """One post makes exactly one request, even on a retryable failure."""
    slack.fail_next(FakeReply(status=503), FakeReply(status=503))
    with pytest.raises(RetryableDeliveryError):
        notifier.post(CHANNEL, "hello", [])
    assert slack.requests == 1


def test_a_dropped_connection_is_not_retried_inside_post(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    """A server that hangs up gets one request (slack_sdk's default would retry it)."""
    slack.fail_next(FakeReply(hang_up=True), FakeReply(hang_up=True))
    with pytest.raises(RetryableDeliveryError, match="could not reach Slack"):
        notifier.post(CHANNEL, "hello", [])
    assert slack.requests == 1
    assert slack.messages == []


def test_an_outage_fails_every_post_until_healed(slack: FakeSlack, notifier: SlackNotifier) -> None:
    """always_fail makes every post fail until heal(), after which posts succeed again."""
    slack.always_fail("service_unavailable")
    for _ in range(3):
        with pytest.raises(RetryableDeliveryError):
            notifier.post(CHANNEL, "hello", [])
    slack.heal()
    assert notifier.post(CHANNEL, "hello", [])
    assert len(slack.messages) == 1
    assert slack.requests == 4


def test_a_base_url_without_trailing_slash_still_reaches_the_api(slack: FakeSlack) -> None:
    """base_url ".../api" is treated as ".../api/", so chat.postMessage is not misrouted."""
    notifier = SlackNotifier(TOKEN, base_url=slack.base_url.rstrip("/"))
    assert notifier.post(CHANNEL, "hello", [])
    assert notifier.base_url == slack.base_url


def test_a_base_url_pointing_elsewhere_is_permanent_and_names_the_setting(
    slack: FakeSlack,
) -> None:
    """A 404 page with no Slack error code says to check MONITOR_SLACK_BASE_URL."""
    notifier = SlackNotifier(TOKEN, base_url=slack.base_url.replace("/api/", "/wrong/"))
    with pytest.raises(PermanentDeliveryError, match="MONITOR_SLACK_BASE_URL"):
        notifier.post(CHANNEL, "hello", [])


def test_an_empty_token_is_a_config_error() -> None:
    """SlackNotifier refuses an empty token at construction, naming SLACK_BOT_TOKEN."""
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is empty"):
        SlackNotifier("  ")


def test_the_token_never_appears_in_logs_reprs_or_errors(
    slack: FakeSlack, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, neither log records, repr(notifier) nor error messages contain the token."""
    caplog.set_level(logging.DEBUG)
    notifier.post(CHANNEL, "hello", [])
    slack.fail_next(FakeReply(error="invalid_auth"))
    with pytest.raises(PermanentDeliveryError) as caught:
        notifier.post(CHANNEL, "hello", [])
    assert TOKEN not in repr(notifier)
    assert TOKEN not in str(caught.value)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.__dict__)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1", 1.0), (" 30 ", 30.0), ("0.5", 0.5), ("-3", 0.0), (None, None), ("soon", None)],
    ids=["integer", "padded", "fraction", "negative-clamped", "absent", "not-a-number"],
)
def test_retry_after_header_is_read_as_seconds(value: str | None, seconds: float | None) -> None:
    """Retry-After becomes seconds; a missing or non-numeric header gives None."""
    assert parse_retry_after(value) == seconds


# ------------------------------------------------------------------ WebhookNotifier


def test_webhook_notifier_posts_to_the_fake_webhook_and_returns_no_ts(slack: FakeSlack) -> None:
    """A webhook post reaches the fake's webhook endpoint and returns "" (webhooks have no ts)."""
    notifier = WebhookNotifier(slack.webhook_url("T1/B2/secret"))
    text, blocks = build_message(ALERT)
    assert notifier.post(CHANNEL, text, blocks, thread_ts="1767225600.000001") == ""
    [post] = slack.webhook_posts
    assert post.webhook_id == "T1/B2/secret"
    assert post.text == text
    assert post.blocks == blocks
    assert slack.messages == []


@pytest.mark.parametrize(
    ("reply", "error_type", "expected"),
    [
        (FakeReply(error="invalid_token"), PermanentDeliveryError, "create a new incoming webhook"),
        (FakeReply(error="no_service"), PermanentDeliveryError, "no_service"),
        (FakeReply(error="channel_is_archived"), PermanentDeliveryError, "archived"),
        (FakeReply(error="invalid_payload"), MessageRejectedError, "invalid_payload"),
        (FakeReply(status=500), RetryableDeliveryError, "HTTP 500"),
        (FakeReply(error="rollup_error"), RetryableDeliveryError, "rollup_error"),
    ],
    ids=["revoked", "removed", "archived", "bad-payload", "server-error", "rollup-error"],
)
def test_webhook_errors_are_classified_like_web_api_errors(
    slack: FakeSlack, reply: FakeReply, error_type: type[DeliveryError], expected: str
) -> None:
    """Webhook status and body map to retryable, permanent or rejected-message errors."""
    slack.fail_next(reply)
    notifier = WebhookNotifier(slack.webhook_url())
    with pytest.raises(error_type, match=expected) as caught:
        notifier.post(CHANNEL, "hello", [])
    assert "fakesecret" not in str(caught.value)


def test_webhook_rate_limit_exposes_retry_after_seconds(slack: FakeSlack) -> None:
    """A webhook 429 with Retry-After: 1 raises RetryableDeliveryError with retry_after_s == 1."""
    slack.fail_next(FakeReply(status=429, headers={"Retry-After": "1"}))
    with pytest.raises(RetryableDeliveryError) as caught:
        WebhookNotifier(slack.webhook_url()).post(CHANNEL, "hello", [])
    assert caught.value.retry_after_s == 1


def test_webhook_connection_refused_is_retryable() -> None:
    """A webhook whose server is gone raises RetryableDeliveryError without the URL in it."""
    with serve_fake_slack() as fake:
        url = fake.webhook_url()
    with pytest.raises(RetryableDeliveryError, match="could not reach Slack") as caught:
        WebhookNotifier(url, timeout_s=1.0).post(CHANNEL, "hello", [])
    assert "fakesecret" not in str(caught.value)


def test_both_notifiers_satisfy_the_notifier_protocol(slack: FakeSlack) -> None:
    """SlackNotifier and WebhookNotifier can stand in wherever a Notifier is expected."""
    notifiers: list[Notifier] = [
        SlackNotifier(TOKEN, base_url=slack.base_url),
        WebhookNotifier(slack.webhook_url()),
    ]
    assert [n.post(CHANNEL, "hello", []) for n in notifiers] == ["1767225600.000001", ""]


# ------------------------------------------------------------------ the fake itself


def test_fake_accepts_a_form_encoded_post_with_blocks_as_json(slack: FakeSlack) -> None:
    """The fake reads form bodies too, with blocks as a JSON string, as Slack allows."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    response = httpx.post(
        slack.base_url + "chat.postMessage",
        headers={"Authorization": f"Bearer {TOKEN}"},
        data={"channel": CHANNEL, "text": "hi", "blocks": json.dumps(blocks)},
    )
    assert response.json()["ok"] is True
    assert slack.messages[0].blocks == blocks


# ------------------------------------------------------------------ the Why line


def _side(
    value: object, source: str, speaker: str | None, stance: str = "asserts"
) -> dict[str, Any]:
    return {
        "value": value,
        "qualifier": None,
        "source": source,
        "speaker": speaker,
        "stance": stance,
        "url": f"https://{source}.example/story",
        "published": "2026-01-09T01:00:00.123456+00:00",
        "sentence": f"{speaker or source} on the shooting.",
    }


def _stored_alert(
    kind: str,
    previous: dict[str, Any] | None,
    earlier: list[dict[str, Any]],
    current: dict[str, Any],
    reason: str,
) -> Any:
    from monitor.store import AlertRecord

    return AlertRecord(
        alert_id=9,
        dedup_key="k",
        kind=kind,
        subject="mpls-2026-01-07",
        incident_id="mpls-2026-01-07",
        slot="justification",
        previous=previous,
        earlier=earlier,
        current=current,
        article_id=3,
        article_url=current["url"],
        reason=reason,
        created_at=datetime(2026, 1, 9, 2, 0, tzinfo=UTC),
        is_seeded=False,
        delivery_status="pending",
        delivered_at=None,
        attempts=0,
        last_error=None,
        next_attempt_at=None,
        slack_channel=None,
        slack_ts=None,
    )


def _earlier_and_why(blocks: list[dict[str, Any]]) -> tuple[str, str]:
    """(the earlier field's text, the context's Why line)."""
    [fields] = [b["fields"] for b in blocks if b["type"] == "section" and "fields" in b]
    [context] = [b for b in blocks if b["type"] == "context"]
    return fields[0]["text"], context["elements"][0]["text"]


def test_the_why_line_names_the_earlier_source_the_fields_show() -> None:
    """A dispute of a value two sources asserted: the analysis' reason cites the first, the
    field shows the latest; the Why line is built from the field's side, so both say DHS."""
    from monitor.notify.delivery import alert_message

    first = _side("self_defense", "seed-000", "federal_officials")
    latest = _side("self_defense", "seed-001", "DHS")
    dispute = _side("self_defense", "seed-004", "local_officials", stance="disputes")
    stale_reason = (
        "local_officials disputes justification self_defense asserted by "
        "federal_officials, seed-000"
    )
    alert = _stored_alert("contradiction", latest, [first, latest], dispute, stale_reason)
    _, blocks = build_message(alert_message(alert, None))
    earlier_field, why = _earlier_and_why(blocks)
    assert "seed-001" in earlier_field and "_DHS_" in earlier_field
    assert why == (
        "Why: justification: self-defense (DHS via seed-001), disputed by local officials "
        "via seed-004"
    )
    assert "seed-000" not in why and "_" not in why.replace("_DHS_", "")


@pytest.mark.parametrize(
    ("kind", "previous", "expected"),
    [
        ("update", None, "Why: first report of justification: self-defense (DHS via seed-001)"),
        (
            "update",
            _side("accidental", "seed-000", None),
            "Why: justification: accidental (seed-000) → self-defense (DHS via seed-001)",
        ),
        (
            "contradiction",
            _side("unjustified", "seed-000", "Jacob Frey"),
            "Why: justification: self-defense (DHS via seed-001) contradicts unjustified "
            "(Jacob Frey via seed-000)",
        ),
    ],
)
def test_each_why_line_cites_the_sides_it_shows(
    kind: str, previous: dict[str, Any] | None, expected: str
) -> None:
    """Updates, first reports and contradictions read as words and cite the shown sources."""
    from monitor.notify.delivery import alert_message

    current = _side("self_defense", "seed-001", "DHS")
    alert = _stored_alert(kind, previous, [previous] if previous else [], current, "raw reason")
    _, blocks = build_message(alert_message(alert, None))
    [context] = [b for b in blocks if b["type"] == "context"]
    assert context["elements"][0]["text"] == expected


def test_slack_fallback_times_use_the_newsroom_zone_to_the_minute() -> None:
    """The date fallback reads '2026-01-08 19:00 CST' in America/Chicago: no seconds."""
    from zoneinfo import ZoneInfo

    from monitor.notify.delivery import alert_message

    current = _side("self_defense", "seed-001", "DHS")
    alert = _stored_alert("update", None, [], current, "raw")
    _, blocks = build_message(alert_message(alert, None, ZoneInfo("America/Chicago")))
    [fields] = [b["fields"] for b in blocks if b["type"] == "section" and "fields" in b]
    assert "|2026-01-08 19:00 CST>" in fields[0]["text"]
    assert ".123456" not in json.dumps(blocks)
