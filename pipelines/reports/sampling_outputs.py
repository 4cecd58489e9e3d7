"""Every printed report of a sample selection run and its Parquet twin, written into the run
folder: the engine's `ReportWriter` (pipelines.engine.sampling.selection)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from pipelines.engine.sampling.selection import SelectResult
from pipelines.reports import open_register, printing, pull_list, sampling_log, sampling_week
from pipelines.reports import summary as summary_lines
from pipelines.reports.summary import deck_row, held_back, printed_reports


def write_all(result: SelectResult, log: pl.DataFrame, still_open: pl.DataFrame,
              run_dir: Path) -> dict[str, Path]:
    """pull-list, sampling-log, sampling-week and sampling-findings (.txt and .parquet), and
    the open register listing; returns name -> printed file."""
    run, week = result.run_date, result.week_ending
    with printing.run_stamp(result.run_id):
        pull_list.print_list(result.items, run, week, run_dir / "pull-list.txt")
        sampling_log.print_log(log, run, week, run_dir / "sampling-log.txt")
        sampling_week.print_week(result.week_rows, run, week, run_dir / "sampling-week.txt")
        sampling_week.print_findings(result.findings, run, week,
                                     run_dir / "sampling-findings.txt")
        open_register.print_open(still_open, run, week, run_dir / "open-register.txt")
    twins = {"pull-list": pull_list.rows(result.items), "sampling-log": log,
             "sampling-week": result.week_rows, "sampling-findings": result.findings}
    for name, frame in twins.items():
        write_private_parquet(frame, run_dir / f"{name}.parquet")
    names = [*twins, "open-register"]
    return {name: run_dir / f"{name}.txt" for name in names}


def write_private_parquet(frame: pl.DataFrame, path: Path) -> None:
    """A Parquet file made owner-only (0600) from the start, whatever the umask: these twins
    hold whole SSNs, which the printed reports mask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as fh:
        frame.write_parquet(fh)


MEANING = {0: "clean", 4: "records rejected (on the open error register)",
           8: "a deck was refused (nothing of it used)"}


def summary(result: SelectResult) -> str:
    """The one-screen summary of a sample selection run."""
    weeks = [f"{w:%m/%d/%Y}" for w in result.weeks] or (
        [f"{result.week_ending:%m/%d/%Y}"] if result.week_ending else ["-"])
    dated = ("week ending " + weeks[0] if len(weeks) == 1  # every week the run planned
             else f"weeks ending {', '.join(weeks[:-1])} and {weeks[-1]}")
    out = [f"QAP sample selection {result.run_id}   run date {result.run_date:%m/%d/%Y}   "
           f"{dated}", "",
           f"{'DECK':<44}{'STATUS':<11}{'RECORDS':>8}{'USED':>8}{'REJECTED':>9}"]
    out += [deck_row(d) for d in result.decks]
    out += [f"{d.status.upper()}: {d.reason}" for d in result.decks if d.status != "accepted"]
    out.append("")
    for run, counts in result.codes.items():
        listed = "  ".join(f"{code} x{n}" for code, n in sorted(counts.items())) or "none"
        out.append(f"Codes {run}: {listed}")
    out += summary_lines.meanings(result)
    out += summary_lines.rejects(result.rejects)
    out += [f"Note: {note}" for note in result.notes]
    pulled = int(result.pulls["pulled"].sum()) if result.pulls.height else 0
    out.append(f"Pulls: {result.pulls.height} ({pulled} items) on "
               f"{result.pulls['pull_date'].n_unique()} day(s)")
    out.append(f"Conservation: {result.records_in} records in = {result.posted} used + "
               f"{result.rejected} on the register{held_back(result)}")
    if result.corrected or result.resubmitted:
        out.append(f"Corrections: {result.corrected} register entries closed as corrected, "
                   f"{result.resubmitted} rejected again (closed as resubmitted, reopened)")
    out.append(f"Open error register: {result.still_open} entries still open")
    if result.run_dir:
        out += printed_reports(result.run_dir, result.outputs.values())
    cc = result.condition_code
    out.append(f"Condition code {cc}: {MEANING.get(cc, '')}")
    return "\n".join(out)
