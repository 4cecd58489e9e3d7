"""The operator's loop: open register, corrections deck, reprocess, withdraw, rollback, locks."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from pathlib import Path

import polars as pl
import pytest

from layouts.encode import deck, record
from pipelines import register
from pipelines.reference import load as load_reference
from pipelines.store import Store, StoreBusy, StoreError
from pipelines.weekly import run_week

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE = load_reference(FIXTURES / "reference")
WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))


@pytest.fixture()
def posted_week(tmp_path):
    data = tmp_path / "data"
    run_week([FIXTURES / "national" / "national-defect-list.dat"], data, REFERENCE,
             dt.date(2026, 11, 10))
    week = run_week(WEEK, data, REFERENCE, dt.date(2026, 11, 17))
    return data, week


def _open(data: Path) -> pl.DataFrame:
    return register.open_entries(Store(data).read("error_register"), dt.date(2026, 11, 24))


def test_every_rejected_record_is_open_on_the_register_with_its_age(posted_week):
    data, week = posted_week
    entries = _open(data)
    assert entries.height == week.rejected == 84
    assert set(entries["age_days"].to_list()) == {7}
    assert (week.run_dir / "open-register.txt").read_text().count("PCE-03-41") >= 58


def test_corrections_deck_carries_each_rejected_line_with_its_header(posted_week, tmp_path):
    data, _ = posted_week
    out = tmp_path / "fix.dat"
    n = register.corrections_deck(data, out, dt.datetime(2026, 11, 18, 9, 30))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("HDRCR") and lines[-1] == f"TRL{n:07d}"
    review_header = next(t for t in lines if t.startswith("59702222A0102" + "01"))
    assert lines.index(review_header) < lines.index(next(
        t for t in lines if t.startswith("59702222A010202")))


def test_reprocess_posts_the_corrected_record_and_closes_only_its_entry(posted_week, tmp_path):
    data, _ = posted_week
    header = record("prefix+form3926_header", program_number="59702", format_code="222",
                    block="A01", serial="02", section="01", week_ending="11142026",
                    defect_list="000", org_code="81120", function_code="410",
                    program_code="44210")
    fixed = record("prefix+form3926_line", program_number="59702", format_code="222",
                   block="A01", serial="02", section="02", ssn="234567891", sampled=12)
    fix = tmp_path / "fix.dat"
    fix.write_text(deck([header, fixed], campus="CR", sequence=9))
    before = _open(data).height
    result = run_week([fix], data, REFERENCE, dt.date(2026, 11, 19), reprocess=True)
    assert result.posted == 2 and result.rejected == 0 and result.corrected == 2
    reg = Store(data).read("error_register")
    closed = reg.filter(pl.col("status") == "corrected")
    assert sorted(closed["line_no"].to_list()) == [8, 9]  # the line and its context header
    assert set(closed["closed_by"].to_list()) == {result.run_id}
    assert _open(data).height == before - 2


def test_withdraw_closes_one_entry_with_its_reason(posted_week):
    data, _ = posted_week
    deck_name = "02-reviews-adjustments-standards.dat"
    register.withdraw(data, deck_name, 12, "code 777 was a typing slip; form re-sent",
                      dt.date(2026, 11, 18))
    row = Store(data).read("error_register").filter(
        (pl.col("deck") == deck_name) & (pl.col("line_no") == 12)).row(0, named=True)
    assert row["status"] == "withdrawn" and row["reason"].startswith("code 777")
    with pytest.raises(StoreError, match="no open register entry"):
        register.withdraw(data, deck_name, 12, "again", dt.date(2026, 11, 18))


def test_rollback_before_a_run_restores_the_state_and_the_next_run_proceeds(posted_week):
    data, week = posted_week
    store = Store(data)
    store.rollback_before(week.run_id)
    assert store.read("error_register").height == 0
    assert store.read("defect_codes").height == 46  # 48 records: 2 headers, 46 codes
    again = run_week(WEEK, data, REFERENCE, dt.date(2026, 11, 17))
    assert [d.status for d in again.decks] == ["accepted", "accepted", "refused", "accepted",
                                               "accepted"]
    assert again.rejected == week.rejected


def _hold_lock(data: str, seconds: float, ready) -> None:
    with Store(Path(data)).lock("other operator"):
        ready.set()
        time.sleep(seconds)


def test_second_run_on_a_busy_data_directory_is_refused_clearly(tmp_path):
    data = tmp_path / "data"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(data), 3.0, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(StoreBusy, match="other operator"):
            run_week(WEEK[:1], data, REFERENCE, dt.date(2026, 11, 17))
    finally:
        holder.join()
    assert Store(data).current_generation() is None


def test_a_corrected_3081_closes_only_the_entry_for_its_employee_ofp_and_week():
    def form3081(ssn: str, hours: int) -> str:
        return record("prefix+form3081", program_number="59600", format_code="073", ssn=ssn,
                      week_ending="12202025", org_code="81120", function_code="110",
                      program_code="43210", hours_tenths=hours, volume=10, grade="07",
                      step="03", time_code="1")
    reg = pl.DataFrame({
        "run": ["IPR-3081", "IPR-3081"], "text": [form3081("111223333", 9999),
                                                  form3081("222334444", 9999)],
        "status": ["open", "open"], "closed": [None, None], "closed_by": [None, None]},
        schema_overrides={"closed": pl.Date, "closed_by": pl.String})
    posted = pl.DataFrame({"run": ["IPR-3081"], "text": [form3081("111223333", 400)]})
    closed, n = register.close_corrected(reg, posted, "R2", dt.date(2025, 12, 23))
    assert n == 1 and closed["status"].to_list() == ["corrected", "open"]
