"""What a run's accepted review lines add up to: the one summary of them the reduce keeps.

Every reader of the week's review lines after run 03 but the individual step sums them: the
Cumulative Data File (`cum_file.review_totals`: sampled, defective and defects per week ending,
OFP and code) and the defect charges (`defect_charges`: the defects of each charge per quarter,
period, OFP and code, where the quarter and the period are those of the line's week ending).
Both are sums over lines keyed by (week ending, OFP, code) or by what that key decides, so one
frame of partial sums per part of the run (`of_lines`) and one more sum in the reduce
(`combine`) give them the same figures as the lines would. A transaction (`unit`) never crosses
a part, so the charge of a line (read from its transaction's first line) is known in the part.
A line without a code is the null code: it carries the sample of its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from pipelines.engine.qap import cum_file, ordered
from pipelines.engine.qap.individual import defect_charges

KEY = ["week_ending", *cum_file.OFP, "defect_code"]
SUMS = ["sampled", "defective", "defects", *defect_charges.FIGURES]
SCHEMA: dict[str, pl.DataType] = {
    "week_ending": pl.Date(), **{c: pl.String() for c in cum_file.OFP},
    "defect_code": pl.String(), **{c: pl.Int64() for c in SUMS},
}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def of_lines(reviews: pl.DataFrame) -> pl.DataFrame:
    """The partial sums (SCHEMA) of accepted review lines made of whole transactions (a part
    of the run, or the whole run)."""
    lines = defect_charges.line_charges(reviews)
    return lines.group_by(KEY).agg(
        *cum_file.review_figures(), *[pl.col(c).sum() for c in defect_charges.FIGURES],
    ).select([pl.col(c).cast(t) for c, t in SCHEMA.items()]).collect()


def combine(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """The sums of the parts' partial sums, one row per key, in KEY order (nulls first): the
    defect charges and the Cumulative Data File then find their rows in their own order and
    sort nothing (`ordered`). A list handed in is emptied: the parts' frames are let go a
    column at a time as the sums are made (`ordered.remade`).

    The rows are ordered by one integer a row (`ordered.key_codes`), and the parts' rows of
    one key (a key in two parts) summed as runs of that order. At the 4M week's 1.09 million
    keys this holds 60 MiB over the parts where the group-by held 200 and the sort after it
    260 more (the frame twice and the keys' row encoding), in 0.8 s of CPU for the two's 1.2.
    """
    frames = [p for p in parts if p.height]
    if isinstance(parts, list):
        parts.clear()
    if not frames:
        return empty()
    held = [pl.concat(frames, rechunk=False)]
    del frames
    codes = ordered.key_codes(held[0], KEY)
    rows = ordered.order_of(codes)
    codes = codes.gather(rows)
    last = codes.ne_missing(codes.shift(-1)).fill_null(True)  # the last row of a key's run
    del codes
    runs = None if last.all() else last  # None: every key in one part, nothing to sum
    return ordered.remade(held, lambda column: _in_runs(column, rows, runs))


def _in_runs(column: pl.Series, rows: pl.Series, last: pl.Series | None) -> pl.Series:
    """`column` in the order `rows`, one value per run of rows of a key (`last` marks the run's
    last row; None: each row is its own run): a key column's value, or a sum's total (the
    difference of its running totals at the runs' ends). A null counts 0, as in a sum."""
    if column.name in SUMS and column.null_count():
        column = column.fill_null(0)
    if last is None:
        return column.gather(rows)
    if column.name not in SUMS:
        return column.gather(rows.filter(last))
    running = column.gather(rows).cum_sum().filter(last)
    # one chunk, as the key columns: a frame of misaligned chunks is rechunked whole by the
    # streaming engine (`cum_file._keyed`: +90 MiB at 4M)
    return (running - running.shift(1, fill_value=0)).rechunk()
