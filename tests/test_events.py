"""Events before claims: which shooting each sentence reports, and candidate incidents.

Every article here is written for these tests. Each case names what the engine must
understand (which event, which arguments rule an incident out), not a phrasing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor.analysis.engine import RuleSet, analyse_claims, load_rule_set, match
from monitor.analysis.events import (
    CandidateIncident,
    Outcome,
    Shooter,
    candidate_id,
    outcome_of,
    shooter_of,
)
from monitor.analysis.match import MatchResult
from monitor.model import Document

RULES = Path(__file__).resolve().parent.parent / "rules"
JAN7, PDX, JAN14 = "mpls-2026-01-07", "pdx-2026-01-08", "mpls-2026-01-14"


@pytest.fixture(scope="module")
def rule_set() -> RuleSet:
    return load_rule_set(RULES)


def _doc(text: str, published: str, title: str = "") -> Document:
    """An article whose sentences are wrapped here for reading: each line break inside a
    paragraph is a space (a line break alone ends a paragraph in extracted text)."""
    when = datetime.fromisoformat(published).replace(tzinfo=UTC)
    body = "\n\n".join(" ".join(p.split("\n")) for p in text.split("\n\n"))
    return Document("https://example.test/story", title, body, "Test Wire", when)


def _sentence_incident(result: MatchResult, fragment: str) -> str | None:
    return next(s.incident_id for s in result.sentences if fragment in s.text)


def _claim_subjects(rule_set: RuleSet, document: Document, result: MatchResult) -> set[str]:
    analysis = analyse_claims(document, result, rule_set, [])
    return {c.subject for c in analysis.claims}


# ------------------------------------------------------------------ who fired, outcome


@pytest.mark.parametrize(
    ("clause", "shooter"),
    [
        ("Deputies with the county sheriff's office shot the driver", Shooter.POLICE),
        ("The teenager was shot by two city police officers", Shooter.POLICE),
        ("A member of a U.S. Marshals fugitive task force fired at the suspect", Shooter.OTHER),
        ("Someone fired several rounds at immigration officers outside the office", Shooter.OTHER),
        ("Police said a Border Patrol agent fired into the pickup", Shooter.FEDERAL),
        ("A woman was shot by an ICE deportation officer", Shooter.FEDERAL),
        ("A man was shot near the bus depot", Shooter.UNKNOWN),
    ],
)
def test_the_shooter_is_read_from_who_fired_not_who_spoke(clause: str, shooter: Shooter) -> None:
    """The agent of the shooting verb decides the shooter; a speaker or the one shot does not."""
    assert shooter_of(clause) is shooter


@pytest.mark.parametrize(
    ("clause", "outcome"),
    [
        ("an agent fatally wounded the driver", Outcome.KILLED),
        ("agents shot and injured a delivery worker", Outcome.WOUNDED),
        ("the officer shot her in the thigh", Outcome.WOUNDED),
        ("an officer fired, and the officer was hurt in the struggle", Outcome.UNKNOWN),
        ("the man shot last week has died", Outcome.UNKNOWN),
    ],
)
def test_the_outcome_is_what_the_shooting_did_to_the_person_shot(
    clause: str, outcome: Outcome
) -> None:
    """An officer's own injury and a later death say nothing about which shooting it was."""
    assert outcome_of(clause) is outcome


def test_a_candidate_id_is_its_city_and_day() -> None:
    """Ids are stable slugs an editor can type: city words, then the ISO day."""
    assert candidate_id("St. Paul", date(2026, 1, 20)) == "st-paul-2026-01-20"
    assert candidate_id("Vancouver, Wash.", date(2026, 2, 3)) == "vancouver-wash-2026-02-03"


# ------------------------------------------------------------------ event identity

SECOND_MINNEAPOLIS_SHOOTING = """Federal agent kills man during traffic stop in Minneapolis

A Border Patrol agent shot and killed a man during a traffic stop in Minneapolis on Saturday,
the third shooting by federal agents in the city this month.
The man, 44, was pronounced dead at the scene, a county spokesperson said.
The shooting happened about two miles from where an ICE officer killed Renee Good, 37, on
Jan. 7."""


