"""Forms 6489, IPR adjustments (IRM 3.30.28.4.5): act on one employee cum job record each.

The record is the one for the form's SSN, OFP (items 5-7), grade (item 17) and quarter; the
adjustment code picks the quarter and the action (rules.md):

    code  quarter               action
    1     current               zero every figure, keep the record (message 2)
    2     current               create the record (message 1)
    3     current               substitute the figures given (message 3)
    4     current               add the signed figures given (message 3)
    9, A  first prior           zero (message 2)
    B     first prior           create (message 1)
    C     first prior           substitute (message 3)
    D     first prior           add (message 3)

Our readings:
* The current quarter is the quarter of the run's Saturday; in the split week ending
  01/03/2026 that is the quarter ending 03/31/2026, and the one ending 12/31/2025 is the first
  prior. Item 19 quarter ending (YYYYMM), when present, must name that quarter (A07).
* Item 17 grade names the record; R/C (item 18) must agree with it: 1 only on the employee's
  current-grade record, 2 only on a prior-grade one. A create with R/C 1 needs the grade to be
  the employee's current grade (or the employee to have no current-grade record yet); with R/C
  2, a grade other than the current one (A11).
* Signed figures are lenient zone-punched (a plain last digit is an increase); a blank figure is
  no change (create: 0). Hours and volume go to the learning-curve figures when the time code
  (item 21) is 2 or M/C TEPS (item 16) is 5, "adjustments to learning curve information",
  else to the direct ones; documents reviewed and in error always to theirs.
* A form that would leave any figure negative, or errors above documents reviewed, changes
  nothing (message 4, A12/A13). Zeroing ignores the figures on the form.
* Zeroing (1, 9, A) sets every figure of the record to zero and keeps the record, its record
  code and step: rules.md and the IRM say "zero", so a later 4/D (or 3/C) still finds a
  record to adjust. The message stays 2 ("deleted"), the legacy wording for it.
* The prefix must be Form 6489's (format 060, columns 9-15 blank: A15); items 15, 16, 21 and
  22 may be blank but otherwise must be one of their codes (A16), step two digits (A17) and
  item 19's week ending a date (A18). Only the fields a form uses are required.
* Forms apply after the week's 3081s and reviews post, in deck order; two forms for the same
  record apply one after the other (a create then an add both take effect).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.cum_jobs import (
    CUM_COLUMNS,
    CUM_KEY,
    CUM_SCHEMA,
    FIGURES,
    OVERHEAD,
    OVERHEAD_CODE,
)
from pipelines.engine.qap.individual.reference import OFP_KEY
from validators import codes
from validators import ipr_6489 as v6489
from validators.ipr_6489 import ADD, CREATE, SIGNED, SUBSTITUTE, ZERO

CURRENT_CODES = {"1": ZERO, "2": CREATE, "3": SUBSTITUTE, "4": ADD}
PRIOR_CODES = {"9": ZERO, "A": ZERO, "B": CREATE, "C": SUBSTITUTE, "D": ADD}

ADJUSTMENT_COLUMNS = [
    "seq", "deck_no", "line_no", "ssn", "last_name", *OFP_KEY, "grade", "record_code",
    "adjustment_code", "action", "quarter_end", "quarter_ending", "form_week_ending", "step",
    "time_code", "class_code", "measured_pca", "measured_teps",
    *[f"{k}_raw" for k in SIGNED], *[f"{k}_change" for k in SIGNED],
    "message_code", "message", "reason_codes", "reason",
    *[f"before_{f}" for f in FIGURES], *[f"after_{f}" for f in FIGURES],
]


@dataclass(frozen=True)
class AdjustmentResult:
    cum_jobs: pl.DataFrame  # CUM_COLUMNS after the forms applied
    adjustments: pl.DataFrame  # ADJUSTMENT_COLUMNS, one row per Form 6489 in deck order


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).str.strip_chars()


def normalize(forms: pl.DataFrame, saturday: dt.date) -> pl.DataFrame:
    """Typed forms with their action and target quarter; `forms` is decode(prefix, form6489)."""
    for name, dtype in (("deck_no", pl.UInt16), ("line_no", pl.UInt32)):
        if name not in forms.columns:
            forms = forms.with_columns(pl.lit(None, dtype).alias(name))
    current = periods.quarter_end(saturday)
    prior = periods.first_prior_quarter_end(current)
    code = pl.col("adjustment_code")
    return forms.with_row_index("seq").select(
        "seq", "deck_no", "line_no", "ssn", _text("last_name").alias("last_name"), *OFP_KEY,
        "grade", "record_code", "adjustment_code",
        code.replace_strict(CURRENT_CODES | PRIOR_CODES, default=None, return_dtype=pl.String)
        .alias("action"),
        pl.when(code.is_in(list(CURRENT_CODES))).then(pl.lit(current, pl.Date))
        .when(code.is_in(list(PRIOR_CODES))).then(pl.lit(prior, pl.Date)).alias("quarter_end"),
        "quarter_ending", pl.col("week_ending_v").alias("form_week_ending"),
        _text("step").alias("step"), "time_code", "class_code", "measured_pca",
        "measured_teps", v6489.form_prefix_ok().alias("_prefix_ok"),
        pl.col("week_ending").alias("week_ending_raw"),
        *[pl.col(f).alias(f"{k}_raw") for k, f in SIGNED.items()],
        *[pl.col(f"{f}_v").alias(f"{k}_change") for k, f in SIGNED.items()])


def static_checks(ofp: pl.DataFrame | None, employees: pl.DataFrame | None = None
                  ) -> list[tuple[str, pl.Expr]]:
    """(code, true when the form fails) of the checks that need no cum job record."""
    return [(r.code, r.fires()) for r in v6489.static_rules(ofp is not None,
                                                             employees is not None)]


def _reasons(checks: list[tuple[str, pl.Expr]]) -> pl.Expr:
    return pl.concat_list([pl.when(bad.fill_null(True)).then(pl.lit(code))
                           for code, bad in checks]).list.drop_nulls()


def _form_value(figure: str) -> pl.Expr:
    """The form's figure for one cum job figure (hours/volume routed by time code or TEPS 5)."""
    lc = (pl.col("time_code") == "2") | (pl.col("measured_teps") == "5")
    if figure in ("hours_tenths", "volume"):
        return pl.when(~lc).then(pl.col(f"{figure.split('_')[0]}_change"))
    if figure in ("lc_hours_tenths", "lc_volume"):
        return pl.when(lc).then(pl.col(f"{figure.split('_')[1]}_change"))
    return pl.col(f"{figure}_change")


