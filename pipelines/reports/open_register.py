"""Open error register listing: every entry still open, with its age, printed each run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports import trailer
from pipelines.reports.printing import PAGE_WIDTH, PageHeading, field, paginate, write_report

HEAD = ("OPENED      AGE  RUN        DECK                            LINE  CTRL  ERROR CODES",)


def print_open(entries: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
               path: Path) -> None:
    heading = PageHeading(run_number="QAP-REG", title="OPEN ERROR REGISTER ENTRIES",
                          run_date=run_date, week_ending=week_ending, column_heads=HEAD)
    if entries.height == 0:
        detail = pl.DataFrame({"line": []}, schema={"line": pl.String})
    else:
        detail = entries.select(pl.concat_str([
            field(pl.col("opened").dt.strftime("%m/%d/%Y"), 10), pl.lit("  "),
            field("age_days", 3, "right"), pl.lit("  "), field("run", 9), pl.lit("  "),
            field("deck", 30), pl.lit("  "), field("line_no", 6, "right"), pl.lit("  "),
            field("control_number", 3), pl.lit("   "),
            pl.col("error_codes").list.join(" "),
            pl.when(pl.col("sub_reason").is_not_null()).then(pl.lit("  ") + pl.col("sub_reason"))
            .otherwise(pl.lit(""))]).str.slice(0, PAGE_WIDTH).str.strip_chars_end().alias("line"))
    closing = ["", trailer.end_line(entries.height)]
    write_report(paginate(trailer.append(detail, closing), heading, lines_per_page=50), path)
