"""Owner-only files whatever the umask: the state, the run folders, the flow's weeks/ folders,
archived, refused and corrections decks all hold whole SSNs or record text.

A run, a flow and every operator command write under a 077 umask, so what they create is 0600
(files) in 0700 folders; what they move or copy in from elsewhere (a deck from the inbox) and
folders of the data directory made before (by an older version, or by hand) are set so
explicitly."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FILE_MODE, DIR_MODE = 0o600, 0o700
UMASK = 0o077


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Create files owner-only inside the block; the caller's umask comes back after it."""
    before = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(before)


def folder(path: Path) -> Path:
    """`path` made (with any missing parents) and set to 0700."""
    path = Path(path)
    with owner_only():
        path.mkdir(parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


class LinkedFolder(OSError):
    """A folder of the data directory is a symbolic link: nothing is written, moved or set
    through it (it would lead outside the data directory)."""


def folder_in(data_dir: Path, folder: Path) -> Path:
    """`folder`, inside `data_dir`, made where missing and set to 0700 from the data
    directory down, refusing (LinkedFolder) a link at any of those folders: a planted link
    took a deck moved to archive/<batch> and the chmod after it outside the data directory
    (review 18s, F3), and a corrections deck written to corrections/ (F1)."""
    base = Path(data_dir)
    here = base
    for part in Path(folder).relative_to(base).parts:
        here = here / part
        if here.is_symlink():
            raise LinkedFolder(f"{here} is a symbolic link; the data directory's own folders "
                               "must not be links (someone planted it?): nothing was written "
                               "or moved through it. Remove the link, check where it points, "
                               "and run again")
        with owner_only():
            here.mkdir(exist_ok=True)
        here.chmod(DIR_MODE)
    return here


def inside(data_dir: Path, path: Path) -> bool:
    """`path` is in the data directory (by their absolute paths, links not resolved)."""
    return Path(data_dir).absolute() in Path(path).absolute().parents


def file(path: Path) -> Path:
    """A file brought in from elsewhere (moved or copied) set to 0600. A link is left as it
    is: chmod would go through it to a file that is not the data directory's."""
    if not Path(path).is_symlink():
        Path(path).chmod(FILE_MODE)
    return path


# The folders of a data directory that hold record text (state, run folders, decks)
FOLDERS = ("state", "state/generations", "runs", "refused", "weeks", "archive",
           "corrections")


def tighten(data_dir: Path) -> None:
    """Set the data directory's own folders that exist to 0700 (made by an older version, or
    under a looser umask); links are not followed (`layout` refuses them)."""
    for name in FOLDERS:
        path = Path(data_dir) / name
        if path.is_dir() and not path.is_symlink():
            path.chmod(DIR_MODE)
