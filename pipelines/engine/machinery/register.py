"""The open error register: what the registers rejected stays here until an operator corrects
and re-inputs it (`reprocess`, or a weekly deck that carries it again in its own week) or
withdraws it on purpose (`withdraw`). Nothing else closes an entry. `corrections_deck` starts
an operator's corrections decks from the open entries.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts.encode import deck as deck_text
from pipelines.engine.machinery import written_from
from pipelines.engine.machinery.deck import (
    CORRECTIONS_CAMPUS,
    DeckFault,
    DeckRefused,
    open_deck,
)
from pipelines.state import private, run_folder
from pipelines.state.files import write_atomically
from pipelines.state.store import Store, StoreError
from validators.codes import RUN_3926, RUN_3927, RUN_INV, RUN_SAMPLING

PREFIX_WIDTH = 15  # program, format, block, serial, section: what identifies a form record
DECK_WEEK = "deck_week_ending"  # register column: the HDR week ending of the entry's deck
DECK_ORDER = ("PCE-01-43", "PCE-03-41", "IPR-3081", "IPR-6489")  # runs, as a corrections deck
CORRECTED, RESUBMITTED, WITHDRAWN = "corrected", "resubmitted", "withdrawn"
CONTEXT = "context"  # a header a reprocess run rejected only because its lines were
# The fields of `place()` per form, in the operator's words: a correction that changes one of
# them cannot close its old entry, which must then be withdrawn.
KEY_FIELDS = {
    "Forms 3926/3927": "program, format, block, serial, section (columns 1-15)",
    "Form 3081": "SSN, week ending, OFP (columns 16-45)",
    "Form 6489": "OFP, SSN (columns 16-37), quarter ending, week ending (columns 81-94)",
}


class NothingOpen(StoreError):
    """No open entry to write a corrections deck of: nothing to do, not a failure."""


class DeckExists(StoreError):
    """A corrections deck would overwrite a file, perhaps one an operator has been editing."""


@dataclass(frozen=True)
class CorrectionsDeck:
    """One corrections deck written: its file, its HDR week ending, how many records it holds."""

    path: Path
    week_ending: dt.date
    records: int
    sources: tuple[str, ...] = ()  # the decks whose entries it holds (file names)


def place() -> pl.Expr:
    """What identifies the record a correction replaces. Forms 3926/3927: program, format,
    block, serial and section (columns 1-15). Forms 3081 and 6489 have no block or serial, so
    their employee, OFP and week do: 3081 columns 16-45 (SSN, week ending, OFP); 6489 columns
    16-37 (OFP, SSN) and 81-94 (quarter and week ending). INV-10-02 records (spec 6): ROR
    columns 1-11, CAS 1-21 (case and holder), FCS 1-17 (scope and period)."""
    text = pl.col("text")
    inventory = {"ROR": 11, "CAS": 21, "FCS": 17}  # INV-10-02: record type and its key
    expr = pl.when(text.str.starts_with("59600")).then(text.str.slice(0, 45))
    for record_type, width in inventory.items():
        expr = expr.when(text.str.starts_with(record_type)).then(text.str.slice(0, width))
    return (expr
            .when(text.str.starts_with("59602")).then(text.str.slice(0, 37)
                                                      + text.str.slice(80, 14))
            .otherwise(text.str.slice(0, PREFIX_WIDTH)))


def open_entries(register: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame:
    if register is None:
        return pl.DataFrame()
    later = [pl.lit(None, pl.String).alias(c) for c in ("sub_reason", "replaces", "beside")
             if c not in register.columns]  # a register written before these columns
    return register.with_columns(later).filter(pl.col("status") == "open").with_columns(
        (pl.lit(as_of) - pl.col("opened")).dt.total_days().alias("age_days")
    ).sort("opened", "deck", "line_no")


def _close(register: pl.DataFrame, hit: pl.Expr, status: str, closed_by: str,
           run_date: dt.date) -> tuple[pl.DataFrame, int]:
    """Close the entries `hit` selects (it may read the column `place`) as `status`."""
    marked = register.with_columns(place().alias("place"))
    n = marked.filter(hit).height
    closed = marked.with_columns(
        pl.when(hit).then(pl.lit(status)).otherwise("status").alias("status"),
        pl.when(hit).then(pl.lit(run_date)).otherwise("closed").alias("closed"),
        pl.when(hit).then(pl.lit(closed_by)).otherwise("closed_by").alias("closed_by"),
    ).drop("place")
    return closed, n


def _same_run_and_place(keys: pl.DataFrame) -> pl.Expr:
    """An entry whose run and place are among `keys` (columns run, place)."""
    return pl.struct("run", "place").is_in(
        keys.select(pl.struct("run", "place")).to_series().implode())


def differ(a: str, b: str) -> int:
    """Columns in which two records differ (a short record reads as padded with blanks)."""
    width = max(len(a), len(b))
    return sum(x != y for x, y in zip(a.ljust(width), b.ljust(width), strict=True))


def _week(frame: pl.DataFrame) -> pl.Expr:
    """`frame`'s DECK_WEEK, or null where it has none (the week not known: records given
    without it, a register written before the column)."""
    return (pl.col(DECK_WEEK) if DECK_WEEK in frame.columns else pl.lit(None)).cast(pl.Date)


# A reprocess's corrections decks (by `source_key`: deck hash and name) -> the original decks
# (by deck hash) each was written from, as `qap corrections` recorded them (`written_from`)
Sources = dict[str, list[str]]


def source_key(deck_hash: str, name: str) -> str:
    """A corrections deck of a run as `Sources` names it: its records' hash and its file name.
    Two corrections decks of the same records (the same correction made in the decks of two
    original decks that share control numbers) have the same hash (check of session 16, P1)."""
    return f"{deck_hash}\x01{name}"


def _source_key(frame: pl.DataFrame) -> pl.Expr:
    """`source_key` of each row of `frame` (deck_hash and deck), or null where it has no
    deck hash (records given without it)."""
    if "deck_hash" not in frame.columns:
        return pl.lit(None, pl.String)
    name = pl.col("deck") if "deck" in frame.columns else pl.lit("")
    return pl.concat_str(pl.col("deck_hash"), name, separator="\x01")
SOURCES = "sources"  # a record's column: its corrections deck's original decks (null: unknown)


def _deck_hash(frame: pl.DataFrame) -> pl.Expr:
    """`frame`'s deck_hash, or null where it has none (records given without it)."""
    return (pl.col("deck_hash") if "deck_hash" in frame.columns
            else pl.lit(None)).cast(pl.String)


