"""The Individual Performance Summary Report (IPSR, glossary 13) as data: one row per employee
and program (OFP/grade) worked in the four full fiscal quarters ending the report's quarter
(IPSR_COLUMNS), with the measurable status of the row and the rateable status of the employee
(`status`).

Who is on it: every SSN of the cum job records with hours, volume or reviews in the four
quarters, except an employee whose only hours are overhead (code 3: no direct or learning-curve
hours, no volume on direct work, nothing reviewed). An employee whose overhead is unknown (a
record from before it was kept apart) is kept: their hours cannot be told apart. Names come
from the Employee Master File; an SSN not on it prints without a name and is not measurable.

When (our reading, docs/decisions.md): the weekly run whose week holds a quarter end has every
Form 3081 dated in that quarter, so it produces the IPSR of that quarter; on demand,
`qap ipsr --quarter-end YYYY-MM-DD` reads the current cum job records.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.qap.individual import periods, reference, status
from pipelines.engine.qap.individual.cum_jobs import OVERHEAD
from pipelines.engine.qap.individual.measures import as_float
from pipelines.engine.qap.individual.reference import OFP_KEY

IPSR_COLUMNS = [
    "quarter_end", "window_start", "ssn", "last_name", "first_name", "middle_initial",
    "assigned_org", "plan", "measured_since", "plan_days", *OFP_KEY, "grade", "qpc",
    "direct_hours_tenths", OVERHEAD, "lc_hours_tenths", "volume", "lc_volume", "reviewed",
    "errors", "pct_accurate", "ci_low", "ci_high", "on_plan", "has_standard", "lc_done",
    "has_sample", "measurable", "reasons", "total_hours_tenths", "direct_time_tenths",
    "measurable_hours_tenths", "pct_total", "pct_direct", "rateable_total", "rateable_direct",
    "rateable",
]
HUNDREDTHS = {"pct_accurate": "pct_accurate_h", "ci_low": "ci_low_h", "ci_high": "ci_high_h",
              "pct_total": "pct_total_h", "pct_direct": "pct_direct_h"}


def ipsr_frame(cum: pl.DataFrame, employees: pl.DataFrame, ofp: pl.DataFrame,
               q_end: dt.date) -> pl.DataFrame:
    """IPSR rows (IPSR_COLUMNS plus the `*_h` hundredths the printed report reads), sorted by
    assigned organization, name, SSN, OFP and grade.

    `cum`: cum job records (CUM_COLUMNS); `employees`/`ofp`: `reference.employees_table` /
    `ofp_table`."""
    rows = status.measurable(cum, employees, ofp, q_end)
    worked = ((pl.col("hours_tenths") + pl.col("lc_hours_tenths") + pl.col("volume")
               + pl.col("lc_volume") + pl.col("reviewed")) > 0)
    rows = rows.filter(worked)
    only_overhead = rows.group_by("ssn").agg(
        ((pl.col("direct_hours_tenths").sum() == 0)
         & ~pl.col("overhead_unknown").any()
         & (pl.col("lc_hours_tenths").sum() == 0) & (pl.col("reviewed").sum() == 0))
        .alias("_overhead_only"))
    rows = rows.join(only_overhead.filter(~pl.col("_overhead_only")).select("ssn"), on="ssn",
                     how="semi")
    names = employees.select("ssn", "last_name", "first_name", "middle_initial",
                             "assigned_org")
    out = rows.join(names, on="ssn", how="left").join(status.rateable(rows), on="ssn",
                                                      how="left")
    return out.with_columns(
        pl.lit(q_end, pl.Date).alias("quarter_end"),
        pl.lit(status.window_start(q_end), pl.Date).alias("window_start"),
        *[as_float(pl.col(h)).alias(name) for name, h in HUNDREDTHS.items()],
    ).sort(pl.col("assigned_org").fill_null(""), pl.col("last_name").fill_null(""),
           pl.col("first_name").fill_null(""), "ssn", *OFP_KEY, "grade"
           ).select(*IPSR_COLUMNS, *HUNDREDTHS.values())


def file_stem(q_end: dt.date) -> str:
    """`ipsr_YYYYMM`: the file names of the report of the quarter ending `q_end`."""
    return f"ipsr_{periods.quarter_yyyymm(q_end)}"


def quarter_ends_in_week(saturday: dt.date) -> list[dt.date]:
    """The quarter end that falls in the week ending `saturday` (Sunday-Saturday), if any: the
    weekly run of that week produces its IPSR."""
    sunday = saturday - dt.timedelta(days=6)
    q_end = periods.quarter_end(sunday)
    return [q_end] if q_end <= saturday else []


def due(cum: pl.DataFrame, employees: pl.DataFrame, ofp_raw: pl.DataFrame, saturday: dt.date
        ) -> list[tuple[dt.date, pl.DataFrame]]:
    """(quarter end, `ipsr_frame`) for each IPSR the week ending `saturday` produces (none, or
    the quarter that ends in the week). `employees`: `reference.employees_table`; `ofp_raw`:
    the OFP Consistency File as `decode_file` returns it."""
    return [(q_end, ipsr_frame(cum, employees, reference.ofp_table(ofp_raw), q_end))
            for q_end in quarter_ends_in_week(saturday)]
