"""Comparison: updates, contradictions and repeats against the ledger; the seed baseline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.analysis.claim_schema import ClaimValue
from monitor.analysis.claim_values import PM_ASSUMED
from monitor.analysis.claims import Claim, Stance, context_from_rules, extract_claims
from monitor.analysis.compare import Finding, FindingKind, alert_key, compare_article, compare_claim
from monitor.analysis.match import match_document
from monitor.analysis.rules import load_rules
from monitor.ingest.seeds import load_seeds
from monitor.model import Document
from tests.claimkit import PUBLISHED_AT, REPO_ROOT, claim, extract, shipped_schema


def kinds(new: Claim, *ledger: Claim) -> list[FindingKind]:
    return [f.kind for f in compare_claim(new, ledger, shipped_schema())]


# ------------------------------------------------------------------ single claims


def test_first_value_of_a_slot_is_an_update() -> None:
    """The first report of a fact is news."""
    assert kinds(claim("wounded", 2)) == [FindingKind.UPDATE]


def test_repeat_of_a_known_value_is_a_corroboration() -> None:
    """Another outlet repeating a value adds a corroboration, not an alert."""
    earlier = claim("wounded", 2, speaker="PPB")
    findings = compare_claim(claim("wounded", 2, source="outlet-b"), [earlier], shipped_schema())
    assert [(f.kind, f.earlier) for f in findings] == [(FindingKind.CORROBORATION, (earlier,))]


@pytest.mark.parametrize(
    ("slot", "old", "new"),
    [
        pytest.param("victim_condition", "unknown", "alive", id="unknown-then-alive"),
        pytest.param("victim_condition", "alive", "dead", id="wounded-then-dead"),
        pytest.param("killed", 1, 2, id="death-toll-rises"),
        pytest.param("investigation", "FBI", "BCA", id="another-agency-joins-the-investigation"),
        pytest.param("shooter_agency", "DHS", "ICE", id="agency-made-more-precise"),
    ],
)
def test_value_that_supersedes_is_an_update(slot: str, old: object, new: object) -> None:
    """Progressions (alive -> dead, 1 -> 2 killed, DHS -> ICE) are updates."""
    earlier = claim(slot, old, speaker="PPB")  # type: ignore[arg-type]
    assert kinds(claim(slot, new, speaker="DHS"), earlier) == [FindingKind.UPDATE]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("slot", "old", "new"),
    [
        pytest.param("wounded", 3, 2, id="lower-casualty-count"),
        pytest.param("shooter_agency", "CBP", "ICE", id="different-agency"),
        pytest.param("time", "14:15", "14:19", id="different-time"),
        pytest.param("victim_age", 37, 36, id="different-age"),
        pytest.param("victim_condition", "dead", "alive", id="alive-after-dead"),
        pytest.param(
            "victim_condition", "non_life_threatening", "critical", id="different-severity"
        ),
        pytest.param("officer_injured", True, False, id="officer-not-injured-after-injured"),
        pytest.param(
            "shooter_name", "Jonathan Ross", "Mark Halvorsen", id="different-shooter-name"
        ),
    ],
)
def test_incompatible_value_from_another_speaker_is_a_contradiction(
    slot: str, old: object, new: object
) -> None:
    """Two speakers giving incompatible values for one slot contradict each other."""
    earlier = claim(slot, old, speaker="PPB")  # type: ignore[arg-type]
    assert kinds(claim(slot, new, speaker="DHS"), earlier) == [FindingKind.CONTRADICTION]  # type: ignore[arg-type]


@pytest.mark.parametrize("slot", ["victim_age", "victim_name"])
def test_a_clashing_age_or_name_not_tied_to_the_victim_is_filed_without_an_alert(
    slot: str,
) -> None:
    """When the text does not tie an age or a name to the person shot (roles.py found no
    holder), a clash is more likely someone else's attribute than news: no alert."""
    old, new = (37, 52) if slot == "victim_age" else ("Renee Good", "Marta Quill")
    earlier = claim(slot, old, speaker="PPB")
    assert kinds(claim(slot, new, speaker="DHS", holder="unknown"), earlier) == []
    assert kinds(claim(slot, new, speaker="DHS", holder="victim"), earlier) == [
        FindingKind.CONTRADICTION
    ]


