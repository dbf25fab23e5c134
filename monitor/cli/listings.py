"""Commands that show what is stored: `feeds`, `articles`, `incidents`, and one incident's
claim ledger (`claims`). Each prints a table for people (see `output.print_table`: fitted
to a terminal, plain aligned text when piped) or, with --json, JSON for scripts; URLs and
errors go through `monitor.redact`, so a password in a feed URL never shows.

They only read: on a directory where monitor never ran they say so and create nothing
(`existing.open_existing_database`, exit 4). Tables show times in MONITOR_TIMEZONE, to the
minute; JSON keeps ISO-8601 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitor.cli.existing import NoDatabaseError, open_existing_database
from monitor.cli.output import (
    Column,
    Fit,
    JsonFlag,
    message_first,
    print_json,
    print_plain,
    print_table,
    stderr,
    stdout,
)
from monitor.cli.root import command_settings, parse_when, reported_errors
from monitor.errors import ConfigError
from monitor.model import iso
from monitor.redact import redact_text, redact_url
from monitor.views import (
    editor_value,
    editor_words,
    incidents_json,
    shown_time,
    stance_words,
    voice_words,
)

if TYPE_CHECKING:
    from datetime import tzinfo

    from monitor.analysis.engine import RuleSet
    from monitor.config import Settings
    from monitor.pipeline.freshness import FeedFreshness
    from monitor.store import Database, FeedState


def cached_rule_set(settings: Settings) -> RuleSet:
    """The rules, parsed once per change of the rule files (cached under the data dir)."""
    from monitor.analysis.engine import load_rule_set

    return load_rule_set(settings.rules_dir, cache_dir=settings.data_dir / "cache")


def last_polled(database: Database, zone: tzinfo) -> str:
    """'feeds last polled 2026-01-09 14:15 UTC', or that they never were."""
    polled = [f.last_fetched_at for f in database.feeds() if f.last_fetched_at is not None]
    if not polled:
        return "no feed polled yet (`monitor once` polls them now)"
    return f"feeds last polled {shown_time(max(polled), zone)}"


def _feed_json(feed: FeedState, fresh: FeedFreshness) -> dict[str, Any]:
    return {
        "name": feed.name,
        "url": redact_url(feed.url),  # a password in feeds.yaml stays there
        "last_fetched": iso(feed.last_fetched_at),
        "status": feed.last_status,
        "entries": feed.entry_count,
        "consecutive_errors": feed.consecutive_errors,
        "last_error": redact_text(feed.last_error) if feed.last_error else None,
        "next_due": iso(feed.next_due_at),
        "interval_s": round(fresh.interval_s, 1),
        "interval_reason": fresh.reason,
        "hint_until": iso(fresh.hint_until),
        "median_delay_s": round(fresh.median_delay_s, 1) if fresh.median_delay_s else None,
    }


FEED_COLUMNS = (
    Column("feed", Fit.KEY, min_width=10),
    Column("last fetched"),
    Column("status"),
    Column("entries"),
    Column("errors"),
    Column("next due"),
    Column("every"),
    Column("why"),
    Column("delay"),
    Column("last error", Fit.KEY, min_width=24),
)


def feeds(
    as_json: JsonFlag = False,
) -> None:
    """Show each feed: last fetch, HTTP status, entries, errors, next due time, how often
    it is polled and why, and the median delay of its last entries."""
    from monitor.analysis.rules import load_feeds
    from monitor.pipeline.freshness import feed_freshness, short_duration

    with reported_errors():
        settings = command_settings()
        database = open_existing_database(settings)
        database.sync_feeds(
            load_feeds(settings.rules_dir), default_interval_min=settings.default_interval_min
        )
        states = database.feeds()
        now = datetime.now(UTC)
        freshness = [feed_freshness(database, feed, now) for feed in states]
    if as_json:
        print_json([_feed_json(f, fresh) for f, fresh in zip(states, freshness, strict=True)])
        return
    if not states:
        print_plain(stderr, f"no feeds: add them to {settings.rules_dir / 'feeds.yaml'}")
        return
    zone = settings.zone
    rows = [
        [
            feed.name,
            shown_time(feed.last_fetched_at, zone) or "never",
            str(feed.last_status or "-"),
            str(feed.entry_count),
            str(feed.consecutive_errors),
            shown_time(feed.next_due_at, zone) or "now",
            short_duration(fresh.interval_s),
            fresh.reason,
            short_duration(fresh.median_delay_s),
            message_first(redact_text(feed.last_error)) if feed.last_error else "",
        ]
        for feed, fresh in zip(states, freshness, strict=True)
    ]
    print_table(FEED_COLUMNS, rows)


ARTICLE_COLUMNS = (
    Column("id"),
    Column("published"),
    Column("source", Fit.TEXT),
    Column("status", Fit.KEY, min_width=12),
    Column("incidents"),
    Column("title", Fit.TEXT),
)


def articles(
    as_json: JsonFlag = False,
    since: Annotated[
        str | None,
        typer.Option(help="Only articles published (or fetched) at or after this ISO-8601 date."),
    ] = None,
) -> None:
    """List stored articles, newest first."""
    from monitor.views import article_json, attributed_source

    since_at = parse_when(since, option="--since")
    with reported_errors():
        settings = command_settings()
        database = open_existing_database(settings)
        records = database.articles(since=since_at)
        incidents = database.incidents_by_article()
        polled = last_polled(database, settings.zone) if not records else ""
    if as_json:
        print_json([article_json(a, incidents.get(a.article_id, [])) for a in records])
        return
    if not records:
        scope = f" since {since}" if since else " yet"
        print_plain(stderr, f"no articles{scope}: {polled}; `monitor seed` loads the baseline")
        return
    rows = [
        [
            str(article.article_id),
            shown_time(article.published_at, settings.zone) or "-",
            attributed_source(article.source, article.outlet),
            f"{article.status}: {message_first(redact_text(article.error))}"
            if article.error
            else article.status,
            " ".join(incidents.get(article.article_id, [])),
            article.title,
        ]
        for article in records
    ]
    print_table(ARTICLE_COLUMNS, rows)


INCIDENT_COLUMNS = (
    Column("id", Fit.KEY, min_width=15),
    Column("kind"),
    Column("date"),
    Column("city"),
    Column("articles"),
    Column("latest coverage"),
    Column("title", Fit.TEXT),
)

incidents_app = typer.Typer(
    help="Tracked and candidate incidents; `promote` prints the rules that would track one.",
    rich_markup_mode=None,
)


def _moment(stamp: str | None) -> datetime | None:
    """An ISO-8601 time of the JSON shapes back as a datetime (for the table)."""
    return datetime.fromisoformat(stamp) if stamp else None


@incidents_app.callback(invoke_without_command=True)
def incidents(
    context: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """The incidents: tracked ones (incidents.yaml) and candidates (new shootings monitor
    follows under their own id); id, kind, date, city, article count, latest coverage."""
    if context.invoked_subcommand is not None:
        return
    with reported_errors():
        settings = command_settings()
        rules = cached_rule_set(settings).rules
        database = open_existing_database(settings)
        rows = incidents_json(rules, database.incident_coverage(), database.candidate_records())
    if as_json:
        print_json(rows)
        return
    if not rows:
        print_plain(stderr, f"no incidents: add them to {settings.rules_dir / 'incidents.yaml'}")
        return
    print_table(
        INCIDENT_COLUMNS,
        [
            [
                row["id"],
                row["kind"],
                row["date"],
                row["city"],
                str(row["articles"]),
                shown_time(_moment(row["latest_coverage"]), settings.zone) or "-",
                row["title"],
            ]
            for row in rows
        ],
    )


@incidents_app.command("promote")
def promote(
    incident: Annotated[
        str, typer.Argument(help="A candidate incident's id, e.g. st-paul-2026-01-20.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Print the incidents.yaml stanza that would track a candidate incident.

    When no entity of entities.yaml names its city, the city's entities.yaml stanza
    follows. Writes nothing: review the title, then paste them.
    """
    from monitor.pipeline.promote import promotion

    with reported_errors():
        settings = command_settings()
        rules = cached_rule_set(settings).rules
        found = promotion(open_existing_database(settings), rules, incident)
    if as_json:
        print_json(
            {
                "incident": {**found.incident, "date": found.incident["date"].isoformat()},
                "entity": found.entity,
                "notes": list(found.notes),
            }
        )
        return
    print_plain(stdout, found.as_yaml())


