"""Weeks, fiscal quarters, SAR periods and the rating period (rules.md, "Individual data").

A week runs Sunday to Saturday and is named by its Saturday. Fiscal quarters end 31 December
(Q1, October-December), 31 March, 30 June and 30 September. A quarter that ends on a Monday to
Thursday splits its week into two *periods*: Sunday to the quarter end, then the next day to
Saturday; each period gets its own SAR. Otherwise the week is one period ending Saturday.

Our reading of how weekly data meet split weeks: Forms 3081 and 3926 are weekly, so nothing is
ever prorated by day. For a split week the days up to the quarter end are reported on forms that
carry the quarter-ending date as their week ending (IRM 3.30.28.4.4.2 item 4 exception) and the
rest on forms dated Saturday. A record belongs to the period and to the quarter of the date it
carries. A record dated only Saturday in a split week counts wholly in the second period and the
new quarter. When a quarter ends on a Friday or a Sunday the week is not split (one SAR, period
ending Saturday), but a record dated with the quarter end still counts in the old quarter.

>>> week_periods(dt.date(2026, 1, 3))[0].end
datetime.date(2025, 12, 31)
>>> quarter_end(dt.date(2025, 10, 1)), quarter_yyyymm(dt.date(2025, 12, 31))
(datetime.date(2025, 12, 31), '202512')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.engine.machinery.weeks import SATURDAY

WEEKS_PER_YEAR = 52
RAS = 260  # Recommended Annual Sample per QPC (IRM 3.30.28.2.2.1)


def quarter_end(d: dt.date) -> dt.date:
    """Last day of the fiscal quarter holding `d`."""
    month = ((d.month - 1) // 3 + 1) * 3
    nxt = dt.date(d.year + 1, 1, 1) if month == 12 else dt.date(d.year, month + 1, 1)
    return nxt - dt.timedelta(days=1)


def first_prior_quarter_end(q_end: dt.date) -> dt.date:
    """Quarter end of the quarter before the one ending `q_end`."""
    q_end = quarter_end(q_end)
    return dt.date(q_end.year, q_end.month - 2, 1) - dt.timedelta(days=1)


def quarter_yyyymm(q_end: dt.date) -> str:
    """Form 6489 item 19 spelling of a quarter: its ending month, YYYYMM."""
    return f"{q_end.year:04d}{q_end.month:02d}"


def fiscal_label(q_end: dt.date) -> str:
    """'FY2026 Q1' for the quarter ending 12/31/2025 (October-December is Q1)."""
    fy = q_end.year + 1 if q_end.month >= 10 else q_end.year
    return f"FY{fy} Q{(q_end.month - 10) % 12 // 3 + 1}"


def quarter_end_expr(date: pl.Expr) -> pl.Expr:
    """Vectorized `quarter_end`."""
    month = ((date.dt.month() - 1) // 3 + 1) * 3
    return pl.date(date.dt.year(), month, 1).dt.month_end()


@dataclass(frozen=True)
class Period:
    """One SAR period of a week: `number` of `count` (2 only in a split week)."""

    start: dt.date
    end: dt.date
    saturday: dt.date
    number: int
    count: int

    @property
    def quarter_end(self) -> dt.date:
        return quarter_end(self.end)


def check_saturday(saturday: dt.date) -> None:
    if saturday.weekday() != SATURDAY:
        raise ValueError(f"week ending {saturday:%m/%d/%Y} is not a Saturday")


def split_quarter_end(saturday: dt.date) -> dt.date | None:
    """The quarter end that splits this week (Monday-Thursday), or None."""
    check_saturday(saturday)
    sunday = saturday - dt.timedelta(days=6)
    q_end = quarter_end(sunday)
    return q_end if q_end < saturday and q_end.weekday() <= 3 else None


def week_periods(saturday: dt.date) -> tuple[Period, ...]:
    """The week's periods in order: one, or two when a quarter ends Monday-Thursday."""
    sunday = saturday - dt.timedelta(days=6)
    split = split_quarter_end(saturday)
    if split is None:
        return (Period(sunday, saturday, saturday, 1, 1),)
    return (Period(sunday, split, saturday, 1, 2),
            Period(split + dt.timedelta(days=1), saturday, saturday, 2, 2))


def record_dates(saturday: dt.date) -> list[dt.date]:
    """Dates a form of this week may carry: the Saturday, or a quarter end within the week."""
    check_saturday(saturday)
    sunday = saturday - dt.timedelta(days=6)
    q_end = quarter_end(sunday)
    return [q_end, saturday] if q_end < saturday else [saturday]


def period_end_expr(date: pl.Expr, saturday: dt.date) -> pl.Expr:
    """The end of the period a record dated `date` belongs to (assumes a valid record date)."""
    split = split_quarter_end(saturday)
    if split is None:
        return pl.lit(saturday, pl.Date)
    return pl.when(date == pl.lit(split, pl.Date)).then(pl.lit(split, pl.Date)).otherwise(
        pl.lit(saturday, pl.Date))


def rating_start_expr(start: pl.Expr, saturday: dt.date) -> pl.Expr:
    """The start of the annual rating period holding `saturday`: the Employee Master's rating
    start moved on by whole years (RAS is a year's sample, so the rating figures and RSD start
    again each year); the start itself when it is after `saturday`."""
    sat = pl.lit(saturday, pl.Date)
    years = (pl.lit(saturday.year, pl.Int32) - start.dt.year()).clip(lower_bound=0)
    moved = start.dt.offset_by(pl.format("{}y", years))
    earlier = start.dt.offset_by(pl.format("{}y", (years - 1).clip(lower_bound=0)))
    return pl.when(moved <= sat).then(moved).otherwise(earlier)


def rating_weeks_expr(start: pl.Expr, saturday: dt.date) -> pl.Expr:
    """Weeks of the rating period elapsed, this week included: the week holding `start` is
    week 1. 0 when the period starts after this week; at most 52."""
    first_saturday = start + pl.duration(days=(6 - start.dt.weekday()) % 7)
    days = (pl.lit(saturday, pl.Date) - first_saturday).dt.total_days()
    return pl.when(start > pl.lit(saturday, pl.Date)).then(0).otherwise(
        (days // 7 + 1).clip(0, WEEKS_PER_YEAR)).cast(pl.Int64)


def div_half_up(num: pl.Expr, den: pl.Expr | int) -> pl.Expr:
    """num / den rounded half up, for num >= 0 and den > 0, in integers (never Python round(),
    which rounds half to even). Null when den is 0 or null."""
    d = den if isinstance(den, pl.Expr) else pl.lit(den, pl.Int64)
    return pl.when(d > 0).then((2 * num + d) // (2 * d))


def rsd_expr(weeks: pl.Expr, ras: int = RAS) -> pl.Expr:
    """Recommended sample to date: RAS x weeks elapsed / 52, rounded half up."""
    return div_half_up(weeks * ras, WEEKS_PER_YEAR)
