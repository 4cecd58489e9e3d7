"""The RO inventory run INV-10-02 (shared/spec/inventory.md), declared as a run family
(`machinery.family.Family`)."""

from __future__ import annotations

from pipelines.engine.inventory import step
from pipelines.engine.machinery.family import Family, printer_fourth
from validators.codes import RUN_INV

INVENTORY = Family(
    name="inventory",
    title="RO inventory and CAG run INV-10-02",
    layouts=("hdr", "trl", "ro_roster", "ro_case", "gs13_forecast", "work_calendar"),
    references=("work_calendar.txt",),
    steps=("inventory run",),
    stages=(("run ", "read + control decks"),
            ("checking", "record checks 01-14"),
            ("measuring", "counts, ranges, assignments, rules, queue, CAG, support"),
            ("writing", "the report stage: every report of the run"),
            ("publishing", "ledger, store tables, commit generation")),
    reports=("ro-inventory", "inv-10-02", "queue-screen", "gs13-analysis", "eom-inventory",
             "open-register"),
    codes=(RUN_INV,),
    tables=(*step.STATE_TABLES, "decks", "error_register"),
    run=printer_fourth(step.run_inventory),
)
