"""CLI habits (issue 19 item 7): --version, --json on run/register/history, the register's
filters, and `qap run --dry-run`, which checks and prints everything and publishes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.operator import cli

FIXTURES = Path(__file__).parent.parent / "fixtures"
NATIONAL = str(FIXTURES / "national" / "national-defect-list.dat")
WEEK = sorted(str(p) for p in (FIXTURES / "sample-week").glob("*.dat"))
GOLDEN = Path(__file__).parent / "golden" / "sample_week"
runner = CliRunner()


def qap(*args: str):
    return runner.invoke(cli.app, list(args))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("habits") / "data"
    assert qap("run", NATIONAL, "-d", str(data), "-q", "--run-date", "2026-11-10").exit_code == 0
    week = qap("run", *WEEK, "-d", str(data), "-q", "--run-date", "2026-11-17", "--json")
    assert week.exit_code == 8
    assert week.output.lstrip().startswith("{"), week.output[:2000]
    return data, json.loads(week.output)


def test_version_prints_the_installed_version():
    out = qap("--version")
    assert out.exit_code == 0 and out.output == f"qap {version('qap-pipeline')}\n"


def test_version_answers_before_polars_loads():
    code = ("import sys\nsys.argv = ['qap', '--version']\nfrom pipelines.operator import entry\n"
            "try:\n    entry.main()\nexcept SystemExit as done:\n"
            "    print(done.code, 'polars' in sys.modules, 'duckdb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out == f"qap {version('qap-pipeline')}\n0 False False\n"


def test_run_json_is_one_document_with_the_summarys_figures(data):
    _, doc = data
    assert (doc["run_id"], doc["condition_code"], doc["published"], doc["dry_run"]) == (
        "20261117.01", 8, True, False)
    assert doc["conservation"] == {"records_in": 103, "posted": 19, "on_a_register": 84,
                                   "holds": True, "held_back": 2, "refused_decks": 1}
    assert [(d["status"], d["records"], d["posted"], d["rejected"]) for d in doc["decks"]] == [
        ("accepted", 26, 6, 20), ("accepted", 70, 8, 62), ("refused", 2, 0, 0),
        ("accepted", 5, 4, 1), ("accepted", 2, 1, 1)]
    assert doc["error_codes"]["IPR-3081"] == {"T02": 1}
    assert doc["error_codes"]["PCE-03-41"]["14"] == 1 and doc["warnings"] == 1
    assert len(doc["reports"]) == 13 and doc["still_open"] == 84
    assert set(doc["reports"]) == {p.name for p in Path(doc["run_dir"]).glob("*.txt")}


def test_history_json_has_the_figures_the_text_lists(data):
    folder, _ = data
    doc = json.loads(qap("history", "-d", str(folder), "--json").output)
    text = qap("history", "-d", str(folder)).output.splitlines()[1:]
    assert [g["run_id"] for g in doc["generations"]] == ["20261110.01", "20261117.01"]
    assert doc["generations"][1]["figures"] == {"condition_code": 8, "records_in": 103,
                                                "posted": 19, "rejected": 84}
    for line, generation in zip(text, doc["generations"], strict=True):
        assert line.split()[0] == str(generation["generation"])
        assert line.endswith(generation["what"])


def test_register_filters_by_code_deck_and_run(data):
    folder, _ = data
    by_code = qap("register", "-d", str(folder), "--code", "14").output.splitlines()
    assert by_code[0].endswith(": 1 open entry (code 14)")
    assert by_code[2].split()[3:8] == ["20261117.01", "11/14/2026",
                                       "02-reviews-adjustments-standards.dat", "12", "102"]
    by_deck = qap("register", "-d", str(folder), "--deck", str(FIXTURES / "sample-week" /
                                                               "04-time-reports-3081.dat"))
    assert "1 open entry (deck " in by_deck.output and "XXX-XX-7777" in by_deck.output
    other_run = qap("register", "-d", str(folder), "--run", "20261110.01")
    assert other_run.output == (f"The error register in {folder} has no open entries "
                                "(run 20261110.01).\n")
    doc = json.loads(qap("register", "-d", str(folder), "--code", "9", "--json").output)
    assert doc["entries"] == len(doc["listed"]) == 7  # 09 on PCE-01-43 and PCE-03-41
    assert all("09" in e["error_codes"] for e in doc["listed"])
    assert all(e["ssn"] is None or e["ssn"].startswith("XXX-XX-") for e in doc["listed"])


def test_register_all_lists_closed_entries_with_their_status(tmp_path):
    data = tmp_path / "data"
    assert qap("run", NATIONAL, "-d", str(data), "-q", "--run-date", "2026-11-10").exit_code == 0
    assert qap("run", *WEEK, "-d", str(data), "-q", "--run-date", "2026-11-17").exit_code == 8
    assert qap("withdraw", "02-reviews-adjustments-standards.dat", "12", "--reason", "test",
               "-d", str(data)).exit_code == 0
    assert qap("register", "-d", str(data), "--code", "14").output.startswith(
        "The error register")  # no open entry with 14 any more
    every = qap("register", "-d", str(data), "--code", "14", "--all").output.splitlines()
    assert every[0].endswith(": 1 entry, 0 open (code 14)")
    assert every[1].startswith("STATUS      OPENED") and every[2].startswith("withdrawn   11/17")
    doc = json.loads(qap("register", "-d", str(data), "--all", "--json").output)
    assert (doc["entries"], doc["open"]) == (84, 83)


def _tree(folder: Path) -> dict[str, str]:
    """Every path under `folder` with its content hash (or link target): the state to keep."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                seen[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[rel] = "dir"
    return seen


