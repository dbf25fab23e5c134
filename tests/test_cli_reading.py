"""Reading what is stored: no database yet, empty results, tables at 80 columns and piped,
editor-facing words, the newsroom's time zone, `--version`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from monitor.cli import app
from monitor.cli.output import Column, Fit, column_widths, message_first, print_table
from monitor.store import Database
from tests.conftest import REPO_ROOT

runner = CliRunner()
MPLS_07, MPLS_14 = "mpls-2026-01-07", "mpls-2026-01-14"
READ_ONLY = [["alerts"], ["claims", MPLS_07], ["articles"], ["feeds"], ["incidents"]]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _env(data_dir: Path) -> dict[str, str]:
    return {
        "MONITOR_DATA_DIR": str(data_dir),
        "MONITOR_RULES_DIR": str(REPO_ROOT / "rules"),
        "MONITOR_SEEDS_DIR": str(REPO_ROOT / "seeds"),
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One database with the seed baseline, shared by this module's read-only tests."""
    env = _env(tmp_path_factory.mktemp("reading") / "data")
    result = runner.invoke(app, ["seed"], env=env)
    assert result.exit_code == 0, result.stderr
    return env


def _terminal(env: dict[str, str], *args: str, columns: int = 80) -> str:
    """The command's stdout as an 80-column terminal shows it (rich's TTY_COMPATIBLE)."""
    terminal = {**env, "TTY_COMPATIBLE": "1", "COLUMNS": str(columns), "NO_COLOR": "1"}
    result = runner.invoke(app, list(args), env=terminal)
    assert result.exit_code == 0, result.stderr
    return ANSI.sub("", result.stdout)


# --------------------------------------------------------------------------- item 9


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_a_read_only_command_without_a_database_says_so_and_creates_nothing(
    command: list[str], tmp_path: Path
) -> None:
    """No database yet: one line naming the path and what to run, exit 4, no data dir."""
    data_dir = tmp_path / "data"
    result = runner.invoke(app, command, env=_env(data_dir))
    assert result.exit_code == 4, result.stderr
    assert result.stderr.strip() == (
        f"error: no database at {data_dir / 'monitor.db'} yet: "
        "run `monitor once` or `monitor run` first"
    )
    assert not data_dir.exists()


def test_alerts_about_an_unknown_incident_is_an_error_like_claims(
    seeded: dict[str, str],
) -> None:
    """`alerts --incident no-such` exits 2 and lists the known ids, as `claims no-such` does."""
    result = runner.invoke(app, ["alerts", "--incident", "no-such"], env=seeded)
    claims = runner.invoke(app, ["claims", "no-such"], env=seeded)
    assert result.exit_code == claims.exit_code == 2
    assert result.stderr == claims.stderr
    assert "unknown incident 'no-such'; known: mpls-2026-01-07" in result.stderr


def test_empty_results_say_what_to_do_next(tmp_path: Path) -> None:
    """On an empty database, alerts, articles and claims say why they are empty."""
    env = _env(tmp_path / "data")
    Database.open(f"sqlite:///{tmp_path / 'data' / 'monitor.db'}").close()
    alerts = runner.invoke(app, ["alerts"], env=env)
    assert alerts.exit_code == 0
    assert alerts.stderr.strip() == (
        "no alerts yet: the baseline has 0 claims; no feed polled yet "
        "(`monitor once` polls them now)"
    )
    articles = runner.invoke(app, ["articles"], env=env)
    assert "no articles yet" in articles.stderr and "`monitor seed`" in articles.stderr
    claims = runner.invoke(app, ["claims", MPLS_07], env=env)
    assert f"no claims about {MPLS_07} yet" in claims.stderr
    assert runner.invoke(app, ["alerts", "--json"], env=env).stdout.strip() == "[]"


def test_no_alerts_hint_counts_the_baseline(seeded: dict[str, str]) -> None:
    """An alert filter that matches nothing says so, with the polling state."""
    result = runner.invoke(app, ["alerts", "--since", "2100-01-01"], env=seeded)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("no alerts since 2100-01-01: no feed polled yet")


# --------------------------------------------------------------------------- item 10


COLUMNS = (
    Column("id"),
    Column("slot", Fit.KEY, min_width=14),
    Column("value", Fit.KEY, min_width=16),
    Column("sources", Fit.TEXT),
)
LONG = "a very long list of sources " * 10


def test_key_columns_keep_their_minimum_on_a_narrow_terminal() -> None:
    """Free text gives way first: at 80 and even 40 columns the key columns keep their room."""
    rows = [["1", "federal officers deployed", "about 3,000 (no a.m./p.m. given)", LONG]]
    for width in (80, 40):
        widths = column_widths(COLUMNS, rows, width)
        assert widths[1] >= 14 and widths[2] >= 16
    wide = column_widths(COLUMNS, rows, 80)
    assert sum(wide) + 2 * (len(COLUMNS) - 1) <= 80


