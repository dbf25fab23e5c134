"""Operational failures are one line with the fix and exit 2, never a traceback: a data
directory that cannot be created or written, and a database that does not answer
(the health port in use: tests/test_health_daemon.py). Real processes and CliRunner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import REPO_ROOT, make_rules_dir
from tests.processes import monitor_env

runner = CliRunner()
NOBODY = 65534


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(
    env: dict[str, str], *args: str, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_error_line(stderr: str) -> str:
    """The only line of stderr, which must be an error line (no traceback)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def _sqlite_env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    env = monitor_env(
        database_url="",
        workdir=tmp_path,
        rules_dir=make_rules_dir(tmp_path, {}),
    )
    env["MONITOR_DATA_DIR"] = str(data_dir)
    del env["MONITOR_DATABASE_URL"]  # the default: a SQLite file in the data directory
    return env


def test_a_data_dir_that_cannot_be_created_is_one_line_naming_it_and_the_uid(
    tmp_path: Path,
) -> None:
    """A data directory under a regular file: `monitor once` exits 2 naming both."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be\n", encoding="utf-8")
    data_dir = blocker / "data"

    result = _run(_sqlite_env(tmp_path, data_dir), "once")

    assert result.returncode == 2, result.stderr
    line = _one_error_line(result.stderr)
    assert f"cannot create the data directory {data_dir} as uid {os.getuid()}" in line
    assert "MONITOR_DATA_DIR" in line


def test_read_commands_report_the_same_line(tmp_path: Path) -> None:
    """`monitor alerts` on that data directory creates nothing: one line, no database yet
    (exit 4; read-only commands never create the data directory)."""
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    env = {"MONITOR_DATA_DIR": str(blocker / "data"), "MONITOR_DATABASE_URL": ""}

    result = runner.invoke(app, ["alerts"], env=env)

    assert result.exit_code == 4
    assert _one_error_line(result.stderr).startswith("error: no database at ")


# Root writes anywhere: its child gives up the capability that lets it (setpriv), so the
# permission bits of a directory another uid owns apply to it as to anyone.
WITHOUT_OVERRIDE = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


def test_a_data_dir_that_is_not_writable_is_one_line_naming_it_and_the_uid(
    tmp_path: Path,
) -> None:
    """A data directory the process may not write: exit 2 with the directory and the uid."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if shutil.which(WITHOUT_OVERRIDE[0]) is None:
            pytest.skip("root without setpriv cannot be refused a write")
        os.chown(data_dir, NOBODY, NOBODY)
        data_dir.chmod(0o755)
        prefix = WITHOUT_OVERRIDE
    else:
        data_dir.chmod(0o555)
    env = _sqlite_env(tmp_path, data_dir)

    result = subprocess.run(
        [*prefix, sys.executable, "-m", "monitor", "once"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    data_dir.chmod(0o755)

    assert result.returncode == 2, result.stderr
    line = _one_error_line(result.stderr)
    assert f"the data directory {data_dir} is not writable by uid {os.getuid()}" in line
    assert not (data_dir / "monitor.db").exists()


def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path: Path) -> None:
    """A PostgreSQL URL on a closed loopback port: exit 2, one line, the password masked."""
    url = f"postgresql://monitor:s3cret@127.0.0.1:{_closed_port()}/monitor"
    env = monitor_env(database_url=url, workdir=tmp_path, rules_dir=make_rules_dir(tmp_path, {}))

    result = _run(env, "once")

    assert result.returncode == 2, result.stderr
    line = _one_error_line(result.stderr)
    assert "cannot open the database postgresql+psycopg://monitor:***@127.0.0.1:" in line
    assert "check that it runs" in line and "MONITOR_DATABASE_URL" in line
    assert "s3cret" not in result.stderr


def test_read_commands_on_an_unreachable_database_exit_2_with_one_line(tmp_path: Path) -> None:
    """`monitor feeds` on the same URL: one line, exit 2."""
    url = f"postgresql://monitor:s3cret@127.0.0.1:{_closed_port()}/monitor"

    result = runner.invoke(app, ["feeds"], env={"MONITOR_DATABASE_URL": url})

    assert result.exit_code == 2
    assert _one_error_line(result.stderr).startswith("error: cannot open the database")
