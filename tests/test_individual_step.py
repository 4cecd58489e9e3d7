"""`step.run_step` (then `individual_week.print_step`), the individual data step as the weekly
run calls it: the same figures and reports as `run_individual` on the committed fixtures,
every record back exactly once, several weeks in one run, no Employee Master File, and nothing
to do."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import polars as pl
import pytest
from golden_files import assert_golden

from fixtures.individual import weeks
from layouts import layout
from layouts.decoder import decode
from pipelines.engine.qap.individual import cum_jobs, step
from pipelines.engine.qap.individual.run import OUTPUT_COLUMNS
from pipelines.reports import individual_week
from validators import codes

GOLDEN = Path(__file__).parent / "golden" / "individual"

HILL = "888990000"


def run_step(records, reviews, previous, employees, ofp, week_ending, run_date, run_dir,
             **kw) -> step.IndividualStep:
    """The step as the weekly run takes it: computed by the engine, printed by the report
    stage into `run_dir`."""
    computed = step.run_step(records, reviews, previous, employees, ofp, week_ending, **kw)
    return individual_week.print_step(computed, run_date, run_dir)


def _run(week: str, cum: pl.DataFrame | None, run_dir: Path,
         history: pl.DataFrame | None = None, **overrides) -> step.IndividualStep:
    sat = weeks.saturday(week)
    args = {"records": weeks.weekly_records(week), "reviews": weeks.reviews(week),
            "previous": {"cum_jobs": cum, "weekly_history": history},
            "employees": weeks.employees(week),
            "ofp": weeks.ofp(), "week_ending": sat, "run_date": sat + dt.timedelta(days=2),
            "run_dir": run_dir} | overrides
    return run_step(**args)


@functools.cache
def engine():
    return weeks.run_all()


@functools.cache
def stepped(tmp: Path) -> dict[str, step.IndividualStep]:
    """The four fixture weeks through run_step, each from the cum_jobs the one before wrote
    (through Parquet, as the store keeps them)."""
    out: dict[str, step.IndividualStep] = {}
    cum: pl.DataFrame | None = weeks.start_cum_jobs()
    history: pl.DataFrame | None = None
    for week in weeks.WEEKS:
        out[week] = _run(week, cum, tmp / week, history)
        for table in step.WRITES:
            out[week].tables[table].write_parquet(tmp / f"{table}_{week}.parquet")
        cum = pl.read_parquet(tmp / f"cum_jobs_{week}.parquet")
        history = pl.read_parquet(tmp / f"weekly_history_{week}.parquet")
    return out


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, step.IndividualStep]:
    return stepped(tmp_path_factory.mktemp("steps"))


@pytest.mark.parametrize("week", weeks.WEEKS)
def test_same_figures_as_the_engine(steps, week: str) -> None:
    got, want = steps[week], engine()[week]
    assert set(got.tables) == set(step.WRITES)
    assert got.tables["cum_jobs"].equals(want.cum_jobs)
    for name in step.PARQUET:
        frame = pl.read_parquet(got.outputs[f"{name}_{week}.parquet"])
        assert frame.columns == OUTPUT_COLUMNS[name]
        assert frame.equals(want.frames[name]), name
    assert got.weeks == (weeks.saturday(week),)


@pytest.mark.parametrize("week", weeks.WEEKS)
def test_printed_reports_are_the_golden_ones(steps, week: str) -> None:
    printed = {name for name in steps[week].outputs if name.endswith(".txt")}
    # The week holding a quarter end also writes that quarter's IPSR (tests/test_quarterly_*).
    quarterly = {"ipsr_202512.txt"} if week == "01032026" else set()
    assert printed == {f"{name}_{week}.txt" for name in engine()[week].pages} | quarterly
    printed -= quarterly
    for name in printed:
        assert_golden(steps[week].outputs[name].read_text(), GOLDEN / name)


@pytest.mark.parametrize("week", weeks.WEEKS)
def test_every_record_comes_back_once_posted_or_rejected(steps, week: str) -> None:
    records = weeks.weekly_records(week)
    out = steps[week].records
    assert out.columns == step.RECORD_COLUMNS
    assert out["seq"].to_list() == records["seq"].to_list()
    assert out.select("deck_no", "line_no", "text").equals(
        records.select("deck_no", "line_no", "text"))
    assert steps[week].posted + steps[week].rejected == records.height
    # rejected exactly when codes were found, and the codes are the engine's
    assert out.filter(pl.col("rejected") != (pl.col("error_codes").list.len() > 0)).height == 0
    frames = engine()[week].frames
    dnp = frames["data-not-posted"].filter(pl.col("source") == "3081")
    errors = frames["ipr-adjustments"].filter(pl.col("message_code") == codes.ERROR)
    got_3081 = out.filter(pl.col("rejected") & (pl.col("run") == step.RUN_3081))
    got_6489 = out.filter(pl.col("rejected") & (pl.col("run") == step.RUN_6489))
    assert sorted(got_3081.select("line_no", "error_codes").rows()) == sorted(
        dnp.select("line_no", "reason_codes").rows())
    assert got_6489.select("line_no", "error_codes").rows() == errors.select(
        "line_no", "reason_codes").rows()


def test_records_carry_what_the_register_needs(steps) -> None:
    out = steps["12202025"].records
    assert set(out["run"]) == {step.RUN_3081, step.RUN_6489}
    assert set(out["record_type"]) == {"form3081", "form6489"}
    assert out["control_number"].str.len_chars().unique().to_list() == [3]
    assert out["week_ending"].unique().to_list() == [dt.date(2025, 12, 20)]
    rejected = out.filter("rejected").select("error_codes", "reason").rows()
    assert rejected == [(["T01"], "SSN NOT 9 DIGITS"), (["T02"], "SSN NOT ON EMPLOYEE MASTER"),
                        (["T04"], "OFP NOT ON OFP FILE"),
                        (["A12"], codes.ADJUSTMENT_REASONS["A12"]),
                        (["A10"], codes.ADJUSTMENT_REASONS["A10"])]
    assert out.filter(~pl.col("rejected"))["reason"].null_count() == out.filter(
        ~pl.col("rejected")).height


def test_several_weeks_in_one_run_go_in_week_order(tmp_path: Path) -> None:
    """Two weeks' decks in one run give the cum job records of two weekly runs; a review goes to
    its own week when that week's deck is in the run."""
    two = weeks.WEEKS[:2]
    records = weeks.weekly_records(*two)
    late = (pl.col("ssn") == HILL) & (pl.col("week_ending") == dt.date(2025, 12, 20))
    on_time = weeks.reviews(two[1]).filter(~late.fill_null(False))
    reviews = pl.concat([weeks.reviews(w) for w in two])
    run_date = dt.date(2025, 12, 29)
    got = run_step(records, pl.concat([weeks.reviews(two[0]), on_time]),
                        {"cum_jobs": weeks.start_cum_jobs()}, weeks.employees(two[0]),
                        weeks.ofp(), weeks.saturday(two[1]), run_date, tmp_path / "a")
    assert got.weeks == tuple(weeks.saturday(w) for w in two)
    assert got.tables["cum_jobs"].equals(engine()[two[1]].cum_jobs)
    assert got.records.height == records.height
    assert got.records.group_by("week_ending").len().sort("week_ending").rows() == [
        (weeks.saturday(w), weeks.weekly_records(w).height) for w in two]
    assert {f"ipr_{w}.txt" for w in two} <= set(got.outputs)
    # The late review (dated 12/20, sent in week 12/27) posts to week 12/20 when that week's
    # decks are in the same run; in a run of its own week it is listed N02.
    with_late = run_step(records, reviews, {"cum_jobs": weeks.start_cum_jobs()},
                              weeks.employees(two[0]), weeks.ofp(), weeks.saturday(two[1]),
                              run_date, tmp_path / "b")
    hill = pl.col("ssn") == HILL
    before = got.tables["cum_jobs"].filter(hill)["reviewed"].sum()
    assert with_late.tables["cum_jobs"].filter(hill)["reviewed"].sum() > before
    assert engine()[two[1]].frames["data-not-posted"].filter(hill)["reason_codes"].to_list() == [
        ["N02"]]


