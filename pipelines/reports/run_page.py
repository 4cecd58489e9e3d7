"""The run page: one self-contained `index.html` in the run folder (no server, no network), and
the charts beside the listings as PNG files for mail.

Built after the run is published, from the run's result, its Parquet twins and the store's
published generations; the engine never calls it. Tables are great-tables, charts Altair made
static by vl-convert, the page one Jinja2 template. Record text and full SSNs never reach the
page unmasked (`register_view`), and the page is written owner-only like every run file.

The charts are drawn in a process of their own (`chart_painter`), started first: its
JavaScript runtime starts while this process loads altair and great-tables (imported where
they are used, not with this module, for that reason), and it draws while the tables are built.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import polars as pl

from pipelines.engine.qap.cum_file import fiscal_quarter
from pipelines.reports import chart_painter, register_view, summary
from pipelines.state.store import Store
from validators.codes import RUN_3926, RUN_3927

if TYPE_CHECKING:
    from pipelines.reports.run_charts import Chart

PAGE = "index.html"
MAX_ROWS = 1000  # register rows per register on the page; the printed register has them all
MEANING = {0: "clean", 4: "records rejected (see the error registers)",
           8: "a deck was refused (nothing of it posted)", 12: "the run could not complete",
           16: "the run stopped on an internal error"}
REGISTER_ORDER = (RUN_3927, RUN_3926, "IPR-3081", "IPR-6489")
STEP_NAMES = {RUN_3927: "run 01: Forms 3927", RUN_3926: "run 03: Forms 3926/3926-A",
              "IPR-3081": "individual data: Forms 3081", "IPR-6489": "individual data: Forms 6489"}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("pipelines.reports", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


@dataclass(frozen=True)
class PageFacts:
    """What the page reads besides the run result: this run's register entries and the state."""

    register: pl.DataFrame
    cum_ofp: pl.DataFrame | None
    history: list[tuple[dict, pl.DataFrame | None]]


def facts(data_dir: Path, run_id: str, generation: int | None) -> PageFacts:
    """This run's register entries, its generation's Cumulative Data File and every published
    generation up to it (read-only: the store is not locked)."""
    store = Store(data_dir)
    register = store.read("error_register", generation) if generation else None
    entries = (register.filter(pl.col("run_id") == run_id) if register is not None
               else pl.DataFrame(schema={"run": pl.String}))
    history = [(m, store.read("cum_ofp", m["generation"])) for m in store.history()
               if generation is not None and m["generation"] <= generation]
    return PageFacts(entries, store.read("cum_ofp", generation) if generation else None,
                     history)


def _twins(run_dir: Path, pattern: str) -> pl.DataFrame | None:
    """The Parquet twins matching `pattern`, as one frame."""
    found = sorted(run_dir.glob(pattern))
    return pl.concat([pl.read_parquet(p) for p in found], how="diagonal") if found else None


def charts(result: Any, page: PageFacts) -> list[Chart]:
    from pipelines.reports import run_charts  # altair: see the module's docstring

    run_dir = Path(result.run_dir)
    frequency = sorted(run_dir.glob("defect-frequency_*.parquet"))  # a file per week
    quarter = fiscal_quarter(result.week_ending) if result.week_ending else None
    pareto, panels_in_week = pl.DataFrame(), 0
    if frequency:  # the OFPs the chart shows are read, not the week's every OFP
        rows = pl.scan_parquet(frequency).select(run_charts.PARETO_COLUMNS)
        panels = run_charts.panel_defects(rows)["panel"]
        pareto = run_charts.pareto_frame(rows, panels.head(run_charts.PARETO_OFPS).to_list())
        panels_in_week = panels.len()
    accuracy = (run_charts.accuracy_frame(page.cum_ofp, quarter)
                if page.cum_ofp is not None else pl.DataFrame())
    return [
        run_charts.Chart("pareto", "Defect Pareto", "The Defect Frequency report's codes of "
                         "the week's posted reviews per OFP and period: each code's share "
                         "(bars, cut into its employee and unit/group charges) and the running "
                         "share (line), 900-909 ranked apart, every figure the printed report's.",
                         run_charts.pareto_chart(pareto, panels_in_week)),
        run_charts.Chart("accuracy", "Percent accurate", "Percent accurate per OFP in the "
                         f"quarter ({quarter or '-'}), the quality standard as the black tick.",
                         run_charts.accuracy_chart(accuracy, quarter)),
        run_charts.Chart("trend", "Defect percent", "Defect percent per OFP, quarter to date, "
                         "as each published run left it (rolled-back runs left out).",
                         run_charts.trend_chart(run_charts.trend_frame(page.history))),
        run_charts.Chart("sar", "SAR progress", "Reviews in the rating period per QPC (bars) "
                         "against the reviews desired by now, RSD (red tick).",
                         run_charts.sar_chart(run_charts.sar_frame(
                             _twins(run_dir, "sar_*.parquet")))),
    ]


