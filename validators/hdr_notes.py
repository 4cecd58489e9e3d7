"""Notes on a deck's HDR (codes H01-H03 of the one code table, run DECK): fields that pass
deck control but are probably mistaken. The deck posts; the summary notes them.

record-layouts.md ("Files") gives the HDR's fields and rules.md refuses a deck only when its
HDR/TRL control fails, so a week ending after the run date, a creation date before the week
ending, or a campus code that is not two letters or digits is noted, not refused: the legacy
system did not refuse them, and record-layouts.md gives no list of campus codes.
"""

from __future__ import annotations

import datetime as dt


def _campus_ok(campus: str) -> bool:
    """Two letters or digits (`SC`, `CR`, `05`): what a campus code looks like."""
    return len(campus) == 2 and campus.isascii() and campus.isalnum()


def hdr_notes(deck: str, campus: str, week_ending: dt.date, created: dt.date,
              run_date: dt.date) -> list[tuple[str, str]]:
    """(code, note) for each H code the HDR of `deck` (its name) carries, in code order; the
    note names line 1 and the columns, what it holds and what was expected."""
    notes = []
    if week_ending > run_date:
        notes.append(("H01", f"HDR week ending {week_ending:%m/%d/%Y} (line 1, columns 6-13) "
                      f"is after the run date {run_date:%m/%d/%Y}; expected a week that has "
                      "ended"))
    if created < week_ending:
        notes.append(("H02", f"HDR creation date {created:%m/%d/%Y} (line 1, columns 14-21) "
                      f"is before its week ending {week_ending:%m/%d/%Y}; expected a deck "
                      "made once its week had ended"))
    if not _campus_ok(campus):
        notes.append(("H03", f"HDR campus code {campus!r} (line 1, columns 4-5) is not two "
                      "letters or digits"))
    return [(code, f"{deck}: {text} ({code}, posted as sent: `qap explain {code}`)")
            for code, text in notes]
