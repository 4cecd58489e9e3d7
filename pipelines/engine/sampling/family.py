"""Sample selection (IRM 3.30.28.2), declared as a run family (`machinery.family.Family`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pipelines.engine.machinery.family import Family
from pipelines.engine.sampling import selection
from pipelines.engine.sampling.inputs import SamplingReference
from validators.codes import RUN_SAMPLING


def _run(deck_paths: list[Path], data_dir: Path, reference: SamplingReference,
         run_date: dt.date | None = None, progress: Callable[[str], None] | None = None,
         corrections: bool = False, *, printer: selection.ReportWriter
         ) -> selection.SelectResult:
    """`selection.run_select` in the family convention (the report stage as `printer`)."""
    return selection.run_select(deck_paths, data_dir, reference, printer, run_date, progress,
                                corrections)


SAMPLING = Family(
    name="sampling",
    title="Sample selection and the sampling log (IRM 3.30.28.2)",
    layouts=("hdr", "trl", "sample_request", "work_batch", "hqw_reference", "sampling_key"),
    references=("ofp_consistency.txt", "employee_master.txt", "hqw.txt", "sampling_key.txt"),
    steps=("selection",),
    stages=(("run ", "read + control decks, check every record"),
            ("week ending", "plan the week's pulls, week figures and findings"),
            ("writing", "the report stage: pull list, sampling log, week summary"),
            ("publishing", "ledger, store tables, commit generation")),
    reports=("pull-list", "sampling-log", "sampling-week", "sampling-findings",
             "open-register"),
    codes=(RUN_SAMPLING,),
    tables=(*selection.TABLES, "decks", "error_register"),
    run=_run,
)
