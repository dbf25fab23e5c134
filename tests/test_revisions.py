"""Stealth edits: the recheck schedule and the alerts an outlet's own edit raises."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from monitor.analysis.alerts import AlertDraft, claim_view
from monitor.analysis.claim_schema import ClaimValue
from monitor.analysis.claims import Claim, Stance
from monitor.analysis.engine import RuleSet, analyse_claims, load_rule_set, match
from monitor.analysis.revisions import edit_alerts, next_recheck_at, skip_overdue_checks
from monitor.config import DEFAULT_RECHECK_SCHEDULE, parse_delays
from monitor.model import Document
from tests.claimkit import claim as make_claim

REPO_ROOT = Path(__file__).resolve().parent.parent
PDX = "pdx-2026-01-08"
URL = "https://www.opb.org/article/2026/01/08/portland-shooting/"
PUBLISHED_AT = datetime(2026, 1, 8, 23, 0, tzinfo=UTC)
SCHEDULE = parse_delays(DEFAULT_RECHECK_SCHEDULE, example=DEFAULT_RECHECK_SCHEDULE)
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def claim(
    slot: str,
    value: ClaimValue,
    sentence: str,
    *,
    index: int = 0,
    speaker: str = "",
    stance: Stance = Stance.ASSERTS,
    subject: str = PDX,
    qualifier: str | None = None,
    url: str = URL,
) -> Claim:
    """A claim of the OPB story, as extraction would give it."""
    return make_claim(
        slot,
        value,
        speaker=speaker,
        source="OPB",
        stance=stance,
        qualifier=qualifier,
        subject=subject,
        sentence=sentence,
        sentence_index=index,
        article_url=url,
        published_at=PUBLISHED_AT,
    )


def changes(alerts: list[AlertDraft]) -> list[tuple[str | None, object, object]]:
    """(slot, value before, value after) of each alert; None for a missing side."""
    return [
        (a.slot, a.previous["value"] if a.previous else None, a.current["value"]) for a in alerts
    ]


# ------------------------------------------------------------------------ schedule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("10m,1h,6h,24h", (10 * MIN, HOUR, 6 * HOUR, DAY), id="default"),
        pytest.param(" 30s , 2D ", (timedelta(seconds=30), 2 * DAY), id="spaces-and-capitals"),
        pytest.param("90m", (90 * MIN,), id="one-delay"),
        pytest.param("", (), id="empty-means-no-rechecks"),
    ],
)
def test_schedule_setting_parses_to_increasing_delays(
    text: str, expected: tuple[timedelta, ...]
) -> None:
    """A schedule setting becomes the delays after publication, in order."""
    assert parse_delays(text, example=DEFAULT_RECHECK_SCHEDULE) == expected


@pytest.mark.parametrize(
    ("text", "bad_item"),
    [
        pytest.param("10m,1x", "1x", id="unknown-unit"),
        pytest.param("10m,,1h", "", id="empty-item"),
        pytest.param("1.5h", "1.5h", id="fraction"),
        pytest.param("ten minutes", "ten minutes", id="words"),
        pytest.param("10m,0h", "0h", id="zero"),
        pytest.param("1h,10m", "10m", id="decreasing"),
        pytest.param("1h,60m", "60m", id="repeated-delay"),
    ],
)
def test_bad_schedule_names_the_item_and_shows_an_example(text: str, bad_item: str) -> None:
    """A bad schedule is a ValueError naming the offending item and a valid example."""
    with pytest.raises(ValueError, match=re.escape(f"item {bad_item!r}")) as raised:
        parse_delays(text, example=DEFAULT_RECHECK_SCHEDULE)
    assert "'10m,1h,6h,24h'" in str(raised.value)


@pytest.mark.parametrize(
    ("published_at", "first_seen_at", "checks_done", "expected"),
    [
        pytest.param(PUBLISHED_AT, PUBLISHED_AT + 2 * MIN, 0, PUBLISHED_AT + 10 * MIN, id="fresh"),
        pytest.param(PUBLISHED_AT, PUBLISHED_AT, 2, PUBLISHED_AT + 6 * HOUR, id="third-check"),
        pytest.param(PUBLISHED_AT, PUBLISHED_AT, 3, PUBLISHED_AT + DAY, id="last-check"),
        pytest.param(PUBLISHED_AT, PUBLISHED_AT, 4, None, id="exhausted"),
        pytest.param(
            None, PUBLISHED_AT + HOUR, 0, PUBLISHED_AT + HOUR + 10 * MIN, id="unknown-publication"
        ),
        pytest.param(
            PUBLISHED_AT + DAY, PUBLISHED_AT, 1, PUBLISHED_AT + HOUR, id="publication-in-future"
        ),
    ],
)
def test_next_recheck_counts_from_publication(
    published_at: datetime | None,
    first_seen_at: datetime,
    checks_done: int,
    expected: datetime | None,
) -> None:
    """The next re-fetch is publication (else first seen) plus the next delay, None when done."""
    assert next_recheck_at(published_at, first_seen_at, checks_done, SCHEDULE) == expected


def test_no_schedule_means_no_recheck() -> None:
    """With an empty schedule an article is never re-fetched."""
    assert next_recheck_at(PUBLISHED_AT, PUBLISHED_AT, 0, ()) is None


def test_negative_checks_done_is_a_bug() -> None:
    """A negative check count is refused rather than scheduling a check before publication."""
    with pytest.raises(ValueError, match="checks_done"):
        next_recheck_at(PUBLISHED_AT, PUBLISHED_AT, -1, SCHEDULE)


@pytest.mark.parametrize(
    ("published_at", "first_seen_at", "checks_done", "fetched_at", "expected", "next_at"),
    [
        pytest.param(
            PUBLISHED_AT,
            PUBLISHED_AT + 5 * MIN,
            0,
            PUBLISHED_AT + 5 * MIN,
            0,
            PUBLISHED_AT + 10 * MIN,
            id="first-seen-fresh",
        ),
        pytest.param(
            PUBLISHED_AT,
            PUBLISHED_AT + 3 * HOUR,
            0,
            PUBLISHED_AT + 3 * HOUR,
            2,
            PUBLISHED_AT + 6 * HOUR,
            id="first-seen-three-hours-late",
        ),
        pytest.param(
            PUBLISHED_AT,
            PUBLISHED_AT + 10 * MIN,
            0,
            PUBLISHED_AT + 10 * MIN,
            1,
            PUBLISHED_AT + HOUR,
            id="first-seen-exactly-when-a-check-is-due",
        ),
        pytest.param(
            PUBLISHED_AT,
            PUBLISHED_AT,
            2,
            PUBLISHED_AT + HOUR,
            2,
            PUBLISHED_AT + 6 * HOUR,
            id="on-time-recheck",
        ),
        pytest.param(
            PUBLISHED_AT,
            PUBLISHED_AT,
            2,
            PUBLISHED_AT + 30 * HOUR,
            4,
            None,
            id="daemon-down-for-a-day",
        ),
        pytest.param(
            PUBLISHED_AT,
            PUBLISHED_AT,
            3,
            PUBLISHED_AT + 5 * HOUR,
            3,
            PUBLISHED_AT + DAY,
            id="early-recheck-keeps-count",
        ),
        pytest.param(
            None,
            PUBLISHED_AT + 3 * HOUR,
            0,
            PUBLISHED_AT + 3 * HOUR,
            0,
            PUBLISHED_AT + 3 * HOUR + 10 * MIN,
            id="unknown-publication",
        ),
    ],
)
def test_overdue_checks_are_skipped(
    published_at: datetime | None,
    first_seen_at: datetime,
    checks_done: int,
    fetched_at: datetime,
    expected: int,
    next_at: datetime | None,
) -> None:
    """Every check due at or before a fetch counts as done, so overdue checks never pile up."""
    done = skip_overdue_checks(published_at, first_seen_at, checks_done, SCHEDULE, fetched_at)
    assert done == expected
    assert next_recheck_at(published_at, first_seen_at, done, SCHEDULE) == next_at


# --------------------------------------------------------------------------- edits

WOUNDED_ONE = "An agent shot and wounded one person, police said."
WOUNDED_TWO = "An agent shot and wounded two people, police said."
AT_1415 = "The shooting happened at about 2:15 p.m."
AT_1419 = "The shooting happened at about 2:19 p.m."
NAMED = "The wounded driver was identified as Luis Nino-Moncada."
SELF_DEFENSE = "DHS said the agent fired defensive shots."
REWORDED = "Police said the agent shot and injured one person."
MERGED = "At about 2:15 p.m. an agent shot and wounded one person, police said."

EDIT_CASES = [
    pytest.param(
        [claim("wounded", 1, WOUNDED_ONE, speaker="PPB")],
        [claim("wounded", 2, WOUNDED_TWO, speaker="PPB")],
        [("wounded", 1, 2)],
        "OPB edited its own story: wounded 1 → 2 (attributed to PPB)",
        id="count-changed",
    ),
    pytest.param(
        [claim("time", "14:15", AT_1415, qualifier="about")],
        [claim("time", "14:19", AT_1419, qualifier="about")],
        [("time", "14:15", "14:19")],
        "OPB edited its own story: time about 14:15 → about 14:19",
        id="time-changed",
    ),
    pytest.param(
        [claim("wounded", 1, WOUNDED_ONE, speaker="PPB")],
        [
            claim("wounded", 1, WOUNDED_ONE, speaker="PPB"),
            claim("victim_name", "Luis Nino-Moncada", NAMED, index=1),
        ],
        [("victim_name", None, "Luis Nino-Moncada")],
        "OPB edited its own story: added victim_name Luis Nino-Moncada",
        id="victim-name-added",
    ),
    pytest.param(
        [
            claim("wounded", 1, WOUNDED_ONE, speaker="PPB"),
            claim("justification", "self_defense", SELF_DEFENSE, index=1, speaker="DHS"),
        ],
        [claim("wounded", 1, WOUNDED_ONE, speaker="PPB")],
        [("justification", "self_defense", "(removed)")],
        "OPB edited its own story: removed the claim that justification is self_defense"
        " (attributed to DHS)",
        id="justification-removed",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected", "reason"), EDIT_CASES)
def test_changed_claim_raises_one_edit_alert(
    old: list[Claim], new: list[Claim], expected: list[tuple[str, object, object]], reason: str
) -> None:
    """A value the outlet changed, added or removed in its own story raises one edit alert."""
    alerts = edit_alerts(old, new, outlet="OPB", article_url=URL)
    assert changes(alerts) == expected
    assert [a.reason for a in alerts] == [reason]
    assert {a.kind for a in alerts} == {"edit"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            [claim("wounded", 1, WOUNDED_ONE, speaker="PPB")],
            [claim("wounded", 1, REWORDED, speaker="PPB")],
            id="wording-only",
        ),
        pytest.param(
            [claim("wounded", 1, WOUNDED_ONE, speaker="PPB")],
            [claim("wounded", 1, MERGED, index=2, speaker="PPB")],
            id="moved-to-another-sentence",
        ),
        pytest.param(
            [claim("wounded", 1, WOUNDED_ONE, speaker="PPB")],
            [claim("wounded", 1, WOUNDED_ONE, speaker="DHS")],
            id="same-value-other-speaker",
        ),
        pytest.param(
            [claim("time", "14:15", AT_1415, qualifier="about")],
            [claim("time", "14:15", AT_1415, qualifier=None)],
            id="qualifier-only",
        ),
        pytest.param(
            [claim("wounded", 1, WOUNDED_ONE)],
            [
                claim("wounded", 1, WOUNDED_ONE),
                claim("wounded", 3, "Three were reportedly hurt.", index=1, stance=Stance.HEDGES),
            ],
            id="hedged-value-added",
        ),
        pytest.param(
            [claim("justification", "self_defense", SELF_DEFENSE, speaker="DHS")],
            [
                claim("justification", "self_defense", SELF_DEFENSE, speaker="DHS"),
                claim(
                    "justification",
                    "self_defense",
                    "Wilson disputed the self-defense claim.",
                    index=1,
                    speaker="Keith Wilson",
                    stance=Stance.DISPUTES,
                ),
            ],
            id="dispute-added",
        ),
        pytest.param(
            [claim("wounded", 1, WOUNDED_ONE, subject="mpls-2026-01-14")],
            [claim("wounded", 1, WOUNDED_ONE, subject=PDX)],
            id="unchanged-sentence-read-for-another-incident",
        ),
        pytest.param([], [], id="no-claims"),
    ],
)
def test_edit_that_changes_no_asserted_value_raises_nothing(
    old: list[Claim], new: list[Claim]
) -> None:
    """Rewording, moving, re-attributing, hedging or disputing a known value is no edit alert."""
    assert edit_alerts(old, new, outlet="OPB", article_url=URL) == []


def test_edit_alert_shows_the_sentence_before_and_after() -> None:
    """The edit alert's sides are claim views of the old and the new claim, sentences included."""
    old = claim("wounded", 1, WOUNDED_ONE, speaker="PPB")
    new = claim("wounded", 2, WOUNDED_TWO, speaker="PPB")
    (alert,) = edit_alerts([old], [new], outlet="OPB", article_url=URL)
    assert alert.previous == claim_view(old)
    assert alert.current == claim_view(new)
    assert alert.earlier == (claim_view(old),)
    assert (alert.previous["sentence"], alert.current["sentence"]) == (WOUNDED_ONE, WOUNDED_TWO)
    assert (alert.subject, alert.incident_id, alert.slot, alert.article_url) == (
        PDX,
        PDX,
        "wounded",
        URL,
    )


