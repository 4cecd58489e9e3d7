"""Sample selection after review 13 (/work/wt/review13-findings.md): an HDR week ending that is
not a Saturday (R13-9), what a rejected record says (R13-7), S23 for a weekly sample under four
(R13-8), the summary of a run over two weeks (R13-11)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from fixtures.sampling import make_fixtures as fx
from layouts.encode import deck
from pipelines.engine.sampling import inputs
from pipelines.engine.sampling.selection import run_select
from pipelines.reports.sampling_outputs import write_all
from pipelines.state.store import Store

ADAMS = "123456789"
IR1 = "8112041044210"


@pytest.fixture(scope="module")
def reference():
    return inputs.load_reference(fx.REFERENCE)


def _deck(tmp_path: Path, name: str, records: list[str], week: str, sequence: int = 1) -> Path:
    path = tmp_path / f"{name}.dat"
    path.write_text(deck(records, week_ending=week, created="01102026", sequence=sequence))
    return path


def test_a_deck_headed_with_a_thursday_counts_in_that_weeks_saturday_and_says_so(
        tmp_path, reference):
    data = tmp_path / "data"
    request = fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0006")
    saturday = _deck(tmp_path, "sat", [request, fx.batch(ADAMS, "MON", IR1, "05", "A-1",
                                                         "00040")], fx.WEEK)
    run_select([saturday], data, reference, write_all, dt.date(2026, 1, 12))
    # HDR 01/15/2026 is a Thursday; Friday 01/16 is in its Sunday-Saturday week, as Tuesday is
    thursday = _deck(tmp_path, "thu", [fx.batch(ADAMS, "FRI", IR1, "05", "A-2", "00030"),
                                       fx.batch(ADAMS, "TUE", IR1, "05", "A-3", "00020")],
                     "01152026", sequence=2)
    result = run_select([thursday], data, reference, write_all, dt.date(2026, 1, 17))
    assert result.rejected == 0
    assert result.weeks == [dt.date(2026, 1, 17)]
    assert result.notes[-1] == ("thu.dat: HDR week ending 01/15/2026 is a Thursday, not a "
                                "Saturday; its batches count in the week ending 01/17/2026")
    weeks = Store(data).read("sampling_weeks")
    assert weeks["week_ending"].unique().to_list() == [dt.date(2026, 1, 17)]
    adams = weeks.filter(pl.col("ssn") == ADAMS)
    assert adams.select("requested", "work_days", "volume").rows() == [(6, 3, 90)]