def test_a_later_shooting_in_the_same_city_is_a_candidate_not_the_tracked_one(
    rule_set: RuleSet,
) -> None:
    """Another day in the same city rules the tracked incidents out; the new shooting gets
    its own id, and only the recap of Renee Good stays hers."""
    document = _doc(SECOND_MINNEAPOLIS_SHOOTING, "2026-01-25T02:00:00")
    result = match(document, rule_set)
    assert [c.incident_id for c in result.new_candidates] == ["minneapolis-2026-01-24"]
    assert _sentence_incident(result, "pronounced dead") == "minneapolis-2026-01-24"
    first = next(m for m in result.events if m.sentence_index == 1)
    assert {r.incident_id for r in first.ruled_out} == {JAN7, PDX, JAN14}
    assert "dated 2026-01-24" in first.ruled_out[0].reason


def test_a_new_shootings_facts_never_land_in_a_tracked_ledger(rule_set: RuleSet) -> None:
    """The 44-year-old's age and death are the candidate's, not Renee Good's."""
    document = _doc(SECOND_MINNEAPOLIS_SHOOTING, "2026-01-25T02:00:00")
    result = match(document, rule_set)
    analysis = analyse_claims(document, result, rule_set, [])
    ages = {(c.subject, c.value) for c in analysis.claims if c.slot == "victim_age"}
    assert ("minneapolis-2026-01-24", 44) in ages
    assert (JAN7, 44) not in ages


def test_a_new_shooting_raises_one_new_incident_alert_and_no_first_reports(
    rule_set: RuleSet,
) -> None:
    """The first article of a candidate alerts once, with the candidate's id; its facts are
    the candidate's baseline, not news of their own."""
    document = _doc(SECOND_MINNEAPOLIS_SHOOTING, "2026-01-25T02:00:00")
    analysis = analyse_claims(document, match(document, rule_set), rule_set, [])
    kinds = [(a.kind, a.incident_id) for a in analysis.alerts]
    assert kinds.count(("new_incident", "minneapolis-2026-01-24")) == 1
    assert all(a.incident_id != "minneapolis-2026-01-24" for a in analysis.alerts[1:])


NEIGHBOUR_CITY = """ST. PAUL, Minn. — An immigration agent shot a man in the arm on Tuesday
morning outside an apartment building on the city's east side, police said.
The man was taken to Regions Hospital and is expected to survive.
Federal officials did not say why agents were at the building."""


def test_a_shooting_in_a_neighbouring_city_is_its_own_candidate(rule_set: RuleSet) -> None:
    """St. Paul is not Minneapolis: the twin-cities area does not make it a tracked one."""
    result = match(_doc(NEIGHBOUR_CITY, "2026-01-20T22:00:00"), rule_set)
    assert result.tracked_ids == ()
    [candidate] = result.new_candidates
    assert (candidate.incident_id, candidate.city) == ("st-paul-2026-01-20", "St. Paul")
    assert candidate.outcome is Outcome.WOUNDED


CITY_POLICE_SAME_WEEKDAY = """Minneapolis police shot a man Wednesday night after he fired at
officers during a chase on the north side, the department said.
The man died at a hospital.
Chief O'Hara said body camera video would be released within days."""


def test_a_city_police_shooting_is_filed_under_no_incident(rule_set: RuleSet) -> None:
    """Its Wednesday resolves to a tracked incident's day, but city police are no federal
    agents: no incident, no candidate, and its victim's death is nobody's claim."""
    document = _doc(CITY_POLICE_SAME_WEEKDAY, "2026-01-15T13:00:00")
    result = match(document, rule_set)
    assert result.incident_ids == ()
    assert not result.new_incident
    assert _claim_subjects(rule_set, document, result) == set()


SHOTS_AT_AGENTS = """A man fired a handgun at Border Patrol agents in Portland on Friday, and
agents returned fire without hitting him, federal officials said.
He was arrested a few blocks away."""


def test_shots_fired_at_agents_are_not_a_shooting_by_agents(rule_set: RuleSet) -> None:
    """The agents were the target: the Portland incident is ruled out and nothing is new."""
    result = match(_doc(SHOTS_AT_AGENTS, "2026-01-17T08:00:00"), rule_set)
    assert PDX not in result.incident_ids
    assert result.new_candidates == ()


CROWD_CONTROL = """Federal agents fired pepper balls and tear gas at protesters outside the
Portland immigration building on Saturday night.
Several people were treated for irritation, city officials said."""


def test_crowd_control_rounds_are_no_shooting(rule_set: RuleSet) -> None:
    """Pepper balls 'fired' at a crowd report no gunfire event at all."""
    result = match(_doc(CROWD_CONTROL, "2026-01-18T09:00:00"), rule_set)
    assert result.events == ()
    assert result.new_candidates == ()


