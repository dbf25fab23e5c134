"""An alert Slack keeps refusing for a passing reason holds the outbox only for a bounded time.

The real outbox (the 24 alerts the seed articles raise as news), the fake Slack
on loopback refusing one alert with HTTP 500, and the injected clock: the
retry waits advance the clock instead of sleeping.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.notify.delivery import DeliveryReport, format_duration
from monitor.store import Database, DeliveryStatus
from tests.fakeslack import FakeReply, FakeSlack, _Answer, _api_failure
from tests.test_delivery import (  # noqa: F401  # news_db is a fixture
    TOKEN,
    alert_ids,
    copy_db,
    news_db,
    open_delivery,
    opened,
    pending,
    slack_settings,
)


class RefusingSlack(FakeSlack):
    """The fake Slack, answering HTTP 500 (retryable) to every post of one alert."""

    refused_alert: int | None = None

    def answer_api(self, method: str, authorization: str | None, body: dict[str, Any]) -> _Answer:
        marker = re.compile(rf"\bAlert {self.refused_alert}\b")
        if self.refused_alert is not None and marker.search(json.dumps(body)):
            with self._lock:
                self._requests += 1
            return _api_failure(FakeReply(status=500))
        return super().answer_api(method, authorization, body)


class Clock:
    """The injected clock; the delivery's retry waits move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 10, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def refusing_slack() -> Any:
    with RefusingSlack(expected_token=TOKEN) as fake:
        yield fake


def test_an_alert_failing_past_both_bounds_is_failed_with_the_reason_and_later_ones_go_out(
    news_db: Path,  # noqa: F811  # the fixture imported above
    refusing_slack: RefusingSlack,
    tmp_path: Path,
    opened: list[Database],  # noqa: F811
) -> None:
    """The head holds the outbox until 3 tries over 10 min; then it fails and the rest go out."""
    settings = slack_settings(
        tmp_path,
        copy_db(news_db, tmp_path),
        refusing_slack,
        delivery_max_attempts=3,
        delivery_give_up_after="10m",
    )
    clock = Clock()
    delivery, database = open_delivery(settings, opened, clock=clock, sleep=clock.sleep)
    expected = [a.alert_id for a in pending(database)]
    head = expected[0]
    refusing_slack.refused_alert = head

    first = delivery.deliver_pending()

    assert first.delivered == first.failed == 0  # tries enough, but not yet 10 minutes
    assert first.retried >= 3
    assert refusing_slack.messages == []
    held = pending(database)[0]
    assert held.alert_id == head and held.first_failed_at == datetime(2026, 1, 10, 12, tzinfo=UTC)

    clock.now += timedelta(minutes=10)
    second = delivery.deliver_pending()

    assert second == DeliveryReport(delivered=len(expected) - 1, failed=1, retried=1)
    assert alert_ids(refusing_slack.messages) == expected[1:]
    [failed] = [a for a in database.alerts() if a.alert_id == head]
    assert failed.delivery_status == DeliveryStatus.FAILED
    tries = first.retried + 1
    over = format_duration(clock.now - datetime(2026, 1, 10, 12, tzinfo=UTC))
    assert failed.last_error is not None
    assert failed.last_error.startswith(f"gave up after {tries} tries over {over}: ")
    assert "HTTP 500" in failed.last_error


def test_a_requeued_alert_that_gave_up_starts_its_count_afresh_and_is_delivered(
    news_db: Path,  # noqa: F811
    refusing_slack: RefusingSlack,
    tmp_path: Path,
    opened: list[Database],  # noqa: F811
) -> None:
    """--retry-failed resets the tries and the clock; once Slack accepts it, it is delivered."""
    settings = slack_settings(
        tmp_path,
        copy_db(news_db, tmp_path),
        refusing_slack,
        delivery_max_attempts=1,
        delivery_give_up_after="1s",
    )
    clock = Clock()
    delivery, database = open_delivery(settings, opened, clock=clock, sleep=clock.sleep)
    head = pending(database)[0].alert_id
    refusing_slack.refused_alert = head
    delivery.deliver_pending()  # tries at 0 s, 0.5 s and 1.5 s: past 1 s, it gave up
    assert [a.alert_id for a in database.alerts() if a.delivery_status == "failed"] == [head]

    assert database.requeue_failed() == 1
    [requeued] = [a for a in database.alerts() if a.alert_id == head]
    assert (requeued.attempts, requeued.first_failed_at) == (0, None)
    refusing_slack.refused_alert = None
    assert delivery.deliver_pending() == DeliveryReport(delivered=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("24h", timedelta(hours=24)), ("90s", timedelta(seconds=90)), ("2d", timedelta(days=2))],
)
def test_give_up_after_reads_a_duration_with_a_unit(value: str, expected: timedelta) -> None:
    """MONITOR_DELIVERY_GIVE_UP_AFTER takes one whole number and a unit, like the schedules."""
    assert load_settings(delivery_give_up_after=value).delivery_give_up_delay == expected


@pytest.mark.parametrize("value", ["", "10", "1h,2h", "0m", "soon"])
def test_a_bad_give_up_after_is_a_configuration_error_naming_the_setting(value: str) -> None:
    """A value that is not one positive duration stops start-up with the setting's name."""
    with pytest.raises(ConfigError, match="MONITOR_DELIVERY_GIVE_UP_AFTER"):
        load_settings(delivery_give_up_after=value)


def test_max_attempts_must_be_at_least_one() -> None:
    """MONITOR_DELIVERY_MAX_ATTEMPTS=0 would give up before trying: refused at start-up."""
    with pytest.raises(ConfigError, match="MONITOR_DELIVERY_MAX_ATTEMPTS"):
        load_settings(delivery_max_attempts=0)


def test_durations_in_messages_show_the_two_largest_units() -> None:
    """The 'over D' of a give-up reads like a person would write it."""
    assert format_duration(timedelta(seconds=45)) == "45s"
    assert format_duration(timedelta(minutes=10, seconds=31)) == "10m 31s"
    assert format_duration(timedelta(days=1, hours=2, minutes=3)) == "1d 2h"
    assert format_duration(timedelta(0)) == "0s"
