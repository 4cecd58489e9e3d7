"""The benchmark (tests/bench/weekly.py) keeps working: a tiny week through every measurement,
its one JSON line holding issue 20's figures; and the DuckDB peer flags exactly the records its
nine checks name. No timing is asserted here (figures live in docs/performance.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from layouts.encode import deck, record
from tests.bench import duckdb_peer

ROOT = Path(__file__).resolve().parents[1]
LINES = 3000
REQUIRED = ("parse_floor_s", "outputs_floor_s", "outputs_floor_cpu_s", "full_s", "full_cpu_s",
            "ratio_outputs_cpu", "peak_rss_mib", "qap_process_s", "duckdb_peer_s", "ratio_peer")
HEADER, LINE = "prefix+form3926_header", "prefix+form3926_line"


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> tuple[dict, Path]:
    """One bench run of a 3,000-line week (no warm-up: that only compiles bytecode)."""
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run([sys.executable, "-m", "tests.bench.weekly", "--json", "--lines",
                           str(LINES), "--runs", "1", "--no-warm-up", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), out


def _records_in(path: Path) -> int:
    """The record count its TRL states (the generator's national deck: one per Form 3927)."""
    trl = path.read_text().splitlines()[-1]
    assert trl.startswith("TRL")
    return int(trl[3:10])


def test_bench_json_holds_every_figure_issue_20_names(bench):
    figures, _ = bench
    for key in REQUIRED:
        assert isinstance(figures[key], float) and figures[key] > 0, key
    assert figures["lines"] == LINES and figures["runs"] == 1
    for key in ("parse_floor_s", "outputs_floor_s", "full_s", "full_cpu_s", "qap_process_s",
                "duckdb_peer_s"):
        assert figures["each"][key] == [figures[key]], key  # one run: the median is that run


def test_bench_ratios_are_the_quotients_of_their_parts(bench):
    figures, _ = bench
    assert figures["ratio_outputs_cpu"] == pytest.approx(
        figures["full_cpu_s"] / figures["outputs_floor_cpu_s"])
    assert figures["ratio_peer"] == pytest.approx(
        figures["qap_process_s"] / figures["duckdb_peer_s"])
    assert figures["pass"] == {"ratio_outputs_cpu": figures["ratio_outputs_cpu"] <= 2.5,
                               "ratio_peer": figures["ratio_peer"] <= 1.5,
                               "peak_rss_mib": figures["peak_rss_mib"] <= 1024}


def test_bench_counts_are_the_generated_week_and_conserve(bench):
    figures, out = bench
    assert figures["records_in"] == LINES + _records_in(out / "national.dat") == LINES + 310
    assert figures["posted"] + figures["rejected"] == figures["records_in"]
    assert figures["rejected"] > 0 and figures["condition_code"] == 4  # rejected on purpose
    assert figures["qap_condition_codes"] == [4]  # the whole qap process ran the same week


def test_bench_sizes_are_sensible(bench):
    figures, _ = bench
    assert 50 < figures["peak_rss_mib"] < 1024  # a 3,000-line week, in a child of its own
    assert figures["full_s"] < figures["qap_process_s"]  # the process holds the run and more
    assert 0 < figures["duckdb_peer_failing_rows"] <= figures["rejected"]


def test_bench_leaves_its_files_owner_only(bench):
    _, out = bench
    for path in (out / "week.dat", out / "outputs-floor" / "printed.txt"):
        assert path.stat().st_mode & 0o077 == 0, path


def _peer_deck() -> str:
    good = {"program_number": "59702", "format_code": "222", "block": "000", "serial": "00"}
    head = {**good, "section": "01", "week_ending": "11142026", "defect_list": "000",
            "org_code": "29029", "function_code": "361", "program_code": "77216"}
    return deck([
        record(HEADER, **head),                                              # 2 clean
        record(LINE, **good, section="02", ssn="373885174", sampled="    4"),  # 3 clean
        record(LINE, **good, section="03", ssn="373885175", sampled="   X4"),  # 4: 11
        record(LINE, **good, section="04", defect_code="12A", defects="    1"),  # 5: 15
        record(HEADER, **{**head, "org_code": "A9029", "quality_standard": "12"}),  # 6: 03 07
        record(HEADER, **{**head, "function_code": "AB1", "program_code": "7721",
                          "week_ending": "02302026"}),                       # 7: 04 05 36w
        record(HEADER, **{**head, "program_number": "59999"}),               # 8: 36p
        record(LINE, **good, section="13"),                                  # 9: 36s
        record(LINE, **{**good, "program_number": "59706"}, section="02",
               sampled="0001{", defect_code="101", defects="0001{"),         # 10 clean
    ])


def test_duckdb_peer_flags_exactly_the_lines_its_nine_checks_name(tmp_path):
    path = tmp_path / "peer.dat"
    path.write_text(_peer_deck())
    assert duckdb_peer.main([str(path), str(tmp_path / "out")]) == 0
    target = tmp_path / "out" / "errors.parquet"
    rows = duckdb.sql(f"SELECT line_no, codes FROM '{target}' ORDER BY line_no").fetchall()
    assert rows == [(4, "11"), (5, "15"), (6, "03 07"), (7, "04 05 36w"), (8, "36p"),
                    (9, "36s")]
    assert len(duckdb_peer.CHECKS) == 9
    assert target.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700


def test_duckdb_peer_without_a_deck_says_so(tmp_path, capsys):
    assert duckdb_peer.main([str(tmp_path / "none.dat"), str(tmp_path / "out")]) == 2
    assert "deck" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_duckdb_peer_runs_as_a_plain_script(tmp_path):
    path = tmp_path / "peer.dat"
    path.write_text(_peer_deck())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "bench" / "duckdb_peer.py"),
                           str(path), str(tmp_path / "out")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("duckdb_peer: 6 failing row(s) to ")
