"""The operator's loop as a new operator walks it (issue 13, items 1-8): re-input after a fix
in the reference data, duplicates by HDR identity and by reordering, withdraw keys, withdrawal
ids, the age of an entry rejected again, sub-reasons of 36 and 09, messages and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from layouts.encode import deck, record
from pipelines.engine.machinery import register, written_from
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator import cli
from pipelines.operator.flow_cli import flow_app
from pipelines.operator.runs import run_week
from pipelines.reports import summary
from pipelines.state.store import Store, StoreError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
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


def test_a_reprocess_is_named_a_reprocess_in_its_summary_history_and_runs_view(tmp_path):
    """Review 19, F10: a reprocess was "QAP weekly run" in its summary and "weekly run" in
    `qap history` (text and --json) and the `runs` view, where an operator picks a rollback
    point; its listings said REPROCESS already."""
    data = tmp_path / "data"
    run_week([TIME_DECK], data, load_reference(_no_master(tmp_path)), dt.date(2026, 11, 17))
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 18, 9))
    again = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    assert summary.render(again).split("\n")[0] == (
        "QAP reprocess run 20261118.01   run date 11/18/2026   week ending 11/14/2026")
    listed = json.loads(qap("history", "-d", data, "--json").output)["generations"]
    assert [(g["note"], g["what"].split(" ")[0]) for g in listed] == [
        ("weekly run 20261117.01", "condition_code=4"),
        ("reprocess run 20261118.01", "reprocess:")]
    text = qap("history", "-d", data).output.splitlines()
    assert text[2].endswith("20261118.01                  reprocess: condition_code=4 "
                            "records_in=5 posted=4 rejected=1")
    view = qap("sql", "SELECT run_id, note FROM runs ORDER BY generation", "-d", data, "--csv")
    assert view.output.splitlines() == ["run_id,note", "20261117.01,weekly run 20261117.01",
                                        "20261118.01,reprocess run 20261118.01"]


def test_the_same_unchanged_deck_sent_again_outside_reprocess_is_still_a_duplicate(tmp_path):
    data = tmp_path / "data"
    run_week([TIME_DECK], data, load_reference(_no_master(tmp_path)), dt.date(2026, 11, 17))
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 18, 9))
    again = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 18))
    assert [d.status for d in again.decks] == ["duplicate"]
    assert "already accepted by run 20261117.01 (04-time-reports-3081.dat)" in again.decks[0].reason


def _refused(result) -> str:
    """The reason of a run's one deck, refused with nothing posted."""
    assert [d.status for d in result.decks] == ["refused"] and result.posted == 0
    return result.decks[0].reason

def _refused_posting_nothing(data: Path, fix: Path, reason_start: str) -> None:
    """A reprocess of corrections deck `fix` (11/04/2026) refuses it, its reason beginning
    `reason_start`, and the Cumulative Data File is as it was."""
    before = Store(data).read("cum_ofp")
    again = run_week([fix], data, REFERENCE, dt.date(2026, 11, 4), reprocess=True)
    assert _refused(again).startswith(reason_start)
    assert Store(data).read("cum_ofp").equals(before)


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
            "11162026060000 005) was already accepted by run 20261117.01 "
            "(04-time-reports-3081.dat)") in reason
    assert "`qap corrections` then `qap reprocess`" in reason and "new sequence number" in reason
    assert len(Store(data).history()) == 3  # nothing new in the state but the ledger line


