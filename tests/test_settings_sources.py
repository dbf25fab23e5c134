"""Where settings come from and how they are checked: secrets from files (`*_FILE`), typos
in MONITOR_* names, postgres:// URLs and passwords with @, and MONITOR_REPLICAS."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import load_settings, shown_database_url
from monitor.errors import ConfigError
from monitor.service.startup import start_summary, unknown_variable_warnings
from monitor.store import Database
from tests.conftest import make_rules_dir
from tests.pgserver import PgServer

runner = CliRunner()
TOKEN = "xoxb-1234-from-a-file"


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    make_rules_dir(tmp_path, {})
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        **settings,
    }


def _secret(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / "secrets" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return str(path)


# -- secrets from files ------------------------------------------------------------------


def test_secrets_are_read_from_their_files_without_the_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SLACK_BOT_TOKEN_FILE, MONITOR_DATABASE_URL_FILE and MONITOR_SLACK_WEBHOOK_URL_FILE."""
    database = f"sqlite:///{tmp_path / 'from-file.db'}"
    webhook = "https://hooks.slack.com/services/T0/B0/fromafile"
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", _secret(tmp_path, "token", f"{TOKEN}\n"))
    monkeypatch.setenv("MONITOR_DATABASE_URL_FILE", _secret(tmp_path, "db", f"{database}\r\n"))
    monkeypatch.setenv("MONITOR_SLACK_WEBHOOK_URL_FILE", _secret(tmp_path, "hook", webhook))

    settings = load_settings()

    assert settings.slack_bot_token == TOKEN
    assert settings.resolved_database_url == database
    assert settings.slack_webhook_url == webhook


def test_a_command_uses_the_database_named_in_the_file(tmp_path: Path) -> None:
    """`monitor once` with MONITOR_DATABASE_URL_FILE creates and uses that database."""
    database = tmp_path / "from-file.db"
    url_file = _secret(tmp_path, "db", f"sqlite:///{database}\n")

    result = runner.invoke(app, ["once"], env=_env(tmp_path, MONITOR_DATABASE_URL_FILE=url_file))

    assert result.exit_code == 0, result.stderr
    assert database.exists()


@pytest.mark.parametrize(
    ("variable", "plain"),
    [
        ("SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
        ("MONITOR_DATABASE_URL", "MONITOR_DATABASE_URL"),
        ("MONITOR_SLACK_WEBHOOK_URL", "MONITOR_SLACK_WEBHOOK_URL"),
    ],
)
def test_a_variable_and_its_file_both_set_is_one_line_and_exit_2(
    tmp_path: Path, variable: str, plain: str
) -> None:
    """Setting both NAME and NAME_FILE is ambiguous: the command refuses, naming both."""
    values = {
        "SLACK_BOT_TOKEN": TOKEN,
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "MONITOR_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
    }
    env = _env(
        tmp_path,
        **{plain: values[variable], f"{variable}_FILE": _secret(tmp_path, "s", values[variable])},
    )

    result = runner.invoke(app, ["feeds"], env=env)

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line == (
        f"error: invalid settings: {variable} and {variable}_FILE are both set; keep one "
        "(the file is for a mounted secret)"
    )


def test_an_unreadable_secret_file_is_one_line_naming_the_variable_and_path(
    tmp_path: Path,
) -> None:
    """A missing file: exit 2, the variable, the path, the reason and the fix."""
    missing = tmp_path / "secrets" / "nope"

    result = runner.invoke(app, ["feeds"], env=_env(tmp_path, SLACK_BOT_TOKEN_FILE=str(missing)))

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: invalid settings: SLACK_BOT_TOKEN_FILE={missing}: cannot read")
    assert "No such file or directory" in line
    assert "mount the secret at that path" in line


def test_an_empty_secret_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file holding only a newline is an error, not an empty token."""
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", _secret(tmp_path, "token", "\n"))
    with pytest.raises(ConfigError, match="the file is empty"):
        load_settings()


def test_a_bad_url_from_a_file_is_reported_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's URL goes through the same check as the variable's, password masked."""
    monkeypatch.setenv(
        "MONITOR_DATABASE_URL_FILE", _secret(tmp_path, "db", "mysql://u:hunter2@db/x\n")
    )
    with pytest.raises(ConfigError, match="uses the driver 'mysql'") as raised:
        load_settings()
    assert "hunter2" not in str(raised.value)


# -- unknown variables ---------------------------------------------------------------------


def test_a_misspelt_variable_is_a_warning_with_the_closest_name(tmp_path: Path) -> None:
    """`monitor rules check` with MONITOR_DATABSE_URL warns on stderr and still runs."""
    env = _env(tmp_path, MONITOR_DATABSE_URL="postgresql://u:p@db/x")

    result = runner.invoke(app, ["rules", "check"], env=env)

    assert result.exit_code == 0, result.stderr
    assert (
        "warning: unknown setting MONITOR_DATABSE_URL is ignored; did you mean "
        "MONITOR_DATABASE_URL? (the README's configuration table lists every setting)"
    ) in result.stderr.splitlines()


def test_misspelt_names_in_the_env_file_are_found_too(tmp_path: Path) -> None:
    """A typo in .env is reported like one in the environment; known names are not."""
    env_file = tmp_path / ".env"
    env_file.write_text("MONITOR_SLACK_CHANEL=#news\nMONITOR_TICK_S=5\nOTHER=1\n", "utf-8")

    warnings = unknown_variable_warnings({"MONITOR_ZZZ_QQQ": "1", "PATH": "/bin"}, env_file)

    assert warnings == [
        "unknown setting MONITOR_SLACK_CHANEL is ignored; did you mean MONITOR_SLACK_CHANNEL? "
        "(the README's configuration table lists every setting)",
        "unknown setting MONITOR_ZZZ_QQQ is ignored; no setting is close; "
        "(the README's configuration table lists every setting)",
    ]


def test_every_documented_name_is_known() -> None:
    """The token's alias names and every *_FILE setting raise no warning."""
    names = {
        "SLACK_BOT_TOKEN": "x",
        "SLACK_BOT_TOKEN_FILE": "x",
        "MONITOR_SLACK_BOT_TOKEN": "x",
        "MONITOR_DATABASE_URL_FILE": "x",
        "MONITOR_SLACK_WEBHOOK_URL_FILE": "x",
        "MONITOR_DATABASE_WAIT_S": "x",
        "MONITOR_REPLICAS": "x",
    }
    assert unknown_variable_warnings(names, env_file=None) == []


# -- database URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://monitor:p@ss@db.internal:5432/monitor",  # raw @
        "postgresql://monitor:p%40ss@db.internal:5432/monitor",  # percent-encoded
        "postgres://monitor:p@ss@db.internal:5432/monitor",
    ],
    ids=["raw-at", "encoded-at", "postgres-scheme"],
)
def test_a_password_with_an_at_sign_reaches_the_driver_whole(url: str) -> None:
    """SQLAlchemy alone would read host 'ss@db.internal'; monitor splits at the last @."""
    settings = load_settings(database_url=url)
    parsed = sa.make_url(settings.database_url)

    assert (parsed.username, parsed.password, parsed.host) == ("monitor", "p@ss", "db.internal")
    assert (parsed.port, parsed.database) == (5432, "monitor")
    assert parsed.drivername in {"postgresql", "postgresql+psycopg"}


