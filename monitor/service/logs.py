"""Logging setup: readable lines at a terminal, one JSON object per line elsewhere.

Both formats pass every message, field and traceback through `redact_text`, so
a password in a feed URL or a hostile 20 KB link never reaches the logs,
whichever module logged it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from monitor.redact import redact_text

# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extra_fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: _redacted(v) for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


def _redacted(value: object) -> object:
    """Strings with URLs shown safely; other values as they are (numbers stay numbers)."""
    return redact_text(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line with stable snake_case keys, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact_text(record.getMessage()),
        }
        payload.update(_extra_fields(record))
        if record.exc_info:
            payload["exc_info"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(payload, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """`12:00:01 WARNING feed failed feed=ap error=...` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in _extra_fields(record).items())
        line = f"{when} {record.levelname:<7} {redact_text(record.getMessage())}"
        if fields:
            line = f"{line} {fields}"
        if record.exc_info:
            line = f"{line}\n{redact_text(self.formatException(record.exc_info))}"
        return line


def configure_logging(
    level: str, *, stream: TextIO | None = None, as_json: bool | None = None
) -> None:
    """Route monitor's logs to stderr, as JSON unless stderr is a terminal."""
    stream = stream or sys.stderr
    if as_json is None:
        as_json = not stream.isatty()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if as_json else ConsoleFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter (trafilatura warns on every odd page) stays out of INFO.
    for noisy in ("trafilatura", "htmldate", "courlan", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # APScheduler warns at every tick that finds the previous cycle still running,
    # which is normal for a long cycle; job failures are logged by our own jobs.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
