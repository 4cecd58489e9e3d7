"""The data directory under attack and under a loose umask (issue 13, items 13, 15, 16): every
file a run, a flow or an operator command writes is 0600 in 0700 folders whatever the umask;
links planted in the data directory are refused (12) or removed, never written through; a
`current` moved back by hand is seen; a rollback marks a run folder still named .partial."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import stat
from pathlib import Path

import pytest
from run_outputs import umask

from pipelines.operator import cli, inbox
from pipelines.operator.flow_call import call
from pipelines.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REFERENCE = FIXTURES / "reference"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))
RUN = "20261117.01"  # the sample week's run id


def qap(*args) -> int:
    """`qap` as the console script runs it (the owner-only umask is set there)."""
    return cli.run_app([str(a) for a in args])




def _loose(root: Path, skip: tuple[str, ...] = ()) -> list[str]:
    """Every path under `root` (itself included) that is not owner-only: files 0600, folders
    0700; links are not followed, folders named in `skip` are the operator's."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        mode = stat.S_IMODE(os.lstat(folder).st_mode)
        if mode != 0o700:
            found.append(f"{folder} {mode:o}")
        for name in files:
            path = Path(folder) / name
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != 0o600:
                found.append(f"{path} {stat.S_IMODE(info.st_mode):o}")
    return found


def _week(data: Path) -> None:
    assert qap("run", NATIONAL, "-d", data, "-r", REFERENCE, "-q", "--run-date",
               "2026-11-10") == 0
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17") == 8


# --- item 13: owner-only whatever the umask ---------------------------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask022", "umask000"])
def test_every_path_a_run_and_the_operator_commands_write_is_owner_only(tmp_path, mask):
    data = tmp_path / "data"
    with umask(mask):
        _week(data)
        fix = data / "corrections" / "fix.dat"
        assert qap("withdraw", "02-reviews-adjustments-standards.dat", "12", "--reason",
                   "typing slip", "-d", data) == 0
        assert qap("corrections", fix, "-d", data) == 0
        assert qap("reprocess", fix, "-d", data, "-q", "--run-date", "2026-11-18") in (0, 4)
        assert qap("corrections", fix, "-d", data, "--force") == 0
        assert qap("rollback", "20261118.01", "-d", data, "--force") == 0
        assert qap("history", "-d", data) == 0 and qap("register", "-d", data) == 0
        elsewhere = tmp_path / "mine" / "fix.dat"
        assert qap("corrections", elsewhere, "-d", data) == 0
    assert (data / "refused" / "03-cut-short.dat").is_file()
    assert (data / "runs" / RUN / "pce-03-41.parquet").is_file()
    assert _loose(data) == []
    assert _loose(elsewhere.parent) == []


def test_decks_and_folders_left_loose_by_an_older_version_are_tightened(tmp_path):
    data = tmp_path / "data"
    with umask(0o022):
        for name in ("runs", "refused", "state"):
            (data / name).mkdir(parents=True)
        data.chmod(0o700)
        _week(data)
    assert _loose(data) == []


@pytest.fixture(scope="module")
def flows(prefect_harness):
    from pipelines.operator import flows

    return flows


@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask022", "umask000"])
def test_every_path_the_weekly_flow_writes_is_owner_only(flows, tmp_path, mask):
    data = tmp_path / "data"
    waiting = data / "inbox"
    with umask(mask):
        waiting.mkdir(parents=True)
        data.chmod(0o700)
        shutil.copy(NATIONAL, waiting / NATIONAL.name)
        first = call(flows.weekly_flow, data_dir=data, reference_dir=REFERENCE,
                     run_date=dt.date(2026, 11, 10))
        assert first.condition_code == 0
        for deck in WEEK:
            shutil.copy(deck, waiting / deck.name)
        with contextlib.suppress(flows.FlowFailed):
            call(flows.weekly_flow, data_dir=data, reference_dir=REFERENCE,
                 run_date=dt.date(2026, 11, 17))
        call(flows.rollback_flow, run_id=RUN, data_dir=data, requeue=False)
    batch = inbox.Batch.for_run(data, RUN).folder
    assert (batch / "reports" / "pce-03-41.parquet").is_file()
    assert (data / "archive" / batch.name / WEEK[0].name).is_file()
    assert (data / "refused" / "03-cut-short.dat").is_file()
    assert _loose(data, skip=("inbox",)) == []


