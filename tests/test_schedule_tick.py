"""A poll without a hint is due half a tick early, so the daemon's tick nearest its
interval polls it (not the tick after): pure, on fixed times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.pipeline.schedule import Plan, Reason, due_at_the_nearest_tick

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def _plan(interval_s: float, reason: Reason) -> Plan:
    return Plan(interval_s, reason, NOW + timedelta(seconds=interval_s))


def test_a_rate_plan_is_due_half_a_tick_before_its_interval_ends() -> None:
    """120 s with a 30 s tick: due after 105 s, so the fourth tick polls it (not the
    fifth, which would make every interval 150 s); the interval itself is unchanged."""
    for reason in (Reason.RATE, Reason.NEW, Reason.OWN, Reason.PUSH):
        plan = due_at_the_nearest_tick(_plan(120, reason), tick_s=30)
        assert (plan.interval_s, plan.next_due_at) == (120, NOW + timedelta(seconds=105))


def test_a_hint_or_a_backoff_is_never_anticipated() -> None:
    """An outlet's floor and an error's backoff stay exactly where they were set."""
    for reason in (Reason.HINT, Reason.BACKOFF):
        assert due_at_the_nearest_tick(_plan(1800, reason), tick_s=30) == _plan(1800, reason)


def test_a_tick_longer_than_the_interval_brings_the_poll_forward_by_half_the_interval() -> None:
    """A 10 s interval under a 60 s tick is due after 5 s: never at once, never earlier."""
    plan = due_at_the_nearest_tick(_plan(10, Reason.RATE), tick_s=60)
    assert plan.next_due_at == NOW + timedelta(seconds=5)
