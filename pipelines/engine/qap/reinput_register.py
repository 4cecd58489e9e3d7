"""What a weekly run does to the open error register beyond adding its own entries: a record
of its decks at the key and week of an open entry of an earlier run is that entry's record
re-input (IRM 3.30.28: a rejected form is corrected and re-input in the next cycle), so one
that posts closes the entry as corrected and one rejected again replaces it, as a reprocess
does (review 17, F5: the entry stayed open, and its corrections deck posted the record a
second time). Keys repeat from week to week, so only an entry of the record's own week is
taken: the week the record itself carries, not its deck's. And a record is taken for a
re-input only when dated before its deck's week: a deck of the record's own week is that
week's work (a late deck, or a second deck of the week, whose control numbers may repeat
the first's: review 14, F13), and its records stand for no other deck's entries. It is the
same document as well, a review's OFP and SSN unchanged (`_identity`); a record at an
entry's key and week that is not taken is named beside the entry (`_beside`)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.machinery.deck import Deck
from pipelines.engine.machinery.register import (
    DECK_WEEK,
    close_corrected,
    entry_key,
    place,
    supersede_resubmitted,
)
from pipelines.engine.machinery.result import RunResult
from pipelines.engine.qap.reprocess_register import listed
from validators.codes import RUN_3926, RUN_3927

DEFECT_LIST_PROGRAM = "59703"  # Form 3927: its records carry no week of their own


def own_week() -> pl.Expr:
    """The week ending a record of a frame (text, header_text, DECK_WEEK) carries itself
    (record-layouts.md): a Form 3081's columns 25-32, a Form 6489's 87-94, a Form 3926's
    header columns 16-23 (a line's from its header); a Form 3927 has none, so its deck's HDR
    week stands for it. Null where the date is not one."""
    text = pl.col("text")
    header = pl.when(text.str.slice(13, 2) == "01").then(text).otherwise(pl.col("header_text"))
    written = (pl.when(text.str.starts_with("59600")).then(text.str.slice(24, 8))
               .when(text.str.starts_with("59602")).then(text.str.slice(86, 8))
               .otherwise(header.str.slice(15, 8)))
    return (pl.when(text.str.starts_with(DEFECT_LIST_PROGRAM)).then(pl.col(DECK_WEEK))
            .otherwise(written.str.strptime(pl.Date, "%m%d%Y", strict=False)))


def _dated_before_deck() -> pl.Expr:
    """`own_week` of a record of this run dated before its deck's HDR week (DECK_WEEK), the
    re-input of an earlier week's record; null for a record of its deck's week."""
    week = own_week()
    return pl.when(week < pl.col(DECK_WEEK)).then(week)


def open_places(register: pl.DataFrame | None, run_id: str) -> pl.Series:
    """Columns 1-15 of the open Form 3926 entries of runs before `run_id`: the posted 3926
    records a weekly run keeps to look for re-input (`week_parts.Rows03.settle_with`)."""
    if register is None:
        return pl.Series("place", [], pl.String)
    return register.filter((pl.col("status") == "open") & (pl.col("run_id") != run_id)
                           & (pl.col("run") == RUN_3926))["text"].str.slice(0, 15).unique()


def close(register: pl.DataFrame, posted: pl.DataFrame, decks: list[Deck], run_id: str,
          run_date: dt.date, result: RunResult) -> pl.DataFrame:
    """The register after weekly run `run_id` (its own entries appended): `posted` (run,
    text, header_text, deck_no, line_no, DECK_WEEK) are its posted records that may be
    re-input. Each closes (or, rejected again, replaces) the open entry of an earlier run at
    its key and own week that is of the same document (`_taken`); counts and notes go into
    `result`, and so do the records at such an entry's key that took none."""
    earlier = (pl.col("status") == "open") & (pl.col("run_id") != run_id)
    if not register.filter(earlier).height:
        return register
    names = pl.DataFrame({"deck_no": range(len(decks)), "deck": [d.name for d in decks]},
                         schema={"deck_no": pl.UInt16, "deck": pl.String})
    posted = posted.with_columns(pl.col("deck_no").cast(pl.UInt16)).join(
        names, on="deck_no", how="left", maintain_order="left").with_columns(
        pl.format("{} line {}", "deck", "line_no").alias("record"))  # as the notes name it
    weeks = register.get_column(DECK_WEEK)
    mine = pl.col("run_id") == run_id  # the entries this run opened: its records
    by_own = register.with_columns(pl.when(~mine).then(own_week()).otherwise(
        _dated_before_deck()).alias(DECK_WEEK))
    keys = by_own.filter(earlier).select(_key().alias("key"))["key"]
    by_own = by_own.with_columns(pl.when(mine).then(_taken(keys)).otherwise(DECK_WEEK)
                                 .alias(DECK_WEEK))
    records = posted.with_columns(_dated_before_deck().alias(DECK_WEEK)).select(
        "run", "text", _taken(keys).alias(DECK_WEEK))
    paired: dict[int, int] = {}
    tied: dict[int, list[str]] = {}
    by_own, corrected = close_corrected(by_own, records, run_id, run_date, ambiguous=tied,
                                        same_week=True, paired=paired)
    tied_again: dict[str, list[str]] = {}
    by_own, resubmitted = supersede_resubmitted(by_own, run_id, run_date, ambiguous=tied_again,
                                                same_week=True)
    result.corrected += corrected
    result.resubmitted += resubmitted
    labels, records = register.select(_label()).to_series(), posted["record"]
    result.notes += _closed_notes({records[r]: labels[e] for e, r in sorted(paired.items())})
    replaced = by_own.with_row_index("entry").filter(
        (pl.col("status") == "resubmitted") & (pl.col("closed_by") == run_id))["entry"]
    result.notes += _replaced_notes([labels[e] for e in replaced])
    result.notes += _tied_notes([records[r] for r in sorted(tied)] + sorted(tied_again))
    closed = by_own.with_columns(weeks)
    beside = _beside(closed, posted.with_row_index("row").filter(
        ~pl.col("row").is_in(list(paired.values()))), run_id)
    result.notes += _beside_notes(dict(beside.group_by("record", maintain_order=True).agg(
        pl.col("entry").unique(maintain_order=True)).iter_rows()))
    return _marked_beside(_keeps_its_week(closed, register, run_id), beside, run_id)


FORM_3926 = ("59702", "59706", "59707")


def _identity() -> pl.Expr:
    """What a correction leaves as it was, so a record of another document at an entry's key
    and week is not taken for its re-input (check of session 17, P3): a Form 3926 record's
    document OFP (its header's columns 27-39) and a line's SSN with its `#` (columns 16-25).
    Forms 3081 and 6489 hold theirs in the key."""
    text = pl.col("text")
    header = pl.when(text.str.slice(13, 2) == "01").then(text).otherwise(pl.col("header_text"))
    ssn = pl.when(text.str.slice(13, 2) == "01").then(pl.lit("")).otherwise(
        text.str.slice(15, 10))
    return pl.when(text.str.slice(0, 5).is_in(FORM_3926)).then(
        pl.concat_str(header.str.slice(26, 13), ssn, separator="|")).otherwise(pl.lit(""))


def _key() -> pl.Expr:
    """A record's or entry's run, key, week (DECK_WEEK as set) and document (`_identity`)."""
    return pl.struct("run", place().alias("place"), DECK_WEEK, _identity().alias("identity"))


def _taken(keys: pl.Series) -> pl.Expr:
    """DECK_WEEK of a record of this run whose run, key, own week and document are an open
    earlier entry's (`keys`), null for any other: only such a record is taken for a
    re-input."""
    return pl.when(_key().is_in(keys.implode())).then(pl.col(DECK_WEEK))


def _beside(register: pl.DataFrame, posted: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """This run's records (`record`, "deck line N": posted ones in `posted`, and the entries
    it opened that replace none) at the key and own week of an open entry of an earlier run
    (a Form 3927's at its key alone) that they did not take: another document at its key, a
    Form 3927 (which carries no week) or a record of a deck of its own week (which may repeat
    another deck's control numbers). A row per record and entry: the entry as the notes name
    it (`entry`, "deck line N (run R)") and as `_marked_beside` finds it (`at`), and whether
    the record's deck is of a later week than the entry (`later`: not a second deck of its
    week)."""
    is_open = pl.col("status") == "open"
    entries = register.filter(is_open & (pl.col("run_id") != run_id)).select(
        "run", place().alias("place"), own_week().alias("week"), _label().alias("entry"),
        _at().alias("at"))
    mine = register.filter(is_open & (pl.col("run_id") == run_id)
                           & pl.col("replaces").is_null()).select(
        "run", place().alias("place"), own_week().alias("own"),
        pl.format("{} line {}", "deck", "line_no").alias("record"), DECK_WEEK)
    ours = posted.select("run", place().alias("place"), own_week().alias("own"), "record",
                         DECK_WEEK)
    return pl.concat([ours, mine]).join(entries, on=["run", "place"]).filter(
        (pl.col("own") == pl.col("week")) | (pl.col("run") == RUN_3927)).select(
        "record", "entry", "at", (pl.col(DECK_WEEK) > pl.col("week")).alias("later")
    ).unique(maintain_order=True)


def _at() -> pl.Expr:
    """An entry, exactly: its run id, deck hash and line (two decks of a run may share a
    name)."""
    return pl.struct("run_id", "deck_hash", "line_no")


def _marked_beside(register: pl.DataFrame, beside: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Each entry a record of run `run_id` sits beside (`_beside`) keeps those records in its
    `beside` ("deck line N (run R)", joined by "; ", after any of earlier runs), so `qap
    register`, open-register.txt and `qap corrections` say so long after the run's summary
    (check of session 17, Q4: missed, the note let the loop post the record a second time).
    Only a record of a deck of a later week marks an entry: one of a second deck of the
    entry's week is that week's own work, whose control numbers may repeat the first deck's
    (review 14, F13), and its entries are corrected as any other."""
    beside = beside.filter("later")
    if beside.height == 0:
        return register
    marks = beside.group_by("at", maintain_order=True).agg(
        pl.format("{} (run {})", "record", pl.lit(run_id)).str.join("; ").alias("_new"))
    if "beside" not in register.columns:  # a register written before the column
        register = register.with_columns(pl.lit(None, pl.String).alias("beside"))
    return register.with_columns(_at().alias("at")).join(
        marks, on="at", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("_new").is_null()).then("beside")
        .when(pl.col("beside").is_null()).then("_new")
        .otherwise(pl.concat_str("beside", "_new", separator="; ")).alias("beside")
    ).drop("at", "_new")


def _beside_notes(beside: dict[str, list[str]], named: int = 5) -> list[str]:
    if not beside:
        return []
    said = [f"{record} at {' and '.join(entries)}" for record, entries in beside.items()]
    return [f"{len(beside)} record(s) of this run at the key and week of open register entries "
            "of earlier runs closed or replaced none: another document at that key (its OFP "
            "or SSN differs), a Form 3927 (it carries no week), or a record of a deck of its "
            f"own week (whose control numbers may repeat another deck's): "
            f"{listed(said, '; ', named)}. If one is that entry's record corrected, withdraw "
            "the entry: qap withdraw DECK LINE --reason \"...\". `qap register` marks each such "
            "entry, and `qap corrections` leaves it out unless --with-beside"]


def _keeps_its_week(register: pl.DataFrame, before: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """A new entry of run `run_id` that replaced an earlier one takes that entry's deck week:
    the record is of that week (dated before its weekly deck's), so `qap corrections` writes
    it in a deck of its own week, where a Form 3081 or a review is taken in its week (check
    of session 17, P1: it went in a deck of the weekly deck's week, where every reprocess
    rejected the Form 3081 again, T03)."""
    old = before.select(entry_key().alias("replaces"), pl.col(DECK_WEEK).alias("_week")
                        ).unique("replaces", keep="first")
    return register.join(old, on="replaces", how="left", maintain_order="left").with_columns(
        pl.when((pl.col("run_id") == run_id) & pl.col("_week").is_not_null())
        .then(pl.col("_week")).otherwise(pl.col(DECK_WEEK)).alias(DECK_WEEK)).drop("_week")


def _label() -> pl.Expr:
    """An entry as the notes name it: "deck line N (run R)"."""
    return pl.format("{} line {} (run {})", "deck", "line_no", "run_id")


def _closed_notes(closed: dict[str, str], named: int = 5) -> list[str]:
    if not closed:
        return []
    said = [f"{record} closed {entry}" for record, entry in closed.items()]
    return [f"{len(closed)} open register entr{'y' if len(closed) == 1 else 'ies'} of earlier "
            "runs closed as corrected by records of this run at their key and week, taken as "
            f"their re-input: {listed(said, '; ', named)}. A record so taken that is "
            "another document leaves that entry's record unposted: `qap register --all` "
            "shows the entry's text to re-input"]


def _replaced_notes(entries: list[str], named: int = 5) -> list[str]:
    if not entries:
        return []
    return [f"{len(entries)} open register entr{'y' if len(entries) == 1 else 'ies'} of earlier "
            "runs replaced by records of this run rejected again at their key and week: "
            f"{listed(entries, named=named)}"]


def _tied_notes(records: list[str], named: int = 5) -> list[str]:
    if not records:
        return []
    return [f"{len(records)} record(s) of this run are as like open entries of two decks of "
            f"their key and week, so closed or replaced neither: {listed(records, named=named)}"
            "; withdraw the entry each is the re-input of: qap withdraw DECK LINE "
            "--reason \"...\""]

