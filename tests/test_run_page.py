"""The run page's figures, highlights and the flow's artifact text, without a browser (the
page in Chromium: test_run_page_browser.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from layouts import layout
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.qap.individual import defect_charges, periods
from pipelines.operator.runs import run_week
from pipelines.reports import chart_painter, register_view, run_artifact, run_charts, run_page
from pipelines.state.store import Store
from validators import codes as individual_codes
from validators.codes import CODES, RUN_3926, RUN_3927, issued

FIXTURES = Path(__file__).parent.parent / "fixtures"
OFP = "81120-410-44210"


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    data = tmp_path_factory.mktemp("week")
    reference = load_reference(FIXTURES / "reference")
    run_week([FIXTURES / "national" / "national-defect-list.dat"], data, reference,
             dt.date(2026, 11, 10))
    result = run_week(sorted((FIXTURES / "sample-week").glob("*.dat")), data, reference,
                      dt.date(2026, 11, 17))
    return data, result


def _frequency(run_dir: Path) -> pl.DataFrame:
    return pl.read_parquet(run_dir / "defect-frequency_11142026.parquet")


def _report_rows(*codes: tuple[str, int, int, int], end: dt.date = dt.date(2026, 11, 14),
                 scope: str = "period") -> pl.DataFrame:
    """Defect Frequency rows (`defect_charges.frequency`, what the printed report prints) of
    OFP 81120-410-44210 for (code, employee, unit_review, unit_moved) in the period ending
    `end`."""
    start = end - dt.timedelta(days=6)
    return defect_charges.frequency(pl.DataFrame(
        [{"scope": scope, "period_start": start, "period_end": end,
          "quarter_end": periods.quarter_end(end),
          "org_code": "81120", "function_code": "410", "program_code": "44210",
          "defect_code": code, "employee": e, "unit_review": u, "unit_moved": m,
          "possible_identical": 0} for code, e, u, m in codes],
        schema_overrides={c: pl.Int64 for c in defect_charges.FIGURES}))


REVIEW17_WEEK = (("101", 3, 0, 0), ("102", 1, 0, 0), ("103", 1, 0, 0), ("104", 0, 3, 0),
                 ("105", 3, 0, 0), ("901", 0, 0, 1), ("935", 0, 0, 1))
# review 17, F1: OFP 81120's week 1, 104 sent on a `#` unit/group review line


def test_pareto_draws_the_defect_frequency_reports_shares_and_a_unit_groups_code_as_its():
    """Review 17, F1: a code sent on a unit/group (`#`) review is the unit/group's on the chart
    as on the printed report, and the shares are the report's (3 of 12 = 25.00, not 3 of 11)."""
    frame = run_charts.pareto_frame(_report_rows(*REVIEW17_WEEK))
    assert frame.select("section", "rank", "defect_code", "charged_to", "charged", "bar",
                        "share", "running_share", "line").rows() == [
        ("defect code", 1, "101", "employee", 3, 25.0, 25.0, 25.0, True),
        ("defect code", 2, "104", "unit/group", 3, 25.0, 25.0, 50.0, True),
        ("defect code", 3, "105", "employee", 3, 25.0, 25.0, 75.0, True),
        ("defect code", 4, "102", "employee", 1, 8.33, 8.33, 83.33, True),
        ("defect code", 5, "103", "employee", 1, 8.33, 8.33, 91.67, True),
        ("defect code", 6, "935", "unit/group", 1, 8.33, 8.33, 100.0, True),
        ("900-909 code (ranked apart)", 1, "901", "unit/group", 1, 100.0, 100.0, 100.0, True)]
    assert frame["panel"].unique().to_list() == [
        "81120-410-44210 11/08/2026-11/14/2026: 13 defects, employee 8, unit/group 5"]
    assert frame["description"][1] == (
        "81120-410-44210 11/08/2026-11/14/2026, code 104: defects 3 (employee 0, unit/group 3), "
        "share 25.00 %, running share 50.00 %")
    assert "code 935 (local): defects 1" in frame["description"][5]


