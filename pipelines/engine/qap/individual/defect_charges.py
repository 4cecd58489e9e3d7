"""Defects by code, per OFP, split by who they are charged to: the data of the QA Unit/Group
Report and the Periodic Defect Frequency OFP Summary (IRM 3.30.28.4.2.4(3)).

Each accepted review line with a defect code is charged (the same reading as `review_data`):

* ``unit_review`` -- a unit/group transaction (`#`, the all-zero SSN, or no SSN): the unit's;
* ``unit_moved`` -- a 900-909 (procedural, systemic or organizational) or 930-999 (local) code
  on an individual transaction: the unit's, never the employee's;
* ``employee`` -- any other code on an individual transaction.

Apart from the charge, `possible_identical` counts the employee defects on samples that look
like multiple identical defects (every document defective, one code: run 03's warning, the
``identical`` rows of `unit_group`); the manager decides whether all but one belong to the
unit/group (IRM 3.30.28.4.2.2(5)), so the QA Unit/Group Report lists them beside its charges.

State: `defect_charges`, one row per fiscal quarter end, period, OFP and defect code
(CHARGE_COLUMNS) with the defects of each charge; each week adds its lines (a reprocess adds its
re-input lines, as the Cumulative Data File does); quarters older than KEEP_QUARTERS before the
week are let go. The period (its last day: a week's Saturday, or the quarter end that splits
a week) lets quarter to date stop at the week's end when a later week was run first or an
earlier week is reprocessed (review 19, F5: it counted every week posted in the quarter). A
state written before the period was kept has none (null): its rows count in every quarter to
date of their quarter, as they did.
Adjustments (program 59706) change the Cumulative Data File only and are not in it.

Frames for the reports (`frequency`): per scope (``period`` = a week's period, two in a week a
quarter end splits; ``quarter`` = quarter to date), OFP and code: defects in all, the split,
and the Pareto figures. The 900-909 codes are ranked apart (section ``procedural``) so that
their use stands out instead of sitting inside the employee codes' ranking: in each section
codes are ranked by defects (most first, then code), share = defects / the section's defects
and running share = the running sum of defects / the section's defects, both in hundredths of
a percent, half up (so the last running share is 100.00).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.engine.machinery.weeks import saturday_of
from pipelines.engine.qap import ordered, spilled
from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.reference import OFP_KEY
from pipelines.engine.qap.individual.review_data import UNIT_SSN
from validators.pce_03_41 import LOCAL_CODES, PROCEDURAL_CODES, code_in, unit_group_code

CHARGES = ("employee", "unit_review", "unit_moved")
IDENTICAL = "possible_identical"
FIGURES = (*CHARGES, IDENTICAL)
CHARGE_KEY = ["quarter_end", "period_end", *OFP_KEY, "defect_code"]
CHARGE_SCHEMA: dict[str, pl.DataType] = {
    "quarter_end": pl.Date(), "period_end": pl.Date(), "org_code": pl.String(),
    "function_code": pl.String(),
    "program_code": pl.String(), "defect_code": pl.String(),
    **{c: pl.Int64() for c in FIGURES},
}
CHARGE_COLUMNS = list(CHARGE_SCHEMA)
KEEP_QUARTERS = 5
FREQUENCY_COLUMNS = [
    "scope", "period_start", "period_end", "quarter_end", *OFP_KEY, "section", "rank",
    "defect_code", "description", "code_deleted", "defects", "employee", "unit_review",
    "unit_moved", "unit_group", "local", IDENTICAL, "share", "running_share", "ofp_defects",
    "ofp_employee", "ofp_unit_group", "ofp_procedural", "procedural_share",
]


def empty_charges() -> pl.DataFrame:
    return pl.DataFrame(schema=CHARGE_SCHEMA)


def line_charges(reviews: pl.DataFrame) -> pl.LazyFrame:
    """Every review line with a column per FIGURES: the line's defects (a blank is 0) under
    its `charge` (CHARGES) and under IDENTICAL when it is a possible multiple identical
    defect, 0 under the others; 0 in all of them on a line without a code. `reviews`: run
    03's accepted review lines of whole transactions (a transaction's first line says whose
    it is)."""
    lines = _with_first_line(reviews).lazy()
    coded = pl.col("defect_code").is_not_null()
    charge = (pl.when(pl.col("_unit").fill_null(True)).then(pl.lit("unit_review"))
              .when(unit_group_code()).then(pl.lit("unit_moved"))
              .otherwise(pl.lit("employee")))
    defects = pl.col("defects").fill_null(0).cast(pl.Int64)
    identical = pl.col("starts") & pl.col("warning").fill_null(False) & (charge == "employee")
    return lines.with_columns(
        *[pl.when(coded & (charge == c)).then(defects).otherwise(0).alias(c) for c in CHARGES],
        pl.when(coded & identical).then(defects).otherwise(0).alias(IDENTICAL),
    ).drop("_unit")


def _with_first_line(reviews: pl.DataFrame) -> pl.DataFrame:
    """`reviews` with `_unit`: whether its transaction's first line (`starts`) charges the
    unit (null: the transaction has none). Where every line follows its transaction's first
    line (the lines of a part, in deck order) it is carried down from that line, instead of
    joined on the transaction: 11 to 2 ms a part of 210,634 lines."""
    unit = pl.col("unit_charge") | pl.col("ssn").is_null() | (pl.col("ssn") == UNIT_SSN)
    carried = reviews.select(
        pl.when("starts").then("unit").forward_fill().eq_missing(pl.col("unit")).all()
        .alias("follows"), pl.when("starts").then(unit).forward_fill().alias("_unit"))
    if carried.height and carried["follows"][0]:
        return reviews.with_columns(carried.get_column("_unit"))
    first = reviews.filter("starts").select("unit", unit.alias("_unit"))
    return reviews.join(first, on="unit", how="left", maintain_order="left")


WEEK_KEY = ["period_end", "quarter_end", *OFP_KEY, "defect_code"]


def week_charges(sums: pl.DataFrame, saturday: dt.date) -> pl.DataFrame:
    """The defects of each charge (FIGURES) per period, quarter, OFP and code (WEEK_KEY, in
    that order) of the review lines dated in the week ending `saturday` that carry a code.
    `sums`: the run's review lines summed per week ending, OFP and code (`review_sums`)."""
    sunday = saturday - dt.timedelta(days=6)
    rows = _week_rows(sums, saturday)
    if _one_date_per_period(sums, sunday, saturday):
        # A row per week ending, OFP and code is then one per WEEK_KEY: nothing to sum, and
        # the reduce's sums (in key order) give them in order (issue 20: the group-by and the
        # sort of a million rows held four times the week's frame).
        week = rows.collect()
        return week if ordered.sorted_by(week, WEEK_KEY) else week.sort(WEEK_KEY)
    return _summed(rows, WEEK_KEY).sort(WEEK_KEY).collect()