def test_a_table_on_an_80_column_terminal_fits_and_shows_the_key_columns_whole() -> None:
    """Every line fits in 80 columns; the slot and the value are all there, wrapped if need be."""
    console = Console(width=80, force_terminal=True, no_color=True, record=True)
    row = ["7", "federal officers deployed", "self-defense", LONG]
    print_table(COLUMNS, [row], console=console)
    text = ANSI.sub("", console.export_text())
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "self-defense" in text
    assert " ".join(text.split()).count("federal officers deployed") == 1 or (
        "federal officers" in text and "deployed" in text
    )


def test_piped_tables_are_plain_aligned_text_with_nothing_cut() -> None:
    """Off a terminal: no borders, columns aligned on two spaces, free text whole."""
    console = Console(width=80, force_terminal=False, record=True)
    print_table(COLUMNS, [["7", "wounded", "2", LONG], ["12", "time", "14:19", "PPB"]], console)
    lines = console.export_text().splitlines()
    assert lines[0].split() == ["id", "slot", "value", "sources"]
    assert lines[1].endswith(LONG.strip())
    starts = {line.index(value) for line, value in zip(lines, ["value", "2", "14:19"], strict=True)}
    assert len(starts) == 1  # the value column starts at the same place on every line


def test_claims_through_the_cli_at_80_columns_and_piped(seeded: dict[str, str]) -> None:
    """`monitor claims` fits 80 columns on a terminal; piped, every source is there."""
    heading, tables = _terminal(seeded, "claims", MPLS_07).split("\n", 1)
    assert heading.startswith(f"{MPLS_07}: ")
    assert all(len(line) <= 80 for line in tables.splitlines())
    shown = tables
    assert "self-defense" in shown and "justification" in shown
    piped = runner.invoke(app, ["claims", MPLS_07], env=seeded).stdout
    assert "…" not in piped
    assert "federal officials (seed-000); Donald Trump (seed-001)" in piped


def test_an_error_shows_its_message_before_its_url() -> None:
    """'fetch: <url>: HTTP 404' reads 'fetch: HTTP 404 (<url>)': the cause first."""
    url = "https://feeds.example.org/very/long/path/to/the/feed.xml?with=query"
    assert message_first(f"fetch: {url}: HTTP 404 Not Found") == (
        f"fetch: HTTP 404 Not Found ({url})"
    )
    assert message_first(f"fetch: {url} timed out after 60 s") == (
        f"fetch: timed out after 60 s ({url})"
    )
    assert message_first("feed: 3 entries, none with a link") == (
        "feed: 3 entries, none with a link"
    )


# --------------------------------------------------------------------------- item 11


def test_claims_read_as_words_not_identifiers(seeded: dict[str, str]) -> None:
    """'self-defense, disputed by local officials', booleans as yes, no snake_case."""
    piped = runner.invoke(app, ["claims", MPLS_07], env=seeded).stdout
    assert "self-defense, disputed by local officials (seed-000)" in piped
    assert "self_defense" not in piped and "local_officials" not in piped
    assert "'" not in piped.split("\n", 1)[1]  # no repr() quotes around values
    officer = [
        line
        for line in runner.invoke(app, ["claims", MPLS_14], env=seeded).stdout.splitlines()
        if line.startswith("officer injured")
    ]
    assert officer and officer[0].split()[2] == "yes"


def test_times_show_in_the_newsroom_zone_to_the_minute(seeded: dict[str, str]) -> None:
    """MONITOR_TIMEZONE=America/Chicago: 01:00 UTC reads 19:00 CST the day before; JSON
    keeps ISO-8601 UTC."""
    chicago = {**seeded, "MONITOR_TIMEZONE": "America/Chicago"}
    piped = runner.invoke(app, ["claims", MPLS_07], env=chicago).stdout
    assert "2026-01-08 19:00 CST" in piped
    assert not re.search(r"\d\d:\d\d:\d\d", piped)  # no seconds, no microseconds
    data: Any = json.loads(runner.invoke(app, ["claims", MPLS_07, "--json"], env=chicago).stdout)
    assert data["claims"][0]["published"].startswith("2026-01-09T01:00:00")


def test_an_unknown_time_zone_is_a_configuration_error(tmp_path: Path) -> None:
    """MONITOR_TIMEZONE=Mars/Base exits 2 naming the variable and an example."""
    env = {**_env(tmp_path / "data"), "MONITOR_TIMEZONE": "Mars/Base"}
    result = runner.invoke(app, ["alerts"], env=env)
    assert result.exit_code == 2
    assert "MONITOR_TIMEZONE" in result.stderr and "America/Chicago" in result.stderr


def test_alert_lines_name_the_earlier_source_in_words(seeded: dict[str, str]) -> None:
    """`monitor alerts` reads 'justification: self-defense (federal officials via seed-000),
    disputed by local officials via seed-000'."""
    lines = runner.invoke(app, ["alerts", "--incident", MPLS_07], env=seeded).stdout
    assert (
        "justification: self-defense (federal officials via seed-000), "
        "disputed by local officials via seed-000"
    ) in lines
    assert "_" not in lines.replace("new_incident", "")


# --------------------------------------------------------------------------- item 12


def test_version_prints_the_version() -> None:
    """`monitor --version` prints `monitor <version>` and exits 0."""
    from monitor import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"monitor {__version__}"
