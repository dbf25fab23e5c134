"""Editor-written regular expressions that cannot run away.

Rule files hold regular expressions written by editors: incident terms and
conditions, entity contexts, claim cues and macros. Python's `re` backtracks
without limit and holds the GIL while it does, so one catastrophic pattern
(`(a|aa)+$`) on one unlucky article would stop the whole daemon. Here they
are compiled with the `regex` module (V0: `re`'s semantics), which releases
the GIL while matching and takes a `timeout=`:

- `check_pattern` refuses, before anything runs, what is known to blow up:
  a pattern longer than MAX_PATTERN_CHARS, an unbounded repeat inside an
  unbounded repeat (`(a+)+`, `(\\w+\\s?)*`), and alternatives that can start
  the same way under an unbounded repeat (`(a|a)*`, `(a|aa)*`);
- every match a `SafePattern` runs takes its time limit from the active
  `AnalysisBudget`, and a timeout or a spent budget raises
  `AnalysisBudgetError`, naming the pattern and the rule file it came from.

Pure: the budget's clock is handed in by the caller (an edge), never read here.
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # re's own parser: no stubs
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import regex

from monitor.errors import AnalysisBudgetError

MAX_PATTERN_CHARS = 2_000
# With no budget active (a test or a tool calling a stage directly), each match
# still stops after this long.
DEFAULT_MATCH_TIMEOUT_S = 5.0
# A repeat allowing more than this many rounds multiplies like an unbounded one.
_MANY_ROUNDS = 10
# Characters the overlap check tries; enough to tell letters, digits, spaces and
# punctuation apart, which is what rule patterns distinguish.
_PROBE = [chr(c) for c in range(32, 127)] + list("\t\n\u00a0éÉß’‘“”—–…")

# What a SafePattern's search, match and finditer give back.
RuleMatch = regex.Match[str]

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


# ------------------------------------------------------------------------- budget


class AnalysisBudget:
    """How long one article's analysis may take; `clock` (monotonic seconds) comes from
    the caller, so the pure stages that spend the budget never read the clock."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds

    def remaining_s(self) -> float:
        """Seconds left (zero or less: spent)."""
        return self._deadline - self._clock()

    def check(self, doing: str) -> None:
        """Raise AnalysisBudgetError if the budget is spent before `doing`."""
        if self.remaining_s() <= 0:
            raise AnalysisBudgetError(
                f"analysis ran out of its {self.seconds:g} s budget (MONITOR_ANALYSIS_BUDGET_S) "
                f"before {doing}; the article is too long or a rule pattern too slow: "
                "look for slow patterns with `monitor explain`"
            )


_ACTIVE: ContextVar[AnalysisBudget | None] = ContextVar("analysis_budget", default=None)


@contextmanager
def spending(budget: AnalysisBudget | None) -> Iterator[None]:
    """Every SafePattern match inside the block takes its time limit from `budget`."""
    token = _ACTIVE.set(budget)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def check_budget(doing: str) -> None:
    """Raise AnalysisBudgetError if the active budget (if any) is spent before `doing`."""
    budget = _ACTIVE.get()
    if budget is not None:
        budget.check(doing)


# ------------------------------------------------------------------------ patterns


@dataclass(frozen=True, slots=True)
class SafePattern:
    """A compiled rule pattern whose every match runs under the active budget."""

    pattern: str
    # Where the pattern was written ("rules/incidents.yaml:53"), for error messages.
    origin: str
    compiled: regex.Pattern[str] = field(compare=False, repr=False)

    @property
    def groupindex(self) -> dict[str, int]:
        return dict(self.compiled.groupindex)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> regex.Match[str] | None:
        """The first match in text[pos:endpos], like re.Pattern.search."""
        with self._limited() as timeout:
            return self.compiled.search(text, pos, endpos, timeout=timeout)

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> regex.Match[str] | None:
        """A match starting at `pos`, like re.Pattern.match."""
        with self._limited() as timeout:
            return self.compiled.match(text, pos, endpos, timeout=timeout)

    def fullmatch(self, text: str) -> regex.Match[str] | None:
        """A match of the whole of `text`, like re.Pattern.fullmatch."""
        with self._limited() as timeout:
            return self.compiled.fullmatch(text, timeout=timeout)

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> list[regex.Match[str]]:
        """Every match, in order (a list: the whole scan runs under one time limit)."""
        with self._limited() as timeout:
            return list(self.compiled.finditer(text, pos, endpos, timeout=timeout))

    @contextmanager
    def _limited(self) -> Iterator[float]:
        budget = _ACTIVE.get()
        if budget is None:
            timeout = DEFAULT_MATCH_TIMEOUT_S
        else:
            budget.check(f"pattern {self.pattern!r} ({self.origin}) ran")
            timeout = budget.remaining_s()
        try:
            yield timeout
        except TimeoutError:
            limit = "the analysis budget" if budget is not None else f"{timeout:g} s"
            raise AnalysisBudgetError(
                f"pattern {_short(self.pattern)!r} ({self.origin}) took longer than {limit} "
                "on this article; it backtracks too much: rewrite it (see `monitor rules check`)"
            ) from None


