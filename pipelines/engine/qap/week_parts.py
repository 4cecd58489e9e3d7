"""Run 03 over a week in parts of whole documents: the map of the weekly run.

Documents never cross decks, and a well-formed deck's documents follow each other unbroken, so
a deck is cut at document headers into parts of about `PART_LINES` records and each part is
checked alone (`run03.check`), with the deck's running counts carried from part to part
(`run03.DeckCarry`). A deck whose documents are not unbroken (interleaved, a line with no
header, a header repeated) is checked as one part, where run 03 takes its grouped path. The
checks that read across decks (`run03.run_wide`) and the Cumulative Data File come after every
part is checked: the reduce, in the run's one process.

Each checked part's records are handed to a `Rows03` at once, which keeps them in a private
file when the run has a folder for them: what stays in memory through the week is what the
reduce and the individual data read (reviews, adjustments), not the records' text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc

from layouts import layout
from layouts.decoder import decode, lf_lines
from pipelines.engine.machinery import intake
from pipelines.engine.machinery.deck import Deck, DeckChanged, open_deck
from pipelines.engine.qap import ordered, run03, spilled
from pipelines.engine.qap.compact import compact
from pipelines.state import private
from validators import pce_01_43 as v01

PART_LINES = 250_000  # records of a part, about: a part ends where a document starts
INDIVIDUAL_PROGRAMS = ("59600", "59602")  # Forms 3081 and 6489: the individual data step
OTHER_PROGRAMS = (v01.PROGRAM, *INDIVIDUAL_PROGRAMS)  # every program that is not run 03's
PREFIX = layout.load("prefix")
_PROGRAM, _SECTION = PREFIX.field("program_number"), PREFIX.field("section")


_NO_RECORDS = pl.DataFrame(schema={"seq": pl.UInt32, "line_no": pl.UInt32, "text": pl.String,
                                   "deck_no": pl.UInt16})  # `intake.numbered` of no deck
# Records whose facts (program, section, document) are worked out at a time: a narrow frame
# of a window of the deck, never one of the whole deck (at 4,000,000 records the two fields
# of every record were 250 MiB beside the deck).
FACT_ROWS = 1 << 20
_DOC = PREFIX.field("block").offset, PREFIX.field("serial").end  # adjacent: one slice


def _program_is(programs: tuple[str, ...]) -> pl.Expr:
    """The program number (a record's first columns) is one of `programs`, as the decoder
    slices it (a record too short to hold one has none of them, padded or not): each compared
    with the record's start, where the slice and `is_in` cost 28 ms a million records and
    `starts_with` 17."""
    assert _PROGRAM.offset == 0 and all(len(p) == _PROGRAM.width for p in programs)
    return pl.any_horizontal(pl.col("text").str.starts_with(p) for p in programs)


def _others(text: pl.Series) -> pl.Series:
    """True on each record of a program that is not run 03's, a window at a time."""
    flags = [pl.DataFrame({"text": text.slice(at, FACT_ROWS)}).select(
        _program_is(OTHER_PROGRAMS).alias("text"))["text"]
        for at in range(0, text.len(), FACT_ROWS)]
    return pl.concat(flags) if flags else pl.Series("text", [], pl.Boolean)


def other_records(decks: list[Deck]) -> pl.DataFrame:
    """Every record of a program that is not run 03's (Forms 3927, 3081, 6489) of the decks,
    numbered for the run (`intake.numbered`), with the prefix decoded."""
    return taken_decks(list(decks), plan=False).other_records()


class WeekDecks:
    """The week's decks as intake accepts them (`take`, `intake.control`'s hook): each deck's
    other records are taken out, its run 03 parts planned (`_plan`; `plan` False: a cluster
    plans them) and its records let go, so that the week's decks are never held together: at
    4,000,000 records in 16 decks intake held every deck until the map (+225 MiB), and the
    map each deck waiting its turn. A deck that cannot be read again from its file (EBCDIC,
    CRLF) is held by its plan until checked."""

    def __init__(self, part_lines: int | None = None, plan: bool = True) -> None:
        self.part_lines = part_lines or PART_LINES
        self.plan = plan
        self.planned: list[list[_Planned]] = []  # a deck's plan, taken out as it is checked
        self.heights: list[int] = []  # records of each deck
        self._others: list[pl.DataFrame] = []

    def take(self, deck: Deck) -> Deck:
        """The deck without its records, once what the run reads of them is kept here."""
        held = [deck.records]
        others = _others(deck.records.get_column("text"))
        at = others.arg_true()  # only these rows are numbered: no column of the whole deck
        self._others.append(intake.numbered(deck.records.filter(others), len(self.heights),
                                            sum(self.heights) + at))
        del at
        self.heights.append(held[0].height)
        if self.plan:
            self.planned.append([_plan(held, self.part_lines, _readable(deck),
                                       one_part_too=True, others=others)])
        return dataclasses.replace(deck, records=deck.records.clear())

    def other_records(self) -> pl.DataFrame:
        """`other_records` of the decks taken."""
        return decode(pl.concat(self._others or [_NO_RECORDS]), PREFIX)

    def seq0s(self) -> list[int]:
        """The run's `seq` of each deck's first record."""
        return [sum(self.heights[:i]) for i in range(len(self.heights))]


def taken_decks(decks: list[Deck], part_lines: int | None = None, plan: bool = True
                ) -> WeekDecks:
    """`decks` taken as intake takes them (`WeekDecks.take`), each entry of the list
    replaced by the deck without its records."""
    week = WeekDecks(part_lines, plan)
    for i, deck in enumerate(decks):
        decks[i] = week.take(deck)
    return week


def cuts(records: pl.DataFrame, part_lines: int) -> list[tuple[int, int]]:
    """(offset, length) of each part of a deck's run 03 `records` (text column): parts of
    about `part_lines` records that start at a header, when every document of the deck is
    unbroken (run03's fast path); else the whole deck as one part."""
    return [(lo, hi - lo) for lo, hi in _cuts(records.get_column("text"), None, part_lines)]


def _cuts(text: pl.Series, keep: pl.Series | None, part_lines: int) -> list[tuple[int, int]]:
    """`cuts` of the run 03 records of a deck's `text` (the rows `keep` selects; None: every
    row), as (start, end) rows of the deck: a part is the rows between them that `keep`
    selects. The facts are found a window of records at a time, on the fields they read."""
    n, kept = text.len(), text.len() if keep is None else int(keep.sum())
    if kept <= part_lines:
        return [(0, n)]
    last: str | None = None  # the document of the run 03 record before the window
    header_rows, header_keys, header_at, first = [], [], [], 0
    for at in range(0, n, FACT_ROWS):
        window = pl.DataFrame({"text": text.slice(at, FACT_ROWS)}).with_row_index("row", at)
        if keep is not None:
            window = window.filter(keep.slice(at, FACT_ROWS))
        is_header, key = _facts(window.get_column("text"))
        facts = window.select("row", is_header.alias("is_header"), key.alias("key"))
        del window
        same = (pl.col("key") == pl.col("key").shift(1, fill_value=pl.lit(last, pl.String))
                ).fill_null(False)
        if not facts.select((pl.col("is_header") | same).all()).item():
            return [(0, n)]  # a line not of the document before it: run03's grouped path
        if facts.height:
            last = facts["key"][-1]
        headers = facts.with_row_index("at", first).filter("is_header")
        header_rows.append(headers["row"])
        header_keys.append(headers["key"])
        header_at.append(headers["at"])
        first += facts.height
    keys = pl.concat(header_keys).to_frame()
    # headers in rising document order (a well-formed deck) are unique without hashing them
    if not (ordered.sorted_by(keys, ["key"], unique=True) or keys["key"].is_unique().all()):
        return [(0, n)]  # a document's header repeated
    del keys
    rows, starts = pl.concat(header_rows), pl.concat(header_at)
    out, at, lo = [], 0, 0
    while at < kept:
        nxt = int(starts.search_sorted(at + part_lines, side="left"))
        if nxt < starts.len():
            at, hi = int(starts[nxt]), int(rows[nxt])
        else:
            at, hi = kept, n
        out.append((lo, hi))
        lo = hi
    return out


_PREFIX_END = max(_SECTION.end, _DOC[1])  # the columns a record's facts are read from


def _facts(text: pl.Series) -> tuple[pl.Expr, pl.Expr]:
    """Whether each record of `text` is a document's header, and its document (the block and
    serial), as `_cuts` reads them: the columns' bytes when every record holds them in ASCII,
    where a byte is a column (a million records: 53 ms with the test that they are, against
    70 for slicing characters and padding the document as the decoder does, which any other
    text gets; with the headers' order below, `_cuts` of the 1M deck 104-109 -> 75-80 ms)."""
    lengths = text.str.len_bytes()
    if (lengths.min() or 0) >= _PREFIX_END and (
            lengths.sum() == text.str.len_chars().sum()):  # ASCII: one byte a character
        raw = pl.col("text").cast(pl.Binary)
        return (pl.all_horizontal(raw.bin.get(_SECTION.offset + i) == ord(c)
                                  for i, c in enumerate(_HEADER)),
                raw.bin.slice(_DOC[0], _DOC[1] - _DOC[0]).cast(pl.String))
    return (pl.col("text").str.slice(_SECTION.offset, _SECTION.width) == _HEADER,
            pl.col("text").str.slice(_DOC[0], _DOC[1] - _DOC[0]).str.pad_end(
                _DOC[1] - _DOC[0]))


_HEADER = "01"  # a document header's section


def check_deck(deck: Deck, deck_no: int, seq0: int, ofp: pl.DataFrame,
               defect_codes: pl.Series, part_lines: int | None = None,
               keep: str = run03.KEEP_ALL) -> Iterator[run03.Run03Part]:
    """Run 03's checks of one deck, part by part (the map; nothing in it reads another
    deck). `keep`: the review lines each part keeps beside their sums (`run03.check`)."""
    return _check([deck.records], deck_no, seq0, ofp, defect_codes, part_lines or PART_LINES,
                  keep)


def _check(held: list[pl.DataFrame], deck_no: int, seq0: int, ofp: pl.DataFrame,
           defect_codes: pl.Series, part_lines: int, keep: str,
           deck_file: tuple[Path, int] | None = None) -> Iterator[run03.Run03Part]:
    """`check_deck` of the deck's records, taken out of `held` (`_plan`, then `_checked`)."""
    return _checked([_plan(held, part_lines, deck_file)], deck_no, seq0, ofp, defect_codes,
                    keep)


@dataclass(frozen=True)
class _Planned:
    """A deck's parts of run 03 records, planned: rows (start, end) of the deck, the rows of
    run 03 (None: every row), and where each part is read: again from the deck's file
    (`pieces`), or from its records (`held`, one frame, taken out as the deck is checked)."""

    plan: list[tuple[int, int]]
    run03_rows: pl.Series | None
    pieces: list[_Piece]
    held: list[pl.DataFrame]


def _plan(held: list[pl.DataFrame], part_lines: int,
          deck_file: tuple[Path, int, int | None] | None,
          one_part_too: bool = False, others: pl.Series | None = None) -> _Planned:
    """The parts of the deck's records taken out of `held`. With `deck_file` (`_readable`),
    a deck of more than one part (with `one_part_too`, any deck) is let go once planned and
    each part is read again from the file (`_pieces`): the map plans every deck first, and a
    week of many decks then holds none of them through the map, where each deck waiting its
    turn was held (at 4,000,000 records in 16 decks, +230 MiB at the first deck's check). A
    cluster's worker, which reads one deck just before it checks it, reads a deck of one part
    once. `others`: the deck's `_others`, when already found."""
    records = held.pop()
    text = records.get_column("text")
    others = _others(text) if others is None else others
    run03_rows = ~others if others.any() else None
    plan = _cuts(text, run03_rows, part_lines)
    del others, text
    again = len(plan) > 1 or (one_part_too and records.height > 0
                              and (run03_rows is None or bool(run03_rows.any())))
    if deck_file and again:
        return _Planned(plan, run03_rows, _pieces(records, plan, *deck_file), [])
    return _Planned(plan, run03_rows, [], [records])


def _checked(planned: list[_Planned], deck_no: int, seq0: int, ofp: pl.DataFrame,
             defect_codes: pl.Series, keep: str) -> Iterator[run03.Run03Part]:
    """Run 03's checks of the deck taken out of `planned`, part by part: each part is numbered
    and filtered from the records alone (no copy of the deck's run 03 records). A deck held
    (not read again) has its last part copied out, so that the deck is let go while its last
    part is checked (the allocator then hands its pages back before the reduce starts, not
    during it)."""
    deck = planned.pop()
    plan, run03_rows, pieces = deck.plan, deck.run03_rows, deck.pieces
    records = deck.held.pop() if deck.held else None
    del deck
    carry = run03.DeckCarry()
    for n, (lo, hi) in enumerate(plan):
        rows = _read_piece(pieces[n]) if pieces else records.slice(lo, hi - lo)
        part = intake.numbered(rows, deck_no, seq0 + lo)
        if run03_rows is not None:
            part = part.filter(run03_rows.slice(lo, hi - lo))
        if not pieces and n and n == len(plan) - 1:  # the deck is not read again: its last
            part = compact(part.with_columns(  # part is its own
                pl.col("line_no").gather(pl.int_range(pl.len()))))
            del records, run03_rows
        yield run03.check(decode(part, PREFIX), ofp, defect_codes, carry, keep)


def _readable(deck: Deck) -> tuple[Path, int, int | None] | None:
    """The deck's file, its first record's offset and the bytes intake read, when its records
    can be read again by offset (`Deck.first_byte`)."""
    return None if deck.first_byte is None else (deck.path, deck.first_byte, deck.size)


@dataclass(frozen=True)
class _Piece:
    """A part's records where they lie in the deck's file, and what they were at intake."""

    path: Path
    start: int  # byte offset of its first record
    size: int  # bytes of its records, each with its LF
    first_line: int  # line_no of its first record
    lines: int
    digest: bytes  # `_digest` of its records as intake read them
    file_size: int | None = None  # the deck's last part: the file's bytes as intake read them


def _digest(lines: pl.Series) -> bytes:
    """sha256 of the records' 64-bit hashes, row by row: a part read again is the part
    intake read, in the same order, at a fifth of the cost of hashing its text (the hashes
    are polars', the same within the process that plans and reads the part)."""
    hashes = lines.hash(_SEED).to_arrow()
    return hashlib.sha256(hashes.buffers()[1][hashes.offset * 8:]
                          [:len(hashes) * 8]).digest()


_SEED = 20  # of `_digest`'s row hashes
_AGAIN = ("see what changed it (a transfer still writing it?) and run the week again with the "
          "deck as it should be")


def _pieces(records: pl.DataFrame, plan: list[tuple[int, int]], path: Path, first_byte: int,
            file_size: int | None = None) -> list[_Piece]:
    """Each part of `plan` (rows of `records`) as a `_Piece` of the deck's file `path`, so
    that the map holds one part, not the deck (at 4,000,000 records the deck is about 255 MiB
    beside the part being checked). The digest is of the records as they were read at
    intake: a file changed since reads as a changed deck, not as other records. The last
    part also knows the file's size, so that a file grown after its TRL (or cut after its last
    record) is a changed deck too: what posts is then the file as it stands (check of
    session 16, P7)."""
    text, line_no = records.get_column("text"), records.get_column("line_no")
    pieces, at = [], first_byte
    for lo, hi in plan:
        lines = text.slice(lo, hi - lo)
        size = int(lines.str.len_bytes().sum()) + lines.len()
        pieces.append(_Piece(path, at, size, int(line_no[lo]), lines.len(), _digest(lines)))
        at += size
    if pieces and file_size is not None:
        pieces[-1] = dataclasses.replace(pieces[-1], file_size=file_size)
    return pieces


def _read_piece(piece: _Piece) -> pl.DataFrame:
    """A part's records (line_no, text) read again from the deck's file: the same values the
    deck held (its lines between LFs, trailing blanks kept), or DeckChanged. A part is
    compared whole (`_digest`), so which of its lines changed is not known: the message names
    the part (check of session 16, P7)."""
    try:
        path = piece.path
        with path.open("rb") as f:
            f.seek(piece.start)
            data = f.read(piece.size)
            size = os.fstat(f.fileno()).st_size if piece.file_size is not None else None
    except OSError as err:
        raise DeckChanged(f"{path}: can no longer be read ({err.strerror}) since intake; "
                          "run the week again") from None
    lines = lf_lines(data) if len(data) == piece.size else None  # parsed as intake read it
    lines = None if lines is None else lines.rechunk()  # one chunk, as the split gave (0.6 ms)
    if lines is None or _digest(lines) != piece.digest:
        raise DeckChanged(f"{path}: changed since intake (the part of lines {piece.first_line}-"
                          f"{piece.first_line + piece.lines - 1} is not what intake read; a "
                          f"part is compared whole, so the line is not known); {_AGAIN}")
    if size != piece.file_size:  # (a stat, not a read: the bytes after the TRL are not read)
        what = ("more after its TRL" if size is not None and size > (piece.file_size or 0)
                else "its TRL or what follows it cut")
        raise DeckChanged(f"{path}: changed since intake (the file is {size} bytes, intake "
                          f"read {piece.file_size}: {what}); {_AGAIN}")
    return lines.to_frame().with_row_index("line_no", piece.first_line)


@dataclass(frozen=True)
class Settled:
    """What the run reads of the Form 3926 records once settled (`Rows03.settle_with`): the
    rejected records' rows, and of the rest only counts, so that what is held grows with the
    decks and the listing's pages, not with the records."""

    rejected: pl.DataFrame  # `run03.display` of the rejected records
    decks: pl.DataFrame  # deck_no, posted, rejected: the records of each deck that has any
    codes: Counter[str]  # how many times each error code was given, in order of first use
    posted: pl.DataFrame  # deck_no, rows: the posted records as runs of one deck, in order
    warnings: int
    # deck_no, line_no, text of the posted records asked for: every one, or those at the
    # places asked for (with their headers' text, header_text); None when none was asked for
    posted_text: pl.DataFrame | None

    @property
    def posted_records(self) -> int:
        return int(self.decks["posted"].sum())

    @property
    def rejected_records(self) -> int:
        return int(self.decks["rejected"].sum())


_COUNTS = {"posted": pl.Int64, "rejected": pl.Int64}
_DECK_COUNTS = {"deck_no": pl.UInt16, **_COUNTS}
_RUNS = {"deck_no": pl.UInt16, "rows": pl.Int64}


def deck_counts(rows: pl.DataFrame) -> pl.DataFrame:
    """Posted and rejected records per deck (deck_no, posted, rejected) of `rows` (deck_no,
    rejected): what each deck's outcome counts. Rows of one deck (a part of run 03, which
    `settle_with` counts part by part) are counted by two sums, not grouped: 8.2 to 0.05 ms
    a part of 250,000 records."""
    deck_no = rows.get_column("deck_no")
    if rows.height and not deck_no.null_count() and deck_no.min() == deck_no.max():
        rejected = rows.get_column("rejected")
        # (the deck's number as a value: a slice of the column would hold its part's file)
        return pl.DataFrame({"deck_no": [deck_no[0]], "posted": [(~rejected).sum()],
                             "rejected": [rejected.sum()]},
                            schema={"deck_no": deck_no.dtype, **_COUNTS})
    return rows.group_by("deck_no").agg(
        (~pl.col("rejected")).sum().cast(pl.Int64).alias("posted"),
        pl.col("rejected").sum().cast(pl.Int64).alias("rejected"))


def deck_runs(rows: pl.DataFrame) -> pl.DataFrame:
    """`rows`' deck_no (in order) as runs of one deck: deck_no and rows of each run, what
    the posting listing is planned from (`listings.plan_listing`)."""
    return rows.select(pl.col("deck_no").rle()).unnest("deck_no").select(
        pl.col("value").alias("deck_no"), pl.col("len").cast(pl.Int64).alias("rows"))


class Rows03:
    """Every Form 3926 record of the run, in parts of whole documents in deck order, each
    kept in an Arrow file of the private `folder`, and settled with the codes the reduce found
    (`run03.settle`) as it is read back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._parts: list[Path] = []
        self.heights: list[int] = []
        self.posted_heights: list[int] = []  # posted records of each part, once settled
        self.late = pl.DataFrame(schema={"seq": pl.UInt32, "code": pl.String})
        self.by_line: pl.DataFrame | None = None
        self._held: tuple[int, pl.DataFrame, pl.Series] | None = None
        private.folder(folder)

    def add(self, records: pl.DataFrame) -> None:
        self.heights.append(records.height)
        path = self.folder / f"part-{len(self._parts):05d}.arrow"
        records.write_ipc(path, compression="uncompressed")
        private.file(path)
        self._parts.append(path)

    def settle_with(self, late: pl.DataFrame, by_line: pl.DataFrame | None,
                    posted_text: bool = False, places: pl.Series | None = None) -> Settled:
        """The codes found after the parts were checked (`run03.settle`), and what the run
        reads of the records, gathered in one pass over the parts: the rejected records'
        rows; of the others, counts per deck and code and the runs of one deck. With
        `posted_text`, every posted record's text; with `places` (columns 1-15, the open
        entries' of earlier runs), the posted records at those places with their headers'
        text: the few a weekly run may hold re-input (review 17, F5)."""
        self.late, self.by_line, self._held = late, by_line, None
        rejected, decks, runs, texts, warnings = [], [], [], [], 0
        at_places: list[pl.DataFrame] = []
        codes: Counter[str] = Counter()
        self.posted_heights = []
        for i in range(len(self._parts)):
            frame, at = self._load(i)
            # kept to the end of the run: without the rest of the part's text
            rejected.append(compact(run03.display(frame, pl.col("rejected"), headers_at=at)))
            decks.append(deck_counts(frame))
            given = frame.select("error_codes").filter(pl.col("error_codes").list.len() > 0
                                                       ).explode("error_codes")
            codes.update(dict(given.group_by("error_codes", maintain_order=True).len()
                              .iter_rows()))
            posted = frame.select(pl.col("deck_no").filter(~pl.col("rejected")))
            self.posted_heights.append(posted.height)
            runs.append(deck_runs(posted))
            # what is kept past the part is copied out (`compact`): a part is its file's
            # pages (`_mapped`), and a string cut from them would hold the whole file
            if posted_text:
                texts.append(compact(frame.filter(~pl.col("rejected")).select(
                    "deck_no", "line_no", "text")))
            if places is not None and places.len():
                at_places.append(compact(_at_places(frame, places)))
            warnings += int(frame["warning"].sum())
        self._held = None
        return Settled(
            rejected=pl.concat(rejected),
            decks=pl.concat([pl.DataFrame(schema=_DECK_COUNTS), *decks]).group_by(
                "deck_no").agg(pl.col("posted", "rejected").sum()).sort("deck_no"),
            codes=codes, posted=_joined(pl.concat([pl.DataFrame(schema=_RUNS), *runs])),
            warnings=warnings, posted_text=pl.concat(texts) if posted_text
            else pl.concat([pl.DataFrame(schema=_AT_PLACES), *at_places])
            if places is not None else None)

    def display_posted(self, start: int, length: int) -> pl.DataFrame:
        """`run03.display` of the posted records `start` to `start + length` of the run
        (counted across the parts, as `settle_with` counted them); each part's headers are its
        own. Read after `settle_with`."""
        keep, pieces, first = ~pl.col("rejected"), [], 0
        for i, posted in enumerate(self.posted_heights):
            lo, hi = max(start, first), min(start + length, first + posted)
            if lo < hi:
                frame, at = self._load(i)
                rows = frame.select(pl.arg_where(keep)).to_series()  # the posted rows
                begin, end = int(rows[lo - first]), int(rows[hi - first - 1]) + 1
                pieces.append(run03.display(frame, keep, start=begin, length=end - begin,
                                            headers_at=at))
            first += posted
        if not pieces:  # no row: the columns alone
            frame, at = self._load(0)
            pieces.append(run03.display(frame, keep, start=0, length=0, headers_at=at))
        return pl.concat(pieces)

    def _load(self, i: int) -> tuple[pl.DataFrame, pl.Series]:
        """Part `i` settled, with its header positions; the last one read is held, since the
        listing reads a part's rows a slice at a time."""
        if self._held is None or self._held[0] != i:
            frame = run03.settle(_mapped(self._parts[i]), self.late, self.by_line)
            self._held = (i, frame, run03.header_positions(frame))
        return self._held[1], self._held[2]

    def release(self) -> None:
        self._held = None
        for path in self._parts:
            path.unlink(missing_ok=True)
        self._parts = []
        if self.folder.is_dir():
            self.folder.rmdir()


def _mapped(path: Path) -> pl.DataFrame:
    """A part's Arrow file (uncompressed) mapped into memory, not read: the frame's columns
    are the file's pages, where `pl.read_ipc` copied them into new memory (each part is read
    twice, settled and listed: 22 ms and up to 11,000 page faults a 250,000-record part,
    against 0.3 ms mapped)."""
    with pa.memory_map(str(path)) as source:  # (the columns keep the mapping alive)
        frame = pl.from_arrow(pyarrow.ipc.open_file(source).read_all())
    assert isinstance(frame, pl.DataFrame)
    return frame


_AT_PLACES = {"deck_no": pl.UInt16, "line_no": pl.UInt32, "text": pl.String,
              "header_text": pl.String}


def _at_places(frame: pl.DataFrame, places: pl.Series) -> pl.DataFrame:
    """The posted records of a settled part whose columns 1-15 are among `places`, with
    their headers' text (a part holds whole documents)."""
    found = frame.filter(~pl.col("rejected") & pl.col("text").str.slice(0, 15).is_in(
        places.implode())).select("deck_no", "line_no", "text", "hdr_seq")
    if not found.height:
        return pl.DataFrame(schema=_AT_PLACES)
    headers = frame.select(pl.col("seq").alias("hdr_seq"), pl.col("text").alias("header_text"))
    return found.join(headers, on="hdr_seq", how="left", maintain_order="left").select(
        list(_AT_PLACES)).cast(_AT_PLACES)


def _joined(runs: pl.DataFrame) -> pl.DataFrame:
    """Runs of one deck with a run that goes on from one part into the next made one."""
    new = pl.col("deck_no").ne_missing(pl.col("deck_no").shift(1)).fill_null(True)
    return runs.group_by(new.cum_sum().alias("__run"), maintain_order=True).agg(
        pl.col("deck_no").first(), pl.col("rows").sum()).drop("__run")


@dataclass(frozen=True)
class DeckTask:
    """One deck of the map, as a worker of a cluster reads it: from its file (a file system
    the workers share), checked to be the deck that passed intake."""

    path: str
    deck_no: int
    seq0: int  # seq of the deck's first record in the run
    content_hash: str
    part_lines: int
    keep: str = run03.KEEP_ALL  # the review lines each part keeps (`run03.check`)


def check_deck_file(task: DeckTask, ofp: pl.DataFrame, defect_codes: pl.Series
                    ) -> list[run03.Run03Part]:
    """`check_deck` of a deck read again from its file: what a worker of a cluster runs."""
    deck = open_deck(task.path)
    if deck.content_hash != task.content_hash:
        raise DeckChanged(f"{task.path}: changed since intake (sha256 {deck.content_hash[:12]}, "
                          f"was {task.content_hash[:12]}); run the week again")
    held, deck_file = [deck.records], _readable(deck)
    del deck
    return list(_check(held, task.deck_no, task.seq0, ofp, defect_codes, task.part_lines,
                       task.keep, deck_file))


# A map of the decks elsewhere (a cluster): the checked parts of each task, in task order.
MapDecks = Callable[[list[DeckTask], pl.DataFrame, pl.Series], Iterable[list[run03.Run03Part]]]


def check_week(decks: list[Deck], ofp: pl.DataFrame, defect_codes: pl.Series,
               rows: Rows03, part_lines: int | None = None,
               map_decks: MapDecks | None = None, keep: str = run03.KEEP_ALL,
               taken: WeekDecks | None = None) -> list[run03.Run03Part]:
    """The map over every deck: in this process, or by `map_decks` (a cluster's workers).
    Each part's records go to `rows` as soon as they are checked (in deck order). The decks
    are `taken` at intake (`WeekDecks`), or taken here first (`taken_decks`: the list's
    entries are replaced): every deck's parts are planned before the first is checked, a deck
    that can be read again from its file is, a part at a time, and any other deck is let go
    while its last part is checked. Returns the parts without their records; each keeps the
    review lines `keep` asks for (`run03.check`) and the sums of all of them, which wait in
    `rows`' folder until every part is checked (`_spill`)."""
    if taken is None:
        taken = taken_decks(decks, part_lines, plan=map_decks is None)
    part_lines, seq0s = taken.part_lines, taken.seq0s()
    if map_decks is not None:
        tasks = [DeckTask(str(d.path), i, seq0s[i], d.content_hash, part_lines, keep)
                 for i, d in enumerate(decks)]
        checked: Iterable[Iterable[run03.Run03Part]] = map_decks(tasks, ofp, defect_codes)
    else:
        checked = (_checked(taken.planned[i], i, seq0s[i], ofp, defect_codes, keep)
                   for i in range(len(decks)))
    parts, waiting = [], []
    for deck_parts in checked:
        for part in deck_parts:
            rows.add(part.records)
            waiting.append(_spill(part.review_sums, rows.folder, len(parts)))
            parts.append(dataclasses.replace(part, records=part.records.clear(),
                                             review_sums=part.review_sums.clear()))
    if not parts:  # no deck: one empty part, so that every frame of the run has its columns
        part = run03.check(decode(_NO_RECORDS, PREFIX), ofp, defect_codes, keep=keep)
        rows.add(part.records)
        parts.append(part)
        waiting.append(None)
    # every deck let go: the sums read back for the reduce
    return [p if kept is None else dataclasses.replace(p, review_sums=_unspill(kept))
            for p, kept in zip(parts, waiting, strict=True)]


def _spill(sums: pl.DataFrame, folder: Path, n: int) -> spilled.Spilled | None:
    """A part's review sums kept in a private file of `folder` while the map goes on: they are
    read only by the reduce, and held beside the deck and the part being checked they grow
    with the week (130 MiB at 4,000,000 records of the bench week)."""
    return spilled.Spilled.of(sums, folder / f"sums-{n:05d}.arrow") if sums.height else None


def _unspill(kept: spilled.Spilled) -> pl.DataFrame:
    """The review sums `_spill` kept, read back; the file is removed."""
    sums = kept.read()
    kept.drop()
    return sums
