"""The run page's figures, highlights and the flow's artifact text, without a browser (the
page in Chromium: test_run_page_browser.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from layouts import layout
from pipelines.engine.machinery.reference import load as load_reference
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


def test_pareto_gives_share_and_running_share_per_group(week):
    _, result = week
    frame = run_charts.pareto_frame(_frequency(result.run_dir))
    rows = frame.with_columns(pl.col("share", "running_share").round(2)).rows()
    assert rows == [
        (OFP, "employee", "101", 2, 66.67, 66.67, 0),
        (OFP, "employee", "102", 1, 33.33, 100.0, 1),
        (OFP, "local (930-999)", "935", 1, 100.0, 100.0, 0),
        (OFP, "unit/group (900-909)", "901", 3, 100.0, 100.0, 0),
    ]


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
    assert frame.select("ofp", "defect_code", "defects").sort("ofp", "defect_code").rows() == (
        counted.rows())
    assert counted.height == 4


def test_pareto_sums_a_split_weeks_periods_and_groups_by_code_whoever_was_charged():
    """A week a quarter end splits has two period rows per code (both count; quarter to date
    does not); 900-909 and 930-999 are the unit/group's and local however charged, any other
    code the employees' even on a unit/group review."""
    def row(scope, end, code, employee, unit_review, unit_moved):
        return {"scope": scope, "period_end": end, "org_code": "81120", "function_code": "410",
                "program_code": "44210", "defect_code": code,
                "section": "procedural" if code.startswith("90") else "defects",
                "local": code >= "930", "defects": employee + unit_review + unit_moved}
    frequency = pl.DataFrame([
        row("period", dt.date(2026, 9, 30), "101", 2, 1, 0),
        row("period", dt.date(2026, 10, 3), "101", 4, 0, 0),
        row("period", dt.date(2026, 10, 3), "903", 0, 0, 2),
        row("period", dt.date(2026, 10, 3), "950", 0, 1, 1),
        row("quarter", dt.date(2026, 9, 30), "101", 9, 9, 9),
    ])
    frame = run_charts.pareto_frame(frequency)
    assert frame.select("group", "defect_code", "defects", "share").rows() == [
        (run_charts.EMPLOYEE, "101", 7, 100.0), (run_charts.LOCAL, "950", 2, 100.0),
        (run_charts.UNIT_GROUP, "903", 2, 100.0)]


def test_pareto_of_the_ofps_shown_only_is_the_same_chart_as_of_every_ofp():
    """The page works out the Pareto of the OFPs the chart shows (the most defects first, then
    by OFP) and gives the chart the week's count of OFPs: the chart is the one of every OFP."""
    rows = [{"scope": "period", "org_code": f"{10000 + i}", "function_code": "410",
             "program_code": "44210", "section": "defects", "local": False,
             "defect_code": f"{100 + c}", "defects": 1 + (i * 7 + c) % 5}
            for i in range(11) for c in range(14)]
    frequency = pl.DataFrame([*rows, {**rows[0], "scope": "quarter", "defects": 99}])
    totals = run_charts.ofp_defects(frequency)
    assert totals.height == 11
    assert totals["defects"].to_list() == sorted(totals["defects"].to_list(), reverse=True)
    shown = totals["ofp"].head(run_charts.PARETO_OFPS).to_list()
    cut = run_charts.pareto_frame(frequency, shown)
    assert set(cut["ofp"]) == set(shown)
    assert cut.equals(run_charts.pareto_frame(frequency).filter(pl.col("ofp").is_in(shown)))
    assert (run_charts.pareto_chart(cut, totals.height).to_dict()
            == run_charts.pareto_chart(run_charts.pareto_frame(frequency)).to_dict())


def test_percent_accurate_is_set_against_the_quality_standard(week):
    data, result = week
    cum_ofp = Store(data).read("cum_ofp", result.generation)
    frame = run_charts.accuracy_frame(cum_ofp, "2027Q1")
    assert frame.rows() == [(OFP, 28, 5, 82.14, 95.0, "below standard")]
    assert run_charts.accuracy_frame(cum_ofp, "2026Q4").height == 0


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
    frame = pl.DataFrame({
        "ofp": [f"OFP{i:02d}" for i in range(9) for _ in range(13)],
        "group": ["employee"] * 117,
        "defect_code": [f"{c:03d}" for _ in range(9) for c in range(100, 113)],
        "defects": [i + 1 for i in range(9) for _ in range(13)],
        "share": [1.0] * 117, "running_share": [1.0] * 117,
        "rank": [r for _ in range(9) for r in range(13)]})
    spec = run_charts.pareto_chart(frame).to_dict()
    assert spec["title"] == ("Defect Pareto per OFP (this week's posted reviews) (8 of 9 OFPs: "
                             "those with the most defects), the first 12 codes of each")
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 8 * 12 and "OFP00" not in {r["ofp"] for r in rows}
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
