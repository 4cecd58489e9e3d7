"""Record checks 01-14 of run INV-10-02 (spec 5.1) and the fixture decks built from the spec."""

from __future__ import annotations

import inspect
import re

import polars as pl
import pytest

from fixtures.inventory import build_inventory
from tests.inventory_helpers import BAD, FIXTURES, ROOT, WORKED, checked
from validators import inv_10_02
from validators.codes import CODES, RUN_INV, lookup

SPEC = next((p / "shared" / "spec" / "inventory.md" for p in ROOT.parents
             if (p / "shared" / "spec" / "inventory.md").exists()), ROOT / "missing.md")


@pytest.mark.parametrize("name", list(build_inventory.FILES))
def test_committed_fixture_equals_what_the_builder_writes(name):
    assert (FIXTURES / name).read_text() == build_inventory.FILES[name]()


def test_worked_example_deck_holds_the_spec_sample_lines_verbatim():
    lines = WORKED.read_text().splitlines()
    assert lines[0] == "HDR350516202605182026060000001"
    assert lines[-1] == "TRL0000206"
    for sample in (
        "ROR35010103CCCCCCRUZ                CARLA          12FA05022022",
        "CASE0000000823501010313B  06012024 060120241201012030         06022025F"
        "                        M1102202512YY Y      A A         A",
        "CASE0000000913501010312B  01052026 01052026  01012030         06022025F    Y Q",
    ):
        assert sample in lines


def test_one_bad_line_per_record_code_each_rejected_with_exactly_its_code():
    result, _ = checked(BAD)
    every = result.every
    rejected = every.filter("rejected").select("line_no", "error_codes").rows()
    # HDR is line 1; the three good records are lines 2-4; one bad line each from line 5
    assert rejected == [(n + 4, [f"{n:02d}"]) for n in range(1, 15)]
    assert every.filter(~pl.col("rejected"))["line_no"].to_list() == [2, 3, 4]


def test_worked_example_rejects_only_case_199_with_code_08():
    result, _ = checked(WORKED)
    bad = result.every.filter("rejected")
    assert bad.select("control_number", "error_codes").rows() == [("E000000199", ["08"])]


def test_every_record_code_has_a_check_and_a_row_with_meaning_and_fix():
    rules = inv_10_02.ROSTER_RULES + inv_10_02.CASE_RULES + inv_10_02.FORECAST_RULES
    emitted = {r.code for r in rules} | set(re.findall(r'"(\d\d)"', inspect.getsource(
        inv_10_02.check)))
    assert emitted == {f"{n:02d}" for n in range(1, 15)}
    for code in emitted:
        row = lookup(RUN_INV, code)
        assert row.severity == "R" and row.meaning and row.resolution


def test_inventory_condition_codes_match_the_spec_severities():
    text = SPEC.read_text() if SPEC.exists() else ""
    table = dict(re.findall(r"^\| (\d\d) \| ([EWI]) \|", text, flags=re.M))
    if not table:
        pytest.skip("shared/spec/inventory.md not beside the repository")
    ours = {c.code: c.severity for c in CODES.values() if c.run == RUN_INV and c.severity != "R"}
    assert ours == table


def test_every_inventory_condition_code_is_triggered_by_a_fixture():
    from tests.inventory_helpers import HOLIDAY, evaluated

    found = set(evaluated().flags["code"]) | set(evaluated(HOLIDAY).flags["code"])
    table = {c.code for c in CODES.values() if c.run == RUN_INV and c.severity != "R"}
    assert found == table


def test_qap_explain_knows_the_inventory_codes_by_run():
    from typer.testing import CliRunner

    from pipelines.operator.cli import app

    for args in (["explain", "--run", "INV-10-02", "64"], ["explain", "INV-10-02:64"]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0, out.output
        assert out.output.startswith("INV-10-02 (RO inventory, severity E) error 64: Queue "
                                     "blocked (d): CSED fewer than 195 days away.")
    out = CliRunner().invoke(app, ["layouts", "ro_case"])
    assert out.exit_code == 0 and "case_id                          4   13   10  text" in out.output


def test_an_ebcdic_deck_gives_the_same_records_and_codes(tmp_path):
    from tests.inventory_helpers import evaluated

    lines = WORKED.read_text().splitlines()
    ebcdic = tmp_path / "worked.ebc"
    ebcdic.write_bytes(b"".join(line.ljust(132).encode("cp037") for line in lines))
    text_result, ebc_result = checked(WORKED)[0].every, checked(ebcdic)[0].every
    assert ebc_result.select("line_no", "error_codes").equals(
        text_result.select("line_no", "error_codes"))
    assert evaluated(ebcdic).flags.select("code", "key").equals(
        evaluated().flags.select("code", "key"))
