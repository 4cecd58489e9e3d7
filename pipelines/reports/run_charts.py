"""The charts a QA manager reads on the run page: the figures as frames, then Altair charts.

Each `*_frame` function is plain polars (tested on its own figures); each chart function turns
one such frame into an Altair chart, which vl-convert makes into static SVG for the page (in a
process of its own: `chart_painter`) and `png` into a PNG for mail: no JavaScript and no
network when the page is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import polars as pl
import vl_convert

from pipelines.engine.qap.individual import measures
from pipelines.engine.qap.individual.periods import div_half_up

OFP = ("org_code", "function_code", "program_code")
EMPLOYEE, UNIT_GROUP = "employee", "unit/group"
RUN_ID = re.compile(r"^\d{8}\.\d{2}$")
WIDTH = 520
# A week of hundreds of OFPs would draw charts nobody reads (and past Altair's 5000 rows): the
# charts show where quality slips most, and say when they leave OFPs or codes out.
PARETO_OFPS, PARETO_CODES, ACCURACY_OFPS, TREND_OFPS = 8, 12, 30, 10


@dataclass(frozen=True)
class Chart:
    """One chart of the run page: its file stem, its title, what it shows, the chart."""

    name: str
    title: str
    about: str
    chart: alt.TopLevelMixin


def ofp_label() -> pl.Expr:
    return pl.concat_str([pl.col(c) for c in OFP], separator="-").alias("ofp")


PARETO_COLUMNS = ["scope", "period_start", "period_end", *OFP, "section", "rank", "defect_code",
                  "local", "defects", "employee", "unit_group", "share", "running_share",
                  "ofp_defects", "ofp_employee", "ofp_unit_group"]
# what `pareto_frame` reads of the Defect Frequency twins (`defect_charges.FREQUENCY_COLUMNS`)
SECTIONS = {"defects": "defect code", "procedural": "900-909 code (ranked apart)"}


def _week_rows(frequency: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The period rows of the run's Defect Frequency rows (`defect_charges.frequency`, its
    `defect-frequency_*` twins), each with its `panel`: the OFP and period a page of the
    printed report heads, and that OFP's total line (a week split by a quarter end has two
    periods, each week a file of its own; no OFP and period is in two files)."""
    return frequency.lazy().filter(pl.col("scope") == "period").with_columns(pl.format(
        "{}: {} defects, employee {}, unit/group {}", _ofp_period(), "ofp_defects",
        "ofp_employee", "ofp_unit_group").alias("panel"))


def _ofp_period() -> pl.Expr:
    """`81120-410-44210 11/08/2026-11/14/2026`: a Defect Frequency row's OFP and period."""
    return pl.format("{} {}-{}", ofp_label(), pl.col("period_start").dt.strftime("%m/%d/%Y"),
                     pl.col("period_end").dt.strftime("%m/%d/%Y"))


