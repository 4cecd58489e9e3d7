"""`qap inventory`: run INV-10-02 on inventory decks, print its parameters, withdraw an entry.

Only wiring: the engine is `pipelines.engine.inventory.step`; exit codes are those of
`qap run` (0 clean, 4 records rejected, 8 a deck refused, 12 could not run, 16 internal).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand

from pipelines.engine.machinery.conditions import CC_ABEND, CC_INCOMPLETE, CC_USAGE, unforeseen
from pipelines.engine.machinery.conservation import ConservationError
from pipelines.operator.cli_options import (
    DataDir,
    Quiet,
    RunDate,
    checked,
    deck_out_problem,
    deck_problem,
    fail,
    folder_path,
    parse_date,
)
from pipelines.operator.data_dir import (
    optional_reference,
    own_folders,
    prepare,
    remember,
    require_store,
)
from validators import ro_params

InvReference = Annotated[Path | None, typer.Option(
    "--reference", "-r", show_default=False, parser=folder_path, readable=False,
    help="Folder with the optional work_calendar.txt (without it: Monday-Friday); "
    "remembered by the data directory, as `qap run` remembers its reference folder.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why an entry is withdrawn.")]


# `qap inventory WORD --help`: each word's own usage, options and what it does (docwalk 18).
WORD_HELP = {
    "params": (
        "qap inventory params [--run-date YYYY-MM-DD]",
        "Print the INV-10-02 policy parameters in force on the run date (default today): the "
        "inventory range of each grade and each rule's settings, with the paragraph each rests "
        "on. Reads no data directory and writes nothing."),
    "withdraw": (
        "qap inventory withdraw KEY CODE --reason WHY [-d DIR]",
        "Withdraw one open INV-10-02 exception: KEY is the assignment number, case control "
        "number or group it names (for code 90, the GS-13 analysis scope: group, territory or "
        "area), CODE its exception code. The withdrawal is a generation of its own: it "
        "prints its id, and `qap rollback ID` undoes it."),
    "corrections": (
        "qap inventory corrections OUT [-d DIR] [--force]",
        "Write the open INV-10-02 error register entries to OUT as decks to correct (one deck "
        "per as-of date and area, named OUT_MMDDYYYY_AREA when there are several). Correct the "
        "records in place, keep the HDR and the TRL count, then run `qap inventory reprocess`. "
        "--force overwrites files that exist."),
    "reprocess": (
        "qap inventory reprocess DECK... [-d DIR] [--run-date YYYY-MM-DD]",
        "Re-input corrected decks written by `qap inventory corrections`: their records go "
        "through the record checks again; what passes closes its open entry, what fails "
        "stays on the error register with its codes. Prints the summary; the exit status is "
        "the condition code, as for a run."),
}


class InventoryCommand(TyperCommand):
    """`qap inventory`, whose first argument may be a word: `--help` after a word prints that
    word's help, not the whole command's."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] in WORD_HELP and any(a in ("--help", "-h") for a in args[1:]):
            usage, what = WORD_HELP[args[0]]
            typer.echo(f"Usage: {usage}\n\n{textwrap.fill(what, 79)}\n\n"
                       "`qap inventory --help`: every word and option.")
            ctx.exit(0)
        return super().parse_args(ctx, args)


def _fail(message: str, code: int) -> typer.Exit:
    return fail("qap inventory", message, code)


