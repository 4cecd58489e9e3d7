"""Daily Pull List: what the reviewer (or clerk) pulls each day, a page per day: the suggested
time, the employee (SSN masked) or the High Quality Work OFP, QPC, OFP/grade, batch and the
item numbers in numerical order (IRM 3.30.28.2.2.2(9)(b)). Long item lists go on to further
lines under ITEMS TO PULL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import (
    PAGE_WIDTH,
    PageHeading,
    field,
    mask_ssn_expr,
    paginate,
    write_report,
)

RUN_NUMBER = "SMP-01"  # the legacy run has no number we know of; this is our label
TITLE = "DAILY PULL LIST"
LINES_PER_PAGE = 50
HEAD = ("TIME   PULL  KIND SSN          NAME                 QPC OFP           GR BATCH      "
        "ITEMS TO PULL",)
ITEMS_AT = len(HEAD[0]) - len("ITEMS TO PULL")
ITEMS_WIDTH = PAGE_WIDTH - ITEMS_AT


def _wrap(items: list[int]) -> list[str]:
    """The items as lines of at most ITEMS_WIDTH characters, numbers kept whole."""
    lines, line = [], ""
    for text in (str(i) for i in items):
        if line and len(line) + 1 + len(text) > ITEMS_WIDTH:
            lines.append(line)
            line = text
        else:
            line = f"{line} {text}" if line else text
    return [*lines, line]


def rows(items: pl.DataFrame) -> pl.DataFrame:
    """One row per pull and batch, items sorted: the Parquet twin of the list."""
    return (items.group_by("pull_no", "pull_date", "kind", "ssn", "employee_name", "qpc", "ofp",
                           "grade", "batch_id", "batch_ssn", "suggested_time", "week_ending",
                           maintain_order=True)
            .agg(pl.col("item").sort().alias("items"))
            .sort("pull_date", "suggested_time", "pull_no", "batch_id", "batch_ssn"))


def detail(items: pl.DataFrame) -> pl.DataFrame:
    listed = rows(items).with_columns(
        pl.when(pl.col("kind") == "HQW").then(pl.col("batch_ssn")).otherwise(pl.col("ssn"))
        .alias("shown_ssn"),
        pl.col("employee_name").str.slice(0, 20).alias("name"))
    lead = listed.select(
        pl.concat_str([
            field("suggested_time", 5), pl.lit("  "), field("pull_no", 4, "right"),
            pl.lit("  "), field("kind", 4), pl.lit(" "), field(mask_ssn_expr("shown_ssn"), 11),
            pl.lit("  "), field("name", 20), pl.lit(" "), field("qpc", 3), pl.lit(" "),
            field("ofp", 13), pl.lit(" "), field("grade", 2), pl.lit(" "),
            field("batch_id", 10), pl.lit(" ")]).alias("lead"),
        "items", "pull_date")
    out = []
    for lead_text, numbers, day in lead.iter_rows():
        for i, text in enumerate(_wrap(numbers)):
            out.append(((lead_text if i == 0 else " " * ITEMS_AT) + text, day))
    frame = pl.DataFrame(out, schema={"line": pl.String, "pull_date": pl.Date}, orient="row")
    return frame.with_columns(pl.concat_str([
        pl.lit("PULL DATE "), pl.col("pull_date").dt.strftime("%m/%d/%Y"), pl.lit(" "),
        pl.col("pull_date").dt.strftime("%A").str.to_uppercase()]).alias("break_title"))


def pages(items: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None) -> pl.DataFrame:
    heading = PageHeading(RUN_NUMBER, TITLE, run_date, week_ending, HEAD)
    return paginate(detail(items), heading, lines_per_page=LINES_PER_PAGE, break_on="pull_date")


def print_list(items: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
               path: Path) -> None:
    write_report(pages(items, run_date, week_ending), path)

