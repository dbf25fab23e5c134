"""Stealth edits: when to re-fetch a published article, and what its edit changed.

Input: the recheck delays (MONITOR_RECHECK_SCHEDULE, parsed by config), an article's publication
and first-seen times and how many rechecks it has had; for an edit, the claims
of one article's previous revision and of its new revision.
Output: the time of the next re-fetch (None: no more rechecks), and "edit"
alert drafts, one per fact the outlet changed in its own story, each with the
sentence before and after the edit. Pure: no I/O, no clock; `now` is passed in.

Whether the text changed at all is the caller's business (a content hash):
an unchanged page is never re-extracted, so it never reaches `edit_alerts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.analysis.alerts import AlertDraft, claim_view
from monitor.analysis.claims import Claim, Stance
from monitor.analysis.compare import shown

__all__ = [
    "EDIT",
    "edit_alerts",
    "next_recheck_at",
    "skip_overdue_checks",
    "without_edited_first_reports",
]

EDIT = "edit"

# ------------------------------------------------------------------------ schedule


def _anchor(published_at: datetime | None, first_seen_at: datetime) -> datetime:
    """Publication time, or first seen when publication is unknown or after it (a bad date)."""
    if published_at is None or published_at > first_seen_at:
        return first_seen_at
    return published_at


def next_recheck_at(
    published_at: datetime | None,
    first_seen_at: datetime,
    checks_done: int,
    schedule: Sequence[timedelta],
) -> datetime | None:
    """When to re-fetch next: publication (or first seen) + the next delay; None when done.

    The delays count from publication. When the publication time is unknown,
    or later than the moment monitor first saw the article (a wrong date in the
    feed), they count from first seen instead.
    """
    if checks_done < 0:
        raise ValueError(f"checks_done must be 0 or more, got {checks_done}")
    if checks_done >= len(schedule):
        return None
    return _anchor(published_at, first_seen_at) + schedule[checks_done]


def skip_overdue_checks(
    published_at: datetime | None,
    first_seen_at: datetime,
    checks_done: int,
    schedule: Sequence[timedelta],
    fetched_at: datetime,
) -> int:
    """`checks_done`, raised past every check that was due at or before `fetched_at`.

    The rule: a fetch shows the article as it is at that moment, so every check
    due at or before it is redundant and counts as done. Call it after the first
    fetch (checks_done=0, fetched_at=first seen) and after each recheck (with
    checks_done + 1 for the check just made, fetched_at=now). With the default
    schedule, an article first seen 3 h after publication counts 2 checks done
    and is next re-fetched at published+6h, not three times at once; a daemon
    that was down for a day makes one late check, not several.
    """
    anchor = _anchor(published_at, first_seen_at)
    covered = sum(1 for delay in schedule if anchor + delay <= fetched_at)
    return max(checks_done, covered)


# --------------------------------------------------------------------------- edits


@dataclass(frozen=True, slots=True)
class _Change:
    """One fact of one (subject, slot) the edit touched; a side is None when absent."""

    old: Claim | None
    new: Claim | None

    @property
    def position(self) -> tuple[int, int]:
        """Where the change shows in the new revision (removals: the old position)."""
        if self.new is not None:
            return (self.new.sentence_index, 0)
        assert self.old is not None
        return (self.old.sentence_index, 1)


def edit_alerts(
    old_claims: Sequence[Claim], new_claims: Sequence[Claim], *, outlet: str, article_url: str
) -> list[AlertDraft]:
    """Edit alerts for the facts one article's new revision changed, in article order.

    Per (subject, slot), only asserted values count, compared as values (text
    case-folded; qualifiers ignored). A value in both revisions is unchanged,
    whichever sentence states it and however worded. Of the rest, only claims
    of edited sentences count: a removed value whose sentence is still in the
    new revision, or an added value whose sentence was already in the old one,
    is the same text read in a new context, not an edit. A removed and an added
    value pair up as a change (same speaker first, then in article order); an
    unpaired one is a claim added or removed. Sentences are known from the
    claims only, so a sentence that stated nothing before counts as new text.
    """
    old_sentences = {_folded_sentence(c.sentence) for c in old_claims}
    new_sentences = {_folded_sentence(c.sentence) for c in new_claims}
    old_by_slot = _asserted_by_slot(old_claims)
    new_by_slot = _asserted_by_slot(new_claims)
    changes: list[_Change] = []
    for key in [*new_by_slot, *(k for k in old_by_slot if k not in new_by_slot)]:
        old_values = old_by_slot.get(key, {})
        new_values = new_by_slot.get(key, {})
        removed = [
            claim
            for value, claim in old_values.items()
            if value not in new_values and _folded_sentence(claim.sentence) not in new_sentences
        ]
        added = [
            claim
            for value, claim in new_values.items()
            if value not in old_values and _folded_sentence(claim.sentence) not in old_sentences
        ]
        changes.extend(_paired(removed, added))
    changes.sort(key=lambda change: change.position)
    return [_draft(change, outlet, article_url) for change in changes]


def without_edited_first_reports(
    drafts: Sequence[AlertDraft], edits: Sequence[AlertDraft]
) -> list[AlertDraft]:
    """The analysis alerts of an edited article, less first reports an edit already tells.

    An edit that changes a value the ledger holds no other value for would also read
    as the slot's "first report": the desk saw the old value when the story came out,
    and the edit alert shows old and new, so the first report is dropped. Updates and
    contradictions against other outlets' values stay.
    """
    edited = {_edited_value(edit) for edit in edits if edit.previous is not None}
    return [
        draft
        for draft in drafts
        if not (
            draft.kind == "update" and draft.previous is None and _edited_value(draft) in edited
        )
    ]


def _edited_value(draft: AlertDraft) -> tuple[str | None, str | None, str]:
    return (draft.subject, draft.slot, str(draft.current.get("value")).casefold())


def _asserted_by_slot(claims: Sequence[Claim]) -> dict[tuple[str, str], dict[str, Claim]]:
    """(subject, slot) -> value key -> the first asserted claim of that value."""
    grouped: dict[tuple[str, str], dict[str, Claim]] = {}
    for claim in sorted(claims, key=lambda c: c.sentence_index):
        if claim.stance is Stance.ASSERTS:
            values = grouped.setdefault((claim.subject, claim.slot), {})
            values.setdefault(_value_key(claim), claim)
    return grouped


def _paired(removed: list[Claim], added: list[Claim]) -> list[_Change]:
    """Removed and added values of one slot matched up: same speaker first, then in order."""
    changes: list[_Change] = []
    left = list(removed)
    unmatched: list[Claim] = []
    for new in added:
        same_voice = next((old for old in left if old.speaker == new.speaker), None)
        if same_voice is None:
            unmatched.append(new)
            continue
        left.remove(same_voice)
        changes.append(_Change(same_voice, new))
    for new in unmatched:
        changes.append(_Change(left.pop(0) if left else None, new))
    changes.extend(_Change(old, None) for old in left)
    return changes


def _draft(change: _Change, outlet: str, article_url: str) -> AlertDraft:
    old, new = change.old, change.new
    either = new or old
    assert either is not None
    previous = claim_view(old) if old is not None else None
    current = claim_view(new) if new is not None else _removed_view(either)
    return AlertDraft(
        dedup_key=_dedup_key(article_url, either, old, new),
        kind=EDIT,
        subject=either.subject,
        incident_id=_incident_of(either),
        slot=either.slot,
        previous=previous,
        earlier=(previous,) if previous is not None else (),
        current=current,
        article_url=article_url,
        reason=f"{outlet} edited its own story: {_what_changed(old, new)}",
    )


def _removed_view(old: Claim) -> dict[str, Any]:
    """The 'after' side of a removed claim: the article, with no value and no sentence."""
    view = claim_view(old)
    view.update(value="(removed)", qualifier=None, speaker=None, sentence="")
    return view


def _dedup_key(article_url: str, claim: Claim, old: Claim | None, new: Claim | None) -> str:
    """One alert per article, fact and change: seen twice, it alerts once."""
    old_key = "" if old is None else _value_key(old)
    new_key = "" if new is None else _value_key(new)
    return "|".join((EDIT, article_url, claim.subject, claim.slot, old_key, new_key))


def _what_changed(old: Claim | None, new: Claim | None) -> str:
    if old is not None and new is not None:
        return f"{old.slot} {shown(old)} → {shown(new)}{_voice(new)}"
    if new is not None:
        return f"added {new.slot} {shown(new)}{_voice(new)}"
    assert old is not None
    return f"removed the claim that {old.slot} is {shown(old)}{_voice(old)}"


def _voice(claim: Claim) -> str:
    return f" (attributed to {claim.speaker})" if claim.speaker else ""


def _incident_of(claim: Claim) -> str | None:
    if claim.incident_id:
        return claim.incident_id
    return None if claim.subject.startswith("city:") else claim.subject


def _value_key(claim: Claim) -> str:
    return str(claim.value).casefold()


def _folded_sentence(sentence: str) -> str:
    return " ".join(sentence.split()).casefold()
