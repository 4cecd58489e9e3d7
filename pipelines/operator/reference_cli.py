"""The `qap` commands that look things up: explain (the code table), layouts (the record
layouts)."""

from __future__ import annotations

from typing import Annotated

import typer

from layouts.layout import all_layouts, layout_table
from pipelines.operator.cli_options import (
    Speaker,
)
from validators.codes import (
    CODES,
    INDIVIDUAL_RUNS,
    RUN_3926,
    RUN_3927,
    RUN_DECK,
    RUN_INV,
    RUN_SAMPLING,
    SUB_REASONS,
    individual,
    runs_named,
)

_SAY = Speaker("qap")
_fail, _date, _checked = _SAY.fail, _SAY.date, _SAY.checked


def explain(code: Annotated[str, typer.Argument(help="Error code: 14, 3927:05, A12 or H01.")],
            run: Annotated[str | None, typer.Option("--run", help="Run, e.g. INV-10-02.")
                           ] = None) -> None:
    """Tell what an error code means: PCE-03-41 (Form 3926), PCE-01-43 (Form 3927), INV-10-02
    (RO inventory, with --run INV-10-02 or INV-10-02:NN), an individual data reason (T.. Form
    3081, A.. Form 6489, N.. Data Not Posted, I..), a sampling code (S..) or a deck note (H..).

    Example: qap explain 05      (both runs)   qap explain 3927:05   qap explain A12
    """
    if (note := CODES.get((RUN_DECK, code.upper()))) is not None:
        typer.echo(f"Deck note {note.code}: {note.meaning}")
        typer.echo(f"  Resolve: {note.resolution}")
        return
    if (sampling := CODES.get((RUN_SAMPLING, code.upper()))) is not None:
        typer.echo(f"Sample selection code {sampling.code}: {sampling.meaning}")
        typer.echo(f"  Resolve: {sampling.resolution}")
        return
    reason = individual(code.upper())
    if reason is not None:
        typer.echo(f"Individual data reason {reason.code}: {reason.meaning}")
        typer.echo(f"  Resolve: {reason.resolution}")
        return
    form, _, number = code.rpartition(":")
    if run is not None and runs_named(run) is None:
        raise _fail(f"--run {run!r} is not a run with error codes: give 3926, 3927, "
                    f"{RUN_3926}, {RUN_3927} or {RUN_INV} (sampling S.., individual data "
                    "T.., A.., N.., I.. and deck notes H.. need no --run)", 2)
    runs = runs_named(run if run is not None else form)
    if runs is None or not number.strip():
        raise _fail(f"{code!r}: say 3926:NN, 3927:NN, INV-10-02:NN or just NN", 2)
    number = number.strip().zfill(2)
    found = [CODES[(r, number)] for r in runs if (r, number) in CODES]
    if not found:  # every table looked in: --run's alone, else the sampling and individual
        looked = [*runs] if run is not None else [RUN_SAMPLING, *INDIVIDUAL_RUNS, *runs]
        also = f" (an RO inventory code: --run {RUN_INV})" if run is None and not form else ""
        raise _fail(f"no error code {number} on {', '.join(looked)}{also}", 2)
    for c in found:
        form_name = {RUN_3926: "Form 3926", RUN_3927: "Form 3927"}.get(
            c.run, f"RO inventory, severity {c.severity}")
        typer.echo(f"{c.run} ({form_name}) error {c.code}: {c.meaning}")
        typer.echo(f"  Resolve: {c.resolution}")
        if (c.run, c.code) in SUB_REASONS:
            typer.echo("  On the register it says which fault: "
                       + "; ".join(SUB_REASONS[(c.run, c.code)].values()))


def layouts(record: Annotated[str | None, typer.Argument(help="Record type, e.g. hdr.")] = None
            ) -> None:
    """Print the record layouts (field, item, start, end, length, type).

    Example: qap layouts form3926_line
    """
    chosen = [lay for lay in all_layouts()
              if record is None or record.lower() == lay.record.lower()]
    if not chosen:
        raise _fail(f"no record type {record!r}; try `qap layouts`", 2)
    typer.echo("\n".join(layout_table(lay) for lay in chosen))


def install(app: typer.Typer) -> None:
    """Add this group's commands to the `qap` app, in the order `qap --help` lists them."""
    app.command()(explain)
    app.command()(layouts)
