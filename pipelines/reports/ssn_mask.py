"""SSNs of Forms 3081 and 6489 keyed under another form's program number.

A report prints the fields of the layout its program number names; a Form 3081 or 6489 keyed
with the wrong program (59703, say) would print its SSN as a defect code or a description. The
format code (columns 6-8) still says which form the record is, so every printed field that is
cut from the SSN's columns of such a record is cut from a masked copy of the text instead:
only the SSN's last four digits may reach paper (style.md; docs/decisions.md, "SSNs of a
record keyed under another program").
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from layouts import layout
from layouts.layout import Field

PREFIX = layout.load("prefix")
# format code -> the SSN field of that form's layout
SSN_FIELDS = {"073": layout.load("form3081").field("ssn"),
              "060": layout.load("form6489").field("ssn")}
SHOWN = 4  # the last four digits may print


def _format(source: str) -> pl.Expr:
    f = PREFIX.field("format_code")
    return pl.col(source).str.slice(f.offset, f.width)


def masked_text(source: str = "text") -> pl.Expr:
    """The record text with its SSN masked (all but the last four columns X) when its format
    code is a Form 3081's or 6489's; any other record as it is."""
    text = pl.col(source)
    out: pl.Expr | None = None
    for code, ssn in SSN_FIELDS.items():
        hidden = ssn.width - SHOWN
        padded = text.str.pad_end(ssn.end)
        masked = pl.concat_str([padded.str.slice(0, ssn.offset), pl.lit("X" * hidden),
                                padded.str.slice(ssn.offset + hidden)])
        hit = _format(source) == code
        out = pl.when(hit).then(masked) if out is None else out.when(hit).then(masked)
    assert out is not None
    return out.otherwise(text)


def _overlaps(a: Field, b: Field) -> bool:
    return a.start <= b.end and b.start <= a.end


def mask_fields(rows: pl.DataFrame, fields: Mapping[str, Field], source: str = "text",
                where: pl.Expr | None = None) -> pl.DataFrame:
    """`rows` with each column of `fields` (column -> the layout field it was cut from
    `source`) re-cut from the masked text where the record is a Form 3081 or 6489 and the
    field covers its SSN; `where` limits which rows were cut with that layout."""
    if source not in rows.columns or rows.height == 0:
        return rows
    text = masked_text(source)
    columns = []
    for name, f in fields.items():
        if name not in rows.columns or rows.schema[name] != pl.String:
            continue
        expr = pl.col(name)
        for code, ssn in SSN_FIELDS.items():
            if _overlaps(f, ssn):
                hit = _format(source) == code
                if where is not None:
                    hit = hit & where
                expr = pl.when(hit).then(text.str.slice(f.offset, f.width)).otherwise(expr)
        columns.append(expr.alias(name))
    return rows.with_columns(columns) if columns else rows