@pytest.mark.parametrize("first", ["original", "changed"])
def test_two_decks_of_one_run_under_one_hdr_post_once(tmp_path, first):
    """Review 12, F1: an HDR names one transmission in a run as after it. A resent deck with
    a line changed, in the same run as the original, posted beside it (each document
    twice); now the deck offered first posts and the second is a duplicate naming it."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    changed = _edited(TIME_DECK, tmp_path / "resent.dat",
                      lambda body: [body[0][:-1] + "9", *body[1:]])
    decks = [TIME_DECK, changed] if first == "original" else [changed, TIME_DECK]
    result = run_week(decks, data, REFERENCE, dt.date(2026, 11, 17))
    assert [d.status for d in result.decks] == ["accepted", "duplicate"]
    assert result.decks[1].reason.endswith(
        "duplicate deck: its HDR (campus, week ending, creation date and time, sequence: SC "
        f"11142026 11162026060000 005) was already accepted by {decks[0].name} in this run; "
        "nothing of it posts again. To correct records that were rejected, use `qap "
        "corrections` then `qap reprocess`; a new deck needs its own HDR (a new sequence "
        "number or creation time)")
    assert result.records_in == result.posted + result.rejected == 5
    assert result.condition_code == 8


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
    assert ("the same records in another order were already accepted by run 20261117.01"
            in again.decks[0].reason)
    ledger = Store(data).read("decks")
    assert ledger.filter(pl.col("status") == "posted")["records_hash"].null_count() == 0


# --- item 8: messages and exit codes -------------------------------------------------------

runner = CliRunner()


def qap(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


def test_a_run_date_that_is_not_a_date_is_a_usage_error_2(tmp_path):
    result = qap("run", NATIONAL, "-d", tmp_path / "data", "--run-date", "2026-13-45")
    assert result.exit_code == 2
    assert "--run-date '2026-13-45' is not a date YYYY-MM-DD" in result.output
    assert not (tmp_path / "data").exists()


def test_corrections_with_nothing_open_is_nothing_to_do_0(tmp_path):
    data = tmp_path / "data"
    assert qap("run", NATIONAL, "-d", data, "-q", "--run-date", "2026-11-10").exit_code == 0
    result = qap("corrections", tmp_path / "fix.dat", "-d", data)
    assert result.exit_code == 0
    assert result.output == ("qap: the error register has no open entries of the weekly run: "
                             "nothing to correct, no deck written\n")
    assert not (tmp_path / "fix.dat").exists()


def test_corrections_with_only_sampling_entries_open_says_how_those_are_corrected(tmp_path):
    """Docwalk F-A: it said "no open entries" beside 18 open SAMPLING entries."""
    from fixtures.sampling import make_fixtures as fx
    from pipelines.engine.sampling import inputs
    from pipelines.engine.sampling.selection import run_select
    from pipelines.reports.sampling_outputs import write_all

    data = tmp_path / "data"
    run_select(sorted(fx.WEEK_DIR.glob("*.dat")), data, inputs.load_reference(fx.REFERENCE),
               write_all, dt.date(2026, 1, 17))
    result = qap("corrections", tmp_path / "fix.dat", "-d", data)
    assert result.exit_code == 0
    assert result.output == (
        "qap: the error register has no open entries of the weekly run: nothing to correct, "
        "no deck written; 18 open SAMPLING entries are corrected by sending the records again "
        "with `qap sample select --corrections` (docs/sampling.md)\n")


@pytest.mark.parametrize("made", [False, True])
def test_flow_week_with_no_inbox_is_12_at_once(made, tmp_path):
    data = tmp_path / "data"
    if made:
        data.mkdir()
    result = runner.invoke(flow_app, ["week", "-d", str(data)])
    assert result.exit_code == 12
    assert result.output == (f"qap flow: inbox {data / 'inbox'} does not exist: put the "
                             "week's decks there (or give --inbox); nothing was run\n")
    assert data.exists() == made and not (data / "prefect").exists()


def test_a_refused_deck_names_all_its_bad_lines_up_to_ten(tmp_path):
    lines = TIME_DECK.read_bytes().split(b"\n")
    body = [line[:20] + b"\x01" + line[21:] for line in lines[1:6]] * 3
    bad = tmp_path / "bad.dat"
    bad.write_bytes(b"\n".join([lines[0], *body, b"TRL0000015", b""]))
    result = run_week([bad], tmp_path / "data", REFERENCE, dt.date(2026, 11, 17))
    assert result.decks[0].reason == (
        f"{bad}, line 2, column 21: byte 0x01 is not printable ASCII; records are ASCII text "
        "(or 132-byte EBCDIC records, which start with HDR) (also lines 3, 4, 5, 6, 7, 8, 9, "
        "10, 11 and more)")


def test_a_utf8_byte_order_mark_is_named_as_such(tmp_path):
    bom = tmp_path / "bom.dat"
    bom.write_bytes(b"\xef\xbb\xbf" + TIME_DECK.read_bytes())
    result = run_week([bom], tmp_path / "data", REFERENCE, dt.date(2026, 11, 17))
    assert result.decks[0].status == "refused"
    assert result.decks[0].reason.startswith(
        f"{bom}, line 1, column 1: the file starts with a UTF-8 byte-order mark (bytes EF BB "
        "BF)")


def test_a_duplicate_summary_does_not_advise_sending_it_again(tmp_path):
    data = tmp_path / "data"
    run_week([TIME_DECK], data, REFERENCE, dt.date(2026, 11, 17))
    again = run_week([TIME_DECK], data, REFERENCE, dt.date(2026, 11, 18))
    text = summary.render(again)
    assert ("DUPLICATE: " + str(TIME_DECK) + ": duplicate deck: the same records were already "
            "accepted by run 20261117.01 (04-time-reports-3081.dat); nothing of it posts again."
            ) in text
    assert "send them again" not in text


# --- items 4 and 5: withdraw by an unambiguous key; a withdrawal's own id ------------------

def _reprocessed_twice(tmp_path: Path) -> tuple[Path, list[str]]:
    """Two reprocess runs of one fix.dat, each rejecting its line 2 (SSN not on the master)."""
    data = tmp_path / "data"
    run_week([TIME_DECK], data, REFERENCE, dt.date(2026, 11, 17))
    lines = TIME_DECK.read_text().splitlines()
    fix = tmp_path / "fix.dat"
    runs = []
    for n, ssn in enumerate(["999887771", "999887772"], start=1):
        line = lines[5][:15] + ssn + lines[5][24:]
        fix.write_text("\n".join([lines[0][:-3] + f"{n + 10:03d}", line, "TRL0000001"]) + "\n")
        runs.append(run_week([fix], data, REFERENCE, dt.date(2026, 11, 17 + n),
                             reprocess=True).run_id)
    return data, runs


def test_withdraw_refuses_a_deck_and_line_that_name_entries_of_two_runs(tmp_path):
    data, runs = _reprocessed_twice(tmp_path)
    assert runs == ["20261118.01", "20261119.01"]
    with pytest.raises(StoreError) as refused:
        register.withdraw(data, "fix.dat", 2, "SSN typo", dt.date(2026, 11, 20))
    message = str(refused.value)
    assert message.startswith("deck fix.dat line 2 names 2 open entries of different runs or "
                              "decks; nothing was withdrawn. Name one with --run or --deck-hash:")
    assert "--run 20261118.01  --deck-hash " in message and "--run 20261119.01" in message
    assert "(IPR-3081, opened 11/18/2026, codes T02)" in message
    assert _status(data).count(("20261118.01", "open")) == 1


def test_withdraw_takes_a_run_or_a_deck_hash_and_a_path_for_the_deck(tmp_path):
    data, runs = _reprocessed_twice(tmp_path)
    withdrawal, _ = register.withdraw(data, str(tmp_path / "fix.dat"), 2, "SSN typo",
                                      dt.date(2026, 11, 20), run_id=runs[1])
    assert withdrawal == "withdraw-20261120.01"
    reg = Store(data).read("error_register")
    assert sorted(reg.filter(pl.col("deck") == "fix.dat").select("run_id", "status",
                                                                  "closed_by").rows()) == [
        ("20261118.01", "open", None), ("20261119.01", "withdrawn", "withdraw-20261120.01")]
    first_hash = reg.filter(pl.col("run_id") == runs[0])["deck_hash"][0]
    second, _ = register.withdraw(data, "fix.dat", 2, "SSN typo", dt.date(2026, 11, 20),
                                  deck_hash=first_hash[:8].upper())
    assert second == "withdraw-20261120.02"
    assert _status(data).count(("20261118.01", "withdrawn")) == 1


def test_each_withdrawal_rolls_back_on_its_own_and_lists_what_else_it_undoes(tmp_path):
    data, _ = _reprocessed_twice(tmp_path)
    first, _ = register.withdraw(data, "fix.dat", 2, "one", dt.date(2026, 11, 20),
                                 run_id="20261118.01")
    second, _ = register.withdraw(data, "fix.dat", 2, "two", dt.date(2026, 11, 20),
                                  run_id="20261119.01")
    assert (first, second) == ("withdraw-20261120.01", "withdraw-20261120.02")
    _, undone = register.rollback(data, second, "undo the second", undo_later=False)
    assert undone == []
    assert _status(data).count(("20261119.01", "open")) == 1
    assert _status(data).count(("20261118.01", "withdrawn")) == 1
    # the second is out of the state already, and undoing its rollback loses nothing: the
    # first rolls back on its own, with nothing else named (review 12, F15.4)
    _, undone = register.rollback(data, first, "undo the first", undo_later=False)
    assert undone == []
    assert _status(data).count(("20261118.01", "open")) == 1


def test_qap_withdraw_prints_the_withdrawal_id_and_how_to_undo_it(tmp_path):
    data, _ = _reprocessed_twice(tmp_path)
    ambiguous = qap("withdraw", "fix.dat", "2", "--reason", "typo", "-d", data)
    assert ambiguous.exit_code == 12 and "names 2 open entries" in ambiguous.output
    result = qap("withdraw", tmp_path / "fix.dat", "2", "--reason", "typo", "-d", data,
                 "--run", "20261119.01")
    assert result.exit_code == 0
    assert result.output.startswith("withdrawn: fix.dat line 2 of run 20261119.01 as withdraw-")
    assert "`qap rollback withdraw-" in result.output


def _two_decks_of_one_name(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Week 1's time.dat (TIME_DECK: line 2 posts, line 6 T02) and a second deck of the same
    file name, in another folder and run, whose line 2 is rejected (T02): file names repeat
    from week to week (review 19, F11)."""
    data = tmp_path / "data"
    first, second = tmp_path / "w1" / "time.dat", tmp_path / "w2" / "time.dat"
    for folder in (first.parent, second.parent):
        folder.mkdir()
    shutil.copy(TIME_DECK, first)
    lines = TIME_DECK.read_text().splitlines()
    second.write_text("\n".join([lines[0][:-3] + "006", lines[1][:15] + "999887771"
                                 + lines[1][24:], "TRL0000001"]) + "\n")
    run_week([first], data, REFERENCE, dt.date(2026, 11, 17))
    run_week([second], data, REFERENCE, dt.date(2026, 11, 18))
    return data, first, second


def test_withdraw_by_path_never_closes_another_decks_entry_of_the_same_name(tmp_path):
    """Review 19, F11: the path of week 1's deck withdrew the second deck's entry at that
    line, matched by file name alone; a path names its file's deck, by its records hash."""
    data, first, second = _two_decks_of_one_name(tmp_path)
    with pytest.raises(StoreError) as refused:
        register.withdraw(data, str(first), 2, "meant week 1", dt.date(2026, 11, 20))
    hashes = dict(Store(data).read("error_register").select("run_id", "deck_hash").rows())
    assert str(refused.value) == (
        f"{first} (records hash {hashes['20261117.01'][:12]}) has no register entry at line 2: "
        "the deck was posted by run 20261117.01, and line 2 posted with it or holds no record "
        "(only a rejected record has an entry); nothing was withdrawn\n"
        "Open entries of another deck named time.dat at line 2 (by file name, with --run, if "
        "one is the entry meant: qap withdraw time.dat 2 --run RUN --reason ...):\n"
        f"  --run 20261118.01  --deck-hash {hashes['20261118.01'][:12]}  (IPR-3081, opened "
        "11/18/2026, codes T02)")
    assert _status(data) == [("20261117.01", "open"), ("20261118.01", "open")]
    gone = qap("withdraw", str(tmp_path / "w3" / "time.dat"), "2", "--reason", "x", "-d", data)
    assert gone.exit_code == 12 and gone.output.startswith(
        f"qap: {tmp_path / 'w3' / 'time.dat'} cannot be read as a deck (")
    assert "Open entries of a deck named time.dat at line 2" in gone.output
    done = qap("withdraw", str(second), "2", "--reason", "SSN typo", "-d", data)
    assert done.exit_code == 0 and done.output.startswith(
        "withdrawn: time.dat line 2 of run 20261118.01 as withdraw-")
    assert _status(data) == [("20261117.01", "open"), ("20261118.01", "withdrawn")]