FOLLOW_UP_OF_CANDIDATE = """The man an immigration agent shot in St. Paul on Tuesday has been
released from the hospital, his brother said Thursday.
The brother said the man, 31, had no criminal record."""


def test_later_coverage_of_a_candidate_is_filed_under_it(rule_set: RuleSet) -> None:
    """Once known, a candidate is matched like an incident: its follow-up claims go to its
    own ledger, and no second candidate is made."""
    known = CandidateIncident(
        "st-paul-2026-01-20", "St. Paul", date(2026, 1, 20), "Agent shoots man in St. Paul"
    )
    document = _doc(FOLLOW_UP_OF_CANDIDATE, "2026-01-22T18:00:00")
    result = match(document, rule_set, candidates=[known])
    assert result.incident_ids == ("st-paul-2026-01-20",)
    assert result.new_candidates == ()
    assert _claim_subjects(rule_set, document, result) <= {"st-paul-2026-01-20"}


def test_a_known_candidate_does_not_pull_in_other_stories_of_its_city(
    rule_set: RuleSet,
) -> None:
    """A city's candidates pile up; a story about a tracked incident there, dated to it,
    is not filed under a candidate of another day."""
    known = CandidateIncident(
        "minneapolis-2026-01-13", "Minneapolis", date(2026, 1, 13), "Agent shoots man"
    )
    text = (
        "An ICE officer shot a Venezuelan man in the leg in north Minneapolis on Wednesday "
        "after a struggle over a shovel, officials said."
    )
    result = match(_doc(text, "2026-01-15T12:00:00"), rule_set, candidates=[known])
    assert result.incident_ids == (JAN14,)


SPEECH_DAY = """ICE on Thursday declined to name the officer who shot a man in the leg in
Minneapolis on Wednesday, citing threats against its staff."""


def test_the_day_someone_spoke_is_not_the_day_of_the_shooting(rule_set: RuleSet) -> None:
    """'declined on Thursday ... who shot ... on Wednesday': the shooting is Wednesday's."""
    result = match(_doc(SPEECH_DAY, "2026-01-16T12:00:00"), rule_set)
    assert result.incident_ids == (JAN14,)
    assert result.events[0].date == date(2026, 1, 14)


DATELINED_IN_ANOTHER_CITY = """PORTLAND, Ore. — Oregon's attorney general said Monday that her
office would review the Jan. 8 shooting by a Border Patrol agent, a day after an ICE officer
killed a woman in Minneapolis."""


def test_a_recap_clause_keeps_its_own_place(rule_set: RuleSet) -> None:
    """The dateline places the lead, not the look-back clause: each goes to its incident."""
    result = match(_doc(DATELINED_IN_ANOTHER_CITY, "2026-01-12T17:00:00"), rule_set)
    assert set(result.incident_ids) == {PDX, JAN7}
    assert result.new_candidates == ()
    recap = next(m for m in result.events if m.start > result.events[0].start)
    assert recap.incident_id == JAN7


def test_explain_events_say_why_an_incident_was_ruled_out(rule_set: RuleSet) -> None:
    """Every mention carries the reasons the other incidents were ruled out, for `explain`."""
    result = match(_doc(NEIGHBOUR_CITY, "2026-01-20T22:00:00"), rule_set)
    reasons = {r.incident_id: r.reason for r in result.events[0].ruled_out}
    assert reasons[JAN14] == "dated 2026-01-20, not 2026-01-14"
    assert reasons[PDX].startswith("dated 2026-01-20")


# ------------------------------------------------------------ each shooting's own phrase

TWO_EVENTS_ONE_SENTENCE = """MINNEAPOLIS — A Border Patrol agent shot a delivery driver in the hip
on Thursday outside a grocery in the Seward neighborhood, less than a mile from where Renee Good was
killed by an ICE officer two weeks earlier."""


def test_a_look_back_inside_a_sentence_lends_the_new_shooting_nothing(rule_set: RuleSet) -> None:
    """The named victim and the killing belong to the phrase after 'from where', so the
    Thursday shooting is still ruled out of her incident and is a candidate of its own."""
    result = match(_doc(TWO_EVENTS_ONE_SENTENCE, "2026-01-23T15:00:00"), rule_set)
    lead = next(m for m in result.events if not m.secondary)
    assert lead.date == date(2026, 1, 22)
    assert lead.outcome is Outcome.WOUNDED
    assert JAN7 in {r.incident_id for r in lead.ruled_out}
    assert [c.incident_id for c in result.new_candidates] == ["minneapolis-2026-01-22"]