def _with_week(records: pl.DataFrame, sources: Sources | None = None) -> pl.DataFrame:
    """`records` (run, text, and DECK_WEEK and deck_hash when known) with a DECK_WEEK column
    and SOURCES: the original decks its corrections deck was written from, null when not
    recorded (a deck written by hand, or by `qap corrections` before it kept the record)."""
    sources = sources or {}
    table = pl.DataFrame({"_source": list(sources), SOURCES: list(sources.values())},
                         schema={"_source": pl.String, SOURCES: pl.List(pl.String)})
    return records.select("run", "text", _week(records).alias(DECK_WEEK),
                          _source_key(records).alias("_source")).join(
        table, on="_source", how="left", maintain_order="left").drop("_source")


def closed_since(register: pl.DataFrame | None, written: written_from.Written,
                 written_at: dt.datetime | None = None,
                 published: dict[str, dt.datetime] | None = None) -> list[tuple[str, str]]:
    """The entries a corrections deck `qap corrections` recorded was written from
    (`written.entries`) that are no longer open: corrected, replaced or withdrawn since (a
    weekly run took a record's re-input, or another corrections deck), or gone with a
    rollback. Reprocessed, the deck's record of such an entry would post again (check of
    session 17, P2). Each as "deck line N" with what closed it (the run, or "a rollback"),
    in the order recorded. A record written before entries were kept stands for the entries
    `_open_when_written` finds, given the deck's HDR time (`written_at`) and when each run
    and withdrawal was published (`published`); without them, for none."""
    rows = pl.DataFrame(schema={"key": pl.String, "status": pl.String, "by": pl.String}) \
        if register is None else register.select(entry_key().alias("key"), "status", pl.coalesce(
            "closed_by", pl.lit("")).alias("by"))
    entries = written.entries or _open_when_written(register, written, written_at, published)
    still = set(rows.filter(pl.col("status") == "open")["key"].to_list())
    known = dict(rows.filter(pl.col("status") != "open").select("key", "by").iter_rows())
    return [(" ".join(e.split(" ")[1:-1]) + f" line {e.split(' ')[-1]}",
             f"closed by {known[e]}" if known.get(e) else "undone by a rollback")
            for e in entries if e not in still]


def marked_left_out(register: pl.DataFrame | None, written: written_from.Written | None,
                    records: pl.DataFrame, week: dt.date) -> list[tuple[str, str]]:
    """Open entries a later week's record sits beside (`beside`) at whose key a corrections
    deck of `week` holds a record (`records`: text), where the deck does not stand for them:
    one `qap corrections` recorded (`written`) left them out, so the record was added by
    hand (check of session 18, N2); a deck written by hand (`written` None) stands for none
    of them (N2h). Reprocessed, the record would post a review that may have posted already.
    Each as ("deck line N", beside). A deck written with --with-beside holds such entries
    among its own, and gives none."""
    if register is None or "beside" not in register.columns or (
            written is not None and not written.entries):
        return []
    places = records.select(place().alias("place"))["place"].implode()
    ours = (pl.col("deck_hash").is_in(list(written.sources))
            & ~entry_key().is_in(list(written.entries))) if written is not None else (
        _week(register) == week)  # a register from before the column: no week, none
    marked = register.filter((pl.col("status") == "open") & pl.col("beside").is_not_null()
                             & ours & place().is_in(places))
    return [(f"{deck} line {line}", beside) for deck, line, beside in marked.select(
        "deck", "line_no", "beside").iter_rows()]


def _open_when_written(register: pl.DataFrame | None, written: written_from.Written,
                       written_at: dt.datetime | None,
                       published: dict[str, dt.datetime] | None) -> tuple[str, ...]:
    """The entries of a corrections deck recorded before `qap corrections` kept them (check
    of session 17, Q8: such a deck was screened only by its decks, and posted a record a
    weekly run had taken since a second time): its original decks' entries opened by a run
    published at or before its HDR time and then open, that is still open or closed by a run
    or withdrawal published at or after it. The store's clock, not the runs' run dates
    (which an operator may set earlier: check of session 17, second pass, Q2); an entry
    closed before the deck was written, a header then written only as a line's context, is
    not among them (Q3). A tie counts as after: a record posts twice never."""
    if register is None or written_at is None or not published:
        return ()
    at = written_at if written_at.tzinfo else written_at.astimezone()
    times = pl.DataFrame({"run_id": list(published), "_at": list(published.values())},
                         schema={"run_id": pl.String, "_at": pl.Datetime("us", "UTC")})
    closing = times.rename({"run_id": "closed_by", "_at": "_closed_at"})
    return tuple(register.filter(pl.col("deck_hash").is_in(list(written.sources))).join(
        times, on="run_id", how="left").join(closing, on="closed_by", how="left").filter(
        (pl.col("_at") <= at) & ((pl.col("status") == "open") | (pl.col("_closed_at") >= at))
    ).sort("run_id", "deck", "line_no").select(entry_key().alias("key"))["key"].to_list())


def _label() -> pl.Expr:
    """How a note names an entry or a record: "deck line N"."""
    return pl.concat_str("deck", pl.lit("line"), pl.col("line_no").cast(pl.String),
                         separator=" ")