def test_lower_casualty_count_from_the_same_speaker_is_a_revision() -> None:
    """A speaker correcting its own figure is an update, not a contradiction."""
    assert kinds(claim("wounded", 2), claim("wounded", 3)) == [FindingKind.UPDATE]


def test_contradiction_reason_names_both_values_and_the_earlier_outlet() -> None:
    """The reason reads like 'DHS says 14:19; PPB said about 14:15 (seed-001)'."""
    earlier = claim("time", "14:15", speaker="PPB", source="seed-001", qualifier="about")
    (finding,) = compare_claim(claim("time", "14:19"), [earlier], shipped_schema())
    assert finding.reason == "DHS says 14:19; PPB said about 14:15 (seed-001)"


@pytest.mark.parametrize(
    ("old", "old_qualifier", "new", "new_qualifier", "kind"),
    [
        pytest.param(
            2000,
            "more_than",
            3000,
            "about",
            FindingKind.UPDATE,
            id="more-than-2000-then-about-3000",
        ),
        pytest.param(
            3000,
            "about",
            2000,
            "more_than",
            FindingKind.CORROBORATION,
            id="more-than-2000-after-about-3000-agrees",
        ),
        pytest.param(3000, "about", 2900, None, FindingKind.CORROBORATION, id="within-about"),
    ],
)
def test_qualified_counts_compare_as_ranges(
    old: int, old_qualifier: str | None, new: int, new_qualifier: str | None, kind: FindingKind
) -> None:
    """'More than 2,000' and 'about 3,000' are ranges, not exact numbers."""
    slot = "federal_officers_deployed"
    earlier = claim(
        slot, old, qualifier=old_qualifier, speaker="Kristi Noem", subject="city:minneapolis"
    )
    new_claim = claim(
        slot, new, qualifier=new_qualifier, speaker="Jacob Frey", subject="city:minneapolis"
    )
    assert kinds(new_claim, earlier) == [kind]


def test_time_without_am_pm_agrees_with_either_reading() -> None:
    """A bare '2:15' matches 14:15 whether or not it was meant as p.m."""
    earlier = claim("time", "02:15", speaker="PPB", qualifier=None)
    assert kinds(claim("time", "14:15", qualifier=PM_ASSUMED), earlier) == [
        FindingKind.CORROBORATION
    ]


def test_dispute_of_an_asserted_value_is_a_contradiction() -> None:
    """'Local officials disputed that claim' contradicts the asserted self-defence."""
    earlier = claim("justification", "self_defense", speaker="federal_officials")
    disputed = claim(
        "justification", "self_defense", speaker="local_officials", stance=Stance.DISPUTES
    )
    (finding,) = compare_claim(disputed, [earlier], shipped_schema())
    assert (finding.kind, finding.earlier) == (FindingKind.CONTRADICTION, (earlier,))


def test_denial_of_an_asserted_value_is_a_contradiction() -> None:
    """'Police denied that three shots were fired' contradicts DHS's three shots."""
    earlier = claim("shots_fired", 3, speaker="DHS")
    denied = claim("shots_fired", 3, speaker="PPB", stance=Stance.DENIES)
    assert kinds(denied, earlier) == [FindingKind.CONTRADICTION]


def test_dispute_with_a_value_of_its_own_contradicts_the_record() -> None:
    """'Three were wounded, not two as officials said' contradicts two."""
    earlier = claim("wounded", 2, speaker="PPB")
    assert kinds(claim("wounded", 3, speaker="lawyer", stance=Stance.DISPUTES), earlier) == [
        FindingKind.CONTRADICTION
    ]


@pytest.mark.parametrize("stance", [Stance.HEDGES], ids=["hedged"])
def test_hedged_claim_is_filed_without_an_alert(stance: Stance) -> None:
    """'Reportedly killed' or 'police did not confirm' never raises an alert."""
    assert kinds(claim("killed", 1, stance=stance)) == []


def test_death_already_on_record_makes_dead_no_news() -> None:
    """'Good died at the scene' adds nothing when one death is already reported."""
    assert kinds(claim("victim_condition", "dead"), claim("killed", 1)) == [
        FindingKind.CORROBORATION
    ]


