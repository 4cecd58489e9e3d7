"""The run result: the contract between the engine and everything that reports on a run.

The engine fills it; the summary, the CLI and the flows read it and nothing else (never the
Parquet files or the progress messages): per deck and per step what posted and what was
rejected, the codes per run, the condition code, and every file the run wrote.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.engine.machinery.conditions import CC_CLEAN, CC_REFUSED, CC_REJECTED


@dataclass
class DeckOutcome:
    path: str
    status: str  # "accepted", "refused", "duplicate"
    reason: str = ""
    identity: str = ""
    records: int = 0
    posted: int = 0
    rejected: int = 0
    counted: bool = True  # False: refused before its records could be counted (unreadable)
    kept: bool = True  # False: refused, and no copy kept for resubmission (the file was gone)
    resend: bool = True  # False: refused as one to write anew, not to correct (`WriteAnew`)


@dataclass
class StepOutcome:
    """One legacy step of a run (run 01, run 03, individual data): its records' fate and the
    printed reports it owns (output names, as in `RunResult.outputs`)."""

    posted: int = 0
    rejected: int = 0
    reports: list[str] = field(default_factory=list)

    @property
    def condition_code(self) -> int:
        return CC_REJECTED if self.rejected else CC_CLEAN


@dataclass
class RunResult:
    run_id: str
    run_date: dt.date
    week_ending: dt.date | None
    run_dir: Path | None
    decks: list[DeckOutcome] = field(default_factory=list)
    codes: dict[str, Counter] = field(default_factory=dict)  # run -> code -> records
    steps: dict[str, StepOutcome] = field(default_factory=dict)  # step name -> its outcome
    warnings: int = 0
    corrected: int = 0  # open register entries closed by this run: their records re-input
    resubmitted: int = 0  # open entries this run replaced by its own: re-input, still wrong
    context: int = 0  # headers a reprocess sent as context, closed at once (`close_context`)
    still_open: int = 0
    outputs: dict[str, Path] = field(default_factory=dict)  # report -> .txt (individual: by file
    #                                                        name, their .parquet too)
    files: list[Path] = field(default_factory=list)  # every file written, in order
    generation: int | None = None
    notes: list[str] = field(default_factory=list)  # what the operator should check
    reprocess: bool = False  # a run of corrections decks: named so in its summary and history

    @property
    def records_in(self) -> int:
        return sum(d.records for d in self.decks if d.status == "accepted")

    @property
    def refused_decks(self) -> list[DeckOutcome]:
        """The decks refused (control, unreadable, the family's own check): kept for
        resubmission; duplicates are not among them (their records were taken before)."""
        return [d for d in self.decks if d.status == "refused"]

    @property
    def held_back(self) -> int:
        """The records of the refused decks that could be counted: neither posted nor on a
        register, they wait with their deck for its resubmission."""
        return sum(d.records for d in self.refused_decks)

    @property
    def posted(self) -> int:
        return sum(d.posted for d in self.decks)

    @property
    def rejected(self) -> int:
        return sum(d.rejected for d in self.decks)

    @property
    def condition_code(self) -> int:
        if any(d.status != "accepted" for d in self.decks):
            return CC_REFUSED
        return CC_REJECTED if self.rejected else CC_CLEAN

    def twin(self, report: Path) -> Path | None:
        """The Parquet twin the run wrote beside a printed report, if any."""
        parquet = report.with_suffix(".parquet")
        return parquet if parquet in self.files else None


class Progress(str):
    """A progress message that says how far the run is: the stage it opens (`stage`, from 0)
    of `of` declared stages, and `done` (0..1). It prints as its text, so a caller that only
    shows messages needs nothing else; a flow's progress bar reads `done`, never the text."""

    stage: int
    of: int

    def __new__(cls, text: str, stage: int, of: int) -> Progress:
        message = super().__new__(cls, text)
        message.stage, message.of = stage, of
        return message

    @property
    def done(self) -> float:
        return (self.stage + 1) / self.of
