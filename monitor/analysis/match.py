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
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.analysis.attribution import (
    ArticleView,
    Attribution,
    Evidence,
    Recap,
    SentenceScorer,
    attribute_sentences,
)
from monitor.analysis.candidates import CandidateFinder, IncidentPlaces, watch_evidence
from monitor.analysis.entities import EntityFinder
from monitor.analysis.rule_values import IncidentRule, Rules
from monitor.analysis.sentences import split_sentences
from monitor.model import Document, EntityHit, Sentence

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

    @property
    def incident_ids(self) -> tuple[str, ...]:
        """The ids of the matched incidents, best first."""
        return tuple(m.incident_id for m in self.incidents)

    def sentences_of(self, incident_id: str) -> tuple[Sentence, ...]:
        """The sentences attributed to one incident."""
        return tuple(s for s in self.sentences if s.incident_id == incident_id)

    def recap_of(self, sentence_index: int) -> Recap | None:
        """The look-back clause of one sentence, if it has one tied to an older incident."""
        return next((r for r in self.recaps if r.sentence_index == sentence_index), None)


def analysed_text(document: Document) -> str:
    """The text matching works on: the title (if any) as a first paragraph, then the body.

    Plain-text articles keep their headline as the body's first line; it is not
    repeated, or every claim in a headline would be read twice.
    """
    title = document.title.strip()
    if not title or document.text.lstrip().startswith(title):
        return document.text
    return f"{title}\n\n{document.text}"


# ------------------------------------------------------------------------- the matcher


class Matcher:
    """Rules compiled for matching: build once per Rules, then call `match` per article."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.entity_finder = EntityFinder(rules.entities, rules.titles)
        self.places = IncidentPlaces(
            rules.incidents, self.entity_finder.entities, self.entity_finder.tags_of
        )

    def match(self, document: Document) -> MatchResult:
        """Match one article; never raises on messy text."""
        text = analysed_text(document)
        spans = split_sentences(text)
        hits = self.entity_finder.find_hits(text, spans)
        published = None if document.published_at is None else document.published_at.date()
        view = ArticleView(text, spans, hits, published, self.entity_finder.tags_of)
        return self._result(document.url, view)

    def _result(self, url: str, view: ArticleView) -> MatchResult:
        """Candidates, then sentence attribution, then the summary per incident."""
        scorer = SentenceScorer(view)
        candidates = CandidateFinder(self.rules, self.places, scorer).candidates()
        found = attribute_sentences(scorer, candidates)
        incidents = _incident_matches(candidates, found)
        unattributed = {i for i, label in enumerate(found.labels) if label is None}
        watch = watch_evidence(self.rules.watch, view, unattributed)
        sentences = tuple(
            Sentence(i, view.text[s:e], s, e, found.labels[i])
            for i, (s, e) in enumerate(view.spans)
        )
        return MatchResult(
            url=url,
            text=view.text,
            incidents=incidents,
            new_incident=bool(watch),
            watch_evidence=watch,
            hits=tuple(view.hits),
            sentences=sentences,
            mixed_sentences=tuple(found.mixed),
            recaps=tuple(r for r, _ in found.recaps.values()),
        )


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
        matches.append(IncidentMatch(own, share, weight, indexes, evidence))
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


def match_document(document: Document, rules: Rules) -> MatchResult:
    """Match one article against the rules (the matcher is compiled once per Rules)."""
    return compile_matcher(rules).match(document)


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
