"""Match an article against the rules: entities, incidents, sentence attribution.

Input: a `Document` and validated `Rules`. Output: a `MatchResult` naming the
incidents the article is about (with a score and evidence), whether it looks
like a new incident (the watch rule fits but no known incident does), every
entity mention, and each sentence with the incident it speaks of.

The stages, each in its own module: sentences.py splits the text,
entities.py finds the entity mentions, candidates.py picks the incidents the
article can be about, attribution.py gives each sentence its incident; this
module composes them and sums the attribution up per incident.

Pure: no I/O, no clock. All aliases are compiled once per Rules into a single
Aho-Corasick automaton, so the cost per article depends on the article's length
and its mentions, not on how many aliases the rules define.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from monitor.analysis.attribution import (
    ArticleView,
    Attribution,
    Evidence,
    Recap,
    SentenceScorer,
    attribute_sentences,
    find_recap,
)
from monitor.analysis.candidates import DEFINITE_SHOOTING, CandidateFinder, IncidentPlaces
from monitor.analysis.entities import EntityFinder
from monitor.analysis.event_identity import (
    ArticleEvents,
    ArticleFacts,
    candidate_event,
    known_event,
    resolve_events,
)
from monitor.analysis.events import CandidateIncident, Clause, EventMention, Shooter
from monitor.analysis.incident_arguments import candidate_rule, name_pattern
from monitor.analysis.places import city_key
from monitor.analysis.rule_values import EntityRule, IncidentRule, Rules
from monitor.analysis.sentences import split_sentences
from monitor.model import Document, EntityHit, EntityKind, Sentence

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class IncidentMatch:
    """One incident an article is about.

    `score` is the share (0..1) of the article's sentences attributed to the
    incident, so the article's main subject comes first; `weight` sums the
    evidence found for it.
    """

    incident_id: str
    score: float
    weight: float
    sentence_indexes: tuple[int, ...]
    evidence: tuple[Evidence, ...]
    candidate: bool = False  # a candidate incident (events.py), not a tracked one


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Everything matching found in one article; offsets index `text`."""

    url: str
    text: str
    incidents: tuple[IncidentMatch, ...]
    new_incident: bool
    watch_evidence: tuple[Evidence, ...]
    hits: tuple[EntityHit, ...]
    sentences: tuple[Sentence, ...]
    # Sentences with cues for more than one incident ("shot a man in the leg, a week
    # after an agent killed a woman"): claim extraction should treat them with care.
    mixed_sentences: tuple[int, ...] = ()
    # Look-back clauses scored apart from their sentence's main clause.
    recaps: tuple[Recap, ...] = ()
    # Every shooting the article reports, with the incident each went to (events.py).
    events: tuple[EventMention, ...] = ()
    # Candidate incidents this article is the first to report.
    new_candidates: tuple[CandidateIncident, ...] = ()

    @property
    def incident_ids(self) -> tuple[str, ...]:
        """The ids of the matched incidents and candidates, best first."""
        return tuple(m.incident_id for m in self.incidents)

    @property
    def tracked_ids(self) -> tuple[str, ...]:
        """The ids of the matched tracked incidents (from incidents.yaml), best first."""
        return tuple(m.incident_id for m in self.incidents if not m.candidate)

    def sentences_of(self, incident_id: str) -> tuple[Sentence, ...]:
        """The sentences attributed to one incident."""
        return tuple(s for s in self.sentences if s.incident_id == incident_id)

    def recap_of(self, sentence_index: int) -> Recap | None:
        """The look-back clause of one sentence, if it has one tied to an older incident."""
        return next((r for r in self.recaps if r.sentence_index == sentence_index), None)


# Unicode hyphens and spaces in their plain form, one character for one so offsets
# hold: cues and values are written with "-" and " " ("37-year-old").
_PLAIN_FORMS = str.maketrans(
    {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " "}
)


def analysed_text(document: Document) -> str:
    """The text matching works on: the title (if any) as a first paragraph, then the body,
    with Unicode hyphens and spaces made plain.

    Plain-text articles keep their headline as the body's first line; it is not
    repeated, or every claim in a headline would be read twice.
    """
    title = document.title.strip()
    if not title or document.text.lstrip().startswith(title):
        return document.text.translate(_PLAIN_FORMS)
    return f"{title}\n\n{document.text}".translate(_PLAIN_FORMS)


