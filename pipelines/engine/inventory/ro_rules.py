"""RO and group rules 20-31 of run INV-10-02 (spec 5.2), on the measured roster.

Every code found is reported; each flag says the figures that fired it. The numbers come from
the parameter file (validators/params/ro_inventory.toml) through `Params`.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import polars as pl

from pipelines.engine.inventory.flags import Flag, fmt_date
from validators.ro_params import Params


def _active(row: dict) -> bool:
    return (row["position_type"] == "F" and row["duty_status"] == "A"
            and row["range_max"] is not None)


def gs13_floor(range_min: int, params: Params) -> int:
    """Fewest GS-13 cases a GS-13 should hold: the adjusted minimum x 0.60, the fraction
    dropped as TIGTA's footnote 11 does (`min_cases_rounding`)."""
    value = Decimal(range_min) * Decimal(str(params.min_case_share))
    return math.floor(value) if params.min_cases_rounding == "floor" else math.ceil(value)


def _ro_flags(row: dict, as_of: dt.date, params: Params) -> list[Flag]:
    out: list[Flag] = []
    common = {"key_kind": "ro", "group": row["group"], "assignment_number": row["assignment"],
              "grade": row["ro_grade"]}
    covered, lo, hi = row["covered"], row["range_min"], row["range_max"]
    active = _active(row)
    if active and covered > hi:
        start, days = row["spell_start"], row["work_days_over"]
        past = as_of > row["deadline"]
        due = "" if past else f", DUE {fmt_date(row['deadline'])}"
        out.append(Flag("20", detail=f"OVER RANGE: {covered} CASES, MAXIMUM {hi}, OVER SINCE "
                        f"{fmt_date(start)} ({days} WORK DAYS{due})", count=covered, limit=hi,
                        days=days, date=start, **common))
        relief = row["relief_date"]
        if past and (relief is None or relief < start):
            out.append(Flag("21", detail=f"OVER RANGE PAST {fmt_date(row['deadline'])} "
                            f"({params.work_days} WORK DAYS) WITH NO WRITTEN RELIEF",
                            count=covered, limit=hi, days=days, date=row["deadline"], **common))
    if hi is not None and covered <= hi and row["relief_date"] is not None and (
            row["notice_date"] is None or row["notice_date"] < row["relief_date"]):
        out.append(Flag("22", detail=f"IN RANGE ({covered} CASES) SINCE RELIEF "
                        f"{fmt_date(row['relief_date'])}, NO BACK-IN-RANGE NOTICE",
                        count=covered, limit=hi, date=row["relief_date"], **common))
    if active and covered < lo:
        out.append(Flag("23", detail=f"UNDER RANGE: {covered} CASES, MINIMUM {lo}",
                        count=covered, limit=lo, **common))
    if active and row["ro_grade"] == "13":
        out += _gs13_flags(row, params, common)
    if row["position_type"] == "T":
        if row["adjustment_pct"] > 0:
            out.append(Flag("27", detail=f"TRAINEE WITH AN INVENTORY ADJUSTMENT OF "
                            f"{row['adjustment_pct']} PERCENT", count=row["adjustment_pct"],
                            limit=0, **common))
        coach = row["coach"] or ""
        if coach and coach[:6] != row["assignment"][:6]:
            out.append(Flag("28", detail=f"TRAINEE'S COACH {coach} IS IN GROUP {coach[:6]}, "
                            f"NOT {row['assignment'][:6]}", **common))
    return out


