"""Issue 18: overhead hours on the cum job record, measurable and rateable status, the IPSR.

Figures are worked by hand from fixtures/quarterly/scenario.py (quarter ending 12/31/2025, its
four quarters 01/01-12/31/2025; and the quarter before, 10/01/2024-09/30/2025). The 90% Wilson
interval: centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n),
z = 1.6448536, p = (reviewed - errors) / reviewed; e.g. n = 40, 2 errors: p = .95, z^2 = 2.70554,
centre = (.95 + .033819) / 1.067638 = .921499, half = 1.644854 x .040125 / 1.067638 = .061818,
so 85.97 to 98.33 (percent, half up)."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import polars as pl
import pytest
from golden_files import assert_golden

from fixtures.quarterly import scenario as s
from pipelines.engine.qap.individual import cum_jobs, ipsr, status, time_reports
from pipelines.engine.qap.individual.cum_jobs import OVERHEAD
from pipelines.reports import ipsr as ipsr_report
from pipelines.reports.printing import render

GOLDEN = Path(__file__).parent / "golden" / "quarterly"
Q_END = dt.date(2025, 12, 31)


def _ipsr(q_end: dt.date = Q_END) -> pl.DataFrame:
    return ipsr.ipsr_frame(s.cum_jobs(), s.employees(), s.ofp(), q_end)


def _row(frame: pl.DataFrame, ssn: str, program: str) -> dict:
    rows = frame.filter((pl.col("ssn") == ssn) & (pl.col("program_code") == program))
    assert rows.height == 1
    return rows.row(0, named=True)


def _time(rows: list[tuple[str, int]], q_end: dt.date = Q_END) -> pl.DataFrame:
    """Checked Forms 3081 of one SSN/OFP/grade dated the quarter end: (time code, tenths)."""
    frame = time_reports.empty_time()
    add = pl.DataFrame([{
        "seq": i, "deck_no": 0, "line_no": i + 2, "ssn": s.ADAMS, "week_ending": q_end,
        "period_end": q_end, "quarter_end": q_end, "org_code": s.DE[0],
        "function_code": s.DE[1], "program_code": s.DE[2], "grade": "07", "step": "01",
        "time_code": code, "hours_tenths": tenths, "volume": 10} for i, (code, tenths)
        in enumerate(rows)], schema=frame.schema)
    return pl.concat([frame, add])


# ------------------------------------------------------------------ overhead on the record

def test_cum_job_record_keeps_overhead_hours_apart_from_direct() -> None:
    posted = cum_jobs.post_week(cum_jobs.empty_cum_jobs(), _time([("1", 75), ("3", 25),
                                                                   ("3", 10), ("2", 40)]),
                                cum_jobs.empty_reviews(), dt.date(2026, 1, 3))
    rec = posted.row(0, named=True)
    assert (rec["hours_tenths"], rec[OVERHEAD], rec["lc_hours_tenths"]) == (110, 35, 40)
    assert posted.columns[-1] == OVERHEAD  # added last, nothing renamed or dropped


def test_record_from_an_older_generation_reads_overhead_unknown_and_stays_unknown() -> None:
    old = s.cum_jobs().filter(pl.col("ssn") == s.ADAMS).drop(OVERHEAD)
    read = cum_jobs.read_cum_jobs(old)
    assert read.columns == cum_jobs.CUM_COLUMNS
    assert read[OVERHEAD].null_count() == read.height
    posted = cum_jobs.post_week(read, _time([("3", 20)]), cum_jobs.empty_reviews(),
                                dt.date(2026, 1, 3))
    de_q4 = posted.filter((pl.col("program_code") == s.DE[2]) & (pl.col("quarter_end") == Q_END))
    assert de_q4.select("hours_tenths", OVERHEAD).row(0) == (820, None)


# ------------------------------------------------------------------ the interval

@pytest.mark.parametrize(("reviewed", "errors", "low", "high"), [
    (40, 2, 8597, 9833), (20, 0, 8808, 10000), (10, 1, 6523, 9774), (25, 1, 8391, 9910),
    (15, 3, 5912, 9171), (50, 5, 8085, 9505), (1, 0, 2699, 10000), (1, 1, 0, 7301),
])
def test_wilson_90_percent_interval_in_hundredths(reviewed, errors, low, high) -> None:
    lo, hi = status.wilson_h(pl.col("n"), pl.col("e"))
    got = pl.DataFrame({"n": [reviewed], "e": [errors]}).select(lo.alias("lo"), hi.alias("hi")
                                                               ).row(0)
    assert got == (low, high)


def test_nothing_reviewed_has_no_interval() -> None:
    lo, hi = status.wilson_h(pl.col("n"), pl.col("e"))
    got = pl.DataFrame({"n": [0], "e": [0]}).select(lo.alias("lo"), hi.alias("hi")).row(0)
    assert got == (None, None)


# ------------------------------------------------------------------ measurable, rateable

def test_employee_with_only_overhead_time_is_not_on_the_ipsr() -> None:
    frame = _ipsr()
    assert s.BAKER not in frame["ssn"].to_list()
    assert frame["ssn"].unique().sort().to_list() == sorted(
        [s.ADAMS, s.CARTER, s.DAVIS, s.EVANS, s.FOSTER])


def test_measurable_and_rateable_employee_over_the_four_quarters() -> None:
    frame = _ipsr()
    de = _row(frame, s.ADAMS, s.DE[2])
    # 12/31/2024 is outside the window: Q3 + Q4 only.
    assert (de["direct_hours_tenths"], de["volume"], de["reviewed"], de["errors"]) == (
        1800, 4500, 40, 2)
    assert (de["pct_accurate"], de["ci_low"], de["ci_high"]) == (95.0, 85.97, 98.33)
    assert (de["plan_days"], de["measurable"], de["reasons"]) == (579, True, "")
    # total 180.0 + 20.0 overhead = 200.0; direct 180.0; measurable 180.0
    assert (de["total_hours_tenths"], de["direct_time_tenths"],
            de["measurable_hours_tenths"]) == (2000, 1800, 1800)
    assert (de["pct_total"], de["pct_direct"], de["rateable"]) == (90.0, 100.0, True)


def test_59_days_on_the_measured_plan_is_not_measurable() -> None:
    row = _row(_ipsr(), s.CARTER, s.DE[2])  # placed 11/03/2025: 28 + 31 = 59 days
    assert (row["plan_days"], row["on_plan"], row["measurable"], row["reasons"]) == (
        59, False, False, "P")
    assert (row["ci_low"], row["ci_high"], row["rateable"]) == (88.08, 100.0, False)


def test_learning_curve_not_finished_is_not_measurable() -> None:
    frame = _ipsr()
    de = _row(frame, s.DAVIS, s.DE[2])  # 25.0 of 40 learning-curve hours, no direct time
    assert (de["lc_hours_tenths"], de["lc_done"], de["reasons"]) == (250, False, "L")
    assert (de["pct_accurate"], de["ci_low"], de["ci_high"]) == (90.0, 65.23, 97.74)
    um = _row(frame, s.DAVIS, s.UM[2])
    assert um["reasons"] == "SC"
    assert (de["total_hours_tenths"], de["measurable_hours_tenths"], de["rateable"]) == (
        550, 0, False)


def test_rateable_on_total_time_only_is_not_rateable() -> None:
    row = _row(_ipsr(), s.EVANS, s.DE[2])
    # measurable 30.0 of total 100.0 = 30.00% (>= 25) but of direct 80.0 = 37.50% (< 40)
    assert (row["total_hours_tenths"], row["direct_time_tenths"],
            row["measurable_hours_tenths"]) == (1000, 800, 300)
    assert (row["pct_total"], row["pct_direct"]) == (30.0, 37.5)
    assert (row["rateable_total"], row["rateable_direct"], row["rateable"]) == (
        True, False, False)


def test_across_the_quarter_end_the_prior_ipsr_has_its_own_four_quarters() -> None:
    frame = _ipsr(dt.date(2025, 9, 30))  # 10/01/2024-09/30/2025
    assert frame["ssn"].unique().sort().to_list() == [s.ADAMS, s.EVANS, s.FOSTER]
    de = _row(frame, s.ADAMS, s.DE[2])  # 12/31/2024 + 09/30/2025
    assert (de["direct_hours_tenths"], de["reviewed"], de["errors"]) == (1500, 50, 5)
    assert (de["pct_accurate"], de["ci_low"], de["ci_high"], de["plan_days"]) == (
        90.0, 80.85, 95.05, 487)
    evans = _row(frame, s.EVANS, s.DE[2])  # 30.0 of 50.0, no overhead yet: rateable
    assert (evans["pct_total"], evans["pct_direct"], evans["rateable"]) == (60.0, 60.0, True)


def test_unknown_overhead_leaves_rateable_undetermined() -> None:
    row = _row(_ipsr(), s.FOSTER, s.DE[2])
    assert (row["direct_hours_tenths"], row[OVERHEAD], row["total_hours_tenths"]) == (
        None, None, 900)
    assert (row["measurable"], row["rateable"], row["pct_total"]) == (True, None, None)


def test_a_date_that_is_not_a_quarter_end_is_refused() -> None:
    with pytest.raises(ValueError, match="not a fiscal quarter end"):
        _ipsr(dt.date(2025, 12, 30))


# ------------------------------------------------------------------ printed and Parquet

def test_ipsr_print_is_the_golden_one() -> None:
    pages = ipsr_report.pages(_ipsr(), dt.date(2026, 1, 6), Q_END, dt.date(2026, 1, 3))
    text = render(pages)
    assert all(len(line) <= 132 for line in text.splitlines())
    assert s.ADAMS not in text and "XXX-XX-3333" in text
    assert_golden(text, GOLDEN / "ipsr_202512.txt")


def test_ipsr_files_are_named_for_the_quarter_and_the_parquet_is_owner_only(
        tmp_path: Path) -> None:
    written = ipsr_report.write_files(_ipsr(), dt.date(2026, 1, 6), Q_END, None, tmp_path)
    assert sorted(written) == ["ipsr_202512.parquet", "ipsr_202512.txt"]
    twin = pl.read_parquet(written["ipsr_202512.parquet"])
    assert twin.columns == ipsr.IPSR_COLUMNS
    assert twin.height == 9
    for path in written.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_week_holding_a_quarter_end_produces_its_ipsr() -> None:
    assert ipsr.quarter_ends_in_week(dt.date(2026, 1, 3)) == [Q_END]  # split week
    assert ipsr.quarter_ends_in_week(dt.date(2025, 12, 27)) == []
    assert ipsr.quarter_ends_in_week(dt.date(2026, 1, 10)) == []
    assert ipsr.quarter_ends_in_week(dt.date(2026, 4, 4)) == [dt.date(2026, 3, 31)]
    assert ipsr.file_stem(Q_END) == "ipsr_202512"


def test_weekly_step_of_the_week_holding_the_quarter_end_writes_its_ipsr(
        tmp_path: Path) -> None:
    """The fixture weeks through `run_step`: only the week ending 01/03/2026 (12/31/2025 is its
    Wednesday) writes ipsr_202512; most cum job records started in an older generation, so
    their overhead is unknown and so is those employees' rateable status."""
    from fixtures.individual import weeks
    from pipelines.engine.qap.individual import step
    from pipelines.reports.individual_week import print_step

    cum: pl.DataFrame | None = weeks.start_cum_jobs()
    history: pl.DataFrame | None = None
    written: dict[str, set[str]] = {}
    for week in weeks.WEEKS:
        sat = weeks.saturday(week)
        got = print_step(step.run_step(weeks.weekly_records(week), weeks.reviews(week),
                                       {"cum_jobs": cum, "weekly_history": history},
                                       weeks.employees(week), weeks.ofp(), sat),
                         sat + dt.timedelta(days=2), tmp_path / week)
        cum, history = got.tables["cum_jobs"], got.tables["weekly_history"]
        written[week] = {n for n in got.outputs if n.startswith("ipsr_")}
        if week == "01032026":
            twin = pl.read_parquet(got.outputs["ipsr_202512.parquet"])
            text = got.outputs["ipsr_202512.txt"].read_text()
    assert written == {"12202025": set(), "12272025": set(),
                       "01032026": {"ipsr_202512.txt", "ipsr_202512.parquet"}, "01102026": set()}
    assert twin["quarter_end"].unique().to_list() == [Q_END]
    # Only GREEN's records were all made after overhead was kept apart.
    known = twin.filter(pl.col("rateable").is_not_null())
    assert known.select("ssn", "rateable").unique().rows() == [("777889999", False)]
    assert_golden(text, GOLDEN / "ipsr_202512_fixture_weeks.txt")


