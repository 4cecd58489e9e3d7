"""SAR rows over four weeks, every figure worked out by hand from the fixtures.

Working (cum job records before week 12/20/2025 are fixtures/individual/cum_jobs_start.csv):
RSD: rating periods from 10/01/2025 count week 1 as the week ending 10/04/2025, so weeks ending
12/20, 12/27, 01/03, 01/10 are weeks 12, 13, 14, 15 -> RSD 60, 65, 70, 75. Hill's from
07/01/2025 (week 1 ends 07/05/2025): weeks 25, 26, 27, 28 -> RSD 125, 130, 135, 140.

Week 12/20 (quarter ending 12/31/2025 = Q1):
  Carter 45500: qtr volume 1500+300=1800, reviewed 25+4=29, errors 1 (the -50 errors 6489 is
    refused) -> (29-1)/29 = 96.5517 -> 96.55, remaining 260-29 = 231.
  Adams 43210+43220: volume (6000+800)+300 = 7100, reviewed (40+5)+3 = 48, errors 2+1 = 3,
    93.75.  Hill 46110: qtr 3000+500 = 3500, rating adds the prior quarter (rating period from
    07/01): 6000 -> 9500; reviewed 45+5 = 50, rating 50 + (65+5 by 6489 D) = 120; errors 2+1 = 3,
    rating 3 + (4+1) = 8 -> 112/120 = 93.33.  Baker: 3400+900-50 (6489) = 4250, 30+5+2 = 37,
    3+2 = 5 -> 86.49.  Foster is under the learning curve (30.0 of 40 hours), Green has no
    volume, Evans is not in work status, Davis is unmeasured: no rows.
Week 12/27: Carter's week (5 reviewed, 1 error) posts first (29+5 = 34, 1+1 = 2), then the
  6489 code 3 substitutes 32 and 3 -> 29/32 = 90.625 -> 90.63 (half up). Baker now works two
  OFPs of QPC 101: week 500+480, qtr 4750+480 = 5230. Hill's
  prior-quarter volume substituted to 6100 -> rating 3920+6100 = 10020. Foster has met the
  learning curve (40.0 hours) but has no direct volume: still no row.
Week 01/03/2026, split: period 1 (to Wednesday 12/31/2025) takes the forms dated 12/31/2025
  and the Q1 records; period 2 the forms dated 01/03/2026 and the new quarter.  Baker's review
  dated 12/31 on 43220 finds no 3081 of that date and does not post.  Hill's 6489 code 2
  creates a Q2 43220 record (QPC 101): a second row in period 2.  Adams's code 4 adds 1 reviewed
  and 1 error to her Q2 record.  Foster now has direct volume: a row in period 2.
Week 01/10: Adams is promoted to grade 08: her grade 07 records are prior; a 6489 R/C 2 takes
  50 off the grade 07 Q2 volume (450 -> 400); grade 08 is a new row.  RAS is per QPC: both her
  QPC 101 rows show Remaining 260 - (60 + 5) = 195.
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl
import pytest

from fixtures.individual import weeks
from pipelines.engine.qap.individual import sar as sar_data
from pipelines.reports import individual_week

ADAMS, BAKER, CARTER, FOSTER, GREEN, HILL = ("111223333", "222334444", "333445555",
                                             "666778888", "777889999", "888990000")


@functools.cache
def results():
    return weeks.run_all()


FIELDS = ["ssn", "qpc", "grade", "step", "volume_week", "volume_quarter", "volume_rating", "rsd",
          "reviewed_week", "reviewed_quarter", "reviewed_rating", "remaining", "errors_week",
          "errors_quarter", "errors_rating", "pct_accurate"]

EXPECTED = {
    ("12202025", 1): [
        (CARTER, "201", "06", "02", 300, 1800, 1800, 60, 4, 29, 29, 231, 0, 1, 1, 96.55),
        (ADAMS, "101", "07", "03", 1100, 7100, 7100, 60, 8, 48, 48, 212, 1, 3, 3, 93.75),
        (HILL, "102", "07", "05", 500, 3500, 9500, 125, 5, 50, 120, 140, 1, 3, 8, 93.33),
        (BAKER, "101", "05", "01", 900, 4250, 4250, 60, 5, 37, 37, 223, 2, 5, 5, 86.49),
    ],
    ("12272025", 1): [
        (CARTER, "201", "06", "02", 320, 2120, 2120, 65, 5, 32, 32, 228, 1, 3, 3, 90.63),
        (ADAMS, "101", "07", "03", 1000, 8100, 8100, 65, 5, 53, 53, 207, 0, 3, 3, 94.34),
        (HILL, "102", "07", "05", 420, 3920, 10020, 130, 5, 55, 125, 135, 0, 3, 8, 93.60),
        (BAKER, "101", "05", "01", 980, 5230, 5230, 65, 5, 42, 42, 218, 1, 6, 6, 85.71),
    ],
    ("01032026", 1): [
        (CARTER, "201", "06", "02", 200, 2320, 2320, 70, 3, 35, 35, 225, 0, 3, 3, 91.43),
        (ADAMS, "101", "07", "03", 700, 8800, 8800, 70, 4, 57, 57, 203, 1, 4, 4, 92.98),
        (HILL, "102", "07", "05", 400, 4320, 10420, 135, 4, 59, 129, 131, 1, 4, 9, 93.02),
        (BAKER, "101", "05", "01", 700, 5930, 5930, 70, 5, 47, 47, 213, 0, 6, 6, 87.23),
    ],
    ("01032026", 2): [
        (CARTER, "201", "06", "02", 130, 130, 2450, 70, 2, 2, 37, 223, 0, 0, 3, 91.89),
        (ADAMS, "101", "07", "03", 450, 450, 9250, 70, 2, 3, 60, 200, 0, 1, 5, 91.67),
        (HILL, "101", "07", "05", 0, 120, 120, 135, 0, 2, 2, 258, 0, 0, 0, 100.00),
        (HILL, "102", "07", "05", 100, 100, 10520, 135, 1, 1, 130, 130, 0, 0, 9, 93.08),
        (BAKER, "101", "05", "01", 250, 250, 6180, 70, 2, 2, 49, 211, 1, 1, 7, 85.71),
        (FOSTER, "102", "04", "01", 200, 200, 200, 70, 3, 3, 5, 255, 0, 0, 1, 80.00),
    ],
    ("01102026", 1): [
        (CARTER, "201", "06", "02", 340, 470, 2790, 75, 4, 6, 41, 219, 1, 1, 4, 90.24),
        (ADAMS, "101", "07", "03", 0, 400, 9200, 75, 0, 3, 60, 195, 0, 1, 5, 91.67),
        (ADAMS, "101", "08", "01", 1100, 1100, 1100, 75, 5, 5, 5, 195, 1, 1, 1, 80.00),
        (HILL, "101", "07", "05", 0, 120, 120, 140, 0, 2, 2, 258, 0, 0, 0, 100.00),
        (HILL, "102", "07", "05", 520, 620, 11040, 140, 5, 6, 135, 125, 0, 0, 9, 93.33),
        (BAKER, "101", "05", "01", 950, 1200, 7130, 75, 5, 7, 54, 206, 0, 1, 7, 87.04),
        (FOSTER, "102", "04", "01", 300, 500, 500, 75, 5, 8, 10, 250, 1, 1, 2, 80.00),
    ],
}


def _rows(week: str, report: int) -> list[tuple]:
    sar = results()[week].frames["sar"].filter(pl.col("report_number") == report)
    return [tuple(r) for r in sar.select(FIELDS).iter_rows()]


@pytest.mark.parametrize(("week", "report"), list(EXPECTED))
def test_sar_rows_match_hand_computed_figures(week: str, report: int) -> None:
    assert _rows(week, report) == EXPECTED[(week, report)]


def test_split_week_gives_two_sars_with_their_periods() -> None:
    sar = results()["01032026"].frames["sar"]
    periods = sar.select("report_number", "report_count", "period_start", "period_end",
                         "week_ending").unique().sort("report_number").rows()
    assert periods == [
        (1, 2, dt.date(2025, 12, 28), dt.date(2025, 12, 31), dt.date(2026, 1, 3)),
        (2, 2, dt.date(2026, 1, 1), dt.date(2026, 1, 3), dt.date(2026, 1, 3)),
    ]
    assert set(results()["01032026"].pages) >= {"sar-12312025", "sar-01032026"}
    assert "sar-12202025" in results()["12202025"].pages


def test_sar_sorts_by_org_then_permanent_employees_then_name() -> None:
    sar = results()["01102026"].frames["sar"]
    order = sar.select("assigned_org", "class_code", "last_name").unique(maintain_order=True)
    assert order.rows() == [("81110", "1", "CARTER"), ("81120", "1", "ADAMS"),
                            ("81120", "1", "HILL"), ("81120", "2", "BAKER"),
                            ("81120", "4", "FOSTER")]


@pytest.mark.parametrize(("who", "why"), [
    ("444556666", "unmeasured plan"), ("555667777", "not in work status"),
    ("777889999", "no volume"),
])
def test_sar_leaves_out(who: str, why: str) -> None:
    for week in weeks.WEEKS:
        assert who not in results()[week].frames["sar"]["ssn"].to_list(), why


def test_sar_leaves_out_work_under_the_learning_curve() -> None:
    # Foster: 20.0 learning-curve hours of 40 in week 12/20 (with 10.0 carried in), and the
    # reviews of that work (2 reviewed, 1 error) posted to his cum job record all the same.
    cum = results()["12202025"].cum_jobs.filter(pl.col("ssn") == FOSTER)
    assert cum.select("lc_hours_tenths", "reviewed", "errors").row(0) == (300, 2, 1)
    assert FOSTER not in results()["12202025"].frames["sar"]["ssn"].to_list()


def test_reviews_requested_is_empty_and_errors_carry_one_decimal() -> None:
    sar = results()["12202025"].frames["sar"]
    assert sar["reviews_requested"].null_count() == sar.height
    assert sar.schema["errors_rating"] == pl.Float64
    text = results()["12202025"].text("sar-12202025")
    assert "  1.0      3.0      8.0     93.33" in text


def test_remaining_never_goes_below_zero() -> None:
    res = results()["12202025"]
    big = res.cum_jobs.with_columns(
        pl.when(pl.col("ssn") == CARTER).then(300).otherwise(pl.col("reviewed"))
        .alias("reviewed"))
    rows = sar_data.sar_frame(
        _employees("12202025"), _ofp(), res.frames["individual-weekly"], big,
        dt.date(2025, 12, 20))
    assert rows.filter(pl.col("ssn") == CARTER)["remaining"].to_list() == [0]


def test_remaining_is_per_qpc_over_every_grade_of_the_employee() -> None:
    sar = results()["01102026"].frames["sar"]
    rows = sar.filter(pl.col("ssn").is_in([ADAMS, HILL])).select(
        "ssn", "qpc", "grade", "reviewed_rating", "remaining").rows()
    assert rows == [
        (ADAMS, "101", "07", 60, 195), (ADAMS, "101", "08", 5, 195),  # 260 - (60 + 5)
        (HILL, "101", "07", 2, 258), (HILL, "102", "07", 135, 125),  # two QPCs: apart
    ]


def _with_record(cum: pl.DataFrame, ssn: str, program: str, grade: str, **figures: int
                 ) -> pl.DataFrame:
    """`cum` plus one Q1 (12/31/2025) cum job record on OFP 81120-1x0-`program`."""
    function = "120" if program == "46110" else "110"
    rec = {"ssn": ssn, "org_code": "81120", "function_code": function,
           "program_code": program, "grade": grade, "quarter_end": dt.date(2025, 12, 31),
           "record_code": "1", "step": "03", "hours_tenths": 0, "volume": 0,
           "lc_hours_tenths": 0, "lc_volume": 0, "reviewed": 0, "errors": 0,
           "last_posted": dt.date(2025, 12, 20), "last_adjusted": None} | figures
    return pl.concat([cum, pl.DataFrame([rec], schema=cum.schema)])


def _sar_12202025(cum: pl.DataFrame) -> pl.DataFrame:
    return sar_data.sar_frame(_employees("12202025"), _ofp(),
                              results()["12202025"].frames["individual-weekly"], cum,
                              dt.date(2025, 12, 20))


# Adams qualifies on QPC 101 (volume 7100). 46110 is QPC 102, learning curve 40.0 hours.
@pytest.mark.parametrize(("figures", "shown"), [
    ({"hours_tenths": 100}, True),  # 10.0 direct hours, no volume: the QPC is shown
    ({"lc_hours_tenths": 400}, True),  # 40.0 learning-curve hours: past it, worked
    ({"lc_hours_tenths": 300}, False),  # 30.0 of 40: still under the learning curve
    ({"lc_hours_tenths": 300, "hours_tenths": 100}, True),  # and direct time: moved off it
    ({"reviewed": 2}, False),  # no hours or volume in the rating period
])
def test_a_qpc_worked_without_volume_shows_for_an_employee_with_volume(
        figures: dict[str, int], shown: bool) -> None:
    cum = _with_record(results()["12202025"].cum_jobs, ADAMS, "46110", "07", **figures)
    rows = _sar_12202025(cum).filter((pl.col("ssn") == ADAMS) & (pl.col("qpc") == "102"))
    fields = ["volume_week", "volume_quarter", "volume_rating", "rsd", "reviewed_week",
              "reviewed_quarter", "reviewed_rating", "remaining", "errors_rating",
              "pct_accurate"]
    expected = [(0, 0, 0, 60, 0, 0, 0, 260, 0.0, None)] if shown else []
    assert rows.select(fields).rows() == expected


def test_an_employee_with_hours_but_no_volume_has_no_row() -> None:
    # Green: 10.0 hours on 43220 (QPC 101), volume 0; 10.0 more hours on 43210 changes nothing.
    cum = _with_record(results()["12202025"].cum_jobs, GREEN, "43210", "05",
                       hours_tenths=100)
    assert GREEN not in _sar_12202025(cum)["ssn"].to_list()


RATING = ["volume_quarter", "volume_rating", "reviewed_rating", "errors_rating", "rsd",
          "remaining", "pct_accurate"]


def _rating_from(ssn: str, start: dt.date) -> list[tuple]:
    """RATING figures of `ssn`'s SAR rows of week 12/20/2025 with the rating start moved."""
    employees = _employees("12202025").with_columns(
        pl.when(pl.col("ssn") == ssn).then(pl.lit(start))
        .otherwise(pl.col("rating_start")).alias("rating_start"))
    res = results()["12202025"]
    rows = sar_data.sar_frame(employees, _ofp(), res.frames["individual-weekly"], res.cum_jobs,
                              dt.date(2025, 12, 20)).filter(pl.col("ssn") == ssn)
    return rows.select(RATING).rows()


