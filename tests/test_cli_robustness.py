"""What an operator's slips and interrupts get from `qap`: one clear line and a condition code,
never a traceback, a new empty store, the sample reference files unannounced, or a run of
nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.operator import cli, data_dir, inbox, run_cli
from pipelines.operator.cli_options import reflow
from pipelines.operator.entry import INTERRUPTED
from pipelines.operator.flow_cli import flow_app
from pipelines.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
WEEK = sorted(str(p) for p in (FIXTURES / "sample-week").glob("*.dat"))
NO_STORE = "no QAP data directory at {} (give --data-dir)"
runner = CliRunner()


def qap(*args: str):
    return runner.invoke(cli.app, [str(a) for a in args])


def flow(*args: str):
    return runner.invoke(flow_app, [str(a) for a in args])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """A copy of the sample reference files in their own folder, as a campus would have."""
    folder = tmp_path_factory.mktemp("ref") / "reference"
    shutil.copytree(FIXTURES / "reference", folder)
    return folder


@pytest.fixture(scope="module")
def store(tmp_path_factory, reference) -> Path:
    """The national list, then the sample week, run with -r (84 entries stay open)."""
    data = tmp_path_factory.mktemp("store") / "data"
    assert qap("run", NATIONAL, "-d", data, "-r", reference, "-q",
               "--run-date", "2026-11-10").exit_code == 0
    assert qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17").exit_code == 8
    return data


def _copy(data: Path, to: Path) -> Path:
    shutil.copytree(data, to, symlinks=True)
    return to


# --- M12: deck paths are checked before a run ----------------------------------------------

@pytest.mark.parametrize("command", ["run", "reprocess"])
def test_a_missing_deck_stops_before_a_run(command, tmp_path):
    data = tmp_path / "data"
    missing = tmp_path / "nonexist.dat"
    result = qap(command, missing, "-d", data)
    assert result.exit_code == 12
    assert result.output == f"qap: deck {missing} not found; nothing was run\n"
    assert not data.exists()


def test_a_directory_as_deck_stops_before_a_run_and_takes_no_run_id(store, tmp_path):
    data = _copy(store, tmp_path / "data")
    before = Store(data).history()
    result = qap("run", tmp_path, "-d", data)
    assert result.exit_code == 12
    assert result.output == f"qap: deck {tmp_path} is not a file; nothing was run\n"
    assert Store(data).history() == before


# --- H3 (a): commands on a store refuse a folder that holds none -------------------------------

@pytest.mark.parametrize("args", [
    ["history"], ["register"], ["rollback", "20261117.01"],
    ["withdraw", "x.dat", "3", "--reason", "typo"], ["reprocess", str(NATIONAL)]])
def test_store_commands_refuse_a_data_directory_without_a_store(args, tmp_path):
    data = tmp_path / "nonexistent-dd"
    result = qap(*args, "-d", data)
    assert result.exit_code == 12
    assert result.output == f"qap: {NO_STORE.format(data)}\n"
    assert not data.exists()


def test_an_empty_folder_is_not_a_store_either(tmp_path):
    result = qap("history", "-d", tmp_path)
    assert result.exit_code == 12 and NO_STORE.format(tmp_path) in result.output


@pytest.mark.parametrize("args", [["reprocess"], ["rollback", "20261117.01"]])
def test_flow_commands_refuse_a_data_directory_without_a_store_before_prefect(args, tmp_path):
    data = tmp_path / "nonexistent-dd"
    result = flow(*args, "-d", data)
    assert result.exit_code == 12
    assert result.output == f"qap flow: {NO_STORE.format(data)}\n"
    assert not data.exists()  # not even its prefect/ folder


# --- M6: a data directory that is a file or cannot be written --------------------------------

def test_a_data_directory_that_is_a_file_is_12_not_internal_error(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = qap("run", NATIONAL, "-d", afile)
    assert result.exit_code == 12
    assert result.output == f"qap: data directory {afile} is not a directory\n"
    below = qap("run", NATIONAL, "-d", afile / "data")
    assert below.exit_code == 12
    assert below.output == (f"qap: data directory {afile / 'data'} cannot be created: "
                            f"{afile} is not a directory\n")
    weekly = flow("week", "-d", afile)
    assert weekly.exit_code == 12
    assert weekly.output == f"qap flow: data directory {afile} is not a directory\n"


def test_a_data_directory_that_is_not_writable_is_12(tmp_path, monkeypatch):
    data = tmp_path / "ro"
    data.mkdir()
    monkeypatch.setattr(data_dir, "_writable", lambda folder: folder != data)  # root: chmod
    result = qap("run", NATIONAL, "-d", data)
    assert result.exit_code == 12
    assert result.output == f"qap: data directory {data} is not writable\n"
    assert list(data.iterdir()) == []


# --- H3 (b): the reference folder a store ran with is remembered -----------------------------

def test_a_new_data_directory_says_it_used_the_sample_reference_files(tmp_path):
    data = tmp_path / "data"
    result = qap("run", NATIONAL, "-d", data, "--run-date", "2026-11-10")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-3] == ("Reference: the bundled sample files (fixtures/reference), as no "
                         "--reference was given; give --reference REFDIR for real data")
    assert lines[-2] == (f"New data directory: {data.absolute()} (no store was there; a "
                         "mistyped --data-dir starts one)")
    assert lines[-1] == "Condition code 0: clean"
    assert (data / "reference-folder.txt").read_text() == f"{FIXTURES / 'reference'}\n"


def test_a_store_that_last_ran_with_the_sample_files_says_so_not_that_none_was_given(tmp_path):
    """Review 14, F5: the second run of a store given -r fixtures/reference said "as no
    --reference was given", the words of a new data directory's fallback."""
    data = tmp_path / "data"
    first = qap("run", NATIONAL, "-d", data, "-r", FIXTURES / "reference", "-q",
                "--run-date", "2026-11-10")
    assert first.exit_code == 0 and "Reference:" not in first.stdout
    again = qap("run", *WEEK, "-d", data, "-q", "--run-date", "2026-11-17")
    assert ("Reference: the bundled sample files (fixtures/reference), the folder this data "
            "directory last ran with; give --reference REFDIR for real data"
            ) in again.stdout.splitlines()
    again = qap("run", WEEK[0], "-d", data, "--run-date", "2026-11-17")  # a store now
    assert "New data directory" not in again.stdout, again.stdout


