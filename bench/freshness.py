"""Benchmark: publication -> Slack latency and the load an outlet sees, adaptive schedule
against today's fixed polling, with the daemon in a real process.

20 loopback feeds: 4 busy ones publish every few seconds of bench time (2 of them behind a
loopback WebSub hub), 16 quiet ones publish nothing while measured (their backlog is
weeks old). `python -m monitor run` polls them and posts to a fake Slack. The intervals
are scaled down (the same code path, seconds instead of minutes): with the default
--min-interval-s 2, one bench second stands for a minute (MONITOR_MIN_INTERVAL_S 2 for
120, MONITOR_MAX_INTERVAL_S 60 for 3600, MONITOR_DEFAULT_INTERVAL_MIN 0.25 for 15,
MONITOR_TICK_S 0.5 for 30 and MONITOR_DELIVERY_INTERVAL_S 0.17 for 10).

Each published entry is a short article about a new shooting (a city and a date no
other entry uses), so each raises its own new_incident alert; its URL carries a token
the bench finds in the Slack post. The feeds state no sy:, <ttl> or Cache-Control, so
nothing but the observed rate sets the adaptive intervals.

Two runs, each on a fresh database:

    adaptive  the shipped schedule; MONITOR_PUBLIC_URL set, so the 2 hub feeds are pushed
    fixed     today's behaviour: every feed's own feeds.yaml interval is the minimum,
              no MONITOR_PUBLIC_URL (nothing is pushed)

Latency runs from the moment the bench made an entry visible (its page served and the
feed listing it) to the moment the fake Slack received the chat.postMessage carrying
its token. Feed requests are counted at the loopback server over the measured window
and scaled to an hour of production time (one bench second = 120 / min-interval-s s);
the default window, 120 s, is two maximum intervals, so each quiet feed is counted over
whole polling periods (they were all added at once, so they are polled in step).

Targets (issue 13): adaptive p95 for the busy polled feeds <= 1.2 x the minimum interval
while feed requests <= 0.3 x fixed polling at that minimum; pushed p95 <= 3 s.
The last line printed is a JSON object with `p95_over_min_interval`,
`fixed_p95_over_min_interval`, `requests_ratio` and `push_p95_s`.

    .venv/bin/python -m bench.freshness [--min-interval-s 2] [--measure-s 120]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import IO, Any

from tests.conftest import make_rules_dir
from tests.fakeslack import FakeSlack
from tests.loopback import LoopbackServer, Route
from tests.processes import http_get, monitor_env
from tests.test_websub import LoopbackHub, _serve_hub

# Production's defaults, which the bench scales down by PRODUCTION_MIN_S / --min-interval-s.
PRODUCTION_MIN_S = 120.0
PRODUCTION_MAX_S = 3600.0
PRODUCTION_NEW_FEED_MIN = 15.0
PRODUCTION_TICK_S = 30.0  # MONITOR_TICK_S
PRODUCTION_DELIVERY_S = 10.0  # MONITOR_DELIVERY_INTERVAL_S
FEEDS, BUSY, PUSHED = 20, 4, 2
BUSY_BACKLOG = 10  # entries a busy feed already holds, dated at its pace
QUIET_BACKLOG = 3  # entries a quiet feed already holds, weeks old
FEED_WINDOW = 30  # entries a feed document lists, newest first
TOKEN = "xoxb-bench-freshness"
CHANNEL = "#bench-freshness"
TOKEN_PATTERN = re.compile(r"fz-[a-z]+-\d+-\d+")
WAIT_POLL_S = 0.05

# Cities the shipped gazetteer places (each checked with `monitor explain`): a shooting
# in one of them on a given day is a candidate incident no other entry is.
CITIES = (
    ("Fresno", "California"), ("Tucson", "Arizona"), ("El Paso", "Texas"),
    ("Denver", "Colorado"), ("Chicago", "Illinois"), ("Newark", "New Jersey"),
    ("Charlotte", "North Carolina"), ("Houston", "Texas"), ("Phoenix", "Arizona"),
    ("Albuquerque", "New Mexico"), ("Omaha", "Nebraska"), ("Boise", "Idaho"),
    ("Spokane", "Washington"), ("Reno", "Nevada"), ("Tulsa", "Oklahoma"),
    ("Sacramento", "California"), ("San Diego", "California"), ("Bakersfield", "California"),
    ("Stockton", "California"), ("Riverside", "California"), ("Las Vegas", "Nevada"),
    ("Salt Lake City", "Utah"), ("Dallas", "Texas"), ("Austin", "Texas"),
    ("San Antonio", "Texas"), ("Laredo", "Texas"), ("McAllen", "Texas"),
    ("Oklahoma City", "Oklahoma"), ("Wichita", "Kansas"), ("Kansas City", "Missouri"),
    ("St. Louis", "Missouri"), ("Des Moines", "Iowa"), ("Milwaukee", "Wisconsin"),
    ("Detroit", "Michigan"), ("Cleveland", "Ohio"), ("Columbus", "Ohio"),
    ("Indianapolis", "Indiana"), ("Louisville", "Kentucky"), ("Nashville", "Tennessee"),
    ("Memphis", "Tennessee"), ("Atlanta", "Georgia"), ("Raleigh", "North Carolina"),
    ("Richmond", "Virginia"), ("Baltimore", "Maryland"), ("Philadelphia", "Pennsylvania"),
    ("Pittsburgh", "Pennsylvania"), ("Boston", "Massachusetts"), ("Hartford", "Connecticut"),
    ("Providence", "Rhode Island"), ("Buffalo", "New York"), ("Miami", "Florida"),
    ("Orlando", "Florida"), ("Tampa", "Florida"), ("Jacksonville", "Florida"),
    ("Birmingham", "Alabama"), ("New Orleans", "Louisiana"), ("Little Rock", "Arkansas"),
    ("Jackson", "Mississippi"), ("Seattle", "Washington"), ("Tacoma", "Washington"),
    ("Eugene", "Oregon"), ("Anchorage", "Alaska"), ("Honolulu", "Hawaii"),
    ("Billings", "Montana"), ("Cheyenne", "Wyoming"),
)  # fmt: skip
SHOOTING_DAYS_BACK = 7  # the shooting happened 1..7 days before publication


# -- what the outlets publish ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Story:
    """An article: a title and paragraphs; `token` ends up in its URL."""

    token: str
    title: str
    paragraphs: tuple[str, ...]


def shooting_story(token: str, index: int, today: date) -> Story:
    """The index-th new shooting: a city and a day no lower index uses, so its alert (a
    new_incident for the candidate city-day) is its own and never deduplicated."""
    city, state = CITIES[index % len(CITIES)]
    day = today - timedelta(days=1 + (index // len(CITIES)) % SHOOTING_DAYS_BACK)
    on = f"{day:%B} {day.day}"
    return Story(
        token,
        f"Federal agent shoots a man in {city}",
        (
            f"A federal immigration agent shot and wounded a man in {city}, {state}, on {on} "
            "during an arrest, the Department of Homeland Security said.",
            "The man was taken to a hospital, a spokesperson for the department said.",
        ),
    )


def quiet_story(token: str) -> Story:
    """A backlog article that matches nothing (its analysis is cheap and alerts nothing)."""
    return Story(
        token,
        "City council approves the library budget",
        ("The city council approved next year's library budget on a 7-2 vote.",),
    )


def story_page(story: Story) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(story.title)}</title></head>"
        f"<body><article><h1>{escape(story.title)}</h1>{body}</article></body></html>"
    ).encode()


@dataclass(frozen=True, slots=True)
class Entry:
    token: str
    url: str
    title: str
    published_at: datetime


class BenchFeed:
    """One loopback feed: an RSS document listing its newest entries. A busy feed's backlog
    is dated at its pace back from its first request, so its first poll already sees the
    pace (a real feed has a history; the daemon's start-up time must not look like one)."""

    def __init__(
        self, outlet: Outlet, name: str, kind: str, *, gap_s: float, hub_url: str | None
    ) -> None:
        self.outlet, self.name, self.kind, self.gap_s = outlet, name, kind, gap_s
        self.path = f"/{name}/feed.xml"
        self.entries: list[Entry] = []  # newest first
        self._backlog_ready = False
        self._lock = threading.Lock()
        headers = {"Link": f'<{hub_url}>; rel="hub", <{self.url}>; rel="self"'} if hub_url else {}
        outlet.server.route(
            self.path,
            Route(
                stream=lambda: [self.document()],
                content_type="application/rss+xml; charset=utf-8",
                headers=headers,
            ),
        )

    @property
    def url(self) -> str:
        return self.outlet.server.base_url + self.path

    def hits(self) -> int:
        return self.outlet.server.hits(self.path)

    def document(self) -> bytes:
        with self._lock:
            if not self._backlog_ready:
                self._backlog_ready = True
                self.entries.extend(self._backlog(datetime.now(UTC)))
            listed = self.entries[:FEED_WINDOW]
        items = "".join(
            f"<item><title>{escape(e.title)}</title><link>{escape(e.url)}</link>"
            f"<guid isPermaLink='false'>urn:bench:{e.token}</guid>"
            f"<pubDate>{format_datetime(e.published_at, usegmt=True)}</pubDate></item>"
            for e in listed
        )
        return (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{self.name}</title><link>{self.outlet.server.base_url}/</link>"
            f"<description>bench feed</description>{items}</channel></rss>"
        ).encode()

    def _backlog(self, now: datetime) -> list[Entry]:
        if self.kind == "quiet":  # twice a week, the last a fortnight ago
            count, newest, gap = QUIET_BACKLOG, now - timedelta(days=14), timedelta(days=3.5)
        else:
            count, newest, gap = BUSY_BACKLOG, now, timedelta(seconds=self.gap_s)
        return [
            self.outlet.serve(quiet_story(f"bl-{self.name}-{n}"), newest - n * gap)
            for n in range(count)
        ]

    def publish(self, story: Story) -> Entry:
        """Serve the story's page, then list it first: from then on it is visible."""
        entry = self.outlet.serve(story, datetime.now(UTC))
        with self._lock:
            self.entries.insert(0, entry)
        return entry


class Outlet:
    """The loopback server every feed and page is served from."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server

    def serve(self, story: Story, published_at: datetime) -> Entry:
        url = self.server.route(f"/news/{story.token}.html", Route(body=story_page(story)))
        return Entry(story.token, url, story.title, published_at)


# -- Slack, the hub, the daemon ----------------------------------------------------------


class TimedSlack(FakeSlack):
    """The fake Slack, noting when a chat.postMessage carrying a token first arrived."""

    def __init__(self) -> None:
        super().__init__(expected_token=TOKEN)
        self.arrivals: dict[str, float] = {}  # token -> time.monotonic() on arrival

    def answer_api(self, method: str, authorization: str | None, body: dict[str, Any]) -> Any:
        arrived = time.monotonic()
        answer = super().answer_api(method, authorization, body)
        if method == "chat.postMessage" and answer.status == 200 and '"ok": true' in answer.body:
            for token in TOKEN_PATTERN.findall(json.dumps(body)):
                with self._lock:
                    self.arrivals.setdefault(token, arrived)
        return answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Scale:
    """The bench's intervals, in seconds of bench time, and what they stand for."""

    min_s: float
    tick_s: float
    delivery_s: float

    @property
    def factor(self) -> float:
        """Production seconds per bench second."""
        return PRODUCTION_MIN_S / self.min_s

    @property
    def max_s(self) -> float:
        return PRODUCTION_MAX_S / self.factor

    @property
    def new_feed_min(self) -> float:
        return PRODUCTION_NEW_FEED_MIN / self.factor


@contextmanager
def daemon(workdir: Path, env: Mapping[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m monitor run` in its own process group; SIGTERM (then SIGKILL) on exit."""
    log: IO[bytes] = (workdir / "daemon.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run"],
        env=dict(env),
        cwd=workdir,  # no stray .env file is read
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout_s:.0f} s; see the daemon log")
        time.sleep(WAIT_POLL_S)


# -- one run ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Published:
    token: str
    kind: str  # busy-polled | busy-pushed
    visible_at: float  # time.monotonic()
    measured: bool  # published inside the measured window


@dataclass
class RunResult:
    mode: str
    window_s: float
    published: list[Published]
    arrivals: dict[str, float]
    feed_hits: dict[str, int]  # kind -> feed requests in the window
    page_hits: int
    feeds_by_kind: dict[str, int]
    notes: list[str] = field(default_factory=list)
    # The daemon's own monitor_alert_latency_seconds{kind="new_incident"}: (count, sum).
    daemon_histogram: tuple[float, float] | None = None

    def latencies(self, kind: str) -> list[float]:
        return [
            self.arrivals[p.token] - p.visible_at
            for p in self.published
            if p.measured and p.kind == kind and p.token in self.arrivals
        ]

    def missing(self, kind: str) -> int:
        return sum(
            1
            for p in self.published
            if p.measured and p.kind == kind and p.token not in self.arrivals
        )


def feed_kinds() -> list[str]:
    """The kind of each of the 20 feeds: busy ones first, the pushed among them first."""
    return ["busy-pushed"] * PUSHED + ["busy-polled"] * (BUSY - PUSHED) + ["quiet"] * (FEEDS - BUSY)


def run_mode(
    mode: str,
    scale: Scale,
    *,
    warmup_s: float,
    measure_s: float,
    gap_s: tuple[float, float],
    seed: int,
    kinds: Sequence[str] | None = None,
) -> RunResult:
    """One daemon on a fresh database against fresh feeds: warm up, publish, measure."""
    adaptive = mode == "adaptive"
    kinds = list(kinds or feed_kinds())
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-freshness-{mode}-") as tmp,
        LoopbackServer() as server,
        TimedSlack() as slack,
    ):
        workdir = Path(tmp)
        hub = LoopbackHub()
        hub_server = _serve_hub(hub)
        try:
            outlet = Outlet(server)
            feeds = [
                BenchFeed(
                    outlet,
                    f"feed{i:02d}",
                    kind,
                    gap_s=sum(gap_s) / 2,
                    hub_url=hub.url if kind == "busy-pushed" else None,
                )
                for i, kind in enumerate(kinds)
            ]
            rules_dir = write_rules(
                workdir, feeds, fixed_min=None if adaptive else scale.min_s / 60
            )
            port = free_port()
            settings = {
                "MONITOR_MIN_INTERVAL_S": f"{scale.min_s:g}",
                "MONITOR_MAX_INTERVAL_S": f"{scale.max_s:g}",
                "MONITOR_DEFAULT_INTERVAL_MIN": f"{scale.new_feed_min:g}",
                "MONITOR_TICK_S": f"{scale.tick_s:g}",
                "MONITOR_DELIVERY_INTERVAL_S": f"{scale.delivery_s:g}",
                "MONITOR_HEALTH_HOST": "127.0.0.1",
                "MONITOR_HEALTH_PORT": str(port),
                "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
                "MONITOR_FIRST_POLL_IS_BASELINE": "true",
                "SLACK_BOT_TOKEN": TOKEN,
                "MONITOR_SLACK_CHANNEL": CHANNEL,
                "MONITOR_SLACK_BASE_URL": slack.base_url,
            }
            if adaptive:
                settings["MONITOR_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
            env = monitor_env(
                database_url=f"sqlite:///{workdir / 'monitor.db'}",
                workdir=workdir,
                rules_dir=rules_dir,
                **settings,
            )
            with daemon(workdir, env) as process:

                def alive() -> bool:
                    return process.poll() is None

                wait_for(
                    lambda: not alive() or all(f.hits() for f in feeds), 120, "every feed polled"
                )
                backlog = [p for p in server._routes if p.startswith("/news/bl-")]
                wait_for(
                    lambda: not alive() or all(server.hits(p) for p in backlog),
                    120,
                    "every backlog page fetched",
                )
                pushed = [f for f in feeds if f.kind == "busy-pushed"]
                if adaptive:
                    wait_for(
                        lambda: not alive() or all(f.url in hub.subscribers for f in pushed),
                        120,
                        "the hub feeds subscribed",
                    )
                if not alive():
                    raise RuntimeError(f"the daemon exited; see {workdir / 'daemon.log'}")
                time.sleep(scale.min_s)  # the backlog's analysis settles
                result = publish_and_measure(
                    mode,
                    feeds,
                    hub if adaptive else None,
                    slack,
                    rng=rng,
                    today=today,
                    warmup_s=warmup_s,
                    measure_s=measure_s,
                    gap_s=gap_s,
                    drain_s=10 * scale.min_s + 20,
                )
                if not alive():
                    result.notes.append("the daemon exited during the run")
                result.daemon_histogram = alert_latency_histogram(port)
        finally:
            hub_server.shutdown()
            hub_server.server_close()
    return result


def alert_latency_histogram(port: int) -> tuple[float, float] | None:
    """(count, sum) of the daemon's monitor_alert_latency_seconds for new_incident alerts,
    from its /metrics; None when it cannot be read."""
    try:
        status, text = http_get(port, "/metrics")
    except OSError:
        return None
    values: dict[str, float] = {}
    for line in text.splitlines() if status == 200 else []:
        for part in ("count", "sum"):
            prefix = f'monitor_alert_latency_seconds_{part}{{kind="new_incident"}} '
            if line.startswith(prefix):
                values[part] = float(line.removeprefix(prefix))
    return (values["count"], values["sum"]) if len(values) == 2 else None


def write_rules(workdir: Path, feeds: Sequence[BenchFeed], *, fixed_min: float | None) -> Path:
    """The shipped rules with these feeds; `fixed_min`: each feed's own interval."""
    rules_dir = make_rules_dir(workdir, {feed.name: feed.url for feed in feeds})
    if fixed_min is not None:
        entries = "".join(
            f"  - name: {f.name}\n    url: '{f.url}'\n    interval: {fixed_min!r}\n" for f in feeds
        )
        (rules_dir / "feeds.yaml").write_text(f"feeds:\n{entries}", "utf-8")
    return rules_dir


def publish_and_measure(
    mode: str,
    feeds: Sequence[BenchFeed],
    hub: LoopbackHub | None,
    slack: TimedSlack,
    *,
    rng: random.Random,
    today: date,
    warmup_s: float,
    measure_s: float,
    gap_s: tuple[float, float],
    drain_s: float,
) -> RunResult:
    """Publish on the busy feeds at random gaps for warm-up + measure seconds, count the
    feed requests over the measured window, then wait for the measured entries' posts."""
    busy = [(i, f) for i, f in enumerate(feeds) if f.kind != "quiet"]
    start = time.monotonic()
    window = (start + warmup_s, start + warmup_s + measure_s)
    due = {i: start + rng.uniform(0, gap_s[1]) for i, _ in busy}
    published: list[Published] = []
    hits_at_start: dict[str, int] | None = None
    story_index = 0
    with ThreadPoolExecutor(4, "hub") as notifier:
        while (now := time.monotonic()) < window[1]:
            if hits_at_start is None and now >= window[0]:
                hits_at_start = hits_by_kind(feeds)
            index, when = min(due.items(), key=lambda item: item[1])
            if when > now:
                time.sleep(min(when - now, WAIT_POLL_S))
                continue
            feed = feeds[index]
            token = f"fz-{mode}-{index}-{story_index}"
            feed.publish(shooting_story(token, story_index, today))
            visible_at = time.monotonic()
            story_index += 1
            if hub is not None and feed.kind == "busy-pushed":
                notifier.submit(hub.publish, feed.url, feed.document())
            published.append(Published(token, feed.kind, visible_at, window[0] <= visible_at))
            due[index] = when + rng.uniform(*gap_s)
        hits_at_end = hits_by_kind(feeds)
    measured = {p.token for p in published if p.measured}
    deadline = time.monotonic() + drain_s
    while time.monotonic() < deadline and not measured <= slack.arrivals.keys():
        time.sleep(WAIT_POLL_S)
    start_hits = hits_at_start or {}
    counts: dict[str, int] = {}
    for feed in feeds:
        counts[feed.kind] = counts.get(feed.kind, 0) + 1
    return RunResult(
        mode,
        window[1] - window[0],
        published,
        dict(slack.arrivals),
        {kind: hits_at_end[kind] - start_hits.get(kind, 0) for kind in hits_at_end},
        feeds[0].outlet.server.hits() - sum(f.hits() for f in feeds),
        counts,
    )


def hits_by_kind(feeds: Sequence[BenchFeed]) -> dict[str, int]:
    hits: dict[str, int] = {}
    for feed in feeds:
        hits[feed.kind] = hits.get(feed.kind, 0) + feed.hits()
    return hits


# -- the figures -------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(value: float | None, unit: float) -> float | None:
    return None if value is None else round(value / unit, 3)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def per_feed_per_hour(result: RunResult, scale: Scale, kinds: Sequence[str] | None = None) -> float:
    """Feed requests per feed per hour of production time (one bench s = factor s)."""
    chosen = kinds or list(result.feeds_by_kind)
    hits = sum(result.feed_hits.get(kind, 0) for kind in chosen)
    feeds = sum(result.feeds_by_kind.get(kind, 0) for kind in chosen)
    return hits / max(feeds, 1) / (result.window_s * scale.factor) * 3600


def summary(adaptive: RunResult, fixed: RunResult, scale: Scale) -> dict[str, Any]:
    polled = adaptive.latencies("busy-polled")
    fixed_polled = fixed.latencies("busy-polled")
    pushed = adaptive.latencies("busy-pushed")
    adaptive_hits = sum(adaptive.feed_hits.values())
    fixed_hits = sum(fixed.feed_hits.values())
    return {
        "p95_over_min_interval": ratio(percentile(polled, 95), scale.min_s),
        "fixed_p95_over_min_interval": ratio(percentile(fixed_polled, 95), scale.min_s),
        "requests_ratio": round(
            (adaptive_hits / adaptive.window_s) / max(fixed_hits / fixed.window_s, 1e-9), 3
        ),
        "push_p95_s": rounded(percentile(pushed, 95)),
        "p50_over_min_interval": ratio(percentile(polled, 50), scale.min_s),
        "fixed_p50_over_min_interval": ratio(percentile(fixed_polled, 50), scale.min_s),
        "push_p50_s": rounded(percentile(pushed, 50)),
        "fixed_hub_feeds_p95_over_min_interval": ratio(
            percentile(fixed.latencies("busy-pushed"), 95), scale.min_s
        ),
        "requests_per_feed_per_hour": round(per_feed_per_hour(adaptive, scale), 2),
        "fixed_requests_per_feed_per_hour": round(per_feed_per_hour(fixed, scale), 2),
        "requests_per_feed_per_hour_by_kind": {
            kind: round(per_feed_per_hour(adaptive, scale, [kind]), 2)
            for kind in adaptive.feeds_by_kind
        },
        "entries": {
            "busy_polled": len(polled),
            "pushed": len(pushed),
            "fixed_busy_polled": len(fixed_polled),
            "missing": sum(r.missing(k) for r in (adaptive, fixed) for k in r.feeds_by_kind),
        },
        "daemon_histogram_mean_s": {
            r.mode: rounded(r.daemon_histogram[1] / r.daemon_histogram[0])
            for r in (adaptive, fixed)
            if r.daemon_histogram and r.daemon_histogram[0]
        },
        "min_interval_s": scale.min_s,
        "max_interval_s": scale.max_s,
        "tick_s": scale.tick_s,
        "delivery_interval_s": scale.delivery_s,
        "production_s_per_bench_s": scale.factor,
        "window_s": round(adaptive.window_s, 1),
        "targets_met": {
            "latency": _at_most(percentile(polled, 95), 1.2 * scale.min_s),
            "requests": adaptive_hits / adaptive.window_s <= 0.3 * fixed_hits / fixed.window_s,
            "push": _at_most(percentile(pushed, 95), 3.0),
        },
    }


def _at_most(value: float | None, bound: float) -> bool:
    return value is not None and value <= bound


def report_lines(figures: dict[str, Any], adaptive: RunResult, fixed: RunResult) -> list[str]:
    unit = f"x min interval ({figures['min_interval_s']:g} s)"
    return [
        f"busy polled feeds, adaptive: p50 {figures['p50_over_min_interval']} "
        f"p95 {figures['p95_over_min_interval']} {unit} "
        f"({figures['entries']['busy_polled']} entries)",
        f"busy polled feeds, fixed:    p50 {figures['fixed_p50_over_min_interval']} "
        f"p95 {figures['fixed_p95_over_min_interval']} {unit} "
        f"({figures['entries']['fixed_busy_polled']} entries)",
        f"hub feeds, adaptive (push):  p50 {figures['push_p50_s']} s "
        f"p95 {figures['push_p95_s']} s ({figures['entries']['pushed']} entries); "
        f"the same feeds polled at the fixed minimum: p95 "
        f"{figures['fixed_hub_feeds_p95_over_min_interval']} {unit}",
        f"feed requests per feed per hour (production time): adaptive "
        f"{figures['requests_per_feed_per_hour']} "
        f"{figures['requests_per_feed_per_hour_by_kind']}, fixed "
        f"{figures['fixed_requests_per_feed_per_hour']}; ratio {figures['requests_ratio']}",
        f"page requests: adaptive {adaptive.page_hits}, fixed {fixed.page_hits}; entries "
        f"never posted: {figures['entries']['missing']}",
        f"the daemon's own monitor_alert_latency_seconds (new_incident), mean s: "
        f"{figures['daemon_histogram_mean_s']} (from the feed's pubDate, whole seconds)",
        *(f"note ({r.mode}): {note}" for r in (adaptive, fixed) for note in r.notes),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-interval-s", type=float, default=2.0)
    parser.add_argument(
        "--tick-s", type=float, help="MONITOR_TICK_S (default: 30 s scaled, 0.5 at min 2)"
    )
    parser.add_argument(
        "--delivery-interval-s",
        type=float,
        help="MONITOR_DELIVERY_INTERVAL_S (default: 10 s scaled, 0.17 at min 2)",
    )
    parser.add_argument("--warmup-s", type=float, default=10.0)
    parser.add_argument("--measure-s", type=float, default=120.0)
    parser.add_argument(
        "--gap-s", type=float, nargs=2, default=(1.0, 2.0), metavar=("LOW", "HIGH"),
        help="a busy feed publishes after a gap drawn uniformly from LOW..HIGH s",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    factor = PRODUCTION_MIN_S / args.min_interval_s
    scale = Scale(
        args.min_interval_s,
        args.tick_s or round(PRODUCTION_TICK_S / factor, 3),
        args.delivery_interval_s or round(PRODUCTION_DELIVERY_S / factor, 3),
    )
    runs = {
        mode: run_mode(
            mode,
            scale,
            warmup_s=args.warmup_s,
            measure_s=args.measure_s,
            gap_s=tuple(args.gap_s),
            seed=args.seed,
        )
        for mode in ("adaptive", "fixed")
    }
    figures = summary(runs["adaptive"], runs["fixed"], scale)
    for line in report_lines(figures, runs["adaptive"], runs["fixed"]):
        print(line)
    print(json.dumps(figures, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
