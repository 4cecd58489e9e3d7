"""New assignments in the work week and the limit of IRM 1.4.50.10.2(2) (codes 40 and 41).

A new assignment is a case (held or since left) assigned to its holder in the work week
(Sunday-Saturday) that ends on the as-of date; reassignments count. A month-end as-of date on
a weekday counts the days of its work week up to it, so that no assignment counts in two work
weeks (review 13, R13-3). It is exempt when it or
its RO carries a listed reason, the RO is a trainee, or the RO started in the group or came
back in this or the previous work week (spec 10.2).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.inventory.flags import Flag
from validators.ro_params import Params


def week_of(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The work week's days up to the as-of date: from the Sunday of the Sunday-Saturday week
    that holds it (spec 9 reading 10), so a month's last day on a Tuesday counts Sunday to
    Tuesday, not the seven days before it, which belong to the week ending the Saturday
    before."""
    return as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7), as_of


def whole_week(as_of: dt.date) -> bool:
    """Whether the as-of date is the Saturday that ends its work week."""
    return as_of.weekday() == 5


def new_assignments(measured: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date,
                    params: Params) -> pl.DataFrame:
    """`measured` with `new_in_week` and `new_exempt` (0 for a hold file)."""
    first, _ = week_of(as_of)
    recent = first - dt.timedelta(days=7 * (params.recent_move_weeks - 1))  # this or last week
    ro = measured.select(
        "assignment",
        ((pl.col("position_type") == "T") | (pl.col("ro_reason").fill_null("") != "")
         | pl.col("group_start").is_between(recent, as_of).fill_null(False)
         | pl.col("returned").is_between(recent, as_of).fill_null(False)).alias("ro_exempt"),
        (pl.col("position_type") != "H").alias("counts"))
    new = cases.filter(pl.col("assigned_v").is_between(first, as_of)).join(
        ro, left_on="holder", right_on="assignment").filter("counts")
    per_ro = new.group_by(pl.col("holder").alias("assignment")).agg(
        pl.len().alias("new_in_week"),
        (pl.col("ro_exempt") | ~pl.col("case_reason_blank")).sum().alias("new_exempt"))
    return measured.join(per_ro, on="assignment", how="left", maintain_order="left").with_columns(
        pl.col("new_in_week", "new_exempt").fill_null(0).cast(pl.Int64))


def assignment_flags(measured: pl.DataFrame, params: Params) -> list[Flag]:
    """40 (W): more than the weekly limit not exempt; 41 (I): more than the limit, all the
    ones beyond it exempt."""
    out = []
    limit = params.weekly_limit
    for row in measured.iter_rows(named=True):
        new, exempt = row["new_in_week"], row["new_exempt"]
        plain = new - exempt
        common = {"key_kind": "ro", "group": row["group"],
                  "assignment_number": row["assignment"], "grade": row["ro_grade"],
                  "count": new, "limit": limit}
        if plain > limit:
            out.append(Flag("40", detail=f"{new} NEW ASSIGNMENTS THIS WEEK, {plain} NOT EXEMPT "
                            f"(LIMIT {limit})", **common))
        elif new > limit:
            out.append(Flag("41", detail=f"{new} NEW ASSIGNMENTS THIS WEEK, ALL BEYOND {limit} "
                            "EXEMPT BY A LISTED REASON", **common))
    return out
