"""Column specs for the individual data reports: one list of columns gives both the column-head
line and the detail-line expression, so heads and figures can never drift apart."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.reports.printing import field


@dataclass(frozen=True)
class Col:
    head: str
    value: pl.Expr | str  # a column name or an expression
    width: int
    align: str = "left"
    gap: int = 1  # blanks before the column (ignored for the first one)


def head_line(cols: list[Col], indent: int = 0) -> str:
    parts = [" " * indent]
    for i, c in enumerate(cols):
        if i:
            parts.append(" " * c.gap)
        parts.append(c.head.ljust(c.width) if c.align == "left" else c.head.rjust(c.width))
    return "".join(parts).rstrip()


def line_expr(cols: list[Col], indent: int = 0) -> pl.Expr:
    parts: list[pl.Expr] = [pl.lit(" " * indent)]
    for i, c in enumerate(cols):
        if i:
            parts.append(pl.lit(" " * c.gap))
        parts.append(field(c.value, c.width, c.align))
    return pl.concat_str(parts).str.strip_chars_end(" ")


def position(cols: list[Col], index: int, indent: int = 0) -> int:
    """0-based print position where column number `index` starts."""
    pos = indent
    for i, c in enumerate(cols):
        pos += c.gap if i else 0
        if i == index:
            return pos
        pos += c.width
    raise IndexError(index)


def offset(cols: list[Col], name: str, indent: int = 0) -> int:
    """0-based print position where the (first) column headed `name` starts."""
    return position(cols, [c.head for c in cols].index(name), indent)