def test_a_run_without_reference_uses_the_folder_the_store_ran_with(store, reference,
                                                                    tmp_path):
    assert (store / "reference-folder.txt").read_text() == f"{reference}\n"
    data = _copy(store, tmp_path / "data")
    moved = tmp_path / "moved-ref"
    (data / "reference-folder.txt").write_text(f"{moved}\n")  # the folder it ran with is gone
    result = qap("reprocess", WEEK[0], "-d", data, "--run-date", "2026-11-19")
    assert result.exit_code == 12
    assert (f"reference folder {moved}: the one this data directory last ran with (give "
            "--reference to change it)") in result.stderr
    assert f"qap: {moved / 'ofp_consistency.txt'}" in result.stderr
    assert len(Store(data).history()) == 2


def test_a_remembered_folder_is_used_and_the_summary_has_no_sample_note(store, tmp_path):
    data = _copy(store, tmp_path / "data")
    result = qap("reprocess", WEEK[0], "-d", data, "--run-date", "2026-11-19")
    assert result.exit_code in (0, 4, 8), result.output
    assert "last ran with" in result.stderr and "bundled sample" not in result.output


def test_a_store_that_never_recorded_its_reference_folder_must_be_told(store, reference,
                                                                       tmp_path):
    data = _copy(store, tmp_path / "data")
    (data / "reference-folder.txt").unlink()
    result = qap("reprocess", WEEK[0], "-d", data)
    assert result.exit_code == 12
    assert result.output == (f"qap: {data} does not record the reference folder it was run "
                             "with: give --reference once (it is remembered from then on)\n")
    again = qap("reprocess", WEEK[0], "-d", data, "-r", reference, "-q")
    assert again.exit_code in (0, 4, 8)
    assert (data / "reference-folder.txt").read_text() == f"{reference}\n"


# --- M11: the open register between runs ----------------------------------------------------

def test_register_lists_the_open_entries_with_masked_ssns_and_full_deck_names(store):
    result = qap("register", "-d", store)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"Open error register in {re.escape(str(store))} on \d\d/\d\d/\d{{4}}: "
                        r"84 open entries", lines[0])
    assert lines[1].split() == ["OPENED", "AGE", "REGISTER", "RUN", "ID", "WEEK", "DECK",
                                "LINE", "CTRL", "SSN", "ERROR", "CODES"]
    assert len(lines) == 2 + 84
    assert not re.search(r"\b\d{9}\b", result.stdout)  # no whole SSN
    individual = [line for line in lines if " IPR-" in line]
    assert [line.split("  ")[-1] for line in individual] == [  # the reason's text
        "SSN NOT ON EMPLOYEE MASTER", "A FIGURE WOULD GO NEGATIVE"]
    assert [line.split()[2:9] for line in individual] == [
        ["IPR-3081", "20261117.01", "11/14/2026", "04-time-reports-3081.dat", "6", "XXX-XX-7777",
         "T02"],
        ["IPR-6489", "20261117.01", "11/14/2026", "05-ipr-adjustments-6489.dat", "3",
         "XXX-XX-6789", "A12"]]
    assert any("02-reviews-adjustments-standards.dat" in line for line in lines)
    # docwalk F7: an entry rejected only with its document says so, not a blank
    codeless = [line for line in lines[2:] if line.split()[8:9] == ["-"]]
    assert codeless and all(line.endswith("-   with its document (no code of its own)")
                            for line in codeless)


