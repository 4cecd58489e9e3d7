"""The inbox, the archive and the run folder per week: what the Prefect flows (flows.py) wire
around the engine. Nothing here validates or posts a record; that is `pipelines.engine.qap.weekly`.

Layout under the data directory (docs/operations.md tells the operator's side)::

    inbox/                   decks waiting for the weekly flow (dot files, *.part, *.tmp ignored)
    corrections/             corrected decks waiting for the reprocess flow
    archive/<batch>/         decks that were accepted (posted), moved here after the run
    refused/                 decks refused by control or as duplicates, moved here after the run
    weeks/<batch>/           the run folder of one flow run ("batch"), <batch> = week ending
                             (YYYY-MM-DD), "-reprocess" for the reprocess flow, ".N" for a later
                             batch of the same week:
        inputs.json          every deck: sha256 and size of the file, HDR identity, content hash
        inputs.sha256        the same hashes for `sha256sum -c` (run it in archive/<batch>/)
        steps.json           each step's condition code, status, attempt and times
        flow.log             the flow's log (progress of the engine included)
        summary.txt          the one-screen summary
        reports/             the run's printed registers and listings (hard links to runs/<id>/)

A batch is unfinished until its last step (archive) completes. The next flow run of the same
kind resumes the unfinished batch instead of opening a new one, and skips its completed steps,
so a rerun after a failure never posts a deck twice (and the engine refuses a deck it has
already posted in any case).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.engine.machinery import intake, names
from pipelines.engine.machinery.deck import DeckFault, DeckRefused, open_deck
from pipelines.engine.machinery.result import RunResult
from pipelines.state import private
from pipelines.state.store import Store, StoreBusy, StoreError, check_folders, sha256_file

INBOX, CORRECTIONS, ARCHIVE, REFUSED, WEEKS = "inbox", "corrections", "archive", "refused", "weeks"
WEEKLY, REPROCESS = "weekly", "reprocess"
IGNORED_SUFFIXES = (".part", ".tmp", ".partial")
STEP_NAMES = ("intake", "run 01", "run 03", "post", "individual data", "IPR and SAR", "archive")


class InboxBusy(StoreBusy):
    """Another flow run holds the inbox of this data directory."""


class InboxChanged(Exception):
    """A deck of an unfinished batch changed or vanished before the engine ran on it."""


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# --- the inbox -------------------------------------------------------------------------------

def inbox_dir(data_dir: Path, kind: str) -> Path:
    return Path(data_dir) / (INBOX if kind == WEEKLY else CORRECTIONS)


def waiting(folder: Path) -> list[Path]:
    """Deck files waiting in `folder`, by name. A transfer still being written should use a dot
    name or a .part/.tmp suffix and be renamed when complete; such files are left alone. A
    link is not a deck file (`set_aside_links`)."""
    return sorted(p for p in _offered(folder) if p.is_file() and not p.is_symlink())


def _offered(folder: Path) -> list[Path]:
    """What lies in an inbox for a run to take: not a dot name, not a transfer in progress."""
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir()
            if not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)]


def not_files(folder: Path) -> list[str]:
    """A line for each thing in `folder` named as a deck would be that is not a file nor a
    link (a folder, a FIFO, a device): left where it is, and said (review 18s, F13: it was
    left without a word)."""
    return [f"{p}: not a file (a folder, a FIFO or a device); left in the inbox, not taken"
            for p in sorted(_offered(folder)) if not p.is_symlink() and not p.is_file()]


def set_aside_links(folder: Path, refused: Path) -> list[str]:
    """Move each symbolic link waiting in `folder` (the link itself, never what it points
    at) to `refused`, and say why, one line each. A flow moves what it takes from an inbox
    and makes it owner-only: through a link it would change a file outside the data
    directory (any file the operator owns) and archive only the link, not the deck."""
    said = []
    for link in sorted(p for p in _offered(folder) if p.is_symlink()):
        private.folder(refused)
        target = os.readlink(link)
        destination = _free_link_name(refused, link.name)
        os.replace(link, destination)  # renames the link; its target is not touched
        said.append(f"{link.name}: refused, a symbolic link (to {target}); an inbox takes "
                    f"deck files, not links: copy the deck itself in (the link is now "
                    f"{destination})")
    return said


def set_aside_bad_names(folder: Path, refused: Path) -> list[str]:
    """Move each deck file waiting in `folder` whose name cannot be printed (`names.refusal`:
    a line feed, a control character) to `refused` under its name as printed, and say so, one
    line each: the daily and inventory flows stopped on it with 16, every run, until it was
    renamed (check of session 18, N5); the weekly flow refuses it at intake the same way."""
    said = []
    for path in sorted(p for p in _offered(folder) if p.is_file() and not p.is_symlink()):
        if (why := names.refusal(path)) is None:
            continue
        private.folder(refused)
        destination = intake.kept_name(refused, names.shown(path.name), _file_hash(path))
        _move(path, destination)
        private.file(destination)
        said.append(f"REFUSED: {why} (moved to {destination})")
    return said


def _free_link_name(folder: Path, name: str) -> Path:
    candidate, n = folder / name, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
    return candidate


@dataclasses.dataclass
class DeckInput:
    """One deck as found at intake (no records kept: this travels between processes)."""

    name: str
    path: str
    sha256: str
    size: int
    status: str  # "readable" or "refused" (by HDR/TRL control or unreadable)
    reason: str = ""
    identity: str = ""
    campus: str = ""
    week_ending: str | None = None  # ISO date from the HDR
    records: int = 0
    content_hash: str = ""
    inspected_by: str = ""
    destination: str | None = None  # where the archive step put it


def _file_hash(path: Path) -> str:
    """sha256 of a deck file; blank for one that cannot be read (no read permission): its
    control refuses it, naming why, and the decks beside it run."""
    try:
        return sha256_file(path)
    except OSError:
        return ""


def inspect(path: Path) -> DeckInput:
    """Hash a deck file and apply the engine's HDR/TRL control to it (`open_deck`)."""
    path = Path(path)
    if bad_name := names.refusal(path):  # moved to refused/ under a name that can be printed
        return DeckInput(name=names.shown(path.name), path=str(path),
                         sha256=_file_hash(path), size=path.stat().st_size, status="refused",
                         reason=bad_name)
    info = DeckInput(name=path.name, path=str(path), sha256=_file_hash(path),
                     size=path.stat().st_size, status="readable")
    try:
        deck = open_deck(path)
    except (DeckFault, DeckRefused) as err:
        info.status, info.reason = "refused", str(err)
        return info
    info.identity, info.campus = deck.identity, deck.campus
    info.week_ending = deck.week_ending.isoformat()
    info.records, info.content_hash = deck.records.height, deck.content_hash
    return info