def test_pareto_cuts_a_code_charged_both_ways_into_parts_adding_up_to_the_reports_share():
    """101 twice on an employee's review and once on a unit/group review: one bar of the
    report's share 42.86 (3 of 7), cut 28.57 + 14.29, the running share drawn once."""
    frame = run_charts.pareto_frame(_report_rows(("101", 2, 1, 0), ("102", 4, 0, 0)))
    assert frame.select("defect_code", "charged_to", "charged", "bar", "share",
                        "running_share", "line").rows() == [
        ("102", "employee", 4, 57.14, 57.14, 57.14, True),
        ("101", "employee", 2, 28.57, 42.86, 100.0, True),
        ("101", "unit/group", 1, 14.29, 42.86, 100.0, False)]


def test_pareto_is_the_printed_reports_period_page(week):
    """The chart's figures are the printed Defect Frequency report's, line for line: rank,
    code, defects, share, running share, employee, unit/group."""
    _, result = week
    frame = run_charts.pareto_frame(_frequency(result.run_dir)).unique(
        ["panel", "defect_code"], keep="first", maintain_order=True)
    text = (result.run_dir / "defect-frequency_11142026.txt").read_text()
    period = text.split("QUARTER TO DATE")[0]
    printed = [line.split() for line in period.splitlines()
               if line[:6].strip().isdigit() and line[7:10].isdigit()]
    drawn = [[str(r["rank"]), r["defect_code"], r["description"]] for r in frame.iter_rows(
        named=True)]
    assert len(printed) == len(drawn) == 4
    for words, (rank, code, description) in zip(printed, drawn, strict=True):
        employee, unit_group = words[-2:] if words[-1] != "LOCAL" else words[-3:-1]
        share, running = words[-4:-2] if words[-1] != "LOCAL" else words[-5:-3]
        assert (words[0], words[1]) == (rank, code)
        assert description.endswith(f"share {share} %, running share {running} %")
        assert f"(employee {employee}, unit/group {unit_group})" in description


def test_pareto_of_the_frequency_rows_counts_the_posting_listings_review_lines(week):
    """The Pareto reads the Defect Frequency twin (a row per OFP and code); its figures are
    those of the posted review lines of the posting listing's twin, counted here apart."""
    _, result = week
    posted = pl.read_parquet(result.run_dir / "posting-3926.parquet").filter(
        (pl.col("record_type") == "line") & (pl.col("program_number") == "59702")
        & (pl.col("defect_code").str.strip_chars() != ""))
    counted = posted.group_by(pl.concat_str(*run_charts.OFP, separator="-").alias("ofp"),
                              pl.col("defect_code").str.strip_chars()).agg(
        pl.col("defects").str.strip_chars().cast(pl.Int64).sum()).sort("ofp", "defect_code")
    frame = run_charts.pareto_frame(_frequency(result.run_dir))
    charged = frame.group_by(pl.col("panel").str.slice(0, 15).alias("ofp"), "defect_code").agg(
        pl.col("charged").sum()).sort("ofp", "defect_code")
    assert charged.rows() == counted.rows()
    assert counted.height == 4


def test_pareto_draws_each_period_of_a_split_week_as_its_report_page_and_no_quarter():
    """A week a quarter end splits has a report page per period: a panel each, with that
    page's figures; quarter to date is not drawn."""
    frequency = pl.concat([
        _report_rows(("101", 2, 1, 0), end=dt.date(2026, 9, 30)),
        _report_rows(("101", 4, 0, 0), ("903", 0, 0, 2), ("950", 0, 1, 1),
                     end=dt.date(2026, 10, 3)),
        _report_rows(("101", 9, 9, 9), end=dt.date(2026, 9, 30), scope="quarter")])
    frame = run_charts.pareto_frame(frequency)
    assert frame.select("panel", "defect_code", "charged_to", "charged", "share").rows() == [
        ("81120-410-44210 09/24/2026-09/30/2026: 3 defects, employee 2, unit/group 1", "101",
         "employee", 2, 100.0),
        ("81120-410-44210 09/24/2026-09/30/2026: 3 defects, employee 2, unit/group 1", "101",
         "unit/group", 1, 100.0),
        ("81120-410-44210 09/27/2026-10/03/2026: 8 defects, employee 4, unit/group 4", "101",
         "employee", 4, 66.67),
        ("81120-410-44210 09/27/2026-10/03/2026: 8 defects, employee 4, unit/group 4", "950",
         "unit/group", 2, 33.33),
        ("81120-410-44210 09/27/2026-10/03/2026: 8 defects, employee 4, unit/group 4", "903",
         "unit/group", 2, 100.0)]


