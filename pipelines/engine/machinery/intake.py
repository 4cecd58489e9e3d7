"""Intake of a run's decks, shared by every family: control and identity of each deck, refusal
of duplicates (already posted, or twice in one run), the run id, the numbering of the accepted
decks' records, and the deck ledger row of every deck offered."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts.decoder import NOT_FOUND, DeckFault
from pipelines.engine.machinery import names, written_from
from pipelines.engine.machinery.deck import (
    CORRECTIONS_CAMPUS,
    Deck,
    DeckRefused,
    open_deck,
    unpadded,
    utf8,
)
from pipelines.engine.machinery.register import closed_since, marked_left_out
from pipelines.engine.machinery.result import DeckOutcome, RunResult
from pipelines.state import private, run_folder
from pipelines.state.store import sha256_file


def next_run_id(published: list[str], run_date: dt.date) -> str:
    """The run date's next free id; `published` are the run ids of the store's history."""
    stamp = f"{run_date:%Y%m%d}"
    taken = set(published)
    n = 1
    while f"{stamp}.{n:02d}" in taken:
        n += 1
    return f"{stamp}.{n:02d}"


def _hdr_key(identity: str) -> str:
    """The HDR part of a ledger identity: campus, week ending, creation date and time,
    sequence (the content hash that follows is dropped)."""
    return " ".join(identity.split(" ")[:4])


_HASH_BATCH = 200_000  # sorted records joined and hashed at a time
SORT_ROWS = 500_000  # records sorted at a time, about


def records_hash(deck: Deck) -> str:
    """sha256 of the deck's records sorted (trailing blanks dropped) and joined by newlines:
    the same records in another order hash the same, so a reordered copy of a posted deck is
    known. Sorted a range of values at a time and hashed a batch at a time, so that neither
    a copy of the whole deck's text nor a sort of every record at once is held (a sort holds
    about 46 bytes a record: 180 MiB at 4,000,000)."""
    digest, first = hashlib.sha256(), True
    for lines in _ranges(unpadded(deck.records["text"])):
        order = lines.arg_sort()
        for at in range(0, lines.len(), _HASH_BATCH):
            if not first:
                digest.update(b"\n")
            first = False
            digest.update(utf8(lines.gather(order.slice(at, _HASH_BATCH))))
    return digest.hexdigest()


def _ranges(lines: pl.Series) -> Iterator[pl.Series]:
    """`lines` in about SORT_ROWS at a time, in ranges of their sort order: every line of a
    range sorts before every line of the next (the ranges' bounds are lines of an evenly
    spaced sample; equal lines fall in one range). Each range is unsorted."""
    n = lines.len()
    if n <= SORT_ROWS:
        yield lines
        return
    k = -(-n // SORT_ROWS)
    sample = lines.gather_every(max(1, n // (32 * k))).sort()
    bounds = sample.gather([sample.len() * i // k for i in range(1, k)]).unique(
        maintain_order=True)
    which = bounds.search_sorted(lines, side="right")  # the bounds at or before each line
    for n_range in range(bounds.len() + 1):
        part = lines.filter(which == n_range)
        if part.len():
            yield part


@dataclass(frozen=True)
class Posted:
    """What the deck ledger knows of the decks already posted, each key -> "run R (deck)".
    `dated`: an extract family (INV-10-02), whose deck is a snapshot as of its HDR date: the
    same records are a second sending only under the same as-of date, since a quiet week's
    extract holds last week's records again (review 13, R13-2). Its HDR's columns 4-13 are
    an area office and an as-of date (inventory.md 3.1), and its refusals name them so."""

    content: dict[str, str]
    hdr: dict[str, str]
    records: dict[str, str]
    dated: bool = False

    @classmethod
    def of(cls, ledger: pl.DataFrame | None, dated: bool = False) -> Posted:
        if ledger is None:
            return cls({}, {}, {}, dated)
        posted = ledger.filter(pl.col("status") == "posted")
        if "records_hash" not in posted.columns:  # a ledger written before the column
            posted = posted.with_columns(pl.lit(None, pl.String).alias("records_hash"))
        content, hdr, records = {}, {}, {}
        for row in posted.iter_rows(named=True):
            by = f"run {row['run_id']} ({row['deck']})"
            identity = row["identity"] or ""
            content.setdefault(_keyed(row["content_hash"], identity, dated), by)
            hdr.setdefault(_hdr_key(identity), by)
            if row["records_hash"]:
                records.setdefault(_keyed(row["records_hash"], identity, dated), by)
        return cls(content, hdr, records, dated)

    def this_run(self, accepted: list[Deck], hashes: dict[str, str]) -> Posted:
        """The decks accepted before in this run, keyed as this ledger's: an HDR names one
        transmission, so a second deck of a run under it is a second sending (the first
        offered is used), as it is after a run. `hashes`: content hash -> records hash."""
        by = {d.content_hash: f"{d.name} in this run" for d in accepted}
        return Posted(
            {_keyed(d.content_hash, d.identity, self.dated): by[d.content_hash]
             for d in accepted},
            {_hdr_key(d.identity): by[d.content_hash] for d in accepted},
            {_keyed(hashes[d.content_hash], d.identity, self.dated): by[d.content_hash]
             for d in accepted}, self.dated)

    def duplicate(self, deck: Deck, sorted_hash: str) -> str | None:
        """Why `deck` is a second posting, or None: the same records (in any order), or an
        HDR identity already taken. "Accepted", not "posted": the deck the first one was may
        have had every record rejected (its register entries are then corrected through
        `qap corrections`)."""
        under = f" as of {deck.week_ending:%m/%d/%Y}" if self.dated else ""
        content = _keyed(deck.content_hash, deck.identity, self.dated)
        if content in self.content:
            return f"the same records{under} were already accepted by {self.content[content]}"
        records = _keyed(sorted_hash, deck.identity, self.dated)
        if records in self.records:
            return (f"the same records in another order{under} were already accepted by "
                    f"{self.records[records]}")
        return self.hdr_taken(deck)

    def hdr_taken(self, deck: Deck) -> str | None:
        """Why `deck`'s HDR identity is a second sending, or None."""
        key = _hdr_key(deck.identity)
        if key in self.hdr:
            fields = "area office, as-of date" if self.dated else "campus, week ending"
            return (f"its HDR ({fields}, creation date and time, sequence: {key}) "
                    f"was already accepted by {self.hdr[key]}")
        return None


