"""The daemon: an APScheduler 3 loop that runs the pipeline on schedule.

APScheduler only ticks; which feeds are due lives in the database, so a
restart picks up exactly where the last run stopped. Rules are reloaded when
a file in the rules folder changes. SIGTERM or SIGINT sets a stop flag: the
cycle in hand finishes its current feed or page, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.analysis import load_rule_set
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.pipeline import Pipeline, open_pipeline

log = logging.getLogger(__name__)


class RulesWatcher:
    """Reloads rules/*.yaml when a file changes; a broken edit keeps the last good rules."""

    def __init__(self, rules_dir: Path, pipeline: Pipeline) -> None:
        self.rules_dir = rules_dir
        self.pipeline = pipeline
        self.signature = rules_signature(rules_dir)
        self.last_error: str | None = None

    def reload_if_changed(self) -> None:
        signature = rules_signature(self.rules_dir)
        if signature == self.signature:
            return
        self.signature = signature
        try:
            self.pipeline.rule_set = load_rule_set(self.rules_dir)
        except ConfigError as exc:
            self.last_error = str(exc)
            log.error("rules invalid; keeping the last good rules", extra={"error": str(exc)})
            return
        self.last_error = None
        log.info("rules reloaded", extra={"rules_dir": str(self.rules_dir)})


def rules_signature(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every rule file: cheap change detection."""
    files = sorted(rules_dir.glob("*.yaml"))
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file())


def _run_cycle(pipeline: Pipeline, watcher: RulesWatcher) -> None:
    try:
        watcher.reload_if_changed()
        pipeline.run_cycle(pipeline.rule_set.rules.feeds)
    except Exception:  # one bad cycle must not end the daemon; the next tick retries
        log.exception("cycle failed")


def run_daemon(settings: Settings, *, stop: threading.Event | None = None) -> None:
    """Poll due feeds every MONITOR_TICK_S seconds until stopped."""
    stop = stop or threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    # Invalid rules or an unreachable database raise ConfigError before anything starts.
    with open_pipeline(settings, stop=stop) as pipeline:
        watcher = RulesWatcher(settings.rules_dir, pipeline)
        scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        scheduler.add_job(
            _run_cycle,
            "interval",
            args=(pipeline, watcher),
            seconds=settings.tick_s,
            next_run_time=datetime.now(UTC),
            id="cycle",
        )
        scheduler.start()
        log.info(
            "daemon started",
            extra={"feeds": len(pipeline.rule_set.rules.feeds), "tick_s": settings.tick_s},
        )
        stop.wait()
        scheduler.shutdown(wait=True)
    log.info("daemon stopped")