def _week_rows(sums: pl.DataFrame, saturday: dt.date) -> pl.LazyFrame:
    """The rows of `sums` dated in the week ending `saturday` that carry a code, with their
    period and quarter: `week_charges` before any sum or sort."""
    sunday = saturday - dt.timedelta(days=6)
    return sums.lazy().filter(
        pl.col("week_ending").is_between(pl.lit(sunday, pl.Date), pl.lit(saturday, pl.Date))
        & pl.col("defect_code").is_not_null()
    ).select(
        periods.period_end_expr(pl.col("week_ending"), saturday).alias("period_end"),
        periods.quarter_end_expr(pl.col("week_ending")).alias("quarter_end"), *OFP_KEY,
        "defect_code", *[pl.col(c).cast(pl.Int64) for c in FIGURES])


SLICE_ROWS = 1 << 18  # review sums made into a week's charges and spilled at a time


def _spilled_in_slices(sums: pl.DataFrame, saturday: dt.date, path: Path
                       ) -> spilled.Spilled | None:
    """`week_charges` spilled by period (`spilled.Writer`) a slice of the sums at a time,
    when they need no sum nor sort (`_one_date_per_period`, and each row in WEEK_KEY order
    after the one before): the week's frame is never held whole (110 MiB at the 4M week,
    beside the sums). None, with nothing left written, when a sum or a sort is needed."""
    if not _one_date_per_period(sums, saturday - dt.timedelta(days=6), saturday):
        return None
    writer, last = spilled.Writer(path, "period_end"), None
    for at in range(0, max(sums.height, 1), SLICE_ROWS):
        week = _week_rows(sums.slice(at, SLICE_ROWS), saturday).collect()
        joined = week if last is None else pl.concat([last, week.head(1)])
        if not (ordered.sorted_by(week, WEEK_KEY) and ordered.sorted_by(joined, WEEK_KEY)):
            writer.abandon()
            return None
        writer.add(week)
        last = week.tail(1) if week.height else last
    return writer.done()


