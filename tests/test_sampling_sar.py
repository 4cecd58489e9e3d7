"""The SAR's Reviews Requested column and Reviews This Week area from sample selection's
store tables; every other figure of the SAR stays as it was."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fixtures.individual import weeks
from pipelines.engine.qap.individual.run import calculate
from pipelines.reports import sar as sar_report
from pipelines.reports.printing import render

ADAMS, CARTER = "111223333", "333445555"
WEEK = "12202025"
SAT = dt.date(2025, 12, 20)
REQUESTS = pl.DataFrame({
    "ssn": [ADAMS, ADAMS, CARTER], "qpc": ["101", "101", "201"],
    "effective_week": [dt.date(2025, 10, 4), dt.date(2025, 12, 20), dt.date(2025, 12, 27)],
    "weekly_sample": [5, 6, 4]})
WEEKS_TABLE = pl.DataFrame({
    "week_ending": [SAT], "kind": ["IR"], "ssn": [ADAMS], "qpc": ["101"], "pulled": [6],
    "pulls": [5]})


def _week(sampling=None):
    time_3081, forms_6489 = weeks.forms(WEEK)
    return calculate(week_ending=SAT, employees=weeks.employees(WEEK), ofp=weeks.ofp(),
                     time_3081=time_3081, forms_6489=forms_6489, reviews=weeks.reviews(WEEK),
                     cum_jobs=weeks.start_cum_jobs(), sampling=sampling)


def test_reviews_requested_is_the_request_in_force_and_the_rest_of_the_sar_is_unchanged():
    plain = _week().sar
    filled = _week({"sample_requests": REQUESTS, "sampling_weeks": WEEKS_TABLE}).sar
    by_ssn = dict(zip(filled["ssn"], filled["reviews_requested"], strict=True))
    assert by_ssn[ADAMS] == 6  # the request from this week replaces the one from October
    assert by_ssn[CARTER] is None  # his applies from next week
    assert filled.filter(pl.col("ssn") == ADAMS).select(
        "reviews_this_week", "pulls_this_week").row(0) == (6, 5)
    rest = [c for c in plain.columns if c not in ("reviews_requested", "reviews_this_week",
                                                  "pulls_this_week")]
    assert filled.select(rest).equals(plain.select(rest))
    assert plain["reviews_requested"].null_count() == plain.height


def test_printed_sar_shows_the_request_and_a_reviews_this_week_line_under_the_row():
    run_date = SAT + dt.timedelta(days=2)
    plain = render(sar_report.pages(_week().sar, run_date, SAT, SAT)).splitlines()
    filled = render(sar_report.pages(
        _week({"sample_requests": REQUESTS, "sampling_weeks": WEEKS_TABLE}).sar, run_date,
        SAT, SAT)).splitlines()
    added = [line for line in filled if "REVIEWS THIS WEEK" in line]
    assert added == [" " * sar_report.position(sar_report.COLS, 10, sar_report.INDENT)
                     + "REVIEWS THIS WEEK 6 PULLED ON 5 DAY(S)"]
    at = filled.index(added[0])
    assert filled[at - 1].startswith("  07/03  101")
    requested = sar_report.position(sar_report.COLS, 10, sar_report.INDENT)
    assert filled[at - 1][requested:requested + 9].strip() == "6"
    without = filled[:at] + filled[at + 1:]
    without[at - 1] = without[at - 1][:requested] + " " * 9 + without[at - 1][requested + 9:]
    assert [line.rstrip() for line in without] == [line.rstrip() for line in plain]
