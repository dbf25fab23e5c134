"""The event sets of bench/claims_eval.py: several incidents per article, new shootings.

Format (bench/claims_eval_events_*.yaml; each file's header gives its labelling
conventions):

    mode: independent | sequence
    articles:
      - id: a01
        source: Outlet
        published_at: '2026-01-16T21:30:00Z'
        incidents: [mpls-2026-01-07]          # the exact set of tracked ids
        new_incidents: [{id: st-paul-2026-01-20, city: St. Paul, date: 2026-01-20}]
        text: ...
        claims: [[subject, slot, value], ...]
        alerts: [[kind, subject, slot, value], [new_incident, id], ...]
        why: ...

independent: each article alone against the ledger of the five seeds.
sequence: the articles in file order; each one's claims join the ledger, an alert
whose dedup key was already raised is not raised again (as storage does), and the
candidate incidents found so far are passed to the next article's match.

The engine names a candidate by its city and date; the labels may spell the id
another way (`mpls-2026-01-24`), so a candidate counts as a labelled new incident
of the file when its date is the same and one city's words begin the other's
("Vancouver" and "Vancouver WA"); its claims and alerts are then compared under
the label's id.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from bench.eval_scores import AlertFact, ClaimFact, Scores, Tally, value_text
from monitor.analysis import engine
from monitor.analysis.alerts import AlertDraft
from monitor.analysis.claims import Claim
from monitor.analysis.engine import Analysis, LedgerEntry, RuleSet, analyse_claims
from monitor.analysis.match import MatchResult
from monitor.ingest.seeds import load_seeds
from monitor.model import Document

NEW_INCIDENT = "new_incident"
# The stances the labels count as claims: hedged values and superseded statements
# are not claims in these sets (their headers say so).
COUNTED_STANCES = frozenset({"asserts", "disputes", "denies"})


class Mode(StrEnum):
    INDEPENDENT = "independent"
    SEQUENCE = "sequence"


class EventSetError(ValueError):
    """A label file that does not follow the format; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class NewIncidentLabel:
    """A shooting the article first reports, as labelled."""

    incident_id: str
    city: str
    day: date


@dataclass(frozen=True, slots=True)
class EventArticle:
    """One labelled article of an event set."""

    article_id: str
    source: str
    published_at: datetime
    text: str
    incidents: frozenset[str]
    new_incidents: tuple[NewIncidentLabel, ...]
    claims: frozenset[ClaimFact]
    alerts: frozenset[AlertFact]


@dataclass(frozen=True, slots=True)
class EventSet:
    mode: Mode
    articles: tuple[EventArticle, ...]


def is_event_set(data: object) -> bool:
    """The event format declares its `mode`; the single-incident sets do not."""
    return isinstance(data, dict) and "mode" in data


# ------------------------------------------------------------------------------ reading


def parse_event_set(data: dict[str, Any], name: str) -> EventSet:
    """The labelled articles; EventSetError names the article and the field to fix."""
    try:
        mode = Mode(data["mode"])
    except ValueError:
        raise EventSetError(
            f"{name}: mode is {data['mode']!r}; write `mode: independent` or `mode: sequence`"
        ) from None
    raw_articles = data.get("articles")
    if not isinstance(raw_articles, list) or not raw_articles:
        raise EventSetError(f"{name}: `articles:` must be a non-empty list of articles")
    articles = tuple(
        _article(raw, f"{name}: article {n + 1}") for n, raw in enumerate(raw_articles)
    )
    seen: set[str] = set()
    for article in articles:
        if article.article_id in seen:
            raise EventSetError(f"{name}: article id {article.article_id} is used twice")
        seen.add(article.article_id)
    return EventSet(mode, articles)


def _article(raw: object, where: str) -> EventArticle:
    if not isinstance(raw, dict):
        raise EventSetError(f"{where}: must be a mapping with id, source, published_at, text ...")
    missing = [k for k in ("id", "source", "published_at", "text") if k not in raw]
    if missing:
        raise EventSetError(f"{where}: add the missing field(s) {', '.join(missing)}")
    where = f"{where} ({raw['id']})"
    return EventArticle(
        article_id=str(raw["id"]),
        source=str(raw["source"]),
        published_at=_timestamp(raw["published_at"], where),
        text=str(raw["text"]),
        incidents=frozenset(str(i) for i in _items(raw, "incidents", where)),
        new_incidents=tuple(_new_incident(i, where) for i in _items(raw, "new_incidents", where)),
        claims=frozenset(_claim(i, where) for i in _items(raw, "claims", where)),
        alerts=frozenset(_alert(i, where) for i in _items(raw, "alerts", where)),
    )


