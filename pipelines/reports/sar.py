"""Sampling Accomplishment/Request Report (SAR), printed: one report per period (two in a split
week, each with its own page numbers), a new page per assigned organization, an employee line
(org, masked SSN, name, class) above that employee's rows, one row per QPC and grade/step with
Last Week / This Quarter / Rating Period volume, reviewed and errors assigned (one decimal),
RSD/RAS, Remaining, Reviews Requested (from sample selection's requests, else empty) and percent
accurate (rating period), and under a row that sample selection pulled this week, its Reviews
This Week line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.qap.individual.measures import fmt_hundredths, fmt_tenths
from pipelines.reports.columns import Col, head_line, lines, position
from pipelines.reports.printing import (
    PAGE_WIDTH,
    PageHeading,
    fmt_date,
    mask_ssn_expr,
    paginate,
    write_report,
)

RUN_NUMBER = "SAR"  # the legacy run number is not known; this is our label
TITLE = "SAMPLING ACCOMPLISHMENT/REQUEST REPORT"
LINES_PER_PAGE = 50
INDENT = 2
CLASSES = {"1": "PERMANENT", "2": "PART-TIME PERMANENT/SEASONAL", "3": "INTERMITTENT",
           "4": "TEMPORARY", "5": "TERM"}


def _errors(name: str) -> pl.Expr:
    """Errors assigned, one decimal."""
    return fmt_tenths((pl.col(name) * 10).round(0).cast(pl.Int64))


COLS = [
    Col("GR/ST", pl.concat_str([pl.col("grade"), pl.lit("/"), pl.col("step")]), 5),
    Col("QPC", "qpc", 3, gap=2),
    Col("LAST WK", "volume_week", 8, "right"),
    Col("THIS QTR", "volume_quarter", 8, "right"),
    Col("RATING", "volume_rating", 8, "right"),
    Col("RSD/RAS", pl.format("{}/{}", pl.col("rsd"), pl.col("ras")), 7, "right", gap=2),
    Col("LAST WK", "reviewed_week", 8, "right", gap=2),
    Col("THIS QTR", "reviewed_quarter", 8, "right"),
    Col("RATING", "reviewed_rating", 8, "right"),
    Col("REMAIN", "remaining", 6, "right", gap=2),
    Col("REQUESTED", "reviews_requested", 9, gap=2),
    Col("LAST WK", _errors("errors_week"), 8, "right"),
    Col("THIS QTR", _errors("errors_quarter"), 8, "right"),
    Col("RATING", _errors("errors_rating"), 8, "right"),
    Col("ACCURATE", fmt_hundredths(pl.col("pct_accurate_h")), 8, "right", gap=2),
]


def _groups() -> str:
    """The head line above the column heads: a label over each group of columns."""
    line = [" "] * PAGE_WIDTH

    def put(first: int, last: int, label: str, fill: str = "-") -> None:
        start = position(COLS, first, INDENT)
        end = position(COLS, last, INDENT) + COLS[last].width
        text = f" {label} ".center(end - start, fill) if fill else label.rjust(end - start)
        line[start:end] = text

    put(2, 4, "VOLUME")
    put(6, 8, "REVIEWED")
    put(10, 10, "REVIEWS", "")
    put(11, 13, "ERRORS ASSIGNED")
    put(14, 14, "PERCENT", "")
    return "".join(line).rstrip()


HEADS = (_groups(), head_line(COLS, INDENT))


def _employee_line() -> pl.Expr:
    name = pl.concat_str([pl.col("last_name"), pl.lit(", "), pl.col("first_name"), pl.lit(" "),
                          pl.col("middle_initial")]).str.strip_chars()
    return pl.concat_str([
        pl.lit("ORG "), pl.col("assigned_org"), pl.lit("  "), mask_ssn_expr("ssn"),
        pl.lit("  "), name.str.pad_end(36), pl.lit("CLASS "), pl.col("class_code"), pl.lit(" "),
        pl.col("class_code").replace_strict(CLASSES, default="", return_dtype=pl.String)])


def _this_week(keyed: pl.DataFrame) -> list[pl.DataFrame]:
    """The Reviews This Week area (IRM 3.30.28.2.2.4(3)) under a row that sample selection
    pulled for this week: items pulled and on how many days; no line when it has not run."""
    if "reviews_this_week" not in keyed.columns:
        return []
    at = position(COLS, 10, INDENT)  # under REQUESTED
    return [keyed.filter(pl.col("reviews_this_week").is_not_null()).select(
        (pl.col("_key") + 2).alias("key"),
        pl.format("{}REVIEWS THIS WEEK {} PULLED ON {} DAY(S)", pl.lit(" " * at),
                  pl.col("reviews_this_week"), pl.col("pulls_this_week")).alias("line"),
        "assigned_org")]


def detail(rows: pl.DataFrame) -> pl.DataFrame:
    """One period's rows (in print order) as detail lines, breaking on assigned org: an
    employee line above the employee's first row, a blank line after their last."""
    first = pl.col("ssn").is_first_distinct()
    last = pl.col("ssn").is_last_distinct()
    keyed = rows.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) * 4).alias("_key"))
    out = pl.concat([
        keyed.filter(first).select(pl.col("_key").alias("key"), _employee_line().alias("line"),
                                   "assigned_org"),
        keyed.select((pl.col("_key") + 1).alias("key"),
                     lines(rows, COLS, INDENT, strip=False), "assigned_org"),
        *_this_week(keyed),
        keyed.filter(last).select((pl.col("_key") + 3).alias("key"), pl.lit("").alias("line"),
                                  "assigned_org"),
    ]).sort("key")
    return out.select("line", "assigned_org", pl.concat_str(
        [pl.lit("ORG "), pl.col("assigned_org")]).alias("break_title"))


def pages(rows: pl.DataFrame, run_date: dt.date, period_end: dt.date, week_ending: dt.date,
          number: int = 1, count: int = 1) -> pl.DataFrame:
    """One SAR (one period). `rows` are that period's rows of `sar_frame`."""
    subtitle = f"PERIOD ENDING {fmt_date(period_end)}" + (
        f" ({number} OF {count})" if count > 1 else "")
    heading = PageHeading(RUN_NUMBER, TITLE, run_date, week_ending, HEADS, subtitle=subtitle)
    lines = detail(rows).with_columns(
        pl.concat_str([pl.lit(subtitle + "  "), pl.col("break_title")]).alias("break_title"))
    return paginate(lines, heading, lines_per_page=LINES_PER_PAGE, break_on="assigned_org")


def print_report(rows: pl.DataFrame, run_date: dt.date, period_end: dt.date,
                 week_ending: dt.date, path: Path, number: int = 1, count: int = 1) -> None:
    write_report(pages(rows, run_date, period_end, week_ending, number, count), path)