def test_register_run_takes_the_register_its_listing_shows_or_a_run_id(store):
    """Docwalk F-F: the column headed RUN showed the register, and --run PCE-03-41 (read off
    it) listed nothing: it took only run ids. The column is REGISTER, and --run takes both."""
    by_register = qap("register", "-d", store, "--run", "ipr-3081").stdout.splitlines()
    assert [line.split()[2:5] for line in by_register[2:]] == [
        ["IPR-3081", "20261117.01", "11/14/2026"]]
    run_id = Store(store).history()[-1]["run_id"]
    by_run = qap("register", "-d", store, "--run", run_id).stdout.splitlines()
    assert len(by_run) == 2 + 84


def test_register_of_a_store_with_nothing_open(tmp_path):
    data = tmp_path / "data"
    assert qap("run", NATIONAL, "-d", data, "-q").exit_code == 0
    result = qap("register", "-d", data)
    assert result.exit_code == 0
    assert result.output == f"The error register in {data} has no open entries.\n"


def test_history_has_headings_and_lists_both_runs(store):
    lines = qap("history", "-d", store).stdout.splitlines()
    assert lines[0].split() == ["GEN", "PUBLISHED", "RUN", "WHAT"]
    assert [line.split()[2] for line in lines[1:]] == ["20261110.01", "20261117.01"]


# --- M10: explain gives each family of individual reasons its own fix ------------------------

def test_explain_gives_each_individual_family_its_own_resolution():
    fixes = {}
    for code in ("N01", "N02", "I01", "A12", "T03", "T02"):
        result = qap("explain", code)
        assert result.exit_code == 0
        fixes[code] = result.stdout.splitlines()[1]
    assert fixes["N01"] == fixes["N02"]
    assert "not a register entry" in fixes["N01"] and "Form 6489" in fixes["N01"]
    assert "IPR adjustment report" in fixes["A12"]
    assert "week ending (columns 25-32)" in fixes["T03"] and "reprocess" not in fixes["T03"]
    assert "employee_master.txt" in fixes["I01"]
    assert "qap reprocess" in fixes["T02"] and "Form 3081" in fixes["T02"]
    assert len({fixes[c] for c in ("N01", "I01", "A12", "T03", "T02")}) == 5


# --- M13: the lock message -------------------------------------------------------------------

def test_a_busy_store_names_the_command_holding_it_and_says_retry(store, tmp_path):
    data = _copy(store, tmp_path / "data")
    with Store(data).lock("weekly run"):
        result = qap("run", WEEK[0], "-d", data, "-q")
    assert result.exit_code == 12
    assert f"qap: state store {data} is in use by a weekly run (`qap run`, `qap reprocess` or a " \
           f"`qap flow` command) (pid {os.getpid()} on host " in result.output
    assert "nothing was done. Retry when that command has finished." in result.output
    assert "longer wait" not in result.output and "'weekly run'" not in result.output


@pytest.mark.parametrize("lock", ["store", "inbox"])
def test_flow_week_on_a_busy_data_directory_is_refused_before_prefect_starts(store, tmp_path,
                                                                             lock):
    data = _copy(store, tmp_path / "data")
    (data / "weeks").mkdir()
    held = Store(data).lock("weekly run") if lock == "store" else inbox.lock(data)
    with held:
        result = flow("week", "-d", data, "-q")
    said = {"store": f"state store {data} is in use by a weekly run",
            "inbox": "another flow run is working on this data directory"}[lock]
    assert result.exit_code == 12 and said in result.output
    assert (f"pid {os.getpid()}" in result.output) and not (data / "prefect").exists()


def test_flow_rollback_that_would_undo_a_later_run_is_refused_before_prefect(store, tmp_path):
    data = _copy(store, tmp_path / "data")
    result = flow("rollback", "20261110.01", "-d", data, "-q")
    assert result.exit_code == 12 and not (data / "prefect").exists()
    assert "would also undo 1 later generation:\n  generation 2 (20261117.01): weekly run" in (
        result.output)
    assert Store(data).current_generation() == 2


# --- L5: help -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["-h"], ["run", "-h"], ["register", "-h"],
                                  ["flow", "-h"], ["flow", "week", "-h"]])
def test_dash_h_is_help(args):
    result = qap(*args)
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize("word,usage,option", [
    ("params", "qap inventory params [--run-date YYYY-MM-DD]", "--run-date"),
    ("withdraw", "qap inventory withdraw KEY CODE --reason WHY [-d DIR]", "code 90"),
    ("corrections", "qap inventory corrections OUT [-d DIR] [--force]", "--force"),
    ("reprocess", "qap inventory reprocess DECK... [-d DIR] [--run-date YYYY-MM-DD]",
     "condition code")])
