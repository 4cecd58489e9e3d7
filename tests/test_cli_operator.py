"""The operator's commands through the CLI: messages and condition codes, not tracebacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.engine.machinery import register
from pipelines.operator import cli
from pipelines.state.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"
runner = CliRunner()


def qap(*args: str):
    return runner.invoke(cli.app, list(args))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("cli") / "data"
    assert qap("run", str(FIXTURES / "national" / "national-defect-list.dat"), "-d", str(data),
               "-q", "--run-date", "2026-11-10").exit_code == 0
    week = sorted(str(p) for p in (FIXTURES / "sample-week").glob("*.dat"))
    assert qap("run", *week, "-d", str(data), "-q", "--run-date", "2026-11-17").exit_code == 8
    return data


@pytest.mark.parametrize("command", ["run", "demo", "reprocess", "corrections", "withdraw",
                                     "rollback", "history", "register", "explain", "layouts"])
def test_every_command_has_help(command):
    result = qap(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_history_lists_both_runs(data):
    out = qap("history", "-d", str(data)).output
    assert "20261110.01" in out and "20261117.01" in out


def test_corrections_then_withdraw_then_rollback(data, tmp_path):
    fix = tmp_path / "fix.dat"
    made = qap("corrections", str(fix), "-d", str(data))
    assert made.exit_code == 0 and fix.read_text().startswith("HDRCR")
    gone = qap("withdraw", "02-reviews-adjustments-standards.dat", "12", "--reason",
               "typing slip", "-d", str(data))
    assert gone.exit_code == 0 and "withdrawn" in gone.output
    again = qap("withdraw", "02-reviews-adjustments-standards.dat", "12", "--reason", "x",
                "-d", str(data))
    assert again.exit_code == 12 and "no open register entry" in again.output
    copy = tmp_path / "copy"
    shutil.copytree(data, copy, symlinks=True)
    before = Store(copy).current_generation()
    refused = qap("rollback", "20261117.01", "-d", str(copy))
    assert refused.exit_code == 12 and "--force" in refused.output
    assert "(withdraw-" in refused.output and "withdrew 02-reviews" in refused.output
    assert Store(copy).current_generation() == before
    back = qap("rollback", "20261117.01", "--force", "-d", str(copy))
    assert back.exit_code == 0 and "rolled back" in back.output
    assert "also undone: generation" in back.output and "withdrew" in back.output
    assert Store(copy).read("error_register").height == 0
    note = (copy / "runs" / "20261117.01" / register.ROLLED_BACK_NOTE).read_text()
    assert "rollback before run 20261117.01" in note
    unknown = qap("rollback", "19990101.01", "-d", str(copy))
    assert unknown.exit_code == 12 and "Traceback" not in unknown.output
    # Review 14, F10: the rollback undone (as `qap history` names it) puts the run back in
    # effect, and its folder no longer says it was rolled back
    undone = qap("rollback", "rollback-before:20261117.01", "-d", str(copy))
    assert undone.exit_code == 0, undone.output
    assert Store(copy).read("error_register").height > 0
    assert not (copy / "runs" / "20261117.01" / register.ROLLED_BACK_NOTE).exists()


def test_a_rollback_already_undone_says_so_and_changes_nothing(data, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(data, copy, symlinks=True)
    gone = qap("withdraw", "02-reviews-adjustments-standards.dat", "9", "--reason",
               "typing slip", "-d", str(copy))
    withdrawal = gone.output.split(" as ")[1].split(" ")[0]
    first = Store(copy).current_generation() + 1
    assert qap("rollback", withdrawal, "-d", str(copy)).exit_code == 0
    assert qap("rollback", "20261117.01", "--force", "-d", str(copy)).exit_code == 0
    again = qap("rollback", withdrawal, "-d", str(copy))
    assert again.exit_code == 0 and again.output == (
        f"qap: {withdrawal} is already rolled back: generation {first + 1} (rollback-before:"
        f"20261117.01, {Store(copy).manifest()['created'][:10]}) took it out of the state; "
        "nothing was done\n")
    twice = qap("rollback", "20261117.01", "--force", "-d", str(copy))
    assert twice.exit_code == 0 and "also undone" not in twice.output
    assert twice.output.startswith("qap: 20261117.01 is already rolled back: generation "
                                   f"{first + 1} (rollback-before:20261117.01, ")
    flow = qap("flow", "rollback", "20261117.01", "--force", "-d", str(copy))
    assert flow.exit_code == 0 and flow.output.startswith(
        "qap flow: 20261117.01 is already rolled back")  # and no flow run was started
    assert Store(copy).current_generation() == first + 1  # nothing published


def test_reprocess_of_the_open_register_deck_closes_what_now_posts(data, tmp_path):
    fix = tmp_path / "fix.dat"
    qap("corrections", str(fix), "-d", str(data))
    lines = fix.read_text().splitlines()
    # Correct the review that had " 1 2" sampled (error 11) and send only it with its header.
    header = next(t for t in lines if t.startswith("59702222A010201"))
    bad = next(t for t in lines if t.startswith("59702222A010202"))
    good = bad[:25] + "   12" + bad[30:]
    deck = tmp_path / "one.dat"
    deck.write_text("\n".join([lines[0], header, good, "TRL0000002"]) + "\n")
    result = qap("reprocess", str(deck), "-d", str(data), "-q", "--run-date", "2026-11-19")
    assert result.exit_code == 0, result.output
    assert "closed as corrected" in result.output
    register = Store(data).read("error_register")
    assert register.filter((pl.col("line_no") == 9) & (pl.col("run") == "PCE-03-41"))[
        "status"].to_list() == ["corrected"]


def test_corrections_to_a_path_it_cannot_write_says_why(data, tmp_path):
    """Review 12, F8: these were Python's own texts ("[Errno 17] File exists: 'afile'")."""
    (tmp_path / "afile").write_text("mine\n")
    (tmp_path / "folder").mkdir()
    cases = [
        (tmp_path / "afile" / "x.dat", 12,
         f"qap: {tmp_path / 'afile' / 'x.dat'}: {tmp_path / 'afile'} is a file, not a folder; "
         "nothing was written\n"),
        (tmp_path / "folder", 12, f"qap: {tmp_path / 'folder'} is a folder; give a deck file "
         f"name in it, e.g. {tmp_path / 'folder' / 'fix.dat'}\n")]
    for out, code, said in cases:
        result = qap("corrections", str(out), "-d", str(data), "--force")
        assert (result.exit_code, result.output) == (code, said)
    empty = qap("corrections", "", "-d", str(data))
    assert empty.exit_code == 2 and "is empty; give a file name" in empty.output
    assert (tmp_path / "afile").read_text() == "mine\n"