def _keyed(digest: str, identity: str, dated: bool) -> str:
    """A hash as a ledger key: with the HDR date in front when `dated` (Posted)."""
    return f"{identity.split(' ')[1]} {digest}" if dated else digest


DUPLICATE_ADVICE = ("nothing of it posts again. To correct records that were rejected, use "
                    "`qap corrections` then `qap reprocess`; a new deck needs its own HDR "
                    "(a new sequence number or creation time)")


def _reinputs(deck: Deck, open_texts: set[str]) -> bool:
    """Every record of `deck` is the text of an open register entry (or its header): a
    reprocess re-inputting records whose fix was in the reference data, not a second
    posting."""
    texts = unpadded(deck.records["text"])
    return texts.len() > 0 and all(t in open_texts for t in texts.unique().to_list())


def open_texts(register: pl.DataFrame | None) -> set[str]:
    if register is None:
        return set()
    entries = register.filter(pl.col("status") == "open")
    return set(pl.concat([entries["text"], entries["header_text"]]).drop_nulls()
               .str.strip_chars_end(" ").to_list())


# Why a deck cannot be used (its path, the deck, the decks accepted before it in this run),
# or None.
Screen = Callable[[Path, Deck, list[Deck]], "str | None"]


class WriteAnew(str):
    """A refusal whose remedy is not the refused deck corrected and sent again, but a new deck
    (a stale corrections deck: `qap corrections` writes what is still open) or another
    command (an INV-10-02 deck), so the summary's "correct and send them again" is not said
    of it (check of session 17, P8/Q7)."""


