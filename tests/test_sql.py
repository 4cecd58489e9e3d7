"""`qap sql` (issue 19 item 6): typed DuckDB views over the sample week's data directory, with
exact figures, and a rolled-back run left out by the store's history."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.engine.machinery.register import ROLLED_BACK_NOTE
from pipelines.operator import cli
from pipelines.operator.sql_views import open_views

FIXTURES = Path(__file__).parent.parent / "fixtures"
WEEK = sorted(str(p) for p in (FIXTURES / "sample-week").glob("*.dat"))
runner = CliRunner()


def qap(*args: str, stdin: str | None = None):
    return runner.invoke(cli.app, list(args), input=stdin)


def _load(data: Path) -> None:
    assert qap("run", str(FIXTURES / "national" / "national-defect-list.dat"), "-d", str(data),
               "-q", "--run-date", "2026-11-10").exit_code == 0
    assert qap("run", *WEEK, "-d", str(data), "-q", "--run-date", "2026-11-17").exit_code == 8


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("sql") / "data"
    _load(data)
    return data


@pytest.fixture(scope="module")
def con(data):
    con = duckdb.connect()
    open_views(data, con)
    yield con
    con.close()


def test_posting_3926_has_the_weeks_figures_typed(con):
    row = con.execute("SELECT count(*), sum(sampled), sum(defects), sum(defective), "
                  "list(DISTINCT week_ending), list(DISTINCT quality_standard ORDER BY 1) "
                  "FILTER (quality_standard IS NOT NULL) FROM posting_3926").fetchone()
    # DuckDB does not promise the order of a DISTINCT list: compare the standards as a set
    assert row[:5] == (8, 25, 7, 5, [dt.date(2026, 11, 14)])
    assert sorted(row[5]) == [Decimal("0.50"), Decimal("95.00")]
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE posting_3926)")
                 .fetchall())
    assert (types["week_ending"], types["sampled"], types["quality_standard"]) == (
        "DATE", "BIGINT", "DECIMAL(5,2)")


def test_blank_fields_are_null_not_blanks(con):
    rows = con.execute("SELECT line_no, ssn, unit_mark, defect_list FROM posting_3926 "
                   "WHERE line_no IN (2, 3, 7, 63) ORDER BY line_no").fetchall()
    assert rows == [(2, None, None, "000"), (3, "123456789", None, "000"),
                    (7, None, "#", "000"), (63, None, None, None)]


def test_register_decodes_zone_punched_adjustment_figures_with_their_sign(con):
    rows = con.execute("SELECT sampled, defects, defective FROM register_3926 "
                   "WHERE program_number = '59706' AND (sampled IS NOT NULL OR defects IS NOT "
                   "NULL OR defective IS NOT NULL) ORDER BY line_no").fetchall()
    # sent as '   4C' '    C', '    B', '   1{' '   1K', '    A', '   43', '    1'
    assert rows == [(43, 3, None), (None, 2, None), (None, 10, -12), (1, None, None),
                    (43, None, None), (None, 1, None)]


def test_register_codes_join_the_one_code_table(con):
    rows = con.execute("SELECT code, count(*) FROM (SELECT unnest(error_codes) AS code "
                   "FROM register_3927) JOIN error_codes USING (code) "
                   "WHERE error_codes.run = 'PCE-01-43' GROUP BY code ORDER BY code").fetchall()
    assert [c for c, _ in rows] == ["02", "03", "04", "05", "06", "07", "09", "10"]
    assert con.execute("SELECT meaning FROM error_codes WHERE code = 'T02'").fetchone()[0] == (
        "SSN NOT ON EMPLOYEE MASTER")


def test_state_views_read_the_current_generation(con):
    assert con.execute("SELECT org_code, function_code, program_code, standard, week_ending "
                   "FROM quality_standards ORDER BY 1, 2").fetchall() == [
        ("81000", "410", "44210", Decimal("95.00"), dt.date(2026, 11, 14)),
        ("81000", "420", "11220", Decimal("1.00"), dt.date(2026, 11, 14))]
    assert con.execute("SELECT status, count(*) FROM error_register GROUP BY 1").fetchall() == [
        ("open", 84)]
    assert con.execute("SELECT run_id, count(*) FROM data_not_posted GROUP BY 1").fetchall() == [
        ("20261117.01", 1)]


def test_rolled_back_run_is_left_out_even_when_its_note_is_lost(tmp_path):
    data = tmp_path / "data"
    _load(data)
    assert qap("rollback", "20261117.01", "-d", str(data)).exit_code == 0
    (data / "runs" / "20261117.01" / ROLLED_BACK_NOTE).unlink()  # history alone decides
    assert qap("run", *WEEK, "-d", str(data), "-q", "--run-date", "2026-11-17").exit_code == 8
    out = qap("sql", "-d", str(data), "--csv",
              "SELECT run_id, count(*) AS n, sum(sampled) AS s FROM posting_3926 GROUP BY 1")
    assert out.exit_code == 0 and out.output == "run_id,n,s\n20261117.02,8,25\n"
    out = qap("sql", "-d", str(data), "--csv",
              "SELECT run_id, in_effect FROM runs ORDER BY generation")
    assert out.output.splitlines()[1:] == [
        "20261110.01,True", "20261117.01,False", "rollback-before:20261117.01,",
        "20261117.02,True"]
    out = qap("sql", "-d", str(data), "--csv",
              "SELECT count(*) FROM register_3926 WHERE run_id = '20261117.01'")
    assert out.output.splitlines()[1] == "0"
    shutil.rmtree(data)


def test_a_store_rolled_back_before_its_first_run_still_offers_every_view_empty_and_typed(
        tmp_path):
    data = tmp_path / "data"
    _load(data)
    assert qap("rollback", "20261110.01", "--force", "-d", str(data)).exit_code == 0
    out = qap("sql", "-d", str(data), "--csv", "SELECT count(*) AS n FROM defect_codes")
    assert out.exit_code == 0 and out.output == "n\n0\n"
    con = duckdb.connect()
    views = open_views(data, con)
    assert views.runs_in_effect == [] and {"defect_codes", "error_register", "cum_ofp",
                                           "decks"} <= set(views.state)
    assert {"posting_3926", "register_3927", "ipr", "sar"} <= set(views.listings)
    assert con.execute("SELECT count(*) FROM posting_3926").fetchone() == (0,)
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE posting_3926)")
                 .fetchall())
    assert (types["run_id"], types["week_ending"], types["sampled"]) == (
        "VARCHAR", "DATE", "BIGINT")
    assert "defect_code" in dict(con.execute(
        "SELECT column_name, column_type FROM (DESCRIBE defect_codes)").fetchall())
    con.close()


def test_query_prints_a_table_with_a_row_count(data):
    out = qap("sql", "-d", str(data), "SELECT deck, status, records FROM decks "
              "WHERE run_id = '20261117.01' ORDER BY deck")
    assert out.exit_code == 0
    assert out.output.splitlines() == [
        "deck                                  status   records",
        "------------------------------------  -------  -------",
        "01-defect-list-changes.dat            posted        26",
        "02-reviews-adjustments-standards.dat  posted        70",
        "03-cut-short.dat                      refused        2",
        "04-time-reports-3081.dat              posted         5",
        "05-ipr-adjustments-6489.dat           posted         2",
        "(5 rows)"]


def test_a_query_duckdb_refuses_is_2_with_its_message(data):
    out = qap("sql", "-d", str(data), "SELECT nope FROM posting_3926")
    assert out.exit_code == 2 and "the query failed, nothing was changed" in out.output
    assert "nope" in out.output and "Traceback" not in out.output


def test_without_a_query_a_shell_reads_statements_until_quit(data):
    out = qap("sql", "-d", str(data), stdin="SELECT count(*) AS n\nFROM posting_3927;\n"
              "SELECT nope;\n.schema sar\n.quit\n")
    assert out.exit_code == 0
    assert "runs 20261110.01, 20261117.01" in out.output
    assert " n\n--\n54\n(1 row)" in out.output.replace("qap-sql> ", "").replace("     ..> ", "")
    assert "Error: " in out.output and "pct_accurate" in out.output


def test_sql_refuses_a_folder_with_no_store(tmp_path):
    out = qap("sql", "-d", str(tmp_path / "none"), "SELECT 1")
    assert out.exit_code == 12 and "no QAP data directory" in out.output


def test_sql_has_help_with_an_example():
    out = qap("sql", "--help")
    assert out.exit_code == 0 and "Example:" in out.output and "owner only" in out.output


def test_a_published_runs_folder_still_named_partial_is_read(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data, copy, symlinks=True)
    (copy / "runs" / "20261117.01").rename(copy / "runs" / "20261117.01.partial")
    out = qap("sql", "-d", str(copy), "--csv",
              "SELECT (SELECT list(DISTINCT run_id) FROM data_not_posted) AS dnp, "
              "(SELECT count(*) FROM posting_3926 WHERE run_id = '20261117.01') AS posted")
    assert out.output.splitlines()[1:] == ["['20261117.01'],8"]


def test_an_unreadable_listing_file_is_12_with_its_name_not_a_traceback(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data, copy, symlinks=True)
    (copy / "runs" / "20261117.01" / "posting-3926.parquet").write_bytes(b"not parquet")
    out = qap("sql", "-d", str(copy), "SELECT 1")
    assert out.exit_code == 12 and "the views could not be made" in out.output
    assert "posting-3926.parquet" in out.output and "Traceback" not in out.output


def test_duckdb_is_not_loaded_when_qap_starts():
    import subprocess
    import sys

    code = "import sys\nimport pipelines.operator.cli\nprint('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out == "False\n"


# --- read-only (review 12, F6 and F7) ----------------------------------------------------------

@pytest.mark.parametrize("statement, word", [
    ("COPY (SELECT 1 AS x) TO '{target}' (FORMAT parquet)", "COPY"),
    ("SELECT 1; COPY (SELECT 1 AS x) TO '{target}'", "COPY"),
    ("EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{target}'", "COPY"),
    ("ATTACH '{target}' AS other", "ATTACH"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("SET enable_external_access = true", "SET"),
])
def test_a_statement_that_is_not_a_query_is_2_and_writes_nothing(data, tmp_path, statement,
                                                                  word):
    """`qap sql` queries: a COPY over a published table (which the next run would have built
    on) or anywhere else is refused before DuckDB sees it, in one statement or in a list."""
    target = data / "state" / "generations" / "000002" / "error_register.parquet"
    before = target.read_bytes()
    out = qap("sql", "-d", str(data), statement.format(target=target))
    assert out.exit_code == 2, out.output
    assert out.output.startswith(f"qap: {word} statements are not run: qap sql answers "
                                 "queries"), out.output
    assert target.read_bytes() == before


def test_the_shell_refuses_a_copy_and_goes_on(data, tmp_path):
    target = tmp_path / "out.csv"
    out = qap("sql", "-d", str(data), stdin=f"COPY decks TO '{target}';\n"
              "SELECT count(*) AS n FROM decks;\n.quit\n")
    assert out.exit_code == 0 and "Error: COPY statements are not run" in out.output
    assert "\nn\n-\n6\n(1 row)\n" in out.output.replace("qap-sql> ", "")
    assert not target.exists()


def test_a_query_reads_only_the_files_of_its_views(data):
    out = qap("sql", "-d", str(data), "SELECT * FROM read_csv('/etc/hostname')")
    assert out.exit_code == 2 and "Cannot access file \"/etc/hostname\"" in out.output


def test_explain_and_describe_of_a_view_are_queries(data):
    out = qap("sql", "-d", str(data), "--csv", "EXPLAIN SELECT count(*) FROM posting_3926")
    assert out.exit_code == 0 and out.output.startswith("explain_key,explain_value\n")
    out = qap("sql", "-d", str(data), "--csv", "DESCRIBE sar")
    assert out.exit_code == 0 and "pct_accurate" in out.output


@pytest.mark.parametrize("query", ["", "   ", ";", "-- only a comment\n"])
def test_an_empty_query_is_2_not_a_traceback(data, query):
    out = qap("sql", "-d", str(data), "--", query)
    assert out.exit_code == 2, out.output
    assert out.output == ("qap: the query is empty (give none to open the shell) (nothing was "
                          "run)\n")


def test_a_published_table_changed_from_outside_is_12_for_the_views(data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(data, copy, symlinks=True)
    target = copy / "state" / "generations" / "000002" / "error_register.parquet"
    target.unlink()  # (hard-linked with generation 1's: replaced, not written through)
    duckdb.sql(f"COPY (SELECT 1 AS x) TO '{target}' (FORMAT parquet)")
    out = qap("sql", "-d", str(copy), "SELECT 1")
    assert out.exit_code == 12 and "the views could not be made: generation 2: table " \
        "'error_register' does not match its manifest (rows 1 vs " in out.output


def test_a_pivot_is_a_query(data):
    """Re-check of review 12 (NEW-3): DuckDB plans a PIVOT as several statements; it reads
    only, so it runs."""
    out = qap("sql", "-d", str(data), "--csv", "--", "-- decks by status\nPIVOT decks ON "
              "status USING count(*) GROUP BY run_id ORDER BY run_id")
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == ["run_id,posted,refused", "20261110.01,1,0",
                                       "20261117.01,4,1"]


def _printed(data: Path, name: str) -> list[str]:
    return (data / "runs" / "20261117.01" / name).read_text().splitlines()


def test_cum_ofp_defect_percent_is_the_two_decimals_the_listing_prints(con, data):
    # review 13, R13-11: a DOUBLE printed 14.290000000000001 for a listed 14.29
    line = next(x for x in _printed(data, "cum-data-file.txt") if x.startswith("2027Q1"))
    row = con.execute("SELECT defect_percent, typeof(defect_percent) FROM cum_ofp "
                      "WHERE fiscal_quarter = '2027Q1' AND program_code = '44210'").fetchall()
    assert row == [(Decimal("17.86"), "DECIMAL(5,2)")]
    assert line.split()[7] == str(row[0][0])


def test_cum_ofp_quality_standard_is_the_percent_the_listing_prints(con, data):
    """Review 17, F3: the view gives the standard as DECIMAL(5,2), as `posting_3926` does and
    the Cumulative Data File listing prints it (95.00, not the file's hundredths 9500), so it
    compares with `defect_percent`; the Parquet file keeps its NNnn column."""
    line = next(x for x in _printed(data, "cum-data-file.txt") if x.startswith("2027Q1"))
    row = con.execute("SELECT quality_standard, typeof(quality_standard) FROM cum_ofp "
                      "WHERE fiscal_quarter = '2027Q1' AND program_code = '44210'").fetchall()
    assert row == [(Decimal("95.00"), "DECIMAL(5,2)")]
    assert line.split()[8] == str(row[0][0])
    stored = duckdb.sql(f"SELECT quality_standard, typeof(quality_standard) FROM "
                        f"'{data / 'current' / 'cum_ofp.parquet'}'").fetchall()
    assert stored == [(9500, "INTEGER")]
    assert con.execute("SELECT standard, typeof(standard) FROM quality_standards WHERE "
                       "program_code = '44210'").fetchall() == [(Decimal("95.00"),
                                                                 "DECIMAL(5,2)")]
    assert con.execute("SELECT DISTINCT typeof(standard) FROM ipr").fetchall() == [("DOUBLE",)]


def test_last_posted_and_adjusted_are_run_dates_on_cum_ofp_and_week_endings_on_cum_jobs(con):
    """Review 17, F4 (docs/outputs.md says which): the week ending 11/14/2026 run on 11/17/2026
    leaves the run date on the Cumulative Data File (as its listing prints it) and the week
    ending on the cum job records, its Form 6489's adjustment too."""
    assert con.execute("SELECT DISTINCT last_posted, last_adjusted FROM cum_ofp").fetchall() == [
        (dt.date(2026, 11, 17), None)]
    assert con.execute("SELECT DISTINCT last_posted FROM cum_jobs").fetchall() == [
        (dt.date(2026, 11, 14),)]
    assert con.execute("SELECT DISTINCT last_adjusted FROM cum_jobs WHERE last_adjusted IS NOT "
                       "NULL").fetchall() == [(dt.date(2026, 11, 14),)]


def test_local_of_the_defect_frequency_twins_is_a_flag_not_a_count(con):
    """Review 17, F9 (docs/outputs.md says so): `local` is True on a 930-999 code's row, its
    defects counted in `unit_moved`, on both twins."""
    for view in ("defect_frequency", "qa_unit_group"):
        rows = con.execute(f"SELECT DISTINCT defect_code, local, typeof(local), unit_moved "
                           f"FROM {view} WHERE local").fetchall()
        assert rows == [("935", True, "BOOLEAN", 1)]


def test_defect_frequency_and_qa_unit_group_lines_print_the_figures_of_their_views(con, data):
    ranked = next(x for x in _printed(data, "defect-frequency_11142026.txt")
                  if x.split()[:2] == ["1", "101"]).split()
    row = con.execute("SELECT rank, defects, share, employee, unit_group FROM defect_frequency "
                      "WHERE scope = 'period' AND defect_code = '101'").fetchall()
    assert row == [(1, 2, 50.0, 2, 0)]
    assert ranked[-5:] == ["2", "50.00", "50.00", "2", "0"]
    unit = next(x for x in _printed(data, "qa-unit-group_11142026.txt")
                if x.split()[:1] == ["935"]).split()
    assert con.execute("SELECT unit_review, unit_moved, unit_group, employee FROM qa_unit_group "
                       "WHERE scope = 'period' AND defect_code = '935'").fetchall() == [
        (0, 1, 1, 0)]
    assert unit[-5:-1] == ["0", "1", "1", "0"]
