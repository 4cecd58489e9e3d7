"""Weekly Data Not Posted: every record of individual data that did not post this week, in one
frame (NOT_POSTED_COLUMNS), so nothing is dropped (rules.md; IRM 3.30.28.4.5(5)).

Two sources: individual review transactions that matched no Form 3081 for the same SSN, OFP and
week ending (N01) or are dated outside the week (N02), and Forms 3081 that failed a check
(T01-T08, `time_reports`). Review rows carry documents reviewed and errors; 3081 rows carry the
hours, volume, grade and time code as sent, and the record text for re-input.
"""

from __future__ import annotations

import polars as pl

from pipelines.engine.qap.individual.reference import OFP_KEY
from validators import codes

NOT_POSTED_COLUMNS = ["source", "deck_no", "line_no", "ssn", "week_ending", *OFP_KEY, "grade",
                      "step", "time_code", "hours", "volume", "reviewed", "errors",
                      "reason_codes", "reason", "text"]


def not_posted_frame(reviews: pl.DataFrame, time_rejected: pl.DataFrame) -> pl.DataFrame:
    """`reviews`: `review_data.match`'s not-posted rows; `time_rejected`: `TimeCheck.rejected`."""
    none = pl.lit(None, pl.String)
    review_rows = reviews.select(
        pl.lit("3926").alias("source"), "deck_no", "line_no", "ssn",
        pl.col("week_ending").dt.strftime("%m%d%Y").alias("week_ending"), *OFP_KEY,
        none.alias("grade"), none.alias("step"), none.alias("time_code"), none.alias("hours"),
        none.alias("volume"), "reviewed", "errors", "reason_codes", none.alias("text"),
        pl.col("week_ending").alias("_date"))
    time_rows = time_rejected.select(
        pl.lit("3081").alias("source"), "deck_no", "line_no", "ssn", "week_ending", *OFP_KEY,
        "grade", "step", "time_code", pl.col("hours_tenths").alias("hours"), "volume",
        pl.lit(None, pl.Int64).alias("reviewed"), pl.lit(None, pl.Int64).alias("errors"),
        "reason_codes", "text", pl.col("week_ending_date").alias("_date"))
    rows = pl.concat([review_rows, time_rows], how="vertical_relaxed")
    return rows.with_columns(
        pl.col("reason_codes").list.first().replace_strict(
            codes.NOT_POSTED_REASONS, default=None, return_dtype=pl.String).alias("reason"),
    ).sort("org_code", "ssn", "function_code", "program_code", "_date", "source",
           "deck_no", "line_no", nulls_last=True).select(NOT_POSTED_COLUMNS)