def control(paths: list[Path], result: RunResult, refused_dir: Path, duplicate: Screen,
            check: Screen | None = None, shown: Callable[[Path], str] = names.shown,
            refuse_bad_names: bool = True, take: Callable[[Deck], Deck] | None = None
            ) -> list[Deck]:
    """The decks that pass control, are no `duplicate` and pass the family's own `check`;
    every deck offered gets its outcome in `result.decks`, shown by `shown(path)`. A deck
    that fails control or `check` is refused and copied to `refused_dir` for resubmission; a
    duplicate is not copied (nothing of it is used again); with `refuse_bad_names`, a deck
    whose file name cannot be printed is refused and left where it is. `take` is given each
    accepted deck as it is accepted, and what it returns is kept in its place (a family
    that keeps less of a deck than its records lets them go before the next is read)."""
    decks: list[Deck] = []
    for path in paths:
        outcome = DeckOutcome(path=shown(path), status="refused")
        result.decks.append(outcome)
        if refuse_bad_names and (bad_name := names.refusal(path)):
            outcome.reason = bad_name  # left where it is: its name cannot be copied as is
            outcome.counted = False
            continue
        try:
            deck = open_deck(path)
        except (DeckFault, DeckRefused) as err:
            outcome.reason = str(err) + _gone(err)
            held = err.records if isinstance(err, DeckRefused) else None
            outcome.records, outcome.counted = held or 0, held is not None
            _kept(outcome, keep_for_resubmission(path, refused_dir))
            continue
        outcome.identity, outcome.records = deck.identity, deck.records.height
        if why := duplicate(path, deck, decks):
            outcome.status, outcome.reason, outcome.records = "duplicate", why, 0
        elif check is not None and (why := check(path, deck, decks)):
            outcome.reason, outcome.resend = str(why), not isinstance(why, WriteAnew)
            _kept(outcome, keep_for_resubmission(path, refused_dir))
        else:
            outcome.status = "accepted"
            decks.append(deck if take is None else take(deck))
        del deck
    return decks


def _gone(err: DeckFault | DeckRefused) -> str:
    """What a refusal adds when the deck is not found: every command refuses (12) a deck path
    that is not there when it starts, so this one was, and was moved or deleted before intake
    reached it (check of session 16, P9)."""
    if not isinstance(err, DeckFault) or err.reason != NOT_FOUND:
        return ""
    return (" (it was there when the run started, and was moved or deleted before intake "
            "read it); nothing of it posted: when it is found, send it again (in a run of its "
            "own: the run's other decks went on without it)")


def _kept(outcome: DeckOutcome, kept: Path | None) -> None:
    """A refused deck kept under another name than its own is said so in its reason; one not
    kept (its file was gone) is marked so, and the summary does not say it was."""
    outcome.kept = kept is not None
    if kept is not None and kept.name != Path(outcome.path).name:
        outcome.reason += f" (kept as {kept}: a different deck of its name was kept before)"


def same_content(posted: Posted, advice: str, hashes: dict[str, str] | None = None,
                 forgive: Callable[[Deck], bool] | None = None,
                 by_hdr: Callable[[Deck], bool] | None = None) -> Screen:
    """A `duplicate` screen as `qap run` judges decks (`Posted.duplicate`): the records a deck
    holds, in any order (`records_hash`), or its HDR, against `posted` (the ledger's accepted
    decks, or fewer: a reprocess passes only what it refuses) and the decks accepted before
    it in this run; its reason ends with `advice`. `hashes` (content hash -> records hash) is
    filled for every deck screened; `forgive` lets a duplicate through (a reprocess's
    re-input of open entries); a deck `by_hdr` picks is a duplicate by its HDR only."""
    hashes = {} if hashes is None else hashes

    def duplicate(path: Path, deck: Deck, accepted: list[Deck]) -> str | None:
        sorted_hash = hashes[deck.content_hash] = records_hash(deck)
        if by_hdr is not None and by_hdr(deck):
            why = posted.hdr_taken(deck) or posted.this_run(accepted, hashes).hdr_taken(deck)
        else:
            why = (posted.duplicate(deck, sorted_hash)
                   or posted.this_run(accepted, hashes).duplicate(deck, sorted_hash))
        if why and forgive is not None and forgive(deck):
            why = None
        return f"{path}: duplicate deck: {why}; {advice}" if why else None
    return duplicate


