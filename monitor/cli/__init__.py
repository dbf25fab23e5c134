"""The `monitor` command line: parse, load settings, call the pipeline, set the exit code.

Exit codes: 0 success (also when some feeds failed: they are reported and
retried later), 1 a command failed (e.g. `monitor ingest` of a broken page),
2 configuration error (settings, rules, database URL).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from monitor.config import Settings, load_settings
from monitor.errors import ConfigError, MonitorError, database_full_error
from monitor.model import iso
from monitor.redact import redact_text, redact_url, shown_url
from monitor.service.logs import configure_logging
from monitor.store.database import AlertRecord, ArticleRecord, Database, DeliveryStatus, FeedState
from monitor.views import attributed_source

log = logging.getLogger(__name__)

app = typer.Typer(
    help="Watch news feeds for coverage of tracked incidents and alert editors in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


@dataclass
class _State:
    debug: bool = False
    verbose: bool = False


_state = _State()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every feed and article, not just failures.")
    ] = False,
) -> None:
    _state.debug, _state.verbose = debug, verbose


@contextmanager
def _reported_errors() -> Iterator[None]:
    """Turn MonitorError (and a full database disk) into one line on stderr and the
    documented exit code."""
    try:
        yield
    except MonitorError as exc:
        if _state.debug:
            raise
        _print_error(exc)
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from exc
    except Exception as exc:
        full = database_full_error(exc)
        if full is None or _state.debug:
            raise
        _print_error(full)
        raise typer.Exit(1) from exc


def _print_error(exc: BaseException) -> None:
    stderr.print(f"error: {redact_text(str(exc))}", markup=False, highlight=False)


def _settings(*, daemon: bool = False) -> Settings:
    settings = load_settings()
    level = settings.log_level if (daemon or _state.verbose) else "ERROR"
    configure_logging(level)
    return settings


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def parse_when(value: str, *, option: str) -> datetime:
    """An ISO-8601 date or datetime from the command line, as UTC (dates mean midnight UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO-8601 date or time, e.g. 2026-01-08 or 2026-01-08T14:15:00Z",
            param_hint=option,
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _BarProgress:
    """A rich progress bar on stderr, used only when stderr is a terminal."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task: Any = None

    def start(self, label: str, total: int) -> None:
        self.task = self.bar.add_task(label, total=total)

    def advance(self) -> None:
        if self.task is not None:
            self.bar.advance(self.task)


@contextmanager
def _progress() -> Iterator[_BarProgress | None]:
    if not stderr.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=stderr, transient=True) as bar:
        yield _BarProgress(bar)


def _table(*headers: str) -> Table:
    """A table whose free-text cells are shortened (see _short), so short columns stay whole."""
    table = Table()
    for header in headers:
        table.add_column(header, no_wrap=header not in {"title", "last error"})
    return table


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- commands ------------------------------------------------------------------


@app.command()
def once(
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Poll every feed now, ignoring due times.")
    ] = False,
) -> None:
    """Poll every due feed once, process everything new, and exit.

    Exits 0 even when some feeds failed (each failure is one line on stderr);
    non-zero only for configuration errors.
    """
    from monitor.pipeline.cycle import run_once  # the pipeline imports are heavy; keep --help fast

    with _reported_errors():
        settings = _settings()
        with _progress() as progress:
            report = run_once(settings, ignore_due=all_feeds, progress=progress)
        for name, error in report.feed_errors:
            stderr.print(f"feed {name}: {redact_text(error)}", markup=False, highlight=False)
        for url, error in [*report.article_errors, *report.article_retries]:
            stderr.print(
                f"article {shown_url(url)}: {redact_text(error)}", markup=False, highlight=False
            )
        stderr.print(
            f"polled {report.feeds_polled} feeds ({report.feeds_not_modified} unchanged, "
            f"{len(report.feed_errors)} failed); stored {report.articles_extracted} articles "
            f"({len(report.article_errors)} failed, {len(report.article_retries)} to retry, "
            f"{report.duplicates} duplicates) "
            f"in {report.elapsed_s:.1f} s",
            markup=False,
            highlight=False,
        )


@app.command()
def run() -> None:
    """Run the daemon: poll feeds, process articles, deliver alerts, until SIGTERM or Ctrl-C.

    Serves /healthz and /metrics on MONITOR_HEALTH_PORT and reloads rule files
    when they change.
    """
    from monitor.service.scheduler import run_daemon

    with _reported_errors():
        run_daemon(_settings(daemon=True))


def _feed_json(feed: FeedState) -> dict[str, Any]:
    return {
        "name": feed.name,
        "url": redact_url(feed.url),  # a password in feeds.yaml stays there
        "last_fetched": iso(feed.last_fetched_at),
        "status": feed.last_status,
        "entries": feed.entry_count,
        "consecutive_errors": feed.consecutive_errors,
        "last_error": redact_text(feed.last_error) if feed.last_error else None,
        "next_due": iso(feed.next_due_at),
    }


@app.command()
def feeds(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show each feed: last fetch, HTTP status, entries, errors, next due time."""
    from monitor.analysis.rules import load_feeds

    with _reported_errors():
        settings = _settings()
        database = Database.open(settings.resolved_database_url)
        database.sync_feeds(
            load_feeds(settings.rules_dir), default_interval_min=settings.default_interval_min
        )
        states = database.feeds()
    if as_json:
        _print_json([_feed_json(feed) for feed in states])
        return
    table = _table("feed", "last fetched", "status", "entries", "errors", "next due", "last error")
    for feed in states:
        row = _feed_json(feed)
        table.add_row(
            feed.name,
            row["last_fetched"] or "never",
            str(feed.last_status or "-"),
            str(feed.entry_count),
            str(feed.consecutive_errors),
            row["next_due"] or "now",
            _short(row["last_error"] or ""),
        )
    stdout.print(table)


def _article_json(article: ArticleRecord, incidents: list[str]) -> dict[str, Any]:
    return {
        "id": article.article_id,
        "url": redact_url(article.url),
        "title": article.title,
        "source": article.source,
        "published": iso(article.published_at),
        "fetched": iso(article.fetched_at),
        "status": article.status,
        "error": redact_text(article.error) if article.error else None,
        "retry_at": iso(article.retry_at),
        "revision": article.revision,
        "incidents": incidents,
        "outlet": article.outlet,  # the page's own name for its outlet, as it says
        "stated_published": iso(article.stated_published_at),  # an implausible stated date
    }


@app.command()
def articles(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only articles published (or fetched) at or after this ISO-8601 date."),
    ] = None,
) -> None:
    """List stored articles, newest first."""
    since_at = parse_when(since, option="--since") if since else None
    with _reported_errors():
        settings = _settings()
        database = Database.open(settings.resolved_database_url)
        records = database.articles(since=since_at)
        incidents = database.incidents_by_article()
    if as_json:
        _print_json([_article_json(a, incidents.get(a.article_id, [])) for a in records])
        return
    table = _table("id", "published", "source", "status", "incidents", "title")
    for article in records:
        table.add_row(
            str(article.article_id),
            iso(article.published_at) or "-",
            attributed_source(article.source, article.outlet),
            _short(
                f"{article.status}: {redact_text(article.error)}"
                if article.error
                else article.status
            ),
            " ".join(incidents.get(article.article_id, [])),
            _short(article.title),
        )
    stdout.print(table)


