"""Work days for the 10-work-day clock of IRM 1.4.50.10.2(10) (spec 3.6 and section 4).

Monday-Friday less the non-work days of the optional `work_calendar.txt`. Without the file the
run still runs, and says Monday-Friday were assumed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import DeckFault, decode_file
from pipelines.engine.machinery import reference as ref

CALENDAR_FILE = "work_calendar.txt"
LAYOUT = layout.load("work_calendar")


class CalendarError(Exception):
    """A bad line in the work calendar: file, line, column and what was expected."""


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    assumed: bool = True  # no calendar file: Monday-Friday assumed

    def is_work_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def work_days(self, first: dt.date, last: dt.date) -> int:
        """Work days from `first` to `last`, both included (0 when last < first)."""
        n, day = 0, first
        while day <= last:
            n += self.is_work_day(day)
            day += dt.timedelta(days=1)
        return n

    def nth_work_day_after(self, start: dt.date, n: int) -> dt.date:
        """The n-th work day counted from the day after `start` (spec section 4)."""
        day, seen = start, 0
        while seen < n:
            day += dt.timedelta(days=1)
            seen += self.is_work_day(day)
        return day


def load(reference_dir: Path | None) -> WorkCalendar:
    """The calendar in `reference_dir`, or Monday-Friday when there is none."""
    try:  # a folder this user cannot look into is said, not an abend
        if reference_dir is None or not ref.there(reference_dir / CALENDAR_FILE):
            return WorkCalendar()
    except ref.ReferenceMissing as err:
        raise CalendarError(str(err)) from None
    path = reference_dir / CALENDAR_FILE
    try:
        rows = decode_file(path, LAYOUT)
    except DeckFault as err:
        raise CalendarError(str(err)) from None
    day, kind = LAYOUT.field("day"), LAYOUT.field("day_kind")
    bad_day = rows.filter(pl.col("day_v").is_null())
    if bad_day.height:
        line = bad_day.row(0, named=True)
        raise CalendarError(f"{path}, line {line['line_no']}, column {day.start}: "
                            f"{line['day']!r} is not a date MMDDYYYY (columns {day.start}-"
                            f"{day.end}); one non-work day per line")
    bad_kind = rows.filter(pl.col("day_kind") != "H")
    if bad_kind.height:
        line = bad_kind.row(0, named=True)
        raise CalendarError(f"{path}, line {line['line_no']}, column {kind.start}: "
                            f"{line['day_kind']!r}; expected H (a non-work day)")
    return WorkCalendar(frozenset(rows["day_v"].to_list()), assumed=False)