def open_all(paths: list[Path], posted: Posted, result: RunResult, refused_dir: Path,
             open_texts: set[str] | None = None, take: Callable[[Deck], Deck] | None = None,
             written: dict[str, written_from.Written] | None = None,
             open_decks: set[str] | None = None, register: pl.DataFrame | None = None,
             published: dict[str, dt.datetime] | None = None
             ) -> tuple[list[Deck], list[str]]:
    """The decks that pass control and were not posted before, and each one's records hash;
    every deck offered gets its outcome in `result.decks` (a refused one is also copied to
    `refused_dir` for resubmission).
    With `open_texts` (a reprocess), a deck made only of open entries' records is not a
    duplicate, and a corrections deck `qap corrections` recorded (its HDR, as
    `written_from.key_of` gives it, in `written`) is a duplicate by its HDR only: its records
    close only entries of the decks it was written from, and two such decks hold the same
    records when the same correction is made for two original decks that share control
    numbers (check of session 16, P1). Such a deck none of whose original decks has an open entry in
    the register (`open_decks`: their deck hashes), or whose decks a deck accepted before it
    in the run was written from too, is refused (`_stale`), and so is one with a record whose
    entry in the error `register` was closed after it was written (`published`: when each
    run and withdrawal was, for a deck recorded without its entries). `take`: as
    `control`'s."""
    hashes: dict[str, str] = {}  # content hash -> records hash, of every deck screened
    forgive = None if open_texts is None else (lambda deck: _reinputs(deck, open_texts))
    by_hdr = None if not written else (lambda deck: written_from.key_of(deck) in written)
    family = (_stale(written or {}, open_decks or set(), register, published)
              if open_texts is not None else _not_corrections)
    decks = control(paths, result, refused_dir,
                    same_content(posted, DUPLICATE_ADVICE, hashes, forgive, by_hdr),
                    check=lambda path, deck, accepted: (_another_system(path, deck)
                                                        or family(path, deck, accepted)),
                    take=take)
    return decks, [hashes[d.content_hash] for d in decks]


def _stale(written: dict[str, written_from.Written], open_decks: set[str],
           register: pl.DataFrame | None = None,
           published: dict[str, dt.datetime] | None = None) -> Screen:
    """A reprocess's screen: a corrections deck `qap corrections` recorded (`written`, by
    HDR) whose original decks have no open entry left. Its records could close nothing and
    would post as new records, a second posting of what its decks' corrections already
    posted (a deck written, then written again, and both reprocessed: check of session 16,
    P2). A deck some of whose decks' entries are open passes, and a record of it that finds
    none of them open is named in the summary. So is refused a second deck of the same
    entries in one run (`qap corrections` run twice, both decks reprocessed together): the
    first offered is used, as for a deck sent twice. And so is a deck with a record whose
    entry was closed after the deck was written (`register.closed_since`: its record posted
    already, re-input in a weekly deck or by another corrections deck, or was withdrawn;
    check of session 17, P2)."""

    def check(path: Path, deck: Deck, accepted: list[Deck]) -> str | None:
        known = written.get(written_from.key_of(deck))
        if known is None:  # written by hand: it may still hold a record marked beside
            return _beside_marked(path, deck, None, register)
        names = ", ".join(sorted(set(known.sources.values())))
        for other in accepted:
            also = written.get(written_from.key_of(other))
            if also is not None and set(also.sources) & set(known.sources):
                return (f"{path}: a second corrections deck of the same entries: `qap "
                        f"corrections` wrote it, and {other.name} of this run, from the open "
                        f"register entries of {names}; only the first is used, so that no "
                        "record posts twice. Correct the records in one of them")
        if why := _beside_marked(path, deck, known, register):
            return why
        if set(known.sources) & open_decks:
            return _closed_since(path, deck, known, register, published)
        return WriteAnew(
            f"{path}: stale corrections deck: `qap corrections` wrote it from the open register "
            f"entries of {names}, and none of them is open now (corrected or replaced by an "
            "earlier reprocess, withdrawn, or rolled back); nothing of it posts, so that no "
            "record posts twice. `qap corrections` writes what is still open")
    return check


def _beside_marked(path: Path, deck: Deck, known: written_from.Written | None,
                   register: pl.DataFrame | None) -> str | None:
    """A corrections deck holding a record at the key of an open entry a later week's record
    sits beside, which the deck does not stand for (`register.marked_left_out`): left out of
    the deck `qap corrections` wrote (`known`) and added by hand (check of session 18, N2),
    or in a deck written by hand (`known` None, N2h). It would close the entry and post a
    review that may have posted already."""
    if not (marked := marked_left_out(register, known, deck.records, deck.week_ending)):
        return None
    entry, beside = marked[0]
    what = (f"the register entry {entry} was left out when `qap corrections` wrote this deck, "
            f"since a later week's record sits beside it ({beside}), and the deck now holds a "
            "record at its key" if known is not None else
            f"a record of this deck is at the key and week of the register entry {entry}, "
            f"beside which a later week's record posted or was rejected ({beside})")
    return WriteAnew(
        f"{path}: {what}: if that record is the entry's corrected, it posted already, so "
        "nothing of this deck posts. Withdraw the entry (qap withdraw) and take the record "
        "out of the deck, or, if the record beside it is another document, write the deck "
        "with `qap corrections --with-beside`")