def _weeks_with_rating_starts(starts: dict[str, dt.date]
                              ) -> dict[str, individual_week.IndividualResult]:
    """The four fixture weeks, run in turn with the weekly figures kept, with the Employee
    Master's rating starts of `starts` moved."""
    out: dict[str, individual_week.IndividualResult] = {}
    cum, history = weeks.start_cum_jobs(), None
    for week in weeks.WEEKS:
        employees = weeks.employees(week)
        for ssn, start in starts.items():
            mine = pl.col("ssn") == ssn
            employees = employees.with_columns(
                pl.when(mine).then(pl.lit(f"{start:%m%d%Y}")).otherwise("rating_period_start")
                .alias("rating_period_start"),
                pl.when(mine).then(pl.lit(start)).otherwise("rating_period_start_v")
                .alias("rating_period_start_v"))
        time_3081, forms_6489 = weeks.forms(week)
        sat = weeks.saturday(week)
        out[week] = individual_week.run_individual(
            week_ending=sat, run_date=sat, employees=employees, ofp=weeks.ofp(),
            time_3081=time_3081, forms_6489=forms_6489, reviews=weeks.reviews(week),
            cum_jobs=cum, weekly_history=history, with_pages=False)
        cum, history = out[week].cum_jobs, out[week].weekly_history
    return out


