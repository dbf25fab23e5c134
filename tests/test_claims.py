"""Claim extraction: slot values, speakers, stances and background text."""

from __future__ import annotations

import pytest

from monitor.analysis.claim_values import PM_ASSUMED, parse_count, parse_time
from monitor.analysis.claims import Stance
from tests.claimkit import INCIDENT, OTHER_INCIDENT, extract, values

# (slot, sentence, expected value); ids name the phrasing.
PARAPHRASES = [
    pytest.param(
        "killed",
        "Federal agents shot and killed one man outside a market.",
        1,
        id="killed-shot-and-killed-one-man",
    ),
    pytest.param(
        "killed",
        "Two people were killed when an agent opened fire.",
        2,
        id="killed-two-people-were-killed",
    ),
    pytest.param(
        "killed", "A woman stopped by agents died on Tuesday.", 1, id="killed-a-woman-died"
    ),
    pytest.param(
        "killed", "The death toll rose to three on Sunday.", 3, id="killed-death-toll-rose"
    ),
    pytest.param(
        "killed",
        "Agents fatally shot Marcus Tate on Tuesday.",
        1,
        id="killed-named-person-fatally-shot",
    ),
    pytest.param(
        "wounded",
        "An agent shot and wounded three protesters.",
        3,
        id="wounded-shot-and-wounded-three",
    ),
    pytest.param(
        "wounded", "Four people were injured in the shooting.", 4, id="wounded-four-people-injured"
    ),
    pytest.param(
        "wounded", "The officer shot a teenager in the arm.", 1, id="wounded-shot-in-the-arm"
    ),
    pytest.param(
        "wounded",
        "Both men were taken to a hospital on Friday.",
        2,
        id="wounded-both-taken-to-hospital",
    ),
    pytest.param(
        "wounded",
        "Police found 2 people with gunshot wounds.",
        2,
        id="wounded-digits-gunshot-wounds",
    ),
    pytest.param(
        "victim_condition", "The man is in critical condition.", "critical", id="condition-critical"
    ),
    pytest.param(
        "victim_condition",
        "She was listed in stable condition on Friday.",
        "stable",
        id="condition-stable",
    ),
    pytest.param(
        "victim_condition",
        "His injuries are not life-threatening.",
        "non_life_threatening",
        id="condition-not-life-threatening",
    ),
    pytest.param(
        "victim_condition",
        "The woman later died at the hospital.",
        "dead",
        id="condition-later-died",
    ),
    pytest.param(
        "victim_condition",
        "The condition of the driver was not immediately known.",
        "unknown",
        id="condition-not-known",
    ),
    pytest.param(
        "victim_condition",
        "Both are still alive, the mayor said.",
        "alive",
        id="condition-still-alive",
    ),
    pytest.param(
        "victim_name",
        "Agents fatally shot Marcus Ellery Tate on Tuesday.",
        "Marcus Ellery Tate",
        id="name-fatally-shot",
    ),
    pytest.param(
        "victim_name",
        "The victim was identified as Dana Whitfield.",
        "Dana Whitfield",
        id="name-identified-as",
    ),
    pytest.param(
        "victim_name",
        "The shooting of 52-year-old Priya Raman drew protests.",
        "Priya Raman",
        id="name-shooting-of",
    ),
    pytest.param(
        "victim_name",
        "The killing of Ana Maria Ortiz drew protests.",
        "Ana Ortiz",
        id="name-normalised-by-alias",
    ),
    pytest.param("victim_age", "Agents shot a 29-year-old father of two.", 29, id="age-year-old"),
    pytest.param("victim_age", "The woman, aged 61, was shot in the leg.", 61, id="age-aged"),
    pytest.param(
        "shooter_agency",
        "A Border Patrol agent fired at the car.",
        "CBP",
        id="agency-border-patrol-is-cbp",
    ),
    pytest.param(
        "shooter_agency", "She was shot by an ICE officer.", "ICE", id="agency-shot-by-ice-officer"
    ),
    pytest.param(
        "shooter_agency",
        "The man was killed by a Customs and Border Protection agent.",
        "CBP",
        id="agency-killed-by-cbp",
    ),
    pytest.param(
        "shooter_name",
        "Officer Daniel Reyes fired at the truck.",
        "Daniel Reyes",
        id="shooter-officer-name-fired",
    ),
    pytest.param(
        "shooter_name",
        "The agent who fired was identified as Mark Halvorsen.",
        "Mark Halvorsen",
        id="shooter-identified-as",
    ),
    pytest.param("shots_fired", "The agent fired four rounds.", 4, id="shots-four-rounds"),
    pytest.param(
        "shots_fired", "Two shots were fired, a witness said.", 2, id="shots-two-were-fired"
    ),
    pytest.param("shots_fired", "He fired once before the car sped off.", 1, id="shots-fired-once"),
    pytest.param("shots_fired", "An agent fired a warning shot.", 1, id="shots-a-warning-shot"),
    pytest.param("time", "The shooting happened at about 9:40 a.m.", "09:40", id="time-am"),
    pytest.param(
        "time", "Agents opened fire at 3 p.m. on Friday.", "15:00", id="time-bare-hour-pm"
    ),
    pytest.param("time", "The shooting happened at noon.", "12:00", id="time-noon"),
    pytest.param(
        "justification",
        "DHS said the agent acted in self-defense.",
        "self_defense",
        id="justification-self-defense",
    ),
    pytest.param(
        "justification",
        "The officer feared for his life, the agency said.",
        "self_defense",
        id="justification-feared-for-life",
    ),
    pytest.param(
        "justification",
        "The family said the shooting was unjustified.",
        "unjustified",
        id="justification-unjustified",
    ),
    pytest.param(
        "in_custody", "Three men were arrested at the scene.", 3, id="custody-three-arrested"
    ),
    pytest.param(
        "in_custody", "Police detained two people near the scene.", 2, id="custody-detained-two"
    ),
    pytest.param("in_custody", "No arrests have been made.", 0, id="custody-no-arrests"),
    pytest.param(
        "investigation",
        "The FBI is investigating the shooting.",
        "FBI",
        id="investigation-fbi-investigating",
    ),
    pytest.param(
        "investigation",
        "The investigation is being led by the Bureau of Criminal Apprehension.",
        "BCA",
        id="investigation-led-by",
    ),
    pytest.param(
        "investigation",
        "The Justice Department has opened a civil rights investigation.",
        "DOJ",
        id="investigation-opened",
    ),
    pytest.param(
        "officer_injured", "No agents were injured.", False, id="officer-no-agents-injured"
    ),
    pytest.param("officer_injured", "The officer was not hurt.", False, id="officer-not-hurt"),
    pytest.param(
        "officer_injured", "The agent involved was hospitalized.", True, id="officer-hospitalized"
    ),
    pytest.param(
        "federal_officers_deployed",
        "About 1,200 federal agents have been deployed to the city.",
        1200,
        id="deployed-about-1200",
    ),
    pytest.param(
        "federal_officers_deployed",
        "DHS sent 600 more officers to the area.",
        600,
        id="deployed-sent-600",
    ),
    pytest.param(
        "federal_officers_deployed",
        "Officials announced a surge of 800 immigration agents.",
        800,
        id="deployed-surge-of-800",
    ),
    pytest.param(
        "federal_officers_deployed",
        "The latest flights raise the total of federal agents in the region to nearly 2,500.",
        2500,
        id="deployed-raise-the-total-to",
    ),
    pytest.param(
        "federal_officers_deployed",
        "The count of officers assigned to the city has dropped to 900, a spokesman said.",
        900,
        id="deployed-count-of-officers-dropped-to",
    ),
    pytest.param(
        "killed",
        "Marcus Tate was fatally shot by a deputy in March.",
        1,
        id="killed-named-person-was-fatally-shot",
    ),
    pytest.param(
        "killed", "The agent who killed Marcus Tate resigned.", 1, id="killed-who-killed-name"
    ),
    pytest.param(
        "victim_name",
        "Lena Ortiz was shot by an immigration agent outside her home.",
        "Lena Ortiz",
        id="name-was-shot-by",
    ),
    pytest.param(
        "victim_name",
        "The driver stopped at the checkpoint outside the rail yard on Tuesday morning "
        "and shot in the confusion that followed has been identified as Lena Ortiz.",
        "Lena Ortiz",
        id="name-identified-after-a-long-description",
    ),
    pytest.param(
        "shooter_name",
        "Paul Varga, the Customs and Border Protection field agent who fired, was placed on leave.",
        "Paul Varga",
        id="shooter-long-agency-apposition",
    ),
    pytest.param(
        "shooter_name",
        "The agent, Paul Varga, returned to duty on Monday.",
        "Paul Varga",
        id="shooter-the-agent-comma-name",
    ),
    pytest.param(
        "wounded",
        "Two women shot in the arm during the raid were treated and released.",
        2,
        id="wounded-np-shot-in-the-limb",
    ),
    pytest.param(
        "wounded",
        "A teenager was taken to Providence Portland Medical Center, police said.",
        1,
        id="wounded-taken-to-a-named-medical-center",
    ),
    pytest.param(
        "wounded",
        "A woman shot by an agent during the arrest is in serious condition, her lawyer said.",
        1,
        id="wounded-shot-by-and-in-a-condition",
    ),
    pytest.param(
        "in_custody",
        "Both men questioned by agents after the chase outside the warehouse on Friday "
        "night were taken into federal custody.",
        2,
        id="custody-long-description-federal-custody",
    ),
    pytest.param(
        "officer_injured",
        "The deputy who fired was knocked down and was later hospitalized.",
        True,
        id="officer-fired-and-was-hospitalized",
    ),
    pytest.param(
        "officer_injured",
        "None of the federal agents at the scene were hurt.",
        False,
        id="officer-none-of-the-agents-hurt",
    ),
    pytest.param(
        "officer_injured",
        "No federal Border Patrol agents were harmed in the encounter.",
        False,
        id="officer-no-multiword-agency-agents-harmed",
    ),
    pytest.param(
        "killed",
        "Marcus Tate, 44, was fatally shot by a deputy outside a gas station.",
        1,
        id="killed-name-age-was-fatally-shot",
    ),
    pytest.param(
        "victim_name",
        "Lena Ortiz, 29, was wounded on Friday by a federal agent.",
        "Lena Ortiz",
        id="name-age-wounded-on-a-day-by",
    ),
    pytest.param(
        "shooter_name",
        "The teenager was shot on Sept. 3 by Paul Varga, a Border Patrol field agent.",
        "Paul Varga",
        id="shooter-by-name-an-agent",
    ),
    pytest.param(
        "shooter_agency",
        "The teenager was shot on Sept. 3 by Paul Varga, a Border Patrol agent.",
        "CBP",
        id="agency-by-name-an-agency-agent",
    ),
    pytest.param(
        "in_custody",
        "The driver and her brother are both in federal custody, court records show.",
        2,
        id="custody-are-both-in-custody",
    ),
    pytest.param(
        "investigation",
        "The FBI is handling the case, a bureau spokeswoman said.",
        "FBI",
        id="investigation-handling-the-case",
    ),
    pytest.param(
        "investigation",
        "The FBI said on Monday that it will investigate the death.",
        "FBI",
        id="investigation-said-on-a-day-it-will-investigate",
    ),
    pytest.param(
        "investigation",
        "The Bureau of Criminal Apprehension has launched its own review of the raid.",
        "BCA",
        id="investigation-launched-its-own-review",
    ),
    pytest.param(
        "officer_injured",
        "The agent who fired at the pickup outside the depot was not hurt, police said.",
        False,
        id="officer-who-fired-was-not-hurt",
    ),
    pytest.param(
        "victim_age",
        "The driver struck by the bullets was 19 years old, her mother said.",
        19,
        id="age-was-n-years-old",
    ),
    pytest.param(
        "in_custody",
        "The three men detained by U.S. agents outside the depot on Sept. 9 are now in custody.",
        3,
        id="custody-abbreviations-between-subject-and-verb",
    ),
    pytest.param(
        "victim_name",
        "The woman wounded by a deputy at the rail yard is Lena Ortiz, 29, her sister said.",
        "Lena Ortiz",
        id="name-the-woman-is-name-age",
    ),
    pytest.param(
        "victim_name",
        "DULUTH, Minn. (AP) — The driver hit by the gunfire was identified as Lena Ortiz.",
        "Lena Ortiz",
        id="name-identified-after-a-dateline",
    ),
    pytest.param(
        "federal_officers_deployed",
        "Roughly 400 federal agents are now stationed in the county, officials said.",
        400,
        id="deployed-are-now-stationed",
    ),
]


