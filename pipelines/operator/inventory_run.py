"""Wires the INV-10-02 engine to its printed reports, for the CLI, the flow and tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pipelines.engine.inventory import corrections, step
from pipelines.engine.inventory.calendar import WorkCalendar
from pipelines.reports import inventory_run


def run_inventory(deck_paths: list[Path], data_dir: Path, calendar: WorkCalendar,
                  run_date: dt.date | None = None,
                  progress: Callable[[str], None] | None = None,
                  params_path: Path | None = None) -> step.InventoryResult:
    """One inventory run with every report printed (`step.run_inventory`)."""
    return step.run_inventory(deck_paths, data_dir, calendar, inventory_run.write_all,
                              run_date, progress, params_path)


def reprocess(deck_paths: list[Path], data_dir: Path, run_date: dt.date | None = None,
              progress: Callable[[str], None] | None = None) -> step.InventoryResult:
    """Corrected INV-10-02 records through the record checks (`corrections.reprocess`)."""
    return corrections.reprocess(deck_paths, data_dir, inventory_run.write_open_register,
                                 run_date, progress)
