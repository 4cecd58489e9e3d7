"""Employee cum job records: one row per SSN, OFP, grade and fiscal quarter (CUM_COLUMNS).

Fed weekly by checked Forms 3081 and by the individual review transactions that matched one
(`review_data`). Figures: hours in tenths and volume from direct and overhead time (time codes
1 and 3), and the overhead part of those hours apart (`overhead_hours_tenths`);
learning-curve hours and volume (time code 2) counted apart; documents reviewed and documents
in error from the reviews. Forms 6489 then adjust them (`ipr_adjustments`).

Current and prior grade (record_code "1" / "2"), our reading: an employee's current grade is
the grade on their last Form 3081 posted (latest week ending date, then the last line in deck
order). Each week an employee reports time, every one of their records (every quarter kept) at
that grade becomes record code 1 and every record at any other grade record code 2; so the week
a promotion first shows on a 3081, the old grade's records turn "prior". Employees who report no
time keep their record codes. The step on a record is the step of the latest 3081 posted to it
(a within-grade step increase does not start a new record).

>>> post_week(empty_cum_jobs(), time_reports.empty_time(), empty_reviews(),
...           dt.date(2025, 12, 20)).height
0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.engine.qap.individual import review_data, time_reports
from pipelines.engine.qap.individual.reference import OFP_KEY

FIGURES = ["hours_tenths", "volume", "lc_hours_tenths", "lc_volume", "reviewed", "errors"]
CUM_KEY = ["ssn", *OFP_KEY, "grade", "quarter_end"]
CUM_SCHEMA: dict[str, pl.DataType] = {
    "ssn": pl.String(), "org_code": pl.String(), "function_code": pl.String(),
    "program_code": pl.String(), "grade": pl.String(), "quarter_end": pl.Date(),
    "record_code": pl.String(), "step": pl.String(),
    **{f: pl.Int64() for f in FIGURES},
    "last_posted": pl.Date(), "last_adjusted": pl.Date(),
    # Added later (issue 18), so last: the part of hours_tenths that is overhead time (code 3).
    # Null on a record read from a generation written before it (unknown, never 0).
    "overhead_hours_tenths": pl.Int64(),
}
CUM_COLUMNS = list(CUM_SCHEMA)
OVERHEAD = "overhead_hours_tenths"
OVERHEAD_CODE = "3"

WEEK_KEY = ["ssn", *OFP_KEY, "grade", "week_ending"]
WEEK_COLUMNS = [*WEEK_KEY, "period_end", "quarter_end", "step", *FIGURES]
WEEK_SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in ["ssn", *OFP_KEY, "grade"]}, "week_ending": pl.Date(),
    "period_end": pl.Date(), "quarter_end": pl.Date(), "step": pl.String(),
    **{f: pl.Int64() for f in FIGURES},
}
# The weekly figures kept for the SAR's rating period, which may start inside a quarter. The
# current rating period starts less than a year before the week (`periods.rating_start_expr`),
# so 53 weeks of history reach back far enough.
HISTORY_DAYS = 53 * 7

REVIEW_SCHEMA: dict[str, pl.DataType] = {
    "deck_no": pl.UInt16(), "line_no": pl.UInt32(), "unit": pl.UInt32(),
    "week_ending": pl.Date(), "org_code": pl.String(), "function_code": pl.String(),
    "program_code": pl.String(), "starts": pl.Boolean(), "unit_charge": pl.Boolean(),
    "ssn": pl.String(), "sampled": pl.Int64(), "defective": pl.Int64(),
    "defect_code": pl.String(), "defects": pl.Int64(), "warning": pl.Boolean(),
}


@dataclass(frozen=True)
class WeekPosting:
    cum_jobs: pl.DataFrame  # CUM_COLUMNS after the week posted
    weekly: pl.DataFrame  # WEEK_COLUMNS: this week's figures per SSN, OFP, grade and date
    not_posted: pl.DataFrame  # review transactions that did not post, with reason_codes


def empty_cum_jobs() -> pl.DataFrame:
    return pl.DataFrame(schema=CUM_SCHEMA)


def read_cum_jobs(stored: pl.DataFrame | None) -> pl.DataFrame:
    """The store's cum job records as CUM_COLUMNS; a generation written before a column was
    added reads with that column null (overhead hours unknown)."""
    if stored is None:
        return empty_cum_jobs()
    missing = [pl.lit(None, t).alias(c) for c, t in CUM_SCHEMA.items() if c not in stored.columns]
    return stored.with_columns(missing).select(CUM_COLUMNS).cast(CUM_SCHEMA)


def empty_reviews() -> pl.DataFrame:
    """Run 03 `reviews` with no rows (the shape `post_week` reads)."""
    return pl.DataFrame(schema=REVIEW_SCHEMA)


def empty_history() -> pl.DataFrame:
    return pl.DataFrame(schema=WEEK_SCHEMA)


def extend_history(history: pl.DataFrame | None, weekly: pl.DataFrame, saturday: dt.date
                   ) -> pl.DataFrame:
    """The kept weekly figures (WEEK_COLUMNS) with this week's added, the weeks older than
    HISTORY_DAYS let go. A week posted again (a reprocess) adds rows, as it adds to the cum
    job records: sums over the history stay equal to what was posted."""
    old = empty_history() if history is None else history.select(WEEK_COLUMNS).cast(WEEK_SCHEMA)
    kept = pl.concat([old, weekly.select(WEEK_COLUMNS).cast(WEEK_SCHEMA)])
    since = saturday - dt.timedelta(days=HISTORY_DAYS)
    return kept.filter(pl.col("week_ending") > pl.lit(since, pl.Date))


def weekly_figures(time: pl.DataFrame, matched: pl.DataFrame,
                   earlier: pl.DataFrame | None = None) -> pl.DataFrame:
    """This week's figures per SSN, OFP, grade and week ending date (WEEK_COLUMNS, OVERHEAD,
    last_seq).
    `matched` is `review_data.match`'s first frame (reviews summed per SSN, OFP and date);
    reviews that met a 3081 of an earlier run (`earlier`, review_data.POSTED_3081) add a row
    of their own: no hours (they posted with that run), the reviews and that 3081's step."""
    lc = pl.col("time_code") == time_reports.LEARNING_CURVE
    zero = pl.lit(0, pl.Int64)
    split = time.with_columns(
        pl.when(lc).then(zero).otherwise(pl.col("hours_tenths")).alias("direct_hours"),
        pl.when(lc).then(zero).otherwise(pl.col("volume")).alias("direct_volume"),
        pl.when(lc).then(pl.col("hours_tenths")).otherwise(zero).alias("lc_hours_tenths"),
        pl.when(lc).then(pl.col("volume")).otherwise(zero).alias("lc_volume"),
        pl.when(pl.col("time_code") == OVERHEAD_CODE).then(pl.col("hours_tenths"))
        .otherwise(zero).alias(OVERHEAD))
    hours = split.group_by(WEEK_KEY).agg(
        pl.col("period_end").first(), pl.col("quarter_end").first(),
        pl.col("step").sort_by("seq").last(),
        pl.col("direct_hours").sum().alias("hours_tenths"),
        pl.col("direct_volume").sum().alias("volume"),
        pl.col("lc_hours_tenths").sum(), pl.col("lc_volume").sum(), pl.col(OVERHEAD).sum(),
        pl.col("seq").max().alias("last_seq"))
    reviews = matched.group_by(WEEK_KEY).agg(pl.col("reviewed").sum(), pl.col("errors").sum())
    week = hours.join(reviews, on=WEEK_KEY, how="left").with_columns(
        pl.col("reviewed").fill_null(0), pl.col("errors").fill_null(0)
    ).select(*WEEK_COLUMNS, OVERHEAD, "last_seq")
    if earlier is None or earlier.height == 0:
        return week.sort(WEEK_KEY)
    steps = earlier.select(*WEEK_KEY, "step").cast(dict(week.select(WEEK_KEY).schema))
    late = matched.join(hours.select(WEEK_KEY), on=WEEK_KEY, how="anti").group_by(WEEK_KEY).agg(
        pl.col("period_end").first(), pl.col("quarter_end").first(),
        pl.col("reviewed").sum(), pl.col("errors").sum(),
    ).join(steps.unique(WEEK_KEY, keep="last"), on=WEEK_KEY, how="left").with_columns(
        *[pl.lit(0, pl.Int64).alias(f) for f in [*FIGURES[:4], OVERHEAD]],
        pl.lit(None, week.schema["last_seq"]).alias("last_seq"))
    return pl.concat([week, late.select(week.columns).cast(week.schema)]).sort(WEEK_KEY)