def test_pareto_of_the_panels_shown_only_is_the_same_chart_as_of_every_panel():
    """The page reads the Pareto of the OFPs and periods the chart shows (the most defects
    first, then by panel) and gives the chart the week's count of them: the chart is the one
    of every panel."""
    frequency = pl.concat([defect_charges.frequency(pl.DataFrame(
        [{"scope": "period", "period_start": dt.date(2026, 11, 8),
          "period_end": dt.date(2026, 11, 14), "quarter_end": dt.date(2026, 12, 31),
          "org_code": f"{10000 + i}", "function_code": "410", "program_code": "44210",
          "defect_code": f"{100 + c}", "employee": 1 + (i * 7 + c) % 5, "unit_review": 0,
          "unit_moved": 0, "possible_identical": 0} for i in range(11) for c in range(14)]))])
    totals = run_charts.panel_defects(frequency)
    assert totals.height == 11
    assert totals["defects"].to_list() == sorted(totals["defects"].to_list(), reverse=True)
    shown = totals["panel"].head(run_charts.PARETO_OFPS).to_list()
    cut = run_charts.pareto_frame(frequency, shown)
    assert set(cut["panel"]) == set(shown)
    assert cut.equals(run_charts.pareto_frame(frequency).filter(pl.col("panel").is_in(shown)))
    assert (run_charts.pareto_chart(cut, totals.height).to_dict()
            == run_charts.pareto_chart(run_charts.pareto_frame(frequency)).to_dict())


def test_percent_accurate_is_set_against_the_quality_standard(week):
    data, result = week
    cum_ofp = Store(data).read("cum_ofp", result.generation)
    frame = run_charts.accuracy_frame(cum_ofp, "2027Q1")
    assert frame.rows() == [(OFP, 28, 5, 82.14, 95.0, "below standard", f"{OFP}: sampled 28, "
                             "defective 5, percent accurate 82.14, standard 95.00")]
    assert run_charts.accuracy_frame(cum_ofp, "2026Q4").height == 0


def test_percent_accurate_rounds_an_exact_half_up_as_the_ipr_and_sar_print_it():
    """Review 17, F2: 793 of 800 is 99.125 exactly, 791 of 800 98.875: 99.13 and 98.88, the
    IPR's and SAR's figures (half up), not 99.12 (a float rounded half to even). The standard
    is compared in hundredths: 99.13 meets 99.13; 1.00* is the listing's mark."""
    cum_ofp = pl.DataFrame({
        "fiscal_quarter": ["2027Q1"] * 3, "org_code": ["81150", "81160", "81170"],
        "function_code": ["410"] * 3, "program_code": ["44400"] * 3, "sampled": [800, 800, 8],
        "defective": [7, 9, 1], "quality_standard": [9913, None, 100],
        "below_minimum": [False, None, True]}).cast({"quality_standard": pl.Int32})
    frame = run_charts.accuracy_frame(cum_ofp, "2027Q1")
    assert frame.select("pct_accurate", "standard", "status", "description").rows() == [
        (99.13, 99.13, "meets standard", "81150-410-44400: sampled 800, defective 7, percent "
         "accurate 99.13, standard 99.13"),
        (98.88, None, "no standard", "81160-410-44400: sampled 800, defective 9, percent "
         "accurate 98.88, standard none"),
        (87.5, 1.0, "meets standard", "81170-410-44400: sampled 8, defective 1, percent "
         "accurate 87.50, standard 1.00*")]
    spec = run_charts.accuracy_chart(frame, "2027Q1").to_dict()
    assert {r["pct_accurate"] for r in next(iter(spec["datasets"].values()))} == {
        99.13, 98.88, 87.5}