def test_withdraw_of_a_closed_entry_says_what_closed_it(tmp_path):
    """Review 19, F12: an entry closed already was "no open register entry", as a line that
    never had one; now the message says it is closed, by what and when."""
    data, first, _ = _two_decks_of_one_name(tmp_path)
    register.withdraw(data, str(first), 6, "SSN typo", dt.date(2026, 11, 20))
    with pytest.raises(StoreError) as again:
        register.withdraw(data, "time.dat", 6, "again", dt.date(2026, 11, 21))
    assert str(again.value) == (
        "deck time.dat line 6 has no open register entry; nothing was withdrawn. Its entry is "
        "closed already:\n  run 20261117.01 (opened 11/17/2026): withdrawn as "
        "withdraw-20261120.01 on 11/20/2026: SSN typo")
    with pytest.raises(StoreError, match=r"^no open register entry for deck time\.dat line 9$"):
        register.withdraw(data, "time.dat", 9, "never rejected", dt.date(2026, 11, 21))
    run_week([NATIONAL], tmp_path / "loop", REFERENCE, dt.date(2026, 11, 10))
    run_week([TIME_DECK], tmp_path / "loop", load_reference(_no_master(tmp_path)),
             dt.date(2026, 11, 17))
    [fix] = register.corrections_deck(tmp_path / "loop", tmp_path / "fix.dat",
                                      dt.datetime(2026, 11, 18, 9))
    run_week([fix.path], tmp_path / "loop", REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    said = {}
    for line in (2, 6):
        with pytest.raises(StoreError) as closed:
            register.withdraw(tmp_path / "loop", TIME_DECK.name, line, "x",
                              dt.date(2026, 11, 19))
        said[line] = str(closed.value).split("\n")[1]
    assert said == {
        2: "  run 20261117.01 (opened 11/17/2026): corrected by run 20261118.01 on 11/18/2026 "
           "(its record re-input posted)",
        6: "  run 20261117.01 (opened 11/17/2026): replaced by run 20261118.01 on 11/18/2026 "
           "(its record re-input was rejected again; its record's entry is now fix.dat line 6 "
           "of run 20261118.01 (open))"}


def test_withdrawing_a_documents_only_open_line_names_its_header_left_open(tmp_path):
    """Review 19, F7: a withdrawal closes the one entry it names (docs/decisions.md), so the
    header on the register only as its line's context stays open: the command says so and
    gives the withdrawal of it."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    run_week([_review_deck(tmp_path / "reviews.dat", "777", 7)], data, REFERENCE,
             dt.date(2026, 11, 17))
    done = qap("withdraw", "reviews.dat", "3", "--reason", "sent in error", "-d", data)
    assert done.exit_code == 0
    assert done.output.splitlines()[1] == (
        "Note: the document's header, reviews.dat line 2 (no code of its own), stays open: it "
        "is on the register only as the context of its lines, and none is open now. Withdraw "
        "it too: qap withdraw reviews.dat 2 --run 20261117.01 --reason \"...\" -d " + str(data))
    assert _status(data) == [("20261117.01", "open"), ("20261117.01", "withdrawn")]
    header = qap("withdraw", "reviews.dat", "2", "--reason", "sent in error", "-d", data)
    assert header.exit_code == 0 and len(header.output.splitlines()) == 1


# --- item 6: an entry rejected again keeps its age and its chain ---------------------------

def test_an_entry_rejected_again_keeps_its_first_opened_date_and_the_entry_it_replaces(
        tmp_path):
    data = tmp_path / "data"
    run_week([TIME_DECK], data, REFERENCE, dt.date(2026, 11, 17))  # line 6: 999887777, T02
    runs = []
    for day in (18, 25):
        [fix] = register.corrections_deck(data, tmp_path / f"fix{day}.dat",
                                          dt.datetime(2026, 11, day, 9))
        result = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, day), reprocess=True)
        assert (result.rejected, result.resubmitted) == (1, 1)
        runs.append(result.run_id)
    reg = Store(data).read("error_register").sort("run_id")
    assert reg.select("run_id", "status", "opened", "replaces").rows() == [
        ("20261117.01", "resubmitted", dt.date(2026, 11, 17), None),
        ("20261118.01", "resubmitted", dt.date(2026, 11, 17),
         "20261117.01 04-time-reports-3081.dat 6"),
        ("20261125.01", "open", dt.date(2026, 11, 17), "20261118.01 fix18.dat 2"),
    ]
    [entry] = register.open_entries(reg, dt.date(2026, 11, 25)).iter_rows(named=True)
    assert entry["age_days"] == 8


# --- item 9: ./go keeps the caller's folder ------------------------------------------------

def test_go_reads_the_callers_paths_and_writes_its_defaults_in_the_callers_folder(tmp_path):
    shutil.copy(NATIONAL, tmp_path / "deck.dat")
    shutil.copytree(FIXTURES / "reference", tmp_path / "ref")
    venv_bin = str(Path(sys.prefix) / "bin")  # ./go finds uv as an operator's shell would
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {"PATH": path}
    done = subprocess.run([str(ROOT / "go"), "run", "deck.dat", "-r", "ref", "-q",
                           "--run-date", "2026-11-10"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "Condition code 0: clean"
    assert (tmp_path / "qap-data" / "current").is_symlink()
    assert (tmp_path / "qap-data" / "reference-folder.txt").read_text().strip() == str(
        tmp_path / "ref")


# --- item 7: sub-reasons of 36 and 09 ------------------------------------------------------

@pytest.fixture(scope="module")
def sample_week(tmp_path_factory):
    data = tmp_path_factory.mktemp("week") / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    return data, run_week(WEEK, data, REFERENCE, dt.date(2026, 11, 17))


def _sub(data: Path, deck: str, line: int) -> list[tuple]:
    reg = Store(data).read("error_register")
    return reg.filter((pl.col("deck") == deck) & (pl.col("line_no") == line)).select(
        "error_codes", "sub_reason").rows()


@pytest.mark.parametrize(("deck", "line", "codes", "text"), [
    ("01-defect-list-changes.dat", 17, ["09"], "LIST NUMBER NOT 000"),
    ("01-defect-list-changes.dat", 25, ["09"], "OPERATION NAME BLANK"),
    ("01-defect-list-changes.dat", 27, ["09"], "LINE WITH NO HEADER"),
    ("02-reviews-adjustments-standards.dat", 46, ["36"], "NO TRANSACTION ABOVE LINE"),
    ("02-reviews-adjustments-standards.dat", 47, ["36"], "# WITH AN SSN"),
    ("02-reviews-adjustments-standards.dat", 48, ["36"], "SSN NOT 9 DIGITS"),
    ("02-reviews-adjustments-standards.dat", 50, ["36"], "LINE WITH NO HEADER"),
    ("02-reviews-adjustments-standards.dat", 62, ["36"], "ADJUSTMENT WITH NO LINES"),
    ("02-reviews-adjustments-standards.dat", 69, ["09"], "REVIEW LINES UNDER 3926-A"),
    ("04-time-reports-3081.dat", 6, ["T02"], "SSN NOT ON EMPLOYEE MASTER"),
])
def test_36_and_09_carry_their_sub_reason_on_the_register(sample_week, deck, line, codes, text):
    data, _ = sample_week
    assert _sub(data, deck, line) == [(codes, text)]


def test_the_register_parquet_and_listing_carry_the_sub_reason(sample_week):
    _, week = sample_week
    rows = pl.read_parquet(week.run_dir / "pce-03-41.parquet").filter(pl.col("line_no") == 62)
    assert rows.select("error_codes", "sub_reason").rows() == [(["36"], "ADJUSTMENT WITH NO LINES")]
    assert pl.read_parquet(week.run_dir / "pce-01-43.parquet").filter(
        pl.col("line_no") == 17)["sub_reason"].to_list() == ["LIST NUMBER NOT 000"]
    listing = (week.run_dir / "open-register.txt").read_text()
    assert any(line.endswith("62  104   36  ADJUSTMENT WITH NO LINES")
               for line in listing.splitlines())
    assert "  36  ADJUSTMENT WITH NO LINES\n" in (week.run_dir / "pce-03-41.txt").read_text()


def test_every_rule_of_a_code_with_sub_reasons_names_one_and_every_text_is_used():
    from validators import pce_01_43, pce_03_41
    from validators.codes import RUN_3926, RUN_3927, SUB_REASON_WIDTH, SUB_REASONS

    used: dict[tuple[str, str], set[str]] = {key: set() for key in SUB_REASONS}
    for run, rules in ((RUN_3926, pce_03_41.HEADER_RULES + pce_03_41.LINE_RULES),
                       (RUN_3927, pce_01_43.HEADER_RULES + pce_01_43.LINE_RULES)):
        for rule in rules:
            if (run, rule.code) in SUB_REASONS:
                assert rule.sub in SUB_REASONS[(run, rule.code)], (run, rule.code, rule.about)
                used[(run, rule.code)].add(rule.sub)
            else:
                assert rule.sub == "", (run, rule.code, rule.about)
    assert used == {key: set(texts) for key, texts in SUB_REASONS.items()}
    assert max(len(t) for texts in SUB_REASONS.values() for t in texts.values()
               ) <= SUB_REASON_WIDTH


# --- item 2: a corrected review meets the Form 3081 an earlier run posted ------------------

def _review_deck(path: Path, defect_code: str, sequence: int) -> Path:
    """One review of SSN 123456789 (OFP 81120 410 44210, week ending 11/14/2026): 12 sampled,
    2 defective, 3 defects of `defect_code`."""
    header = record("prefix+form3926_header", program_number="59702", format_code="222",
                    block="A07", serial="01", section="01", week_ending="11142026",
                    defect_list="000", org_code="81120", function_code="410",
                    program_code="44210")
    line = record("prefix+form3926_line", program_number="59702", format_code="222",
                  block="A07", serial="01", section="02", ssn="123456789", sampled=12,
                  defect_code=defect_code, defects=3, defective=2)
    path.write_text(deck([header, line], campus="SC", week_ending="11142026",
                         sequence=sequence))
    return path


def test_a_corrected_review_meets_the_3081_an_earlier_run_posted(tmp_path):
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    first = run_week([TIME_DECK, _review_deck(tmp_path / "reviews.dat", "777", 7)], data,
                     REFERENCE, dt.date(2026, 11, 17))
    assert first.codes["PCE-03-41"] == {"14": 1}
    fix = _review_deck(tmp_path / "fix.dat", "101", 8)
    again = run_week([fix], data, REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    assert (again.posted, again.rejected, again.corrected) == (2, 0, 2)
    assert pl.read_parquet(again.outputs["data-not-posted_11142026.parquet"]).height == 0
    weekly = pl.read_parquet(again.outputs["individual-weekly_11142026.parquet"])
    assert weekly.select("ssn", "grade", "hours_tenths", "volume", "reviewed", "errors").rows(
        ) == [("123456789", "05", 0, 0, 12, 2)]  # the hours posted with the first run
    cum = Store(data).read("cum_jobs").filter(pl.col("ssn") == "123456789")
    assert cum.select("grade", "hours_tenths", "volume", "reviewed", "errors").rows() == [
        ("05", 400, 1000, 12, 2)]
    posted = Store(data).read("posted_3081")
    assert posted.height == 4 and "999887777" not in posted["ssn"].to_list()


def test_hdr_and_trl_records_inside_a_deck_are_all_named(tmp_path):
    lines = TIME_DECK.read_text().splitlines()
    joined = tmp_path / "joined.dat"
    joined.write_text("\n".join([lines[0], lines[1], "TRL0000001", lines[0], lines[2],
                                 "TRL0000001", lines[0], lines[3], "TRL0000003"]) + "\n")
    result = run_week([joined], tmp_path / "data", REFERENCE, dt.date(2026, 11, 17))
    assert result.decks[0].reason == (
        f"{joined}, line 3, column 1: a TRL record inside the deck; a deck has one HDR first and "
        "one TRL last (two decks joined together?) (also lines 4, 6, 7)")


def test_corrections_keep_two_decks_documents_of_one_control_number_apart(tmp_path):
    """Review 12, F12: two decks of a week each had a review A07/01 with a bad defect code.
    Written into one corrections deck their lines joined one document, and the corrected
    second line was rejected 36 (section repeated). Now the second deck's records go in a
    second corrections deck, and both corrections post."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    first = run_week([_review_deck(tmp_path / "mon.dat", "777", 7),
                      _review_deck(tmp_path / "tue.dat", "778", 8)], data, REFERENCE,
                     dt.date(2026, 11, 17))
    assert first.codes["PCE-03-41"] == {"14": 2}
    fix = tmp_path / "fixes" / "fix.dat"
    result = CliRunner().invoke(cli.app, ["corrections", str(fix), "-d", str(data)])
    assert result.exit_code == 0, result.output
    second = fix.with_name("fix-2.dat")
    assert result.output.splitlines()[:2] == [
        f"wrote 2 records to {fix.absolute()} (HDR week ending 11/14/2026; entries of mon.dat)",
        f"wrote 2 records to {second.absolute()} (HDR week ending 11/14/2026; entries of "
        "tue.dat)"]  # which deck's entries each holds: a tie on reprocess names them
    assert [line[:13] for line in fix.read_text().splitlines()[1:3]] == [
        "59702222A0701", "59702222A0701"]
    assert " 123456789   12777    3    2" in fix.read_text()
    assert " 123456789   12778    3    2" in second.read_text()
    for path, code, fixed in ((fix, "777", "101"), (second, "778", "102")):
        path.write_text(path.read_text().replace(f"   12{code}    3", f"   12{fixed}    3"))
    again = run_week([fix, second], data, REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    assert (again.codes["PCE-03-41"], again.rejected, again.corrected) == ({}, 0, 4)
    assert Store(data).read("error_register")["status"].to_list() == ["corrected"] * 4


def test_a_corrections_deck_given_to_a_plain_run_is_refused_with_the_command_to_use(tmp_path):
    """Review 12, F22: `qap run` of a corrections deck posted its records and left their
    register entries open for good (a reprocess then saw a duplicate)."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    run_week([_review_deck(tmp_path / "mon.dat", "777", 7)], data, REFERENCE,
             dt.date(2026, 11, 17))
    fix = tmp_path / "fix.dat"
    assert CliRunner().invoke(cli.app, ["corrections", str(fix), "-d", str(data)]).exit_code == 0
    fix.write_text(fix.read_text().replace("   12777    3", "   12101    3"))
    plain = run_week([fix], data, REFERENCE, dt.date(2026, 11, 18))
    assert _refused(plain) == (
        f"{fix}, line 1, columns 4-5: HDR campus CR is a corrections deck (written by `qap "
        "corrections`): run it with `qap reprocess` (or put it in the corrections/ folder of "
        "the reprocess flow), which closes the register entries of the records that post")
    again = run_week([fix], data, REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    assert (again.posted, again.corrected) == (2, 2)
    assert Store(data).read("error_register")["status"].to_list() == ["corrected"] * 2


def _reviews_deck(week: str, created: str, tag: str, sequence: int) -> str:
    """A week's reviews: three documents of OFP 81120-410-44210 (a header and its lines), the
    second one's first line carrying defect code 4888, not on the national list (14)."""
    lines = [f"59702222{tag}0101{week}0008112041044210",
             f"59702222{tag}0102 123456789   10101    1    1",
             f"59702222{tag}0103 234567891    8",
             f"59702222{tag}0104 345678912    5102    2    1",
             f"59702222{tag}0201{week}0008112041044210",
             f"59702222{tag}0202 123456789    4888    1    1",
             f"59702222{tag}0203 234567891    2103    3    3",
             f"59702222{tag}0204 456789123    6104    1    1"]
    return deck(lines, campus="SC", week_ending=week, created=created, sequence=sequence)


def _time_deck(week: str, created: str, sequence: int) -> str:
    ssns = {"123456789": "0400000010", "234567891": "0320000006"}
    return deck([f"59600073       {ssn}{week}8112041044210{figures}005031"
                 for ssn, figures in ssns.items()],
                campus="SC", week_ending=week, created=created, sequence=sequence)


def _two_weeks_to_correct(tmp_path: Path, data: Path) -> list[Path]:
    """Two weeks run, each with a review coded 4888 (not on the national list: 14); their
    corrections decks (one a week, as `qap corrections` writes them) fixed to 4101. The
    Forms 3081 posted, so neither deck holds one."""
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    for week, run_date, seq in (("10242026", dt.date(2026, 10, 27), 1),
                                ("10312026", dt.date(2026, 11, 3), 2)):
        (tmp_path / f"r{week}.dat").write_text(_reviews_deck(week, week, f"W{seq}A", seq))
        (tmp_path / f"t{week}.dat").write_text(_time_deck(week, week, seq + 10))
        run_week([tmp_path / f"r{week}.dat", tmp_path / f"t{week}.dat"], data, REFERENCE,
                 run_date)
    fixes = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 4, 8))
    assert [f.week_ending for f in fixes] == [dt.date(2026, 10, 24), dt.date(2026, 10, 31)]
    for fix in fixes:
        text = fix.path.read_text()
        assert "4888" in text and "59600073" not in text
        fix.path.write_text(text.replace("4888", "4101"))
    return [f.path for f in fixes]


