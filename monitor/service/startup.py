"""What the daemon checks and says before it starts: settings nobody reads (typos), the
one-line summary of where it stores, reads and posts, and the wait for a database that is
not up yet (PostgreSQL starting beside it, or a short outage during a restart).

Light imports only: the command line imports this module for every command.
"""

from __future__ import annotations

import difflib
import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import AliasChoices

from monitor.config import Settings, shown_database_url
from monitor.errors import ConfigError
from monitor.redact import redact_text

log = logging.getLogger(__name__)

PREFIX = "MONITOR_"
# Waits between tries: doubling from the first, never longer than the last.
FIRST_WAIT_S = 1.0
LONGEST_WAIT_S = 30.0
# What PostgreSQL says when it refuses a login: waiting will not fix a password. psycopg
# gives connection failures no SQLSTATE, so the server's words are all there is.
_LOGIN_REFUSED = ("password authentication failed", "no pg_hba.conf entry", 'role "')


def known_variables() -> frozenset[str]:
    """Every variable name monitor reads: MONITOR_* per setting and the aliases
    (SLACK_BOT_TOKEN, SLACK_BOT_TOKEN_FILE)."""
    names: set[str] = set()
    for field_name, info in Settings.model_fields.items():
        names.add(f"MONITOR_{field_name.upper()}")
        if isinstance(info.validation_alias, AliasChoices):
            names.update(str(choice) for choice in info.validation_alias.choices)
    return frozenset(names)


def unknown_variable_warnings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[str]:
    """One warning per MONITOR_* variable, in the environment or the .env file, that no
    setting reads (a typo such as MONITOR_DATABSE_URL), naming the closest known one."""
    names = set(os.environ if environ is None else environ)
    if env_file is not None and env_file.is_file():
        names.update(name for name in dotenv_values(env_file) if name)
    known = known_variables()
    # Compared without the prefix, which every name shares and would make all look alike.
    by_suffix = {name.removeprefix(PREFIX): name for name in known}
    warnings = []
    for name in sorted(names):
        if not name.upper().startswith(PREFIX) or name.upper() in known:
            continue
        suffix = name.upper().removeprefix(PREFIX)
        closest = difflib.get_close_matches(suffix, by_suffix, n=1, cutoff=0.6)
        hint = f"did you mean {by_suffix[closest[0]]}?" if closest else "no setting is close;"
        warnings.append(
            f"unknown setting {name} is ignored; {hint} "
            "(the README's configuration table lists every setting)"
        )
    return warnings


def slack_target(settings: Settings) -> str:
    """Where alerts go, safe to log: the channel (bot token) or the webhook's host, never
    the token nor the webhook's path (both are secrets)."""
    if settings.slack_bot_token.strip():
        return f"channel {settings.slack_channel.strip() or '(none)'}"
    if settings.slack_webhook_url.strip():
        return f"webhook on {urlsplit(settings.slack_webhook_url.strip()).hostname}"
    return "off (no SLACK_BOT_TOKEN or MONITOR_SLACK_WEBHOOK_URL): alerts are kept, not sent"


def start_summary(settings: Settings) -> dict[str, object]:
    """The fields of the daemon's start log line: where it stores, reads and posts."""
    return {
        "database": shown_database_url(settings.resolved_database_url),
        "data_dir": str(settings.data_dir),
        "rules_dir": str(settings.rules_dir),
        "slack": slack_target(settings),
        "replicas": settings.replicas,
    }


def connect_once(url: str) -> None:
    """Open one connection to `url` and run SELECT 1; SQLAlchemy's error if it fails."""
    import sqlalchemy as sa  # heavy: only the daemon's start needs it

    from monitor.store.engine import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()


def wait_for_database(
    url: str,
    wait_s: float,
    *,
    probe: Callable[[str], None] = connect_once,
    sleep: Callable[[float], bool],
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Try the database until it answers (True), backing off from 1 s to 30 s between
    tries and logging each wait; False when `sleep` reports a stop request.

    `sleep(seconds)` returns True when the daemon is asked to stop (threading.Event.wait).
    A refused login raises ConfigError at once; an unreachable database raises ConfigError
    once `wait_s` seconds have passed. Messages show the URL with its password masked.
    """
    shown = shown_database_url(url)
    started = clock()
    delay = FIRST_WAIT_S
    while True:
        try:
            probe(url)
            return True
        except Exception as exc:  # the driver's errors vary; each is a reason to log
            reason = _reason(exc)
            if _login_refused(exc):
                raise ConfigError(
                    f"the database {shown} refused the login ({reason}); "
                    "check the user and password in MONITOR_DATABASE_URL"
                ) from exc
            waited = clock() - started
            if waited >= wait_s:
                raise ConfigError(
                    f"the database {shown} did not answer within {wait_s:g} s "
                    f"(MONITOR_DATABASE_WAIT_S): {reason}; check MONITOR_DATABASE_URL and "
                    "that the database is running"
                ) from exc
            pause = min(delay, wait_s - waited)
            log.warning(
                "database unreachable; waiting",
                extra={
                    "database": shown,
                    "reason": reason,
                    "retry_in_s": round(pause, 1),
                    "waited_s": round(waited, 1),
                    "wait_limit_s": wait_s,
                },
            )
            if sleep(pause):
                return False
            delay = min(delay * 2, LONGEST_WAIT_S)


def _reason(exc: BaseException) -> str:
    """The driver's own words (the first line), with any URL in them masked."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return redact_text(lines[0] if lines else type(original).__name__)


def _login_refused(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", None) or exc)
    return any(words in text for words in _LOGIN_REFUSED) and "FATAL" in text
