"""The ledger's current state: the latest value of each slot and who stands behind it (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.analysis.claim_schema import ClaimValue
from monitor.analysis.claim_voice import Stance
from monitor.analysis.claims import Claim


@dataclass(frozen=True, slots=True)
class SlotState:
    """A slot's current value, the sources that state it, and who disputes or denies it."""

    slot: str
    value: ClaimValue
    qualifier: str | None
    sources: tuple[str, ...]
    disputed_by: tuple[str, ...]
    # True when no source asserts it outright: only hedged ("allegedly") claims.
    is_hedged: bool = False


def voice(claim: Claim) -> str:
    """'DHS (seed-000)' for a named speaker, the outlet alone for its own voice."""
    return f"{claim.speaker} ({claim.source})" if claim.speaker else claim.source


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def current_state(claims: Sequence[Claim]) -> dict[str, SlotState]:
    """Per slot, the most recently published asserted value (claims are in ledger order).

    A slot only ever stated with a hedge shows its latest hedged value, marked as such.
    """
    state: dict[str, SlotState] = {}
    for slot in dict.fromkeys(c.slot for c in claims):
        # A superseded claim ("had initially said", "withdrew") is history, never the
        # current value, and retires what its speaker said of that value before it.
        of_slot = _standing([c for c in claims if c.slot == slot])
        stated = [c for c in of_slot if c.stance is Stance.ASSERTS]
        is_hedged = not stated
        if is_hedged:
            stated = [c for c in of_slot if c.stance is Stance.HEDGES]
        if not stated:
            continue
        latest = stated[-1]
        same = [voice(c) for c in stated if c.value == latest.value]
        against = [voice(c) for c in of_slot if c.stance in (Stance.DISPUTES, Stance.DENIES)]
        state[slot] = SlotState(
            slot, latest.value, latest.qualifier, _unique(same), _unique(against), is_hedged
        )
    return state


def _standing(of_slot: list[Claim]) -> list[Claim]:
    """A slot's claims less superseded ones and those a later superseded claim retires."""
    return [
        c
        for position, c in enumerate(of_slot)
        if not c.superseded
        and not any(
            later.superseded
            and (later.subject, later.speaker, later.value) == (c.subject, c.speaker, c.value)
            for later in of_slot[position + 1 :]
        )
    ]