def _one_date_per_period(sums: pl.DataFrame, sunday: dt.date, saturday: dt.date) -> bool:
    """The lines of the week carry one date per period (a week ending, and a quarter end that
    splits the week), each in order of its period: what a week's forms carry
    (`periods.record_dates`), checked on the few dates, and the sums are one row per key."""
    dates = sums.lazy().select(pl.col("week_ending").unique()).filter(
        pl.col("week_ending").is_between(pl.lit(sunday, pl.Date), pl.lit(saturday, pl.Date))
    ).sort("week_ending").with_columns(
        periods.period_end_expr(pl.col("week_ending"), saturday).alias("period_end")
    ).collect()
    return dates["period_end"].is_sorted() and dates["period_end"].n_unique() == dates.height


def _summed(figures: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """FIGURES summed per `keys` (plain sums: each figure is a column of its own). Lazy: the
    query engine's group-by holds about half what the eager one does on a million keys."""
    return figures.group_by(keys).agg(pl.col(list(FIGURES)).sum())


def add_week(charges: spilled.Frame | None, week: spilled.Frame, saturday: dt.date
             ) -> pl.DataFrame:
    """The state after the week (sorted by CHARGE_KEY): its `week_charges` added per quarter,
    OFP and code. Either frame may be spilled (`spilled.Spilled`)."""
    old = (empty_charges().lazy() if charges is None
           else _with_period(spilled.lazy(charges)).select(CHARGE_COLUMNS).cast(CHARGE_SCHEMA))
    new = spilled.lazy(week).select(CHARGE_COLUMNS).cast(CHARGE_SCHEMA)
    oldest = periods.quarter_end(saturday - dt.timedelta(days=6))
    for _ in range(KEEP_QUARTERS - 1):
        oldest = periods.first_prior_quarter_end(oldest)
    kept = pl.col("quarter_end") >= pl.lit(oldest, pl.Date)
    if _after(old, new):  # the state has no row of the week's quarters: nothing to sum
        both = pl.concat([old.filter(kept), new.filter(kept)]).collect()
        if ordered.sorted_by(both, CHARGE_KEY, unique=True):
            return both.rechunk()
        del both
    return _summed(pl.concat([old, new]), CHARGE_KEY).filter(kept).sort(
        CHARGE_KEY).collect().rechunk()
    # one chunk, as an eager frame's: the store's Parquet file cuts its row groups by chunk


def _with_period(charges: pl.LazyFrame) -> pl.LazyFrame:
    """A state written before the period was kept, with a null period (see the module)."""
    if "period_end" in charges.collect_schema().names():
        return charges
    return charges.with_columns(pl.lit(None, pl.Date).alias("period_end"))


def _after(old: pl.LazyFrame, new: pl.LazyFrame) -> bool:
    """Every quarter of `new` is after every quarter of `old` (the store's state before the
    first week of a quarter, or no state): the state after them is the one, then the other."""
    last, first = pl.collect_all([old.select(pl.col("quarter_end").max()),
                                  new.select(pl.col("quarter_end").min())])
    return last.item() is None or first.item() is None or last.item() < first.item()


def _group_runs(rows: pl.DataFrame, group: list[str]) -> pl.DataFrame:
    """`rows` in `group` order (a stable sort), with `_group`: the number of each group's run
    of rows. Rows already in that order, as `WeekFrequency.batches` hands them (one scope,
    OFPs ascending), are not sorted again: the Pareto's sort then orders a number, not the
    group's seven text and date columns."""
    key = pl.struct(group)
    if not rows.select(key).to_series().is_sorted():  # nulls first, as `sort` puts them
        rows = rows.sort(group, maintain_order=True)
    return rows.with_columns(key.rle_id().alias("_group"))


def _pareto_key(rows: pl.DataFrame) -> pl.Expr | list[pl.Expr]:
    """The Pareto's order of `rows` (numbered groups, defects above 0): the group, the section
    ("defects" before "procedural") and the defects, most first, packed into one 64-bit
    integer when they fit (a stable sort of one integer: 45 to 15 ms of the 1M week's
    544,232 rows); else the three keys."""
    if rows.height == 0 or (rows["_group"].max() < 2**31 and rows["defects"].max() < 2**32):
        return (pl.col("_group").cast(pl.UInt64) * 2**33
                + (pl.col("section") == "procedural").cast(pl.UInt64) * 2**32
                + (2**32 - 1 - pl.col("defects")).cast(pl.UInt64))
    return [pl.col("_group"), pl.col("section") == "procedural", -pl.col("defects")]


def _pareto(rows: pl.DataFrame, group: list[str]) -> pl.DataFrame:
    """Rank, share and running share (hundredths) within `group` + section; `_group` numbers
    the groups (`_group_runs`)."""
    rows = _group_runs(rows, group)
    if ordered.sorted_by(rows, ["_group", "defect_code"]):
        # Codes ascending within each group already (`WeekFrequency` hands them so): a stable
        # sort on the group, the section ("defects" before "procedural") and the defects
        # keeps equal defects in code order, without comparing texts (0.11 to 0.07 s over
        # the 1M week's 544,232 rows).
        ranked = rows.sort(_pareto_key(rows), maintain_order=True)
    else:
        ranked = rows.sort(["_group", "section", "defects", "defect_code"],
                           descending=[False, False, True, False])
    # Each group + section is one run of rows: numbered runs make the windows' key one integer.
    ranked = ranked.with_columns(pl.struct("_group", "section").rle_id().alias("_within"))
    total = pl.col("defects").sum().over("_within")
    running = pl.col("defects").cum_sum().over("_within")
    return ranked.with_columns(
        pl.int_range(1, pl.len() + 1).over("_within").alias("rank"),
        periods.div_half_up(pl.col("defects") * 10_000, total).alias("share_h"),
        periods.div_half_up(running * 10_000, total).alias("running_h")).drop("_within")


def frequency(by_scope: pl.DataFrame, dcf: pl.DataFrame | None = None) -> pl.DataFrame:
    """Report rows from defects per scope key (scope, period_start, period_end, quarter_end),
    OFP and code with FIGURES columns. `dcf`: the Defect Code File (descriptions), or
    `run01.descriptions`: with the deleted codes' last descriptions and `code_deleted`."""
    group = ["scope", "period_start", "period_end", "quarter_end", *OFP_KEY]
    rows = by_scope.with_columns(
        (pl.col("employee") + pl.col("unit_review") + pl.col("unit_moved")).alias("defects"),
        (pl.col("unit_review") + pl.col("unit_moved")).alias("unit_group"),
        pl.when(code_in("defect_code", PROCEDURAL_CODES)).then(pl.lit("procedural"))
        .otherwise(pl.lit("defects")).alias("section"),
        code_in("defect_code", LOCAL_CODES).alias("local"),
    ).filter(pl.col("defects") > 0)
    proc = pl.col("section") == "procedural"
    rows = _pareto(rows, group)
    rows = rows.with_columns(
        pl.col("defects").sum().over("_group").alias("ofp_defects"),
        pl.col("employee").sum().over("_group").alias("ofp_employee"),
        pl.col("unit_group").sum().over("_group").alias("ofp_unit_group"),
        pl.when(proc).then(pl.col("defects")).otherwise(0).sum().over("_group")
        .alias("ofp_procedural")
    ).drop("_group")
    rows = rows.with_columns(pl.col("ofp_procedural").fill_null(0)).with_columns(
        periods.div_half_up(pl.col("ofp_procedural") * 10_000, pl.col("ofp_defects"))
        .alias("procedural_h"))
    desc = (dcf.select("defect_code", "description") if dcf is not None
            else pl.DataFrame(schema={"defect_code": pl.String, "description": pl.String}))
    deleted = (dcf["code_deleted"] if dcf is not None and "code_deleted" in dcf.columns
               else pl.Series("code_deleted", [False] * desc.height, pl.Boolean))
    out = rows.join(desc.with_columns(deleted), on="defect_code", how="left",
                    maintain_order="left")
    return out.with_columns(
        pl.col("code_deleted").fill_null(False),
        *[(pl.col(h).cast(pl.Float64) / 100).round(2).alias(name) for name, h in
          (("share", "share_h"), ("running_share", "running_h"),
           ("procedural_share", "procedural_h"))],
    ).select(*FREQUENCY_COLUMNS, "share_h", "running_h", "procedural_h")  # in `_pareto`'s
    # order, which is the reports': per group the "defects" section, then "procedural", each
    # by rank


def _to_date(quarter: pl.LazyFrame, end: dt.date) -> pl.LazyFrame:
    """A quarter's state rows of the periods that end by `end` (and those of no period: a
    state written before periods were kept), summed per OFP and code, in that order."""
    keys = [*OFP_KEY, "defect_code"]
    rows = quarter.filter(pl.col("period_end").is_null()
                          | (pl.col("period_end") <= pl.lit(end, pl.Date))).collect()
    if ordered.sorted_by(rows, keys, unique=True):  # one period of the quarter: as it is
        return rows.lazy()
    return _summed(rows.lazy(), keys).sort(keys)


BATCH_ROWS = 50_000  # about: the report rows worked out at a time, in whole OFP groups
SCOPE_KEY = ["scope", "period_start", "period_end", "quarter_end"]


@dataclass(frozen=True)
class WeekFrequency:
    """The rows of a week's Defect Frequency and QA Unit/Group reports (`frequency`), worked
    out scope by scope and a batch of whole OFP groups at a time, in the reports' order
    (`batches`): a week of many OFPs never holds all its rows, nor the sorts and windows that
    rank them. `outline` counts each group's rows beforehand (the reports' page counts).
    The run hands it both frames spilled (`spilled.Spilled`): each scope is read from its file."""

    saturday: dt.date
    week: spilled.Frame  # the week's `week_charges`, in WEEK_KEY order
    charges: spilled.Frame  # the state after the week, sorted by CHARGE_KEY (`add_week`)
    dcf: pl.DataFrame | None = None

    def _scopes(self) -> list[tuple[str, dt.date, dt.date, dt.date]]:
        """(scope, start, end, quarter end) of the week's periods and of quarter to date for
        each quarter they fall in, in the reports' order."""
        scopes = [("period", p.start, p.end, p.quarter_end)
                  for p in periods.week_periods(self.saturday)]
        for q_end in sorted({periods.quarter_end(d)
                             for d in periods.record_dates(self.saturday)}):
            start = periods.first_prior_quarter_end(q_end) + dt.timedelta(days=1)
            scopes.append(("quarter", start, min(q_end, self.saturday), q_end))
        return sorted(scopes)

    def _figures(self, scope: str, start: dt.date, end: dt.date, q_end: dt.date
                 ) -> pl.LazyFrame:
        """Defects per OFP and code of one scope (OFP_KEY, defect_code, FIGURES), in OFP and
        code order (`frequency` ranks the codes of an OFP itself)."""
        # Both frames are sorted with the period or quarter first: a period's rows are in OFP
        # and code order, and a period's code of an OFP is one row (its quarter is the
        # period's); a quarter's are so when the state holds one period of it.
        if scope == "period":
            figures = spilled.where(self.week, "period_end", end)
        else:
            figures = _to_date(spilled.where(self.charges, "quarter_end", q_end), end)
        return figures.select(*OFP_KEY, "defect_code", *[pl.col(c).cast(pl.Int64)
                                                          for c in FIGURES])

    @staticmethod
    def _scoped(frame: pl.DataFrame, scope: str, start: dt.date, end: dt.date,
                q_end: dt.date) -> pl.DataFrame:
        """`frame` (a batch of figures, or the outline's counts) with the SCOPE_KEY columns of
        its scope in front: added to a batch, not to the whole scope's rows."""
        return frame.select(
            pl.lit(scope).alias("scope"), pl.lit(start, pl.Date).alias("period_start"),
            pl.lit(end, pl.Date).alias("period_end"), pl.lit(q_end, pl.Date).alias("quarter_end"),
            pl.all())

    def batches(self, rows: int | None = None) -> Iterator[pl.DataFrame]:
        """`frequency` rows in the reports' order, whole OFP groups of about `rows` rows at a
        time."""
        for scope in self._scopes():
            figures = self._figures(*scope).collect()
            for offset, length in _group_cuts(figures, rows or BATCH_ROWS):
                yield frequency(self._scoped(figures.slice(offset, length), *scope), self.dcf)
            del figures  # before the next scope's are read

    def outline(self) -> pl.DataFrame:
        """Per scope and OFP (SCOPE_KEY, OFP_KEY) with a row in `frequency`: its rows, its
        900-909 rows and its rows on the QA Unit/Group Report (`on_unit_group`)."""
        parts = []
        for scope in self._scopes():
            figures = self._figures(*scope).with_columns(
                (pl.col("employee") + pl.col("unit_review") + pl.col("unit_moved"))
                .alias("defects"),
                (pl.col("unit_review") + pl.col("unit_moved")).alias("unit_group"),
            ).filter(pl.col("defects") > 0)
            counts = figures.group_by(OFP_KEY, maintain_order=True).agg(
                outline_counts()).collect()
            parts.append(self._scoped(counts, *scope))
        return pl.concat(parts) if parts else pl.DataFrame()

    def frame(self) -> pl.DataFrame:
        """Every row at once (`week_frequency`)."""
        return pl.concat([*self.batches(), no_rows(self.dcf)])


def no_rows(dcf: pl.DataFrame | None = None) -> pl.DataFrame:
    """`frequency` of no figures: its columns alone."""
    return frequency(pl.DataFrame(schema={
        "scope": pl.String, "period_start": pl.Date, "period_end": pl.Date,
        "quarter_end": pl.Date, **{k: pl.String for k in OFP_KEY}, "defect_code": pl.String,
        **{c: pl.Int64 for c in FIGURES}}), dcf)


def outline_counts() -> list[pl.Expr]:
    """What the reports' page counts read of a group of `frequency` rows (or of the figures
    they come from): its rows, its 900-909 rows, its rows on the QA Unit/Group Report."""
    return [pl.len().alias("rows"),
            code_in("defect_code", PROCEDURAL_CODES).sum().alias("procedural"),
            on_unit_group().sum().alias("unit_group_rows")]


def on_unit_group() -> pl.Expr:
    """A row of the QA Unit/Group Report: a unit/group charge or a possible identical."""
    return (pl.col("unit_group") > 0) | (pl.col(IDENTICAL) > 0)


def _group_cuts(figures: pl.DataFrame, rows: int) -> list[tuple[int, int]]:
    """(offset, length) of batches of about `rows` rows of `figures` (in OFP order) that end
    where an OFP does."""
    if figures.height <= rows:
        return [(0, figures.height)] if figures.height else []
    key = pl.struct(OFP_KEY)
    ends = figures.select(key.ne_missing(key.shift(-1)).fill_null(True).arg_true()
                          .alias("end"))["end"]
    out, at = [], 0
    while at < figures.height:
        i = min(int(ends.search_sorted(at + rows - 1, side="left")), ends.len() - 1)
        end = int(ends[i]) + 1
        out.append((at, end - at))
        at = end
    return out


def week_frequency(week: pl.DataFrame, charges: pl.DataFrame, saturday: dt.date,
                   dcf: pl.DataFrame | None = None) -> pl.DataFrame:
    """`frequency` for the week's periods (from its `week_charges`) and, for each quarter the
    week's periods fall in, quarter to date (from the state `charges` after the week)."""
    return WeekFrequency(saturday, week, charges, dcf).frame()


def run_weeks(sums: pl.DataFrame, charges: pl.DataFrame | None,
              dcf: pl.DataFrame | None = None
              ) -> tuple[pl.DataFrame | None, dict[dt.date, WeekFrequency]]:
    """Every week the run's review lines are dated in, oldest first: (the state after them,
    {Saturday: its `WeekFrequency`}). `sums`: the lines summed per week ending, OFP and code
    (`review_sums`). No review lines: the state unchanged and no week."""
    return add_weeks(weeks_of(sums), charges, dcf)


def weeks_of(sums: pl.DataFrame, spill: Path | None = None) -> dict[dt.date, spilled.Frame]:
    """{Saturday: its `week_charges`} of every week `sums` has lines dated in, oldest first:
    all the defect charges read of the run's review sums, so these can be let go. With
    `spill` (a private folder), each week's frame is kept in a file there as it is made."""
    dates = sums["week_ending"].drop_nulls().unique()  # a few dates
    out: dict[dt.date, spilled.Frame] = {}
    for saturday in sorted({saturday_of(d) for d in dates}):
        path = None if spill is None else spill / f"week-{saturday:%Y%m%d}.arrow"
        if path is not None and (kept := _spilled_in_slices(sums, saturday, path)) is not None:
            out[saturday] = kept
            continue
        week = week_charges(sums, saturday)
        out[saturday] = week if path is None else spilled.Spilled.of(week, path, by="period_end")
    return out


def add_weeks(weeks: dict[dt.date, spilled.Frame], charges: spilled.Frame | None,
              dcf: pl.DataFrame | None = None, spill: Path | None = None
              ) -> tuple[spilled.Frame | None, dict[dt.date, WeekFrequency]]:
    """`run_weeks` of the weeks' `week_charges` (`weeks_of`). With `spill` (a private
    folder), the state after each week is kept in a file there, and so is returned."""
    out: dict[dt.date, WeekFrequency] = {}
    for saturday, week in weeks.items():
        after = add_week(charges, week, saturday)
        charges = (after if spill is None else spilled.Spilled.of(
            after, spill / f"charges-{saturday:%Y%m%d}.arrow", by="quarter_end"))
        del after
        out[saturday] = WeekFrequency(saturday, week, charges, dcf)
    return charges, out
