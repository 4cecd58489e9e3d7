"""Build records from field values by layout: the inverse of the decoder, and the project's
one record writer.

Tests, fixtures, the synthetic generator, the benchmarks and corrections decks all write
records this way, so every column position still comes from the layout files: `record` writes
one (strings placed as given, left-justified; integers right-justified with leading blanks, as
ISRP transcribes counts), `text`/`compose` write a million at once as polars expressions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from layouts.layout import RECORD_WIDTH, Field, Layout, load


def _layouts(layouts: Sequence[Layout] | str) -> list[Layout]:
    return [load(name) for name in layouts.split("+")] if isinstance(layouts, str) else list(
        layouts)


def _fields(layouts: Sequence[Layout] | str, names) -> list[Field]:
    chosen = _layouts(layouts)
    fields = {f.name: f for lay in chosen for f in lay.fields}
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise ValueError(f"no field {unknown[0]!r} in {[lay.record for lay in chosen]}")
    return sorted((fields[n] for n in names), key=lambda f: f.offset)


def text(layouts: Sequence[Layout] | str, values: Mapping[str, pl.Expr | str]) -> pl.Expr:
    """Records as one String expression (a row per record): each value (a String expression,
    null for blank, or a constant) placed at its field's offset, blank-padded (and cut) to
    its width; trailing blanks trimmed as transfers do. Fields not given are blank."""
    parts: list[pl.Expr] = []
    at = 0
    for f in _fields(layouts, list(values)):
        if f.offset > at:
            parts.append(pl.lit(" " * (f.offset - at)))
        value = values[f.name]
        expr = pl.lit(value) if isinstance(value, str) else value
        parts.append(expr.fill_null("").str.slice(0, f.width).str.pad_end(f.width))
        at = f.end
    return pl.concat_str(parts).str.strip_chars_end(" ") if parts else pl.lit("")


def compose(frame: pl.DataFrame, layouts: Sequence[Layout] | str, keys: Sequence[str] = ()
            ) -> pl.DataFrame:
    """`keys` plus `text`: every other column of `frame` is a field of `layouts` (String, null
    for blank); a value wider than its field raises ValueError."""
    names = [n for n in frame.columns if n not in keys]
    for f in _fields(layouts, names):
        widest = frame[f.name].str.len_chars().max()
        if widest is not None and widest > f.width:  # type: ignore[operator]
            raise ValueError(f"{f.name} holds a value wider than its {f.width} columns")
    return frame.select(*keys, text(layouts, {n: pl.col(n) for n in names}).alias("text"))


def record(layouts: list[Layout] | tuple[Layout, ...] | str, **values: str | int | None) -> str:
    """One record; unknown field names and values wider than their field raise ValueError."""
    if isinstance(layouts, str):
        layouts = [load(name) for name in layouts.split("+")]
    fields = {f.name: f for layout in layouts for f in layout.fields}
    buf = [" "] * RECORD_WIDTH
    for name, value in values.items():
        if value is None:
            continue
        if name not in fields:
            raise ValueError(f"no field {name!r} in {[lay.record for lay in layouts]}")
        f = fields[name]
        text = str(value).rjust(f.width) if isinstance(value, int) else str(value)
        if len(text) > f.width:
            raise ValueError(f"{name}={value!r} is wider than its {f.width} columns")
        buf[f.offset:f.offset + len(text)] = text
    return "".join(buf).rstrip(" ")


def deck(records: list[str], campus: str = "SC", week_ending: str = "11142026",
         created: str = "11162026", time: str = "060000", sequence: int = 1) -> str:
    """A whole deck text: HDR, the records, TRL with the right count."""
    hdr = record("hdr", record_id="HDR", campus=campus, hdr_week_ending=week_ending,
                 creation_date=created, creation_time=time, deck_sequence=f"{sequence:03d}")
    trl = record("trl", record_id="TRL", record_count=f"{len(records):07d}")
    return "\n".join([hdr, *records, trl]) + "\n"