def week_key(inputs: list[DeckInput], run_date: dt.date) -> dt.date:
    """The week a batch belongs to: the latest HDR week ending among its readable decks (as the
    engine's run does), else the Saturday on or before the run date."""
    weeks = [dt.date.fromisoformat(d.week_ending) for d in inputs if d.week_ending]
    if weeks:
        return max(weeks)
    return run_date - dt.timedelta(days=(run_date.weekday() - 5) % 7)


@contextlib.contextmanager
def lock(data_dir: Path) -> Iterator[None]:
    """One flow run at a time per data directory (inbox moves and run folders)."""
    check_folders(Path(data_dir), (".", WEEKS, f"{WEEKS}/.lock", ARCHIVE, REFUSED, CORRECTIONS,
                                   "runs", "sampling-archive", INBOX, "sampling-inbox"))
    folder = private.folder(Path(data_dir) / WEEKS)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                holder = os.pread(fd, 400, 0).decode(errors="replace").strip()
                raise InboxBusy(f"{folder / '.lock'}: another flow run is working on this data "
                                f"directory ({holder or 'holder unknown'}); try again when it "
                                "has finished") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {_now()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


# --- the run folder of one batch ---------------------------------------------------------------

class Batch:
    """The run folder of one flow run: inputs, step codes, log, summary, reports."""

    def __init__(self, folder: Path, state: dict[str, Any], inputs: list[DeckInput]):
        self.folder, self.state, self.inputs = Path(folder), state, inputs

    # creation and lookup
    @classmethod
    def create(cls, data_dir: Path, kind: str, week: dt.date, inputs: list[DeckInput]
               ) -> Batch:
        weeks = Path(data_dir) / WEEKS
        base = f"{week.isoformat()}{'' if kind == WEEKLY else '-' + kind}"
        name, n = base, 1
        while (weeks / name).exists():
            n += 1
            name = f"{base}.{n}"
        folder = weeks / name
        folder.mkdir(parents=True)
        folder.chmod(private.DIR_MODE)
        state = {"kind": kind, "batch": name, "week_ending": week.isoformat(), "created": _now(),
                 "attempts": [], "steps": {s: {"status": "pending"} for s in STEP_NAMES},
                 "engine": None, "finished": None, "condition_code": None, "rolled_back": None}
        batch = cls(folder, state, inputs)
        batch.save()
        return batch

    @classmethod
    def load(cls, folder: Path) -> Batch:
        for name in ("steps.json", "inputs.json"):  # read through a planted link, its text
            if (folder / name).is_symlink():  # stopped the flow with 16 (check of 18, N6)
                raise StoreError(f"{folder / name} is a symbolic link; a run folder's own files "
                                 "must not be links (someone planted it?): nothing was done. "
                                 "Check where it points; if that is this batch's file, put a "
                                 "copy of it in the link's place, else move the folder "
                                 f"{folder} aside (the next run begins a new batch); then run "
                                 "again")
            if not (folder / name).is_file():  # a raw FileNotFoundError (second check, N6b)
                raise StoreError(f"{folder / name} is missing: the unfinished batch cannot be "
                                 "resumed; nothing was done. Move the folder "
                                 f"{folder} aside (the next run begins a new batch; decks it "
                                 "posted already are refused as duplicates), then run again")
        state = json.loads((folder / "steps.json").read_text())
        inputs = [DeckInput(**d) for d in json.loads((folder / "inputs.json").read_text())]
        return cls(folder, state, inputs)

    @classmethod
    def unfinished(cls, data_dir: Path, kind: str) -> Batch | None:
        """The latest batch of `kind` whose steps did not all complete, if any."""
        found = [cls.load(p.parent) for p in sorted((Path(data_dir) / WEEKS).glob("*/steps.json"))]
        open_ = [b for b in found if b.kind == kind and not b.state["finished"]]
        return max(open_, key=lambda b: b.state["created"], default=None)

    @classmethod
    def for_run(cls, data_dir: Path, run_id: str) -> Batch | None:
        for p in sorted((Path(data_dir) / WEEKS).glob("*/steps.json")):
            batch = cls.load(p.parent)
            if (batch.state.get("engine") or {}).get("run_id") == run_id:
                return batch
        return None

    # state
    @property
    def kind(self) -> str:
        return self.state["kind"]

    @property
    def name(self) -> str:
        return self.state["batch"]

    @property
    def attempt(self) -> int:
        return len(self.state["attempts"])

    def drop_links(self) -> list[str]:
        """Links planted in the batch's folder (or its reports/) removed before a resumed run
        writes there: the log was appended through flow.log, and the reports hard-linked
        into a folder outside the data directory through reports/ (review 18s, F11). A line
        per link removed."""
        said = []
        for folder in (self.folder, self.folder / "reports"):
            if folder.is_symlink() or not folder.is_dir():
                continue
            for entry in sorted(folder.iterdir()):
                if entry.is_symlink():
                    said.append(f"{entry} was a symbolic link to {os.readlink(entry)}; removed, "
                                "not followed")
                    entry.unlink()
        return said

    def reroot(self, source: Path, data_dir: Path) -> list[str]:
        """On resuming, each deck in this run's inbox `source` and any place the archive step
        gave it in this data directory: the batch keeps absolute paths, and in a copy of a
        data directory they named the original's inbox, whose decks the resumed run moved
        away (review 18s, F9). Returns a line per deck so moved back, and saves."""
        said = []
        for d in self.inputs:
            here = Path(source) / d.name
            if Path(d.path) != here:
                said.append(f"{d.name}: taken from {here}, not {d.path} (the batch was begun "
                            "in another inbox or data directory)")
                d.path = str(here)
            if d.destination and not private.inside(data_dir, Path(d.destination)):
                d.destination = None  # the archive step chooses it again, in this directory
        if said:
            self.save()
        return said

    def save(self) -> None:
        _write_json(self.folder / "inputs.json", [dataclasses.asdict(d) for d in self.inputs])
        _write_text(self.folder / "inputs.sha256",
                    "".join(f"{d.sha256}  {d.name}\n" for d in self.inputs))
        _write_json(self.folder / "steps.json", self.state)

    def begin_attempt(self, flow_run_id: str | None, parameters: dict[str, Any]) -> int:
        self.state["attempts"].append({"started": _now(), "flow_run_id": flow_run_id,
                                       "parameters": parameters, "ended": None,
                                       "condition_code": None})
        self.save()
        return self.attempt

    def step(self, name: str) -> dict[str, Any]:
        return self.state["steps"][name]

    def done(self, name: str) -> bool:
        return self.step(name)["status"] == "completed"

    def start(self, name: str, timed: bool = True, **detail: Any) -> None:
        """Mark a step started; `timed` steps get their seconds on record."""
        self.state["steps"][name] = {"status": "started", "attempt": self.attempt,
                                     "started": _now(), **detail}
        if timed:
            self.state["steps"][name]["t0"] = time.time()
        self.save()

    def record(self, name: str, code: int, status: str = "completed", detail: str = "",
               **extra: Any) -> None:
        entry = self.state["steps"][name]
        if entry.get("status") != "started":
            entry = {"attempt": self.attempt, "started": _now()}
        entry.update(status=status, condition_code=code, ended=_now(), detail=detail, **extra)
        if "t0" in entry:
            entry["seconds"] = round(time.time() - entry.pop("t0"), 3)
        self.state["steps"][name] = entry
        self.save()

    def skipped(self, name: str) -> None:
        """Note that this attempt found the step completed by an earlier one."""
        entry = self.state["steps"][name]
        entry.setdefault("skipped_in_attempts", []).append(self.attempt)
        self.save()

    @property
    def condition_code(self) -> int:
        codes = [s.get("condition_code") for s in self.state["steps"].values()]
        return max((c for c in codes if c is not None), default=0)

    def finish(self, code: int, finished: bool) -> None:
        attempt = self.state["attempts"][-1]
        attempt.update(ended=_now(), condition_code=code)
        self.state["condition_code"] = code
        if finished:
            self.state["finished"] = _now()
        self.save()

    def log(self, message: str) -> None:
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        with open(self.folder / "flow.log", "a", encoding="utf-8",
                  errors="backslashreplace") as fh:
            fh.write(f"{stamp} INFO    qap - {message}\n")

    def write_summary(self, text: str) -> None:
        _write_text(self.folder / "summary.txt", text + "\n")

    def check_inputs(self) -> None:
        """Before the engine runs on a resumed batch: every deck is still there, unchanged."""
        for d in self.inputs:
            path = Path(d.path)
            if not path.is_file():
                raise InboxChanged(f"{path}: recorded at intake of {self.folder} but no longer "
                                   "there; put it back, or delete that run folder to start a "
                                   "new intake")
            if _file_hash(path) != d.sha256:
                raise InboxChanged(f"{path}: changed since the intake of {self.folder}; put the "
                                   "original back, or delete that run folder to start a new "
                                   "intake")


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="backslashreplace")  # a deck's odd name
    os.replace(tmp, path)


