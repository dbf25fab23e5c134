"""The root of the command line: the Typer app and its global options (--debug, --verbose),
and what every command shares: its settings and logging, dates from options, and how an
error becomes one line on stderr and the documented exit code."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from monitor import __version__
from monitor.cli.existing import NoDatabaseError
from monitor.cli.output import print_plain, stderr, stdout
from monitor.errors import ConfigError, MonitorError, database_full_error
from monitor.redact import redact_text

if TYPE_CHECKING:  # settings import pydantic and SQLAlchemy: only commands that run need them
    from monitor.config import Settings

# A read-only command (alerts, claims, articles, feeds, incidents) found no database yet.
EXIT_NO_DATABASE = 4

app = typer.Typer(
    help="Watch news feeds for coverage of tracked incidents and alert editors in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: rich's help formatter imports markdown and traceback support
    # (0.15 s of a 0.4 s budget for `monitor --help`), and plain text pipes cleanly.
    rich_markup_mode=None,
    # Wide terminals get each command's whole first sentence in the command list.
    context_settings={"max_content_width": 120},
)


@dataclass
class _State:
    debug: bool = False
    verbose: bool = False


_state = _State()


def _print_version(wanted: bool) -> None:
    if wanted:
        print_plain(stdout, f"monitor {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every feed and article, not just failures.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    _state.debug, _state.verbose = debug, verbose


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn MonitorError (and a full database disk) into one line on stderr and the
    documented exit code."""
    try:
        yield
    except MonitorError as exc:
        if _state.debug:
            raise
        _print_error(exc)
        raise typer.Exit(_exit_code(exc)) from exc
    except Exception as exc:
        full = database_full_error(exc)
        if full is None or _state.debug:
            raise
        _print_error(full)
        raise typer.Exit(1) from exc


def _exit_code(exc: MonitorError) -> int:
    if isinstance(exc, NoDatabaseError):
        return EXIT_NO_DATABASE
    return 2 if isinstance(exc, ConfigError) else 1


def _print_error(exc: BaseException) -> None:
    print_plain(stderr, f"error: {redact_text(str(exc))}")


def command_settings(*, daemon: bool = False) -> Settings:
    """The settings, with logging set up: the daemon logs at MONITOR_LOG_LEVEL, a one-off
    command only errors unless --verbose."""
    from monitor.config import load_settings
    from monitor.service.logs import configure_logging

    settings = load_settings()
    level = settings.log_level if (daemon or _state.verbose) else "ERROR"
    configure_logging(level)
    from monitor.service.startup import unknown_variable_warnings  # typos in MONITOR_* names

    for warning in unknown_variable_warnings():
        if daemon:  # the daemon's stderr is its log: keep it one JSON object per line
            logging.getLogger("monitor.config").warning(warning)
        else:
            print_plain(stderr, f"warning: {warning}")
    return settings


def parse_when(value: str | None, *, option: str) -> datetime | None:
    """An ISO-8601 date or datetime from the command line, as UTC (dates mean midnight UTC);
    None when the option was not given."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO-8601 date or time, e.g. 2026-01-08 or 2026-01-08T14:15:00Z",
            param_hint=option,
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