def test_first_count_of_zero_is_not_an_alert() -> None:
    """'No one was killed' reports that nothing happened; it is filed only."""
    assert kinds(claim("killed", 0)) == []


def test_unknown_condition_is_filed_without_an_alert() -> None:
    """'Conditions were not known' says nothing new."""
    assert kinds(claim("victim_condition", "unknown")) == []


# ------------------------------------------------------------------------ articles


def test_claims_of_one_article_do_not_alert_against_each_other() -> None:
    """An article saying 'two wounded' then 'three wounded' raises first reports only."""
    article = extract("Two people were wounded. Three people were wounded, police said.")
    findings = compare_article(article, [], shipped_schema())
    assert all(f.earlier == () for f in findings)


def test_syndicated_copy_raises_nothing() -> None:
    """The same story under another outlet's name is all corroboration."""
    text = (
        "A Border Patrol agent shot and wounded two people, police said. The FBI is investigating."
    )
    original = extract(text, source="AP", url="https://ap.test/1")
    copy = extract(text, source="Yahoo", url="https://yahoo.test/1")
    findings = compare_article(copy, original, shipped_schema())
    assert findings and not any(f.is_alert for f in findings)


def test_syndicated_copies_compared_at_once_share_one_alert_key() -> None:
    """Twenty copies of a new fact, checked before any is filed, give one dedup key."""
    ledger = [claim("wounded", 2, speaker="PPB")]
    copies = [claim("wounded", 3, speaker="PPB", source=f"outlet-{n}") for n in range(20)]
    keys = {alert_key(f) for c in copies for f in compare_claim(c, ledger, shipped_schema())}
    assert len(keys) == 1


def test_article_repeating_known_claims_raises_nothing() -> None:
    """A follow-up that only restates known facts in new words raises no alert."""
    ledger = extract(
        "Federal agents shot and wounded two people, police said. The FBI is investigating."
    )
    follow_up = extract(
        "Two people were injured in the shooting. The FBI is investigating the case.", source="B"
    )
    assert not any(f.is_alert for f in compare_article(follow_up, ledger, shipped_schema()))


def test_dispute_can_target_a_claim_of_the_same_article() -> None:
    """'X says self-defence, but Y disputed that claim' is a contradiction within one article."""
    article = extract(
        "Federal authorities say the agent acted in self-defense, "
        "but local officials disputed that claim."
    )
    findings = compare_article(article, [], shipped_schema())
    assert FindingKind.CONTRADICTION in {f.kind for f in findings}


# ---------------------------------------------------------------- determinism

SLOT_VALUES: dict[str, st.SearchStrategy[ClaimValue]] = {
    "wounded": st.integers(0, 5),
    "shooter_agency": st.sampled_from(["ICE", "CBP", "DHS", "FBI"]),
    "time": st.sampled_from(["14:15", "14:19", "02:15"]),
    "victim_condition": st.sampled_from(["unknown", "alive", "stable", "critical", "dead"]),
    "officer_injured": st.booleans(),
}


@st.composite
def claims(draw: st.DrawFn, slot: str) -> Claim:
    return claim(
        slot,
        draw(SLOT_VALUES[slot]),
        speaker=draw(st.sampled_from(["DHS", "PPB", "", "witnesses"])),
        source=draw(st.sampled_from(["a", "b", "c"])),
        stance=draw(st.sampled_from(list(Stance))),
        qualifier=draw(st.sampled_from([None, "about", "more_than", PM_ASSUMED]))
        if slot in ("wounded", "time")
        else None,
    )


@given(
    st.sampled_from(sorted(SLOT_VALUES)).flatmap(
        lambda s: st.tuples(claims(s), st.lists(claims(s), max_size=6))
    )
)
def test_same_ledger_and_claim_always_give_the_same_findings(
    case: tuple[Claim, list[Claim]],
) -> None:
    """Comparison is a pure function of the claim and the ledger."""
    new, ledger = case
    first = compare_claim(new, ledger, shipped_schema())
    assert first == compare_claim(new, list(ledger), shipped_schema())
    assert all(isinstance(f, Finding) for f in first)


