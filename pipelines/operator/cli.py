"""The `qap` command: thin wrappers over the engine, each exiting with a condition code.

Condition codes follow the mainframe habit: 0 clean, 4 records rejected, 8 a deck refused,
12 the run could not complete (missing reference, data directory busy or missing,
interrupted), 16 internal error.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from layouts.layout import all_layouts, layout_table
from pipelines.engine.machinery import names, register
from pipelines.engine.machinery.conditions import CC_ABEND, CC_INCOMPLETE, CC_REFUSED
from pipelines.engine.machinery.conservation import ConservationError
from pipelines.engine.qap.reference import ReferenceMissing
from pipelines.engine.qap.reference import load as load_reference
from pipelines.operator.cli_options import (
    NATIONAL_LIST,
    NATIONAL_RUN_DATE,
    SAMPLE_REFERENCE,
    SAMPLE_RUN_DATE,
    SAMPLE_WEEK,
    DataDir,
    Quiet,
    ReferenceDir,
    RunDate,
    Speaker,
    UndoLater,
    interrupted,
    polish_help,
)
from pipelines.operator.data_dir import choose_reference, prepare, remember, require_store
from pipelines.operator.flow_cli import flow_app
from pipelines.operator.runs import run_week
from pipelines.reports import open_register as open_register_report
from pipelines.reports import summary
from pipelines.state import private
from pipelines.state.store import Store, StoreError, counts
from validators.codes import CODES, RUN_3926, RUN_3927, SUB_REASONS, individual

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(flow_app, name="flow")


_SAY = Speaker("qap")
_fail, _date, _checked = _SAY.fail, _SAY.date, _SAY.checked


def _require_store(data_dir: Path, writable: bool = True) -> None:
    """Commands that act on a store refuse a folder that holds none (a missing --data-dir
    must not make a new empty store in the current folder)."""
    _checked(require_store, data_dir, writable)


def _check_decks(decks: list[Path]) -> None:
    """A mistyped deck path stops here, before a run id is taken or anything is published."""
    for deck in decks:
        if bad_name := names.refusal(deck):
            raise _fail(f"deck {bad_name}; nothing was run", CC_INCOMPLETE)
        if not deck.exists():
            raise _fail(f"deck {deck} not found; nothing was run", CC_INCOMPLETE)
        if not deck.is_file():
            raise _fail(f"deck {deck} is not a file; nothing was run", CC_INCOMPLETE)


def _execute(decks: list[Path], data_dir: Path, reference_dir: Path | None,
             run_date: dt.date | None, quiet: bool, reprocess: bool = False) -> int:
    _check_decks(decks)
    _checked(prepare, data_dir)
    choice = _checked(choose_reference, data_dir, reference_dir)
    progress = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    if progress and choice.progress():
        progress(choice.progress())
    try:
        reference = load_reference(choice.folder)
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
    if warning := remember(data_dir, choice.folder):
        typer.echo(f"qap: warning: {warning}", err=True)
    typer.echo(_noted(summary.render(result), choice.summary_note()))
    return result.condition_code


def _noted(text: str, note: str | None) -> str:
    """The summary with a note just above its last line, which stays the condition code."""
    if not note:
        return text
    body, _, last = text.rpartition("\n")
    return f"{body}\n{note}\n{last}" if body else f"{note}\n{last}"


@app.command()
def run(
    decks: Annotated[list[Path], typer.Argument(help="Deck files, processed in this order.")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    run_date: RunDate = None,
    quiet: Quiet = False,
) -> None:
    """Validate and post decks in the legacy order: run 01, run 03, the Cumulative Data File,
    then individual data (IPR, SAR); print the summary and where the reports are.

    Without --reference a run uses the folder its data directory last ran with; only a new
    data directory falls back to the bundled sample files (the summary then says so).

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
               if code <= CC_REFUSED else "Demo failed.")
    raise typer.Exit(0 if code <= CC_REFUSED else code)


