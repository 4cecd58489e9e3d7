"""Open error register listing: every entry still open, with its age, printed each run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PAGE_WIDTH, PageHeading, field, paginate, write_report

HEAD = ("OPENED      AGE  RUN        DECK                            LINE  CTRL  ERROR CODES",)


def _head(place_width: int) -> tuple[str, ...]:
    if place_width == 3:
        return HEAD
    return (HEAD[0].replace("CTRL  ERROR CODES", f"{'PLACE':<{place_width + 3}}ERROR CODES"),)


def print_open(entries: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
               path: Path, place_width: int = 3) -> None:
    """`place_width` > 3: print the column `place` (what identifies the record, e.g. the
    INV-10-02 key columns) instead of the 3-character control number."""
    heading = PageHeading(run_number="QAP-REG", title="OPEN ERROR REGISTER ENTRIES",
                          run_date=run_date, week_ending=week_ending,
                          column_heads=_head(place_width))
    ctrl = "control_number" if place_width == 3 else "place"
    if entries.height == 0:
        detail = pl.DataFrame({"line": []}, schema={"line": pl.String})
    else:
        detail = entries.select(pl.concat_str([
            field(pl.col("opened").dt.strftime("%m/%d/%Y"), 10), pl.lit("  "),
            field("age_days", 3, "right"), pl.lit("  "), field("run", 9), pl.lit("  "),
            field("deck", 30), pl.lit("  "), field("line_no", 6, "right"), pl.lit("  "),
            field(ctrl, place_width), pl.lit("   "),
            pl.col("error_codes").list.join(" "),
            pl.when(pl.col("sub_reason").is_not_null()).then(pl.lit("  ") + pl.col("sub_reason"))
            .otherwise(pl.lit(""))]).str.slice(0, PAGE_WIDTH).str.strip_chars_end().alias("line"))
    write_report(paginate(detail, heading, lines_per_page=50), path)
