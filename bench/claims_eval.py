"""Claims evaluation: precision and recall of alerts and claims on labelled articles.

Reads bench/claims_eval_set.yaml (hand-written articles with the claims and
alerts an editor expects), builds the ledger from the five seed articles,
then runs each article on its own against that ledger (a dry run: alerts
already raised while seeding count as sent). Prints precision and recall of
alerts overall and of claims per slot, lists every miss, and prints a JSON
object with the overall numbers as its last line.

Run from the repository root:
    .venv/bin/python bench/claims_eval.py [--attribution match|label] [--set FILE]

--set picks the labelled file: bench/claims_eval_set.yaml (default, 50
articles the cues were tuned on), bench/claims_eval_holdout.yaml (18 short
fragments written after tuning), bench/claims_eval_fresh.yaml or
bench/claims_eval_fresh2.yaml (20 full articles each, written by someone who
never saw the engine; each header gives the set's first, untuned result).

--attribution match (default) attributes sentences with monitor/analysis/match.py;
--attribution label gives every sentence the article's labelled incident.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.analysis.claim_schema import ClaimSchema, Scope, load_claim_schema  # noqa: E402
from monitor.analysis.claims import Claim, context_from_rules, extract_claims  # noqa: E402
from monitor.analysis.compare import Finding, alert_key, compare_article  # noqa: E402
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


def value_text(value: object) -> str:
    """A value as the labels write it: true/false, digits, text (case-folded)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).casefold()


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


def ratio(hits: int, total: int) -> float:
    return round(hits / total, 3) if total else 1.0


@dataclass(slots=True)
class Tally:
    """Expected, found and correct counts for one measure."""

    expected: int = 0
    found: int = 0
    correct: int = 0

    def add(self, expected: Iterable[Any], found: Iterable[Any]) -> None:
        want, got = set(expected), set(found)
        self.expected += len(want)
        self.found += len(got)
        self.correct += len(want & got)

    @property
    def precision(self) -> float:
        return ratio(self.correct, self.found)

    @property
    def recall(self) -> float:
        return ratio(self.correct, self.expected)


def alerts_of(findings: Sequence[Finding], sent: set[str]) -> set[tuple[str, str, str, str]]:
    return {
        (str(f.kind), f.claim.subject, f.claim.slot, value_text(f.claim.value))
        for f in findings
        if f.is_alert and alert_key(f) not in sent
    }


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
    by_label = args.attribution == "label"
    rules = load_rules(ROOT / "rules")
    schema = load_claim_schema(ROOT / "rules" / "claims.yaml")
    ledger, sent = seeded_ledger(rules, schema, by_label)
    alert_tally = Tally()
    slot_tallies: dict[str, Tally] = {s.name: Tally() for s in schema.slots}
    misses: list[str] = []
    articles = load_eval_set(schema, rules, args.eval_set)
    for article in articles:
        document = Document(
            f"eval://{article.article_id}", "", article.text, article.source, PUBLISHED_AT
        )
        claims = article_claims(document, rules, schema, article, by_label)
        got_alerts = alerts_of(compare_article(claims, ledger, schema), sent)
        alert_tally.add(article.alerts, got_alerts)
        for item in sorted(article.alerts - got_alerts):
            misses.append(f"{article.article_id}: missed alert {item}")
        for item in sorted(got_alerts - article.alerts):
            misses.append(f"{article.article_id}: false alert {item}")
        if article.claims is None:
            continue
        got_claims = {(c.subject, c.slot, value_text(c.value)) for c in claims}
        for name, tally in slot_tallies.items():
            tally.add(
                {f for f in article.claims if f[1] == name}, {f for f in got_claims if f[1] == name}
            )
        for fact in sorted(article.claims - got_claims):
            misses.append(f"{article.article_id}: missed claim {fact}")
        for fact in sorted(got_claims - article.claims):
            misses.append(f"{article.article_id}: extra claim {fact}")
    claim_tally = Tally(
        sum(t.expected for t in slot_tallies.values()),
        sum(t.found for t in slot_tallies.values()),
        sum(t.correct for t in slot_tallies.values()),
    )
    print(f"attribution: {args.attribution}")
    counts = f"{alert_tally.correct} right of {alert_tally.found} raised"
    print(
        f"alerts: precision {alert_tally.precision:.3f} recall {alert_tally.recall:.3f} "
        f"({counts}, {alert_tally.expected} expected)"
    )
    print(f"claims: precision {claim_tally.precision:.3f} recall {claim_tally.recall:.3f}")
    for name, tally in slot_tallies.items():
        print(f"  {name:26} precision {tally.precision:.3f} recall {tally.recall:.3f} "
              f"(expected {tally.expected}, found {tally.found})")  # fmt: skip
    print("misses:")
    for miss in misses:
        print(f"  {miss}")
    summary = {
        "attribution": args.attribution,
        "alert_precision": alert_tally.precision,
        "alert_recall": alert_tally.recall,
        "alerts_expected": alert_tally.expected,
        "alerts_raised": alert_tally.found,
        "claim_precision": claim_tally.precision,
        "claim_recall": claim_tally.recall,
        "articles": len(articles),
        "eval_set": args.eval_set.name,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