@pytest.mark.parametrize(("slot", "text", "expected"), PARAPHRASES)
def test_paraphrase_states_the_slot_value(slot: str, text: str, expected: object) -> None:
    """Each way of writing a fact yields the slot's normalised value."""
    assert expected in values(text, slot)


NOT_CLAIMS = [
    pytest.param(
        "victim_age", "A 45-year-old officer fired.", id="age-of-an-officer-is-not-the-victims"
    ),
    pytest.param("wounded", "No officers were injured.", id="officers-are-not-counted-as-wounded"),
    pytest.param(
        "in_custody",
        "Noem said agents made more than 1,500 arrests.",
        id="arrest-totals-are-not-custody",
    ),
    pytest.param(
        "time",
        "Protesters gathered at 6 p.m. outside the building.",
        id="protest-time-is-not-shooting-time",
    ),
    pytest.param(
        "officer_injured",
        "It remains unclear whether any agents sustained injuries.",
        id="unclear-is-not-asserted",
    ),
    pytest.param(
        "investigation", "The FBI is not investigating the case.", id="negated-investigation"
    ),
    pytest.param(
        "wounded",
        "The driver was shot in the leg, one of the passengers said.",
        id="the-driver-is-not-a-count",
    ),
    pytest.param(
        "shooter_name",
        "The mayor, Jacob Frey, spoke to reporters.",
        id="an-apposition-that-is-not-an-officer",
    ),
    pytest.param(
        "victim_age",
        "The agent who fired is 41 years old and has served for a decade.",
        id="the-officers-age-in-years-old-is-not-the-victims",
    ),
    pytest.param(
        "victim_name",
        "The man who chairs the county board is Jacob Frey's ally, not his rival.",
        id="is-name-without-an-age-is-not-an-identification",
    ),
]