def _after(figure: str) -> pl.Expr:
    new, old = _form_value(figure), pl.col(f"before_{figure}")
    action = pl.col("action")
    return (pl.when(action == ZERO).then(0)
            .when(action == CREATE).then(new.fill_null(0))
            .when(action == SUBSTITUTE).then(pl.coalesce(new, old))
            .otherwise(old + new.fill_null(0))).alias(f"after_{figure}")


def _overhead_after() -> pl.Expr:
    """The overhead part of the hours after the form (our reading, docs/decisions.md): a form
    with time code 3 moves it with the hours (adds to it, or sets it on a substitution or a
    new record); a form with another code leaves it, but never above the hours after."""
    new = pl.when(pl.col("time_code") == OVERHEAD_CODE).then(pl.col("hours_change"))
    old, action = pl.col(f"before_{OVERHEAD}"), pl.col("action")
    value = (pl.when(action == ZERO).then(0)
             .when(action == CREATE).then(new.fill_null(0))
             .when(action == SUBSTITUTE).then(pl.coalesce(new, old))
             .otherwise(old + new.fill_null(0)))
    return pl.when(value.is_not_null()).then(pl.min_horizontal(
        value, pl.col("after_hours_tenths"))).alias(f"after_{OVERHEAD}")  # unknown stays so


