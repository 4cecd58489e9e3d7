"""Weekly Data Not Posted report: every review transaction with an SSN that matched no Form 3081
for the same SSN, OFP and week ending, and every Form 3081 that could not post, with every reason
found (`codes.NOT_POSTED_REASONS`; the second and later ones on lines of their own). Fields of a
3081 print as sent; SSNs print masked. DECK is the run's deck number (`deck_no`), LINE the line
in that deck; when the rows name their decks (`deck`), the report ends with which file each
listed deck number is."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from layouts import layout
from pipelines.reports.columns import Col, head_line, lines, offset
from pipelines.reports.printing import (
    PageHeading,
    mask_ssn_expr,
    paginate_flowing,
    write_pages,
)
from pipelines.reports.ssn_mask import mask_fields
from validators import codes

RUN_NUMBER = "IPR-DNP"  # the legacy run number is not known; this is our label
TITLE = "WEEKLY DATA NOT POSTED"
LINES_PER_PAGE = 50
ROWS_PER_PART = 100_000  # a week's report can list every review of the week


def _week(raw: pl.Expr) -> pl.Expr:
    parsed = raw.str.strptime(pl.Date, "%m%d%Y", strict=False)
    return pl.when(parsed.is_not_null()).then(parsed.dt.strftime("%m/%d/%Y")).otherwise(raw)


def _reason(code: pl.Expr) -> pl.Expr:
    return pl.concat_str([code, pl.lit(" "), code.replace_strict(
        codes.NOT_POSTED_REASONS | codes.STEP_REASONS, default="", return_dtype=pl.String)])


COLS = [
    Col("FORM", "source", 4),
    Col("DECK", "deck_no", 4, "right"),
    Col("LINE", "line_no", 6, "right"),
    Col("SSN", mask_ssn_expr("ssn"), 11, gap=2),
    Col("ORG", "org_code", 5, gap=2),
    Col("FUN", "function_code", 3),
    Col("PROG", "program_code", 5),
    Col("WEEK END", _week(pl.col("week_ending")), 10, gap=2),
    Col("GR", "grade", 2),
    Col("ST", "step", 2),
    Col("T", "time_code", 1),
    Col("HOURS", "hours", 5, "right"),
    Col("VOLUME", "volume", 7, "right"),
    Col("REVIEWED", "reviewed", 8, "right"),
    Col("ERRORS", "errors", 6, "right"),
    Col("REASON", _reason(pl.col("reason_codes").list.first()), 34, gap=2),
]
HEADS = (head_line(COLS),)
REASON_INDENT = offset(COLS, "REASON")
REASON_WIDTH = next(c.width for c in COLS if c.head == "REASON")


FORM_3081 = layout.load("form3081")
# The printed columns cut from a Form 3081's text as sent (hours and volume are numbers)
CUT = {name: FORM_3081.field(name) for name in ("week_ending", "org_code", "function_code",
                                                "program_code", "grade", "step", "time_code")}


def detail(rows: pl.DataFrame) -> pl.DataFrame:
    # A Form 6489 keyed 59600 is read as a 3081: its SSN sits where 3081 fields are.
    rows = mask_fields(rows, CUT, where=pl.col("source") == "3081").with_row_index("i")
    main = rows.select("i", pl.lit(0).alias("k"), lines(rows, COLS, strip=False))
    more = rows.select("i", pl.col("reason_codes").list.slice(1)).explode(
        "reason_codes").drop_nulls("reason_codes").select(
        "i", pl.int_range(1, pl.len() + 1).over("i").alias("k"),
        (pl.lit(" " * REASON_INDENT)  # cut to the column, as the first reason is
         + _reason(pl.col("reason_codes")).str.slice(0, REASON_WIDTH)).alias("line"))
    return pl.concat([main, more], how="vertical_relaxed").sort("i", "k").select("line")


def page_parts(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date,
               rows_per_part: int | None = None) -> Iterator[pl.DataFrame]:
    """The report's `paginate` frames, laid out `rows_per_part` rows at a time (the text is
    that of the whole report paginated at once), so only one part's lines are alive."""
    size = max(rows_per_part or ROWS_PER_PART, 1)
    key = deck_key(rows)
    total = int(rows.select(pl.col("reason_codes").list.len().fill_null(0).clip(1).sum()).item()
                or 0) + key.height
    heading = PageHeading(RUN_NUMBER, TITLE, run_date, week_ending, HEADS)
    parts = (detail(rows.slice(at, size)) for at in range(0, rows.height, size))
    yield from paginate_flowing(itertools.chain(parts, [key]), heading,
                                lines_per_page=LINES_PER_PAGE, total_lines=total)


def deck_key(rows: pl.DataFrame) -> pl.DataFrame:
    """The closing lines that say which file each DECK number is (none when not named)."""
    if "deck" not in rows.columns:
        return pl.DataFrame(schema={"line": pl.String})
    named = rows.filter(pl.col("deck").is_not_null()).select("deck_no", "deck").unique(
        "deck_no").sort("deck_no")
    if named.height == 0:
        return pl.DataFrame(schema={"line": pl.String})
    entries = named.select(pl.format("DECK {} IS {}", pl.col("deck_no").cast(pl.String)
                                     .str.pad_start(4), "deck").alias("line"))
    return pl.concat([pl.DataFrame({"line": [""]}), entries])


def print_report(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date,
                 path: Path) -> None:
    write_pages(page_parts(rows, run_date, week_ending), path)
