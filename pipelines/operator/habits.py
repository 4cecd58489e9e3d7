"""What scripts and careful operators expect of a command line (issue 19 item 7), besides
`--version` (version.py): one JSON document instead of the text (`run`, `register`,
`history`), the register's filters, and the dry run's scratch copy of a data directory.

A JSON document carries the figures the text shows, from the same objects (the run's result,
the store's manifests, the register's rows); it is made here so that the text and the engine
stay as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.operator.data_dir import has_store
from pipelines.state import private
from validators.codes import runs_named

if TYPE_CHECKING:  # polars and the store load where used, not when `qap` starts
    import polars as pl

    from pipelines.engine.machinery.result import RunResult

def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def run_document(result: RunResult, notes: list[str], dry_run: bool = False) -> dict[str, Any]:
    """The summary's figures: decks, codes per run, conservation, register, reports, code."""
    from pipelines.engine.machinery.conditions import MEANING

    printed = [p for p in result.outputs.values() if p.suffix == ".txt"]
    return {
        "run_id": result.run_id, "run_date": result.run_date, "week_ending": result.week_ending,
        "dry_run": dry_run, "published": not dry_run and result.generation is not None,
        "generation": None if dry_run else result.generation,
        "decks": [{"deck": d.path, "status": d.status,
                   "records": d.records if d.counted else None,
                   "posted": d.posted, "rejected": d.rejected, "reason": d.reason or None,
                   "identity": d.identity or None} for d in result.decks],
        "error_codes": {run: dict(sorted(c.items())) for run, c in result.codes.items()},
        "warnings": result.warnings,
        "conservation": {"records_in": result.records_in, "posted": result.posted,
                         "on_a_register": result.rejected,
                         "holds": result.records_in == result.posted + result.rejected,
                         "held_back": result.held_back,
                         "refused_decks": len(result.refused_decks)},
        "corrected": result.corrected, "resubmitted": result.resubmitted,
        "still_open": result.still_open, "notes": [*result.notes, *notes],
        "run_dir": result.run_dir,
        "reports": [p.name for p in printed],
        "condition_code": result.condition_code,
        "meaning": MEANING[result.condition_code],
    }


def what(manifest: dict) -> str:
    """What a generation did, as `qap history` lists it: its figures, after "reprocess:" for
    a reprocess run (its note says so), so that it is told from a weekly run (review 19,
    F10); or its note (a withdrawal, a rollback)."""
    from pipelines.state.store import counts

    note, figures = manifest.get("note") or "", counts(manifest)
    if figures and note.startswith("reprocess run "):
        return f"reprocess: {figures}"
    return figures or note


def history_document(data_dir: Path, generations: list[dict]) -> dict[str, Any]:
    """Each published generation as the text lists it, with its recorded figures whole."""
    return {"data_dir": str(data_dir), "generations": [
        {"generation": m["generation"], "published": m["created"], "run_id": m["run_id"],
         "what": what(m), "note": m.get("note") or None,
         "figures": m.get("extra") or {},
         "tables": {t: info["rows"] for t, info in m.get("tables", {}).items()}}
        for m in generations]}


def filter_register(entries: pl.DataFrame, run_id: str | None, deck: str | None,
                    code: str | None) -> pl.DataFrame:
    """Entries of one run id (or of one register: `qap register` lists each entry's, such
    as PCE-03-41 or SAMPLING), one deck (file name, or its path), with one error code."""
    import polars as pl

    if entries.height == 0:
        return entries
    if run_id is not None:
        registers = set(entries["run"].unique().to_list())
        entries = entries.filter(pl.col("run") == run_id.upper() if run_id.upper() in registers
                                 else pl.col("run_id") == run_id)
    if deck is not None:
        entries = entries.filter(pl.col("deck") == Path(deck).name)
    if code is not None:  # 14, T02, or a run's code as `qap explain` takes it: 3927:05
        form, _, code = code.rpartition(":")
        wanted = code.upper() if code[:1].isalpha() else code.zfill(2)
        entries = entries.filter(pl.col("error_codes").list.contains(wanted))
        if form:
            entries = entries.filter(pl.col("run").is_in(runs_named(form) or [form.upper()]))
    return entries


