"""The Sampling Accomplishment/Request Report as data (IRM 3.30.28.3, rules.md): one row per
period, employee, QPC and grade/step (SAR_COLUMNS).

Inclusion (all four, rules.md), with our readings:
* on a measured plan: Employee Master File plan M;
* in work status at the period end: work status W on the Employee Master File given to the run
  (the file is a snapshot; it has no history);
* past the learning curve on the work shown: a cum job record (SSN, OFP, grade) counts only when
  its OFP is measured on the OFP Consistency File and the employee is not under its learning
  curve, that is: learning-curve hours on it (time code 2, every quarter kept up to the
  period's) are none, or at least the OFP's learning-curve hours, or the employee also reports
  direct or overhead time on it (time reporting has moved off the learning curve, so a few
  stray learning-curve hours do not hide an experienced employee's work); work still under
  the learning curve is left out of every figure;
* reported volume in the rating period: a test of the employee, not of the row. The employee's
  rating-period volume (direct time) summed over the work that passes the tests above must be
  above zero; then each (QPC, grade) of that work prints when it has hours (direct, overhead or
  learning-curve) or volume in the rating period, so a QPC worked without volume still shows.

Figures: Last Week = the period's Forms 3081 and matched reviews (not Forms 6489); This Quarter
= the cum job records of the period's quarter; Rating Period = only the weeks whose week ending
falls in the rating period (IRM 3.30.28.3.2): the cum job records of the quarters it holds whole,
and for a quarter it starts inside, the kept weekly figures (`individual-weekly` history) of its
weeks from the rating start. Quarter figures include Forms 6489, and so do the rating figures of
whole quarters; a Form 6489 on the quarter a rating period starts inside is in This Quarter only
(a cum job record does not say which weeks it corrects). A row shows only for work with hours
or volume in the rating period so counted. The grade/step of a row is the grade of its records
and the step of the latest of them. RSD = RAS x weeks elapsed / 52 half up, weeks counted from
the exact rating-period start to this week's Saturday in both SARs of a split week.
RAS is per QPC, so Remaining = max(RAS - reviewed in the rating period on every printed row of
the employee's QPC, 0), the same on each grade's row; the row's own Reviewed stays per grade.
Percent accurate is over the rating period (per row). Reviews Requested is left empty for the
manager.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.qap.individual import cum_jobs as cj
from pipelines.engine.qap.individual import measures, periods
from pipelines.engine.qap.individual.reference import OFP_KEY

SAR_COLUMNS = [
    "report_number", "report_count", "period_start", "period_end", "week_ending",
    "assigned_org", "class_code", "last_name", "first_name", "middle_initial", "ssn", "grade",
    "step", "qpc", "volume_week", "volume_quarter", "volume_rating", "rsd", "ras",
    "reviewed_week", "reviewed_quarter", "reviewed_rating", "remaining", "reviews_requested",
    "errors_week", "errors_quarter", "errors_rating", "pct_accurate",
]
ROW_KEY = ["ssn", "qpc", "grade"]
SORT = ["assigned_org", "_not_permanent", "last_name", "first_name", "middle_initial", "ssn",
        "qpc", "grade"]
SCOPES = ("week", "quarter", "rating")
MEASURES = ("volume", "reviewed", "errors")


def _past_learning_curve(cum: pl.DataFrame, ofp: pl.DataFrame) -> pl.DataFrame:
    """(ssn, OFP, grade, qpc) of measured work the employee is past the learning curve on."""
    lc = cum.group_by("ssn", *OFP_KEY, "grade").agg(pl.col("lc_hours_tenths", "hours_tenths")
                                                      .sum())
    measured = ofp.filter(pl.col("measured_code") == "1").select(
        *OFP_KEY, "qpc", "learning_curve_hours")
    past = ((pl.col("lc_hours_tenths") == 0) | (pl.col("hours_tenths") > 0)
            | (pl.col("lc_hours_tenths") >= pl.col("learning_curve_hours") * 10))
    return lc.join(measured, on=OFP_KEY, how="inner").filter(past).select(
        "ssn", *OFP_KEY, "grade", "qpc")


def _shown_rows(totals: pl.DataFrame) -> pl.DataFrame:
    """Rows of employees with rating-period volume, on work they reported in the rating period.

    Volume qualifies the employee (rules.md); hours qualify the row (IRM: QPCs the employee
    reported hours on), so a QPC worked without volume is not hidden.
    """
    qualifies = pl.col("volume_rating").sum().over("ssn") > 0
    worked = (pl.col("_hours_rating") > 0) | (pl.col("volume_rating") > 0)
    return totals.filter(qualifies & worked).drop("_hours_rating")


def _remaining(ras: int) -> pl.Expr:
    """RAS less the QPC's rating-period reviews over all the employee's grades (RAS is per QPC)."""
    reviewed = pl.col("reviewed_rating").sum().over("ssn", "qpc")
    return (pl.lit(ras, pl.Int64) - reviewed).clip(lower_bound=0)


def _whole_quarter() -> pl.Expr:
    """The rating period starts on the first day of its quarter, so takes it whole."""
    start = pl.col("rating_start")
    return (start.dt.day() == 1) & start.dt.month().is_in([1, 4, 7, 10])


def _rating_records(records: pl.DataFrame, history: pl.DataFrame, work: pl.DataFrame,
                    emp: pl.DataFrame, q: pl.Expr) -> pl.DataFrame:
    """The figures of the rating period up to the quarter `q`, per SSN, OFP, grade: the cum job
    records of the quarters it holds whole (Forms 6489 included), and for a quarter it starts
    inside, the weeks of `history` whose week ending is on or after the rating start (cum job
    records do not say in which week a figure was earned)."""
    figures = ["ssn", *OFP_KEY, "grade", "qpc", *cj.FIGURES]
    whole = records.filter((pl.col("quarter_end") > pl.col("rating_quarter"))
                           | _whole_quarter()).select(figures)
    partial = history.filter(pl.col("quarter_end") <= q).join(
        emp.filter(~_whole_quarter()).select("ssn", "rating_start", "rating_quarter"),
        on="ssn", how="inner").filter(
        (pl.col("quarter_end") == pl.col("rating_quarter"))
        & (pl.col("week_ending") >= pl.col("rating_start"))).join(
        work, on=["ssn", *OFP_KEY, "grade"], how="inner").select(figures)
    return pl.concat([whole, partial.cast(dict(whole.schema))])


def period_rows(period: periods.Period, employees: pl.DataFrame, ofp: pl.DataFrame,
                weekly: pl.DataFrame, cum_jobs: pl.DataFrame, ras: int = periods.RAS,
                history: pl.DataFrame | None = None) -> pl.DataFrame:
    """The SAR rows of one period (unsorted, with `_not_permanent`). `history`: the weekly
    figures kept so far (`cum_jobs.extend_history`), this week's included; None reads as
    this week's alone."""
    history = weekly if history is None else history
    q = pl.lit(period.quarter_end, pl.Date)
    emp = employees.filter((pl.col("plan") == "M") & (pl.col("work_status") == "W")).select(
        "ssn", "assigned_org", "class_code", "last_name", "first_name", "middle_initial",
        periods.rating_start_expr(pl.col("rating_start"), period.saturday)
    ).with_columns(periods.quarter_end_expr(pl.col("rating_start")).alias("rating_quarter"))
    cum = cum_jobs.filter(pl.col("quarter_end") <= q).join(emp.select("ssn"), on="ssn",
                                                           how="semi")
    work = _past_learning_curve(cum, ofp)
    work_key = ["ssn", *OFP_KEY, "grade"]
    records = cum.join(work, on=work_key, how="inner").join(
        emp.select("ssn", "rating_start", "rating_quarter"), on="ssn", how="inner").filter(
        pl.col("quarter_end") >= pl.col("rating_quarter"))
    in_quarter = pl.col("quarter_end") == q
    totals = records.group_by(ROW_KEY).agg(
        *[pl.col(m).filter(in_quarter).sum().alias(f"{m}_quarter") for m in MEASURES],
        pl.col("step").sort_by("quarter_end", pl.col("last_posted").fill_null(dt.date.min))
        .last())
    rating = _rating_records(records, history, work, emp, q).group_by(ROW_KEY).agg(
        *[pl.col(m).sum().alias(f"{m}_rating") for m in MEASURES],
        (pl.col("hours_tenths") + pl.col("lc_hours_tenths")).sum().alias("_hours_rating"))
    totals = totals.join(rating, on=ROW_KEY, how="inner")
    week = weekly.filter(pl.col("period_end") == pl.lit(period.end, pl.Date)).join(
        work, on=["ssn", *OFP_KEY, "grade"], how="inner").group_by(ROW_KEY).agg(
        *[pl.col(m).sum().alias(f"{m}_week") for m in MEASURES])
    rows = _shown_rows(totals).join(week, on=ROW_KEY, how="left")
    weeks = periods.rating_weeks_expr(pl.col("rating_start"), period.saturday)
    return rows.join(emp, on="ssn", how="inner").with_columns(
        *[pl.col(f"{m}_week").fill_null(0) for m in MEASURES],
        pl.lit(period.number).alias("report_number"), pl.lit(period.count).alias("report_count"),
        pl.lit(period.start, pl.Date).alias("period_start"),
        pl.lit(period.end, pl.Date).alias("period_end"),
        pl.lit(period.saturday, pl.Date).alias("week_ending"),
        periods.rsd_expr(weeks, ras).alias("rsd"), pl.lit(ras, pl.Int64).alias("ras"),
        _remaining(ras).alias("remaining"),
        pl.lit(None, pl.Int64).alias("reviews_requested"),
        measures.pct_accurate_h(pl.col("reviewed_rating"), pl.col("errors_rating"))
        .alias("pct_accurate_h"),
        (pl.col("class_code") != "1").alias("_not_permanent"),
    )


def sar_frame(employees: pl.DataFrame, ofp: pl.DataFrame, weekly: pl.DataFrame,
              cum_jobs: pl.DataFrame, week_ending: dt.date, ras: int = periods.RAS,
              history: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every period's SAR rows in print order: SAR_COLUMNS plus `pct_accurate_h`."""
    frames = [period_rows(p, employees, ofp, weekly, cum_jobs, ras, history).sort(SORT)
              for p in periods.week_periods(week_ending)]
    rows = pl.concat(frames, how="vertical_relaxed")
    return rows.with_columns(
        *[pl.col(f"errors_{s}").cast(pl.Float64) for s in SCOPES],
        measures.as_float(pl.col("pct_accurate_h")).alias("pct_accurate"),
    ).select(*SAR_COLUMNS, "pct_accurate_h")