WEEK_AND_RATING = ["qpc", "grade", "volume_week", "volume_quarter", "volume_rating",
                   "reviewed_week", "reviewed_rating", "errors_week", "errors_rating", "rsd",
                   "remaining", "pct_accurate"]


def test_rating_figures_count_only_the_weeks_from_a_rating_start_inside_a_quarter() -> None:
    # Adams's rating year starts Monday 12/22/2025, inside Q1: on 12/27 the rating figures are
    # that week's alone (1000 volume, 5 reviewed, 0 errors), not the whole Q1 record (8100, 53,
    # 3) that still holds last year's work; RSD is week 1 -> 260 / 52 = 5; Remaining 255.
    # Hill's starts Monday 01/05/2026: his QPC 101 work (week 01/03 only) is last year's, so
    # on 01/10 that row is gone, and QPC 102 counts week 01/10 alone (520, 5, 0), as RSD does.
    got = _weeks_with_rating_starts({ADAMS: dt.date(2025, 12, 22), HILL: dt.date(2026, 1, 5)})
    sar = got["12272025"].frames["sar"].filter(pl.col("ssn") == ADAMS)
    assert sar.select(WEEK_AND_RATING).rows() == [
        ("101", "07", 1000, 8100, 1000, 5, 5, 0.0, 0.0, 5, 255, 100.0)]
    sar = got["01102026"].frames["sar"].filter(pl.col("ssn") == HILL)
    assert sar.select(WEEK_AND_RATING).rows() == [
        ("102", "07", 520, 620, 520, 5, 5, 0.0, 0.0, 5, 255, 100.0)]
    # The other employees keep their figures (rating periods from a quarter's first day).
    for week in weeks.WEEKS:
        others = got[week].frames["sar"].filter(~pl.col("ssn").is_in([ADAMS, HILL]))
        assert others.equals(results()[week].frames["sar"].filter(
            ~pl.col("ssn").is_in([ADAMS, HILL])))