def register_document(data_dir: Path, as_of: dt.date, rows: pl.DataFrame,
                      filters: dict[str, Any]) -> dict[str, Any]:
    """The listed entries (SSN masked, as printed) with the filters that chose them."""
    keep = ["status", "opened", "closed", "closed_by", "age_days", "run_id", "run", "deck",
            "line_no", "control_number", "ssn", "error_codes", "sub_reason", "reason",
            "deck_week_ending", "beside"]
    entries = rows.select([c for c in keep if c in rows.columns]).to_dicts() if rows.height \
        else []
    return {"data_dir": str(data_dir), "as_of": as_of, "filters": filters,
            "entries": len(entries),
            "open": sum(1 for e in entries if e.get("status") == "open"),
            "listed": entries}


# ----------------------------------------------------------------------------- dry run


def _scratch_folder(data_dir: Path, given: Path | None) -> Path:
    """An empty owner-only folder: `given` (made, or empty), else a new one beside the data
    directory (the same file system, so the state is linked, not copied), else in /tmp."""
    from pipelines.state.store import StoreError

    with private.owner_only():
        if given is not None:
            if given.exists() and not given.is_dir():
                raise StoreError(f"scratch folder {given} is a file; give a new or empty folder")
            if given.exists() and any(given.iterdir()):
                raise StoreError(f"scratch folder {given} is not empty; give a new or empty one")
            given.mkdir(parents=True, exist_ok=True)
            private.folder(given)
            return given
        parent = Path(data_dir).absolute().parent
        where = parent if os.access(parent, os.W_OK | os.X_OK) else None
        return Path(tempfile.mkdtemp(prefix=f"{Path(data_dir).name}-dry-run-", dir=where))


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def drop_scratch(made: Path | None, given: Path | None, how: str = "interrupted") -> str:
    """After a dry run was interrupted (or `how`: stopped by a failure): the scratch copy it
    made (`made`; None: none yet) is removed, as nothing in it is whole, unless it is the
    folder the operator named (--scratch, `given`), which is left. Returns the line that says
    which (review 14, F7; check of session 16, P9)."""
    if given is not None:
        return f"qap: the dry run's scratch folder {given} is left as the stop found it"
    if made is None:
        return f"qap: the {how} dry run left no scratch copy"
    shutil.rmtree(made, ignore_errors=True)
    return f"qap: the {how} dry run's scratch copy was removed: {made}"


def scratch_copy(data_dir: Path, given: Path | None = None) -> Path:
    """A data directory in a scratch folder whose store has the same published generations
    (so the run gets the same run id, the same duplicates and the same register) and nothing
    else: a run there posts to the copy, prints its reports there, and the real data
    directory is never written."""
    scratch = _scratch_folder(data_dir, given)
    try:
        _copy_state(data_dir, scratch)
    except BaseException:  # a copy cut short (Ctrl-C, a full disk) is not left behind
        if given is None:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    return scratch


def _copy_state(data_dir: Path, scratch: Path) -> None:
    """The published generations of `data_dir`'s store, linked (or copied) into `scratch`."""
    from pipelines.state.store import PUBLISHED, Store

    if not has_store(data_dir):
        return
    store = Store(data_dir)
    store.check_current()
    copy = Store(scratch)
    with private.owner_only():
        for manifest in store.history():
            name = f"{manifest['generation']:06d}"
            source, target = store.generations_dir / name, copy.generations_dir / name
            target.mkdir(parents=True)
            for item in source.iterdir():
                _link_or_copy(item, target / item.name)
        for folder in (copy.state_dir, copy.generations_dir, *copy.generations_dir.iterdir()):
            private.folder(folder)
        if (store.state_dir / PUBLISHED).exists():  # a store older than the note has none
            shutil.copyfile(store.state_dir / PUBLISHED, copy.state_dir / PUBLISHED)
        current = Path(os.readlink(store.current_link)).name
        os.symlink(Path("state") / "generations" / current, copy.current_link)
    copy.check_current()
