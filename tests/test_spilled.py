"""The weekly run keeps the defect-charge state, the week's charges and the Cumulative Data
File's code rows in private Arrow files from the posting to the publishing
(pipelines/engine/qap/spilled.py, issue 20): read back they are the frames, the Defect
Frequency worked out of the files is the one worked out of the frames, and no file is left in
the published run folder."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import polars as pl
import pytest
from run_outputs import umask
from test_quarterly_defect_frequency import Q1, SAT, dcf, reviews, state
from test_week_parts import NATIONAL, SAMPLE_WEEK, _week

from pipelines.engine.qap import review_sums, spilled
from pipelines.engine.qap.individual import defect_charges as dc

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _modes(path: Path) -> tuple[int, int]:
    return stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode)


def test_a_spilled_frame_reads_back_as_the_frame_in_one_chunk_owner_only(tmp_path):
    ends = [dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 30)]
    frame = pl.DataFrame({
        "quarter_end": pl.Series(ends).sample(200_000, with_replacement=True, seed=3).sort(),
        "defect_code": pl.Series([f"{i % 997:03d}" for i in range(200_000)]),
        "employee": pl.Series(range(200_000), dtype=pl.Int64)})
    with umask(0o022):
        whole = spilled.Spilled.of(frame, tmp_path / "spill" / "charges.arrow")
        cut = spilled.Spilled.of(frame, tmp_path / "spill" / "cut.arrow", by="quarter_end")
    assert [p.name for p in cut.paths] == [
        "cut-2026-03-31.arrow", "cut-2026-06-30.arrow", "cut-2026-09-30.arrow"]
    assert {_modes(p) for p in (*whole.paths, *cut.paths)} == {(0o600, 0o700)}
    for kept in (whole, cut):
        assert kept.height == 200_000 and kept.schema == frame.schema
        back = kept.read()
        assert back.equals(frame) and back.n_chunks() == 1  # the store's row groups: chunks
        for day in (*ends, dt.date(2026, 12, 31)):  # rows across batches; a quarter of none
            got = spilled.where(kept, "quarter_end", day).collect()
            assert got.equals(frame.filter(pl.col("quarter_end") == day)), day
        kept.drop()
        assert not any(p.exists() for p in kept.paths)
    assert spilled.read(frame) is frame
    assert spilled.where(frame, "quarter_end", ends[1]).collect().height == frame.filter(
        pl.col("quarter_end") == ends[1]).height > 60_000


def test_a_frame_not_sorted_by_its_cut_column_is_refused(tmp_path):
    frame = pl.DataFrame({"quarter_end": [dt.date(2026, 3, 31), dt.date(2026, 6, 30),
                                          dt.date(2026, 3, 31)], "employee": [1, 2, 3]})
    with pytest.raises(ValueError, match="not sorted by quarter_end"):
        spilled.Spilled.of(frame, tmp_path / "x.arrow", by="quarter_end")


def test_the_defect_frequency_of_spilled_weeks_is_the_one_of_held_weeks(tmp_path,
                                                                          monkeypatch):
    """The week ending 01/03/2026 has two periods (a quarter ends on its Wednesday) and two
    quarters to date: each scope is read out of files of two-row record batches."""
    monkeypatch.setattr(spilled, "BATCH_ROWS", 2)
    sums = review_sums.of_lines(reviews())
    held_state, held = dc.add_weeks(dc.weeks_of(sums), state(), dcf())
    with umask(0o022):
        weeks = dc.weeks_of(sums, tmp_path / "spill")
        kept_state, kept = dc.add_weeks(weeks, state(), dcf(), tmp_path / "spill")
    assert isinstance(weeks[SAT], spilled.Spilled) and isinstance(kept_state, spilled.Spilled)
    # a file per period and per quarter: a scope of the reports reads its own file
    assert sorted(p.name for p in (tmp_path / "spill").iterdir()) == [
        "charges-20260103-2025-12-31.arrow", "charges-20260103-2026-03-31.arrow",
        "week-20260103-2025-12-31.arrow", "week-20260103-2026-01-03.arrow"]
    assert kept_state.values == (Q1, dt.date(2026, 3, 31))
    assert {_modes(p) for p in (tmp_path / "spill").iterdir()} == {(0o600, 0o700)}
    assert kept_state.read().equals(held_state)
    assert held_state.height == 9  # the frames compared are not empty
    frame = kept[SAT].frame()
    assert frame.equals(held[SAT].frame()) and frame.height == 17  # outline: 3+1+4, 4+1+4
    assert kept[SAT].outline().equals(held[SAT].outline())
    assert [b.height for b in kept[SAT].batches(3)] == [b.height for b in held[SAT].batches(3)]


def test_the_run_spills_its_state_privately_and_publishes_none_of_it(tmp_path, monkeypatch):
    seen: dict[str, tuple[int, int]] = {}
    of = spilled.Spilled.of.__func__

    def spy(cls, frame, path, by=None):
        kept = of(cls, frame, path, by)
        seen.update({p.name: _modes(p) for p in kept.paths})
        return kept

    monkeypatch.setattr(spilled.Spilled, "of", classmethod(spy))
    with umask(0o022):
        result = _week(tmp_path / "data", FIXTURES / "reference", [NATIONAL], SAMPLE_WEEK)
    # the state, and the map's parts' review sums (`week_parts._spill`) while decks are checked
    assert set(seen) == {"cum_defects.arrow", "week-20261114-2026-11-14.arrow",
                         "charges-20261114-2026-12-31.arrow", "sums-00001.arrow"}
    assert set(seen.values()) == {(0o600, 0o700)}
    assert not (result.run_dir / ".spilled").exists()
    assert not list((tmp_path / "data").rglob("*.arrow"))
