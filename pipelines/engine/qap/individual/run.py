"""The individual data step of the weekly run for one week, as plain functions: `calculate`.

Steps, in order: check the week's Forms 3081; match individual reviews to them; post both to the
employee cum job records; apply the Forms 6489; build the IPR, the SAR (one per period) and the
Weekly Data Not Posted list. The printed reports are laid out by the report stage
(`pipelines.reports.individual_week`, whose `run_individual` runs one whole week).

Parquet outputs (`IndividualResult.frames`; name -> columns). Every `ssn` column holds the FULL
SSN: these files are sensitive (taxpayer and employee data) and must be stored and shared as
such; only the printed reports mask it.

* ``cum-jobs`` -- one row per SSN, OFP, grade and fiscal quarter: ssn, org_code, function_code,
  program_code, grade, quarter_end (Date), record_code ("1" current / "2" prior grade), step,
  hours_tenths, volume, lc_hours_tenths, lc_volume, reviewed, errors, last_posted,
  last_adjusted, overhead_hours_tenths (the overhead part of hours_tenths; null when read
  from a generation written before it). The state to carry to next week's
  `run_individual(cum_jobs=...)`.
* ``individual-weekly`` -- this week's figures, one row per SSN, OFP, grade and week ending date:
  ssn, org_code, function_code, program_code, grade, week_ending, period_end, quarter_end, step,
  hours_tenths, volume, lc_hours_tenths, lc_volume, reviewed, errors.
* ``ipr`` -- one row per measured employee and line of the IPR: ssn, last_name, first_name,
  middle_initial, assigned_org, emf_grade, emf_step, class_code, plan, work_status,
  measured_since, rating_start, scope ("week" / "quarter"), week_ending (null for quarter),
  quarter_end, org_code, function_code, program_code, grade, step, record_code (null for week),
  qpc, hours_tenths, volume, lc_hours_tenths, lc_volume, reviewed, errors, standard, rate,
  pct_standard, pct_accurate (Float64, 2 decimals, null when the divisor is 0).
* ``ipr-adjustments`` -- one row per Form 6489 in deck order: seq, deck_no, deck, line_no, ssn,
  last_name, org_code, function_code, program_code, grade, record_code, adjustment_code, action,
  quarter_end (the quarter acted on), quarter_ending (item 19 as sent), form_week_ending, step,
  time_code, class_code, measured_pca, measured_teps, hours_raw, volume_raw, reviewed_raw,
  errors_raw, hours_change, volume_change, reviewed_change, errors_change, message_code,
  message, reason_codes (list), reason, before_<figure> and after_<figure> for hours_tenths,
  volume, lc_hours_tenths, lc_volume, reviewed, errors.
* ``sar`` -- one row per period, employee, QPC and grade: report_number, report_count,
  period_start, period_end, week_ending, assigned_org, class_code, last_name, first_name,
  middle_initial, ssn, grade, step, qpc, volume_week, volume_quarter, volume_rating, rsd, ras,
  reviewed_week, reviewed_quarter, reviewed_rating, remaining, reviews_requested (the sample
  request in force; null without sample selection), errors_week, errors_quarter, errors_rating
  (Float64), pct_accurate (rating period), reviews_this_week, pulls_this_week (the days of
  the week with a pull; null without sample selection).
* ``unit-group`` -- one row per finding the unit/group owns on the week's individual review
  transactions (`unit_group`), in deck order: deck_no, deck, line_no, ssn, week_ending,
  org_code, function_code, program_code, kind ("procedural" 900-909, "local" 930-999,
  "identical" a possible multiple identical defect), defect_code, defects (the line's), sampled,
  defective (the transaction's), employee_errors (charged to the employee), to_unit_group.
* ``data-not-posted`` -- source ("3926" / "3081"), deck_no, deck, line_no, ssn, week_ending
  (MMDDYYYY as sent), org_code, function_code, program_code, grade, step, time_code, hours,
  volume (3081 fields as sent), reviewed, errors (reviews), reason_codes (list), reason, text.

Printed reports (`IndividualResult.pages`; name -> `paginate` frame): ``ipr``,
``ipr-adjustments``, ``data-not-posted`` and ``sar-MMDDYYYY`` per period (two in a split week).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from layouts import layout
from layouts.decoder import decode
from pipelines.engine.qap.individual import cum_jobs as cj
from pipelines.engine.qap.individual import ipr as ipr_data
from pipelines.engine.qap.individual import not_posted as dnp
from pipelines.engine.qap.individual import periods, reference, sar_requests, time_reports
from pipelines.engine.qap.individual import sar as sar_data
from pipelines.engine.qap.individual import unit_group as ug
from pipelines.engine.qap.individual.ipr_adjustments import ADJUSTMENT_COLUMNS, apply_adjustments

TIME_PROGRAM, ADJUSTMENT_PROGRAM = "59600", "59602"


def _with_deck(columns: list[str]) -> list[str]:
    at = columns.index("deck_no") + 1
    return [*columns[:at], "deck", *columns[at:]]


OUTPUT_COLUMNS: dict[str, list[str]] = {
    "cum-jobs": cj.CUM_COLUMNS,
    "individual-weekly": cj.WEEK_COLUMNS,
    "ipr": ipr_data.IPR_COLUMNS,
    "ipr-adjustments": _with_deck(ADJUSTMENT_COLUMNS),
    "sar": [*sar_data.SAR_COLUMNS, *sar_requests.COLUMNS],
    "data-not-posted": _with_deck(dnp.NOT_POSTED_COLUMNS),
    "unit-group": _with_deck(ug.UNIT_GROUP_COLUMNS),
}


def name_decks(rows: pl.DataFrame, deck_names: Sequence[str] = ()) -> pl.DataFrame:
    """`deck` (the file name) beside `deck_no` (the deck's place in the run's list of accepted
    decks, from 0): an operator correcting a record looks for a file, not a number. Null when
    the names are not given; a frame that has `deck` already is kept as it is."""
    if "deck" in rows.columns:
        return rows
    if not deck_names or rows.height == 0:
        return rows.with_columns(pl.lit(None, pl.String).alias("deck"))
    return rows.with_columns(pl.Series("deck", list(deck_names), pl.String)
                             .gather(rows.get_column("deck_no")))


def split_individual(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decoded (Forms 3081, Forms 6489) from deck records already decoded with the prefix."""
    program = pl.col("program_number")
    return (decode(records.filter(program == TIME_PROGRAM), layout.load("form3081")),
            decode(records.filter(program == ADJUSTMENT_PROGRAM), layout.load("form6489")))