def test_corrected_reviews_of_two_weeks_reprocessed_together_post_in_their_own_weeks(tmp_path):
    """Review 14, F4: the corrections decks of two weeks reprocessed in one run, the older one
    with no Form 3081: its corrected review went to the later week as Data Not Posted (N02)
    and missed the cum job record. A deck of reviews is a week of the run: the two decks
    together now post as they do one run each."""
    (tmp_path / "one").mkdir()
    (tmp_path / "apart").mkdir()
    together, apart = tmp_path / "one" / "data", tmp_path / "apart" / "data"
    fixes = _two_weeks_to_correct(tmp_path / "one", together)
    result = run_week(fixes, together, REFERENCE, dt.date(2026, 11, 4), reprocess=True)
    assert sorted(p.name for p in result.files if p.name.startswith("ipr_")
                  and p.suffix == ".txt") == ["ipr_10242026.txt", "ipr_10312026.txt"]
    not_posted = pl.concat([pl.read_parquet(p) for p in result.files
                            if p.name.startswith("data-not-posted_") and p.suffix == ".parquet"])
    assert not_posted.height == 0
    for fix in _two_weeks_to_correct(tmp_path / "apart", apart):
        run_week([fix], apart, REFERENCE, dt.date(2026, 11, 4), reprocess=True)
    cum = [Store(d).read("cum_jobs").sort(pl.all()) for d in (together, apart)]
    assert cum[0].filter(pl.col("ssn") == "123456789")["reviewed"].sum() == 28
    assert cum[0].equals(cum[1])


