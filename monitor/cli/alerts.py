"""The `alerts` command: the alerts raised, each with its delivery state (delivered,
seeded, failed, dropped, muted, or waiting behind a failing alert at the head of the outbox)
and the desk's verdicts from Slack,
`--retry-failed` to put failed alerts back in the outbox, and `--drop-pending` to discard
a stale backlog on purpose (after a confirmation)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.existing import open_existing_database
from monitor.cli.listings import known_incident, last_polled
from monitor.cli.output import (
    JsonFlag,
    message_first,
    print_json,
    print_plain,
    short,
    stderr,
    stdout,
)
from monitor.cli.root import command_settings, parse_when, reported_errors
from monitor.model import iso
from monitor.redact import redact_text
from monitor.views import alert_json, shown_time, waiting_behind, why_line

if TYPE_CHECKING:  # the store imports SQLAlchemy: loaded when the command runs
    from datetime import tzinfo

    from monitor.store import AlertRecord, Database
    from monitor.store.feedback import FeedbackRecord

# Delivery states as stored (monitor.store.DeliveryStatus holds the same strings).
PENDING, DELIVERED = "pending", "delivered"

# Declining the --drop-pending confirmation: nothing was done, which the caller must see.
EXIT_DECLINED = 1


def _delivery_state(alert: AlertRecord, head: AlertRecord | None) -> str:
    if alert.is_seeded:
        return "seeded"
    behind = waiting_behind(alert, head)
    if behind is not None:
        return f"{alert.delivery_status}, waiting behind #{behind}"
    if alert.last_error and alert.delivery_status != DELIVERED:
        return f"{alert.delivery_status}: {short(message_first(redact_text(alert.last_error)))}"
    return alert.delivery_status


def alerts(
    as_json: JsonFlag = False,
    incident: Annotated[str | None, typer.Option(help="Only alerts about this incident.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only alerts raised at or after this ISO-8601 date.")
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Put failed alerts back in the outbox (after fixing the token or channel).",
        ),
    ] = False,
    drop_pending: Annotated[
        bool,
        typer.Option(
            "--drop-pending",
            help="Discard the alerts waiting to be sent (with --incident/--since: those only); "
            "they are marked dropped and never posted. Asks first.",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Drop without asking (scripts).")
    ] = False,
) -> None:
    """Alerts raised when coverage updates or contradicts the ledger, oldest first."""
    since_at = parse_when(since, option="--since")
    with reported_errors():
        settings = command_settings()
        database = open_existing_database(settings)
        if incident and not database.alerts(incident_id=incident):
            known_incident(settings, incident)  # an unknown id is an error, as for `claims`
        if drop_pending:
            _drop_pending(database, incident=incident, since=since_at, yes=yes)
        if retry_failed:
            requeued = database.requeue_failed()
            print_plain(
                stderr,
                f"re-queued {requeued} failed alert(s); the next delivery pass sends them",
            )
        records = database.alerts(incident_id=incident, since=since_at)
        head = next(iter(database.pending_alerts(limit=1)), None)
        feedback = database.feedback_for([a.alert_id for a in records])
        empty_hint = "" if records else _no_alerts_hint(database, settings.zone, incident, since)
    if as_json:
        print_json([alert_json(a, head, feedback.get(a.alert_id, [])) for a in records])
        return
    if empty_hint:
        print_plain(stderr, empty_hint)
    for alert in records:
        state = _delivery_state(alert, head)
        kind = alert.kind.replace("_", " ")
        print_plain(
            stdout,
            f"#{alert.alert_id} {shown_time(alert.created_at, settings.zone)} [{state}] {kind} "
            f"{alert.incident_id or '(new)'}: "
            + why_line(alert.kind, alert.slot, alert.previous, alert.current, alert.reason)
            + _verdicts(feedback.get(alert.alert_id, [])),
        )


def _verdicts(feedback: list[FeedbackRecord]) -> str:
    """' (desk: wrong by ann, useful by U0B2)': what editors said of it in Slack."""
    if not feedback:
        return ""
    said = ", ".join(
        f"{f.verdict.replace('_', ' ')} by {f.user_name or f.user_id}" for f in feedback
    )
    return f" (desk: {said})"


def _no_alerts_hint(
    database: Database, zone: tzinfo, incident: str | None, since: str | None
) -> str:
    """What an empty list means and what to do next."""
    polled = last_polled(database, zone)
    if incident or since:
        about = [f"about {incident}" if incident else "", f"since {since}" if since else ""]
        scope = " ".join(part for part in about if part)
        return f"no alerts {scope}: {polled}; `monitor alerts` without filters shows them all"
    return f"no alerts yet: the baseline has {database.claim_count()} claims; {polled}"


def _drop_pending(
    database: Database, *, incident: str | None, since: datetime | None, yes: bool
) -> None:
    """Mark the waiting alerts (the ones counted in the question) dropped, once confirmed."""
    waiting = [
        a
        for a in database.alerts(incident_id=incident, since=since)
        if a.delivery_status == PENDING
    ]
    if not waiting:
        print_plain(stderr, "no alerts are waiting; nothing dropped")
        return
    oldest = iso(waiting[0].created_at) or "unknown"
    question = (
        f"Drop {len(waiting)} waiting alert(s) (oldest raised {oldest})? "
        "They will never be posted to Slack"
    )
    if not yes and not _confirmed(question):
        print_plain(stderr, "nothing dropped (pass --yes to drop without asking)")
        raise typer.Exit(EXIT_DECLINED)
    dropped = database.drop_pending([a.alert_id for a in waiting])
    print_plain(stderr, f"dropped {dropped} waiting alert(s); they will not be posted")


def _confirmed(question: str) -> bool:
    """The user's answer on stderr (stdout may be --json); no answer (no terminal) is no."""
    try:
        return typer.confirm(question, default=False, err=True)
    except typer.Abort:
        return False