def _stands_for(register: pl.DataFrame, records: pl.DataFrame, run_id: str,
                ambiguous: dict[int, list[str]] | None = None,
                passed_over: dict[int, list[str]] | None = None,
                same_week: bool = False) -> dict[int, int]:
    """Which open entry of an earlier run each record of run `run_id` (`records`: run, text,
    DECK_WEEK, SOURCES, as `_with_week` gives them) stands for, as {entry row: record row}.
    A record of a corrections deck whose original decks are recorded (SOURCES) stands only
    for an entry of those decks: `qap corrections` wrote it from their entries, and control
    numbers repeat between decks of a week (review 14, F13); `passed_over` receives each such
    record with the entries of other decks at its key and week it did not consider. A place
    can hold several records (Forms 3081 of one employee, week and OFP), so each record takes
    one entry of its run and place: one of its own week first (a corrections deck's HDR
    carries the week of the records' original deck, and a key can repeat from week to week:
    review 14, F13), then the most alike (fewest differing columns), then the earliest entry,
    then the first record; an entry and a record are taken once. A record as like entries of
    two original decks (the same key, week and text: two decks of a week sharing a block,
    and no record of which its deck was written from), with fewer such records than those
    entries, cannot tell which it stands for: it takes none, and `ambiguous` receives it with
    those entries ("deck line N"), to be said (review 14, F13 within one week). With
    `same_week`, a record stands only for an entry of its own week, both weeks known: a
    weekly deck's record at an open entry's key is its re-input only when it is of that
    week, since keys repeat from week to week (review 17, F5)."""
    earlier = register.with_row_index("entry").filter(
        (pl.col("status") == "open") & (pl.col("run_id") != run_id))
    pairs = earlier.select("entry", "run", "text", "deck", _label().alias("label"),
                           _deck_hash(earlier).alias("entry_deck"),
                           place().alias("place"), _week(earlier).alias("week")).join(
        records.with_row_index("record").select(
            "record", "run", pl.col("text").alias("new"), place().alias("place"),
            pl.col(DECK_WEEK).alias("new_week"), SOURCES),
        on=["run", "place"])
    other_week = (pl.col("week").is_not_null() & pl.col("new_week").is_not_null()
                  & (pl.col("week") != pl.col("new_week"))).alias("other_week")
    own = pl.col(SOURCES).is_null() | pl.col(SOURCES).list.contains(pl.col("entry_deck"))
    pairs = pairs.with_columns(other_week, own.alias("own"))
    if same_week:
        pairs = pairs.filter(pl.col("week").is_not_null() & pl.col("new_week").is_not_null()
                             & ~pl.col("other_week"))
    if passed_over is not None:
        passed_over.update(dict(pairs.filter(~pl.col("own") & ~pl.col("other_week"))
                                .group_by("record").agg(pl.col("label").sort()).iter_rows()))
    pairs = pairs.filter("own")
    differing = pl.Series("differ", [differ(a, b) for a, b in zip(pairs["text"], pairs["new"],
                                                                  strict=True)], pl.UInt32)
    pairs = pairs.with_columns(differing)
    rank = pl.col("other_week").cast(pl.UInt32) * (1 << 20) + pl.col("differ")  # a record < 1 Mi
    best = pairs.filter(rank == rank.min().over("record"))
    # tied across decks, and fewer such records than the entries they tie on: which entry is
    # left open cannot be told (with as many, every one of them closes, whichever takes which)
    split = best.group_by("record").agg(
        pl.col("deck").n_unique().alias("decks"), pl.col("label").sort().alias("entries")
    ).filter(pl.col("decks") > 1).filter(
        pl.len().over("entries") < pl.col("entries").list.len()).sort("record")
    if ambiguous is not None:
        ambiguous.update(dict(split.select("record", "entries").iter_rows()))
    taken: dict[int, int] = {}
    records_taken: set[int] = set(split["record"].to_list())
    for entry, record in pairs.sort("other_week", "differ", "entry", "record").select(
            "entry", "record").iter_rows():
        if entry not in taken and record not in records_taken:
            taken[entry] = record
            records_taken.add(record)
    return taken


def _kept_apart(register: pl.DataFrame, pairs: dict[int, int], passed: dict[int, list[str]]
                ) -> dict[int, tuple[str | None, list[str]]]:
    """Each record that passed over entries of other decks of its week (`_stands_for`), with
    the entry it took ("deck line N", None when it took none) and those it passed over."""
    labels = register.select(_label().alias("label"))["label"]
    took = {record: labels[entry] for entry, record in pairs.items()}
    return {record: (took.get(record), others) for record, others in sorted(passed.items())}


def _rows(entries: list[int]) -> pl.Expr:
    """The register rows numbered `entries`."""
    return pl.int_range(pl.len(), dtype=pl.UInt32).is_in(
        pl.Series(entries, dtype=pl.UInt32).implode())


