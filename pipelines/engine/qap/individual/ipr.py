"""The weekly Individual Performance Report as data: one row per measured employee and OFP line
of the week (scope "week") or of the quarter to date (scope "quarter").

Who gets an IPR: every employee on the Employee Master File on a measured plan (plan M), work
status aside. Week lines: one per OFP, grade and week ending date the employee reported on a
Form 3081 this week (a split week gives lines dated with the quarter end and lines dated
Saturday). Quarter lines: every cum job record of each quarter the week's dates fall in (two in
a split week), after this week's Forms 6489. The adjustments section is the employee's rows of
the adjustment report with message 1, 2 or 3 (`ipr_adjustments`).

Efficiency (rate, percent of standard) is on direct and overhead hours and volume; learning-
curve hours and volume are shown beside them and never enter the rate.

The frame's `ssn` column is the full SSN: sensitive; only the printed IPR masks it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.qap.individual import measures, periods
from pipelines.engine.qap.individual.cum_jobs import FIGURES
from pipelines.engine.qap.individual.reference import OFP_KEY

ENTITY = ["ssn", "last_name", "first_name", "middle_initial", "assigned_org", "emf_grade",
          "emf_step", "class_code", "plan", "work_status", "measured_since", "rating_start"]
IPR_COLUMNS = [*ENTITY, "scope", "week_ending", "quarter_end", *OFP_KEY, "grade", "step",
               "record_code", "qpc", *FIGURES, "standard", "rate", "pct_standard",
               "pct_accurate"]
HUNDREDTHS = ["rate_h", "standard_h", "pct_standard_h", "pct_accurate_h"]


def measured(employees: pl.DataFrame) -> pl.DataFrame:
    return employees.filter(pl.col("plan") == "M")


def week_quarters(week_ending: dt.date) -> list[dt.date]:
    """The quarters this week's dates fall in (two in a split week)."""
    return sorted({periods.quarter_end(d) for d in periods.record_dates(week_ending)})


def ipr_frame(employees: pl.DataFrame, ofp: pl.DataFrame, weekly: pl.DataFrame,
              cum_jobs: pl.DataFrame, week_ending: dt.date) -> pl.DataFrame:
    """IPR_COLUMNS plus the figures in hundredths (HUNDREDTHS) that the print reads."""
    emp = measured(employees).select(ENTITY)
    week = weekly.select(
        "ssn", pl.lit("week").alias("scope"), "week_ending", "quarter_end", *OFP_KEY, "grade",
        "step", pl.lit(None, pl.String).alias("record_code"), *FIGURES)
    quarters = pl.Series(week_quarters(week_ending), dtype=pl.Date)
    qtd = cum_jobs.filter(pl.col("quarter_end").is_in(quarters.implode())).select(
        "ssn", pl.lit("quarter").alias("scope"), pl.lit(None, pl.Date).alias("week_ending"),
        "quarter_end", *OFP_KEY, "grade", "step", "record_code", *FIGURES)
    lines = pl.concat([week, qtd]).join(emp, on="ssn", how="inner").join(
        ofp.select(*OFP_KEY, "qpc", "standard_hundredths"), on=OFP_KEY, how="left")
    lines = lines.with_columns(
        pl.col("standard_hundredths").alias("standard_h"),
        measures.rate_h(pl.col("volume"), pl.col("hours_tenths")).alias("rate_h"),
        measures.pct_standard_h(pl.col("volume"), pl.col("hours_tenths"),
                                pl.col("standard_hundredths")).alias("pct_standard_h"),
        measures.pct_accurate_h(pl.col("reviewed"), pl.col("errors")).alias("pct_accurate_h"),
    ).with_columns(
        measures.as_float(pl.col("standard_h")).alias("standard"),
        measures.as_float(pl.col("rate_h")).alias("rate"),
        measures.as_float(pl.col("pct_standard_h")).alias("pct_standard"),
        measures.as_float(pl.col("pct_accurate_h")).alias("pct_accurate"))
    order = pl.col("scope") == "quarter"
    return lines.sort(order, "ssn", "quarter_end", "week_ending", *OFP_KEY, "grade").select(
        *IPR_COLUMNS, *HUNDREDTHS)
