"""The individual data step of the weekly run in one call: `run_step`.

The weekly run gives it the week's prefix-decoded records of programs 59600 (Form 3081) and 59602
(Form 6489), run 03's accepted review lines, the store's `cum_jobs` table and the reference
files. It gets back every record with its fate (posted, or rejected with codes for the open
error register), the state tables to write into the new store generation, and per week the
frames its reports print (`IndividualStep.printed`): the step computes, the report stage
(`pipelines.reports.individual_week.print_step`) prints them and fills `outputs`.

What the weekly run must do around it:

* read the store tables named in READS (`previous={"cum_jobs": store.read("cum_jobs")}`) and
  write every table of `IndividualStep.tables` into the new generation (`gen.write(name, df)`);
  an empty `tables` means nothing changed (the generation carries the old table forward);
* count `IndividualStep.records` per deck: `rejected` False is posted, True goes to the open
  error register as run `run` ("IPR-3081" / "IPR-6489") with its `error_codes`,
  `record_type`, `control_number` and `text` (no header text); every input record comes back
  exactly once, so records in = posted + rejected holds for these programs too;
* hand the step to the report stage, which writes each week's reports and Parquet twins.

Weeks. A record belongs to the week of its deck: the column `deck_week_ending` (Date, the deck's
HDR week ending) when the records carry it, else the run's `week_ending`. A date that is not a
Saturday stands for the week holding it (a quarter-end HDR date of a split week names that
week's Saturday). A deck of individual reviews makes its week a week of the run too, with no
Form 3081 of that week in it (`deck_weeks`). With records of several weeks, the weeks run one
after the other, oldest first, each starting from the cum job records the one before left; a
review goes to the week of its deck, where one dated in another week is listed on Weekly Data
Not Posted (N02); without deck weeks, to the week of its own week ending date, or, when no deck
of this run is for that week, to the latest week (N02 there). Each week gets
its own reports; every file name carries the week's Saturday: ``ipr_MMDDYYYY.txt``.
A week that holds a fiscal quarter end also writes that quarter's IPSR (`individual.ipsr`),
named for the quarter: ``ipsr_YYYYMM.txt`` and its Parquet twin.

Nothing to do: no record of 59600/59602, and either no Employee Master File or no individual
review (a review with an SSN) either: an empty step, returned at once (no reports, no tables).
With an Employee Master File and individual reviews but no Forms 3081, the step runs for the
run's week (the reviews cannot match: Weekly Data Not Posted lists them).

No Employee Master File but Forms 3081/6489: nothing is posted; every one of them is rejected
with I01 (`codes.STEP_REASONS`), listed on ``data-not-posted_MMDDYYYY.txt`` and said in
`IndividualStep.notes`; the cum job records are not touched.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import decode
from pipelines.engine.machinery import register
from pipelines.engine.machinery.weeks import saturday_of
from pipelines.engine.qap.individual import cum_jobs as cj
from pipelines.engine.qap.individual import ipsr, periods, review_data
from pipelines.engine.qap.individual.not_posted import NOT_POSTED_COLUMNS
from pipelines.engine.qap.individual.reference import OFP_KEY
from pipelines.engine.qap.individual.run import (
    ADJUSTMENT_PROGRAM,
    OUTPUT_COLUMNS,
    TIME_PROGRAM,
    WeekFrames,
    calculate,
    name_decks,
)
from validators import codes

RUN_3081, RUN_6489 = codes.RUN_3081, codes.RUN_6489  # `run` of a record on the register
RUNS = {TIME_PROGRAM: RUN_3081, ADJUSTMENT_PROGRAM: RUN_6489}
RECORD_TYPES = {TIME_PROGRAM: "form3081", ADJUSTMENT_PROGRAM: "form6489"}
READS = ("cum_jobs", "weekly_history", "posted_3081", "sample_requests",
         "sampling_weeks")  # store tables `run_step` wants in `previous`
WRITES = ("cum_jobs", "weekly_history", "posted_3081")  # tables `IndividualStep.tables` may hold
# optional Date column of `records`: the deck's HDR week ending (the register's column too)
DECK_WEEK = register.DECK_WEEK
PARQUET = ("individual-weekly", "ipr", "ipr-adjustments", "sar", "data-not-posted",
           "unit-group")
NO_EMF = "I01"

RECORD_COLUMNS = ["seq", "deck_no", "line_no", "run", "record_type", "control_number",
                  "week_ending", "rejected", "error_codes", "reason", "text"]
_BASE = ["seq", "deck_no", "line_no", "text", "program_number", "format_code", "block", "serial",
         "section"]


@dataclass(frozen=True)
class WeekPrint:
    """What one week of the step prints: the week's frames (None when the step could not run
    for want of an Employee Master File: then only `not_posted` is listed) and its Parquet
    twins (name -> frame)."""

    week: dt.date
    frames: WeekFrames | None
    parquet: dict[str, pl.DataFrame]
    not_posted: pl.DataFrame | None = None  # OUTPUT_COLUMNS["data-not-posted"], no-EMF case
    ipsr: tuple[tuple[dt.date, pl.DataFrame], ...] = ()  # (quarter end, rows) of each IPSR due


@dataclass(frozen=True)
class IndividualStep:
    """What `run_step` did. `records`: one row per input record (RECORD_COLUMNS, in `seq`
    order): `run`, `record_type`, `control_number` and `text` as the register wants them,
    `week_ending` the Saturday of the week it was taken in, `rejected`, `error_codes` (list;
    empty when posted) and `reason` (the text of the first code)."""

    records: pl.DataFrame
    tables: dict[str, pl.DataFrame]  # store tables to write (WRITES); empty: leave them be
    outputs: dict[str, Path]  # file name -> path (.txt, .parquet): filled by the report stage
    weeks: tuple[dt.date, ...] = ()  # the weeks run, oldest first
    printed: tuple[WeekPrint, ...] = ()  # what the report stage prints, week by week
    notes: tuple[str, ...] = ()  # for the operator (progress messages, summary)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: calculate (+ print,
    #                                                            parquet: the report stage)

    @property
    def posted(self) -> int:
        return int((~self.records["rejected"]).sum())

    @property
    def rejected(self) -> int:
        return int(self.records["rejected"].sum())


def _saturday_expr(d: pl.Expr) -> pl.Expr:
    """The Saturday ending the week (Sunday-Saturday) that holds `d` (polars: Monday = 1)."""
    return d + pl.duration(days=(6 - d.dt.weekday()) % 7)


def _empty_records(records: pl.DataFrame) -> pl.DataFrame:
    schema = {"seq": pl.UInt32, "deck_no": pl.UInt16, "line_no": pl.UInt32, "run": pl.String,
              "record_type": pl.String, "control_number": pl.String, "week_ending": pl.Date,
              "rejected": pl.Boolean, "error_codes": pl.List(pl.String), "reason": pl.String,
              "text": pl.String}
    for name in ("seq", "deck_no", "line_no"):
        if name in records.columns:
            schema[name] = records.schema[name]
    return pl.DataFrame(schema=schema)


def _with_weeks(records: pl.DataFrame, week_ending: dt.date | None) -> pl.DataFrame:
    """The records' base columns plus `_week` (the Saturday of the record's deck's week)."""
    fallback = pl.lit(week_ending, pl.Date)
    week = (pl.col(DECK_WEEK).cast(pl.Date).fill_null(fallback) if DECK_WEEK in records.columns
            else fallback)
    out = records.select(*_BASE, _saturday_expr(week).alias("_week"))
    if out["_week"].null_count():
        raise ValueError("run_step: records without a week: give week_ending or a "
                         f"{DECK_WEEK} column")
    return out