def inventory(
    args: Annotated[list[str], typer.Argument(
        help="Deck files; or `params`; `withdraw KEY CODE --reason WHY`; `corrections OUT`; "
        "`reprocess DECK...`.")],
    data_dir: DataDir = Path("qap-data"),
    reference: InvReference = None,
    run_date: RunDate = None,
    reason: Reason = None,
    force: Annotated[bool, typer.Option("--force", help="corrections: overwrite files.")
                     ] = False,
    quiet: Quiet = False,
) -> None:
    """Run the RO inventory INV-10-02: check the decks, measure every RO against the range for
    the grade, report the exceptions; print the summary and where the reports are.

    Example: qap inventory ao35.dat -d /srv/qap -r /srv/qap/reference
             qap inventory params
             qap inventory withdraw 35010103 21 --reason "relief letter on paper" -d /srv/qap
             qap inventory corrections fix.dat -d /srv/qap   (edit fix.dat, then)
             qap inventory reprocess fix.dat -d /srv/qap
    """
    _only_its_options(args[0], reason=reason is not None, force=force,
                      reference=reference is not None, run_date=run_date is not None)
    if args[0] == "params":
        if len(args) > 1:  # a word it would ignore is a slip the operator should see
            raise _fail(f"params takes no argument: {args[1]!r} is unexpected (say: qap "
                        "inventory params [--run-date YYYY-MM-DD]; a usage error: nothing was "
                        "run)", CC_USAGE)
        try:
            typer.echo(ro_params.describe(ro_params.load(parse_date("qap inventory", run_date))))
        except ro_params.ParamsError as err:
            raise _fail(str(err), CC_INCOMPLETE) from None
        return
    if args[0] == "withdraw":
        raise typer.Exit(_withdraw(args[1:], data_dir, reason))
    if args[0] == "corrections":
        raise typer.Exit(_corrections(args[1:], data_dir, force))
    if args[0] == "reprocess":
        raise typer.Exit(_reprocess([Path(a) for a in args[1:]], data_dir,
                                    parse_date("qap inventory", run_date), quiet))
    raise typer.Exit(_run([Path(a) for a in args], data_dir, reference,
                          parse_date("qap inventory", run_date), quiet))


# The options that mean something to each word, as its usage line names them (None: a run of
# decks); --data-dir and --quiet are every word's.
_OPTIONS_OF = {**{word: set(re.findall(r"--[a-z-]+", usage))
                  for word, (usage, _) in WORD_HELP.items()},
               None: {"--reference", "--run-date"}}


def _only_its_options(first: str, **given: bool) -> None:
    """An option another word takes is a slip the operator should see, not one to ignore
    (`qap inventory params --reason x` printed the parameters; check of session 16, P8)."""
    word = first if first in _OPTIONS_OF else None
    stray = [f"--{name.replace('_', '-')}" for name, used in given.items()
             if used and f"--{name.replace('_', '-')}" not in _OPTIONS_OF[word]]
    if stray:
        what = f"qap inventory {word}" if word else "a run of inventory decks"
        help_of = f"qap inventory {word} --help" if word else "qap inventory --help"
        raise _fail(f"{', '.join(stray)} is not an option of {what} (its options: "
                    f"{', '.join(sorted(_OPTIONS_OF[word]))}, -d, -q; `{help_of}`); a usage "
                    "error: nothing was run", CC_USAGE)


def _withdraw(words: list[str], data_dir: Path, reason: str | None) -> int:
    if len(words) != 2 or not reason:
        raise _fail("say: qap inventory withdraw KEY CODE --reason WHY (KEY: assignment "
                    "number, case control number, group, or for code 90 the GS-13 analysis scope: "
                    "group, territory or area)", 2)
    from pipelines.engine.inventory import exceptions
    from pipelines.state.store import StoreError

    checked("qap inventory", require_store, data_dir, True)
    key, code = words
    try:
        withdrawal, number = exceptions.publish_withdrawal(data_dir, code, key, reason,
                                                           dt.date.today())
    except (StoreError, exceptions.NoSuchEntry) as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"withdrawn: INV-10-02 code {code} key {key} as {withdrawal} (generation "
               f"{number}); `qap rollback {withdrawal}` undoes it")
    return 0


def _corrections(words: list[str], data_dir: Path, force: bool) -> int:
    if len(words) != 1:
        raise _fail("say: qap inventory corrections OUT -d DIR [--force]", 2)
    from pipelines.engine.inventory import corrections
    from pipelines.state.store import StoreError

    checked("qap inventory", require_store, data_dir, False)
    if problem := deck_out_problem(Path(words[0])):
        raise _fail(problem, CC_INCOMPLETE)
    try:
        written = corrections.corrections_decks(data_dir, Path(words[0]), dt.datetime.now(),
                                                force)
    except (StoreError, OSError) as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    for d in written:
        typer.echo(f"wrote {d.records} record(s) to {d.path.absolute()} (as of "
                   f"{d.week_ending:%m/%d/%Y})")
    typer.echo("Correct the records in place (keep the HDR; the TRL count must match), then "
               "run: qap inventory reprocess " + " ".join(str(d.path.absolute())
                                                          for d in written)
               + f" -d {data_dir.absolute()}")
    return 0


