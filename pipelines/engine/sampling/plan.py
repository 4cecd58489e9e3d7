"""The day's pulls: how many items each request gets on each day, and which ones.

Spread (IRM 3.30.28.2.1(9), 3.30.28.2.2(5)): a request's week is shared out over the days that
can still bring work, so that it is pulled on as many days as the work allows, at least four
when there are four: on each day with work the day's target is what is left of the weekly
sample over the days left, rounded up, and never more than the day's eligible items. The days
left are the later days of this run's batches that hold eligible work for the request (known),
plus the working days (Monday-Friday) of the week after the run date and after the last day
this run has batches for (not yet known: a day on or before the run date can bring no more
work). Work that exists on one day only (cycled work, 3.30.28.2.2(5)(c)) is thus pulled whole
on that day, up to the weekly sample, once no later day of the week can bring work.

Selection: the day's eligible batches of the employee and QPC (their OFP is one of the QPC's
on the OFP Consistency File; High Quality Work OFP/grades are not) are one work group, batch
after batch by batch identifier, items numbered on from one batch to the next; the numbers come
from the table for the group's size, each walk resuming at the previous walk's stop point in
that table (the week's start from the sampling key when the week has none yet). No OFP is aimed
at (3.30.28.2.2(5)(d) note). High Quality Work OFPs are pulled per OFP from every employee's
batches of it, the same way, to 230 documents in the first eight weeks of the quarter.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import polars as pl

from pipelines.engine.sampling import random_tables, starts
from pipelines.engine.sampling.walk import Cell, Walk, walk

IR, HQW = "IR", "HQW"
HQW_DOCUMENTS, HQW_WEEKS = 230, 8  # glossary 11: per OFP, first eight weeks of each quarter

LOG_SCHEMA = {
    "week_ending": pl.Date, "pull_no": pl.Int64, "pull_date": pl.Date, "kind": pl.String,
    "ssn": pl.String, "employee_name": pl.String, "qpc": pl.String,
    "function_code": pl.String, "program_code": pl.String, "grade": pl.String,
    "ofp": pl.String, "weekly_sample": pl.Int64, "daily_volume": pl.Int64,
    "target": pl.Int64, "pulled": pl.Int64, "table": pl.String, "start_row": pl.Int64,
    "start_column": pl.Int64, "direction": pl.String, "stop_row": pl.Int64,
    "stop_column": pl.Int64, "drawn": pl.List(pl.Int64), "items": pl.List(pl.String),
    "suggested_time": pl.String, "run_id": pl.String,
}
ITEM_SCHEMA = {
    "week_ending": pl.Date, "pull_no": pl.Int64, "pull_date": pl.Date, "kind": pl.String,
    "ssn": pl.String, "employee_name": pl.String, "qpc": pl.String, "ofp": pl.String,
    "grade": pl.String, "batch_id": pl.String, "batch_ssn": pl.String, "item": pl.Int64,
    "suggested_time": pl.String,
}


def friday_of(week_ending: dt.date) -> dt.date:
    return week_ending - dt.timedelta(days=1)


def unknown_days(week_ending: dt.date, known_through: dt.date | None) -> list[dt.date]:
    """Working days (Monday-Friday) of the week that may still bring work: those after
    `known_through` (the later of the run date and the last day this run has batches for)."""
    days = [week_ending - dt.timedelta(days=n) for n in range(5, 0, -1)]  # Monday..Friday
    return [d for d in days if known_through is None or d > known_through]


def known_through(run_date: dt.date, last_input_day: dt.date | None) -> dt.date:
    """The last day whose work is known: the run date, or a later day the batches are for."""
    return max(run_date, last_input_day) if last_input_day else run_date


def quarter_week(week_ending: dt.date) -> int:
    """The week's number in its fiscal quarter: 1 for the week holding the quarter's first
    day (our reading: a week is in the quarter of its Saturday)."""
    q_end = quarter_end(week_ending)
    start = dt.date(q_end.year, q_end.month - 2, 1)
    first = start + dt.timedelta(days=(5 - start.weekday()) % 7)
    return (week_ending - first).days // 7 + 1


def quarter_end(d: dt.date) -> dt.date:
    month = ((d.month - 1) // 3 + 1) * 3
    nxt = dt.date(d.year + 1, 1, 1) if month == 12 else dt.date(d.year, month + 1, 1)
    return nxt - dt.timedelta(days=1)


def earlier_in_quarter(column: str, week_ending: dt.date) -> pl.Expr:
    """Rows whose week (a Saturday, in `column`) is before `week_ending` in its quarter."""
    q_end = quarter_end(week_ending)
    start = dt.date(q_end.year, q_end.month - 2, 1)
    return (pl.col(column) >= start) & (pl.col(column) < week_ending)


def hqw_week_target(week_ending: dt.date, pulled_before: int) -> int:
    """This week's HQW documents for one OFP: what is left of 230 over the weeks left of the
    first eight, rounded up; none after the eighth week."""
    week = quarter_week(week_ending)
    if week > HQW_WEEKS:
        return 0
    return max(math.ceil((HQW_DOCUMENTS - pulled_before) / (HQW_WEEKS - week + 1)), 0)


@dataclass
class Cursor:
    """Where the pencil is on each table this week, and the week's direction for it."""

    key: str
    week_ending: dt.date
    at: dict[int, tuple[Cell, str]] = field(default_factory=dict)

    @classmethod
    def resume(cls, key: str, week_ending: dt.date, log: pl.DataFrame) -> Cursor:
        """The stop point of the week's last walk on each table (the log, in pull order)."""
        cursor = cls(key, week_ending)
        for row in log.filter(pl.col("week_ending") == week_ending).sort("pull_no").iter_rows(
                named=True):
            digits = int(row["table"].split("-")[0])
            cursor.at[digits] = (Cell(row["stop_row"], row["stop_column"]), row["direction"])
        return cursor

    def take(self, count: int, size: int) -> Walk:
        """Walk the table for a work group of `size` items from where its pencil is."""
        digits = random_tables.digits_for(size)
        table = random_tables.load(digits)
        cell, direction = self.at.get(digits) or starts.week_start(self.key, self.week_ending,
                                                                  table)
        w = walk(table, cell, direction, count, size)
        self.at[digits] = (w.stop, direction)
        return w