def _decoded(records: pl.DataFrame, program: str, record: str) -> pl.DataFrame:
    """One program's records decoded with its layout, `seq` kept as `run_seq`, in seq order."""
    rows = records.filter(pl.col("program_number") == program).sort("seq").rename(
        {"seq": "run_seq"})
    return decode(rows, layout.load(record))


def _control_number() -> pl.Expr:
    return (pl.col("block").str.slice(2, 1) + pl.col("serial")).alias("control_number")


def _reason(codes_: pl.Expr) -> pl.Expr:
    return codes_.list.first().replace_strict(codes.RECORD_REASONS, default=None,
                                              return_dtype=pl.String)


def _finish(records: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """RECORD_COLUMNS from the weekly records and their status (seq, rejected, error_codes)."""
    out = records.join(status, on="seq", how="left").select(
        "seq", "deck_no", "line_no",
        pl.col("program_number").replace_strict(RUNS, default=None).alias("run"),
        pl.col("program_number").replace_strict(RECORD_TYPES, default=None)
        .alias("record_type"),
        _control_number(), pl.col("_week").alias("week_ending"), "rejected",
        pl.col("error_codes").cast(pl.List(pl.String)),
        _reason(pl.col("error_codes")).alias("reason"), "text").sort("seq")
    if out.height != records.height or out["rejected"].null_count():
        raise RuntimeError("individual data step: a record was lost or doubled (conservation)")
    return out


def _status(decoded: pl.DataFrame, engine: pl.DataFrame, rejected: pl.Expr,
            error_codes: str) -> pl.DataFrame:
    """seq, rejected, error_codes of the records the engine saw: its `seq` is the row's index
    in `decoded` (the frame it was given)."""
    index = decoded.select(pl.col("run_seq").alias("seq"),
                           pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"))
    found = engine.select(pl.col("seq").cast(pl.UInt32).alias("_i"), rejected.alias("rejected"),
                          pl.col(error_codes).alias("error_codes"))
    return index.join(found, on="_i", how="left").select(
        "seq", pl.col("rejected").fill_null(False),
        pl.col("error_codes").fill_null(pl.lit([], pl.List(pl.String))))


def _unposted_forms(time_3081: pl.DataFrame, forms_6489: pl.DataFrame, code: str
                    ) -> pl.DataFrame:
    """Weekly Data Not Posted rows (NOT_POSTED_COLUMNS) for forms the step could not take."""
    none_i = pl.lit(None, pl.Int64)
    both = [
        time_3081.select(pl.lit("3081").alias("source"), "deck_no", "line_no", "ssn",
                         "week_ending", *OFP_KEY, "grade", "step", "time_code",
                         pl.col("hours_tenths").alias("hours"), "volume", "text"),
        forms_6489.select(pl.lit("6489").alias("source"), "deck_no", "line_no", "ssn",
                          "week_ending", *OFP_KEY, "grade", "step", "time_code",
                          pl.col("hours_tenths").alias("hours"), "volume", "text"),
    ]
    return pl.concat(both).sort("deck_no", "line_no").with_columns(
        none_i.alias("reviewed"), none_i.alias("errors"),
        pl.lit([code], pl.List(pl.String)).alias("reason_codes"),
        pl.lit(codes.STEP_REASONS[code]).alias("reason")).select(NOT_POSTED_COLUMNS)


def _without_employee_master(base: pl.DataFrame, timings: dict[str, float],
                             deck_names: Sequence[str]) -> IndividualStep:
    time_all = _decoded(base, TIME_PROGRAM, "form3081")
    forms_all = _decoded(base, ADJUSTMENT_PROGRAM, "form6489")
    printed: list[WeekPrint] = []
    weeks = tuple(sorted(base["_week"].unique().to_list()))
    for week in weeks:
        rows = name_decks(_unposted_forms(time_all.filter(pl.col("_week") == week),
                                          forms_all.filter(pl.col("_week") == week), NO_EMF),
                          deck_names).select(OUTPUT_COLUMNS["data-not-posted"])
        printed.append(WeekPrint(week, None, {"data-not-posted": rows}, not_posted=rows))
    status = base.select("seq", pl.lit(True).alias("rejected"),
                         pl.lit([NO_EMF], pl.List(pl.String)).alias("error_codes"))
    records = _finish(base, status)
    note = (f"individual data: {records.height} Form 3081/6489 record(s) not posted: "
            f"{codes.STEP_REASONS[NO_EMF].lower()} (employee_master.txt in the reference "
            f"folder); they are on the open error register with code {NO_EMF}: put the file "
            "there and re-input them")
    return IndividualStep(records=records, tables={}, outputs={}, weeks=weeks,
                          printed=tuple(printed), notes=(note,), timings=timings)


def _previous_cum(previous: dict[str, pl.DataFrame | None]) -> pl.DataFrame:
    return cj.read_cum_jobs(previous.get("cum_jobs"))


def _previous_posted(previous: dict[str, pl.DataFrame | None]) -> pl.DataFrame:
    posted = previous.get("posted_3081")
    schema = review_data.POSTED_3081
    return pl.DataFrame(schema=schema) if posted is None else posted.select(
        list(schema)).cast(schema)


def _posted_after(posted: pl.DataFrame, weekly: pl.DataFrame) -> pl.DataFrame:
    """`posted` plus the week's Forms 3081 that posted (a row of `weekly` with hours or volume
    of its own or one a review met): one row per SSN, OFP and date, the latest grade."""
    schema = review_data.POSTED_3081
    return pl.concat([posted, weekly.select(list(schema)).cast(schema)]).unique(
        review_data.MATCH_KEY, keep="last", maintain_order=True)


def _review_weeks(reviews: pl.DataFrame, weeks: tuple[dt.date, ...],
                  deck_weeks: Sequence[dt.date] = ()) -> pl.DataFrame:
    """`reviews` plus `_week`: the week of its deck (`deck_weeks` by `deck_no`), where a
    review dated in another week is listed on Data Not Posted (N02). A review dated in an
    earlier week, re-input in a later week's deck, went to its own week whenever another deck
    of the run was of that week, and posted there; without one it was N02 (review 19, F1).
    Without deck weeks: its own week when the run has that week, else the latest."""
    own = _saturday_expr(pl.col("week_ending"))
    known = pl.Series(weeks, dtype=pl.Date).implode()
    fallback = (pl.when(own.is_in(known).fill_null(False)).then(own)
                .otherwise(pl.lit(weeks[-1], pl.Date)))
    if not deck_weeks:
        return reviews.with_columns(fallback.alias("_week"))
    saturdays = pl.Series([saturday_of(w) for w in deck_weeks], dtype=pl.Date)
    deck = pl.col("deck_no").cast(pl.Int64).replace_strict(
        pl.Series(range(len(deck_weeks)), dtype=pl.Int64), saturdays, default=None,
        return_dtype=pl.Date)
    return reviews.with_columns(pl.coalesce(deck, fallback).alias("_week"))


def _review_deck_weeks(reviews: pl.DataFrame, deck_weeks: Sequence[dt.date]) -> set[dt.date]:
    """The weeks (Saturdays) of the decks that hold individual reviews."""
    if not deck_weeks:
        return set()
    decks = review_data.individual_reviews(reviews)["deck_no"].unique().to_list()
    return {saturday_of(deck_weeks[d]) for d in decks if d is not None}


def run_step(records: pl.DataFrame, reviews: pl.DataFrame,
             previous: dict[str, pl.DataFrame | None], employees: pl.DataFrame | None,
             ofp: pl.DataFrame, week_ending: dt.date | None,
             deck_names: Sequence[str] = (), deck_weeks: Sequence[dt.date] = ()
             ) -> IndividualStep:
    """Run the individual data step of one weekly run (see the module docstring).

    records: the run's prefix-decoded records of programs 59600/59602 (seq, deck_no, line_no,
      text, program_number, format_code, block, serial, section; optionally deck_week_ending).
    reviews: run 03's accepted review lines (`Run03Result.reviews`).
    previous: the store's tables named in READS (None: not in the store yet).
    employees, ofp: the reference files as `decode_file` returns them (employees None: there is
      no Employee Master File).
    week_ending: the run's week ending (used for records without a deck week ending).
    deck_names: the file name of each deck_no, so the reports name the deck of each record.
    deck_weeks: the HDR week ending of each deck_no: a deck of individual reviews is a week of
      the run too, with or without a Form 3081 of its week in the run (a reprocess of a week's
      corrected reviews: they match that week's Forms 3081 posted before).
    """
    timings = {"calculate": 0.0}
    other = records.filter(~pl.col("program_number").is_in(list(RUNS)))
    if other.height:
        raise ValueError(f"run_step takes programs {', '.join(RUNS)} only; got "
                         f"{sorted(set(other['program_number']))}")
    if records.height == 0 and (employees is None or week_ending is None
                                or review_data.individual_reviews(reviews).height == 0):
        return IndividualStep(records=_empty_records(records), tables={}, outputs={},
                              timings=timings)
    base = _with_weeks(records, week_ending)
    if employees is None:
        return _without_employee_master(base, timings, deck_names)

    t = time.perf_counter()
    weeks = tuple(sorted(set(base["_week"].to_list()) | _review_deck_weeks(reviews, deck_weeks))
                  ) or (saturday_of(week_ending),)
    time_all = _decoded(base, TIME_PROGRAM, "form3081")
    forms_all = _decoded(base, ADJUSTMENT_PROGRAM, "form6489")
    review_all = _review_weeks(reviews, weeks, deck_weeks)
    cum = _previous_cum(previous)
    history = previous.get("weekly_history")
    posted = _previous_posted(previous)
    timings["calculate"] += time.perf_counter() - t
    printed: list[WeekPrint] = []
    status: list[pl.DataFrame] = []
    for week in weeks:
        t = time.perf_counter()
        time_3081 = time_all.filter(pl.col("_week") == week)
        forms_6489 = forms_all.filter(pl.col("_week") == week)
        frames: WeekFrames = calculate(
            week_ending=week, employees=employees, ofp=ofp, time_3081=time_3081,
            forms_6489=forms_6489, reviews=review_all.filter(pl.col("_week") == week)
            .drop("_week"), cum_jobs=cum, weekly_history=history,
            posted_3081=posted.filter(pl.col("week_ending").is_in(
                pl.Series(periods.record_dates(week), dtype=pl.Date).implode())),
            sampling=previous)
        frames = replace(frames, not_posted=name_decks(frames.not_posted, deck_names),
                         adjustments=name_decks(frames.adjustments, deck_names),
                         unit_group=name_decks(frames.unit_group, deck_names))
        cum, history = frames.cum_jobs, frames.history
        posted = _posted_after(posted, frames.weekly)
        status.append(_status(time_3081, frames.time_rejected, pl.lit(True), "reason_codes"))
        status.append(_status(forms_6489, frames.adjustments,
                              pl.col("message_code") == codes.ERROR, "reason_codes"))
        parquet = {name: frame for name, frame in frames.frames().items() if name in PARQUET}
        due = tuple(ipsr.due(cum, frames.employees, ofp, week))  # a quarter ended: its IPSR
        timings["calculate"] += time.perf_counter() - t
        printed.append(WeekPrint(week, frames, parquet, ipsr=due))
    t = time.perf_counter()
    done = _finish(base, pl.concat(status))
    timings["calculate"] += time.perf_counter() - t
    return IndividualStep(records=done, tables={"cum_jobs": cum, "weekly_history": history,
                                                "posted_3081": posted},
                          outputs={}, weeks=weeks, printed=tuple(printed), timings=timings)


__all__ = ["DECK_WEEK", "READS", "RECORD_COLUMNS", "RUN_3081", "RUN_6489", "WRITES",
           "IndividualStep", "WeekPrint", "run_step"]
