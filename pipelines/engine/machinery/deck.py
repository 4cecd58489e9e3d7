"""Decks: reading a transmitted file and its HDR/TRL control (record-layouts.md, "Files").

A deck that fails control is refused whole with the check that failed and where; nothing of it
posts and the file is kept for resubmission. A deck that passes has an identity: its HDR fields
and a hash of its records' content (the same records under another name, or in EBCDIC, hash the
same), which is how a second posting of it is recognised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import MAX_NAMED, DeckFault, Records, also_lines, read_records
from pipelines.engine.machinery.conditions import Incomplete
from validators.years import FIRST_YEAR, LAST_YEAR

HDR = layout.load("hdr")
TRL = layout.load("trl")
# The HDR campus of a corrections deck (`qap corrections`): only a reprocess takes it.
CORRECTIONS_CAMPUS = "CR"


class DeckRefused(Exception):
    """Deck control failed; carries the check name for the summary and the register of decks."""

    def __init__(self, path: Path | str, check: str, message: str, line: int | None = None,
                 column: int | None = None, identity: str | None = None,
                 records: int | None = None):
        self.path, self.check, self.line, self.column = str(path), check, line, column
        self.identity = identity
        self.records = records  # the records between its HDR and TRL, when it has both
        where = str(path) + (f", line {line}" if line else "") + (
            f", column {column}" if column else "")
        self.reason = message
        super().__init__(f"{where}: {message}")


class DeckChanged(Incomplete):
    """A deck's file is not the deck that passed intake (changed, replaced or removed since):
    a step that reads it again stops, and nothing of the run posts."""


@dataclass(frozen=True)
class Deck:
    path: Path
    encoding: str
    campus: str
    week_ending: dt.date
    created: dt.datetime
    sequence: int
    records: pl.DataFrame  # line_no, text: the records between HDR and TRL
    content_hash: str
    # The first record's byte offset in an LF-only ASCII file, whose record of row r then
    # starts after the rows before it, each with its LF: a step can read the records again a
    # part at a time instead of holding the deck (issue 20). None: any other file.
    first_byte: int | None = None
    # With first_byte, the file's bytes intake read: one grown after its TRL is changed too.
    size: int | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def identity(self) -> str:
        """HDR fields plus content hash, as printed in headings and kept on the deck ledger."""
        return (f"{self.campus} {self.week_ending:%m%d%Y} {self.created:%m%d%Y%H%M%S} "
                f"{self.sequence:03d} {self.content_hash[:12]}")

    @property
    def heading(self) -> str:
        return f"DECK {self.campus} {self.week_ending:%m%d%Y} SEQ {self.sequence:03d}"


def _field(text: str, f: layout.Field) -> str:
    return text[f.offset:f.end].ljust(f.width)


def _parse_hdr(path: Path, text: str) -> tuple[str, dt.date, dt.datetime, int]:
    def bad(name: str, expected: str) -> DeckRefused:
        f = HDR.field(name)
        return DeckRefused(path, "HDR", f"HDR {name.removeprefix('hdr_').replace('_', ' ')} "
                           f"(columns {f.start}-{f.end})"
                           f" is {_field(text, f)!r}; expected {expected}", 1, f.start)

    campus = _field(text, HDR.field("campus"))
    if not campus.strip():
        raise bad("campus", "a 2-character campus code")

    def date(name: str) -> dt.date:
        raw = _field(text, HDR.field(name))
        try:
            if not raw.isdigit():
                raise ValueError
            value = dt.datetime.strptime(raw, "%m%d%Y").date()
        except ValueError:
            raise bad(name, "a date MMDDYYYY") from None
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise bad(name, f"a date MMDDYYYY in the years {FIRST_YEAR}-{LAST_YEAR} (a week's "
                      "periods, quarters and fiscal year are counted from it)")
        return value

    week_ending = date("hdr_week_ending")
    created_on = date("creation_date")
    raw_time = _field(text, HDR.field("creation_time"))
    try:
        if not raw_time.isdigit():
            raise ValueError
        created_at = dt.datetime.strptime(raw_time, "%H%M%S").time()
    except ValueError:
        raise bad("creation_time", "a time HHMMSS") from None
    raw_seq = _field(text, HDR.field("deck_sequence"))
    if not raw_seq.isdigit():
        raise bad("deck_sequence", "3 digits")
    return campus, week_ending, dt.datetime.combine(created_on, created_at), int(raw_seq)


def unpadded(lines: pl.Series) -> pl.Series:
    """`lines` without their trailing blanks, which are not content (a copy of the text only
    when some line has blanks to drop)."""
    return lines.str.strip_chars_end(" ") if lines.str.ends_with(" ").any() else lines


def utf8(lines: pl.Series, separator: str = "\n") -> memoryview | bytes:
    """The UTF-8 bytes of `lines` joined by `separator`, where polars holds them: not copied
    into a Python str and encoded again (a third of a hash's time)."""
    if not lines.len():
        return b""
    return memoryview(lines.str.join(separator).cast(pl.Binary).to_arrow()[0].as_buffer())


HASH_ROWS = 250_000  # records joined and hashed at a time


def _content_hash(lines: pl.Series) -> str:
    """sha256 of the records between HDR and TRL: trailing blanks dropped, lines joined by LF.
    Hashed a batch of records at a time, so that no copy of the whole deck's text is made (at
    4,000,000 records, 145 MB; the deck's own bytes are not kept past reading)."""
    digest = hashlib.sha256()
    for at in range(0, lines.len(), HASH_ROWS):
        if at:
            digest.update(b"\n")
        digest.update(utf8(unpadded(lines.slice(at, HASH_ROWS))))
    return digest.hexdigest()


def control(records: Records) -> Deck:
    """Apply HDR/TRL control to a file's records; raise DeckRefused naming the failed check."""
    path, frame = records.path, records.frame
    # Blank lines after the TRL are an artefact of transfers, not records.
    texts = frame["text"]
    last = frame.height
    while last and not texts[last - 1].strip():
        last -= 1
    frame = frame.slice(0, last)
    if not last:
        raise DeckRefused(path, "HDR missing", "the file holds only blank lines", 1, 1)
    first_text = frame["text"][0]
    if not first_text.startswith("HDR"):
        raise DeckRefused(path, "HDR missing", "the first record is not an HDR record (columns "
                          f"1-3 are {first_text[:3]!r}); a deck starts with HDR", 1, 1)
    n = frame.height
    last_text = frame["text"][n - 1]
    # a deck framed by its HDR and TRL has its records counted even when refused: they are
    # held back, and the summary accounts for them
    framed = n - 2 if n >= 2 and last_text.startswith("TRL") else None
    try:
        campus, week_ending, created, sequence = _parse_hdr(path, first_text)
    except DeckRefused as err:
        err.records = framed
        raise
    if n < 2 or not last_text.startswith("TRL"):
        trls = frame.slice(1).filter(pl.col("text").str.starts_with("TRL"))["line_no"]
        if trls.len():  # the TRL is there, with records after it
            raise DeckRefused(path, "TRL not last", f"the TRL on line {trls[-1]} is followed "
                              f"by {n - trls[-1]} more line(s); a deck ends with its TRL "
                              "(remove what follows, or was a second file joined on?)", n, 1)
        raise DeckRefused(path, "TRL missing", "the last record is not a TRL record; a deck "
                          "ends with TRL (was the transfer cut short?)", n, 1)
    text = pl.col("text")
    stray = frame.slice(1, n - 2).filter(text.str.starts_with("HDR") | text.str.starts_with("TRL"))
    if stray.height:
        line, rid = stray["line_no"][0], stray["text"][0][:3]
        raise DeckRefused(path, f"{rid} inside deck", f"a {rid} record inside the deck; a deck "
                          "has one HDR first and one TRL last (two decks joined together?)"
                          + also_lines(stray["line_no"].head(MAX_NAMED).to_list(),
                                       stray.height), line, 1, records=framed)
    count_field = TRL.field("record_count")
    raw_count = _field(last_text, count_field)
    if not raw_count.isdigit():
        raise DeckRefused(path, "TRL count", f"TRL record count (columns {count_field.start}-"
                          f"{count_field.end}) is {raw_count!r}; expected 7 digits", n,
                          count_field.start, records=framed)
    body = frame.slice(1, n - 2)
    digest = _content_hash(body["text"])
    if int(raw_count) != body.height:
        blank = body.filter(text.str.strip_chars() == "")["line_no"]
        hint = (f"; {blank.len()} of them blank (line {', '.join(map(str, blank.head(5)))}"
                f"{', ...' if blank.len() > 5 else ''}): a blank line counts as a record"
                if blank.len() else "")
        said = int(raw_count)
        raise DeckRefused(path, "TRL count", f"TRL says {said} record{'s' * (said != 1)} but the "
                          f"deck holds {body.height} between HDR and TRL{hint}", n,
                          count_field.start, identity=digest, records=body.height)
    first_byte = len(first_text.encode()) + 1 if records.lf_only else None  # after the HDR
    return Deck(path=path, encoding=records.encoding, campus=campus, week_ending=week_ending,
                created=created, sequence=sequence, records=body, content_hash=digest,
                first_byte=first_byte, size=records.size if first_byte is not None else None)


def open_deck(path: Path | str, encoding: str = "auto") -> Deck:
    """Read and control one deck; raises DeckFault (unreadable) or DeckRefused (control)."""
    return control(read_records(path, encoding))


__all__ = ["Deck", "DeckChanged", "DeckFault", "DeckRefused", "control", "open_deck", "unpadded",
           "utf8"]
