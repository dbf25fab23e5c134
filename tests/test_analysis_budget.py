"""Bounded analysis: rule patterns run with a time limit, the text analysed is capped,
and an article whose analysis outruns its budget is recorded once, never retried."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from monitor.analysis.engine import RuleSet, capped, load_rule_set, match
from monitor.analysis.patterns import AnalysisBudget, compile_safe, spending
from monitor.analysis.rule_values import IncidentRule, TermCondition
from monitor.cli import app
from monitor.errors import AnalysisBudgetError
from monitor.ingest.fetch import Fetcher
from monitor.metrics import Metrics
from monitor.model import Document, ExtractedPage
from monitor.pipeline.cycle import Pipeline
from monitor.store import ArticleStatus, Database
from tests.conftest import REPO_ROOT, make_settings

runner = CliRunner()

# Exponential on a run of a's that does not end the text; the static check refuses it,
# so these tests build the rule objects directly, as a check that missed it would.
CATASTROPHIC = "(a|aa)+$"
# Polynomial (n**5) on a long run of letters, and accepted by the static check: only
# the time limit stops it.
SLOW_BUT_ACCEPTED = r"[a-z]+[a-z]+[a-z]+[a-z]+[a-z]+\d"
PUBLISHED = datetime(2026, 1, 9, 12, tzinfo=UTC)


def _with_slow_incident(rule_set: RuleSet, pattern: str) -> RuleSet:
    """The shipped rules plus an incident whose condition is `pattern`, compiled unchecked."""
    slow = IncidentRule(
        incident_id="slow-2026-01-08",
        title="An incident with a runaway term",
        date=date(2026, 1, 8),
        city="Nowhere",
        condition=TermCondition(
            pattern, compile_safe(pattern, "incidents.yaml:99 incidents[3].condition.term", re.I)
        ),
    )
    rules = replace(rule_set.rules, incidents=(*rule_set.rules.incidents, slow))
    return replace(rule_set, rules=rules)


def _page(text: str) -> ExtractedPage:
    return ExtractedPage(text, "A page", None, PUBLISHED, "Test Outlet", None)


def test_a_runaway_pattern_times_out_within_the_budget() -> None:
    """A catastrophic term raises AnalysisBudgetError naming the pattern and its rule file."""
    rule_set = _with_slow_incident(load_rule_set(REPO_ROOT / "rules"), CATASTROPHIC)
    document = Document("file:a.txt", "", "a" * 60 + "!", "test", PUBLISHED)
    budget = AnalysisBudget(0.3, clock=lambda: 0.0)  # never spent: the pattern's limit fires
    with pytest.raises(AnalysisBudgetError) as raised:
        match(document, rule_set, budget)
    assert f"pattern {CATASTROPHIC!r} (incidents.yaml:99 incidents[3].condition.term)" in str(
        raised.value
    )
    assert "backtracks too much: rewrite it" in str(raised.value)


def test_a_spent_budget_stops_analysis_before_the_next_pattern() -> None:
    """With the budget's (injected) clock past the deadline, no pattern runs at all."""
    now = [0.0]
    budget = AnalysisBudget(2.0, clock=lambda: now[0])
    pattern = compile_safe(r"\bshot\b", "incidents.yaml:1 incidents[0].cues[0].term")
    with spending(budget):
        assert pattern.search("he shot") is not None
        now[0] = 2.5
        with pytest.raises(AnalysisBudgetError, match=r"ran out of its 2 s budget"):
            pattern.search("he shot")


def test_an_article_over_the_cap_is_cut_at_a_line_break() -> None:
    """Only the first MONITOR_MAX_ANALYSED_CHARS are analysed, cut at a line break near the cap."""
    text = ("word " * 199 + "word\n") * 10  # ten lines of 1,000 characters
    document = Document("u", "", text, "s", None)
    assert capped(document, 20_000) is document
    cut = capped(document, 2_500)
    assert cut.text == text[:1_999]
    assert len(capped(replace(document, text="x" * 5_000), 3_000).text) == 3_000


def test_the_pipeline_records_a_timed_out_article_once_and_never_retries_it(
    tmp_path: Path,
) -> None:
    """A runaway term: the article is analysis_failed with the reason, counted, not re-claimed."""
    settings = make_settings(tmp_path, analysis_budget_s=0.5)
    database = Database.open(settings.resolved_database_url)
    rule_set = _with_slow_incident(load_rule_set(REPO_ROOT / "rules"), CATASTROPHIC)
    metrics = Metrics(CollectorRegistry())
    with Pipeline(settings, database, Fetcher(settings), rule_set, metrics=metrics) as pipeline:
        article_id, is_new = pipeline.ingest_page(
            "https://example.test/a.html",
            _page("A story.\n\n" + "a" * 60 + "!"),
            origin="ingest",
            source_label=None,
            published_at=PUBLISHED,
        )
        assert is_new
        (record,) = database.articles()
        assert record.status == ArticleStatus.ANALYSIS_FAILED
        assert record.error is not None
        assert record.error.startswith("analyse: pattern '(a|aa)+$' (incidents.yaml:99 ")
        failed = metrics.articles_processed.labels(status="analysis_failed")._value.get()
        assert failed == 1

        pipeline.analyse_leftovers()  # what every cycle runs first
        assert (
            database.claim_unanalysed_articles(
                "another-replica", datetime.now(UTC), lease_s=30, limit=50
            )
            == []
        )
        assert database.articles()[0].error == record.error
        assert metrics.articles_processed.labels(status="analysis_failed")._value.get() == 1
        assert database.article_claims(article_id) == []
    database.close()


def test_explain_shows_the_budget_error(tmp_path: Path) -> None:
    """`monitor explain` on an article a slow (accepted) term cannot finish: the error, exit 1."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO_ROOT / "rules", rules_dir)
    path = rules_dir / "watch.yaml"
    text = path.read_text(encoding="utf-8")
    first = re.search(r"term: '([^']*)'", text)
    assert first is not None
    path.write_text(text[: first.start(1)] + SLOW_BUT_ACCEPTED + text[first.end(1) :], "utf-8")
    article = tmp_path / "article.txt"
    # A shooting no tracked incident fits: the watch rule decides whether it is a candidate.
    shooting = "A man was shot in Denver on Tuesday, federal agents said "
    article.write_text("A headline\n\n" + shooting + "a" * 3_000 + "\n", "utf-8")
    env = {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_RULES_DIR": str(rules_dir),
        "MONITOR_ANALYSIS_BUDGET_S": "0.5",
    }
    result = runner.invoke(app, ["explain", str(article)], env=env)
    assert result.exit_code == 1
    assert f"pattern {SLOW_BUT_ACCEPTED!r} (watch.yaml:" in result.stderr
    assert "the pipeline stores such an article as analysis_failed" in result.stderr
