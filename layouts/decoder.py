"""The one decoder: turns a file of fixed-width records into a polars frame for any layout.

Reading keeps every record's raw text and 1-based line number. Text may be LF or CRLF with
trailing blanks trimmed; the EBCDIC option is 132-byte cp037 records with no line ends. Faults
of structure (empty file, bytes that are not text, a line over 132 columns) raise DeckFault
naming file, line and column. Faults of content never raise: a field that does not decode is
null in its typed column and its raw slice stays beside it for the validators.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts import zoned
from layouts.layout import RECORD_WIDTH, Field, Layout

_SEPARATOR = "\x1f"  # never valid in a record: such a byte is refused before parsing
_PRINTABLE = bytes(range(0x20, 0x7F))
_EBCDIC_HDR = "HDR".encode("cp037")


NOT_FOUND = "file not found"  # a DeckFault's reason for a file that is not there


class DeckFault(Exception):
    """A file that cannot be read as records at all."""

    def __init__(self, path: Path | str, message: str, line: int | None = None,
                 column: int | None = None):
        self.path, self.line, self.column, self.reason = str(path), line, column, message
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Records:
    """Every record of one file: columns `line_no` (1-based) and `text` (trailing blanks kept
    as sent; a short record reads as if padded)."""

    path: Path
    frame: pl.DataFrame
    encoding: str  # "ascii" or "cp037"
    lf_only: bool = False  # an ASCII file with no CR: line r starts after r earlier lines' LFs
    size: int | None = None  # the file's bytes as read: a step reading it again sees growth


def _locate(data: bytes, index: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, index) + 1
    column = index - (data.rfind(b"\n", 0, index) + 1) + 1
    return line, column


# What a file must be, said to the operator: a reference file has no HDR or TRL, so the deck
# wording would send them looking for one.
_EMPTY = {"deck": "file is empty; a deck needs at least an HDR and a TRL record",
          "reference": "file is empty; a reference file needs at least one record"}
_TEXT = {"deck": "records are ASCII text (or 132-byte EBCDIC records, which start with HDR)",
         "reference": "a reference file is ASCII text, one record per line (or whole "
                      "132-byte EBCDIC records)"}


MAX_NAMED = 10  # bad lines a fault names before it only counts the rest
_STRAY = re.compile(rb"[^\x20-\x7e\r\n]")
_BOM = b"\xef\xbb\xbf"


def also_lines(lines: list[int], total: int | None = None) -> str:
    """The bad lines after the first, named up to MAX_NAMED, then counted (`total`, when
    known, else "more"): an operator fixes the file in one pass, not one refusal a line."""
    named = lines[1:MAX_NAMED]
    if not named:
        return ""
    rest = (total if total is not None else len(lines)) - 1 - len(named)
    more = (f" and {rest} more line{'s' * (rest > 1)}" if total is not None
            else " and more") if rest > 0 else ""
    return f" (also line{'s' * (len(named) > 1)} {', '.join(map(str, named))}{more})"


def _check_text(path: Path, data: bytes, kind: str = "deck") -> None:
    if data.startswith(_BOM):
        raise DeckFault(path, "the file starts with a UTF-8 byte-order mark (bytes EF BB BF), "
                        f"which is not part of any record; {_TEXT[kind]}: save it without the "
                        "byte-order mark", 1, 1)
    stray = data.translate(None, _PRINTABLE + b"\r\n")
    if stray:
        index = data.find(stray[:1])
        line, column = _locate(data, index)
        lines: list[int] = []  # one search per bad line, at most MAX_NAMED + 1 of them
        hit = _STRAY.search(data)
        while hit is not None and len(lines) <= MAX_NAMED:
            lines.append(_locate(data, hit.start())[0])
            end = data.find(b"\n", hit.start())
            hit = None if end < 0 else _STRAY.search(data, end + 1)
        raise DeckFault(path, f"byte 0x{stray[0]:02X} is not printable ASCII; {_TEXT[kind]}"
                        + also_lines(lines), line, column)


def _check_line_ends(path: Path, data: bytes) -> None:
    """A line ends in LF or CRLF (record-layouts.md, "Files"); a CR anywhere else would be
    printed as a line break inside a report line."""
    index = data.find(b"\r")
    while index != -1 and data[index + 1:index + 2] == b"\n":
        index = data.find(b"\r", index + 2)
    if index != -1 and data[index + 1:].strip(b"\r"):  # CRs closing the file end it
        line, column = _locate(data, index)
        raise DeckFault(path, "a carriage return (0x0D) inside a record; lines end in LF or "
                        "CRLF only (a line end lost or mangled in transfer?)", line, column)


def _ebcdic_lines(path: Path, data: bytes) -> list[str]:
    if len(data) % RECORD_WIDTH:
        ends = data.count(b"\x25") + data.count(b"\x15")  # cp037 LF and NL
        hint = (f" (it holds {ends} EBCDIC line end(s), 0x25 or 0x15: was it sent in text mode? "
                "send it in binary mode, as fixed 132-byte records)" if ends else "")
        raise DeckFault(path, f"EBCDIC file of {len(data)} bytes is not a whole number of "
                        f"{RECORD_WIDTH}-byte records{hint}")
    text = data.decode("cp037")
    lines = [text[i:i + RECORD_WIDTH].rstrip(" ") for i in range(0, len(text), RECORD_WIDTH)]
    for n, line in enumerate(lines, start=1):
        bad = next((i for i, c in enumerate(line) if not " " <= c <= "~"), None)
        if bad is not None:
            raise DeckFault(path, f"EBCDIC byte 0x{line[bad].encode('cp037')[0]:02X} has no "
                            "printable meaning", n, bad + 1)
    return lines


def _looks_ebcdic(data: bytes, kind: str) -> bool:
    """A binary-mode transfer has no line ends. A deck then starts with HDR in cp037; a
    reference file has no HDR, but its digits and letters (0xC1-0xF9 in cp037) are not ASCII."""
    if b"\n" in data:
        return False
    if kind == "deck":
        return data.startswith(_EBCDIC_HDR)
    return len(data) % RECORD_WIDTH == 0 and bool(data.translate(None, _PRINTABLE))


CHUNK_BYTES = 16 << 20  # a larger deck is read and parsed a piece of whole lines at a time


def read_records(path: Path | str, encoding: str = "auto", kind: str = "deck") -> Records:
    """Read a deck or reference file; `encoding` is "auto", "ascii" or "cp037"; `kind`
    ("deck" or "reference") only words the faults for that kind of file. A deck of more than
    CHUNK_BYTES of LF-only ASCII is read a piece at a time (`_read_pieces`), giving the same
    records and the same faults."""
    path = Path(path)
    if kind == "deck" and encoding != "cp037" and (records := _read_pieces(path)) is not None:
        return records
    data = _read_bytes(path)
    if not data or data.isspace():  # (strip() would copy the whole file)
        raise DeckFault(path, _EMPTY[kind])
    if encoding == "auto":
        encoding = "cp037" if _looks_ebcdic(data, kind) else "ascii"
    if encoding == "cp037":
        frame = pl.DataFrame({"text": _ebcdic_lines(path, data)}, schema={"text": pl.String})
    else:
        _check_text(path, data, kind)
        _check_line_ends(path, data)
        frame = _parsed(data)
        if _one_row_too_many(data[-2:]):  # (read as it is: a copy would cost its size again)
            frame = frame.slice(0, frame.height - 1)
    return _numbered(path, frame, encoding, encoding == "ascii" and b"\r" not in data,
                     len(data))


def _one_row_too_many(tail: bytes) -> bool:
    """Whether the parse of a file ending in `tail` (its last two bytes) has a row after its
    last line: the file's last LF ends its last line; it does not open an empty record."""
    return tail.endswith(b"\n") and tail[-2:-1] in (b"\n", b"")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DeckFault(path, NOT_FOUND) from None
    except IsADirectoryError:
        raise DeckFault(path, "is a directory, not a file") from None
    except OSError as err:
        raise DeckFault(path, f"cannot be read ({err.strerror})") from None


