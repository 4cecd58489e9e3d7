"""The error-code table, the checks and the docs agree."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path

import polars as pl

from pipelines.engine.qap import weekly
from pipelines.operator import cli
from validators import codes, ipr_3081, ipr_6489, not_posted, pce_01_43, pce_03_41
from validators.codes import CODES, RUN_3926, RUN_3927, issued

ROOT = Path(__file__).parent.parent


def _emitted(module, rules) -> set[str]:
    by_rule = {r.code for r in rules}
    by_join = set(re.findall(r'"(\d\d)"', inspect.getsource(module)))
    return by_rule | by_join


def test_every_issued_3927_code_has_a_check_and_every_check_is_in_the_table():
    emitted = _emitted(pce_01_43, pce_01_43.HEADER_RULES + pce_01_43.LINE_RULES)
    assert set(issued(RUN_3927)) <= emitted
    assert {r.code for r in pce_01_43.HEADER_RULES + pce_01_43.LINE_RULES} <= set(
        issued(RUN_3927))


def test_every_issued_3926_code_outside_the_cum_file_has_a_check():
    rules = pce_03_41.HEADER_RULES + pce_03_41.LINE_RULES
    emitted = _emitted(pce_03_41, rules)
    cum = {c.code for c in CODES.values() if c.run == RUN_3926 and c.needs_cum_file}
    assert set(issued(RUN_3926)) - cum <= emitted
    assert {r.code for r in rules} <= set(issued(RUN_3926))


def test_retired_codes_are_never_issued():
    assert "01" not in issued(RUN_3926) and "02" not in issued(RUN_3926)
    assert "01" not in issued(RUN_3927)


def test_every_cli_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for command in cli.app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"./go {name}" in readme or f"qap {name}" in readme, name


def test_every_output_is_documented():
    doc = (ROOT / "docs" / "outputs.md").read_text()
    source = inspect.getsource(weekly)
    for name in re.findall(r'\("([a-z0-9-]+)", rows', source):
        assert f"`{name}.txt`" in doc, name
    for table in re.findall(r'gen\.write\("([a-z_]+)"', source):
        assert f"**{table}.parquet**" in doc, table


def test_docs_error_codes_is_generated_from_the_table_and_not_stale():
    doc = (ROOT / "docs" / "error-codes.md").read_text()
    assert doc == codes.markdown(), (
        "docs/error-codes.md is stale: python3 -m uv run python -m validators.codes "
        "docs/error-codes.md")


def test_every_code_of_every_family_is_in_the_one_table_with_meaning_and_fix():
    runs = {c.run for c in CODES.values()}
    assert runs == {RUN_3926, RUN_3927, *codes.INDIVIDUAL_RUNS, codes.RUN_SAMPLING, codes.RUN_INV,
                    codes.RUN_DECK}
    for entry in CODES.values():
        assert entry.meaning and entry.resolution, entry
        assert f"| {entry.code} |" in codes.markdown()


def test_form_3081_and_6489_and_not_posted_rules_issue_exactly_the_table_codes():
    ssns = pl.Series(["123456789"])
    t_rules = {r.code for r in ipr_3081.rules([dt.date(2026, 1, 3)], ssns, ofp_known=True)}
    assert t_rules == set(issued(codes.RUN_3081))
    a_rules = {r.code for r in ipr_6489.static_rules(True, True) + ipr_6489.cum_rules(["x"])}
    assert a_rules == set(issued(codes.RUN_6489))
    n_rules = {r.code for r in not_posted.rules(pl.lit(True))}
    assert n_rules == set(issued(codes.RUN_NOT_POSTED))


def test_an_i01_on_the_3081_register_is_described_by_the_step_entry():
    entry = codes.describe(codes.RUN_3081, "I01")
    assert entry is not None and entry.meaning == "NO EMPLOYEE MASTER FILE"
    assert codes.describe(RUN_3926, "99") is None
