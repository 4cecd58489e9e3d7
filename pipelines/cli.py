"""The `qap` command: thin wrappers over the engine, each exiting with a condition code.

Condition codes follow the mainframe habit: 0 clean, 4 records rejected, 8 a deck refused,
12 the run could not complete (missing reference, data directory busy or missing,
interrupted), 16 internal error.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from layouts import layout
from layouts.layout import all_layouts, layout_table
from pipelines import names, private, register, summary
from pipelines.cli_options import (
    DataDir,
    Quiet,
    ReferenceDir,
    RunDate,
    UndoLater,
    checked,
    fail,
    interrupted,
    parse_date,
    polish_help,
)
from pipelines.data_dir import choose_reference, prepare, remember, require_store
from pipelines.flow_cli import flow_app
from pipelines.individual import codes as individual_codes
from pipelines.operator import habits, quarterly_cli, sql_cli
from pipelines.operator.inventory_cli import flow_inventory, inventory
from pipelines.operator.sample_cli import sample_app
from pipelines.operator.version import version_text
from pipelines.reference import ReferenceMissing
from pipelines.reference import load as load_reference
from pipelines.reports.printing import mask_ssn_expr
from pipelines.store import Store, StoreError, counts
from pipelines.weekly import CC_ABEND, CC_INCOMPLETE, ConservationError, RunResult, run_week
from validators.codes import CODES, RUN_3926, RUN_3927, RUN_INV, RUN_SAMPLING, SUB_REASONS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE_WEEK = FIXTURES / "sample-week"
SAMPLE_REFERENCE = FIXTURES / "reference"
NATIONAL_LIST = FIXTURES / "national" / "national-defect-list.dat"
NATIONAL_RUN_DATE = dt.date(2026, 11, 10)
SAMPLE_RUN_DATE = dt.date(2026, 11, 17)

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(flow_app, name="flow")
app.add_typer(sample_app, name="sample")
app.command()(inventory)  # run INV-10-02 (pipelines/operator/inventory_cli.py)
flow_app.command("inventory")(flow_inventory)
quarterly_cli.register(app)
app.command("sql")(sql_cli.sql)
Json = Annotated[bool, typer.Option("--json", help="One JSON document instead of the text.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(0)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
        ] = False) -> None:
    pass


def _fail(message: str, code: int) -> typer.Exit:
    return fail("qap", message, code)


def _date(text: str | None) -> dt.date | None:
    return parse_date("qap", text)


def _checked(check, *args):
    """A data-directory check before the command acts (for a flow: before Prefect's 7-19 s
    start): its refusal is 12 at once."""
    return checked("qap", check, *args)


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
             run_date: dt.date | None, quiet: bool, reprocess: bool = False,
             as_json: bool = False, dry_run: bool = False, scratch: Path | None = None) -> int:
    _check_decks(decks)
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
    except ReferenceMissing as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except ConservationError as err:
        raise _fail(f"{err}; nothing was posted", CC_ABEND) from None
    except Exception as err:  # the operator gets a sentence, not a traceback
        raise _fail(f"internal error, nothing was posted: {type(err).__name__}: {err}",
                    CC_ABEND) from None
    if not dry_run and (warning := remember(data_dir, choice.folder)):
        typer.echo(f"qap: warning: {warning}", err=True)
    note = "\n".join(n for n in (_run_page(result, target), choice.summary_note()) if n)
    if dry_run:
        note = "\n".join(filter(None, [note, f"Dry run: nothing was published in {data_dir}; "
                                         f"the reports are in {result.run_dir}"]))
    if as_json:
        typer.echo(habits.dumps(habits.run_document(result, note.split("\n") if note else [],
                                                    dry_run)))
    else:
        typer.echo(_noted(summary.render(result), note))
    return result.condition_code


def _run_page(result: RunResult, data_dir: Path) -> str:
    """Write the run page; the run has posted, so a page that cannot be made is a warning.
    Imported here: the chart and table libraries cost a second or two of start-up that no
    other command needs."""
    from pipelines.reports import run_page

    try:
        page = run_page.write(result, data_dir)
    except Exception as err:
        typer.echo(f"qap: warning: run page not written: {type(err).__name__}: {err}", err=True)
        return ""
    return f"Run page: {page}" if page else ""


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
    as_json: Json = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Every check and every report, in a scratch folder; nothing is "
        "published and the data directory is not written.")] = False,
    scratch: Annotated[Path | None, typer.Option(
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
    raise typer.Exit(_execute(decks, data_dir, reference, _date(run_date), quiet,
                              as_json=as_json, dry_run=dry_run, scratch=scratch))


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
def history(data_dir: DataDir = Path("qap-data"), as_json: Json = False) -> None:
    """List the published generations: run, date, condition code, counts (or what a
    withdrawal or rollback did).

    Example: qap history --data-dir /srv/qap
    """
    _require_store(data_dir, writable=False)
    try:
        generations = Store(data_dir).history()
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    if as_json:
        typer.echo(habits.dumps(habits.history_document(data_dir, generations)))
        return
    typer.echo(f"{'GEN':>6}  {'PUBLISHED':<25}  {'RUN':<28} WHAT")
    for m in generations:
        typer.echo(f"{m['generation']:>6}  {m['created']:<25}  {m['run_id']:<28} "
                   f"{counts(m) or m.get('note', '')}".rstrip())


# Where a register entry's record carries an SSN: (run, record type) -> layout
SSN_LAYOUTS = {(RUN_3926, "line"): "form3926_line", ("IPR-3081", "form3081"): "form3081",
               ("IPR-6489", "form6489"): "form6489",
               (RUN_SAMPLING, "sample_request"): "sample_request",
               (RUN_SAMPLING, "work_batch"): "work_batch"}


def _ssn_of_record() -> pl.Expr:
    """The SSN field of each register entry's record text (null where the form has none)."""
    expr = None
    for (run, record_type), name in SSN_LAYOUTS.items():
        ssn = layout.load(name).field("ssn")
        hit = (pl.col("run") == run) & (pl.col("record_type") == record_type)
        value = pl.col("text").str.slice(ssn.offset, ssn.width)
        expr = pl.when(hit).then(value) if expr is None else expr.when(hit).then(value)
    return expr.otherwise(pl.lit(None, pl.String)).alias("ssn")


