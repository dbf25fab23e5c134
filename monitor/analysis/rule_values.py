"""The typed rules: what rules/*.yaml says, as frozen values the matcher reads.

Entities (with their alias forms and disambiguation settings), known incidents
(their condition, cues and date window), the watch rule for new incidents, the
feeds, and the condition trees they share. rules.py builds them from the files;
everything downstream reads only these values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from monitor.analysis.patterns import SafePattern
from monitor.analysis.places import Gazetteer
from monitor.model import Entity, EntityKind, FeedSpec

DEFAULT_WINDOW_DAYS = 120
DEFAULT_WATCH_WINDOW_SENTENCES = 2


@dataclass(frozen=True, slots=True)
class EntityCondition:
    """True when the entity is mentioned (after disambiguation)."""

    entity: str


@dataclass(frozen=True, slots=True)
class TagCondition:
    """True when any entity carrying the tag is mentioned."""

    tag: str


@dataclass(frozen=True, slots=True)
class TermCondition:
    """True when the case-insensitive regular expression matches the text."""

    term: str
    pattern: SafePattern = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AllCondition:
    """True when every sub-condition is."""

    all: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyCondition:
    """True when at least one sub-condition is."""

    any: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NoneCondition:
    """True when no sub-condition is."""

    none: tuple[Condition, ...]


Condition = (
    EntityCondition | TagCondition | TermCondition | AllCondition | AnyCondition | NoneCondition
)


@dataclass(frozen=True, slots=True)
class ContextAlias:
    """An alias that counts only next to text matching `before` or `after`."""

    alias: str
    before: SafePattern | None
    after: SafePattern | None


@dataclass(frozen=True, slots=True)
class EntityRule:
    """An entity as written in entities.yaml, with its disambiguation settings."""

    entity_id: str
    kind: EntityKind
    name: str
    role: str
    aliases: tuple[str, ...]
    case_sensitive_aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    context_aliases: tuple[ContextAlias, ...] = ()
    requires_entities: tuple[str, ...] = ()
    excluded_after: SafePattern | None = None
    tags: tuple[str, ...] = ()

    @property
    def entity(self) -> Entity:
        """The plain model value, with every alias form listed."""
        context = tuple(c.alias for c in self.context_aliases)
        every = self.aliases + self.case_sensitive_aliases + self.weak_aliases + context
        return Entity(self.entity_id, self.kind, self.name, every, self.role)


@dataclass(frozen=True, slots=True)
class Cue:
    """Evidence that a sentence speaks of one incident rather than its neighbours."""

    weight: float
    label: str
    entity: str | None = None
    tag: str | None = None
    term: SafePattern | None = None
    # Naming it singles the incident out (a candidate's city): see attribution.py.
    identifying: bool = False


@dataclass(frozen=True, slots=True)
class IncidentRule:
    """A known incident: what identifies an article about it, and its cues."""

    incident_id: str
    title: str
    date: date
    city: str
    condition: Condition
    cues: tuple[Cue, ...] = ()
    window_days: int = DEFAULT_WINDOW_DAYS
    slack_channel: str | None = None
    # The incident's arguments (what editors know): event mentions are checked against
    # them, and without a `condition` they make one (rules.py, `derived_condition`).
    place: str | None = None  # entity id or tag of its city or area
    agency: str | None = None  # entity id or tag of the shooter's agency
    shooter: str | None = None  # entity id
    victim_names: tuple[str, ...] = ()  # entity ids
    victim_count: int | None = None
    outcome: str | None = None  # "killed" or "wounded"
    # A candidate incident (events.CandidateIncident) being matched like a tracked one.
    is_candidate: bool = False


@dataclass(frozen=True, slots=True)
class WatchRule:
    """The shape of a story worth flagging as a possible new incident."""

    watch_id: str
    title: str
    condition: Condition
    window_sentences: int = DEFAULT_WATCH_WINDOW_SENTENCES


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything in rules/, validated."""

    entities: tuple[EntityRule, ...]
    incidents: tuple[IncidentRule, ...]
    watch: WatchRule | None = None
    feeds: tuple[FeedSpec, ...] = ()
    titles: tuple[str, ...] = ()
    # US cities, to read where an event happened (places.py).
    gazetteer: Gazetteer = field(default_factory=Gazetteer)


# --------------------------------------------------------------------------- helpers

# Curly apostrophes and no-break spaces in their plain form: aliases and article text
# are compared with these straightened (entities.py folds text with it too).
STRAIGHTEN = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "\u00a0": " "})


def normalise_alias(alias: str, *, case_sensitive: bool) -> str:
    """The form an alias is compared in: straight apostrophes, case folded unless exact."""
    text = alias.translate(STRAIGHTEN)
    return text if case_sensitive else text.lower()


def iter_conditions(condition: Condition, *, asked_for: bool = False) -> Iterator[Condition]:
    """Every node of a condition tree, depth first; with asked_for, only the nodes the
    condition requires, leaving out `none:` branches (what it rules out)."""
    if asked_for and isinstance(condition, NoneCondition):
        return
    yield condition
    if isinstance(condition, AllCondition):
        children: tuple[Condition, ...] = condition.all
    elif isinstance(condition, AnyCondition):
        children = condition.any
    elif isinstance(condition, NoneCondition):
        children = condition.none
    else:
        children = ()
    for child in children:
        yield from iter_conditions(child, asked_for=asked_for)
