"""Stance scope and speakers: a hedge or dispute governs its own clause and target;
who says a quoted or cited fact; phrasings of investigations, custody and times."""

from __future__ import annotations

import pytest

from monitor.analysis.claims import Claim, Stance
from monitor.analysis.compare import FindingKind, compare_article
from tests.claimkit import extract, shipped_schema


def stances(text: str, slot: str) -> set[Stance]:
    """The stances of one slot's claims in `text`."""
    return {c.stance for c in extract(text) if c.slot == slot}


def of_slot(text: str, slot: str) -> list[Claim]:
    return [c for c in extract(text) if c.slot == slot]


# ------------------------------------------------------------------ disputes


@pytest.mark.parametrize(
    "slot", ["victim_name", "victim_age", "shooter_agency", "killed"], ids=lambda s: s
)
def test_a_recap_the_video_disputed_disputes_only_the_account(slot: str) -> None:
    """'..., which footage contradicted' leaves the name, age, agency and death asserted."""
    text = (
        "Maria Lopez, 41, was shot dead by an ICE officer who claimed he fired in "
        "self-defense, which footage from a bystander contradicted."
    )
    assert stances(text, slot) == {Stance.ASSERTS}
    assert stances(text, "justification") == {Stance.DISPUTES}


def test_lies_in_a_lawsuit_are_no_dispute_of_the_shooters_agency() -> None:
    """'lies by a CBP agent who shot ...' states the agency; it does not dispute it."""
    text = "The widow sued over what she called lies by a CBP agent who shot and killed her son."
    assert stances(text, "shooter_agency") == {Stance.ASSERTS}


def test_a_dispute_that_names_a_value_disputes_it() -> None:
    """'denied reports that two people were killed' targets the count it names."""
    text = "The sheriff disputed reports that two people were killed."
    assert stances(text, "killed") == {Stance.DISPUTES}


def test_a_dispute_followed_by_a_value_of_ones_own_asserts_that_value() -> None:
    """'challenged the account, saying two were wounded' asserts the two (after a break)."""
    text = "The family challenged the account, saying two people were wounded."
    assert stances(text, "wounded") == {Stance.ASSERTS}


def test_a_recap_dispute_raises_no_contradiction_of_the_facts_it_recaps() -> None:
    """Against a ledger of the same facts, a disputed recap only contradicts the account."""
    ledger = extract(
        "Maria Lopez, 41, was shot dead by an ICE officer who said he acted in self-defense.",
        source="Earlier",
    )
    recap = extract(
        "Maria Lopez, 41, was shot dead by an ICE officer who claimed he fired in "
        "self-defense, which footage from a bystander contradicted.",
        source="Later",
    )
    contradicted = {
        f.claim.slot
        for f in compare_article(recap, ledger, shipped_schema())
        if f.kind is FindingKind.CONTRADICTION
    }
    assert contradicted <= {"justification"}


# -------------------------------------------------------------------- hedges


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Three men who allegedly took part in the assault were taken into custody.",
            id="hedge-in-a-relative-clause",
        ),
        pytest.param(
            "Three men allegedly took part in the assault and were later arrested.",
            id="hedge-before-a-coordinated-predicate",
        ),
    ],
)
def test_a_hedge_on_one_predicate_leaves_the_custody_beside_it_asserted(text: str) -> None:
    """'allegedly' governs what the men did, not that they are held."""
    assert [(c.value, c.stance) for c in of_slot(text, "in_custody")] == [(3, Stance.ASSERTS)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Reportedly, two people were wounded.", id="sentence-adverb"),
        pytest.param("Two people were reportedly wounded.", id="before-the-predicate"),
        pytest.param(
            "The agent, who reportedly fired three shots, was placed on leave.",
            id="value-inside-the-hedged-relative-clause",
        ),
    ],
)
def test_a_hedge_still_governs_the_predicate_it_modifies(text: str) -> None:
    """Scoping hedges does not unhedge what they do govern."""
    assert {c.stance for c in extract(text)} >= {Stance.HEDGES}


