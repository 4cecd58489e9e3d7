"""Measurable and rateable status for a quarter (IRM 3.30.28.1.4, glossary 18 and 34), computed
over the four full fiscal quarters that end with it (the IPSR's twelve-month period).

Measurable in quality, per employee and OFP/grade: all four tests, each with a letter printed
when it fails:

* ``P`` plan: Employee Master File plan M and at least PLAN_DAYS days on it at the quarter end
  (the day placed on the plan is day 1). Glossary 18(1) says 60 days; the Form 6489 M/C TEPS
  code 4 says "under 91 days". Our reading (docs/decisions.md): 60 days decides measurable in
  quality; code 4 is the TEPS efficiency code of a 6489 and is not read here.
* ``S`` standards: the OFP is measured (M/C 1) on the OFP Consistency File with an efficiency
  standard above zero (a numerical performance standard).
* ``L`` learning curve: finished for the OFP/grade by the same test as the SAR (`sar`): no
  learning-curve hours on it, or at least the OFP's learning-curve hours, or direct time
  (code 1) reported on it, counted over every quarter kept up to the quarter end.
* ``C`` confidence: at least one document reviewed in the four quarters. Glossary 18(3) asks for
  a 90% confidence level "with a varying precision": the precision is what the sample gives, so
  any sample reaches the level; the report prints the interval so its width shows the precision.

The interval: Wilson score interval at 90% (z = Z90) of the proportion accurate,
(reviewed - errors) / reviewed, printed as percents in hundredths (half up). Why Wilson: a
closed form (no dependency), it stays within 0-100, and at 100% accurate (common in QA) it
still has a width, where the normal (Wald) interval collapses to a point; Clopper-Pearson needs
beta quantiles and is wider than 90% on purpose.

Rateable, per employee (glossary 34): measurable hours (code 1 hours on measurable OFP/grades)
at least RATE_TOTAL_PCT of total time (all hours: direct, overhead and learning curve) and at
least RATE_DIRECT_PCT of direct time (total less overhead). Compared exactly in integers; the
printed percents are rounded half up. Unknown (null) when the overhead of any record in the
four quarters is unknown (a record written before overhead was kept apart).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.cum_jobs import OVERHEAD
from pipelines.engine.qap.individual.measures import pct_accurate_h
from pipelines.engine.qap.individual.periods import div_half_up
from pipelines.engine.qap.individual.reference import OFP_KEY

PLAN_DAYS = 60
RATE_TOTAL_PCT = 25
RATE_DIRECT_PCT = 40
QUARTERS = 4
Z90 = 1.6448536269514722  # the standard normal's 95th percentile: two-sided 90%
ROW_KEY = ["ssn", *OFP_KEY, "grade"]
REASONS = {"P": f"fewer than {PLAN_DAYS} days on a measured plan",
           "S": "no numerical performance standard for the OFP",
           "L": "learning curve not finished for the OFP/grade",
           "C": "no documents reviewed: no confidence interval"}


def check_quarter_end(q_end: dt.date) -> None:
    if periods.quarter_end(q_end) != q_end:
        raise ValueError(f"{q_end:%m/%d/%Y} is not a fiscal quarter end (12/31, 03/31, 06/30 "
                         "or 09/30)")


def window(q_end: dt.date) -> tuple[dt.date, ...]:
    """The quarter ends of the four full quarters ending `q_end`, oldest first."""
    check_quarter_end(q_end)
    ends = [q_end]
    for _ in range(QUARTERS - 1):
        ends.append(periods.first_prior_quarter_end(ends[-1]))
    return tuple(reversed(ends))


def window_start(q_end: dt.date) -> dt.date:
    """First day of the four-quarter window."""
    return periods.first_prior_quarter_end(window(q_end)[0]) + dt.timedelta(days=1)


def _pct_h(x: pl.Expr) -> pl.Expr:
    """A proportion as a percent in hundredths, half up, within 0-10000."""
    return (x * 10_000 + 0.5).floor().clip(0, 10_000).cast(pl.Int64)


def wilson_h(reviewed: pl.Expr, errors: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(low, high) of the 90% Wilson interval of percent accurate, in hundredths of a percent;
    null when nothing was reviewed."""
    n = reviewed.cast(pl.Float64)
    p = (reviewed - errors).cast(pl.Float64) / n
    z2 = Z90 * Z90
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z90 * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt() / (1 + z2 / n)
    some = reviewed > 0
    return (pl.when(some).then(_pct_h(centre - half)),
            pl.when(some).then(_pct_h(centre + half)))


def quarter_rows(cum: pl.DataFrame, q_end: dt.date) -> pl.DataFrame:
    """The cum job records of the four quarters summed per SSN, OFP and grade: direct_hours
    (code 1), overhead (null when unknown), lc_hours_tenths, volume, lc_volume, reviewed,
    errors, overhead_unknown."""
    kept = cum.filter(pl.col("quarter_end").is_in(pl.Series(window(q_end), dtype=pl.Date)
                                                  .implode()))
    return kept.group_by(ROW_KEY).agg(
        (pl.col("hours_tenths") - pl.col(OVERHEAD)).sum().alias("direct_hours_tenths"),
        pl.col(OVERHEAD).sum(), pl.col(OVERHEAD).is_null().any().alias("overhead_unknown"),
        pl.col("hours_tenths").sum().alias("_hours"),
        pl.col("lc_hours_tenths", "volume", "lc_volume", "reviewed", "errors").sum(),
    ).with_columns(
        # Unknown overhead: the hours are known, their split is not.
        pl.when(pl.col("overhead_unknown")).then(None).otherwise(pl.col(OVERHEAD))
        .alias(OVERHEAD),
        pl.when(pl.col("overhead_unknown")).then(None)
        .otherwise(pl.col("direct_hours_tenths")).alias("direct_hours_tenths"),
    ).rename({"_hours": "hours_tenths"}).sort(ROW_KEY)