def test_a_correction_closes_the_entry_of_its_own_week_when_keys_repeat_across_weeks(tmp_path):
    """Review 14, F13: two weeks with the same block, serial and section (columns 1-15); only
    the second week's corrections deck is fixed and reprocessed. On the tie (the same text)
    the earliest entry was taken: week 1's closed as corrected without being re-input, and
    week 2's stayed open. The deck's HDR week ending picks the entry of its week."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    for week, run_date, seq in (("10242026", dt.date(2026, 10, 27), 1),
                                ("10312026", dt.date(2026, 11, 3), 2)):
        (tmp_path / f"r{week}.dat").write_text(_reviews_deck(week, week, "A01", seq))
        run_week([tmp_path / f"r{week}.dat"], data, REFERENCE, run_date)
    fixes = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 4, 8))
    week2 = fixes[1].path
    assert fixes[1].week_ending == dt.date(2026, 10, 31)
    week2.write_text(week2.read_text().replace("4888", "4101"))
    result = run_week([week2], data, REFERENCE, dt.date(2026, 11, 4), reprocess=True)
    entries = Store(data).read("error_register").filter(pl.col("run") == "PCE-03-41")
    closed = entries.filter(pl.col("status") == "corrected").select("deck", "line_no")
    assert closed.rows() == [("r10312026.dat", 7)]  # 8 is rejected again (21): resubmitted
    assert entries.filter((pl.col("deck") == "r10242026.dat")
                          & (pl.col("status") != "open")).height == 0
    assert result.corrected == closed.height
    assert not [n for n in result.notes if "closed no open register entry" in n]



def _week_two_carrying(tmp_path: Path, week1: Path, tag: str, fix,
                      sections: tuple[str, ...] = ("01", "02", "03")) -> Path:
    """Week 2's deck (HDR 10/31/2026): its own reviews (block `tag`) and, after them, week
    1's second document's rejected lines (sections 02, 03: 14 and 21) as `fix` leaves them,
    under its header still dated 10/24/2026 (`sections`)."""
    own = _reviews_deck("10312026", "10312026", tag, 2).splitlines()[1:-1]
    again = [fix(line) for line in week1.read_text().splitlines()
             if line.startswith(tuple(f"59702222W1A02{n}" for n in sections))]
    out = tmp_path / "r2.dat"
    out.write_text(deck(own + again, campus="SC", week_ending="10312026", created="10312026",
                        sequence=2))
    return out


def test_a_record_re_input_in_a_later_weekly_deck_closes_its_entry_and_is_not_written_again(
        tmp_path):
    """Review 17, F5: a rejected review corrected and re-input in the next week's deck (the
    source's "reinput ... in the next cycle") posted and left its entry open, with a clean
    condition code; `qap corrections` then wrote it again and its reprocess posted it twice.
    The record at the entry's key and own week now closes it; one rejected again replaces
    it."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1 = tmp_path / "r1.dat"
    week1.write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    run_week([week1], data, REFERENCE, dt.date(2026, 10, 27))
    week2 = _week_two_carrying(tmp_path, week1, "W2A", lambda t: t.replace("4888", "4101"))
    (tmp_path / "t2.dat").write_text(_time_deck("10312026", "10312026", 12))  # check 17b, Q1
    result = run_week([week2, tmp_path / "t2.dat"], data, REFERENCE, dt.date(2026, 11, 3))
    entries = Store(data).read("error_register").select("run_id", "deck", "line_no", "status",
                                                        "closed_by", "replaces")
    assert entries.rows() == [
        ("20261027.01", "r1.dat", 7, "corrected", "20261103.01", None),
        ("20261027.01", "r1.dat", 8, "resubmitted", "20261103.01", None),
        ("20261103.01", "r2.dat", 7, "open", None, None),
        ("20261103.01", "r2.dat", 8, "open", None, None),
        ("20261103.01", "r2.dat", 12, "open", None, "20261027.01 r1.dat 8")]
    assert (result.corrected, result.resubmitted, result.condition_code) == (1, 1, 4)
    assert result.notes[-2:] == [
        "1 open register entry of earlier runs closed as corrected by records of this run at "
        "their key and week, taken as their re-input: r2.dat line 11 closed r1.dat line 7 "
        "(run 20261027.01). A record so taken that is another document leaves that entry's "
        "record unposted: `qap register --all` shows the entry's text to re-input",
        "1 open register entry of earlier runs replaced by records of this run rejected again "
        "at their key and week: r1.dat line 8 (run 20261027.01)"]
    # week 1's closed record is not written again; its record rejected again (r2.dat 12) is
    # written in a deck of its own week, where a reprocess takes it (check of session 17, P1)
    fixes = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 4, 8))
    assert [(f.week_ending, f.records) for f in fixes] == [(dt.date(2026, 10, 24), 2),
                                                           (dt.date(2026, 10, 31), 3)]
    assert fixes[0].path.read_text().splitlines()[1:3] == [
        "59702222W1A0201102420260008112041044210",
        "59702222W1A0203 234567891    2103    3    3"]
    fixes[0].path.write_text(fixes[0].path.read_text().replace("    2103    3", "    3103    3"))
    again = run_week([fixes[0].path], data, REFERENCE, dt.date(2026, 11, 5), reprocess=True)
    assert (again.posted, again.corrected, again.rejected) == (2, 1, 0)
    assert Store(data).read("error_register").filter(
        pl.col("line_no") == 12)["status"].to_list() == ["corrected"]
    assert "\nRe-input: 1 open register entry closed as corrected\n" in summary.render(result)




@pytest.mark.parametrize("late", [False, True], ids=["alone", "beside a late deck of its week"])
def test_a_review_re_input_in_a_later_weeks_deck_is_not_posted_to_its_own_week(tmp_path, late):
    """Review 19, F1: week 1's rejected review, corrected in week 2's deck, went to Data Not
    Posted (N02) as a review dated outside its deck's week; but when the run also held a late
    deck of week 1, it went to week 1 and posted there (its Form 3081 of week 1 had posted).
    A review belongs to its deck's week, whatever else the run holds."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1, time1 = tmp_path / "r1.dat", tmp_path / "t1.dat"
    week1.write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    time1.write_text(_time_deck("10242026", "10242026", 11))
    run_week([week1, time1], data, REFERENCE, dt.date(2026, 10, 27))
    week2 = _week_two_carrying(tmp_path, week1, "W2A", lambda t: t.replace("4888", "4101"))
    (tmp_path / "t2.dat").write_text(_time_deck("10312026", "10312026", 12))
    decks = [week2, tmp_path / "t2.dat"]
    if late:  # another document of week 1, sent late
        (tmp_path / "late.dat").write_text(_reviews_deck("10242026", "10252026", "L1A", 3))
        decks.append(tmp_path / "late.dat")
    result = run_week(decks, data, REFERENCE, dt.date(2026, 11, 3))
    assert result.corrected == 1
    not_posted = pl.read_parquet(Path(result.run_dir) / "data-not-posted_10312026.parquet")
    assert not_posted.filter(pl.col("deck") == "r2.dat").select(
        "line_no", "reason_codes").rows() == [(11, ["N02"]), (5, ["N01"]), (9, ["N01"])]
    history = Store(data).read("weekly_history").filter(
        (pl.col("ssn") == "123456789") & (pl.col("week_ending") == dt.date(2026, 10, 24)))
    # week 1's own review (10 reviewed, 1 error), and the late deck's; never the re-input's
    assert history.select("reviewed", "errors").rows() == [(10, 1)] * (1 + late)
    # review 19, F6: this run's reports of week 1 (its Defect Frequency: the re-input's lines
    # are dated in it; with the late deck its IPR and SAR too) say they are not the week's all
    assert [n for n in result.notes if n.startswith("Week ending")] == [
        "Week ending 10/24/2026: reported already by an earlier run; this run's reports of it "
        "(10242026 in their names) hold only this run's records of that week (its IPR and "
        "SAR quarter figures: the whole quarter posted so far)"]
    assert "defect-frequency_10242026.txt" in {p.name for p in result.outputs.values()}


@pytest.mark.parametrize("written", [dt.datetime(2026, 10, 28, 8), dt.datetime(2026, 11, 10, 8)],
                         ids=["before the run date", "after it"])
def test_a_corrections_deck_written_before_a_weekly_re_input_of_its_record_is_refused(
        tmp_path, written):
    """Check of session 17, P2: `qap corrections` wrote fix.dat; week 2's deck then carried
    the corrected review, which closed its entry; fix.dat reprocessed posted it a second
    time (its other entry still open, so it was not stale). A recorded deck an entry of
    which was closed since is refused, nothing of it posted, whatever the dates: the deck's
    clock and a run's --run-date (second pass, Q2: a run dated before the clock's day was
    not seen as later)."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1 = tmp_path / "r1.dat"
    week1.write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    run_week([week1], data, REFERENCE, dt.date(2026, 10, 27))
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", written)
    fix.path.write_text(fix.path.read_text().replace("4888", "4101"))
    week2 = _week_two_carrying(tmp_path, week1, "W2A", lambda t: t.replace("4888", "4101"),
                               ("01", "02"))
    assert run_week([week2], data, REFERENCE, dt.date(2026, 11, 3)).corrected == 1
    before = Store(data).read("cum_ofp")
    again = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 4), reprocess=True)
    assert _refused(again) == (
        f"{fix.path}: stale corrections deck: the register entry r1.dat line 7, one `qap "
        "corrections` wrote it from, was closed by 20261103.01 since: its record was re-input "
        "(in a weekly deck, or another corrections deck) or withdrawn; nothing of this deck "
        "posts, so that no record posts twice (a record left out of the deck changes nothing: "
        "the deck is judged by the entries it was written from). `qap corrections` writes what "
        "is still open")
    assert "correct and send them again" not in summary.render(again)  # 17, P8: write anew
    assert Store(data).read("cum_ofp").equals(before)
    fresh = register.corrections_deck(data, tmp_path / "new" / "fix.dat",
                                      dt.datetime(2026, 11, 4, 9))
    assert (fresh[0].week_ending, fresh[0].records) == (dt.date(2026, 10, 24), 2)
    assert "4888" not in fresh[0].path.read_text()  # r1.dat line 8 and its header only


