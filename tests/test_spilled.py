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

from pipelines.engine.qap import ordered, review_sums, spilled
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


def test_a_frame_written_a_piece_at_a_time_reads_back_whole_and_by_value(tmp_path):
    ends = [dt.date(2026, 3, 31), dt.date(2026, 6, 30)]
    frame = pl.DataFrame({"quarter_end": [ends[0]] * 5 + [ends[1]] * 4,
                          "employee": pl.Series(range(9), dtype=pl.Int64)})
    with umask(0o022):
        writer = spilled.Writer(tmp_path / "spill" / "w.arrow", "quarter_end")
        for at in (0, 4, 6):  # the first value's rows in two pieces, the second's in two
            writer.add(frame.slice(at, {0: 4, 4: 2, 6: 3}[at]))
        kept = writer.done()
    assert kept.files == (2, 2) and kept.values == tuple(ends) and kept.height == 9
    assert {_modes(p) for p in kept.paths} == {(0o600, 0o700)}
    assert kept.read().equals(frame)
    for day in ends:
        assert spilled.where(kept, "quarter_end", day).collect().equals(
            frame.filter(pl.col("quarter_end") == day))
    again = spilled.Writer(tmp_path / "spill" / "x.arrow", "quarter_end")
    again.add(frame.slice(0, 6))
    with pytest.raises(ValueError, match="not sorted by quarter_end"):
        again.add(frame.slice(0, 1))
    again.abandon()
    assert sorted(p.name for p in (tmp_path / "spill").iterdir()) == sorted(
        p.name for p in kept.paths)


@pytest.mark.parametrize("slice_rows", [dc.SLICE_ROWS, 3, 1])
@pytest.mark.parametrize("in_key_order", [True, False])
def test_the_defect_frequency_of_spilled_weeks_is_the_one_of_held_weeks(
        in_key_order, slice_rows, tmp_path, monkeypatch):
    """The week ending 01/03/2026 has two periods (a quarter ends on its Wednesday) and two
    quarters to date: each scope is read out of files of two-row record batches. Sums in key
    order (as the reduce makes them) go to the week's files a slice at a time (`slice_rows`),
    a file per slice and period; sums in another order are sorted and written whole."""
    monkeypatch.setattr(spilled, "BATCH_ROWS", 2)
    monkeypatch.setattr(dc, "SLICE_ROWS", slice_rows)
    sums = review_sums.of_lines(reviews())
    assert not ordered.sorted_by(sums, review_sums.KEY)
    if in_key_order:
        sums = sums.sort(review_sums.KEY)
    held_state, held = dc.add_weeks(dc.weeks_of(sums), state(), dcf())
    with umask(0o022):
        weeks = dc.weeks_of(sums, tmp_path / "spill")
        kept_state, kept = dc.add_weeks(weeks, state(), dcf(), tmp_path / "spill")
    assert isinstance(weeks[SAT], spilled.Spilled) and isinstance(kept_state, spilled.Spilled)
    # files of each period and quarter: a scope of the reports reads its own files
    names = sorted(p.name for p in (tmp_path / "spill").iterdir())
    assert names[:2] == ["charges-20260103-2025-12-31.arrow",
                         "charges-20260103-2026-03-31.arrow"]
    assert weeks[SAT].values == (dt.date(2025, 12, 31), dt.date(2026, 1, 3))
    if not in_key_order:  # sorted whole: a file per period
        assert names[2:] == ["week-20260103-2025-12-31.arrow", "week-20260103-2026-01-03.arrow"]
    else:  # a file per slice and period
        assert {n.rsplit("-", 1)[0] for n in names[2:]} == {
            "week-20260103-2025-12-31", "week-20260103-2026-01-03"}
        expected = {1: weeks[SAT].height, 3: 3}.get(slice_rows, 2)  # 3: rows 3 | 3 | 2
        assert len(names[2:]) == len(weeks[SAT].paths) == expected
    assert kept_state.values == (Q1, dt.date(2026, 3, 31))
    assert {_modes(p) for p in (tmp_path / "spill").iterdir()} == {(0o600, 0o700)}
    assert kept_state.read().equals(held_state)
    assert held_state.height == 10  # not empty: the state's 2 rows, the week's 8
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
    done = spilled.Writer.done

    def written(self):
        kept = done(self)
        seen.update({p.name: _modes(p) for p in kept.paths})
        return kept

    monkeypatch.setattr(spilled.Writer, "done", written)
    with umask(0o022):
        result = _week(tmp_path / "data", FIXTURES / "reference", [NATIONAL], SAMPLE_WEEK)
    # the state, and the map's parts' review sums (`week_parts._spill`) while decks are checked
    assert set(seen) == {"cum_defects.arrow", "week-20261114-2026-11-14-00000.arrow",
                         "charges-20261114-2026-12-31.arrow", "sums-00001.arrow"}
    assert set(seen.values()) == {(0o600, 0o700)}
    assert not (result.run_dir / ".spilled").exists()
    assert not list((tmp_path / "data").rglob("*.arrow"))