def test_a_further_shooting_in_a_sentence_takes_its_own_facts(rule_set: RuleSet) -> None:
    """'..., and on Jan. 14 an officer shot a man in the leg': the wound count is the
    Jan. 14 incident's, not the first shooting's."""
    text = (
        "Renee Good was fatally shot by an ICE officer on Jan. 7, and on Jan. 14 a federal "
        "officer shot a man in the leg in north Minneapolis."
    )
    document = _doc(text, "2026-01-20T12:00:00")
    analysis = analyse_claims(document, match(document, rule_set), rule_set, [])
    wounded = {(c.subject, c.value) for c in analysis.claims if c.slot == "wounded"}
    assert wounded == {(JAN14, 1)}


def test_a_shooting_named_by_a_noun_takes_only_its_own_day(rule_set: RuleSet) -> None:
    """'a spokesperson on Friday would not say whether the shooting ...': Friday is when
    the spokesperson spoke; the noun takes a day only as its modifier."""
    text = (
        "A Justice Department spokesperson on Friday would not say whether the shooting of "
        "Renee Good in Minneapolis was under review."
    )
    result = match(_doc(text, "2026-01-17T12:00:00"), rule_set)
    assert result.new_candidates == ()
    assert all(m.date is None for m in result.events)


UNTRACKED_THEN_DEFINITE = """PORTLAND, Ore. — Portland police officers shot and wounded a man
who fired at them outside a bar on Friday night, the bureau said.

Federal agents, who had been watching a nearby building, were not involved in the shooting,
Homeland Security said Saturday."""


def test_the_shooting_after_an_untracked_one_is_that_one_again(rule_set: RuleSet) -> None:
    """'the shooting' refers back to the police shooting just told: no candidate, even though
    federal agents are named beside it."""
    result = match(_doc(UNTRACKED_THEN_DEFINITE, "2026-01-18T09:00:00"), rule_set)
    assert result.new_candidates == ()
    assert PDX not in result.incident_ids


@pytest.mark.parametrize(
    "clause",
    [
        "Someone fired at least three rounds at an unmarked ICE vehicle near the river",
        "An ICE deportation officer was shot in the shoulder during an arrest",
    ],
)
def test_gunfire_aimed_at_agents_is_no_shooting_by_them(clause: str) -> None:
    """The agents or their car were the target: whoever fired, it was not them."""
    assert shooter_of(clause) is Shooter.OTHER


def test_a_death_in_custody_is_an_event_of_its_own(rule_set: RuleSet) -> None:
    """A detainee who died in a cell is not a victim of a tracked shooting: his age and
    death are filed under no incident."""
    text = (
        "ELK RIVER, Minn. — A man held by ICE since a raid in Minneapolis died in custody on "
        "Sunday, the agency said. Tomas Ejemplar, 58, had been held at the county jail."
    )
    document = _doc(text, "2026-01-26T16:00:00")
    result = match(document, rule_set)
    assert result.new_candidates == ()
    assert _claim_subjects(rule_set, document, result) == set()


def test_a_neighbourhood_listed_as_a_town_gives_its_city() -> None:
    """'the X neighborhood of Los Angeles' places the shooting in Los Angeles; 'the Corcoran
    neighborhood' names a part of a city, not the Minnesota town of that name."""
    from monitor.analysis.places import load_us_gazetteer

    places = load_us_gazetteer()
    text = (
        "shot a man in the Van Nuys neighborhood of Los Angeles and another in the Corcoran "
        "neighborhood"
    )
    assert [p.name for p in places.find(text, 0, len(text))] == ["Los Angeles"]


EXPLAINER = """Where the cases stand

Jan. 14, Minneapolis.

An ICE officer shot a man in the leg after a struggle over a shovel.

Jan. 31, Richfield.

A Border Patrol agent shot a woman who was driving away from a traffic stop."""


def test_a_header_line_dates_and_places_the_paragraph_after_it(rule_set: RuleSet) -> None:
    """Explainers head each case with its day and city: the sentence under each header is
    about that day and city, so the second is a candidate and the first the tracked one."""
    result = match(_doc(EXPLAINER, "2026-02-06T12:00:00"), rule_set)
    assert _sentence_incident(result, "struggle over a shovel") == JAN14
    assert [c.incident_id for c in result.new_candidates] == ["richfield-2026-01-31"]
    assert _sentence_incident(result, "driving away") == "richfield-2026-01-31"


