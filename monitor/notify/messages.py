"""Slack messages: an alert, already rendered for people, in; Block Kit out.

Input: an `AlertMessage` (one alert: its kind, incident, slot and the two `ClaimView`s).
Output: `build_message` gives `(text, blocks)` for chat.postMessage, within Slack's
limits; `build_parent_message` gives the per-incident message later alerts thread under;
`build_acknowledgement` the thread reply to a triage click. With `buttons`, an alert
carries the triage buttons (`monitor.notify.triage`); with `public_url`, a link to its
incident's page (`{public_url}/incidents/{incident_id}`).
Everything from an article is escaped (`escape_mrkdwn`), so article text cannot form
links or mentions, and cut on Slack's limits without splitting an &entity;.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, Final
from urllib.parse import quote

from monitor.model import Verdict
from monitor.notify.triage import ACTION_IDS, BUTTON_LABELS, Click
from monitor.redact import without_credentials

# Slack's limits (https://api.slack.com/reference/block-kit/blocks), with headroom.
MAX_BLOCKS: Final = 50
MAX_HEADER_CHARS: Final = 150
MAX_SECTION_CHARS: Final = 3000
MAX_FIELD_CHARS: Final = 2000
MAX_FALLBACK_CHARS: Final = 3000
MAX_SENTENCE_CHARS: Final = 2900  # leaves room for the "> " quote markers


# --------------------------------------------------------------------------- values


class AlertKind(StrEnum):
    """What an alert says happened."""

    UPDATE = "update"
    CONTRADICTION = "contradiction"
    NEW_INCIDENT = "new_incident"
    EDIT = "edit"


@dataclass(frozen=True, slots=True)
class ClaimView:
    """One side of an alert, already rendered for people."""

    value: str
    source: str
    speaker: str | None
    url: str | None
    published_at: datetime | None
    sentence: str | None


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """Everything one Slack alert shows."""

    alert_id: int
    kind: str
    incident_id: str | None
    incident_title: str
    slot: str | None
    slot_label: str
    previous: ClaimView | None
    current: ClaimView
    # Why it fired, naming the same earlier claim as `previous` (delivery builds it with
    # views.why_line from the very sides shown in the fields).
    reason: str
    # The newsroom's zone (MONITOR_TIMEZONE) for the times Slack cannot localise itself.
    zone: tzinfo = UTC
    # The triage buttons: only when monitor receives their clicks (Socket Mode or the
    # signed endpoint) and posts with the bot token, which acknowledges them in the thread.
    buttons: bool = False
    # MONITOR_PUBLIC_URL: the alert links to its incident's page under it; "" for none.
    public_url: str = ""


@dataclass(frozen=True, slots=True)
class _KindStyle:
    emoji: str
    label: str
    previous_heading: str
    current_heading: str


_KIND_STYLES: Final[Mapping[str, _KindStyle]] = {
    AlertKind.CONTRADICTION: _KindStyle(
        ":warning:", "Contradiction", "Earlier claim", "Conflicting claim"
    ),
    AlertKind.UPDATE: _KindStyle(":arrows_counterclockwise:", "Update", "Earlier", "Now"),
    AlertKind.NEW_INCIDENT: _KindStyle(":new:", "Possible new incident", "Earlier", "Reported"),
    AlertKind.EDIT: _KindStyle(
        ":pencil2:", "Outlet edited its story", "Before the edit", "After the edit"
    ),
}


def _style_for(kind: str) -> _KindStyle:
    # An unknown kind is a bug upstream, but a rendering error would stall the
    # outbox, so it still goes out, labelled with the raw kind.
    return _KIND_STYLES.get(kind) or _KindStyle(":bell:", f"Alert ({kind})", "Earlier", "New")


# --------------------------------------------------------------------------- rendering

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_WHITESPACE = re.compile(r"\s+")


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's control characters (&, <, >) so article text cannot form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _truncate(text: str, limit: int) -> str:
    """Cut already-escaped text to `limit` characters, never splitting an &entity;."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut + "…"


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": _truncate(_one_line(text), limit) or " ", "emoji": True}


def _mrkdwn(text: str, limit: int = MAX_SECTION_CHARS) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _truncate(text, limit) or " "}


