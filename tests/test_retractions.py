"""Retractions: a value the article says was replaced is stored as earlier (superseded),
never as the current value nor an alert, and the new value updates or contradicts it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.analysis.alerts import AlertDraft
from monitor.analysis.claim_voice import is_superseded
from monitor.analysis.claims import Claim, Stance
from monitor.analysis.compare import FindingKind, compare_article, compare_claim
from monitor.analysis.ledger import current_state
from monitor.analysis.revisions import without_edited_first_reports
from tests.claimkit import claim, extract, shipped_schema


def replaced(slot: str, value: int, **fields: str) -> Claim:
    """A hand-made claim stated as an earlier, replaced account."""
    return replace(claim(slot, value, **fields), superseded=True)  # type: ignore[arg-type]


def shots(text: str) -> list[tuple[object, bool]]:
    """(value, superseded) of every shots_fired claim in `text`."""
    return [(c.value, c.superseded) for c in extract(text) if c.slot == "shots_fired"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "A prior statement from the agency had said one shot was fired.",
            [(1, True)],
            id="prior-statement-had-said",
        ),
        pytest.param(
            "ICE originally said the officer fired one shot, but later said he fired four shots.",
            [(1, True), (4, False)],
            id="originally-said-then-later",
        ),
        pytest.param(
            "ICE, which had initially said one shot was fired, now says the officer fired "
            "four shots.",
            [(4, False), (1, True)],
            id="relative-clause-then-now-says",
        ),
        pytest.param(
            "The officer fired four shots, not one as first reported.",
            [(4, False)],
            id="not-as-first-reported-keeps-the-new-value",
        ),
        pytest.param(
            "ICE revised its account on Tuesday, saying the officer fired four shots.",
            [(4, False)],
            id="revised-account-states-the-new-value",
        ),
        pytest.param("ICE said the officer fired four shots.", [(4, False)], id="plain-statement"),
    ],
)
def test_earlier_accounts_are_marked_superseded(
    text: str, expected: list[tuple[object, bool]]
) -> None:
    """'had said', 'originally said', 'initially said' mark only the earlier value."""
    assert shots(text) == expected


def test_corrected_report_states_an_earlier_value() -> None:
    """'corrected a report that the officer fired one shot': the one is history."""
    assert shots("ICE corrected a report that the officer fired one shot.") == [(1, True)]


def test_a_count_revised_from_one_value_to_another_supersedes_only_the_first() -> None:
    """'revised the toll from two to three': two is history, three is not."""
    clause = "The county revised the toll from two to three."
    two, three = clause.index("two"), clause.index("three")
    schema = shipped_schema()
    assert is_superseded(clause, two, two + 3, schema)
    assert not is_superseded(clause, three, three + 5, schema)


def test_a_superseded_value_is_never_an_alert() -> None:
    """On an empty ledger an earlier account is no first report."""
    earlier = claim("shots_fired", 1, speaker="ICE")
    assert compare_claim(replace(earlier, superseded=True), [], shipped_schema()) == []


def test_the_new_value_updates_the_account_it_replaces_in_the_same_article() -> None:
    """'ICE says four shots; it had said one': one update 1 -> 4, no first reports."""
    article = extract(
        "ICE said the officer fired four shots. An earlier ICE statement had said a single shot "
        "was fired."
    )
    findings = [f for f in compare_article(article, [], shipped_schema()) if f.is_alert]
    assert [(f.kind, f.earlier[0].value, f.claim.value) for f in findings] == [
        (FindingKind.UPDATE, 1, 4)
    ]


def test_another_speaker_contradicting_a_replaced_value_is_a_contradiction() -> None:
    """With only the replaced account on record, another speaker's new value clashes with it."""
    ledger = [replaced("shots_fired", 1, speaker="ICE")]
    findings = compare_claim(claim("shots_fired", 4, speaker="witnesses"), ledger, shipped_schema())
    assert [f.kind for f in findings] == [FindingKind.CONTRADICTION]


