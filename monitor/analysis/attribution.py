"""Sentence attribution: which candidate incident each sentence of an article speaks of.

Input: the article as matching sees it (`ArticleView`) and its candidate
incidents (candidates.py). Each sentence's main clause is scored for every
candidate (`SentenceScorer`: the incident's cues, a stated date that covers its
day, words looking back to an earlier incident); the highest score wins and a
sentence with no evidence follows the one before it. A look-back clause after
the main clause ("..., a week after an agent killed X") is scored on its own:
when it recalls an older incident it becomes a `Recap`. Output: `Attribution`,
from which match.py builds the MatchResult. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from monitor.analysis.dates import find_dates
from monitor.analysis.event_identity import ArticleEvents
from monitor.analysis.events import EventMention, Shooter
from monitor.analysis.patterns import check_budget
from monitor.analysis.rule_values import Cue, IncidentRule
from monitor.model import EntityHit

# Weights the matcher adds on top of the cues in incidents.yaml (documented there).
DATE_WEIGHT = 3.0
LOOKBACK_WEIGHT = 2.0


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a sentence counts for an incident: what matched, where, and its weight."""

    sentence_index: int
    start: int
    end: int
    matched: str
    weight: float
    reason: str
    entity_id: str | None = None
    # Evidence that singles one incident out (its people, its day, a look-back), as
    # opposed to words any shooting story shares ("killed", the city's area).
    identifying: bool = False


@dataclass(frozen=True, slots=True)
class Recap:
    """A look-back clause inside a sentence ("..., a week after an agent killed X").

    The sentence itself goes to its main clause's incident; the clause from
    `start` to `end` (offsets into `MatchResult.text`) recalls the older
    `incident_id`, so its facts belong there.
    """

    sentence_index: int
    start: int
    end: int
    incident_id: str


# ------------------------------------------------------------------ look-back words

_LOOKBACK = re.compile(
    r"\b((a|one|the) (day|week) (earlier|before|after|ago|prior)|last week|"
    r"earlier this (week|month)|previous(ly)?|since)\b",
    re.IGNORECASE,
)
# Dates and look-backs count only in sentences about an event, not "Tensions remained
# high Thursday".
EVENT_WORDS = re.compile(
    r"\b(shot|shoots?|shooting|fired|killed|killing|wounded|death|incident|attack(ed)?)\b",
    re.IGNORECASE,
)
# A look-back clause: after a main clause, words turning to an earlier event
# ("..., a week after an agent killed X", "since an agent shot ...", "following the
# fatal shooting of ..."). A sentence opening with a look-back ("A day earlier, an
# agent killed ...") is all look-back and is scored whole.
_RECAP_OPENER = re.compile(
    r"\b((a|one|two|three|several|\d+) (days?|weeks?) (after|since)|(days|weeks) after|since"
    r"|following (the|a|an)|in the wake of"
    r"|after (the|a|an) (\w+\s+){0,3}?(shooting|killing|death))\b",
    re.IGNORECASE,
)
_MIN_MAIN_CLAUSE_WORDS = 3


def find_recap(sentence: str) -> int | None:
    """Where a look-back clause starts in `sentence` (None: none after a main clause)."""
    for m in _RECAP_OPENER.finditer(sentence):
        if len(sentence[: m.start()].split()) >= _MIN_MAIN_CLAUSE_WORDS:
            return m.start()
    return None


# --------------------------------------------------------------------- the article


class ArticleView:
    """One article as matching sees it: its text, sentence spans and entity hits (each
    with its sentence index), its publication day, and each entity's tags."""

    def __init__(
        self,
        text: str,
        spans: Sequence[tuple[int, int]],
        hits: Sequence[EntityHit],
        published: date | None,
        tags_of: Mapping[str, frozenset[str]],
    ) -> None:
        self.text = text
        self.spans = spans
        self.hits = hits
        self.published = published
        self.tags_of = tags_of
        self.hits_by_sentence: dict[int, list[EntityHit]] = {}
        for hit in hits:
            self.hits_by_sentence.setdefault(hit.sentence_index, []).append(hit)


# ------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class IncidentScore:
    """The evidence for one incident in one stretch of a sentence, and its total weight."""

    incident_id: str
    total: float
    evidence: tuple[Evidence, ...]