@pytest.mark.parametrize(("slot", "text"), NOT_CLAIMS)
def test_look_alike_sentence_asserts_nothing(slot: str, text: str) -> None:
    """A sentence that only looks like a fact gives no asserted value for the slot."""
    asserted = [c for c in extract(text) if c.slot == slot and c.stance is Stance.ASSERTS]
    assert asserted == []


def test_qualifier_is_kept_beside_the_number() -> None:
    """'More than 2,000 officers' is the number 2000 with qualifier more_than."""
    (found,) = [
        c
        for c in extract("More than 2,000 officers are taking part.")
        if c.slot == "federal_officers_deployed"
    ]
    assert (found.value, found.qualifier) == (2000, "more_than")


def test_a_partitive_count_is_a_lower_bound_and_never_the_groups_size() -> None:
    """'One of the three men shot ... died' is at least one death, not three; 'a lawyer
    for one of four protesters wounded' does not say one protester was wounded."""
    killed = [
        c
        for c in extract("One of the three men shot by agents died overnight.")
        if c.slot == "killed"
    ]
    assert [(c.value, c.qualifier) for c in killed] == [(1, "at_least")]
    wounded = [
        c
        for c in extract("A lawyer for one of four protesters wounded in the raid spoke Monday.")
        if c.slot == "wounded"
    ]
    assert all(c.qualifier == "at_least" for c in wounded)


