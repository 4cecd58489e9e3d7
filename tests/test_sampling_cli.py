"""`qap sample ...` and the shared commands on a sampling store: condition codes, messages."""

from __future__ import annotations

import shutil

import pytest

from fixtures.sampling import make_fixtures as fx
from pipelines.operator.cli import run_app

DECKS = [str(fx.WEEK_DIR / "01-requests.dat"), str(fx.WEEK_DIR / "02-batches.dat")]


@pytest.fixture(scope="module")
def selected(tmp_path_factory):
    data = tmp_path_factory.mktemp("cli") / "data"
    code = run_app(["sample", "select", *DECKS, "-d", str(data), "-r", str(fx.REFERENCE),
                    "--run-date", "2026-01-17", "-q"])
    return data, code


def test_select_exits_4_with_records_on_the_register_and_says_conservation(selected, capsys):
    data, code = selected
    assert code == 4
    assert (data / "runs" / "20260117.01" / "pull-list.txt").is_file()


def test_select_summary_counts_used_and_rejected(tmp_path, capsys):
    code = run_app(["sample", "select", *DECKS, "-d", str(tmp_path / "d"), "-r",
                    str(fx.REFERENCE), "--run-date", "2026-01-17", "-q"])
    out = capsys.readouterr().out
    assert code == 4
    assert "Conservation: 42 records in = 24 used + 18 on the register" in out
    assert "Pulls: 16 (54 items) on 5 day(s)" in out
    assert "  pull-list.txt  (and pull-list.parquet)" in out.splitlines()  # docwalk F20
    assert "  open-register.txt" in out.splitlines()  # no twin
    assert out.rstrip().endswith("Condition code 4: records rejected (on the open error register)")


