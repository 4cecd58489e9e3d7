"""Sample selection (IRM 3.30.28.2), declared as a run family (`machinery.family.Family`)."""

from __future__ import annotations

from pipelines.engine.machinery.family import Family, printer_fourth
from pipelines.engine.sampling import selection
from validators.codes import RUN_SAMPLING

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
    run=printer_fourth(selection.run_select),
)
