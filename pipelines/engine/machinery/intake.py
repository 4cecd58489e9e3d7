"""Intake of a run's decks, shared by every family: control and identity of each deck, refusal
of duplicates (already posted, or twice in one run), the run id, the records of the accepted
decks as one frame, and the deck ledger row of every deck offered."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import DeckFault, decode
from pipelines.engine.machinery.deck import Deck, DeckRefused, open_deck
from pipelines.engine.machinery.result import DeckOutcome, RunResult
from pipelines.state import run_folder

PREFIX = layout.load("prefix")

LEDGER_SCHEMA = {"content_hash": pl.String, "deck": pl.String, "identity": pl.String,
                 "run_id": pl.String, "run_date": pl.Date, "status": pl.String,
                 "reason": pl.String, "records": pl.Int64}


def next_run_id(published: list[str], run_date: dt.date) -> str:
    """The run date's next free id; `published` are the run ids of the store's history."""
    stamp = f"{run_date:%Y%m%d}"
    taken = set(published)
    n = 1
    while f"{stamp}.{n:02d}" in taken:
        n += 1
    return f"{stamp}.{n:02d}"


def open_all(paths: list[Path], known: set[str], result: RunResult, refused_dir: Path
             ) -> list[Deck]:
    """The accepted decks, in order; every deck offered gets its outcome in `result.decks`
    (a refused one is also copied to `refused_dir` for resubmission)."""
    decks: list[Deck] = []
    seen: dict[str, str] = {}
    for path in paths:
        outcome = DeckOutcome(path=str(path), status="refused")
        try:
            deck = open_deck(path)
        except (DeckFault, DeckRefused) as err:
            outcome.reason = str(err)
            keep_for_resubmission(path, refused_dir)
            result.decks.append(outcome)
            continue
        outcome.identity, outcome.records = deck.identity, deck.records.height
        if deck.content_hash in known or deck.content_hash in seen:
            first = seen.get(deck.content_hash, "an earlier run")
            outcome.status = "duplicate"
            outcome.reason = (f"{path}: duplicate deck: the same records were already posted "
                              f"({first}); nothing of it posts again")
            outcome.records = 0
        else:
            outcome.status = "accepted"
            seen[deck.content_hash] = f"{path.name} in this run"
            decks.append(deck)
        result.decks.append(outcome)
    return decks


def keep_for_resubmission(path: Path, refused_dir: Path) -> None:
    if path.is_file():
        run_folder.private_dir(refused_dir)
        shutil.copy2(path, refused_dir / path.name)


def records(decks: list[Deck]) -> pl.DataFrame:
    """Every record of the accepted decks in order, with `deck_no` (the deck's place in
    `decks`), `seq` (the record's place in the run) and the prefix fields decoded."""
    frames = [d.records.with_columns(pl.lit(i, pl.UInt16).alias("deck_no"))
              for i, d in enumerate(decks)]
    if not frames:
        frames = [pl.DataFrame(schema={"line_no": pl.UInt32, "text": pl.String,
                                       "deck_no": pl.UInt16})]
    combined = pl.concat(frames).with_row_index("seq")
    return decode(combined, PREFIX)


def deck_columns(rows: pl.DataFrame, decks: list[Deck], run_id: str) -> pl.DataFrame:
    """The deck's name, hash and page title beside each row: a row's deck_no is the deck's
    place in `decks`, so each column is a gather (a join would copy every column of rows)."""
    at = rows.get_column("deck_no")
    names = pl.Series("deck", [d.name for d in decks], pl.String)
    hashes = pl.Series("deck_hash", [d.content_hash for d in decks], pl.String)
    titles = pl.Series("deck_title", [f"{d.heading}  {d.name}" for d in decks], pl.String)
    return rows.with_columns(names.gather(at), hashes.gather(at), titles.gather(at),
                             pl.lit(run_id).alias("run_id"))


def ledger(previous: pl.DataFrame | None, result: RunResult, decks: list[Deck], run_id: str,
           run_date: dt.date) -> pl.DataFrame:
    """The deck ledger with a row for every deck this run was offered."""
    hashes = iter(d.content_hash for d in decks)
    rows = []
    for o in result.decks:
        rows.append({"content_hash": next(hashes) if o.status == "accepted" else None,
                     "deck": Path(o.path).name, "identity": o.identity, "run_id": run_id,
                     "run_date": run_date,
                     "status": "posted" if o.status == "accepted" else o.status,
                     "reason": o.reason, "records": o.records})
    new = pl.DataFrame(rows, schema=LEDGER_SCHEMA)
    return new if previous is None else pl.concat([previous, new])