def test_a_clause_the_next_one_disowns_is_only_hedged() -> None:
    """'Posts claimed two people died; the paper could not verify them' asserts no death."""
    text = "Posts online claimed that two people had died; the paper could not verify them."
    claims = [c for c in extract(text) if c.slot in {"killed", "victim_condition"}]
    assert claims and {c.stance for c in claims} == {Stance.HEDGES}
    plain = extract("Posts online claimed that two people had died.")
    assert {c.stance for c in plain if c.slot == "killed"} == {Stance.ASSERTS}


def test_a_title_case_headline_names_no_one() -> None:
    """'Footage Shows Deputy Fired Two Shots' capitalises verbs: no name is read from
    it, while the same words in a sentence still give the shooter's name."""
    headline = extract("Footage Shows Deputy Fired Two Shots At Fleeing Car")
    assert [c for c in headline if c.slot in {"shooter_name", "victim_name"}] == []
    sentence = extract("Court papers say agent Paul Varga fired twice as the driver fled.")
    assert "Paul Varga" in [c.value for c in sentence if c.slot == "shooter_name"]


def test_values_stated_while_disputing_earlier_accounts_are_asserted() -> None:
    """'X, his uncle said, disputing earlier police statements': the uncle asserts X."""
    text = (
        "The boy is in serious condition after surgery, his uncle said, disputing earlier "
        "police statements about his wounds."
    )
    [condition] = [c for c in extract(text) if c.slot == "victim_condition"]
    assert (condition.value, condition.stance) == ("serious", Stance.ASSERTS)