def test_sar_progress_sums_reviews_and_rsd_per_qpc(week):
    _, result = week
    frame = run_charts.sar_frame(pl.read_parquet(result.run_dir / "sar_11142026.parquet"))
    assert frame.rows() == [("101", 25, 300, 3)]


def _cum(percent: float) -> pl.DataFrame:
    return pl.DataFrame({"fiscal_quarter": ["2027Q1"], "org_code": ["81120"],
                         "function_code": ["410"], "program_code": ["44210"],
                         "defect_percent": [percent]})


def test_defect_percent_trend_leaves_out_rolled_back_runs_and_what_went_with_them():
    history = [
        ({"generation": 1, "run_id": "20261110.01"}, _cum(10.0)),
        ({"generation": 2, "run_id": "20261117.01"}, _cum(12.5)),
        ({"generation": 3, "run_id": "20261124.01"}, _cum(20.0)),
        ({"generation": 4, "run_id": "rollback-before:20261117.01",
          "extra": {"rollback_before_run": "20261117.01",
                    "also_undone_runs": ["20261124.01"]}}, _cum(10.0)),
        ({"generation": 5, "run_id": "20261201.01"}, _cum(8.0)),
    ]
    frame = run_charts.trend_frame(history)
    assert frame.select("run_id", "ofp", "defect_percent").rows() == [
        ("20261110.01", OFP, 10.0), ("20261201.01", OFP, 8.0)]
    assert frame["run_date"].to_list() == [dt.date(2026, 11, 10), dt.date(2026, 12, 1)]


def test_trend_of_the_sample_week_reads_the_published_generations(week):
    data, result = week
    page = run_page.facts(data, result.run_id, result.generation)
    frame = run_charts.trend_frame(page.history)
    assert frame.select("run_id", "ofp", "fiscal_quarter").rows() == [
        ("20261117.01", OFP, "2027Q1")]
    assert frame["defect_percent"].round(2).to_list() == [17.86]


def test_trend_points_read_the_defect_percent_with_two_decimals_as_the_listing_prints_it():
    """The stored double of 1/7 (14.290000000000001) and 12.5 read 14.29 and 12.50, as the
    Cumulative Data File listing prints them (review 17, F2: every figure of the page)."""
    history = [({"generation": 1, "run_id": "20261110.01"}, _cum(14.290000000000001)),
               ({"generation": 2, "run_id": "20261117.01"}, _cum(12.5))]
    assert run_charts.trend_frame(history)["description"].to_list() == [
        f"{OFP} 2027Q1, run 20261110.01: defect percent 14.29",
        f"{OFP} 2027Q1, run 20261117.01: defect percent 12.50"]


def test_every_issued_code_points_at_a_field_of_its_runs_layouts():
    layouts = {RUN_3927: ("form3927_header", "form3927_line"),
               RUN_3926: ("form3926_header", "form3926_line")}
    for run, names in layouts.items():
        fields = {f.name for n in ("prefix", *names) for f in layout.load(n).fields}
        for code in issued(run):
            pointed = register_view.fields_of(run, code, None)
            assert pointed and set(pointed) <= fields, (run, code, pointed)
    fields = {f.name for n in ("prefix", "form3081", "form6489") for f in layout.load(n).fields}
    for code in individual_codes.RECORD_REASONS:
        pointed = register_view.fields_of("IPR-3081", code, None)
        assert set(pointed) <= fields and (pointed or code == "I01"), (code, pointed)


