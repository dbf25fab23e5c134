"""Faults around real `monitor run` processes: PostgreSQL restarts, kill -9, Slack outages,
hostile feeds. After each, /healthz must answer 200 again.

What each hostile feed does, and `monitor once` against them, is in tests/test_hostile_feeds.py.
"""

from __future__ import annotations

import json
import os
import signal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import make_rules_dir
from tests.fakeslack import FakeReply, FakeSlack
from tests.loopback import LoopbackServer
from tests.pgserver import PgServer
from tests.test_hostile_feeds import hostile_routes
from tests.test_replicas import (
    FOLLOW_UPS,
    Fleet,
    Replica,
    all_delivered,
    all_final,
    assert_each_alert_posted_once,
    engine,
    feed_articles,
    fleet,
    free_port,
    news_alerts,
    poll_first_while_empty,
    rows,
    serve_news,
    slack,
    wait_for,
    wait_for_more_cycles,
)

__all__ = ["engine", "fleet", "slack"]  # fixtures shared with tests/test_replicas.py


def extracted_count(engine: sa.Engine) -> int:
    return sum(1 for _, status, _ in feed_articles(engine) if status == "extracted")


def unanalysed(engine: sa.Engine) -> list[str]:
    """Extracted articles whose matches, claims and alerts were never written."""
    found = rows(
        engine, "SELECT url FROM article WHERE status = 'extracted' AND matched_at IS NULL"
    )
    return [str(url) for (url,) in found]


def holds_pending_work(engine: sa.Engine, replica: Replica) -> bool:
    """True once `replica` holds a lease on an article still waiting for its page."""
    if not feed_articles(engine):  # also: no schema yet
        return False
    held = rows(
        engine,
        "SELECT count(*) FROM article WHERE status = 'pending' AND lease_owner LIKE :owner",
        owner=f"%:{replica.process.pid}:%",
    )
    return bool(held and held[0][0])


def healthz(replica: Replica) -> tuple[int, dict[str, object]] | None:
    return replica.health()


def healthy(replica: Replica) -> bool:
    answer = replica.health()
    return answer is not None and answer[0] == 200


def wait_until_healthy(replica: Replica) -> None:
    wait_for(lambda: healthy(replica), 60, f"/healthz of {replica.name} to answer 200")


def problems(replica: Replica) -> list[dict[str, Any]]:
    """The warnings and errors in the replica's log so far, but for "Slack delivery is off"."""
    return [
        e
        for e in replica.log_events()
        if e.get("level") in {"warning", "error"}
        and not str(e.get("event")).startswith("Slack delivery is off")
    ]


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_restart_mid_cycle_loses_no_article_and_health_recovers(
    fleet: Fleet, engine: sa.Engine, loopback: LoopbackServer, pg_server: PgServer
) -> None:
    """PostgreSQL stopped mid-cycle: /healthz says 503 while it is down, the failure is logged,
    and once it is back every article is extracted and analysed and /healthz is 200 again."""
    feed, paths = serve_news(loopback, 16, [], delay_s=0.4)
    make_rules_dir(fleet.workdir, {"slow": feed})
    fleet.env["MONITOR_FETCH_CONCURRENCY"] = "2"
    replica = fleet.start("replica", health_port=free_port())
    wait_for(lambda: 2 <= extracted_count(engine) < len(paths) - 4, 60, "the cycle to be mid-way")
    logged_before = len(problems(replica))

    pg_server.stop()
    try:
        wait_for(
            lambda: (answer := healthz(replica)) is not None and answer[0] == 503,
            60,
            "/healthz to answer 503 while PostgreSQL is down",
        )
        down = healthz(replica)
        assert down is not None and down[1]["database"] is False
        # The cycle meets the dead server: a warning or error is logged before it comes back.
        wait_for(lambda: len(problems(replica)) > logged_before, 60, "the outage to be logged")
    finally:
        pg_server.start()

    wait_for(lambda: all_final(engine, len(paths)), 60, "every article to reach a final status")
    wait_until_healthy(replica)
    assert replica.process.poll() is None
    statuses = sorted(status for _, status, _ in feed_articles(engine))
    assert statuses == ["extracted"] * len(paths)
    assert unanalysed(engine) == []


