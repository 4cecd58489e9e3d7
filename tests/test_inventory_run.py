"""Run INV-10-02 end to end on a store: conservation, the open error register, golden printed
reports with Parquet twins, the exceptions register across two runs, the CLI."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from golden_files import assert_golden
from typer.testing import CliRunner

from pipelines.engine.inventory import calendar
from pipelines.engine.machinery import register
from pipelines.operator.cli import app
from pipelines.operator.inventory_run import run_inventory
from pipelines.reports import inventory_summary
from pipelines.state.store import Store
from tests.inventory_helpers import (
    BAD,
    GOLDEN,
    HOLIDAY,
    REFERENCE,
    RUN_DATE,
    SECOND,
    SECOND_RUN_DATE,
    WORKED,
)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    data = tmp_path_factory.mktemp("inv") / "data"
    first = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    second = run_inventory([SECOND], data, calendar.WorkCalendar(), SECOND_RUN_DATE)
    return data, first, second


def test_conservation_records_in_equal_used_plus_rejected(two_runs):
    _, first, _ = two_runs
    assert (first.records_in, first.used, first.rejected) == (206, 205, 1)
    assert first.condition_code == 4
    assert dict(first.record_codes) == {"08": 1}


def test_rejected_case_goes_on_the_open_error_register_under_inv_10_02(two_runs):
    data, first, second = two_runs
    entries = Store(data).read("error_register")
    assert entries.select("run", "deck", "line_no", "control_number", "error_codes",
                          "status").rows() == [
        ("INV-10-02", "worked-example.dat", 207, "E000000199", ["08"], "resubmitted"),
        ("INV-10-02", "second-week.dat", 207, "E000000199", ["08"], "open")]
    assert (first.still_open, second.still_open, second.resubmitted) == (1, 1, 1)


def test_record_that_passes_in_a_later_extract_closes_its_entry_as_corrected(tmp_path):
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    fixed = tmp_path / "fixed.dat"
    fixed.write_text(SECOND.read_text().replace("CASE0000001993501010114",
                                                "CASE0000001993501010113"))
    result = run_inventory([fixed], data, calendar.WorkCalendar(), SECOND_RUN_DATE)
    assert (result.rejected, result.corrected, result.still_open) == (0, 1, 0)


@pytest.mark.parametrize("name", ["ro-inventory_05162026", "inv-10-02_05162026"])
def test_worked_example_printed_reports_match_golden(two_runs, name):
    _, first, _ = two_runs
    assert_golden((first.run_dir / f"{name}.txt").read_text(), GOLDEN / f"{name}.txt")


@pytest.mark.parametrize("name", ["ro-inventory_05232026", "inv-10-02_05232026"])
def test_second_week_printed_reports_match_golden(two_runs, name):
    _, _, second = two_runs
    assert_golden((second.run_dir / f"{name}.txt").read_text(),
                  GOLDEN / f"second-week_{name}.txt")


def test_printed_reports_are_132_columns_at_most(two_runs):
    _, first, _ = two_runs
    for path in first.outputs.values():
        assert max(len(line.lstrip("\f")) for line in path.read_text().splitlines()) <= 132


def test_ro_inventory_parquet_twin_has_a_row_per_roster_entry_and_the_group(two_runs):
    _, first, _ = two_runs
    twin = pl.read_parquet(first.run_dir / "ro-inventory_05162026.parquet")
    assert twin.group_by("row_kind").len().sort("row_kind").rows() == [
        ("group", 1), ("hold", 1), ("ro", 6)]
    c = twin.filter(pl.col("assignment_number") == "35010103").row(0, named=True)
    assert (c["covered"], c["over_by"], c["spell_start"], c["work_days_over"], c["deadline"],
            c["codes"]) == (53, 3, dt.date(2026, 4, 27), 15, dt.date(2026, 5, 11), ["20", "21"])
    group = twin.filter(pl.col("row_kind") == "group").row(0, named=True)
    assert (group["covered"], group["range_min"], group["range_max"], group["headroom"]) == (
        183, 155, 229, 46)


def test_register_parquet_twin_has_a_row_per_flag_with_its_figures(two_runs):
    _, first, _ = two_runs
    twin = pl.read_parquet(first.run_dir / "inv-10-02_05162026.parquet")
    assert twin.height == 40
    assert twin.group_by("register_state").len().sort("register_state").rows() == [
        ("opened", 34), ("printed-only", 6)]
    over = twin.filter(pl.col("code") == "20").row(0, named=True)
    assert over["values"] == {"count": 53, "limit": 50, "days": 15,
                              "date": dt.date(2026, 4, 27), "pct": None}


def test_exceptions_register_entry_clears_when_a_later_run_no_longer_finds_it(two_runs):
    data, first, second = two_runs
    assert (first.opened, first.carried, first.cleared) == (34, 0, 0)
    assert (second.opened, second.carried, second.cleared) == (0, 22, 12)
    entries = Store(data).read("inventory_exceptions")
    closed = entries.filter(pl.col("state") == "closed")
    assert set(closed["closed_by"]) == {"cleared"} and set(closed["closed_run"]) == {
        second.run_id}
    # C back in range: its over-range entries and its queue proposals' entries clear; D's
    # week of new assignments is over
    assert closed.select("code", "key").rows() == [
        ("20", "35010103"), ("21", "35010103"), ("40", "35010104"), ("61", "E000000091"),
        ("62", "E000000092"), ("63", "E000000093"), ("64", "E000000090"),
        ("65", "E000000094"), ("66", "E000000095"), ("67", "E000000096"),
        ("68", "E000000090"), ("68", "E000000098")]
    carried = second.flags.filter(pl.col("register_state") == "carried")
    assert set(carried["age_days"].to_list()) == {7}
    assert set(carried["first_run"].to_list()) == {first.run_id}


def test_second_week_ro_back_in_range_has_no_spell(two_runs):
    _, _, second = two_runs
    twin = pl.read_parquet(second.run_dir / "ro-inventory_05232026.parquet")
    c = twin.filter(pl.col("assignment_number") == "35010103").row(0, named=True)
    assert (c["status"], c["covered"], c["spell_start"], c["codes"]) == (
        "IN RANGE", 50, None, [])


def test_the_same_deck_twice_is_refused_as_a_duplicate_and_nothing_moves(two_runs, tmp_path):
    data = tmp_path / "data"
    run_inventory([HOLIDAY], data, calendar.WorkCalendar(), RUN_DATE)
    again = run_inventory([HOLIDAY], data, calendar.WorkCalendar(), RUN_DATE)
    assert again.condition_code == 8 and again.decks[0].status == "duplicate"
    assert again.opened == again.carried == 0


def test_the_same_records_in_another_order_under_a_new_hdr_are_a_duplicate(tmp_path):
    data = tmp_path / "data"
    first = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    hdr, *records, trl = WORKED.read_text().splitlines()
    reordered = tmp_path / "reordered.dat"
    reordered.write_text("\n".join([hdr[:27] + f"{int(hdr[27:30]) + 1:03d}", *records[::-1],
                                    trl]) + "\n")
    again = run_inventory([reordered], data, calendar.WorkCalendar(), RUN_DATE)
    assert [(d.status, d.reason) for d in again.decks] == [(
        "duplicate", f"{reordered}: duplicate deck: the same records in another order as of "
        f"05/16/2026 were already accepted by run {first.run_id} (worked-example.dat); nothing "
        "of it is used again")]
    assert again.condition_code == 8 and again.generation is None


def test_a_quiet_weeks_extract_holding_last_weeks_records_is_a_new_as_of_date(tmp_path):
    """Review 13, R13-2: an extract is a snapshot as of its HDR date; a week in which nothing
    changed sends last week's records again, and the run must go on (aging, code 21), so
    the same records are a duplicate only under the same as-of date."""
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    hdr, *records, trl = WORKED.read_text().splitlines()
    assert hdr[5:13] == "05162026" and hdr[13:21] == "05182026"
    quiet = tmp_path / "quiet.dat"
    quiet.write_text("\n".join([hdr[:5] + "05232026" + "05252026" + hdr[21:], *records, trl])
                     + "\n")
    later = run_inventory([quiet], data, calendar.WorkCalendar(), SECOND_RUN_DATE)
    assert [(d.status, d.reason) for d in later.decks] == [("accepted", "")]
    assert later.as_of == dt.date(2026, 5, 23) and later.generation is not None


def test_a_second_deck_under_an_hdr_already_taken_is_a_duplicate(tmp_path):
    """Review 13, R13-1: one HDR names one extract; a deck under it with a line changed is a
    second sending, as in `qap run`."""
    data = tmp_path / "data"
    first = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    hdr, *records, trl = WORKED.read_text().splitlines()
    changed = tmp_path / "changed.dat"
    changed.write_text("\n".join([hdr, *records[:-1], records[-1][:-1] + "9", trl]) + "\n")
    again = run_inventory([changed], data, calendar.WorkCalendar(), RUN_DATE)
    assert [(d.status, d.reason) for d in again.decks] == [(
        "duplicate", f"{changed}: duplicate deck: its HDR (area office, as-of date, creation "
        f"date and time, sequence: 35 05162026 05182026060000 001) was already accepted by run "
        f"{first.run_id} (worked-example.dat); nothing of it is used again")]


def test_withdrawn_entry_stays_withdrawn_while_its_condition_lasts(tmp_path):
    data = tmp_path / "data"
    run_inventory([HOLIDAY], data, calendar.WorkCalendar(), RUN_DATE)
    out = CliRunner().invoke(app, ["inventory", "withdraw", "35010201", "20", "--reason",
                                   "relief letter filed on paper", "-d", str(data)])
    assert out.exit_code == 0, out.output
    # a week later, the same RO still over (the records differ: a new last name)
    later = HOLIDAY.read_text().replace("HDR3505162026", "HDR3505232026").replace(
        "GRAY", "GREY")
    deck = tmp_path / "holiday-later.dat"
    deck.write_text(later)
    result = run_inventory([deck], data, calendar.WorkCalendar(), dt.date(2026, 5, 25))
    states = dict(result.flags.select("code", "register_state").iter_rows())
    assert states == {"20": "withdrawn", "30": "carried"}


def test_withdrawn_entry_whose_condition_ended_is_listed_as_closed_by_the_next_run(tmp_path):
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    out = CliRunner().invoke(app, ["inventory", "withdraw", "E000000197", "31", "--reason",
                                   "case reassigned on paper", "-d", str(data)])
    assert out.exit_code == 0, out.output
    result = run_inventory([SECOND], data, calendar.WorkCalendar(), SECOND_RUN_DATE)
    twin = pl.read_parquet(result.run_dir / "inv-10-02_05232026.parquet")
    gone = twin.filter(pl.col("register_state") == "closed")
    assert ("31", "withdrawn: case reassigned on paper") in gone.select(
        "code", "closed_reason").rows()
    text = result.outputs["inv-10-02"].read_text()
    assert "REASON: CASE REASSIGNED ON PAPER" in text.upper()
    assert dict(result.flags.select("code", "register_state").iter_rows())["31"] == "withdrawn"


def test_rejected_inventory_record_can_be_withdrawn_like_a_pce_03_41_line(tmp_path):
    data = tmp_path / "data"
    result = run_inventory([BAD], data, calendar.WorkCalendar(), RUN_DATE)
    assert result.rejected == 14 and result.used == 3
    register.withdraw(data, "bad-records.dat", 5, "not an inventory record", RUN_DATE)
    entries = register.open_entries(Store(data).read("error_register"), RUN_DATE)
    assert entries.height == 13 and 5 not in entries["line_no"].to_list()


@pytest.mark.parametrize(("reference", "deadline", "golden"), [
    (REFERENCE, "05/29/2026", "holiday-week_with-calendar"),
    (None, "05/28/2026", "holiday-week_monday-friday")])
def test_fixture_2_prints_the_deadline_the_work_calendar_gives(tmp_path, reference, deadline,
                                                                golden):
    out = CliRunner().invoke(app, ["inventory", str(HOLIDAY), "-d", str(tmp_path / "d"),
                                   "--run-date", "2026-05-18", "-q"]
                             + (["-r", str(reference)] if reference else []))
    assert out.exit_code == 0, out.output
    run_dir = tmp_path / "d" / "runs" / "20260518.01"
    text = (run_dir / "inv-10-02_05162026.txt").read_text()
    assert f"(2 WORK DAYS, DUE {deadline})" in text
    assert_golden(text, GOLDEN / f"{golden}.txt")
    assumed = "work days are Monday-Friday" in out.output
    assert assumed == (reference is None)


def test_the_reference_folder_is_remembered_by_the_data_directory_as_for_qap_run(tmp_path):
    data = tmp_path / "d"
    first = CliRunner().invoke(app, ["inventory", str(WORKED), "-d", str(data), "-r",
                                     str(REFERENCE), "--run-date", "2026-05-18", "-q"])
    assert first.exit_code == 4, first.output
    later = CliRunner().invoke(app, ["inventory", str(HOLIDAY), "-d", str(data),
                                     "--run-date", "2026-05-18"])
    assert later.exit_code == 0, later.output
    assert (f"reference folder {REFERENCE.absolute()}: the one this data directory last ran "
            "with (give --reference to change it)") in later.output
    assert "work days are Monday-Friday" not in later.output
    text = (data / "runs" / "20260518.02" / "inv-10-02_05162026.txt").read_text()
    assert "(2 WORK DAYS, DUE 05/29/2026)" in text  # the calendar's Memorial Day counts


def test_params_with_another_word_is_a_usage_error_naming_it():
    out = CliRunner().invoke(app, ["inventory", "params", "extra"])
    assert out.exit_code == 2
    assert out.output == ("qap inventory: params takes no argument: 'extra' is unexpected "
                          "(say: qap inventory params [--run-date YYYY-MM-DD]; a usage error: "
                          "nothing was run)\n")


def test_cli_run_exits_4_with_records_rejected_and_names_the_reports(tmp_path):
    out = CliRunner().invoke(app, ["inventory", str(WORKED), "-d", str(tmp_path / "d"),
                                   "--run-date", "2026-05-18", "-q"])
    assert out.exit_code == 4, out.output
    assert "Conservation: 206 records in = 205 used + 1 rejected" in out.output
    assert "Flags: 40 (22 E, 12 W, 6 I)" in out.output
    assert "ro-inventory_05162026.txt  (and ro-inventory_05162026.parquet)" in out.output


def test_cli_missing_deck_is_12_and_bad_calendar_line_is_12_with_its_place(tmp_path):
    out = CliRunner().invoke(app, ["inventory", str(tmp_path / "nope.dat"), "-d",
                                   str(tmp_path / "d")])
    assert out.exit_code == 12 and "not found" in out.output
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "work_calendar.txt").write_text("05252026HMEMORIAL DAY\n13452026HBAD\n")
    out = CliRunner().invoke(app, ["inventory", str(HOLIDAY), "-d", str(tmp_path / "d"),
                                   "-r", str(ref)])
    assert out.exit_code == 12
    assert "work_calendar.txt, line 2, column 1" in out.output


def test_qap_corrections_leaves_inventory_records_out_of_a_qap_corrections_deck(tmp_path):
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    out = CliRunner().invoke(app, ["corrections", str(tmp_path / "fix.dat"), "-d", str(data)])
    assert out.exit_code == 0 and "no open entries" in out.output
    assert not (tmp_path / "fix.dat").exists()


def test_inventory_corrections_deck_and_reprocess_close_the_entry_as_for_pce_03_41(tmp_path):
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    fix = tmp_path / "fix.dat"
    out = CliRunner().invoke(app, ["inventory", "corrections", str(fix), "-d", str(data)])
    assert out.exit_code == 0, out.output
    lines = fix.read_text().splitlines()
    assert lines[0].startswith("HDR3505162026") and lines[-1] == "TRL0000001"
    assert lines[1].startswith("CASE0000001993501010114")
    again = CliRunner().invoke(app, ["inventory", "corrections", str(fix), "-d", str(data)])
    assert again.exit_code == 12 and "not overwritten" in again.output
    fix.write_text(fix.read_text().replace("CASE0000001993501010114", "CASE0000001993501010113"))
    out = CliRunner().invoke(app, ["inventory", "reprocess", str(fix), "-d", str(data),
                                   "--run-date", "2026-05-19", "-q"])
    assert out.exit_code == 0, out.output  # the holder comes from the last run's roster
    assert "Open error register: 1 closed as corrected" in out.output
    entries = Store(data).read("error_register")
    assert entries.select("status", "closed_by").rows() == [("corrected", "20260519.01")]
    assert (data / "runs" / "20260519.01" / "open-register.txt").is_file()


def test_inventory_reprocess_of_a_record_still_wrong_replaces_its_entry(tmp_path):
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    fix = tmp_path / "fix.dat"
    CliRunner().invoke(app, ["inventory", "corrections", str(fix), "-d", str(data)])
    fix.write_text(fix.read_text().replace("CASE0000001993501010114B",
                                           "CASE0000001993501010114Z"))
    out = CliRunner().invoke(app, ["inventory", "reprocess", str(fix), "-d", str(data),
                                   "--run-date", "2026-05-19", "-q"])
    assert out.exit_code == 4, out.output
    entries = Store(data).read("error_register")
    assert entries.select("status", "error_codes").rows() == [
        ("resubmitted", ["08"]), ("open", ["08", "09"])]


@pytest.mark.parametrize(("report", "first"), [
    ("ro-inventory_05162026", "INV-10-02A"), ("inv-10-02_05162026", "INV-10-02    "),
    ("queue-screen_05162026", "INV-10-02Q")])
def test_printed_reports_hold_every_line_of_the_spec_sketch(two_runs, report, first):
    from tests.test_inventory_records import SPEC

    if not SPEC.exists():
        pytest.skip("shared/spec/inventory.md not beside the repository")
    spec = SPEC.read_text()
    at = spec.index("```\n" + first) + 4
    sketch = [line for line in spec[at:spec.index("```", at)].splitlines()
              if not line.startswith(("INV-10-02", "RUN DATE", "---"))]
    printed = {line.rstrip() for line in (two_runs[1].run_dir / f"{report}.txt").read_text()
               .replace("\f", "").splitlines()}
    assert [line for line in sketch if line.rstrip() not in printed] == []


def test_summary_names_file_line_columns_and_what_was_expected_for_each_rejected_record(
        tmp_path):
    out = CliRunner().invoke(app, ["inventory", str(BAD), "-d", str(tmp_path / "d"),
                                   "--run-date", "2026-05-18", "-q"])
    assert out.exit_code == 4
    for line in (
        "bad-records.dat, line 5: other: 01 record type (columns 1-3) is 'XYZ'; expected "
        "ROR, CAS or FCS",
        "bad-records.dat, line 9: ROR 35010304: 05 group start (columns 56-63) is "
        "'02302026'; expected a date MMDDYYYY",
        "bad-records.dat, line 12: CAS H000000008: 08 case grade (columns 22-23) is '14'; "
        "expected 05, 07, 09, 11, 12 or 13",
        "bad-records.dat, line 17: CAS H000000013: 13 sub f3 (columns 126-128) is 'D  '",
    ):
        assert line in out.output
    assert "Traceback" not in out.output


def test_run_whose_decks_are_all_refused_publishes_no_generation_and_changes_nothing(tmp_path):
    data = tmp_path / "data"
    first = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    store = Store(data)
    before = {t: store.read(t) for t in ("inventory_exceptions", "gs13_history", "decks",
                                         "ro_inventory", "error_register")}
    generations = len(store.history())
    again = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    assert (again.condition_code, again.decks[0].status) == (8, "duplicate")
    assert (again.generation, again.run_dir, again.cleared, again.opened) == (None, None, 0, 0)
    assert len(store.history()) == generations
    for table, frame in before.items():
        assert store.read(table).equals(frame), table
    assert [p.name for p in (data / "runs").iterdir()] == [first.run_id]
    summary = inventory_summary.render(again)
    assert "no deck was accepted: nothing was published" in summary
    assert "Condition code 8" in summary and "Exceptions register" not in summary


def test_accepted_deck_of_another_group_clears_nothing_of_group_350101_and_its_90(tmp_path):
    data = tmp_path / "data"
    first = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    # the worked example again (refused, a duplicate) beside group 350102's deck (accepted)
    second = run_inventory([WORKED, HOLIDAY], data, calendar.WorkCalendar(),
                           dt.date(2026, 5, 19))
    assert [d.status for d in second.decks] == ["duplicate", "accepted"]
    assert (second.condition_code, second.used, second.cleared) == (8, 52, 0)
    entries = Store(data).read("inventory_exceptions")
    mine = entries.filter(pl.col("group").str.starts_with("350101"))
    assert mine.height == 34 and set(mine["state"]) == {"open"}
    assert set(mine["last_run"]) == {first.run_id}
    assert entries.filter(pl.col("code") == "90").select("key", "state", "first_run").rows() == [
        ("350101", "open", first.run_id)]


def test_hdr_as_of_date_neither_a_saturday_nor_a_month_end_is_refused_naming_the_field(
        tmp_path):
    deck = tmp_path / "wednesday.dat"
    deck.write_text(HOLIDAY.read_text().replace("HDR3505162026", "HDR3505132026", 1))
    result = run_inventory([deck], tmp_path / "data", calendar.WorkCalendar(), RUN_DATE)
    assert (result.condition_code, result.decks[0].status, result.generation) == (
        8, "refused", None)
    assert result.decks[0].reason == (
        f"{deck}, line 1, columns 6-13: HDR as-of date 05/13/2026 is a Wednesday; expected "
        "the Saturday that ends the work week or the last day of a month")


def test_month_end_as_of_date_that_is_not_a_saturday_is_accepted(tmp_path):
    deck = tmp_path / "month-end.dat"
    deck.write_text(HOLIDAY.read_text().replace("HDR3505162026", "HDR3505312026", 1))
    result = run_inventory([deck], tmp_path / "data", calendar.WorkCalendar(),
                           dt.date(2026, 6, 1))
    assert result.decks[0].status == "accepted" and result.condition_code == 0


def test_open_register_listing_names_a_rejected_record_by_ror_1_11_or_cas_1_21(two_runs):
    _, first, _ = two_runs
    lines = (first.run_dir / "open-register.txt").read_text().splitlines()
    assert any("LINE  PLACE" in line for line in lines)
    row = next(line for line in lines if "worked-example.dat" in line)
    assert row.split()[-2:] == ["CASE00000019935010101", "08"]


def test_code_90_entry_is_withdrawn_by_its_scope_as_key(tmp_path):
    data = tmp_path / "data"
    run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    out = CliRunner().invoke(app, ["inventory", "withdraw", "350101", "90", "--reason",
                                   "two GS-13 posts vacated", "-d", str(data)])
    assert out.exit_code == 0, out.output
    entry = Store(data).read("inventory_exceptions").filter(pl.col("code") == "90")
    assert entry.select("key", "state", "closed_by").rows() == [
        ("350101", "closed", "withdrawn")]


def test_a_refused_inventory_deck_names_its_as_of_date(tmp_path):
    """Review 12, F8: columns 6-13 of an inventory HDR are its as-of date, not a week ending."""
    from pipelines.operator import cli

    deck = tmp_path / "bad.dat"
    deck.write_text("HDRSC0230202605182026060000001\nTRL0000000\n")
    out = CliRunner().invoke(cli.app, ["inventory", str(deck), "-d", str(tmp_path / "data"),
                                       "-q", "--run-date", "2026-05-25"])
    assert out.exit_code == 8
    assert (f"REFUSED: {deck}, line 1, column 6: HDR as-of date (columns 6-13) is '02302026'; "
            "expected a date MMDDYYYY") in out.output


def test_each_inventory_withdrawal_has_its_own_id_and_rollback_undoes_only_it(tmp_path):
    """Review 13, R13-6: `withdraw-YYYYMMDD.NN` as the QAP `qap withdraw` gives."""
    data = tmp_path / "data"
    run_inventory([HOLIDAY], data, calendar.WorkCalendar(), RUN_DATE)
    day = f"withdraw-{dt.date.today():%Y%m%d}"
    said = []
    for code, key in (("20", "35010201"), ("30", "350102")):
        out = CliRunner().invoke(app, ["inventory", "withdraw", key, code, "--reason",
                                       "on paper", "-d", str(data)])
        assert out.exit_code == 0, out.output
        said.append(out.output.strip())
    assert said == [
        f"withdrawn: INV-10-02 code 20 key 35010201 as {day}.01 (generation 2); "
        f"`qap rollback {day}.01` undoes it",
        f"withdrawn: INV-10-02 code 30 key 350102 as {day}.02 (generation 3); "
        f"`qap rollback {day}.02` undoes it"]
    refused = CliRunner().invoke(app, ["rollback", f"{day}.01", "-d", str(data)])
    assert refused.exit_code == 12
    assert f"generation 3 ({day}.02): withdrew INV-10-02 30 350102: on paper" in refused.output
    out = CliRunner().invoke(app, ["rollback", f"{day}.02", "-d", str(data)])
    assert out.exit_code == 0 and "also undone" not in out.output, out.output
    entries = Store(data).read("inventory_exceptions")
    assert sorted(entries.select("code", "state", "closed_by").rows()) == [
        ("20", "closed", "withdrawn"), ("30", "open", None)]


def test_rollback_of_an_id_published_twice_lists_its_later_generation(tmp_path):
    """Review 13, R13-6: a store from before the ids had .NN holds `withdraw-YYYYMMDD`
    twice; a rollback of it undoes the second too, so it says so."""
    data = tmp_path / "data"
    run_inventory([HOLIDAY], data, calendar.WorkCalendar(), RUN_DATE)
    store = Store(data)
    for note in ("first", "second"):
        with store.lock("withdraw", wait_seconds=1):
            gen = store.begin("withdraw-20261205")
            gen.write("inventory_exceptions", store.read("inventory_exceptions"))
            gen.commit(note=note)
    out = CliRunner().invoke(app, ["rollback", "withdraw-20261205", "-d", str(data),
                                   "--force"])
    assert out.exit_code == 0, out.output
    assert "  also undone: generation 3 (withdraw-20261205): second" in out.output


def test_a_withdrawn_entry_whose_condition_lasts_prints_as_withdrawn_by_its_command(tmp_path):
    """Review 13, R13-4: the register line of a withdrawn E/W says who withdrew it and why,
    and the trailer names the withdrawal, made before the run, not by it."""
    data = tmp_path / "data"
    run_inventory([HOLIDAY], data, calendar.WorkCalendar(), RUN_DATE)
    out = CliRunner().invoke(app, ["inventory", "withdraw", "35010201", "20", "--reason",
                                   "relief letter filed on paper", "-d", str(data)])
    assert out.exit_code == 0, out.output
    deck = tmp_path / "holiday-later.dat"
    deck.write_text(HOLIDAY.read_text().replace("HDR3505162026", "HDR3505232026").replace(
        "GRAY", "GREY"))
    result = run_inventory([deck], data, calendar.WorkCalendar(), dt.date(2026, 5, 25))
    today = dt.date.today()
    by = f"WITHDRAWN BY withdraw-{today:%Y%m%d}.01 ON {today:%m/%d/%Y}"
    lines = result.outputs["inv-10-02"].read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("20 W 35010201"))
    assert lines[at + 1] == " " * 28 + f"{by}: relief letter filed on paper"
    trailer = lines[lines.index("ENTRIES CLOSED THIS RUN") + 1:]
    assert trailer == [
        f"20 W 35010201               {by:<58} OPENED 20260518.01 05/16/2026",
        " " * 28 + "REASON: relief letter filed on paper"]
    twin = pl.read_parquet(result.run_dir / "inv-10-02_05232026.parquet")
    assert twin.filter(pl.col("register_state") == "withdrawn")["closed_reason"].to_list() == [
        "withdrawn: relief letter filed on paper"]


def test_a_month_end_tuesday_counts_new_assignments_from_its_sunday_not_seven_days(tmp_path):
    """Review 13, R13-3: as of Tuesday 06/30/2026 the work week is Sunday 06/28 to the as-of
    date (spec 9 reading 10); six cases of Wednesday 06/24 were the week ending 06/27's. The
    RO's group start 06/19/2026 is before "this or the previous work week" (from 06/21)."""
    def dated(line: str) -> str:
        if line.startswith("ROR35010201"):
            return line[:55] + "06192026" + line[63:]
        day = {"1": "06242026", "2": "06242026", "3": "06242026", "4": "06242026",
               "5": "06242026", "6": "06242026", "7": "06292026", "8": "06292026"}
        n = line[12] if line.startswith("CASG00000000") else ""
        if n not in day:
            return line
        return line[:26] + day[n] + " " + day[n] + line[43:]

    lines = HOLIDAY.read_text().splitlines()
    deck = tmp_path / "month-end.dat"
    deck.write_text("\n".join([lines[0].replace("HDR3505162026", "HDR3506302026")]
                              + [dated(line) for line in lines[1:]]) + "\n")
    result = run_inventory([deck], tmp_path / "data", calendar.WorkCalendar(),
                           dt.date(2026, 7, 1))
    twin = pl.read_parquet(result.run_dir / "ro-inventory_06302026.parquet")
    ro = twin.filter(pl.col("assignment_number") == "35010201").row(0, named=True)
    assert (ro["new_in_week"], ro["new_exempt"], ro["codes"]) == (2, 0, ["20"])
    heading = result.outputs["ro-inventory"].read_text().splitlines()[1]
    assert heading.endswith("AS OF 06/30/2026  WORK WEEK TO DATE 06/28/2026-06/30/2026  "
                            "GROUP 350102  DECK AO 35 SEQ 002")
    assert len(heading) <= 132