def test_outputs_md_documents_the_quarterly_files_and_columns() -> None:
    from pipelines.engine.qap.individual import defect_charges

    docs = (Path(__file__).parents[1] / "docs" / "outputs.md").read_text()
    section = docs[docs.index("## Quarterly and management reports"):]
    for column in [*ipsr.IPSR_COLUMNS, *defect_charges.FREQUENCY_COLUMNS]:
        assert f"`{column}`" in section, column
    for name in ("`ipsr_YYYYMM.txt`", "`defect-frequency_MMDDYYYY.txt`",
                 "`qa-unit-group_MMDDYYYY.txt`", "qap ipsr --quarter-end"):
        assert name in section, name
    state = docs[docs.index("**defect_charges.parquet**"):]
    for column in defect_charges.CHARGE_COLUMNS:
        assert f"`{column}`" in state, column
    assert f"`{OVERHEAD}`" in docs[docs.index("**cum_jobs.parquet**"):]


@pytest.mark.parametrize(("code", "time_code", "hours", "after"), [
    ("4", "3", "   20", (130, 55)),  # add 2.0 overhead hours: both figures move
    ("4", "1", "   20", (130, 35)),  # add 2.0 direct hours: overhead stays
    ("3", "3", "   20", (20, 20)),  # substitute with time code 3: overhead is the value
    ("3", "1", "   20", (20, 20)),  # substitute direct: overhead kept, not above the hours
    ("1", "1", "", (0, 0)),  # zero the quarter
])
def test_form_6489_moves_overhead_with_time_code_3(code, time_code, hours, after) -> None:
    from layouts import layout
    from layouts.decoder import decode
    from layouts.encode import record
    from pipelines.engine.qap.individual.ipr_adjustments import apply_adjustments

    sat = dt.date(2025, 12, 20)
    base = cum_jobs.post_week(cum_jobs.empty_cum_jobs(), _time([("1", 75), ("3", 35)]),
                              cum_jobs.empty_reviews(), sat)
    form = {"program_number": "59602", "format_code": "060", "org_code": s.DE[0],
            "function_code": s.DE[1], "program_code": s.DE[2], "ssn": s.ADAMS,
            "last_name": "ADAMS", "adjustment_code": code, "record_code": "1", "grade": "07",
            "quarter_ending": "", "week_ending": "12202025", "step": "01",
            "time_code": time_code, "class_code": "1", "hours_tenths": hours}
    decoded = decode(pl.DataFrame({"text": [record("prefix+form6489", **form)]}),
                     layout.load("prefix"), layout.load("form6489"))
    done = apply_adjustments(base, decoded, sat)
    assert done.adjustments["reason_codes"].to_list() == [[]]
    assert done.cum_jobs.select("hours_tenths", OVERHEAD).row(0) == after


