"""The QAP weekly run, declared as a run family (`machinery.family.Family`)."""

from __future__ import annotations

from pipelines.engine.machinery.family import Family
from pipelines.engine.qap import weekly
from pipelines.engine.qap.individual import step as individual_step
from validators import codes

QAP_WEEK = Family(
    name="qap-week",
    title="QAP weekly run (runs 01 and 03, Cumulative Data File, individual data)",
    layouts=("hdr", "trl", "prefix", "form3927_header", "form3927_line", "form3926_header",
             "form3926_line", "form3081", "form6489"),
    references=("ofp_consistency.txt", "employee_master.txt"),
    steps=weekly.STEPS,
    stages=weekly.STAGES,
    reports=("pce-01-43", "posting-3927", "pce-03-41", "posting-3926", "quality-standards",
             "ipr", "ipr-adjustments", "data-not-posted", "sar", "ipsr", "defect-frequency",
             "qa-unit-group", "cum-data-file", "open-register"),
    codes=(codes.RUN_3927, codes.RUN_3926, codes.RUN_3081, codes.RUN_6489,
           codes.RUN_NOT_POSTED, codes.RUN_INDIVIDUAL),
    tables=("defect_codes", "deleted_defect_codes", "quality_standards", "cum_ofp", "cum_defects",
            "adjustment_ledger", *individual_step.WRITES, "defect_charges", "decks",
            "error_register"),
    run=weekly.run_week,
)
