"""Every printed report of an INV-10-02 run, with its Parquet twin, into the run's folder.

The engine (`pipelines.engine.inventory.step.run_inventory`) hands over the run's frames as
`RunProducts` and this prints them; the engine never imports reports/. File names carry the
as-of date (MMDDYYYY); every page names the run id.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.inventory.step import RunProducts
from pipelines.reports import (
    eom_inventory,
    gs13_analysis,
    open_register,
    printing,
    queue_screen,
    ro_inventory,
)
from pipelines.reports import inv_10_02 as register_report

PLACE_WIDTH = 21  # a record's place: ROR columns 1-11, CAS 1-21 (spec 6)


def write_all(run: RunProducts, run_dir: Path) -> dict[str, Path]:
    """The manager's report, the exceptions register, the queue screening, the GS-13
    analysis, the month-end inventory on month-end runs, the open error register."""
    stamp = f"{run.as_of:%m%d%Y}"
    out: dict[str, Path] = {}

    def path(name: str) -> Path:
        out[name] = run_dir / f"{name}_{stamp}.txt"
        return out[name]

    with printing.run_stamp(run.run_id):
        ro_inventory.print_report(run.entries, run.totals, run.oldest_holds, run.run_date,
                                  run.as_of, run.deck_heading, path("ro-inventory"))
        run.snapshot.write_parquet(out["ro-inventory"].with_suffix(".parquet"))
        register_report.print_register(run.flags, run.closed, run.run_date, run.as_of,
                                       path("inv-10-02"))
        register_report.parquet_rows(run.flags, run.closed, run.run_id, run.as_of
                                     ).write_parquet(out["inv-10-02"].with_suffix(".parquet"))
        queue_screen.print_listing(run.queue, run.queue_relief, run.run_date, run.as_of,
                                   path("queue-screen"))
        queue_screen.parquet_rows(run.queue, run.run_id, run.as_of).write_parquet(
            out["queue-screen"].with_suffix(".parquet"))
        gs13_analysis.print_analysis(run.analysis, run.earlier_quarters, run.minimum,
                                     run.scope, run.run_date, run.as_of, path("gs13-analysis"))
        run.analysis.write_parquet(out["gs13-analysis"].with_suffix(".parquet"))
        if run.month_end:
            eom_inventory.print_report(run.entries, run.run_date, run.as_of,
                                       path("eom-inventory"))
            eom_inventory.parquet_rows(run.entries, run.run_id, run.as_of).write_parquet(
                out["eom-inventory"].with_suffix(".parquet"))
        out["open-register"] = run_dir / "open-register.txt"
        open_register.print_open(run.still_open, run.run_date, None, out["open-register"],
                                 PLACE_WIDTH, subtitle=f"AS OF {printing.fmt_date(run.as_of)}")
    return out


def write_open_register(run_id: str, still_open: pl.DataFrame, run_date: dt.date,
                        run_dir: Path) -> dict[str, Path]:
    """A reprocess run's one report: the open error register after it."""
    target = run_dir / "open-register.txt"
    with printing.run_stamp(run_id, reprocess=True):
        open_register.print_open(still_open, run_date, None, target, PLACE_WIDTH)
    return {"open-register": target}