def test_removed_claim_keeps_the_old_sentence_and_shows_no_new_one() -> None:
    """A removed claim's alert has the old claim before and an empty, value-less side after."""
    old = claim("justification", "self_defense", SELF_DEFENSE, speaker="DHS")
    (alert,) = edit_alerts([old], [], outlet="OPB", article_url=URL)
    assert alert.previous == claim_view(old)
    assert alert.current["value"] == "(removed)"
    assert alert.current["sentence"] == ""
    assert (alert.current["source"], alert.current["url"]) == ("OPB", URL)


def test_changed_value_pairs_with_the_same_speaker() -> None:
    """When two values of a slot change, each new one pairs with the same speaker's old one."""
    old = [
        claim("wounded", 1, WOUNDED_ONE, speaker="PPB"),
        claim("wounded", 2, "DHS said two were hurt.", index=1, speaker="DHS"),
    ]
    new = [
        claim("wounded", 3, "DHS said three were hurt.", index=0, speaker="DHS"),
        claim("wounded", 4, "Police said four were hurt.", index=1, speaker="PPB"),
    ]
    alerts = edit_alerts(old, new, outlet="OPB", article_url=URL)
    assert changes(alerts) == [("wounded", 2, 3), ("wounded", 1, 4)]


def test_same_edit_seen_twice_has_the_same_dedup_key() -> None:
    """Re-reading the same edit gives the same keys, so storage alerts once."""
    old = [claim("wounded", 1, WOUNDED_ONE)]
    new = [claim("wounded", 2, WOUNDED_TWO)]
    first = edit_alerts(old, new, outlet="OPB", article_url=URL)
    again = edit_alerts(list(old), list(new), outlet="OPB", article_url=URL)
    assert [a.dedup_key for a in first] == [a.dedup_key for a in again]
    assert len(first) == 1