def test_a_candidate_is_followed_by_the_names_of_its_people(rule_set: RuleSet) -> None:
    """A follow-up that names the candidate's victim but neither its day nor its city is
    still about it, not about the tracked killing in the same city."""
    known = CandidateIncident(
        "minneapolis-2026-01-31",
        "Minneapolis",
        date(2026, 1, 31),
        "Agent kills man",
        outcome=Outcome.KILLED,
        names=("Dario Ejemplo",),
    )
    text = "Video shows agents fired nine times at Dario Ejemplo, who was killed, his lawyer said."
    result = match(_doc(text, "2026-02-03T12:00:00"), rule_set, candidates=[known])
    assert result.incident_ids == ("minneapolis-2026-01-31",)


def test_names_of_a_new_candidate_come_from_its_first_articles_claims(rule_set: RuleSet) -> None:
    """The pipeline stores a new candidate with the victim's name its article gives."""
    text = (
        "ST. PAUL, Minn. — An ICE officer shot and wounded Lena Muestra, 29, on Tuesday "
        "outside her apartment in St. Paul, police said."
    )
    document = _doc(text, "2026-01-21T12:00:00")
    analysis = analyse_claims(document, match(document, rule_set), rule_set, [])
    [candidate] = analysis.candidates
    assert candidate.names == ("Lena Muestra",)


def test_a_first_sight_date_resolves_no_weekday(rule_set: RuleSet) -> None:
    """When the outlet's date was absurd and the article is dated by when it was first seen,
    'Thursday' is not resolved against that day, so it rules no incident out."""
    text = (
        "The two people shot by a Border Patrol agent in Portland on Thursday remain in the "
        "hospital, police said."
    )
    document = _doc(text, "2026-01-16T12:00:00")
    sure = match(document, rule_set)
    unsure = match(replace(document, date_uncertain=True), rule_set)
    assert PDX not in sure.incident_ids
    assert unsure.incident_ids == (PDX,)


def test_a_day_set_off_by_a_comma_is_not_the_shootings(rule_set: RuleSet) -> None:
    """'weighed in Thursday, saying the shooting was justified': Thursday is when someone
    spoke, so the sentence stays with the victim it names rather than Thursday's shooting."""
    text = (
        "A senator weighed in Thursday, saying the shooting was justified and that Renee "
        "Good had put the officer in danger."
    )
    result = match(_doc(text, "2026-01-10T12:00:00"), rule_set)
    assert result.events[0].date is None
    assert result.incident_ids == (JAN7,)


def test_a_shooting_placed_only_in_a_state_is_named_by_that_state(rule_set: RuleSet) -> None:
    """'shot a person in Arizona': no city is named, so the state tells the shooting apart
    from the tracked ones, and the candidate takes the state's name rather than a city the
    article mentions only in a recap."""
    text = (
        "A Border Patrol agent shot a hiker in Arizona, federal officials said. The shooting "
        "came weeks after an ICE officer killed Renee Good in Minneapolis."
    )
    result = match(_doc(text, "2026-01-28T12:00:00"), rule_set)
    assert [c.incident_id for c in result.new_candidates] == ["arizona-2026-01-28"]
    lead = result.events[0]
    assert (lead.region, lead.state) == ("Arizona", "AZ")
    assert "in Arizona, AZ, not Minneapolis, MN" in {r.reason for r in lead.ruled_out}


def test_a_run_on_clause_reads_a_bounded_number_of_shootings(rule_set: RuleSet) -> None:
    """A page with no full stops and thousands of 'shot's is read for a few shootings per
    clause, not one per word: each reads its clause again."""
    from monitor.analysis.events import Clause, read_mentions

    text = ", and ".join(["an agent shot a man in Denver on Tuesday"] * 2_000)
    mentions = read_mentions(
        text, Clause(0, 0, len(text)), date(2026, 1, 30), rule_set.rules.gazetteer
    )
    assert 1 < len(mentions) <= 6


# ------------------------------------------------- officials, declared victims


