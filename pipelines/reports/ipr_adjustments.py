"""Individual Performance History Adjustment Report: one line per Form 6489 in deck order, with
its message code (1 added, 2 deleted, 3 adjusted, 4 error, no action taken) and, under an error,
one line per reason found. Totals by message close the report. SSNs print masked; figures print
as the form gave them (signed; blank = no change); QTR END is item 19 as sent, or when blank the
quarter the code acts on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.qap.individual.measures import fmt_signed, fmt_tenths
from pipelines.reports.columns import Col, head_line, lines, offset
from pipelines.reports.printing import PageHeading, mask_ssn_expr, paginate, write_report
from validators import codes

RUN_NUMBER = "IPR-6489"  # the legacy run number is not known; this is our label
TITLE = "INDIVIDUAL PERFORMANCE HISTORY ADJUSTMENT REPORT"
LINES_PER_PAGE = 50

COLS = [
    Col("SSN", mask_ssn_expr("ssn"), 11),
    Col("LAST NAME", "last_name", 15, gap=2),
    Col("ORG", "org_code", 5, gap=2),
    Col("FUN", "function_code", 3),
    Col("PROG", "program_code", 5),
    Col("GR", "grade", 2, gap=2),
    Col("R/C", "record_code", 3, "right"),
    Col("A/C", "adjustment_code", 3, "right"),
    Col("QTR END", pl.when(pl.col("quarter_ending").str.strip_chars() != "")
        .then(pl.col("quarter_ending")).otherwise(pl.col("quarter_end").dt.strftime("%Y%m")),
        7, gap=2),
    Col("HOURS", fmt_tenths(pl.col("hours_change"), signed=True), 7, "right"),
    Col("VOLUME", fmt_signed(pl.col("volume_change")), 8, "right"),
    Col("REVIEWED", fmt_signed(pl.col("reviewed_change")), 8, "right"),
    Col("ERRORS", fmt_signed(pl.col("errors_change")), 7, "right"),
    Col("MSG", "message_code", 3, "right", gap=2),
    Col("MESSAGE", "message", 22, gap=2),
]
HEADS = (head_line(COLS),)
REASON_INDENT = offset(COLS, "LAST NAME")


def detail(adjustments: pl.DataFrame) -> pl.DataFrame:
    """Detail lines (column `line`) in print order."""
    main = adjustments.select("seq", pl.lit(0).alias("k"), lines(adjustments, COLS, strip=False))
    reasons = adjustments.select("seq", "reason_codes").explode("reason_codes").drop_nulls(
        "reason_codes").select(
        "seq", pl.int_range(1, pl.len() + 1).over("seq").alias("k"),
        pl.concat_str([pl.lit(" " * REASON_INDENT + "*** "), pl.col("reason_codes"), pl.lit(" "),
                       pl.col("reason_codes").replace_strict(codes.ADJUSTMENT_REASONS,
                                                             return_dtype=pl.String)])
        .alias("line"))
    out = pl.concat([main, reasons], how="vertical_relaxed").sort("seq", "k").select("line")
    if adjustments.height == 0:
        return out
    counts = adjustments.group_by("message_code").len()
    n = dict(zip(counts["message_code"].to_list(), counts["len"].to_list(), strict=True))
    total = "   ".join(f"{code} {codes.MESSAGES[code].split(',')[0]} {n.get(code, 0)}"
                       for code in codes.MESSAGES)
    summary = ["", f"FORMS 6489 READ {adjustments.height}    {total}"]
    return pl.concat([out, pl.DataFrame({"line": summary})])


def pages(adjustments: pl.DataFrame, run_date: dt.date, week_ending: dt.date) -> pl.DataFrame:
    heading = PageHeading(RUN_NUMBER, TITLE, run_date, week_ending, HEADS)
    return paginate(detail(adjustments), heading, lines_per_page=LINES_PER_PAGE)


def print_report(adjustments: pl.DataFrame, run_date: dt.date, week_ending: dt.date,
                 path: Path) -> None:
    write_report(pages(adjustments, run_date, week_ending), path)
