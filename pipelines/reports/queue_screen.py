"""Return-to-Queue Screening Listing, INV-10-02Q (spec 7.3), and its Parquet twin.

One line per case proposed for the queue: the holder's distance to the maximum, the dates
that decide exclusions d, g and h, one column per exclusion a-h plus O (holder not over
range, 60), ALLOWED or BLOCKED; then per over-range RO how far the allowed returns bring it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, fmt_date, paginate, write_report

RUN_NUMBER, TITLE = "INV-10-02Q", "RETURN-TO-QUEUE SCREENING LISTING"
HEAD = ("CASE       HOLDER   GR K RO OVER CSED        DAYS CONTACT     AGO ASED       "
        "A B C D E F G H O RESULT",)
RULE = "-" * 132
LEGEND = ("X UNDER O: THE HOLDER IS NOT OVER RANGE (60).  X UNDER A-H: IRM 1.4.50.10.2(12) "
          "EXCLUSION A-H (61-68).  . = DOES NOT APPLY")
MARKS = [*(f"excl_{x}" for x in "abcdefgh"), "holder_not_over"]
PARQUET_COLUMNS = ("run_id", "as_of", "group", "case_id", "holder", "grade", "kind",
                   "holder_over_by", "csed", "days_to_csed", "last_contact",
                   "days_since_contact", "ased", *MARKS, "result")


def _n(value: int | None, width: int, signed: bool = False) -> str:
    if value is None:
        return " " * width
    return (f"{value:+d}" if signed and value else str(value)).rjust(width)


def case_line(r: dict) -> str:
    marks = " ".join("X" if r[m] else "." for m in MARKS)
    return " ".join([r["case_id"], r["holder"], r["grade"], r["kind"],
                     _n(r["holder_over_by"], 7, signed=True), f"{fmt_date(r['csed']):<10}",
                     _n(r["days_to_csed"], 5), f"{fmt_date(r['last_contact']):<10}",
                     _n(r["days_since_contact"], 4), f"{fmt_date(r['ased']):<10}", marks,
                     r["result"]])


def summary_lines(listing: pl.DataFrame, relief: pl.DataFrame) -> list[str]:
    allowed = int((listing["result"] == "ALLOWED").sum())
    first = (f"PROPOSED {listing.height}  ALLOWED {allowed}  BLOCKED "
             f"{listing.height - allowed}")
    per_ro = [f"{r['holder']}: OVER BY {r['over_by']}, ALLOWED {r['allowed']}, "
              + (f"STILL OVER BY {r['still_over']} AFTER THE ALLOWED RETURNS"
                 if r["still_over"] > 0 else "BACK IN RANGE AFTER THE ALLOWED RETURNS")
              for r in relief.iter_rows(named=True)]
    lines = [first + ("   " + per_ro[0] if per_ro else "")]
    return lines + per_ro[1:]


def print_listing(listing: pl.DataFrame, relief: pl.DataFrame, run_date: dt.date,
                  as_of: dt.date, path: Path) -> None:
    lines: list[tuple[str, str]] = []
    for group in sorted(listing["group"].unique().to_list()):
        mine = listing.filter(pl.col("group") == group)
        lines += [(group, case_line(r)) for r in mine.iter_rows(named=True)]
        lines += [(group, RULE), (group, LEGEND)]
        lines += [(group, s) for s in summary_lines(
            mine, relief.filter(pl.col("group") == group))]
    detail = pl.DataFrame(lines, schema={"group": pl.String, "line": pl.String}, orient="row")
    detail = detail.with_columns(pl.format("AS OF {}  GROUP {}", pl.lit(fmt_date(as_of)),
                                           pl.col("group")).alias("break_title"))
    heading = PageHeading(run_number=RUN_NUMBER, title=TITLE, run_date=run_date,
                          week_ending=None, column_heads=HEAD,
                          subtitle=f"AS OF {fmt_date(as_of)}")
    write_report(paginate(detail, heading, lines_per_page=50, break_on="group"), path)


def parquet_rows(listing: pl.DataFrame, run_id: str, as_of: dt.date) -> pl.DataFrame:
    return listing.with_columns(pl.lit(run_id).alias("run_id"),
                                pl.lit(as_of).alias("as_of")).select(PARQUET_COLUMNS)
