"""The charts a QA manager reads on the run page: the figures as frames, then Altair charts.

Each `*_frame` function is plain polars (tested on its own figures); each chart function turns
one such frame into an Altair chart, which `render` makes into static SVG (for the page) and PNG
(for mail) with vl-convert: no JavaScript and no network when the page is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import altair as alt
import polars as pl
import vl_convert

from validators.pce_03_41 import LOCAL_CODES, PROCEDURAL_CODES, code_in

OFP = ("org_code", "function_code", "program_code")
EMPLOYEE, UNIT_GROUP, LOCAL = "employee", "unit/group (900-909)", "local (930-999)"
KIND_GROUP = {"procedural": UNIT_GROUP, "local": LOCAL}
REVIEW_PROGRAM = "59702"  # Form 3926 review transactions: the lines that carry defects
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


def _number(column: str) -> pl.Expr:
    """A listing twin's figure (text, blanks when absent) as an integer."""
    return pl.col(column).str.strip_chars().cast(pl.Int64, strict=False)


PARETO_COLUMNS = [*OFP, "record_type", "program_number", "deck", "line_no", "defect_code",
                  "defects"]  # what `pareto_frame` reads of the posting listing's twin


def pareto_frame(posted: pl.DataFrame | pl.LazyFrame, unit_group: pl.DataFrame | None
                 ) -> pl.DataFrame:
    """Defects per OFP and defect code of the week's posted review lines (the posting listing
    twin), each code's share of its OFP's defects and the running share, in Pareto order within
    each group. The group is the unit/group frame's: a finding it lists as procedural (900-909)
    or local (930-999) is the unit/group's; every other code is the employees'. `posted` may
    be a scan of the twin: its million rows are then read a batch at a time, never whole."""
    lines = posted.lazy().filter((pl.col("record_type") == "line")
                          & (pl.col("program_number") == REVIEW_PROGRAM)).select(
        *OFP, "deck", "line_no", pl.col("defect_code").str.strip_chars(),
        _number("defects").alias("defects"))
    lines = lines.filter(pl.col("defects").is_not_null() & (pl.col("defects") > 0)
                         & (pl.col("defect_code") != ""))
    kinds = pl.DataFrame(schema={"deck": pl.String, "line_no": pl.UInt32, "group": pl.String})
    if unit_group is not None and unit_group.height:
        kinds = unit_group.filter(pl.col("kind").is_in(list(KIND_GROUP))).select(
            "deck", "line_no", pl.col("kind").replace_strict(KIND_GROUP).alias("group"))
    by_range = (pl.when(code_in("defect_code", PROCEDURAL_CODES)).then(pl.lit(UNIT_GROUP))
                .when(code_in("defect_code", LOCAL_CODES)).then(pl.lit(LOCAL))
                .otherwise(pl.lit(EMPLOYEE)))
    lines = lines.join(kinds.unique(["deck", "line_no"]).lazy(), on=["deck", "line_no"],
                       how="left")
    # A 900-series code on a unit charge (no SSN) is the unit/group's too: the frame lists only
    # charges on an SSN, so the code's range decides where the frame is silent.
    lines = lines.with_columns(pl.coalesce("group", by_range).alias("group"))
    sums = lines.group_by(*OFP, "group", "defect_code").agg(pl.col("defects").sum()).collect(
        engine="streaming")
    return sums.with_columns(ofp_label()).sort(
        ["ofp", "group", "defects", "defect_code"], descending=[False, False, True, False]
    ).with_columns(
        (100 * pl.col("defects") / pl.col("defects").sum().over("ofp", "group")).alias("share"),
        (100 * pl.col("defects").cum_sum().over("ofp", "group")
         / pl.col("defects").sum().over("ofp", "group")).alias("running_share"),
        pl.int_range(pl.len()).over("ofp", "group").alias("rank"),
    ).select("ofp", "group", "defect_code", "defects", "share", "running_share", "rank")


def accuracy_frame(cum_ofp: pl.DataFrame, quarter: str | None) -> pl.DataFrame:
    """Percent accurate of each OFP in the quarter (Cumulative Data File: sampled less defective
    documents, of sampled) beside its quality standard (NNnn read as NN.nn percent)."""
    rows = cum_ofp.filter(pl.col("fiscal_quarter") == quarter) if quarter else cum_ofp.clear()
    return rows.filter(pl.col("sampled") > 0).select(
        ofp_label(), "sampled", "defective",
        (100 * (pl.col("sampled") - pl.col("defective")) / pl.col("sampled"))
        .round(2).alias("pct_accurate"),
        (pl.col("quality_standard").cast(pl.Float64) / 100).alias("standard"),
    ).with_columns(
        pl.when(pl.col("standard").is_null()).then(pl.lit("no standard"))
        .when(pl.col("pct_accurate") >= pl.col("standard")).then(pl.lit("meets standard"))
        .otherwise(pl.lit("below standard")).alias("status")).sort("ofp")


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
            ofp_label(), "fiscal_quarter", "defect_percent")
    schema = {"run_id": pl.String, "run_date": pl.Date, "ofp": pl.String,
              "fiscal_quarter": pl.String, "defect_percent": pl.Float64}
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


def pareto_chart(frame: pl.DataFrame) -> alt.TopLevelMixin:
    title = "Defect Pareto per OFP (this week's posted reviews)"
    if frame.height == 0:
        return _empty(title, "no defects posted this week")
    ofps = _most(frame, pl.col("defects").sum(), PARETO_OFPS)
    total = frame["ofp"].n_unique()
    cut = frame.filter(pl.col("ofp").is_in(ofps) & (pl.col("rank") < PARETO_CODES))
    title += _cut_note(len(ofps), total, "OFPs: those with the most defects")
    if cut.height < frame.filter(pl.col("ofp").is_in(ofps)).height:
        title += f", the first {PARETO_CODES} codes of each"
    frame = cut
    base = alt.Chart(frame).encode(
        x=alt.X("defect_code:N", sort=alt.EncodingSortField("rank"), title="defect code"))
    bars = base.mark_bar().encode(
        y=alt.Y("share:Q", title="share of defects (%)", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("group:N", title="charged to"),
        tooltip=["ofp", "group", "defect_code", "defects",
                 alt.Tooltip("share:Q", format=".1f")])
    line = base.mark_line(point=True, color="#333").encode(
        y=alt.Y("running_share:Q", title="running share (%)"),
        tooltip=[alt.Tooltip("running_share:Q", format=".1f")])
    layered = alt.layer(bars, line).properties(width=220, height=160)
    return layered.facet(row=alt.Row("ofp:N", title="OFP"),
                         column=alt.Column("group:N", title=None)).resolve_scale(
        x="independent").properties(title=title)


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
        tooltip=["ofp", "sampled", "defective", "pct_accurate", "standard"])
    ticks = base.mark_tick(color="black", thickness=3, size=24).encode(
        x="standard:Q", tooltip=["standard"])
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
        tooltip=["run_id", "ofp", "fiscal_quarter", "defect_percent"],
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


def svg(chart: alt.TopLevelMixin) -> str:
    return vl_convert.vegalite_to_svg(chart.to_dict())


def png(svg_text: str) -> bytes:
    """The chart's SVG as a PNG at twice its size, for mail."""
    return vl_convert.svg_to_png(svg_text, scale=2)