STATE_COLUMNS = (
    Column("slot", Fit.KEY, min_width=14),
    Column("value", Fit.KEY, min_width=16),
    Column("sources", Fit.TEXT),
    Column("disputed by", Fit.TEXT),
)
TIMELINE_COLUMNS = (
    Column("published"),
    Column("slot", Fit.KEY, min_width=14),
    Column("claim", Fit.KEY, min_width=30),
)


def known_incident(settings: Settings, incident: str) -> str:
    """The incident's title; ConfigError listing the known ids for an unknown one."""
    known = {i.incident_id: i for i in cached_rule_set(settings).rules.incidents}
    if incident not in known:
        raise ConfigError(
            f"unknown incident {incident!r}; known: {', '.join(known)} "
            "(`monitor incidents` also lists candidate incidents)"
        )
    return known[incident].title


def _database_for(settings: Settings, incident: str) -> Database:
    """The database, for a tracked incident or a stored candidate; an id that is neither
    tracked nor can be a stored candidate (no database yet) is an unknown incident."""
    tracked = {i.incident_id for i in cached_rule_set(settings).rules.incidents}
    try:
        return open_existing_database(settings)
    except NoDatabaseError:
        if incident not in tracked:
            known_incident(settings, incident)  # raises with the known ids
        raise