def test_each_inventory_word_has_its_own_help(word, usage, option, tmp_path):
    """docwalk 18: `qap inventory WORD --help` was the whole command's help."""
    for flag in ("--help", "-h"):
        result = qap("inventory", word, flag, "-d", str(tmp_path / "none"))
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"Usage: {usage}\n\n") and option in result.output
        assert not (tmp_path / "none").exists()  # help runs nothing
    whole = qap("inventory", "--help").output
    assert "Deck files; or `params`" in whole and "qap inventory withdraw" not in (
        qap("inventory", "params", "--help").output.split("\n\n")[1])
    assert all(max(map(len, qap("inventory", w, "-h").output.splitlines())) <= 80
               for w in ("params", "withdraw", "corrections", "reprocess"))


def test_help_paragraphs_are_not_broken_mid_sentence():
    assert reflow("Run 01, run 03,\nthen run 05.\n\nExample: qap a\n         qap b") == (
        "Run 01, run 03, then run 05.\n\nExample: qap a\n         qap b")
    for command in cli.app.registered_commands:
        assert "\n" not in command.help.split("\n\n")[0], command.name
    assert "8 a deck refused, 12 the run" in cli.app.info.help


# --- H5/M5: Ctrl-C ---------------------------------------------------------------------------

def _child(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_ctrl_c_while_the_modules_load_is_one_line_and_12(tmp_path):
    done = _child("""
        import sys

        class CtrlC:  # the interrupt arrives while polars is being imported
            def find_spec(self, name, path=None, target=None):
                if name == "polars":
                    raise KeyboardInterrupt
                return None

        sys.meta_path.insert(0, CtrlC())
        sys.argv = ["qap", "history", "-d", "data"]
        from pipelines.operator.entry import main
        main()
    """, tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (12, INTERRUPTED + "\n", "")


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_ctrl_c_during_a_run_is_one_line_and_12_and_posts_nothing(signal_name, tmp_path):
    """SIGTERM, a scheduler's stop, is taken as Ctrl-C (review 14, F8: it ended a run with
    no word and exit 143)."""
    done = _child(f"""
        import os, signal, sys, time
        import pipelines.operator.run_cli as run_cli

        def interrupted_run(*args, **kwargs):  # a real signal in the middle of the run
            os.kill(os.getpid(), signal.{signal_name})
            time.sleep(30)

        run_cli.run_week = interrupted_run
        sys.argv = ["qap", "run", {str(NATIONAL)!r}, "-d", "data", "-q"]
        from pipelines.operator.entry import main
        main()
    """, tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (12, INTERRUPTED + "\n", "")
    assert Store(tmp_path / "data").current_generation() is None


def test_ctrl_c_during_a_dry_run_removes_the_scratch_copy_it_made(tmp_path):
    """Review 14, F7: each interrupted dry run left a copy of the store beside it, unnamed."""
    done = _child(f"""
        import os, signal, sys, time
        import pipelines.operator.run_cli as run_cli

        def interrupted_run(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)

        run_cli.run_week = interrupted_run
        sys.argv = ["qap", "run", {str(NATIONAL)!r}, "-d", "data", "-q", "--dry-run"]
        from pipelines.operator.entry import main
        main()
    """, tmp_path)
    said = done.stderr.splitlines()
    assert done.returncode == 12 and said[-1] == INTERRUPTED
    assert re.fullmatch(r"qap: the interrupted dry run's scratch copy was removed: "
                        rf"{re.escape(str(tmp_path))}/data-dry-run-\w+", said[0]), said
    assert [p.name for p in tmp_path.iterdir()] == []


def test_ctrl_c_after_the_run_published_says_it_posted_with_the_runs_own_code(tmp_path):
    """Review 14, F1: a SIGINT while the run page is drawn (after the generation is current)
    said "nothing was posted" and 12 of a run that had posted; the run is in the history,
    and its decks are refused as a duplicate."""
    done = _child(f"""
        import os, signal, sys, time
        import pipelines.reports.run_page as run_page

        def interrupted_page(*args, **kwargs):  # a real SIGINT while the page is drawn
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)

        run_page.write_after_posting = interrupted_page
        sys.argv = ["qap", "run", {str(NATIONAL)!r}, "-d", "data", "-q",
                    "--run-date", "2026-11-16"]
        from pipelines.operator.entry import main
        main()
    """, tmp_path)
    data = tmp_path / "data"
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == (
        "qap: interrupted after run 20261116.01 was published (generation 1, condition code "
        f"0): it posted, and the same decks will not post again; its reports are in "
        f"{data / 'runs' / '20261116.01'}; the summary and the run page were not made "
        f"(`qap history -d {data}` lists the run)\n")
    assert [m["run_id"] for m in Store(data).history()] == ["20261116.01"]
    again = CliRunner().invoke(cli.app, ["run", str(NATIONAL), "-d", str(data), "-q"])
    assert again.exit_code == 8, again.output


def test_run_app_turns_typers_silent_130_into_the_message(monkeypatch, capsys, tmp_path):
    def interrupted_run(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_cli, "run_week", interrupted_run)
    code = cli.run_app(["run", str(NATIONAL), "-d", str(tmp_path / "data"), "-q"])
    assert code == 12 and capsys.readouterr().err == INTERRUPTED + "\n"
    assert cli.run_app(["explain", "14"]) == 0
    assert cli.run_app(["explain", "99"]) == 2


def test_run_app_says_an_unforeseen_error_in_one_line_with_16(monkeypatch, capsys):
    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.delenv("QAP_TRACEBACK", raising=False)
    monkeypatch.setattr(cli, "version_text", broken)
    assert cli.run_app(["--version"]) == 16
    assert capsys.readouterr().err == ("qap: internal error, nothing more was done: "
                                       "RuntimeError: boom (run again with QAP_TRACEBACK=1 to "
                                       "see where)\n")


def test_a_panic_of_polars_is_said_in_one_line_with_16_not_a_traceback(monkeypatch, capsys):
    """Check of session 17, Q1: a polars panic (pyo3's PanicException, a BaseException)
    passed every `except Exception` and ended the command with a traceback and exit 1."""
    import polars as pl

    def broken() -> str:
        raise pl.exceptions.PanicException("assertion failed: i < self.len()")

    monkeypatch.delenv("QAP_TRACEBACK", raising=False)
    monkeypatch.setattr(cli, "version_text", broken)
    assert cli.run_app(["--version"]) == 16
    assert capsys.readouterr().err == (
        "qap: internal error, nothing more was done: PanicException: assertion failed: i < "
        "self.len() (run again with QAP_TRACEBACK=1 to see where)\n")

def test_a_store_table_changed_from_outside_stops_register_and_run_with_12(store, tmp_path,
                                                                           capsys):
    """Review 12, F6: a table overwritten in a published generation used to become the next
    run's starting state (its 84 open entries gone); now every reader refuses it."""
    data = _copy(store, tmp_path / "data")
    table = Path(os.path.realpath(data / "current")) / "error_register.parquet"
    table.unlink()
    table.write_bytes((FIXTURES / "reference" / "ofp_consistency.txt").read_bytes())
    before = sorted(p.name for p in (data / "state" / "generations").iterdir())
    assert cli.run_app(["register", "-d", str(data)]) == 12
    assert cli.run_app(["run", WEEK[1], "-d", str(data), "-q", "--run-date",
                        "2026-11-24"]) == 12
    err = capsys.readouterr().err
    assert err.count(f"qap: table 'error_register' of generation 2 ({table}) is not the file "
                     "that was published") == 2, err
    assert "Traceback" not in err
    assert sorted(p.name for p in (data / "state" / "generations").iterdir()) == before


@pytest.mark.parametrize("option", ["--data-dir", "--reference"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_folder_option_is_2_and_makes_nothing_here(option, value, tmp_path,
                                                            monkeypatch):
    """Review 12, F4: `-d "$DIR"` with DIR unset read as the current folder, and the run
    started a store among the user's files."""
    monkeypatch.chdir(tmp_path)
    args = ["run", str(NATIONAL), "-q", option, value]
    if option != "--data-dir":
        args += ["-d", str(tmp_path / "data")]
    result = qap(*args)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output and "is empty" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("date, said", [
    ("0001-01-01", "--run-date 0001-01-01: the year must be 1900-2099"),
    ("9999-12-31", "--run-date 9999-12-31: the year must be 1900-2099"),
    ("20261117", "--run-date '20261117' is not a date YYYY-MM-DD"),
    ("2026-02-30", "--run-date '2026-02-30' is not a date YYYY-MM-DD"),
])
def test_a_run_date_that_no_run_id_can_carry_is_2(date, said, tmp_path):
    """Review 12, F3: year 1 gave run id 10101.01, year 9999 a run date every later run
    was "before"; the run date heads every report, as the HDR's dates (1900-2099) do."""
    result = qap("run", NATIONAL, "-d", tmp_path / "data", "-q", "--run-date", date)
    assert result.exit_code == 2
    assert result.output == f"qap: {said} (a usage error: nothing was run)\n"
    assert not (tmp_path / "data").exists()


def test_scratch_without_dry_run_or_inside_the_data_directory_is_2(store, tmp_path):
    """Review 12, F11: `--scratch` alone was ignored and the week posted for real."""
    data = _copy(store, tmp_path / "data")
    before = sorted(p.name for p in (data / "state" / "generations").iterdir())
    alone = qap("run", WEEK[1], "-d", data, "-q", "--scratch", tmp_path / "scratch")
    assert (alone.exit_code, alone.output) == (2, "qap: --scratch is the folder of a dry run: "
                                               "give --dry-run with it (a usage error: nothing "
                                               "was run)\n")
    inside = qap("run", WEEK[1], "-d", data, "-q", "--dry-run", "--scratch", data / "inner")
    assert inside.exit_code == 2 and f"--scratch {data / 'inner'} is inside the data " \
        "directory" in inside.output
    assert sorted(p.name for p in (data / "state" / "generations").iterdir()) == before
    assert not (tmp_path / "scratch").exists() and not (data / "inner").exists()


# --- H5: a flow that cannot complete --------------------------------------------------------

def test_a_flow_that_cannot_complete_is_failed_without_a_traceback(prefect_harness, tmp_path):
    import json
    import logging

    from prefect.client.orchestration import get_client

    records: list[logging.LogRecord] = []
    keep = logging.Handler(logging.DEBUG)
    keep.emit = records.append
    loggers = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    data = tmp_path / "data"
    (data / "inbox").mkdir(parents=True)
    shutil.copy2(NATIONAL, data / "inbox")
    for logger in loggers:
        logger.addHandler(keep)
    try:
        result = flow("week", "-d", data, "-r", tmp_path / "no-reference", "--run-date",
                      "2026-11-10", "-q")
    finally:
        for logger in loggers:
            logger.removeHandler(keep)
    assert result.exit_code == 12
    assert result.stdout.splitlines()[-1].startswith(
        "Flow condition code 12: the run could not complete - ")
    assert [r.getMessage() for r in records if r.exc_info] == []
    assert not [r for r in records if "Encountered exception" in r.getMessage()]
    assert "Traceback" not in result.output
    steps = json.loads((data / "weeks" / "2026-11-07" / "steps.json").read_text())
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(steps["attempts"][0]["flow_run_id"]).state
    assert state.type.value == "FAILED"

    # The same week again without -r: a new data directory, so the sample files, said so
    again = flow("week", "-d", data, "--run-date", "2026-11-10", "-q")
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert ("Reference: the bundled sample files (fixtures/reference), as no --reference was "
            "given; give --reference REFDIR for real data") in lines
    assert lines[-1] == "Flow condition code 0: clean"
    assert (data / "reference-folder.txt").read_text() == f"{FIXTURES / 'reference'}\n"


def _as_a_user(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """`qap ARGS` with file modes in force: as root, without the capabilities that override
    them (setpriv), as a non-root user when run as one."""
    command = [sys.executable, "-c", "from pipelines.operator.entry import main; main()", *args]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("setpriv is needed to drop root's file-mode override")
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.mark.parametrize("family", ["run", "inventory"])
def test_a_deck_that_cannot_be_read_is_refused_and_the_others_run(family, tmp_path):
    """Review 12, F16: one unreadable deck stopped the week (2 from `qap run`, 16 from
    `qap inventory`). Now it is refused (8), named with why, and the other deck runs."""
    good = NATIONAL if family == "run" else FIXTURES / "inventory" / "second-week.dat"
    locked = tmp_path / "locked.dat"
    shutil.copy2(good, locked)
    locked.chmod(0)
    done = _as_a_user([family, str(good), str(locked), "-d", str(tmp_path / "data"), "-q",
                       "--run-date", "2026-11-10" if family == "run" else "2026-05-25"],
                      tmp_path)
    assert done.returncode == 8, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stdout + done.stderr
    assert f"{locked}: cannot be read (Permission denied)" in done.stdout
    assert len(Store(tmp_path / "data").history()) == 1


@pytest.mark.parametrize("damage", [b"ref-gone\n\x00junk", b"\xff\xfe/x\n", b"a\nb\n"])
def test_a_damaged_reference_note_is_12_with_what_to_do(store, tmp_path, capsys, damage):
    """Review 12, F20: a NUL or a byte that is not UTF-8 in reference-folder.txt was a
    traceback."""
    data = _copy(store, tmp_path / "data")
    (data / "reference-folder.txt").write_bytes(damage)
    capsys.readouterr()
    assert cli.run_app(["run", WEEK[1], "-d", str(data), "-q", "--run-date", "2026-11-24"]) == 12
    assert capsys.readouterr().err == (
        f"qap: {data / 'reference-folder.txt'} does not hold a folder name (it was damaged or "
        "written by hand): give --reference once, and it is recorded again\n")


def test_a_reference_folder_that_cannot_be_read_is_12(tmp_path):
    """Review 12 (re-check, NEW-1): with the usage check gone, a reference folder of mode 000
    was an internal error (16); it is 12 naming the folder."""
    folder = tmp_path / "ref"
    shutil.copytree(FIXTURES / "reference", folder)
    folder.chmod(0)
    try:
        done = _as_a_user(["run", str(NATIONAL), "-d", str(tmp_path / "data"), "-r",
                           str(folder), "-q"], tmp_path)
    finally:
        folder.chmod(0o700)
    assert (done.returncode, done.stderr) == (12, f"qap: {folder}: the reference folder cannot "
                                             "be read (Permission denied); give a folder this "
                                             "user can read with --reference\n")


def test_a_failure_under_json_is_a_json_document_too(tmp_path):
    """Review 12, F15.13: with --json a run that could not start printed nothing on stdout,
    and a script's json.loads failed; it gets the condition code and why."""
    import json

    missing = tmp_path / "missing.dat"
    for args, said in [
            (["run", missing, "-d", tmp_path / "data", "--json"],
             f"deck {missing} not found; nothing was run"),
            (["history", "-d", tmp_path / "none", "--json"],
             NO_STORE.format(tmp_path / "none")),
            (["register", "-d", tmp_path / "none", "--json"],
             NO_STORE.format(tmp_path / "none"))]:
        result = qap(*args)
        assert result.exit_code == 12
        assert json.loads(result.stdout) == {"condition_code": 12, "error": said}
    plain = qap("run", missing, "-d", tmp_path / "data")  # the next call without --json
    assert plain.exit_code == 12 and plain.stdout == ""


def test_a_full_file_system_is_12_with_where_to_make_room_not_an_internal_error(
        monkeypatch, tmp_path):
    """Review 14, F11: "internal error ... OSError: No space left on device (os error 28)"
    and 16 on a full disk: the machine's state, not a fault; 12, saying what to do."""
    def full(*args, **kwargs):
        raise OSError("No space left on device (os error 28)")

    monkeypatch.setattr(run_cli, "run_week", full)
    result = qap("run", NATIONAL, "-d", tmp_path / "data", "-q")
    assert result.exit_code == 12
    assert re.fullmatch(
        rf"qap: the file system of {re.escape(str(tmp_path / 'data'))} is full \([0-9,]+ KiB "
        r"free\) \(OSError: No space left on device \(os error 28\)\); nothing was posted: "
        r"make room there \(a run writes its reports and a new generation of the state beside "
        r"the last one\) and run again\n", result.output), result.output


def test_quiet_flows_leave_out_the_event_senders_closing_warning():
    """Docwalk F19: `qap flow rollback ... -q` ended with Prefect's EventsWorker warning
    "Still processing items: 1 items remaining..." after the outcome."""
    import logging

    from pipelines.operator import flow_cli

    worker = logging.getLogger("EventsWorker")
    level = worker.level
    try:
        flow_cli._quiet_console()
        assert not worker.isEnabledFor(logging.WARNING)
    finally:
        worker.setLevel(level)


def _rewritten_after_the_first_part(deck: Path, monkeypatch) -> list[int]:
    """Parts of 7 lines, and `deck` rewritten once run 03 has checked the first: the calls of
    the check are counted in the list returned."""
    from pipelines.engine.qap import run03, week_parts

    monkeypatch.setattr(week_parts, "PART_LINES", 7)
    check, calls = run03.check, []

    def rewrite_after_the_first_part(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            deck.write_text(deck.read_text().replace("0", "1"))
        return check(*args, **kwargs)

    monkeypatch.setattr(run03, "check", rewrite_after_the_first_part)
    return calls

def test_a_deck_changed_while_the_run_reads_it_again_stops_it_with_12_and_posts_nothing(
        tmp_path, monkeypatch, capsys):
    """Issue 20: the map reads a deck's parts again from its file, after intake let the deck
    go; a file rewritten in between is not read as other records, and nothing posts."""
    from fixtures import generate

    generated = generate.write_inputs(tmp_path / "in", 300, seed=3)
    deck = generated["week"]
    calls = _rewritten_after_the_first_part(deck, monkeypatch)
    data = tmp_path / "data"
    assert cli.run_app(["run", str(NATIONAL), str(deck), "-d", str(data), "-q",
                        "--run-date", "2026-11-17"]) == 12
    err = capsys.readouterr().err
    assert re.fullmatch(rf"qap: {re.escape(str(deck))}: changed since intake \(the part of "
                        r"lines (\d+)-(\d+) is not what intake read; a part is compared whole, "
                        r"so the line is not known\); see what changed it \(a transfer still "
                        r"writing it\?\) and run the week again with the deck as it should be; "
                        r"nothing was posted\n", err), err  # (check of session 16, P7)
    assert calls == [1] and not (data / "current").exists()  # stopped at the second part


@pytest.mark.parametrize("given", [False, True])
def test_a_dry_run_stopped_by_a_changed_deck_removes_its_scratch_copy_or_names_it(
        tmp_path, monkeypatch, capsys, given):
    """Check of session 16, P9: a dry run stopped by a changed deck (12) left its scratch
    copy, unnamed; as when it is interrupted, the copy it made is removed (nothing in it is
    whole) and a --scratch folder is left, and each is named."""
    from fixtures import generate

    generated = generate.write_inputs(tmp_path / "in", 300, seed=3)
    deck, data = generated["week"], tmp_path / "data"
    assert cli.run_app(["run", str(NATIONAL), "-d", str(data), "-q",
                        "--run-date", "2026-11-10"]) == 0
    _rewritten_after_the_first_part(deck, monkeypatch)
    scratch = tmp_path / "mine"
    capsys.readouterr()
    assert cli.run_app(["run", str(deck), "-d", str(data), "-q", "--run-date", "2026-11-17",
                        "--dry-run", *(["--scratch", str(scratch)] if given else [])]) == 12
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 2 and said[0].startswith(f"qap: {deck}: changed since intake (the part")
    if given:
        assert said[1] == (f"qap: the dry run's scratch folder {scratch} is left as the stop "
                           "found it")
        assert scratch.is_dir()
    else:
        assert re.fullmatch(r"qap: the stopped dry run's scratch copy was removed: "
                            rf"{re.escape(str(tmp_path))}/data-dry-run-\w+", said[1]), said
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "in"]


def test_a_deck_grown_after_its_trl_while_the_run_reads_it_stops_it_with_12(
        tmp_path, monkeypatch, capsys):
    """Check of session 16, P7: a line added after the TRL while the map read the deck
    posted what intake read, though the file as it stands is refused (8); the map's last
    part of the deck now compares the file's size with intake's (a stat, not a read)."""
    from fixtures import generate
    from pipelines.engine.qap import run03, week_parts

    generated = generate.write_inputs(tmp_path / "in", 300, seed=3)
    deck = generated["week"]
    size = deck.stat().st_size
    monkeypatch.setattr(week_parts, "PART_LINES", 7)
    check, calls = run03.check, []

    def grow_after_the_first_part(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            with deck.open("a") as f:
                f.write("junk\n")
        return check(*args, **kwargs)

    monkeypatch.setattr(run03, "check", grow_after_the_first_part)
    data = tmp_path / "data"
    assert cli.run_app(["run", str(NATIONAL), str(deck), "-d", str(data), "-q",
                        "--run-date", "2026-11-17"]) == 12
    assert capsys.readouterr().err == (
        f"qap: {deck}: changed since intake (the file is {size + 5} bytes, intake read {size}: "
        "more after its TRL); see what changed it (a transfer still writing it?) and run the "
        "week again with the deck as it should be; nothing was posted\n")
    assert len(calls) > 1 and not (data / "current").exists()


def test_a_deck_gone_before_intake_reached_it_says_it_was_there_and_what_to_do(
        tmp_path, monkeypatch, capsys):
    """Check of session 16, P9: a deck deleted after the run started, before intake read it,
    was refused "file not found" (8) as if never there; the other decks post."""
    from fixtures import generate
    from pipelines.engine.machinery import intake

    generated = generate.write_inputs(tmp_path / "in", 300, seed=3)
    first, second = generate.split_week(generated["week"], 2)
    opened = intake.open_deck

    def delete_the_second(path, *args, **kwargs):
        second.unlink(missing_ok=True)
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(intake, "open_deck", delete_the_second)
    data = tmp_path / "data"
    assert cli.run_app(["run", str(NATIONAL), str(first), str(second), "-d", str(data),
                        "--run-date", "2026-11-17"]) == 8
    said = capsys.readouterr()
    assert (f"REFUSED: {second}: file not found (it was there when the run started, and was "
            "moved or deleted before intake read it); nothing of it posted: when it is found, "
            "send it again (in a run of its own: the run's other decks went on without it)\n"
            ) in said.out + said.err
    assert "correct and send them again" not in said.out + said.err  # nothing kept: 17, P8
    assert [d["deck"] for d in Store(data).read("decks").filter(
        status="posted").select("deck").to_dicts()] == ["national-defect-list.dat", first.name]


@pytest.mark.parametrize("args,stray,word", [
    (["params", "--reason", "x"], "--reason", "qap inventory params"),
    (["reprocess", "fix.dat", "--force"], "--force", "qap inventory reprocess"),
    (["withdraw", "35010103", "21", "--reason", "r", "--force"], "--force",
     "qap inventory withdraw"),
    (["corrections", "fix.dat", "--run-date", "2026-01-01"], "--run-date",
     "qap inventory corrections"),
    (["deck.dat", "--reason", "y"], "--reason", "a run of inventory decks")])
def test_an_inventory_option_of_another_word_is_a_usage_error(args, stray, word, tmp_path):
    """Check of session 16, P8: `qap inventory params --reason x` printed the parameters, the
    option ignored without a word."""
    result = qap("inventory", *args, "-d", str(tmp_path / "data"))
    assert result.exit_code == 2
    assert f"{stray} is not an option of {word} (its options: " in " ".join(
        result.output.split())
    assert not (tmp_path / "data").exists()  # nothing was run
