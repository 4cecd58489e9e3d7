"""The closing lines of a printed listing: which file each deck number is (the page headings
name a deck by number and HDR identity only, as a deck's file name can be longer than the
heading has room for), the meaning of each error code the register used, and an end line
with the count of records listed, so a reader knows the listing is whole.

Meanings come from the one code table (`validators.codes`); nothing here keeps its own text.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from pipelines.reports.printing import NO_ITEMS, PAGE_WIDTH
from validators.codes import CODES

KEY_LEAD = "DECK {:>4} IS "
LEGEND_TITLE = "ERROR CODES ON THIS REGISTER"


def end_line(records: int) -> str:
    noun = "RECORD" if records == 1 else "RECORDS"
    return f"*** END OF REPORT: {records:,} {noun} LISTED ***"


def deck_key(decks: pl.DataFrame) -> list[str]:
    """`DECK    1 IS <file name>` for each deck number of `decks` (columns deck_no, deck),
    in number order; a name too long for one line goes on under itself, never past 132."""
    lines: list[str] = []
    named = decks.filter(pl.col("deck").is_not_null()).unique("deck_no").sort("deck_no")
    for number, name in named.select("deck_no", "deck").iter_rows():
        lead = KEY_LEAD.format(number)
        room = PAGE_WIDTH - len(lead)
        pieces = [name[at:at + room] for at in range(0, len(name), room)] or [""]
        lines.append(lead + pieces[0])
        lines.extend(" " * len(lead) + piece for piece in pieces[1:])
    return lines


def legend(run: str, codes: Iterable[str]) -> list[str]:
    """One line per error code used, with its meaning from the code table, cut to 132."""
    used = sorted(set(codes))
    if not used:
        return []
    lines = [LEGEND_TITLE]
    for code in used:
        meaning = CODES[(run, code)].meaning if (run, code) in CODES else "(not in the table)"
        lines.append(_fit(f"  {code}  {meaning}"))
    return lines


def _fit(text: str) -> str:
    """A line cut at the last word that fits 132 columns, with `...` when cut."""
    if len(text) <= PAGE_WIDTH:
        return text
    return text[:PAGE_WIDTH - 3].rsplit(" ", 1)[0] + "..."


def used_codes(rows: pl.DataFrame) -> list[str]:
    """The distinct error codes of a register's rows (column error_codes, a list)."""
    if rows.height == 0:
        return []
    return rows.get_column("error_codes").explode().drop_nulls().unique().to_list()


def closing(records: int, decks: pl.DataFrame, legend_lines: list[str] = ()) -> list[str]:
    """Everything after the last detail line: deck key, legend, end line, blank lines between."""
    lines: list[str] = []
    for block in (deck_key(decks), list(legend_lines), [end_line(records)]):
        if block:
            lines += ["", *block]
    return lines


def append(detail: pl.DataFrame, lines: list[str]) -> pl.DataFrame:
    """`detail` (a `paginate` frame) with `lines` after its last line, on the last line's page
    group (every other column copied from the last line); an empty listing gets the no-items
    notice first, as `paginate` would print it."""
    if detail.height == 0:
        lines = [NO_ITEMS.center(PAGE_WIDTH).rstrip(), *lines]
        extra = pl.DataFrame({"line": lines}, schema={"line": pl.String})
        return pl.concat([detail, extra], how="diagonal_relaxed")
    extra = pl.DataFrame({"line": lines}, schema={"line": pl.String})
    if others := [c for c in detail.columns if c != "line"]:
        last = detail.select(pl.col(others).last())
        extra = extra.join(last, how="cross")
    return pl.concat([detail, extra.select(detail.columns)], how="vertical_relaxed")
