"""Printed individual data reports against committed golden files (tests/golden/individual).

`QAP_UPDATE_GOLDEN=1 uv run pytest tests/test_individual_reports.py` rewrites them; review the
diff before committing. Every report of every fixture week is covered: IPR, SAR (two in the split
week ending 01/03/2026), the adjustment report and Weekly Data Not Posted.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import polars as pl
import pytest
from golden_files import assert_golden

from fixtures.individual import weeks
from layouts import layout
from layouts.decoder import decode
from pipelines.engine.qap.individual import cum_jobs, run
from pipelines.reports import data_not_posted as dnp_report
from pipelines.reports import individual_week
from pipelines.reports import ipr as ipr_report
from pipelines.reports.printing import PAGE_WIDTH

GOLDEN = Path(__file__).parent / "golden" / "individual"

REPORTS = [(week, name) for week in weeks.WEEKS for name in
           ("ipr", "ipr-adjustments", "data-not-posted",
            *(["sar-12312025", "sar-01032026"] if week == "01032026" else [f"sar-{week}"]))]


@functools.cache
def results():
    return weeks.run_all()


@pytest.mark.parametrize(("week", "name"), REPORTS)
def test_printed_report_matches_golden(week: str, name: str) -> None:
    assert_golden(results()[week].text(name), GOLDEN / f"{name}_{week}.txt")


@pytest.mark.parametrize("per_part", [1, 2])
def test_ipr_laid_out_in_parts_is_the_golden_text(monkeypatch: pytest.MonkeyPatch,
                                                  per_part: int) -> None:
    monkeypatch.setattr(ipr_report, "EMPLOYEES_PER_PART", per_part)
    for week, result in weeks.run_all().items():
        assert_golden(result.text("ipr"), GOLDEN / f"ipr_{week}.txt")


@pytest.mark.parametrize("per_part", [1, 2])
def test_data_not_posted_laid_out_in_parts_is_the_golden_text(
        monkeypatch: pytest.MonkeyPatch, per_part: int) -> None:
    monkeypatch.setattr(dnp_report, "ROWS_PER_PART", per_part)
    for week, result in weeks.run_all().items():
        assert_golden(result.text("data-not-posted"), GOLDEN / f"data-not-posted_{week}.txt")


def test_every_printed_report_of_a_week_is_covered() -> None:
    for week in weeks.WEEKS:
        assert {n for w, n in REPORTS if w == week} == set(results()[week].pages)


@pytest.mark.parametrize(("week", "name"), REPORTS)
def test_printed_reports_mask_ssns_and_fit_the_page(week: str, name: str) -> None:
    text = results()[week].text(name)
    assert not re.search(r"\d{9}", text), "a full SSN is printed"
    assert not re.search(r"\d{8}", text), "an 8-digit SSN is printed"
    assert max(len(line.lstrip("\f")) for line in text.split("\n")) <= PAGE_WIDTH


def test_a_week_with_nothing_prints_no_items(tmp_path: Path) -> None:
    empty = decode(pl.DataFrame({"text": []}, schema={"text": pl.String}),
                   layout.load("prefix"))
    time_3081, forms_6489 = run.split_individual(empty)
    res = individual_week.run_individual(week_ending=dt.date(2025, 12, 20),
                                         run_date=dt.date(2025, 12, 22),
                                         employees=weeks.employees("12202025"),
                                         ofp=weeks.ofp(), time_3081=time_3081,
                                         forms_6489=forms_6489,
                                         reviews=cum_jobs.empty_reviews())
    for name in ("ipr-adjustments", "data-not-posted", "sar-12202025"):
        assert "*** NO ITEMS THIS RUN ***" in res.text(name)
    assert "WEEKLY EFFICIENCY" in res.text("ipr") and "  NONE" in res.text("ipr")
    written = res.write(tmp_path)
    assert set(written) == {f"{n}.parquet" for n in run.OUTPUT_COLUMNS} | {
        f"{n}.txt" for n in res.pages}
    for name, columns in run.OUTPUT_COLUMNS.items():
        assert pl.read_parquet(tmp_path / f"{name}.parquet").columns == columns


@pytest.mark.parametrize("rows", [
    {"a": ["81120", "81120"], "b": [1, 22], "c": ["xy", "z"], "d": [None, None]},  # exact width
    {"a": ["81120", None], "b": [None, 1234567], "c": ["toolongvalue", ""], "d": ["x", None]},
    {"a": ["811", "8112"], "b": [-5, 0], "c": [" lead", "trail "], "d": ["ab", "abcd"]},
    {"a": [], "b": [], "c": [], "d": []},
    # wider in bytes than in characters: exactly the width, under it, over it
    {"a": ["8112é", "811éé"], "b": [1, 2], "c": ["éééééé", "ééé"], "d": ["éé", "ééé"]},
    {"a": ["éééééé", "8"], "b": [1, 2], "c": ["abcdeé", "abcdef"], "d": ["é", None]},
])
def test_fast_lines_print_what_line_expr_prints(rows: dict) -> None:
    from pipelines.reports.columns import Col, line_expr, lines

    frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.Int64, "c": pl.String,
                                       "d": pl.String})
    cols = [Col("A", "a", 5), Col("B", "b", 4, "right", gap=2), Col("C", "c", 6),
            Col("X", pl.col("b") * 2, 3, "right"), Col("D", "d", 3, gap=0)]
    for indent in (0, 2):
        expected = frame.select(line_expr(cols, indent)).to_series().to_list()
        assert lines(frame, cols, indent).to_list() == expected
        assert [s.rstrip(" ") for s in lines(frame, cols, indent, strip=False)] == expected
    blank = [Col("D", pl.lit(None, pl.String), 3), Col("L", pl.lit("FORM"), 4)]
    assert lines(frame, blank, 1).to_list() == ["     FORM"] * frame.height


@pytest.mark.parametrize("dtype", [pl.Int64, pl.Int8, pl.UInt32])
def test_lines_of_a_few_numbers_laid_out_once_each_print_what_line_expr_prints(
        dtype, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell of one integer column spanning fewer numbers than rows is laid out per number
    (`columns._by_value`); nulls, negatives, a number too wide and an expression of it print
    as `field` prints them."""
    from pipelines.reports import columns
    from pipelines.reports.columns import Col, _by_value, line_expr, lines

    monkeypatch.setattr(columns, "BY_VALUE_ROWS", 10)
    values = [3, None, 0, 12, 3, 7, None, 100, 5, 3, 0, 1] * 10
    if dtype != pl.UInt32:
        values[4] = -9
    frame = pl.DataFrame({"n": values}, schema={"n": dtype})
    cols = [Col("N", "n", 2, "right"), Col("L", "n", 4),
            Col("X", pl.when(pl.col("n") > 2).then(pl.col("n") * 2), 5, "right", gap=2)]
    assert all(_by_value(frame, c) is not None for c in cols)
    expected = frame.select(line_expr(cols, 1)).to_series().to_list()
    assert lines(frame, cols, 1).to_list() == expected
    assert _by_value(frame.head(15), cols[0]) is None  # more numbers than rows: cast and padded
    assert _by_value(frame.head(9), cols[0]) is None  # a few rows: cast and padded
