"""The `monitor` command line: parse, load settings, call the pipeline, set the exit code.

Exit codes: 0 success (also when some feeds failed: they are reported and
retried later), 1 a command failed (e.g. `monitor ingest` of a broken page),
2 configuration error (settings, rules, database URL), 3 `monitor once` could not deliver
alerts, 4 a read-only command found no database yet (it creates none).

One module per group of commands: `root` (the app, global options, errors and exit
codes), `output` (consoles, tables, JSON), `cycle` (once, run, ingest, seed, replay),
`listings` (feeds, articles, incidents, claims), `alerts`, and `rules` (rules check,
explain); `existing` opens the database for the read-only ones. Modules import the
heavy libraries (SQLAlchemy, pydantic, the analysis) inside the commands that use
them, so `monitor --help` loads only typer and rich. Commands are registered here, in
one list, because its order is the order `monitor --help` shows them in.
"""

from __future__ import annotations

import os

# pydantic looks for plugins by scanning every installed distribution's entry points
# when the first model is built: a seventh of `monitor explain`, for plugins monitor
# never uses. An operator who wants one sets the variable themselves.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from monitor.cli import alerts, cycle, listings, rules  # after the setting above
from monitor.cli import triage as triage_commands
from monitor.cli.root import app

__all__ = ["app", "main"]

for command in (
    cycle.once,
    cycle.run,
    listings.feeds,
    listings.articles,
    cycle.ingest,
    cycle.seed,
    rules.explain,
    cycle.replay,
    listings.claims,
    alerts.alerts,
):
    app.command()(command)
app.add_typer(listings.incidents_app, name="incidents")
app.add_typer(rules.rules_app, name="rules")
app.add_typer(triage_commands.mutes_app, name="mutes")
app.add_typer(triage_commands.feedback_app, name="feedback")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
