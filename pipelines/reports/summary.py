"""The one-screen summary an operator reads after a run, from the run result alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from pipelines.engine.machinery.conditions import MEANING
from pipelines.engine.machinery.result import DeckOutcome, RunResult
from validators.codes import CODES

TOP_CODES = 3  # the most frequent codes whose meaning the summary spells out (one screen)
SHOWN = 15  # rejected records named on the summary screen


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def meanings(result: RunResult) -> list[str]:
    """The meaning of the run's most frequent codes, from the one code table (`qap explain`
    gives the fix); a code the table lacks is left for explain to report."""
    counted = sorted(((n, run, code) for run, counts in result.codes.items()
                      for code, n in counts.items() if (run, code) in CODES),
                     key=lambda t: (-t[0], t[1], t[2]))[:TOP_CODES]
    lines = []
    for n, run, code in counted:
        line = f"  {run} {code} x{n}: {CODES[(run, code)].meaning}"
        lines.append(line if len(line) <= 100 else line[:97] + "...")
    return lines


def deck_row(d: DeckOutcome) -> str:
    """A deck's line of the summary's table; RECORDS of a deck whose records could not be
    counted (refused unreadable) is `-`."""
    name = d.path if len(d.path) <= 43 else "..." + d.path[-40:]
    records = d.records if d.counted else "-"
    return f"{name:<44}{d.status:<11}{records:>8}{d.posted:>8}{d.rejected:>9}"


def held_back(result: RunResult) -> str:
    """What the conservation line adds for refused decks: their records are in neither side
    of "records in = used + on a register" (that check is of the accepted decks), so they
    are accounted for beside it, as held back with their deck."""
    refused = result.refused_decks
    if not refused:
        return ""
    text = (f"; {result.held_back} held back in "
            f"{count(len(refused), 'refused deck', 'refused decks')}")
    uncounted = sum(not d.counted for d in refused)
    if uncounted:
        text += f" ({uncounted} could not be read as records: not counted)"
    return text


def rejects(lines: list[str]) -> list[str]:
    """Where each rejected record is wrong (file, line, code, field, value, what was
    expected), the first SHOWN of them; the open register listing has every one."""
    out = [f"  {line}" for line in lines[:SHOWN]]
    if len(lines) > SHOWN:
        out.append(f"  ... and {len(lines) - SHOWN} more (open-register.txt lists every "
                   "rejected record)")
    return out


def head(result: RunResult, title: str, dated: str, day: dt.date | None, used: str = "POSTED",
         kept_note_on_duplicates: bool = False) -> list[str]:
    """The top of every family's summary: the run line, one line per deck offered and why
    each refused one was refused (`used` heads the records-used column)."""
    shown = f"{day:%m/%d/%Y}" if day else "-"
    out = [f"{title} {result.run_id}   run date {result.run_date:%m/%d/%Y}   {dated} {shown}",
           ""]
    out.append(f"{'DECK':<44}{'STATUS':<11}{'RECORDS':>8}{used:>8}{'REJECTED':>9}")
    out += [deck_row(d) for d in result.decks]
    refused = [d for d in result.decks if d.status != "accepted"]
    if refused:
        out.append("")
        out += [f"{d.status.upper()}: {d.reason}" for d in refused]
        if kept_note_on_duplicates or any(d.status == "refused" and d.kept and d.resend
                                          for d in refused):
            out.append("Refused decks are kept for resubmission; correct and send them again.")
    out.append("")
    return out


def render(result: RunResult) -> str:
    title = "QAP reprocess run" if result.reprocess else "QAP weekly run"  # review 19, F10
    out = head(result, title, "week ending", result.week_ending)
    for run, counts in result.codes.items():
        listed = "  ".join(f"{code} x{n}" for code, n in sorted(counts.items())) or "none"
        out.append(f"Error codes {run}: {listed}")
    out += meanings(result)
    if result.warnings:
        out.append(f"Warnings: {count(result.warnings, 'line', 'lines')} posted with a "
                   "warning (a local code 930-999 on an SSN, or possible multiple identical "
                   "defects)")
    out += [f"Note: {note}" for note in result.notes]
    out.append(f"Conservation: {result.records_in} records in = {result.posted} posted + "
               f"{result.rejected} on a register{held_back(result)}")
    if result.corrected:
        closed = count(result.corrected, "open register entry", "open register entries")
        out.append(f"Re-input: {closed} closed as corrected")
    if result.resubmitted:
        again = count(result.resubmitted, "record was", "records were")
        out.append(f"Re-input: {again} rejected again; each earlier entry is closed as "
                   "resubmitted and the new one stays open")
    if result.context:  # counted on a register above, but not open (review 14, F12)
        sent = count(result.context, "header", "headers")
        out.append(f"Re-input: {sent} sent as the context of rejected lines, on the register "
                   "and closed at once (context)")
    out.append(f"Open error register: {count(result.still_open, 'entry', 'entries')} still open "
               "(open-register.txt lists them with their age)")
    printed = [p for p in result.outputs.values() if p.suffix == ".txt"]
    if printed:
        out += printed_reports(result.run_dir, printed, result.twin)
        twins = {p.with_suffix(".parquet") for p in printed}
        other = sorted(p.name for p in result.files if p.suffix == ".parquet" and p not in twins)
        if other:
            out.append(f"  Parquet also: {', '.join(other)}")
    cc = result.condition_code
    out.append(f"Condition code {cc}: {MEANING[cc]}")
    return "\n".join(out)


def printed_reports(run_dir: Path | None, printed: Iterable[Path],
                    twin: Callable[[Path], object] = lambda p: p.with_suffix(".parquet").exists()
                    ) -> list[str]:
    """The summary's list of a run's printed reports, each with its Parquet twin when `twin`
    says it has one (every family's summary)."""
    return [f"Printed reports in {run_dir}:"] + [
        f"  {p.name}" + (f"  (and {p.stem}.parquet)" if twin(p) else "") for p in printed]
