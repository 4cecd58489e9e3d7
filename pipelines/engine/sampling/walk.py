"""Walking a table of random numbers (IRM 3.30.28.2.2.2(8)-(10)).

The pencil rests on a start cell; the first number taken is the next cell in the chosen
direction, and so on until the day's sample is found. Numbers outside 1..batch size are
skipped, a number already taken is ignored, and the numbers are pulled in numerical order. The
cell of the last number taken is the stop point: the next day's walk puts the pencil there.

Our reading of the table's edges: moving down a column, the walk goes on at the top of the next
column to the right (after column 20, column 1); up, at the bottom of the next column to the
left; right along a row, at the start of the next row down (after row 40, row 1); left, at the
end of the row above. A walk that has read every cell once without finding the sample stops
short there (a small batch whose numbers the table lacks); the caller is told how many it found.

>>> from pipelines.engine.sampling.random_tables import load
>>> w = walk(load(2), Cell(6, 7), "down", 6, 100)
>>> w.pulled, w.stop
((19, 48, 51, 53, 75, 82), Cell(row=12, column=7))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pipelines.engine.sampling.random_tables import Table

DIRECTIONS = ("down", "up", "right", "left")


class Cell(NamedTuple):
    row: int
    column: int

    def __str__(self) -> str:
        return f"ROW {self.row} COLUMN {self.column}"


@dataclass(frozen=True)
class Walk:
    """One walk: the numbers as read (`drawn`), the items to pull sorted, where it stopped."""

    table: str
    start: Cell
    direction: str
    drawn: tuple[int, ...]
    stop: Cell
    cells_read: int

    @property
    def pulled(self) -> tuple[int, ...]:
        return tuple(sorted(self.drawn))


def step(cell: Cell, direction: str, rows: int, columns: int) -> Cell:
    """The next cell from `cell` in `direction` (edges as the module docstring says)."""
    row, column = cell
    if direction == "down":
        return Cell(row + 1, column) if row < rows else Cell(1, column % columns + 1)
    if direction == "up":
        return Cell(row - 1, column) if row > 1 else Cell(rows, (column - 2) % columns + 1)
    if direction == "right":
        return Cell(row, column + 1) if column < columns else Cell(row % rows + 1, 1)
    if direction == "left":
        return Cell(row, column - 1) if column > 1 else Cell((row - 2) % rows + 1, columns)
    raise ValueError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")


def check_start(table: Table, start: Cell, direction: str) -> None:
    """Raise ValueError naming what is wrong with a start point or direction."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if not 1 <= start.row <= table.rows:
        raise ValueError(f"row {start.row} is not on the table (rows 1-{table.rows})")
    if not 1 <= start.column <= table.columns:
        raise ValueError(f"column {start.column} is not on the table "
                         f"(columns 1-{table.columns})")


def walk(table: Table, start: Cell, direction: str, count: int, batch_size: int) -> Walk:
    """Take `count` distinct items of 1..`batch_size` from `table`, pencil on `start`."""
    check_start(table, start, direction)
    want = min(count, batch_size)
    taken: list[int] = []
    seen: set[int] = set()
    cell, stop, read = start, start, 0
    limit = table.rows * table.columns
    while len(taken) < want and read < limit:
        cell = step(cell, direction, table.rows, table.columns)
        read += 1
        item = table.item(table.cell(*cell))
        if item <= batch_size and item not in seen:
            seen.add(item)
            taken.append(item)
            stop = cell
    if len(taken) < want:
        stop = cell  # read the whole table: the next walk goes on from where this one ended
    return Walk(table.name, start, direction, tuple(taken), stop, read)