def _apply_round(state: pl.DataFrame, forms: pl.DataFrame, saturday: dt.date
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply forms that each target a different record; returns (state, forms checked)."""
    current = state.filter(pl.col("record_code") == "1").group_by("ssn").agg(
        pl.col("grade").first().alias("current_grade"))
    before = state.select(*CUM_KEY, pl.col("record_code").alias("on_file_code"),
                          pl.col("step").alias("on_file_step"), "last_posted",
                          *[pl.col(f).alias(f"before_{f}") for f in [*FIGURES, OVERHEAD]])
    j = forms.join(before, on=CUM_KEY, how="left", maintain_order="left").join(
        current, on="ssn", how="left", maintain_order="left")
    j = j.with_columns(*[_after(f) for f in FIGURES]).with_columns(_overhead_after())
    action, rc = pl.col("action"), pl.col("record_code")
    dynamic = [(r.code, r.fires()) for r in v6489.cum_rules(FIGURES)]
    j = j.with_columns(_reasons([(c, e.fill_null(False)) for c, e in dynamic])
                       .alias("reason_codes"))
    ok = j.filter(pl.col("reason_codes").list.len() == 0)
    kept = ok.select(
        *CUM_KEY,
        pl.when(action == CREATE).then(rc).otherwise(pl.col("on_file_code"))
        .alias("record_code"),
        pl.when(action == CREATE).then(pl.col("step")).otherwise(pl.col("on_file_step"))
        .alias("step"),
        *[pl.col(f"after_{f}").alias(f) for f in FIGURES],
        "last_posted", pl.lit(saturday, pl.Date).alias("last_adjusted"),
        pl.col(f"after_{OVERHEAD}").alias(OVERHEAD)).select(CUM_COLUMNS)
    state = pl.concat([state.join(ok.select(CUM_KEY), on=CUM_KEY, how="anti"),
                       kept.cast(CUM_SCHEMA)])
    return state, j


def apply_adjustments(cum_jobs: pl.DataFrame, forms: pl.DataFrame, week_ending: dt.date, *,
                      ofp: pl.DataFrame | None = None, employees: pl.DataFrame | None = None
                      ) -> AdjustmentResult:
    """Apply decoded Forms 6489 (`decode(records, prefix, form6489)`) in deck order.

    `ofp` is `reference.ofp_table(...)`; without it an OFP is only checked for digits.
    `employees` (with `ssn`) is the Employee Master File; without it A14 is not checked.
    """
    f = normalize(forms, week_ending)
    if ofp is not None:
        f = f.join(ofp.select(*OFP_KEY, pl.lit(True).alias("_on_ofp")), on=OFP_KEY, how="left",
                   maintain_order="left").with_columns(pl.col("_on_ofp").fill_null(False))
    if employees is not None:
        f = f.with_columns(pl.col("ssn").is_in(employees["ssn"].implode()).alias("_on_emf"))
    f = f.with_columns(_reasons(static_checks(ofp, employees)).alias("reason_codes"))
    clean = pl.col("reason_codes").list.len() == 0
    todo = f.filter(clean).with_columns(
        pl.int_range(1, pl.len() + 1).over(CUM_KEY, order_by="seq").alias("round"))
    state = cum_jobs.select(CUM_COLUMNS)
    done = [f.filter(~clean)]
    for k in range(1, int(todo["round"].max() or 0) + 1):
        state, checked = _apply_round(state, todo.filter(pl.col("round") == k), week_ending)
        done.append(checked)
    out = pl.concat(done, how="diagonal_relaxed").sort("seq")
    return AdjustmentResult(cum_jobs=state.sort(CUM_KEY), adjustments=_report_rows(out))


def _report_rows(out: pl.DataFrame) -> pl.DataFrame:
    for f in FIGURES:
        for side in ("before", "after"):
            if f"{side}_{f}" not in out.columns:
                out = out.with_columns(pl.lit(None, pl.Int64).alias(f"{side}_{f}"))
    failed = pl.col("reason_codes").list.len() > 0
    message = (pl.when(failed).then(pl.lit(codes.ERROR))
               .when(pl.col("action") == ZERO).then(pl.lit(codes.DELETED))
               .when(pl.col("action") == CREATE).then(pl.lit(codes.ADDED))
               .otherwise(pl.lit(codes.ADJUSTED)))
    out = out.with_columns(message.alias("message_code")).with_columns(
        pl.col("message_code").replace_strict(codes.MESSAGES, return_dtype=pl.String)
        .alias("message"),
        pl.col("reason_codes").list.first().replace_strict(
            codes.ADJUSTMENT_REASONS, default=None, return_dtype=pl.String).alias("reason"),
        # A failed form changed nothing: its "after" is its "before".
        *[pl.when(failed).then(pl.col(f"before_{f}")).otherwise(pl.col(f"after_{f}"))
          .alias(f"after_{f}") for f in FIGURES])
    return out.select(ADJUSTMENT_COLUMNS)