@app.command()
def ingest(
    target: Annotated[str, typer.Argument(help="An article URL, or a .txt / .html file.")],
    published: Annotated[
        str | None, typer.Option(help="Publication time, ISO-8601 (default: the page's own).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Source label shown for this article (default: the outlet).")
    ] = None,
) -> None:
    """Fetch (or read) one article now and store it.

    A .txt file is plain text whose first line is the headline; an .html file
    goes through extraction like a fetched page.
    """
    from monitor.pipeline.cycle import ingest_target

    published_at = parse_when(published, option="--published") if published else None
    with _reported_errors():
        settings = _settings()
        article_id, is_new = ingest_target(
            settings, target, published_at=published_at, source_label=source
        )
    verb = "stored" if is_new else "already stored as"
    stderr.print(f"{verb} article {article_id}", markup=False, highlight=False)


@app.command()
def seed() -> None:
    """Load the seed articles (seeds/manifest.yaml), oldest first, through the pipeline.

    Idempotent: seeds already stored are skipped.
    """
    from monitor.pipeline.cycle import seed_baseline

    with _reported_errors():
        results = seed_baseline(_settings())
    for seed_article, article_id, is_new in results:
        verb = "stored" if is_new else "already stored"
        stderr.print(
            f"{seed_article.source}: {verb} as article {article_id} ({seed_article.path.name})",
            markup=False,
            highlight=False,
        )


