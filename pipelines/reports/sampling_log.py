"""Sampling Log (IRM 3.30.28.2.2.4): the audit trail of each pull, a page per week: employee
(SSN masked) and name, QPC and function/program/grade, the recommended weekly sample, the day's
volume for sample, what was pulled, and the table, start point, direction and stop point of the
walk that chose it, so that the selection can be replayed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, field, mask_ssn_expr, paginate, write_report

RUN_NUMBER = "SMP-02"  # our label
TITLE = "SAMPLING LOG"
LINES_PER_PAGE = 50
HEAD = ("PULL DATE     NO KIND SSN         NAME                 QPC FUNC PROG  GR  WEEKLY "
        "VOLUME PULLED TABLE       START  DIR     STOP TIME",
        "                                                                          SAMPLE",)


def _cell(row: str, column: str) -> pl.Expr:
    return pl.format("{}/{}", pl.col(row), pl.col(column))


def detail(log: pl.DataFrame) -> pl.DataFrame:
    shown = log.sort("week_ending", "pull_no").with_columns(
        pl.when(pl.col("kind") == "HQW").then(pl.lit("OFP ") + pl.col("ofp"))
        .otherwise(pl.col("employee_name")).str.slice(0, 20).alias("name"))
    return shown.select(
        pl.concat_str([
            field(pl.col("pull_date").dt.strftime("%m/%d/%Y"), 10), pl.lit(" "),
            field("pull_no", 5, "right"), pl.lit(" "), field("kind", 4), pl.lit(" "),
            field(mask_ssn_expr("ssn"), 11), pl.lit(" "), field("name", 20), pl.lit(" "),
            field("qpc", 3), pl.lit(" "), field("function_code", 3), pl.lit("  "),
            field("program_code", 5), pl.lit(" "), field("grade", 2), pl.lit(" "),
            field("weekly_sample", 7, "right"), field("daily_volume", 7, "right"),
            field("pulled", 7, "right"), pl.lit(" "), field("table", 10), pl.lit(" "),
            field(_cell("start_row", "start_column"), 6, "right"), pl.lit("  "),
            field("direction", 5), pl.lit(" "), field(_cell("stop_row", "stop_column"), 6,
                                                     "right"),
            pl.lit(" "), field("suggested_time", 5)]).str.strip_chars_end().alias("line"),
        "week_ending",
        pl.concat_str([pl.lit("WEEK ENDING "), pl.col("week_ending").dt.strftime("%m/%d/%Y")])
        .alias("break_title"))


def pages(log: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None) -> pl.DataFrame:
    """A page per week, 132 columns; each page's week ending is its break title (the
    heading's own would say it a second time)."""
    heading = PageHeading(RUN_NUMBER, TITLE, run_date, None, HEAD)
    return paginate(detail(log), heading, lines_per_page=LINES_PER_PAGE, break_on="week_ending")


def print_log(log: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
              path: Path) -> None:
    write_report(pages(log, run_date, week_ending), path)