def _recorded_without_entries(data: Path) -> None:
    """The record of corrections decks as a version before session 17 kept it: its decks'
    original decks, not their entries."""
    where = written_from.path(data)
    kept = json.loads(where.read_text())
    for one in kept["decks"].values():
        del one["entries"]
    where.write_text(json.dumps(kept))


@pytest.mark.parametrize("context", [False, True], ids=["re-input", "a context header"])
def test_a_deck_recorded_before_entries_were_kept_is_judged_by_the_store_clock(
        tmp_path, context):
    """Check of session 17, third pass, Q8: a corrections deck recorded before `qap
    corrections` kept its entries was screened only by its decks, so after a weekly run took
    its record's re-input it posted the record a second time. Its entries are those of its
    decks open when it was written, by the store's clock: the weekly run published after it
    closed one, so it is stale (even with the run dated before the deck). A header closed
    before the deck was written (a line's context in it) does not make it stale (Q3)."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1 = tmp_path / "r1.dat"
    lines = ["59702222W1A0201102420260008112041044210",
             "59702222W1A0202 123456789    4888    1    1",  # 14
             "59702222W1A0203 234567891    2103    3    3"]  # 21
    week1.write_text(deck(lines, campus="SC", week_ending="10242026", created="10242026",
                          sequence=1))
    run_week([week1], data, REFERENCE, dt.date(2026, 10, 27))
    if context:  # the header and W1A0202 close, W1A0203 is rejected again
        [fix] = register.corrections_deck(data, tmp_path / "one" / "fix.dat",
                                          dt.datetime.now())
        fix.path.write_text(fix.path.read_text().replace("4888", "4101"))
        assert run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28),
                        reprocess=True).corrected == 2
    time.sleep(1.1)  # the store's clock counts seconds: the deck is written after those runs
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime.now())
    _recorded_without_entries(data)
    fix.path.write_text(fix.path.read_text().replace("4888", "4101")
                        .replace("    2103    3", "    3103    3"))
    if context:
        again = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
        assert ([d.status for d in again.decks], again.corrected) == (["accepted"], 1)
        return
    week2 = _week_two_carrying(tmp_path, week1, "W2A", lambda t: t.replace("4888", "4101"),
                               ("01", "02"))
    assert run_week([week2], data, REFERENCE, dt.date(2026, 10, 20)).corrected == 2
    _refused_posting_nothing(data, fix.path, (
        f"{fix.path}: stale corrections deck: the register entry r1.dat line 2, one `qap "
        "corrections` wrote it from, was closed by 20261020.01 since (and 1 more of its "
        "entries)"))


def test_a_header_closed_before_the_deck_was_written_does_not_make_it_stale(tmp_path):
    """Check of session 17, second pass, Q3: a document whose lines are all rejected puts its
    header on the register too; reprocessed with one line fixed, the header and that line
    close and the other line is rejected again; `qap corrections` then writes the header as
    that line's context, beside another entry of the original deck, and the next reprocess
    (the same day) was refused as stale for the header's entry closed that day. Only the
    entries a deck was written from make it stale."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    lines = ["59702222W1A0201102420260008112041044210",
             "59702222W1A0202 123456789    4888    1    1",  # 14
             "59702222W1A0203 234567891    2103    3    3",  # 21
             "59702222W1A0301102420260008112041044210",
             "59702222W1A0302 345678912    5102    2    1",
             "59702222W1A0303 456789123    4888    1    1"]  # 14, the document's other line posts
    (tmp_path / "r.dat").write_text(deck(lines, campus="SC", week_ending="10242026",
                                         created="10242026", sequence=1))
    run_week([tmp_path / "r.dat"], data, REFERENCE, dt.date(2026, 10, 27))
    assert Store(data).read("error_register")["line_no"].to_list() == [2, 3, 4, 7]
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 10, 28, 8))
    kept = [t for t in fix.path.read_text().splitlines() if not t.startswith("59702222W1A03")]
    fix.path.write_text("\n".join([*kept[:-1], "TRL0000003", ""]).replace("4888", "4101"))
    first = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert (first.corrected, first.resubmitted) == (2, 1)  # the header and W1A0202; W1A0203
    [fix2] = register.corrections_deck(data, tmp_path / "two" / "fix.dat",
                                       dt.datetime(2026, 10, 28, 9))
    assert fix2.path.read_text().splitlines()[1] == lines[0]  # the context of W1A0203
    fix2.path.write_text(fix2.path.read_text().replace("    2103    3", "    3103    3")
                         .replace("4888", "4101"))
    second = run_week([fix2.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert [d.status for d in second.decks] == ["accepted"]
    assert (second.corrected, second.rejected) == (2, 0)

def test_forms_3081_sent_again_in_a_later_weeks_deck_stay_in_their_own_week(tmp_path):
    """Check of session 17, P1: Forms 3081 of week 11/14 sent again in week 11/21's deck are
    rejected T03 (not this week) and replace their entries; the new entries took the weekly
    deck's week, so `qap corrections` wrote them in an 11/21 deck and every reprocess
    rejected them T03 again. They keep their own week, and a reprocess posts them."""
    data = tmp_path / "data"
    run_week([TIME_DECK], data, load_reference(_no_master(tmp_path)), dt.date(2026, 11, 17))
    late = tmp_path / "w2.dat"
    lines = TIME_DECK.read_text().splitlines()[1:-1]  # and one of 11/21: not the same deck
    late.write_text(deck([*lines, lines[0].replace("11142026", "11212026")], campus="SC",
                         week_ending="11212026", created="11232026", sequence=1))
    week2 = run_week([late], data, REFERENCE, dt.date(2026, 11, 24))
    assert (week2.posted, week2.rejected, week2.resubmitted) == (1, 5, 5)
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 25, 9))
    assert (fix.week_ending, fix.records) == (dt.date(2026, 11, 14), 5)
    again = run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 25), reprocess=True)
    assert (again.posted, again.corrected, again.rejected) == (4, 4, 1)  # 999887777: T02


BESIDE = ("1 record(s) of this run at the key and week of open register entries of earlier runs "
          "closed or replaced none: another document at that key (its OFP or SSN differs), a "
          "Form 3927 (it carries no week), or a record of a deck of its own week (whose control "
          "numbers may repeat another deck's): {}. If one is that entry's record corrected, "
          "withdraw the entry: qap withdraw DECK LINE --reason \"...\". `qap register` marks "
          "each such entry, and `qap corrections` leaves it out unless --with-beside")


