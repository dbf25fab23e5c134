"""The exceptions monitor reports to its user.

MonitorError
 +-- ConfigError        bad settings or files: exit 2 at start-up
 |    +-- RuleError     a rules/*.yaml problem (file, line, fix)
 +-- FetchError         one feed or page failed; the cycle goes on
 |    +-- BlockedAddressError   the URL resolves to a non-public address
 |    +-- ResponseTooLargeError the body exceeds its byte cap
 +-- ExtractionError    a page gave no usable text
 +-- AnalysisBudgetError an article's analysis outran its time budget (recorded on it)
 +-- DeliveryError      Slack refused or timed out
 +-- DatabaseFullError  the database's disk is full: exit 1; the daemon retries
"""

from __future__ import annotations

import errno
import sqlite3

# PostgreSQL's SQLSTATE for "disk full" (class 53: insufficient resources).
_PG_DISK_FULL = "53100"


class MonitorError(Exception):
    """Base for errors monitor reports to its user."""


class ConfigError(MonitorError):
    """Invalid settings or configuration files; the command cannot start."""


class RuleError(ConfigError):
    """A rules/*.yaml file is invalid; the message names file, line and fix."""


class FetchError(MonitorError):
    """A feed or page could not be fetched; only that feed or page is affected."""


class TransientFetchError(FetchError):
    """A failure worth another try later: a timeout, a refused or broken connection,
    HTTP 408, 429 or 5xx."""


class BlockedAddressError(FetchError):
    """The URL resolves to a loopback, private or otherwise non-public address."""


class ResponseTooLargeError(FetchError):
    """The response body (after decompression) exceeds the configured cap."""


class ExtractionError(MonitorError):
    """A page was fetched but yielded no article text."""


class AnalysisBudgetError(MonitorError):
    """An article's analysis outran MONITOR_ANALYSIS_BUDGET_S, or one rule pattern its time
    limit; the article is recorded as analysis_failed and not tried again."""


class DeliveryError(MonitorError):
    """An alert could not be delivered to Slack."""


class DatabaseFullError(MonitorError):
    """The database (or the disk under it) is full; nothing is lost, the work stays
    pending and the next cycle retries once space is freed."""


def database_full_error(exc: BaseException) -> DatabaseFullError | None:
    """A DatabaseFullError when `exc` (or an error it wraps) says the database's disk is
    full: SQLite's SQLITE_FULL, PostgreSQL's disk_full, or ENOSPC; else None."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _is_disk_full(current):
            return DatabaseFullError(
                f"the database's disk is full ({_first_line(current)}); free space, "
                "monitor retries on its next cycle (unfinished work stays pending)"
            )
        wrapped = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError
        pending += [current.__cause__, current.__context__]
        if isinstance(wrapped, BaseException):
            pending.append(wrapped)
    return None


def _is_disk_full(exc: BaseException) -> bool:
    if (
        isinstance(exc, sqlite3.Error)
        and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    ):
        return True  # also what SQLite reports when PRAGMA max_page_count is reached
    if getattr(exc, "sqlstate", None) == _PG_DISK_FULL:
        return True
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
