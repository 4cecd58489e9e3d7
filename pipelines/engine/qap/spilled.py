"""A frame the run keeps in a private Arrow IPC file instead of its memory (issue 20).

The defect-charge state, the week's charges and the Cumulative Data File's code rows grow with
the week's keys (a million at 4,000,000 lines) and were held from the posting to the end of the
run, under the posting listing's parts. Spilled, the run holds a path: the Defect Frequency
scans its scopes from the file, the cum listing and the store's generation read it back when
they write. The files are written in LZ4-compressed record batches (`BATCH_ROWS`): read back,
an uncompressed file is held whole beside the frame made of it (twice the frame's size at a
million rows), a compressed one a batch at a time. Read back whole it is the frame, in one chunk
(the store's Parquet row groups follow the chunks, so a table written from it has the same
bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.state import private

BATCH_ROWS = 65_536  # rows of a record batch of the file


@dataclass(frozen=True)
class Spilled:
    """A frame of `height` rows of `schema` in Arrow IPC files (0600, their folder 0700):
    one file, or, cut `by` a column the frame is sorted by first, one file per value of it
    (`values`, ascending), so that the rows of one value are read alone (`where`)."""

    paths: tuple[Path, ...]
    height: int
    schema: pl.Schema
    by: str | None = None
    values: tuple = ()
    files: tuple[int, ...] = ()  # how many of `paths` each value has, in order

    def of_value(self, value: object) -> tuple[Path, ...]:
        """The files of the rows whose `by` column is `value`."""
        at = self.values.index(value)
        start = sum(self.files[:at])
        return self.paths[start:start + self.files[at]]

    @classmethod
    def of(cls, frame: pl.DataFrame, path: Path, by: str | None = None) -> Spilled:
        """`frame` written to `path` (owner-only whatever the umask), or with `by` to
        `path`'s name followed by each value (`<stem>-<value>.arrow`)."""
        private.folder(path.parent)
        if by is None:
            pieces = [(path, frame)]
            values: tuple = ()
        else:
            runs = frame.select(pl.col(by).rle()).unnest(by)  # one run per value: sorted
            values = tuple(runs["value"].to_list())
            if len(set(values)) != len(values):
                raise ValueError(f"spilled frame {path.name}: not sorted by {by}")
            starts = [0, *runs["len"].cum_sum().to_list()]
            pieces = [(path.with_name(f"{path.stem}-{value}{path.suffix}"),
                       frame.slice(start, end - start))
                      for value, start, end in zip(values, starts, starts[1:], strict=False)]
        for piece_path, piece in pieces:
            piece.write_ipc(piece_path, compression="lz4", record_batch_size=BATCH_ROWS)
            private.file(piece_path)
        return cls(tuple(p for p, _ in pieces), frame.height, frame.schema, by, values,
                   (1,) * len(values))

    def lazy(self) -> pl.LazyFrame:
        """The frame as a scan: a filter reads the files a record batch at a time."""
        if not self.paths:
            return pl.LazyFrame(schema=self.schema)
        return pl.scan_ipc(list(self.paths))

    def read(self) -> pl.DataFrame:
        """The frame itself, in one chunk."""
        return self.lazy().collect().rechunk()

    def drop(self) -> None:
        """Remove the files (the run is done with them)."""
        for path in self.paths:
            path.unlink(missing_ok=True)


class Writer:
    """A `Spilled` cut `by` a column, written a frame at a time (each one file per value it
    holds), so that the whole frame is never held (issue 20: a week's charges at 4,000,000
    lines are 110 MiB). The frames come in the column's order; read back, the rows are the
    ones `Spilled.of` of their concat would keep, in the same order."""

    def __init__(self, path: Path, by: str) -> None:
        private.folder(path.parent)
        self.path, self.by = path, by
        self.paths: list[Path] = []
        self.values: list = []
        self.files: list[int] = []
        self.height, self.schema = 0, pl.Schema()

    def add(self, frame: pl.DataFrame) -> None:
        self.schema = frame.schema
        runs = frame.select(pl.col(self.by).rle()).unnest(self.by)
        at = 0
        for value, length in zip(runs["value"].to_list(), runs["len"].to_list(), strict=True):
            if not self.values or value != self.values[-1]:
                if value in self.values:
                    raise ValueError(f"spilled frame {self.path.name}: not sorted by {self.by}")
                self.values.append(value)
                self.files.append(0)
            path = self.path.with_name(
                f"{self.path.stem}-{value}-{self.files[-1]:05d}{self.path.suffix}")
            frame.slice(at, length).write_ipc(path, compression="lz4",
                                              record_batch_size=BATCH_ROWS)
            private.file(path)
            self.paths.append(path)
            self.files[-1] += 1
            at += length
        self.height += frame.height

    def done(self) -> Spilled:
        return Spilled(tuple(self.paths), self.height, self.schema, self.by,
                       tuple(self.values), tuple(self.files))

    def abandon(self) -> None:
        """Remove what was written (the frames turned out unfit)."""
        for path in self.paths:
            path.unlink(missing_ok=True)


Frame = pl.DataFrame | Spilled


def lazy(frame: Frame) -> pl.LazyFrame:
    """A frame or a spilled one as a LazyFrame."""
    return frame.lazy()


def read(frame: Frame) -> pl.DataFrame:
    """A frame, or a spilled one read back."""
    return frame.read() if isinstance(frame, Spilled) else frame


def where(frame: Frame, column: str, value: object) -> pl.LazyFrame:
    """The rows of `frame` whose `column` is `value`: of a frame spilled by that column, its
    file for the value alone (no filter, no copy), else a filter."""
    if isinstance(frame, Spilled) and frame.by == column:
        if value not in frame.values:
            return pl.LazyFrame(schema=frame.schema)
        return pl.scan_ipc(list(frame.of_value(value)))
    return lazy(frame).filter(pl.col(column) == pl.lit(value, frame.schema[column]))