def test_rating_figures_and_rsd_start_again_a_year_after_the_rating_start() -> None:
    # Hill's rating start moved back a year, to 10/01/2024: on 12/20/2025 his rating period is
    # the one from 10/01/2025, so his Q4 FY2025 record (6000 volume; 65+5 reviewed and 4+1
    # errors after the 6489 D) is last year's: rating = this quarter (3500, 50, 3), RSD from
    # week 1 ending 10/04/2025 is week 12 -> 60, Remaining 260-50 = 210, 47/50 = 94.00.
    assert _rating_from(HILL, dt.date(2024, 10, 1)) == [(3500, 3500, 50, 3.0, 60, 210, 94.0)]


def _employees(week: str) -> pl.DataFrame:
    from pipelines.engine.qap.individual.reference import employees_table

    return employees_table(weeks.employees(week))


def _ofp() -> pl.DataFrame:
    from pipelines.engine.qap.individual.reference import ofp_table

    return ofp_table(weeks.ofp())


def test_weekly_history_keeps_53_weeks_and_adds_a_reposted_week() -> None:
    from pipelines.engine.qap.individual import cum_jobs as cj

    week = results()["12202025"].frames["individual-weekly"]
    old = week.with_columns(pl.col("week_ending") - pl.duration(days=53 * 7))
    recent = week.with_columns(pl.col("week_ending") - pl.duration(days=52 * 7))
    kept = cj.extend_history(pl.concat([old, recent]), week, dt.date(2025, 12, 20))
    assert kept.height == 2 * week.height
    assert kept["volume"].sum() == 2 * week["volume"].sum()
    again = cj.extend_history(kept, week, dt.date(2025, 12, 20))
    assert again.filter(pl.col("week_ending") == dt.date(2025, 12, 20)).height == 2 * week.height
