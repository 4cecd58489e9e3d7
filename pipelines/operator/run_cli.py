"""The `qap` commands that run the weekly engine: run, demo, reprocess."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipelines.engine.machinery.conditions import (
    CC_ABEND,
    CC_INCOMPLETE,
    CC_REFUSED,
    CC_USAGE,
    unforeseen,
)
from pipelines.engine.machinery.conservation import ConservationError
from pipelines.operator import habits
from pipelines.operator.cli_options import (
    NATIONAL_LIST,
    NATIONAL_RUN_DATE,
    SAMPLE_REFERENCE,
    SAMPLE_RUN_DATE,
    SAMPLE_WEEK,
    DataDir,
    Json,
    Quiet,
    ReferenceDir,
    RunDate,
    Speaker,
    answer_in_json,
    deck_problem,
    folder_path,
)
from pipelines.operator.data_dir import (
    choose_reference,
    has_store,
    prepare,
    remember,
    require_store,
)

if TYPE_CHECKING:
    from pipelines.engine.machinery.result import RunResult

_SAY = Speaker("qap")
_fail, _date, _checked = _SAY.fail, _SAY.date, _SAY.checked


def _require_store(data_dir: Path, writable: bool = True) -> None:
    """Commands that act on a store refuse a folder that holds none (a missing --data-dir
    must not make a new empty store in the current folder)."""
    _checked(require_store, data_dir, writable)


def _check_decks(decks: list[Path]) -> None:
    """A mistyped deck path stops here, before a run id is taken or anything is published."""
    for deck in decks:
        if problem := deck_problem(deck):
            raise _fail(f"{problem}; nothing was run", CC_INCOMPLETE)


def run_week(*args: Any, **kwargs: Any) -> RunResult:
    """`pipelines.operator.runs.run_week`, loaded with the engine and polars when a run starts
    rather than when `qap` starts (its help answers without them)."""
    from pipelines.operator.runs import run_week as run_the_week

    return run_the_week(*args, **kwargs)


def _execute(decks: list[Path], data_dir: Path, reference_dir: Path | None,
             run_date: dt.date | None, quiet: bool, reprocess: bool = False,
             as_json: bool = False, dry_run: bool = False, scratch: Path | None = None) -> int:
    from pipelines.engine.machinery.reference import load as load_reference
    from pipelines.reports import summary

    _check_decks(decks)
    new_store = not dry_run and not has_store(data_dir)
    if dry_run:  # the real data directory is only read: the run posts to a scratch copy
        if os.path.lexists(data_dir):
            _require_store(data_dir, writable=False)
    else:
        _checked(prepare, data_dir)
    choice = _checked(choose_reference, data_dir, reference_dir)
    progress = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    if progress and choice.progress():
        progress(choice.progress())
    target = data_dir
    try:
        reference = load_reference(choice.folder)
        target = habits.scratch_copy(data_dir, scratch) if dry_run else data_dir
        result = run_week(decks, target, reference, run_date, progress=progress,
                          reprocess=reprocess)
    except KeyboardInterrupt:
        if dry_run:  # the scratch copy: made for the interrupted run, or the operator's
            made = target if target != data_dir else None  # not made yet, or removed
            typer.echo(habits.drop_scratch(made, scratch), err=True)
        raise
    except Exception as err:  # the operator gets a sentence, not a traceback
        failed = _fail(*_stopped(err, target))
        if dry_run and target != data_dir:  # a copy nothing in which is whole (session 16, P9)
            typer.echo(habits.drop_scratch(target, scratch, "stopped"), err=True)
        raise failed from None
    if not dry_run and (warning := remember(data_dir, choice.folder)):
        typer.echo(f"qap: warning: {warning}", err=True)
    started = (f"New data directory: {Path(data_dir).absolute()} (no store was there; a "
               "mistyped --data-dir starts one)" if new_store and has_store(data_dir) else "")
    note = "\n".join(n for n in (_run_page(result, target), choice.summary_note(), started)
                     if n)
    if dry_run:
        note = "\n".join(filter(None, [note, f"Dry run: nothing was published in {data_dir}; "
                                         f"the reports are in {result.run_dir}"]))
    if as_json:
        typer.echo(habits.dumps(habits.run_document(result, note.split("\n") if note else [],
                                                    dry_run)))
    else:
        typer.echo(_noted(summary.render(result), note))
    return result.condition_code


def _stopped(err: Exception, target: Path) -> tuple[str, int]:
    """What a run that stopped says, and its code."""
    from pipelines.engine.machinery.reference import ReferenceMissing
    from pipelines.state.store import StoreError

    if isinstance(err, ReferenceMissing | StoreError):
        return str(err), CC_INCOMPLETE
    if isinstance(err, ConservationError):
        return f"{err}; nothing was posted", CC_ABEND
    code, said = unforeseen(err, "nothing was posted", target)
    return said, code


def _run_page(result: RunResult, data_dir: Path) -> str:
    """Write the run page; the run has posted, so a page that cannot be made is a warning.
    Imported here: the chart and table libraries cost a second or two of start-up that no
    other command needs."""
    from pipelines.reports import run_page

    page, why_not = run_page.write_after_posting(result, data_dir)
    if why_not:
        typer.echo(f"qap: warning: {why_not}", err=True)
    return f"Run page: {page}" if page else ""


def _noted(text: str, note: str | None) -> str:
    """The summary with a note just above its last line, which stays the condition code."""
    if not note:
        return text
    body, _, last = text.rpartition("\n")
    return f"{body}\n{note}\n{last}" if body else f"{note}\n{last}"


def run(
    decks: Annotated[list[Path], typer.Argument(
        readable=False, help="Deck files, processed in this order.")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    run_date: RunDate = None,
    quiet: Quiet = False,
    as_json: Json = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Every check and every report, in a scratch folder; nothing is "
        "published and the data directory is not written.")] = False,
    scratch: Annotated[Path | None, typer.Option(
        parser=folder_path, readable=False,
        help="With --dry-run: the (new or empty) folder for the scratch copy and its reports. "
        "Default: a new folder beside the data directory.", show_default=False)] = None,
) -> None:
    """Validate and post decks in the legacy order: run 01, run 03, the Cumulative Data File,
    then individual data (IPR, SAR); print the summary and where the reports are.

    Without --reference a run uses the folder its data directory last ran with; only a new
    data directory falls back to the bundled sample files (the summary then says so). With
    --dry-run the run posts to a scratch copy of the data directory instead: the condition
    code and the reports are those the run would give.

    Example: qap run inbox/*.dat --data-dir /srv/qap --reference /srv/qap/reference
    """
    answer_in_json(as_json)
    if scratch is not None and not dry_run:  # a run meant as a dry run must not post
        raise _fail("--scratch is the folder of a dry run: give --dry-run with it (a usage "
                    "error: nothing was run)", CC_USAGE)
    if scratch is not None and Path(data_dir).absolute() in [scratch.absolute(),
                                                             *scratch.absolute().parents]:
        raise _fail(f"--scratch {scratch} is inside the data directory {data_dir}; give a "
                    "folder outside it (a usage error: nothing was run)", CC_USAGE)
    raise typer.Exit(_execute(decks, data_dir, reference, _date(run_date), quiet,
                              as_json=as_json, dry_run=dry_run, scratch=scratch))


def demo(
    data_dir: DataDir = Path("qap-demo"),
    quiet: Quiet = False,
) -> None:
    """Run the bundled sample week from an empty data directory (recreated each time).

    Two runs: the initial load of the national defect list, then the sample week. The sample
    week sets off error codes on purpose (every PCE-01-43 code, most PCE-03-41 codes), and its
    condition code is 8 (one deck is refused); the demo itself exits 0 when that is what
    happened.

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


def reprocess(
    decks: Annotated[list[Path], typer.Argument(readable=False, help="Corrections deck(s).")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    run_date: RunDate = None,
    quiet: Quiet = False,
) -> None:
    """Run operators' corrections through the same checks; what posts closes its register entry.

    The data directory must hold a store already. Without --reference the folder it last ran
    with is used. A record of a deck `qap corrections` wrote closes (or, rejected again,
    replaces) only an entry of the decks that deck holds the entries of, as recorded under
    its HDR: keep the HDR when editing.

    Example: qap corrections fix.dat -d /srv/qap, edit fix.dat, then
             qap reprocess fix.dat -d /srv/qap
    """
    _check_decks(decks)  # a mistyped deck is said first, as for `run`
    _require_store(data_dir)
    raise typer.Exit(_execute(decks, data_dir, reference, _date(run_date), quiet, True))


def install(app: typer.Typer) -> None:
    """Add this group's commands to the `qap` app, in the order `qap --help` lists them."""
    app.command()(run)
    app.command()(demo)
    app.command()(reprocess)