def test_the_start_summary_masks_the_password_and_hides_slack_secrets() -> None:
    """The start log's fields name database, folders and Slack target, never the secrets."""
    settings = load_settings(
        database_url="postgres://monitor:s3cr@t@db.internal/monitor",
        slack_webhook_url="https://hooks.slack.com/services/T0/B0/webhooksecret",
    )

    summary = start_summary(settings)

    assert summary["database"] == "postgresql+psycopg://monitor:***@db.internal/monitor"
    assert summary["slack"] == "webhook on hooks.slack.com"
    assert summary["data_dir"] == "data" and summary["rules_dir"] == "rules"
    assert "s3cr" not in str(summary) and "webhooksecret" not in str(summary)
    with_token = load_settings(slack_bot_token="xoxb-secret-1", slack_channel="#news")
    assert start_summary(with_token)["slack"] == "channel #news"
    assert "xoxb" not in str(start_summary(with_token))


def test_a_bad_url_with_an_at_sign_in_its_password_never_shows_the_password() -> None:
    """Even a refused URL's message masks a password that contains @."""
    with pytest.raises(ConfigError) as raised:
        load_settings(database_url="postgresql://monitor:pa@ss@db:notaport/monitor")
    assert "pa@ss" not in str(raised.value) and "ss@db" not in str(raised.value)
    assert shown_database_url("postgresql://u:pa@ss@db/x") == "postgresql://u:***@db/x"


@pytest.mark.postgres
def test_a_postgres_scheme_url_opens_the_database(pg_server: PgServer) -> None:
    """postgres://, as hosting providers print it, connects through psycopg."""
    url = pg_server.create_database().replace("postgresql+psycopg://", "postgres://")
    database = Database.open(load_settings(database_url=url).resolved_database_url)
    try:
        assert database.ping()
    finally:
        database.close()


# -- replicas ----------------------------------------------------------------------------------


def test_more_than_one_replica_on_sqlite_is_refused_with_the_fix(tmp_path: Path) -> None:
    """MONITOR_REPLICAS=3 without a PostgreSQL URL: exit 2 and one line saying what to set."""
    result = runner.invoke(app, ["feeds"], env=_env(tmp_path, MONITOR_REPLICAS="3"))

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line == (
        "error: invalid settings: MONITOR_REPLICAS=3 needs PostgreSQL: replicas on SQLite "
        "would each use their own pod-local file; set MONITOR_DATABASE_URL="
        "postgresql://user:***@host:5432/db, or run one replica (MONITOR_REPLICAS=1)"
    )


def test_replicas_on_postgresql_are_accepted() -> None:
    """Several replicas are what PostgreSQL is for."""
    settings = load_settings(replicas=3, database_url="postgresql://u:p@db/monitor")
    assert settings.replicas == 3
