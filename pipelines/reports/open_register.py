"""Open error register listing: every entry still open, with its age, printed each run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.machinery.register import ssn_of_record
from pipelines.reports.printing import (
    PAGE_WIDTH,
    PageHeading,
    field,
    mask_ssn_expr,
    paginate,
    write_report,
)

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


def screen(entries: pl.DataFrame, data_dir: Path, as_of: dt.date) -> list[str]:
    """`qap register`: the open entries as the run's listing has them, plus the masked SSN;
    deck names in full (`qap withdraw` needs them)."""
    if entries.height == 0:
        return [f"The error register in {data_dir} has no open entries."]
    rows = entries.with_columns(ssn_of_record()).with_columns(mask_ssn_expr("ssn"))
    width = max(4, *(len(d) for d in rows["deck"]))
    lines = [f"Open error register in {data_dir} on {as_of:%m/%d/%Y}: {rows.height} open "
             f"{'entry' if rows.height == 1 else 'entries'}",
             f"OPENED      AGE  RUN        {'DECK':<{width}}    LINE  CTRL  SSN          "
             "ERROR CODES"]
    for r in rows.iter_rows(named=True):
        lines.append(f"{r['opened']:%m/%d/%Y}  {r['age_days']:>3}  {r['run']:<9}  "
                     f"{r['deck']:<{width}}  {r['line_no']:>6}  {r['control_number'] or '':<4}  "
                     f"{r['ssn'] or '':<11}  {' '.join(r['error_codes'] or [])}"
                     f"{'  ' + r['sub_reason'] if r['sub_reason'] else ''}".rstrip())
    return lines