def test_another_document_at_an_open_entrys_key_and_week_closes_nothing_and_is_named(
        tmp_path):
    """Check of session 17, P3: a late week-1 review of another document (another OFP and
    SSN) at the block and serial of an open entry closed it as corrected, and its record was
    never posted. A re-input is of the same document: its OFP and SSN as the entry's."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1 = tmp_path / "r1.dat"
    week1.write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    run_week([week1], data, REFERENCE, dt.date(2026, 10, 27))
    own = _reviews_deck("10312026", "10312026", "W2A", 2).splitlines()[1:-1]
    other = ["59702222W1A0201102420260008211041044210",
             "59702222W1A0202 987654321    3101    1    1"]
    (tmp_path / "r2.dat").write_text(deck(own + other, campus="SC", week_ending="10312026",
                                          created="10312026", sequence=2))
    result = run_week([tmp_path / "r2.dat"], data, REFERENCE, dt.date(2026, 11, 3))
    entries = Store(data).read("error_register").filter(pl.col("deck") == "r1.dat")
    assert entries["status"].to_list() == ["open", "open"]
    assert (result.corrected, result.resubmitted, result.posted) == (0, 0, 8)
    assert result.notes[-1] == BESIDE.format("r2.dat line 11 at r1.dat line 7 (run 20261027.01)")
    assert entries.select("line_no", "beside").rows() == [
        (7, "r2.dat line 11 (run 20261103.01)"), (8, None)]


def _a_record_beside_its_entry(tmp_path: Path) -> Path:
    """A data directory where week 1's r1.dat line 7 (W1A0202, 14) is open and week 2's
    r2.dat sends that review corrected with its OFP changed: it posts, closing nothing, beside
    the entry (run 20261103.01). Line 8 (W1A0203, 21) stays open, unmarked."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1 = tmp_path / "r1.dat"
    week1.write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    run_week([week1], data, REFERENCE, dt.date(2026, 10, 27))
    other = ["59702222W1A0201102420260008211041044210",
             "59702222W1A0202 123456789    4101    1    1"]  # the OFP changed: closes nothing
    (tmp_path / "r2.dat").write_text(deck(other, campus="SC", week_ending="10312026",
                                          created="10312026", sequence=2))
    run_week([tmp_path / "r2.dat"], data, REFERENCE, dt.date(2026, 11, 3))
    return data


def test_an_entry_a_later_record_sits_beside_is_marked_and_left_out_of_corrections(tmp_path):
    """Check of session 17, Q4: a record of a later week's deck at an open entry's key and
    week that closed nothing was named only in that run's summary; `qap register`, the
    printed register and `qap corrections` showed the entry as any other, so a missed note
    let the loop post a review a second time (when that record was the entry's record with
    its OFP corrected). The entry now keeps the record beside it, every listing says so, and
    `qap corrections` leaves it out unless --with-beside."""
    data = _a_record_beside_its_entry(tmp_path)
    run_dir = data / "runs" / "20261103.01"
    printed = (run_dir / "open-register.txt").read_text().splitlines()
    at = next(n for n, t in enumerate(printed) if t.startswith("10/27/2026"))
    assert printed[at + 1] == (
        "            Beside it since, closing nothing: r2.dat line 3 (run 20261103.01). "
        "Withdraw this entry if that is its record corrected")
    listed = CliRunner().invoke(cli.app, ["register", "-d", str(data)])
    assert listed.output.splitlines()[1:4] == [
        "OPENED      AGE  REGISTER   RUN ID       WEEK        DECK      LINE  CTRL  SSN        "
        "  ERROR CODES",
        f"10/27/2026  {(dt.date.today() - dt.date(2026, 10, 27)).days:>3}  PCE-03-41  "
        "20261027.01  10/24/2026  r1.dat       7  A02   XXX-XX-6789  14",
        "            beside it since, closing nothing: r2.dat line 3 (run 20261103.01). "
        "Withdraw the entry if that is its record corrected, else `qap corrections "
        "--with-beside` writes it"]
    left_out: list[str] = []
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 4, 9),
                                      left_out=left_out)
    assert fix.path.read_text().splitlines()[1:-1] == [
        "59702222W1A0201102420260008112041044210",  # the context of line 8, 21
        "59702222W1A0203 234567891    2103    3    3"]
    assert left_out[1:] == [
        "  r1.dat line 7 (run 20261027.01), beside it r2.dat line 3 (run 20261103.01):",
        f"    qap withdraw r1.dat 7 --run 20261027.01 --data-dir {data.absolute()} "
        '--reason "WHY"']
    said = CliRunner().invoke(cli.app, ["corrections", str(tmp_path / "cli.dat"), "-d",
                                        str(data)])
    assert (said.exit_code, said.output.splitlines()[-2:]) == (0, left_out[1:])
    [every] = register.corrections_deck(data, tmp_path / "all.dat",
                                        dt.datetime(2026, 11, 4, 10), with_beside=True)
    assert every.records == 3  # line 7 too
    said = CliRunner().invoke(cli.app, ["corrections", str(tmp_path / "cli2.dat"), "-d",
                                        str(data), "--with-beside"])
    assert "Left out" not in said.output and "wrote 3 records" in said.output
    register.withdraw(data, "r1.dat", 7, "re-input in r2.dat with its OFP corrected",
                      dt.date(2026, 11, 4))
    left_out.clear()
    [after] = register.corrections_deck(data, tmp_path / "after.dat",
                                        dt.datetime(2026, 11, 4, 11), left_out=left_out)
    assert (after.records, left_out) == (2, [])  # line 8 and its header: none marked


def test_a_form_3927_sent_again_in_a_weekly_deck_leaves_its_entry_open_and_says_so(tmp_path):
    """Check of session 17, P4: a Form 3927 carries no week, so one corrected and sent in a
    later week's deck cannot be told from a new one at its key: it closes nothing, as before,
    and the summary now names the entry to withdraw."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    run_week([FIXTURES / "sample-week" / "01-defect-list-changes.dat"], data, REFERENCE,
             dt.date(2026, 11, 17))
    fixed = ["59703223C0102010008141C4421CODE AND EDIT",
             "59703223C010203103NATIONAL DEFECT 103 REWORDED"]  # line 10: 888 not on file, 05
    (tmp_path / "w2.dat").write_text(deck(fixed, campus="SC", week_ending="11212026",
                                          created="11232026", sequence=3))
    result = run_week([tmp_path / "w2.dat"], data, REFERENCE, dt.date(2026, 11, 24))
    assert (result.posted, result.corrected) == (2, 0)
    assert result.notes[-1] == BESIDE.format(
        "w2.dat line 3 at 01-defect-list-changes.dat line 10 (run 20261117.01)")
    entry = Store(data).read("error_register").filter(pl.col("line_no") == 10)
    assert entry["status"].to_list() == ["open"]

def test_a_weekly_record_at_an_open_entrys_key_of_another_week_leaves_the_entry_open(
        tmp_path):
    """Keys repeat from week to week: week 2's own document at the control number of week
    1's open entry (the same block, serial and section, dated 10/31) is not its re-input."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    week1 = tmp_path / "r1.dat"
    week1.write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    run_week([week1], data, REFERENCE, dt.date(2026, 10, 27))
    own = _reviews_deck("10312026", "10312026", "W1A", 2).replace("4888", "4101")
    (tmp_path / "r2.dat").write_text(own)
    result = run_week([tmp_path / "r2.dat"], data, REFERENCE, dt.date(2026, 11, 3))
    entries = Store(data).read("error_register")
    assert entries.filter(pl.col("deck") == "r1.dat")["status"].to_list() == ["open", "open"]
    assert (result.corrected, result.resubmitted) == (0, 0)
    assert not [n for n in result.notes if "re-input" in n]


def _one_week_to_correct(tmp_path: Path, data: Path) -> tuple:
    """The national list, one week of reviews with a 4888 (14), and its corrections deck as
    `qap corrections` writes it: (the week's result, the corrections deck)."""
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    (tmp_path / "r.dat").write_text(_reviews_deck("10242026", "10242026", "W1A", 1))
    week = run_week([tmp_path / "r.dat"], data, REFERENCE, dt.date(2026, 10, 27))
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 10, 28, 8))
    return week, fix


def test_a_correction_made_before_a_rollback_of_its_run_says_it_closed_nothing(tmp_path):
    """Review 14, F9: the run the corrections deck was written from is rolled back, and the
    deck reprocessed: its records posted as new ones, closing nothing, and nothing said so.
    Recorded by `qap corrections`, it is now refused as stale, nothing posted (check of
    session 16, P2); a deck no record names (written by hand) posts, and the notes say so."""
    data = tmp_path / "data"
    week, fix = _one_week_to_correct(tmp_path, data)
    fix.path.write_text(fix.path.read_text().replace("4888", "4101"))
    register.rollback(data, week.run_id, "test", undo_later=False)
    stale = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert _refused(stale) == (
        f"{fix.path}: stale corrections deck: `qap corrections` wrote it from the open "
        "register entries of r.dat, and none of them is open now (corrected or replaced "
        "by an earlier reprocess, withdrawn, or rolled back); nothing of it posts, so that no "
        "record posts twice. `qap corrections` writes what is still open")
    written_from.path(data).unlink()
    result = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert result.corrected == 0 and result.posted == 2  # the header and the fixed line
    assert [n for n in result.notes if "closed no open register entry" in n] == [
        "2 record(s) posted but closed no open register entry (none was left for them at "
        "their key in their week): fix.dat line 2, fix.dat line 3; was the corrections deck "
        "written before a rollback of its run or a withdrawal of the entry, or run already, or "
        "was the record re-input in a later week's deck since, or does it hold a record twice "
        "(its entry goes to the copy rejected again)? They are posted as new records (`qap "
        "rollback` undoes this run). A record whose key field was "
        "changed on purpose closes no entry either: withdraw its old entry (qap withdraw DECK "
        "LINE --reason \"...\")"]
    assert [n for n in result.notes if "replaced no open register entry" in n] == [
        "1 record(s) rejected again replaced no open register entry (none is open at their "
        "key in their week), so each opens a new one: fix.dat line 4; was the corrections "
        "deck written before a rollback of its run or a withdrawal of the entry?"]