def test_a_quarter_end_deck_date_names_its_weeks_saturday(tmp_path: Path) -> None:
    records = weeks.weekly_records("01032026").with_columns(
        pl.lit(dt.date(2025, 12, 31)).alias(step.DECK_WEEK))
    got = _run("01032026", engine()["12272025"].cum_jobs, tmp_path, records=records,
               week_ending=None)
    assert got.weeks == (dt.date(2026, 1, 3),)
    assert got.tables["cum_jobs"].equals(engine()["01032026"].cum_jobs)


def test_forms_without_an_employee_master_file_are_rejected_clearly(tmp_path: Path) -> None:
    records = weeks.weekly_records("12202025")
    got = _run("12202025", weeks.start_cum_jobs(), tmp_path, employees=None)
    assert got.tables == {}
    assert got.posted == 0 and got.records.height == records.height
    assert got.records["error_codes"].to_list() == [["I01"]] * records.height
    assert set(got.records["reason"]) == {"NO EMPLOYEE MASTER FILE"}
    assert "employee_master.txt" in got.notes[0] and "I01" in got.notes[0]
    assert set(got.outputs) == {"data-not-posted_12202025.txt",
                                "data-not-posted_12202025.parquet"}
    listed = pl.read_parquet(got.outputs["data-not-posted_12202025.parquet"])
    assert listed.columns == OUTPUT_COLUMNS["data-not-posted"]
    assert listed.select("source", "deck_no", "line_no").rows() == [
        ("3081" if p == "59600" else "6489", d, n) for p, d, n in
        records.select("program_number", "deck_no", "line_no").iter_rows()]
    text = got.outputs["data-not-posted_12202025.txt"].read_text()
    assert text.count("I01 NO EMPLOYEE MASTER FILE") == records.height


