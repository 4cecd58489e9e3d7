"""Individual review data: the accepted Form 3926 review transactions that carry an SSN, matched
to this week's Forms 3081.

From run 03's `reviews` (one row per review line) a transaction's first line (`starts`) carries
its SSN, number sampled and defective records. Individual data are the transactions with an SSN;
unit/group charges (`#`, or the all-zero SSN Auto 3926 uses for them, IRM 3.30.28.4.7(7)(c)) are
left out. Documents reviewed = number sampled; errors = the defective records charged to the
employee (`charged_errors`): all of them, unless the transaction also carries a code that is
never the employee's (900-909 procedural, systemic or organizational, IRM 3.30.28.4.2.4; 930-999
local, glossary 16). Then the employee is charged min(defective, the defects of the employee's
codes): a document defective only through such a code is the unit/group's, one with an employee
defect as well is the employee's (IRM 3.30.28.4.4.3), and no more documents can carry an
employee defect than there are employee defects. Those codes still count in the Cumulative
Data File for the OFP (`cum_file`).

Matching (our reading): a review posts to individual data only when a Form 3081 of this week has
the same SSN, OFP and the same week ending date (so in a split week the quarter-end-dated review
meets the quarter-end-dated 3081). It takes that 3081's grade; where several grades were reported
for the same SSN, OFP and date, the grade of the last such 3081 line. Every other review is listed
on the Weekly Data Not Posted report (N01, or N02 when its date is not this week's) and does not
post: IRM 3.30.28.4.5(5) corrects those with a Form 6489.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.reference import OFP_KEY
from validators import not_posted as v_np
from validators.pce_03_41 import unit_group_code

UNIT_SSN = "000000000"
REVIEW_COLUMNS = ["deck_no", "line_no", "unit", "ssn", "week_ending", *OFP_KEY, "reviewed",
                  "errors"]
MATCH_KEY = ["ssn", *OFP_KEY, "week_ending"]
# Store table `posted_3081`: one row per SSN, OFP and week ending date a Form 3081 posted for
# (any run), with its grade and step, so that a later run's review can meet it.
POSTED_3081 = {"ssn": pl.String, **dict.fromkeys(OFP_KEY, pl.String), "week_ending": pl.Date,
               "grade": pl.String, "step": pl.String}


def _first_lines(reviews: pl.DataFrame) -> pl.DataFrame:
    return reviews.filter(
        pl.col("starts") & pl.col("ssn").is_not_null() & ~pl.col("unit_charge")
        & (pl.col("ssn") != UNIT_SSN))


def individual_lines(reviews: pl.DataFrame) -> pl.DataFrame:
    """Every line of the review transactions individual data reads (those whose first line has
    an SSN and is not a unit/group charge), all columns kept: the rest of a week's lines can be
    let go. The defect lines decide what is charged to the employee (`charged_errors`)."""
    units = _first_lines(reviews)["unit"]
    return reviews.filter(pl.col("unit").is_in(units.implode()))


def charged_errors(lines: pl.DataFrame) -> pl.DataFrame:
    """unit, errors (defective documents charged to the employee), unit_group (the transaction
    carries a 900-909 or 930-999 code) for each transaction of `individual_lines`."""
    code = pl.col("defect_code").is_not_null()
    kept = code & ~unit_group_code()
    per_unit = lines.group_by("unit").agg(
        pl.col("defects").filter(kept).sum().alias("_employee_defects"),
        (code & unit_group_code()).any().alias("unit_group"),
        pl.col("defective").filter("starts").first().fill_null(0).alias("_defective"))
    return per_unit.select(
        "unit", pl.when("unit_group").then(
            pl.min_horizontal("_defective", pl.col("_employee_defects").fill_null(0)))
        .otherwise("_defective").alias("errors"), "unit_group")


def individual_reviews(reviews: pl.DataFrame) -> pl.DataFrame:
    """One row per individual review transaction (REVIEW_COLUMNS)."""
    lines = individual_lines(reviews)
    return _first_lines(lines).join(charged_errors(lines).select("unit", "errors"), on="unit",
                                    how="left", maintain_order="left").select(
        "deck_no", "line_no", "unit", "ssn", "week_ending", *OFP_KEY,
        pl.col("sampled").fill_null(0).alias("reviewed"),
        pl.col("errors").fill_null(0).cast(pl.Int64))


def _keyed(frame: pl.DataFrame) -> pl.DataFrame:
    """Add exact integer join keys (digits only; fixed widths keep them one-to-one). A key
    that is not all digits is null and such rows are matched on the text columns instead."""
    return frame.with_columns(
        pl.col("ssn").cast(pl.Int64, strict=False).alias("_ssn"),
        pl.concat_str(OFP_KEY).cast(pl.Int64, strict=False).alias("_ofp"))


_INT_KEY = ["_ssn", "_ofp", "week_ending"]


def match(reviews: pl.DataFrame, time: pl.DataFrame, saturday: dt.date,
          earlier: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(matched: reviewed and errors summed per SSN, OFP and week ending date, with the 3081's
    `grade`, period_end and quarter_end; not posted: the review rows, with `reason_codes`).

    `reviews` is `individual_reviews(...)`, `time` checked Forms 3081. `earlier`: Forms 3081
    earlier runs posted (MATCH_KEY and grade, `POSTED_3081`): a review corrected and re-input
    after its 3081 posted meets that 3081; this run's 3081 of the same key wins."""
    grades = time.sort("seq").group_by(MATCH_KEY).agg(pl.col("grade").last())
    if earlier is not None and earlier.height:
        before = earlier.select(*MATCH_KEY, "grade").cast(grades.schema)
        grades = pl.concat([before.join(grades, on=MATCH_KEY, how="anti"), grades])
    grades = _keyed(grades)
    keyed = _keyed(reviews)
    exact = pl.col("_ssn").is_not_null() & pl.col("_ofp").is_not_null()
    numeric, text = keyed.filter(exact), keyed.filter(~exact)
    totals = numeric.group_by(_INT_KEY).agg(pl.col("reviewed").sum(), pl.col("errors").sum())
    matched = pl.concat([
        totals.join(grades, on=_INT_KEY, how="inner").select(*MATCH_KEY, "grade", "reviewed",
                                                            "errors"),
        text.join(grades.select(*MATCH_KEY, "grade"), on=MATCH_KEY, how="inner")
        .group_by(*MATCH_KEY, "grade").agg(pl.col("reviewed").sum(), pl.col("errors").sum()),
    ]).with_columns(
        periods.period_end_expr(pl.col("week_ending"), saturday).alias("period_end"),
        periods.quarter_end_expr(pl.col("week_ending")).alias("quarter_end"))
    unmatched = pl.concat([
        numeric.join(grades.select(_INT_KEY), on=_INT_KEY, how="anti"),
        text.join(grades.select(MATCH_KEY), on=MATCH_KEY, how="anti")])
    dates = pl.Series(periods.record_dates(saturday), dtype=pl.Date)
    in_week = pl.col("week_ending").is_in(dates.implode()).fill_null(False)
    not_posted = unmatched.sort("deck_no", "line_no").select(
        REVIEW_COLUMNS).with_columns(
        v_np.reason(in_week).alias("reason_codes"))
    return matched, not_posted
