"""The operator's loop as a new operator walks it (issue 13, items 1-8): re-input after a fix
in the reference data, duplicates by HDR identity and by reordering, withdraw keys, withdrawal
ids, the age of an entry rejected again, sub-reasons of 36 and 09, messages and exit codes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines import register
from pipelines.reference import load as load_reference
from pipelines.store import Store
from pipelines.weekly import run_week

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE = load_reference(FIXTURES / "reference")
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))
TIME_DECK = FIXTURES / "sample-week" / "04-time-reports-3081.dat"
REVIEWS = FIXTURES / "sample-week" / "02-reviews-adjustments-standards.dat"


def _no_master(tmp_path: Path) -> Path:
    """A reference folder without employee_master.txt: every Form 3081 gets I01."""
    folder = tmp_path / "ofp-only"
    folder.mkdir()
    shutil.copy(FIXTURES / "reference" / "ofp_consistency.txt", folder)
    return folder


def _status(data: Path) -> list[tuple[str, str]]:
    reg = Store(data).read("error_register")
    return sorted(reg.select("run_id", "status").rows())


def test_reprocess_of_unchanged_records_after_a_reference_fix_posts_them(tmp_path):
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    first = run_week([TIME_DECK], data, load_reference(_no_master(tmp_path)),
                     dt.date(2026, 11, 17))
    assert first.rejected == 5 and first.codes["IPR-3081"] == {"I01": 5}
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 18, 9))
    again = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    assert [d.status for d in again.decks] == ["accepted"]
    assert (again.posted, again.corrected, again.condition_code) == (4, 4, 4)  # 999887777: T02
    assert register.open_entries(Store(data).read("error_register"),
                                 dt.date(2026, 11, 18)).height == 1


def test_the_same_unchanged_deck_sent_again_outside_reprocess_is_still_a_duplicate(tmp_path):
    data = tmp_path / "data"
    run_week([TIME_DECK], data, load_reference(_no_master(tmp_path)), dt.date(2026, 11, 17))
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 18, 9))
    again = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 18))
    assert [d.status for d in again.decks] == ["duplicate"]
    assert "already posted by run 20261117.01 (04-time-reports-3081.dat)" in again.decks[0].reason


def _edited(source: Path, out: Path, edit) -> Path:
    lines = source.read_text().splitlines()
    out.write_text("\n".join([lines[0], *edit(lines[1:-1]), lines[-1]]) + "\n")
    return out


def test_a_deck_whose_hdr_identity_was_posted_is_refused_naming_the_run(tmp_path):
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    run_week([TIME_DECK], data, REFERENCE, dt.date(2026, 11, 17))
    changed = _edited(TIME_DECK, tmp_path / "resent.dat",
                      lambda body: [body[0][:-1] + "9", *body[1:]])
    again = run_week([changed], data, REFERENCE, dt.date(2026, 11, 18))
    assert [d.status for d in again.decks] == ["duplicate"] and again.condition_code == 8
    reason = again.decks[0].reason
    assert ("its HDR (campus, week ending, creation date and time, sequence: SC 11142026 "
            "11162026060000 005) was already posted by run 20261117.01 "
            "(04-time-reports-3081.dat)") in reason
    assert "`qap corrections` then `qap reprocess`" in reason and "new sequence number" in reason
    assert len(Store(data).history()) == 3  # nothing new in the state but the ledger line


def test_a_reordered_copy_of_a_posted_deck_under_a_new_hdr_is_a_duplicate(tmp_path):
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    run_week([TIME_DECK], data, REFERENCE, dt.date(2026, 11, 17))
    lines = TIME_DECK.read_text().splitlines()
    other_hdr = lines[0][:-3] + "006"
    reordered = tmp_path / "reordered.dat"
    reordered.write_text("\n".join([other_hdr, *reversed(lines[1:-1]), lines[-1]]) + "\n")
    again = run_week([reordered], data, REFERENCE, dt.date(2026, 11, 18))
    assert [d.status for d in again.decks] == ["duplicate"]
    assert ("the same records in another order were already posted by run 20261117.01"
            in again.decks[0].reason)
    ledger = Store(data).read("decks")
    assert ledger.filter(pl.col("status") == "posted")["records_hash"].null_count() == 0