# ------------------------------------------------------------------ seed baseline


def run_seeds() -> tuple[list[Claim], list[Finding]]:
    """The five seeds in published order, through match.py, extraction and comparison.

    Alerts whose dedup key was already raised are dropped, as the pipeline does.
    """
    rules = load_rules(REPO_ROOT / "rules")
    schema = shipped_schema()
    ledger: list[Claim] = []
    alerts: list[Finding] = []
    sent: set[str] = set()
    for seed in load_seeds(REPO_ROOT / "seeds"):
        text = seed.path.read_text("utf-8")
        document = Document(seed.url, "", text, seed.source, seed.published_at)
        matched = match_document(document, rules)
        context = context_from_rules(rules, matched.incident_ids)
        article = extract_claims(document, matched.sentences, matched.hits, schema, context)
        for finding in compare_article(article, ledger, schema):
            if finding.is_alert and alert_key(finding) not in sent:
                sent.add(alert_key(finding))
                alerts.append(finding)
        ledger.extend(article)
    return ledger, alerts


@pytest.fixture(scope="module")
def seeded() -> tuple[list[Claim], list[Finding]]:
    return run_seeds()


PDX, GOOD, LEG, MPLS = "pdx-2026-01-08", "mpls-2026-01-07", "mpls-2026-01-14", "city:minneapolis"

SEED_FACTS = [
    pytest.param(PDX, "wounded", 2, "", id="portland-two-wounded"),
    pytest.param(PDX, "shooter_agency", "CBP", "DHS", id="portland-border-patrol"),
    pytest.param(PDX, "shots_fired", 1, "DHS", id="portland-one-shot-per-dhs"),
    pytest.param(PDX, "justification", "self_defense", "DHS", id="portland-self-defense-per-dhs"),
    pytest.param(
        PDX, "victim_condition", "unknown", "PPB", id="portland-condition-unknown-per-police"
    ),
    pytest.param(PDX, "victim_condition", "alive", "", id="portland-both-alive"),
    pytest.param(PDX, "time", "14:15", "PPB", id="portland-time-per-police"),
    pytest.param(PDX, "time", "14:19", "Kristi Noem", id="portland-time-per-noem"),
    pytest.param(GOOD, "killed", 1, "", id="good-one-killed"),
    pytest.param(GOOD, "victim_age", 37, "", id="good-age-37"),
    pytest.param(GOOD, "victim_name", "Renee Good", "", id="good-named"),
    pytest.param(GOOD, "shooter_agency", "ICE", "", id="good-ice"),
    pytest.param(GOOD, "shooter_name", "Jonathan Ross", "", id="good-officer-named"),
    pytest.param(
        GOOD,
        "justification",
        "self_defense",
        "federal_officials",
        id="good-self-defense-per-federal-officials",
    ),
    pytest.param(LEG, "wounded", 1, "", id="leg-one-wounded"),
    pytest.param(
        LEG, "victim_condition", "non_life_threatening", "", id="leg-non-life-threatening"
    ),
    pytest.param(LEG, "in_custody", 2, "", id="leg-two-in-custody"),
    pytest.param(LEG, "investigation", "FBI", "", id="leg-fbi-investigating"),
    pytest.param(LEG, "officer_injured", True, "DHS", id="leg-officer-injured"),
    pytest.param(MPLS, "federal_officers_deployed", 2000, "", id="minneapolis-more-than-2000"),
    pytest.param(MPLS, "federal_officers_deployed", 3000, "", id="minneapolis-about-3000"),
]


@pytest.mark.parametrize(("subject", "slot", "value", "speaker"), SEED_FACTS)
def test_seed_ledger_holds_the_baseline_fact(
    seeded: tuple[list[Claim], list[Finding]], subject: str, slot: str, value: object, speaker: str
) -> None:
    """After the five seeds the ledger holds each fact (with its speaker, where given)."""
    ledger, _ = seeded
    found = [c for c in ledger if (c.subject, c.slot, c.value) == (subject, slot, value)]
    assert found, f"no {slot}={value!r} for {subject}"
    if speaker:
        assert speaker in {c.speaker for c in found}


