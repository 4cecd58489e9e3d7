"""Quality Standard File listing: every standard on file after the run, printed NN.NN, and a
standard entered below 1.00 as 1.00 with `*` (IRM 3.30.28.4.6(4))."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports import trailer
from pipelines.reports.printing import PageHeading, paginate, write_report
from validators.codes import RUN_3926

HEAD = ("ORG    FUNC PROGRAM  QUALITY STANDARD  SET BY WEEK ENDING",)


def print_standards(standards: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                    path: Path) -> None:
    heading = PageHeading(run_number=RUN_3926, title="QUALITY STANDARD FILE LISTING",
                          run_date=run_date, week_ending=week_ending, column_heads=HEAD)
    whole, cents = pl.col("standard") // 100, pl.col("standard") % 100
    detail = standards.sort("org_code", "function_code", "program_code").select(pl.concat_str([
        pl.col("org_code"), pl.lit("  "), pl.col("function_code"), pl.lit("  "),
        pl.col("program_code"), pl.lit("       "),
        whole.cast(pl.String).str.pad_start(2, " "), pl.lit("."),
        cents.cast(pl.String).str.pad_start(2, "0"),
        pl.when("below_minimum").then(pl.lit("*")).otherwise(pl.lit(" ")),
        pl.lit("          "), pl.col("week_ending").dt.strftime("%m/%d/%Y")]).alias("line"))
    closing = ["", trailer.end_line(standards.height)]
    write_report(paginate(trailer.append(detail, closing), heading, lines_per_page=50), path)