@pytest.mark.postgres
@pytest.mark.slow
def test_kill_9_of_one_replica_mid_cycle_loses_no_article_and_posts_no_alert_twice(
    fleet: Fleet, engine: sa.Engine, loopback: LoopbackServer, slack: FakeSlack
) -> None:
    """One of two replicas is SIGKILLed while it holds leases: the other finishes its
    articles once their leases expire, and every alert reaches Slack exactly once."""
    feed, paths = serve_news(loopback, 20, list(FOLLOW_UPS), delay_s=0.3)
    make_rules_dir(fleet.workdir, {"desk": feed})
    fleet.use_slack(slack)
    fleet.env.update({"MONITOR_FETCH_CONCURRENCY": "2", "MONITOR_LEASE_TTL_S": "3"})
    fleet.cli("seed")
    poll_first_while_empty(fleet, loopback, paths)
    victim, survivor = fleet.start("victim"), fleet.start("survivor", health_port=free_port())

    wait_for(
        lambda: holds_pending_work(engine, victim),
        60,
        "the victim to lease pending articles",
        step_s=0.05,
    )
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.wait(10)

    wait_for(lambda: all_final(engine, len(paths)), 60, "every article to reach a final status")
    wait_for(lambda: all_delivered(engine), 60, "every alert to be delivered")
    wait_for_more_cycles([survivor])  # a duplicate post would have landed by then

    assert survivor.process.poll() is None
    wait_until_healthy(survivor)
    # The kill is visible: the survivor's log says whose lapsed leases it took over.
    takeovers = [e for e in survivor.log_events() if e.get("event") == "took over lapsed leases"]
    assert any(f":{victim.process.pid}:" in str(e.get("from_owner")) for e in takeovers)
    assert sorted(status for _, status, _ in feed_articles(engine)) == ["extracted"] * len(paths)
    assert unanalysed(engine) == []
    assert len(news_alerts(engine)) >= 3
    assert_each_alert_posted_once(engine, slack)


@pytest.mark.postgres
@pytest.mark.slow
def test_slack_down_keeps_alerts_pending_with_the_error_then_delivers_each_once(
    fleet: Fleet, engine: sa.Engine, loopback: LoopbackServer, slack: FakeSlack
) -> None:
    """While Slack answers 500, `monitor alerts --json` shows every alert pending, the one
    at the head of the outbox with its delivery error and the later ones waiting behind it;
    once Slack heals every alert is posted exactly once."""
    feed, paths = serve_news(loopback, 2, list(FOLLOW_UPS))
    make_rules_dir(fleet.workdir, {"desk": feed})
    fleet.use_slack(slack)
    fleet.env["MONITOR_DELIVERY_MAX_WAIT_S"] = "2"
    fleet.cli("seed")
    poll_first_while_empty(fleet, loopback, paths)
    slack.always_fail(FakeReply(status=500))
    replica = fleet.start("replica", health_port=free_port())

    def head_alert_failing() -> bool:
        alerts = news_alerts(engine) if feed_articles(engine) else []
        return bool(alerts) and alerts[0][2] is not None

    wait_for(lambda: all_final(engine, len(paths)), 60, "every article to reach a final status")
    wait_for(head_alert_failing, 30, "the first alert to record a delivery error")
    shown = sorted(
        (a for a in json.loads(fleet.cli("alerts", "--json")) if not a["seeded"]),
        key=lambda a: a["id"],
    )
    assert len(shown) >= 3
    assert {a["delivery_status"] for a in shown} == {"pending"}
    assert not any(a["delivered"] for a in shown)
    assert "HTTP 500" in shown[0]["delivery_error"]
    assert shown[0]["waiting_behind"] is None
    assert {a["waiting_behind"] for a in shown[1:]} == {shown[0]["id"]}
    listing = fleet.cli("alerts")
    assert f"[pending, waiting behind #{shown[0]['id']}]" in listing
    assert slack.messages == []
    # Slack's outage is shown in the outbox, not by /healthz: restarting the
    # daemon would not bring Slack back, and the cycles go on.
    assert healthy(replica)

    slack.heal()
    wait_for(lambda: all_delivered(engine), 60, "every alert to be delivered after the outage")
    wait_for_more_cycles([replica])  # a duplicate post would have landed by then
    assert replica.process.poll() is None
    assert healthy(replica)
    assert_each_alert_posted_once(engine, slack)
    after = [a for a in json.loads(fleet.cli("alerts", "--json")) if not a["seeded"]]
    assert {a["waiting_behind"] for a in after} == {None}


