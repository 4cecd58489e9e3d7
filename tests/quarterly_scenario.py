"""A small quarter-end scenario for the IPSR and the measurable/rateable status, built by hand
so that every figure in tests/test_quarterly_ipsr.py can be checked on paper.

Quarter ending 12/31/2025: its four full quarters end 03/31, 06/30, 09/30 and 12/31/2025.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.individual.cum_jobs import CUM_SCHEMA, OVERHEAD

ADAMS, BAKER, CARTER, DAVIS, EVANS, FOSTER = (
    "111223333", "222334444", "333445555", "444556666", "555667777", "666778888")
DE = ("81120", "110", "43210")  # measured, standard 25.00/hour, 40 learning-curve hours
UM = ("81120", "120", "46110")  # unmeasured: no numerical standard
OV = ("81120", "990", "00000")  # overhead reporting
Q1, Q2, Q3, Q4 = (dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 9, 30),
                  dt.date(2025, 12, 31))
OLD = dt.date(2024, 12, 31)  # outside the window of 12/31/2025, inside that of 09/30/2025


def _row(ssn: str, ofp: tuple[str, str, str], grade: str, q_end: dt.date, hours: int = 0,
         volume: int = 0, lc: int = 0, lc_volume: int = 0, reviewed: int = 0, errors: int = 0,
         overhead: int | None = 0) -> dict:
    return {"ssn": ssn, "org_code": ofp[0], "function_code": ofp[1], "program_code": ofp[2],
            "grade": grade, "quarter_end": q_end, "record_code": "1", "step": "01",
            "hours_tenths": hours, "volume": volume, "lc_hours_tenths": lc,
            "lc_volume": lc_volume, "reviewed": reviewed, "errors": errors,
            "last_posted": q_end, "last_adjusted": None, OVERHEAD: overhead}


def cum_jobs() -> pl.DataFrame:
    rows = [
        # ADAMS: measurable on DE; 20.0 overhead hours on OV; an old quarter outside the window.
        _row(ADAMS, DE, "07", OLD, hours=500, volume=1200, reviewed=25, errors=4),
        _row(ADAMS, DE, "07", Q3, hours=1000, volume=2500, reviewed=25, errors=1),
        _row(ADAMS, DE, "07", Q4, hours=800, volume=2000, reviewed=15, errors=1),
        _row(ADAMS, OV, "07", Q4, hours=200, overhead=200),
        # BAKER: only overhead time: not on the IPSR.
        _row(BAKER, OV, "05", Q4, hours=400, overhead=400),
        # CARTER: on the measured plan 59 days at the quarter end.
        _row(CARTER, DE, "06", Q4, hours=600, volume=1500, reviewed=20, errors=0),
        # DAVIS: 25.0 of the 40 learning-curve hours on DE, direct time on unmeasured UM.
        _row(DAVIS, DE, "05", Q4, lc=250, lc_volume=300, reviewed=10, errors=1),
        _row(DAVIS, UM, "05", Q4, hours=300, volume=400),
        # EVANS: 30.0 measurable of 100.0 total (30%) but of 80.0 direct (37.5%).
        _row(EVANS, DE, "07", Q3, hours=300, volume=750, reviewed=25, errors=1),
        _row(EVANS, UM, "07", Q3, hours=200, volume=100),
        _row(EVANS, UM, "07", Q4, hours=300, volume=150),
        _row(EVANS, OV, "07", Q4, hours=200, overhead=200),
        # FOSTER: a record from before overhead was kept apart (unknown), then a known one.
        _row(FOSTER, DE, "09", Q3, hours=500, volume=1300, reviewed=15, errors=3, overhead=None),
        _row(FOSTER, DE, "09", Q4, hours=400, volume=1000),
    ]
    return pl.DataFrame(rows, schema=CUM_SCHEMA)


def employees() -> pl.DataFrame:
    """`reference.employees_table` shape."""
    def emp(ssn: str, last: str, first: str, since: dt.date | None, plan: str = "M") -> dict:
        return {"ssn": ssn, "last_name": last, "first_name": first, "middle_initial": "A",
                "assigned_org": "81120", "emf_grade": "07", "emf_step": "01",
                "class_code": "1", "plan": plan, "measured_since": since, "work_status": "W",
                "rating_start": dt.date(2025, 1, 1)}
    return pl.DataFrame([
        emp(ADAMS, "ADAMS", "ANN", dt.date(2024, 6, 1)),
        emp(BAKER, "BAKER", "BOB", dt.date(2024, 6, 1)),
        emp(CARTER, "CARTER", "CARL", dt.date(2025, 11, 3)),
        emp(DAVIS, "DAVIS", "DANA", dt.date(2025, 1, 6)),
        emp(EVANS, "EVANS", "EVE", dt.date(2023, 1, 15)),
        emp(FOSTER, "FOSTER", "FAY", dt.date(2024, 2, 1)),
    ])


def ofp() -> pl.DataFrame:
    """`reference.ofp_table` shape."""
    return pl.DataFrame({
        "org_code": [DE[0], UM[0], OV[0]], "function_code": [DE[1], UM[1], OV[1]],
        "program_code": [DE[2], UM[2], OV[2]], "qpc": ["101", "102", "900"],
        "measured_code": ["1", "2", "2"], "learning_curve_hours": [40, 0, 0],
        "standard_hundredths": [2500, None, None],
        "program_title": ["DATA ENTRY", "CODE AND EDIT", "OVERHEAD"]},
        schema_overrides={"learning_curve_hours": pl.Int64, "standard_hundredths": pl.Int64})
