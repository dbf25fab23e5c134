"""Commands that run the pipeline: one cycle (`once`), the daemon (`run`), one article
(`ingest`), the seed baseline (`seed`) and a re-match with the current rules (`replay`).

The pipeline's imports are heavy, so each command imports it when it runs: `monitor --help`
stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.cli.output import JsonFlag, print_json, print_plain, progress, stderr, stdout
from monitor.cli.root import command_settings, parse_when, reported_errors
from monitor.redact import redact_text, shown_url

# `monitor once` ran, but Slack refused some alerts for good (or delivery gave up on them).
EXIT_UNDELIVERED = 3


def once(
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Poll every feed now, ignoring due times.")
    ] = False,
) -> None:
    """Poll every due feed once, process everything new, send the alerts, and exit.

    Exits 0 even when some feeds failed (each failure is one line on stderr); 2 for
    configuration errors; 3 when alerts could not be delivered for a permanent reason.
    """
    from monitor.pipeline.cycle import run_once  # the pipeline imports are heavy; keep --help fast

    with reported_errors():
        settings = command_settings()
        with progress() as bar:
            report = run_once(settings, ignore_due=all_feeds, progress=bar)
        for name, error in report.feed_errors:
            print_plain(stderr, f"feed {name}: {redact_text(error)}")
        for url, error in [*report.article_errors, *report.article_retries]:
            print_plain(stderr, f"article {shown_url(url)}: {redact_text(error)}")
        print_plain(
            stderr,
            f"polled {report.feeds_polled} feeds ({report.feeds_not_modified} unchanged, "
            f"{len(report.feed_errors)} failed); stored {report.articles_extracted} articles "
            f"({len(report.article_errors)} failed, {len(report.article_retries)} to retry, "
            f"{report.duplicates} duplicates); alerts: {report.alerts_raised} raised, "
            f"{report.alerts_sent} sent, {report.alerts_waiting} waiting, "
            f"{report.alerts_failed} failed; in {report.elapsed_s:.1f} s",
        )
    if report.alerts_failed:
        print_plain(
            stderr,
            f"error: {report.alerts_failed} alert(s) could not be delivered; `monitor alerts` "
            "shows why; fix it (token, channel), then `monitor alerts --retry-failed`",
        )
        raise typer.Exit(EXIT_UNDELIVERED)


def run() -> None:
    """Run the daemon: poll feeds, process articles, deliver alerts, until SIGTERM or Ctrl-C.

    Serves /healthz and /metrics on MONITOR_HEALTH_PORT and reloads rule files
    when they change.
    """
    from monitor.service.scheduler import run_daemon

    with reported_errors():
        run_daemon(command_settings(daemon=True))


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

    published_at = parse_when(published, option="--published")
    with reported_errors():
        settings = command_settings()
        article_id, is_new = ingest_target(
            settings, target, published_at=published_at, source_label=source
        )
    verb = "stored" if is_new else "already stored as"
    print_plain(stderr, f"{verb} article {article_id}")


def seed() -> None:
    """Load the seed articles (seeds/manifest.yaml), oldest first, through the pipeline.

    Idempotent: seeds already stored are skipped.
    """
    from monitor.pipeline.cycle import seed_baseline

    with reported_errors():
        results = seed_baseline(command_settings())
    for seed_article, article_id, is_new in results:
        verb = "stored" if is_new else "already stored"
        print_plain(
            stderr,
            f"{seed_article.source}: {verb} as article {article_id} ({seed_article.path.name})",
        )


def replay(
    since: Annotated[
        str | None, typer.Option(help="Only articles published at or after this ISO-8601 date.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Store the new matches (default: only show them).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Re-match stored articles with the current rules and show what would change."""
    from monitor.pipeline.cycle import replay_matches

    since_at = parse_when(since, option="--since")
    with reported_errors():
        changes = replay_matches(command_settings(), since=since_at, apply=apply)
    if as_json:
        print_json(
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
        print_plain(stdout, f"article {change.article_id}: {moves}  {change.title}")
    for label, ids in sorted(per_incident.items()):
        print_plain(stdout, f"{label}: {len(ids)} article(s)")
    if apply:
        stdout.print(f"{len(changes)} article(s) changed; new matches stored", markup=False)
    else:
        stdout.print(
            f"{len(changes)} article(s) would change; run with --apply to store", markup=False
        )