def _closed_since(path: Path, deck: Deck, known: written_from.Written,
                  register: pl.DataFrame | None,
                  published: dict[str, dt.datetime] | None = None) -> str | None:
    """Why a recorded corrections deck some of whose decks' entries are open is still stale:
    an entry it was written from is no longer open (`register.closed_since`), or None."""
    closed = closed_since(register, known, deck.created, published)
    if not closed:
        return None
    entry, by = closed[0]
    more = f" (and {len(closed) - 1} more of its entries)" if len(closed) > 1 else ""
    why = ("the run that opened it was rolled back" if by.startswith("undone") else
           "its record was re-input (in a weekly deck, or another corrections deck) or "
           "withdrawn")
    return WriteAnew(
        f"{path}: stale corrections deck: the register entry {entry}, one `qap corrections` "
        f"wrote it from, was {by} since{more}: {why}; nothing of this deck posts, so that no "
        "record posts twice (a record left out of the deck changes nothing: the deck is "
        "judged by the entries it was written from). `qap corrections` writes what is still "
        "open")


INVENTORY_RECORDS = ("ROR", "CAS", "FCS")  # INV-10-02's record types (inventory.md 3)


def _another_system(path: Path, deck: Deck) -> str | None:
    """An INV-10-02 deck (most of its first 10 records ROR, CAS or FCS records) given to the
    weekly run or its reprocess: every record would open a 36 on the campus registers (check
    of session 18, N4: an inventory corrections deck reprocessed by `qap reprocess` opened
    15; N4b: a first record blank or of another type let it through). A form record begins
    with its program number; a weekly deck with a stray inventory record runs, the record
    rejected."""
    first = deck.records.head(10)
    kinds = first["text"].str.slice(0, 3)
    inventory = kinds.is_in(INVENTORY_RECORDS)
    if first.height == 0 or inventory.sum() * 2 <= first.height:
        return None
    at = inventory.arg_true()[0]
    return WriteAnew(
        f"{path}, line {first['line_no'][at]}, columns 1-3: record type {kinds[at]}: an "
        "INV-10-02 deck, not one of the weekly run's forms; run it with `qap inventory` (its "
        "corrections with `qap inventory reprocess`); nothing of it posted")


def _not_corrections(path: Path, deck: Deck, accepted: list[Deck]) -> str | None:
    """A corrections deck (`qap corrections` writes HDR campus CR) belongs to a reprocess,
    which closes the open entries of what posts: posted by a plain run, its records would
    count while their entries stayed open, and a second correction would post them again."""
    if deck.campus != CORRECTIONS_CAMPUS:
        return None
    return (f"{path}, line 1, columns 4-5: HDR campus {CORRECTIONS_CAMPUS} is a corrections "
            "deck (written by `qap corrections`): run it with `qap reprocess` (or put it in "
            "the corrections/ folder of the reprocess flow), which closes the register "
            "entries of the records that post")


def keep_for_resubmission(path: Path, refused_dir: Path) -> Path | None:
    """A copy of a refused deck in `refused_dir` (returned): under its own name, or, when a
    different deck of that name is kept there already, `stem.N.suffix` (a kept deck is never
    replaced: review 14, F14). A deck that cannot be read (its refusal says so) stays only
    where it is, and the run goes on with the others."""
    if not (path.is_file() and os.access(path, os.R_OK)):
        return None
    run_folder.private_dir(refused_dir)
    return private.file(_copy_new(path, kept_name(refused_dir, path.name, sha256_file(path))))


def kept_name(folder: Path, name: str, sha256: str) -> Path:
    """Where a deck of `name` and content `sha256` is kept in `folder`: `folder/name` when
    free or holding the same bytes, else the first `stem.N.suffix` (N = 2, 3, ...) that is.
    The flows move an inbox deck to the same place (`pipelines.operator.inbox`)."""
    candidate, n = folder / name, 1
    stem, suffix = Path(name).stem, Path(name).suffix
    while candidate.exists() and sha256_file(candidate) != sha256:
        n += 1
        candidate = folder / f"{stem}.{n}{suffix}"
    return candidate


