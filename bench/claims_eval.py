"""Claims evaluation: precision and recall of alerts and claims on labelled articles.

Reads bench/claims_eval_set.yaml (hand-written articles with the claims and
alerts an editor expects), builds the ledger from the five seed articles,
then runs each article on its own against that ledger (a dry run: alerts
already raised while seeding count as sent). Prints precision and recall of
alerts overall and per kind (update, contradiction, new_incident, edit), of
claims per slot, exact-set incident matching and candidate incidents, lists
every miss and false finding with its article, and prints a JSON object with
the numbers as its last line.

Run from the repository root:
    .venv/bin/python -m bench.claims_eval [--attribution match|label] [--set FILE]

--set picks the labelled file: bench/claims_eval_set.yaml (default, 50
articles the cues were tuned on), bench/claims_eval_holdout.yaml (18 short
fragments written after tuning), bench/claims_eval_fresh.yaml ... fresh4.yaml
(20 to 24 full articles each, written by someone who never saw the engine; each
header gives the set's first, untuned result), or an event set,
bench/claims_eval_events_{a,b,c}.yaml: several incidents per article, new
shootings, look-alikes; `mode: independent` or `mode: sequence` (the ledger
grows article by article; see bench/claims_eval_events.py).

--attribution match (default) attributes sentences with monitor/analysis/match.py;
--attribution label gives every sentence the article's labelled incident
(single-incident sets only).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.claims_eval_events import (  # noqa: E402
    COUNTED_STANCES,
    EventRun,
    EventSetError,
    is_event_set,
    parse_event_set,
    run_event_set,
)
from bench.eval_scores import Scores, Tally, value_text  # noqa: E402
from monitor.analysis.claim_schema import ClaimSchema, Scope, load_claim_schema  # noqa: E402
from monitor.analysis.claims import Claim, context_from_rules, extract_claims  # noqa: E402
from monitor.analysis.compare import Finding, alert_key, compare_article  # noqa: E402
from monitor.analysis.engine import load_rule_set  # noqa: E402
from monitor.analysis.match import match_document  # noqa: E402
from monitor.analysis.rule_values import Rules  # noqa: E402
from monitor.analysis.rules import load_rules  # noqa: E402
from monitor.ingest.seeds import load_seeds  # noqa: E402
from monitor.model import Document  # noqa: E402

EVAL_SET = ROOT / "bench" / "claims_eval_set.yaml"
SEEDS = ROOT / "seeds"
PUBLISHED_AT = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)

Fact = tuple[str, str, str]  # (subject, slot, value) or (kind, slot, value) with subject


@dataclass(frozen=True, slots=True)
class EvalArticle:
    """One labelled article."""

    article_id: str
    source: str
    incident: str | None
    text: str
    claims: frozenset[Fact] | None  # None: claims not labelled (a syndicated copy)
    alerts: frozenset[tuple[str, str, str, str]]  # (kind, subject, slot, value)
    is_copy: bool = False  # a syndicated seed: spans incidents, so always matched


def subject_for(slot: str, incident: str | None, schema: ClaimSchema, rules: Rules) -> str:
    """The subject a label means: the incident, or its city for city-scope slots."""
    if incident is None:
        return ""
    if schema.slot(slot).scope is Scope.CITY:
        cities = context_from_rules(rules).city_by_incident
        return f"city:{cities[incident]}"
    return incident


def load_eval_set(schema: ClaimSchema, rules: Rules, path: Path = EVAL_SET) -> list[EvalArticle]:
    """The labelled articles; copies read their text from the seeds folder."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    articles = []
    for raw in data["articles"]:
        incident = raw.get("incident")
        text = (SEEDS / raw["copy_of"]).read_text("utf-8") if "copy_of" in raw else raw["text"]
        claims = None
        if "claims" in raw:
            claims = frozenset(
                (item[2] if len(item) > 2 else subject_for(item[0], incident, schema, rules),
                 item[0], value_text(item[1]))
                for item in raw["claims"]
            )  # fmt: skip
        alerts = frozenset(
            (kind, subject_for(slot, incident, schema, rules), slot, value_text(value))
            for kind, slot, value in raw["alerts"]
        )
        articles.append(
            EvalArticle(raw["id"], raw["source"], incident, text, claims, alerts, "copy_of" in raw)
        )
    return articles


def article_claims(
    document: Document,
    rules: Rules,
    schema: ClaimSchema,
    article: EvalArticle | None,
    by_label: bool,
) -> list[Claim]:
    """Extract claims, attributing sentences with match.py or with the label."""
    matched = match_document(document, rules)
    sentences = matched.sentences
    incidents = matched.incident_ids
    if by_label and article is not None and not article.is_copy:
        label = article.incident
        sentences = tuple(replace(s, incident_id=label) for s in sentences)
        incidents = () if label is None else (label,)
    context = context_from_rules(rules, incidents)
    return extract_claims(document, sentences, matched.hits, schema, context)