def test_a_retraction_retires_the_speakers_earlier_value() -> None:
    """After 'ICE had said one shot' (retracting it), a repeat of one by others is no
    corroboration of it but a contradiction of ICE's four."""
    ledger = [
        claim("shots_fired", 1, speaker="ICE", source="day-1"),
        claim("shots_fired", 4, speaker="ICE", source="day-2"),
        replaced("shots_fired", 1, speaker="ICE", source="day-2"),
    ]
    findings = compare_claim(
        claim("shots_fired", 1, speaker="witnesses", source="day-3"), ledger, shipped_schema()
    )
    assert [(f.kind, f.earlier[-1].value) for f in findings] == [(FindingKind.CONTRADICTION, 4)]


def test_the_ledger_never_shows_a_superseded_value_as_current() -> None:
    """The current value is the latest one that stands, not the latest one mentioned."""
    ledger = [
        claim("shots_fired", 4, speaker="ICE"),
        replaced("shots_fired", 1, speaker="ICE"),
    ]
    assert current_state(ledger)["shots_fired"].value == 4


def test_an_agency_withdrawing_retires_its_investigation() -> None:
    """After 'the BCA withdrew', 'the FBI is investigating' is measured against no BCA."""
    ledger = extract("The BCA is investigating the shooting.", source="day-1")
    ledger += extract("The BCA withdrew from the investigation.", source="day-2")
    assert "investigation" not in current_state(ledger)


# ------------------------------------------------------------------ quiet edits


def _draft(kind: str, value: str, previous: str | None) -> AlertDraft:
    side = {"value": value}
    return AlertDraft(
        dedup_key=f"{kind}|{value}|{previous}",
        kind=kind,
        subject="inc-riverside",
        incident_id="inc-riverside",
        slot="victim_condition",
        previous=None if previous is None else {"value": previous},
        earlier=() if previous is None else ({"value": previous},),
        current=side,
        article_url="https://example.test/a",
        reason="",
    )


def test_an_edits_new_value_is_not_also_a_first_report() -> None:
    """serious -> critical by an edit alerts once, as an edit."""
    first_report = _draft("update", "critical", None)
    edit = _draft("edit", "critical", "serious")
    assert without_edited_first_reports([first_report], [edit]) == []


def test_an_edit_keeps_updates_against_other_outlets() -> None:
    """A change against another outlet's value is news besides the edit."""
    update = _draft("update", "critical", "stable")
    contradiction = _draft("contradiction", "critical", "dead")
    edit = _draft("edit", "critical", "serious")
    kept = without_edited_first_reports([update, contradiction], [edit])
    assert kept == [update, contradiction]


def test_an_account_an_outlet_reported_in_its_own_voice_is_revised_not_contradicted() -> None:
    """The ledger's "one shot" in an outlet's own words, then "DHS now says four; it had
    initially said one" and "the letter says four rounds": one update 1 -> 4, no clash
    of the letter's four with the replaced one."""
    ledger = [claim("shots_fired", 1, speaker="", source="day-1")]
    article = [
        claim("shots_fired", 4, speaker="DHS", source="day-9"),
        replaced("shots_fired", 1, speaker="DHS", source="day-9"),
        claim("shots_fired", 4, speaker="", source="day-9"),
    ]
    findings = [f for f in compare_article(article, ledger, shipped_schema()) if f.is_alert]
    assert [(f.kind, f.earlier[-1].value, f.claim.value) for f in findings] == [
        (FindingKind.UPDATE, 1, 4)
    ]


def test_another_voice_in_the_same_story_still_disputes_the_revised_value() -> None:
    """Judging a value once per story does not silence an explicit dispute of it."""
    article = [
        claim("shots_fired", 4, speaker="DHS"),
        claim("shots_fired", 4, speaker="the family's lawyer", stance=Stance.DISPUTES),
    ]
    kinds = [f.kind for f in compare_article(article, [], shipped_schema()) if f.is_alert]
    assert kinds == [FindingKind.UPDATE, FindingKind.CONTRADICTION]
