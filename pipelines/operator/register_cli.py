"""The `qap` commands over the store and the open error register: corrections, withdraw,
rollback, history, register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipelines.engine.machinery.conditions import CC_INCOMPLETE, CC_USAGE
from pipelines.operator import habits
from pipelines.operator.cli_options import (
    DataDir,
    Json,
    Speaker,
    UndoLater,
    answer_in_json,
    deck_out_problem,
    file_path,
)
from pipelines.operator.data_dir import require_store

if TYPE_CHECKING:  # polars, the register and the store load when a command runs
    import polars as pl

_SAY = Speaker("qap")
_fail, _date, _checked = _SAY.fail, _SAY.date, _SAY.checked


def _require_store(data_dir: Path, writable: bool = True) -> None:
    """Commands that act on a store refuse a folder that holds none (a missing --data-dir
    must not make a new empty store in the current folder)."""
    _checked(require_store, data_dir, writable)


def corrections(
    out: Annotated[Path, typer.Argument(readable=False, parser=file_path,
                                        help="Deck file to write (its folder is made). With "
                                        "entries of several weeks: one deck per week, "
                                        "named like fix_MMDDYYYY.dat; documents of two decks "
                                        "that share a control number go in a second deck "
                                        "of their week (fix-2.dat).")],
    data_dir: DataDir = Path("qap-data"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing deck files.")
                     ] = False,
    with_beside: Annotated[bool, typer.Option(
        "--with-beside", help="Write too the entries a later weekly run's record sits beside "
        "(`qap register` marks them): left out by default, since that record may be the "
        "entry's record corrected and posted already.")] = False,
) -> None:
    """Start corrections decks from the open register entries (with their headers), to edit;
    each deck carries the HDR week ending of the records' original decks. Refuses (12) to
    overwrite a file unless --force.

    Example: qap corrections /srv/qap/corrections/fix.dat --data-dir /srv/qap
    """
    from pipelines.engine.machinery import register
    from pipelines.state.store import StoreError

    _require_store(data_dir, writable=False)
    if problem := deck_out_problem(out):
        raise _fail(problem, CC_INCOMPLETE)
    left_out: list[str] = []
    try:
        written = register.corrections_deck(data_dir, out, dt.datetime.now(), force=force,
                                            with_beside=with_beside, left_out=left_out)
    except register.NothingOpen as err:
        typer.echo("\n".join([f"qap: {err}", *left_out]))
        raise typer.Exit(0) from None
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    except OSError as err:
        raise _fail(f"{err.filename or out}: cannot be written ({err.strerror or err})",
                    CC_INCOMPLETE) from None
    typer.echo("\n".join([register.reprocess_hint(written, data_dir), *left_out]))


def withdraw(
    deck: Annotated[str, typer.Argument(help="Deck file name as on the register, or the deck "
                                        "file's path: a path names that file's deck only, by "
                                        "its records, not another deck of its name.")],
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
    from pipelines.engine.machinery import register
    from pipelines.state.store import StoreError

    _require_store(data_dir)
    reason = " ".join("".join(c if c.isprintable() else " " for c in reason).split())
    if not reason:  # kept on the register and printed in tables: one line of text
        raise _fail("--reason is empty: say why the entry is withdrawn", CC_USAGE)
    try:
        withdrawal, gen = register.withdraw(data_dir, deck, line, reason, dt.date.today(),
                                            run_id=run_id, deck_hash=deck_hash)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    entry, notes = register.withdrawn(data_dir, withdrawal)
    typer.echo(f"withdrawn: {entry or Path(deck).name + f' line {line}'} as {withdrawal} "
               f"(generation {gen}); `qap rollback {withdrawal}` undoes it")
    for note in notes:
        typer.echo(f"Note: {note}")


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
    from pipelines.engine.machinery import register
    from pipelines.state.store import AlreadyRolledBack, StoreError

    if not run_id.strip():  # a command-line error, as any other (review 18s, F12)
        raise _fail("give the run id to roll back, e.g. 20261117.01 (`qap history` lists "
                    "them)", CC_USAGE)
    _require_store(data_dir)
    try:
        gen, undone = register.rollback(data_dir, run_id, "qap rollback", undo_later=force)
    except AlreadyRolledBack as err:  # nothing to do: said, and 0
        typer.echo(f"qap: {err}")
        return
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo(f"state rolled back to before run {run_id} (new generation {gen})")
    for line in undone:
        typer.echo(f"  also undone: {line}")
    typer.echo(f"Note: {register.STALE_CORRECTIONS}")




def history(data_dir: DataDir = Path("qap-data"), as_json: Json = False) -> None:
    """List the published generations: run, date, condition code, counts (or what a
    withdrawal or rollback did).

    Example: qap history --data-dir /srv/qap
    """
    answer_in_json(as_json)
    from pipelines.state.store import Store, StoreError

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
                   f"{habits.what(m)}".rstrip())


def register_entries(data_dir: Path, as_of: dt.date, include_closed: bool = False
                     ) -> pl.DataFrame:
    """The register's entries (open ones only unless `include_closed`) with their age."""
    import polars as pl

    from pipelines.engine.machinery import register
    from pipelines.state.store import Store

    store = Store(data_dir)
    store.check_current()  # a `current` moved back by hand would list an old register
    table = store.read("error_register")
    if include_closed and table is not None:  # every entry, each keeping its status
        every = table.with_columns(pl.col("status").alias("kept"), pl.lit("open").alias("status"))
        return register.open_entries(every, as_of).with_columns(
            pl.col("kept").alias("status")).drop("kept")
    return register.open_entries(table, as_of)


