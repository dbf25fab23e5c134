"""Whose attribute a value is: ages, names and conditions bound to a person and a role."""

from __future__ import annotations

import pytest

from monitor.analysis.roles import Cast, Role, cast_from_entities, fits, holder_role
from monitor.model import Entity, EntityKind
from tests.claimkit import extract, values


def _role(slot: str, clause: str, value: str, cast: Cast | None = None) -> Role:
    start = clause.index(value)
    return holder_role(slot, clause, start, start + len(value), cast or Cast())


@pytest.mark.parametrize(
    ("clause", "value", "expected"),
    [
        pytest.param("Agents shot a 52-year-old cyclist", "52", Role.UNKNOWN, id="noun"),
        pytest.param("A 48-year-old neighbor heard the shots", "48", Role.WITNESS, id="neighbor"),
        pytest.param("the county sheriff, 63, spoke briefly", "63", Role.OFFICIAL, id="sheriff"),
        pytest.param("his sister, 33, drove to the scene", "33", Role.RELATIVE, id="his-sister"),
        pytest.param("a grandmother, 70, was hit", "70", Role.UNKNOWN, id="kin-not-possessed"),
        pytest.param("Deputy Chief Ray Olsen, 58, declined", "58", Role.OFFICIAL, id="title"),
        pytest.param("Lucia Brandt, 44, told reporters", "44", Role.WITNESS, id="speaker"),
        pytest.param("Lucia Brandt, 44, was hit by a bullet", "44", Role.UNKNOWN, id="unknown"),
    ],
)
def test_an_age_belongs_to_the_person_it_stands_beside(
    clause: str, value: str, expected: Role
) -> None:
    """The noun after "N-year-old" or the name or noun before ", N," holds the age."""
    assert _role("victim_age", clause, value) is expected


def test_a_name_the_article_knows_keeps_its_role_in_later_sentences() -> None:
    """Once a name is the shooter's, an age beside it is the shooter's too."""
    cast = Cast()
    cast.learn_name("Gideon Hale", Role.SHOOTER)
    assert _role("victim_age", "Hale, 39, was placed on leave", "39", cast) is Role.SHOOTER


def test_a_noun_used_for_the_person_shot_becomes_the_victim() -> None:
    """ "the cyclist who was shot" makes a later "the cyclist" the victim."""
    cast = Cast()
    cast.learn_sentence("The passenger who was shot had been sitting in the back.")
    assert _role("victim_condition", "the passenger is now stable", "stable", cast) is Role.VICTIM


def test_the_subject_of_a_condition_is_read_after_the_verb_of_saying() -> None:
    """In "agents said the teenager is stable" the teenager, not the agents, is stable."""
    clause = "Agents said the teenager is in stable condition"
    assert _role("victim_condition", clause, "stable condition") is Role.UNKNOWN
    clause = "Hospital staff said the deputy is in stable condition"
    assert _role("victim_condition", clause, "stable condition") is Role.SHOOTER


def test_entity_descriptions_give_people_their_roles() -> None:
    """An entity described as shot is a victim; one who fired, the shooter; a mayor, an official."""
    cast = cast_from_entities(
        [
            Entity(
                "p1", EntityKind.PERSON, "Iris Vance", ("Iris Vance",), "woman shot by an agent"
            ),
            Entity("p2", EntityKind.PERSON, "Owen Pratt", ("Owen Pratt",), "agent who shot Vance"),
            Entity("p3", EntityKind.PERSON, "Nell Ochoa", ("Nell Ochoa",), "mayor of Riverside"),
        ]
    )
    assert cast.role_of_name("Iris Vance") is Role.VICTIM
    assert cast.role_of_name("Owen Pratt") is Role.SHOOTER
    assert cast.role_of_name("Nell Ochoa") is Role.OFFICIAL


def test_victim_slots_refuse_every_role_but_the_victim_and_unknown() -> None:
    """A victim slot takes a victim's or an unknown person's value; shooter_name the shooter's."""
    for role in (Role.SHOOTER, Role.OFFICIAL, Role.RELATIVE, Role.WITNESS, Role.OTHER):
        assert not fits("victim_age", role)
    assert fits("victim_age", Role.VICTIM)
    assert fits("victim_condition", Role.UNKNOWN)
    assert not fits("shooter_name", Role.VICTIM)
    assert fits("shooter_name", Role.SHOOTER)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("The governor, 61, called for calm on Sunday.", id="official-noun"),
        pytest.param("Police Chief Dora Wills, 57, took no questions.", id="official-title"),
        pytest.param("Their uncle, 47, flew in from Denver.", id="relative"),
        pytest.param("Tobias Reyes, 66, said he ran inside when the shots rang out.", id="speaker"),
        pytest.param("A 35-year-old witness filmed the stop.", id="witness"),
    ],
)
def test_another_persons_age_never_becomes_the_victims(text: str) -> None:
    """Officials', relatives' and witnesses' ages are not the victim's age."""
    assert values(text, "victim_age") == []