def compile_safe(pattern: str, origin: str, flags: int = 0) -> SafePattern:
    """Compile a pattern already accepted by `check_pattern` (re flags, V0 semantics)."""
    return SafePattern(pattern, origin, regex.compile(pattern, _regex_flags(flags) | regex.V0))


def _regex_flags(flags: int) -> int:
    """The `regex` flags for `re` flags (the values agree; spelled out to say so)."""
    mapping = {
        re.IGNORECASE: regex.IGNORECASE,
        re.MULTILINE: regex.MULTILINE,
        re.DOTALL: regex.DOTALL,
        re.VERBOSE: regex.VERBOSE,
        re.ASCII: regex.ASCII,
    }
    result = 0
    for flag, equivalent in mapping.items():
        if flags & flag:
            result |= equivalent
    return result


def _short(pattern: str, limit: int = 80) -> str:
    return pattern if len(pattern) <= limit else pattern[: limit - 1] + "…"


# -------------------------------------------------------------------- the static check


def check_pattern(
    pattern: str, flags: int = 0, *, max_chars: int | None = MAX_PATTERN_CHARS
) -> str | None:
    """Why `pattern` cannot be run safely on article text, with the fix; None if it can.

    `max_chars` None: the length was checked already (a cue before its macros expand).
    """
    if max_chars is not None and len(pattern) > max_chars:
        return (
            f"pattern is {len(pattern):,} characters long, more than the "
            f"{max_chars:,} allowed; split it into several terms or cues"
        )
    try:
        # re's parser first: its messages are the ones editors know, and what it cannot
        # parse the structural check below could not judge.
        parsed = sre_parse.parse(pattern, flags)
        regex.compile(pattern, _regex_flags(flags) | regex.V0)
    except (re.error, regex.error) as exc:
        position = getattr(exc, "pos", None)
        where = f" at position {position}" if position is not None else ""
        message = getattr(exc, "msg", str(exc))
        return (
            f"invalid regular expression {_short(pattern)!r}: {message}{where}; "
            "fix it (escape literal characters such as . ( ) with a backslash)"
        )
    except RecursionError:
        return f"pattern {_short(pattern)!r} nests groups too deeply; flatten it"
    found = _risk(list(parsed), unbounded=False, many=False)
    if found is None:
        return None
    return f"pattern {_short(pattern)!r} {found.format(fix=_nested_fix(pattern))}"


_NESTED = (
    "nests a repeat inside a repeat, which can take exponential time on some text; "
    "rewrite it without the outer repeat, e.g. '{fix}'"
)
_OVERLAP = (
    "repeats alternatives that can match the same text, which can take exponential "
    "time on some text; make the alternatives start differently, e.g. '(a|b)+' "
    "rather than '(a|aa)+'"
)


def _risk(items: list[tuple[Any, Any]], *, unbounded: bool, many: bool) -> str | None:
    """The first dangerous construct in a parsed (sub)pattern, described; or None.

    `unbounded`: the items sit inside a repeat without an upper bound, where another
    unbounded repeat may split one text into rounds in exponentially many ways.
    `many`: inside a repeat of many rounds, where alternatives that match the same
    text multiply with each round.
    """
    for op, av in items:
        found: str | None = None
        if op in _REPEATS:
            _low, high, body = av
            if unbounded and high == sre.MAXREPEAT:
                return _NESTED
            repeats_many = high == sre.MAXREPEAT or high > _MANY_ROUNDS
            found = _risk(
                list(body),
                unbounded=unbounded or high == sre.MAXREPEAT,
                many=many or repeats_many,
            )
            if found is None and repeats_many and _tail_overlaps(list(body)):
                found = _OVERLAP
        elif op is sre.BRANCH:
            branches = [list(b) for b in av[1]]
            if many and _branches_overlap(branches):
                return _OVERLAP
            for branch in branches:
                found = found or _risk(branch, unbounded=unbounded, many=many)
        else:
            for sub in _subpatterns(op, av):
                found = found or _risk(sub, unbounded=unbounded, many=many)
        if found is not None:
            return found
    return None


