"""Forms 3081 (employee time reports, program 59600) for one week: checked, typed, placed in a
period and a fiscal quarter.

A line that fails a check does not post; it is listed on the Weekly Data Not Posted report with
every reason found (the rules T01-T09 of `validators.ipr_3081`), never dropped. Blank volume
reads as 0 (hours-only work); blank hours is an error. Time code 2 is learning-curve time and is
kept apart from direct (1) and overhead (3) time in the cum job records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.reference import OFP_KEY
from validators import ipr_3081 as v3081

# Columns of a checked Form 3081 line (`TimeCheck.valid`).
TIME_COLUMNS = ["seq", "deck_no", "line_no", "ssn", "week_ending", "period_end", "quarter_end",
                *OFP_KEY, "grade", "step", "time_code", "hours_tenths", "volume"]
LEARNING_CURVE = "2"


@dataclass(frozen=True)
class TimeCheck:
    valid: pl.DataFrame  # TIME_COLUMNS
    rejected: pl.DataFrame  # seq, deck_no, line_no, raw fields, reason_codes (list), text


def _checks(saturday: dt.date, employees: pl.DataFrame | None,
            ofp: pl.DataFrame | None) -> list[tuple[str, pl.Expr]]:
    """(code, expression true when the line fails) in code order: the T rules of the week."""
    ssns = employees["ssn"] if employees is not None else None
    return [(r.code, r.fires())
            for r in v3081.rules(periods.record_dates(saturday), ssns, ofp is not None)]


def check(decoded: pl.DataFrame, saturday: dt.date, *, employees: pl.DataFrame | None = None,
          ofp: pl.DataFrame | None = None) -> TimeCheck:
    """Split decoded Forms 3081 into lines that post and lines listed as not posted.

    `decoded` is `decode(records, prefix, form3081)`; deck_no, line_no and text are carried when
    present. `employees`/`ofp` are `reference.employees_table`/`ofp_table`; without them the
    SSN and OFP are not looked up.
    """
    frame = decoded
    for name, dtype in (("deck_no", pl.UInt16), ("line_no", pl.UInt32), ("text", pl.String)):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    frame = frame.with_row_index("seq")
    if ofp is not None:
        frame = frame.join(ofp.select(*OFP_KEY, pl.lit(True).alias("_on_ofp")), on=OFP_KEY,
                           how="left", maintain_order="left").with_columns(
            pl.col("_on_ofp").fill_null(False))
    checks = [(code, bad.fill_null(True)) for code, bad in _checks(saturday, employees, ofp)]
    frame = frame.with_columns(pl.any_horizontal([bad for _, bad in checks]).alias("_failed"))
    ok = ~pl.col("_failed")
    # The code lists are built for the failing lines only (a list per line of 100,000 is slow).
    codes = pl.concat_list([pl.when(bad).then(pl.lit(code)) for code, bad in checks]
                           ).list.drop_nulls().alias("reason_codes")
    valid = frame.filter(ok).select(
        "seq", "deck_no", "line_no", "ssn", pl.col("week_ending_v").alias("week_ending"),
        periods.period_end_expr(pl.col("week_ending_v"), saturday).alias("period_end"),
        periods.quarter_end_expr(pl.col("week_ending_v")).alias("quarter_end"),
        *OFP_KEY, "grade", pl.col("step").str.strip_chars().alias("step"), "time_code",
        pl.col("hours_tenths_v").alias("hours_tenths"),
        pl.col("volume_v").fill_null(0).alias("volume"))
    rejected = frame.filter(~ok).with_columns(codes).select(
        "seq", "deck_no", "line_no", "ssn", "week_ending",
        pl.col("week_ending_v").alias("week_ending_date"), *OFP_KEY, "grade", "step",
        "time_code", "hours_tenths", "volume", "reason_codes", "text")
    return TimeCheck(valid=valid, rejected=rejected)


def empty_time() -> pl.DataFrame:
    """A checked 3081 frame with no lines (a week with no time reports)."""
    schema = {"seq": pl.UInt32, "deck_no": pl.UInt16, "line_no": pl.UInt32,
              "week_ending": pl.Date, "period_end": pl.Date, "quarter_end": pl.Date,
              "hours_tenths": pl.Int64, "volume": pl.Int64}
    return pl.DataFrame(schema={c: schema.get(c, pl.String) for c in TIME_COLUMNS})