SEED_FINDINGS = [
    pytest.param(
        FindingKind.UPDATE, PDX, "victim_condition", "alive", id="portland-alive-is-an-update"
    ),
    pytest.param(
        FindingKind.CONTRADICTION, PDX, "time", "14:19", id="portland-1419-contradicts-1415"
    ),
    pytest.param(
        FindingKind.UPDATE, GOOD, "victim_name", "Renee Good", id="good-named-is-an-update"
    ),
    pytest.param(
        FindingKind.UPDATE, GOOD, "shooter_name", "Jonathan Ross", id="ross-named-is-an-update"
    ),
    pytest.param(
        FindingKind.CONTRADICTION, GOOD, "justification", "self_defense", id="self-defense-disputed"
    ),
    pytest.param(
        FindingKind.UPDATE, LEG, "investigation", "FBI", id="fbi-investigating-is-an-update"
    ),
    pytest.param(
        FindingKind.UPDATE, LEG, "officer_injured", True, id="officer-injured-is-an-update"
    ),
    pytest.param(
        FindingKind.UPDATE, MPLS, "federal_officers_deployed", 3000, id="3000-officers-is-an-update"
    ),
]


@pytest.mark.parametrize(("kind", "subject", "slot", "value"), SEED_FINDINGS)
def test_seed_run_raises_the_expected_finding(
    seeded: tuple[list[Claim], list[Finding]],
    kind: FindingKind,
    subject: str,
    slot: str,
    value: object,
) -> None:
    """The seeds, in published order, raise the updates and contradictions an editor expects."""
    _, alerts = seeded
    assert (kind, subject, slot, value) in {
        (f.kind, f.claim.subject, f.claim.slot, f.claim.value) for f in alerts
    }


def test_seed_time_contradiction_names_both_sources(
    seeded: tuple[list[Claim], list[Finding]],
) -> None:
    """The Portland time clash cites police (seed-001) against Noem (seed-004)."""
    _, alerts = seeded
    (finding,) = [
        f for f in alerts if f.claim.slot == "time" and f.kind is FindingKind.CONTRADICTION
    ]
    assert finding.claim.source == "seed-004"
    assert "PPB said about 14:15 (seed-001)" in finding.reason


def test_seed_self_defense_dispute_cites_local_officials(
    seeded: tuple[list[Claim], list[Finding]],
) -> None:
    """Local officials' dispute of federal self-defence is the contradiction raised."""
    _, alerts = seeded
    (finding,) = [
        f
        for f in alerts
        if (f.claim.subject, f.claim.slot) == (GOOD, "justification")
        and f.kind is FindingKind.CONTRADICTION
    ]
    assert finding.claim.speaker == "local_officials"
    assert finding.earlier[0].speaker == "federal_officials"


def test_seed_run_files_no_claim_under_the_wrong_incident(
    seeded: tuple[list[Claim], list[Finding]],
) -> None:
    """No Minneapolis killing facts land on Portland, and no wound count on the Good killing."""
    ledger, _ = seeded
    wrong = {(c.subject, c.slot) for c in ledger} & {
        (PDX, "killed"),
        (GOOD, "wounded"),
        (LEG, "killed"),
    }
    assert wrong == set()


def test_seeds_replayed_as_syndicated_copies_raise_nothing(
    seeded: tuple[list[Claim], list[Finding]],
) -> None:
    """Every seed republished by another outlet finds only corroborations."""
    ledger, _ = seeded
    copies = [
        replace(c, source="syndicator", article_url="https://syn.test/" + c.article_url)
        for c in ledger
    ]
    assert not any(f.is_alert for f in compare_article(copies, ledger, shipped_schema()))


def test_current_state_prefers_an_asserted_value_over_a_later_hedge() -> None:
    """A later 'allegedly' does not replace what a source stated outright; hedge-only is marked."""
    from monitor.analysis.claims import Stance
    from monitor.analysis.ledger import current_state
    from tests.claimkit import claim

    asserted = claim("shots_fired", 1, speaker="DHS", stance=Stance.ASSERTS)
    hedged = claim("shots_fired", 3, speaker="witnesses", stance=Stance.HEDGES)
    only_hedged = claim("officer_injured", True, stance=Stance.HEDGES)
    state = current_state([asserted, hedged, only_hedged])
    assert (state["shots_fired"].value, state["shots_fired"].is_hedged) == (1, False)
    assert (state["officer_injured"].value, state["officer_injured"].is_hedged) == (True, True)