def test_dry_run_prints_every_report_in_scratch_and_publishes_nothing(tmp_path):
    data, scratch = tmp_path / "data", tmp_path / "scratch"
    assert qap("run", NATIONAL, "-d", str(data), "-q", "--run-date", "2026-11-10").exit_code == 0
    before = _tree(data)
    out = qap("run", *WEEK, "-d", str(data), "-q", "--run-date", "2026-11-17", "--dry-run",
              "--scratch", str(scratch))
    assert out.exit_code == 8
    assert f"Dry run: nothing was published in {data}" in out.output
    assert _tree(data) == before  # no generation, run folder, refused copy or note
    reports = scratch / "runs" / "20261117.01"
    assert len(list(reports.glob("*.txt"))) == 13
    for name in ("pce-01-43", "posting-3927", "pce-03-41", "posting-3926"):
        assert (reports / f"{name}.txt").read_text() == (GOLDEN / f"{name}.txt").read_text()
    history = qap("history", "-d", str(data)).output.splitlines()
    assert len(history) == 2 and "20261110.01" in history[1]
    # The real run then gets the run id and figures the dry run showed.
    real = qap("run", *WEEK, "-d", str(data), "-q", "--run-date", "2026-11-17", "--json")
    assert real.exit_code == 8 and json.loads(real.output)["run_id"] == "20261117.01"
    assert sorted(p.name for p in reports.iterdir()) == sorted(
        p.name for p in (data / "runs" / "20261117.01").iterdir())


def test_dry_run_json_says_nothing_was_published(data, tmp_path):
    folder, _ = data
    out = qap("run", *WEEK, "-d", str(folder), "-q", "--run-date", "2026-11-24", "--dry-run",
              "--scratch", str(tmp_path / "s"), "--json")
    assert out.output.lstrip().startswith("{"), out.output[:3000]
    doc = json.loads(out.output)
    assert (doc["dry_run"], doc["published"], doc["generation"]) == (True, False, None)
    assert [d["status"] for d in doc["decks"]] == ["duplicate", "duplicate", "refused",
                                                   "duplicate", "duplicate"]
    assert qap("history", "-d", str(folder)).output.count("\n") == 3


def test_dry_run_refuses_a_scratch_folder_that_is_not_empty(data, tmp_path):
    folder, _ = data
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x").write_text("x")
    out = qap("run", WEEK[0], "-d", str(folder), "-q", "--dry-run", "--scratch",
              str(tmp_path / "s"))
    assert out.exit_code == 12 and "is not empty" in out.output
