"""Names: up to four parts, bare initials, appositives and "the driver is NAME"."""

from __future__ import annotations

import pytest

from monitor.analysis.claim_values import clean_name
from monitor.analysis.claims import extract_claims
from monitor.model import Document, Sentence
from tests.claimkit import CONTEXT, INCIDENT, PUBLISHED_AT, shipped_schema


def _names(text: str, slot: str = "victim_name") -> list[object]:
    """The slot's values in `text`, read as one sentence (initials end no sentence)."""
    document = Document("https://example.test/n", "", text, "Test Herald", PUBLISHED_AT)
    sentence = Sentence(0, text, 0, len(text), INCIDENT)
    claims = extract_claims(document, [sentence], (), shipped_schema(), CONTEXT)
    return [c.value for c in claims if c.slot == slot]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Agents fatally shot Maria Jose Ferrer Quintana outside a bakery.",
            "Maria Jose Ferrer Quintana",
            id="four-parts",
        ),
        pytest.param(
            "Agents fatally shot Walter P Hines outside a bakery.",
            "Walter P. Hines",
            id="bare-initial",
        ),
        pytest.param(
            "Agents fatally shot Walter P. Hines outside a bakery.",
            "Walter P. Hines",
            id="dotted-initial",
        ),
        pytest.param(
            "The passenger, Rosa Elena Duarte, was shot by an agent.",
            "Rosa Elena Duarte",
            id="appositive-before-shot",
        ),
        pytest.param(
            "An agent shot the motorist, Kofi Mensah, during a stop.",
            "Kofi Mensah",
            id="appositive-after-shot",
        ),
        pytest.param(
            "The motorist is Kofi Mensah, his cousin said.", "Kofi Mensah", id="is-name-said"
        ),
        pytest.param(
            "The woman who was wounded was Grace Abena Owusu.",
            "Grace Abena Owusu",
            id="was-name-sentence-end",
        ),
    ],
)
def test_a_victims_name_is_read_whole(text: str, expected: str) -> None:
    """Long names, initials and names set beside a noun are read as one name."""
    assert _names(text) == [expected]


def test_a_name_beside_an_officials_title_is_not_the_victims() -> None:
    """ "the victim's lawyer, NAME," and "the spokeswoman is NAME" name no victim."""
    assert _names("The spokeswoman is Helen Marsh, the agency said.") == []


def test_a_shooters_name_in_apposition_feeds_only_shooter_name() -> None:
    """ "The agent, NAME, fired": the name is the shooter's, never the victim's."""
    text = "The agent, Curtis Lowe Bragg, fired twice at the car."
    assert _names(text, "shooter_name") == ["Curtis Lowe Bragg"]
    assert _names(text) == []


def test_a_trailing_month_abbreviation_is_not_part_of_a_name() -> None:
    """ "Nora Ruiz Jan." stops before the month."""
    assert clean_name("Nora Ruiz Jan.") is None or clean_name("Nora Ruiz") == "Nora Ruiz"
    assert _names("Agents fatally shot Nora Ruiz Jan. 3 in a parking lot.") == ["Nora Ruiz"]