def _write_json(path: Path, obj: Any) -> None:
    _write_text(path, json.dumps(obj, indent=2, default=str) + "\n")


# --- what the engine did, as plain data ---------------------------------------------------------

def engine_record(result: RunResult, summary_text: str) -> dict[str, Any]:
    """The run result as JSON-able data: what the engine counted, per deck and per step (its
    posted and rejected records, condition code and printed reports), read from the result
    alone."""
    run_dir = Path(result.run_dir) if result.run_dir else None
    steps = {name: {"posted": s.posted, "rejected": s.rejected,
                    "condition_code": s.condition_code, "reports": list(s.reports)}
             for name, s in result.steps.items()}
    return {
        "run_id": result.run_id, "run_date": result.run_date.isoformat(),
        "week_ending": result.week_ending.isoformat() if result.week_ending else None,
        "run_dir": str(run_dir) if run_dir else None, "generation": result.generation,
        "condition_code": result.condition_code, "records_in": result.records_in,
        "posted": result.posted, "rejected": result.rejected,
        "warnings": result.warnings, "corrected": result.corrected,
        "still_open": result.still_open,
        "decks": [dataclasses.asdict(d) for d in result.decks],
        "codes": {run: dict(sorted(c.items())) for run, c in result.codes.items()},
        "steps": steps,
        "outputs": {name: str(p) for name, p in result.outputs.items()},
        "summary": summary_text, "recovered": False,
    }


