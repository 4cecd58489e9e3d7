"""Defects by code, per OFP, split by who they are charged to: the data of the QA Unit/Group
Report and the Periodic Defect Frequency OFP Summary (IRM 3.30.28.4.2.4(3)).

Each accepted review line with a defect code is charged (the same reading as `review_data`):

* ``unit_review`` -- a unit/group transaction (`#`, the all-zero SSN, or no SSN): the unit's;
* ``unit_moved`` -- a 900-909 (procedural, systemic or organizational) or 930-999 (local) code
  on an individual transaction: the unit's, never the employee's;
* ``employee`` -- any other code on an individual transaction.

Apart from the charge, `possible_identical` counts the employee defects on samples that look
like multiple identical defects (every document defective, one code: run 03's warning, the
``identical`` rows of `unit_group`); the manager decides whether all but one belong to the
unit/group (IRM 3.30.28.4.2.2(5)), so the QA Unit/Group Report lists them beside its charges.

State: `defect_charges`, one row per fiscal quarter end, OFP and defect code (CHARGE_COLUMNS)
with the defects of each charge; each week adds its lines (a reprocess adds its re-input lines,
as the Cumulative Data File does); quarters older than KEEP_QUARTERS before the week are let go.
Adjustments (program 59706) change the Cumulative Data File only and are not in it.

Frames for the reports (`frequency`): per scope (``period`` = a week's period, two in a week a
quarter end splits; ``quarter`` = quarter to date), OFP and code: defects in all, the split,
and the Pareto figures. The 900-909 codes are ranked apart (section ``procedural``) so that
their use stands out instead of sitting inside the employee codes' ranking: in each section
codes are ranked by defects (most first, then code), share = defects / the section's defects
and running share = the running sum of defects / the section's defects, both in hundredths of
a percent, half up (so the last running share is 100.00).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.reference import OFP_KEY
from pipelines.engine.qap.individual.review_data import UNIT_SSN
from validators.pce_03_41 import LOCAL_CODES, PROCEDURAL_CODES, code_in, unit_group_code

CHARGES = ("employee", "unit_review", "unit_moved")
IDENTICAL = "possible_identical"
FIGURES = (*CHARGES, IDENTICAL)
CHARGE_KEY = ["quarter_end", *OFP_KEY, "defect_code"]
CHARGE_SCHEMA: dict[str, pl.DataType] = {
    "quarter_end": pl.Date(), "org_code": pl.String(), "function_code": pl.String(),
    "program_code": pl.String(), "defect_code": pl.String(),
    **{c: pl.Int64() for c in FIGURES},
}
CHARGE_COLUMNS = list(CHARGE_SCHEMA)
KEEP_QUARTERS = 5
FREQUENCY_COLUMNS = [
    "scope", "period_start", "period_end", "quarter_end", *OFP_KEY, "section", "rank",
    "defect_code", "description", "defects", "employee", "unit_review", "unit_moved",
    "unit_group", "local", IDENTICAL, "share", "running_share", "ofp_defects", "ofp_employee",
    "ofp_unit_group", "ofp_procedural", "procedural_share",
]


def empty_charges() -> pl.DataFrame:
    return pl.DataFrame(schema=CHARGE_SCHEMA)


def charged_lines(reviews: pl.DataFrame, saturday: dt.date) -> pl.DataFrame:
    """One row per coded review line: week_ending, period_end, quarter_end, OFP, defect_code,
    defects, `charge` (CHARGES) and `identical` (a possible multiple identical defect).
    `reviews`: run 03's accepted review lines, all of them."""
    first = reviews.filter("starts").select(
        "unit", (pl.col("unit_charge") | pl.col("ssn").is_null()
                 | (pl.col("ssn") == UNIT_SSN)).alias("_unit"))
    coded = reviews.filter(pl.col("defect_code").is_not_null()).join(
        first, on="unit", how="left", maintain_order="left")
    charge = (pl.when(pl.col("_unit").fill_null(True)).then(pl.lit("unit_review"))
              .when(unit_group_code()).then(pl.lit("unit_moved"))
              .otherwise(pl.lit("employee")))
    return coded.select(
        "week_ending", periods.period_end_expr(pl.col("week_ending"), saturday)
        .alias("period_end"), periods.quarter_end_expr(pl.col("week_ending"))
        .alias("quarter_end"), *OFP_KEY, "defect_code",
        pl.col("defects").fill_null(0).cast(pl.Int64), charge.alias("charge"),
        (pl.col("starts") & pl.col("warning").fill_null(False) & (charge == "employee"))
        .alias("identical"))