def _reprocess(decks: list[Path], data_dir: Path, run_date: dt.date | None,
               quiet: bool) -> int:
    if not decks:
        raise _fail("say: qap inventory reprocess DECK... -d DIR", 2)
    for deck in decks:
        if problem := deck_problem(deck):
            raise _fail(f"{problem}; nothing was run", CC_INCOMPLETE)
    from pipelines.operator import inventory_run
    from pipelines.reports import inventory_summary
    from pipelines.state.store import StoreError

    checked("qap inventory", require_store, data_dir, True)
    progress = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    try:
        result = inventory_run.reprocess(decks, data_dir, run_date, progress)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except ConservationError as err:
        raise _fail(f"{err}; nothing was published", CC_ABEND) from None
    except Exception as err:
        code, said = unforeseen(err, "nothing was published", data_dir)
        raise _fail(said, code) from None
    typer.echo(inventory_summary.render(result))
    return result.condition_code


def _run(decks: list[Path], data_dir: Path, reference: Path | None, run_date: dt.date | None,
         quiet: bool) -> int:
    for deck in decks:
        if problem := deck_problem(deck):
            raise _fail(f"{problem}; nothing was run", CC_INCOMPLETE)
    from pipelines.engine.inventory import calendar
    from pipelines.operator.inventory_run import run_inventory
    from pipelines.reports import inventory_summary
    from pipelines.state.store import StoreError

    checked("qap inventory", prepare, data_dir)
    choice = checked("qap inventory", optional_reference, data_dir, reference)
    progress = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    if progress and choice and choice.progress():
        progress(choice.progress())
    try:
        work_calendar = calendar.load(choice.folder if choice else None)
        result = run_inventory(decks, data_dir, work_calendar, run_date, progress=progress)
    except (calendar.CalendarError, ro_params.ParamsError, StoreError) as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except ConservationError as err:
        raise _fail(f"{err}; nothing was published", CC_ABEND) from None
    except Exception as err:  # the operator gets a sentence, not a traceback
        code, said = unforeseen(err, "nothing was published", data_dir)
        raise _fail(said, code) from None
    if choice and (warning := remember(data_dir, choice.folder)):  # as `qap run` does
        typer.echo(f"qap inventory: warning: {warning}", err=True)
    typer.echo(inventory_summary.render(result))
    return result.condition_code


def flow_inventory(
    data_dir: DataDir = Path("qap-data"),
    reference: InvReference = None,
    run_date: RunDate = None,
    quiet: Quiet = False,
) -> None:
    """Run INV-10-02 as a Prefect flow over the decks waiting in DIR/inventory: intake,
    inventory run, archive (archive/inventory/<run id>/, refused/inventory/); artifacts with
    the flag counts. Exit status: the flow's condition code.

    Example: qap flow inventory -d /srv/qap -r /srv/qap/reference
    """
    from pipelines.operator import flow_cli

    day = parse_date("qap flow", run_date)
    checked("qap flow", prepare, data_dir)
    checked("qap flow", own_folders, data_dir, ".", "archive", "refused", "archive/inventory",
            "refused/inventory")  # where the flow's archive step moves decks
    checked("qap flow", optional_reference, data_dir, reference)  # before Prefect's start
    flow_cli.prefect_home(data_dir)
    flow_cli._flows(data_dir, quiet)  # console logging as the weekly flow's
    from pipelines.operator import inventory_flow
    from pipelines.operator.flow_call import call

    try:
        outcome = call(inventory_flow.inventory_flow, data_dir=data_dir,
                       reference_dir=reference, run_date=day)
    except inventory_flow.InventoryFlowFailed as failed:
        outcome = failed.outcome
    except Exception as err:
        raise fail("qap flow", f"internal error: {type(err).__name__}: {err}",
                   CC_ABEND) from None
    typer.echo(outcome.summary)
    raise typer.Exit(outcome.condition_code)
