"""Corrections of rejected INV-10-02 records, as for PCE-03-41 lines (spec 10.6).

`corrections_decks` writes the open INV-10-02 entries as inventory decks to edit (one per
as-of date and area office, the HDR of the records' original decks); `reprocess` runs edited
decks through the record checks 01-14: a record that passes closes the open entry at its place
(ROR 1-11, CAS 1-21, FCS 1-17), one rejected again replaces it; a record whose key field was
the fault (02, 06, 07) stands for the entry it was written from (`rekeyed`). Cases may
name a holder from the last run's roster. A reprocess measures nothing: the corrected records
count in the next extract's run, which sends every open case again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl

from layouts.encode import deck as deck_text
from pipelines.engine.inventory.rekeyed import close_rekeyed
from pipelines.engine.inventory.step import (
    InventoryResult,
    commit,
    count_records,
    merged_register,
    open_decks,
    open_with_place,
    records_of,
    register_rows,
)
from pipelines.engine.machinery import intake
from pipelines.engine.machinery.register import (
    DECK_WEEK,
    CorrectionsDeck,
    DeckExists,
    close_corrected,
    decks_folder,
    open_entries,
    supersede_resubmitted,
)
from pipelines.state import run_folder
from pipelines.state.files import write_atomically
from pipelines.state.store import Store, StoreError
from validators import inv_10_02
from validators.codes import RUN_INV


def _area(text: str) -> str:
    """Area office of a record: the first two digits of its assignment number or scope."""
    start = {"ROR": 3, "CAS": 13, "FCS": 3}.get(text[:3], 3)
    area = text[start:start + 2]
    return area if area.isdigit() else "00"


def corrections_decks(data_dir: Path, out: Path, created: dt.datetime, force: bool = False
                      ) -> list[CorrectionsDeck]:
    """The open INV-10-02 entries as decks to edit: `out` for one deck, else `out` with the
    as-of date and area before the suffix. Refuses (DeckExists) to overwrite unless `force`."""
    register = Store(data_dir).read("error_register")
    entries = open_entries(register, created.date())
    if entries.height:
        entries = entries.filter(pl.col("run") == RUN_INV)
    if entries.height == 0:
        raise StoreError("the error register has no open INV-10-02 entries")
    entries = entries.with_columns(
        pl.col("text").map_elements(_area, return_dtype=pl.String).alias("area"))
    keys = sorted(entries.select(DECK_WEEK, "area").unique().iter_rows())
    paths = {k: out if len(keys) == 1 else out.with_name(
        f"{out.stem}_{k[0]:%m%d%Y}_{k[1]}{out.suffix}") for k in keys}
    existing = [str(p) for p in paths.values() if p.exists() or p.is_symlink()]
    if existing and not force:
        raise DeckExists(f"{', '.join(existing)}: already there, not overwritten (it may hold "
                         "an operator's edits); name another file, or pass --force")
    decks_folder(data_dir, out)
    written = []
    for n, ((as_of, area), path) in enumerate(paths.items(), start=1):
        mine = entries.filter((pl.col(DECK_WEEK) == as_of) & (pl.col("area") == area)).sort(
            "deck", "line_no")
        records = mine["text"].to_list()
        text = deck_text(records, campus=area, week_ending=f"{as_of:%m%d%Y}",
                         created=f"{created:%m%d%Y}", time=f"{created:%H%M%S}", sequence=n)
        # record text: a new 0600 file renamed into place, never written through a link
        write_atomically(path, lambda fh, text=text: fh.write(text.encode()))
        written.append(CorrectionsDeck(path=path, week_ending=as_of, records=len(records)))
    return written


def _known_roster(history: pl.DataFrame | None) -> pl.DataFrame | None:
    """Each assignment number of the latest inventory run, with its position type."""
    if history is None:
        return None
    rows = history.filter(pl.col("row_kind").is_in(["ro", "hold"]))
    latest = rows.filter(pl.col("run_id") == rows["run_id"].max())
    return latest.select(pl.col("assignment_number").alias("holder"),
                         pl.col("position_type").alias("holder_type"))


# Prints the open error register after a reprocess: (run id, open entries, run date, folder)
OpenRegisterWriter = Callable[[str, pl.DataFrame, dt.date, Path], dict[str, Path]]


def reprocess(deck_paths: list[Path], data_dir: Path, reports: OpenRegisterWriter,
              run_date: dt.date | None = None, progress: Callable[[str], None] | None = None
              ) -> InventoryResult:
    """Check corrected INV-10-02 records; what passes closes its open entry. One generation.
    `reports` prints the open register into the run folder (pipelines/reports/)."""
    run_date = run_date or dt.date.today()
    say = progress or (lambda _msg: None)
    store = Store(data_dir)
    with intake.run_started(store, data_dir, run_date, "inventory reprocess") as (published,
                                                                                    run_id):
        result = InventoryResult(run_id=run_id, run_date=run_date, week_ending=None,
                                 run_dir=None)
        result.notes += run_folder.tidy(data_dir / "runs", set(published))
        # only the same file again is a duplicate: corrected records re-input unchanged
        # (their fix was the roster) may be every record of a deck already run
        ledger = store.read("decks")
        posted = intake.Posted.of(ledger)
        decks = open_decks(deck_paths, intake.Posted(posted.content, {}, {}), result,
                           data_dir / "refused")
        if not decks:  # a refused deck posts nothing
            result.notes.append("no deck was accepted: nothing was published (no "
                                "generation; the open error register is unchanged)")
            return result
        as_of = result.as_of = decks[0].week_ending
        say(f"run {run_id}: checking corrected records (as of {as_of:%m/%d/%Y})")
        checked = inv_10_02.check(records_of(decks), as_of,
                                  _known_roster(store.read("ro_inventory")))
        every = checked.every
        count_records(result, every)
        register = merged_register(store.read("error_register"),
                                   register_rows(every, decks, run_id, run_date, as_of))
        posted = every.filter(~pl.col("rejected")).select(
            pl.lit(RUN_INV).alias("run"), "text", pl.lit(as_of).alias(DECK_WEEK))
        register, result.corrected = close_corrected(register, posted, run_id, run_date)
        register, result.resubmitted = supersede_resubmitted(register, run_id, run_date)
        register, rekeyed = close_rekeyed(register, every, [d.name for d in decks], run_id,
                                          run_date, as_of)
        result.corrected += rekeyed.corrected
        result.resubmitted += rekeyed.resubmitted
        result.notes += rekeyed.notes
        run_dir = result.run_dir = run_folder.start(data_dir / "runs", run_id)
        still_open = open_with_place(register, run_date)
        result.outputs = reports(run_id, still_open, run_date, run_dir)
        result.still_open = still_open.height
        gen = store.begin(run_id)
        gen.write("error_register", register)
        commit(gen, result, ledger, decks, run_dir, f"inventory reprocess {run_id}")
        return result