def current_grades(time: pl.DataFrame) -> pl.DataFrame:
    """ssn, current_grade: the grade of each employee's last Form 3081 this week."""
    return time.sort("week_ending", "seq").group_by("ssn").agg(
        pl.col("grade").last().alias("current_grade"))


def add_week(cum_jobs: pl.DataFrame, weekly: pl.DataFrame, time: pl.DataFrame,
             saturday: dt.date) -> pl.DataFrame:
    """Add the week's figures to the cum job records and reset record codes."""
    week = weekly.sort("week_ending", "last_seq").group_by(CUM_KEY).agg(
        *[pl.col(f).sum().alias(f"{f}_new") for f in [*FIGURES, OVERHEAD]],
        pl.col("step").last().alias("step_new"), pl.lit(True).alias("posted"))
    merged = cum_jobs.join(week, on=CUM_KEY, how="full", coalesce=True)
    posted = pl.col("posted").fill_null(False)
    on_file = pl.col("hours_tenths").is_not_null()  # the record was there before the week
    merged = merged.with_columns(
        *[(pl.col(f).fill_null(0) + pl.col(f"{f}_new").fill_null(0)).alias(f) for f in FIGURES],
        # An overhead figure unknown on file (an old generation's record) stays unknown.
        pl.when(on_file).then(pl.col(OVERHEAD) + pl.col(f"{OVERHEAD}_new").fill_null(0))
        .otherwise(pl.col(f"{OVERHEAD}_new").fill_null(0)).alias(OVERHEAD),
        pl.when(posted).then(pl.col("step_new")).otherwise(pl.col("step")).alias("step"),
        pl.when(posted).then(pl.lit(saturday, pl.Date)).otherwise(pl.col("last_posted"))
        .alias("last_posted"))
    merged = merged.join(current_grades(time), on="ssn", how="left").with_columns(
        pl.when(pl.col("current_grade").is_null()).then(pl.col("record_code"))
        .when(pl.col("grade") == pl.col("current_grade")).then(pl.lit("1"))
        .otherwise(pl.lit("2")).alias("record_code"))
    return merged.select(CUM_COLUMNS).cast(CUM_SCHEMA).sort(CUM_KEY)