# ------------------------------------------------------------------------- the matcher


class Matcher:
    """Rules compiled for matching: build once per Rules, then call `match` per article."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.entity_finder = EntityFinder(rules.entities, rules.titles)
        self.places = IncidentPlaces(
            rules.incidents, self.entity_finder.entities, self.entity_finder.tags_of
        )
        self.people = frozenset(e.entity_id for e in rules.entities if e.kind is EntityKind.PERSON)
        # Naming who was shot or who fired singles an incident out; naming a mayor or a
        # secretary does not (they speak of every shooting in their city or agency).
        self.participants = frozenset(
            e.entity_id for e in rules.entities if e.entity_id in self.people and _took_part(e)
        )
        self.known_events = {
            i.incident_id: known_event(
                i, rules.gazetteer, self.places.condition_people[i.incident_id]
            )
            for i in rules.incidents
        }
        self._candidate_rules: dict[CandidateIncident, IncidentRule] = {}
        # Place entities that are cities in the gazetteer (not states or areas).
        self.cities = frozenset(
            e.entity_id
            for e in rules.entities
            if e.kind is EntityKind.PLACE
            and any(city_key(a) in rules.gazetteer.cities for a in e.aliases)
        )

    def match(
        self, document: Document, candidates: Sequence[CandidateIncident] = ()
    ) -> MatchResult:
        """Match one article, with the candidate incidents known so far; never raises on
        messy text."""
        text = analysed_text(document)
        spans = split_sentences(text)
        hits = self.entity_finder.find_hits(text, spans)
        # Weekdays resolve against the publication day; a first-sight date is too rough.
        known = document.published_at is not None and not document.date_uncertain
        published = document.published_at.date() if known and document.published_at else None
        view = ArticleView(text, spans, hits, published, self.entity_finder.tags_of)
        return self._result(document.url, view, candidates)

    def candidate_rule(self, candidate: CandidateIncident) -> IncidentRule:
        """A candidate as an incident rule, compiled once per candidate."""
        rule = self._candidate_rules.get(candidate)
        if rule is None:
            if len(self._candidate_rules) > _MAX_CANDIDATE_RULES:
                self._candidate_rules.clear()
            rule = self._candidate_rules[candidate] = candidate_rule(candidate)
        return rule

    def _result(
        self, url: str, view: ArticleView, known: Sequence[CandidateIncident]
    ) -> MatchResult:
        """Candidates, events, then sentence attribution, then the summary per incident."""
        scorer = SentenceScorer(view, self.participants)
        finder = CandidateFinder(self.rules, self.places, scorer)
        tracked = finder.candidates()
        followed = finder.followed_candidates([self.candidate_rule(c) for c in known])
        events = self._events(view, finder, [*self.rules.incidents], known)
        new_rules = [self.candidate_rule(c) for c in events.new_candidates]
        named = {c.incident_id: name_pattern(c.names) for c in known}
        followed = [
            r
            for r in followed
            if _is_reported(r, events, self.known_events)
            or _names_in(named.get(r.incident_id), view.text)
        ]
        dated = [i for i in self.rules.incidents if i not in tracked and _is_dated(i, events, view)]
        in_play = [*tracked, *dated, *followed, *new_rules]
        found = attribute_sentences(scorer, in_play, events)
        incidents = _incident_matches(in_play, found)
        sentences = tuple(
            Sentence(i, view.text[s:e], s, e, found.labels[i])
            for i, (s, e) in enumerate(view.spans)
        )
        watch = _candidate_evidence(events, view, self.rules)
        return MatchResult(
            url=url,
            text=view.text,
            incidents=incidents,
            new_incident=bool(events.new_candidates),
            watch_evidence=watch,
            hits=tuple(view.hits),
            sentences=sentences,
            mixed_sentences=tuple(found.mixed),
            recaps=tuple(r for r, _ in found.recaps.values()),
            events=_placed_mentions(events, found, {c.incident_id for c in in_play}),
            new_candidates=tuple(events.new_candidates),
        )

    def _events(
        self,
        view: ArticleView,
        finder: CandidateFinder,
        incidents: Sequence[IncidentRule],
        known: Sequence[CandidateIncident],
    ) -> ArticleEvents:
        in_window = [self.known_events[i.incident_id] for i in incidents if finder.in_window(i)]
        in_window += [candidate_event(c) for c in known if finder.in_window(self.candidate_rule(c))]
        facts = ArticleFacts(
            text=view.text,
            clauses=article_clauses(view, finder.dateline),
            published=view.published,
            people=[(h.start, h.entity_id) for h in view.hits if h.entity_id in self.people],
            dateline_city=finder.dateline_city(self.rules.gazetteer),
            fits_watch=finder.fits_watch,
            article_city=self._article_city(view),
            dateline_sentence=_sentence_at(view, finder.dateline),
        )
        return resolve_events(facts, self.rules.gazetteer, in_window)

    def _article_city(self, view: ArticleView) -> str | None:
        """The first city the article places something in, else the first city entity."""
        placed = self.rules.gazetteer.find(view.text, 0, len(view.text))
        if placed:
            return placed[0].name
        for hit in view.hits:
            entity = self.entity_finder.entities[hit.entity_id]
            if entity.kind is EntityKind.PLACE and hit.entity_id in self.cities:
                return hit.alias
        return None


# An entity's role text that says it took part in a shooting ("woman fatally shot by
# ...", "ICE officer who shot ...").
_PARTICIPANT_ROLE = re.compile(r"(?i:\b(?:shot|killed|wounded|fired|shooting)\b)")


def _took_part(entity: EntityRule) -> bool:
    return bool(_PARTICIPANT_ROLE.search(entity.role))


def _is_reported(
    candidate: IncidentRule, events: ArticleEvents, tracked: Mapping[str, object]
) -> bool:
    """A known candidate is in play only where a shooting the article reports is its own:
    dated to its day, or fitting it and no tracked incident. A city's candidates are many,
    and its name and gunfire alone would pull every story of that city to each of them."""
    for key, mention in events.mentions.items():
        if not events.allows(*key, candidate.incident_id):
            continue
        allowed = events.allowed.get(key, frozenset())
        if mention.date == candidate.date or not any(i in tracked for i in allowed):
            return True
    return False


def _names_in(pattern: str | None, text: str) -> bool:
    """The article names a candidate's victim or shooter."""
    return pattern is not None and re.search(pattern, text) is not None


