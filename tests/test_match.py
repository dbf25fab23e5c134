"""Tests for monitor.analysis.match: entities, incidents, sentence attribution, watch rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.analysis.candidates import find_dateline
from monitor.analysis.dates import find_dates
from monitor.analysis.entities import fold_case
from monitor.analysis.match import MatchResult, compile_matcher, explain, match_document
from monitor.analysis.rule_values import Rules
from monitor.analysis.rules import load_rules
from monitor.analysis.sentences import split_sentences
from monitor.model import Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MPLS_KILLING = "mpls-2026-01-07"
PDX = "pdx-2026-01-08"
MPLS_LEG = "mpls-2026-01-14"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(ROOT / "rules")


def _seed(prefix: str) -> Document:
    manifest = yaml.safe_load((SEEDS / "manifest.yaml").read_text(encoding="utf-8"))
    entry = next(d for d in manifest["documents"] if d["file"].startswith(prefix))
    text = (SEEDS / entry["file"]).read_text(encoding="utf-8")
    published = entry["published"]
    if isinstance(published, str):
        published = datetime.fromisoformat(published)
    return Document(entry["file"], "", text, entry["source"], published)


def _article(text: str, published: str, title: str = "") -> Document:
    when = datetime.fromisoformat(published).replace(tzinfo=UTC)
    return Document("https://example.test/a", title, text, "test", when)


def _incident_of(result: MatchResult, fragment: str) -> str | None:
    sentence = next(s for s in result.sentences if fragment in s.text)
    return sentence.incident_id


def _aliases(result: MatchResult, entity_id: str) -> list[str]:
    return [h.alias for h in result.hits if h.entity_id == entity_id]


# ------------------------------------------------------------------------ seed articles


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("000", {PDX, MPLS_KILLING}),
        ("001", {PDX, MPLS_KILLING}),
        ("004", {MPLS_KILLING, PDX}),
        ("002", {MPLS_LEG, MPLS_KILLING}),
        ("003", {MPLS_LEG, MPLS_KILLING}),
    ],
    ids=["000-portland", "001-portland", "004-both", "002-second-mpls", "003-second-mpls"],
)
def test_seed_articles_match_their_incidents(rules: Rules, prefix: str, expected: set[str]) -> None:
    """Each seed article is about exactly the incidents its manifest describes."""
    result = match_document(_seed(prefix), rules)
    assert set(result.incident_ids) == expected
    assert not result.new_incident


@pytest.mark.parametrize(
    ("prefix", "main"),
    [("000", PDX), ("001", PDX), ("004", PDX), ("002", MPLS_LEG), ("003", MPLS_LEG)],
    ids=["000", "001", "004", "002", "003"],
)
def test_the_main_incident_of_a_seed_comes_first(rules: Rules, prefix: str, main: str) -> None:
    """The incident most of the article speaks of is ranked first, ahead of recaps."""
    assert match_document(_seed(prefix), rules).incident_ids[0] == main


@pytest.mark.parametrize(
    ("prefix", "fragment", "incident_id"),
    [
        ("002", "non-life-threatening injury", MPLS_LEG),
        ("002", "had stopped a person from Venezuela", MPLS_LEG),
        ("002", "televised speech before Wednesday’s shooting", MPLS_LEG),
        ("003", "attacked with a shovel", MPLS_LEG),
        ("001", "An ICE officer shot Renee Good in the head Wednesday", MPLS_KILLING),
        ("001", "Tensions remained high Thursday", MPLS_KILLING),
        ("001", "Thursday’s shooting took place in the eastern part", PDX),
        ("001", "PORTLAND, Ore.", PDX),
        ("000", "A day earlier, a US Immigration and Customs Enforcement agent", MPLS_KILLING),
        ("000", "US border patrol agent had opened fire", PDX),
        ("004", "anti-ICE activist was shot and killed", MPLS_KILLING),
        ("004", "Border Patrol agents initiated the Portland stop", PDX),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else v,
)
def test_seed_sentences_are_attributed_to_the_incident_they_speak_of(
    rules: Rules, prefix: str, fragment: str, incident_id: str
) -> None:
    """A recap sentence belongs to the earlier incident, a report sentence to the new one."""
    assert _incident_of(match_document(_seed(prefix), rules), fragment) == incident_id


def test_a_sentence_whose_main_clause_names_no_event_belongs_to_what_it_recalls(
    rules: Rules,
) -> None:
    """'Tensions have risen since <the killing>' is background: the whole sentence is the 7th's."""
    seed = match_document(_seed("003"), rules)
    fragment = "following the fatal shooting of 37-year-old Renee Nicole Good"
    sentence = next(s for s in seed.sentences if fragment in s.text)
    assert (sentence.incident_id, seed.recap_of(sentence.index)) == (MPLS_KILLING, None)
    paraphrase = (
        "ICE officer wounds man in Minneapolis\n\n"
        "A federal immigration officer shot a man in the leg on Wednesday in Minneapolis, "
        "the Department of Homeland Security said. "
        "Anger has simmered across the city since an ICE officer fatally shot Renee Good. "
        "The wounded man is expected to survive, police said."
    )
    result = match_document(_article(paraphrase, "2026-01-15T08:00:00"), rules)
    assert _incident_of(result, "Anger has simmered") == MPLS_KILLING
    assert _incident_of(result, "expected to survive") == MPLS_LEG


