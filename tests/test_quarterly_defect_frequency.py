"""Issue 18: the QA Unit/Group Report and the Periodic Defect Frequency OFP Summary on a week
split by a quarter end (12/31/2025 is the Wednesday of the week ending 01/03/2026), figures
worked by hand.

Review lines (OFP X = 81120 110 43210, Y = 81110 210 45500):
  unit 1, X, 12/31, SSN A: 101 x2, 102 x1, 901 x1   (employee 101/102; 901 moved to the unit)
  unit 2, X, 12/31, `#`:   901 x2                   (a unit/group review)
  unit 3, X, 01/03, SSN B: 101 x1, 935 x1, 903 x1   (935 local and 903 moved to the unit)
  unit 4, Y, 01/03, SSN A: 205 x4
  unit 5, X, 01/03, SSN B: 104 x3, 3 of 3 defective: run 03's warning, a possible multiple
                           identical defect (employee's; listed on the QA Unit/Group Report)
State before: quarter 12/31/2025, X: 101 employee 5, 908 moved 1; and a 09/30/2024 row, which
is more than five quarters back and is let go."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from golden_files import assert_golden

from pipelines.engine.qap import review_sums
from pipelines.engine.qap.individual import defect_charges as dc
from pipelines.engine.qap.individual.cum_jobs import REVIEW_SCHEMA
from pipelines.reports import defect_frequency as report
from pipelines.reports.printing import render

GOLDEN = Path(__file__).parent / "golden" / "quarterly"
SAT = dt.date(2026, 1, 3)
Q1, Q2 = dt.date(2025, 12, 31), dt.date(2026, 3, 31)
X, Y = ("81120", "110", "43210"), ("81110", "210", "45500")


def _line(unit: int, line: int, ofp: tuple[str, str, str], day: dt.date, code: str,
          defects: int, *, starts: bool = False, ssn: str | None = None,
          unit_charge: bool = False, sampled: int | None = None,
          defective: int | None = None, warning: bool = False) -> dict:
    return {"deck_no": 0, "line_no": line, "unit": unit, "week_ending": day,
            "org_code": ofp[0], "function_code": ofp[1], "program_code": ofp[2],
            "starts": starts, "unit_charge": unit_charge, "ssn": ssn, "sampled": sampled,
            "defective": defective, "defect_code": code, "defects": defects, "warning": warning}


def reviews() -> pl.DataFrame:
    a, b = "111223333", "222334444"
    return pl.DataFrame([
        _line(1, 3, X, Q1, "101", 2, starts=True, ssn=a, sampled=10, defective=3),
        _line(1, 4, X, Q1, "102", 1), _line(1, 5, X, Q1, "901", 1),
        _line(2, 6, X, Q1, "901", 2, starts=True, unit_charge=True, defective=2),
        _line(3, 8, X, SAT, "101", 1, starts=True, ssn=b, sampled=5, defective=2),
        _line(3, 9, X, SAT, "935", 1), _line(3, 10, X, SAT, "903", 1),
        _line(4, 12, Y, SAT, "205", 4, starts=True, ssn=a, sampled=8, defective=3),
        _line(5, 14, X, SAT, "104", 3, starts=True, ssn=b, sampled=3, defective=3,
              warning=True),
    ], schema=REVIEW_SCHEMA)


def state() -> pl.DataFrame:
    return pl.DataFrame([
        {"quarter_end": Q1, "org_code": X[0], "function_code": X[1], "program_code": X[2],
         "defect_code": "101", "employee": 5, "unit_review": 0, "unit_moved": 0,
         "possible_identical": 0},
        {"quarter_end": Q1, "org_code": X[0], "function_code": X[1], "program_code": X[2],
         "defect_code": "908", "employee": 0, "unit_review": 0, "unit_moved": 1,
         "possible_identical": 0},
        {"quarter_end": dt.date(2024, 9, 30), "org_code": X[0], "function_code": X[1],
         "program_code": X[2], "defect_code": "101", "employee": 9, "unit_review": 0,
         "unit_moved": 0, "possible_identical": 0},
    ], schema=dc.CHARGE_SCHEMA)


def dcf() -> pl.DataFrame:
    return pl.DataFrame({"defect_code": ["101", "102", "104", "205", "901", "903", "908",
                                         "935"],
                         "description": ["ENTITY ERROR", "AMOUNT ERROR", "WRONG FORM",
                                         "CODING ERROR",
                                         "NO PROCEDURES AVAILABLE", "VERBAL INSTRUCTIONS",
                                         "CHARGED TO UNIT AT SUPERVISOR REQUEST",
                                         "LOCAL SORT ORDER"]})


def run() -> tuple[pl.DataFrame, pl.DataFrame]:
    charges, weeks = dc.run_weeks(review_sums.of_lines(reviews()), state(), dcf())
    assert list(weeks) == [SAT]
    return charges, weeks[SAT].frame()


def _figures(rows: pl.DataFrame, scope: str, end: dt.date, ofp: tuple[str, str, str]
             ) -> list[tuple]:
    part = rows.filter((pl.col("scope") == scope) & (pl.col("period_end") == end)
                       & (pl.col("program_code") == ofp[2]))
    return part.select("section", "rank", "defect_code", "defects", "employee", "unit_group",
                       "share", "running_share").rows()


def test_state_adds_the_week_per_quarter_and_period_and_lets_go_of_old_quarters() -> None:
    """The state keeps each period's rows (review 19, F5); the state given, written before
    periods were kept, has none (null), and the quarter before Q1 is let go."""
    charges, _ = run()
    got = charges.select("quarter_end", "period_end", "program_code", "defect_code",
                         *dc.FIGURES).rows()
    assert got == [
        (Q1, None, X[2], "101", 5, 0, 0, 0), (Q1, None, X[2], "908", 0, 0, 1, 0),
        (Q1, Q1, X[2], "101", 2, 0, 0, 0), (Q1, Q1, X[2], "102", 1, 0, 0, 0),
        (Q1, Q1, X[2], "901", 0, 2, 1, 0),
        (Q2, SAT, Y[2], "205", 4, 0, 0, 0), (Q2, SAT, X[2], "101", 1, 0, 0, 0),
        (Q2, SAT, X[2], "104", 3, 0, 0, 3), (Q2, SAT, X[2], "903", 0, 0, 1, 0),
        (Q2, SAT, X[2], "935", 0, 0, 1, 0)]


def test_first_period_of_the_split_week_ranks_900_909_apart() -> None:
    _, rows = run()
    assert _figures(rows, "period", Q1, X) == [
        ("defects", 1, "101", 2, 2, 0, 66.67, 66.67),
        ("defects", 2, "102", 1, 1, 0, 33.33, 100.0),
        ("procedural", 1, "901", 3, 0, 3, 100.0, 100.0)]
    first = rows.filter((pl.col("period_end") == Q1) & (pl.col("scope") == "period")).row(
        0, named=True)
    assert (first["period_start"], first["ofp_defects"], first["ofp_employee"],
            first["ofp_unit_group"], first["ofp_procedural"], first["procedural_share"]) == (
        dt.date(2025, 12, 28), 6, 3, 3, 3, 50.0)


def test_second_period_ties_rank_by_code_and_local_codes_are_the_units() -> None:
    _, rows = run()
    # 104 x3, 101 x1, 935 x1 of 5: 60.00, 20.00 (running 80.00), 20.00 (100.00)
    assert _figures(rows, "period", SAT, X) == [
        ("defects", 1, "104", 3, 3, 0, 60.0, 60.0),
        ("defects", 2, "101", 1, 1, 0, 20.0, 80.0),
        ("defects", 3, "935", 1, 0, 1, 20.0, 100.0),
        ("procedural", 1, "903", 1, 0, 1, 100.0, 100.0)]
    x = rows.filter((pl.col("scope") == "period") & (pl.col("period_end") == SAT)
                    & (pl.col("program_code") == X[2]))
    assert x.filter(pl.col("possible_identical") > 0).select(
        "defect_code", "possible_identical").rows() == [("104", 3)]
    assert x.select("ofp_defects", "ofp_employee", "ofp_unit_group", "ofp_procedural",
                    "procedural_share").unique().rows() == [(6, 4, 2, 1, 16.67)]
    assert _figures(rows, "period", SAT, Y) == [("defects", 1, "205", 4, 4, 0, 100.0, 100.0)]
    y = rows.filter(pl.col("program_code") == Y[2]).row(0, named=True)
    assert (y["ofp_procedural"], y["procedural_share"]) == (0, 0.0)


def test_quarter_to_date_for_both_quarters_of_the_split_week() -> None:
    _, rows = run()
    assert _figures(rows, "quarter", Q1, X) == [
        ("defects", 1, "101", 7, 7, 0, 87.5, 87.5),
        ("defects", 2, "102", 1, 1, 0, 12.5, 100.0),
        ("procedural", 1, "901", 3, 0, 3, 75.0, 75.0),
        ("procedural", 2, "908", 1, 0, 1, 25.0, 100.0)]
    q1 = rows.filter((pl.col("scope") == "quarter") & (pl.col("quarter_end") == Q1)).row(
        0, named=True)
    assert (q1["period_start"], q1["ofp_defects"], q1["procedural_share"]) == (
        dt.date(2025, 10, 1), 12, 33.33)
    assert _figures(rows, "quarter", SAT, X) == _figures(rows, "period", SAT, X)


def _after(earlier_lines: pl.DataFrame) -> pl.DataFrame:
    """The week's Defect Frequency rows when `earlier_lines` were posted by a run before it."""
    first, _ = dc.run_weeks(review_sums.of_lines(earlier_lines), state(), dcf())
    return dc.run_weeks(review_sums.of_lines(reviews()), first, dcf())[1][SAT].frame()


