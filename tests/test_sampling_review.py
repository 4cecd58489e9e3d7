"""Sample selection after the independent review (issue 15): one-day work pulled whole once no
later day can bring work, the suggested time across a week boundary, replay with a wrong key,
S25 for an HQW OFP with no work, an HQW OFP not on the OFP Consistency File, and the log
showing the OFP/grade of the batches pulled."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from fixtures.sampling import make_fixtures as fx
from layouts.encode import deck
from pipelines.engine.machinery.reference import ReferenceFault
from pipelines.engine.sampling import inputs, replay
from pipelines.engine.sampling.selection import run_select
from pipelines.reports.sampling_outputs import write_all
from pipelines.state.store import Store

ADAMS, EVANS = "123456789", "567891234"
IR1, IR2, HQW = "8112041044210", "8112041044220", "8114041044300"


@pytest.fixture(scope="module")
def reference():
    return inputs.load_reference(fx.REFERENCE)


def _run(tmp_path: Path, reference, name: str, records: list[str], week: str,
         run_date: dt.date, data: Path | None = None):
    path = tmp_path / f"{name}.dat"
    path.write_text(deck(records, week_ending=week, created="01032026"))
    return run_select([path], data or tmp_path / f"data-{name}", reference, write_all,
                      run_date)


def _cycled(size: str = "0009") -> list[str]:
    return [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", size),
            fx.batch(ADAMS, "MON", IR1, "05", "CYC1", "00020")]


def test_work_on_one_day_only_run_after_the_week_is_pulled_whole_that_day_with_s23(
        tmp_path, reference):
    result = _run(tmp_path, reference, "cyc", _cycled(), fx.WEEK, dt.date(2026, 1, 19))
    assert result.pulls.select("pull_date", "target", "pulled").rows() == [
        (dt.date(2026, 1, 12), 9, 9)]
    ir = result.week_rows.filter(pl.col("kind") == "IR")
    assert ir.select("requested", "pulled", "short").rows() == [(9, 9, 0)]
    assert result.findings.filter(pl.col("code") == "S23").select("ssn", "line_no",
                                                                   "reason").rows() == [
        (ADAMS, 2, "work completed on 1 day(s) of the week (01/12)")]


def test_one_day_work_run_on_the_friday_is_pulled_whole_as_no_later_day_is_left(
        tmp_path, reference):
    records = [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0009"),
               fx.batch(ADAMS, "WED", IR1, "05", "CYC1", "00020")]
    result = _run(tmp_path, reference, "fri", records, fx.WEEK, dt.date(2026, 1, 16))
    assert result.pulls.select("pull_date", "pulled").rows() == [(dt.date(2026, 1, 14), 9)]
    assert "S23" in result.findings["code"].to_list()


def test_one_day_work_run_on_that_day_is_spread_over_the_days_still_to_come(tmp_path,
                                                                            reference):
    # near miss: run on the Monday itself, Tuesday to Friday may still bring work
    result = _run(tmp_path, reference, "mon", _cycled(), fx.WEEK, dt.date(2026, 1, 12))
    assert result.pulls.select("pull_date", "target", "pulled").rows() == [
        (dt.date(2026, 1, 12), 2, 2)]
    assert "S23" not in result.findings["code"].to_list()


def test_suggested_time_differs_from_the_last_pull_of_the_week_before(tmp_path, reference):
    # the key draws 08:30 for ADAMS on Wednesday 01/14 and on Monday 01/19 alike
    data = tmp_path / "data"
    first = _run(tmp_path, reference, "w1",
                 [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0004"),
                  fx.batch(ADAMS, "WED", IR1, "05", "W1WED", "00020")],
                 fx.WEEK, dt.date(2026, 1, 17), data)
    assert first.pulls.select("pull_date", "suggested_time").rows() == [
        (dt.date(2026, 1, 14), "08:30")]
    second = _run(tmp_path, reference, "w2",
                  [fx.batch(ADAMS, "01192026", IR1, "05", "W2MON", "00020")],
                  "01242026", dt.date(2026, 1, 19), data)
    assert second.pulls.select("pull_date", "suggested_time").rows() == [
        (dt.date(2026, 1, 19), "09:00")]


def test_replay_with_another_key_fails_every_pull_of_the_week(tmp_path, reference):
    result = run_select(sorted(fx.WEEK_DIR.glob("*.dat")), tmp_path / "data", reference,
                        write_all, dt.date(2026, 1, 17))
    log = Store(tmp_path / "data").read("sampling_log")
    assert log.height == result.pulls.height == 16
    failed = {f.split(":")[0] for f in replay.replay(log, "another key")}
    assert failed == {f"week ending 01/17/2026 pull {n}" for n in range(1, 17)}
    assert replay.replay(log, reference.key) == []


def test_hqw_ofp_with_no_work_in_an_hqw_week_is_s25_no_work_this_week(tmp_path, reference):
    records = [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0004"),
               fx.batch(ADAMS, "MON", IR1, "05", "NOHQW", "00020")]
    result = _run(tmp_path, reference, "nohqw", records, fx.WEEK, dt.date(2026, 1, 17))
    assert result.findings.filter(pl.col("code") == "S25").select("ofp", "reason").rows() == [
        (HQW, "no work this week")]


def test_hqw_ofp_with_no_work_after_the_eighth_week_is_not_s25(tmp_path, reference):
    # near miss: the week ending 02/28/2026 is the quarter's ninth, nothing is asked of HQW
    records = [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0004"),
               fx.batch(ADAMS, "02232026", IR1, "05", "NOHQW", "00020")]
    result = _run(tmp_path, reference, "wk9", records, "02282026", dt.date(2026, 2, 28))
    assert "S25" not in result.findings["code"].to_list()


def test_hqw_ofp_with_no_work_early_in_the_week_is_not_s25_yet(tmp_path, reference):
    # near miss: run on the Monday, four working days may still bring HQW work
    records = [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0004"),
               fx.batch(ADAMS, "MON", IR1, "05", "NOHQW", "00020")]
    result = _run(tmp_path, reference, "early", records, fx.WEEK, dt.date(2026, 1, 12))
    assert "S25" not in result.findings["code"].to_list()


def test_an_hqw_ofp_not_on_the_ofp_consistency_file_stops_the_load_naming_line_and_field(
        tmp_path):
    ref = tmp_path / "ref"
    shutil.copytree(fx.REFERENCE, ref)
    good = (fx.REFERENCE / "hqw.txt").read_text().splitlines()[0]
    (ref / "hqw.txt").write_text(f"{good}\n8114019900099049800\n")
    with pytest.raises(ReferenceFault) as err:
        inputs.load_reference(ref)
    assert (err.value.line, err.value.column, err.value.field) == (
        2, 1, "org_code+function_code+program_code")
    assert str(err.value).startswith(
        f'{ref / "hqw.txt"}, line 2, column 1: OFP (columns 1-13) is "8114019900099", which '
        "is not on the OFP Consistency File (ofp_consistency.txt)")


def test_the_fixture_hqw_file_whose_ofp_is_on_the_ofp_file_loads(reference):
    assert reference.hqw.height == 1


def test_the_log_shows_the_ofp_and_grade_of_the_batch_pulled_not_the_request(tmp_path,
                                                                             reference):
    records = [fx.request(ADAMS, "ADAMS ANN", "101", "07", "410", "44210", "0004"),
               fx.batch(ADAMS, "MON", IR2, "05", "OTHER", "00020"),
               fx.request(EVANS, "EVANS EVE", "101", "05", "410", "44220", "0004"),
               fx.batch(EVANS, "MON", IR1, "05", "MIX-1", "00001"),
               fx.batch(EVANS, "MON", IR2, "06", "MIX-2", "00001")]
    result = _run(tmp_path, reference, "ofp", records, fx.WEEK, dt.date(2026, 1, 17))
    assert result.pulls.sort("ssn").select(
        "ssn", "function_code", "program_code", "grade", "ofp", "pulled").rows() == [
        (ADAMS, "410", "44220", "05", IR2, 4),
        (EVANS, "410", "*", "*", "*", 2)]
    printed = result.outputs["sampling-log"].read_text()
    assert "ADAMS ANN            101 410  44220 05" in printed