def test_the_victims_age_is_kept_beside_other_peoples() -> None:
    """In one article the victim's age is read and the official's is not."""
    text = (
        "Agents shot a 26-year-old courier on Elm Street. "
        "The mayor, 58, said the city wants answers."
    )
    assert values(text, "victim_age") == [26]


def test_an_officers_release_from_hospital_is_not_the_victims_condition() -> None:
    """ "The agent was discharged" speaks of the agent: no victim condition."""
    assert values("The agent was released from the hospital on Monday.", "victim_condition") == []
    assert values("The man was released from the hospital on Monday.", "victim_condition") == [
        "stable"
    ]


def test_the_shooters_name_never_becomes_the_victims() -> None:
    """A name the article gave the shooter is not read as the victim's name later."""
    text = (
        "The agent who fired was identified as Gideon Hale. "
        "Gideon Hale was shot at by a passenger days earlier, according to a lawsuit."
    )
    claims = extract(text)
    assert [c.value for c in claims if c.slot == "shooter_name"] == ["Gideon Hale"]
    assert [c.value for c in claims if c.slot == "victim_name"] == []


def test_a_named_witness_is_not_the_victim() -> None:
    """ "The man, NAME, said ..." names a speaker, not the person shot."""
    assert values("The man, Felix Moreau, said he heard four shots.", "victim_name") == []


def test_a_long_by_phrase_does_not_make_the_shooter_the_subject() -> None:
    """ "The woman shot by a Customs and Border Protection agent is stable" is the woman."""
    text = (
        "The woman shot in the hip by a Customs and Border Protection agent near the port "
        "on Sunday is in stable condition, a hospital spokesman said."
    )
    assert values(text, "victim_condition") == ["stable"]


def test_a_name_after_identified_as_belongs_to_the_subject() -> None:
    """ "The man shot by an agent was identified as NAME, 19": the victim's name and age."""
    text = "The man shot by an agent was identified as Idris Kamau Otieno, 19, by relatives."
    claims = extract(text)
    assert [c.value for c in claims if c.slot == "victim_name"] == ["Idris Kamau Otieno"]
    assert [c.value for c in claims if c.slot == "victim_age"] == [19]


def test_an_agent_identified_by_name_is_not_the_victim() -> None:
    """ "The agent who fired was identified as NAME" names the shooter only."""
    claims = extract("The agent who fired the shots was identified as Bram Kessler Voss.")
    assert [c.value for c in claims if c.slot == "shooter_name"] == ["Bram Kessler Voss"]
    assert [c.value for c in claims if c.slot == "victim_name"] == []


def test_a_condition_an_official_describes_is_not_the_officials() -> None:
    """ "The police chief described the injury as minor" speaks of the person shot."""
    text = "The police chief had described the injury on Monday as not life-threatening."
    assert values(text, "victim_condition") == ["non_life_threatening"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The motorist hit by gunfire near the bridge had been driving home.",
        "The teenager wounded on Friday spoke to reporters from his bed.",
        "A passenger shot in the arm was taken to a hospital.",
    ],
)
def test_a_noun_a_participle_of_shooting_describes_becomes_the_victim(sentence: str) -> None:
    """ "the passenger shot in the arm": the noun is the person shot, for later values."""
    cast = Cast()
    cast.learn_sentence(sentence.replace("hit by gunfire", "shot"))
    noun = sentence.split()[1]
    assert _role("victim_age", f"The {noun}, 19, is recovering", "19", cast) is Role.VICTIM


def test_a_participle_aimed_at_agents_or_fired_by_one_learns_no_victim() -> None:
    """ "the officer shot at agents", "the agent shot him" describe no person shot."""
    cast = Cast()
    cast.learn_sentence("The driver shot at agents before fleeing.")
    assert "driver" not in cast.victim_nouns


@pytest.mark.parametrize(
    "clause",
    [
        "The woman was identified Tuesday as Marta Ejemplo",
        "The driver has been identified by relatives as Marta Ejemplo",
    ],
)
def test_a_name_the_victim_is_identified_as_is_the_victims(clause: str) -> None:
    """ "was identified Tuesday as NAME": the name belongs to the subject identified."""
    cast = Cast()
    cast.learn_sentence("Agents shot the woman outside her home. The driver was wounded.")
    assert _role("victim_name", clause, "Marta Ejemplo", cast) is Role.VICTIM


def test_an_age_after_is_a_belongs_to_the_subject_of_the_clause() -> None:
    """ "The passenger who was shot is a 31-year-old mother of three": the subject's age."""
    cast = Cast()
    cast.learn_sentence("The passenger who was shot had been sitting in the back.")
    clause = "The passenger who was shot is a 31-year-old mother of three"
    assert _role("victim_age", clause, "31", cast) is Role.VICTIM
