"""Group Manager's RO Inventory Report, INV-10-02A (spec 7.1), and its Parquet twin.

One page block per group: field ROs, then trainees under their own heading (they are outside
the standard ranges and the End of Month Balanced Measures, IRM (5)), then the GM hold file
line and the group totals; an over-range group adds the options of IRM (11) a-c.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.inventory.assign import week_of, whole_week
from pipelines.reports.printing import PageHeading, fmt_date, paginate, write_report

RUN_NUMBER, TITLE = "INV-10-02A", "GROUP MANAGER'S RO INVENTORY REPORT"
HEAD = ("ASSIGN   NAME           GR P D RANGE ADJ INV OTH G13 G12 G11 G09 G57   %G13 NEW EXM "
        "STATUS       OVER SINCE WD RELIEF     CODES",)
RULE = "-" * 132
TRAINEES = "TRAINEES (NOT IN THE STANDARD RANGES OR THE END OF MONTH BALANCED MEASURES)"
OPTIONS = ("GROUP ABOVE ITS RANGE (IRM 1.4.50.10.2(11)): CONSIDER A. THE GM HOLD FILE (45 DAYS AT "
           "MOST)  B. DETAILING ROS IN", "  C. ADJUSTING GROUP BOUNDARIES BY ZIP CODE")


def _num(value: int | None, width: int) -> str:
    return ("" if value is None else str(value)).rjust(width)


def _status(row: dict) -> str:
    if row["status"] == "OVER":
        return f"OVER +{row['covered'] - row['range_max']}"
    if row["status"] == "UNDER":
        return f"UNDER -{row['range_min'] - row['covered']}"
    return row["status"]


def ro_line(row: dict) -> str:
    has_range = row["range_max"] is not None
    rng = f"{row['range_min']}-{row['range_max']}" if has_range else ""
    pct = f"{row['pct_gs13']:.2f}" if row["pct_gs13"] is not None else ""
    wd = row["work_days_over"]
    return " ".join([
        f"{row['assignment_number']:<8}", f"{row['name'][:14]:<14}", f"{row['grade'] or '':<2}",
        row["position_type"], row["duty_status"], f"{rng:<5}", _num(row["adjustment_pct"], 3),
        _num(row["covered"], 3), _num(row["other"], 3), _num(row["cases_gs13"], 3),
        _num(row["cases_gs12"], 3), _num(row["cases_gs11"], 3), _num(row["cases_gs09"], 3),
        _num(row["cases_gs05_07"], 3), f"{pct:>6}", _num(row["new_in_week"], 3),
        _num(row["new_exempt"], 3), f"{_status(row):<12}", f"{fmt_date(row['spell_start']):<10}",
        _num(wd, 2), f"{fmt_date(row['relief_date']):<10}", " ".join(row["codes"])]).rstrip()


def hold_line(row: dict, oldest: tuple[int, dt.date] | None) -> str:
    age = (f"OLDEST {oldest[0]} DAYS ({fmt_date(oldest[1])})" if oldest else "OLDEST -")
    codes = f"   CODES {' '.join(row['codes'])}" if row["codes"] else ""
    cases = row["covered"] + row["other"]
    return f"GM HOLD FILE {row['assignment_number']}   CASES {cases:>3}   {age}{codes}"


def group_line(g: dict) -> str:
    return (f"GROUP (ACTIVE FIELD ROS {g['active_ros']})  INVENTORY {g['covered']}  RANGE TOTAL "
            f"{g['range_min']}-{g['range_max']}  HEADROOM {g['headroom']}  GS-13 CASES "
            f"{g['cases_gs13']}  TRAINEE INVENTORY {g['trainee_cases']}  HOLD FILE "
            f"{g['hold_cases']}")


def detail_lines(rows: pl.DataFrame, totals: pl.DataFrame,
                 oldest: dict[str, tuple[int, dt.date]]) -> pl.DataFrame:
    """The printed lines with the group each belongs to (a page break per group)."""
    lines: list[tuple[str, str]] = []
    for g in totals.iter_rows(named=True):
        mine = rows.filter(pl.col("group") == g["group"])
        kind = pl.col("position_type")
        for row in mine.filter(~kind.is_in(["T", "H"])).iter_rows(named=True):
            lines.append((g["group"], ro_line(row)))
        trainees = mine.filter(kind == "T")
        if trainees.height:
            lines.append((g["group"], TRAINEES))
            lines += [(g["group"], ro_line(r)) for r in trainees.iter_rows(named=True)]
        for row in mine.filter(kind == "H").iter_rows(named=True):
            lines.append((g["group"], hold_line(row, oldest.get(row["assignment_number"]))))
        lines.append((g["group"], RULE))
        lines.append((g["group"], group_line(g)))
        if g["covered"] > g["range_max"]:
            lines += [(g["group"], o) for o in OPTIONS]
    return pl.DataFrame(lines, schema={"group": pl.String, "line": pl.String}, orient="row")


def print_report(rows: pl.DataFrame, totals: pl.DataFrame, oldest: dict, run_date: dt.date,
                 as_of: dt.date, deck_heading: str, path: Path) -> None:
    first, _ = week_of(as_of)  # a mid-week (month-end) as-of date: its week to date
    week = "WORK WEEK" if whole_week(as_of) else "WORK WEEK TO DATE"
    detail = detail_lines(rows, totals, oldest).with_columns(
        pl.format("AS OF {}  {} {}-{}  GROUP {}  {}", pl.lit(fmt_date(as_of)), pl.lit(week),
                  pl.lit(fmt_date(first)), pl.lit(fmt_date(as_of)), pl.col("group"),
                  pl.lit(deck_heading)).alias("break_title"))
    heading = PageHeading(run_number=RUN_NUMBER, title=TITLE, run_date=run_date,
                          week_ending=None, column_heads=HEAD)
    write_report(paginate(detail, heading, lines_per_page=50, break_on="group"), path)
