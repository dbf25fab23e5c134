"""The daemon: APScheduler 3 jobs around the pipeline, a health endpoint, clean shutdown.

APScheduler only ticks; which feeds are due and which alerts wait lives in the
database, so a restart picks up exactly where the last run stopped. Jobs:
`cycle` polls due feeds and processes the new articles, `deliver` sends the
outbox to Slack, `rules` reloads rule files that changed (keeping the last
good set when an edit is broken). Each job coalesces missed runs and never
runs twice at once. SIGTERM or SIGINT sets a stop flag: the step in hand
finishes, and the process exits 0 within MONITOR_SHUTDOWN_GRACE_S.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.analysis.engine import load_rule_set
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.metrics import METRICS, Metrics
from monitor.notify.delivery import Delivery, notifier_from_settings
from monitor.pipeline.cycle import Pipeline, load_start_baseline, open_pipeline
from monitor.service.health import HealthServer
from monitor.service.interactivity import interactivity_from_settings
from monitor.service.push_route import PushService, push_service, wake_cycle
from monitor.service.startup import start_summary, wait_for_database
from monitor.service.vitals import RulesFailure, Thresholds, Vitals
from monitor.web.server import web_server

log = logging.getLogger(__name__)

RULES_CHECK_S = 5.0


class RulesWatcher:
    """Reloads rules/*.yaml when a file changes; a broken edit keeps the last good rules."""

    def __init__(
        self, rules_dir: Path, pipeline: Pipeline, delivery: Delivery, metrics: Metrics
    ) -> None:
        self.rules_dir = rules_dir
        self.pipeline = pipeline
        self.delivery = delivery
        self.metrics = metrics
        self.signature = rules_signature(rules_dir)
        self.last_error: str | None = None
        # The refused reload /healthz reports (degraded) until a good edit loads.
        self.last_failure: RulesFailure | None = None

    def reload_if_changed(self) -> None:
        signature = rules_signature(self.rules_dir)
        if signature == self.signature:
            return
        self.signature = signature
        try:
            rule_set = load_rule_set(self.rules_dir)
        except ConfigError as exc:
            # A deleted feeds.yaml lands here too: polling goes on with the last good feeds.
            self.last_error = str(exc)
            self.last_failure = RulesFailure(datetime.now(UTC), str(exc))
            self.metrics.record_rules_reload_failure()
            log.error("rules invalid; keeping the last good rules", extra={"error": str(exc)})
            return
        self.pipeline.rule_set = self.delivery.rule_set = rule_set
        self.last_error = self.last_failure = None
        log.info("rules reloaded", extra={"rules_dir": str(self.rules_dir)})


def rules_signature(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every rule file: cheap change detection."""
    files = sorted(rules_dir.glob("*.yaml"))
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file())


def _run_cycle(pipeline: Pipeline, metrics: Metrics) -> None:
    started, succeeded = time.monotonic(), False
    try:
        pipeline.run_cycle(pipeline.rule_set.rules.feeds)
        succeeded = True
    except Exception:  # one bad cycle must not end the daemon; the next tick retries
        log.exception("cycle failed")
    finally:
        metrics.record_cycle(
            time.monotonic() - started, finished_at=datetime.now(UTC), succeeded=succeeded
        )


def _guarded(job: Callable[[], object], name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:  # a failing job is logged and retried at its next run
            log.exception("job failed", extra={"job": name})

    return run


def _health_server(
    settings: Settings,
    pipeline: Pipeline,
    scheduler: BackgroundScheduler,
    metrics: Metrics,
    watcher: RulesWatcher,
    push: PushService | None = None,
) -> HealthServer | None:
    """GET /healthz and /metrics on MONITOR_HEALTH_HOST:PORT; None when the port is 0."""
    if settings.health_port == 0:
        return None
    vitals = Vitals(
        pipeline.database,
        Thresholds.of(settings),
        metrics,
        clock=lambda: datetime.now(UTC),
        rules_failure=lambda: watcher.last_failure,
    )
    return HealthServer(
        settings.health_host,
        settings.health_port,
        check_database=pipeline.database.ping,
        scheduler_alive=lambda: bool(scheduler.running),
        last_success_at=lambda: metrics.last_success_at,
        stale_after_s=settings.stale_after_s,
        registry=metrics.registry,
        clock=lambda: datetime.now(UTC),
        assess_operations=vitals.reasons,
        routes=push.routes if push is not None else None,  # WebSub callbacks
    )


def _add_jobs(
    scheduler: BackgroundScheduler,
    settings: Settings,
    pipeline: Pipeline,
    delivery: Delivery,
    metrics: Metrics,
    push: PushService | None = None,
) -> RulesWatcher:
    watcher = RulesWatcher(settings.rules_dir, pipeline, delivery, metrics)
    now = datetime.now(UTC)
    jobs: list[tuple[str, Callable[[], None], float]] = [
        ("cycle", lambda: _run_cycle(pipeline, metrics), settings.tick_s),
        ("deliver", _guarded(delivery.deliver_pending, "deliver"), settings.delivery_interval_s),
        ("rules", _guarded(watcher.reload_if_changed, "rules"), RULES_CHECK_S),
    ]
    if push is not None:  # WebSub: subscribe feeds that advertise a hub, renew leases
        jobs.append(("push", _guarded(push.subscriber.run, "push"), settings.tick_s))
    for job_id, job, every_s in jobs:
        scheduler.add_job(job, "interval", seconds=every_s, next_run_time=now, id=job_id)
    return watcher


def _shut_down(scheduler: BackgroundScheduler, grace_s: float) -> bool:
    """Wait for running jobs to finish their step; False if they outlast the grace period."""
    waiter = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    waiter.start()
    waiter.join(grace_s)
    return not waiter.is_alive()


def run_daemon(
    settings: Settings, *, stop: threading.Event | None = None, metrics: Metrics = METRICS
) -> None:
    """Run the jobs until stopped; invalid rules or database raise ConfigError first. On
    PostgreSQL the database is waited for first (up to MONITOR_DATABASE_WAIT_S)."""
    stop = stop or threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    if not settings.resolved_database_url.startswith("sqlite"):
        # PostgreSQL may start after us (Compose, a pod beside its database) or be down for
        # a moment: wait for it, up to MONITOR_DATABASE_WAIT_S, rather than crash-loop.
        url = settings.resolved_database_url
        if not wait_for_database(url, settings.database_wait_s, sleep=stop.wait):
            log.info("daemon stopped")
            return
    with (
        open_pipeline(settings, stop=stop, metrics=metrics) as pipeline,
        # A notification wakes the cycle job; `scheduler` is bound below, before any arrives.
        push_service(
            settings,
            pipeline,
            metrics,
            wake=lambda: wake_cycle(scheduler, lambda: _run_cycle(pipeline, metrics)),
        ) as push,
    ):
        delivery = Delivery(
            settings,
            pipeline.database,
            pipeline.rule_set,
            notifier_from_settings(settings),
            stop=stop,
            metrics=metrics,
            owner=pipeline.owner,
        )
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        watcher = _add_jobs(scheduler, settings, pipeline, delivery, metrics, push)
        health = _health_server(settings, pipeline, scheduler, metrics, watcher, push)
        # Triage from Slack: the buttons' clicks over Socket Mode and/or /slack/actions.
        triage = interactivity_from_settings(
            settings, pipeline.database, delivery.notifier, now_s=time.time
        )
        metrics.count_feedback_with(pipeline.database.feedback_counts)
        if health is not None:
            health.routes.update(triage.routes)
            health.start()  # first: a taken port stops the start before any job runs
        # The desk's pages (MONITOR_WEB_PORT), reading what the pipeline stores.
        web = web_server(settings, pipeline.database, lambda: pipeline.rule_set)
        if web is not None:
            web.start()
        # An empty ledger gets the seeds' baseline before the first cycle: a quiet start.
        load_start_baseline(pipeline)
        scheduler.start()
        triage.start()
        log.info(
            "daemon started",
            extra={
                "feeds": len(pipeline.rule_set.rules.feeds),
                "tick_s": settings.tick_s,
                "health_port": health.port if health else None,
                "web_port": web.port if web else None,
                **start_summary(settings),
            },
        )
        # Wake every second: a SIGTERM the kernel hands to another thread only runs
        # its Python handler when the main thread next runs bytecode, and an untimed
        # wait would never return to do so.
        while not stop.wait(timeout=1.0):
            pass
        triage.stop()
        if health is not None:
            health.stop()
        if web is not None:
            web.stop()
        if not _shut_down(scheduler, settings.shutdown_grace_s):
            # Every write is its own committed transaction, so leaving now loses no
            # state: unfinished pages stay pending and are fetched at the next start.
            log.warning("in-flight work outlasted the grace period; exiting without it")
            logging.shutdown()
            os._exit(0)
    log.info("daemon stopped")
