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
from pipelines.reports.sampling_outputs import summary, write_all
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


@pytest.fixture(scope="module")
def week(tmp_path_factory, reference):
    data = tmp_path_factory.mktemp("review13") / "data"
    return data, run_select(sorted(fx.WEEK_DIR.glob("*.dat")), data, reference, write_all,
                            dt.date(2026, 1, 17))


def test_a_rejected_record_says_its_field_columns_value_and_what_was_expected(week):
    data, _ = week
    reg = Store(data).read("error_register").filter(pl.col("run") == "SAMPLING")
    why = {(r["deck"], r["line_no"]): r["sub_reason"] for r in reg.iter_rows(named=True)}
    assert why[("02-batches.dat", 26)] == (
        "date completed (columns 13-20) is '13452026'; expected a date MMDDYYYY")
    assert why[("02-batches.dat", 23)] == (
        "date completed (columns 13-20) is '01202026'; expected a date in the week "
        "01/11/2026-01/17/2026")
    assert why[("02-batches.dat", 24)] == (
        "OFP (columns 21-33) is '8119941044210'; expected 13 digits, an OFP of the OFP "
        "Consistency File")
    assert why[("01-requests.dat", 9)] == (
        "function/program (columns 38-45) is '41044210'; expected the function and program "
        "of an OFP of QPC 102")
    assert why[("01-requests.dat", 15)] == (
        "weekly sample size (columns 46-49) is '0008'; expected approval Y in column 58 for a "
        "mid-quarter change (is 'N')")
    # an SSN's digits are not repeated, only what is wrong in it
    assert why[("01-requests.dat", 6)] == (
        "SSN (columns 4-12) has 'X' in column 12; expected 9 digits")
    assert len(why) == 18 and all(why.values())  # every reject says why


def test_the_summary_gives_the_meaning_of_the_most_frequent_codes_and_each_reject(week):
    _, result = week
    lines = summary(result).splitlines()
    at = lines.index("  SAMPLING S02 x2: SSN is not on the Employee Master File.")
    assert lines[at + 1] == ("  SAMPLING S05 x2: Number of items in the batch (columns 46-50) "
                             "is not digits, or is zero.")
    assert ("  02-batches.dat, line 22: S05 items (columns 46-50) is '0010X'; expected 5 "
            "digits, not zero") in lines
    assert lines[lines.index("  01-requests.dat, line 6: S01 SSN (columns 4-12) has 'X' in "
                             "column 12; expected 9 digits") + 15] == (
        "  ... and 3 more (open-register.txt lists every rejected record)")


def test_a_reason_too_long_for_its_register_line_prints_under_it_within_132_columns(week):
    _, result = week
    printed = (result.run_dir / "open-register.txt").read_text().splitlines()
    assert max(len(line) for line in printed) <= 132
    at = next(i for i, line in enumerate(printed) if "02-batches.dat" in line
              and line.split()[-1] == "S12")
    assert printed[at + 1] == (" " * 12 + "date completed (columns 13-20) is '01202026'; "
                               "expected a date in the week 01/11/2026-01/17/2026")
    assert printed[at + 8].endswith("S07  grade (columns 34-35) is '5 '; expected 2 digits")


def test_a_weekly_sample_under_four_is_s23_on_the_first_run_before_the_employees_work(
        tmp_path, reference):
    records = [fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0003"),
               fx.request("567891234", "EVANS EVE", "101", "05", "410", "44220", "0004"),
               fx.batch("234567891", "MON", "8113042011220", "04", "B-1", "00050")]
    monday = _deck(tmp_path, "mon", records, fx.WEEK)
    result = run_select([monday], tmp_path / "data", reference, write_all,
                        dt.date(2026, 1, 12))
    # neither has work on the Monday; only the sample of 3 already rules out four pulls
    assert result.findings.filter(pl.col("code") == "S23").select(
        "ssn", "line_no", "reason").rows() == [
        (ADAMS, 2, "the weekly sample of 3 is under four")]


def test_a_run_over_two_weeks_names_both_in_its_summary_heading(tmp_path, reference):
    request = fx.request(ADAMS, "ADAMS ANN", "101", "05", "410", "44210", "0006",
                         week="01102026")
    first = _deck(tmp_path, "w1", [request, fx.batch(ADAMS, "01052026", IR1, "05", "A-1",
                                                     "00040")], "01102026")
    second = _deck(tmp_path, "w2", [fx.batch(ADAMS, "MON", IR1, "05", "A-2", "00040")],
                   fx.WEEK, sequence=2)
    result = run_select([first, second], tmp_path / "data", reference, write_all,
                        dt.date(2026, 1, 17))
    assert summary(result).splitlines()[0].endswith(
        "run date 01/17/2026   weeks ending 01/10/2026 and 01/17/2026")
