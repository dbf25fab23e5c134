"""What the commands print: the two consoles, tables, JSON for scripts, and the progress bar
shown when stderr is a terminal.

Tables (`print_table`) have two forms. On a terminal, a rich table fitted to its width:
the columns a table is about (`KEY`: a claim's slot and value, a feed's error) keep a
minimum width and wrap rather than shrink, short columns (`FIXED`: ids, times, counts)
never wrap, and free text (`TEXT`: titles, sources) takes the room left, cut with "…".
Off a terminal (a pipe, a file, cron), plain text: one line per row, columns aligned
with two spaces, nothing cut, so `grep`, `cut -c` and a reader of the log see it all.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

# The flag of every command that can print for scripts instead of people.
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def print_plain(console: Console, text: str) -> None:
    """Print `text` as it is: article text and URLs may hold [brackets] rich would read
    as markup, and highlighting would colour numbers in them."""
    console.print(text, markup=False, highlight=False)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


class BarProgress:
    """A rich progress bar on stderr, used only when stderr is a terminal."""

    def __init__(self, bar: RichProgress) -> None:
        self.bar = bar
        self.task: Any = None

    def start(self, label: str, total: int) -> None:
        self.task = self.bar.add_task(label, total=total)

    def advance(self) -> None:
        if self.task is not None:
            self.bar.advance(self.task)


@contextmanager
def progress() -> Iterator[BarProgress | None]:
    if not stderr.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=stderr, transient=True) as bar:
        yield BarProgress(bar)


class Fit(Enum):
    """How a table column behaves when the terminal is narrow."""

    FIXED = "fixed"  # short values (ids, times, counts): never wrapped
    KEY = "key"  # what the table is about: never narrower than its minimum, wraps
    TEXT = "text"  # free text: takes the room left, cut with "…"


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    fit: Fit = Fit.FIXED
    min_width: int = 12  # for KEY columns


# A free-text cell on a terminal is cut here even when there is room: a 2,000-character
# error would push every row off the screen. Piped output is never cut.
MAX_TERMINAL_CELL = 200


def print_table(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], console: Console | None = None
) -> None:
    """A rich table on a terminal, plain aligned text elsewhere (see the module doc)."""
    console = console or Console()  # reads COLUMNS and TTY_COMPATIBLE when it prints
    cells = [[_one_line(cell) for cell in row] for row in rows]
    if console.is_terminal:
        console.print(_rich_table(columns, cells, console.width))
    else:
        for line in plain_lines([c.header for c in columns], cells):
            console.print(line, markup=False, highlight=False, soft_wrap=True)


_GAP = 2  # between columns: one space of padding on each side


def _rich_table(columns: Sequence[Column], rows: list[list[str]], width: int) -> Any:
    from rich.table import Table

    shown = [[short(cell, MAX_TERMINAL_CELL) for cell in row] for row in rows]
    widths = column_widths(columns, shown, width)
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold")
    for column, column_width in zip(columns, widths, strict=True):
        if column.fit is Fit.TEXT:
            table.add_column(column.header, width=column_width, no_wrap=True, overflow="ellipsis")
        else:  # wrapped at spaces ("2026-01-09 14:15" on two lines), folded when one word
            table.add_column(column.header, width=column_width, overflow="fold")
    for row in shown:
        table.add_row(*row)
    return table


def column_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> list[int]:
    """Each column's width on a terminal `width` wide: every column whole when it fits;
    else free text gives way first (down to 20), then short columns wrap at their spaces
    (a time on two lines), then key columns narrow to their minimum, and last free text
    to 8. Key columns never go below their minimum, even past the terminal's width."""
    from rich.cells import cell_len

    natural = [
        max([cell_len(c.header), *(cell_len(row[i]) for row in rows)])
        for i, c in enumerate(columns)
    ]
    widths = list(natural)
    room = width - _GAP * (len(columns) - 1)
    for fit, text_floor in ((Fit.TEXT, 20), (Fit.FIXED, 0), (Fit.KEY, 0), (Fit.TEXT, 8)):
        floors = {
            i: _floor(c, natural[i], [row[i] for row in rows], text_floor)
            for i, c in enumerate(columns)
            if c.fit is fit
        }
        _give_way(widths, floors, sum(widths) - room)
    return widths


def _give_way(widths: list[int], floors: dict[int, int], excess: int) -> None:
    """Narrow the columns in `floors` by `excess` in all, each in proportion to what it
    can give above its floor."""
    slack = sum(max(widths[i] - floor, 0) for i, floor in floors.items())
    if excess <= 0 or slack <= 0:
        return
    total = left = min(excess, slack)
    for i, floor in floors.items():
        give = min(-(-max(widths[i] - floor, 0) * total // slack), left)  # ceiling division
        widths[i] -= give
        left -= give


def _floor(column: Column, natural: int, cells: list[str], text_floor: int) -> int:
    if column.fit is Fit.TEXT:
        return min(natural, text_floor)
    if column.fit is Fit.KEY:
        return min(natural, column.min_width)
    from rich.cells import cell_len

    words = [cell_len(word) for cell in [column.header, *cells] for word in cell.split()]
    return max([1, *words])


def plain_lines(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines of columns aligned with two spaces; the last column is not padded."""
    from rich.cells import cell_len  # wide characters (CJK, emoji) take two columns

    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = []
    for row in [list(headers), *rows]:
        padded = [cell + " " * (widths[i] - cell_len(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return lines


_WHITESPACE = re.compile(r"\s+")


def _one_line(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# "fetch: https://x/feed.xml: HTTP 404 Not Found" -> "fetch: HTTP 404 Not Found (https://x/...)"
_LEADING_URL = re.compile(
    r"^(?P<prefix>[a-z][\w ]{0,30}: )?(?P<url>[a-z][a-z0-9+.-]*://\S+?)(?P<redirect> \(redirected"
    r" to [^)]*\))?(?::\s+|\s+)(?P<message>\S.*)$",
    re.DOTALL,
)


def message_first(error: str) -> str:
    """An error with the URL it starts with moved to its end: at 80 columns, a long URL
    first would leave no room for what went wrong."""
    found = _LEADING_URL.match(error)
    if found is None:
        return error
    where = found["url"] + (found["redirect"] or "")
    return f"{found['prefix'] or ''}{found['message']} ({where})"