# --- item 15: links planted in the data directory ---------------------------------------------

@pytest.fixture(scope="module")
def posted(tmp_path_factory) -> Path:
    """The national list posted: a store to plant links in (each test works on a copy)."""
    data = tmp_path_factory.mktemp("posted") / "data"
    assert qap("run", NATIONAL, "-d", data, "-r", REFERENCE, "-q", "--run-date",
               "2026-11-10") == 0
    return data


def _copy(posted: Path, to: Path) -> Path:
    shutil.copytree(posted, to, symlinks=True)
    return to


@pytest.mark.parametrize("planted", ["state/lock", "state/tmp", "runs", "refused"])
def test_a_link_planted_for_a_folder_or_the_lock_is_refused_with_12(posted, tmp_path, capsys,
                                                                    planted):
    data = _copy(posted, tmp_path / "data")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    path = data / planted
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(victim if planted.endswith("lock") else outside)
    capsys.readouterr()
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17") == 12
    err = capsys.readouterr().err
    assert (f"{path} is a symbolic link; the data directory's own "
            f"{'lock file' if planted.endswith('lock') else 'folder'}s must not be links") in err
    assert victim.read_text() == "keep me\n" and sorted(os.listdir(outside)) == ["victim.txt"]
    assert [m["run_id"] for m in Store(data).history()] == ["20261110.01"]


def test_a_folder_of_another_user_is_refused_with_12(posted, tmp_path, capsys):
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    data = _copy(posted, tmp_path / "data")
    os.chown(data / "runs", 4321, 4321)
    capsys.readouterr()
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17") == 12
    assert (f"{data / 'runs'} belongs to user id 4321, not to the user running this command"
            in capsys.readouterr().err)


def test_a_link_planted_as_the_next_runs_working_folder_is_removed_not_followed(posted,
                                                                                 tmp_path):
    data = _copy(posted, tmp_path / "data")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep me\n")
    (data / "runs" / f"{RUN}.partial").symlink_to(outside)
    (data / "runs" / RUN).symlink_to(outside)
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17") == 8
    assert sorted(os.listdir(outside)) == ["keep.txt"]
    run_dir = data / "runs" / RUN
    assert run_dir.is_dir() and not run_dir.is_symlink()
    assert (run_dir / "pce-03-41.txt").is_file()


def _later_store(posted: Path, to: Path) -> Path:
    data = _copy(posted, to)
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17") == 8
    return data


def test_current_moved_back_by_hand_is_refused_by_history_register_and_run(posted, tmp_path,
                                                                           capsys):
    data = _later_store(posted, tmp_path / "data")
    current = data / "current"
    current.unlink()
    current.symlink_to(os.path.join("state", "generations", "000001"))
    capsys.readouterr()
    for command in (["history"], ["register"], ["run", *WEEK, "-q"]):
        assert qap(*command, "-d", data) == 12, command
        assert (f"{current} points at generation 1, but generation 2 was published after "
                "it: `current` was moved from outside the store") in capsys.readouterr().err


def test_current_lost_is_refused_and_the_published_runs_are_kept(posted, tmp_path, capsys):
    """Review 12, F21: without `current` a run started an empty state (the Defect Code File
    and 84 open entries gone) and removed the published runs' folders as leftovers."""
    data = _later_store(posted, tmp_path / "data")
    (data / "current").unlink()  # a copy that dropped the link
    runs = sorted(os.listdir(data / "runs"))
    capsys.readouterr()
    for command in (["history"], ["register"], ["run", *WEEK, "-q"]):
        assert qap(*command, "-d", data) == 12, command
        assert (f"{data / 'current'} is missing, but generation 2 was published "
                "(state/published): the link was lost (a copy that drops links?) or removed. "
                "Nothing was done; put it back, e.g. `ln -s state/generations/000002 "
                f"{data / 'current'}`") in capsys.readouterr().err
    assert sorted(os.listdir(data / "runs")) == runs
    assert sorted(os.listdir(data / "state" / "generations")) == ["000001", "000002"]
    (data / "state" / "published").unlink()  # the note lost as well (re-check of F21)
    assert qap("run", *WEEK, "-q", "-d", data) == 12
    assert (f"{data / 'current'} is missing, but run 20261117.01 was published (its folder "
            f"is {data / 'runs' / '20261117.01'}): the link was lost") in capsys.readouterr().err
    assert sorted(os.listdir(data / "runs")) == runs