def _parsed(data: bytes | memoryview) -> pl.DataFrame:
    """The lines of ASCII `data` as a `text` column (a blank line is "")."""
    return pl.read_csv(
        io.BytesIO(data), has_header=False, separator=_SEPARATOR, quote_char=None,
        new_columns=["text"], schema={"text": pl.String},
    ).with_columns(pl.col("text").fill_null(""))


def lf_lines(data: bytes) -> pl.Series | None:
    """The lines of `data` as `read_records` parses them (`text`; a blank line is ""), when
    `data` is ASCII text whose every line ends in an LF and which holds no byte the parse
    splits fields at (never valid in a record); else None. A step that reads a deck's records
    again by their byte range parses them so: splitting the text instead cost a 250,000-record
    part 27 ms and 12,000 page faults in the run, the parse 10 ms and 250."""
    if not (data.endswith(b"\n") and data.isascii()) or _SEPARATOR.encode() in data:
        return None
    return _parsed(data).get_column("text")


def _numbered(path: Path, frame: pl.DataFrame, encoding: str, lf_only: bool,
              size: int | None = None) -> Records:
    """`frame` with its line numbers, once no record is longer than a record can be."""
    frame = frame.with_row_index("line_no", offset=1)
    too_long = frame.filter(pl.col("text").str.len_bytes() > RECORD_WIDTH)
    if too_long.height:
        first = too_long.row(0, named=True)
        raise DeckFault(path, f"record is {len(first['text'])} columns long; records are at "
                        f"most {RECORD_WIDTH} columns"
                        + also_lines(too_long["line_no"].head(MAX_NAMED).to_list(),
                                     too_long.height),
                        first["line_no"], RECORD_WIDTH + 1)
    return Records(path=path, frame=frame, encoding=encoding, lf_only=lf_only, size=size)


