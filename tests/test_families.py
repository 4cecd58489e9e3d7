"""Every run family is a small declared thing: its layouts exist, its codes are runs of the
one code table, its engine has a report stage bound in the operator layer, and running a
family through that binding prints the reports it declares."""

from __future__ import annotations

from pathlib import Path

from layouts.layout import all_layouts
from pipelines.engine.inventory import calendar
from pipelines.operator import runs
from validators.codes import CODES

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_every_family_declares_existing_layouts_and_runs_of_the_code_table():
    known = {lay.record for lay in all_layouts()}
    runs_in_table = {c.run for c in CODES.values()}
    for family in runs.FAMILIES:
        assert set(family.layouts) <= known, family.name
        assert set(family.codes) <= runs_in_table, family.name
        assert family.name in runs.REPORT_STAGES, family.name


def test_no_two_families_issue_the_same_codes_or_share_a_name():
    names = [f.name for f in runs.FAMILIES]
    assert len(set(names)) == len(names)
    seen: set[str] = set()
    for family in runs.FAMILIES:
        assert not seen & set(family.codes), family.name
        seen |= set(family.codes)


def test_the_inventory_family_runs_through_its_declaration_and_prints_what_it_declares(
        tmp_path):
    from tests.inventory_helpers import RUN_DATE, WORKED

    result = runs.run(runs.INVENTORY, [WORKED], tmp_path / "data", calendar.WorkCalendar(),
                      RUN_DATE)
    printed = {p.stem.rsplit("_", 1)[0] for p in result.run_dir.glob("*.txt")}
    assert printed <= set(runs.INVENTORY.reports)
    assert {"ro-inventory", "inv-10-02", "open-register"} <= printed