def post_week_detail(cum_jobs: pl.DataFrame, time_3081: pl.DataFrame, reviews: pl.DataFrame,
                     week_ending: dt.date, earlier: pl.DataFrame | None = None) -> WeekPosting:
    """`post_week` plus the week's figures and the reviews that did not post; `earlier`: the
    Forms 3081 earlier runs posted (review_data.POSTED_3081), which reviews may meet too."""
    individual = review_data.individual_reviews(reviews)
    matched, not_posted = review_data.match(individual, time_3081, week_ending, earlier)
    weekly = weekly_figures(time_3081, matched, earlier)
    cum = add_week(cum_jobs, weekly, time_3081, week_ending)
    return WeekPosting(cum_jobs=cum, weekly=weekly.drop("last_seq"), not_posted=not_posted)


def post_week(cum_jobs: pl.DataFrame, time_3081: pl.DataFrame, reviews: pl.DataFrame,
              week_ending: dt.date) -> pl.DataFrame:
    """Post one week to the cum job records and return them.

    `time_3081`: Forms 3081 that passed `time_reports.check` (its `valid` frame).
    `reviews`: run 03's accepted review lines (`Run03Result.reviews`); only individual ones
    that match a 3081 post. `week_ending`: the week's Saturday.
    """
    return post_week_detail(cum_jobs, time_3081, reviews, week_ending).cum_jobs