@dataclass(frozen=True)
class WeekFrames:
    """Everything `run_individual` computes for one week, before printing. The `ipr` and `sar`
    frames still carry the figures in hundredths that the printed reports read."""

    week_ending: dt.date
    employees: pl.DataFrame  # reference.employees_table
    cum_jobs: pl.DataFrame
    weekly: pl.DataFrame
    ipr: pl.DataFrame
    adjustments: pl.DataFrame
    sar: pl.DataFrame
    not_posted: pl.DataFrame
    time_rejected: pl.DataFrame  # `TimeCheck.rejected`: Forms 3081 that did not post (seq)
    history: pl.DataFrame  # the weekly figures kept (state), this week's included
    unit_group: pl.DataFrame  # `unit_group.unit_group_frame`: what the unit/group owns

    def frames(self) -> dict[str, pl.DataFrame]:
        """The Parquet outputs (OUTPUT_COLUMNS)."""
        frames = {
            "cum-jobs": self.cum_jobs, "individual-weekly": self.weekly, "ipr": self.ipr,
            "ipr-adjustments": name_decks(self.adjustments), "sar": self.sar,
            "data-not-posted": name_decks(self.not_posted),
            "unit-group": name_decks(self.unit_group),
        }
        return {name: frame.select(OUTPUT_COLUMNS[name]) for name, frame in frames.items()}


def calculate(*, week_ending: dt.date, employees: pl.DataFrame, ofp: pl.DataFrame,
              time_3081: pl.DataFrame, forms_6489: pl.DataFrame, reviews: pl.DataFrame,
              cum_jobs: pl.DataFrame | None = None, ras: int = periods.RAS,
              weekly_history: pl.DataFrame | None = None,
              posted_3081: pl.DataFrame | None = None,
              sampling: dict[str, pl.DataFrame | None] | None = None) -> WeekFrames:
    """The week's figures, no printing (arguments as `run_individual`; `posted_3081`: the
    Forms 3081 earlier runs posted, review_data.POSTED_3081, which reviews may meet;
    `sampling`: the store's `sample_requests` and `sampling_weeks`, for the SAR's Reviews
    Requested and This Week)."""
    sampling = sampling or {}
    periods.check_saturday(week_ending)
    emp = reference.employees_table(employees)
    ofps = reference.ofp_table(ofp)
    checked = time_reports.check(time_3081, week_ending, employees=emp, ofp=ofps)
    posting = cj.post_week_detail(cj.read_cum_jobs(cum_jobs),
                                  checked.valid, reviews, week_ending, posted_3081)
    adjusted = apply_adjustments(posting.cum_jobs, forms_6489, week_ending, ofp=ofps,
                                 employees=emp)
    history = cj.extend_history(weekly_history, posting.weekly, week_ending)
    return WeekFrames(
        week_ending=week_ending, employees=emp, cum_jobs=adjusted.cum_jobs,
        weekly=posting.weekly, adjustments=adjusted.adjustments,
        ipr=ipr_data.ipr_frame(emp, ofps, posting.weekly, adjusted.cum_jobs, week_ending),
        sar=sar_requests.fill(
            sar_data.sar_frame(emp, ofps, posting.weekly, adjusted.cum_jobs, week_ending, ras,
                               history),
            sampling.get("sample_requests"), sampling.get("sampling_weeks")),
        not_posted=dnp.not_posted_frame(posting.not_posted, checked.rejected),
        time_rejected=checked.rejected, history=history, unit_group=ug.unit_group_frame(reviews))


__all__ = ["OUTPUT_COLUMNS", "WeekFrames", "calculate", "name_decks", "split_individual"]