def _empty_records() -> pl.DataFrame:
    frame = pl.DataFrame(schema={"line_no": pl.UInt32, "text": pl.String,
                                 "deck_no": pl.UInt16}).with_row_index("seq")
    return decode(frame, layout.load("prefix"))


def _many_reviews(n: int) -> pl.DataFrame:
    return pl.DataFrame({"i": pl.int_range(n, eager=True)}).select(
        deck_no=pl.lit(0, pl.UInt16), line_no=pl.col("i").cast(pl.UInt32),
        unit=pl.col("i").cast(pl.UInt32), week_ending=pl.lit(dt.date(2025, 12, 20)),
        org_code=pl.lit("81120"), function_code=pl.lit("110"), program_code=pl.lit("43210"),
        starts=pl.lit(True), unit_charge=pl.lit(False),
        ssn=(pl.col("i") % 1000 + 100_000_000).cast(pl.String), sampled=pl.lit(3),
        defective=pl.lit(0), defect_code=pl.lit(None, pl.String), defects=pl.lit(None, pl.Int64),
        warning=pl.lit(False)).cast(cum_jobs.REVIEW_SCHEMA)


def test_empty_input_produces_nothing(tmp_path: Path) -> None:
    reviews = _many_reviews(200_000)
    run_dir = tmp_path / "run"
    got = run_step(_empty_records(), reviews, {"cum_jobs": None}, None, weeks.ofp(),
                        dt.date(2025, 12, 20), dt.date(2025, 12, 22), run_dir)
    assert got.records.height == 0 and got.records.columns == step.RECORD_COLUMNS
    assert got.tables == {} and got.outputs == {} and got.weeks == ()
    assert not run_dir.exists()
    # an Employee Master File but no Forms and no individual reviews: still nothing
    got = run_step(_empty_records(), cum_jobs.empty_reviews(), {"cum_jobs": None},
                        weeks.employees("12202025"), weeks.ofp(), dt.date(2025, 12, 20),
                        dt.date(2025, 12, 22), run_dir)
    assert got.tables == {} and got.outputs == {} and not run_dir.exists()
    # no run at all (no deck): nothing either
    got = run_step(_empty_records(), cum_jobs.empty_reviews(), {}, None, weeks.ofp(),
                        None, dt.date(2025, 12, 22), run_dir)
    assert got.records.height == 0 and got.outputs == {}


def test_reviews_without_forms_are_listed_when_there_is_an_employee_master(tmp_path: Path
                                                                            ) -> None:
    got = run_step(_empty_records(), weeks.reviews("12202025"),
                        {"cum_jobs": weeks.start_cum_jobs()}, weeks.employees("12202025"),
                        weeks.ofp(), dt.date(2025, 12, 20), dt.date(2025, 12, 22), tmp_path)
    listed = pl.read_parquet(got.outputs["data-not-posted_12202025.parquet"])
    assert set(listed["source"]) == {"3926"}
    assert set(listed["reason_codes"].explode()) == {"N01"}
    assert got.tables["cum_jobs"].select(cum_jobs.FIGURES).equals(
        weeks.start_cum_jobs().sort(cum_jobs.CUM_KEY).select(cum_jobs.FIGURES))


def test_other_programs_are_the_callers_mistake(tmp_path: Path) -> None:
    records = weeks.weekly_records("12202025").with_columns(
        pl.when(pl.col("seq") == 0).then(pl.lit("59702")).otherwise("program_number")
        .alias("program_number"))
    with pytest.raises(ValueError, match="59702"):
        _run("12202025", None, tmp_path, records=records)


def test_outputs_md_lists_every_column_of_the_steps_files() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "outputs.md").read_text()
    section = docs[docs.index("\n## Individual data\n"):]
    for name, columns in OUTPUT_COLUMNS.items():
        for column in columns:
            shown = column.removeprefix("before_").removeprefix("after_")
            assert f"`{column}`" in section or f"`{shown}`" in section, (name, column)
    for code in ("I01", "T01", "A01", step.RUN_3081, step.RUN_6489):
        assert code in section
