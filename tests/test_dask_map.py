"""Run 03's per-deck map on Dask's distributed scheduler (a LocalCluster of two worker
processes) prints and posts exactly what the run in one process does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from run_outputs import assert_same_state, files

from fixtures import generate
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.qap import week_parts
from pipelines.operator.dask_map import on_cluster
from pipelines.operator.runs import run_week

distributed = pytest.importorskip("distributed")

FIXTURES = Path(__file__).parent.parent / "fixtures"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
SAMPLE_WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))


def test_the_per_deck_map_on_a_two_worker_cluster_gives_the_same_bytes(tmp_path, monkeypatch):
    inputs = generate.write_inputs(tmp_path / "gen", 3_000, seed=5, error_rate=0.05)
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "ofp_consistency.txt").write_bytes(inputs["ofp"].read_bytes())
    ref = load_reference(reference)
    # several decks, every kind of record; the generated list and week share an HDR, so
    # they go in one run
    week = [inputs["national"], inputs["week"], *SAMPLE_WEEK]
    monkeypatch.setattr(week_parts, "PART_LINES", 500)  # parts inside the big deck too
    results = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        for name, mapper in (("here", None), ("cluster", on_cluster(cluster))):
            data = tmp_path / name
            run_week([NATIONAL], data, ref, dt.date(2026, 11, 10))
            results[name] = run_week(week, data, ref, dt.date(2026, 11, 17),
                                     map_decks=mapper)
        with distributed.Client(cluster) as client:
            ran = client.run(lambda: True)
    assert len(ran) == 2
    here, there = results["here"], results["cluster"]
    assert there.condition_code == here.condition_code and there.codes == here.codes
    assert there.rejected == here.rejected > 0 and there.posted == here.posted > 3_000
    assert [d.status for d in there.decks][:2] == ["accepted", "accepted"]
    printed_here, printed_there = files(here.run_dir), files(there.run_dir)
    assert list(printed_there) == list(printed_here)
    for name, text in printed_here.items():
        assert printed_there[name] == text, name
    assert_same_state(tmp_path / "here", tmp_path / "cluster")


def test_a_deck_changed_after_intake_is_not_checked_by_a_worker(tmp_path):
    deck = tmp_path / "week.dat"
    deck.write_bytes(NATIONAL.read_bytes())
    task = week_parts.DeckTask(str(deck), 0, 0, "0" * 64, 100)
    with pytest.raises(week_parts.DeckChanged, match="changed since intake"):
        week_parts.check_deck_file(task, pl.DataFrame(), pl.Series([], dtype=pl.String))


def test_a_deck_changed_between_intake_and_its_worker_posts_nothing(tmp_path):
    from pipelines.state.store import Store

    ref = load_reference(FIXTURES / "reference")
    data = tmp_path / "data"
    run_week([NATIONAL], data, ref, dt.date(2026, 11, 10))
    before = Store(data).history()
    deck = tmp_path / "week.dat"
    deck.write_bytes(SAMPLE_WEEK[0].read_bytes())

    def tampering(tasks, ofp, defect_codes):  # the file is replaced once intake has read it
        deck.write_bytes(NATIONAL.read_bytes())
        return (week_parts.check_deck_file(t, ofp, defect_codes) for t in tasks)

    with pytest.raises(week_parts.DeckChanged, match=r"week\.dat: changed since intake"):
        run_week([deck], data, ref, dt.date(2026, 11, 17), map_decks=tampering)
    assert Store(data).history() == before
    assert not (data / "runs" / "20261117.01").exists()  # the next run tidies the .partial
