"""Individual Performance Summary Report (IPSR), printed: a new page per assigned organization,
an employee line (org, masked SSN, name, plan and days on it), one row per program (OFP/grade)
worked in the four quarters with hours (direct, overhead, learning curve), volume, documents
reviewed, errors, percent accurate and its 90% interval, measurable status and the letters of
the tests that failed; then the employee's rateable figures. A key ends the report."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import polars as pl

from pipelines.engine.qap.individual import ipsr as ipsr_data
from pipelines.engine.qap.individual import status
from pipelines.engine.qap.individual.cum_jobs import OVERHEAD
from pipelines.engine.qap.individual.measures import fmt_hundredths, fmt_tenths
from pipelines.reports.columns import Col, head_line, lines
from pipelines.reports.printing import PageHeading, fmt_date, mask_ssn_expr, paginate, write_report

RUN_NUMBER = "IPSR"  # the legacy run number is not known; this is our label
TITLE = "INDIVIDUAL PERFORMANCE SUMMARY REPORT"
LINES_PER_PAGE = 50
INDENT = 2
UNKNOWN = "UNKNOWN"


def _tenths(name: str) -> pl.Expr:
    return pl.when(pl.col(name).is_null()).then(pl.lit(UNKNOWN)).otherwise(
        fmt_tenths(pl.col(name)))


COLS = [
    Col("ORG", "org_code", 5), Col("FUN", "function_code", 3), Col("PROG", "program_code", 5),
    Col("GR", "grade", 2), Col("QPC", "qpc", 3, gap=2),
    Col("DIRECT HRS", _tenths("direct_hours_tenths"), 10, "right", gap=2),
    Col("OVHD HRS", _tenths(OVERHEAD), 9, "right"),
    Col("LC HRS", fmt_tenths(pl.col("lc_hours_tenths")), 8, "right"),
    Col("VOLUME", "volume", 9, "right", gap=2),
    Col("LC VOL", "lc_volume", 7, "right"),
    Col("REVIEWED", "reviewed", 8, "right", gap=2),
    Col("ERRORS", "errors", 6, "right"),
    Col("ACCURATE", fmt_hundredths(pl.col("pct_accurate_h")), 8, "right", gap=2),
    Col("90% LOW", fmt_hundredths(pl.col("ci_low_h")), 7, "right"),
    Col("90% HIGH", fmt_hundredths(pl.col("ci_high_h")), 8, "right"),
    Col("MEAS", pl.when(pl.col("measurable")).then(pl.lit("YES")).otherwise(pl.lit("NO")), 4,
        gap=2),
    Col("WHY", "reasons", 4),
]
HEADS = (head_line(COLS, INDENT),)


def _name() -> pl.Expr:
    return pl.concat_str([pl.col("last_name"), pl.lit(", "), pl.col("first_name"), pl.lit(" "),
                          pl.col("middle_initial")]).str.strip_chars().fill_null("NOT ON EMF")


def _employee_line() -> pl.Expr:
    plan = pl.when(pl.col("plan") == "M").then(pl.format(
        "PLAN M SINCE {} ({} DAYS AT QUARTER END)",
        pl.col("measured_since").dt.strftime("%m/%d/%Y"), pl.col("plan_days"))
    ).otherwise(pl.concat_str([pl.lit("PLAN "), pl.col("plan").fill_null("-")]))
    return pl.concat_str([
        pl.lit("ORG "), pl.col("assigned_org").fill_null("     "), pl.lit("  "),
        mask_ssn_expr("ssn"), pl.lit("  "), _name().str.pad_end(36), plan])


def _rateable_line() -> pl.Expr:
    yes_no = pl.when(pl.col("rateable")).then(pl.lit("YES")).otherwise(pl.lit("NO"))
    known = pl.concat_str([
        pl.lit(" " * INDENT), pl.lit("TOTAL HRS "), fmt_tenths(pl.col("total_hours_tenths")),
        pl.lit("  DIRECT "), fmt_tenths(pl.col("direct_time_tenths")),
        pl.lit("  MEASURABLE "), fmt_tenths(pl.col("measurable_hours_tenths")),
        pl.lit(": "), fmt_hundredths(pl.col("pct_total_h")).fill_null("0.00"),
        pl.lit(f"% OF TOTAL (NEED {status.RATE_TOTAL_PCT}), "),
        fmt_hundredths(pl.col("pct_direct_h")).fill_null("0.00"),
        pl.lit(f"% OF DIRECT (NEED {status.RATE_DIRECT_PCT})  RATEABLE "), yes_no])
    unknown = pl.concat_str([
        pl.lit(" " * INDENT), pl.lit("TOTAL HRS "), fmt_tenths(pl.col("total_hours_tenths")),
        pl.lit("  OVERHEAD HOURS UNKNOWN (RECORDS FROM BEFORE THEY WERE KEPT APART)"),
        pl.lit("  RATEABLE NOT DETERMINED")])
    return pl.when(pl.col("rateable").is_null()).then(unknown).otherwise(known)


def key_lines(q_end: dt.date) -> list[str]:
    """The key printed at the end of the report."""
    start = status.window_start(q_end)
    return [
        "",
        f"FOUR FULL QUARTERS {fmt_date(start)} THROUGH {fmt_date(q_end)}. HOURS IN HOURS AND "
        "TENTHS; ACCURATE = (REVIEWED - ERRORS) / REVIEWED.",
        "90% LOW/HIGH: WILSON SCORE INTERVAL OF PERCENT ACCURATE AT 90% CONFIDENCE (Z = 1.6449),"
        " ROUNDED HALF UP;",
        "  CHOSEN BECAUSE IT STAYS WITHIN 0-100 AND KEEPS A WIDTH AT 100% ACCURATE, WHERE THE "
        "NORMAL INTERVAL SHRINKS TO A POINT.",
        "MEAS YES: MEASURABLE IN QUALITY. WHY (TESTS NOT MET):",
        *[f"  {k} = {text.upper()}" for k, text in status.REASONS.items()],
        "RATEABLE: MEASURABLE HOURS AT LEAST 25% OF TOTAL TIME AND AT LEAST 40% OF DIRECT TIME "
        "(TOTAL LESS OVERHEAD).",
    ]


def detail(rows: pl.DataFrame, q_end: dt.date) -> pl.DataFrame:
    """Detail lines: per employee a line, their rows, their rateable line and a blank."""
    first = pl.col("ssn").is_first_distinct()
    last = pl.col("ssn").is_last_distinct()
    keyed = rows.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) * 4).alias("_key"),
                              pl.col("assigned_org").fill_null(""))
    out = pl.concat([
        keyed.filter(first).select(pl.col("_key").alias("key"), _employee_line().alias("line"),
                                   "assigned_org"),
        keyed.select((pl.col("_key") + 1).alias("key"),
                     lines(rows, COLS, INDENT, strip=False), "assigned_org"),
        keyed.filter(last).select((pl.col("_key") + 2).alias("key"),
                                  _rateable_line().alias("line"), "assigned_org"),
        keyed.filter(last).select((pl.col("_key") + 3).alias("key"), pl.lit("").alias("line"),
                                  "assigned_org"),
    ]).sort("key").select("line", "assigned_org")
    tail_org = out["assigned_org"][-1] if out.height else ""
    key = pl.DataFrame({"line": key_lines(q_end), "assigned_org": tail_org})
    return pl.concat([out, key]).with_columns(
        pl.concat_str([pl.lit("ORG "), pl.col("assigned_org")]).alias("break_title"))


def pages(rows: pl.DataFrame, run_date: dt.date, q_end: dt.date,
          week_ending: dt.date | None) -> pl.DataFrame:
    """The IPSR of the quarter ending `q_end` (`ipsr.ipsr_frame` rows). `week_ending`: the
    weekly run's week; None on demand (the heading then shows the quarter only)."""
    subtitle = f"QUARTER ENDING {fmt_date(q_end)}"
    heading = PageHeading(RUN_NUMBER, TITLE, run_date, week_ending, HEADS, subtitle=subtitle)
    lines_ = detail(rows, q_end).with_columns(
        pl.concat_str([pl.lit(subtitle + "  "), pl.col("break_title")]).alias("break_title"))
    return paginate(lines_, heading, lines_per_page=LINES_PER_PAGE, break_on="assigned_org")


def print_report(rows: pl.DataFrame, run_date: dt.date, q_end: dt.date,
                 week_ending: dt.date | None, path: Path) -> None:
    write_report(pages(rows, run_date, q_end, week_ending), path)


def write_private_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write Parquet atomically and owner-only (0600 whatever the umask): it holds full SSNs."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            frame.write_parquet(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_files(rows: pl.DataFrame, run_date: dt.date, q_end: dt.date,
                week_ending: dt.date | None, folder: Path) -> dict[str, Path]:
    """`ipsr_YYYYMM.txt` and its Parquet twin (IPSR_COLUMNS) in `folder`; name -> path."""
    stem = ipsr_data.file_stem(q_end)
    txt, parquet = folder / f"{stem}.txt", folder / f"{stem}.parquet"
    print_report(rows, run_date, q_end, week_ending, txt)
    write_private_parquet(rows.select(ipsr_data.IPSR_COLUMNS), parquet)
    return {txt.name: txt, parquet.name: parquet}
