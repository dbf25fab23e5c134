"""The layout keeps its layers: a package imports only what lies below it, and pure
stages import no I/O and never read the clock."""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"

# Modules at the top of the package, beside the stage packages: settings, errors, frozen
# values, redaction, counters and the JSON shapes of outputs.
BASE_MODULES = {"config", "errors", "model", "redact", "metrics", "views"}
# What every layer may use.
BASE = {"monitor.errors", "monitor.model", "monitor.redact"}
# What each package may import from monitor besides itself, lowest layer first.
ALLOWED_IMPORTS: dict[str, set[str]] = {
    "analysis": BASE,
    "ingest": BASE | {"monitor.config"},
    "store": BASE | {"monitor.config", "monitor.analysis"},  # analysis: value types only
    "notify": BASE
    | {"monitor.config", "monitor.metrics", "monitor.views", "monitor.analysis", "monitor.store"},
    "pipeline": BASE
    | {
        "monitor.config",
        "monitor.metrics",
        "monitor.views",
        "monitor.analysis",
        "monitor.ingest",
        "monitor.store",
        "monitor.notify",
    },
    # The desk's pages read what the pipeline stored; the daemon (service) serves them.
    "web": BASE
    | {
        "monitor.config",
        "monitor.metrics",
        "monitor.views",
        "monitor.analysis",
        "monitor.store",
        "monitor.pipeline",
    },
    "service": BASE
    | {
        "monitor.config",
        "monitor.metrics",
        "monitor.analysis",
        "monitor.store",
        "monitor.notify",
        "monitor.pipeline",
        "monitor.web",
    },
}
# Modules that turn text into values: no I/O library, no monitor edge, no clock.
PURE_MODULES = [
    *sorted(p.relative_to(PACKAGE.parent) for p in (PACKAGE / "analysis").glob("*.py")),
    Path("monitor/ingest/feeds.py"),
    Path("monitor/ingest/extract.py"),
    Path("monitor/ingest/websub.py"),
    Path("monitor/pipeline/schedule.py"),
    Path("monitor/views.py"),
]
IO_LIBRARIES = {"httpx", "sqlmodel", "sqlalchemy", "slack_sdk", "apscheduler", "psycopg", "alembic"}
MONITOR_EDGES = (
    "monitor.ingest.fetch",
    "monitor.store",
    "monitor.notify",
    "monitor.pipeline",
    "monitor.service",
    "monitor.cli",
)

# A room a newcomer can live in. Exceptions say why they are worth it.
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300
SIZE_EXCEPTIONS: dict[str, str] = {
    "monitor/config.py": "every setting with its check and one-line fix in one class, "
    "which the README's settings table mirrors row for row",
}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _imported_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name` in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    ]


def _package_modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def _is_within(name: str, prefixes: set[str] | tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", sorted(ALLOWED_IMPORTS))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    """Each stage package imports monitor modules only from itself and its allowed layers."""
    allowed = {f"monitor.{package}", *ALLOWED_IMPORTS[package]}
    leaks = {
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in _package_modules(package)
        for name in _imports(path)
        if name.split(".")[0] == "monitor" and not _is_within(name, allowed)
    }
    assert leaks == set()


def test_every_monitor_module_sits_in_a_known_layer() -> None:
    """A new module lands in a package the layer rule covers, or in the named base modules."""
    top_level = {p.stem for p in PACKAGE.glob("*.py")}
    assert top_level <= {
        "__init__",
        "__main__",
        "config",
        "errors",
        "model",
        "metrics",
        "redact",
        "views",
    }
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages <= {*ALLOWED_IMPORTS, "cli"}


def test_store_takes_only_value_types_from_analysis() -> None:
    """Storage persists the analysis' values (dataclasses, enums) and calls none of its code."""
    for path in _package_modules("store"):
        for module, name in _imported_names(path):
            if not module.startswith("monitor.analysis"):
                continue
            value = getattr(importlib.import_module(module), name)
            is_value_type = isinstance(value, type) and (
                dataclasses.is_dataclass(value) or issubclass(value, enum.Enum)
            )
            assert is_value_type, f"{path.name} imports {module}.{name}, which is not a value type"


@pytest.mark.parametrize("module", PURE_MODULES, ids=str)
def test_a_pure_module_imports_no_edge(module: Path) -> None:
    """A pure module imports neither I/O libraries nor monitor's edges."""
    imported = _imports(PACKAGE.parent / module)
    leaks = {
        name
        for name in imported
        if name.split(".")[0] in IO_LIBRARIES or _is_within(name, MONITOR_EDGES)
    }
    assert leaks == set(), f"{module} imports edges: {sorted(leaks)}"


@pytest.mark.parametrize("module", PURE_MODULES, ids=str)
def test_a_pure_module_never_reads_the_clock(module: Path) -> None:
    """Pure stages get `now` (and an analysis budget's clock) passed in; they never read a
    clock themselves, not even the monotonic one."""
    source = (PACKAGE.parent / module).read_text(encoding="utf-8")
    assert "time" not in _imports(PACKAGE.parent / module), f"{module} imports time"
    for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "monotonic(", "perf_counter("):
        assert call not in source, f"{module} calls {call}"


def _oversized(path: Path) -> list[str]:
    """The module, or classes in it, past the size a reader can hold in mind."""
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(PACKAGE.parent))
    found = []
    if text.count("\n") > MAX_MODULE_LINES:
        found.append(f"{name}: {text.count(chr(10))} lines")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_CLASS_LINES:
                found.append(f"{name}: class {node.name} has {length} lines")
    return found


def test_no_module_or_class_outgrows_a_reader() -> None:
    """Modules stay under 500 lines and classes under 300, unless an exception says why."""
    oversized = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for problem in _oversized(path)
        if problem.split(":")[0] not in SIZE_EXCEPTIONS
    ]
    assert oversized == []