def test_naming_a_city_official_does_not_take_the_story_back_to_a_tracked_shooting(
    rule_set: RuleSet,
) -> None:
    """After shots fired at agents (no one tracks that), "Mayor Keith Wilson condemned the
    shooting" is still about it: a mayor speaks of every shooting in the city; naming the person
    shot or the one who fired would identify a tracked incident, a mayor does not."""
    document = _doc(
        """PORTLAND, Ore. — Someone fired several shots at a Border Patrol vehicle parked on
Northeast Sandy Boulevard early Saturday, the FBI said.

Mayor Keith Wilson condemned the shooting and asked for calm.

It came a month after a Border Patrol agent wounded two people in a pickup in the city.""",
        "2026-02-07T20:00:00",
    )
    result = match(document, rule_set)
    assert _sentence_incident(result, "Mayor Keith Wilson") is None


def test_an_incident_whose_victims_all_died_takes_no_wounded_count_or_living_condition(
    rule_set: RuleSet,
) -> None:
    """`victims: {count: 1, outcome: killed}` rules out facts of survivors filed under it;
    a wounded-only incident keeps a death (a victim may die) but not more wounded than
    it had."""
    from monitor.analysis.engine import fitting_victims
    from tests.claimkit import claim

    claims = [
        claim("wounded", 2, subject=JAN7),
        claim("victim_condition", "stable", subject=JAN7),
        claim("killed", 1, subject=JAN7),
        claim("victim_condition", "dead", subject=JAN7),
        claim("wounded", 2, subject=PDX),
        claim("wounded", 3, subject=PDX),
        claim("killed", 1, subject=PDX),
    ]
    kept = [(c.subject, c.slot, c.value) for c in fitting_victims(claims, rule_set.rules)]
    assert kept == [
        (JAN7, "killed", 1),
        (JAN7, "victim_condition", "dead"),
        (PDX, "wounded", 2),
        (PDX, "killed", 1),
    ]


@pytest.mark.parametrize(
    ("place", "city", "inside"),
    [
        ("Van Nuys", "Los Angeles", True),  # a neighbourhood GeoNames lists as a town
        ("Hazel Dell", "Vancouver", True),  # an unincorporated area by the city
        ("St. Paul", "Minneapolis", False),  # a twin city of its own weight
        ("Gresham", "Portland", False),  # a suburb big enough to be its own dateline
        ("Los Angeles", "Van Nuys", False),
    ],
)
def test_a_small_place_near_a_city_lies_in_its_area(place: str, city: str, inside: bool) -> None:
    """Near (same state, a short drive) and much smaller: part of the city's area."""
    from monitor.analysis.places import load_us_gazetteer

    assert load_us_gazetteer().in_area_of(place, None, city, None) is inside


def test_a_new_shooting_in_a_neighbourhood_is_named_by_the_dateline_city(
    rule_set: RuleSet,
) -> None:
    """A story filed from LOS ANGELES about agents shooting a man in Van Nuys, and its
    headline naming Van Nuys alone, make one candidate: los-angeles-<day>."""
    document = _doc(
        """LOS ANGELES — Immigration agents shot a man in Van Nuys on Monday morning during
an arrest outside a laundromat, federal officials said.

The man was taken to a hospital, officials said.""",
        "2026-03-10T02:00:00",
        title="Immigration agents shoot man in Van Nuys",
    )
    result = match(document, rule_set)
    assert [c.incident_id for c in result.new_candidates] == ["los-angeles-2026-03-09"]


def test_a_man_charged_with_firing_at_agents_is_a_story_of_its_own(rule_set: RuleSet) -> None:
    """ "charged with firing a rifle at a CBP truck" is an event no one tracks: the facts
    told of it (the rounds, his age) are not filed under the shooting it recalls."""
    document = _doc(
        """PORTLAND, Ore. — A 31-year-old man was charged Monday with firing a rifle at a
CBP truck on Jan. 10, two days after a Border Patrol agent shot two people in the city.

Prosecutors said he fired six rounds at the truck.""",
        "2026-01-20T18:00:00",
    )
    result = match(document, rule_set)
    assert _sentence_incident(result, "Prosecutors said") is None
    assert result.new_candidates == ()
    claims = analyse_claims(document, result, rule_set, []).claims
    assert {(c.slot, c.value) for c in claims if c.subject == PDX} <= {("shooter_agency", "CBP")}


def test_a_rule_against_firing_at_vehicles_reports_no_shooting(rule_set: RuleSet) -> None:
    """ "asked a judge to bar officers from firing at moving vehicles" names no event."""
    document = _doc(
        """ST. PAUL, Minn. — Lawyers asked a judge on Tuesday to bar immigration officers from
firing at moving vehicles.""",
        "2026-01-28T18:00:00",
    )
    result = match(document, rule_set)
    assert result.new_candidates == ()
    assert result.events == ()