def test_a_sub_reason_narrows_code_36_to_its_own_field():
    assert register_view.fields_of(RUN_3926, "36", "SSN NOT 9 DIGITS") == ("ssn",)
    assert register_view.fields_of(RUN_3926, "36", "WEEK END NOT SAT/QTR END") == (
        "week_ending",)
    assert register_view.fields_of(RUN_3927, "09", "ORGANIZATION BLANK") == ("org_prefix",)


def test_every_code_of_every_family_has_a_meaning():
    for (run, code), entry in CODES.items():
        assert register_view.meaning(run, code) == entry.meaning
    assert register_view.meaning("IPR-3081", "T02") == "SSN NOT ON EMPLOYEE MASTER"
    assert register_view.meaning("IPR-6489", "A12") == "A FIGURE WOULD GO NEGATIVE"
    assert register_view.meaning("IPR-3081", "I01") == "NO EMPLOYEE MASTER FILE"


def test_record_html_masks_the_ssn_and_marks_the_field():
    text = "59600073       9998877771114202681120410442100080000010005011"
    html = register_view.record_html(text, "IPR-3081", "form3081", ["T02"], None)
    assert "999887777" not in html
    assert ('<span class="fld hl" data-field="ssn" data-codes="T02" title="ssn: code T02">'
            "XXXXX7777</span>") in html


def test_state_names_carry_the_condition_code():
    assert [run_artifact.state_name(cc) for cc in (0, 4, 8, 12, 16)] == [
        "CC 0 clean", "CC 4 records rejected", "CC 8 deck refused", "CC 12 incomplete",
        "CC 16 abend"]


def test_artifact_markdown_lists_every_code_with_its_meaning_and_the_run_page():
    record = {"records_in": 3, "posted": 1, "rejected": 2, "warnings": 0, "still_open": 2,
              "generation": 7, "decks": [{"path": "/in/a.dat", "status": "accepted",
                                          "records": 3, "posted": 1, "rejected": 2}],
              "codes": {RUN_3926: {"14": 1}, "IPR-3081": {"T02": 1}}}
    md = run_artifact.markdown("QAP weekly run 20261117.01", 4, "weekly run finished",
                               "/d/weeks/2026-11-14", record,
                               [{"step": "run 03", "condition_code": 4, "status": "completed",
                                 "detail": "1 rejected"}],
                               Path("/d/weeks/2026-11-14/reports/index.html"), [])
    assert "**CC 4 records rejected**: weekly run finished" in md
    assert "Run page: `/d/weeks/2026-11-14/reports/index.html`" in md
    assert f"| PCE-03-41 | 14 | 1 | {CODES[(RUN_3926, '14')].meaning} |" in md
    assert "| IPR-3081 | T02 | 1 | SSN NOT ON EMPLOYEE MASTER |" in md
    assert "| a.dat | accepted | 3 | 1 | 2 |" in md
    assert "| run 03 | 4 | completed | 1 rejected |" in md


def test_each_listing_links_its_twin_the_sars_under_its_week_name(week):
    """Docwalk F14: the SAR listing (sar-11142026_11142026.txt) and its twin
    (sar_11142026.parquet) differ in name, so the page linked no twin for it."""
    _, result = week
    twins = {row["name"]: row["twin"] for row in run_page._listings(result.run_dir)}
    assert twins["sar-11142026_11142026.txt"] == "sar_11142026.parquet"
    assert twins["pce-03-41.txt"] == "pce-03-41.parquet"
    assert twins["open-register.txt"] is None


def test_a_run_that_posted_nothing_gets_no_page(tmp_path):
    class Nothing:
        run_dir = None

    assert run_page.write(Nothing(), tmp_path) is None


def test_a_long_register_is_cut_on_the_page_and_says_so(week, tmp_path):
    data, result = week
    page = run_page.write(result, data, max_rows=5)
    html = page.read_text()
    assert html.count('<span class="codes"') == 5 + 5 + 1 + 1
    assert "The first 5 of 62 are shown (deck and line order)" in html
    assert "The first 5 of 20 are shown" in html
    assert run_page.write(result, data).read_text().count('<span class="codes"') == 84


