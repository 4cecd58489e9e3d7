"""The SAR's Reviews Requested column and its Reviews This Week area (IRM 3.30.28.3.2(4)(o),
(r); 3.30.28.2.2.4(3)), filled from what sample selection keeps in the store: the requests
(`sample_requests`) and the week's figures (`sampling_weeks`), read by their documented schema
(docs/outputs.md, "Sample selection"); nothing else of the SAR changes.

Our reading: a request is per employee and QPC, so, like Remaining, it shows on each grade's
row of that QPC; the request shown is the one in force in the SAR's week (the latest applying
from that week or before). Reviews This Week is the week's pulls for the employee and QPC
(items pulled, and on how many days: the SAR prints "PULLED ON d DAY(S)"); null when sample
selection has not run for that week.
"""

from __future__ import annotations

import polars as pl

COLUMNS = ["reviews_this_week", "pulls_this_week"]


def fill(sar: pl.DataFrame, requests: pl.DataFrame | None, weeks: pl.DataFrame | None
         ) -> pl.DataFrame:
    """`sar` with `reviews_requested` filled and the COLUMNS added (Int64, null when none)."""
    out = sar.with_columns(pl.lit(None, pl.Int64).alias(c) for c in COLUMNS)
    if requests is not None and requests.height and sar.height:
        keys = sar.select("ssn", "qpc", "week_ending").unique()
        in_force = (keys.join(requests.select("ssn", "qpc", "effective_week", "weekly_sample")
                              .with_row_index("_order"), on=["ssn", "qpc"])
                    .filter(pl.col("effective_week") <= pl.col("week_ending"))
                    .sort("effective_week", "_order")
                    .group_by("ssn", "qpc", "week_ending").agg(pl.col("weekly_sample").last()))
        out = out.join(in_force, on=["ssn", "qpc", "week_ending"], how="left",
                       maintain_order="left").with_columns(
            pl.col("weekly_sample").cast(pl.Int64).alias("reviews_requested")
        ).drop("weekly_sample")
    if weeks is not None and weeks.height and sar.height:
        week = weeks.filter(pl.col("kind") == "IR").select(
            "ssn", "qpc", "week_ending", pl.col("pulled").alias("_pulled"),
            pl.col("pulls").alias("_pulls"))
        out = out.join(week, on=["ssn", "qpc", "week_ending"], how="left",
                       maintain_order="left").with_columns(
            pl.col("_pulled").cast(pl.Int64).alias("reviews_this_week"),
            pl.col("_pulls").cast(pl.Int64).alias("pulls_this_week")).drop("_pulled", "_pulls")
    return out