class SentenceScorer:
    """Scores stretches of an article's sentences for an incident: cues, dates, look-backs."""

    def __init__(self, view: ArticleView, people: frozenset[str] = frozenset()) -> None:
        self.view = view
        self.people = people  # entity ids of persons: naming one identifies an incident

    def score(
        self,
        incident: IncidentRule,
        index: int,
        start: int,
        end: int,
        newest: date | None,
        lookback: re.Match[str] | None = None,
    ) -> IncidentScore:
        """Cue, date and look-back evidence for `incident` in text[start:end]."""
        sentence = self.view.text[start:end]
        hits = [h for h in self.view.hits_by_sentence.get(index, []) if start <= h.start < end]
        evidence = [
            e for cue in incident.cues for e in self.cue_evidence(cue, index, start, end, hits)
        ]
        if evidence or EVENT_WORDS.search(sentence):
            evidence.extend(self.date_evidence(incident, index, start, sentence))
            m = lookback or _LOOKBACK.search(self.view.text, start, end)
            if incident.date != newest and m is not None:
                evidence.append(
                    Evidence(
                        index,
                        m.start(),
                        m.end(),
                        m.group(),
                        LOOKBACK_WEIGHT,
                        f"{m.group()!r} looks back to an earlier incident",
                        identifying=True,
                    )
                )
        return IncidentScore(incident.incident_id, sum(e.weight for e in evidence), tuple(evidence))

    def cue_evidence(
        self, cue: Cue, index: int, start: int, end: int, hits: Sequence[EntityHit]
    ) -> list[Evidence]:
        """The first place a cue is found in text[start:end] (a cue counts once there)."""
        if cue.term is not None:
            m = cue.term.search(self.view.text, start, end)
            if m is None:
                return []
            return [
                Evidence(
                    index,
                    m.start(),
                    m.end(),
                    m.group(),
                    cue.weight,
                    f"{cue.label}: {m.group()!r}",
                    identifying=cue.identifying,
                )
            ]
        for hit in hits:
            tags = self.view.tags_of.get(hit.entity_id, frozenset())
            if hit.entity_id == cue.entity or (cue.tag is not None and cue.tag in tags):
                return [
                    Evidence(
                        index,
                        hit.start,
                        hit.end,
                        hit.alias,
                        cue.weight,
                        f"{cue.label}: {hit.alias!r}",
                        hit.entity_id,
                        identifying=cue.identifying or hit.entity_id in self.people,
                    )
                ]
        return []

    def date_evidence(
        self, incident: IncidentRule, index: int, start: int, sentence: str
    ) -> list[Evidence]:
        for mention in find_dates(sentence, start, self.view.published):
            if mention.covers(incident.date):
                reason = f"{mention.describe()}, the incident date"
                return [
                    Evidence(
                        index,
                        mention.start,
                        mention.end,
                        mention.words,
                        DATE_WEIGHT,
                        reason,
                        identifying=mention.is_one_day,
                    )
                ]
        return []


# --------------------------------------------------------------------- attribution


@dataclass(slots=True)
class Attribution:
    """Sentence attribution as it is built: labels, winning scores, mixes, recaps."""

    labels: list[str | None] = field(default_factory=list)
    winners: dict[int, IncidentScore] = field(default_factory=dict)
    mixed: list[int] = field(default_factory=list)
    recaps: dict[int, tuple[Recap, IncidentScore]] = field(default_factory=dict)