def test_a_reprocess_summary_counts_the_headers_closed_as_context(tmp_path):
    """Review 14, F12: the conservation line counts a header sent as context "on a register",
    the open count does not, and no line said why: the summary now says how many."""
    data = tmp_path / "data"
    _, fix = _one_week_to_correct(tmp_path, data)
    result = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert (result.posted, result.rejected, result.context, result.still_open) == (0, 3, 1, 2)
    assert ("Re-input: 1 header sent as the context of rejected lines, on the register and "
            "closed at once (context)") in summary.render(result).splitlines()
    assert not [n for n in result.notes if "no open register entry" in n]  # a normal cycle


def test_a_refused_deck_kept_before_is_never_replaced_by_another_of_its_name(tmp_path):
    """Review 14, F14: refused/ kept one file per name, so next week's refused reviews.dat
    replaced this week's (with the flow, which moves the inbox file there, the first was
    then nowhere). A different deck of the name is kept as reviews.2.dat, and said so; the
    same deck again goes where it was."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 26))
    texts = {}
    for week, seq in (("10242026", 1), ("10312026", 2)):
        text = _reviews_deck(week, week, "W1A", seq).replace("TRL0000008", "TRL0000009")
        (tmp_path / week).mkdir()
        (tmp_path / week / "reviews.dat").write_text(text)
        texts[week] = text
    first = run_week([tmp_path / "10242026" / "reviews.dat"], data, REFERENCE,
                     dt.date(2026, 10, 27))
    second = run_week([tmp_path / "10312026" / "reviews.dat"], data, REFERENCE,
                      dt.date(2026, 11, 3))
    again = run_week([tmp_path / "10312026" / "reviews.dat"], data, REFERENCE,
                     dt.date(2026, 11, 4))
    refused = data / "refused"
    assert sorted(p.name for p in refused.iterdir()) == ["reviews.2.dat", "reviews.dat"]
    assert (refused / "reviews.dat").read_text() == texts["10242026"]
    assert (refused / "reviews.2.dat").read_text() == texts["10312026"]
    assert first.decks[0].reason.endswith("between HDR and TRL")
    assert second.decks[0].reason.endswith(
        f" (kept as {refused / 'reviews.2.dat'}: a different deck of its name was kept before)")
    assert again.decks[0].reason == second.decks[0].reason


def test_a_correction_of_a_withdrawn_entry_says_it_closed_nothing(tmp_path):
    """Review 14, F9 (re-check): the entry withdrawn, then its corrections deck reprocessed:
    the record posted without a word (the note looked only at records never on the
    register). A deck `qap corrections` recorded is now refused as stale instead (check of
    session 17, P2: a withdrawn record is not to post); one with no record of its decks (here
    the record removed, as for a deck written by hand) posts and the note names the line."""
    data = tmp_path / "data"
    week, fix = _one_week_to_correct(tmp_path, data)
    fix.path.write_text(fix.path.read_text().replace("4888", "4101"))
    register.withdraw(data, "r.dat", 7, "sent by mistake", dt.date(2026, 10, 28),
                      run_id=week.run_id)
    stale = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert _refused(stale).startswith(
        f"{fix.path}: stale corrections deck: the register entry r.dat line 7, one `qap "
        "corrections` wrote it from, was closed by withdraw-20261028.01 since: ")
    written_from.path(data).unlink()
    result = run_week([fix.path], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert [n.split(":")[1].split(";")[0] for n in result.notes
            if "closed no open register entry" in n] == [" fix.dat line 3"]


def test_a_correction_as_like_entries_of_two_decks_of_its_week_closes_neither_and_says_so(
        tmp_path):
    """Review 14, F13 (re-check, within one week): two decks of a week with the same review
    A07/01 and the same bad code; only the second deck's corrections deck is fixed and
    reprocessed. The tie went to the earlier deck's entry, which closed without being
    re-input. With no record of which deck the corrections deck was written from (here
    removed; a deck written by hand, or before `qap corrections` kept one), which entry it
    stands for cannot be told: it closes neither, and says so (with the record it closes
    tue.dat's: tests/test_corrections_pairing.py)."""
    data = tmp_path / "data"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 11, 10))
    tue = _review_deck(tmp_path / "tue.dat", "777", 8)
    other = record("prefix+form3926_header", program_number="59702", format_code="222",
                   block="A08", serial="01", section="01", week_ending="11142026",
                   defect_list="000", org_code="81120", function_code="410",
                   program_code="44210")  # so that tue.dat is not a second sending of mon.dat
    lines = tue.read_text().splitlines()
    tue.write_text(deck([*lines[1:-1], other], campus="SC", week_ending="11142026",
                        sequence=8))
    run_week([_review_deck(tmp_path / "mon.dat", "777", 7), tue], data, REFERENCE,
             dt.date(2026, 11, 17))
    fix = tmp_path / "fixes" / "fix.dat"
    assert CliRunner().invoke(cli.app, ["corrections", str(fix), "-d", str(data)]).exit_code == 0
    second = fix.with_name("fix-2.dat")
    second.write_text(second.read_text().replace("   12777    3", "   12101    3"))
    written_from.path(data).unlink()
    result = run_week([second], data, REFERENCE, dt.date(2026, 11, 18), reprocess=True)
    assert result.corrected == 0 and result.posted == 2
    entries = Store(data).read("error_register").filter(pl.col("run_id") != result.run_id)
    assert entries["status"].to_list() == ["open"] * 4  # both decks' header and line
    assert [n for n in result.notes if "as like entries of two decks" in n] == [
        "2 record(s) posted but closed no entry, being as like entries of two decks of their "
        "week (the same key, week and text) (fix-2.dat: no record of the decks `qap "
        "corrections` wrote it from, as for a deck written by hand or before it kept one): "
        "fix-2.dat line 2 (as like mon.dat line 2 and "
        "tue.dat line 2); fix-2.dat line 3 (as like mon.dat line 3 and tue.dat line 3); "
        "withdraw the entry each stands for (`qap corrections` named the deck whose entries "
        'each corrections deck holds): qap withdraw DECK LINE --reason "..."']


def test_a_left_out_entrys_record_added_by_hand_to_its_corrections_deck_is_refused(tmp_path):
    """Check of session 18, N2: `qap corrections` left out the entry a later week's record
    sits beside; the operator added its record to the deck by hand, and the reprocess closed
    the entry and posted the review a second time. The deck is refused, nothing posted."""
    data = _a_record_beside_its_entry(tmp_path)
    [fix] = register.corrections_deck(data, tmp_path / "fix.dat", dt.datetime(2026, 11, 4, 9))
    lines = fix.path.read_text().splitlines()
    added = [lines[0], lines[1], "59702222W1A0202 123456789    4101    1    1",
             lines[2].replace("2103", "3103"), "TRL0000003"]
    fix.path.write_text("\n".join(added) + "\n")
    _refused_posting_nothing(data, fix.path, (
        f"{fix.path}: the register entry r1.dat line 7 was left out when `qap corrections` "
        "wrote this deck, since a later week's record sits beside it (r2.dat line 3 (run "
        "20261103.01)), and the deck now holds a record at its key"))
    lines = added[:2] + added[3:]  # the record taken out again: the deck posts
    fix.path.write_text("\n".join([*lines[:-1], "TRL0000002"]) + "\n")
    assert run_week([fix.path], data, REFERENCE, dt.date(2026, 11, 4),
                    reprocess=True).corrected == 1  # line 8; its header is context


def test_a_hand_written_deck_at_a_marked_entrys_key_is_refused(tmp_path):
    """Check of session 18, second pass, N2h: a corrections deck keyed by hand (not one `qap
    corrections` recorded) with the review the register shows open closed the entry a later
    week's record sits beside and posted the review a second time."""
    data = _a_record_beside_its_entry(tmp_path)
    hand = tmp_path / "hand.dat"
    hand.write_text(deck(["59702222W1A0201102420260008112041044210",
                          "59702222W1A0202 123456789    4101    1    1"], campus="CR",
                         week_ending="10242026", created="11042026", sequence=7))
    _refused_posting_nothing(data, hand, (
        f"{hand}: a record of this deck is at the key and week of the register entry r1.dat "
        "line 7, beside which a later week's record posted or was rejected (r2.dat line 3 "
        "(run 20261103.01))"))
    other_week = tmp_path / "other.dat"  # the same key in another week's deck: not marked
    other_week.write_text(hand.read_text().replace("10242026", "10172026"))
    assert [d.status for d in run_week([other_week], data, REFERENCE, dt.date(2026, 11, 4),
                                       reprocess=True).decks] == ["accepted"]