def test_an_account_others_question_is_asserted_by_its_speaker_and_disputed_by_them() -> None:
    """'Federal officials said X, an account local officials have questioned': two claims,
    each with its own speaker."""
    text = (
        "Federal officials have said the deputy fired in self-defense, an account local "
        "officials have questioned."
    )
    found = {(c.speaker, c.stance) for c in extract(text) if c.slot == "justification"}
    assert found == {
        ("federal_officials", Stance.ASSERTS),
        ("local_officials", Stance.DISPUTES),
    }


def test_city_scope_slot_is_filed_under_the_city() -> None:
    """The size of an operation belongs to the city, shared by its incidents."""
    (found,) = extract("About 3,000 federal officers have been deployed.")
    assert found.subject == "city:portland"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        pytest.param("DHS said the agent fired one shot.", "DHS", id="agency-said"),
        pytest.param(
            "According to police, two people were wounded.",
            "PPB",
            id="according-to-police-of-the-city",
        ),
        pytest.param("Two people were wounded, police said.", "PPB", id="trailing-police-said"),
        pytest.param(
            "Frey said the officer was not hurt.", "Jacob Frey", id="surname-via-entity-alias"
        ),
        pytest.param(
            "Witnesses told reporters that an agent fired three shots.",
            "witnesses",
            id="witnesses-told",
        ),
        pytest.param(
            "Mayor Lena Brandt said two people were wounded.",
            "Lena Brandt",
            id="unknown-person-by-name",
        ),
        pytest.param(
            "The shooting was characterized by federal authorities as self-defense.",
            "federal_officials",
            id="passive-by",
        ),
        pytest.param("Two people were wounded.", "", id="outlets-own-voice"),
    ],
)
def test_speaker_is_who_the_sentence_attributes_the_fact_to(text: str, speaker: str) -> None:
    """'X said', 'according to X' and 'characterized by X' name the speaker."""
    assert {c.speaker for c in extract(text)} == {speaker}


def test_the_statement_said_is_the_author_named_earlier() -> None:
    """'The statement said' refers to the statement's author named before."""
    text = (
        "The Department of Homeland Security said in a statement that agents were attacked. "
        "“An agent fired one defensive shot,” the statement said."
    )
    assert {c.speaker for c in extract(text) if c.slot == "shots_fired"} == {"DHS"}


