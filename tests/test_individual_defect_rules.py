"""Defect rules of IRM 3.30.28.4.2 in individual data: 900-909 and local 930-999 codes are never
the employee's, multiple identical defects are listed and a split the reviewer recorded is
honoured. Each test replaces the fixture week 12/20/2025's reviews with one sample of ADAMS on
43210 (her Form 3081 of that week is in the fixtures) and reads the IPR, the SAR, the cum job
record and the unit/group findings."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fixtures.individual import weeks
from pipelines.engine.qap.individual.cum_jobs import REVIEW_SCHEMA
from pipelines.reports.individual_week import IndividualResult, run_individual

ADAMS = "111223333"
DE = ("81120", "110", "43210")
WEEK = "12202025"
W1 = dt.date(2025, 12, 20)


def sample(sampled: int, defective: int | None, codes: list[tuple[str, int]],
           warning: bool = False) -> pl.DataFrame:
    """One review transaction of ADAMS on 43210 as run 03 accepts it (deck 0, from line 2)."""
    rows = []
    for i, (code, n) in enumerate(codes or [(None, None)]):
        first = i == 0
        rows.append({"deck_no": 0, "line_no": 2 + i, "unit": 2, "week_ending": W1,
                     "org_code": DE[0], "function_code": DE[1], "program_code": DE[2],
                     "starts": first, "unit_charge": False, "ssn": ADAMS if first else None,
                     "sampled": sampled if first else None,
                     "defective": defective if first else None, "defect_code": code,
                     "defects": n, "warning": warning and first})
    return pl.DataFrame(rows, schema=REVIEW_SCHEMA)


def run(reviews: pl.DataFrame) -> IndividualResult:
    time_3081, forms_6489 = weeks.forms(WEEK)
    return run_individual(week_ending=W1, run_date=W1 + dt.timedelta(days=2),
                          employees=weeks.employees(WEEK), ofp=weeks.ofp(), time_3081=time_3081,
                          forms_6489=forms_6489.clear(), reviews=reviews,
                          cum_jobs=weeks.start_cum_jobs())


def week_quality(res: IndividualResult) -> tuple:
    """ADAMS's weekly IPR line on 43210: reviewed, errors, percent accurate."""
    row = res.frames["ipr"].filter((pl.col("ssn") == ADAMS) & (pl.col("scope") == "week")
                                   & (pl.col("program_code") == DE[2]))
    return row.select("reviewed", "errors", "pct_accurate").row(0)


def cum_errors(res: IndividualResult) -> int:
    rec = res.cum_jobs.filter((pl.col("ssn") == ADAMS) & (pl.col("program_code") == DE[2])
                              & (pl.col("quarter_end") == dt.date(2025, 12, 31)))
    return rec["errors"].sum()


def findings(res: IndividualResult) -> list[tuple]:
    return res.frames["unit-group"].select(
        "line_no", "kind", "defect_code", "defects", "sampled", "defective", "employee_errors",
        "to_unit_group").rows()


def test_procedural_901_on_an_employee_sample_is_never_her_error() -> None:
    res = run(sample(5, 1, [("901", 1)]))
    assert week_quality(res) == (5, 0, 100.0)  # main printed 80.00
    clean = run(sample(5, None, []))
    assert cum_errors(res) == cum_errors(clean)
    assert findings(res) == [(2, "procedural", "901", 1, 5, 1, 0, 1)]
    sar = res.frames["sar"].filter(pl.col("ssn") == ADAMS)
    assert sar["errors_week"].to_list() == [0.0]
    assert clean.frames["unit-group"].height == 0


def test_mixed_transaction_charges_no_more_documents_than_employee_defects() -> None:
    # 3 defective documents, 1 employee defect (101) and 2 of code 905: at most 1 document
    # carries an employee defect, so 1 is hers and 2 are the unit/group's.
    res = run(sample(10, 3, [("101", 1), ("905", 2)]))
    assert week_quality(res) == (10, 1, 90.0)
    assert findings(res) == [(3, "procedural", "905", 2, 10, 3, 1, 2)]


def test_mixed_transaction_with_enough_employee_defects_charges_every_document() -> None:
    res = run(sample(10, 2, [("101", 2), ("903", 1)]))
    assert week_quality(res) == (10, 2, 80.0)
    assert findings(res) == [(3, "procedural", "903", 1, 10, 2, 2, 0)]


def test_local_code_charged_to_an_ssn_stays_out_of_her_figures() -> None:
    # The sample week's ADAMS: one of her two defective documents is only a local 935.
    res = run(sample(12, 2, [("101", 1), ("935", 1)]))
    assert week_quality(res) == (12, 1, 91.67)
    assert findings(res) == [(3, "local", "935", 1, 12, 2, 1, 1)]


def test_a_split_recorded_with_908_is_honoured() -> None:
    # Multiple identical defects split by the reviewer (IRM 3.30.28.4.2.2(2)-(3)): one document
    # charged to the employee with 104, the other two to the unit/group with 908.
    res = run(sample(3, 3, [("104", 1), ("908", 2)]))
    assert week_quality(res) == (3, 1, 66.67)
    assert findings(res) == [(3, "procedural", "908", 2, 3, 3, 1, 2)]


def test_a_possible_multiple_identical_defect_posts_as_recorded_and_is_listed() -> None:
    res = run(sample(3, 3, [("104", 3)], warning=True))  # run 03 warns on the first line
    assert week_quality(res) == (3, 3, 0.0)
    assert findings(res) == [(2, "identical", "104", 3, 3, 3, 3, 0)]


@pytest.mark.parametrize("code", ["900", "909", "930", "999"])
def test_both_ends_of_each_range_are_the_unit_groups(code: str) -> None:
    assert week_quality(run(sample(4, 1, [(code, 1)])))[1] == 0


@pytest.mark.parametrize("code", ["899", "910", "929"])
def test_codes_beside_the_ranges_are_the_employees(code: str) -> None:
    res = run(sample(4, 1, [(code, 1)]))
    assert week_quality(res)[1] == 1
    assert res.frames["unit-group"].height == 0
