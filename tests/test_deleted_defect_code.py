"""Review 17, F8: a defect code deleted by a Form 3927 (action D) after its defects were
charged still counts on the quarter-to-date Defect Frequency report; the line prints the
code's last description marked deleted, not a blank one. Adding the code again (action A)
gives it its new description, unmarked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fixtures.build_sample_week import dl_header, f3926, f3927, review_header
from layouts.encode import deck
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator.runs import run_week
from pipelines.state.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _unit_review(block: str, week_ending: str, code: str, defects: int) -> list[str]:
    """One document of OFP 81120 410 44210: a unit/group (`#`) review charging `code`."""
    return [review_header(block, "01", week_ending=week_ending),
            f3926("59702", block, "01", "02", unit_mark="#", defect_code=code,
                  defects=defects, defective=defects)]


def _form_3927(block: str, action: str, code: str, description: str = "") -> list[str]:
    return [dl_header(block, "01", action),
            f3927(block, "01", "02", defect_code=code, description=description)]


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    """Week 1 charges 125 twice; week 2 deletes 125 and charges 101; week 3 adds 125 again."""
    folder = tmp_path_factory.mktemp("deleted")
    data, ref = folder / "data", load_reference(FIXTURES / "reference")
    run_week([NATIONAL], data, ref, dt.date(2026, 11, 10))
    one = _write(folder, "w1.dat", deck(_unit_review("R01", "11142026", "125", 2),
                                        week_ending="11142026", created="11162026"))
    run_week([one], data, ref, dt.date(2026, 11, 17))
    delete = _write(folder, "w2-3927.dat", deck(_form_3927("D01", "D", "125"),
                                                week_ending="11212026", created="11232026"))
    reviews = _write(folder, "w2-3926.dat", deck(_unit_review("R02", "11212026", "101", 1),
                                                 week_ending="11212026", created="11232026",
                                                 sequence=2))
    second = run_week([delete, reviews], data, ref, dt.date(2026, 11, 24))
    deleted_after_second = Store(data).read("deleted_defect_codes")
    add = _write(folder, "w3-3927.dat", deck(_form_3927("A01", "A", "125", "SORTED WRONG"),
                                             week_ending="11282026", created="11302026"))
    more = _write(folder, "w3-3926.dat", deck(_unit_review("R03", "11282026", "101", 1),
                                              week_ending="11282026", created="11302026",
                                              sequence=2))
    third = run_week([add, more], data, ref, dt.date(2026, 12, 1))
    return second, deleted_after_second, third, Store(data)


def test_a_deleted_codes_earlier_defects_print_its_last_description_marked_deleted(weeks):
    second, deleted, _, _ = weeks
    assert second.condition_code == 0
    text = second.outputs["defect-frequency_11212026.txt"].read_text()
    quarter = text[text.index("QUARTER TO DATE"):]
    assert ("     1 125  NATIONAL DEFECT 125 (DELETED)                   2    66.67   66.67"
            "         0          2") in quarter.splitlines()
    assert deleted.rows() == [("125", "NATIONAL DEFECT 125", second.run_id)]


def test_a_code_added_again_prints_its_new_description_unmarked(weeks):
    _, _, third, store = weeks
    text = third.outputs["defect-frequency_11282026.txt"].read_text()
    quarter = text[text.index("QUARTER TO DATE"):]
    assert ("     2 125  SORTED WRONG                                    2    50.00  100.00"
            "         0          2") in quarter.splitlines()
    assert "(DELETED)" not in text
    assert store.read("deleted_defect_codes").height == 0
