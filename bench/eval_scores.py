"""Scores of a claims evaluation: tallies per alert kind and slot, incidents, candidates.

Shared by both label formats of bench/claims_eval.py: the single-incident sets
(claims_eval_set.yaml, fresh*, holdout) and the event sets (claims_eval_events_*).
Every miss and every false finding is kept with its article id, so a run says
what went wrong, not only how often.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALERT_KINDS = ("update", "contradiction", "new_incident", "edit")

ClaimFact = tuple[str, str, str]  # (subject, slot, value as value_text writes it)
AlertFact = tuple[
    str, str, str, str
]  # (kind, subject, slot, value); new_incident: (kind, id, "", "")


def value_text(value: object) -> str:
    """A value as the labels write it: true/false, digits, text (case-folded)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


def ratio(hits: int, total: int) -> float:
    return round(hits / total, 3) if total else 1.0


@dataclass(slots=True)
class Tally:
    """Expected, found and correct counts for one measure."""

    expected: int = 0
    found: int = 0
    correct: int = 0

    def add(self, expected: Iterable[Any], found: Iterable[Any]) -> None:
        want, got = set(expected), set(found)
        self.expected += len(want)
        self.found += len(got)
        self.correct += len(want & got)

    @property
    def precision(self) -> float:
        return ratio(self.correct, self.found)

    @property
    def recall(self) -> float:
        return ratio(self.correct, self.expected)

    def counts(self) -> str:
        return f"{self.correct} right of {self.found} raised, {self.expected} expected"


def _shown(alert: AlertFact) -> str:
    """An alert as a miss line shows it: the old 4-tuple, or (new_incident, id)."""
    if alert[0] == "new_incident" and not alert[2]:
        return str(alert[:2])
    return str(alert)


@dataclass(slots=True)
class Scores:
    """Everything a run measured, and every miss with its article id."""

    slots: dict[str, Tally]
    alerts: Tally = field(default_factory=Tally)
    kinds: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in ALERT_KINDS})
    candidates: Tally = field(default_factory=Tally)
    incidents_exact: int = 0
    incidents_judged: int = 0
    misses: list[str] = field(default_factory=list)

    def add_alerts(
        self, article_id: str, expected: frozenset[AlertFact], found: set[AlertFact]
    ) -> None:
        self.alerts.add(expected, found)
        for kind in {a[0] for a in expected | found}:
            tally = self.kinds.setdefault(kind, Tally())
            tally.add({a for a in expected if a[0] == kind}, {a for a in found if a[0] == kind})
        for item in sorted(expected - found):
            self.misses.append(f"{article_id}: missed alert {_shown(item)}")
        for item in sorted(found - expected):
            self.misses.append(f"{article_id}: false alert {_shown(item)}")

    def add_claims(
        self, article_id: str, expected: frozenset[ClaimFact], found: set[ClaimFact]
    ) -> None:
        for name, tally in self.slots.items():
            tally.add({f for f in expected if f[1] == name}, {f for f in found if f[1] == name})
        for fact in sorted(expected - found):
            self.misses.append(f"{article_id}: missed claim {fact}")
        for fact in sorted(found - expected):
            self.misses.append(f"{article_id}: extra claim {fact}")

    def add_incidents(
        self, article_id: str, expected: frozenset[str], found: frozenset[str]
    ) -> None:
        """Exact-set incident matching: right only when the sets are equal."""
        self.incidents_judged += 1
        if expected == found:
            self.incidents_exact += 1
            return
        self.misses.append(
            f"{article_id}: incidents {sorted(found)} matched, {sorted(expected)} expected"
        )

    def add_candidates(
        self, article_id: str, expected: dict[str, str], found: dict[str, str]
    ) -> None:
        """New candidate incidents by id; the values describe them in miss lines."""
        self.candidates.add(expected, found)
        for key in sorted(expected.keys() - found.keys()):
            self.misses.append(f"{article_id}: missed candidate {key} ({expected[key]})")
        for key in sorted(found.keys() - expected.keys()):
            self.misses.append(f"{article_id}: false candidate {key} ({found[key]})")

    @property
    def claims(self) -> Tally:
        return Tally(
            sum(t.expected for t in self.slots.values()),
            sum(t.found for t in self.slots.values()),
            sum(t.correct for t in self.slots.values()),
        )

    @property
    def incident_exact(self) -> float:
        return ratio(self.incidents_exact, self.incidents_judged)

    def kind_lines(self) -> list[str]:
        return [
            f"  {kind:14} precision {t.precision:.3f} recall {t.recall:.3f} ({t.counts()})"
            for kind, t in self.kinds.items()
        ]

    def slot_lines(self) -> list[str]:
        return [
            f"  {name:26} precision {tally.precision:.3f} recall {tally.recall:.3f} "
            f"(expected {tally.expected}, found {tally.found})"
            for name, tally in self.slots.items()
        ]

    def matching_lines(self) -> list[str]:
        exact = f"{self.incidents_exact} of {self.incidents_judged} articles"
        return [
            f"incidents (exact set): {self.incident_exact:.3f} ({exact})",
            f"candidates: precision {self.candidates.precision:.3f} "
            f"recall {self.candidates.recall:.3f} ({self.candidates.counts()})",
        ]

    def summary(self) -> dict[str, Any]:
        """The JSON keys both formats print beside their own."""
        keys: dict[str, Any] = {}
        for kind, tally in self.kinds.items():
            keys[f"{kind}_precision"] = tally.precision
            keys[f"{kind}_recall"] = tally.recall
            keys[f"{kind}_expected"] = tally.expected
            keys[f"{kind}_raised"] = tally.found
        keys["incident_exact"] = self.incident_exact
        keys["candidate_precision"] = self.candidates.precision
        keys["candidate_recall"] = self.candidates.recall
        keys["candidates_expected"] = self.candidates.expected
        keys["candidates_found"] = self.candidates.found
        return keys
