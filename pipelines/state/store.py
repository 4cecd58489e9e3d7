"""Crash-safe, versioned state store for the weekly QAP batch run.

The pipeline's state is a set of Parquet tables. Every run publishes a complete, immutable
*generation* of those tables; the generation readers see is chosen by one symlink::

    <data_dir>/current  -> state/generations/NNNNNN        (relative symlink)
    <data_dir>/state/generations/NNNNNN/<table>.parquet + manifest.json
    <data_dir>/state/lock                                     (fcntl.flock lock file)
    <data_dir>/state/tmp/                                     (generation being built)
    <data_dir>/state/published                                (last generation made current)

Why it is built this way:

* A generation is built in ``state/tmp``, fsynced, renamed into ``state/generations`` and only
  then made current by ``os.replace`` of a temporary symlink over ``current``. Each step is
  atomic, so a crash at any point (SIGKILL included) leaves ``current`` pointing at a complete
  generation: either the old one or the new one, never a mix.
* The symlink is the single source of truth. A generation directory that exists but was never
  made current (crash between rename and swap) is an *orphan*: it is never shown by
  :meth:`Store.history`, never read by default and never reused; the next generation is
  numbered past it.
* Only the store moves ``current``, and only forward; ``state/published`` (written after each
  swap) and the parents of later generations show a ``current`` moved back by hand, which
  :meth:`Store.check_current` refuses. The store's folders and lock file must be the running
  user's and not links (:func:`check_folders`): a planted link would have a run write outside.
* History is the chain of ``parent`` links starting at the current generation. Every
  generation records as parent the generation that was current when it was begun (under the
  lock), so the chain lists exactly the generations that were published, in order, and skips
  orphans without needing a separate log.
* Published files are never modified or deleted, so tables that a run does not rewrite are
  carried forward as hard links, and a reader holding ``current/x.parquet`` open keeps a
  consistent file even while a newer generation is published.

Reader contract (downstream jobs, DuckDB, notebooks): each ``open()`` of
``<data_dir>/current/<table>.parquet`` yields one whole file, old or new. But pyarrow's
``read_table(path)``, ``polars.read_parquet(path)`` and DuckDB's ``read_parquet(path)`` open a path
2-4 times per read (footer first, data later), so a read that straddles a swap could mix the
old footer with the new data. Readers that may run while the weekly run publishes should pin a
generation first: ``os.path.realpath(data_dir / "current")`` (or :meth:`Store.generation_dir`),
then read every table from that directory - its files never change. That also gives a
consistent *set* of tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

from pipelines.state import private
from pipelines.state.disk import no_space

__all__ = ["AlreadyRolledBack", "Generation", "LaterRuns", "Store", "StoreBusy", "StoreError",
           "counts", "describe", "lock_holder"]

#: Test seam: called with a step name at every crash-relevant step of begin/write/commit.
#: ``None`` in production. The crash test installs a hook that SIGKILLs the process at a
#: chosen step (see ``tests/store_crash_child.py``).
crash_hook: Callable[[str], None] | None = None

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$")
_GEN_WIDTH = 6
_TMP_LINK_PREFIX = ".current.tmp-"
_POLL_SECONDS = 0.05


class StoreError(Exception):
    """A state-store operation could not be carried out; the message says why and what to do."""


class StoreBusy(StoreError):
    """Another process holds the store lock (the message names the holder)."""


class LaterRuns(StoreError):
    """A rollback would also undo generations published after the named run; refused unless
    the caller says so, because an operator naming one run rarely means to undo the rest."""

    def __init__(self, message: str, later: list[dict]) -> None:
        super().__init__(message)
        self.later = later


class AlreadyRolledBack(StoreError):
    """The run named is no longer in the state: a rollback already undid it. Nothing is
    done, as for any command with nothing to do; rolling it back again would restore an
    older state and undo the runs published since."""


def _later_runs(run_id: str, later: list[dict]) -> LaterRuns:
    lines = "".join(f"\n  {describe(m)}" for m in later)
    return LaterRuns(
        f"rolling back before run {run_id} would also undo {len(later)} later "
        f"generation{'s' if len(later) != 1 else ''}:{lines}\nNothing was changed. To undo "
        "them as well, repeat with --force; to undo only a withdrawal or a later run, name "
        "that run instead.", later)


def counts(manifest: dict) -> str:
    """The plain figures a generation recorded (``key=value``), for listing it."""
    extra = manifest.get("extra", {})
    return " ".join(f"{k}={v}" for k, v in extra.items() if not isinstance(v, dict | list))


def describe(manifest: dict) -> str:
    """One line naming a generation for an operator: number, run and what it did."""
    what = manifest.get("note") or counts(manifest)
    return f"generation {manifest['generation']} ({manifest['run_id']}): {what}".rstrip(": ")


def lock_holder(path: Path) -> str | None:
    """What the holder of a lock file wrote in it ("" if nothing yet), or None when nobody
    holds it. Takes nothing: a shared lock is tried and let go at once."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None  # no lock file: nobody has ever held it
    except OSError as exc:
        raise StoreError(f"cannot open lock file {path}: {exc.strerror} (a link planted "
                         "there? the lock file is never a link)") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise StoreError(f"cannot lock {path}: {exc}") from None
        return os.pread(fd, 4096, 0).decode(errors="replace").strip()
    finally:
        os.close(fd)
    return None


