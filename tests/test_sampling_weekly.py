"""End to end: a sample selection run, then the weekly run on the same data directory: the
weekly SAR's Reviews Requested and Reviews This Week come from the store's sampling tables."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from fixtures.sampling.make_fixtures import batch, request
from layouts.encode import deck
from pipelines.engine.machinery.reference import load
from pipelines.engine.sampling import inputs
from pipelines.engine.sampling.selection import run_select
from pipelines.operator.runs import run_week
from pipelines.reports.sampling_outputs import write_all
from pipelines.state.store import Store

IND = Path(__file__).parent.parent / "fixtures" / "individual"
ADAMS = "111223333"  # QPC 101 on the individual fixtures' OFP Consistency File


def test_weekly_sar_shows_the_request_and_the_weeks_pulls_of_sample_selection(tmp_path):
    ref = tmp_path / "reference"
    ref.mkdir()
    for name in ("ofp_consistency.txt", "employee_master.txt"):
        shutil.copy(IND / name, ref / name)
    requests = [request(ADAMS, "ADAMS ALICE", "101", "07", "110", "43210", "0005",
                        week="12202025")]
    days = ["12152025", "12162025", "12172025", "12182025", "12192025"]
    batches = [batch(ADAMS, day, "8112011043210", "07", f"A{day}", "00040") for day in days]
    (tmp_path / "s.dat").write_text(deck(requests + batches, week_ending="12202025",
                                         created="12192025"))
    data = tmp_path / "data"
    picked = run_select([tmp_path / "s.dat"], data, inputs.load_reference(ref), write_all,
                        dt.date(2025, 12, 19))
    assert picked.condition_code == 0 and int(picked.pulls["pulled"].sum()) == 5

    result = run_week([IND / "form3081_12202025.txt"], data, load(ref), dt.date(2025, 12, 22))
    sar = pl.read_parquet(result.run_dir / "sar_12202025.parquet")
    adams = sar.filter((pl.col("ssn") == ADAMS) & (pl.col("qpc") == "101"))
    assert adams.select("reviews_requested", "reviews_this_week", "pulls_this_week").rows() == [
        (5, 5, 5)]
    others = sar.filter(pl.col("ssn") != ADAMS)
    assert others.height and others["reviews_requested"].null_count() == others.height
    printed = (result.run_dir / "sar-12202025_12202025.txt").read_text()
    assert "REVIEWS THIS WEEK 5 PULLED ON 5 DAY(S)" in printed


def test_sar_says_on_how_many_days_the_week_was_pulled_when_a_day_had_two_walks(tmp_path):
    # review 13, R13-10: the log numbers each walk a pull (three here); the SAR's figure is
    # the days pulled (two), and its wording says days
    ref = tmp_path / "reference"
    ref.mkdir()
    for name in ("ofp_consistency.txt", "employee_master.txt"):
        shutil.copy(IND / name, ref / name)
    reference = inputs.load_reference(ref)
    data = tmp_path / "data"
    monday = [request(ADAMS, "ADAMS ALICE", "101", "07", "110", "43210", "0006",
                      week="12202025"),
              batch(ADAMS, "12152025", "8112011043210", "07", "A-1", "00040")]
    (tmp_path / "a.dat").write_text(deck(monday, week_ending="12202025", created="12152025"))
    run_select([tmp_path / "a.dat"], data, reference, write_all, dt.date(2025, 12, 15))
    later = [batch(ADAMS, "12152025", "8112011043210", "07", "A-2", "00040"),
             batch(ADAMS, "12172025", "8112011043210", "07", "A-3", "00040")]
    (tmp_path / "b.dat").write_text(deck(later, week_ending="12202025", created="12172025",
                                         sequence=2))
    run_select([tmp_path / "b.dat"], data, reference, write_all, dt.date(2025, 12, 17))
    log = Store(data).read("sampling_log")
    assert log.select("pull_no", "pull_date", "pulled").rows() == [
        (1, dt.date(2025, 12, 15), 2), (2, dt.date(2025, 12, 15), 1),
        (3, dt.date(2025, 12, 17), 1)]
    result = run_week([IND / "form3081_12202025.txt"], data, load(ref), dt.date(2025, 12, 22))
    printed = (result.run_dir / "sar-12202025_12202025.txt").read_text()
    assert [line.strip() for line in printed.splitlines() if "REVIEWS THIS WEEK" in line] == [
        "REVIEWS THIS WEEK 4 PULLED ON 2 DAY(S)"]
