"""Links planted in the data directory where the newer commands write (review 18s): a
corrections deck, a rollback's note, an archive folder of a flow and the inboxes. Each is
refused or replaced, never written, moved or set through; the place outside stays as it was."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from pipelines.engine.machinery import register
from pipelines.operator import cli, inbox
from pipelines.state import private
from pipelines.state.store import StoreError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REFERENCE = FIXTURES / "reference"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))


def qap(*args) -> int:
    return cli.run_app([str(a) for a in args])


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("week") / "data"
    assert qap("run", NATIONAL, "-d", data, "-r", REFERENCE, "-q", "--run-date",
               "2026-11-10") == 0
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17") == 8
    return data


def _copy(week: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the week's store, and a folder outside it (0755) holding one file (0644)."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(week, data, symlinks=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    outside.chmod(0o755)
    (outside / "m.txt").write_text("mine\n")
    (outside / "m.txt").chmod(0o644)
    return data, outside


def _untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["m.txt"]
    assert (outside / "m.txt").read_text() == "mine\n"
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755
    assert stat.S_IMODE((outside / "m.txt").stat().st_mode) == 0o644


def test_a_corrections_deck_replaces_a_link_planted_at_its_path(week, tmp_path):
    """F1: with --force the deck went through the link into a 0644 file outside."""
    data, outside = _copy(week, tmp_path)
    private.folder(data / "corrections")
    (data / "corrections" / "fix.dat").symlink_to(outside / "m.txt")
    with pytest.raises(register.DeckExists):  # a link is there: not overwritten unasked
        register.corrections_deck(data, data / "corrections" / "fix.dat", dt.datetime.now())
    [deck] = register.corrections_deck(data, data / "corrections" / "fix.dat",
                                       dt.datetime.now(), force=True)
    assert not deck.path.is_symlink() and deck.path.read_text().startswith("HDRCR")
    assert stat.S_IMODE(deck.path.stat().st_mode) == 0o600
    _untouched(outside)


def test_a_corrections_folder_that_is_a_link_is_refused(week, tmp_path):
    """F1: DIR/corrections linked to a folder outside took the deck and a chmod to 0700."""
    data, outside = _copy(week, tmp_path)
    (data / "corrections").symlink_to(outside)
    with pytest.raises(StoreError, match="corrections is a symbolic link"):
        register.corrections_deck(data, data / "corrections" / "fix.dat", dt.datetime.now())
    _untouched(outside)


def test_a_rollback_note_never_goes_through_a_link(week, tmp_path):
    """F2: ROLLED-BACK.txt planted as a link appended the note to a file outside."""
    data, outside = _copy(week, tmp_path)
    note = data / "runs" / "20261117.01" / register.ROLLED_BACK_NOTE
    note.symlink_to(outside / "m.txt")
    assert qap("rollback", "20261117.01", "-d", data) == 0
    assert not note.is_symlink() and "rolled back (generation" in note.read_text()
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    _untouched(outside)


def test_an_archive_folder_that_is_a_link_is_refused(tmp_path):
    """F3: archive/<batch> linked outside took the accepted decks and a chmod to 0700."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    private.folder(data / "archive")
    outside.mkdir()
    outside.chmod(0o755)
    (data / "archive" / "2026-11-14").symlink_to(outside)
    with pytest.raises(private.LinkedFolder, match="2026-11-14 is a symbolic link"):
        private.folder_in(data, data / "archive" / "2026-11-14")
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755
    made = private.folder_in(data, data / "archive" / "2026-11-21" / "inner")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


