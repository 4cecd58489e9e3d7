"""A run's folder of reports (`runs/<run id>`): written as `runs/<run id>.partial` and renamed
once the run's generation is published, so a folder under its run id always holds the whole
output of a published run. A crash or a failed run leaves only a `.partial` folder, which the
next run tidies away before it starts."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from pipelines.state import private

PARTIAL = ".partial"
RUN_ID = re.compile(r"^\d{8}\.\d{2}$")  # a weekly or reprocess run's id: YYYYMMDD.NN


def private_dir(folder: Path) -> None:
    """Owner-only (0700): a run folder's Parquet files and a refused deck hold whole SSNs,
    which the printed reports (0600) mask."""
    private.folder(folder)


def start(runs: Path, run_id: str) -> Path:
    """The empty working folder of run `run_id` (after `tidy`, none is left from before)."""
    work = runs / f"{run_id}{PARTIAL}"
    _remove(work)
    private_dir(work)
    return work


def publish(work: Path) -> Path:
    """Give a published run's working folder its run id; returns the new path."""
    final = work.with_name(work.name.removesuffix(PARTIAL))
    if final.is_symlink() or final.is_file():  # planted: never renamed onto or through
        final.unlink()
    os.replace(work, final)
    fd = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return final


def _remove(path: Path) -> None:
    """Remove what is at `path`: a link or file itself (never what a link points at), or a
    folder with its contents."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def tidy(runs: Path, published: set[str]) -> list[str]:
    """Settle what interrupted runs left in `runs`, with a note for each. A working folder
    whose run was published (the stop fell between the commit and the rename) gets its run
    id. Any other working folder, and a run-id folder of a run never published (left by a
    version that wrote there directly), is removed: nothing of that run posted, and its decks
    are still where the operator put them. Folders not named for a run are left alone."""
    notes: list[str] = []
    if not runs.is_dir():
        return notes
    for link in sorted(p for p in runs.iterdir() if p.is_symlink()):
        if RUN_ID.match(link.name.removesuffix(PARTIAL)):
            link.unlink()
            notes.append(f"removed {link}: a link where a run's folder goes (planted?); "
                         "nothing it pointed at was touched")
    for folder in sorted(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink()):
        working = folder.name.endswith(PARTIAL)
        run_id = folder.name.removesuffix(PARTIAL)
        if not RUN_ID.match(run_id) or (run_id in published and not working):
            continue
        if run_id in published and not (runs / run_id).exists():
            publish(folder)
            notes.append(f"the reports of run {run_id}, published before a stop, were "
                         f"moved to {runs / run_id}")
            continue
        shutil.rmtree(folder)
        notes.append(f"removed {folder}: reports of a run that stopped before its state was "
                     "published (nothing of it posted; its decks can be run again)")
    return notes