def _wide(lines: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Defects per `keys` with one column per charge, and the possible identical ones."""
    return lines.group_by(keys).agg(
        *[pl.col("defects").filter(pl.col("charge") == c).sum().alias(c) for c in CHARGES],
        pl.col("defects").filter("identical").sum().alias(IDENTICAL))


def add_week(charges: pl.DataFrame | None, lines: pl.DataFrame, saturday: dt.date
             ) -> pl.DataFrame:
    """The state after the week: its `charged_lines` added per quarter, OFP and code."""
    old = empty_charges() if charges is None else charges.select(CHARGE_COLUMNS).cast(
        CHARGE_SCHEMA)
    both = pl.concat([old, _wide(lines, CHARGE_KEY).select(CHARGE_COLUMNS).cast(CHARGE_SCHEMA)])
    oldest = periods.quarter_end(saturday - dt.timedelta(days=6))
    for _ in range(KEEP_QUARTERS - 1):
        oldest = periods.first_prior_quarter_end(oldest)
    return both.group_by(CHARGE_KEY).agg(pl.col(list(FIGURES)).sum()).filter(
        pl.col("quarter_end") >= pl.lit(oldest, pl.Date)).sort(CHARGE_KEY)


def _pareto(rows: pl.DataFrame, group: list[str]) -> pl.DataFrame:
    """Rank, share and running share (hundredths) within `group` + section."""
    within = [*group, "section"]
    ranked = rows.sort([*within, "defects", "defect_code"],
                       descending=[False] * len(within) + [True, False])
    total = pl.col("defects").sum().over(within)
    running = pl.col("defects").cum_sum().over(within)
    return ranked.with_columns(
        pl.int_range(1, pl.len() + 1).over(within).alias("rank"),
        periods.div_half_up(pl.col("defects") * 10_000, total).alias("share_h"),
        periods.div_half_up(running * 10_000, total).alias("running_h"))


def frequency(by_scope: pl.DataFrame, dcf: pl.DataFrame | None = None) -> pl.DataFrame:
    """Report rows from defects per scope key (scope, period_start, period_end, quarter_end),
    OFP and code with FIGURES columns. `dcf`: the Defect Code File (descriptions)."""
    group = ["scope", "period_start", "period_end", "quarter_end", *OFP_KEY]
    rows = by_scope.with_columns(
        (pl.col("employee") + pl.col("unit_review") + pl.col("unit_moved")).alias("defects"),
        (pl.col("unit_review") + pl.col("unit_moved")).alias("unit_group"),
        pl.when(code_in("defect_code", PROCEDURAL_CODES)).then(pl.lit("procedural"))
        .otherwise(pl.lit("defects")).alias("section"),
        code_in("defect_code", LOCAL_CODES).alias("local"),
    ).filter(pl.col("defects") > 0)
    proc = pl.col("section") == "procedural"
    rows = _pareto(rows, group).with_columns(
        pl.col("defects").sum().over(group).alias("ofp_defects"),
        pl.col("employee").sum().over(group).alias("ofp_employee"),
        pl.col("unit_group").sum().over(group).alias("ofp_unit_group"),
        pl.col("defects").filter(proc).sum().over(group).alias("ofp_procedural"))
    rows = rows.with_columns(pl.col("ofp_procedural").fill_null(0)).with_columns(
        periods.div_half_up(pl.col("ofp_procedural") * 10_000, pl.col("ofp_defects"))
        .alias("procedural_h"))
    desc = (dcf.select("defect_code", "description") if dcf is not None
            else pl.DataFrame(schema={"defect_code": pl.String, "description": pl.String}))
    out = rows.join(desc, on="defect_code", how="left", maintain_order="left")
    return out.with_columns(
        *[(pl.col(h).cast(pl.Float64) / 100).round(2).alias(name) for name, h in
          (("share", "share_h"), ("running_share", "running_h"),
           ("procedural_share", "procedural_h"))],
    ).sort([*group, pl.col("section") == "procedural", "rank"]).select(
        *FREQUENCY_COLUMNS, "share_h", "running_h", "procedural_h")


def week_frequency(lines: pl.DataFrame, charges: pl.DataFrame, saturday: dt.date,
                   dcf: pl.DataFrame | None = None) -> pl.DataFrame:
    """`frequency` for the week's periods (from `lines`) and, for each quarter the week's
    periods fall in, quarter to date (from the state `charges` after the week)."""
    scopes = []
    for p in periods.week_periods(saturday):
        week = lines.filter(pl.col("period_end") == pl.lit(p.end, pl.Date))
        scopes.append(_wide(week, [*OFP_KEY, "defect_code"]).with_columns(
            pl.lit("period").alias("scope"), pl.lit(p.start, pl.Date).alias("period_start"),
            pl.lit(p.end, pl.Date).alias("period_end"),
            pl.lit(p.quarter_end, pl.Date).alias("quarter_end")))
    for q_end in sorted({periods.quarter_end(d) for d in periods.record_dates(saturday)}):
        start = periods.first_prior_quarter_end(q_end) + dt.timedelta(days=1)
        upto = min(q_end, saturday)
        qtd = charges.filter(pl.col("quarter_end") == pl.lit(q_end, pl.Date))
        scopes.append(qtd.drop("quarter_end").with_columns(
            pl.lit("quarter").alias("scope"), pl.lit(start, pl.Date).alias("period_start"),
            pl.lit(upto, pl.Date).alias("period_end"),
            pl.lit(q_end, pl.Date).alias("quarter_end")))
    cols = ["scope", "period_start", "period_end", "quarter_end", *OFP_KEY, "defect_code",
            *FIGURES]
    both = pl.concat([s.select(cols).cast({c: pl.Int64 for c in FIGURES}) for s in scopes])
    return frequency(both, dcf)


def run_weeks(reviews: pl.DataFrame, charges: pl.DataFrame | None,
              dcf: pl.DataFrame | None = None
              ) -> tuple[pl.DataFrame | None, dict[dt.date, pl.DataFrame]]:
    """Every week the run's review lines are dated in, oldest first: (the state after them,
    {Saturday: `week_frequency`}). No review lines: the state unchanged and no week."""
    dates = reviews["week_ending"].drop_nulls().unique()  # a few dates, not a million lines
    weeks = sorted({periods.saturday_of(d) for d in dates})
    out: dict[dt.date, pl.DataFrame] = {}
    for saturday in weeks:
        sunday = saturday - dt.timedelta(days=6)
        mine = reviews.filter(pl.col("week_ending").is_between(
            pl.lit(sunday, pl.Date), pl.lit(saturday, pl.Date)))
        lines = charged_lines(mine, saturday)
        charges = add_week(charges, lines, saturday)
        out[saturday] = week_frequency(lines, charges, saturday, dcf)
    return charges, out
