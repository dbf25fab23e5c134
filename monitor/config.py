"""Settings read once from the environment (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
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


def normalise_database_url(url: str) -> str:
    """`url` as SQLAlchemy must read it: `postgres://` (Heroku's, libpq's spelling) becomes
    `postgresql+psycopg://`, and a raw `@` in a PostgreSQL password is percent-encoded.

    SQLAlchemy's make_url splits userinfo from host at the *first* `@`, so
    `postgresql://u:p@ss@db/x` would connect to host `ss@db` with password `p`. The
    host never contains `@`, so the last `@` of the authority is the separator.
    """
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme.lower().startswith("postgres"):
        return url
    if scheme.lower() == "postgres":  # postgresql:// the engine maps to psycopg itself
        scheme = "postgresql+psycopg"
    path_at = rest.find("/", rest.rfind("@") + 1)
    authority = rest if path_at < 0 else rest[:path_at]
    if authority.count("@") > 1:
        userinfo, _, host = authority.rpartition("@")
        user, colon, password = userinfo.partition(":")
        # unquote first: an already percent-encoded password stays as it was.
        userinfo = user + colon + quote(unquote(password), safe="")
        rest = f"{userinfo}@{host}" + ("" if path_at < 0 else rest[path_at:])
    return f"{scheme}://{rest}"


def shown_database_url(url: str) -> str:
    """A database URL as logs and messages show it: the password masked as ***."""
    import sqlalchemy as sa  # lazily: every command reads settings, few need SQLAlchemy

    try:
        return sa.make_url(normalise_database_url(url)).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return redact_url(url)


def database_url_problem(url: str) -> str | None:
    """Why `url` cannot be monitor's database URL, or None. Never quotes a password."""
    import sqlalchemy as sa  # lazily: every command reads settings, few need SQLAlchemy

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


def zone_problem(name: str) -> None:
    """Raise ValueError with the fix when `name` is not an IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{name!r} is not a time zone; use an IANA name such as America/Chicago, "
            "Europe/Berlin or UTC"
        ) from exc


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


_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def web_login_problem(settings: Settings) -> str | None:
    """Why the desk may not serve as configured, or None: an address other than loopback
    needs MONITOR_WEB_PASSWORD(_FILE) or MONITOR_WEB_TRUSTED_HEADER."""
    host = settings.web_host.strip()
    if _is_loopback(host) or settings.web_password or settings.web_trusted_header:
        return None
    return (
        f"MONITOR_WEB_HOST={host} lets other machines reach the desk, which needs a login: "
        "set MONITOR_WEB_PASSWORD (or MONITOR_WEB_PASSWORD_FILE), or MONITOR_WEB_TRUSTED_HEADER "
        "to the header your reverse proxy sets to the logged-in user (e.g. X-Forwarded-User), "
        "or serve on MONITOR_WEB_HOST=127.0.0.1"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class SecretFile:
    """A setting that may come from a file instead: NAME or NAME_FILE, never both."""

    name: str  # the variable, e.g. MONITOR_DATABASE_URL
    value_keys: tuple[str, ...]  # how pydantic-settings hands the value to validators
    file_keys: tuple[str, ...]


SECRET_FILES = (
    SecretFile("MONITOR_DATABASE_URL", ("database_url",), ("database_url_file",)),
    SecretFile(
        "SLACK_BOT_TOKEN",
        ("SLACK_BOT_TOKEN", "MONITOR_SLACK_BOT_TOKEN", "slack_bot_token"),
        ("SLACK_BOT_TOKEN_FILE", "MONITOR_SLACK_BOT_TOKEN_FILE", "slack_bot_token_file"),
    ),
    SecretFile("MONITOR_SLACK_WEBHOOK_URL", ("slack_webhook_url",), ("slack_webhook_url_file",)),
    SecretFile(
        "SLACK_APP_TOKEN",
        ("SLACK_APP_TOKEN", "MONITOR_SLACK_APP_TOKEN", "slack_app_token"),
        ("SLACK_APP_TOKEN_FILE", "MONITOR_SLACK_APP_TOKEN_FILE", "slack_app_token_file"),
    ),
    SecretFile(
        "MONITOR_SLACK_SIGNING_SECRET", ("slack_signing_secret",), ("slack_signing_secret_file",)
    ),
    SecretFile("MONITOR_WEB_PASSWORD", ("web_password",), ("web_password_file",)),
)
MAX_SECRET_FILE_BYTES = 64 * 1024


def _first_set(values: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of `keys` with a non-blank value, as text; None if none is set."""
    for key in keys:
        value = values.get(key)
        if value is not None and str(value).strip():
            return str(value)
    return None


