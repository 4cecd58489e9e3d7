"""The one-screen summary after an INV-10-02 run (spec 7.6), in the style of the weekly one."""

from __future__ import annotations

from collections import Counter

from pipelines.engine.inventory.step import InventoryResult
from pipelines.reports.summary import count, head, held_back, printed_reports, rejects

MEANING = {0: "clean", 4: "records rejected (see the open error register)",
           8: "a deck was refused (nothing of it was used)", 12: "the run could not complete",
           16: "the run stopped on an internal error"}


def render(result: InventoryResult) -> str:
    out = head(result, "RO inventory run INV-10-02", "as of", result.as_of, used="USED",
               kept_note_on_duplicates=True)
    if not any(d.status == "accepted" for d in result.decks):  # nothing was read or posted
        out += [f"Note: {note}" for note in result.notes]
        cc = result.condition_code
        out.append(f"Condition code {cc}: {MEANING[cc]}")
        return "\n".join(out)
    listed = "  ".join(f"{c} x{n}" for c, n in sorted(result.record_codes.items())) or "none"
    out.append(f"Record codes INV-10-02: {listed}")
    out += rejects(result.rejects)
    out.append(f"Roster entries {result.roster_entries}, held cases {result.held_cases}")
    flags = result.flags
    if flags is not None and flags.height:
        by_code = Counter(flags["code"].to_list())
        by_sev = Counter(flags["severity"].to_list())
        out.append(f"Flags: {flags.height} ({by_sev['E']} E, {by_sev['W']} W, {by_sev['I']} I): "
                   + "  ".join(f"{c} x{n}" for c, n in sorted(by_code.items())))
    else:
        out.append("Flags: none")
    out.append(f"Exceptions register: {result.opened} opened, {result.carried} carried, "
               f"{result.cleared} cleared")
    out += [f"Note: {note}" for note in result.notes]
    out.append(f"Conservation: {result.records_in} records in = {result.used} used + "
               f"{result.rejected} rejected{held_back(result)}")
    if result.corrected or result.resubmitted:
        out.append(f"Open error register: {result.corrected} closed as corrected, "
                   f"{result.resubmitted} replaced by the same record rejected again")
    out.append(f"Open error register: {count(result.still_open, 'entry', 'entries')} still "
               "open (open-register.txt lists them with their age)")
    if result.run_dir is not None:
        out += printed_reports(result.run_dir, result.outputs.values())
    cc = result.condition_code
    out.append(f"Condition code {cc}: {MEANING[cc]}")
    return "\n".join(out)
