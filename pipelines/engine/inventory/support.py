"""GS-13 support (code 90) and the figures of the GS-13 Casework Analysis (spec 7.4).

TIGTA's Figures 1-2 and Appendix IV, computed on the deck: GS-13 ROs meeting the case target,
GS-13 ROs the GS-13 casework supports (unadjusted as TIGTA, adjusted as the IRS response asks,
and net of the cases a review found unwarranted), CAG grading, GS-13 work in lower-graded
hands, and the forecast (FCS) against the actual. The minimum truncates and ROs supported
round up, as TIGTA's footnotes 11 and 12 do; unrounded values are kept beside them.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import polars as pl

from pipelines.engine.inventory.cag import FACTORS
from pipelines.engine.inventory.flags import Flag
from pipelines.engine.inventory.ro_rules import gs13_floor
from pipelines.engine.inventory.rounding import half_up, pct, scaled
from validators.ro_params import Params

SCHEMA = {"table": pl.Int64, "measure": pl.String, "basis": pl.String, "as_of": pl.Date,
          "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64}
SUBELEMENTS_2 = "ABCDEFG"


def _round(value: Decimal, how: str) -> int:
    return math.floor(value) if how == "floor" else math.ceil(value)


def minimum_cases(range_min: int, params: Params) -> int:
    """GS-13 cases an RO should hold: the range minimum x the share, rounded as TIGTA fn 11
    (the same figure code 26 uses)."""
    return gs13_floor(range_min, params)


class _Rows:
    def __init__(self, as_of: dt.date):
        self.as_of, self.rows = as_of, []

    def add(self, table: int, measure: str, value, basis: str = "", numerator=None,
            denominator=None) -> None:
        def f(x):
            return None if x is None else float(x)

        self.rows.append({"table": table, "measure": measure, "basis": basis,
                          "as_of": self.as_of, "value": f(value), "numerator": f(numerator),
                          "denominator": f(denominator)})

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=SCHEMA)


def _pct(rows: _Rows, table: int, measure: str, num: int, den: int, basis: str = "") -> None:
    rows.add(table, measure, pct(num, den), basis, num, den)


def scope_of(groups: list[str]) -> str:
    """The deck's scope: its group, or the territory or area all its groups share."""
    for width in (6, 4, 2):
        if len({g[:width] for g in groups}) == 1:
            return groups[0][:width]
    return "ALL"


def analysis(measured: pl.DataFrame, graded: pl.DataFrame, forecasts: pl.DataFrame,
             as_of: dt.date, params: Params) -> tuple[pl.DataFrame, list[Flag]]:
    """The analysis in long form (table, measure, basis, value, numerator, denominator) and
    code 90 when the casework supports fewer GS-13 ROs than the roster has."""
    rows = _Rows(as_of)
    gs13 = measured.filter((pl.col("ro_grade") == "13") & (pl.col("position_type") != "H"))
    base_min = params.ranges["13"].min
    minimum = minimum_cases(base_min, params)
    active = gs13.filter(pl.col("held") > 0)
    meeting = active.filter(pl.col("cases_gs13") >= minimum)
    rows.add(1, "gs13_ros", gs13.height)
    rows.add(1, "with_no_cases", gs13.height - active.height)
    rows.add(1, "active", active.height)
    rows.add(1, "active_meeting_minimum", meeting.height)
    _pct(rows, 1, "pct_meeting", meeting.height, active.height)

    held = int(gs13["cases_gs13"].sum()) if gs13.height else 0
    ros = gs13.height
    raw = Decimal(held) / minimum if minimum else Decimal(0)
    supported = _round(raw, params.ros_supported_rounding)
    needed = ros * minimum
    for basis, need, roster in (
            ("unadjusted", needed, Decimal(ros)),
            ("adjusted", sum(minimum_cases(scaled(base_min, r["adjustment_pct"]), params)
                             for r in gs13.iter_rows(named=True)),
             sum((Decimal(100 - r["adjustment_pct"]) / 100 for r in gs13.iter_rows(named=True)),
                 Decimal(0)))):
        rows.add(2, "held", held, basis)
        rows.add(2, "needed", need, basis)
        rows.add(2, "shortfall", max(need - held, 0), basis)
        rows.add(2, "supported_unrounded", raw, basis, held, minimum)
        rows.add(2, "supported", supported, basis)
        rows.add(2, "roster", roster, basis)
        rows.add(2, "not_supported", max(roster - supported, 0), basis)
    flags = []
    if supported < ros:
        scope = scope_of(sorted(measured["group"].unique().to_list()))
        flags.append(Flag("90", key_kind="run", group=scope,
                          detail=f"GS-13 CASEWORK ({held} CASES) SUPPORTS {supported} OF {ros} "
                          f"GS-13 ROS (MINIMUM {minimum} EACH)", count=held,
                          limit=ros, days=supported))

    gs13_cases = graded.filter(pl.col("case_grade") == "13")
    reviewed = gs13_cases.filter("reviewed")
    unwarranted = gs13_cases.filter("not_warranted")
    if reviewed.height:
        rate = Decimal(unwarranted.height) / reviewed.height
        estimate = half_up(held * rate, 0)
        net = held - int(estimate)
        net_raw = Decimal(net) / minimum if minimum else Decimal(0)
        net_supported = _round(net_raw, params.ros_supported_rounding)
        rows.add(2, "review_rate", pct(unwarranted.height, reviewed.height), "net",
                 unwarranted.height, reviewed.height)
        rows.add(2, "unwarranted_unrounded", held * rate, "net", held, None)
        rows.add(2, "unwarranted", estimate, "net")
        rows.add(2, "held", net, "net")
        rows.add(2, "supported_unrounded", net_raw, "net", net, minimum)
        rows.add(2, "supported", net_supported, "net")
        rows.add(2, "roster", ros, "net")
        rows.add(2, "not_supported", max(ros - net_supported, 0), "net")

    _table3(rows, gs13_cases, params.factors_required)
    _table4(rows, graded, need=params.factors_required)
    _table5(rows, forecasts, held, supported)
    return rows.frame(), flags