@pytest.mark.parametrize("name", [inbox.INBOX, "sampling-inbox"])
def test_an_inbox_that_is_a_link_stops_the_flows(tmp_path, name):
    """F4: DIR/inbox linked to a folder outside had its files moved into the data
    directory (archive/ and refused/)."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    private.folder(data)
    outside.mkdir()
    (data / name).symlink_to(outside)
    with pytest.raises(StoreError, match=f"{name} is a symbolic link"), inbox.lock(data):
        pass


@pytest.mark.parametrize("command", [["sample", "select"], ["inventory"]])
def test_a_deck_name_holding_a_line_feed_stops_every_command(tmp_path, command, capsys):
    """F6: `qap sample select` and `qap inventory` took such a name and printed it raw, a
    line of their summary forged by a file name; `qap run` refuses it with 12."""
    odd = tmp_path / "we ird\nCondition code 0: clean.dat"
    odd.write_text("x")
    assert qap(*command, odd, "-d", tmp_path / "data") == 12
    said = capsys.readouterr()
    assert "unusable file name: the name holds a line feed" in said.err
    assert "\nCondition code 0: clean" not in said.out + said.err
    assert not (tmp_path / "data" / "refused").exists()


def test_corrections_decks_refuse_an_unusable_name_a_folder_and_replace_a_fifo(week, tmp_path,
                                                                              capsys):
    """F7, F8: a name holding a line feed was written (and its reprocess refused); `qap
    inventory corrections` to a folder said Python's errno text; --force on a FIFO hung."""
    data, _ = _copy(week, tmp_path)
    assert qap("corrections", tmp_path / "new\nline.dat", "-d", data) == 12
    said = capsys.readouterr().err
    assert "new\\nline.dat': unusable file name: the name holds a line feed" in said
    assert "new\nline" not in said  # printed escaped (check of session 18, N3)
    assert not (tmp_path / "new\nline.dat").exists()
    (tmp_path / "adir").mkdir()
    assert qap("inventory", "corrections", tmp_path / "adir", "-d", data) == 12
    assert f"{tmp_path / 'adir'} is a folder; give a deck file name in it" in (
        capsys.readouterr().err)
    fifo = tmp_path / "fifo.dat"
    os.mkfifo(fifo)
    assert qap("corrections", fifo, "-d", data, "--force") == 0
    assert fifo.is_file() and fifo.read_text().startswith("HDRCR")


def test_a_resumed_batch_takes_its_decks_from_this_data_directorys_inbox(tmp_path):
    """F9: a data directory copied with `cp -a` while a flow batch was unfinished resumed it
    with the original's absolute inbox paths, and moved the original's decks away."""
    original, copy = tmp_path / "original", tmp_path / "copy"
    deck = inbox.DeckInput(name="good.dat", path=str(original / "inbox" / "good.dat"),
                           sha256="0" * 64, size=1, status="readable",
                           destination=str(original / "archive" / "2026-11-14" / "good.dat"))
    private.folder(copy / inbox.WEEKS)
    batch = inbox.Batch.create(copy, inbox.WEEKLY, dt.date(2026, 11, 14), [deck])
    said = batch.reroot(copy / "inbox", copy)
    assert said == [f"good.dat: taken from {copy / 'inbox' / 'good.dat'}, not "
                    f"{original / 'inbox' / 'good.dat'} (the batch was begun in another inbox "
                    "or data directory)"]
    again = inbox.Batch.load(batch.folder)
    assert (again.inputs[0].path, again.inputs[0].destination) == (
        str(copy / "inbox" / "good.dat"), None)


