"""Bad database and webhook URLs stop any command with one line and exit 2, never a traceback,
and never print a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import load_settings
from monitor.errors import ConfigError
from tests.conftest import make_rules_dir

runner = CliRunner()


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    make_rules_dir(tmp_path, {})
    return {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(tmp_path / "rules"),
        **settings,
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite://u:hunter2@host:abc/db", "'sqlite://u:***@host:abc/db' has a port that is not"),
        ("postgresql://u:hunter2@host:abc/db", "'postgresql://u:***@host:abc/db' has a port"),
        ("foo://u:hunter2@h/db", "uses the driver 'foo'; monitor supports sqlite"),
        ("postgresql+foo://u:hunter2@h/db", "uses the driver 'postgresql+foo'"),
        ("u:hunter2@host/db", "'u:***@host/db' is not a database URL"),
    ],
    ids=["sqlite-port", "postgresql-port", "unknown-scheme", "unknown-driver", "no-scheme"],
)
def test_a_bad_database_url_is_one_line_and_exit_2_without_its_password(
    tmp_path: Path, url: str, says: str
) -> None:
    """Each command refuses to start, naming MONITOR_DATABASE_URL, the problem and an example."""
    result = runner.invoke(app, ["feeds"], env=_env(tmp_path, MONITOR_DATABASE_URL=url))

    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.splitlines()
    assert line.startswith("error: invalid settings: MONITOR_DATABASE_URL:")
    assert says in line
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "hooks.slack.com/services/T0/B0/hunter2",
        "http://hooks.slack.com/services/T0/B0/hunter2",
        "https://",
        "https://hooks.slack.com:abc/services/hunter2",
        "https://hooks slack.com/services/hunter2",
        "http://[::1/hunter2",
    ],
    ids=["no-scheme", "plain-http", "no-host", "bad-port", "space", "bad-bracket"],
)
def test_a_malformed_webhook_url_is_one_line_and_exit_2_without_the_url(
    tmp_path: Path, url: str
) -> None:
    """MONITOR_SLACK_WEBHOOK_URL must be https (a secret: the message never quotes it)."""
    result = runner.invoke(app, ["once"], env=_env(tmp_path, MONITOR_SLACK_WEBHOOK_URL=url))

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: invalid settings: MONITOR_SLACK_WEBHOOK_URL:")
    assert "https://hooks.slack.com/services/T000/B000/XXXX" in line  # the example to follow
    assert "hunter2" not in line


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T000/B000/XXXX",
        "http://127.0.0.1:8080/webhook/T0/B0/x",
        "http://[::1]:8080/webhook",
        "http://localhost/webhook",
    ],
)
def test_https_webhooks_and_loopback_http_test_servers_are_accepted(url: str) -> None:
    """http:// is allowed only on a loopback host, where the tests' fake Slack listens."""
    assert load_settings(slack_webhook_url=url).slack_webhook_url == url


def test_a_good_database_url_passes_and_an_empty_one_means_the_sqlite_default() -> None:
    """The documented forms are accepted; nothing set means data/monitor.db."""
    assert load_settings(database_url="postgresql://u:p@db:5432/monitor").database_url
    assert load_settings(database_url="sqlite:///x.db").resolved_database_url == "sqlite:///x.db"
    assert load_settings().resolved_database_url == "sqlite:///data/monitor.db"
    with pytest.raises(ConfigError):
        load_settings(database_url="mysql://u:p@h/db")