@pytest.mark.parametrize(
    ("prefix", "fragment", "sentence_incident"),
    [
        ("002", "a week after Ice officer Jonathan Ross fatally shot Renee Good", MPLS_LEG),
        ("002", "since Mr Ross shot Ms Good on January 7", MPLS_LEG),
        ("003", "since an ICE agent shot dead a woman last week", MPLS_LEG),
        ("001", "a day after an officer shot and killed a driver in Minnesota", PDX),
        ("000", "following a separate shooting a day earlier in Minneapolis", PDX),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else v,
)
def test_a_look_back_clause_recalls_the_older_incident(
    rules: Rules, prefix: str, fragment: str, sentence_incident: str
) -> None:
    """The main clause keeps the sentence's incident; the look-back clause is a recap."""
    result = match_document(_seed(prefix), rules)
    sentence = next(s for s in result.sentences if fragment in s.text)
    assert sentence.incident_id == sentence_incident
    recap = result.recap_of(sentence.index)
    assert recap is not None
    assert recap.incident_id == MPLS_KILLING
    assert fragment in result.text[recap.start : recap.end]
    assert sentence.index in result.mixed_sentences


def test_a_sentence_opening_with_a_look_back_is_all_recap(rules: Rules) -> None:
    """'A day earlier, an agent fatally shot ...' has no main clause of its own to split off."""
    result = match_document(_seed("000"), rules)
    sentence = next(s for s in result.sentences if s.text.startswith("A day earlier"))
    assert sentence.incident_id == MPLS_KILLING
    assert result.recap_of(sentence.index) is None


def test_a_sentence_with_cues_for_two_incidents_is_marked_mixed(rules: Rules) -> None:
    """'a non-fatal leg wound ... a week after Ross fatally shot Good' is flagged as mixed."""
    result = match_document(_seed("002"), rules)
    recap = next(s for s in result.sentences if "non-fatal leg wound" in s.text)
    assert recap.index in result.mixed_sentences
    shared_only = next(s for s in result.sentences if "Jacob Frey said" in s.text)
    assert shared_only.index not in result.mixed_sentences


def test_every_incident_match_carries_readable_evidence(rules: Rules) -> None:
    """Evidence names what matched, where, and why, so `monitor explain` can show it."""
    result = match_document(_seed("003"), rules)
    for match in result.incidents:
        assert match.evidence
        assert 0 < match.score <= 1
        for item in match.evidence:
            assert result.text[item.start : item.end] == item.matched
            assert item.reason


def test_explain_lists_incidents_evidence_and_sentences(rules: Rules) -> None:
    """The explain lines give each incident's score, its reasons and every sentence."""
    result = match_document(_seed("002"), rules)
    lines = explain(result)
    assert lines[0].startswith("mpls-2026-01-14: score ")
    assert any("(recalls mpls-2026-01-07)" in line for line in lines)
    assert any("victim Renee Good: 'Renee Good'" in line for line in lines)
    assert any("'January 7' resolves to 2026-01-07, the incident date" in line for line in lines)
    assert sum(line.startswith("  [") for line in lines) > len(result.sentences)


# ----------------------------------------------------------------- articles of our own

PORTLAND_MAINE = """PORTLAND, Maine — A 24-year-old man was shot outside a bar on Fore Street early
Sunday, Portland police said.
Officers found the man with a gunshot wound to the arm shortly after 1:40 a.m. and took him to
Maine Medical Center. Police Chief Mark Dubois said detectives were looking for a second man seen
running toward the Old Port.
"We don't believe there is a danger to the public," Dubois said."""

ICE_STORM = """Ice storm glazes the Twin Cities
An ice storm coated Minneapolis and St. Paul overnight, snapping branches and knocking out power
to 40,000 homes. Ice accumulations of a quarter inch were reported in Minnesota's south metro.
Crews from the city salted bridges, and Mayor Jacob Frey asked residents to stay off the roads
until the ice melts."""

PORTLAND_POLICE = """A Portland police officer shot and wounded a man who the Portland Police Bureau
said was armed with a knife in a Southeast Portland apartment complex on Saturday.
The man was taken to a hospital. The officer was placed on paid leave, as is routine, while the
Multnomah County district attorney reviews the shooting.
Mayor Keith Wilson said the city would release body-camera video within days."""

FREY_BUDGET = """Minneapolis Mayor Jacob Frey proposed a $1.9 billion budget on Tuesday that would
hire 40 more firefighters and hold property-tax growth to 5 percent.
Frey said the plan protects core services. Council members questioned the overtime budget of the
Minneapolis Police Department, which ran $12 million over last year."""

ICE_POLICY = """U.S. Immigration and Customs Enforcement will open a 1,000-bed detention center
outside Houston, the agency said on Monday.
An ICE spokesperson said the site would ease crowding. Texas officials welcomed the contract,
while immigrant-rights groups in Houston said they would sue to block it. DHS did not say when
the first detainees would arrive."""

CHICAGO = """A Border Patrol agent opened fire on a car in Chicago's Little Village neighbourhood on
Tuesday, wounding the driver, federal officials said.
The Department of Homeland Security said the driver had tried to ram agents during an arrest.
Illinois Governor JB Pritzker called for an independent investigation.
The shooting is the latest in a string of confrontations since an ICE officer killed Renee Good in
Minneapolis this month."""

RENEE_GOOD_FOLLOW_UP = """Lawyers for the family of Renee Good filed a wrongful-death claim against
the federal government on Monday, seeking $25 million.
Good, a poet and mother of three, was shot three times through the windshield of her car, the
claim says. It accuses the officer of firing without warning.
The Justice Department declined to comment. Good's wife said the family wanted the video
released."""

PDX_PARAPHRASE = """Two wounded as Border Patrol fires on vehicle
Two people were hurt when a U.S. Border Patrol agent fired into a pickup truck in east Portland
on Thursday afternoon, according to Portland police.
Oregon officials condemned the shooting. "This is exactly what we warned about," said Sen. Jeff
Merkley in a statement. Chief Day asked for patience.
Homeland Security officials said the agent feared for his life."""

MPLS_LEG_PARAPHRASE = """An immigration officer wounded a Venezuelan man in the thigh during an
arrest in north Minneapolis on Wednesday night, federal authorities said.
The man is expected to survive. DHS said the officer was struck with a snow shovel before he fired.
The shooting came one week after Renee Good, 37, was killed by an ICE agent on a south Minneapolis
street, a death that set off daily protests.
Police chief Brian O’Hara urged protesters to go home."""


@pytest.mark.parametrize(
    ("text", "published"),
    [
        (PORTLAND_MAINE, "2026-01-11T15:00:00"),
        (ICE_STORM, "2026-01-16T12:00:00"),
        (PORTLAND_POLICE, "2026-01-20T02:00:00"),
        (FREY_BUDGET, "2026-01-21T18:00:00"),
        (ICE_POLICY, "2026-01-13T16:00:00"),
    ],
    ids=[
        "portland-maine-shooting",
        "minneapolis-ice-storm",
        "portland-police-not-federal",
        "frey-budget",
        "ice-policy-houston",
    ],
)
def test_lookalike_stories_match_no_incident(rules: Rules, text: str, published: str) -> None:
    """Stories that share words with the incidents are about none of them and flag nothing."""
    result = match_document(_article(text, published), rules)
    assert result.incident_ids == ()
    assert not result.new_incident


def test_a_federal_agent_shooting_elsewhere_is_a_candidate_new_incident(rules: Rules) -> None:
    """A Border Patrol shooting in Chicago fits the watch rule but no known incident."""
    result = match_document(_article(CHICAGO, "2026-01-21T20:00:00"), rules)
    assert result.new_incident
    assert result.watch_evidence[0].sentence_index == 0
    # Its sentences are the candidate's own, filed under its city and day.
    assert [c.incident_id for c in result.new_candidates] == ["chicago-2026-01-21"]
    assert _incident_of(result, "opened fire on a car") == "chicago-2026-01-21"


def test_a_follow_up_naming_only_the_victim_matches_her_incident(rules: Rules) -> None:
    """A story naming Renee Good but neither city is about the Minneapolis killing."""
    result = match_document(_article(RENEE_GOOD_FOLLOW_UP, "2026-02-10T17:00:00"), rules)
    assert result.incident_ids == (MPLS_KILLING,)
    assert not result.new_incident


def test_a_paraphrased_portland_report_matches_the_portland_incident(rules: Rules) -> None:
    """Different wording (headline, titles, 'east Portland') still finds pdx-2026-01-08."""
    result = match_document(_article(PDX_PARAPHRASE, "2026-01-09T05:00:00"), rules)
    assert result.incident_ids == (PDX,)
    assert "Day" in _aliases(result, "bob-day")


def test_a_paraphrased_second_shooting_separates_its_recap(rules: Rules) -> None:
    """The thigh wound is the 14 January shooting; 'one week after Renee Good' is the 7th."""
    result = match_document(_article(MPLS_LEG_PARAPHRASE, "2026-01-15T08:00:00"), rules)
    assert set(result.incident_ids) == {MPLS_LEG, MPLS_KILLING}
    assert result.incident_ids[0] == MPLS_LEG
    assert _incident_of(result, "wounded a Venezuelan man in the thigh") == MPLS_LEG
    recap_sentence = next(s for s in result.sentences if "one week after Renee Good" in s.text)
    assert recap_sentence.incident_id == MPLS_LEG
    recap = result.recap_of(recap_sentence.index)
    assert recap is not None and recap.incident_id == MPLS_KILLING
    assert _incident_of(result, "snow shovel") == MPLS_LEG


def test_an_article_published_before_an_incident_cannot_be_about_it(rules: Rules) -> None:
    """The date window keeps a 9 January article off the 14 January shooting."""
    result = match_document(_article(MPLS_LEG_PARAPHRASE, "2026-01-09T08:00:00"), rules)
    assert MPLS_LEG not in result.incident_ids


# --------------------------------------------------------------------- disambiguation


def _hits(rules: Rules, text: str) -> MatchResult:
    return match_document(_article(text, "2026-01-15T12:00:00"), rules)


@pytest.mark.parametrize(
    ("text", "entity_id", "expected"),
    [
        ("ICE agents detained two men.", "ice", ["ICE"]),
        ("Black ice closed the road. Ice formed on the bridge.", "ice", []),
        (
            "An Immigration and Customs Enforcement (Ice) officer fired.",
            "ice",
            ["Immigration and Customs Enforcement", "Ice"],
        ),
        ("The Ice officer was not named.", "ice", ["Ice"]),
        (
            "Immigration and Customs Enforcement (Ice) said no.",
            "ice",
            ["Immigration and Customs Enforcement", "Ice"],
        ),
        ("Ice said it would not comment.", "ice", []),
        ("ICE STORM CLOSES SCHOOLS", "ice", []),
        (
            "Police chief Brian O’Hara spoke. Later Mr O'Hara left.",
            "brian-ohara",
            ["Brian O’Hara", "O'Hara"],
        ),
        ("Chief Brian O'Hara said so.", "brian-ohara", ["Brian O'Hara"]),
        ("It was a good day. Good news came.", "renee-good", []),
        ("Renee Good died. Good was 37.", "renee-good", ["Renee Good", "Good"]),
        ("Ms Good was a poet.", "renee-good", ["Good"]),
        ("It was a long Day for Chief Day.", "bob-day", ["Day"]),
        ("Betsy Ross sewed a flag.", "jonathan-ross", []),
        ("Portland, Maine, got snow.", "portland-oregon", []),
        ("Portland, Ore., got snow.", "portland-oregon", ["Portland"]),
        ("Portland got snow. Oregon roads closed.", "portland-oregon", ["Portland"]),
        ("Portland got snow.", "portland-oregon", []),
        (
            "In Portland, Ore., crowds marched up Portland Avenue, then Minneapolis Street.",
            "portland-oregon",
            ["Portland"],
        ),
        ("Mourners met on Minneapolis Ave. at dusk.", "minneapolis", []),
        ("Agents from US border patrol arrived.", "border-patrol", ["US border patrol"]),
        ("The homeland security department said.", "dhs", ["homeland security department"]),
        ("They were in St. Paul and Saint Paul.", "st-paul", ["St. Paul", "Saint Paul"]),
        ("The Icelandic ICEBERG.", "ice", []),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else None,
)
def test_mentions_are_disambiguated(
    rules: Rules, text: str, entity_id: str, expected: list[str]
) -> None:
    """Acronyms keep their case, surnames need a full name or title, Portland needs Oregon."""
    assert _aliases(_hits(rules, text), entity_id) == expected


def test_curly_and_straight_apostrophes_fold_to_the_same_offsets() -> None:
    """Folding never moves an offset, even for characters that lower-case to two."""
    text = "O’Hara met İstanbul’s mayor"
    folded = fold_case(text)
    assert len(folded) == len(text)
    assert folded.startswith("o'hara")


# -------------------------------------------------------------------- sentences, dates


def test_sentences_do_not_end_at_abbreviations() -> None:
    """U.S., Ore., Mr., Sen., Gov., St., Jan. and a.m. before a weekday end no sentence."""
    text = (
        "U.S. Sen. Jeff Merkley spoke in Portland, Ore. on Jan. 9 at 10 a.m. Thursday. "
        "Gov. Tim Walz and Mr. Frey met in St. Paul. “We are calm,” she said. Then it rained!\n"
        "A new line is a new sentence"
    )
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "U.S. Sen. Jeff Merkley spoke in Portland, Ore. on Jan. 9 at 10 a.m. Thursday.",
        "Gov. Tim Walz and Mr. Frey met in St. Paul.",
        "“We are calm,” she said.",
        "Then it rained!",
        "A new line is a new sentence",
    ]


def test_a_closing_quote_ends_the_sentence_with_it() -> None:
    """A sentence ending inside quotes keeps the closing quote."""
    text = '"Don\'t take the bait." He left. The end.'
    assert [text[s:e] for s, e in split_sentences(text)] == [
        '"Don\'t take the bait."',
        "He left.",
        "The end.",
    ]


@pytest.mark.parametrize(
    ("words", "published", "expected"),
    [
        ("on Wednesday", date(2026, 1, 15), date(2026, 1, 14)),
        ("on Wednesday", date(2026, 1, 9), date(2026, 1, 7)),
        ("last Thursday", date(2026, 1, 9), date(2026, 1, 8)),
        ("on January 7th", date(2026, 1, 15), date(2026, 1, 7)),
        ("on Jan. 8", date(2026, 1, 9), date(2026, 1, 8)),
        ("on 14 January", date(2026, 1, 20), date(2026, 1, 14)),
        ("yesterday", date(2026, 1, 8), date(2026, 1, 7)),
        ("last week", date(2026, 1, 15), date(2026, 1, 7)),
    ],
    ids=[
        "wed-after-2nd",
        "wed-after-1st",
        "thursday",
        "jan-7th",
        "jan-8",
        "14-jan",
        "yesterday",
        "last-week",
    ],
)
def test_dates_resolve_against_the_publication_date(
    words: str, published: date, expected: date
) -> None:
    """Weekdays, calendar dates and relative days name the incident's day."""
    assert any(m.covers(expected) for m in find_dates(words, 0, published))


# ------------------------------------------------------------------------- invariants


def test_the_matcher_is_compiled_once_per_rules(rules: Rules) -> None:
    """Matching many articles reuses one compiled automaton."""
    assert compile_matcher(rules) is compile_matcher(rules)


_PIECES = st.sampled_from(
    [
        "ICE",
        "Ice officer",
        "Renee Good",
        "Good",
        "Portland",
        "Oregon",
        "shot",
        "Wednesday",
        "Jan. 7",
        "St.",
        "U.S.",
        "’",
        "\n",
        ". ",
        "İ",
        "(",
        ")",
        "fatally",
        "leg",
        "Minneapolis",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    body=st.lists(st.one_of(st.text(max_size=30), _PIECES), max_size=40).map(" ".join),
    title=st.text(max_size=20),
    published=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
)
def test_matching_never_raises_on_arbitrary_text(
    rules: Rules, body: str, title: str, published: datetime | None
) -> None:
    """Any text, title and publication time give a result whose offsets fit the text."""
    result = match_document(Document("u", title, body, "s", published), rules)
    for hit in result.hits:
        assert 0 <= hit.start < hit.end <= len(result.text)
        assert 0 <= hit.sentence_index < max(1, len(result.sentences))
    for sentence in result.sentences:
        assert result.text[sentence.start : sentence.end] == sentence.text


# ----------------------------------------------------------- short follow-ups (issue)

PDX_BARE_PORTLAND = """Hospital updates condition of pair hit by agents' gunfire
A man and a woman struck when federal agents opened fire on their car in Portland were
moved out of intensive care, their lawyer said."""

PDX_OFFICIALS_ONLY = """Council President Elana Pirtle-Guiney asked for a public inquiry into
the shooting by Border Patrol agents in Portland, and Sen. Jeff Merkley backed her."""

PDX_DEFINITE = """Prosecutors have not yet decided whether to review the Portland shooting,
a spokesperson said."""

MAINE_FEDERAL = """Federal agents shot a man during an arrest in Portland on Friday, and Maine
officials asked for the body-camera footage."""

MPLS_LEG_PLACELESS = """The Venezuelan man an immigration officer shot in the thigh on Wednesday
left hospital on crutches, his cousin said."""

MPLS_LEG_DEFINITE_LOCAL = """Minneapolis fire crews were not called to Wednesday's shooting, a
city spokesperson said."""

MPLS_LOCAL_POLICE = """Minneapolis police shot a man who fired at officers on Wednesday, the
department said."""

DENVER_SAME_DAY = """An ICE agent shot a man in the leg outside a Denver grocery store on
Wednesday, the agency said."""

UNKNOWN_DATELINE = """BOISE, Idaho — An ICE agent shot a man in the leg during an arrest on
Wednesday, the agency said."""


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        (PDX_BARE_PORTLAND, "2026-01-13T09:00:00", PDX),
        (PDX_OFFICIALS_ONLY, "2026-01-12T09:00:00", PDX),
        (PDX_DEFINITE, "2026-01-20T09:00:00", PDX),
        (MPLS_LEG_PLACELESS, "2026-01-16T09:00:00", MPLS_LEG),
        (MPLS_LEG_DEFINITE_LOCAL, "2026-01-16T09:00:00", MPLS_LEG),
    ],
    ids=[
        "bare-portland-with-federal-agents",
        "portland-officials-without-oregon",
        "the-portland-shooting",
        "placeless-follow-up-dated-to-the-day",
        "wednesdays-shooting-in-minneapolis",
    ],
)
def test_a_short_follow_up_finds_its_incident(
    rules: Rules, text: str, published: str, expected: str
) -> None:
    """Follow-ups that skip the state, the city or the agency still find their incident."""
    result = match_document(_article(text, published), rules)
    assert result.incident_ids == (expected,)
    assert not result.new_incident