def test_quoted_speech_continues_with_the_speaker_of_the_quote() -> None:
    """A quotation running on into the next sentence keeps its speaker."""
    text = 'DHS said in a statement: "Agents were attacked. An agent fired a single shot."'
    assert {c.speaker for c in extract(text) if c.slot == "shots_fired"} == {"DHS"}


def test_each_clause_has_its_own_speaker() -> None:
    """'X say A, but Y disputed that claim' keeps X's and Y's voices apart."""
    text = (
        "Federal authorities say the agent acted in self-defense, "
        "but local officials disputed that claim."
    )
    found = {(c.speaker, c.stance) for c in extract(text) if c.slot == "justification"}
    assert found == {("federal_officials", Stance.ASSERTS), ("local_officials", Stance.DISPUTES)}


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        pytest.param(
            "Police did not confirm that two people were wounded.",
            Stance.HEDGES,
            id="did-not-confirm-is-a-hedge",
        ),
        pytest.param("DHS denied that the agent fired three shots.", Stance.DENIES, id="denied"),
        pytest.param(
            "The mayor disputed that the officer acted in self-defense.",
            Stance.DISPUTES,
            id="disputed",
        ),
        pytest.param(
            "Video cast doubt on claims the agent fired in self-defense.",
            Stance.DISPUTES,
            id="video-cast-doubt",
        ),
        pytest.param(
            "Frey called the self-defense argument garbage.", Stance.DISPUTES, id="garbage"
        ),
        pytest.param("Two people were reportedly wounded.", Stance.HEDGES, id="reportedly"),
        pytest.param(
            "The driver is believed to be in critical condition.",
            Stance.HEDGES,
            id="believed-to-be",
        ),
        pytest.param(
            "A woman was shot and killed after reportedly ramming agents.",
            Stance.ASSERTS,
            id="hedge-after-the-value-does-not-count",
        ),
    ],
)
def test_stance_says_how_firmly_the_value_is_stated(text: str, stance: Stance) -> None:
    """Denials, disputes and hedges are told apart from plain assertions."""
    assert {c.stance for c in extract(text)} == {stance}


def test_background_clause_about_another_event_is_dropped() -> None:
    """'... a week after an agent killed a man in Chicago' says nothing about this incident."""
    text = (
        "An agent shot a man in the leg, a week after an agent shot and killed a driver in Chicago."
    )
    found = {(c.slot, c.value) for c in extract(text)}
    assert ("wounded", 1) in found
    assert ("killed", 1) not in found


def test_background_clause_naming_a_known_person_goes_to_their_incident() -> None:
    """A background clause naming the earlier victim files its facts under that incident."""
    text = "The arrest came days after officer Tom Keller fatally shot Ana Ortiz."
    found = {(c.subject, c.slot, c.value) for c in extract(text)}
    assert (OTHER_INCIDENT, "shooter_name", "Tom Keller") in found
    assert (OTHER_INCIDENT, "victim_name", "Ana Ortiz") in found
    assert not any(subject == INCIDENT for subject, _, _ in found)


def test_fact_dated_to_another_time_is_dropped() -> None:
    """'the officer was injured while making an arrest last June' is not about this shooting."""
    assert (
        values(
            "Vance noted the officer was injured while making an arrest last June.",
            "officer_injured",
        )
        == []
    )


def test_claim_carries_the_article_fields() -> None:
    """A claim names its sentence, outlet, URL and publication time."""
    (found,) = extract("Two people were wounded.", source="Daily Test", url="https://d.test/1")
    assert (found.source, found.article_url, found.sentence_index) == (
        "Daily Test",
        "https://d.test/1",
        0,
    )
    assert found.sentence == "Two people were wounded."
    assert found.incident_id == INCIDENT


