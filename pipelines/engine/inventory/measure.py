"""The measure step (spec section 4): per roster entry the covered and other counts, counts by
case grade, GS-13 share, adjusted range, status and the over-range spell with its work days.

A spell is rebuilt from the deck's daily counts; a later run that cannot see back to the
spell's start carries it from the previous run's snapshot (spec 10.3).
"""

from __future__ import annotations

import bisect
import datetime as dt

import polars as pl

from pipelines.engine.inventory.calendar import WorkCalendar
from pipelines.engine.inventory.rounding import pct, scaled
from validators.inv_10_02 import COVERED_KINDS
from validators.ro_params import Params

GRADE_COLUMNS = {"13": "cases_gs13", "12": "cases_gs12", "11": "cases_gs11",
                 "09": "cases_gs09", "07": "cases_gs05_07", "05": "cases_gs05_07"}
COUNT_COLUMNS = ("cases_gs13", "cases_gs12", "cases_gs11", "cases_gs09", "cases_gs05_07")


def held(as_of: dt.date) -> pl.Expr:
    """A case still in its holder's inventory on the as-of date."""
    return pl.col("left_date_v").is_null() | (pl.col("left_date_v") > as_of)


def group_of(assignment: pl.Expr) -> pl.Expr:
    """Area, territory and group: the first six digits of an assignment number (IRM (4))."""
    return assignment.str.slice(0, 6)


def _counts(cases: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    hold = cases.filter(held(as_of))
    covered = pl.col("kind").is_in(list(COVERED_KINDS))
    grade_col = pl.col("case_grade").replace_strict(GRADE_COLUMNS, default=None)
    by_grade = [(covered & (grade_col == name)).sum().alias(name) for name in COUNT_COLUMNS]
    return hold.group_by(pl.col("holder").alias("assignment")).agg(
        covered.sum().alias("covered"), (~covered).sum().alias("other"), *by_grade,
        pl.len().alias("held"))


def _range(row: dict, params: Params) -> tuple[int | None, int | None]:
    if row["position_type"] != "F" or row["ro_grade"] not in params.ranges:
        return None, None
    r = params.ranges[row["ro_grade"]]
    adj = row["adjustment_pct"]
    return scaled(r.min, adj), scaled(r.max, adj)


def _status(row: dict) -> str:
    kind = row["position_type"]
    if kind == "H":
        return "HOLD FILE"
    if kind != "F" or row["range_max"] is None:
        return "NO STD RANGE"
    if row["duty_status"] != "A":
        return "NOT ACTIVE"
    if row["covered"] > row["range_max"]:
        return "OVER"
    if row["covered"] < row["range_min"]:
        return "UNDER"
    return "IN RANGE"


class _Daily:
    """Covered cases of one holder as assignment and left dates: the count on any day."""

    def __init__(self, assigned: list[dt.date], left: list[dt.date | None]):
        self.assigned = sorted(assigned)
        self.left = sorted(d for d in left if d is not None)

    def count(self, day: dt.date) -> int:
        """Cases assigned on or before `day` and not left by the end of it (left > day)."""
        return bisect.bisect_right(self.assigned, day) - bisect.bisect_right(self.left, day)


def spell_start(daily: _Daily, maximum: int, as_of: dt.date,
                previous: dict | None) -> dt.date:
    """The day after the latest day, back to what the deck can show, whose count was at or
    below `maximum`. With a previous run: the deck shows the days after its as-of date; if all
    of them are over, its recorded start carries on (or, if it was in range, the day after)."""
    lowest = (previous["as_of"] + dt.timedelta(days=1) if previous
              else min(daily.assigned, default=as_of) - dt.timedelta(days=1))
    day = as_of
    while day >= lowest:
        if daily.count(day) <= maximum:
            return day + dt.timedelta(days=1)
        day -= dt.timedelta(days=1)
    if previous and previous.get("spell_start") is not None:
        return previous["spell_start"]
    return lowest


def measure(roster: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date, params: Params,
            calendar: WorkCalendar, previous: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per roster entry (used records only); `previous`: the last earlier run's
    `ro_inventory` rows (row_kind "ro"), for spells the deck cannot show in full."""
    base = roster.select(
        "assignment", "seid", pl.concat_str(pl.col("last_name").str.strip_chars(),
                                            pl.col("first_name").str.slice(0, 1),
                                            separator=" ").str.strip_chars().alias("name"),
        pl.col("ro_grade").str.strip_chars().alias("ro_grade"), "position_type",
        "duty_status", pl.col("adjustment").str.strip_chars().cast(pl.Int64, strict=False)
        .fill_null(0).alias("adjustment_pct"), pl.col("coach").str.strip_chars().alias("coach"),
        pl.col("group_start_v").alias("group_start"), pl.col("returned_v").alias("returned"),
        pl.col("relief_date_v").alias("relief_date"), pl.col("notice_date_v").alias("notice_date"),
        pl.col("ro_reason").str.strip_chars().alias("ro_reason"),
        group_of(pl.col("assignment")).alias("group"))
    counts = _counts(cases, as_of)
    frame = base.join(counts, on="assignment", how="left", maintain_order="left").with_columns(
        pl.col("covered", "other", "held", *COUNT_COLUMNS).fill_null(0).cast(pl.Int64))
    prev = ({r["assignment_number"]: r for r in previous.iter_rows(named=True)}
            if previous is not None and previous.height else {})
    covered_cases = cases.filter(pl.col("kind").is_in(list(COVERED_KINDS)))
    rows = []
    for row in frame.iter_rows(named=True):
        row["range_min"], row["range_max"] = _range(row, params)
        row["status"] = _status(row)
        share = pct(row["cases_gs13"], row["covered"]) if row["position_type"] == "F" else None
        row["pct_gs13"] = float(share) if share is not None else None
        row["over_by"] = (row["covered"] - row["range_max"]
                          if row["range_max"] is not None else None)
        row["spell_start"] = row["work_days_over"] = row["deadline"] = None
        if row["status"] == "OVER":
            own = covered_cases.filter(pl.col("holder") == row["assignment"])
            daily = _Daily(own["assigned_v"].to_list(), own["left_date_v"].to_list())
            start = spell_start(daily, row["range_max"], as_of, prev.get(row["assignment"]))
            row["spell_start"] = start
            row["work_days_over"] = calendar.work_days(start, as_of)
            row["deadline"] = calendar.nth_work_day_after(start, params.work_days)
        rows.append(row)
    schema = {**frame.schema, "range_min": pl.Int64, "range_max": pl.Int64,
              "status": pl.String, "pct_gs13": pl.Float64, "over_by": pl.Int64,
              "spell_start": pl.Date, "work_days_over": pl.Int64, "deadline": pl.Date}
    return pl.DataFrame(rows, schema=schema)