@pytest.mark.parametrize(
    ("text", "published"),
    [
        (MAINE_FEDERAL, "2026-01-17T09:00:00"),
        (MPLS_LEG_PLACELESS, "2026-01-23T09:00:00"),
        (DENVER_SAME_DAY, "2026-01-16T09:00:00"),
        (UNKNOWN_DATELINE, "2026-01-16T09:00:00"),
    ],
    ids=[
        "federal-shooting-in-portland-maine",
        "weekday-names-another-wednesday",
        "other-city-on-the-same-day",
        "dateline-of-an-untracked-city",
    ],
)
def test_a_federal_shooting_that_is_not_tracked_stays_a_new_incident(
    rules: Rules, text: str, published: str
) -> None:
    """No date, place or Portland shortcut absorbs a new federal shooting into a known one."""
    result = match_document(_article(text, published), rules)
    assert result.tracked_ids == ()
    assert result.new_incident
    assert result.incident_ids == tuple(c.incident_id for c in result.new_candidates)


HOUSTON_FILED = """Federal agent wounds man during immigration arrest, officials say

HOUSTON (AP) — A federal immigration agent shot and wounded a man Wednesday while agents were
detaining his brother outside a tire shop, Houston police said.
The man's injuries were not life-threatening, a police spokeswoman said, and he was expected
to recover.
The shooting follows weeks of tension over enforcement surges in Minneapolis and elsewhere."""