# ------------------------------------------------------------------- speakers


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        pytest.param(
            "“Three shots were fired,” said Dana Whitfield, a spokeswoman for the county.",
            "Dana Whitfield",
            id="named-speaker-after-a-closing-quote",
        ),
        pytest.param('"The agent fired three shots," said DHS.', "DHS", id="agency-after-quote"),
        pytest.param(
            '"He told me he fired three shots," Frey said.',
            "Jacob Frey",
            id="a-verb-inside-the-quote-is-not-the-speaker",
        ),
        pytest.param(
            "According to the affidavit, the agent fired three shots.",
            "court_documents",
            id="according-to-the-affidavit",
        ),
        pytest.param(
            "The agent fired three shots, according to court records.",
            "court_documents",
            id="according-to-court-records",
        ),
        pytest.param(
            "According to the city, two people were wounded.",
            "local_officials",
            id="according-to-the-city",
        ),
        pytest.param(
            "DHS, which had first said one shot was fired, now says the agent fired three shots.",
            "DHS",
            id="subject-before-a-relative-clause",
        ),
    ],
)
def test_the_speaker_is_found_after_quotes_and_in_citations(text: str, speaker: str) -> None:
    """Inverted 'said NAME', 'according to the X' and relative clauses keep the speaker."""
    assert {c.speaker for c in extract(text)} == {speaker}


def test_unnamed_police_in_a_clause_naming_another_city_are_that_citys_police() -> None:
    """'police in Minneapolis said' in a Portland incident's article is MPD, not PPB."""
    assert {c.speaker for c in extract("Police in Minneapolis said two people were wounded.")} == {
        "MPD"
    }


def test_unnamed_police_are_the_police_of_the_sentences_incident() -> None:
    """Without another city named, 'police said' is the incident city's force."""
    assert {c.speaker for c in extract("Two people were wounded, police said.")} == {"PPB"}


# ------------------------------------------------------------------ phrasings


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        pytest.param("The FBI took over the case on Friday.", "FBI", id="took-over-the-case"),
        pytest.param("The BCA is leading the investigation.", "BCA", id="is-leading"),
        pytest.param(
            "Prosecutors gave the FBI sole control of the inquiry.", "FBI", id="sole-control"
        ),
        pytest.param(
            "The sheriff handed the investigation over to the BCA.", "BCA", id="handed-over"
        ),
    ],
)
def test_who_investigates_is_read_from_many_phrasings(text: str, agency: str) -> None:
    """Taking over, leading, or being given a case names the investigating agency."""
    assert [(c.value, c.superseded) for c in of_slot(text, "investigation")] == [(agency, False)]


@pytest.mark.parametrize(
    "text",
    [
        "The BCA withdrew from the investigation on Monday.",
        "The Bureau of Criminal Apprehension said it was pulling out of the probe.",
    ],
)
def test_an_agency_withdrawing_from_an_investigation_is_stored_superseded(text: str) -> None:
    """A withdrawal says the agency no longer investigates: history, not an assertion."""
    assert [(c.value, c.superseded) for c in of_slot(text, "investigation")] == [("BCA", True)]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        pytest.param("A woman was booked into the county jail late Sunday.", 1, id="booked"),
        pytest.param("Two teenagers were taken into custody.", 2, id="taken-into-custody"),
        pytest.param(
            "Deputies arrested a fourth man, bringing to four the number in custody.",
            4,
            id="running-total",
        ),
    ],
)
def test_custody_phrasings_give_the_number_held(text: str, count: int) -> None:
    """Booking, custody and a running total count who is held; an ordinal arrest is no count."""
    assert [c.value for c in of_slot(text, "in_custody")] == [count]


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        pytest.param("The agent opened fire shortly before 7 p.m.", "shortly_before", id="before"),
        pytest.param("Gunfire was reported just after 9:30 p.m.", "just_after", id="just-after"),
    ],
)
def test_a_time_keeps_its_qualifier(text: str, qualifier: str) -> None:
    """'shortly before 7 p.m.' is stored as 19:00 qualified, not as exactly 19:00."""
    assert [c.qualifier for c in of_slot(text, "time")] == [qualifier]


def test_a_value_set_against_another_speakers_is_a_counter_claim() -> None:
    """'four shots, not two as the agency said' says four against the agency's two."""
    text = "A witness said the officer fired four shots, not two as the agency said."
    assert [(c.value, c.stance) for c in of_slot(text, "shots_fired")] == [(4, Stance.DISPUTES)]
