"""A frame the run keeps in a private Arrow IPC file instead of its memory (issue 20).

The defect-charge state, the week's charges and the Cumulative Data File's code rows grow with
the week's keys (a million at 4,000,000 lines) and were held from the posting to the end of the
run, under the posting listing's parts. Spilled, the run holds a path: the Defect Frequency
scans its scopes from the file, the cum listing and the store's generation read it back when
they write. The file is written in record batches (`BATCH_ROWS`), so a filtered scan reads a
batch at a time; read back whole it is the frame, in one chunk (the store's Parquet row groups
follow the chunks, so a table written from it has the same bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.state import private

BATCH_ROWS = 65_536  # rows of a record batch of the file


@dataclass(frozen=True)
class Spilled:
    """A frame in the Arrow IPC file at `path` (0600, its folder 0700): `height` rows of
    `schema`."""

    path: Path
    height: int
    schema: pl.Schema

    @classmethod
    def of(cls, frame: pl.DataFrame, path: Path) -> Spilled:
        """`frame` written to `path` (owner-only whatever the umask)."""
        private.folder(path.parent)
        frame.write_ipc(path, compression="uncompressed", record_batch_size=BATCH_ROWS)
        private.file(path)
        return cls(path, frame.height, frame.schema)

    def lazy(self) -> pl.LazyFrame:
        """The frame as a scan: a filter reads the file a record batch at a time."""
        return pl.scan_ipc(self.path)

    def read(self) -> pl.DataFrame:
        """The frame itself, in one chunk."""
        return pl.read_ipc(self.path).rechunk()

    def drop(self) -> None:
        """Remove the file (the run is done with it)."""
        self.path.unlink(missing_ok=True)


Frame = pl.DataFrame | Spilled


def lazy(frame: Frame) -> pl.LazyFrame:
    """A frame or a spilled one as a LazyFrame."""
    return frame.lazy()


def read(frame: Frame) -> pl.DataFrame:
    """A frame, or a spilled one read back."""
    return frame.read() if isinstance(frame, Spilled) else frame