def _table(frame: pl.DataFrame, name: str, html_columns: tuple[str, ...] = ()) -> str:
    """`frame` as an HTML table whose id (the scope of its styles) is `name`, unique on the
    page: great-tables would draw a random one, and the page of a run would differ each time
    it is made."""
    import great_tables as gt  # see the module's docstring

    table = gt.GT(frame, id=name).opt_row_striping().tab_options(table_font_size="13px")
    if html_columns:
        table = table.fmt(lambda v: v, columns=list(html_columns))
    return table.as_raw_html()


def decks_frame(result: Any) -> pl.DataFrame:
    return pl.DataFrame(
        [{"deck": Path(d.path).name, "status": d.status,
          "records": d.records if d.counted else None,
          "posted": d.posted, "rejected": d.rejected, "reason": d.reason} for d in result.decks],
        schema={"deck": pl.String, "status": pl.String, "records": pl.Int64, "posted": pl.Int64,
                "rejected": pl.Int64, "reason": pl.String})


def steps_frame(result: Any, register: pl.DataFrame) -> pl.DataFrame:
    """A row per legacy step with its condition code: a register step is 4 when it rejected a
    record, the control step 8 when a deck was refused or was a duplicate."""
    held = register.group_by("run").len() if register.height else None
    per_run = dict(held.iter_rows()) if held is not None else {}
    refused = [d for d in result.decks if d.status != "accepted"]
    rows = [{"step": "deck control", "register": "-", "condition_code": 8 if refused else 0,
             "rejected": 0, "detail": f"{len(result.decks)} deck(s), {len(refused)} refused "
             "or duplicate"}]
    for run in sorted(set(result.codes) | set(per_run), key=_register_rank):
        n = int(per_run.get(run, 0))
        codes = result.codes.get(run, {})
        rows.append({"step": STEP_NAMES.get(run, run), "register": run,
                     "condition_code": 4 if n else 0, "rejected": n, "detail": "  ".join(
                         f"{c} x{k}" for c, k in sorted(codes.items())) or "no error code"})
    return pl.DataFrame(rows, schema={"step": pl.String, "register": pl.String,
                                      "condition_code": pl.Int64, "rejected": pl.Int64,
                                      "detail": pl.String})


def codes_frame(result: Any) -> pl.DataFrame:
    """Every code of the run, most records first, with its meaning from the code tables."""
    rows = [{"run": run, "code": code, "records": n, "meaning": register_view.meaning(run, code)}
            for run, counts in result.codes.items() for code, n in counts.items()]
    return pl.DataFrame(rows, schema={"run": pl.String, "code": pl.String, "records": pl.Int64,
                                      "meaning": pl.String}).sort(
        ["records", "run", "code"], descending=[True, False, False])


def _register_rank(run: str) -> int:
    return REGISTER_ORDER.index(run) if run in REGISTER_ORDER else len(REGISTER_ORDER)


def register_frame(entries: pl.DataFrame) -> pl.DataFrame:
    """One register's entries as the page shows them (HTML cells for deck, codes, record and
    meanings)."""
    rows = []
    for e in entries.sort("deck", "line_no").iter_rows(named=True):
        codes = list(e["error_codes"] or [])
        rows.append({
            "deck": f'<span class="deck">{escape(e["deck"] or "")}</span>',
            "line": e["line_no"], "type": e["record_type"],
            "control": e["control_number"] or "",
            "codes": register_view.codes_html(e["run"], codes),
            "record": register_view.record_html(e["text"], e["run"], e["record_type"], codes,
                                                e["sub_reason"]),
            "meaning": register_view.meanings_html(e["run"], codes, e["sub_reason"]),
            "status": e["status"]})
    return pl.DataFrame(rows, schema={"deck": pl.String, "line": pl.UInt32, "type": pl.String,
                                      "control": pl.String, "codes": pl.String,
                                      "record": pl.String, "meaning": pl.String,
                                      "status": pl.String})


