"""Comparison: is a new claim news (update), a clash (contradiction) or a repeat?

Input: a Claim, the ledger of earlier claims (oldest first) and the claim rules.
Output: Findings. An update is new information (a slot's first value, a value
that supersedes: alive -> dead, 2,000 -> 3,000 officers); a contradiction is an
incompatible value from a different speaker, or a dispute of an asserted
value; a corroboration is a repeat, returned so the caller can attach it to
the earlier claim. Hedged claims ("reportedly") are filed, never alerted.
Pure and deterministic: the same ledger and claim give the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from monitor.analysis.claim_schema import ChangeAction, ClaimSchema, ClaimValue, SlotRule, SlotType
from monitor.analysis.claim_values import names_agree, shown_value, time_readings
from monitor.analysis.claims import Claim, Stance

__all__ = ["Finding", "FindingKind", "alert_key", "compare_article", "compare_claim"]


class FindingKind(StrEnum):
    UPDATE = "update"
    CONTRADICTION = "contradiction"
    CORROBORATION = "corroboration"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a new claim means against the ledger, with a one-line reason."""

    kind: FindingKind
    claim: Claim
    earlier: tuple[Claim, ...]
    reason: str

    @property
    def is_alert(self) -> bool:
        """Updates and contradictions are alerts; corroborations are not."""
        return self.kind is not FindingKind.CORROBORATION


class Relation(StrEnum):
    """How a new value stands to an earlier one of the same slot."""

    SAME = "same"  # equal, or compatible (overlapping counts, a parent agency)
    INCREASE = "increase"
    DECREASE = "decrease"
    DIFFER = "differ"
    CONFLICT = "conflict"  # a lower rank the slot lists as a clash (alive after dead)


# ---------------------------------------------------------------------- one claim


def compare_claim(claim: Claim, ledger: Sequence[Claim], schema: ClaimSchema) -> list[Finding]:
    """The findings for one claim against the earlier claims (oldest first)."""
    return [
        checked
        for finding in _findings(claim, ledger, schema)
        if (checked := _incompatible_only(finding, schema)) is not None
    ]


def _findings(claim: Claim, ledger: Sequence[Claim], schema: ClaimSchema) -> list[Finding]:
    slot = schema.slot(claim.slot)
    if claim.stance is Stance.HEDGES or claim.value in slot.absent or claim.superseded:
        return []  # a superseded value is history, never news of its own
    asserted = _standing(claim, ledger, slot, schema)
    if claim.stance in (Stance.DISPUTES, Stance.DENIES):
        known = [
            c
            for c in ledger
            if (c.subject, c.slot, c.value, c.stance, c.speaker)
            == (claim.subject, claim.slot, claim.value, claim.stance, claim.speaker)
        ]
        if known:  # the same dispute, already on record
            reason = (
                f"{_who(claim)} repeats its {claim.stance} of {shown(claim)} ({_cite(known[0])})"
            )
            return [Finding(FindingKind.CORROBORATION, claim, tuple(known), reason)]
        return _dispute(claim, asserted, slot, schema)
    agreeing = [c for c in asserted if relation(slot, claim, c, schema) is Relation.SAME]
    if agreeing:
        reason = f"{_who(claim)} repeats {shown(claim)} ({_cite(agreeing[0])})"
        return [Finding(FindingKind.CORROBORATION, claim, tuple(agreeing), reason)]
    if not asserted:
        return _first(claim, slot, ledger)
    return _change(claim, asserted, slot, schema)


def _standing(
    claim: Claim, ledger: Sequence[Claim], slot: SlotRule, schema: ClaimSchema
) -> list[Claim]:
    """The asserted values of the claim's slot that still stand, oldest first.

    A superseded claim ("DHS had initially said one shot") retires the same speaker's
    earlier claims of that value. Retired and superseded values are only what the
    slot's history compares with when nothing else stands: then the new value is an
    update or contradiction of the earlier account, not a first report.
    """
    of_slot = [
        c
        for c in ledger
        if c.subject == claim.subject
        and c.slot == claim.slot
        and c.stance is Stance.ASSERTS
        and c.value not in slot.absent
    ]
    current = [
        c
        for position, c in enumerate(of_slot)
        if not c.superseded and not _retired(c, of_slot[position + 1 :], slot, schema)
    ]
    return current or of_slot


