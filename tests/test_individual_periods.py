"""Weeks, fiscal quarters, split weeks, rating-period weeks and half-up rounding."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.engine.qap.individual import measures, periods

D = dt.date


@pytest.mark.parametrize(("day", "end"), [
    (D(2025, 10, 1), D(2025, 12, 31)), (D(2025, 12, 31), D(2025, 12, 31)),
    (D(2026, 1, 1), D(2026, 3, 31)), (D(2026, 5, 15), D(2026, 6, 30)),
    (D(2026, 9, 30), D(2026, 9, 30)),
])
def test_quarter_end_is_the_fiscal_quarters_last_day(day: dt.date, end: dt.date) -> None:
    assert periods.quarter_end(day) == end
    expr = pl.DataFrame({"d": [day]}).select(periods.quarter_end_expr(pl.col("d"))).item()
    assert expr == end


def test_october_to_december_is_the_first_quarter_of_the_next_fiscal_year() -> None:
    assert periods.fiscal_label(D(2025, 12, 31)) == "FY2026 Q1"
    assert periods.fiscal_label(D(2026, 3, 31)) == "FY2026 Q2"
    assert periods.fiscal_label(D(2026, 9, 30)) == "FY2026 Q4"


def test_first_prior_quarter_crosses_the_calendar_and_fiscal_year() -> None:
    assert periods.first_prior_quarter_end(D(2026, 3, 31)) == D(2025, 12, 31)
    assert periods.first_prior_quarter_end(D(2025, 12, 31)) == D(2025, 9, 30)
    assert periods.first_prior_quarter_end(D(2025, 9, 30)) == D(2025, 6, 30)


def test_quarter_ending_wednesday_splits_the_week_into_two_periods() -> None:
    first, second = periods.week_periods(D(2026, 1, 3))
    assert (first.start, first.end, first.number, first.count) == (
        D(2025, 12, 28), D(2025, 12, 31), 1, 2)
    assert (second.start, second.end, second.number) == (D(2026, 1, 1), D(2026, 1, 3), 2)
    assert first.quarter_end == D(2025, 12, 31)
    assert second.quarter_end == D(2026, 3, 31)
    assert periods.record_dates(D(2026, 1, 3)) == [D(2025, 12, 31), D(2026, 1, 3)]


@pytest.mark.parametrize(("saturday", "split"), [
    (D(2028, 1, 1), None),  # quarter ends Friday 12/31/2027: one period
    (D(2027, 1, 2), D(2026, 12, 31)),  # Thursday
    (D(2028, 4, 1), None),  # quarter ends Friday 03/31/2028
    (D(2026, 7, 4), D(2026, 6, 30)),  # Tuesday
    (D(2027, 7, 3), D(2027, 6, 30)),  # Wednesday
    (D(2026, 10, 3), D(2026, 9, 30)),  # Wednesday
    (D(2025, 12, 27), None),  # an ordinary week
])
def test_only_a_monday_to_thursday_quarter_end_splits(saturday: dt.date,
                                                      split: dt.date | None) -> None:
    assert periods.split_quarter_end(saturday) == split
    assert len(periods.week_periods(saturday)) == (2 if split else 1)


def test_friday_quarter_end_is_a_valid_record_date_in_an_unsplit_week() -> None:
    assert periods.record_dates(D(2028, 1, 1)) == [D(2027, 12, 31), D(2028, 1, 1)]
    assert len(periods.week_periods(D(2028, 1, 1))) == 1


def test_week_ending_must_be_a_saturday() -> None:
    with pytest.raises(ValueError, match="not a Saturday"):
        periods.week_periods(D(2025, 12, 31))


@pytest.mark.parametrize(("start", "saturday", "weeks"), [
    (D(2025, 10, 1), D(2025, 10, 4), 1),  # the week holding the start is week 1
    (D(2025, 10, 1), D(2025, 12, 20), 12),
    (D(2025, 10, 1), D(2026, 1, 3), 14),
    (D(2025, 7, 1), D(2025, 12, 20), 25),
    (D(2025, 10, 4), D(2025, 10, 4), 1),  # starts on the Saturday itself
    (D(2025, 10, 5), D(2025, 10, 4), 0),  # starts after this week
    (D(2023, 1, 1), D(2025, 12, 20), 52),  # never more than a year
])
def test_weeks_of_rating_period_elapsed_include_this_week(start: dt.date, saturday: dt.date,
                                                          weeks: int) -> None:
    got = pl.DataFrame({"s": [start]}).select(
        periods.rating_weeks_expr(pl.col("s"), saturday)).item()
    assert got == weeks


@pytest.mark.parametrize(("start", "saturday", "current"), [
    (D(2025, 10, 1), D(2025, 12, 20), D(2025, 10, 1)),  # the first year
    (D(2024, 10, 1), D(2025, 12, 20), D(2025, 10, 1)),  # a year on: the period starts again
    (D(2024, 12, 20), D(2025, 12, 20), D(2025, 12, 20)),  # the anniversary is this Saturday
    (D(2024, 12, 21), D(2025, 12, 20), D(2024, 12, 21)),  # one day short of a year
    (D(2023, 1, 1), D(2025, 12, 20), D(2025, 1, 1)),
    (D(2024, 2, 29), D(2025, 12, 20), D(2025, 2, 28)),
    (D(2025, 12, 21), D(2025, 12, 20), D(2025, 12, 21)),  # starts after this week: as it is
])
def test_the_rating_period_starts_again_each_year(start: dt.date, saturday: dt.date,
                                                   current: dt.date) -> None:
    got = pl.DataFrame({"s": [start]}).select(
        periods.rating_start_expr(pl.col("s"), saturday)).item()
    assert got == current


def _rsd(weeks: int, ras: int) -> int:
    return pl.DataFrame({"w": [weeks]}).select(periods.rsd_expr(pl.col("w"), ras)).item()


def test_rsd_is_five_a_week_for_the_recommended_annual_sample() -> None:
    assert [_rsd(w, 260) for w in (1, 12, 14, 25, 52)] == [5, 60, 70, 125, 260]


def test_rsd_rounds_half_up_where_pythons_round_would_go_to_even() -> None:
    # 26 x 1 / 52 = 0.5 and 26 x 3 / 52 = 1.5: half up gives 1 and 2; round() gives 0 and 2.
    assert _rsd(1, 26) == 1 and round(0.5) == 0
    assert _rsd(3, 26) == 2
    assert _rsd(5, 26) == 3 and round(2.5) == 2


@given(st.integers(0, 10**9), st.integers(1, 10**6))
def test_div_half_up_matches_exact_fraction(num: int, den: int) -> None:
    got = pl.DataFrame({"n": [num], "d": [den]}).select(
        periods.div_half_up(pl.col("n"), pl.col("d"))).item()
    assert got == (2 * num + den) // (2 * den)
    assert abs(got - num / den) <= 0.5


def test_percent_accurate_rounds_the_half_hundredth_up() -> None:
    # 29 / 32 = 90.625 %: half up 90.63 (half to even would print 90.62).
    frame = pl.DataFrame({"r": [32, 35, 0], "e": [3, 3, 0]})
    got = frame.select(measures.pct_accurate_h(pl.col("r"), pl.col("e"))).to_series().to_list()
    assert got == [9063, 9143, None]


def test_rate_and_percent_of_standard_are_in_hundredths() -> None:
    frame = pl.DataFrame({"v": [4250, 300, 0], "h": [1989, 400, 0], "s": [2500, 850, 1200]})
    got = frame.select(measures.rate_h(pl.col("v"), pl.col("h")).alias("rate"),
                       measures.pct_standard_h(pl.col("v"), pl.col("h"), pl.col("s"))
                       .alias("pct"))
    assert got["rate"].to_list() == [2137, 750, None]  # 21.3675 -> 21.37; 7.50
    assert got["pct"].to_list() == [8547, 8824, None]  # 85.47 %; 88.235 -> 88.24 %