def _safe_url(url: str | None) -> str | None:
    """The URL in a form Slack's <url|label> syntax accepts, or None if it is not http(s)."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    return (
        without_credentials(url.strip())  # a feed's password must not reach the channel
        .replace("&", "&amp;")
        .replace("<", "%3C")
        .replace(">", "%3E")
        .replace("|", "%7C")
        .replace(" ", "%20")
    )


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # model datetimes are UTC; a naive one is a bug, read it as UTC
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _time_label(moment: datetime, zone: tzinfo) -> str:
    """'2026-01-08 14:15 PST': the newsroom's zone, to the minute, with the zone."""
    return _as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _slack_date(moment: datetime, zone: tzinfo = UTC) -> str:
    """A date Slack shows in each reader's own time zone, with a fallback in the
    newsroom's zone (clients that cannot localise, notifications)."""
    epoch = math.floor(_as_utc(moment).timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{_time_label(moment, zone)}>"


def _attribution(claim: ClaimView) -> str:
    """'DHS via seed-001', or just the outlet when nobody is named."""
    source = _truncate(escape_mrkdwn(_one_line(claim.source)), 200) or "unknown source"
    if claim.speaker:
        return f"_{_truncate(escape_mrkdwn(_one_line(claim.speaker)), 200)}_ via {source}"
    return source


def _field(heading: str, claim: ClaimView, zone: tzinfo = UTC) -> dict[str, Any]:
    lines = [f"*{heading}*", escape_mrkdwn(_one_line(claim.value)) or "(empty)"]
    lines.append(_attribution(claim))
    if claim.published_at is not None:
        lines.append(_slack_date(claim.published_at, zone))
    # Truncate the value line only, so the attribution always shows.
    head, value, *rest = lines
    tail = "\n".join(rest)
    room = MAX_FIELD_CHARS - len(head) - len(tail) - 2
    return _mrkdwn("\n".join([head, _truncate(value, max(room, 20)), tail]), MAX_FIELD_CHARS)


def _quote(sentence: str) -> str:
    body = _truncate(escape_mrkdwn(_one_line(sentence)), MAX_SENTENCE_CHARS)
    return f"> {body}"


def _link(label: str, claim: ClaimView) -> str | None:
    url = _safe_url(claim.url)
    if url is None:
        return None
    outlet = _truncate(escape_mrkdwn(_one_line(claim.source)).replace("|", "/"), 200) or "article"
    return f"{label}: <{url}|{outlet}>"


def _link_blocks(links: list[str]) -> list[dict[str, Any]]:
    joined = "\n".join(links)
    if len(joined) <= MAX_SECTION_CHARS:
        return [{"type": "section", "text": _mrkdwn(joined)}] if links else []
    # A URL too long for Slack's section limit is dropped rather than cut mid-link.
    return [
        {
            "type": "section",
            "text": _mrkdwn(link if len(link) <= MAX_SECTION_CHARS else "(link too long to show)"),
        }
        for link in links
    ]


def build_message(alert: AlertMessage) -> tuple[str, list[dict[str, Any]]]:
    """Render one alert as (notification text, Block Kit blocks) for chat.postMessage."""
    style = _style_for(alert.kind)
    title = escape_mrkdwn(_one_line(alert.incident_title)) or "Untitled incident"
    slot_label = escape_mrkdwn(_one_line(alert.slot_label))

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{style.emoji} {style.label}", MAX_HEADER_CHARS)}
    ]
    intro = [f"*{title}*"]
    if slot_label or alert.slot:
        intro.append(f"*{slot_label or escape_mrkdwn(alert.slot or '')}*")
    blocks.append({"type": "section", "text": _mrkdwn("\n".join(intro))})

    fields = [_field(style.current_heading, alert.current, alert.zone)]
    if alert.previous is not None:
        fields.insert(0, _field(style.previous_heading, alert.previous, alert.zone))
    blocks.append({"type": "section", "fields": fields})

    if alert.current.sentence and _one_line(alert.current.sentence):
        blocks.append({"type": "section", "text": _mrkdwn(_quote(alert.current.sentence))})

    links = [
        link
        for link in (
            _link("Earlier article", alert.previous) if alert.previous else None,
            _link("New article", alert.current),
            _incident_page_link(alert.public_url, alert.incident_id),
        )
        if link is not None
    ]
    blocks.extend(_link_blocks(links))

    context = [f"Why: {escape_mrkdwn(_one_line(alert.reason))}" if alert.reason.strip() else None]
    ids = f"Alert {alert.alert_id}"
    if alert.incident_id:
        ids += f" · incident `{escape_mrkdwn(alert.incident_id)}`"
    context.append(ids)
    blocks.append(
        {"type": "context", "elements": [_mrkdwn(item) for item in context if item is not None]}
    )
    if alert.buttons:
        blocks = [*blocks[: MAX_BLOCKS - 1], _triage_buttons(alert)]
    return _fallback_text(alert, style), blocks[:MAX_BLOCKS]


def incident_page_url(public_url: str, incident_id: str) -> str:
    """`{public_url}/incidents/{incident_id}`, the id escaped as one path segment."""
    return f"{public_url.rstrip('/')}/incidents/{quote(incident_id, safe='')}"