def test_quarter_to_date_stops_at_the_week_s_end_when_a_later_week_ran_first() -> None:
    """Review 19, F5: quarter to date summed the state's whole quarter, so a week run after a
    later one counted the later week's defects under a heading that ends at its own Saturday.
    The state after a later week (the same lines a week on, all in the second quarter), then
    this week: its quarter to date is this week's alone."""
    rows = _after(reviews().with_columns(pl.col("week_ending") + dt.timedelta(days=7)))
    alone = run()[1]
    for quarter_end, ofp in ((Q1, X), (SAT, X), (SAT, Y)):
        assert _figures(rows, "quarter", quarter_end, ofp) == _figures(
            alone, "quarter", quarter_end, ofp)
    assert _figures(rows, "quarter", SAT, Y) == [("defects", 1, "205", 4, 4, 0, 100.0, 100.0)]


def test_quarter_to_date_counts_a_week_reprocessed_in_it() -> None:
    """The same lines of the week posted before it (a reprocess adds its lines as a week
    does): its own period's rows, so counted in quarter to date."""
    rows = _after(reviews())
    assert _figures(rows, "quarter", SAT, Y) == [("defects", 1, "205", 8, 8, 0, 100.0, 100.0)]


def test_printed_reports_are_the_golden_ones(tmp_path: Path) -> None:
    _, rows = run()
    run_date = dt.date(2026, 1, 5)
    for name, pages in (("defect-frequency", report.frequency_pages(rows, run_date, SAT)),
                        ("qa-unit-group", report.unit_group_pages(rows, run_date, SAT))):
        text = render(pages)
        assert all(len(line) <= 132 for line in text.splitlines())
        assert text.count("\f") == 3  # two periods and two quarters to date: four pages
        assert_golden(text, GOLDEN / f"{name}_01032026.txt")
    written = report.write_files(rows, run_date, SAT, tmp_path)
    assert sorted(written) == ["defect-frequency_01032026.parquet",
                               "defect-frequency_01032026.txt",
                               "qa-unit-group_01032026.parquet", "qa-unit-group_01032026.txt"]
    twin = pl.read_parquet(written["qa-unit-group_01032026.parquet"])
    assert twin.columns == dc.FREQUENCY_COLUMNS
    assert ((twin["unit_group"] > 0) | (twin["possible_identical"] > 0)).all()
    assert twin.height == 9  # 901; 104, 903, 935; 901, 908; 104, 903, 935 (Y has none)