def _listings(run_dir: Path) -> list[dict[str, str | None]]:
    out = []
    for p in sorted(run_dir.glob("*.txt")):
        twin = _twin_of(p)
        out.append({"name": p.name, "href": p.name, "twin": twin.name if twin.exists() else None})
    return out


def _twin_of(listing: Path) -> Path:
    """A listing's Parquet twin: the same name, but for the SAR, whose listing is named for
    its period and week (sar-MMDDYYYY_MMDDYYYY.txt) and whose rows are the week's
    (sar_MMDDYYYY.parquet; docs/outputs.md, "Individual data")."""
    if listing.name.startswith("sar-") and "_" in listing.stem:
        return listing.with_name(f"sar_{listing.stem.rsplit('_', 1)[1]}.parquet")
    return listing.with_suffix(".parquet")


def _write(path: Path, data: bytes) -> None:
    """Write `data` owner-only through a new file renamed into place (a link planted at `path`
    is replaced, never written through)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _registers(entries: pl.DataFrame, max_rows: int) -> list[dict[str, Any]]:
    """Each register of the run as the page shows it: its first `max_rows` entries."""
    registers = []
    for run in sorted(entries["run"].unique().to_list() if entries.height else [],
                      key=_register_rank):
        mine = entries.filter(pl.col("run") == run).sort("deck", "line_no")
        registers.append({"run": run, "rows": mine.height, "shown": min(mine.height, max_rows),
                          "table": _table(register_frame(mine.head(max_rows)),
                                          f"table-register-{run}",
                                          ("deck", "codes", "record", "meaning"))})
    return registers


def write_after_posting(result: Any, data_dir: Path) -> tuple[Path | None, str | None]:
    """`write` for a run that has posted: (the page, None), or (None, why not) when the page
    cannot be made, which is a warning for the run's summary and never a failure of the run."""
    try:
        return write(result, data_dir), None
    except Exception as err:
        return None, f"run page not written: {type(err).__name__}: {err}"


def write(result: Any, data_dir: Path, made: dt.datetime | None = None,
          max_rows: int = MAX_ROWS) -> Path | None:
    """Write `index.html` and the chart PNGs into the run's folder; None when the run has no
    folder (nothing was run). Each register shows its first `max_rows` entries (deck and line
    order): a week that rejects a whole deck keeps a page a browser can open."""
    if result.run_dir is None or not Path(result.run_dir).is_dir():
        return None
    run_dir = Path(result.run_dir)
    with chart_painter.Painter() as painter:
        from pipelines.reports import run_charts  # altair loads while the painter starts

        page = facts(Path(data_dir), result.run_id, result.generation)
        drawing = charts(result, page)
        painter.paint([chart.chart.to_dict() for chart in drawing])
        registers = _registers(page.register, max_rows)
        tables = {"decks_table": _table(decks_frame(result), "table-decks"),
                  "steps_table": _table(steps_frame(result, page.register), "table-steps"),
                  "codes_table": _table(codes_frame(result), "table-codes")}
        drawn = []
        for chart, svg in zip(drawing, painter.svgs(len(drawing)), strict=True):
            png_name = f"chart-{chart.name}.png"
            _write(run_dir / png_name, run_charts.png(svg))
            drawn.append({"name": chart.name, "about": chart.about, "png": png_name,
                          "svg": svg})
    entries = page.register
    code_options = sorted({(f"{e['run']}:{c}", f"{e['run']} {c}")
                           for e in entries.iter_rows(named=True) for c in e["error_codes"]}
                          ) if entries.height else []
    cc = result.condition_code
    html = _TEMPLATES.get_template("run_page.html.j2").render(
        run_id=result.run_id, run_date=f"{result.run_date:%m/%d/%Y}",
        week_ending=f"{result.week_ending:%m/%d/%Y}" if result.week_ending else "-",
        generation=result.generation, condition_code=cc, meaning=MEANING.get(cc, ""),
        records_in=result.records_in, posted=result.posted, rejected=result.rejected,
        held_back=summary.held_back(result),
        still_open=result.still_open, notes=result.notes, **tables, charts=drawn,
        registers=registers,
        code_options=code_options,
        deck_options=sorted(entries["deck"].unique().to_list()) if entries.height else [],
        listings=_listings(run_dir),
        made=f"{(made or dt.datetime.now(dt.UTC)):%Y-%m-%d %H:%M} UTC")
    _write(run_dir / PAGE, html.encode())
    return run_dir / PAGE
