"""The pure part of triage: Slack's signatures checked, clicks read from block_actions
payloads, replies that keep article text inert, and the settings that turn it on."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.model import Verdict
from monitor.notify.messages import build_acknowledgement
from monitor.notify.triage import (
    Click,
    TriagePayloadError,
    clicks_from_payload,
    payload_from_form,
    sign,
    signature_problem,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_767_225_600


def _payload(action_id: str = "monitor_feedback_wrong", value: str = "42") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": "U0ANN", "name": "ann"},
        "channel": {"id": "C0NEWS"},
        "message": {"ts": "1767225600.000002", "thread_ts": "1767225600.000001"},
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }


def test_slacks_own_example_signature_is_accepted() -> None:
    """The worked example in Slack's documentation verifies (timestamp 1531420618)."""
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    assert sign(secret, "1531420618", body) == expected
    assert (
        signature_problem(
            secret=secret, timestamp="1531420618", signature=expected, body=body, now_s=1531420618
        )
        is None
    )


@pytest.mark.parametrize(
    ("timestamp", "signature", "problem"),
    [
        (None, "v0=00", "missing X-Slack-Request-Timestamp"),
        ("soon", "v0=00", "not a Unix time"),
        (str(NOW - 301), None, "missing"),
        (str(NOW - 301), "good", "more than 5 minutes"),
        (str(NOW + 301), "good", "more than 5 minutes"),
        (str(NOW), "v0=" + "0" * 64, "does not match"),
    ],
)
def test_a_request_without_a_fresh_matching_signature_is_refused(
    timestamp: str | None, signature: str | None, problem: str
) -> None:
    """Missing headers, replays older (or newer) than five minutes and forgeries fail."""
    body = b"payload=%7B%7D"
    if signature == "good":
        signature = sign(SECRET, str(timestamp), body)
    found = signature_problem(
        secret=SECRET, timestamp=timestamp, signature=signature, body=body, now_s=NOW
    )
    assert found is not None and problem in found


def test_a_button_press_is_read_as_a_click_with_its_thread() -> None:
    """Verdict, alert id, user and the thread to answer in come from the payload."""
    body = urlencode({"payload": json.dumps(_payload())}).encode()
    (found,) = clicks_from_payload(payload_from_form(body))
    assert found == Click(42, Verdict.WRONG, "U0ANN", "ann", "C0NEWS", "1767225600.000001")


def test_other_interactions_are_no_clicks_and_malformed_ones_are_refused() -> None:
    """Another app's button or a shortcut gives nothing; a bad alert id is an error."""
    assert clicks_from_payload({"type": "shortcut"}) == []
    assert clicks_from_payload(_payload(action_id="someone_elses_button")) == []
    with pytest.raises(TriagePayloadError, match="is not an alert id"):
        clicks_from_payload(_payload(value="42; DROP TABLE alert"))
    with pytest.raises(TriagePayloadError, match="no `payload` field"):
        payload_from_form(b"text=hi")


def test_article_text_in_an_acknowledgement_stays_inert() -> None:
    """`<!channel>` and links from an article are escaped in the thread reply."""
    click = Click(7, Verdict.WRONG, "U0ANN", "ann", "C0NEWS", None)
    text, blocks = build_acknowledgement(
        click, "shots fired: 3 <!channel> <https://evil.example|click>", None
    )
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<https://evil" not in blocks[0]["text"]["text"]
    muted, _ = build_acknowledgement(
        Click(7, Verdict.MUTE, "U0ANN", None, None, None), "x", ("pdx<!here>", "shots_fired")
    )
    assert "<!here>" not in muted and "monitor mutes remove pdx&lt;!here&gt; shots_fired" in muted


def test_triage_settings_need_an_app_level_token_and_the_bot_token() -> None:
    """A bot token given as SLACK_APP_TOKEN, or a receiver without SLACK_BOT_TOKEN, is a
    one-line configuration error naming the fix."""
    with pytest.raises(ConfigError, match=r"SLACK_APP_TOKEN: .*starts with xapp-") as wrong:
        load_settings(SLACK_APP_TOKEN="xoxb-1", SLACK_BOT_TOKEN="xoxb-2")
    with pytest.raises(ConfigError, match="set SLACK_BOT_TOKEN or unset them") as alone:
        load_settings(SLACK_APP_TOKEN="xapp-1")
    assert "\n" not in str(wrong.value) + str(alone.value)
    assert load_settings(SLACK_APP_TOKEN="xapp-1", SLACK_BOT_TOKEN="xoxb-2").slack_app_token