def test_a_week_without_review_lines_changes_nothing() -> None:
    charges, weeks = dc.run_weeks(review_sums.of_lines(reviews().clear()), state())
    assert weeks == {} and charges.equals(state())


def test_equal_defects_rank_in_code_order_whatever_order_the_codes_come_in() -> None:
    """Codes with as many defects rank in code order: codes given in order (as the week's
    batches hand them) and shuffled give the same rows."""
    codes = ["101", "104", "110", "205", "903", "906", "935"]
    defects = [3, 5, 3, 3, 2, 2, 3]
    scoped = pl.DataFrame({
        "scope": "period", "period_start": dt.date(2026, 1, 1), "period_end": SAT,
        "quarter_end": Q1, "org_code": X[0], "function_code": X[1], "program_code": X[2],
        "defect_code": codes, "employee": defects, "unit_review": 0, "unit_moved": 0,
        dc.IDENTICAL: 0}).with_columns(pl.col(c).cast(pl.Int64) for c in dc.FIGURES)
    in_order = dc.frequency(scoped, dcf())
    assert in_order.select("section", "rank", "defect_code").rows() == [
        ("defects", 1, "104"), ("defects", 2, "101"), ("defects", 3, "110"),
        ("defects", 4, "205"), ("defects", 5, "935"), ("procedural", 1, "903"),
        ("procedural", 2, "906")]
    for order in ([6, 0, 5, 1, 4, 2, 3], [3, 2, 1, 0, 6, 5, 4]):
        assert dc.frequency(scoped[order], dcf()).equals(in_order)
    # defects past 32 bits: ranked on the three keys instead of one packed integer, the same
    huge = scoped.with_columns(pl.col("employee") + 2**40)
    assert dc.frequency(huge, dcf()).select("section", "rank", "defect_code").equals(
        in_order.select("section", "rank", "defect_code"))


