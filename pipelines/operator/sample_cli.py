"""`qap sample ...`: sample selection (IRM 3.30.28.2) from the command line; each command is a
thin wrapper over `pipelines.engine.sampling` and exits with a condition code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from pipelines.engine.machinery.conditions import unforeseen
from pipelines.engine.sampling import random_tables
from pipelines.engine.sampling.walk import Cell, walk
from pipelines.operator.cli_options import (
    DataDir,
    Quiet,
    ReferenceDir,
    RunDate,
    checked,
    deck_problem,
    fail,
    parse_date,
    polish_help,
)
from pipelines.operator.data_dir import (
    choose_reference,
    own_folders,
    prepare,
    remember,
    require_store,
)
from pipelines.operator.flow_cli import prefect_home

CC_INCOMPLETE, CC_ABEND = 12, 16

sample_app = typer.Typer(
    help="Sample selection (IRM 3.30.28.2): the days' pulls from sample requests and "
    "completed-work batches, the sampling log, the tables of random numbers.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]})


def _fail(message: str, code: int) -> typer.Exit:
    return fail("qap sample", message, code)


def select_decks(decks: list[Path], data_dir: Path, reference_dir: Path | None,
                 run_date: dt.date | None, quiet: bool, corrections: bool = False) -> int:
    """Run selection on `decks`, print the summary, return the condition code (the flow and
    the command share it)."""
    from pipelines.engine.machinery.reference import ReferenceMissing
    from pipelines.engine.sampling import inputs
    from pipelines.engine.sampling.selection import run_select
    from pipelines.reports import sampling_outputs
    from pipelines.state.store import StoreError

    for deck in decks:
        if problem := deck_problem(deck):
            raise _fail(f"{problem}; nothing was run", CC_INCOMPLETE)
    checked("qap sample", prepare, data_dir)
    choice = checked("qap sample", choose_reference, data_dir, reference_dir)
    progress = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    try:
        reference = inputs.load_reference(choice.folder)
        result = run_select(decks, data_dir, reference, sampling_outputs.write_all, run_date,
                            progress=progress, corrections=corrections)
    except (ReferenceMissing, StoreError) as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except Exception as err:  # the operator gets a sentence, not a traceback
        code, said = unforeseen(err, "nothing was posted", data_dir)
        raise _fail(said, code) from None
    remember(data_dir, choice.folder)
    typer.echo(sampling_outputs.summary(result))
    return result.condition_code


@sample_app.command("select")
def select(
    decks: Annotated[list[Path], typer.Argument(readable=False, help="Request and batch decks.")],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    run_date: RunDate = None,
    quiet: Quiet = False,
    corrections: Annotated[bool, typer.Option(
        "--corrections", help="The decks resend records from the open error register: what "
        "is used closes its entry.")] = False,
) -> None:
    """Choose the pulls of each day the batch decks hold, for the requests in force; print the
    pull list, sampling log, week summary and findings; keep the log in the store.

    With --corrections, a record used closes the open register entry of the record it
    resends (same SSN and batch identifier; or SSN, QPC and week for a request).

    The reference folder holds ofp_consistency.txt and employee_master.txt, and may hold
    hqw.txt (High Quality Work OFP/grades) and sampling_key.txt (the site's secret key).

    Example: qap sample select requests.dat batches-0112.dat -d /srv/qap -r /srv/qap/reference
    """
    raise typer.Exit(select_decks(decks, data_dir, reference,
                                  parse_date("qap sample", run_date), quiet, corrections))


@sample_app.command("walk")
def walk_command(
    batch_size: Annotated[int, typer.Option("--batch-size", help="Items in the work group.")],
    row: Annotated[int, typer.Option("--row", help="Row of the pencil, 1-40 as printed.")],
    column: Annotated[int, typer.Option("--column", help="Column, 1-20 as printed.")],
    direction: Annotated[str, typer.Option("--direction", help="down, up, right or left.")],
    count: Annotated[int, typer.Option("--count", help="How many items to pull.")],
) -> None:
    """Walk a table of random numbers by hand: the first line is the items to pull, in order;
    the second the stop point, where the next walk puts the pencil.

    Example: qap sample walk --batch-size 100 --row 6 --column 7 --direction down --count 6
    """
    if not 1 <= batch_size <= random_tables.LARGEST:
        raise _fail(f"--batch-size {batch_size}: a work group has 1-{random_tables.LARGEST:,}"
                    " items", 2)
    if count < 1:
        raise _fail(f"--count {count}: pull at least one item", 2)
    table = random_tables.load(random_tables.digits_for(batch_size))
    try:
        w = walk(table, Cell(row, column), direction, count, batch_size)
    except ValueError as err:
        raise _fail(f"{err} ({table.name} table)", 2) from None
    typer.echo(" ".join(str(n) for n in w.pulled))
    short = f"; only {len(w.drawn)} found in the whole table" if len(w.drawn) < min(
        count, batch_size) else ""
    if count > batch_size:  # a work group has no more items to pull
        short += f"; --count {count} is more than the {batch_size} item(s) of the work group"
    typer.echo(f"stop: row {w.stop.row} column {w.stop.column} of the {table.name} table "
               f"(drawn in order: {' '.join(map(str, w.drawn))}){short}")


@sample_app.command("table")
def table_command(
    digits: Annotated[int, typer.Option("--digits", help="2 (the IRM's), 3, 4 or 5.")] = 2,
) -> None:
    """Print a table of random numbers as kept: the generated ones with their seed.

    Example: qap sample table --digits 3
    """
    if digits not in random_tables.NAMES:
        raise _fail(f"--digits {digits}: tables have 2, 3, 4 or 5 digits", 2)
    path = random_tables.TABLE_DIR / f"{random_tables.NAMES[digits]}.txt"
    typer.echo(path.read_text(), nl=False)


@sample_app.command("log")
def log_command(
    data_dir: DataDir = Path("qap-data"),
    week: Annotated[str | None, typer.Option(
        "--week", help="Week ending YYYY-MM-DD (default: every week kept).")] = None,
    check: Annotated[bool, typer.Option(
        "--replay", help="Replay every walk from the sampling key (reference folder).")] = False,
    reference: ReferenceDir = None,
) -> None:
    """Print the sampling log kept in the store (SSNs masked); with --replay, draw the weeks'
    starts again from the sampling key and walk every pull again: 0 when all agree, 4 if not.

    Example: qap sample log -d /srv/qap --week 2026-01-17 --replay
    """
    from pipelines.engine.machinery.reference import ReferenceMissing
    from pipelines.engine.sampling import inputs, replay
    from pipelines.reports import printing, sampling_log
    from pipelines.state.store import Store

    checked("qap sample", require_store, data_dir, False)
    log = Store(data_dir).read("sampling_log")
    if log is None:
        raise _fail(f"no sampling log in {data_dir} yet (run `qap sample select` first)",
                    CC_INCOMPLETE)
    when = parse_date("qap sample", week, "--week")
    if when is not None and when.weekday() != 5:  # an empty log would read "nothing pulled"
        raise _fail(f"--week {week} is a {when:%A}; a week ends on a Saturday (a usage error: "
                    "nothing was printed)", 2)
    if when is not None:
        log = log.filter(log["week_ending"] == when)
    typer.echo(printing.render(sampling_log.pages(log, dt.date.today(), when)), nl=False)
    if not check:
        return
    choice = checked("qap sample", choose_reference, data_dir, reference)
    if not Path(choice.folder).is_dir():
        raise _fail(f"reference folder {choice.folder} not found: the replay needs the folder "
                    f"with {inputs.KEY_FILE}", CC_INCOMPLETE)
    try:
        key = inputs.read_key(choice.folder)
    except ReferenceMissing as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    faults = replay.replay(log, key)
    if faults and not key:  # not an audit failure: the key is not where it was looked for
        raise _fail(f"no {inputs.KEY_FILE} in {choice.folder}, and without a key "
                    f"{len(faults)} pull(s) do not replay: give --reference the folder that "
                    "holds the key the pulls were drawn with", CC_INCOMPLETE)
    for fault in faults:
        typer.echo(f"REPLAY: {fault}")
    typer.echo(f"Replay: {log.height - len({f.split(':')[0] for f in faults})} of {log.height} "
               f"pulls replay from the sampling key in {choice.folder}")
    raise typer.Exit(4 if faults else 0)



@sample_app.command("daily")
def daily(
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    run_date: RunDate = None,
) -> None:
    """The daily pulls as a Prefect flow: the decks waiting in <data-dir>/sampling-inbox go
    through `select`, then to sampling-archive/<run id>/ (or refused/). Without a Prefect
    server configured, Prefect's temporary one starts for the run (7-19 s).

    Example: qap sample daily -d /srv/qap -r /srv/qap/reference
    """
    day = parse_date("qap sample", run_date)
    checked("qap sample", prepare, data_dir)
    checked("qap sample", own_folders, data_dir, ".", "sampling-archive", "refused")
    checked("qap sample", choose_reference, data_dir, reference)
    prefect_home(data_dir)
    from pipelines.engine.machinery.reference import ReferenceMissing
    from pipelines.operator.flow_call import call
    from pipelines.operator.sample_flow import sample_daily_flow
    from pipelines.state.store import StoreError

    try:
        outcome = call(sample_daily_flow, data_dir=data_dir, reference_dir=reference,
                       run_date=day)
    except (ReferenceMissing, StoreError) as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except Exception as err:  # the operator gets a sentence, not a traceback
        raise _fail(f"internal error: {type(err).__name__}: {err}", CC_ABEND) from None
    typer.echo(outcome.summary)
    raise typer.Exit(outcome.condition_code)


polish_help(sample_app)
