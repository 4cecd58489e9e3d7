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
    lines = defect_charges.line_charges(reviews.lazy())
    return lines.group_by(KEY).agg(
        *cum_file.review_figures(), *[pl.col(c).sum() for c in defect_charges.FIGURES],
    ).select([pl.col(c).cast(t) for c, t in SCHEMA.items()]).collect()


def combine(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """The sums of the parts' partial sums, one row per key (in no particular order: see
    `in_order`)."""
    frames = [p for p in parts if p.height]
    if not frames:
        return empty()
    if len(frames) == 1:
        return frames[0]
    # lazy: the query engine's group-by holds about half the eager one's on a million keys
    return pl.concat([f.lazy() for f in frames]).group_by(KEY).agg(pl.col(SUMS).sum()).select(
        list(SCHEMA)).collect()


def in_order(sums: pl.DataFrame) -> pl.DataFrame:
    """`sums` in KEY order (nulls first): the defect charges and the Cumulative Data File then
    find their rows in their own order and sort nothing (`ordered`). The weekly run sorts
    them once the posting starts, not in the reduce: there the check's freed pages are still
    resident (the allocator returns them after 250 ms), and the sort holds 80 MiB more than
    the group-by at 1.09 million keys; it saves the posting and the defect charges three
    times that, and their CPU."""
    return sums if ordered.sorted_by(sums, KEY) else sums.sort(KEY)