def test_same_change_in_two_outlets_alerts_twice() -> None:
    """The dedup key names the article, so two outlets making the same edit alert separately."""
    other = "https://www.kgw.com/article/news/local/portland-shooting/283-1"
    opb = edit_alerts(
        [claim("wounded", 1, WOUNDED_ONE)],
        [claim("wounded", 2, WOUNDED_TWO)],
        outlet="OPB",
        article_url=URL,
    )
    kgw = edit_alerts(
        [claim("wounded", 1, WOUNDED_ONE, url=other)],
        [claim("wounded", 2, WOUNDED_TWO, url=other)],
        outlet="KGW",
        article_url=other,
    )
    assert opb[0].dedup_key != kgw[0].dedup_key
    for key, url in ((opb[0].dedup_key, URL), (kgw[0].dedup_key, other)):
        assert key == f"edit|{url}|{PDX}|wounded|1|2"


def test_dedup_key_tells_added_from_removed() -> None:
    """Adding a value and removing it again are two different edits with two keys."""
    without = [claim("wounded", 1, WOUNDED_ONE)]
    with_name = [*without, claim("victim_name", "Luis Nino-Moncada", NAMED, index=1)]
    (added,) = edit_alerts(without, with_name, outlet="OPB", article_url=URL)
    (removed,) = edit_alerts(with_name, without, outlet="OPB", article_url=URL)
    assert added.dedup_key == f"edit|{URL}|{PDX}|victim_name||luis nino-moncada"
    assert removed.dedup_key == f"edit|{URL}|{PDX}|victim_name|luis nino-moncada|"