def _is_dated(incident: IncidentRule, events: ArticleEvents, view: ArticleView) -> bool:
    """A shooting the article dates to the incident's day, by federal agents or as one the
    reader knows ("Wednesday's shooting"), fitting it in every stated argument."""
    for key, mention in events.mentions.items():
        if mention.date != incident.date or not events.allows(*key, incident.incident_id):
            continue
        clause = view.text[mention.start : mention.end]
        if mention.shooter is Shooter.FEDERAL or DEFINITE_SHOOTING.search(clause):
            return True
    return False


def _sentence_at(view: ArticleView, found: re.Match[str] | None) -> int | None:
    if found is None:
        return None
    return next((i for i, (_, end) in enumerate(view.spans) if found.start() < end), None)


# At most this many candidate rules stay compiled (months of candidates fit).
_MAX_CANDIDATE_RULES = 5_000


def article_clauses(view: ArticleView, dateline: re.Match[str] | None = None) -> list[Clause]:
    """Each sentence's main clause (after the dateline, which is read apart), and its
    look-back clause when it has one."""
    clauses = []
    for index, (start, end) in enumerate(view.spans):
        cut = find_recap(view.text[start:end])
        main_end = end if cut is None else start + cut
        if dateline is not None and start <= dateline.start() < main_end:
            start = min(dateline.end(), main_end)
        clauses.append(Clause(index, start, main_end))
        if cut is not None:
            clauses.append(Clause(index, main_end, end, is_recap=True))
    return clauses


def _placed_mentions(
    events: ArticleEvents, found: Attribution, in_play: set[str]
) -> tuple[EventMention, ...]:
    """Every mention with the incident its clause went to; a further shooting inside a
    clause goes to the one incident its arguments leave (None: to no tracked one)."""
    placed = []
    for (index, is_recap), mention in sorted(events.mentions.items()):
        label = found.labels[index]
        if is_recap and index in found.recaps:
            label = found.recaps[index][0].incident_id
        elif is_recap:
            label = mention.incident_id if events.is_orphan(index, True) else label
        placed.append(replace(mention, incident_id=label))
    for mention, allowed in events.secondary:
        label = found.labels[mention.sentence_index]
        fits = allowed & in_play
        if len(fits) == 1:
            label = next(iter(fits))
        elif not allowed and mention.states_anything:
            label = None  # an event no one tracks: its facts are nobody's
        placed.append(replace(mention, incident_id=label))
    return tuple(sorted(placed, key=lambda m: m.start))