def test_charts_of_a_week_with_many_ofps_keep_the_worst_and_say_so():
    frame = run_charts.pareto_frame(defect_charges.frequency(pl.DataFrame(
        [{"scope": "period", "period_start": dt.date(2026, 11, 8),
          "period_end": dt.date(2026, 11, 14), "quarter_end": dt.date(2026, 12, 31),
          "org_code": f"{10000 + i}", "function_code": "410", "program_code": "44210",
          "defect_code": f"{c:03d}", "employee": i + 1, "unit_review": 0, "unit_moved": 0,
          "possible_identical": 0} for i in range(9) for c in range(100, 113)])))
    spec = run_charts.pareto_chart(frame).to_dict()
    assert spec["title"] == (
        "Defect Pareto per OFP and period (this run's posted reviews, as the Defect Frequency "
        "report ranks them) (8 of 9 OFPs and periods: those with the most defects), the first "
        "12 codes of each section")
    rows = [r for rows in spec["datasets"].values() for r in rows]
    assert len(rows) == 8 * 12 and not any(r["panel"].startswith("10000-") for r in rows)
    accuracy = pl.DataFrame({"ofp": [f"OFP{i:02d}" for i in range(31)], "sampled": [10] * 31,
                             "defective": [1] * 31, "pct_accurate": [float(i) for i in range(31)],
                             "standard": [95.0] * 31, "status": ["below standard"] * 31})
    spec = run_charts.accuracy_chart(accuracy, "2027Q1").to_dict()
    assert spec["title"].endswith("(2027Q1) (30 of 31 OFPs: the least accurate)")
    assert "OFP30" not in {r["ofp"] for r in next(iter(spec["datasets"].values()))}


def test_charts_drawn_in_their_own_process_are_the_svgs_drawn_in_this_one(week):
    import vl_convert

    data, result = week
    specs = [c.chart.to_dict() for c in run_page.charts(
        result, run_page.facts(data, result.run_id, result.generation))]
    with chart_painter.Painter() as painter:
        painter.paint(specs)
        drawn = list(painter.svgs(len(specs)))
    assert drawn == [vl_convert.vegalite_to_svg(spec) for spec in specs]
    assert all(svg.startswith("<svg") for svg in drawn)


def test_a_chart_that_cannot_be_drawn_fails_with_the_drawings_own_error_and_ends_its_process():
    painter = chart_painter.Painter()
    good = run_charts.sar_chart(run_charts.sar_frame(None)).to_dict()
    bad = {"mark": "no such mark", "data": {"values": [{"a": 1}]}}
    said = (r"chart drawing failed \(exit 1\): chart 2: Vega-Lite to SVG conversion failed: "
            r"TypeError: ")
    with pytest.raises(RuntimeError, match=said), painter:
        painter.paint([good, bad])
        svgs = painter.svgs(2)
        assert next(svgs).startswith("<svg")
        next(svgs)
    assert painter._child.returncode == 1


def test_a_page_whose_charts_cannot_be_drawn_is_a_warning_not_a_failure(week, monkeypatch):
    data, result = week
    monkeypatch.setattr(chart_painter.sys, "executable", "/nonexistent/python")
    page, why = run_page.write_after_posting(result, data)
    assert page is None
    assert why.startswith("run page not written: FileNotFoundError")


def test_the_page_of_a_run_made_twice_is_the_same_bytes(week, tmp_path):
    """Every table's id is named for what it shows (great-tables would draw random ones), so
    the page of a run is reproducible but for when it says it was made."""
    data, result = week
    made = dt.datetime(2026, 11, 17, 6, 0, tzinfo=dt.UTC)
    first = run_page.write(result, data, made=made).read_bytes()
    assert run_page.write(result, data, made=made).read_bytes() == first
    html = first.decode()
    for shown in ("decks", "steps", "codes", f"register-{RUN_3926}", f"register-{RUN_3927}"):
        assert html.count(f'id="table-{shown}"') == 1