def read_secret_file(variable: str, path: str) -> str:
    """The content of a secret file without its trailing newline; ValueError naming the
    variable and the fix when it cannot be read or is empty. Never quotes the content."""
    try:
        with open(path.strip(), "rb") as handle:
            raw = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise ValueError(
            f"{variable}={path.strip()}: cannot read it ({exc.strerror or exc}); mount the "
            f"secret at that path (readable by uid {os.getuid()}) or unset {variable}"
        ) from exc
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise ValueError(f"{variable}={path.strip()}: larger than 64 KB; is it the right file?")
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{variable}={path.strip()}: not UTF-8 text; is it the right file?"
        ) from exc
    if not text.strip():
        raise ValueError(f"{variable}={path.strip()}: the file is empty; put the secret in it")
    return text


class Settings(BaseSettings):
    """Every knob monitor reads; the README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    # A file holding the URL (a mounted secret), read at start; see SECRET_FILES.
    database_url_file: str = ""
    # Seconds the daemon waits for an unreachable PostgreSQL at start before giving up.
    database_wait_s: float = Field(default=300.0, ge=0)
    # How many replicas run against this database; above 1 needs PostgreSQL.
    replicas: int = Field(default=1, ge=1)
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
    # A feed without its own interval and without history yet (see pipeline.schedule).
    default_interval_min: float = Field(default=15.0, gt=0)
    max_backoff_min: float = Field(default=24 * 60.0, gt=0)
    # The bounds of the adaptive schedule: a busy feed is polled every min, a quiet one
    # every max; server hints (max-age, ttl, ...) are floors capped at max.
    min_interval_s: float = Field(default=120.0, gt=0)
    max_interval_s: float = Field(default=3600.0, gt=0)
    # Per article: how long its analysis may take, and how much of its text is analysed.
    analysis_budget_s: float = Field(default=10.0, gt=0)
    max_analysed_chars: int = Field(default=200_000, ge=1_000)

    log_level: str = "INFO"
    # The newsroom's time zone (IANA name): how tables and Slack show times; JSON stays UTC.
    timezone: str = "UTC"

    slack_bot_token: str = Field(
        default="", validation_alias=AliasChoices("SLACK_BOT_TOKEN", "MONITOR_SLACK_BOT_TOKEN")
    )
    slack_bot_token_file: str = Field(
        default="",
        validation_alias=AliasChoices("SLACK_BOT_TOKEN_FILE", "MONITOR_SLACK_BOT_TOKEN_FILE"),
    )
    slack_channel: str = ""
    slack_base_url: str = ""
    slack_webhook_url: str = ""
    slack_webhook_url_file: str = ""
    # Triage from Slack (the alert buttons): the app-level token opens Socket Mode, the
    # signing secret verifies clicks posted to /slack/actions on the health server.
    slack_app_token: str = Field(
        default="", validation_alias=AliasChoices("SLACK_APP_TOKEN", "MONITOR_SLACK_APP_TOKEN")
    )
    slack_app_token_file: str = Field(
        default="",
        validation_alias=AliasChoices("SLACK_APP_TOKEN_FILE", "MONITOR_SLACK_APP_TOKEN_FILE"),
    )
    slack_signing_secret: str = ""
    slack_signing_secret_file: str = ""
    delivery_interval_s: float = Field(default=10.0, gt=0)
    delivery_max_wait_s: float = Field(default=30.0, ge=0)
    delivery_max_attempts: int = Field(default=10, ge=1)
    delivery_give_up_after: str = DEFAULT_DELIVERY_GIVE_UP_AFTER

    health_host: str = "0.0.0.0"  # the container's probe comes from outside
    health_port: int = Field(default=8080, ge=0, le=65535)
    stale_after_s: float = Field(default=900.0, gt=0)
    # Where the health server is reachable from outside (behind the operator's ingress):
    # WebSub hubs call back there and Slack alerts link to the desk's pages under it.
    public_url: str = ""
    # The WebSub lease asked of a hub (the hub decides; renewed before it runs out).
    websub_lease_s: int = Field(default=10 * 24 * 3600, ge=600, le=365 * 24 * 3600)
    # /healthz says degraded (still 200) past these: the share of feeds failing, and how
    # long the oldest failing alert has been failing.
    degraded_feed_share: float = Field(default=0.5, ge=0, le=1)
    # The desk (monitor/web/): off unless a port is set (0: any free port). Any host but
    # loopback needs a login: a password (HTTP Basic) or a reverse proxy's user header.
    web_port: int | None = Field(default=None, ge=0, le=65535)
    web_host: str = "127.0.0.1"
    web_password: str = ""
    web_password_file: str = ""  # a mounted secret; see SECRET_FILES
    web_trusted_header: str = ""
    degraded_delivery_s: float = Field(default=1800.0, gt=0)
    shutdown_grace_s: float = Field(default=8.0, gt=0)
    lease_ttl_s: float = Field(default=30.0, ge=3)
    # A new feed's first successful poll queues its entries as baseline, not news.
    first_poll_is_baseline: bool = True
    recheck_schedule: str = DEFAULT_RECHECK_SCHEDULE
    page_retry_schedule: str = DEFAULT_PAGE_RETRY_SCHEDULE

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        """Each `*_FILE` setting replaces its value by the file's content (a mounted secret)."""
        if not isinstance(data, dict):
            return data
        values = dict(data)
        for secret in SECRET_FILES:
            path = _first_set(values, secret.file_keys)
            if path is None:
                continue
            if _first_set(values, secret.value_keys) is not None:
                raise ValueError(
                    f"{secret.name} and {secret.name}_FILE are both set; keep one "
                    f"(the file is for a mounted secret)"
                )
            values[secret.value_keys[0]] = read_secret_file(f"{secret.name}_FILE", path)
        return values

    @model_validator(mode="after")
    def _replicas_need_postgresql(self) -> Self:
        if self.replicas > 1 and self.resolved_database_url.startswith("sqlite"):
            raise ValueError(
                f"MONITOR_REPLICAS={self.replicas} needs PostgreSQL: replicas on SQLite "
                "would each use their own pod-local file; set MONITOR_DATABASE_URL="
                "postgresql://user:pass@host:5432/db, or run one replica (MONITOR_REPLICAS=1)"
            )
        return self

    @model_validator(mode="after")
    def _interval_bounds_in_order(self) -> Self:
        if self.min_interval_s > self.max_interval_s:
            raise ValueError(
                f"MONITOR_MIN_INTERVAL_S ({self.min_interval_s:g}) is above "
                f"MONITOR_MAX_INTERVAL_S ({self.max_interval_s:g}); set the minimum at or "
                "below the maximum"
            )
        return self

    @model_validator(mode="after")
    def _web_login_off_loopback(self) -> Self:
        problem = web_login_problem(self) if self.web_port is not None else None
        if problem is not None:
            raise ValueError(problem)
        return self

    @field_validator("web_port", mode="before")
    @classmethod
    def _blank_port_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("web_trusted_header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if value.strip() and not _HEADER_NAME.fullmatch(value.strip()):
            raise ValueError(
                f"{value!r} is not an HTTP header name; name the header your reverse proxy "
                "sets to the logged-in user, e.g. X-Forwarded-User"
            )
        return value.strip()

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_is_app_level(cls, value: str) -> str:
        token = value.strip()
        if token and not token.startswith("xapp-"):
            raise ValueError(
                "not an app-level token; create one under Basic Information > App-Level "
                "Tokens with the connections:write scope (it starts with xapp-)"
            )
        return token

    @model_validator(mode="after")
    def _triage_needs_the_bot_token(self) -> Self:
        receives = self.slack_app_token or self.slack_signing_secret.strip()
        if receives and not self.slack_bot_token.strip():
            raise ValueError(
                "SLACK_APP_TOKEN or MONITOR_SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is "
                "not: triage buttons need the bot token (alerts are posted with it, and each "
                "click is acknowledged in its thread); set SLACK_BOT_TOKEN or unset them"
            )
        return self

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        if url and not url.startswith(("https://", "http://")):
            raise ValueError(
                f"MONITOR_PUBLIC_URL must start with https:// (or http://), got {value!r}; "
                "set it to the address outside callers use, e.g. https://monitor.example.org"
            )
        return url

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("use one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        zone_problem(value.strip())
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        url = normalise_database_url(value.strip())
        problem = database_url_problem(url) if url else None
        if problem is not None:
            raise ValueError(problem)
        return url

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
    def zone(self) -> ZoneInfo:
        """MONITOR_TIMEZONE as a zone (validated when the settings were read)."""
        return ZoneInfo(self.timezone)

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
        problems = "; ".join(_describe_error(err["loc"], err["msg"]) for err in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc


def _describe_error(loc: tuple[int | str, ...], message: str) -> str:
    if not loc:  # a rule across settings: its message names the variables itself
        return message.removeprefix("Value error, ")
    name = ".".join(str(part) for part in loc)
    # An alias (SLACK_BOT_TOKEN) is the variable's own name; a field name gets the prefix.
    return f"{name if name.isupper() else 'MONITOR_' + name.upper()}: {message}"
