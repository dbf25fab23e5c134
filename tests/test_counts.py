"""Counts of people: coordinated noun phrases add up; a subset is not the total."""

from __future__ import annotations

import pytest

from monitor.analysis.claim_values import AT_LEAST
from monitor.analysis.counts import coordinated_count
from tests.claimkit import extract, values


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        pytest.param(
            "wounded",
            "Deputies came upon a teenager and an older man with gunshot wounds.",
            2,
            id="two-singulars-with-wounds",
        ),
        pytest.param(
            "wounded", "The agent shot and wounded a man and two pedestrians.", 3, id="1-plus-2"
        ),
        pytest.param(
            "wounded",
            "A driver, a passenger and a bystander were injured in the gunfire.",
            3,
            id="three-item-list-as-subject",
        ),
        pytest.param(
            "killed", "Agents shot and killed a man and his son.", 2, id="possessive-item"
        ),
    ],
)
def test_a_coordinated_noun_phrase_counts_every_person(slot: str, text: str, expected: int) -> None:
    """ "a man and a woman" is two people, whichever side of the cue the list stands."""
    assert values(text, slot) == [expected]


def test_a_phrase_that_opens_its_own_clause_is_not_added() -> None:
    """ "killed a man and a woman was hurt": one killed, one wounded."""
    claims = extract("An agent killed a driver and a passenger was injured.")
    assert [(c.slot, c.value) for c in claims if c.slot in ("killed", "wounded")] == [
        ("killed", 1),
        ("wounded", 1),
    ]


def test_the_list_needs_and_before_its_last_phrase() -> None:
    """A comma alone ("a man, a father of two,") is an appositive, not a list."""
    clause = "shot a man, a father of two, near the river"
    assert coordinated_count(clause, clause.index("a man"), 1) == 1
    clause = "shot a man, a woman and a boy near the river"
    assert coordinated_count(clause, clause.index("a man"), 1) == 3


def test_one_person_shot_among_a_larger_group_is_a_lower_bound() -> None:
    """ "A man was wounded" after "three people were shot" is at least one, not the total."""
    text = "Three people were shot near the depot. A man was wounded in the shoulder."
    wounded = [c for c in extract(text) if c.slot == "wounded"]
    assert [(c.value, c.qualifier) for c in wounded] == [(1, AT_LEAST)]


def test_a_lone_person_is_the_total_when_no_larger_group_is_stated() -> None:
    """With no group, "a man was wounded" says one person was wounded."""
    wounded = [c for c in extract("A man was wounded in the shoulder.") if c.slot == "wounded"]
    assert [(c.value, c.qualifier) for c in wounded] == [(1, None)]


def test_a_subset_beside_a_stated_total_is_dropped() -> None:
    """ "two were wounded ... a woman was wounded" reports two, never one."""
    text = (
        "Two people were wounded when agents opened fire. "
        "A woman was wounded in the leg, her lawyer said."
    )
    assert values(text, "wounded") == [2]


def test_one_of_a_group_is_never_the_groups_size() -> None:
    """ "One of the two was hurt" reports no total of two."""
    assert 2 not in values("One of the two was hurt badly, a relative said.", "wounded")


def test_a_list_that_restates_a_group_adds_nothing() -> None:
    """ "two people, a man and a woman" is two people, not four."""
    text = "Agents shot and wounded two people, a teenager and a woman, at a car wash."
    assert values(text, "wounded") == [2]
