"""The `qap` command: thin wrappers over the engine, each exiting with a condition code.

Condition codes follow the mainframe habit: 0 clean, 4 records rejected, 8 a deck refused,
12 the run could not complete (missing reference, data directory busy), 16 internal error.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from layouts.layout import all_layouts, layout_table
from pipelines import register, summary
from pipelines.cli_options import DataDir, Quiet, ReferenceDir, RunDate, fail, parse_date
from pipelines.flow_cli import flow_app
from pipelines.individual import codes as individual_codes
from pipelines.reference import ReferenceMissing
from pipelines.reference import load as load_reference
from pipelines.store import Store, StoreError
from pipelines.weekly import CC_ABEND, CC_INCOMPLETE, ConservationError, run_week
from validators.codes import CODES, RUN_3926, RUN_3927

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE_WEEK = FIXTURES / "sample-week"
SAMPLE_REFERENCE = FIXTURES / "reference"
NATIONAL_LIST = FIXTURES / "national" / "national-defect-list.dat"
NATIONAL_RUN_DATE = dt.date(2026, 11, 10)
SAMPLE_RUN_DATE = dt.date(2026, 11, 17)

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.add_typer(flow_app, name="flow")

def _fail(message: str, code: int) -> typer.Exit:
    return fail("qap", message, code)


def _date(text: str | None) -> dt.date | None:
    return parse_date("qap", text)


def _execute(decks: list[Path], data_dir: Path, reference_dir: Path, run_date: dt.date | None,
             quiet: bool, reprocess: bool = False) -> int:
    progress = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    try:
        reference = load_reference(reference_dir)
        result = run_week(decks, data_dir, reference, run_date, progress=progress,
                          reprocess=reprocess)
    except ReferenceMissing as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except ConservationError as err:
        raise _fail(f"{err}; nothing was posted", CC_ABEND) from None
    except Exception as err:  # the operator gets a sentence, not a traceback
        raise _fail(f"internal error, nothing was posted: {type(err).__name__}: {err}",
                    CC_ABEND) from None
    typer.echo(summary.render(result))
    return result.condition_code


@app.command()
def run(
    decks: Annotated[list[Path], typer.Argument(help="Deck files, processed in this order.")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = SAMPLE_REFERENCE,
    run_date: RunDate = None,
    quiet: Quiet = False,
) -> None:
    """Validate and post decks in the legacy order: run 01, run 03, the Cumulative Data File,
    then individual data (IPR, SAR); print the summary and where the reports are.

    Example: qap run inbox/*.dat --data-dir /srv/qap --reference /srv/qap/reference
    """
    raise typer.Exit(_execute(decks, data_dir, reference, _date(run_date), quiet))


@app.command()
def demo(
    data_dir: DataDir = Path("qap-demo"),
    quiet: Quiet = False,
) -> None:
    """Run the bundled sample week from an empty data directory (recreated each time).

    Two runs: the initial load of the national defect list, then the sample week. The sample
    week triggers every error code on purpose, so its condition code is 8 (one deck is
    refused) and the demo itself exits 0 when that is what happened.

    Example: qap demo
    """
    if data_dir.exists():
        if not (data_dir / ".qap-demo").exists():
            raise _fail(f"{data_dir} exists and is not a demo directory; not touching it",
                        CC_INCOMPLETE)
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / ".qap-demo").write_text("made by `qap demo`; removed by the next demo\n")
    typer.echo("Run 1 of 2: the initial load of the national Defect Code File")
    first = _execute([NATIONAL_LIST], data_dir, SAMPLE_REFERENCE, NATIONAL_RUN_DATE, quiet)
    if first != 0:
        raise _fail(f"the initial load ended with condition code {first}", first)
    typer.echo("\nRun 2 of 2: the sample week")
    decks = sorted(SAMPLE_WEEK.glob("*.dat"))
    code = _execute(decks, data_dir, SAMPLE_REFERENCE, SAMPLE_RUN_DATE, quiet)
    typer.echo(f"Demo finished: the sample week ended with condition code {code}, as intended."
               if code <= 8 else "Demo failed.")
    raise typer.Exit(0 if code <= 8 else code)


@app.command()
def reprocess(
    decks: Annotated[list[Path], typer.Argument(help="Corrections deck(s).")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = SAMPLE_REFERENCE,
    run_date: RunDate = None,
    quiet: Quiet = False,
) -> None:
    """Run operators' corrections through the same checks; what posts closes its register entry.

    Example: qap corrections fix.dat && (edit fix.dat) && qap reprocess fix.dat
    """
    raise typer.Exit(_execute(decks, data_dir, reference, _date(run_date), quiet, True))


@app.command()
def corrections(
    out: Annotated[Path, typer.Argument(help="Deck file to write.")],
    data_dir: DataDir = Path("qap-data"),
) -> None:
    """Start a corrections deck from the open register entries (with their headers), to edit.

    Example: qap corrections fixes.dat --data-dir /srv/qap
    """
    try:
        n = register.corrections_deck(data_dir, out, dt.datetime.now())
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"wrote {n} record(s) to {out}; correct them, then: qap reprocess {out}")


@app.command()
def withdraw(
    deck: Annotated[str, typer.Argument(help="Deck file name as on the register.")],
    line: Annotated[int, typer.Argument(help="Line number in that deck.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (kept).")],
    data_dir: DataDir = Path("qap-data"),
) -> None:
    """Close an open register entry on purpose, with a reason; nothing else is changed.

    Example: qap withdraw week46.dat 17 --reason "duplicate of control A05"
    """
    try:
        gen = register.withdraw(data_dir, deck, line, reason, dt.date.today())
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"withdrawn: {deck} line {line} (generation {gen})")


@app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 20261117.01.")],
    data_dir: DataDir = Path("qap-data"),
) -> None:
    """Put the state back as it was before a run; history is kept, the next run goes on from it.

    Example: qap rollback 20261117.01
    """
    try:
        gen = Store(data_dir).rollback_before(run_id, note="qap rollback")
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"state rolled back to before run {run_id} (new generation {gen})")


@app.command()
def history(data_dir: DataDir = Path("qap-data")) -> None:
    """List the published generations: run, date, condition code, counts.

    Example: qap history --data-dir /srv/qap
    """
    for m in Store(data_dir).history():
        extra = m.get("extra", {})
        counts = " ".join(f"{k}={v}" for k, v in extra.items() if not isinstance(v, dict))
        typer.echo(f"{m['generation']:>6}  {m['created']}  {m['run_id']:<28} {counts}")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="Error code: 14, 3927:05 or A12.")]) -> None:
    """Tell what an error code means: PCE-03-41 (Form 3926), PCE-01-43 (Form 3927), or an
    individual data reason (T.. Form 3081, A.. Form 6489, N.. Data Not Posted, I..).

    Example: qap explain 14      (both runs)   qap explain 3927:05   qap explain A12
    """
    individual = individual_codes.RECORD_REASONS | individual_codes.NOT_POSTED_REASONS
    if code.upper() in individual:
        typer.echo(f"Individual data reason {code.upper()}: {individual[code.upper()]}")
        typer.echo("  Resolve: correct the Form 3081 or 6489 (or the Employee Master File) "
                   "and send it again with `qap reprocess`; see the Data Not Posted report.")
        return
    form, _, number = code.rpartition(":")
    number = number.zfill(2)
    runs = {"3926": [RUN_3926], "3927": [RUN_3927], "": [RUN_3926, RUN_3927]}.get(form)
    if runs is None:
        raise _fail(f"{code!r}: say 3926:NN or 3927:NN, or just NN", 2)
    found = [CODES[(r, number)] for r in runs if (r, number) in CODES]
    if not found:
        raise _fail(f"no error code {number} on {', '.join(runs)}", 2)
    for c in found:
        form_name = "Form 3926" if c.run == RUN_3926 else "Form 3927"
        typer.echo(f"{c.run} ({form_name}) error {c.code}: {c.meaning}")
        typer.echo(f"  Resolve: {c.resolution}")


@app.command()
def layouts(record: Annotated[str | None, typer.Argument(help="Record type, e.g. hdr.")] = None
            ) -> None:
    """Print the record layouts (field, item, start, end, length, type).

    Example: qap layouts form3926_line
    """
    chosen = [lay for lay in all_layouts() if record in (None, lay.record)]
    if not chosen:
        raise _fail(f"no record type {record!r}; try `qap layouts`", 2)
    typer.echo("\n".join(layout_table(lay) for lay in chosen))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("qap: interrupted; nothing was posted by the unfinished run", err=True)
        sys.exit(CC_INCOMPLETE)


if __name__ == "__main__":
    main()
