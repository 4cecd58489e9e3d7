"""Whether a failed write comes of a full file system: said once, for the store's own writes and
for the commands' last-resort messages (`pipelines.engine.machinery.conditions.unforeseen`)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

_NO_SPACE = ("No space left on device", "os error 28", "Disk quota exceeded", "os error 122")
_NEARLY_FULL = 4 << 20  # bytes free under which an unforeseen write error is the full disk


def no_space(err: BaseException, where: Path | None = None) -> str | None:
    """How full the file system is, when `err` comes of a full one: said so by the error, or
    an error of a write with under 4 MiB left on `where`'s file system (a Parquet file cut
    short by a full disk is read back as "Invalid thrift"); else None."""
    free = None
    if where is not None:
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(_existing(where)).free
    said = any(mark in str(err) for mark in _NO_SPACE) or getattr(err, "errno", None) in (28, 122)
    if not said and (free is None or free >= _NEARLY_FULL):
        return None
    on = f"the file system of {where}" if where is not None else "the file system"
    return f"{on} is full" + (f" ({free // 1024:,} KiB free)" if free is not None else "")


def _existing(path: Path) -> Path:
    """`path`, or its nearest folder that exists (a new data directory is not made yet)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