@app.command()
def reprocess(
    decks: Annotated[list[Path], typer.Argument(help="Corrections deck(s).")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    run_date: RunDate = None,
    quiet: Quiet = False,
) -> None:
    """Run operators' corrections through the same checks; what posts closes its register entry.

    The data directory must hold a store already. Without --reference the folder it last ran
    with is used.

    Example: qap corrections fix.dat -d /srv/qap, edit fix.dat, then
             qap reprocess fix.dat -d /srv/qap
    """
    _check_decks(decks)  # a mistyped deck is said first, as for `run`
    _require_store(data_dir)
    raise typer.Exit(_execute(decks, data_dir, reference, _date(run_date), quiet, True))


@app.command()
def corrections(
    out: Annotated[Path, typer.Argument(help="Deck file to write (its folder is made). With "
                                        "entries of several weeks: one deck per week, "
                                        "named like fix_MMDDYYYY.dat.")],
    data_dir: DataDir = Path("qap-data"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing deck files.")
                     ] = False,
) -> None:
    """Start corrections decks from the open register entries (with their headers), to edit;
    each deck carries the HDR week ending of the records' original decks. Refuses (12) to
    overwrite a file unless --force.

    Example: qap corrections /srv/qap/corrections/fix.dat --data-dir /srv/qap
    """
    _require_store(data_dir, writable=False)
    try:
        written = register.corrections_deck(data_dir, out, dt.datetime.now(), force=force)
    except register.NothingOpen as err:
        typer.echo(f"qap: {err}")
        raise typer.Exit(0) from None
    except (StoreError, OSError) as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(register.reprocess_hint(written, data_dir))


@app.command()
def withdraw(
    deck: Annotated[str, typer.Argument(help="Deck file name as on the register (or its path).")],
    line: Annotated[int, typer.Argument(help="Line number in that deck.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (kept).")],
    data_dir: DataDir = Path("qap-data"),
    run_id: Annotated[str | None, typer.Option(
        "--run", help="The run that opened the entry, when the deck name and line name "
        "entries of several runs.")] = None,
    deck_hash: Annotated[str | None, typer.Option(
        "--deck-hash", help="The deck's content hash (its first characters will do), when "
        "several decks of that name have an entry at that line.")] = None,
) -> None:
    """Close an open register entry on purpose, with a reason; nothing else is changed. Each
    withdrawal gets its own id (withdraw-YYYYMMDD.NN), which `qap rollback` takes to undo it.

    Example: qap withdraw week46.dat 17 --reason "duplicate of control A05" -d /srv/qap
    """
    _require_store(data_dir)
    try:
        withdrawal, gen = register.withdraw(data_dir, deck, line, reason, dt.date.today(),
                                            run_id=run_id, deck_hash=deck_hash)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"withdrawn: {Path(deck).name} line {line} as {withdrawal} (generation {gen}); "
               f"`qap rollback {withdrawal}` undoes it")


@app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 20261117.01.")],
    data_dir: DataDir = Path("qap-data"),
    force: UndoLater = False,
) -> None:
    """Put the state back as it was before a run; history is kept, the next run goes on from it.

    Runs and withdrawals published after it are undone too, so they are listed and the
    rollback is refused unless --force is given.

    Example: qap rollback 20261117.01 -d /srv/qap
    """
    _require_store(data_dir)
    try:
        gen, undone = register.rollback(data_dir, run_id, "qap rollback", undo_later=force)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"state rolled back to before run {run_id} (new generation {gen})")
    for line in undone:
        typer.echo(f"  also undone: {line}")


@app.command()
def history(data_dir: DataDir = Path("qap-data")) -> None:
    """List the published generations: run, date, condition code, counts (or what a
    withdrawal or rollback did).

    Example: qap history --data-dir /srv/qap
    """
    _require_store(data_dir, writable=False)
    try:
        generations = Store(data_dir).history()
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"{'GEN':>6}  {'PUBLISHED':<25}  {'RUN':<28} WHAT")
    for m in generations:
        typer.echo(f"{m['generation']:>6}  {m['created']:<25}  {m['run_id']:<28} "
                   f"{counts(m) or m.get('note', '')}".rstrip())


@app.command("register")
def open_register(data_dir: DataDir = Path("qap-data")) -> None:
    """List the error register entries still open, now (between runs too), with their age;
    SSNs show only their last four digits.

    Example: qap register -d /srv/qap
    """
    _require_store(data_dir, writable=False)
    try:
        today = dt.date.today()
        store = Store(data_dir)
        store.check_current()  # a `current` moved back by hand would list an old register
        entries = register.open_entries(store.read("error_register"), today)
        lines = open_register_report.screen(entries, data_dir, today)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo("\n".join(lines))


@app.command()
def explain(code: Annotated[str, typer.Argument(help="Error code: 14, 3927:05 or A12.")]) -> None:
    """Tell what an error code means: PCE-03-41 (Form 3926), PCE-01-43 (Form 3927), or an
    individual data reason (T.. Form 3081, A.. Form 6489, N.. Data Not Posted, I..).

    Example: qap explain 14      (both runs)   qap explain 3927:05   qap explain A12
    """
    reason = individual(code.upper())
    if reason is not None:
        typer.echo(f"Individual data reason {reason.code}: {reason.meaning}")
        typer.echo(f"  Resolve: {reason.resolution}")
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
        if (c.run, c.code) in SUB_REASONS:
            typer.echo("  On the register it says which fault: "
                       + "; ".join(SUB_REASONS[(c.run, c.code)].values()))


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


def _interrupt_behind(exit_: BaseException) -> bool:
    """Typer turns Ctrl-C into a silent exit 130 (click: "Aborted!", exit 1); both keep the
    KeyboardInterrupt in the exception chain, which tells it from a real exit."""
    seen: BaseException | None = exit_
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def run_app(args: list[str] | None = None) -> int:
    """Run `qap` and return its condition code; an interrupt is one line and 12."""
    try:
        with private.owner_only():  # every file a command writes is owner-only
            app(args=args, prog_name="qap")
    except SystemExit as done:
        if _interrupt_behind(done):
            return interrupted()
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        typer.echo(done.code, err=True)
        return 1
    except KeyboardInterrupt:
        return interrupted()
    return 0


def main() -> None:
    sys.exit(run_app())


polish_help(app)

if __name__ == "__main__":
    main()
