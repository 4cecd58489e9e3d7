"""What tests compare between two runs of the same week: every file of a run folder, every table
of the store's current generation; and a umask for the tests that check file modes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (path relative to it -> bytes), in path order."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def state_tables(data: Path) -> dict[str, pl.DataFrame]:
    """Every table of the store's current generation in data directory `data`."""
    current = (data / "state" / "current").resolve()
    return {p.name: pl.read_parquet(p) for p in sorted(current.glob("*.parquet"))}


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


def assert_same_state(data: Path, other: Path) -> None:
    """The two data directories' current generations hold the same tables, row for row."""
    mine, theirs = state_tables(data), state_tables(other)
    assert list(theirs) == list(mine)
    for name, frame in mine.items():
        assert theirs[name].equals(frame), name
