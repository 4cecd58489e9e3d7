"""`qap ipsr`: the quarterly Individual Performance Summary Report on demand, from the current
cum job records and the reference files (the weekly run of a quarter-end week writes it by
itself). Thin: the engine computes (`individual.ipsr`), the report prints (`reports.ipsr`)."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path
from typing import Annotated

import typer

from pipelines.operator.cli_options import (
    CC_INCOMPLETE,
    CC_USAGE,
    DataDir,
    ReferenceDir,
    RunDate,
    checked,
    fail,
    folder_path,
)
from pipelines.operator.cli_options import parse_date as _parse_date
from pipelines.operator.data_dir import choose_reference, own_folders, require_store
from pipelines.state.run_folder import private_dir

WHO = "qap ipsr"
QuarterEnd = Annotated[str, typer.Option(
    "--quarter-end", help="The quarter's last day, YYYY-MM-DD: 12-31, 03-31, 06-30 or 09-30.")]
OutDir = Annotated[Path | None, typer.Option(
    "--out", "-o", show_default=False, readable=False, parser=folder_path,
    help="Folder for ipsr_YYYYMM.txt/.parquet (made owner-only). Default: DATA_DIR/reports.")]


def _quarter_end(text: str) -> dt.date:
    """A date that ends a fiscal quarter; unreadable or another day, a usage error (2): the
    command line is wrong and nothing was run."""
    from pipelines.engine.qap.individual import status

    q_end = _parse_date(WHO, text, "--quarter-end")
    try:
        status.check_quarter_end(q_end)
    except ValueError as err:
        raise fail(WHO, f"--quarter-end {text!r}: {err} (a usage error: nothing was run)",
                   CC_USAGE) from None
    return q_end


def _out_folder(folder: Path) -> Path:
    """The report's folder, made owner-only (0700) when new. An existing folder others can
    read is refused, not changed: `--out .` or `--out /tmp` must not have its mode taken
    away, and the Parquet twin holds whole SSNs."""
    if folder.exists() and not folder.is_dir():
        raise fail(WHO, f"--out {folder} is not a folder", CC_INCOMPLETE)
    mode = stat.S_IMODE(folder.stat().st_mode) if folder.is_dir() else 0
    if mode & 0o077:
        raise fail(WHO, f"--out {folder} can be read by other users (mode {mode:04o}) and the "
                   "report's Parquet holds whole SSNs: give a new folder (made 0700) or an "
                   "owner-only one", CC_INCOMPLETE)
    try:
        private_dir(folder)
    except OSError as err:
        raise fail(WHO, f"--out {folder} cannot be made: {err.strerror or err}",
                   CC_INCOMPLETE) from None
    return folder


def ipsr_command(quarter_end: QuarterEnd, data_dir: DataDir = Path("qap-data"),
                 reference_dir: ReferenceDir = None, run_date: RunDate = None,
                 out: OutDir = None) -> None:
    """Print the Individual Performance Summary Report of a quarter: per employee, each
    program worked in the four full quarters ending it, with percent accurate, its 90%
    interval and the measurable and rateable status; a Parquet twin beside it.

    Example: qap ipsr --quarter-end 2025-12-31 -d /srv/qap
    """
    from pipelines.engine.machinery.reference import ReferenceMissing
    from pipelines.engine.machinery.reference import load as load_reference
    from pipelines.engine.qap.individual import cum_jobs, ipsr, reference
    from pipelines.reports import ipsr as ipsr_report
    from pipelines.state.store import Store, StoreError

    q_end = _quarter_end(quarter_end)
    when = _parse_date(WHO, run_date) or dt.date.today()
    checked(WHO, require_store, data_dir, False)
    choice = checked(WHO, choose_reference, data_dir, reference_dir)
    try:
        ref = load_reference(choice.folder)
        cum = cum_jobs.read_cum_jobs(Store(data_dir).read("cum_jobs"))
    except (ReferenceMissing, StoreError) as err:
        raise fail(WHO, str(err), CC_INCOMPLETE) from None
    if ref.employees is None:
        raise fail(WHO, f"no employee_master.txt in {choice.folder}: the IPSR needs the "
                   "Employee Master File (plan, date placed on it, names)", CC_INCOMPLETE)
    rows = ipsr.ipsr_frame(cum, reference.employees_table(ref.employees),
                           reference.ofp_table(ref.ofp), q_end)
    if out is None:
        checked(WHO, own_folders, data_dir, "reports")
    folder = _out_folder(out if out is not None else Path(data_dir) / "reports")
    written = ipsr_report.write_files(rows, when, q_end, None, folder)
    typer.echo(f"IPSR for the quarter ending {q_end:%m/%d/%Y}: {rows['ssn'].n_unique()} "
               f"employee(s), {rows.height} program line(s)")
    if q_end >= when:
        typer.echo(f"Note: the quarter has not ended on the run date {when:%m/%d/%Y}: its "
                   "figures are those posted so far")
    for path in written.values():
        typer.echo(f"  {path}")


def register(app: typer.Typer) -> None:
    """Hook the quarterly commands into the `qap` app."""
    app.command("ipsr")(ipsr_command)