def _incident_page_link(public_url: str, incident_id: str | None) -> str | None:
    if not public_url or not incident_id:
        return None
    url = _safe_url(incident_page_url(public_url, incident_id))
    if url is None:
        return None
    label = _truncate(escape_mrkdwn(_one_line(incident_id)).replace("|", "/"), 200)
    return f"Incident page: <{url}|{label}>"


def _button(verdict: Verdict, alert_id: int) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": ACTION_IDS[verdict],
        "text": _plain(BUTTON_LABELS[verdict], 75),
        "value": str(alert_id),
    }


def _triage_buttons(alert: AlertMessage) -> dict[str, Any]:
    """Useful, Wrong, Wrong incident and (for an alert about a slot) Mute, each carrying
    the alert id; muting asks first, since it silences later alerts too."""
    elements = [_button(v, alert.alert_id) for v in (Verdict.USEFUL, Verdict.WRONG)]
    elements[1]["style"] = "danger"
    if alert.incident_id:
        elements.append(_button(Verdict.WRONG_INCIDENT, alert.alert_id))
    if alert.incident_id and alert.slot:
        mute = _button(Verdict.MUTE, alert.alert_id)
        slot = _one_line(alert.slot_label or alert.slot)
        mute["confirm"] = {
            "title": _plain("Mute this slot?", 100),
            "text": _plain(
                f"Later alerts about {slot} for this incident are stored but not posted, "
                "until someone runs `monitor mutes remove`.",
                300,
            ),
            "confirm": _plain("Mute", 30),
            "deny": _plain("Cancel", 30),
        }
        elements.append(mute)
    return {"type": "actions", "block_id": f"monitor_triage_{alert.alert_id}", "elements": elements}


def _fallback_text(alert: AlertMessage, style: _KindStyle) -> str:
    """One line for notifications: kind, incident, slot, earlier → new, source."""
    current = alert.current
    value = _one_line(current.value)
    change = f"{_one_line(alert.previous.value)} → {value}" if alert.previous else value
    source = _one_line(current.source)
    if current.speaker:
        source = f"{_one_line(current.speaker)} via {source}"
    parts = [f"{style.label}: {_one_line(alert.incident_title)}"]
    if _one_line(alert.slot_label):
        parts.append(f"{_one_line(alert.slot_label)}: {change}")
    else:
        parts.append(change)
    line = " — ".join(parts) + f" ({source})"
    return _truncate(escape_mrkdwn(line), MAX_FALLBACK_CHARS)


def build_parent_message(incident_id: str, incident_title: str) -> tuple[str, list[dict[str, Any]]]:
    """Render the per-incident parent message that later alerts thread under."""
    title = _one_line(incident_title) or incident_id
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f":newspaper: {title}", MAX_HEADER_CHARS)},
        {
            "type": "section",
            "text": _mrkdwn(
                "Updates, contradictions and story edits about this incident "
                "are posted as replies in this thread."
            ),
        },
        {
            "type": "context",
            "elements": [_mrkdwn(f"Incident `{escape_mrkdwn(incident_id)}`")],
        },
    ]
    text = _truncate(escape_mrkdwn(f"Tracking: {title} ({incident_id})"), MAX_FALLBACK_CHARS)
    return text, blocks


def build_acknowledgement(
    click: Click, alert_line: str, muted: tuple[str, str] | None
) -> tuple[str, list[dict[str, Any]]]:
    """The thread reply to a stored click: who said what about which alert. `alert_line`
    (the alert's Why line) comes from articles and is escaped like every article text."""
    who = f"<@{click.user_id}>"  # a checked user id: Slack shows the person's name
    line = _truncate(escape_mrkdwn(_one_line(alert_line)), 300)
    alert = f"alert {click.alert_id}"
    if click.verdict is Verdict.MUTE and muted is not None:
        incident, slot = (escape_mrkdwn(_one_line(part)) for part in muted)
        text = (
            f":mute: {who} muted `{slot}` for `{incident}` ({alert}: {line}). Its alerts are "
            f"stored, not posted, until `monitor mutes remove {incident} {slot}`."
        )
    elif click.verdict is Verdict.MUTE:
        text = f":mute: {who} asked to mute {alert}, which is about no slot: nothing muted."
    else:
        words = {
            Verdict.USEFUL: "useful",
            Verdict.WRONG: "wrong",
            Verdict.WRONG_INCIDENT: "about the wrong incident",
        }[click.verdict]
        text = f":memo: {who} marked {alert} {words}: {line}"
        if click.verdict is not Verdict.USEFUL:
            text += " (`monitor feedback export` makes it an evaluation case)"
    return text, [{"type": "section", "text": _mrkdwn(text)}]