# ------------------------------------------------------- contradictions need a clash


@given(
    slot=st.sampled_from(sorted(SLOT_VALUES)),
    data=st.data(),
)
def test_two_asserted_claims_of_equal_value_never_contradict(
    slot: str, data: st.DataObject
) -> None:
    """Whatever the speakers, sources and qualifiers, an asserted value never contradicts
    an asserted equal one: no 'ICE -> ICE' contradiction."""
    value = data.draw(SLOT_VALUES[slot])
    ledger = [
        replace(data.draw(claims(slot)), value=value, stance=Stance.ASSERTS)
        for _ in range(data.draw(st.integers(1, 3)))
    ]
    new = replace(data.draw(claims(slot)), value=value, stance=Stance.ASSERTS)
    findings = compare_claim(new, ledger, shipped_schema())
    assert all(
        c.value != new.value
        for f in findings
        if f.kind is FindingKind.CONTRADICTION
        for c in f.earlier
    )


def test_a_time_shortly_before_the_hour_agrees_with_a_time_just_under_it() -> None:
    """'shortly before 7 p.m.' and 18:50 agree; 19:10 does not."""
    earlier = claim("time", "19:00", speaker="PPB", qualifier="shortly_before")
    assert kinds(claim("time", "18:50"), earlier) == [FindingKind.CORROBORATION]
    assert kinds(claim("time", "19:10"), earlier) == [FindingKind.CONTRADICTION]


# ------------------------------------------------------------ states that move on


@pytest.mark.parametrize(
    ("slot", "old", "new"),
    [
        pytest.param("victim_condition", "critical", "stable", id="condition-improves-later"),
        pytest.param(
            "victim_condition", "non_life_threatening", "serious", id="condition-worsens-later"
        ),
        pytest.param("in_custody", 2, 0, id="suspects-released-later"),
    ],
)
def test_a_state_reported_days_after_another_source_is_news_not_a_clash(
    slot: str, old: object, new: object
) -> None:
    """A condition or a custody count that moves on over days is an update; the same
    two values a day apart, from two sources, still contradict each other."""
    earlier = claim(slot, old, speaker="hospital")  # type: ignore[arg-type]
    days_later = claim(
        slot,
        new,  # type: ignore[arg-type]
        speaker="the family's lawyer",
        published_at=PUBLISHED_AT + timedelta(days=3),
    )
    next_day = replace(days_later, published_at=PUBLISHED_AT + timedelta(days=1))
    assert kinds(days_later, earlier) == [FindingKind.UPDATE]
    assert kinds(next_day, earlier) == [FindingKind.CONTRADICTION]


def test_a_death_denied_days_later_is_still_a_contradiction() -> None:
    """Alive after dead is no state moving on: however late, it clashes."""
    earlier = claim("victim_condition", "dead", speaker="police")
    later = claim(
        "victim_condition",
        "alive",
        speaker="the family",
        published_at=PUBLISHED_AT + timedelta(days=3),
    )
    assert kinds(later, earlier) == [FindingKind.CONTRADICTION]


def test_a_count_of_the_dead_never_moves_on() -> None:
    """Fewer killed, even a week later, contradicts: the dead do not come back."""
    earlier = claim("killed", 2, speaker="police")
    later = claim(
        "killed",
        1,
        speaker="DHS",
        published_at=PUBLISHED_AT + timedelta(days=7),
    )
    assert kinds(later, earlier) == [FindingKind.CONTRADICTION]


def test_a_first_age_or_name_not_tied_to_the_person_shot_is_filed_without_an_alert() -> None:
    """An age no clause binds to the victim (a relative's? an official's?) is not news on
    its own; the same age bound to the victim is a first report."""
    assert kinds(claim("victim_age", 58, holder="unknown")) == []
    assert kinds(claim("victim_name", "Tomas Muestra", holder="unknown")) == []
    assert kinds(claim("victim_age", 58, holder="victim")) == [FindingKind.UPDATE]
