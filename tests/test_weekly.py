"""The weekly validation run end to end on the bundled sample week."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from golden_files import assert_golden
from typer.testing import CliRunner

from fixtures.build_sample_week import FILES
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator import cli
from pipelines.operator.runs import run_week
from pipelines.reports import summary
from validators.codes import CODES, RUN_3926, RUN_3927, RUN_DECK, issued

FIXTURES = Path(__file__).parent.parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden" / "sample_week"
REFERENCE = FIXTURES / "reference"
WEEK_DECKS = sorted((FIXTURES / "sample-week").glob("*.dat"))


def _run(data: Path, decks: list[Path], day: dt.date):
    return run_week(decks, data, load_reference(REFERENCE), day)


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    data = tmp_path_factory.mktemp("week")
    first = _run(data, [FIXTURES / "national" / "national-defect-list.dat"],
                 dt.date(2026, 11, 10))
    second = _run(data, WEEK_DECKS, dt.date(2026, 11, 17))
    return data, first, second


def test_committed_fixtures_equal_what_the_builder_writes():
    for name, build in FILES.items():
        assert (FIXTURES / name).read_text() == build(), name


def test_initial_load_posts_the_national_list_cleanly(week):
    _, first, _ = week
    assert first.condition_code == 0 and first.rejected == 0 and first.posted == 48


def test_sample_week_triggers_every_code_it_can_on_an_empty_cum_file(week):
    _, _, result = week
    assert set(result.codes[RUN_3927]) == set(issued(RUN_3927))
    # The IRM adjustment example meets an empty Cumulative Data File: its -12 defective is 28
    # and its three codes have no cum rows (32); the adjustments rejected for other codes have
    # no row for their OFP either (26). 26-33 in full: tests/test_cum_file.py.
    not_here = {"27", "29", "30", "31", "33"}
    assert set(result.codes[RUN_3926]) == set(issued(RUN_3926)) - not_here
    assert result.codes["IPR-3081"] == {"T02": 1} and result.codes["IPR-6489"] == {"A12": 1}


def test_sample_week_counts_and_conservation(week):
    _, _, result = week
    assert [d.status for d in result.decks] == ["accepted", "accepted", "refused", "accepted",
                                                "accepted"]
    assert (result.records_in, result.posted, result.rejected) == (103, 19, 84)
    assert result.records_in == result.posted + result.rejected
    assert result.condition_code == 8 and result.warnings == 1


def test_a_refused_decks_records_are_counted_and_held_back_beside_the_conservation_check(
        week, tmp_path):
    _, _, result = week
    assert (result.decks[2].records, result.held_back) == (2, 2)  # TRL says 3, it holds 2
    text = summary.render(result).splitlines()
    row = next(t for t in text if "03-cut-short.dat" in t and not t.startswith("REFUSED"))
    assert row.endswith("03-cut-short.dat refused           2       0        0")
    assert ("Conservation: 103 records in = 19 posted + 84 on a register; 2 held back in 1 "
            "refused deck") in text
    unreadable = tmp_path / "unreadable.dat"
    unreadable.write_bytes(b"HDR\xff\n")
    again = _run(tmp_path / "d", [WEEK_DECKS[2], unreadable], dt.date(2026, 11, 17))
    lines = summary.render(again).splitlines()
    row = next(t for t in lines if "unreadable.dat" in t and not t.startswith("REFUSED"))
    assert row.endswith("unreadable.dat refused           -       0        0")  # not counted
    assert ("Conservation: 0 records in = 0 posted + 0 on a register; 2 held back in 2 refused "
            "decks (1 could not be read as records: not counted)") in lines


def test_refused_deck_is_kept_for_resubmission_and_nothing_of_it_posts(week):
    data, _, result = week
    assert (data / "refused" / "03-cut-short.dat").read_bytes() == WEEK_DECKS[2].read_bytes()
    register = pl.read_parquet(data / "current" / "error_register.parquet")
    assert "03-cut-short.dat" not in register["deck"].to_list()
    assert result.decks[2].posted == 0 and result.decks[2].rejected == 0


@pytest.mark.parametrize("name", ["pce-01-43", "posting-3927", "pce-03-41", "posting-3926",
                                  "quality-standards"])
def test_printed_listings_match_golden(week, name):
    _, _, result = week
    assert_golden(result.outputs[name].read_text(), GOLDEN / f"{name}.txt")


def test_every_page_of_every_report_names_the_run(week):
    _, _, result = week
    printed = [p for p in result.outputs.values() if p.suffix == ".txt"]
    assert len(printed) == 13  # 11 + Defect Frequency, QA Unit/Group
    for path in printed:
        seconds = [page.split("\n")[1] for page in path.read_text().split("\f")]
        assert all(ln.startswith("RUN DATE 11/17/2026  RUN ID 20261117.01 ")
                   for ln in seconds), path.name


@pytest.mark.parametrize(("name", "last_head"), [
    ("pce-01-43", "ERROR CODES"), ("pce-03-41", "ERROR CODES"), ("posting-3926", "WARNING")])
def test_listings_fit_132_columns_and_codes_sit_under_their_heading(week, name, last_head):
    _, _, result = week
    lines = [ln.lstrip("\f") for ln in result.outputs[name].read_text().split("\n")]
    assert max(len(ln) for ln in lines) <= 132
    at = next(ln for ln in lines if ln.startswith("CTRL")).index(last_head)
    # a 36 or 09 is followed by its sub-reason (validators/codes.py SUB_REASONS)
    codes = re.compile(r"^(\d\d( \d\d)*(  [A-Z0-9 #/;'-]+)?|W LOCAL DEFECT CODE)$")
    detail = [ln for ln in lines if ln[:3].isdigit() and len(ln) > at]
    assert detail and all(codes.match(ln[at:]) for ln in detail)


def test_data_not_posted_names_the_deck_file_of_each_deck_number(week):
    _, _, result = week
    text = result.outputs["data-not-posted_11142026.txt"].read_text()
    row = next(ln for ln in text.splitlines() if ln.startswith("3081"))
    assert row.split()[1:3] == ["2", "6"]  # deck 2 (the third accepted deck), line 6
    assert text.endswith("\n\nDECK    2 IS 04-time-reports-3081.dat\n")
    rows = pl.read_parquet(result.outputs["data-not-posted_11142026.parquet"])
    assert rows.select("deck_no", "deck", "line_no").rows() == [
        (2, "04-time-reports-3081.dat", 6)]
    assert WEEK_DECKS[3].read_text().splitlines()[5].startswith("59600073")
    adjustments = pl.read_parquet(result.outputs["ipr-adjustments_11142026.parquet"])
    assert set(adjustments["deck"]) == {"05-ipr-adjustments-6489.dat"}


def test_summary_names_each_report_and_says_which_have_parquet(week):
    _, _, result = week
    text = summary.render(result)
    assert "\n  pce-03-41.txt  (and pce-03-41.parquet)\n" in text
    assert "\n  quality-standards.txt\n" in text
    assert f"Open error register: {result.still_open} entries still open" in text
    assert "(ies)" not in text and "(s)" not in text


def test_run_folder_and_refused_decks_are_owner_only(week):
    data, _, result = week
    assert result.run_dir.stat().st_mode & 0o777 == 0o700
    assert (data / "refused").stat().st_mode & 0o777 == 0o700


def test_state_after_the_week(week):
    data, _, _ = week
    dcf = pl.read_parquet(data / "current" / "defect_codes.parquet")
    codes = set(dcf["defect_code"].to_list())
    assert "640" in codes and "130" not in codes and "101" in codes
    assert dcf.filter(pl.col("defect_code") == "102")["description"][0] == (
        "NATIONAL DEFECT 102 REWORDED")
    qs = pl.read_parquet(data / "current" / "quality_standards.parquet")
    assert qs.select("org_code", "function_code", "program_code", "standard",
                     "below_minimum").rows() == [("81000", "410", "44210", 9500, False),
                                                  ("81000", "420", "11220", 100, True)]


def test_parquet_outputs_read_back_with_duckdb(week):
    _, _, result = week
    path = result.run_dir / "pce-03-41.parquet"
    rows = duckdb.sql(f"select line_no, error_codes from '{path}' where line_no = 9").fetchall()
    assert rows == [(9, ["11"])]
    total = duckdb.sql(f"select count(*) from '{result.run_dir / 'posting-3926.parquet'}'")
    assert total.fetchall() == [(8,)]


def test_same_deck_posted_twice_is_refused_as_duplicate(week, tmp_path):
    data, _, _ = week
    copy = tmp_path / "renamed.dat"
    shutil.copy(WEEK_DECKS[1], copy)
    again = _run(data, [copy], dt.date(2026, 11, 18))
    assert [d.status for d in again.decks] == ["duplicate"]
    assert "duplicate deck" in again.decks[0].reason and again.condition_code == 8
    assert again.posted == 0 and again.rejected == 0


runner = CliRunner()


def test_cli_help_lists_every_command():
    out = runner.invoke(cli.app, ["--help"]).output
    for command in ("run", "demo", "explain", "layouts"):
        assert command in out


def test_cli_explain_gives_meaning_and_resolution():
    out = runner.invoke(cli.app, ["explain", "3927:06"]).output
    assert "PCE-01-43" in out and "deleted earlier in this run" in out and "Resolve:" in out


@pytest.mark.parametrize(("content", "message"), [
    (b"", "file is empty"),
    (b"\x00\xff\x10garbage", "not printable ASCII"),
    (b"HDRSC111420261116202606000001\n" + b"5" * 10_000_000 + b"\nTRL0000001\n",
     "column 133"),
])
def test_cli_bad_input_gets_a_message_not_a_traceback(tmp_path, content, message):
    bad = tmp_path / "bad.dat"
    bad.write_bytes(content)
    result = runner.invoke(cli.app, ["run", str(bad), "-d", str(tmp_path / "d"), "-q",
                                     "--reference", str(REFERENCE)])
    assert result.exit_code == 8
    assert message in result.output and "Traceback" not in result.output


def test_cli_missing_reference_is_condition_code_12(tmp_path):
    result = runner.invoke(cli.app, ["run", str(WEEK_DECKS[0]), "-d", str(tmp_path / "d"),
                                     "--reference", str(tmp_path)])
    assert result.exit_code == 12 and "reference file not found" in result.output


def test_cli_clean_run_is_condition_code_0(tmp_path):
    result = runner.invoke(cli.app, ["run", str(FIXTURES / "national" /
                                                 "national-defect-list.dat"),
                                     "-d", str(tmp_path / "d"), "-q"])
    assert result.exit_code == 0 and "Condition code 0" in result.output


def test_a_week_ending_that_is_no_saturday_and_a_run_date_gone_back_are_noted(tmp_path):
    tuesday = tmp_path / "tuesday.dat"
    text = WEEK_DECKS[3].read_text()
    tuesday.write_text(text[:5] + "11172026" + text[13:])
    national = FIXTURES / "national" / "national-defect-list.dat"
    first = _run(tmp_path / "d", [national], dt.date(2026, 11, 17))
    assert first.notes == []  # the bundled list's HDR: made 11/09/2026 for the week to 11/07
    result = _run(tmp_path / "d", [tuesday], dt.date(2026, 11, 10))
    assert result.notes == [
        "tuesday.dat: HDR week ending 11/17/2026 is a Tuesday, not a Saturday; its Forms 3081 "
        "and 6489 count in the week ending 11/21/2026",
        "tuesday.dat: HDR week ending 11/17/2026 (line 1, columns 6-13) is after the run date "
        "11/10/2026; expected a week that has ended (H01, posted as sent: `qap explain H01`)",
        "tuesday.dat: HDR creation date 11/16/2026 (line 1, columns 14-21) is before its week "
        "ending 11/17/2026; expected a deck made once its week had ended (H02, posted as sent: "
        "`qap explain H02`)",
        "run date 11/10/2026 is before the last run's (11/17/2026); run ids and register ages "
        "follow it (--run-date)"]
    assert "\nNote: tuesday.dat: HDR week ending 11/17/2026 is a Tuesday" in summary.render(
        result)


@pytest.mark.parametrize(("hdr", "note"), [
    ("HDRSC1121202611232026060000005", "HDR week ending 11/21/2026 (line 1, columns 6-13) is "
     "after the run date 11/17/2026; expected a week that has ended (H01, posted as sent: "
     "`qap explain H01`)"),
    ("HDRSC1114202611102026060000005", "HDR creation date 11/10/2026 (line 1, columns 14-21) is "
     "before its week ending 11/14/2026; expected a deck made once its week had ended (H02, "
     "posted as sent: `qap explain H02`)"),
    ("HDR#!1114202611162026060000005", "HDR campus code '#!' (line 1, columns 4-5) is not two "
     "letters or digits (H03, posted as sent: `qap explain H03`)")])
def test_hdr_fields_the_legacy_system_accepted_but_that_look_mistaken_are_noted(tmp_path, hdr,
                                                                               note):
    deck = tmp_path / "deck.dat"
    deck.write_text(hdr + WEEK_DECKS[3].read_text()[30:])
    result = _run(tmp_path / "d", [deck], dt.date(2026, 11, 17))
    assert [d.status for d in result.decks] == ["accepted"]
    assert result.notes == [f"deck.dat: {note}"]
    assert f"\nNote: deck.dat: {note}\n" in summary.render(result)


def test_every_hdr_note_is_in_the_one_code_table_and_explained():
    for code in ("H01", "H02", "H03"):
        entry = CODES[(RUN_DECK, code)]
        out = CliRunner().invoke(cli.app, ["explain", code.lower()])
        assert out.exit_code == 0
        assert out.output == f"Deck note {code}: {entry.meaning}\n  Resolve: {entry.resolution}\n"


def test_sample_week_keeps_local_and_unit_codes_out_of_adams_figures(week):
    # ADAMS (XXX-XX-6789) on 81120-410-44210: a sample of 12 with 1 defective (101, 102) and
    # a sample of 3 whose one defective document carries only the local 935. Her errors are 1
    # of 15 (93.33 %), not 2 (86.67 %); the 935 is listed for the unit/group, and the unit
    # charge (#, 901, sample blank, 3 defective) counts 3 sampled in the Cumulative Data File
    # (with the 10 of 234567891, the one other sample of document A0101 that posts).
    _, _, result = week
    ipr = pl.read_parquet(result.outputs["ipr_11142026.parquet"]).filter(
        (pl.col("ssn") == "123456789") & (pl.col("scope") == "week")
        & (pl.col("program_code") == "44210"))
    assert ipr.select("reviewed", "errors", "pct_accurate").rows() == [(15, 1, 93.33)]
    found = pl.read_parquet(result.outputs["unit-group_11142026.parquet"])
    assert found.select("line_no", "kind", "defect_code", "employee_errors",
                        "to_unit_group").rows() == [(6, "local", "935", 0, 1)]
    cum = pl.read_parquet(result.run_dir.parent.parent / "current" / "cum_ofp.parquet")
    assert cum.filter(pl.col("program_code") == "44210").select(
        "sampled", "defective").rows() == [(12 + 10 + 3 + 3, 1 + 1 + 3)]


def test_weekly_run_prints_defect_frequency_and_unit_group_and_keeps_the_charges(week):
    """Issue 18: the week's Defect Frequency OFP Summary and QA Unit/Group Report (golden),
    and the `defect_charges` state table in the generation (tests/test_quarterly_*)."""
    data, _, result = week
    for name in ("defect-frequency", "qa-unit-group"):
        assert_golden(result.outputs[f"{name}_11142026.txt"].read_text(),
                      GOLDEN / f"{name}_11142026.txt")
        assert result.outputs[f"{name}_11142026.parquet"].exists()
    charges = pl.read_parquet(data / "current" / "defect_charges.parquet")
    assert charges.select("defect_code", "employee", "unit_review", "unit_moved").rows() == [
        ("101", 2, 0, 0), ("102", 1, 0, 0), ("901", 0, 3, 0), ("935", 0, 0, 1)]
