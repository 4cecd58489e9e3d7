"""Frames kept for the rest of a run, with strings of their own.

Polars cuts and filters strings without copying them: a field sliced from a record's text
(`layouts.decoder.decode`), or a few rows filtered from a part of 250,000 records, still holds
the whole text it came from. A frame of the few rejected records of each part, kept until
the run ends, would so keep every part's text alive (150 MiB at 4,000,000 records).
"""

from __future__ import annotations

import polars as pl


def compact(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with each string column copied out (the Arrow round trip writes every string
    into a buffer of its own): the same values and types, none of the text it was cut from."""
    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not strings or frame.height == 0:
        return frame
    copied = pl.from_arrow(frame.select(strings).to_arrow())
    assert isinstance(copied, pl.DataFrame)
    return frame.with_columns(copied.get_columns())
