"""The pure stages stay pure: they import no I/O edge."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
PURE_STAGES = [
    "rules",
    "feeds",
    "extract",
    "match",
    "claim_schema",
    "claim_values",
    "claim_voice",
    "claims",
    "compare",
    "revisions",
    "views",
    "alerts",
    "analysis",
    "ledger",
]
EDGE_MODULES = {
    "httpx",
    "sqlmodel",
    "sqlalchemy",
    "slack_sdk",
    "apscheduler",
    "psycopg",
    "alembic",
    "monitor.fetch",
    "monitor.storage",
    "monitor.pipeline",
    "monitor.scheduler",
    "monitor.cli",
}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", PURE_STAGES)
def test_pure_stage_imports_no_edge(stage: str) -> None:
    """A pure stage module imports neither I/O libraries nor monitor's edges."""
    imported = _imported_modules(PACKAGE / f"{stage}.py")
    leaks = {
        name for name in imported if name.split(".")[0] in EDGE_MODULES or name in EDGE_MODULES
    }
    assert leaks == set(), f"monitor/{stage}.py imports edges: {sorted(leaks)}"


@pytest.mark.parametrize("stage", PURE_STAGES)
def test_pure_stage_never_reads_the_clock(stage: str) -> None:
    """Pure stages get `now` passed in; they never call datetime.now or time.time."""
    source = (PACKAGE / f"{stage}.py").read_text(encoding="utf-8")
    for call in ("datetime.now(", "datetime.utcnow(", "time.time(", "date.today("):
        assert call not in source, f"monitor/{stage}.py calls {call}"