def _table3(rows: _Rows, cases: pl.DataFrame, need: int) -> None:
    n = cases.height
    undocumented = cases.filter("undocumented")
    rows.add(3, "gs13_cases", n)
    rows.add(3, "manually_graded", cases.filter("manual").height)
    # what code 82 counts: manually graded cases only (a systemic grade documents no factors)
    _pct(rows, 3, "undocumented_no_reason", undocumented.filter("manual").height, n)
    rows.add(3, "fewer_with_reason", cases.filter(
        pl.col("reason") & (pl.col("documented").list.len() < need)).height)
    reviewed = cases.filter("reviewed")
    rows.add(3, "reviewed", reviewed.height)
    _pct(rows, 3, "not_warranted", cases.filter("not_warranted").height, reviewed.height)
    undoc_reviewed = undocumented.filter("reviewed")
    rows.add(3, "undocumented_confirmed",
             undoc_reviewed.filter(~pl.col("not_warranted")).height, "", None,
             undoc_reviewed.height)
    rows.add(3, "missing_subelement", cases.filter("missing_sub").height)
    proper = cases.filter(~pl.col("undocumented"))
    rows.add(3, "properly_documented", proper.height)
    for f in FACTORS:
        cited = proper.filter(pl.col("documented").list.contains(f)).height
        _pct(rows, 3, f"factor_{f}", cited, proper.height)
    subs = proper.filter(pl.col("documented").list.contains(2))["sub_f2"].to_list()
    for letter in SUBELEMENTS_2:
        rows.add(3, f"factor_2_{letter}", sum(letter in s for s in subs))


def _table4(rows: _Rows, graded: pl.DataFrame, need: int) -> None:
    """Codes 84 and 85 judge a lower-graded case on the factors a review confirmed, or on
    those documented when it was not reviewed: the rows count both, as the codes do."""
    lower = graded.filter(pl.col("case_grade") != "13")
    n = lower.height
    rows.add(4, "lower_reviewed", lower.filter("reviewed").height)
    rows.add(4, "lower_documented_only", lower.filter(~pl.col("reviewed")).height)
    _pct(rows, 4, "lower_three_or_more", lower.filter(pl.col("meets") >= need).height, n)
    _pct(rows, 4, "lower_exactly_two", lower.filter(pl.col("meets") == need - 1).height, n)
    gs13 = graded.filter(pl.col("case_grade") == "13")
    by_lower = gs13.filter(pl.col("holder_grade").is_not_null()
                           & (pl.col("holder_grade") < "13") & (pl.col("holder_grade") != ""))
    rows.add(4, "gs13_held_by_lower", by_lower.height)
    for measure, column in (("avg_days_since_regrade", "days_since_regrade"),
                            ("avg_days_since_first", "days_since_first")):
        total = by_lower[column].drop_nulls()
        rows.add(4, measure, half_up(Decimal(int(total.sum())) / total.len(), 1)
                 if total.len() else None, "", int(total.sum()), total.len())
    by_gs13 = gs13.filter(pl.col("holder_grade") == "13")
    first_lower = by_gs13.filter(pl.col("first_grade") < "13")
    _pct(rows, 4, "gs13_first_worked_lower", first_lower.height, by_gs13.height)
    days = first_lower["days_before_reassignment"]
    rows.add(4, "avg_days_before_reassignment",
             half_up(Decimal(int(days.sum())) / days.len(), 1) if days.len() else None, "",
             int(days.sum()), days.len())


def _table5(rows: _Rows, forecasts: pl.DataFrame, held: int, supported: int) -> None:
    for f in forecasts.iter_rows(named=True):
        basis = f"{f['scope']} {f['period_end_v']:%m/%d/%Y}"
        rows.add(5, "forecast_cases", f["forecast_cases_v"], basis)
        rows.add(5, "actual_cases", held, basis)
        rows.add(5, "variance_cases", held - f["forecast_cases_v"], basis)
        rows.add(5, "forecast_ros", f["forecast_ros_v"], basis)
        rows.add(5, "actual_ros_supported", supported, basis)
        rows.add(5, "variance_ros", supported - f["forecast_ros_v"], basis)