def _retired(claim: Claim, later: Sequence[Claim], slot: SlotRule, schema: ClaimSchema) -> bool:
    """Whether a later superseded claim of the same speaker says this value was replaced.

    The outlets' own voice counts as one speaker here: "the BCA withdrew from the
    investigation" in one outlet retires "the BCA is investigating" in another. A value
    an outlet stated in its own voice is retired by any speaker's superseded account of
    it ("DHS had initially said one shot"): the outlet was reporting that account.
    """
    return any(
        c.superseded
        and (c.speaker == claim.speaker or not claim.speaker)
        and relation(slot, c, claim, schema) is Relation.SAME
        for c in later
    )


def _incompatible_only(finding: Finding, schema: ClaimSchema) -> Finding | None:
    """The rule for contradictions: two incompatible values, never an asserted value
    against an equal one ("ICE -> ICE"). Earlier claims equal to an asserted new value
    are dropped from a contradiction, and with none left it is no finding. A dispute or
    denial of a value is incompatible with it, so it stands."""
    claim = finding.claim
    if finding.kind is not FindingKind.CONTRADICTION or claim.stance in (
        Stance.DISPUTES,
        Stance.DENIES,
    ):
        return finding
    slot = schema.slot(claim.slot)
    clashing = tuple(
        c
        for c in finding.earlier
        if c.value != claim.value and relation(slot, claim, c, schema) is not Relation.SAME
    )
    if not clashing:
        return None
    return finding if clashing == finding.earlier else replace(finding, earlier=clashing)


def _first(claim: Claim, slot: SlotRule, ledger: Sequence[Claim]) -> list[Finding]:
    # "No one was killed", "no arrests": a first count of zero reports that
    # nothing happened, which is not news on its own; it is filed only.
    if slot.type is SlotType.COUNT and claim.value == 0:
        return []
    implied = _implying(claim, slot, ledger)
    if implied:
        reason = (
            f"{_who(claim)}: {shown(claim)} was implied by {implied[0].slot} ({_cite(implied[0])})"
        )
        return [Finding(FindingKind.CORROBORATION, claim, implied, reason)]
    if slot.changes.first is not ChangeAction.UPDATE:
        return []
    if claim.slot in IDENTITY_SLOTS and claim.holder not in ("victim", ""):
        return []  # an age or name not tied to the person shot: filed, not news
    reason = f"first report of {claim.slot}: {shown(claim)} ({_cite(claim)})"
    return [Finding(FindingKind.UPDATE, claim, (), reason)]


def _implying(claim: Claim, slot: SlotRule, ledger: Sequence[Claim]) -> tuple[Claim, ...]:
    """Earlier claims of another slot that already imply this value (killed 1 -> dead)."""
    other = slot.implied_by.get(str(claim.value))
    if other is None:
        return ()
    return tuple(
        c
        for c in ledger
        if c.subject == claim.subject
        and c.slot == other
        and c.stance is Stance.ASSERTS
        and isinstance(c.value, int)
        and c.value > 0
    )


# Who the person shot is: a clash here is only news when the value is tied to the victim
# (a relative's or an official's age is not), so an unsure binding files without alerting.
IDENTITY_SLOTS = frozenset({"victim_age", "victim_name"})


def _change(
    claim: Claim, asserted: list[Claim], slot: SlotRule, schema: ClaimSchema
) -> list[Finding]:
    latest = asserted[-1]
    how = relation(slot, claim, latest, schema)
    action = {
        Relation.INCREASE: slot.changes.increase,
        Relation.DECREASE: slot.changes.decrease,
        Relation.DIFFER: slot.changes.differ,
        Relation.CONFLICT: ChangeAction.CONTRADICTION,
    }.get(how, ChangeAction.IGNORE)
    if action is ChangeAction.CONTRADICTION and _same_voice(claim, latest):
        action = ChangeAction.UPDATE  # a speaker revising its own account
    moved_on = how is not Relation.CONFLICT and _moved_on(claim, latest, slot)
    if action is ChangeAction.CONTRADICTION and moved_on:
        action = ChangeAction.UPDATE  # "now in serious condition", "released": news
    if action is ChangeAction.IGNORE:
        return []
    if action is ChangeAction.UPDATE:
        change = f"{shown(latest)} -> {shown(claim)}"
        reason = f"{claim.slot}: {change} ({_cite(claim)}; was {_cite(latest)})"
        return [Finding(FindingKind.UPDATE, claim, (latest,), reason)]
    if claim.slot in IDENTITY_SLOTS and claim.holder != "victim":
        return []  # unsure whose age or name it is: filed, not worth a contradiction
    clashing = tuple(c for c in asserted if not _same_voice(c, claim))
    earlier = f"{_who(latest)} said {shown(latest)} ({latest.source})"
    reason = f"{_who(claim)} says {shown(claim)}; {earlier}"
    return [Finding(FindingKind.CONTRADICTION, claim, clashing or (latest,), reason)]