def test_frequency_of_figures_out_of_ofp_order_ranks_as_in_order() -> None:
    """The week's batches come in OFP order and are not sorted again; figures given in
    another order are sorted first, so the ranks and the rows' order are the same."""
    week = dc.weeks_of(review_sums.of_lines(reviews()))[SAT]
    scoped = week.filter(pl.col("period_end") == SAT).select(
        pl.lit("period").alias("scope"), pl.lit(dt.date(2026, 1, 1)).alias("period_start"),
        "period_end", "quarter_end", "org_code", "function_code", "program_code",
        "defect_code", *dc.FIGURES)
    in_order = dc.frequency(scoped, dcf())
    backwards = dc.frequency(scoped.reverse(), dcf())
    assert backwards.equals(in_order)
    assert in_order.select("program_code", "section", "rank", "defect_code").rows() == [
        (Y[2], "defects", 1, "205"),  # OFP Y (81110) before X (81120)
        (X[2], "defects", 1, "104"), (X[2], "defects", 2, "101"), (X[2], "defects", 3, "935"),
        (X[2], "procedural", 1, "903")]


def test_a_share_prints_as_fmt_hundredths_prints_it() -> None:
    from pipelines.engine.qap.individual.measures import fmt_hundredths

    values = pl.DataFrame({"h": [*range(20_001), 123_456_789, 2**53, None]},
                          schema={"h": pl.Int64})
    got = values.select(report._share(pl.col("h")).alias("share"),
                        fmt_hundredths(pl.col("h")).alias("fmt"))
    assert got["share"].to_list() == got["fmt"].to_list()