def seeded_ledger(
    rules: Rules, schema: ClaimSchema, by_label: bool
) -> tuple[list[Claim], set[str]]:
    """The seed articles' claims in publication order, and the alert keys they raised."""
    ledger: list[Claim] = []
    sent: set[str] = set()
    for seed in load_seeds(SEEDS):
        document = Document(
            seed.url, "", seed.path.read_text("utf-8"), seed.source, seed.published_at
        )
        # Seeds always use the matcher: they span several incidents.
        claims = article_claims(document, rules, schema, None, by_label=False)
        sent |= {alert_key(f) for f in compare_article(claims, ledger, schema) if f.is_alert}
        ledger.extend(claims)
    del by_label
    return ledger, sent


def alerts_of(findings: Sequence[Finding], sent: set[str]) -> set[tuple[str, str, str, str]]:
    return {
        (str(f.kind), f.claim.subject, f.claim.slot, value_text(f.claim.value))
        for f in findings
        if f.is_alert and alert_key(f) not in sent
    }


def single_incident_scores(args: argparse.Namespace) -> tuple[Scores, int]:
    """The single-incident sets: each article alone against the seeded ledger."""
    by_label = args.attribution == "label"
    rules = load_rules(ROOT / "rules")
    schema = load_claim_schema(ROOT / "rules" / "claims.yaml")
    ledger, sent = seeded_ledger(rules, schema, by_label)
    scores = Scores({s.name: Tally() for s in schema.slots})
    tracked = {i.incident_id for i in rules.incidents}
    articles = load_eval_set(schema, rules, args.eval_set)
    for article in articles:
        document = Document(
            f"eval://{article.article_id}", "", article.text, article.source, PUBLISHED_AT
        )
        if not article.is_copy:  # a copy spans incidents: its label names one
            matched = match_document(document, rules).incident_ids
            expected = frozenset({article.incident} if article.incident else ())
            found = frozenset(i for i in matched if i in tracked)
            scores.add_incidents(article.article_id, expected, found)
        claims = article_claims(document, rules, schema, article, by_label)
        # These sets predate candidate incidents: a new shooting's facts are no claims
        # there, and the pipeline raises no first-report alerts for them either (a new
        # candidate's facts in its first article are its baseline).
        claims = [c for c in claims if c.subject in tracked or c.subject.startswith("city:")]
        got_alerts = alerts_of(compare_article(claims, ledger, schema), sent)
        scores.add_alerts(article.article_id, article.alerts, got_alerts)
        if article.claims is None:
            continue
        got_claims = {(c.subject, c.slot, value_text(c.value)) for c in claims}
        scores.add_claims(article.article_id, article.claims, got_claims)
    return scores, len(articles)


def event_set_run(args: argparse.Namespace, data: dict[str, Any]) -> EventRun:
    """An event set through the engine, as the pipeline runs it."""
    if args.attribution == "label":
        raise EventSetError(
            f"{args.eval_set.name}: --attribution label needs one labelled incident per "
            "article; run event sets with --attribution match"
        )
    event_set = parse_event_set(data, args.eval_set.name)
    rule_set = load_rule_set(ROOT / "rules")
    slots = [s.name for s in rule_set.claims.slots]
    return run_event_set(event_set, rule_set, SEEDS, slots)


def print_report(scores: Scores, head: list[str], summary: dict[str, Any]) -> None:
    """The report: alerts, claims and matching, every miss, then the JSON line."""
    alerts, claims = scores.alerts, scores.claims
    print(*head, sep="\n")
    print(
        f"alerts: precision {alerts.precision:.3f} recall {alerts.recall:.3f} "
        f"({alerts.correct} right of {alerts.found} raised, {alerts.expected} expected)"
    )
    print(f"claims: precision {claims.precision:.3f} recall {claims.recall:.3f}")
    print(*scores.slot_lines(), sep="\n")
    print("alerts per kind:")
    print(*scores.kind_lines(), sep="\n")
    print(*scores.matching_lines(), sep="\n")
    print("misses:")
    for miss in scores.misses:
        print(f"  {miss}")
    print(json.dumps(summary))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--attribution",
        choices=["match", "label"],
        default="match",
        help="match: sentences attributed by the real matcher, as in production (default); "
        "label: every sentence given the article's labelled incident, to isolate extraction",
    )
    parser.add_argument("--set", type=Path, default=EVAL_SET, dest="eval_set")
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.eval_set.read_text(encoding="utf-8"))
    if is_event_set(data):
        try:
            run = event_set_run(args, data)
        except EventSetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        scores, articles = run.scores, run.articles
        head = [f"attribution: {args.attribution}", f"mode: {run.mode}"]
        head += [f"note: {note}" for note in run.notes]
        stances = "/".join(sorted(COUNTED_STANCES))
        head.append(f"claims counted: stance {stances} ({run.uncounted_claims} others left out)")
    else:
        scores, articles = single_incident_scores(args)
        head = [f"attribution: {args.attribution}"]
    summary = {
        "attribution": args.attribution,
        "alert_precision": scores.alerts.precision,
        "alert_recall": scores.alerts.recall,
        "alerts_expected": scores.alerts.expected,
        "alerts_raised": scores.alerts.found,
        "claim_precision": scores.claims.precision,
        "claim_recall": scores.claims.recall,
        "articles": articles,
        "eval_set": args.eval_set.name,
        **scores.summary(),
    }
    print_report(scores, head, summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