def _moved_on(claim: Claim, latest: Claim, slot: SlotRule) -> bool:
    """A state slot reported again well after its latest value: the state moved on (a
    condition that worsened days later, a suspect released) rather than two accounts of
    one moment clashing. A denied death is never this (CONFLICT, handled before)."""
    if slot.evolves_after_h <= 0 or claim.published_at is None or latest.published_at is None:
        return False
    hours = (claim.published_at - latest.published_at).total_seconds() / 3600
    return hours >= slot.evolves_after_h


def _dispute(
    claim: Claim, asserted: list[Claim], slot: SlotRule, schema: ClaimSchema
) -> list[Finding]:
    """A dispute or denial clashes with the same value asserted by someone else."""
    targets = tuple(
        c
        for c in asserted
        if relation(slot, claim, c, schema) is Relation.SAME and not _same_voice(c, claim)
    )
    verb = "disputes" if claim.stance is Stance.DISPUTES else "denies"
    if not targets:
        return _counter_claim(claim, asserted, slot, schema, verb)
    first = targets[0]
    reason = f"{_who(claim)} {verb} {claim.slot} {shown(first)} asserted by {_cite(first)}"
    return [Finding(FindingKind.CONTRADICTION, claim, targets, reason)]


def _counter_claim(
    claim: Claim, asserted: list[Claim], slot: SlotRule, schema: ClaimSchema, verb: str
) -> list[Finding]:
    """ "Three were wounded, not two as officials said": a disputing speaker's own value."""
    if claim.stance is not Stance.DISPUTES or not asserted:
        return []
    latest = asserted[-1]
    if _same_voice(claim, latest) or relation(slot, claim, latest, schema) is Relation.SAME:
        return []
    reason = f"{_who(claim)} {verb} {shown(latest)} ({_cite(latest)}) and says {shown(claim)}"
    return [Finding(FindingKind.CONTRADICTION, claim, (latest,), reason)]


# ----------------------------------------------------------------------- relations


def relation(slot: SlotRule, new: Claim, old: Claim, schema: ClaimSchema) -> Relation:
    """How `new`'s value stands to `old`'s under the slot's type."""
    if slot.type is SlotType.COUNT:
        return _count_relation(new, old)
    if slot.type is SlotType.ORDERED_ENUM:
        return _rank_relation(slot, new.value, old.value)
    if slot.type is SlotType.PERSON:
        return Relation.SAME if names_agree(str(new.value), str(old.value)) else Relation.DIFFER
    if slot.type is SlotType.AGENCY:
        return _agency_relation(str(new.value), str(old.value), schema)
    if slot.type is SlotType.TIME_OF_DAY:
        return _time_relation(new, old, slot.tolerance_min)
    if slot.type is SlotType.TEXT:
        same = str(new.value).casefold() == str(old.value).casefold()
        return Relation.SAME if same else Relation.DIFFER
    return Relation.SAME if new.value == old.value else Relation.DIFFER


def _interval(value: int, qualifier: str | None) -> tuple[float, float]:
    """The range a qualified count allows: "about 3,000" is 2,700-3,300."""
    low, high = float(value), float(value)
    if qualifier == "about":
        low, high = value * 0.9, value * 1.1
    elif qualifier in ("more_than", "at_least"):
        high = float("inf")
    elif qualifier == "almost":
        low = value * 0.9
    elif qualifier in ("fewer_than", "at_most"):
        low = 0.0
    return low, high


def _count_relation(new: Claim, old: Claim) -> Relation:
    if not isinstance(new.value, int) or not isinstance(old.value, int):
        return Relation.DIFFER
    if new.value == old.value:
        return Relation.SAME
    if new.value > old.value:
        return Relation.INCREASE
    # Lower, but the ranges overlap ("more than 2,000" after "about 3,000").
    new_low, new_high = _interval(new.value, new.qualifier)
    old_low, old_high = _interval(old.value, old.qualifier)
    overlaps = new_low <= old_high and old_low <= new_high
    return Relation.SAME if overlaps else Relation.DECREASE


def _rank_relation(slot: SlotRule, new: ClaimValue, old: ClaimValue) -> Relation:
    if new == old:
        return Relation.SAME
    new_rank, old_rank = slot.rank(new), slot.rank(old)
    if new_rank is None or old_rank is None or new_rank == old_rank:
        return Relation.DIFFER
    if new_rank > old_rank:
        return Relation.INCREASE
    return (
        Relation.CONFLICT if new in slot.conflicts.get(str(old), frozenset()) else Relation.DECREASE
    )


