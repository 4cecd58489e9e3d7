"""Sampling Week Summary and Sampling Findings. The summary: for each request in force, the
weekly sample requested, pulled and short, the days pulled and the days with work; for each
High Quality Work OFP the week's share of 230 and the quarter's progress against it. The
findings: S20, S21, S23 and S25 on the record (deck, line) they are about, with the reason."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, field, mask_ssn_expr, paginate, write_report

RUN_NUMBER = "SMP-03"  # our label
# The findings are a report of their own: a number of their own, as every other report has
# (review 17, F7: both printed SMP-03).
FINDINGS_RUN_NUMBER = "SMP-04"
LINES_PER_PAGE = 50
# PULL DAYS: the days with a pull, the IRM's count of pulls (a day's portion of the sample);
# the sampling log numbers each walk of a table (docs/decisions.md, "SAR")
HEAD = ("KIND SSN          NAME                 QPC OFP           GR REQUESTED PULLED  SHORT "
        "PULL DAYS WORK DAYS VOLUME  HQW QUARTER",)
FINDINGS_HEAD = ("CODE SSN          QPC OFP           DECK                            LINE  "
                 "REASON",)


def detail(rows: pl.DataFrame) -> pl.DataFrame:
    hqw = pl.when(pl.col("kind") == "HQW").then(
        pl.format("{}/{}", pl.col("quarter_pulled"), pl.col("hqw_target")))
    return rows.sort("kind", "ssn", "qpc", "ofp", descending=[True, False, False, False]).select(
        pl.concat_str([
            field("kind", 4), pl.lit(" "), field(mask_ssn_expr("ssn"), 11), pl.lit("  "),
            field(pl.col("employee_name").str.slice(0, 20), 20), pl.lit(" "), field("qpc", 3),
            pl.lit(" "), field("ofp", 13), pl.lit(" "), field("grade", 2),
            field("requested", 10, "right"), field("pulled", 7, "right"),
            field("short", 7, "right"), field("pulls", 10, "right"),
            field("work_days", 10, "right"), field("volume", 7, "right"), pl.lit("  "),
            field(hqw, 11, "right")]).str.strip_chars_end().alias("line"))


def print_week(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
               path: Path) -> None:
    heading = PageHeading(RUN_NUMBER, "SAMPLING WEEK SUMMARY", run_date, week_ending, HEAD,
                          subtitle="WEEK TO DATE")
    write_report(paginate(detail(rows), heading, lines_per_page=LINES_PER_PAGE), path)


REASON_AT, WIDTH = 75, 132  # the reason's column; a printed line's width


def findings_detail(found: pl.DataFrame) -> pl.DataFrame:
    """One line per finding; a reason longer than its 57 columns goes on under itself, cut
    between words, so that no line passes column 132."""
    wrapped = pl.col("reason").map_elements(
        lambda reason: textwrap.wrap(reason, WIDTH - REASON_AT) or [""],
        return_dtype=pl.List(pl.String))
    lines = found.sort("code", "deck", "line_no", "ssn", "ofp").select(
        pl.concat_str([
            field("code", 4), pl.lit(" "), field(mask_ssn_expr("ssn"), 11), pl.lit("  "),
            field("qpc", 3), pl.lit(" "), field("ofp", 13), pl.lit(" "), field("deck", 30),
            pl.lit(" "), field("line_no", 6, "right"), pl.lit("  ")]).alias("key"),
        wrapped.alias("reason")).with_row_index("finding").explode("reason")
    first = pl.col("finding").is_first_distinct()
    return lines.select(pl.concat_str([
        pl.when(first).then(pl.col("key")).otherwise(pl.lit(" " * REASON_AT)),
        pl.col("reason")]).str.strip_chars_end().alias("line"))


def print_findings(found: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                   path: Path) -> None:
    heading = PageHeading(FINDINGS_RUN_NUMBER, "SAMPLING FINDINGS", run_date, week_ending,
                          FINDINGS_HEAD, subtitle="WEEK TO DATE")
    write_report(paginate(findings_detail(found), heading, lines_per_page=LINES_PER_PAGE),
                 path)