def _candidate_evidence(
    events: ArticleEvents, view: ArticleView, rules: Rules
) -> tuple[Evidence, ...]:
    """Why the article reports a new incident: the first mention of each new candidate."""
    evidence = []
    for candidate in events.new_candidates:
        mention = next(
            m for m in events.mentions.values() if m.incident_id == candidate.incident_id
        )
        watch = rules.watch.watch_id if rules.watch is not None else "events"
        reason = (
            f"new candidate incident {candidate.incident_id}: a shooting by federal agents "
            f"that fits no tracked incident (fits {watch!r})"
        )
        clause = view.text[mention.start : mention.end]
        evidence.append(
            Evidence(mention.sentence_index, mention.start, mention.end, clause, 1.0, reason)
        )
    return tuple(evidence)


def _incident_matches(
    candidates: Sequence[IncidentRule], found: Attribution
) -> tuple[IncidentMatch, ...]:
    """Per incident: its sentences (attributed or recalled), its share of all, its evidence."""
    matches = []
    for incident in candidates:
        own = incident.incident_id
        recalled = {i: s for i, (r, s) in found.recaps.items() if r.incident_id == own}
        indexes = tuple(i for i, label in enumerate(found.labels) if label == own or i in recalled)
        won = [s for s in found.winners.values() if s.incident_id == own]
        won.extend(recalled.values())
        if not won:
            continue
        evidence = tuple(e for s in won for e in s.evidence)
        share = round(len(indexes) / max(1, len(found.labels)), 3)
        weight = sum(s.total for s in won)
        matches.append(
            IncidentMatch(own, share, weight, indexes, evidence, candidate=incident.is_candidate)
        )
    return tuple(sorted(matches, key=lambda m: (-m.score, -m.weight)))


# -------------------------------------------------------------------------- entry points

_COMPILED: dict[int, tuple[Rules, Matcher]] = {}
_MAX_COMPILED = 4


def compile_matcher(rules: Rules) -> Matcher:
    """The Matcher for `rules`, built on first use and reused (keyed by identity)."""
    cached = _COMPILED.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    matcher = Matcher(rules)
    if len(_COMPILED) >= _MAX_COMPILED:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[id(rules)] = (rules, matcher)
    return matcher


def match_document(
    document: Document, rules: Rules, candidates: Sequence[CandidateIncident] = ()
) -> MatchResult:
    """Match one article against the rules and the candidate incidents known so far (the
    matcher is compiled once per Rules)."""
    return compile_matcher(rules).match(document, candidates)


def explain(result: MatchResult, width: int = 100) -> list[str]:
    """Plain-text lines saying what matched and why (for `monitor explain`)."""
    lines: list[str] = []
    for match in result.incidents:
        share = f"{len(match.sentence_indexes)} of {len(result.sentences)} sentences"
        lines.append(
            f"{match.incident_id}: score {match.score:.2f} ({share}, "
            f"evidence weight {match.weight:g})"
        )
        lines.extend(f"  [{e.sentence_index}] +{e.weight:g} {e.reason}" for e in match.evidence)
    if result.new_incident:
        lines.append(f"candidate new incident: {result.watch_evidence[0].reason}")
    if not lines:
        lines.append("no known incident and no watch rule fits")
    lines.append("sentences:")
    for sentence in result.sentences:
        mixed = " (mixed)" if sentence.index in result.mixed_sentences else ""
        recap = result.recap_of(sentence.index)
        mixed += f" (recalls {recap.incident_id})" if recap is not None else ""
        head = f"  [{sentence.index}] {sentence.incident_id or '-'}{mixed}: "
        text = " ".join(sentence.text.split())
        room = max(10, width - len(head))
        lines.append(head + (text if len(text) <= room else text[: room - 1] + "…"))
    return lines
