"""Weekly IPR figures, worked out by hand from the fixtures (fixtures/individual).

Rate = volume / hours; percent of standard = rate / the OFP's standard x 100 (43210: 25.00,
43220: 30.00, 46110: 12.00, 45500: 8.50 items an hour); percent accurate = (reviewed - errors)
/ reviewed x 100; all rounded half up to 2 decimals.
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl
import pytest

from fixtures.individual import weeks

ADAMS, BAKER, CARTER, DAVIS, EVANS, FOSTER, HILL = (
    "111223333", "222334444", "333445555", "444556666", "555667777", "666778888", "888990000")
Q1, Q2 = dt.date(2025, 12, 31), dt.date(2026, 3, 31)
FIELDS = ["scope", "week_ending", "quarter_end", "program_code", "grade", "record_code",
          "hours_tenths", "lc_hours_tenths", "volume", "rate", "pct_standard", "reviewed",
          "errors", "pct_accurate"]


@functools.cache
def results():
    return weeks.run_all()


def _lines(week: str, ssn: str) -> list[tuple]:
    ipr = results()[week].frames["ipr"].filter(pl.col("ssn") == ssn)
    return ipr.select(FIELDS).rows()


W1 = dt.date(2025, 12, 20)


def test_week_one_adams() -> None:
    assert _lines("12202025", ADAMS) == [
        # 800 / 32.0 = 25.00 = 100 % of 25.00; 5 reviewed, 1 error = 80 %
        ("week", W1, Q1, "43210", "07", None, 320, 0, 800, 25.0, 100.0, 5, 1, 80.0),
        # 300 / 8.0 = 37.50 = 125 % of 30.00
        ("week", W1, Q1, "43220", "07", None, 80, 0, 300, 37.5, 125.0, 3, 0, 100.0),
        # quarter to date: 6800 / 272.0 = 25.00; 42 / 45 = 93.33 %
        ("quarter", None, Q1, "43210", "07", "1", 2720, 0, 6800, 25.0, 100.0, 45, 3, 93.33),
        ("quarter", None, Q1, "43220", "07", "1", 80, 0, 300, 37.5, 125.0, 3, 0, 100.0),
    ]


def test_week_one_figures_for_other_employees() -> None:
    # Hill: 500 / 40.0 = 12.50 = 104.1667 -> 104.17 % of 12.00
    assert _lines("12202025", HILL)[0][6:] == (400, 0, 500, 12.5, 104.17, 5, 1, 80.0)
    # Carter: 300 / 40.0 = 7.50 = 88.235 -> 88.24 % of 8.50
    assert _lines("12202025", CARTER)[0][6:] == (400, 0, 300, 7.5, 88.24, 4, 0, 100.0)
    # Baker quarter to date after the 6489: 4250 / 198.9 = 21.3675 -> 21.37; 85.47 %
    assert _lines("12202025", BAKER)[1][6:] == (1989, 0, 4250, 21.37, 85.47, 37, 5, 86.49)
    # Foster: learning curve only, so no rate; the reviews of it still show
    assert _lines("12202025", FOSTER)[0][6:] == (0, 200, 0, None, None, 2, 1, 50.0)


def test_split_week_shows_both_dates_and_both_quarters() -> None:
    lines = _lines("01032026", ADAMS)
    assert [(s, w, q, p) for s, w, q, p, *_ in lines] == [
        ("week", Q1, Q1, "43210"), ("week", dt.date(2026, 1, 3), Q2, "43210"),
        ("quarter", None, Q1, "43210"), ("quarter", None, Q1, "43220"),
        ("quarter", None, Q2, "43210")]
    # 01/03: 450 / 16.0 = 28.125 -> 28.13 items an hour = 112.50 %
    assert lines[1][6:] == (160, 0, 450, 28.13, 112.5, 2, 0, 100.0)
    # Q2 to date includes the 6489 (+1 reviewed, +1 error): 2 / 3 = 66.67 %
    assert lines[4][6:] == (160, 0, 450, 28.13, 112.5, 3, 1, 66.67)


def test_grade_change_week_shows_current_and_prior_grade() -> None:
    quarter = [line for line in _lines("01102026", ADAMS) if line[0] == "quarter"]
    assert quarter == [
        ("quarter", None, Q2, "43210", "07", "2", 160, 0, 400, 25.0, 100.0, 3, 1, 66.67),
        ("quarter", None, Q2, "43210", "08", "1", 400, 0, 1100, 27.5, 110.0, 5, 1, 80.0),
    ]
    text = results()["01102026"].text("ipr")
    assert "  PRIOR GR    81120 110 43210  07 03 101" in text
    assert "  CURRENT GR  81120 110 43210  08 01 101" in text


def test_only_measured_employees_get_an_ipr_work_status_aside() -> None:
    ssns = set(results()["12202025"].frames["ipr"]["ssn"])
    assert DAVIS not in ssns and EVANS in ssns


def _page_of(text: str, masked: str) -> str:
    pages = text.split("\f")
    return next(p for p in pages if f"EMPLOYEE  {masked}" in p)


def test_adjustments_section_only_when_a_6489_posted_for_the_employee() -> None:
    text = results()["12202025"].text("ipr")
    assert "ADJUSTMENTS (FORMS 6489 POSTED THIS WEEK)" in _page_of(text, "XXX-XX-4444")
    assert "  FORM 6489   81120 110 43210  05   1   4  202512      -1.1       -50        +2" in (
        _page_of(text, "XXX-XX-4444"))
    # Carter's 6489 was refused (message 4): no adjustments section
    assert "ADJUSTMENTS" not in _page_of(text, "XXX-XX-5555")
    assert "ADJUSTMENTS" not in _page_of(text, "XXX-XX-3333")


@pytest.mark.parametrize("week", weeks.WEEKS)
def test_ipr_parquet_keeps_the_full_ssn_and_the_print_masks_it(week: str) -> None:
    res = results()[week]
    assert ADAMS in res.frames["ipr"]["ssn"].to_list()
    assert ADAMS not in res.text("ipr") and "XXX-XX-3333" in res.text("ipr")