def _copy_new(src: Path, dst: Path) -> Path:
    """Copy `src` to `dst` through a new file renamed into place: a link planted at `dst` is
    replaced, never written through."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name[:200]}.", suffix=".tmp", dir=dst.parent)
    try:
        with open(src, "rb") as source, os.fdopen(fd, "wb") as target:
            shutil.copyfileobj(source, target)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return dst


def numbered(rows: pl.DataFrame, deck_no: int, seq0: int | pl.Series) -> pl.DataFrame:
    """A deck's records (`rows`: line_no, text; all of them or some) numbered for the run:
    `seq` (the record's place in the run: `seq0` is the first one's, or each one's as a
    Series), line_no, text and `deck_no` (the deck's place among the accepted decks)."""
    if isinstance(seq0, pl.Series):
        seq = seq0.cast(pl.UInt32).alias("seq")
        return rows.with_columns(pl.lit(deck_no, pl.UInt16).alias("deck_no")).select(
            seq, *rows.columns, "deck_no")
    return rows.with_columns(pl.lit(deck_no, pl.UInt16).alias("deck_no")
                             ).with_row_index("seq", offset=seq0)


def deck_columns(rows: pl.DataFrame, decks: list[Deck], run_id: str) -> pl.DataFrame:
    """The deck's name, hash and page title beside each row: a row's deck_no is the deck's
    place in `decks`, so each column is a gather (a join would copy every column of rows)."""
    at = rows.get_column("deck_no")
    names = pl.Series("deck", [d.name for d in decks], pl.String)
    hashes = pl.Series("deck_hash", [d.content_hash for d in decks], pl.String)
    titles = pl.Series("deck_title",  # the listing's closing key names deck i in full
                       [f"DECK {i}  {d.heading.removeprefix('DECK ')}"
                        for i, d in enumerate(decks)], pl.String)
    return rows.with_columns(names.gather(at), hashes.gather(at), titles.gather(at),
                             pl.lit(run_id).alias("run_id"))


LEDGER_SCHEMA = {"content_hash": pl.String, "deck": pl.String, "identity": pl.String,
                 "run_id": pl.String, "run_date": pl.Date, "status": pl.String,
                 "reason": pl.String, "records": pl.Int64, "records_hash": pl.String}


def ledger(previous: pl.DataFrame | None, result: RunResult, decks: list[Deck],
            sorted_hashes: list[str] | None, run_id: str, run_date: dt.date) -> pl.DataFrame:
    """The deck ledger with this run's decks added (every family's, one table). `decks`: the
    accepted ones; `sorted_hashes`: their records hashes (None: hashed here), by which a
    later deck of the same records in another order is known."""
    if sorted_hashes is None:
        sorted_hashes = [records_hash(d) for d in decks]
    hashes = iter(zip((d.content_hash for d in decks), sorted_hashes, strict=True))
    rows = []
    for o in result.decks:
        content, records = next(hashes) if o.status == "accepted" else (None, None)
        rows.append({"content_hash": content,
                     "deck": Path(o.path).name, "identity": o.identity, "run_id": run_id,
                     "run_date": run_date,
                     "status": "posted" if o.status == "accepted" else o.status,
                     "reason": o.reason, "records": o.records, "records_hash": records})
    new = pl.DataFrame(rows, schema=LEDGER_SCHEMA)
    if previous is None:
        return new
    missing = [pl.lit(None, t).alias(c) for c, t in LEDGER_SCHEMA.items()
               if c not in previous.columns]  # a ledger written before the column was added
    return pl.concat([previous.with_columns(missing).select(list(LEDGER_SCHEMA))
                      .cast(LEDGER_SCHEMA), new])


@contextlib.contextmanager
def run_started(store, data_dir: Path, run_date: dt.date, holder: str
                ) -> Iterator[tuple[list[str], str]]:
    """A family's run under the store's lock (refused at once if busy): (the run ids published
    so far, this run's id). Every family starts a run this way."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with store.lock(holder, wait_seconds=0):
        published = [m.get("run_id", "") for m in store.history()]
        yield published, next_run_id(published, run_date)
