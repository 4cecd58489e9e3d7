"""The run result is the contract: per-step counts, codes, condition code and every file the
run wrote come from the engine; the flows' record and the summary read the result alone, and
a run family's declaration matches what its run does."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from layouts.layout import all_layouts
from pipelines.engine.machinery.conditions import CC_REFUSED, CC_REJECTED
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.machinery.result import Progress
from pipelines.engine.qap.family import QAP_WEEK
from pipelines.operator import inbox
from pipelines.operator.runs import run_week
from pipelines.reports import summary
from validators.codes import CODES

FIXTURES = Path(__file__).parent.parent / "fixtures"
WEEK_DECKS = sorted((FIXTURES / "sample-week").glob("*.dat"))


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    data = tmp_path_factory.mktemp("result")
    reference = load_reference(FIXTURES / "reference")
    run_week([FIXTURES / "national" / "national-defect-list.dat"], data, reference,
             dt.date(2026, 11, 10))
    said: list[str] = []
    result = run_week(WEEK_DECKS, data, reference, dt.date(2026, 11, 17), progress=said.append)
    return result, said


def _rows(path: Path) -> int:
    return pl.read_parquet(path).height


def test_step_counts_are_the_listings_rows_and_add_up_to_the_decks(week):
    result, _ = week
    run_dir = result.run_dir
    steps = result.steps
    assert list(steps) == list(QAP_WEEK.steps)
    assert (steps["run 01"].posted, steps["run 01"].rejected) == (
        _rows(run_dir / "posting-3927.parquet"), _rows(run_dir / "pce-01-43.parquet"))
    assert (steps["run 03"].posted, steps["run 03"].rejected) == (
        _rows(run_dir / "posting-3926.parquet"), _rows(run_dir / "pce-03-41.parquet"))
    assert sum(s.posted for s in steps.values()) == result.posted == 19
    assert sum(s.rejected for s in steps.values()) == result.rejected == 84
    ind = steps["individual data"]
    assert ind.rejected == sum(result.codes["IPR-3081"].values()) + sum(
        result.codes["IPR-6489"].values()) == 2
    assert ind.condition_code == CC_REJECTED and result.condition_code == CC_REFUSED


def test_every_file_in_the_run_folder_is_in_the_result_and_nothing_else(week):
    result, _ = week
    on_disk = {p for p in result.run_dir.iterdir() if p.is_file()}
    assert set(result.files) == on_disk and len(result.files) == len(on_disk)
    assert all(p in result.files for p in result.outputs.values())
    assert result.steps["individual data"].reports == [
        "ipr_11142026", "ipr-adjustments_11142026", "data-not-posted_11142026",
        "sar-11142026_11142026"]
    assert result.steps["run 03"].reports == ["pce-03-41", "posting-3926"]


def test_the_flows_record_and_the_summary_need_no_file_of_the_run(week, tmp_path):
    """Counted once by the engine: with the run folder gone, the record is the same."""
    result, _ = week
    record = inbox.engine_record(result, summary.render(result))
    elsewhere = dataclasses.replace(result, run_dir=tmp_path / "gone")
    moved = inbox.engine_record(elsewhere, summary.render(result))
    assert moved["steps"] == record["steps"]
    assert record["steps"]["run 01"] == {
        "posted": result.steps["run 01"].posted, "rejected": result.steps["run 01"].rejected,
        "condition_code": result.steps["run 01"].condition_code,
        "reports": ["pce-01-43", "posting-3927"]}
    assert "held" not in record and all("held" not in s for s in record["steps"].values())


def test_progress_messages_carry_their_declared_stage_in_order(week):
    """The flows' progress bar reads the stage each message carries, never its text."""
    _, said = week
    stages = [m for m in said if isinstance(m, Progress)]
    assert [m.stage for m in stages] == list(range(len(QAP_WEEK.stages)))
    assert all(m.startswith(QAP_WEEK.stages[m.stage][0]) for m in stages)
    assert stages[-1].done == 1.0 and stages[0].done == 1 / len(QAP_WEEK.stages)
    notes = [m for m in said if not isinstance(m, Progress)]
    assert all(isinstance(m, str) for m in notes)


def test_the_qap_family_declares_what_its_run_reads_prints_and_issues(week):
    result, _ = week
    known = {lay.record for lay in all_layouts()}
    assert set(QAP_WEEK.layouts) <= known
    printed = {name.split("_")[0] for name in result.outputs if not name.endswith(".parquet")}
    printed = {"sar" if n.startswith("sar-") else n for n in printed}
    assert set(QAP_WEEK.reports) - printed == {"ipsr"}  # the IPSR prints at a quarter's end
    assert {run for run in result.codes} <= set(QAP_WEEK.codes)
    assert set(QAP_WEEK.codes) <= {c.run for c in CODES.values()}
    assert "SAMPLING" not in QAP_WEEK.codes  # another family's codes