def test_a_resumed_batch_removes_links_planted_in_its_folder(tmp_path):
    """F11: resumed, a batch appended its log through a flow.log link and hard-linked the
    run's reports into a folder outside through a reports/ link."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    private.folder(data / inbox.WEEKS)
    outside.mkdir()
    outside.chmod(0o755)
    (outside / "m.txt").write_text("mine\n")
    (outside / "m.txt").chmod(0o644)
    batch = inbox.Batch.create(data, inbox.WEEKLY, dt.date(2026, 11, 14), [])
    (batch.folder / "flow.log").symlink_to(outside / "m.txt")
    (batch.folder / "reports").symlink_to(outside)
    said = batch.drop_links()
    assert [line.split(" was a symbolic link")[0] for line in said] == [
        str(batch.folder / "flow.log"), str(batch.folder / "reports")]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "pce-03-41.txt").write_text("report\n")
    [placed] = inbox.place_reports(batch, run_dir)
    assert placed.parent == batch.folder / "reports" and not placed.parent.is_symlink()
    _untouched(outside)


def test_a_fifo_or_folder_in_the_inbox_is_named_and_an_empty_run_id_is_a_usage_error(
        tmp_path, capsys):
    """F13: a FIFO or a folder named as a deck was left in the inbox without a word; F12:
    `qap rollback ''` said 12 with the store's own wording."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    os.mkfifo(folder / "zz.dat")
    (folder / "sub.dat").mkdir()
    (folder / "good.dat").write_text("x")
    assert inbox.not_files(folder) == [
        f"{folder / name}: not a file (a folder, a FIFO or a device); left in the inbox, not "
        "taken" for name in ("sub.dat", "zz.dat")]
    private.folder(tmp_path / "data")
    assert qap("rollback", "", "-d", tmp_path / "data") == 2
    assert "give the run id to roll back" in capsys.readouterr().err


def test_a_batch_whose_steps_are_a_link_is_refused_not_read(tmp_path):
    """Check of session 18, N6: a steps.json planted as a link was read through it on a
    resume, and its text stopped the flow with 16."""
    data, outside = tmp_path / "data", tmp_path / "outside"
    private.folder(data / inbox.WEEKS)
    outside.mkdir()
    (outside / "m.txt").write_text("not json\n")
    batch = inbox.Batch.create(data, inbox.WEEKLY, dt.date(2026, 11, 14), [])
    (batch.folder / "steps.json").unlink()
    (batch.folder / "steps.json").symlink_to(outside / "m.txt")
    with pytest.raises(StoreError, match=r"steps\.json is a symbolic link"):
        inbox.Batch.unfinished(data, inbox.WEEKLY)


@pytest.mark.parametrize("command", ["run", "reprocess"])
@pytest.mark.parametrize("blank_first", [False, True], ids=["as written", "first record blank"])
def test_an_inventory_deck_given_to_the_weekly_run_is_refused(tmp_path, command, blank_first,
                                                              capsys):
    """Check of session 18, N4: an INV-10-02 corrections deck reprocessed by `qap reprocess`
    was accepted, and each of its records opened a 36 on the campus register; N4b: with a
    blank first record it still was."""
    deck = FIXTURES / "inventory" / "worked-example.dat"
    if blank_first:
        lines = deck.read_text().splitlines()
        deck = tmp_path / "blank-first.dat"
        deck.write_text("\n".join([lines[0], "", *lines[1:-1], "TRL0000207"]) + "\n")
    data = tmp_path / "data"
    assert qap("run", NATIONAL, "-d", data, "-r", REFERENCE, "-q") == 0
    assert qap(command, deck, "-d", data, "-q") == 8
    said = " ".join(capsys.readouterr().out.split())
    assert (f"REFUSED: {deck}, line {3 if blank_first else 2}, columns 1-3: record type ROR: "
            "an INV-10-02 deck, not one of the weekly run's forms") in said
    assert ("Conservation: 0 records in = 0 posted + 0 on a register; "
            f"{207 if blank_first else 206} held back in 1 refused deck") in said
    assert "correct and send them again" not in said


def test_a_batch_missing_its_inputs_says_how_to_go_on(tmp_path):
    """Second check of session 18, N6b: a batch whose inputs.json was gone (as the link's
    message led the operator to leave it) stopped every rerun with a raw FileNotFoundError."""
    data = tmp_path / "data"
    private.folder(data / inbox.WEEKS)
    batch = inbox.Batch.create(data, inbox.WEEKLY, dt.date(2026, 11, 14), [])
    (batch.folder / "inputs.json").unlink()
    with pytest.raises(StoreError, match=r"inputs\.json is missing: the unfinished batch cannot "
                       "be resumed"):
        inbox.Batch.unfinished(data, inbox.WEEKLY)
