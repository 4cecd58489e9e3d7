"""RO Inventory Exceptions Register, INV-10-02 (spec 7.2), and its Parquet twin.

Every E, W and I flag of the run by group, code and key, with the figures that fired it;
entries carried from earlier runs show their first run and age; a trailer lists the entries
this run closed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, fmt_date, paginate, write_report

RUN_NUMBER, TITLE = "INV-10-02", "RO INVENTORY EXCEPTIONS REGISTER"
DETAIL_WIDTH = 70  # a longer wording pushes FIRST RUN and AGE right (at most to column 132)
HOW_WIDTH = DETAIL_WIDTH - 12
HEAD = ("CD S ASSIGN   CASE       GR CONDITION" + " " * (DETAIL_WIDTH - 8) + "FIRST RUN   AGE",)
CLOSED_HEAD = "ENTRIES CLOSED THIS RUN"
PARQUET_COLUMNS = ("run_id", "as_of", "code", "severity", "key_kind", "group",
                   "assignment_number", "case_id", "grade", "detail", "values", "first_run",
                   "age_days", "register_state", "closed_reason")


UNDER_CONDITION = " " * 28  # a continuation line starts in the CONDITION column


def withdrawn_by(withdrawal: str | None, on: dt.date | None) -> str:
    """Which command withdrew an entry and when: a withdrawal is the operator's, made before
    the run that prints it (review 13, R13-4). Entries withdrawn before the id was kept name
    the command."""
    by = withdrawal or "qap inventory withdraw"
    return f"WITHDRAWN BY {by} ON {fmt_date(on)}" if on else f"WITHDRAWN BY {by}"


def flag_lines(f: dict) -> list[str]:
    """A flag's line; a withdrawn entry's flag (its condition lasts) adds who withdrew it and
    why, so it does not read as an open E or W (decisions.md: "printed `withdrawn`")."""
    age = "" if f["age_days"] is None else str(f["age_days"])
    line = (f"{f['code']:<2} {f['severity']} {f['assignment_number'] or '':<8} "
            f"{f['case_id'] or '':<10} {f['grade'] or '':<2} "
            f"{f['detail']:<{DETAIL_WIDTH}} "
            f"{f['first_run'] or '':<11} {age:>3}").rstrip()
    if f.get("register_state") != "withdrawn":
        return [line]
    how = f"{withdrawn_by(f['withdrawn_as'], f['withdrawn_on'])}: {f['closed_reason']}"
    return [line, (UNDER_CONDITION + how)[:132]]


def closed_lines(e: dict) -> list[str]:
    """An entry closed this run: cleared by it, or withdrawn by a command since the last run
    covering it (named, with the reason on a line of its own)."""
    cleared = e["closed_by"] == "cleared"
    how = "CLEARED" if cleared else withdrawn_by(e["withdrawn_as"], e["closed_on"])
    line = (f"{e['code']:<2} {e['severity']} {e['assignment_number'] or '':<8} "
            f"{e['case_id'] or '':<10}    {how[:HOW_WIDTH]:<{HOW_WIDTH}} OPENED {e['first_run']} "
            f"{fmt_date(e['first_as_of'])}").rstrip()
    return [line] if cleared else [line, (f"{UNDER_CONDITION}REASON: {e['closed_reason']}")[:132]]


def print_register(flags: pl.DataFrame, closed: pl.DataFrame, run_date: dt.date,
                   as_of: dt.date, path: Path) -> None:
    lines: list[tuple[str, str]] = []
    groups = sorted(set(flags["group"].to_list()) | set(closed["group"].drop_nulls().to_list()))
    for group in groups:
        lines += [(group, line)
                  for f in flags.filter(pl.col("group") == group).iter_rows(named=True)
                  for line in flag_lines(f)]
        mine = closed.filter(pl.col("group") == group)
        if mine.height:
            lines.append((group, ""))
            lines.append((group, CLOSED_HEAD))
            lines += [(group, line) for e in mine.iter_rows(named=True)
                      for line in closed_lines(e)]
    detail = pl.DataFrame(lines, schema={"group": pl.String, "line": pl.String}, orient="row")
    detail = detail.with_columns(
        pl.format("AS OF {}  GROUP {}", pl.lit(fmt_date(as_of)), pl.col("group"))
        .alias("break_title"))
    heading = PageHeading(run_number=RUN_NUMBER, title=TITLE, run_date=run_date,
                          week_ending=None, column_heads=HEAD,
                          subtitle=f"AS OF {fmt_date(as_of)}")
    write_report(paginate(detail, heading, lines_per_page=50, break_on="group"), path)


def parquet_rows(flags: pl.DataFrame, closed: pl.DataFrame, run_id: str,
                 as_of: dt.date) -> pl.DataFrame:
    """One row per flag of this run, then one per entry this run closed (`closed_reason`)."""
    now = flags.with_columns(
        pl.when(pl.col("register_state") == "withdrawn")
        .then(pl.concat_str(pl.lit("withdrawn: "), pl.col("closed_reason")))
        .otherwise(pl.lit(None, pl.String)).alias("closed_reason"))
    gone = closed.select(
        "code", "severity", "key_kind", "group", "assignment_number", "case_id",
        pl.lit(None, pl.String).alias("grade"), "detail", "first_run",
        (pl.lit(as_of) - pl.col("first_as_of")).dt.total_days().alias("age_days"),
        pl.lit("closed").alias("register_state"),
        pl.when(pl.col("closed_by") == "cleared").then(pl.lit("cleared"))
        .otherwise(pl.concat_str(pl.lit("withdrawn: "), pl.col("closed_reason")))
        .alias("closed_reason"))
    out = pl.concat([now, gone], how="diagonal_relaxed").with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(as_of).alias("as_of"))
    return out.select(PARQUET_COLUMNS)