def _agency_relation(new: str, old: str, schema: ClaimSchema) -> Relation:
    if new == old or schema.agency_parent(old) == new:
        return Relation.SAME  # "a DHS officer" after "an ICE officer"
    if schema.agency_parent(new) == old:
        return Relation.INCREASE  # "an ICE officer" after "a DHS officer": more precise
    return Relation.DIFFER


# Minutes a time qualifier opens before and after the stated time: "shortly before
# 7 p.m." agrees with 18:45, never with 19:10.
_TIME_WINDOWS: dict[str, tuple[int, int]] = {
    "shortly_before": (20, 0),
    "just_before": (10, 0),
    "shortly_after": (0, 20),
    "just_after": (0, 10),
}


def _time_relation(new: Claim, old: Claim, tolerance_min: int) -> Relation:
    new_spans = _time_spans(new)
    old_spans = _time_spans(old)
    close = any(
        a_low - tolerance_min <= b_high and b_low - tolerance_min <= a_high
        for a_low, a_high in new_spans
        for b_low, b_high in old_spans
    )
    return Relation.SAME if close else Relation.DIFFER


def _time_spans(claim: Claim) -> list[tuple[int, int]]:
    """Each reading of a claimed time as a window of minutes (a point, unless qualified)."""
    before, after = _TIME_WINDOWS.get(claim.qualifier or "", (0, 0))
    readings = time_readings(str(claim.value), claim.qualifier)
    return [(minute - before, minute + after) for minute in sorted(readings)]


# ----------------------------------------------------------------------- articles


def compare_article(
    claims: Sequence[Claim], ledger: Sequence[Claim], schema: ClaimSchema
) -> list[Finding]:
    """Findings for one article's claims, in order, against the ledger.

    Claims of one article do not update or contradict each other: a value is
    compared with the ledger and with the values the article itself says were
    replaced ("had initially said one shot"), which come first. The exception is an
    explicit dispute, which
    may target a value asserted earlier in the same article ("federal officials
    say self-defence, but local officials disputed that claim"). Findings with
    equal alert keys are reported once, and an asserted value the article has already
    been judged on is not judged again in another voice: "DHS now says four shots" is
    an update of DHS's replaced one, and "the letter says four rounds" further down the
    same story is that account again, not a clash with the replaced value.
    """
    findings: list[Finding] = []
    keys: set[str] = set()
    judged: set[tuple[str, str, str]] = set()
    # What the article itself says was replaced comes before everything it says now.
    earlier = [c for c in claims if c.superseded]
    for position, claim in enumerate(claims):
        disputed = claim.stance in (Stance.DISPUTES, Stance.DENIES)
        base = [*ledger, *earlier, *claims[:position]] if disputed else [*ledger, *earlier]
        value = (claim.subject, claim.slot, _key_value(claim))
        alerted = False
        for finding in compare_claim(claim, base, schema):
            key = alert_key(finding)
            if finding.is_alert and (key in keys or (not disputed and value in judged)):
                continue
            keys.add(key)
            findings.append(finding)
            alerted = alerted or finding.is_alert
        if alerted and not disputed:
            judged.add(value)
    return findings


def alert_key(finding: Finding) -> str:
    """Dedup key over (subject, slot, earlier value, new value): one alert per change.

    Twenty syndicated copies of one story produce the same key, so the caller
    sends one alert.
    """
    claim = finding.claim
    earlier = "" if not finding.earlier else _key_value(finding.earlier[-1])
    new = _key_value(claim)
    if claim.stance in (Stance.DISPUTES, Stance.DENIES):
        earlier, new = new, str(claim.stance)
    return "|".join((claim.subject, claim.slot, str(finding.kind), earlier, new))


def _key_value(claim: Claim) -> str:
    return str(claim.value).casefold()


# -------------------------------------------------------------------- wording


def shown(claim: Claim) -> str:
    """The claim's value as a reader writes it: '2,000', 'about 14:15'."""
    return shown_value(claim.value, claim.qualifier)


def _who(claim: Claim) -> str:
    return claim.speaker or claim.source


def _cite(claim: Claim) -> str:
    return f"{_who(claim)}, {claim.source}" if claim.speaker else claim.source


def _same_voice(a: Claim, b: Claim) -> bool:
    """Same speaker; for the outlet's own voice, also the same outlet."""
    return a.speaker == b.speaker and (bool(a.speaker) or a.source == b.source)