def test_qap_ipsr_on_demand_from_an_older_generation(tmp_path: Path) -> None:
    """A store whose cum job records were written before overhead was kept apart; the fixture
    reference files. The IPSR prints with overhead unknown; the files are owner-only."""
    from typer.testing import CliRunner

    from fixtures.individual import weeks
    from pipelines.operator import cli
    from pipelines.state.store import Store

    data = tmp_path / "data"
    store = Store(data)
    with store.lock("20260106.01"), store.begin("20260106.01") as gen:
        gen.write("cum_jobs", weeks.start_cum_jobs().drop(OVERHEAD))
        gen.commit(note="an older generation")
    out = tmp_path / "out"
    args = ["ipsr", "--quarter-end", "2025-12-31", "-d", str(data), "-r", str(weeks.HERE),
            "--run-date", "2026-01-06", "--out", str(out)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert "IPSR for the quarter ending 12/31/2025: 7 employee(s), 7 program line(s)" in (
        result.output)
    text = (out / "ipsr_202512.txt").read_text()
    assert "RUN DATE 01/06/2026" in text and "WEEK ENDING" not in text
    assert "RATEABLE NOT DETERMINED" in text and "111223333" not in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "ipsr_202512.parquet").stat().st_mode) == 0o600
    bad = CliRunner().invoke(cli.app, [*args[:2], "2025-12-30", *args[3:]])
    assert bad.exit_code == 2  # docwalk F-E: a usage error, as an unreadable date is
    assert "12/30/2025 is not a fiscal quarter end" in bad.output
    none = CliRunner().invoke(cli.app, ["ipsr", "--quarter-end", "2025-12-31", "-d",
                                        str(tmp_path / "nothing")])
    assert none.exit_code == 12 and "no QAP data directory" in none.output
    # Review 12, F5: each of these was a traceback or a raw Python message
    for given, code, said in [
            ("0001-03-31", 2, "qap ipsr: --quarter-end 0001-03-31: the year must be 1900-2099"),
            ("xx", 2, "qap ipsr: --quarter-end 'xx' is not a date YYYY-MM-DD"),
            ("2026-13-31", 2, "qap ipsr: --quarter-end '2026-13-31' is not a date YYYY-MM-DD")]:
        bad = CliRunner().invoke(cli.app, [*args[:2], given, *args[3:]])
        assert (bad.exit_code, bad.output) == (code, f"{said} (a usage error: nothing was "
                                                     "run)\n")
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    bad = CliRunner().invoke(cli.app, [*args[:-1], str(a_file)])
    assert (bad.exit_code, bad.output) == (12, f"qap ipsr: --out {a_file} is not a folder\n")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    bad = CliRunner().invoke(cli.app, [*args[:-1], str(shared)])
    assert bad.exit_code == 12 and "can be read by other users (mode 0755)" in bad.output
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755 and not any(shared.iterdir())
    early = CliRunner().invoke(cli.app, [*args[:7], "--run-date", "2025-12-30", "--out",
                                         str(tmp_path / "early")])
    assert early.exit_code == 0
    assert early.output.splitlines()[1] == ("Note: the quarter has not ended on the run date "
                                            "12/30/2025: its figures are those posted so far")