def register_rows(data_dir: Path, as_of: dt.date, include_closed: bool = False
                  ) -> pl.DataFrame:
    """The register's entries (open ones only unless `include_closed`) with their age and
    the masked SSN of their record."""
    store = Store(data_dir)
    store.check_current()  # a `current` moved back by hand would list an old register
    table = store.read("error_register")
    if include_closed and table is not None:  # every entry, each keeping its status
        every = table.with_columns(pl.col("status").alias("kept"), pl.lit("open").alias("status"))
        entries = register.open_entries(every, as_of).with_columns(
            pl.col("kept").alias("status")).drop("kept")
    else:
        entries = register.open_entries(table, as_of)
    if entries.height == 0:
        return entries
    return entries.with_columns(_ssn_of_record()).with_columns(mask_ssn_expr("ssn"))


def open_register_lines(data_dir: Path, as_of: dt.date, run_id: str | None = None,
                        deck: str | None = None, code: str | None = None,
                        include_closed: bool = False) -> list[str]:
    """The open entries as the run's open-register listing has them, plus the masked SSN;
    deck names in full (`qap withdraw` needs them). Filters narrow it; `include_closed`
    lists closed entries too, with their status."""
    rows = habits.filter_register(register_rows(data_dir, as_of, include_closed), run_id,
                                  deck, code)
    chosen = ", ".join(f"{k} {v}" for k, v in (("run", run_id), ("deck", deck),
                                                ("code", code)) if v is not None)
    chosen = f" ({chosen})" if chosen else ""
    kind = "" if include_closed else "open "
    if rows.height == 0:
        return [f"The error register in {data_dir} has no {kind}entries{chosen}."]
    width = max(4, *(len(d) for d in rows["deck"]))
    title = "Error register" if include_closed else "Open error register"
    count = f"{rows.height} {kind}{'entry' if rows.height == 1 else 'entries'}"
    if include_closed:
        count += f", {rows.filter(pl.col('status') == 'open').height} open"
    status = f"{'STATUS':<12}" if include_closed else ""
    lines = [f"{title} in {data_dir} on {as_of:%m/%d/%Y}: {count}{chosen}",
             f"{status}OPENED      AGE  RUN        {'DECK':<{width}}    LINE  CTRL  SSN          "
             "ERROR CODES"]
    for r in rows.iter_rows(named=True):
        lines.append(f"{r['status']:<12}"[:len(status)] +
                     f"{r['opened']:%m/%d/%Y}  {r['age_days']:>3}  {r['run']:<9}  "
                     f"{r['deck']:<{width}}  {r['line_no']:>6}  {r['control_number'] or '':<4}  "
                     f"{r['ssn'] or '':<11}  {' '.join(r['error_codes'] or [])}"
                     f"{'  ' + r['sub_reason'] if r['sub_reason'] else ''}".rstrip())
    return lines