def current_generation(data_dir: Path) -> int | None:
    return Store(data_dir).current_generation()


def recover(data_dir: Path, batch: Batch) -> dict[str, Any] | None:
    """After a crash between the engine's commit and the step record: the generation the engine
    published for this batch's decks, read back from the store (None: it never published)."""
    store = Store(data_dir)
    before = batch.step("post").get("generation_before")
    names = {d.name for d in batch.inputs}
    ledger = store.read("decks")
    if ledger is None:
        return None
    for meta in store.history():
        if before is not None and meta["generation"] <= before:
            continue
        mine = ledger.filter(pl.col("run_id") == meta["run_id"])
        if not names or set(mine["deck"].to_list()) != names:
            continue
        extra = meta.get("extra", {})
        run_dir = Path(data_dir) / "runs" / meta["run_id"]
        path_of = {d.name: d.path for d in batch.inputs}
        decks = [{"path": path_of[r["deck"]],
                  "status": "accepted" if r["status"] == "posted" else r["status"],
                  "reason": r["reason"] or "", "identity": r["identity"] or "",
                  "records": r["records"], "posted": 0, "rejected": 0}
                 for r in mine.iter_rows(named=True)]
        outputs = {p.stem: str(p) for p in sorted(run_dir.glob("*.txt"))}
        return {"run_id": meta["run_id"], "run_date": None, "week_ending": batch.state[
            "week_ending"], "run_dir": str(run_dir), "generation": meta["generation"],
            "condition_code": extra.get("condition_code", 0),
            "records_in": extra.get("records_in", 0), "posted": extra.get("posted", 0),
            "rejected": extra.get("rejected", 0), "warnings": 0, "corrected": 0,
            "still_open": 0, "decks": decks, "codes": {}, "steps": {}, "outputs": outputs,
            "summary": (f"Run {meta['run_id']} published generation {meta['generation']} before "
                        "the flow could record it; recovered from the store's history "
                        f"(condition code {extra.get('condition_code', 0)}). Its listings: "
                        f"{run_dir}"),
            "recovered": True}
    return None