# ---------------------------------------------------------------------- end to end

FIRST_VERSION = (
    "A U.S. Border Patrol agent shot two people in a vehicle in Portland on Thursday "
    "afternoon, federal officials said. The shooting happened at about 2:15 p.m. near a "
    "hospital in southeast Portland. Two people were wounded in the shooting, police said. "
    "The Department of Homeland Security said the agent fired defensive shots after the "
    "driver tried to run over agents."
)
DEATH_EDIT = (
    "A U.S. Border Patrol agent shot two people in a vehicle in Portland on Thursday "
    "afternoon, federal officials said. The shooting happened at about 2:19 p.m. near a "
    "hospital in southeast Portland. Two people were wounded in the shooting, police said, "
    "and one of them later died at the hospital. The agency did not give a reason for the "
    "shooting."
)
COUNT_FIRST = (
    "Federal agents shot and wounded one person in Portland on Thursday, the Department of "
    "Homeland Security said. A Border Patrol agent fired at a pickup truck at about 2:15 p.m. "
    "after the driver tried to run agents over, DHS said. Portland Mayor Keith Wilson called "
    "for a pause in immigration enforcement."
)
COUNT_CORRECTED = COUNT_FIRST.replace("wounded one person", "wounded two people")
COUNT_REWRITTEN = (
    "Federal agents shot and injured one person in Portland on Thursday, according to the "
    "Department of Homeland Security. Portland Mayor Keith Wilson called for a pause in "
    "immigration enforcement. DHS said a Border Patrol agent opened fire on a pickup truck at "
    "around 2:15 p.m. after the driver tried to run agents over."
)