def _items(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise EventSetError(f"{where}: `{key}` must be a list (or left out)")
    return value


def _timestamp(value: object, where: str) -> datetime:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not ISO: the check below says so
            value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise EventSetError(f"{where}: published_at must be an ISO time like 2026-01-16T21:30:00Z")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _new_incident(item: object, where: str) -> NewIncidentLabel:
    if not isinstance(item, dict) or not {"id", "city", "date"} <= item.keys():
        raise EventSetError(f"{where}: each new_incidents item needs id, city and date")
    day = item["date"]
    if isinstance(day, str):
        with contextlib.suppress(ValueError):  # not ISO: the check below says so
            day = date.fromisoformat(day)
    if not isinstance(day, date):
        raise EventSetError(f"{where}: new incident {item['id']}: date must be like 2026-01-20")
    return NewIncidentLabel(str(item["id"]), str(item["city"]), day)


def _claim(item: object, where: str) -> ClaimFact:
    if not isinstance(item, list) or len(item) != 3:
        raise EventSetError(f"{where}: claim {item!r} must be [subject, slot, value]")
    return (str(item[0]), str(item[1]), value_text(item[2]))


def _alert(item: object, where: str) -> AlertFact:
    if isinstance(item, list) and len(item) == 2 and item[0] == NEW_INCIDENT:
        return (NEW_INCIDENT, str(item[1]), "", "")
    if isinstance(item, list) and len(item) == 4:
        return (str(item[0]), str(item[1]), str(item[2]), value_text(item[3]))
    raise EventSetError(
        f"{where}: alert {item!r} must be [kind, subject, slot, value] or [new_incident, id]"
    )


# ------------------------------------------------------------------- candidate names


def _city_words(city: str) -> tuple[str, ...]:
    """The words naming a city, before any comma: "St. Paul, Minn." -> (st, paul)."""
    head = city.split(",")[0].casefold()
    words = "".join(c if c.isalnum() else " " for c in head).split()
    return tuple("st" if w == "saint" else w for w in words)


def same_city(one: str, other: str) -> bool:
    """One city's words begin the other's ("Vancouver" and "Vancouver WA")."""
    a, b = _city_words(one), _city_words(other)
    shorter = min(len(a), len(b))
    return shorter > 0 and a[:shorter] == b[:shorter]


@dataclass(slots=True)
class CandidateNames:
    """The label id of each engine candidate: same id, or same date and city."""

    labels: tuple[NewIncidentLabel, ...]
    described: dict[str, str] = field(default_factory=dict)
    _label_of: dict[str, str] = field(default_factory=dict)

    def learn(self, candidates: Iterable[Any]) -> None:
        for candidate in candidates:
            own = str(candidate.incident_id)
            self.described.setdefault(own, f"{candidate.city}, {candidate.date}")
            if own not in self._label_of:
                self._label_of[own] = self._find(own, candidate.city, candidate.date)

    def _find(self, own: str, city: str, day: date) -> str:
        for label in self.labels:
            if label.incident_id == own or (label.day == day and same_city(label.city, city)):
                return label.incident_id
        return own

    def name(self, subject: str) -> str:
        return self._label_of.get(subject, subject)


# --------------------------------------------------------------------------- the engine


def _accepts_candidates() -> bool:
    return "candidates" in inspect.signature(engine.match).parameters


def tracked_ids(result: MatchResult, rule_set: RuleSet) -> frozenset[str]:
    """The tracked incidents the article matched (candidates left out)."""
    ids = getattr(result, "tracked_ids", None)
    if ids is None:
        tracked = {i.incident_id for i in rule_set.rules.incidents}
        ids = tuple(i for i in result.incident_ids if i in tracked)
    return frozenset(ids)


def new_candidates(result: MatchResult) -> tuple[Any, ...]:
    return tuple(getattr(result, "new_candidates", ()))


@dataclass(slots=True)
class Desk:
    """What storage would hold: the ledger, the dedup keys raised, the known candidates."""

    rule_set: RuleSet
    ledger: list[LedgerEntry] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    known: dict[str, Any] = field(default_factory=dict)

    def analyse(self, document: Document) -> tuple[MatchResult, Analysis, list[AlertDraft]]:
        """Match with the known candidates, compare with the ledger; the alerts storage
        would add (dedup keys not raised before)."""
        if _accepts_candidates():
            # Typed loosely: the engine before candidates has no such parameter.
            matcher: Callable[..., MatchResult] = engine.match
            result = matcher(document, self.rule_set, candidates=tuple(self.known.values()))
        else:  # the engine before candidates: matching knows only tracked incidents
            result = engine.match(document, self.rule_set)
        analysis = analyse_claims(document, result, self.rule_set, self.ledger)
        fresh = {d.dedup_key: d for d in analysis.alerts if d.dedup_key not in self.sent}
        return result, analysis, list(fresh.values())

    def record(self, result: MatchResult, analysis: Analysis) -> None:
        """The article stored: its claims join the ledger, its alerts are raised."""
        first = len(self.ledger) + 1
        self.ledger.extend(LedgerEntry(first + n, c) for n, c in enumerate(analysis.claims))
        self.sent.update(d.dedup_key for d in analysis.alerts)
        # Stored as the pipeline stores them: with the names the article's claims give.
        for candidate in getattr(analysis, "candidates", ()) or new_candidates(result):
            self.known.setdefault(candidate.incident_id, candidate)

    def copy(self) -> Desk:
        return Desk(self.rule_set, list(self.ledger), set(self.sent), dict(self.known))


def seeded_desk(rule_set: RuleSet, seeds: Path) -> Desk:
    """The desk after the five seeds, in manifest order, were analysed and stored."""
    desk = Desk(rule_set)
    for seed in load_seeds(seeds):
        text = seed.path.read_text("utf-8")
        document = Document(seed.url, "", text, seed.source, seed.published_at)
        result, analysis, _ = desk.analyse(document)
        desk.record(result, analysis)
    return desk


# --------------------------------------------------------------------------- scoring


def alert_fact(draft: AlertDraft, names: CandidateNames) -> AlertFact:
    if draft.kind == NEW_INCIDENT:
        return (NEW_INCIDENT, names.name(draft.incident_id or draft.subject or ""), "", "")
    value = value_text(draft.current.get("value"))
    return (draft.kind, names.name(draft.subject or ""), draft.slot or "", value)


def claim_facts(claims: Sequence[Claim], names: CandidateNames) -> tuple[set[ClaimFact], int]:
    """The claims the labels count, and how many were left out by their stance."""
    counted = [c for c in claims if str(c.stance) in COUNTED_STANCES]
    facts = {(names.name(c.subject), c.slot, value_text(c.value)) for c in counted}
    return facts, len(claims) - len(counted)


@dataclass(slots=True)
class EventRun:
    """The scores of an event set, and what the engine could not be asked."""

    scores: Scores
    mode: Mode
    articles: int
    uncounted_claims: int = 0
    notes: list[str] = field(default_factory=list)


def run_event_set(
    event_set: EventSet, rule_set: RuleSet, seeds: Path, slots: Iterable[str]
) -> EventRun:
    """Every article through the engine against the seeded desk, scored."""
    names = CandidateNames(tuple(n for a in event_set.articles for n in a.new_incidents))
    run = EventRun(Scores({s: Tally() for s in slots}), event_set.mode, len(event_set.articles))
    if not _accepts_candidates():
        run.notes.append("engine.match takes no candidates: later articles cannot see them")
    baseline = seeded_desk(rule_set, seeds)
    names.learn(baseline.known.values())
    desk = baseline
    previous: datetime | None = None
    for article in event_set.articles:
        if previous is not None and article.published_at < previous:
            run.notes.append(f"{article.article_id} is published before the article above it")
        previous = article.published_at
        if event_set.mode is Mode.INDEPENDENT:
            desk = baseline.copy()
        _score_article(article, desk, names, run)
    return run


def _score_article(article: EventArticle, desk: Desk, names: CandidateNames, run: EventRun) -> None:
    document = Document(
        f"eval://{article.article_id}", "", article.text, article.source, article.published_at
    )
    result, analysis, fresh = desk.analyse(document)
    found_new = new_candidates(result)
    names.learn(found_new)
    desk.record(result, analysis)
    scores = run.scores
    scores.add_incidents(article.article_id, article.incidents, tracked_ids(result, desk.rule_set))
    scores.add_candidates(
        article.article_id,
        {n.incident_id: f"{n.city}, {n.day}" for n in article.new_incidents},
        {names.name(c.incident_id): names.described[c.incident_id] for c in found_new},
    )
    scores.add_alerts(article.article_id, article.alerts, {alert_fact(d, names) for d in fresh})
    facts, uncounted = claim_facts(analysis.claims, names)
    run.uncounted_claims += uncounted
    scores.add_claims(article.article_id, article.claims, facts)