def test_a_correction_of_the_key_field_closes_the_entry_it_was_written_from(tmp_path):
    """Review 13, R13-5: the only fix of 02 (ROR 4-11) and 07 (CAS holder) changes the
    record's place; the corrections record still stands for its entry, so the old entry
    closes (corrected when it is used, resubmitted when rejected again) and the next
    corrections deck does not offer the old record again."""
    data = tmp_path / "data"
    run_inventory([BAD], data, calendar.WorkCalendar(), RUN_DATE)
    fix = tmp_path / "fix.dat"
    out = CliRunner().invoke(app, ["inventory", "corrections", str(fix), "-d", str(data)])
    assert out.exit_code == 0, out.output
    text = fix.read_text()
    assert "ROR3501030XJJJJJJAY" in text and "CASH0000000073501999912B" in text
    fix.write_text(text.replace("ROR3501030XJJJJJJAY", "ROR35010306JJJJJJAY").replace(
        "CASH0000000073501999912B", "CASH0000000073501030114B"))  # holder fixed, grade wrong
    out = CliRunner().invoke(app, ["inventory", "reprocess", str(fix), "-d", str(data),
                                   "--run-date", "2026-05-19", "-q"])
    assert out.exit_code == 4, out.output
    notes = [line for line in out.output.splitlines() if "corrected key" in line]
    assert notes == [
        "Note: fix.dat, line 3: ROR 35010306 under a corrected key stands for "
        "bad-records.dat line 6 (02), closed as corrected",
        "Note: fix.dat, line 8: CAS H000000007 under a corrected key stands for "
        "bad-records.dat line 11 (07), closed as resubmitted"]
    entries = Store(data).read("error_register")
    old = entries.filter(pl.col("deck") == "bad-records.dat").filter(
        pl.col("line_no").is_in([6, 11]))
    assert old.select("line_no", "status").rows() == [(6, "corrected"), (11, "resubmitted")]
    again = entries.filter((pl.col("deck") == "fix.dat") & (pl.col("line_no") == 8))
    assert again.select("line_no", "status", "error_codes", "replaces").rows() == [
        (8, "open", ["08"], "20260518.01 bad-records.dat 11")]
    fix2 = tmp_path / "fix2.dat"
    out = CliRunner().invoke(app, ["inventory", "corrections", str(fix2), "-d", str(data)])
    assert out.exit_code == 0, out.output
    assert "3501999912B" not in fix2.read_text() and "ROR3501030X" not in fix2.read_text()