def _gs13_flags(row: dict, params: Params, common: dict) -> list[Flag]:
    out: list[Flag] = []
    covered, g13 = row["covered"], row["cases_gs13"]
    if row["status"] == "IN RANGE" and covered > params.band_top:
        out.append(Flag("24", detail=f"GS-13 INVENTORY {covered} ABOVE {params.band_top}, "
                        "NOT NEAR THE BOTTOM OF THE RANGE", count=covered,
                        limit=params.band_top, **common))
    low = params.mix_target_pct - params.mix_tolerance_pts
    high = params.mix_target_pct + params.mix_tolerance_pts
    if covered and not low * covered <= 100 * g13 <= high * covered:
        out.append(Flag("25", detail=f"GS-13 SHARE {row['pct_gs13']:.2f} PERCENT ({g13} OF "
                        f"{covered}), OUTSIDE {low}-{high}", count=g13, pct=row["pct_gs13"],
                        **common))
    floor = gs13_floor(row["range_min"], params)
    if g13 < floor:
        out.append(Flag("26", detail=f"{g13} GS-13 CASES, FEWER THAN {floor}", count=g13,
                        limit=floor, **common))
    return out


def ro_flags(measured: pl.DataFrame, as_of: dt.date, params: Params) -> list[Flag]:
    """20-28 per roster entry."""
    out: list[Flag] = []
    for row in measured.iter_rows(named=True):
        out += _ro_flags(row, as_of, params)
    return out


def active_field_ro() -> pl.Expr:
    """A roster entry the range checks and the group totals count (spec 4, "Active (range
    checks)"): a field RO working inventory, with a range. The manager's report (7.1) and the
    month-end report (7.5) total the same entries, so that the two reconcile."""
    return ((pl.col("position_type") == "F") & (pl.col("duty_status") == "A")
            & pl.col("range_max").is_not_null())


def group_totals(measured: pl.DataFrame) -> pl.DataFrame:
    """Per group: active field ROs, their inventory and summed ranges, GS-13 cases, trainee
    inventory (left out of the totals, IRM (5)), hold-file cases."""
    active = active_field_ro()
    return measured.group_by("group", maintain_order=True).agg(
        active.sum().alias("active_ros"),
        pl.col("covered").filter(active).sum().alias("covered"),
        pl.col("range_min").filter(active).sum().alias("range_min"),
        pl.col("range_max").filter(active).sum().alias("range_max"),
        pl.col("cases_gs13").filter(active).sum().alias("cases_gs13"),
        pl.col("covered").filter(pl.col("position_type") == "T").sum().alias("trainee_cases"),
        pl.col("held").filter(pl.col("position_type") == "H").sum().alias("hold_cases"),
    ).with_columns((pl.col("range_max") - pl.col("covered")).alias("headroom")).sort("group")


def group_flags(totals: pl.DataFrame) -> list[Flag]:
    """30: the group's active ROs hold more than the sum of their maxima (IRM (11))."""
    return [Flag("30", key_kind="group", group=g["group"],
                 detail=f"GROUP INVENTORY {g['covered']} ABOVE THE SUM OF MAXIMA "
                 f"{g['range_max']}: CONSIDER IRM (11) A-C", count=g["covered"],
                 limit=g["range_max"])
            for g in totals.iter_rows(named=True) if g["covered"] > g["range_max"]]


def hold_file_flags(measured: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date,
                    params: Params) -> list[Flag]:
    """31: a case in a GM hold file more than 45 calendar days (IRM (11)a)."""
    holds = measured.filter(pl.col("position_type") == "H").select("assignment", "group")
    parked = cases.filter(pl.col("left_date_v").is_null()).join(
        holds, left_on="holder", right_on="assignment").with_columns(
        pl.coalesce("hold_date_v", "assigned_v").alias("parked"))
    out = []
    for c in parked.sort("case_id").iter_rows(named=True):
        days = (as_of - c["parked"]).days
        if days > params.hold_max_days:
            out.append(Flag("31", key_kind="case", group=c["group"],
                            assignment_number=c["holder"], case_id=c["case_id"],
                            grade=c["case_grade"], detail=f"IN THE GM HOLD FILE SINCE "
                            f"{fmt_date(c['parked'])}, {days} DAYS (OVER "
                            f"{params.hold_max_days})", count=days,
                            limit=params.hold_max_days, days=days, date=c["parked"]))
    return out
