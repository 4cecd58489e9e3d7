"""The open error register: what the registers rejected stays here until an operator corrects
and re-inputs it (`reprocess`) or withdraws it on purpose (`withdraw`). Nothing else closes an
entry. `corrections_deck` starts an operator's corrections deck from the open entries.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from layouts.encode import deck as deck_text
from pipelines.store import Store, StoreError

PREFIX_WIDTH = 15  # program, format, block, serial, section: what identifies a form record


def place() -> pl.Expr:
    """What identifies the record a correction replaces. Forms 3926/3927: program, format,
    block, serial and section (columns 1-15). Forms 3081 and 6489 have no block or serial, so
    their employee, OFP and week do: 3081 columns 16-45 (SSN, week ending, OFP); 6489 columns
    16-37 (OFP, SSN) and 81-94 (quarter and week ending)."""
    text = pl.col("text")
    return (pl.when(text.str.starts_with("59600")).then(text.str.slice(0, 45))
            .when(text.str.starts_with("59602")).then(text.str.slice(0, 37)
                                                      + text.str.slice(80, 14))
            .otherwise(text.str.slice(0, PREFIX_WIDTH)))


def open_entries(register: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame:
    if register is None:
        return pl.DataFrame()
    return register.filter(pl.col("status") == "open").with_columns(
        (pl.lit(as_of) - pl.col("opened")).dt.total_days().alias("age_days")
    ).sort("opened", "deck", "line_no")


def close_corrected(register: pl.DataFrame, posted: pl.DataFrame, run_id: str,
                    run_date: dt.date) -> tuple[pl.DataFrame, int]:
    """Entries whose corrected record posted in this reprocess run: same run and same place
    (columns 1-15). Returns the register and how many entries closed."""
    keys = posted.select("run", place().alias("place")).unique()
    marked = register.with_columns(place().alias("place"))
    hit = (pl.col("status") == "open") & pl.struct("run", "place").is_in(
        keys.select(pl.struct("run", "place")).to_series().implode())
    n = marked.filter(hit).height
    closed = marked.with_columns(
        pl.when(hit).then(pl.lit("corrected")).otherwise("status").alias("status"),
        pl.when(hit).then(pl.lit(run_date)).otherwise("closed").alias("closed"),
        pl.when(hit).then(pl.lit(run_id)).otherwise("closed_by").alias("closed_by"),
    ).drop("place")
    return closed, n


def withdraw(data_dir: Path, deck: str, line_no: int, reason: str, run_date: dt.date) -> int:
    """Close one open entry on purpose; publishes a generation. Returns the generation."""
    if not reason.strip():
        raise StoreError("a withdrawal needs a reason (--reason)")
    store = Store(data_dir)
    with store.lock("withdraw", wait_seconds=30):
        register = store.read("error_register")
        match = (pl.col("deck") == deck) & (pl.col("line_no") == line_no) & (
            pl.col("status") == "open")
        if register is None or register.filter(match).height == 0:
            raise StoreError(f"no open register entry for deck {deck} line {line_no}")
        register = register.with_columns(
            pl.when(match).then(pl.lit("withdrawn")).otherwise("status").alias("status"),
            pl.when(match).then(pl.lit(run_date)).otherwise("closed").alias("closed"),
            pl.when(match).then(pl.lit("withdraw")).otherwise("closed_by").alias("closed_by"),
            pl.when(match).then(pl.lit(reason)).otherwise("reason").alias("reason"))
        gen = store.begin(f"withdraw-{run_date:%Y%m%d}")
        gen.write("error_register", register)
        return gen.commit(note=f"withdrew {deck} line {line_no}: {reason}")


def corrections_deck(data_dir: Path, out: Path, created: dt.datetime) -> int:
    """Write the open entries as one deck for operators to correct: Forms 3927, 3926, 3081
    and 6489 in that order; each rejected form line comes with its header."""
    store = Store(data_dir)
    register = store.read("error_register")
    entries = open_entries(register, created.date())
    if entries.height == 0:
        raise StoreError("the error register has no open entries")
    records: list[str] = []
    for run in ("PCE-01-43", "PCE-03-41", "IPR-3081", "IPR-6489"):
        part = entries.filter(pl.col("run") == run).sort("deck", "line_no")
        written: set[str] = set()
        for row in part.iter_rows(named=True):
            header = row["header_text"]
            if row["record_type"] == "line" and header and header not in written:
                records.append(header)
                written.add(header)
            if row["text"] not in written:
                records.append(row["text"])
                written.add(row["text"])
    week = entries["opened"].max()
    out.write_text(deck_text(records, campus="CR", week_ending=f"{week:%m%d%Y}",
                             created=f"{created:%m%d%Y}", time=f"{created:%H%M%S}"))
    return len(records)