def test_a_used_correction_that_closes_no_entry_says_how_to_close_the_old_one(tmp_path):
    """Review 13, R13-5: a used record matching no open entry is named, with qap withdraw
    (here the roster entry's name changed with its number: no longer the same person)."""
    data = tmp_path / "data"
    run_inventory([BAD], data, calendar.WorkCalendar(), RUN_DATE)
    fix = tmp_path / "fix.dat"
    CliRunner().invoke(app, ["inventory", "corrections", str(fix), "-d", str(data)])
    fix.write_text(fix.read_text().replace("ROR3501030XJJJJJJAY", "ROR35010306JJJJJJOY"))
    out = CliRunner().invoke(app, ["inventory", "reprocess", str(fix), "-d", str(data),
                                   "--run-date", "2026-05-19", "-q"])
    assert out.exit_code == 4, out.output
    assert ("Note: fix.dat, line 3: ROR 35010306 was used but closes no open entry (its key, "
            "ROR 1-11 or CAS 1-21, matches none); if an old entry stands for it, close that "
            'with qap withdraw DECK LINE --reason "..."') in out.output.splitlines()


def test_a_later_extract_with_the_key_fixed_at_the_source_closes_the_old_entry(tmp_path):
    """Session 14 (after R13-5): each extract sends every record again, so a roster entry
    whose assignment number (02) or a case whose holder (07) was fixed in ICS/ENTITY comes
    back at a new place; it closes the entry of the earlier as-of date as corrected, and the
    rest of the extract's records are not said to close nothing."""
    data = tmp_path / "data"
    run_inventory([BAD], data, calendar.WorkCalendar(), RUN_DATE)
    week2 = tmp_path / "week2.dat"
    week2.write_text(BAD.read_text().replace("HDR350516202605182026", "HDR350523202605252026")
                     .replace("ROR3501030XJJJJJJAY", "ROR35010306JJJJJJAY")
                     .replace("CASH0000000073501999912B", "CASH0000000073501030112B"))
    result = run_inventory([week2], data, calendar.WorkCalendar(), SECOND_RUN_DATE)
    assert [n for n in result.notes if "corrected key" in n or "closes no" in n] == [
        "week2.dat, line 6: ROR 35010306 under a corrected key stands for "
        "bad-records.dat line 6 (02), closed as corrected",
        "week2.dat, line 11: CAS H000000007 under a corrected key stands for "
        "bad-records.dat line 11 (07), closed as corrected"]
    entries = Store(data).read("error_register").filter(pl.col("deck") == "bad-records.dat")
    assert entries.filter(pl.col("line_no").is_in([6, 11])).select(
        "line_no", "status", "closed_by").sort("line_no").rows() == [
        (6, "corrected", result.run_id), (11, "corrected", result.run_id)]
    # the others were sent again: 16 (12) passes at its place, the rest are rejected again;
    # 10 (06) duplicates line 2, which posts beside it with the same text: still its entry
    assert entries.filter(pl.col("status") == "corrected")["line_no"].sort().to_list() == [
        6, 11, 16]
    assert entries.filter(pl.col("status") == "open").height == 0
    assert (result.corrected, result.resubmitted) == (3, 11)
    again = Store(data).read("error_register").filter(pl.col("deck") == "week2.dat")
    assert again.filter(pl.col("line_no") == 10).select("error_codes", "replaces").rows() == [
        (["06"], "20260518.01 bad-records.dat 10")]