def _learning_curve_done(cum: pl.DataFrame, ofp: pl.DataFrame, q_end: dt.date) -> pl.DataFrame:
    """ROW_KEY + lc_done, over every quarter kept up to `q_end` (the SAR's test)."""
    upto = cum.filter(pl.col("quarter_end") <= pl.lit(q_end, pl.Date)).group_by(ROW_KEY).agg(
        pl.col("lc_hours_tenths").sum().alias("_lc"),
        (pl.col("hours_tenths") - pl.col(OVERHEAD).fill_null(0)).sum().alias("_direct"))
    return upto.join(ofp.select(*OFP_KEY, "learning_curve_hours"), on=OFP_KEY, how="left").select(
        *ROW_KEY, ((pl.col("_lc") == 0) | (pl.col("_direct") > 0)
                   | (pl.col("_lc") >= pl.col("learning_curve_hours").fill_null(0) * 10))
        .alias("lc_done"))


def measurable(cum: pl.DataFrame, employees: pl.DataFrame, ofp: pl.DataFrame,
               q_end: dt.date) -> pl.DataFrame:
    """One row per SSN, OFP and grade worked in the four quarters: `quarter_rows` plus qpc,
    plan_days, the four tests, measurable, reasons (failed letters, e.g. "PL"), pct_accurate_h
    and the interval ci_low_h / ci_high_h (hundredths of a percent).

    `employees`/`ofp` are `reference.employees_table`/`ofp_table`."""
    rows = quarter_rows(cum, q_end)
    plan = employees.select("ssn", "plan", "measured_since")
    std = ofp.select(*OFP_KEY, "qpc", ((pl.col("measured_code") == "1")
                                       & (pl.col("standard_hundredths").fill_null(0) > 0))
                     .alias("has_standard"))
    days = (pl.lit(q_end, pl.Date) - pl.col("measured_since")).dt.total_days() + 1
    low, high = wilson_h(pl.col("reviewed"), pl.col("errors"))
    out = rows.join(plan, on="ssn", how="left").join(std, on=OFP_KEY, how="left").join(
        _learning_curve_done(cum, ofp, q_end), on=ROW_KEY, how="left").with_columns(
        pl.when(pl.col("plan") == "M").then(days).alias("plan_days"),
        pl.col("has_standard").fill_null(False), pl.col("lc_done").fill_null(True),
        (pl.col("reviewed") > 0).alias("has_sample"),
        pct_accurate_h(pl.col("reviewed"), pl.col("errors")).alias("pct_accurate_h"),
        low.alias("ci_low_h"), high.alias("ci_high_h"))
    tests = {"P": (pl.col("plan_days") >= PLAN_DAYS).fill_null(False),
             "S": pl.col("has_standard"), "L": pl.col("lc_done"), "C": pl.col("has_sample")}
    out = out.with_columns(tests["P"].alias("on_plan"), pl.concat_str(
        [pl.when(ok).then(pl.lit("")).otherwise(pl.lit(k)) for k, ok in tests.items()])
        .alias("reasons"))
    return out.with_columns((pl.col("reasons") == "").alias("measurable")).sort(ROW_KEY)


def rateable(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per SSN from `measurable` rows: total_hours_tenths, direct (total less overhead,
    null when unknown), measurable_hours_tenths, pct_total_h, pct_direct_h (hundredths, half
    up), rateable_total, rateable_direct, rateable (null when overhead is unknown)."""
    direct1 = pl.col("direct_hours_tenths")
    per = rows.group_by("ssn").agg(
        (pl.col("hours_tenths") + pl.col("lc_hours_tenths")).sum().alias("total_hours_tenths"),
        pl.col("overhead_unknown").any().alias("_unknown"),
        (pl.col("hours_tenths") + pl.col("lc_hours_tenths") - pl.col(OVERHEAD).fill_null(0))
        .sum().alias("_direct"),
        direct1.filter(pl.col("measurable")).sum().alias("_measurable"))
    known = ~pl.col("_unknown")
    m, total = pl.col("measurable_hours_tenths"), pl.col("total_hours_tenths")
    direct = pl.col("direct_time_tenths")
    per = per.select(
        "ssn", "total_hours_tenths",
        pl.when(known).then(pl.col("_direct")).alias("direct_time_tenths"),
        pl.when(known).then(pl.col("_measurable")).alias("measurable_hours_tenths"))
    return per.with_columns(
        div_half_up(m * 10_000, total).alias("pct_total_h"),
        div_half_up(m * 10_000, direct).alias("pct_direct_h"),
        (m * 100 >= total * RATE_TOTAL_PCT).alias("rateable_total"),
        (m * 100 >= direct * RATE_DIRECT_PCT).alias("rateable_direct"),
    ).with_columns(
        # Nothing to be measured against (no direct time): not rateable.
        pl.when(direct == 0).then(False).otherwise(pl.col("rateable_direct"))
        .alias("rateable_direct"),
    ).with_columns((pl.col("rateable_total") & pl.col("rateable_direct")).alias("rateable")
                   ).sort("ssn")