def _read_pieces(path: Path) -> Records | None:
    """A large deck of LF-only printable ASCII read a piece of whole lines at a time, so that
    the file's bytes and its parsed records are not held together (at 4,000,000 records, 145
    MB beside 225 MB). None (read it whole) for a file of CHUNK_BYTES or less, or one any of
    whose pieces is not plain LF-only text (a CR, a stray byte, a BOM, no LF, only blanks):
    the whole read then says what is wrong, as it always did."""
    try:
        if path.stat().st_size <= CHUNK_BYTES:
            return None
        f = path.open("rb")
    except OSError:
        return None
    frames, rest, size = [], b"", 0
    with f:
        while piece := f.read(CHUNK_BYTES):
            size += len(piece)
            data = rest + piece
            end = data.rfind(b"\n") + 1 if len(piece) == CHUNK_BYTES else len(data)
            lines, rest = memoryview(data)[:end], data[end:]
            if not frames and (data.startswith(_BOM) or data.isspace()):
                return None
            if not end or data.find(b"\r", 0, end) >= 0 or data.translate(
                    None, _PRINTABLE + b"\n"):
                return None
            frames.append(_parsed(lines))
            tail = data[max(0, end - 2):end]  # every piece but the last ends in an LF
    if rest or not frames:
        return None
    frame = pl.concat(frames, rechunk=False)
    if _one_row_too_many(tail):  # as the whole read
        frame = frame.slice(0, frame.height - 1)
    return _numbered(path, frame, "ascii", True, size)


def _number(raw: pl.Expr) -> pl.Expr:
    """Right-justified digits with leading blanks or zeros; a sign or an inner or trailing
    blank is not a number (the cast alone would take `  -12`)."""
    # An unsigned cast refuses "-" and a "+" anywhere but first: "+" is looked for in the
    # raw field, so the blanks are stripped once, for the cast.
    return pl.when(~raw.str.contains("+", literal=True)).then(
        raw.str.strip_chars_start(" ").cast(pl.UInt64, strict=False).cast(pl.Int64))