@cache
def shipped_rules() -> RuleSet:
    """rules/ as shipped."""
    return load_rule_set(REPO_ROOT / "rules")


def claims_of(text: str) -> tuple[Claim, ...]:
    """The claims of one version of the OPB story, analysed against an empty ledger."""
    document = Document(
        URL, "Border Patrol agent shoots two in Portland", text, "OPB", PUBLISHED_AT
    )
    rule_set = shipped_rules()
    return analyse_claims(document, match(document, rule_set), rule_set, []).claims


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            FIRST_VERSION,
            DEATH_EDIT,
            [
                ("time", "14:15", "14:19"),
                ("victim_condition", None, "dead"),
                ("justification", "self_defense", "(removed)"),
            ],
            id="portland-follow-up-victim-died",
        ),
        pytest.param(COUNT_FIRST, COUNT_CORRECTED, [("wounded", 1, 2)], id="count-corrected"),
        pytest.param(COUNT_FIRST, COUNT_REWRITTEN, [], id="rewritten-same-facts"),
        pytest.param(FIRST_VERSION, FIRST_VERSION, [], id="unchanged"),
    ],
)
def test_edited_article_text_raises_edit_alerts(
    before: str, after: str, expected: list[tuple[str, object, object]]
) -> None:
    """Real text of two versions of one story, run through the analysis, gives the edits."""
    alerts = edit_alerts(claims_of(before), claims_of(after), outlet="OPB", article_url=URL)
    assert changes(alerts) == expected


def test_portland_edit_quotes_the_changed_sentence_before_and_after() -> None:
    """The time edit quotes the old and the new sentence of the story."""
    alerts = edit_alerts(
        claims_of(FIRST_VERSION), claims_of(DEATH_EDIT), outlet="OPB", article_url=URL
    )
    time_edit = next(a for a in alerts if a.slot == "time")
    assert time_edit.previous is not None
    assert "about 2:15 p.m." in time_edit.previous["sentence"]
    assert "about 2:19 p.m." in time_edit.current["sentence"]
    assert time_edit.reason == "OPB edited its own story: time about 14:15 → about 14:19"
    assert time_edit.incident_id == PDX
