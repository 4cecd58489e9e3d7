"""`qap sql` views over the report twins a manager checks (review 13, R13-11): the quarterly
IPSR, sample selection's pull list and findings, the INV-10-02 reports. Each test reads a
figure off the printed report and finds the same figure in its view. (The Defect Frequency,
QA Unit/Group and Cumulative Data File views are in tests/test_sql.py, over its week.)"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from fixtures.sampling import make_fixtures as fx
from layouts.encode import deck
from pipelines.engine.inventory import calendar
from pipelines.engine.machinery.reference import load
from pipelines.engine.sampling import inputs
from pipelines.engine.sampling.selection import run_select
from pipelines.operator.inventory_run import run_inventory
from pipelines.operator.runs import run_week
from pipelines.operator.sql_views import open_views
from pipelines.reports.sampling_outputs import write_all
from tests.inventory_helpers import RUN_DATE, WORKED

IND = Path(__file__).parent.parent / "fixtures" / "individual"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One data directory: the week holding the 12/31/2025 quarter end (its IPSR), a sample
    selection week and an INV-10-02 run; each run's folder by name."""
    tmp = tmp_path_factory.mktemp("report-views")
    ref, data = tmp / "reference", tmp / "data"
    ref.mkdir()
    for name in ("ofp_consistency.txt", "employee_master.txt"):
        shutil.copy(IND / name, ref / name)
    week = run_week([IND / "form3081_01032026.txt"], data, load(ref), dt.date(2026, 1, 5))
    sampled = run_select(sorted(fx.WEEK_DIR.glob("*.dat")), data,
                         inputs.load_reference(fx.REFERENCE), write_all, dt.date(2026, 1, 17))
    inventory = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    con = duckdb.connect()
    views = open_views(data, con)
    yield con, views, {"week": week.run_dir, "sampling": sampled.run_dir,
                       "inventory": inventory.run_dir}
    con.close()


def _printed(folder: Path, name: str) -> list[str]:
    return (folder / name).read_text().splitlines()


def test_every_report_view_is_made_over_the_runs_that_wrote_its_files(runs):
    _, views, _ = runs
    assert {"ipsr", "pull_list", "sampling_findings", "ro_inventory_report", "inv_10_02",
            "queue_screen", "gs13_analysis"} <= set(views.listings)


def test_an_ipsr_line_prints_the_figures_of_its_view(runs):
    con, _, folders = runs
    line = _printed(folders["week"], "ipsr_202512.txt")
    baker = line[line.index(next(x for x in line if "BAKER, BOB C" in x)) + 1].split()
    row = con.execute("SELECT direct_hours_tenths, volume, run_id FROM ipsr WHERE ssn = "
                      "'222334444' AND program_code = '43210'").fetchall()
    assert row == [(320, 700, "20260105.01")]
    assert (baker[5], baker[8]) == (f"{row[0][0] / 10:.1f}", str(row[0][1]))


def test_a_pull_list_line_prints_the_items_of_its_view(runs):
    con, _, folders = runs
    line = next(x for x in _printed(folders["sampling"], "pull-list.txt")
                if x.split()[1:3] == ["4", "HQW"])
    items = con.execute("SELECT items FROM pull_list WHERE pull_no = 4").fetchall()
    assert items == [([24, 106, 159, 167, 213, 226, 232, 246],)]
    assert line.split()[-8:] == [str(n) for n in items[0][0]]


def test_a_finding_prints_the_reason_of_its_view(runs):
    con, _, folders = runs
    line = next(x for x in _printed(folders["sampling"], "sampling-findings.txt")
                if x.startswith("S21"))
    reason = con.execute("SELECT reason FROM sampling_findings WHERE code = 'S21'").fetchall()
    assert reason == [("QPC 104 has no sample request for the employee",)]
    assert line.endswith(reason[0][0])


def test_an_ro_inventory_line_prints_the_figures_of_its_view(runs):
    con, _, folders = runs
    cruz = next(x for x in _printed(folders["inventory"], "ro-inventory_05162026.txt")
                if x.startswith("35010103")).split()
    row = con.execute("SELECT covered, round(pct_gs13, 2), status FROM ro_inventory_report "
                      "WHERE assignment_number = '35010103'").fetchall()
    assert row == [(53, 3.77, "OVER")]
    assert (cruz[8], cruz[15], cruz[18]) == ("53", "3.77", "OVER")


def _documented_query(view: str) -> str:
    """The query docs/outputs.md gives, in backticks on the view's row of "Typed views", for
    reading `view` once per row of its grain."""
    doc = (Path(__file__).parent.parent / "docs" / "outputs.md").read_text()
    row = next(line for line in doc.splitlines() if line.startswith(f"| `pull_list`, `{view}`"))
    return next(part for part in row.split("`") if part.startswith("SELECT"))


def test_sampling_findings_hold_the_weeks_findings_so_far_per_run_as_documented(tmp_path):
    """Review 19, F9: each run's findings file holds its week's findings so far, so the view,
    every run in effect, repeats a finding once per later run of its week (the grain was not
    said); docs/outputs.md now says so and gives the query that reads each finding once."""
    data, reference = tmp_path / "data", inputs.load_reference(fx.REFERENCE)
    run_select(sorted(fx.WEEK_DIR.glob("*.dat")), data, reference, write_all,
               dt.date(2026, 1, 17))
    later = tmp_path / "later.dat"
    later.write_text(deck([fx.batch("123456789", "FRI", "8112041044210", "05", "A-FRI-9",
                                    "00010")], week_ending=fx.WEEK, created="01172026",
                          sequence=9))
    run_select([later], data, reference, write_all, dt.date(2026, 1, 18))
    con = duckdb.connect()
    open_views(data, con)
    per_run = con.execute("SELECT run_id, count(*) FROM sampling_findings WHERE code = 'S21' "
                          "GROUP BY 1 ORDER BY 1").fetchall()
    assert per_run == [("20260117.01", 1), ("20260118.01", 1)]
    once = con.execute(f"SELECT code, run_id FROM ({_documented_query('sampling_findings')}) "
                       "WHERE code = 'S21'").fetchall()
    assert once == [("S21", "20260118.01")]
    con.close()