def check_folders(data_dir: Path, names: tuple[str, ...]) -> None:
    """Refuse a data directory whose own folders (and lock files) are links or another user's:
    a run would write, chmod and lock through them outside the directory. (A file where a
    folder belongs fails the step that needs the folder, with its own message.)"""
    me = os.geteuid()
    for name in names:
        path = Path(data_dir) / name
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"{path}: cannot be examined ({exc.strerror})") from None
        folder = not name.endswith("lock")
        what = "folder" if folder else "lock file"
        if os.path.islink(path):
            raise StoreError(f"{path} is a symbolic link; the data directory's own {what}s must "
                             f"not be links (someone planted it?): nothing was done. Remove the "
                             f"link, check where it points, and run again")
        if info.st_uid != me:
            raise StoreError(f"{path} belongs to user id {info.st_uid}, not to the user running "
                             f"this command ({me}); nothing was done. The data directory and "
                             "its folders must be the running user's own")


@dataclass(frozen=True)
class PublishedHere:
    """A generation this process made current: what a Ctrl-C after it must not deny (the
    command's interrupt line says the run posted, not that nothing was)."""

    data_dir: Path
    run_id: str
    generation: int
    condition_code: int | None  # the run's, when its commit recorded one


_PUBLISHED_HERE: list[PublishedHere] = []


def published_here() -> list[PublishedHere]:
    """The generations this process has published, in order."""
    return list(_PUBLISHED_HERE)


STATE_FOLDERS = ("state", "state/generations", "state/tmp", "state/lock")
PUBLISHED = "published"  # in state/: the generation last made current, written after the swap


def _step(name: str) -> None:
    if crash_hook is not None:
        crash_hook(name)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _gen_name(number: int) -> str:
    return f"{number:0{_GEN_WIDTH}d}"


def _check_table(table: str) -> None:
    if not isinstance(table, str) or not _TABLE_NAME.match(table):
        raise StoreError(
            f"invalid table name {table!r}: use letters, digits, '_' or '-' "
            "(max 128 characters, not starting with '-')"
        )


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not run_id.strip() or len(run_id) > 200:
        raise StoreError(f"invalid run id {run_id!r}: must be a non-empty string of <= 200 chars")
    if any(ch in run_id for ch in "\n\r\0"):
        raise StoreError(f"invalid run id {run_id!r}: must not contain line breaks or NUL")


class _Changed(Exception):
    """A published table file that differs from its manifest (`Store.read`)."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hash_and_fsync(path: Path) -> str:
    """Return the file's sha256 and force its contents to disk (one pass over the file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
        os.fsync(fh.fileno())
    return digest.hexdigest()


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link an immutable published file into a new generation; copy if linking fails."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
        with open(dst, "rb") as fh:
            os.fsync(fh.fileno())


def _after_swap(store: Store, number: int) -> None:
    """The steps after ``current`` names the new generation: it is published whatever they do,
    so a failure here (a full disk: review 14 re-check, N3) must not say the commit failed;
    the swap is made durable by the next fsync of the folder, and the note stays one behind
    (harmless, `_record_published`)."""
    try:
        _fsync_dir(store.data_dir)
        _record_published(store.state_dir, number)
    except OSError:
        with contextlib.suppress(OSError):
            (store.state_dir / f".{PUBLISHED}.{os.getpid()}.tmp").unlink()