def _this_runs(register: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """The open entries run `run_id` opened: the records it rejected (again)."""
    return register.filter((pl.col("status") == "open") & (pl.col("run_id") == run_id))


def close_corrected(register: pl.DataFrame, posted: pl.DataFrame, run_id: str,
                    run_date: dt.date, unmatched: list[int] | None = None,
                    ambiguous: dict[int, list[str]] | None = None,
                    sources: Sources | None = None,
                    kept_apart: dict[int, tuple[str | None, list[str]]] | None = None,
                    same_week: bool = False, paired: dict[int, int] | None = None
                    ) -> tuple[pl.DataFrame, int]:
    """Entries whose corrected record posted in reprocess run `run_id` (or in a weekly run,
    re-input in a later week's deck: `same_week`): each posted record
    (`posted`: run, text, and DECK_WEEK and deck_hash when known) closes the entry it stands
    for (`_stands_for`, weighed against the records this run rejected again too, so a fixed
    record never takes an unchanged one's entry; of records as alike, the one rejected again:
    a duplicate (06) sent again beside the record it duplicates, the same text, is still the
    entry's). `sources`: the original decks of the run's corrections decks, by deck hash;
    a record of one stands only for their entries. `unmatched`, when given, receives the
    rows of `posted` that closed no entry; `ambiguous`, the rows of `posted` as like entries
    of two decks, with those entries (`_stands_for`; they are in `unmatched` too);
    `kept_apart`, the rows of `posted` that passed over entries of other decks of their week
    (`_kept_apart`); `same_week`: only entries of each record's own week (`_stands_for`);
    `paired` receives each entry closed (register row) with the row of `posted` that closed
    it. Returns the register and how many entries closed."""
    again = _with_week(_this_runs(register, run_id), sources)
    split: dict[int, list[str]] = {}
    passed: dict[int, list[str]] = {}
    pairs = _stands_for(register, pl.concat([again, _with_week(posted, sources)]), run_id,
                        split, passed, same_week)
    hit = _rows([entry for entry, record in pairs.items() if record >= again.height])
    if paired is not None:
        paired.update({e: r - again.height for e, r in pairs.items() if r >= again.height})
    if unmatched is not None:
        used = {record - again.height for record in pairs.values()}
        unmatched += [row for row in range(posted.height) if row not in used]
    if ambiguous is not None:
        ambiguous.update({r - again.height: e for r, e in split.items() if r >= again.height})
    if kept_apart is not None:
        kept_apart.update({r - again.height: k for r, k in
                           _kept_apart(register, pairs, passed).items() if r >= again.height})
    return _close(register, hit, CORRECTED, run_id, run_date)


def entry_key() -> pl.Expr:
    """How `replaces` names an entry: its run id, deck and line ("20261117.01 week.dat 6")."""
    return pl.concat_str("run_id", "deck", pl.col("line_no").cast(pl.String), separator=" ")


def supersede_resubmitted(register: pl.DataFrame, run_id: str, run_date: dt.date,
                          ambiguous: dict[str, list[str]] | None = None,
                          unmatched: list[str] | None = None,
                          sources: Sources | None = None,
                          kept_apart: dict[str, tuple[str | None, list[str]]] | None = None,
                          same_week: bool = False) -> tuple[pl.DataFrame, int]:
    """Open entries of earlier runs whose record reprocess run `run_id` rejected again (each
    new entry stands for one, `_stands_for`; `sources` as for `close_corrected`) close as
    resubmitted: the new entry, with today's codes, stands for the record, so re-inputting a
    deck does not duplicate what is still wrong, and the old entry stays as history. The new
    entry keeps the old one's `opened` (the record's age runs from its first rejection) and
    names it in `replaces`. `ambiguous` receives each new entry ("deck line N") as like
    entries of two decks, with those entries: it replaces none (`_stands_for`); `unmatched`,
    each other new entry that replaces none (its record was on no open entry); `kept_apart`,
    each new entry that passed over entries of other decks of its week (`_kept_apart`).
    `same_week` as for `close_corrected`. Returns the register and how many closed."""
    split: dict[int, list[str]] = {}
    passed: dict[int, list[str]] = {}
    mine = _this_runs(register, run_id)
    pairs = _stands_for(register, _with_week(mine, sources), run_id, split, passed, same_week)
    label = mine.select(_label().alias("label"))["label"].to_list()
    if ambiguous is not None:
        ambiguous.update({label[r]: e for r, e in split.items()})
    if unmatched is not None:  # new entries that replace none (`ambiguous` ones aside)
        paired = set(pairs.values()) | set(split)
        unmatched += [name for r, name in enumerate(label) if r not in paired]
    if kept_apart is not None:
        kept_apart.update({label[r]: k for r, k in _kept_apart(register, pairs, passed).items()})
    if "replaces" not in register.columns:  # a register written before the column
        register = register.with_columns(pl.lit(None, pl.String).alias("replaces"))
    rows = register.with_row_index("entry")
    again = rows.filter((pl.col("status") == "open") & (pl.col("run_id") == run_id))["entry"]
    links = pl.DataFrame({"entry": [again[r] for r in pairs.values()], "old": list(pairs)},
                         schema={"entry": pl.UInt32, "old": pl.UInt32}).join(
        rows.select(pl.col("entry").alias("old"), pl.col("opened").alias("first_opened"),
                    entry_key().alias("replaced")), on="old").drop("old")
    register = rows.join(links, on="entry", how="left", maintain_order="left").with_columns(
        pl.coalesce("first_opened", "opened").alias("opened"),
        pl.coalesce("replaced", "replaces").alias("replaces"),
    ).drop("entry", "first_opened", "replaced")
    return _close(register, _rows(list(pairs)), RESUBMITTED, run_id, run_date)


def close_context(register: pl.DataFrame, run_id: str, run_date: dt.date,
                  sources: Sources | None = None) -> tuple[pl.DataFrame, int]:
    """Headers this reprocess run rejected with no code of their own (only because none of
    their lines posted) and with no open entry for them (of their corrections deck's own
    decks, when `sources` records them: `_stands_for`): the corrections deck sent them as
    the context of rejected lines (they posted before), so they close at once as context.
    The lines' entries carry them (`header_text`) into the next corrections deck. Call it
    before `supersede_resubmitted`. Returns the register and how many closed."""
    is_open = pl.col("status") == "open"
    candidate = (is_open & (pl.col("run_id") == run_id) & (pl.col("record_type") == "header")
                 & (pl.col("error_codes").list.len() == 0))
    earlier = register.filter(is_open & (pl.col("run_id") != run_id)).select(
        "run", place().alias("place"), _deck_hash(register).alias("entry_deck"))
    mine = _with_week(register, sources).with_row_index("row").filter(
        register.select(candidate).to_series())
    entered = mine.select("row", "run", place().alias("place"), SOURCES).join(
        earlier, on=["run", "place"]).filter(
        pl.col(SOURCES).is_null() | pl.col(SOURCES).list.contains(pl.col("entry_deck")))
    context = mine.filter(~pl.col("row").is_in(entered["row"].implode()))["row"]
    return _close(register, _rows(context.to_list()), CONTEXT, run_id, run_date)


WITHDRAWAL = "withdraw-"  # a withdrawal's id: withdraw-YYYYMMDD.NN, its own in the history


def withdrawal_id(published: list[str], run_date: dt.date) -> str:
    """The day's next free withdrawal id: each withdrawal can be rolled back on its own, and a
    rollback of one lists the others it would undo."""
    taken, n = set(published), 1
    while f"{WITHDRAWAL}{run_date:%Y%m%d}.{n:02d}" in taken:
        n += 1
    return f"{WITHDRAWAL}{run_date:%Y%m%d}.{n:02d}"


def _key_match(deck: str, line_no: int, run_id: str | None, deck_hash: str | None,
               content: str | None = None) -> pl.Expr:
    """The entries, open or closed, `withdraw` names: a deck by file name, a line, and the
    qualifiers given; `content`, the records hash of the deck file a path names (`_named`)."""
    match = (pl.col("deck") == Path(deck).name) & (pl.col("line_no") == line_no)
    if run_id:
        match &= pl.col("run_id") == run_id
    if deck_hash:
        match &= pl.col("deck_hash").str.starts_with(deck_hash.lower())
    if content:
        match &= pl.col("deck_hash") == content
    return match


def _choices(hits: pl.DataFrame) -> str:
    """The entries an ambiguous key names, one a line, with what tells them apart."""
    rows = hits.sort("run_id", "deck_hash").iter_rows(named=True)
    return "\n".join(f"  --run {r['run_id']}  --deck-hash {r['deck_hash'][:12]}  ({r['run']}, "
                     f"opened {r['opened']:%m/%d/%Y}, codes {' '.join(r['error_codes'] or [])})"
                     for r in rows)


def _named(deck: str) -> tuple[str | None, str]:
    """The records hash (the register's `deck_hash`) of the deck file `deck` names when it is
    a path (it has a folder part: "./x.dat" too), and "" or why that file cannot be read as a
    deck. A bare file name gives (None, ""): it is matched as the register lists it. Decks of
    every week may share a file name, and a path names one of them (review 19, F11)."""
    if Path(deck).name == deck:
        return None, ""
    try:
        return open_deck(deck).content_hash, ""
    except (OSError, DeckFault, DeckRefused) as err:
        return None, str(err)


def _how_closed(entry: dict, register: pl.DataFrame) -> str:
    """What closed an entry, in the operator's words (review 19, F12)."""
    status, by = entry["status"], entry["closed_by"]
    day = f" on {entry['closed']:%m/%d/%Y}" if entry.get("closed") else ""
    if status == CORRECTED:
        return f"corrected by run {by}{day} (its record re-input posted)"
    if status == WITHDRAWN:
        return f"withdrawn as {by}{day}: {entry.get('reason') or ''}".rstrip(": ")
    if status == CONTEXT:
        return f"closed by run {by}{day} as the context of its lines, sent again with them"
    if status == RESUBMITTED:
        key = f"{entry['run_id']} {entry['deck']} {entry['line_no']}"
        newer = register.filter(pl.col("replaces") == key) if "replaces" in register.columns \
            else register.clear()
        now = "".join(f"; its record's entry is now {r['deck']} line {r['line_no']} of run "
                      f"{r['run_id']} ({r['status']})" for r in newer.head(1).iter_rows(named=True))
        return f"replaced by run {by}{day} (its record re-input was rejected again{now})"
    return f"{status} by {by}{day}"


def _nothing_open(register: pl.DataFrame | None, ledger: pl.DataFrame | None, deck: str,
                  line_no: int, run_id: str | None, deck_hash: str | None,
                  content: str | None, unreadable: str) -> str:
    """Why `withdraw` closes nothing: the entry it names is closed already, and how (review 19,
    F12); the deck file a path names has no entry at that line, while another deck of its
    name has (F11: closing that one would close a record of another week); or no entry at all.
    Each open entry of a deck of that name at that line is listed with the `--run` that
    names it."""
    name = Path(deck).name
    shown = f"deck {deck} line {line_no}" + "".join(
        f" {o} {v}" for o, v in (("--run", run_id), ("--deck-hash", deck_hash)) if v)
    if register is None or register.height == 0:
        return f"no open register entry for {shown}"
    closed = register.filter(_key_match(name, line_no, run_id, deck_hash, content)
                             & (pl.col("status") != "open"))
    others = register.filter(_key_match(name, line_no, run_id, deck_hash)
                             & (pl.col("status") == "open"))
    if unreadable:
        lines = [f"{deck} cannot be read as a deck ({unreadable}), so which deck of that name "
                 "it is cannot be told; nothing was withdrawn"]
    elif closed.height:
        lines = [f"{shown} has no open register entry; nothing was withdrawn. Its entry is "
                 "closed already:"]
        lines += [f"  run {r['run_id']} (opened {r['opened']:%m/%d/%Y}): "
                  f"{_how_closed(r, register)}" for r in closed.sort("run_id").iter_rows(
                      named=True)]
    elif content:
        posted = (ledger.filter((pl.col("content_hash") == content)
                                & (pl.col("status") == "posted"))["run_id"].to_list()
                  if ledger is not None else [])
        how = (f": the deck was posted by run {posted[0]}, and line {line_no} posted with it "
               "or holds no record (only a rejected record has an entry)" if posted else
               ": the register holds no entry of this deck")
        lines = [f"{deck} (records hash {content[:12]}) has no register entry at line "
                 f"{line_no}{how}; nothing was withdrawn"]
    else:
        lines = [f"no open register entry for {shown}"]
    if others.height and (unreadable or content):
        lines += [f"Open entries of {'a' if unreadable else 'another'} deck named {name} at "
                  f"line {line_no} (by file name, "
                  f"with --run, if one is the entry meant: qap withdraw {name} {line_no} --run "
                  "RUN --reason ...):", _choices(others)]
    return "\n".join(lines)


def withdraw(data_dir: Path, deck: str, line_no: int, reason: str, run_date: dt.date,
             run_id: str | None = None, deck_hash: str | None = None) -> tuple[str, int]:
    """Close one open entry on purpose; publishes a generation of its own id. Returns the
    withdrawal id and the generation. A deck name and line that name entries of several runs
    or decks (two reprocess runs of one fix.dat) are refused with the choices: `run_id` or
    `deck_hash` (a prefix) picks one. A path names the deck file it leads to, by its records
    hash: an entry of another deck of that file name is never closed (review 19, F11)."""
    if not reason.strip():
        raise StoreError("a withdrawal needs a reason (--reason)")
    store = Store(data_dir)
    with store.lock("withdraw", wait_seconds=0):  # refused at once, as any writer is
        register = store.read("error_register")
        content, unreadable = _named(deck)
        match = _key_match(deck, line_no, run_id, deck_hash, content) & (
            pl.col("status") == "open")
        hits = (register.filter(match) if register is not None and not unreadable
                else pl.DataFrame())
        name = Path(deck).name
        if hits.height == 0:
            raise StoreError(_nothing_open(register, store.read("decks"), deck, line_no,
                                           run_id, deck_hash, content, unreadable))
        if hits.select("run_id", "deck_hash").unique().height > 1:
            raise StoreError(f"deck {name} line {line_no} names {hits.height} open entries of "
                             "different runs or decks; nothing was withdrawn. Name one with "
                             f"--run or --deck-hash:\n{_choices(hits)}")
        register = register.with_columns(
            pl.when(match).then(pl.lit(reason)).otherwise("reason").alias("reason"))
        withdrawal = withdrawal_id([m.get("run_id", "") for m in store.history()], run_date)
        register, _ = _close(register, match, WITHDRAWN, withdrawal, run_date)
        gen = store.begin(withdrawal)
        gen.write("error_register", register)
        return withdrawal, gen.commit(note=f"withdrew {name} line {line_no}: {reason}")


def withdrawn(data_dir: Path, withdrawal: str) -> tuple[str, list[str]]:
    """The entry withdrawal `withdrawal` closed, as "deck line N of run R", and what stays
    open because of it: a document header on the register with no code of its own (only as
    the context of its lines: docs/decisions.md), none of whose lines is open now, is not
    closed with its last line, since a withdrawal closes the one entry named; it is named,
    with the command that withdraws it (review 19, F7)."""
    register = Store(data_dir).read("error_register")
    if register is None:
        return "", []
    gone = register.filter(pl.col("closed_by") == withdrawal)
    if gone.height == 0:
        return "", []
    entry = gone.row(0, named=True)
    said = f"{entry['deck']} line {entry['line_no']} of run {entry['run_id']}"
    if entry["record_type"] == "header" or not entry.get("header_text"):
        return said, []
    document = ((pl.col("run_id") == entry["run_id"]) & (pl.col("deck") == entry["deck"])
                & (_deck_hash(register) == entry["deck_hash"])
                & (pl.col("header_text") == entry["header_text"]) & (pl.col("status") == "open"))
    header = register.filter(document & (pl.col("record_type") == "header")
                             & (pl.col("error_codes").list.len() == 0))
    if header.height == 0 or register.filter(document & (pl.col("record_type") != "header")
                                             ).height:
        return said, []
    line = header["line_no"][0]
    return said, [f"the document's header, {entry['deck']} line {line} (no code of its own), "
                  "stays open: it is on the register only as the context of its lines, and "
                  "none is open now. Withdraw it too: " + _command(
                      "qap", "withdraw", entry["deck"], str(line), "--run", entry["run_id"])
                  + ' --reason "..." ' + _command("-d", data_dir)]


ROLLED_BACK_NOTE = "ROLLED-BACK.txt"  # in a run folder whose postings a rollback undid


def run_folders(runs: Path, run_id: str) -> list[Path]:
    """A run's folder of reports: under its run id, or still `.partial` when the run stopped
    after it published and before the folder was renamed (the next run renames it, note and
    all). Links are not folders here: nothing is written through one."""
    found = [runs / run_id, runs / f"{run_id}{run_folder.PARTIAL}"]
    return [f for f in found if f.is_dir() and not f.is_symlink()]


# Said after a rollback: a corrections deck is written from the register as it stood (review
# 14, F9); the reprocess of a stale one names what it posts without closing anything.
STALE_CORRECTIONS = ("corrections decks written before this rollback from the undone runs' "
                     "register entries are stale: write them again (qap corrections)")


def rollback(data_dir: Path, run_id: str, note: str, undo_later: bool) -> tuple[int, list[str]]:
    """Roll the state back before a run; returns the new generation and the later generations
    undone with it. Each undone run's folder gets a note, because its listings still read as
    posted."""
    store = Store(data_dir)
    generation = store.rollback_before(run_id, note=note, undo_later=undo_later)
    extra = (store.manifest(generation) or {}).get("extra", {})
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    for undone in [run_id, *extra.get("also_undone_runs", [])]:
        for folder in run_folders(Path(data_dir) / "runs", undone):
            _note_rolled_back(folder / ROLLED_BACK_NOTE,
                              f"{stamp} rolled back (generation {generation}, rollback before "
                              f"run {run_id}): what these reports show as posted is no longer "
                              "in the state.\n")
    for manifest in store.in_effect():  # a rollback of a rollback puts runs back in effect
        for folder in run_folders(Path(data_dir) / "runs", manifest.get("run_id") or ""):
            (folder / ROLLED_BACK_NOTE).unlink(missing_ok=True)  # `qap history` keeps both
    return generation, extra.get("also_undone", [])


def _note_rolled_back(note: Path, line: str) -> None:
    """Append `line` to a run folder's rollback note, owner-only; a link planted there is
    removed, never written through (review 18s, F2: the note went into a file outside the
    data directory)."""
    if note.is_symlink():
        note.unlink()
    fd = os.open(note, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                 private.FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line)


def _ledger_weeks(ledger: pl.DataFrame | None) -> pl.DataFrame:
    """Each posted deck's HDR week ending, read from its ledger identity ("campus MMDDYYYY
    ..."): the week of register entries written before the register carried it."""
    schema = {"deck_hash": pl.String, "ledger_week": pl.Date}
    if ledger is None:
        return pl.DataFrame(schema=schema)
    return ledger.filter(pl.col("content_hash").is_not_null()).select(
        pl.col("content_hash").alias("deck_hash"),
        pl.col("identity").str.split(" ").list.get(1, null_on_oob=True)
        .str.strptime(pl.Date, "%m%d%Y", strict=False).alias("ledger_week"),
    ).unique("deck_hash", keep="last").cast(schema)


def with_deck_weeks(entries: pl.DataFrame, ledger: pl.DataFrame | None) -> pl.DataFrame:
    """`entries` with DECK_WEEK filled: the register's own column, else the deck ledger's.
    A corrections deck must carry its records' week, not the day it was made."""
    own = pl.col(DECK_WEEK) if DECK_WEEK in entries.columns else pl.lit(None, pl.Date)
    weeks = entries.join(_ledger_weeks(ledger), on="deck_hash", how="left",
                         maintain_order="left")
    filled = weeks.with_columns(own.cast(pl.Date).fill_null(pl.col("ledger_week"))
                                .alias(DECK_WEEK)).drop("ledger_week")
    unknown = filled.filter(pl.col(DECK_WEEK).is_null())
    if unknown.height:
        first = unknown.row(0, named=True)
        many = "entry has" if unknown.height == 1 else "entries have"
        raise StoreError(f"{unknown.height} open register {many} no week ending "
                         f"(e.g. deck {first['deck']} line {first['line_no']}): neither the "
                         "register nor the deck ledger has it")
    return filled


def deck_paths(out: Path, decks: list[tuple[dt.date, int]]) -> dict[tuple[dt.date, int], Path]:
    """Where each corrections deck (HDR week, part of that week from 1) goes: `out` for one
    week; for several, `out` with the week ending before the suffix (fix.dat ->
    fix_11142026.dat), one deck per HDR week; a week's second part adds -2 (`_parts`)."""
    weeks = {week for week, _ in decks}

    def name(week: dt.date, part: int) -> Path:
        stem = out.stem if len(weeks) == 1 else f"{out.stem}_{week:%m%d%Y}"
        return out.with_name(f"{stem}{'' if part == 1 else f'-{part}'}{out.suffix}")

    return {(week, part): name(week, part) for week, part in decks}


def _parts(entries: pl.DataFrame) -> list[pl.DataFrame]:
    """A week's open entries in as few decks as can hold them: the records of two original
    decks whose documents share a control number (block and serial, columns 9-13, of one
    form) go in different decks. In one deck their lines would join one document, and a
    corrected line would repeat a section (36) of the other deck's document."""
    control = pl.when(pl.col("run").is_in([RUN_3927, RUN_3926])).then(
        pl.concat_str(pl.col("run"), pl.col("text").str.slice(8, 5)))
    by_deck = entries.sort("deck", "line_no").group_by("deck_hash", maintain_order=True).agg(
        control.drop_nulls().alias("controls"))
    parts: list[tuple[set[str], list[str]]] = []  # (controls held, original deck hashes)
    for deck, held in by_deck.iter_rows():
        controls = set(held)
        home = next((part for part in parts if not part[0] & controls), None)
        if home is None:
            parts.append((set(), []))
            home = parts[-1]
        home[0].update(controls)
        home[1].append(deck)
    return [entries.filter(pl.col("deck_hash").is_in(decks)) for _, decks in parts]


def _deck_records(entries: pl.DataFrame) -> list[str]:
    """Forms 3927, 3926, 3081 and 6489 in that order; each rejected form line comes with its
    header (once), so the deck reads like the original."""
    records: list[str] = []
    for run in DECK_ORDER:
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
    return records


# How the open entries of the other run families are corrected, by register (`run`)
_CORRECTED_BY = {RUN_SAMPLING: "sending the records again with `qap sample select "
                               "--corrections` (docs/sampling.md)",
                 RUN_INV: "`qap inventory corrections` and `qap inventory reprocess`"}


def _corrected_elsewhere(others: pl.DataFrame | None) -> str:
    """What `qap corrections` leaves out and how those entries are corrected: "; " and a
    clause per register, or nothing."""
    if others is None or others.height == 0:
        return ""
    counts = others.group_by("run").len().sort("run").iter_rows()
    return "".join(f"; {n} open {run} entr{'y is' if n == 1 else 'ies are'} corrected by "
                   f"{_CORRECTED_BY.get(run, 'their own command')}" for run, n in counts)


def corrections_deck(data_dir: Path, out: Path, created: dt.datetime, force: bool = False,
                     with_beside: bool = False, left_out: list[str] | None = None
                     ) -> list[CorrectionsDeck]:
    """Write the open entries as decks for operators to correct, one per week of the original
    decks (a deck has one HDR week ending, and Forms 3081/6489 take their week from it); see
    `deck_paths`. Refuses (DeckExists) to overwrite a file unless `force`; nothing is written
    then. The folder of `out` is made when missing. An entry a later weekly run's record sits
    beside (`beside`: perhaps its record corrected, already posted) is left out unless
    `with_beside`, and named in `left_out` (`beside_lines`)."""
    store = Store(data_dir)
    others = None
    entries = open_entries(store.read("error_register"), created.date())
    if entries.height:  # INV-10-02 records go in inventory decks (`qap inventory corrections`)
        others = entries.filter(~pl.col("run").is_in(DECK_ORDER))
        entries = entries.filter(pl.col("run").is_in(DECK_ORDER))
    if entries.height and not with_beside:
        marked = entries.filter(pl.col("beside").is_not_null())
        entries = entries.filter(pl.col("beside").is_null())
        if left_out is not None:
            left_out += beside_lines(marked, data_dir)
    if entries.height == 0:
        raise NothingOpen("the error register has no open entries of the weekly run"
                          + (" but those left out below" if left_out else "")
                          + ": nothing to correct, no deck written"
                          + _corrected_elsewhere(others))
    entries = with_deck_weeks(entries, store.read("decks"))
    decks = {(week, n): part for week in sorted(entries[DECK_WEEK].unique().to_list())
             for n, part in enumerate(_parts(entries.filter(pl.col(DECK_WEEK) == week)), 1)}
    paths = deck_paths(out, list(decks))
    existing = [str(p) for p in paths.values() if p.exists() or p.is_symlink()]
    if existing and not force:
        raise DeckExists(f"{', '.join(existing)}: already there, not overwritten (it may hold "
                         "an operator's edits); name another file, or pass --force to "
                         "overwrite")
    with written_from.locked(data_dir) as known:  # first: a record that cannot be kept
        decks_folder(data_dir, out)  # after the record's check: no folder made for nothing
        first = written_from.first_sequence(known, created)
        keys = {place: written_from.key(CORRECTIONS_CAMPUS, place[0], created, sequence)
                for sequence, place in enumerate(paths, start=first)}
        written_from.add(data_dir, known, {  # before the decks: a deck is never unrecorded
            keys[place]: _written_from(decks[place], path.name) for place, path in paths.items()})
        return [_write_deck(path, decks[place], created, int(keys[place][-3:]))
                for place, path in paths.items()]


def decks_folder(data_dir: Path, out: Path) -> None:
    """The folder corrections decks are written to (`out`'s), made owner-only: in the data
    directory (DIR/corrections) never through a link (StoreError; review 18s, F1: a linked
    folder took the deck and a chmod outside), elsewhere as the operator named it. Used by
    `qap corrections` and `qap inventory corrections`."""
    if not private.inside(data_dir, out):
        with private.owner_only():
            out.parent.mkdir(parents=True, exist_ok=True)
        return
    try:
        private.folder_in(Path(data_dir).absolute(), out.parent.absolute())
    except private.LinkedFolder as err:
        raise StoreError(str(err)) from None


def beside_lines(marked: pl.DataFrame, data_dir: Path) -> list[str]:
    """What `qap corrections` says of the open entries it left out because a later weekly
    run's record sits at their key and week (`beside`), with the two ways on: a withdrawal
    when that record is the entry's record corrected (it is in already), or --with-beside
    when it is another document (the entry's record is still to correct)."""
    if marked.height == 0:
        return []
    n = marked.height
    data = Path(data_dir).absolute()
    said = [text for deck, line_no, run_id, beside in marked.select(
        "deck", "line_no", "run_id", "beside").iter_rows() for text in (
        f"  {deck} line {line_no} (run {run_id}), beside it {beside}:",
        "    " + _command("qap", "withdraw", deck, line_no, "--run", run_id, "--data-dir", data)
        + ' --reason "WHY"')]
    return [f"Left out {n} open entr{'y' if n == 1 else 'ies'} beside which a later weekly "
            f"run's record closed nothing (another document at {'its' if n == 1 else 'their'} "
            "key and week, a Form 3927, or a record of a deck of its own week). If that record "
            "is the entry's record corrected, it is in already: withdraw the entry as shown. "
            "If it is another document, write the entry too: the same `qap corrections` with "
            "--with-beside.", *said]


def _written_from(entries: pl.DataFrame, file: str) -> written_from.Written:
    """What the record keeps of a corrections deck: the original decks of its entries, and
    the entries themselves (`entry_key`)."""
    keys = entries.select(entry_key().alias("key"))["key"].sort().to_list()
    return written_from.Written(file=file, sources=dict(
        entries.select("deck_hash", "deck").unique("deck_hash").sort("deck", "deck_hash")
        .iter_rows()), entries=tuple(keys))


def _write_deck(path: Path, entries: pl.DataFrame, created: dt.datetime, sequence: int
                ) -> CorrectionsDeck:
    """One corrections deck of `entries` (one HDR week), owner-only."""
    week = entries[DECK_WEEK][0]
    records = _deck_records(entries)
    text = deck_text(records, campus=CORRECTIONS_CAMPUS, week_ending=f"{week:%m%d%Y}",
                     created=f"{created:%m%d%Y}", time=f"{created:%H%M%S}", sequence=sequence)
    # a new 0600 file renamed into place: a link planted at `path` is replaced, never written
    # through (review 18s, F1: the SSNs went into a 0644 file outside the data directory)
    write_atomically(path, lambda fh: fh.write(text.encode()))
    sources = tuple(sorted(entries["deck"].unique().to_list()))
    return CorrectionsDeck(path=path, week_ending=week, records=len(records), sources=sources)


def _command(*words: str | Path) -> str:
    """One shell command line, each word quoted when it needs to be."""
    return " ".join(shlex.quote(str(w)) for w in words)


def _records(n: int) -> str:
    return f"{n} record" + ("" if n == 1 else "s")


def reprocess_hint(written: list[CorrectionsDeck], data_dir: Path) -> str:
    """What the operator does next, as commands to copy: absolute paths, the same data
    directory, and the two ways an entry closes (a record that posts, or a withdrawal when a
    correction changed a key field, since then no record has the old entry's place)."""
    data = data_dir.absolute()
    decks = [d.path.absolute() for d in written]
    lines = [f"wrote {_records(d.records)} to {path} (HDR week ending {d.week_ending:%m/%d/%Y}"
             + (f"; entries of {', '.join(d.sources)}" if d.sources else "") + ")"
             for d, path in zip(written, decks, strict=True)]
    if any(d.sources for d in written):
        lines += ["A record of each deck closes (or replaces) only an entry of the decks named: "
                  "the data directory keeps",
                  f"that under the deck's HDR ({written_from.path(data)}), so keep "
                  "the HDR."]
    lines += ["Correct the records in place (keep the HDR; the TRL count must match), then run:",
              "  " + _command("qap", "reprocess", *decks, "--data-dir", data, "--reference")
              + " REFDIR",
              "  with REFDIR the folder of the real reference files (ofp_consistency.txt,",
              "  employee_master.txt); without --reference the folder this data directory",
              "  last ran with is used."]
    if all(path.parent == data / "corrections" for path in decks):
        lines.append("  Or, as they are in the corrections folder, the reprocess flow: "
                     + _command("qap", "flow", "reprocess", "--data-dir", data, "--reference")
                     + " REFDIR")
    lines += ["A record that posts closes its entry; one rejected again replaces it. A correction",
              "that changes a key field cannot close the old entry: withdraw that entry with",
              "  " + _command("qap", "withdraw", "DECK", "LINE") + ' --reason "WHY" '
              + _command("--data-dir", data),
              "  (DECK and LINE as open-register.txt lists them). The key fields:"]
    lines += [f"    {form}: {fields}" for form, fields in KEY_FIELDS.items()]
    return "\n".join(lines)


# Where a register entry's record carries an SSN: (run, record type) -> layout
SSN_LAYOUTS = {("PCE-03-41", "line"): "form3926_line", ("IPR-3081", "form3081"): "form3081",
               ("IPR-6489", "form6489"): "form6489",
               ("SAMPLING", "sample_request"): "sample_request",
               ("SAMPLING", "work_batch"): "work_batch"}


def ssn_of_record() -> pl.Expr:
    """The SSN field of each register entry's record text (null where the form has none)."""
    from layouts import layout

    expr = None
    for (run, record_type), name in SSN_LAYOUTS.items():
        ssn = layout.load(name).field("ssn")
        hit = (pl.col("run") == run) & (pl.col("record_type") == record_type)
        value = pl.col("text").str.slice(ssn.offset, ssn.width)
        expr = pl.when(hit).then(value) if expr is None else expr.when(hit).then(value)
    return expr.otherwise(pl.lit(None, pl.String)).alias("ssn")
