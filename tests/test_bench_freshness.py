"""The freshness bench's parts at a tiny scale: its generated articles alert, its feeds
state their pace and no hint, its fake Slack stamps arrivals, its figures add up. (The
whole bench, two daemons for minutes, is `python -m bench.freshness`.)"""

from __future__ import annotations

import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient

from bench.freshness import (
    CITIES,
    BenchFeed,
    Outlet,
    Published,
    RunResult,
    Scale,
    TimedSlack,
    percentile,
    shooting_story,
    story_page,
    summary,
)
from monitor.ingest.feeds import parse_feed
from monitor.pipeline.explain import explain_target
from monitor.pipeline.schedule import observed_interval_s
from tests.conftest import REPO_ROOT, make_settings
from tests.loopback import LoopbackServer

TODAY = date(2026, 2, 10)
PUBLISHED = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)


def _get(url: str) -> tuple[bytes, dict[str, str]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as reply:
        return reply.read(), {name.lower(): value for name, value in reply.headers.items()}


def test_each_generated_shooting_raises_its_own_new_incident_alert(tmp_path: Path) -> None:
    """Two cities, and the first city again on another day: each article explains to one
    new_incident alert for a candidate of its own, so no post is deduplicated."""
    settings = make_settings(tmp_path, rules_dir=REPO_ROOT / "rules")
    incidents = []
    for index in (0, 1, len(CITIES)):
        page = tmp_path / f"story{index}.html"
        page.write_bytes(story_page(shooting_story(f"fz-test-0-{index}", index, TODAY)))
        explanation = explain_target(settings, str(page), published_at=PUBLISHED)
        [alert] = explanation.alerts
        assert alert.kind == "new_incident"
        incidents.append(alert.incident_id)
    assert incidents == ["fresno-2026-02-09", "tucson-2026-02-09", "fresno-2026-02-08"]


def test_a_busy_feed_shows_its_pace_from_the_first_poll_and_states_no_hint(
    loopback: LoopbackServer,
) -> None:
    """A busy feed's backlog is dated at its pace back from its first request, so the
    schedule's observed interval is already below the minimum; the feed sends no
    Cache-Control, Expires, <ttl> or sy: hint; a published entry comes first, its page
    served."""
    feed = BenchFeed(Outlet(loopback), "busy", "busy-polled", gap_s=1.5, hub_url=None)
    body, headers = _get(feed.url)
    assert not {"cache-control", "expires"} & headers.keys()
    parsed = parse_feed(body, url=feed.url, content_type=headers["content-type"])
    assert parsed.refresh_s is None
    dates = [item.published_at for item in parsed.items if item.published_at is not None]
    assert len(dates) == 10
    observed = observed_interval_s(dates, max(dates) + timedelta(seconds=1))
    assert observed is not None and observed < 2.0

    entry = feed.publish(shooting_story("fz-test-1-0", 0, TODAY))
    body, _ = _get(feed.url)
    first = parse_feed(body, url=feed.url, content_type="application/rss+xml").items[0]
    assert first.url == entry.url and b"Fresno" in _get(entry.url)[0]


def test_a_quiet_feeds_backlog_is_older_than_the_rate_lookback(
    loopback: LoopbackServer,
) -> None:
    """A quiet feed's entries are a fortnight old and more: the schedule's observed
    interval is its whole lookback, which the bounds clamp to the maximum."""
    feed = BenchFeed(Outlet(loopback), "quiet", "quiet", gap_s=1.5, hub_url=None)
    body, _ = _get(feed.url)
    items = parse_feed(body, url=feed.url, content_type="application/rss+xml").items
    dates = [item.published_at for item in items if item.published_at is not None]
    now = max(dates) + timedelta(days=14)
    observed = observed_interval_s(dates, now)
    assert observed is not None and observed >= timedelta(days=7).total_seconds()


def test_the_fake_slack_notes_when_a_token_first_arrived() -> None:
    """A chat.postMessage carrying an entry's token stamps its first arrival; a second
    post of the same token keeps the first stamp."""
    with TimedSlack() as slack:
        client = WebClient(token=slack.expected_token, base_url=slack.base_url)
        client.chat_postMessage(
            channel="#c", text="New article: <http://x/news/fz-adaptive-3-7.html>"
        )
        first = slack.arrivals["fz-adaptive-3-7"]
        client.chat_postMessage(channel="#c", text="again fz-adaptive-3-7")
        assert slack.arrivals == {"fz-adaptive-3-7": first}


def _run(mode: str, latencies: dict[str, list[float]], hits: dict[str, int]) -> RunResult:
    published = [
        Published(f"fz-{mode}-{kind}-{n}", kind, 100.0, measured=True)
        for kind, values in latencies.items()
        for n in range(len(values))
    ]
    arrivals = {
        f"fz-{mode}-{kind}-{n}": 100.0 + value
        for kind, values in latencies.items()
        for n, value in enumerate(values)
    }
    counts = {"busy-pushed": 2, "busy-polled": 2, "quiet": 16}
    return RunResult(mode, 120.0, published, arrivals, hits, 0, counts)


def test_the_summary_states_latency_in_minimum_intervals_and_the_request_ratio() -> None:
    """Latencies are divided by the minimum interval, pushes stay in seconds, requests
    are compared per second of window and scaled to production hours."""
    scale = Scale(min_s=2.0, tick_s=0.1, delivery_s=0.1)
    polled = [0.2 * n for n in range(11)]  # 0 .. 2 s
    adaptive = _run(
        "adaptive",
        {"busy-polled": polled, "busy-pushed": [0.1, 0.3]},
        {"busy-polled": 120, "busy-pushed": 4, "quiet": 32},
    )
    fixed = _run("fixed", {"busy-polled": [x + 0.4 for x in polled]}, {"quiet": 1200})

    figures = summary(adaptive, fixed, scale)

    assert percentile(polled, 95) == 1.9
    assert figures["p95_over_min_interval"] == 0.95
    assert figures["fixed_p95_over_min_interval"] == 1.15
    assert figures["push_p95_s"] == 0.29
    assert figures["requests_ratio"] == 0.13
    # 1200 requests / 20 feeds / (120 s x 60) x 3600 = 30 an hour: polling every 2 minutes.
    assert figures["fixed_requests_per_feed_per_hour"] == 30.0
    assert figures["targets_met"] == {"latency": True, "requests": True, "push": True}