def incident_or_candidate(settings: Settings, database: Database, incident: str) -> tuple[str, str]:
    """Title and city of a tracked incident or a stored candidate; ConfigError if neither."""
    tracked = {i.incident_id: i for i in cached_rule_set(settings).rules.incidents}
    if incident in tracked:
        return tracked[incident].title, tracked[incident].city
    record = database.candidate(incident)
    if record is None:
        known_incident(settings, incident)  # raises with the known ids
    assert record is not None
    return f"{record.candidate.title} (candidate)", record.candidate.city


def claims(
    incident: Annotated[str, typer.Argument(help="Incident or candidate id, e.g. pdx-2026-01-08.")],
    as_json: JsonFlag = False,
) -> None:
    """The claim ledger of one incident: current state of each slot, then the timeline.

    City-wide slots (federal officers deployed) are shared by every incident in the city.
    """
    from monitor.analysis.claims import city_slug
    from monitor.analysis.ledger import current_state, voice
    from monitor.views import ledger_json

    with reported_errors():
        settings = command_settings()
        database = _database_for(settings, incident)
        title, city = incident_or_candidate(settings, database, incident)
        subjects = {incident, f"city:{city_slug(city)}"}
        ledger = [e.claim for e in database.ledger(subjects)]
        polled = last_polled(database, settings.zone) if not ledger else ""
    if as_json:
        print_json(ledger_json(incident, ledger))
        return
    state = current_state(ledger)
    print_plain(stdout, f"{incident}: {title}")
    if not ledger:
        print_plain(
            stderr,
            f"no claims about {incident} yet: {polled}; `monitor seed` loads the baseline",
        )
        return
    print_table(
        STATE_COLUMNS,
        [
            [
                editor_words(slot),
                editor_value(s.value, s.qualifier) + (" (unconfirmed)" if s.is_hedged else ""),
                "; ".join(voice_words(v) for v in s.sources),
                "; ".join(voice_words(v) for v in s.disputed_by),
            ]
            for slot, s in state.items()
        ],
    )
    print_plain(stdout, "")
    print_table(
        TIMELINE_COLUMNS,
        [
            [
                shown_time(claim.published_at, settings.zone) or "-",
                editor_words(claim.slot),
                f"{editor_value(claim.value, claim.qualifier)}, "
                + stance_words(str(claim.stance), voice_words(voice(claim))),
            ]
            for claim in ledger
        ],
    )