@app.command("register")
def open_register(
    data_dir: DataDir = Path("qap-data"),
    run_id: Annotated[str | None, typer.Option("--run", help="Only entries of this run id."
                                               )] = None,
    deck: Annotated[str | None, typer.Option(help="Only entries of this deck (file name).")
                    ] = None,
    code: Annotated[str | None, typer.Option(help="Only entries with this error code (14, "
                                             "T02).")] = None,
    include_closed: Annotated[bool, typer.Option(
        "--all", help="Closed entries too (corrected, withdrawn, resubmitted), with status.")
        ] = False,
    as_json: Json = False,
) -> None:
    """List the error register entries still open, now (between runs too), with their age;
    SSNs show only their last four digits.

    Example: qap register -d /srv/qap --code 14 --deck week46.dat
    """
    _require_store(data_dir, writable=False)
    today = dt.date.today()
    try:
        if as_json:
            rows = habits.filter_register(register_rows(data_dir, today, include_closed),
                                          run_id, deck, code)
            filters = {"run": run_id, "deck": deck, "code": code, "all": include_closed}
            typer.echo(habits.dumps(habits.register_document(data_dir, today, rows, filters)))
            return
        lines = open_register_lines(data_dir, today, run_id, deck, code, include_closed)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo("\n".join(lines))


@app.command()
def explain(code: Annotated[str, typer.Argument(help="Error code: 14, 3927:05 or A12.")],
            run: Annotated[str | None, typer.Option("--run", help="Run, e.g. INV-10-02.")
                           ] = None) -> None:
    """Tell what an error code means: PCE-03-41 (Form 3926), PCE-01-43 (Form 3927), INV-10-02
    (RO inventory, with --run INV-10-02 or INV-10-02:NN), or an
    individual data reason (T.. Form 3081, A.. Form 6489, N.. Data Not Posted, I..).

    Example: qap explain 14      (both runs)   qap explain 3927:05   qap explain A12
    """
    if (sampling := CODES.get((RUN_SAMPLING, code.upper()))) is not None:
        typer.echo(f"Sample selection code {sampling.code}: {sampling.meaning}")
        typer.echo(f"  Resolve: {sampling.resolution}")
        return
    reasons = individual_codes.RECORD_REASONS | individual_codes.NOT_POSTED_REASONS
    if code.upper() in reasons:
        typer.echo(f"Individual data reason {code.upper()}: {reasons[code.upper()]}")
        typer.echo(f"  Resolve: {individual_resolution(code.upper())}")
        return
    form, _, number = code.rpartition(":")
    form, number = run or form, number.zfill(2)
    runs = {"3926": [RUN_3926], "3927": [RUN_3927], "": [RUN_3926, RUN_3927],
            RUN_3926: [RUN_3926], RUN_3927: [RUN_3927], RUN_INV: [RUN_INV]}.get(form)
    if runs is None:
        raise _fail(f"{code!r}: say 3926:NN, 3927:NN, INV-10-02:NN or just NN", 2)
    found = [CODES[(r, number)] for r in runs if (r, number) in CODES]
    if not found:
        raise _fail(f"no error code {number} on {', '.join(runs)}", 2)
    for c in found:
        form_name = {RUN_3926: "Form 3926", RUN_3927: "Form 3927"}.get(
            c.run, f"RO inventory, severity {c.severity}")
        typer.echo(f"{c.run} ({form_name}) error {c.code}: {c.meaning}")
        typer.echo(f"  Resolve: {c.resolution}")
        if (c.run, c.code) in SUB_REASONS:
            typer.echo("  On the register it says which fault: "
                       + "; ".join(SUB_REASONS[(c.run, c.code)].values()))


INDIVIDUAL_RESOLUTIONS = {
    "N": "not a register entry: the review posted to the Cumulative Data File and is listed on "
         "Weekly Data Not Posted; correct the individual figures with a Form 6489.",
    "T": "correct the Form 3081 (`qap corrections` writes it out) and send it again with "
         "`qap reprocess`; it is listed on Weekly Data Not Posted.",
    "T03": "the Form 3081's week ending (columns 25-32) must fall in the week of its deck's HDR; "
           "correct the date, or send the form in a deck headed with its own week.",
    "A": "the Form 6489 took no action (message 4) and is on the IPR adjustment report; correct "
         "it and send it again with `qap reprocess`.",
    "I": "there was no Employee Master File: put employee_master.txt in the reference folder, "
         "then re-input the forms (`qap corrections`, then `qap reprocess`).",
}


def individual_resolution(code: str) -> str:
    """The fix for an individual data reason: by code where it differs, else by family."""
    return INDIVIDUAL_RESOLUTIONS.get(code) or INDIVIDUAL_RESOLUTIONS[code[0]]


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
