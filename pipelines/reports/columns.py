"""Column specs for the individual data reports: one list of columns gives both the column-head
line and the detail-line expression, so heads and figures can never drift apart.

Two ways to lay out the detail lines of a frame:

* `line_expr(cols)` -- one expression, every cell through `printing.field` (cast, blanks for
  null, cut to the width, pad). Use it on small frames.
* `lines(frame, cols)` -- the same text, faster on large frames: it evaluates each cell once,
  looks at what it got (nulls? shortest and longest value?) and only then adds what the cell
  still needs. A String column already exactly its width and never null goes into the line as
  it is; one never longer than its width is padded only; only a cell that can be too long is
  cut. A cell that is a function of one integer column of few distinct numbers (a count, a
  share in hundredths) is laid out once per number and gathered (`_by_value`). The line is one
  plain `pl.concat_str`, with neighbouring literal gaps merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.reports.printing import field


@dataclass(frozen=True)
class Col:
    head: str
    value: pl.Expr | str  # a column name, or an expression of the row's own values
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


def _value(c: Col) -> pl.Expr:
    return pl.col(c.value) if isinstance(c.value, str) else c.value


def _cell(name: str, c: Col, nulls: int, shortest: int | None, longest: int | None
          ) -> pl.Expr | None:
    """The cheapest expression that prints column `name` (a String) as `field` would; None
    when the column is all null (the cell is then blanks)."""
    if longest is None:
        return None
    e = pl.col(name)
    if nulls:
        e = e.fill_null("")
    if longest > c.width:
        e = e.str.slice(0, c.width)
    elif not nulls and shortest == c.width:
        return e
    return e.str.pad_end(c.width) if c.align == "left" else e.str.pad_start(c.width)


def _lengths(values: pl.DataFrame, widths: dict[str, int]) -> dict[str, int | None]:
    """Nulls, shortest and longest value (in characters) of each String column of `values`,
    as `_cell` reads them (`<name>.nulls`, `.min`, `.max`). Lengths in bytes first: a column
    whose longest is under its width in bytes is so in characters, and `_cell` then pads it
    whatever the exact lengths; only a column as wide as its width or wider in bytes is
    measured in characters (counting characters costs six times counting bytes)."""
    if not widths:
        return {}
    stats = values.select(*[s for n in widths for s in (
        pl.col(n).null_count().alias(f"{n}.nulls"),
        pl.col(n).str.len_bytes().min().alias(f"{n}.min"),
        pl.col(n).str.len_bytes().max().alias(f"{n}.max"))]).row(0, named=True)
    wide = [n for n, w in widths.items() if stats[f"{n}.max"] is not None
            and stats[f"{n}.max"] >= w]
    if wide:
        stats |= values.select(*[s for n in wide for s in (
            pl.col(n).str.len_chars().min().alias(f"{n}.min"),
            pl.col(n).str.len_chars().max().alias(f"{n}.max"))]).row(0, named=True)
    return stats


BY_VALUE_ROWS = 10_000


def _by_value(frame: pl.DataFrame, c: Col) -> pl.Series | None:
    """The printed cell (`field`) of every row of `frame`, when the value is a function of one
    integer column whose numbers span fewer values than the frame has rows: each number (and
    null) is laid out once and the cells gathered by number, instead of casting and padding
    every row (a count or share of the Defect Frequency's 544,232 rows: 23-37 ms to 3 ms).
    None when that does not apply, or for a frame under `BY_VALUE_ROWS` rows, whose cells
    cost less than the table's own few steps (0.2 ms a column)."""
    if frame.height < BY_VALUE_ROWS:
        return None
    value = _value(c)
    roots = sorted(set(value.meta.root_names()))
    if len(roots) != 1 or roots[0] not in frame.columns:
        return None
    column = frame.get_column(roots[0])
    if not column.dtype.is_integer():
        return None
    lo, hi = column.min(), column.max()
    if lo is None or hi - lo >= frame.height:
        return None
    numbers = pl.int_range(lo, hi + 1, dtype=column.dtype, eager=True).append(
        pl.Series([None], dtype=column.dtype))
    table = pl.DataFrame({column.name: numbers}).select(field(value, c.width, c.align))
    # one chunk: a gather from a table in two chunks takes six times as long
    return table.to_series().rechunk().gather((column - lo).fill_null(hi - lo + 1))


def lines(frame: pl.DataFrame, cols: list[Col], indent: int = 0, *,
          strip: bool = True) -> pl.Series:
    """Detail line of every row of `frame` (a String Series named `line`), the same text as
    `frame.select(line_expr(cols, indent))`. With `strip=False` trailing blanks are kept
    (`printing.paginate` strips them anyway)."""
    names = [f"_cell{i}" for i in range(len(cols))]
    tabled = {n: cell for c, n in zip(cols, names, strict=True)
              if (cell := _by_value(frame, c)) is not None}  # printed cells already
    # with_columns, not select: a literal cell still gets one value per row
    values = frame.with_columns([tabled[n].alias(n) if n in tabled else
                                 _value(c).cast(pl.String).alias(n)
                                 for c, n in zip(cols, names, strict=True)]).select(names)
    stats = _lengths(values, {n: c.width for c, n in zip(cols, names, strict=True)
                              if n not in tabled})
    parts: list[pl.Expr | str] = [" " * indent]
    for i, (c, n) in enumerate(zip(cols, names, strict=True)):
        if i:
            parts.append(" " * c.gap)
        cell = pl.col(n) if n in tabled else _cell(n, c, stats[f"{n}.nulls"],
                                                   stats[f"{n}.min"], stats[f"{n}.max"])
        parts.append(" " * c.width if cell is None else cell)
    merged: list[pl.Expr] = []
    text = ""
    for p in parts:
        if isinstance(p, str):
            text += p
            continue
        if text:
            merged.append(pl.lit(text))
            text = ""
        merged.append(p)
    if text:
        merged.append(pl.lit(text))
    if all(isinstance(p, str) for p in parts):  # every cell blank: a literal line per row
        line = pl.repeat(pl.lit("".join(parts)), pl.len(), dtype=pl.String)
    else:
        line = pl.concat_str(merged)
    if strip:
        line = line.str.strip_chars_end(" ")
    return values.select(line.alias("line")).to_series()