def _record_published(state_dir: Path, number: int) -> None:
    """Note the generation just made current, so that ``current`` moved back by hand is
    seen (``Store.check_current``); a stop before this leaves the note one behind, which is
    harmless."""
    tmp = state_dir / f".{PUBLISHED}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    with open(tmp, "x", encoding="utf-8") as fh:
        fh.write(f"{number}\n")
    os.replace(tmp, state_dir / PUBLISHED)


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _holder_label(run_id: str) -> str:
    """Which command holds the lock, from the name it locked under (the engine's, withdraw's,
    rollback's); any other name is quoted as given."""
    if run_id == "weekly run":
        return "a weekly run (`qap run`, `qap reprocess` or a `qap flow` command)"
    if run_id == "withdraw":
        return "`qap withdraw`"
    if run_id.startswith("rollback-before:"):
        return f"a rollback before run {run_id.removeprefix('rollback-before:')}"
    return f"run {run_id!r}"


class Store:
    """Versioned Parquet state of the pipeline in one data directory (see module docstring)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.state_dir = self.data_dir / "state"
        self.generations_dir = self.state_dir / "generations"
        self.tmp_dir = self.state_dir / "tmp"
        self.lock_path = self.state_dir / "lock"
        self.current_link = self.data_dir / "current"
        self._lock_fd: int | None = None
        self._lock_run_id: str | None = None
        self._active: Generation | None = None
        self._manifest_cache: dict[int, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"Store({str(self.data_dir)!r})"

    # ------------------------------------------------------------------ locking

    @contextlib.contextmanager
    def lock(self, run_id: str, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the exclusive store lock so that two runs never write the same store at once.

        Waits up to ``wait_seconds`` for another holder to finish, then raises
        :class:`StoreBusy` naming the holder. The OS releases the lock when the holder exits,
        even on SIGKILL, so a stale lock file never needs manual cleanup. Not re-entrant.
        """
        _check_run_id(run_id)
        if self._lock_fd is not None:
            raise StoreError(
                f"this Store already holds the lock for run {self._lock_run_id!r}; "
                "the lock is not re-entrant - reuse the held lock instead of locking again"
            )
        check_folders(self.data_dir, STATE_FOLDERS)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path,
                         os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open lock file {self.lock_path}: {exc}") from None
        try:
            deadline = time.monotonic() + max(0.0, float(wait_seconds))
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise StoreError(f"cannot lock {self.lock_path}: {exc}") from None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StoreBusy(self._busy_message(fd, run_id, wait_seconds))
                time.sleep(min(_POLL_SECONDS, remaining))
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "run_id": run_id,
                "started": _now(),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd
        self._lock_run_id = run_id
        try:
            with private.owner_only():  # generations hold whole SSNs and record text
                yield
        finally:
            if self._active is not None:  # a build cannot outlive the lock that protects it
                self._active.abort()
            self._lock_fd = None
            self._lock_run_id = None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the only descriptor releases the flock

    def check_free(self) -> None:
        """Raise StoreBusy naming the holder when another process holds the lock; takes
        nothing, so a command with a slow start can refuse before it starts."""
        raw = lock_holder(self.lock_path)
        if raw is not None:
            raise StoreBusy(self._busy_text(raw, 0.0))

    def _busy_message(self, fd: int, run_id: str, wait_seconds: float) -> str:
        try:
            raw = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        except OSError:
            raw = ""
        return self._busy_text(raw, wait_seconds)

    def _busy_text(self, raw: str, wait_seconds: float) -> str:
        try:
            info = json.loads(raw) if raw else {}
            if not isinstance(info, dict):
                info = {}
        except ValueError:
            info = {}
        if info:
            holder = (
                f"{_holder_label(str(info.get('run_id')))} (pid {info.get('pid')} on host "
                f"{info.get('host')}, started {info.get('started')})"
            )
        else:
            holder = "another process (it has not recorded its details yet)"
        waited = f" after waiting {float(wait_seconds):g}s" if wait_seconds > 0 else ""
        return (
            f"state store {self.data_dir} is in use by {holder}; nothing was done{waited}. "
            "Retry when that command has finished. If that process no longer exists the OS has "
            "already released the lock, so a retry will succeed; do not delete the lock file."
        )

    @property
    def locked(self) -> bool:
        """This Store object holds the store lock (a caller running several runs under one
        lock hands it to each)."""
        return self._lock_fd is not None

    def _require_lock(self, action: str) -> None:
        if self._lock_fd is None:
            raise StoreError(
                f"{action} needs the store lock: call it inside `with store.lock(run_id):` "
                f"on the same Store object ({self.data_dir})"
            )

    # ------------------------------------------------------------------ reading

    def current_generation(self) -> int | None:
        """The published generation, read from the ``current`` symlink (the only truth)."""
        try:
            target = os.readlink(self.current_link)
        except FileNotFoundError:
            self._check_never_published()
            return None
        except OSError as exc:
            raise StoreError(
                f"{self.current_link} exists but is not a symlink ({exc.strerror}); it must be "
                "managed only by the state store"
            ) from None
        name = Path(target).name
        if not name.isdigit() or target != os.path.join("state", "generations", name):
            raise StoreError(f"{self.current_link} points at {target!r}, not at a generation "
                             f"of this store (state/generations/NNNNNN); it is managed only by "
                             "the state store: was it changed by hand?")
        number = int(name)
        if not (self.generations_dir / name).is_dir():
            raise StoreError(
                f"{self.current_link} points at generation {number}, whose directory is missing "
                f"from {self.generations_dir}; the store has been damaged from outside"
            )
        return number

    def _check_never_published(self) -> None:
        """No `current`: a new store, unless a generation was published (``state/published``),
        in which case the link was lost (a copy or backup that drops links, a hand that
        removed it). Going on would start an empty state and tidy away the published runs'
        folders as leftovers of stopped runs."""
        numbers = self._existing_numbers()
        try:
            published = int((self.state_dir / PUBLISHED).read_text().strip())
            evidence = f"generation {published} was published (state/{PUBLISHED})"
        except (FileNotFoundError, ValueError):  # the note lost too: a run folder says it
            runs = self.data_dir / "runs"
            done = sorted(p.name for p in runs.iterdir() if re.fullmatch(
                r"[0-9]{8}\.[0-9]{2}", p.name)) if runs.is_dir() else []
            if not done or not numbers:
                return
            published = max(numbers)
            evidence = f"run {done[-1]} was published (its folder is {runs / done[-1]})"
        raise StoreError(
            f"{self.current_link} is missing, but {evidence}: the link was lost (a copy that "
            f"drops links?) or removed. Nothing was done; put it back, e.g. `ln -s "
            f"state/generations/{_gen_name(published)} {self.current_link}` (the newest "
            f"generation on disk is {max([published, *numbers])})")

    def generation_dir(self, generation: int | None = None) -> Path | None:
        """Resolved directory of a generation (default: current), or None if nothing published.

        Readers that need several tables from one consistent generation should resolve this
        once and read every table from it, rather than going through ``current/`` per table.
        """
        number = self.current_generation() if generation is None else generation
        if number is None:
            return None
        path = self.generations_dir / _gen_name(number)
        if not path.is_dir():
            raise StoreError(f"generation {number} does not exist in {self.generations_dir}")
        return path

    def manifest(self, generation: int | None = None) -> dict | None:
        """Manifest of a generation (default: current); None when nothing is published yet."""
        number = self.current_generation() if generation is None else generation
        if number is None:
            return None
        if not isinstance(number, int) or number < 1:
            raise StoreError(f"invalid generation number {number!r}")
        cached = self._manifest_cache.get(number)
        if cached is not None:
            return json.loads(json.dumps(cached))
        path = self.generations_dir / _gen_name(number) / "manifest.json"
        if not path.is_file():
            raise StoreError(f"generation {number} does not exist in {self.generations_dir}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"manifest of generation {number} is unreadable: {exc}") from None
        if not isinstance(data, dict) or data.get("generation") != number:
            raise StoreError(f"manifest of generation {number} ({path}) is inconsistent")
        self._manifest_cache[number] = data  # published generations are immutable
        return json.loads(json.dumps(data))

    def read(self, table: str, generation: int | None = None) -> pl.DataFrame | None:
        """A table of a generation (default: current); None when the table does not exist yet."""
        _check_table(table)
        manifest = self.manifest(generation)
        if manifest is None or table not in manifest["tables"]:
            return None
        number = manifest["generation"]
        path = self.generations_dir / _gen_name(number) / f"{table}.parquet"
        expected = manifest["tables"][table]
        try:
            data = path.read_bytes()  # hashed and read from the same bytes
            if expected.get("sha256") not in (None, hashlib.sha256(data).hexdigest()):
                raise _Changed
            frame = pl.read_parquet(io.BytesIO(data))
            if expected.get("rows") not in (None, frame.height):
                raise _Changed
            return frame
        except _Changed:
            raise StoreError(
                f"table {table!r} of generation {number} ({path}) is not the file that was "
                "published (its sha256 or row count differs from the generation's manifest): "
                "it was changed from outside the store. Nothing was done; put the published "
                "file back, or publish the state as an earlier generation had it with "
                "`qap rollback`") from None
        except Exception as exc:
            raise StoreError(f"table {table!r} of generation {number} is unreadable: {exc}"
                             ) from None

    def check_current(self) -> None:
        """Raise StoreError when ``current`` names an older generation than the newest one
        published: a generation that another was built on, or the one the store recorded
        after its last swap (``state/published``), is newer. Only the store moves ``current``,
        and only forward (a rollback publishes a new generation)."""
        number = self.current_generation()
        if number is None:
            return
        newest = number
        with contextlib.suppress(FileNotFoundError, ValueError):
            newest = max(newest, int((self.state_dir / PUBLISHED).read_text().strip()))
        for n in self._existing_numbers():
            if n > number:
                with contextlib.suppress(StoreError):
                    parent = (self.manifest(n) or {}).get("parent")
                    if isinstance(parent, int):
                        newest = max(newest, parent)
        if newest > number:
            raise StoreError(
                f"{self.current_link} points at generation {number}, but generation {newest} "
                "was published after it: `current` was moved from outside the store. Nothing "
                f"was done; point it back (ln -sfn state/generations/{_gen_name(newest)} "
                f"{self.current_link}) or roll back with `qap rollback`")

    def history(self) -> list[dict]:
        """Manifests of the published generations, oldest first (orphans excluded).

        Walks the ``parent`` chain from the current generation, so it lists exactly what was
        published, in publication order, including generations made by rollbacks.
        """
        self.check_current()
        chain: list[dict] = []
        number = self.current_generation()
        while number is not None:
            manifest = self.manifest(number)
            assert manifest is not None
            chain.append(manifest)
            parent = manifest.get("parent")
            if parent is not None and (not isinstance(parent, int) or parent >= number):
                raise StoreError(f"generation {number} has an invalid parent {parent!r}")
            number = parent
        chain.reverse()
        return chain

    def in_effect(self) -> Iterator[dict]:
        """The manifests of the generations whose changes the current state holds, newest
        first: from the current generation back through each parent, and at a rollback's
        generation (yielded too: it says what it restored) on from the generation it
        restored, since what it undid is not in the state."""
        number = self.current_generation()
        while number is not None:
            manifest = self.manifest(number) or {}
            yield manifest
            extra = manifest.get("extra") or {}
            number = (extra.get("restored_generation") if "rollback_before_run" in extra
                      else manifest.get("parent"))

    def undone_by(self, run_id: str) -> dict | None:
        """The rollback generation that took `run_id` out of the state, or None while the
        run is in effect (or never published)."""
        return self._undone_by(run_id, self.history(), list(self.in_effect()))

    @staticmethod
    def _undone_by(run_id: str, history: list[dict], effect: list[dict]) -> dict | None:
        mine = [m["generation"] for m in history if m["run_id"] == run_id]
        for manifest in effect:
            extra = manifest.get("extra") or {}
            if manifest.get("run_id") == run_id:
                return None
            if "rollback_before_run" in extra and any(
                    (extra.get("restored_generation") or 0) < g < manifest["generation"]
                    for g in mine):
                return manifest
        return None

    def orphans(self) -> list[int]:
        """Generation directories that exist but were never published (crash before swap)."""
        published = {m["generation"] for m in self.history()}
        return sorted(n for n in self._existing_numbers() if n not in published)

    def verify(self, generation: int | None = None) -> None:
        """Check every table file of a generation against its manifest (sha256 and row count).

        Raises StoreError describing the first mismatch; silent when everything matches.
        """
        import pyarrow.parquet as pq

        manifest = self.manifest(generation)
        if manifest is None:
            return
        gdir = self.generations_dir / _gen_name(manifest["generation"])
        for table, info in manifest["tables"].items():
            path = gdir / f"{table}.parquet"
            try:
                sha = sha256_file(path)
                rows = pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:
                raise StoreError(f"generation {manifest['generation']}: {path}: {exc}") from None
            if sha != info["sha256"] or rows != info["rows"]:
                raise StoreError(
                    f"generation {manifest['generation']}: table {table!r} does not match its "
                    f"manifest (rows {rows} vs {info['rows']}, sha256 {sha[:12]} vs "
                    f"{info['sha256'][:12]})"
                )

    def _existing_numbers(self) -> list[int]:
        try:
            names = os.listdir(self.generations_dir)
        except FileNotFoundError:
            return []
        return [int(n) for n in names if n.isdigit()]

    def _next_number(self) -> int:
        current = self.current_generation() or 0
        return max([current, *self._existing_numbers()]) + 1

    # ------------------------------------------------------------------ writing

    def begin(self, run_id: str) -> Generation:
        """Start building a new generation on top of the current one (lock must be held).

        Cleans leftovers of builds that died earlier: safe because the lock is held, so no
        other build can be in progress.
        """
        _check_run_id(run_id)
        self._require_lock("begin()")
        if self._active is not None:
            raise StoreError(
                f"a generation for run {self._active.run_id!r} is still open on this Store; "
                "commit() or abort() it before beginning another"
            )
        parent = self.current_generation()
        return Generation(self, run_id, parent=parent, base=parent)

    def _clean_leftovers(self) -> None:
        try:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self.generations_dir.mkdir(parents=True, exist_ok=True)
            for entry in self.data_dir.iterdir():
                if entry.name.startswith(_TMP_LINK_PREFIX) and entry.is_symlink():
                    entry.unlink()
        except OSError as exc:
            raise StoreError(f"cannot prepare work area {self.tmp_dir}: {exc}") from None

    def _rollback_span(self, run_id: str) -> tuple[dict, list[dict]]:
        """The first generation ``run_id`` published and the later ones a rollback to before
        it would take out of the state: those in effect (`in_effect`), a store's second
        generation of one id too (a store written before withdrawals had their own ids holds
        `withdraw-YYYYMMDD` twice: review 13, R13-6). Generations an earlier rollback undid
        are not in the state, and a rollback's own generation loses nothing when undone, since
        what it restored is older still: neither is listed (review 12, F15.4)."""
        history = self.history()
        first = next((m for m in history if m["run_id"] == run_id), None)
        if first is None:
            known = sorted({m["run_id"] for m in history})
            raise StoreError(
                f"cannot roll back before run {run_id!r}: it never published a generation "
                f"in {self.data_dir} (published runs: {', '.join(known) or 'none'})"
            )
        effect = list(self.in_effect())  # the manifests are read once for both questions
        undone = self._undone_by(run_id, history, effect)
        if undone is not None:
            raise AlreadyRolledBack(
                f"{run_id} is already rolled back: generation {undone['generation']} "
                f"({undone['run_id']}, {undone['created'][:10]}) took it out of the state; "
                "nothing was done")
        kept = {m["generation"] for m in effect
                if "rollback_before_run" not in (m.get("extra") or {})}
        return first, [m for m in history[history.index(first) + 1:]
                       if m["generation"] in kept]

    def check_rollback(self, run_id: str, undo_later: bool) -> None:
        """Raise what ``rollback_before`` would refuse with, without the lock or a change: a
        caller with a slow start (a flow) says so before it starts."""
        _check_run_id(run_id)
        _, later = self._rollback_span(run_id)
        if later and not undo_later:
            raise _later_runs(run_id, later)

    def rollback_before(self, run_id: str, note: str = "", undo_later: bool = True) -> int:
        """Publish a new generation equal to the state before ``run_id`` first published.

        Nothing is deleted: the rolled-back generations stay in history, and the new
        generation's ``extra`` records what was restored and which later generations were
        undone with it (``also_undone``). With ``undo_later=False`` a rollback that would undo
        later generations is refused with :class:`LaterRuns` naming them. If ``run_id``
        published the very first generation, the restored state is empty (no tables). Uses
        the lock if this Store holds it, otherwise takes it (without waiting) for the duration.
        """
        _check_run_id(run_id)
        own_lock = (
            contextlib.nullcontext()
            if self._lock_fd is not None
            else self.lock(f"rollback-before:{run_id}", wait_seconds=0.0)
        )
        with own_lock:
            first, later = self._rollback_span(run_id)
            if later and not undo_later:
                raise _later_runs(run_id, later)
            target = first["parent"]
            gen = Generation(
                self,
                f"rollback-before:{run_id}",
                parent=self.current_generation(),
                base=target,
            )
            with gen:
                return gen.commit(
                    note=note or f"rollback to the state before run {run_id!r}",
                    extra={
                        "rollback_before_run": run_id,
                        "rolled_back_generation": first["generation"],
                        "restored_generation": target,
                        "also_undone": [describe(m) for m in later],
                        "also_undone_runs": sorted({m["run_id"] for m in later}),
                    },
                )


class Generation:
    """A generation being built in ``state/tmp``; invisible to readers until :meth:`commit`.

    Use as a context manager: an exception inside the block aborts the build; leaving the
    block without commit() or abort() also aborts and raises StoreError, so a forgotten
    commit is never silent.
    """

    def __init__(self, store: Store, run_id: str, parent: int | None, base: int | None) -> None:
        self.store = store
        self.run_id = run_id
        self.parent = parent  # generation current at begin: recorded in the manifest
        self._base = base  # generation whose tables are carried forward (parent, or rollback)
        self._written: dict[str, dict[str, Any]] = {}
        self._state = "open"
        store._clean_leftovers()
        _step("begin:cleaned")
        try:
            self._dir = Path(tempfile.mkdtemp(prefix="gen-", dir=store.tmp_dir))
        except OSError as exc:
            raise StoreError(f"cannot create work directory in {store.tmp_dir}: {exc}") from None
        store._active = self
        _step("begin:tmp-created")

    def __enter__(self) -> Generation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state != "open":
            return
        self.abort()
        if exc_type is None:
            raise StoreError(
                f"generation for run {self.run_id!r} was left without commit(); it has been "
                "discarded - call gen.commit() (or gen.abort()) inside the with-block"
            )

    def _require_open(self, action: str) -> None:
        if self._state != "open":
            raise StoreError(
                f"cannot {action}: the generation for run {self.run_id!r} is already {self._state}"
            )
        self.store._require_lock(action)

    def write(self, table: str, df: pl.DataFrame) -> None:
        """Write one table (Parquet, zstd) into the work area and force it to disk."""
        self._require_open(f"write table {table!r}")
        _check_table(table)
        if not isinstance(df, pl.DataFrame):
            raise StoreError(f"table {table!r}: expected a polars DataFrame, got {type(df)}")
        path = self._dir / f"{table}.parquet"
        try:
            df.write_parquet(path, compression="zstd")
        except Exception as exc:
            full = no_space(exc, self.store.data_dir)
            raise StoreError(f"cannot write table {table!r}: {exc}" + (
                f"; {full}: make room there and run again (nothing was published)"
                if full else "")) from None
        _step(f"write:{table}:parquet-written")
        try:
            sha = _hash_and_fsync(path)
        except OSError as exc:
            raise StoreError(f"cannot sync table {table!r} to disk: {exc}") from None
        self._written[table] = {"rows": df.height, "sha256": sha}
        self._link_if_unchanged(table, path, sha)
        _step(f"write:{table}:fsynced")

    def _link_if_unchanged(self, table: str, path: Path, sha: str) -> None:
        """A table written with the same bytes as the base generation's becomes a hard link to
        that (immutable) file, as a table not written at all is: a run that leaves most of the
        state as it was adds little to the disk (review 14, F6). A link that cannot be made
        (another file system) leaves the copy."""
        if self._base is None:
            return
        base_info = ((self.store.manifest(self._base) or {}).get("tables") or {}).get(table)
        if not base_info or base_info.get("sha256") != sha:
            return
        base_file = self.store.generations_dir / _gen_name(self._base) / f"{table}.parquet"
        linked = path.with_name(f".{table}.link")
        try:
            os.link(base_file, linked)
            os.replace(linked, path)
        except OSError:
            with contextlib.suppress(OSError):
                linked.unlink()

    def commit(self, note: str = "", extra: dict | None = None) -> int:
        """Publish the generation atomically and return its number.

        Order: carry forward unwritten tables, write+fsync manifest, fsync the work dir,
        rename it to generations/NNNNNN, fsync, swap the ``current`` symlink, fsync. A crash
        before the swap leaves the previous generation current (the renamed dir becomes an
        orphan); a crash after it leaves the new one current.
        """
        self._require_open("commit")
        store = self.store
        if extra is not None and not isinstance(extra, dict):
            raise StoreError(f"extra must be a dict or None, got {type(extra).__name__}")
        try:
            json.dumps(extra)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"extra is not JSON-serializable: {exc}") from None
        if store.current_generation() != self.parent:
            raise StoreError(
                f"generation {store.current_generation()} was published after run "
                f"{self.run_id!r} began on generation {self.parent}; refusing to overwrite it "
                "(was the lock released between begin() and commit()?)"
            )
        renamed = False
        try:
            tables: dict[str, dict[str, Any]] = {}
            if self._base is not None:
                base_manifest = store.manifest(self._base)
                assert base_manifest is not None
                base_dir = store.generations_dir / _gen_name(self._base)
                for name, info in base_manifest["tables"].items():
                    if name in self._written:
                        continue
                    _link_or_copy(base_dir / f"{name}.parquet", self._dir / f"{name}.parquet")
                    tables[name] = {"rows": info["rows"], "sha256": info["sha256"]}
            _step("commit:carried-forward")
            tables.update(self._written)
            number = store._next_number()
            manifest = {
                "generation": number,
                "run_id": self.run_id,
                "created": _now(),
                "parent": self.parent,
                "tables": dict(sorted(tables.items())),
                "note": note,
                "extra": extra or {},
            }
            with open(self._dir / "manifest.json", "x", encoding="utf-8") as fh:
                json.dump(manifest, fh, indent=2)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            _step("commit:manifest-written")
            _fsync_dir(self._dir)
            _step("commit:tmp-synced")

            final = store.generations_dir / _gen_name(number)
            if final.exists():  # cannot happen under the lock; never overwrite a generation
                raise StoreError(f"{final} already exists; refusing to overwrite a generation")
            os.rename(self._dir, final)
            renamed = True
            _step("commit:renamed")
            _fsync_dir(store.generations_dir)
            _step("commit:generations-synced")

            tmp_link = store.data_dir / f"{_TMP_LINK_PREFIX}{os.getpid()}"
            with contextlib.suppress(FileNotFoundError):
                tmp_link.unlink()
            os.symlink(os.path.join("state", "generations", _gen_name(number)), tmp_link)
            _step("commit:symlink-temp-created")
            os.replace(tmp_link, store.current_link)
            _PUBLISHED_HERE.append(PublishedHere(store.data_dir, self.run_id, number,
                                                 (extra or {}).get("condition_code")))
            _step("commit:swapped")
            _after_swap(store, number)
            _step("commit:done")
        except StoreError:
            self._fail(renamed)
            raise
        except OSError as exc:
            self._fail(renamed)
            where = "after" if renamed else "before"
            raise StoreError(
                f"commit of run {self.run_id!r} failed {where} its generation directory was "
                f"created: {exc}. The previously published state is unchanged unless "
                f"{store.current_link} now points at the new generation."
            ) from None
        except BaseException:
            self._fail(renamed)
            raise
        self._state = "committed"
        store._active = None
        return number

    def _fail(self, renamed: bool) -> None:
        if not renamed:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._state = "failed"
        self.store._active = None

    def abort(self) -> None:
        """Discard the generation being built; harmless after commit or a previous abort."""
        if self._state != "open":
            return
        shutil.rmtree(self._dir, ignore_errors=True)
        self._state = "aborted"
        self.store._active = None