def test_log_replays_from_the_sampling_key(selected, capsys):
    data, _ = selected
    capsys.readouterr()
    code = run_app(["sample", "log", "-d", str(data), "--week", "2026-01-17", "--replay",
                    "-r", str(fx.REFERENCE)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("SMP-02")
    assert "123456789" not in out and "XXX-XX-6789" in out
    assert out.rstrip().endswith(f"Replay: 16 of 16 pulls replay from the sampling key in "
                                 f"{fx.REFERENCE}")


def test_log_replay_with_another_key_exits_4(selected, tmp_path, capsys):
    data, _ = selected
    other = tmp_path / "ref"
    shutil.copytree(fx.REFERENCE, other)
    (other / "sampling_key.txt").write_text("NOT THE SITE KEY\n")
    assert run_app(["sample", "log", "-d", str(data), "--replay", "-r", str(other)]) == 4
    assert "REPLAY: week ending 01/17/2026 pull 1: starts at" in capsys.readouterr().out


def test_log_replay_from_a_folder_without_the_key_is_12_not_a_failed_audit(selected,
                                                                           tmp_path, capsys):
    """Review 12, F19: a mistyped -r made the replay report 16 pulls that do not replay (4),
    which reads as tampering."""
    data, _ = selected
    keyless = tmp_path / "ref"
    shutil.copytree(fx.REFERENCE, keyless)
    (keyless / "sampling_key.txt").unlink()
    capsys.readouterr()
    assert run_app(["sample", "log", "-d", str(data), "--replay", "-r", str(keyless)]) == 12
    assert capsys.readouterr().err == (
        f"qap sample: no sampling_key.txt in {keyless}, and without a key 16 pull(s) do not "
        "replay: give --reference the folder that holds the key the pulls were drawn with\n")
    assert run_app(["sample", "log", "-d", str(data), "--replay", "-r",
                    str(tmp_path / "nowhere")]) == 12
    assert capsys.readouterr().err == (
        f"qap sample: reference folder {tmp_path / 'nowhere'} not found: the replay needs the "
        "folder with sampling_key.txt\n")


def test_log_of_a_week_that_does_not_end_on_a_saturday_is_2(selected, capsys):
    """Review 12, F15.16: a Friday printed an empty log, read as "nothing was pulled"."""
    data, _ = selected
    capsys.readouterr()
    assert run_app(["sample", "log", "-d", str(data), "--week", "2026-01-16"]) == 2
    assert capsys.readouterr().err == ("qap sample: --week 2026-01-16 is a Friday; a week ends "
                                       "on a Saturday (a usage error: nothing was printed)\n")


def test_register_masks_the_ssn_of_sampling_entries(selected, capsys):
    data, _ = selected
    capsys.readouterr()
    assert run_app(["register", "-d", str(data)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if "02-batches.dat" in line and "  S02  " in line]
    assert len(lines) == 1 and "XXX-XX-4321" in lines[0]
    assert lines[0].endswith("S02  SSN (columns 4-12) is not on the Employee Master File; "
                             "expected an SSN of it")


def test_explain_finds_a_sampling_code(capsys):
    assert run_app(["explain", "S21"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sample selection code S21: A QPC the employee worked with no "
                          "sample request")
    assert "Resolve: Not an error on the record" in out


def test_explain_of_an_unknown_code_names_every_table_it_looked_in(capsys):
    # review 13, R13-11: an S code was said missing from the QAP tables only
    assert run_app(["explain", "S99"]) == 2
    assert capsys.readouterr().err.strip() == (
        "qap: no error code S99 on SAMPLING, IPR-3081, IPR-6489, DATA NOT POSTED, "
        "INDIVIDUAL DATA, PCE-03-41, PCE-01-43 (an RO inventory code: --run INV-10-02)")


def test_a_bad_hqw_line_stops_the_run_with_12_naming_file_line_and_column(tmp_path, capsys):
    ref = tmp_path / "ref"
    shutil.copytree(fx.REFERENCE, ref)
    (ref / "hqw.txt").write_text("81140410443000X9800\n")
    code = run_app(["sample", "select", *DECKS, "-d", str(tmp_path / "d"), "-r", str(ref),
                    "-q"])
    err = capsys.readouterr().err
    assert code == 12
    assert f"{ref / 'hqw.txt'}, line 1, column 15: grade (columns 14-15) is \"0X\"" in err
    assert not (tmp_path / "d" / "current").exists()


def test_table_prints_the_generated_three_digit_table_with_its_seed(capsys):
    assert run_app(["sample", "table", "--digits", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "# seed: QAP IRM 3.30.28-3 three-digit table" in out
    assert len([line for line in out if line and not line.startswith("#")]) == 40


def test_log_without_a_store_is_12(tmp_path, capsys):
    assert run_app(["sample", "log", "-d", str(tmp_path / "none")]) == 12
    assert "no QAP data directory" in capsys.readouterr().err


def test_every_sampling_code_command_and_output_is_documented():
    from pathlib import Path

    from pipelines.engine.sampling.selection import TABLES
    from pipelines.operator.sample_cli import sample_app
    from validators.codes import CODES, RUN_SAMPLING

    docs = Path(__file__).parents[1] / "docs"
    sampling, outputs = (docs / "sampling.md").read_text(), (docs / "outputs.md").read_text()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for run, code in CODES:
        if run == RUN_SAMPLING:
            assert code in sampling, code
    for command in sample_app.registered_commands:
        assert f"qap sample {command.name}" in sampling, command.name
    for table in TABLES:
        assert f"**{table}.parquet**" in outputs, table
    for name in ("pull-list", "sampling-log", "sampling-week", "sampling-findings"):
        assert f"**{name}.parquet**" in outputs and f"`{name}.txt`" in outputs, name
    assert "./go sample select" in readme and "./go sample walk" in readme


def test_a_sampling_key_others_can_read_is_said_in_the_summary(tmp_path, capsys):
    ref = tmp_path / "ref"
    shutil.copytree(fx.REFERENCE, ref)
    (ref / "sampling_key.txt").chmod(0o644)
    run_app(["sample", "select", *DECKS, "-d", str(tmp_path / "d"), "-r", str(ref), "-q"])
    assert (f"Note: {ref / 'sampling_key.txt'} can be read by others (mode 644): the starts "
            "it draws can be foreseen; make it owner-only (chmod 600)") in capsys.readouterr().out
    (ref / "sampling_key.txt").chmod(0o600)
    run_app(["sample", "select", *DECKS, "-d", str(tmp_path / "e"), "-r", str(ref), "-q"])
    assert "can be read by others" not in capsys.readouterr().out
