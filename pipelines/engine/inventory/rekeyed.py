"""INV-10-02 register entries closed by a record sent again under a corrected key.

An entry is found again by its place (ROR 1-11, CAS 1-21, FCS 1-17: `register.place`). A record
rejected for its key field (02 assignment number, 06 duplicate, 07 holder) can only be fixed by
changing that key, so the fixed record has a new place and `close_corrected` finds no entry for
it. It stands for the entry of the same case (CAS 4-13) or person (ROR SEID and name, 12-51):
in a reprocess, the corrections deck's record written from it (same as-of date); in a weekly
extract, which sends every record again, the record fixed at the source (an entry of an earlier
as-of date). Both kinds of run close the entry the same way (review 13, R13-5; session 14).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from pipelines.engine.machinery.register import (
    CORRECTED,
    DECK_WEEK,
    RESUBMITTED,
    differ,
    entry_key,
    place,
)
from validators.codes import RUN_INV

KEY_CODES = ("02", "06", "07")  # what only a change of the record's key (its place) can fix
# What names one record whatever its key: a case's control number (CAS 4-13); a roster
# entry's SEID and name (ROR 12-51), the person whose assignment number was wrong.
SAME_RECORD = {"CAS": (3, 10), "ROR": (11, 40)}


@dataclass
class Rekeyed:
    """What `close_rekeyed` closed, and what the summary says about it."""

    corrected: int = 0
    resubmitted: int = 0
    notes: list[str] = field(default_factory=list)


def _identity() -> pl.Expr:
    """What names a record whatever its key (SAME_RECORD), with its record type: null for an
    FCS record, which has no such name."""
    kind, text = pl.col("text").str.slice(0, 3), pl.col("text").str.pad_end(51)
    return (pl.when(kind == "CAS").then(pl.concat_str(kind, text.str.slice(*SAME_RECORD["CAS"])))
            .when(kind == "ROR").then(pl.concat_str(kind, text.str.slice(*SAME_RECORD["ROR"]))))


def close_rekeyed(register: pl.DataFrame, every: pl.DataFrame, deck_names: list[str],
                  run_id: str, run_date: dt.date, as_of: dt.date, *, extract: bool = False
                  ) -> tuple[pl.DataFrame, Rekeyed]:
    """Close the open entries of an earlier run carrying one of KEY_CODES that a record of
    this run (`every`) at another place stands for: the same case or person, found at no
    place this run matched; the most alike first. A record that posts closes its entry as
    corrected, one rejected again replaces it (resubmitted). A reprocess (`extract` False)
    looks at entries of its own as-of date and says of a used record that closes nothing how
    to close an old entry (`qap withdraw`); a weekly extract (`extract`) looks at entries of
    earlier as-of dates and says nothing of its other records, which are most of the run."""
    out = Rekeyed()
    rows = register.with_row_index("row").with_columns(place().alias("place"))
    matched = set(rows.filter(pl.col("closed_by") == run_id)["place"].to_list())
    mine = every.with_columns(place().alias("place")).filter(~pl.col("place").is_in(matched))
    week = pl.col(DECK_WEEK) < as_of if extract else pl.col(DECK_WEEK) == as_of
    old = rows.filter((pl.col("status") == "open") & (pl.col("run") == RUN_INV)
                      & (pl.col("run_id") != run_id) & week
                      & pl.col("error_codes").list.eval(pl.element().is_in(KEY_CODES))
                      .list.any() & ~pl.col("place").is_in(mine["place"].implode()))
    candidates = mine.with_columns(_identity().alias("id")).drop_nulls("id")
    same = candidates.with_row_index("i").select("i", "id", "text").join(
        old.select("row", _identity().alias("id"), pl.col("text").alias("was")), on="id")
    pairs = sorted((differ(was, text), row, i)
                   for i, text, row, was in same.select("i", "text", "row", "was").iter_rows())
    again = {(d, n): row for d, n, row in rows.filter(
        (pl.col("run_id") == run_id) & (pl.col("status") == "open")).select(
        "deck", "line_no", "row").iter_rows()}
    closes: dict[int, str] = {}
    links: dict[int, int] = {}  # this run's new entry -> the entry it replaces
    taken: set[tuple[int, int]] = set()  # (deck_no, line_no) of the records that closed one
    for _, entry, i in pairs:
        record = candidates.row(i, named=True)
        at = (record["deck_no"], record["line_no"])
        if entry in closes or at in taken:
            continue
        taken.add(at)
        was = rows.row(entry, named=True)
        name = deck_names[record["deck_no"]]
        if record["rejected"]:
            closes[entry] = RESUBMITTED
            links[again[(name, record["line_no"])]] = entry
            out.resubmitted += 1
        else:
            closes[entry] = CORRECTED
            out.corrected += 1
        out.notes.append(
            f"{name}, line {record['line_no']}: {record['record_type']} "
            f"{record['control_number'] or ''} under a corrected key stands for "
            f"{was['deck']} line {was['line_no']} ({' '.join(was['error_codes'])}), "
            f"closed as {closes[entry]}")
    if not extract:
        for record in mine.iter_rows(named=True):
            if (record["deck_no"], record["line_no"]) not in taken and not record["rejected"]:
                out.notes.append(
                    f"{deck_names[record['deck_no']]}, line {record['line_no']}: "
                    f"{record['record_type']} {record['control_number'] or ''} was used but "
                    "closes no open entry (its key, ROR 1-11 or CAS 1-21, matches none); if "
                    "an old entry stands for it, close that with qap withdraw DECK LINE "
                    "--reason \"...\"")
    return _apply(rows, closes, links, run_id, run_date), out


def _apply(rows: pl.DataFrame, closes: dict[int, str], links: dict[int, int], run_id: str,
           run_date: dt.date) -> pl.DataFrame:
    """Close the entries `closes` names; each new entry of `links` keeps the first `opened`
    of the entry it replaces and names it (`replaces`), as `supersede_resubmitted` does."""
    if "replaces" not in rows.columns:  # a register written before the column
        rows = rows.with_columns(pl.lit(None, pl.String).alias("replaces"))
    if not closes:
        return rows.drop("row", "place")
    closing = pl.DataFrame({"row": list(closes), "closing": list(closes.values())},
                           schema={"row": pl.UInt32, "closing": pl.String})
    old = rows.select(pl.col("row").alias("old"), pl.col("opened").alias("first_opened"),
                      entry_key().alias("replaced"))
    linked = pl.DataFrame({"row": list(links), "old": list(links.values())},
                          schema={"row": pl.UInt32, "old": pl.UInt32}).join(old, on="old")
    hit = pl.col("closing").is_not_null()
    return rows.join(closing, on="row", how="left", maintain_order="left").join(
        linked.drop("old"), on="row", how="left", maintain_order="left").with_columns(
        pl.coalesce("closing", "status").alias("status"),
        pl.when(hit).then(pl.lit(run_date)).otherwise("closed").alias("closed"),
        pl.when(hit).then(pl.lit(run_id)).otherwise("closed_by").alias("closed_by"),
        pl.coalesce("first_opened", "opened").alias("opened"),
        pl.coalesce("replaced", "replaces").alias("replaces"),
    ).drop("row", "place", "closing", "first_opened", "replaced")