def open_register(
    data_dir: DataDir = Path("qap-data"),
    run_id: Annotated[str | None, typer.Option(
        "--run", help="Only entries opened by this run id (20261117.01), or only those of one "
        "register (the REGISTER column: PCE-03-41, SAMPLING, ...).")] = None,
    deck: Annotated[str | None, typer.Option(help="Only entries of this deck (file name).")
                    ] = None,
    code: Annotated[str | None, typer.Option(help="Only entries with this error code (14, "
                                             "T02, or 3927:05 for one run's).")] = None,
    include_closed: Annotated[bool, typer.Option(
        "--all", help="Closed entries too (corrected, withdrawn, resubmitted), with status.")
        ] = False,
    as_json: Json = False,
) -> None:
    """List the error register entries still open, now (between runs too), with their age;
    SSNs show only their last four digits. Under them, the newest corrections deck `qap
    corrections` wrote from each listed deck: a record of it closes only those decks' entries.

    Example: qap register -d /srv/qap --code 14 --deck week46.dat
    """
    answer_in_json(as_json)
    from pipelines.engine.machinery.register import ssn_of_record
    from pipelines.reports import open_register as open_register_report
    from pipelines.reports.printing import mask_ssn_expr
    from pipelines.state.store import StoreError

    _require_store(data_dir, writable=False)
    today = dt.date.today()
    try:
        rows = habits.filter_register(register_entries(data_dir, today, include_closed),
                                      run_id, deck, code)
        written, unnamed = _written_from(data_dir, rows)
        if as_json:
            rows = rows.with_columns(ssn_of_record()).with_columns(mask_ssn_expr("ssn")
                                                                   ) if rows.height else rows
            filters = {"run": run_id, "deck": deck, "code": code, "all": include_closed}
            document = habits.register_document(data_dir, today, rows, filters)
            document["corrections_decks"] = None if unnamed else [
                {"hdr": k, "file": w.file, "entries_of": sorted(set(w.sources.values()))}
                for k, w in written.items()]
            if unnamed:
                document["corrections_decks_note"] = unnamed
            typer.echo(habits.dumps(document))
            return
        chosen = ", ".join(f"{k} {v}" for k, v in (("run", run_id), ("deck", deck),
                                                    ("code", code)) if v is not None)
        lines = open_register_report.screen(rows, data_dir, today,
                                            f" ({chosen})" if chosen else "", include_closed)
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    typer.echo("\n".join(lines + _written_lines(written)
                          + ([f"Note: {unnamed}"] if unnamed else [])))


def _written_from(data_dir: Path, rows: pl.DataFrame) -> tuple[dict[str, Any], str]:
    """The newest corrections deck `qap corrections` wrote from each deck with a listed entry
    (`written_from.latest_for`): with `--all`, of closed ones too (check of session 16, P6).
    A record that cannot be read does not stop the listing, it only names no deck: then the
    note that says so (check of session 16, P4c), else ""."""
    from pipelines.engine.machinery import written_from

    if rows.height == 0:
        return {}, ""
    decks = set(rows["deck_hash"].drop_nulls().to_list())
    try:
        return written_from.latest_for(written_from.read(data_dir), decks), ""
    except written_from.Unreadable as err:
        return {}, written_from.unnamed(err)


def _written_lines(written: dict[str, Any]) -> list[str]:
    """What `qap register` says under the entries of the corrections decks written from their
    decks: a record of one closes (or replaces) only an entry of the decks it names."""
    from pipelines.engine.machinery import written_from

    if not written:
        return []
    return ["Corrections decks written from these decks (`qap corrections`); a record "
            "reprocessed from one closes or replaces only an entry of the decks it names:",
            *(f"  {written_from.said(k, w)}" for k, w in written.items())]


def install(app: typer.Typer) -> None:
    """Add this group's commands to the `qap` app, in the order `qap --help` lists them."""
    app.command()(corrections)
    app.command()(withdraw)
    app.command()(rollback)
    app.command()(history)
    app.command("register")(open_register)
