"""Commands for the desk's triage from Slack: `mutes` lists the (incident, slot) pairs
muted with the alert buttons and `mutes remove` lifts one; `feedback export` turns the
alerts marked wrong into evaluation cases for bench/claims_eval.py."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.existing import open_existing_database
from monitor.cli.output import JsonFlag, print_json, print_plain, stderr, stdout
from monitor.cli.root import command_settings, reported_errors
from monitor.model import iso
from monitor.views import shown_time

mutes_app = typer.Typer(
    help="Slots muted from Slack: their alerts are stored, not posted, until unmuted.",
    rich_markup_mode=None,
)
feedback_app = typer.Typer(
    help="The desk's verdicts on alerts, given with the Slack buttons.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@mutes_app.callback(invoke_without_command=True)
def mutes(context: typer.Context, as_json: JsonFlag = False) -> None:
    """The muted (incident, slot) pairs: who muted each, from which alert, and when."""
    if context.invoked_subcommand is not None:
        return
    with reported_errors():
        settings = command_settings()
        muted = open_existing_database(settings).mutes()
    if as_json:
        print_json(
            [
                {
                    "incident": m.incident_id,
                    "slot": m.slot,
                    "alert": m.alert_id,
                    "user": m.user_id,
                    "user_name": m.user_name,
                    "at": iso(m.at),
                }
                for m in muted
            ]
        )
        return
    if not muted:
        print_plain(stderr, "no muted slots: the Mute button on an alert mutes its slot")
        return
    for m in muted:
        who = m.user_name or m.user_id
        print_plain(
            stdout,
            f"{m.incident_id} {m.slot}: muted by {who} at {shown_time(m.at, settings.zone)} "
            f"(alert #{m.alert_id})",
        )


@mutes_app.command("remove")
def mutes_remove(
    incident: Annotated[str, typer.Argument(help="The incident id, e.g. pdx-2026-01-08.")],
    slot: Annotated[str, typer.Argument(help="The slot, e.g. shots_fired.")],
) -> None:
    """Unmute a slot: its next alerts are posted again (the ones raised while it was muted
    stay `muted`). Exits 1 when that slot was not muted."""
    with reported_errors():
        database = open_existing_database(command_settings())
        lifted = database.unmute(incident, slot)
    if not lifted:
        print_plain(stderr, f"{incident} {slot} was not muted; `monitor mutes` lists the muted")
        raise typer.Exit(1)
    print_plain(stderr, f"unmuted {incident} {slot}: its next alerts are posted")


@feedback_app.command("export")
def feedback_export(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the cases to this file (default: stdout)."),
    ] = None,
) -> None:
    """Write the alerts marked wrong (or about the wrong incident) as an evaluation set:
    `python -m bench.claims_eval --set FILE` scores the engine on them."""
    from monitor.pipeline.feedback_export import event_set_yaml, wrong_alert_cases

    with reported_errors():
        database = open_existing_database(command_settings())
        cases = wrong_alert_cases(database)
    if not cases:
        print_plain(stderr, "no alerts are marked wrong yet: nothing exported")
        return
    text = event_set_yaml(cases, datetime.now(UTC))
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print_plain(stderr, f"error: cannot write {output} ({exc.strerror}); pick another path")
            raise typer.Exit(1) from exc
    print_plain(stderr, f"exported {len(cases)} case(s) from alerts marked wrong")