def test_sentence_without_an_incident_gives_no_claims() -> None:
    """Sentences the matcher could not place are not filed under any incident."""
    from monitor.analysis.claims import extract_claims
    from monitor.model import Document
    from tests.claimkit import CONTEXT, PUBLISHED_AT, sentences_of, shipped_schema

    text = "Two people were wounded."
    document = Document("u", "", text, "s", PUBLISHED_AT)
    assert extract_claims(document, sentences_of(text, None), (), shipped_schema(), CONTEXT) == []


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("two", 2),
        ("2,000", 2000),
        ("a", 1),
        ("the two", 2),
        ("both", 2),
        ("twenty", 20),
        ("no one", 0),
        ("many", None),
    ],
)
def test_count_words_become_integers(text: str, count: int | None) -> None:
    """Number words, digits with commas and 'a'/'both' normalise to integers."""
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("text", "is_afternoon", "expected"),
    [
        ("2:15 p.m.", False, ("14:15", None)),
        ("9:05 a.m.", False, ("09:05", None)),
        ("12:30 a.m.", False, ("00:30", None)),
        ("2:19", True, ("14:19", None)),
        ("2:19", False, ("14:19", PM_ASSUMED)),
        ("11:10", False, ("11:10", PM_ASSUMED)),
        ("noon", False, ("12:00", None)),
    ],
)
def test_clock_times_become_24_hour_local_times(
    text: str, is_afternoon: bool, expected: tuple[str, str | None]
) -> None:
    """Times become HH:MM; a bare 1-6 o'clock is p.m., flagged unless the article says afternoon."""
    assert parse_time(text, is_afternoon=is_afternoon) == expected


def test_bare_time_in_an_afternoon_article_is_certain_pm() -> None:
    """'Thursday afternoon ... at 2:19' is 14:19 with no flag."""
    text = "The stop happened Thursday afternoon. Agents opened fire at 2:19, officials said."
    (found,) = [c for c in extract(text) if c.slot == "time"]
    assert (found.value, found.qualifier) == ("14:19", None)


@pytest.mark.parametrize(
    "text",
    [
        "It is still unclear whether any of the officers were hurt in the struggle.",
        "Police did not say whether the agent was injured during the arrest.",
        "Officials said it was not yet known if the two wounded people would survive.",
        "Neither the sheriff nor the agency would say whether the deputy was hurt.",
        "The department declined to say whether the agent had been treated at a hospital.",
        "Investigators are trying to determine whether the officer was injured.",
        "The agency has not publicly said whether any of its deputies were hurt.",
    ],
    ids=[
        "unclear-whether",
        "did-not-say-whether",
        "not-known-if",
        "neither-nor-would-say-whether",
        "declined-to-say-whether",
        "to-determine-whether",
        "has-not-publicly-said-whether",
    ],
)
def test_an_open_question_states_no_value(text: str) -> None:
    """'Unclear whether X' asks about X: no claim at all, not even a hedged one."""
    assert [c for c in extract(text) if c.slot in {"officer_injured", "victim_condition"}] == []


@pytest.mark.parametrize(
    "text",
    [
        "The agency said none of its officers were harmed in the struggle.",
        "None of their deputies was hurt, the county said.",
        "Neither of the agents was injured.",
    ],
)
def test_no_one_of_a_group_injured_is_a_denial_whatever_the_determiner(text: str) -> None:
    """ "none of its agents was hurt" says no officer was injured, never that one was."""
    assert values(text, "officer_injured") == [False]


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        (
            "Minnesota Attorney General Keith Ellison, whose office launched a review of the "
            "case last week, declined to comment.",
            "MINNESOTA_AG",
        ),
        ("The officer remains on leave while the FBI's Minneapolis office investigates.", "FBI"),
        ("The BCA is leading that inquiry on its own now.", "BCA"),
    ],
)
def test_an_agency_investigating_through_its_office_or_a_relative_clause(
    text: str, agency: str
) -> None:
    """ "X, whose office opened an investigation", "while X's field office investigates",
    "X is leading that investigation": each names who investigates."""
    assert values(text, "investigation") == [agency]
