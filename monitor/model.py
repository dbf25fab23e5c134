"""Plain values passed between stages.

Edges (fetch, storage, Slack) turn the world into these values; pure stages
(matching, claims, comparison) take and return only these values. Datetimes
are always timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed as an editor lists it in rules/feeds.yaml."""

    name: str
    url: str
    interval_min: float | None = None
    # The name its articles are attributed to (default: `name`); the page's own
    # og:site_name is kept as the article's outlet, never used in its place.
    source: str | None = None

    @property
    def source_label(self) -> str:
        return self.source or self.name


@dataclass(frozen=True, slots=True)
class CacheHeaders:
    """The response headers that say when to ask again, as sent (None: absent); the
    schedule (pipeline.schedule) reads them against its own clock."""

    cache_control: str | None = None
    expires: str | None = None
    date: str | None = None
    age: str | None = None
    retry_after: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """An HTTP response that passed every safety check (or a 304)."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    elapsed_ms: int
    cache: CacheHeaders = CacheHeaders()

    @property
    def is_not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a parsed feed, reduced to what monitor needs."""

    guid: str
    url: str
    title: str
    published_at: datetime | None
    summary: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document after parsing: its title and entries."""

    title: str
    items: tuple[FeedItem, ...]
    # Seconds the document asks readers to wait between polls (RSS <ttl>, or
    # sy:updatePeriod / sy:updateFrequency); None: it says nothing.
    refresh_s: float | None = None


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    """What trafilatura found in one HTML page."""

    text: str
    title: str
    author: str | None
    published_at: datetime | None
    site_name: str | None
    canonical_url: str | None


@dataclass(frozen=True, slots=True)
class Document:
    """An article's text as the pure stages see it: no database, no HTTP."""

    url: str
    title: str
    text: str
    source: str
    published_at: datetime | None
    # The outlet's own date was implausible and `published_at` is when the article was
    # first seen: close enough for an incident's window, not to resolve "Thursday".
    date_uncertain: bool = False


class EntityKind(StrEnum):
    AGENCY = "agency"
    PLACE = "place"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class Entity:
    """A thing editors track: an agency, a place or a person, with its aliases."""

    entity_id: str
    kind: EntityKind
    name: str
    aliases: tuple[str, ...]
    role: str = ""


@dataclass(frozen=True, slots=True)
class EntityHit:
    """One mention of an entity in a text, after disambiguation."""

    entity_id: str
    alias: str
    start: int
    end: int
    sentence_index: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of an article and the incident it speaks of (None: none known)."""

    index: int
    text: str
    start: int
    end: int
    incident_id: str | None


class Verdict(StrEnum):
    """What an editor said of an alert with its Slack buttons (stored, exported, counted)."""

    USEFUL = "useful"
    WRONG = "wrong"
    WRONG_INCIDENT = "wrong_incident"
    MUTE = "mute"  # mute this slot for this incident


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a Z, or None: the one time format of every output."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# A stated publication date is believed only within these bounds of the entry's first
# sight. Clocks drift and time zones get mislabelled by hours, so a day ahead is fine;
# more is a broken feed (year 9999). Far in the past are placeholder dates (1970,
# 0001) or archive dumps: ten years, not one, so a genuine old story relisted keeps
# its date and no fixed date in a test or a backfill turns implausible within a year.
MAX_FUTURE_SKEW = timedelta(days=1)
MAX_AGE_AT_FIRST_SIGHT = timedelta(days=3652)


def is_plausible_date(stated: datetime, first_seen: datetime) -> bool:
    """Whether a publication date an outlet states can be true of an entry first seen then."""
    return first_seen - MAX_AGE_AT_FIRST_SIGHT <= stated <= first_seen + MAX_FUTURE_SKEW


def checked_published_at(
    stated: datetime | None, first_seen: datetime
) -> tuple[datetime | None, datetime | None]:
    """(the date to use, the stated date if it was replaced): an implausible stated date
    gives way to the first sight, and is kept beside it so it can be shown."""
    if stated is None or is_plausible_date(stated, first_seen):
        return stated, None
    return first_seen, stated