def panel_defects(frequency: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Defects of each OFP and period (`panel`) of the week's posted review lines, most first,
    then by panel: the order in which the Pareto takes its panels."""
    return _week_rows(frequency).group_by("panel").agg(pl.col("defects").sum()).filter(
        pl.col("defects") > 0).sort(["defects", "panel"], descending=[True, False]).collect()


def pareto_frame(frequency: pl.DataFrame | pl.LazyFrame, panels: list[str] | None = None
                 ) -> pl.DataFrame:
    """The printed Defect Frequency report's period rows as the Pareto draws them; only the
    panels `panels`, if given. Nothing is worked out again: rank, share and running share are
    the report's (900-909 ranked apart, each section's shares of its own defects), and so is
    each code's split between the employee and the unit/group (a `#` review's defects are the
    unit/group's whatever the code). A code has a row per charge it has (`charged_to`,
    `charged`): its bar is cut by charge, `bar` the part of the code's share that charge
    draws (the share split in hundredths, half up, the parts adding up to it); `line` marks
    one row per code for the running share."""
    rows = _week_rows(frequency)
    if panels is not None:
        rows = rows.filter(pl.col("panel").is_in(panels))
    share_h = (pl.col("share") * 100).round().cast(pl.Int64)
    employee_h = div_half_up(share_h * pl.col("employee"), pl.col("defects"))
    rows = rows.with_columns(
        pl.col("section").replace_strict(SECTIONS).alias("section"),
        pl.format("{}, code {}{}: defects {} (employee {}, unit/group {}), share {} %, "
                  "running share {} %", _ofp_period(), "defect_code",
                  pl.when(pl.col("local")).then(pl.lit(" (local)")).otherwise(pl.lit("")),
                  "defects", "employee", "unit_group",
                  measures.fmt_hundredths(share_h),
                  measures.fmt_hundredths((pl.col("running_share") * 100).round().cast(pl.Int64)))
        .alias("description"),
        employee_h.alias("_employee_h"), (share_h - employee_h).alias("_unit_h"))
    parts = [rows.filter(pl.col(charge) > 0).with_columns(
        pl.lit(label).alias("charged_to"), pl.col(charge).alias("charged"),
        (pl.col(bar) / 100).alias("bar"), pl.lit(charge == "employee").alias("line"))
        for charge, label, bar in (("employee", EMPLOYEE, "_employee_h"),
                                   ("unit_group", UNIT_GROUP, "_unit_h"))]
    both = pl.concat(parts).with_columns(  # a code of unit/group charges only draws the line
        (pl.col("line") | (pl.col("employee") == 0)).alias("line"))
    return both.sort(["panel", pl.col("section") == SECTIONS["procedural"], "rank",
                      "charged_to"]).select(
        "panel", "section", "rank", "defect_code", "charged_to", "charged", "defects", "bar",
        "share", "running_share", "line", "description").collect()


def accuracy_frame(cum_ofp: pl.DataFrame, quarter: str | None) -> pl.DataFrame:
    """Percent accurate of each OFP in the quarter (Cumulative Data File: sampled less defective
    documents, of sampled) beside its quality standard (NNnn read as NN.nn percent; `1.00*` in
    `description` when entered below 1.00, as the listing prints it). Percent accurate is the
    IPR's and SAR's own figure (`measures.pct_accurate_h`: hundredths, half up), so 793 of 800
    reads 99.13 here as on paper (review 17, F2: a float rounded half to even read 99.12);
    the status compares the two in hundredths."""
    rows = cum_ofp.filter(pl.col("fiscal_quarter") == quarter) if quarter else cum_ofp.clear()
    accurate_h = measures.pct_accurate_h(pl.col("sampled"), pl.col("defective"))
    standard_h = pl.col("quality_standard").cast(pl.Int64)
    return rows.filter(pl.col("sampled") > 0).select(
        ofp_label(), "sampled", "defective",
        measures.as_float(accurate_h).alias("pct_accurate"),
        measures.as_float(standard_h).alias("standard"),
        pl.when(standard_h.is_null()).then(pl.lit("no standard"))
        .when(accurate_h >= standard_h).then(pl.lit("meets standard"))
        .otherwise(pl.lit("below standard")).alias("status"),
        pl.format("{}: sampled {}, defective {}, percent accurate {}, standard {}", ofp_label(),
                  "sampled", "defective", measures.fmt_hundredths(accurate_h),
                  pl.when(standard_h.is_null()).then(pl.lit("none")).otherwise(
                      measures.fmt_hundredths(standard_h)
                      + pl.when(pl.col("below_minimum")).then(pl.lit("*")).otherwise(
                          pl.lit("")))).alias("description"),
    ).sort("ofp")


def trend_frame(generations: list[tuple[dict, pl.DataFrame | None]]) -> pl.DataFrame:
    """Defect percent of each OFP, quarter to date, as each published weekly run left it:
    `generations` are (manifest, cum_ofp) oldest first (`Store.history`). A run undone by a
    later rollback is left out, with every run undone with it."""
    points: dict[str, pl.DataFrame] = {}
    for manifest, cum_ofp in generations:
        extra = manifest.get("extra") or {}
        if "rollback_before_run" in extra:
            for run in [extra["rollback_before_run"], *extra.get("also_undone_runs", [])]:
                points.pop(run, None)
            continue
        run_id = manifest.get("run_id", "")
        if not RUN_ID.match(run_id) or cum_ofp is None or cum_ofp.height == 0:
            continue
        points[run_id] = cum_ofp.filter(pl.col("defect_percent").is_not_null()).select(
            pl.lit(run_id).alias("run_id"),
            pl.lit(run_id[:8]).str.to_date("%Y%m%d").alias("run_date"),
            ofp_label(), "fiscal_quarter", "defect_percent",
            pl.format("{} {}, run {}: defect percent {}", ofp_label(), "fiscal_quarter",
                      pl.lit(run_id), measures.fmt_hundredths(
                          (pl.col("defect_percent") * 100).round().cast(pl.Int64)))
            .alias("description"))
    schema = {"run_id": pl.String, "run_date": pl.Date, "ofp": pl.String,
              "fiscal_quarter": pl.String, "defect_percent": pl.Float64,
              "description": pl.String}
    if not points:
        return pl.DataFrame(schema=schema)
    return pl.concat(list(points.values())).cast(schema).sort("ofp", "run_date")


def sar_frame(sar: pl.DataFrame | None) -> pl.DataFrame:
    """Reviews done in the rating period against the reviews desired by now (RSD), per quality
    performance code (QPC), summed over the employees of the latest SAR period."""
    schema = {"qpc": pl.String, "reviewed": pl.Int64, "rsd": pl.Int64, "employees": pl.UInt32}
    if sar is None or sar.height == 0:
        return pl.DataFrame(schema=schema)
    latest = sar.filter(pl.col("period_end") == pl.col("period_end").max())
    return latest.group_by("qpc").agg(
        pl.col("reviewed_rating").sum().alias("reviewed"), pl.col("rsd").sum(),
        pl.len().alias("employees")).cast(schema).sort("qpc")


def _empty(title: str, why: str) -> alt.Chart:
    return alt.Chart(pl.DataFrame({"text": [why]})).mark_text(size=14).encode(
        text="text:N").properties(title=title, width=WIDTH, height=60)


def _most(frame: pl.DataFrame, by: pl.Expr, n: int) -> list[str]:
    """The `n` OFPs of `frame` that rank first by `by` (then by OFP)."""
    ranked = frame.group_by("ofp").agg(by.alias("_key")).sort(["_key", "ofp"],
                                                               descending=[True, False])
    return ranked["ofp"].head(n).to_list()


def _cut_note(shown: int, total: int, what: str) -> str:
    return f" ({shown} of {total} {what})" if shown < total else ""


def pareto_chart(frame: pl.DataFrame, panels_in_week: int | None = None) -> alt.TopLevelMixin:
    """`frame` (`pareto_frame`) may hold only the panels shown; then `panels_in_week` says how
    many OFPs and periods had a defect, for the title. A row per OFP and period, headed with
    its total line as the report prints it, holding a chart per section of the report."""
    title = "Defect Pareto per OFP and period (this run's posted reviews, as the Defect " \
        "Frequency report ranks them)"
    if frame.height == 0:
        return _empty(title, "no defects posted this week")
    panels = (frame.group_by("panel").agg(pl.col("charged").sum().alias("_key"))
              .sort(["_key", "panel"], descending=[True, False])["panel"].head(PARETO_OFPS))
    total = frame["panel"].n_unique() if panels_in_week is None else panels_in_week
    cut = frame.filter(pl.col("panel").is_in(panels.to_list())
                       & (pl.col("rank") <= PARETO_CODES))
    title += _cut_note(panels.len(), total, "OFPs and periods: those with the most defects")
    if cut.height < frame.filter(pl.col("panel").is_in(panels.to_list())).height:
        title += f", the first {PARETO_CODES} codes of each section"
    cells = cut.partition_by("panel", "section", as_dict=True, maintain_order=True)
    return alt.vconcat(*[
        alt.hconcat(*[_section_chart(cells[panel, section], section)
                      for section in SECTIONS.values() if (panel, section) in cells]
                    ).properties(title=alt.TitleParams(panel, anchor="start", fontSize=12))
        for panel in sorted(panels.to_list())]).properties(title=title)


def _section_chart(rows: pl.DataFrame, section: str) -> alt.LayerChart:
    """One section of one OFP and period: the codes' shares cut by charge and the running
    share, in the report's rank order. A chart of its own per section and panel, not a facet:
    Vega-Lite puts a facet's cells with independent scales in the wrong column when a row
    lacks a section."""
    base = alt.Chart(rows).encode(
        x=alt.X("defect_code:N", sort=alt.EncodingSortField("rank", op="min"),
                title=section),
        description="description:N")
    bars = base.mark_bar().encode(
        y=alt.Y("bar:Q", title="share of defects (%)", stack="zero",
                scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("charged_to:N", title="charged to",
                        scale=alt.Scale(domain=[EMPLOYEE, UNIT_GROUP])),
        order=alt.Order("charged_to:N"),
        tooltip=["defect_code", "charged_to", "charged", "defects",
                 alt.Tooltip("share:Q", format=".2f"),
                 alt.Tooltip("running_share:Q", format=".2f")])
    line = base.transform_filter(alt.datum.line).mark_line(point=True, color="#333").encode(
        y=alt.Y("running_share:Q", title="running share (%)"),
        tooltip=["defect_code", alt.Tooltip("running_share:Q", format=".2f")])
    return alt.layer(bars, line).properties(width=alt.Step(28), height=160)


def accuracy_chart(frame: pl.DataFrame, quarter: str | None) -> alt.TopLevelMixin:
    title = f"Percent accurate per OFP against the quality standard ({quarter or '-'})"
    if frame.height == 0:
        return _empty(title, "no OFP sampled in the quarter")
    total = frame.height
    frame = frame.sort(["pct_accurate", "ofp"]).head(ACCURACY_OFPS)
    title += _cut_note(frame.height, total, "OFPs: the least accurate")
    low = max(0.0, min(frame["pct_accurate"].min(), frame["standard"].drop_nulls().min()
                       if frame["standard"].drop_nulls().len() else 100.0) - 5)
    base = alt.Chart(frame).encode(y=alt.Y("ofp:N", title="OFP"))
    bars = base.mark_bar().encode(
        x=alt.X("pct_accurate:Q", title="percent accurate",
                scale=alt.Scale(domain=[low, 100], clamp=True)),
        color=alt.Color("status:N", title=None, scale=alt.Scale(
            domain=["meets standard", "below standard", "no standard"],
            range=["#4c9a2a", "#c0392b", "#999999"])),
        description="description:N",
        tooltip=["ofp", "sampled", "defective", alt.Tooltip("pct_accurate:Q", format=".2f"),
                 alt.Tooltip("standard:Q", format=".2f")])
    ticks = base.mark_tick(color="black", thickness=3, size=24).encode(
        x="standard:Q", description="description:N",
        tooltip=["ofp", alt.Tooltip("standard:Q", format=".2f")])
    return alt.layer(bars, ticks).properties(title=title, width=WIDTH,
                                              height=max(60, 28 * frame.height))


def trend_chart(frame: pl.DataFrame) -> alt.TopLevelMixin:
    title = "Defect percent per OFP, quarter to date, run over run"
    if frame.height == 0:
        return _empty(title, "no published run with sampled OFPs")
    latest = frame.filter(pl.col("run_date") == pl.col("run_date").max())
    ofps = _most(latest, pl.col("defect_percent").max(), TREND_OFPS)
    title += _cut_note(len(ofps), frame["ofp"].n_unique(),
                       "OFPs: the highest defect percent in the latest run")
    frame = frame.filter(pl.col("ofp").is_in(ofps))
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("run_date:T", title="run date"),
        y=alt.Y("defect_percent:Q", title="defect percent"),
        color=alt.Color("ofp:N", title="OFP"), detail="fiscal_quarter:N",
        description="description:N",
        tooltip=["run_id", "ofp", "fiscal_quarter",
                 alt.Tooltip("defect_percent:Q", format=".2f")],
    ).properties(title=title, width=WIDTH, height=220)


def sar_chart(frame: pl.DataFrame) -> alt.TopLevelMixin:
    title = "SAR progress per QPC: reviewed in the rating period against RSD"
    if frame.height == 0:
        return _empty(title, "no SAR this week")
    base = alt.Chart(frame).encode(y=alt.Y("qpc:N", title="QPC"))
    bars = base.mark_bar(color="#4a78a8").encode(
        x=alt.X("reviewed:Q", title="reviews"), tooltip=["qpc", "reviewed", "rsd", "employees"])
    ticks = base.mark_tick(color="#c0392b", thickness=3, size=24).encode(
        x="rsd:Q", tooltip=["rsd"])
    return alt.layer(bars, ticks).properties(title=title, width=WIDTH,
                                              height=max(60, 28 * frame.height))


def png(svg_text: str) -> bytes:
    """The chart's SVG as a PNG at twice its size, for mail (resvg, in Rust: no JavaScript
    runtime is needed for it)."""
    return vl_convert.svg_to_png(svg_text, scale=2)
