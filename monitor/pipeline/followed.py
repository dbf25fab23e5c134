"""Which candidate incidents an article is matched against: those of the weeks before
it, but for any an editor has since tracked (shared by the analyser and `explain`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from monitor.analysis.events import CandidateIncident
from monitor.analysis.rule_values import Rules

# How far back a shooting may lie for an article to be matched against it as a known
# candidate: the window tracked incidents have in incidents.yaml.
CANDIDATE_LOOKBACK_DAYS = 180


class ReadsCandidates(Protocol):
    """`Database`, or explain's read-only snapshot of a SQLite file."""

    def candidates(
        self, *, since: date | None = None, until: date | None = None
    ) -> list[CandidateIncident]: ...


def known_candidates(
    database: ReadsCandidates, rules: Rules, published: date
) -> list[CandidateIncident]:
    """The candidate incidents an article published on `published` may be about: those of
    the CANDIDATE_LOOKBACK_DAYS before it (a day after, for time zones), but for any an
    editor has since tracked under the same id in incidents.yaml."""
    tracked = {incident.incident_id for incident in rules.incidents}
    found = database.candidates(
        since=published - timedelta(days=CANDIDATE_LOOKBACK_DAYS),
        until=published + timedelta(days=1),
    )
    return [c for c in found if c.incident_id not in tracked]