@pytest.mark.postgres
@pytest.mark.slow
def test_hostile_feeds_leave_the_daemon_healthy_and_their_errors_in_monitor_feeds(
    fleet: Fleet, engine: sa.Engine, loopback: LoopbackServer
) -> None:
    """A daemon polling every hostile feed beside a good one: each hostile feed's error is in
    `monitor feeds`, the good feed's articles are all extracted, /healthz answers 200."""
    good, paths = serve_news(loopback, 5, [])
    hostile = hostile_routes(loopback)
    make_rules_dir(
        fleet.workdir, {"good": good} | {name: url for name, (url, _) in hostile.items()}
    )
    # The private-address guard is on, as in production; only the test server is let through.
    fleet.env["MONITOR_ALLOW_PRIVATE_NETWORKS"] = "0"
    fleet.env["MONITOR_ALLOWED_HOSTS"] = f"127.0.0.1:{loopback.port}"
    replica = fleet.start("replica", health_port=free_port())
    wait_until_healthy(replica)  # it answers once it has created the tables `feeds` reads

    def feed_states() -> dict[str, dict[str, object]]:
        return {feed["name"]: feed for feed in json.loads(fleet.cli("feeds", "--json"))}

    wait_for(
        lambda: all(feed_states()[name]["last_error"] for name in hostile),
        60,
        "every hostile feed to record its error",
        step_s=1,
    )
    wait_for(lambda: all_final(engine, len(paths)), 30, "the good feed's articles")
    states = feed_states()
    for name, (_, word) in hostile.items():
        assert word.lower() in str(states[name]["last_error"]).lower(), name
    assert states["good"]["last_error"] is None
    assert sorted(status for _, status, _ in feed_articles(engine)) == ["extracted"] * len(paths)
    wait_until_healthy(replica)
    assert replica.process.poll() is None


@pytest.mark.postgres
@pytest.mark.slow
def test_sigterm_hands_leases_back_so_a_rolling_restart_does_not_wait_for_them(
    fleet: Fleet, engine: sa.Engine, loopback: LoopbackServer
) -> None:
    """A replica stopped with SIGTERM mid-cycle exits 0 and releases the work it had leased:
    the next replica finishes it with no takeover, long before the 600 s lease would lapse."""
    feed, paths = serve_news(loopback, 16, [], delay_s=0.4)
    make_rules_dir(fleet.workdir, {"desk": feed})
    # A lease far longer than the wait below: waiting for one to lapse fails the wait.
    fleet.env.update({"MONITOR_FETCH_CONCURRENCY": "2", "MONITOR_LEASE_TTL_S": "600"})
    old = fleet.start("old")

    wait_for(
        lambda: holds_pending_work(engine, old),
        60,
        "the old replica to lease pending articles",
        step_s=0.05,
    )
    old.process.send_signal(signal.SIGTERM)
    assert old.process.wait(60) == 0
    assert rows(engine, "SELECT count(*) FROM article WHERE lease_owner IS NOT NULL") == [(0,)]
    assert rows(engine, "SELECT count(*) FROM feed WHERE lease_owner IS NOT NULL") == [(0,)]

    new = fleet.start("new")
    wait_for(lambda: all_final(engine, len(paths)), 300, "every article to reach a final status")
    assert sorted(status for _, status, _ in feed_articles(engine)) == ["extracted"] * len(paths)
    assert not [e for e in new.log_events() if e.get("event") == "took over lapsed leases"]