HOUSTON_FILED_ABOUT_GOOD = """Houston vigil remembers Renee Good

HOUSTON — About two hundred people gathered downtown on Sunday for Renee Good, the Minneapolis
mother of three killed by an ICE officer this month.
Organizers said the officer who shot her, Jonathan Ross, should face charges."""

ST_PAUL_FILED = """State opens review of second ICE shooting

ST. PAUL, Minn. (AP) — Minnesota investigators said Thursday they will review Wednesday's
shooting in north Minneapolis, in which an ICE officer shot a man in the leg."""


def test_a_story_filed_from_an_untracked_city_is_not_absorbed_by_a_passing_mention(
    rules: Rules,
) -> None:
    """A shooting datelined in a city with no tracked incident, naming Minneapolis only as
    context, is a candidate new incident, not the Minneapolis shooting of the same day."""
    result = match_document(_article(HOUSTON_FILED, "2026-01-15T18:00:00"), rules)
    assert result.tracked_ids == ()
    assert [c.incident_id for c in result.new_candidates] == ["houston-2026-01-14"]


def test_a_story_filed_elsewhere_that_names_the_victim_is_still_about_her(rules: Rules) -> None:
    """The dateline does not override the incident's own people: a vigil in Houston for
    Renee Good is coverage of her killing."""
    result = match_document(_article(HOUSTON_FILED_ABOUT_GOOD, "2026-01-19T18:00:00"), rules)
    assert result.incident_ids == (MPLS_KILLING,)