def attribute_sentences(
    scorer: SentenceScorer,
    candidates: Sequence[IncidentRule],
    events: ArticleEvents | None = None,
) -> Attribution:
    """Each sentence's incident: best cue score of its main clause, else the previous one's.

    A look-back clause after the main clause ("..., a week after an agent
    killed X") is scored on its own; when it recalls an older incident it
    becomes a Recap, and the sentence keeps its main clause's incident. A
    main clause with no evidence and no event of its own ("Tensions have
    risen since ...") gives the whole sentence to the recalled incident.

    With `events`, a clause that reports a shooting is scored only for the
    incidents its stated arguments allow; one that fits none (a police shooting,
    a shooting on another day) goes to its own event: a candidate incident or
    none. Once the story is about such an event, the sentences after it stay
    with it unless one names an incident's people, its day or looks back.
    """
    text = scorer.view.text
    events = events or ArticleEvents()
    found = Attribution()
    newest = max((c.date for c in candidates), default=None)
    elsewhere = False  # the story is on an event that is no tracked incident
    for index, (start, end) in enumerate(scorer.view.spans):
        check_budget(f"attributing sentence {index}")
        cut = find_recap(text[start:end])
        main_end = end if cut is None else start + cut
        scores = [
            scorer.score(c, index, start, main_end, newest)
            if events.allows(index, False, c.incident_id)
            else IncidentScore(c.incident_id, 0.0, ())
            for c in candidates
        ]
        best = _best(scores, candidates)
        mention = events.of(index)
        if events.is_orphan(index) and mention is not None:
            best = _own_event(scores, mention.incident_id)
        elif _states(mention) and len(fitting := _fitting(events, index, candidates)) == 1:
            # Its arguments leave one incident in play: that one, cues or none.
            best = _own_event(scores, fitting[0])
        elif elsewhere and best is not None and not _states(mention) and not _identifies(best):
            best = None  # generic words ("died", the area) do not leave the story
        if best is not None and _is_mixed(best, scores):
            found.mixed.append(index)
        if best is None:
            found.labels.append(found.labels[-1] if found.labels else None)
            if events.is_orphan(index):
                found.labels[-1] = None
        else:
            found.labels.append(best.incident_id)
            found.winners[index] = best
        elsewhere = _is_elsewhere(found.labels[-1], candidates, events.is_orphan(index), elsewhere)
        late = events.of(index, True)
        if (
            cut is not None
            and mention is None
            and late is not None
            and events.is_orphan(index, True)
        ):
            # "A man held by ICE since a raid died in custody": the only event the sentence
            # tells is in its second part, and it is no tracked incident's.
            found.labels[-1] = late.incident_id
            found.winners.pop(index, None)
            elsewhere = True
        elif cut is not None:
            recap = _recap(scorer, candidates, index, main_end, end, found.labels[-1], newest)
            if recap is not None and not events.allows(index, True, recap[0].incident_id):
                recap = None
            own_event = mention is not None or EVENT_WORDS.search(text, start, main_end)
            if recap is not None and best is None and not own_event:
                # The main clause names no event of its own ("Tensions have risen
                # since ..."), unlike "The shooting came a week after ...": the
                # sentence is a recap, wholly the older incident's.
                found.labels[-1] = recap[0].incident_id
                found.winners[index] = recap[1]
            elif recap is not None:
                found.recaps[index] = recap
                if index not in found.mixed:
                    found.mixed.append(index)
    return found


def _identifies(score: IncidentScore) -> bool:
    """A person of the incident named, or a look-back: a date alone does not take the
    story back from another event of the same day."""
    return any(e.identifying and e.weight != DATE_WEIGHT for e in score.evidence)


def _states(mention: EventMention | None) -> bool:
    """The sentence reports a shooting with a day, a place or a shooter of its own (a
    person named is identifying evidence of the scorer's; an outcome alone — "was shot in
    the shoulder" — goes on telling the story at hand)."""
    if mention is None:
        return False
    return (
        mention.date is not None
        or mention.city is not None
        or mention.shooter in (Shooter.POLICE, Shooter.OTHER)
    )


def _fitting(events: ArticleEvents, index: int, candidates: Sequence[IncidentRule]) -> list[str]:
    return [c.incident_id for c in candidates if events.allows(index, False, c.incident_id)]


def _own_event(scores: Sequence[IncidentScore], own: str | None) -> IncidentScore | None:
    """The score of the candidate an orphan mention made (None: an untracked event)."""
    for score in scores:
        if score.incident_id == own:
            return score if score.total > 0 else IncidentScore(own, 0.0, ())
    return None


def _is_elsewhere(
    label: str | None, candidates: Sequence[IncidentRule], orphan: bool, before: bool
) -> bool:
    """Whether the story is now on an event that is no tracked incident."""
    if orphan:
        return True
    if label is None:
        return before
    return any(c.incident_id == label and c.is_candidate for c in candidates)


def _recap(
    scorer: SentenceScorer,
    candidates: Sequence[IncidentRule],
    index: int,
    start: int,
    end: int,
    own: str | None,
    newest: date | None,
) -> tuple[Recap, IncidentScore] | None:
    """The older incident a look-back clause recalls (None: its own, or unclear)."""
    opener = _RECAP_OPENER.match(scorer.view.text, start)
    scores = [scorer.score(c, index, start, end, newest, opener) for c in candidates]
    best = _best(scores, candidates)
    if best is None or best.incident_id == own:
        return None
    dates = {c.incident_id: c.date for c in candidates}
    if own is not None and dates[best.incident_id] >= dates[own]:
        return None
    return Recap(index, start, end, best.incident_id), best


def _is_mixed(best: IncidentScore, scores: Sequence[IncidentScore]) -> bool:
    """True when another incident has evidence of its own here, not just shared words."""
    taken = {(e.start, e.end) for e in best.evidence}
    return any((e.start, e.end) not in taken for s in scores if s is not best for e in s.evidence)


def _best(
    scores: Sequence[IncidentScore], candidates: Sequence[IncidentRule]
) -> IncidentScore | None:
    """Highest score wins; a tie goes to the newest incident (news leads with the latest)."""
    ranked = sorted(
        zip(scores, candidates, strict=True), key=lambda pair: (pair[0].total, pair[1].date)
    )
    if not ranked or ranked[-1][0].total <= 0:
        return None
    return ranked[-1][0]