@pytest.mark.parametrize("planted, command", [
    ("reports", ["ipsr", "--quarter-end", "2026-12-31", "-r", REFERENCE]),
    ("prefect", ["flow", "week", "-r", REFERENCE]),
    ("sampling-archive", ["sample", "daily", "-r", REFERENCE]),
    ("archive", ["flow", "inventory"]),
])
def test_a_link_planted_for_a_folder_a_command_writes_is_refused_before_it_acts(
        posted, tmp_path, capsys, monkeypatch, planted, command):
    """Review 12, F18: `reports/`, `prefect/` and `sampling-archive/` were followed when
    links: an IPSR Parquet with whole SSNs, Prefect's database or a sampling deck went
    outside the data directory. Refused with 12 before anything is written (before Prefect
    starts)."""
    monkeypatch.delenv("PREFECT_HOME", raising=False)  # (the suite's harness sets one)
    data = _copy(posted, tmp_path / "data")
    (data / "inbox").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (data / planted).symlink_to(outside)
    capsys.readouterr()
    assert qap(*command, "-d", data) == 12
    assert (f"{data / planted} is a symbolic link; the data directory's own folders must "
            "not be links") in capsys.readouterr().err
    assert os.listdir(outside) == []


def test_current_pointed_outside_the_store_is_refused(posted, tmp_path, capsys):
    data = _copy(posted, tmp_path / "data")
    elsewhere = _copy(posted, tmp_path / "elsewhere")
    current = data / "current"
    current.unlink()
    current.symlink_to(elsewhere / "state" / "generations" / "000001")
    capsys.readouterr()
    assert qap("history", "-d", data) == 12
    assert (f"{current} points at '{elsewhere}/state/generations/000001', not at a generation "
            "of this store") in capsys.readouterr().err


# --- item 16: rollback of a run stopped between publishing and renaming its folder -----------

def test_rollback_of_a_run_stopped_before_its_folder_was_renamed_marks_the_partial_folder(
        posted, tmp_path):
    data = _later_store(posted, tmp_path / "data")
    runs = data / "runs"
    (runs / RUN).rename(runs / f"{RUN}.partial")  # as a stop after the swap leaves it
    assert qap("rollback", RUN, "-d", data) == 0
    note = (runs / f"{RUN}.partial" / "ROLLED-BACK.txt").read_text()
    assert "rolled back (generation 3, rollback before run 20261117.01)" in note
    assert qap("run", NATIONAL.with_name("national-defect-list.dat"), "-d", data, "-q",
               "--run-date", "2026-11-18") == 8  # a duplicate of the posted national list
    assert (runs / RUN / "ROLLED-BACK.txt").read_text() == note


def test_weekly_flow_refuses_a_deck_whose_name_cannot_be_printed_with_8(flows, tmp_path):
    data = tmp_path / "data"
    waiting = data / "inbox"
    waiting.mkdir(parents=True)
    shutil.copy(NATIONAL, waiting / NATIONAL.name)
    odd = os.fsdecode(b"week\n46\xff.dat")
    shutil.copy(WEEK[0], waiting / odd)
    outcome = call(flows.weekly_flow, data_dir=data, reference_dir=REFERENCE,
                   run_date=dt.date(2026, 11, 10))
    assert outcome.condition_code == 8
    assert os.listdir(waiting) == []
    assert sorted(os.listdir(data / "refused")) == [ascii(odd)]
    (batch,) = (data / "weeks").glob("2026-*")
    assert (data / "archive" / batch.name / NATIONAL.name).is_file()
    assert "unusable file name: the name holds a line feed" in outcome.summary