def test_a_story_filed_from_a_neighbouring_tracked_place_keeps_its_incident(
    rules: Rules,
) -> None:
    """'ST. PAUL, Minn. (AP) —' is the Twin Cities: the Minneapolis shooting stays matched."""
    result = match_document(_article(ST_PAUL_FILED, "2026-01-15T18:00:00"), rules)
    assert MPLS_LEG in result.incident_ids


@pytest.mark.parametrize(
    ("text", "dateline"),
    [
        ("DENVER — Agents fired.", "DENVER —"),
        ("Headline here\n\nST. PAUL, Minn. (AP) — Agents fired.", "ST. PAUL, Minn. (AP) —"),
        ("MINNEAPOLIS, Jan 15 (Reuters) - Agents fired.", "MINNEAPOLIS, Jan 15 (Reuters) -"),
        ("Agents fired in Denver on Monday.", None),
    ],
    ids=["plain", "after-a-headline-with-agency", "reuters-with-date", "none"],
)
def test_the_dateline_is_found_at_the_start_of_the_body(text: str, dateline: str | None) -> None:
    found = find_dateline(text)
    assert (found.group().strip() if found else None) == dateline


def test_a_fresh_local_police_shooting_on_the_same_day_is_not_absorbed(rules: Rules) -> None:
    """A date and a city alone are not enough: no agents, no 'the shooting', no incident."""
    result = match_document(_article(MPLS_LOCAL_POLICE, "2026-01-16T09:00:00"), rules)
    assert result.incident_ids == ()


@pytest.mark.parametrize(
    ("text", "entity_id", "expected"),
    [
        ("The agent who killed Good was not charged.", "renee-good", ["Good"]),
        ("The shooting of Good drew a crowd.", "renee-good", ["Good"]),
        ("Good news: the agent was not charged.", "renee-good", []),
        ("Ross fired two rounds at the car.", "jonathan-ross", ["Ross"]),
        ("Ross fired his campaign manager.", "jonathan-ross", []),
        ("Mayor Keith Wilson spoke in Portland.", "portland-oregon", ["Portland"]),
        ("Portland police declined to comment.", "portland-oregon", []),
        ("PPB officers closed Portland streets.", "portland-oregon", ["Portland"]),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else None,
)
def test_surnames_and_portland_count_in_telling_context(
    rules: Rules, text: str, entity_id: str, expected: list[str]
) -> None:
    """A bare surname counts beside gunfire; Portland counts beside an Oregon official."""
    assert _aliases(_hits(rules, text), entity_id) == expected