def _date(raw: pl.Expr) -> pl.Expr:
    return pl.when(raw.str.contains(r"^[0-9]{8}$")).then(
        raw.str.strptime(pl.Date, "%m%d%Y", strict=False))


def typed_expr(field: Field, raw: pl.Expr) -> pl.Expr | None:
    """Pick the decoder by field type; the decoder never names a field."""
    if field.type == "number":
        return _number(raw)
    if field.type == "date":
        return _date(raw)
    if field.type == "signed":
        return zoned.value_expr(raw, field.width, strict=False)
    return None


def decode(frame: pl.DataFrame, *layouts: Layout, source: str = "text",
           typed: bool = True) -> pl.DataFrame:
    """Add every field of `layouts` to `frame`: the raw slice `<name>`, the flag
    `<name>_blank`, and for typed fields `<name>_v`.

    The source text is padded once to the layouts' width, so every raw slice has exactly its
    field's width and a blank field is a plain comparison with blanks.
    """
    seen: set[str] = set(frame.columns)
    fields = [f for layout in layouts for f in layout.fields]
    if not typed:  # raw slices only (for printing): fields already present are left as they are
        fields = [f for f in fields if f.name not in seen]
    for f in fields:
        if f.name in seen:
            raise ValueError(f"field {f.name} collides with a column")
        seen.add(f.name)
    if not fields:
        return frame
    width = max(f.end for f in fields)
    if _at_least(frame.get_column(source), width):  # padding would copy the text for nothing
        out = frame.with_columns(pl.col(source).str.slice(f.offset, f.width).alias(f.name)
                                 for f in fields)
    else:
        padded = "__padded"
        out = frame.with_columns(pl.col(source).str.pad_end(width).alias(padded))
        out = out.with_columns(pl.col(padded).str.slice(f.offset, f.width).alias(f.name)
                               for f in fields).drop(padded)
    if not typed:
        return out
    flags = [(pl.col(f.name) == " " * f.width).alias(f"{f.name}_blank") for f in fields]
    values = [t.alias(f"{f.name}_v") for f in fields
              if (t := _typed(out.get_column(f.name), f)) is not None]
    return out.with_columns(*flags, *values)


def _at_least(text: pl.Series, width: int) -> bool:
    """Every text is at least `width` characters long (nulls aside), so that padding it to
    `width` would change none of it: the prefix's 15 columns of every record are sliced as
    they are (a part of 250,000 records: 26 to 18 ms)."""
    shortest = text.str.len_bytes().min()  # (a tenth of the time of counting characters)
    if shortest is None:
        return True
    # characters only where bytes do not say (a character is 1 to 4 bytes)
    return shortest >= 4 * width or (shortest >= width
                                     and (text.str.len_chars().min() or 0) >= width)


def _typed(raw: pl.Series, field: Field) -> pl.Series | None:
    """`typed_expr` of a field's raw slices; when they hold few distinct values (a count, a
    date, a standard), each value is decoded once and the results gathered by value (the
    Form 3926 line's three counts: 23 to 13 ms a part of 212,719 lines)."""
    expr = typed_expr(field, pl.col(raw.name))
    if expr is None:
        return None
    values = raw.unique().drop_nulls()
    if values.len() * _FEW >= raw.len():  # (no rows: none to gather)
        return raw.to_frame().select(expr).to_series()
    decoded = values.to_frame().select(expr).to_series()
    return decoded.gather(raw.cast(pl.Enum(values)).to_physical())


_FEW = 8  # distinct values at most one in `_FEW` rows: decoded once per value


def decode_file(path: Path | str, layout: Layout, encoding: str = "auto") -> pl.DataFrame:
    """A reference file (no HDR/TRL): every line decoded with one layout."""
    return decode(read_records(path, encoding, kind="reference").frame, layout)