@dataclass
class Demand:
    """One thing to sample this week: an employee's request for a QPC, or an HQW OFP."""

    kind: str
    who: str  # for the suggested time: the SSN, or the HQW OFP
    weekly: int
    pulled: int  # this week so far
    identity: dict  # the log columns that name it
    work: pl.DataFrame  # its eligible batches of this run (date_completed_v, ssn, batch_id, ...)
    last_time: str | None = None
    days: frozenset = field(init=False)  # the days `work` has batches on

    def __post_init__(self) -> None:
        self.days = frozenset(self.work["date_completed_v"].to_list())


def _work_group(batches: pl.DataFrame) -> list[tuple[dict, int]]:
    """(batch, first number of the batch in the group - 1), batch after batch."""
    out, offset = [], 0
    for row in batches.sort("batch_id", "ssn").iter_rows(named=True):
        out.append((row, offset))
        offset += row["items_v"]
    return out


def _split(numbers: tuple[int, ...], group: list[tuple[dict, int]]) -> list[tuple[dict, int]]:
    """Each group number as (batch, item number within the batch)."""
    out = []
    for n in numbers:
        batch, offset = next((b, o) for b, o in reversed(group) if n > o)
        out.append((batch, n - offset))
    return out


def _sampled(picked: list[tuple[dict, int]]) -> dict:
    """The function/program/grade (and OFP) of the batches a pull took its items from, as the
    log must show what was sampled (3.30.28.2.2.4); a value that differs between them is "*"
    (the pull list names each item's). Nothing pulled: the demand's own."""
    if not picked:
        return {}
    out = {}
    for name in ("function_code", "program_code", "grade", "ofp"):
        values = {b[name] for b, _ in picked}
        out[name] = values.pop() if len(values) == 1 else "*"
    return out


def plan_days(demands: list[Demand], days: list[dt.date], week_ending: dt.date,
              known_to: dt.date | None, cursor: Cursor, first_pull_no: int, run_id: str
              ) -> tuple[list[dict], list[dict]]:
    """Every pull of `days` (in order; within a day, demands in the order given). Returns the
    log rows and the item rows (LOG_SCHEMA, ITEM_SCHEMA)."""
    log, items = [], []
    pull_no = first_pull_no
    later = unknown_days(week_ending, known_to)
    for day in days:
        for d in demands:
            remaining = d.weekly - d.pulled
            if day not in d.days or remaining <= 0:
                continue
            today = d.work.filter(pl.col("date_completed_v") == day)
            volume = int(today["items_v"].sum())
            days_left = sum(1 for known in d.days if known >= day) + len(later)
            target = min(math.ceil(remaining / days_left), volume)
            w = cursor.take(target, volume)
            group = _work_group(today)
            picked = _split(w.pulled, group)
            time = starts.suggested_time(cursor.key, day, d.who, d.last_time)
            d.last_time, d.pulled, pull_no = time, d.pulled + len(w.drawn), pull_no + 1
            log.append({**d.identity, **_sampled(picked), "week_ending": week_ending,
                        "pull_no": pull_no,
                        "pull_date": day, "kind": d.kind, "weekly_sample": d.weekly,
                        "daily_volume": volume, "target": target, "pulled": len(w.drawn),
                        "table": w.table, "start_row": w.start.row,
                        "start_column": w.start.column, "direction": w.direction,
                        "stop_row": w.stop.row, "stop_column": w.stop.column,
                        "drawn": list(w.drawn),
                        "items": [f"{b['batch_id'].strip()}#{i}" for b, i in picked],
                        "suggested_time": time, "run_id": run_id})
            for batch, item in picked:
                items.append({"week_ending": week_ending, "pull_no": pull_no, "pull_date": day,
                              "kind": d.kind, "ssn": d.identity["ssn"],
                              "employee_name": d.identity["employee_name"],
                              "qpc": d.identity["qpc"], "ofp": batch["ofp"],
                              "grade": batch["grade"], "batch_id": batch["batch_id"].strip(),
                              "batch_ssn": batch["ssn"], "item": item,
                              "suggested_time": time})
    return log, items
