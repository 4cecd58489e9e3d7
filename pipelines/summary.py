"""The one-screen summary an operator reads after a run."""

from __future__ import annotations

from pipelines.weekly import RunResult

MEANING = {0: "clean", 4: "records rejected (see the error registers)",
           8: "a deck was refused (nothing of it posted)", 12: "the run could not complete",
           16: "the run stopped on an internal error"}


def render(result: RunResult, cwd_relative=str) -> str:
    week = f"{result.week_ending:%m/%d/%Y}" if result.week_ending else "-"
    out = [f"QAP weekly run {result.run_id}   run date {result.run_date:%m/%d/%Y}   "
           f"week ending {week}", ""]
    out.append(f"{'DECK':<44}{'STATUS':<11}{'RECORDS':>8}{'POSTED':>8}{'REJECTED':>9}")
    for d in result.decks:
        name = d.path if len(d.path) <= 43 else "..." + d.path[-40:]
        out.append(f"{name:<44}{d.status:<11}{d.records:>8}{d.posted:>8}{d.rejected:>9}")
    refused = [d for d in result.decks if d.status != "accepted"]
    if refused:
        out.append("")
        out += [f"{d.status.upper()}: {d.reason}" for d in refused]
        out.append("Refused decks are kept for resubmission; correct and send them again.")
    out.append("")
    for run, counts in result.codes.items():
        listed = "  ".join(f"{code} x{n}" for code, n in sorted(counts.items())) or "none"
        out.append(f"Error codes {run}: {listed}")
    if result.warnings:
        out.append(f"Warnings: {result.warnings} line(s) charge a local defect code (930-999) "
                   "to an SSN; they posted")
    out.append(f"Conservation: {result.records_in} records in = {result.posted} posted + "
               f"{result.rejected} on a register")
    if result.corrected:
        out.append(f"Reprocess: {result.corrected} open register entr(ies) closed as corrected")
    out.append(f"Open error register: {result.still_open} entr(ies) still open "
               "(open-register.txt lists them with their age)")
    if result.outputs:
        out.append(f"Printed reports in {result.run_dir} (each with a Parquet twin):")
        out += [f"  {path.name}" for path in result.outputs.values() if path.suffix == ".txt"]
    cc = result.condition_code
    out.append(f"Condition code {cc}: {MEANING[cc]}")
    return "\n".join(out)
