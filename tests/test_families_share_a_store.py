"""Every run family publishes into one store: a weekly run, then INV-10-02 and sample
selection on the same data directory, each adding its decks to the one deck ledger."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fixtures.sampling.make_fixtures import batch, request
from layouts.encode import deck
from pipelines.engine.inventory import calendar
from pipelines.engine.machinery.reference import load
from pipelines.engine.sampling import inputs
from pipelines.engine.sampling.selection import run_select
from pipelines.operator.inventory_run import run_inventory
from pipelines.operator.runs import run_week
from pipelines.reports.sampling_outputs import write_all
from pipelines.state.store import Store
from tests.inventory_helpers import RUN_DATE, WORKED

IND = Path(__file__).parent.parent / "fixtures" / "individual"
ADAMS = "111223333"


def test_inventory_and_sampling_runs_after_a_weekly_run_share_its_deck_ledger(tmp_path):
    ref = tmp_path / "reference"
    ref.mkdir()
    for name in ("ofp_consistency.txt", "employee_master.txt"):
        shutil.copy(IND / name, ref / name)
    data = tmp_path / "data"
    week = run_week([IND / "form3081_12202025.txt"], data, load(ref), dt.date(2025, 12, 22))
    assert week.condition_code in (0, 4)
    inventory = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    assert inventory.condition_code == 4  # case 199's code 08, as in the worked example
    s = tmp_path / "s.dat"
    s.write_text(deck([request(ADAMS, "ADAMS ALICE", "101", "07", "110", "43210", "0005",
                               week="01032026"),
                       batch(ADAMS, "12292025", "8112011043210", "07", "A1", "00040")],
                      week_ending="01032026", created="12292025"))
    picked = run_select([s], data, inputs.load_reference(ref), write_all, dt.date(2025, 12, 29))
    assert picked.condition_code in (0, 4)
    ledger = Store(data).read("decks")
    assert ledger.height == 3 and ledger["deck"].to_list() == [
        "form3081_12202025.txt", WORKED.name, "s.dat"]
    assert ledger.filter(ledger["deck"] == "form3081_12202025.txt")["records_hash"
                                                                     ].null_count() == 0