# --- after the run: reports into the run folder, decks out of the inbox --------------------------

def place_reports(batch: Batch, run_dir: Path | str | None) -> list[Path]:
    """Hard-link (or copy) the run's printed registers and listings into the run folder."""
    if not run_dir or not Path(run_dir).is_dir():
        return []
    target = private.folder_in(batch.folder.parent.parent, batch.folder / "reports")
    placed = []
    for src in sorted(Path(run_dir).iterdir()):
        dst = target / src.name
        if dst.is_symlink():  # planted: a copy would go through it (review 18s, F11)
            dst.unlink()
        if not dst.exists():
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
        placed.append(dst)
    return placed


def _move(src: Path, dst: Path) -> None:
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = dst.with_name(f".{dst.name}.part")
        shutil.copy2(src, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
        src.unlink()


def keep_in(data_dir: Path, src: Path, folder: Path) -> Path:
    """Move the deck `src` into `folder` of the data directory (made owner-only, never through
    a link: LinkedFolder) under a name that overwrites no other deck kept there
    (`intake.kept_name`); where it now lies. The daily sampling and inventory flows' archive
    step; a deck gone from `src` already is left as it is."""
    private.folder_in(data_dir, folder)  # record text and SSNs: 0700, never a link (18s, F3)
    if not src.exists():
        return folder / src.name
    dst = intake.kept_name(folder, src.name, sha256_file(src))
    _move(src, dst)
    private.file(dst)  # the inbox's mode came with it (review 18s, F5)
    return dst


def archive(data_dir: Path, batch: Batch, outcomes: list[dict[str, Any]]) -> dict[str, str]:
    """Move each deck of the batch out of the inbox: accepted ones to archive/<batch>/, refused
    and duplicate ones to refused/. Safe to repeat: a deck already moved is left where it is.
    Returns deck name -> destination."""
    status_of = {Path(o["path"]).name: o["status"] for o in outcomes}
    moved: dict[str, str] = {}
    for d in batch.inputs:
        src = Path(d.path)
        if d.destination and Path(d.destination).is_file() and not src.exists():
            moved[d.name] = d.destination
            continue
        status = status_of.get(d.name, "refused" if d.status == "refused" else "accepted")
        folder = (Path(data_dir) / ARCHIVE / batch.name if status == "accepted"
                  else Path(data_dir) / REFUSED)
        private.folder_in(data_dir, folder)  # a link there is refused (review 18s, F3)
        dst = Path(d.destination) if d.destination else intake.kept_name(folder, d.name, d.sha256)
        d.destination = str(dst)
        batch.save()  # the destination is on record before the move
        if src.exists():
            _move(src, dst)
            private.file(dst)  # the inbox's mode came with it (a link is never followed)
        elif not dst.is_file():
            raise FileNotFoundError(f"{src}: deck vanished from the inbox before it was archived")
        moved[d.name] = str(dst)
    return moved


def requeue(data_dir: Path, batch: Batch) -> list[str]:
    """Move the batch's archived (accepted) decks back into its inbox: after a rollback, so that
    the next flow run posts them again. Returns the deck names moved."""
    inbox = private.folder_in(data_dir, inbox_dir(data_dir, batch.kind))  # never a link
    archived = Path(data_dir) / ARCHIVE / batch.name
    back, missing = [], []
    for d in batch.inputs:
        was = Path(d.destination) if d.destination else None
        if was is None or (was.parent.name, was.parent.parent.name) != (batch.name, ARCHIVE):
            continue  # refused or never moved: nothing to put back
        here = archived / was.name  # where it is now, the data directory moved or not
        if not here.is_file():
            missing.append(f"{d.name} (not in {archived})")
            continue
        dst = intake.kept_name(inbox, d.name, d.sha256)
        _move(here, dst)
        d.destination = None
        d.path = str(dst)
        back.append(d.name)
    batch.save()
    if missing:
        raise RequeueIncomplete(back, missing)
    return back


class RequeueIncomplete(Exception):
    """Archived decks of a rolled-back run that could not be put back in the inbox."""

    def __init__(self, back: list[str], missing: list[str]):
        super().__init__(f"could not put back in the inbox: {', '.join(missing)}; the state was "
                         "rolled back, so copy those decks into the inbox by hand"
                         + (f" (back in the inbox: {', '.join(back)})" if back else ""))
        self.back, self.missing = back, missing
