"""Dates stated in a sentence, resolved against the article's publication day.

Calendar dates ("Jan. 7", "7 January"), weekdays ("Wednesday": the latest one
on or before publication) and relative days ("yesterday", "last week": a range
of days before publication). Matching counts a date that covers an incident's
day as evidence for it. Pure: no I/O, no clock; "today" is the publication day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTH_DAY = re.compile(_MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b")
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b")
# Relative days, as (earliest, latest) days before publication.
_RELATIVE_DAYS: tuple[tuple[re.Pattern[str], int, int], ...] = (
    (re.compile(r"\byesterday\b", re.IGNORECASE), 2, 1),
    (re.compile(r"\b(today|tonight|this (morning|afternoon|evening))\b", re.IGNORECASE), 1, 0),
    (re.compile(r"\blast week\b", re.IGNORECASE), 11, 4),
    (re.compile(r"\ba week (ago|earlier|before|after)\b", re.IGNORECASE), 9, 5),
)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression at text[start:end]: the days it may mean, or a month and day."""

    start: int
    end: int
    words: str
    earliest: date | None
    latest: date | None
    month_day: tuple[int, int] | None = None

    @property
    def is_one_day(self) -> bool:
        """True for a single day ("Wednesday", "Jan. 7"), not a range ("last week")."""
        return self.month_day is not None or (
            self.earliest is not None and self.earliest == self.latest
        )

    def covers(self, when: date) -> bool:
        if self.month_day is not None:
            return (when.month, when.day) == self.month_day
        return (
            self.earliest is not None
            and self.latest is not None
            and (self.earliest <= when <= self.latest)
        )

    def describe(self) -> str:
        if self.earliest is not None and self.earliest == self.latest:
            return f"{self.words!r} resolves to {self.earliest.isoformat()}"
        if self.month_day is not None:
            return f"{self.words!r} is {self.month_day[0]:02d}-{self.month_day[1]:02d}"
        return f"{self.words!r} covers {self.earliest} to {self.latest}"


def find_dates(sentence: str, offset: int, published: date | None) -> list[DateMention]:
    """Date expressions in one sentence, resolved against the publication date."""
    found: list[DateMention] = []
    for m in _MONTH_DAY.finditer(sentence):
        month, day = _MONTHS[m.group(1)[:3].lower()], int(m.group(2))
        found.extend(_calendar(m, month, day, offset, published))
    for m in _DAY_MONTH.finditer(sentence):
        month, day = _MONTHS[m.group(2)[:3].lower()], int(m.group(1))
        found.extend(_calendar(m, month, day, offset, published))
    if published is None:
        return found
    for m in _WEEKDAY.finditer(sentence):
        back = (published.weekday() - _WEEKDAYS.index(m.group(1))) % 7
        weekday = published - timedelta(days=back)
        found.append(DateMention(offset + m.start(), offset + m.end(), m.group(), weekday, weekday))
    for pattern, earliest, latest in _RELATIVE_DAYS:
        for m in pattern.finditer(sentence):
            found.append(
                DateMention(
                    offset + m.start(),
                    offset + m.end(),
                    m.group(),
                    published - timedelta(days=earliest),
                    published - timedelta(days=latest),
                )
            )
    return found


def _calendar(
    m: re.Match[str], month: int, day: int, offset: int, published: date | None
) -> list[DateMention]:
    """A month-day date; with a publication date, in the latest year not after it."""
    if published is not None:
        for year in (published.year, published.year - 1):
            try:
                when = date(year, month, day)
            except ValueError:
                return []  # "February 30": not a date, so no evidence
            if when <= published + timedelta(days=1):
                return [DateMention(offset + m.start(), offset + m.end(), m.group(), when, when)]
        return []
    if not 1 <= day <= 31:
        return []
    return [DateMention(offset + m.start(), offset + m.end(), m.group(), None, None, (month, day))]
