"""Build records from field values by layout: the inverse of the decoder.

Tests, fixtures, the synthetic generator and corrections decks all write records this way, so
every column position still comes from the layout files. Strings are placed as given (left-
justified); integers right-justified with leading blanks, as ISRP transcribes counts.
"""

from __future__ import annotations

from layouts.layout import RECORD_WIDTH, Layout, load


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