def _subpatterns(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    """The parsed sub-patterns a group, atomic group, look-around or conditional holds."""
    if op is sre.SUBPATTERN:
        return [list(av[3])]
    if op is sre.ATOMIC_GROUP:
        return [list(av)]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [list(av[1])]
    if op is sre.GROUPREF_EXISTS:
        return [list(av[1])] + ([list(av[2])] if av[2] else [])
    return []


# "(a+)+$" -> "a+$": one group holding one repeat, itself repeated.
_SIMPLE_NEST = re.compile(r"^\((?:\?:)?([^()|]*[+*])\)[+*](.*)$", re.DOTALL)


def _nested_fix(pattern: str) -> str:
    """How to rewrite a nested repeat: the exact rewrite for the simple case, else a hint."""
    simple = _SIMPLE_NEST.match(pattern)
    if simple is not None:
        return f"{simple.group(1)}{simple.group(2)}"
    return r"[\w\s]*' for '(\w+\s?)*"


# ------------------------------------------------------------------ first characters


@dataclass(frozen=True, slots=True)
class _First:
    """The characters a (sub)pattern can start with (over _PROBE), and whether it can
    match the empty string (then what follows it can come first too)."""

    chars: frozenset[str]
    nullable: bool


def _first(items: list[tuple[Any, Any]]) -> _First:
    chars: set[str] = set()
    for op, av in items:
        one = _first_of(op, av)
        chars |= one.chars
        if not one.nullable:
            return _First(frozenset(chars), nullable=False)
    return _First(frozenset(chars), nullable=True)


def _first_of(op: Any, av: Any) -> _First:
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
        return _First(frozenset(c for c in _PROBE if _char_matches(op, av, c)), nullable=False)
    if op in _REPEATS:
        inner = _first(list(av[2]))
        return _First(inner.chars, nullable=inner.nullable or av[0] == 0)
    if op is sre.SUBPATTERN:
        return _first(list(av[3]))
    if op is sre.ATOMIC_GROUP:
        return _first(list(av))
    if op is sre.BRANCH:
        parts = [_first(list(b)) for b in av[1]]
        return _First(frozenset().union(*(p.chars for p in parts)), any(p.nullable for p in parts))
    if op is sre.GROUPREF_EXISTS:
        parts = [_first(list(av[1])), _first(list(av[2])) if av[2] else _First(frozenset(), True)]
        return _First(parts[0].chars | parts[1].chars, parts[0].nullable or parts[1].nullable)
    # Anchors and look-arounds consume nothing; a back-reference could be anything,
    # which no check here can judge: treat it as matching nothing.
    return _First(frozenset(), nullable=True)


def _char_matches(op: Any, av: Any, char: str) -> bool:
    """Whether one probe character can match (case ignored: rule patterns mostly ignore it)."""
    if op is sre.ANY:
        return char != "\n"
    if op in (sre.LITERAL, sre.NOT_LITERAL):
        same = _same_letter(chr(av), char)
        return same if op is sre.LITERAL else not same
    negate = False
    hit = False
    for item_op, item_av in av:
        if item_op is sre.NEGATE:
            negate = True
        elif item_op is sre.LITERAL:
            hit = hit or _same_letter(chr(item_av), char)
        elif item_op is sre.RANGE:
            low, high = item_av
            hit = hit or any(low <= ord(c) <= high for c in (char, char.lower(), char.upper()))
        elif item_op is sre.CATEGORY:
            hit = hit or _in_category(item_av, char)
    return hit != negate


def _same_letter(a: str, b: str) -> bool:
    return a == b or a.lower() == b.lower()


def _in_category(category: Any, char: str) -> bool:
    tests: dict[Any, Callable[[str], bool]] = {
        sre.CATEGORY_DIGIT: str.isdigit,
        sre.CATEGORY_NOT_DIGIT: lambda c: not c.isdigit(),
        sre.CATEGORY_SPACE: str.isspace,
        sre.CATEGORY_NOT_SPACE: lambda c: not c.isspace(),
        sre.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
        sre.CATEGORY_NOT_WORD: lambda c: not (c.isalnum() or c == "_"),
    }
    test = tests.get(category)
    return True if test is None else test(char)


def _branches_overlap(branches: list[list[tuple[Any, Any]]]) -> bool:
    """Two alternatives that can start with the same character (or both match nothing)."""
    firsts = [_first(b) for b in branches]
    for i, one in enumerate(firsts):
        for other in firsts[i + 1 :]:
            if one.chars & other.chars or (one.nullable and other.nullable):
                return True
    return False


def _tail_overlaps(body: list[tuple[Any, Any]]) -> bool:
    """'(aa?)*', '(a|aa)*' (which re parses as 'a(?:|a)'): an optional last part that
    can start like the body itself, so one text splits into rounds in many ways."""
    if not body:
        return False
    op, av = body[-1]
    optional: _First | None = None
    if op in _REPEATS and av[0] < av[1]:
        optional = _first(list(av[2]))
    elif op is sre.BRANCH and any(not b for b in av[1]):
        optional = _First(
            frozenset().union(*(_first(list(b)).chars for b in av[1] if b)), nullable=True
        )
    elif op is sre.SUBPATTERN:
        return _tail_overlaps(list(av[3]))
    if optional is None:
        return False
    return bool(optional.chars & _first(body).chars)