@pytest.mark.parametrize("args, code, said", [
    (["explain", "3927:"], 2, "qap: '3927:': say 3926:NN, 3927:NN, INV-10-02:NN or just NN\n"),
    (["explain", "--run", "FOO", "14"], 2, "qap: --run 'FOO' is not a run with error codes: "
     "give 3926, 3927, PCE-03-41, PCE-01-43 or INV-10-02 (sampling S.., individual data T.., "
     "A.., N.., I.. and deck notes H.. need no --run)\n"),
    # verification of review 13, NEW-5: --run names the one table looked in
    (["explain", "--run", "PCE-01-43", "99"], 2, "qap: no error code 99 on PCE-01-43\n"),
])
def test_explain_names_what_it_could_not_read(args, code, said):
    result = qap(*args)
    assert (result.exit_code, result.output) == (code, said)


def test_layouts_takes_a_record_type_in_either_case():
    assert qap("layouts", "HDR").output == qap("layouts", "hdr").output
    assert qap("layouts", "HDR").output.startswith("hdr: Deck header record\n")


def test_register_takes_a_runs_code_as_explain_does(data):
    """Review 12, F15.5: `--code 3927:05` found nothing although a PCE-01-43 05 was open."""
    both = qap("register", "-d", str(data), "--code", "05", "--json")
    one = qap("register", "-d", str(data), "--code", "3927:05", "--json")
    import json

    runs = [e["run"] for e in json.loads(one.output)["listed"]]
    assert one.exit_code == 0 and runs and set(runs) == {"PCE-01-43"}
    assert len(runs) < json.loads(both.output)["entries"]  # 05 of PCE-03-41 left out


def test_a_withdrawal_reason_is_kept_on_one_line(data, tmp_path):
    """Review 12, F15.3: a newline in --reason broke the history's table row."""
    copy = tmp_path / "data"
    shutil.copytree(data, copy, symlinks=True)
    entry = Store(copy).read("error_register").filter(pl.col("status") == "open").row(
        0, named=True)
    done = qap("withdraw", entry["deck"], str(entry["line_no"]), "--run", entry["run_id"],
               "--reason", "multi\nline\x1b[31mred", "-d", str(copy))
    assert done.exit_code == 0, done.output
    reasons = Store(copy).read("error_register")["reason"].drop_nulls().to_list()
    assert "multi line [31mred" in reasons and not any("\n" in r for r in reasons)
    empty = qap("withdraw", entry["deck"], str(entry["line_no"]), "--reason", " \n", "-d",
                str(copy))
    assert empty.exit_code == 2 and "--reason is empty" in empty.output
