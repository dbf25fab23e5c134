"""Settings read once from the environment (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.errors import ConfigError
from monitor.redact import redact_url

DEFAULT_DATA_DIR = Path("data")
DEFAULT_RECHECK_SCHEDULE = "10m,1h,6h,24h"
DEFAULT_PAGE_RETRY_SCHEDULE = "2m,10m,1h"
DEFAULT_DELIVERY_GIVE_UP_AFTER = "1h"
# The drivers monitor ships: SQLite's built-in one and psycopg 3 for PostgreSQL.
SUPPORTED_DATABASE_DRIVERS = frozenset(
    {"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"}
)
DATABASE_URL_EXAMPLE = "sqlite:///data/monitor.db or postgresql://user:pass@host:5432/db"
WEBHOOK_URL_EXAMPLE = "https://hooks.slack.com/services/T000/B000/XXXX"

_DURATION = re.compile(r"(\d+)\s*([smhd])", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_delays(text: str, *, example: str) -> tuple[timedelta, ...]:
    """A schedule setting such as '10m,1h,6h,24h' -> its delays, increasing.

    Units are s, m, h and d; an empty setting means no delays at all. Raises
    ValueError naming the bad item and showing `example`.
    """
    if not text.strip():
        return ()
    delays: list[timedelta] = []
    for raw in text.split(","):
        item = raw.strip()
        found = _DURATION.fullmatch(item)
        if found is None:
            raise ValueError(
                f"schedule {text!r}: item {item!r} is not a delay; write a whole number "
                f"and a unit (s, m, h or d) per item, e.g. {example!r}"
            )
        delay = timedelta(seconds=int(found.group(1)) * _UNIT_S[found.group(2).lower()])
        if delay <= timedelta(0):
            raise ValueError(
                f"schedule {text!r}: item {item!r} is zero; every delay must be "
                f"positive, e.g. {example!r}"
            )
        if delays and delay <= delays[-1]:
            raise ValueError(
                f"schedule {text!r}: item {item!r} is not later than the one before it; "
                f"list the delays in increasing order, e.g. {example!r}"
            )
        delays.append(delay)
    return tuple(delays)


def parse_duration(text: str, *, example: str) -> timedelta:
    """A duration setting such as '24h' (units s, m, h, d) -> a positive timedelta.

    Raises ValueError naming the bad value and showing `example`.
    """
    delays = parse_delays(text, example=example) if text.strip() else ()
    if len(delays) != 1:
        raise ValueError(
            f"{text!r} is not a duration; write one whole number and a unit "
            f"(s, m, h or d), e.g. {example!r}"
        )
    return delays[0]


def database_url_problem(url: str) -> str | None:
    """Why `url` cannot be monitor's database URL, or None. Never quotes a password."""
    shown = redact_url(url)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return f"{shown!r} is not a database URL; use e.g. {DATABASE_URL_EXAMPLE}"
    except ValueError:  # SQLAlchemy parses the port with int()
        return f"{shown!r} has a port that is not a number; use e.g. {DATABASE_URL_EXAMPLE}"
    if parsed.drivername not in SUPPORTED_DATABASE_DRIVERS:
        return (
            f"{shown!r} uses the driver {parsed.drivername!r}; monitor supports "
            f"sqlite:/// and postgresql:// URLs, e.g. {DATABASE_URL_EXAMPLE}"
        )
    return None


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot be a Slack incoming-webhook URL, or None. Never quotes the URL: it
    is a secret. http:// is accepted only for a loopback host (a test's fake Slack)."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    fix = f"use the URL Slack gave, e.g. {WEBHOOK_URL_EXAMPLE}"
    if parts is None or not port_ok:
        return f"not a valid URL (bad port or brackets); {fix}"
    if any(char.isspace() for char in url):
        return f"the URL contains spaces; {fix}"
    if parts.scheme not in ("http", "https"):
        return f"the URL must start with https://; {fix}"
    if not parts.hostname:
        return f"the URL has no host; {fix}"
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)):
        return None
    return f"the URL must start with https:// (http:// only for a loopback test server); {fix}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Every knob monitor reads; the README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    rules_dir: Path = Path("rules")
    seeds_dir: Path = Path("seeds")

    allow_private_networks: bool = False
    allowed_hosts: str = ""

    user_agent: str = "monitor/0.1 (newsroom feed monitor)"
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    total_timeout_s: float = Field(default=60.0, gt=0)
    max_feed_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_page_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    fetch_concurrency: int = Field(default=8, ge=1, le=64)
    extract_workers: int = Field(default=1, ge=1, le=32)
    tick_s: float = Field(default=30.0, gt=0)
    default_interval_min: float = Field(default=15.0, gt=0)
    max_backoff_min: float = Field(default=24 * 60.0, gt=0)
    # Per article: how long its analysis may take, and how much of its text is analysed.
    analysis_budget_s: float = Field(default=10.0, gt=0)
    max_analysed_chars: int = Field(default=200_000, ge=1_000)

    log_level: str = "INFO"

    slack_bot_token: str = Field(
        default="", validation_alias=AliasChoices("SLACK_BOT_TOKEN", "MONITOR_SLACK_BOT_TOKEN")
    )
    slack_channel: str = ""
    slack_base_url: str = ""
    slack_webhook_url: str = ""
    delivery_interval_s: float = Field(default=10.0, gt=0)
    delivery_max_wait_s: float = Field(default=30.0, ge=0)
    delivery_max_attempts: int = Field(default=10, ge=1)
    delivery_give_up_after: str = DEFAULT_DELIVERY_GIVE_UP_AFTER

    health_host: str = "0.0.0.0"  # the container's probe comes from outside
    health_port: int = Field(default=8080, ge=0, le=65535)
    stale_after_s: float = Field(default=900.0, gt=0)
    shutdown_grace_s: float = Field(default=8.0, gt=0)
    lease_ttl_s: float = Field(default=30.0, ge=3)
    recheck_schedule: str = DEFAULT_RECHECK_SCHEDULE
    page_retry_schedule: str = DEFAULT_PAGE_RETRY_SCHEDULE

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        problem = database_url_problem(value) if value.strip() else None
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    @field_validator("slack_webhook_url")
    @classmethod
    def _valid_webhook_url(cls, value: str) -> str:
        problem = webhook_url_problem(value.strip()) if value.strip() else None
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    @field_validator("delivery_give_up_after")
    @classmethod
    def _valid_give_up_after(cls, value: str) -> str:
        parse_duration(value, example=DEFAULT_DELIVERY_GIVE_UP_AFTER)
        return value

    @field_validator("recheck_schedule")
    @classmethod
    def _valid_recheck_schedule(cls, value: str) -> str:
        parse_delays(value, example=DEFAULT_RECHECK_SCHEDULE)  # names the bad item
        return value

    @field_validator("page_retry_schedule")
    @classmethod
    def _valid_page_retry_schedule(cls, value: str) -> str:
        parse_delays(value, example=DEFAULT_PAGE_RETRY_SCHEDULE)
        return value

    @property
    def recheck_delays(self) -> tuple[timedelta, ...]:
        """When matched articles are re-fetched, counted from publication."""
        return parse_delays(self.recheck_schedule, example=DEFAULT_RECHECK_SCHEDULE)

    @property
    def page_retry_delays(self) -> tuple[timedelta, ...]:
        """When a page that failed for a passing reason is fetched again, counted from
        each failure; one retry per delay."""
        return parse_delays(self.page_retry_schedule, example=DEFAULT_PAGE_RETRY_SCHEDULE)

    @property
    def delivery_give_up_delay(self) -> timedelta:
        """How long after its first failed try an alert that keeps failing for a passing
        reason may hold up the outbox (given MONITOR_DELIVERY_MAX_ATTEMPTS tries too)."""
        return parse_duration(self.delivery_give_up_after, example=DEFAULT_DELIVERY_GIVE_UP_AFTER)

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'monitor.db'}"

    @property
    def allowed_host_list(self) -> frozenset[str]:
        """Hosts (or host:port pairs) exempt from the private-address guard."""
        return frozenset(
            item.strip().lower() for item in self.allowed_hosts.split(",") if item.strip()
        )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value becomes a ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates the values
    except ValidationError as exc:
        problems = "; ".join(
            f"MONITOR_{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
