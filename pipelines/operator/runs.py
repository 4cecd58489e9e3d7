"""Each run family bound to its report stage: what the CLI, the flows, the benchmarks and the
tests call to run a family. The engine never imports a report; this is where they meet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pipelines.engine.inventory.family import INVENTORY
from pipelines.engine.machinery.family import Family
from pipelines.engine.machinery.reference import Reference
from pipelines.engine.machinery.result import RunResult
from pipelines.engine.qap.family import QAP_WEEK
from pipelines.engine.sampling.family import SAMPLING
from pipelines.reports import inventory_run, qap_week, sampling_outputs

FAMILIES = (QAP_WEEK, SAMPLING, INVENTORY)
REPORT_STAGES: dict[str, Callable] = {QAP_WEEK.name: qap_week.print_week,
                                      SAMPLING.name: sampling_outputs.write_all,
                                      INVENTORY.name: inventory_run.write_all}


def run(family: Family, *args, **kwargs) -> RunResult:
    """Run `family`'s engine with its report stage."""
    return family.run(*args, printer=REPORT_STAGES[family.name], **kwargs)


def run_week(deck_paths: list[Path], data_dir: Path, reference: Reference,
             run_date: dt.date | None = None, progress=None, reprocess: bool = False,
             map_decks=None, store=None) -> RunResult:
    """The QAP weekly run (`weekly.run_week`) with every report printed; `map_decks`: run 03's
    per-deck checks elsewhere (`dask_map.on_cluster`); `store`: one the caller holds locked."""
    return run(QAP_WEEK, deck_paths, data_dir, reference, run_date, progress=progress,
               reprocess=reprocess, map_decks=map_decks, store=store)