rules_app = typer.Typer(help="Check the rule files editors tune.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("check")
def rules_check() -> None:
    """Validate every file in the rules folder; print each problem with file, line and fix.

    Exits 1 when any problem is found.
    """
    from monitor.analysis.engine import check_rule_set

    with _reported_errors():
        settings = _settings()
        problems = check_rule_set(settings.rules_dir)
    for problem in problems:
        stderr.print(problem, markup=False, highlight=False)
    if problems:
        stderr.print(f"{len(problems)} problem(s) in {settings.rules_dir}", markup=False)
        raise typer.Exit(1)
    stdout.print(f"rules OK: {settings.rules_dir}", markup=False, highlight=False)


@app.command()
def explain(
    target: Annotated[str, typer.Argument(help="An article URL, or a .txt / .html file.")],
    published: Annotated[
        str | None, typer.Option(help="Publication time, ISO-8601 (resolves 'Wednesday' etc.).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source label for the article.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Dry run on one article: incidents and why, each sentence's incident, claims, alerts.

    Reads files as `monitor ingest` does. The alerts shown are those that would
    fire against the stored ledger. Writes nothing.
    """
    from monitor.pipeline.explain import explain_target

    published_at = parse_when(published, option="--published") if published else None
    with _reported_errors():
        explanation = explain_target(
            _settings(), target, published_at=published_at, source_label=source
        )
    if as_json:
        _print_json(explanation.as_json())
        return
    for line in explanation.as_lines(width=stdout.width):
        stdout.print(line, markup=False, highlight=False)


@app.command()
def incidents(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The tracked incidents: id, title, city, date, article count, latest coverage."""
    from monitor.analysis.rules import load_rules

    with _reported_errors():
        settings = _settings()
        rules = load_rules(settings.rules_dir)
        coverage = Database.open(settings.resolved_database_url).incident_coverage()
    rows: list[dict[str, Any]] = []
    for incident in rules.incidents:
        covered = coverage.get(incident.incident_id)
        rows.append(
            {
                "id": incident.incident_id,
                "title": incident.title,
                "city": incident.city,
                "date": incident.date.isoformat(),
                "articles": covered.article_count if covered else 0,
                "latest_coverage": iso(covered.latest_published_at) if covered else None,
            }
        )
    if as_json:
        _print_json(rows)
        return
    table = _table("id", "date", "city", "articles", "latest coverage", "title")
    for row in rows:
        table.add_row(
            row["id"],
            row["date"],
            row["city"],
            str(row["articles"]),
            row["latest_coverage"] or "-",
            _short(row["title"]),
        )
    stdout.print(table)


@app.command()
def replay(
    since: Annotated[
        str | None, typer.Option(help="Only articles published at or after this ISO-8601 date.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Store the new matches (default: only show them).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Re-match stored articles with the current rules and show what would change."""
    from monitor.pipeline.cycle import replay_matches

    since_at = parse_when(since, option="--since") if since else None
    with _reported_errors():
        changes = replay_matches(_settings(), since=since_at, apply=apply)
    if as_json:
        _print_json(
            [
                {
                    "id": c.article_id,
                    "url": c.url,
                    "title": c.title,
                    "gained": list(c.gained),
                    "lost": list(c.lost),
                }
                for c in changes
            ]
        )
        return
    per_incident: dict[str, list[int]] = {}
    for change in changes:
        for incident_id in change.gained:
            per_incident.setdefault(f"+ {incident_id}", []).append(change.article_id)
        for incident_id in change.lost:
            per_incident.setdefault(f"- {incident_id}", []).append(change.article_id)
        moves = " ".join([*(f"+{i}" for i in change.gained), *(f"-{i}" for i in change.lost)])
        stdout.print(
            f"article {change.article_id}: {moves}  {change.title}", markup=False, highlight=False
        )
    for label, ids in sorted(per_incident.items()):
        stdout.print(f"{label}: {len(ids)} article(s)", markup=False, highlight=False)
    if apply:
        stdout.print(f"{len(changes)} article(s) changed; new matches stored", markup=False)
    else:
        stdout.print(
            f"{len(changes)} article(s) would change; run with --apply to store", markup=False
        )


@app.command()
def claims(
    incident: Annotated[str, typer.Argument(help="Incident id, e.g. pdx-2026-01-08.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The claim ledger of one incident: current state of each slot, then the timeline.

    City-wide slots (federal officers deployed) are shared by every incident in the city.
    """
    from monitor.analysis.claim_values import shown_value
    from monitor.analysis.claims import city_slug
    from monitor.analysis.engine import load_rule_set
    from monitor.analysis.ledger import current_state, voice
    from monitor.views import claim_json

    with _reported_errors():
        settings = _settings()
        rules = load_rule_set(settings.rules_dir).rules
        known = {i.incident_id: i for i in rules.incidents}
        if incident not in known:
            raise ConfigError(f"unknown incident {incident!r}; known: {', '.join(known)}")
        subjects = {incident, f"city:{city_slug(known[incident].city)}"}
        ledger = [e.claim for e in Database.open(settings.resolved_database_url).ledger(subjects)]
    state = current_state(ledger)
    if as_json:
        _print_json(
            {
                "incident": incident,
                "state": {
                    slot: {
                        "value": s.value,
                        "qualifier": s.qualifier,
                        "sources": list(s.sources),
                        "disputed_by": list(s.disputed_by),
                        "hedged": s.is_hedged,
                    }
                    for slot, s in state.items()
                },
                "claims": [claim_json(c) for c in ledger],
            }
        )
        return
    stdout.print(f"{incident}: {known[incident].title}", markup=False, highlight=False)
    table = _table("slot", "value", "sources", "disputed by")
    for slot, s in state.items():
        value = shown_value(s.value, s.qualifier) + (" (hedged)" if s.is_hedged else "")
        table.add_row(slot, value, _short("; ".join(s.sources)), _short("; ".join(s.disputed_by)))
    stdout.print(table)
    for claim in ledger:
        stdout.print(
            f"{iso(claim.published_at) or '-'}  {claim.slot} = {claim.value!r} "
            f"{claim.stance} by {voice(claim)}",
            markup=False,
            highlight=False,
        )


def _waiting_behind(alert: AlertRecord, head: AlertRecord | None) -> int | None:
    """The outbox's head, when it is failing and this pending alert waits behind it
    (delivery goes in order, so one outage holds up every later alert)."""
    if head is None or head.last_error is None or alert.alert_id == head.alert_id:
        return None
    return head.alert_id if alert.delivery_status == DeliveryStatus.PENDING else None


def _alert_json(alert: AlertRecord, head: AlertRecord | None) -> dict[str, Any]:
    return {
        "id": alert.alert_id,
        "incident": alert.incident_id,
        "kind": alert.kind,
        "slot": alert.slot,
        "subject": alert.subject,
        "previous": alert.previous,
        "earlier": alert.earlier,
        "current": alert.current,
        "article_url": redact_url(alert.article_url),
        "reason": alert.reason,
        "created_at": iso(alert.created_at),
        "delivered": alert.delivered_at is not None,
        "delivered_at": iso(alert.delivered_at),
        "seeded": alert.is_seeded,
        "delivery_status": alert.delivery_status,
        "delivery_error": redact_text(alert.last_error) if alert.last_error else None,
        "waiting_behind": _waiting_behind(alert, head),
    }


def _delivery_state(alert: AlertRecord, head: AlertRecord | None) -> str:
    if alert.is_seeded:
        return "seeded"
    behind = _waiting_behind(alert, head)
    if behind is not None:
        return f"{alert.delivery_status}, waiting behind #{behind}"
    if alert.last_error and alert.delivery_status != DeliveryStatus.DELIVERED:
        return f"{alert.delivery_status}: {_short(alert.last_error)}"
    return alert.delivery_status


@app.command()
def alerts(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
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
) -> None:
    """Alerts raised when coverage updates or contradicts the ledger, oldest first."""
    since_at = parse_when(since, option="--since") if since else None
    with _reported_errors():
        settings = _settings()
        database = Database.open(settings.resolved_database_url)
        if retry_failed:
            requeued = database.requeue_failed()
            stderr.print(
                f"re-queued {requeued} failed alert(s); the next delivery pass sends them",
                markup=False,
                highlight=False,
            )
        records = database.alerts(incident_id=incident, since=since_at)
        head = next(iter(database.pending_alerts(limit=1)), None)
    if as_json:
        _print_json([_alert_json(a, head) for a in records])
        return
    for alert in records:
        state = _delivery_state(alert, head)
        stdout.print(
            f"#{alert.alert_id} [{state}] {alert.kind} {alert.incident_id or '(new)'} "
            f"{alert.slot or ''}: {alert.reason}",
            markup=False,
            highlight=False,
        )


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
