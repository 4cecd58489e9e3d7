"""Run folders: a run's reports appear under its run id only once the run is published.
Killed runs at every publishing step: tests/test_weekly_crash.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.qap import weekly
from pipelines.engine.qap.weekly import ConservationError
from pipelines.operator.runs import run_week
from pipelines.state import run_folder
from pipelines.state.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
WEEK_DECKS = sorted((FIXTURES / "sample-week").glob("*.dat"))


def _folders(runs: Path) -> list[str]:
    return sorted(p.name for p in runs.iterdir())


def _make(runs: Path, *names: str) -> None:
    for name in names:
        (runs / name).mkdir(parents=True)
        (runs / name / "posting-3926.txt").write_text("x\n")


def test_tidy_renames_a_published_working_folder_and_removes_unpublished_ones(tmp_path):
    runs = tmp_path / "runs"
    _make(runs, "20261110.01", "20261117.01.partial", "20261117.02.partial", "20261117.03",
          "notes")
    notes = run_folder.tidy(runs, {"20261110.01", "20261117.01"})
    assert _folders(runs) == ["20261110.01", "20261117.01", "notes"]
    assert (runs / "20261117.01" / "posting-3926.txt").read_text() == "x\n"
    assert len(notes) == 3
    assert notes[0].startswith("the reports of run 20261117.01, published before a stop")
    assert notes[1].startswith(f"removed {runs / '20261117.02.partial'}: ")
    assert notes[2].startswith(f"removed {runs / '20261117.03'}: ")


def test_tidy_keeps_a_published_folder_when_a_working_copy_is_also_left(tmp_path):
    runs = tmp_path / "runs"
    _make(runs, "20261117.01", "20261117.01.partial")
    assert run_folder.tidy(runs, {"20261117.01"}) == [
        f"removed {runs / '20261117.01.partial'}: reports of a run that stopped before its "
        "state was published (nothing of it posted; its decks can be run again)"]
    assert _folders(runs) == ["20261117.01"]


def test_tidy_of_a_data_dir_without_runs_says_nothing(tmp_path):
    assert run_folder.tidy(tmp_path / "runs", set()) == []


def test_a_failed_run_leaves_no_folder_under_its_run_id_and_the_next_run_says_so(
        tmp_path, monkeypatch):
    data = tmp_path / "data"
    reference = load_reference(FIXTURES / "reference")
    run_week([NATIONAL], data, reference, dt.date(2026, 11, 10))

    def broken(_result: weekly.RunResult) -> None:
        raise ConservationError("lines in 1 != posted 0 + on a register 0")

    with monkeypatch.context() as patch:
        patch.setattr(weekly, "conserve", broken)
        with pytest.raises(ConservationError):
            run_week(WEEK_DECKS, data, reference, dt.date(2026, 11, 17))
    runs = data / "runs"
    assert _folders(runs) == ["20261110.01", "20261117.01.partial"]
    assert (runs / "20261117.01.partial" / "posting-3926.txt").is_file()
    assert [m["run_id"] for m in Store(data).history()] == ["20261110.01"]

    again = run_week(WEEK_DECKS, data, reference, dt.date(2026, 11, 17))
    assert again.run_id == "20261117.01" and again.run_dir == runs / "20261117.01"
    assert again.notes[0] == (f"removed {runs / '20261117.01.partial'}: reports of a run that "
                              "stopped before its state was published (nothing of it posted; "
                              "its decks can be run again)")
    assert _folders(runs) == ["20261110.01", "20261117.01"]
    assert all(p.parent == again.run_dir and p.is_file() for p in again.outputs.values())
