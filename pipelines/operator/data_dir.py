"""What a command checks about its data directory before it acts, and the reference folder a
data directory remembers.

A command that reads or changes a store (reprocess, withdraw, rollback, history, register,
corrections) must not quietly make a new empty one because `--data-dir` was left out; and a run
without `--reference` must use the folder the store was built with, not the bundled sample
files. Only a brand-new data directory falls back to the sample files, and says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SAMPLE_REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
REFERENCE_NOTE = "reference-folder.txt"  # in the data directory: the last run's --reference
GIVEN, REMEMBERED, SAMPLE = "given", "remembered", "sample"


class DataDirError(Exception):
    """The data directory cannot be used as asked; the message says why (condition code 12)."""


def has_store(data_dir: Path) -> bool:
    """A store exists once a run has published a generation (`current` is its symlink, and
    `state/published` notes it: a store that lost its link is still one, which the store
    then refuses to use)."""
    data_dir = Path(data_dir)
    return os.path.lexists(data_dir / "current") or os.path.lexists(
        data_dir / "state" / "published")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _check_folder(data_dir: Path, writable: bool) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} is not a directory")
    if writable and data_dir.is_dir() and not _writable(data_dir):
        raise DataDirError(f"data directory {data_dir} is not writable")


def prepare(data_dir: Path) -> None:
    """For a run: the data directory may be new, but it must be (or become) a writable folder."""
    data_dir = Path(data_dir)
    _check_folder(data_dir, writable=True)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = next((p for p in data_dir.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is not a directory" if blocker else err.strerror or str(err)
        raise DataDirError(f"data directory {data_dir} cannot be created: {why}") from None
    _check_folder(data_dir, writable=True)


def own_folders(data_dir: Path, *names: str) -> None:
    """The data directory's own folders that a command writes into (`reports`, `prefect`,
    `archive/inventory`...) must not be links or another user's: through a planted link, the
    files (some with whole SSNs) would land outside the data directory."""
    from pipelines.state.store import StoreError, check_folders

    try:
        check_folders(Path(data_dir), names)
    except StoreError as err:
        raise DataDirError(str(err)) from None


def require_store(data_dir: Path, writable: bool = True) -> None:
    """For commands that act on an existing store: refuse a folder that holds none."""
    data_dir = Path(data_dir)
    _check_folder(data_dir, writable=False)
    if not has_store(data_dir):
        raise DataDirError(f"no QAP data directory at {data_dir} (give --data-dir)")
    _check_folder(data_dir, writable)


FLOW_LOCK = Path("weeks") / ".lock"  # a flow run's lock (inbox moves, run folders)


def not_busy(data_dir: Path) -> None:
    """Refuse at once when another run holds a lock of the data directory, so a flow command
    does not first spend Prefect's 7-19 s start-up; the run itself still takes the locks."""
    from pipelines.state.store import Store, StoreError, lock_holder

    try:
        holder = lock_holder(Path(data_dir) / FLOW_LOCK)
        if holder is not None:
            raise DataDirError(f"{Path(data_dir) / FLOW_LOCK}: another flow run is working on "
                               f"this data directory ({holder or 'holder unknown'}); try again "
                               "when it has finished")
        Store(data_dir).check_free()
    except StoreError as err:
        raise DataDirError(str(err)) from None


def recall(data_dir: Path) -> Path | None:
    """The reference folder the data directory's last run used, if it recorded one."""
    try:
        text = (Path(data_dir) / REFERENCE_NOTE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise DataDirError(f"{Path(data_dir) / REFERENCE_NOTE} is unreadable: {err}") from None
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text or "\n" in text:  # not a path a run wrote there
        raise DataDirError(f"{Path(data_dir) / REFERENCE_NOTE} does not hold a folder name (it "
                           "was damaged or written by hand): give --reference once, and it is "
                           "recorded again")
    return Path(text) if text else None


def remember(data_dir: Path, reference: Path) -> str | None:
    """Record the reference folder a run used (absolute), replacing the file atomically. The run
    has posted by then, so a failure here is only a warning, returned for the caller to show."""
    note = Path(data_dir) / REFERENCE_NOTE
    temporary = note.with_name(f".{REFERENCE_NOTE}.{os.getpid()}.tmp")
    try:
        temporary.write_text(f"{Path(reference).absolute()}\n", encoding="utf-8")
        os.replace(temporary, note)
    except OSError as err:
        return f"could not record the reference folder in {data_dir}: {err}"
    return None


def is_sample(folder: Path) -> bool:
    return Path(folder).absolute().resolve() == SAMPLE_REFERENCE


@dataclass(frozen=True)
class ReferenceChoice:
    """The reference folder a run uses and how it was chosen (given, remembered, sample)."""

    folder: Path
    how: str

    def progress(self) -> str | None:
        """The progress line that says where the reference folder came from, if not given."""
        if self.how == REMEMBERED:
            sample = " (the bundled sample files)" if is_sample(self.folder) else ""
            return (f"reference folder {self.folder}{sample}: the one this data directory "
                    "last ran with (give --reference to change it)")
        if self.how == SAMPLE:
            return f"reference folder {self.folder}: the bundled sample files (new data directory)"
        return None

    def summary_note(self) -> str | None:
        """The summary line for a run that used the sample files without being told to."""
        if self.how == SAMPLE:
            return ("Reference: the bundled sample files (fixtures/reference), as no --reference "
                    "was given; give --reference REFDIR for real data")
        if self.how == REMEMBERED and is_sample(self.folder):
            return ("Reference: the bundled sample files (fixtures/reference), the folder this "
                    "data directory last ran with; give --reference REFDIR for real data")
        return None


def choose_reference(data_dir: Path, given: Path | None) -> ReferenceChoice:
    """--reference if given; else the folder the store last ran with; else, for a new data
    directory only, the bundled sample files. A store that never recorded its folder (made
    before it was remembered) must be told once."""
    if given is not None:
        return ReferenceChoice(Path(given), GIVEN)
    remembered = recall(data_dir)
    if remembered is not None:
        return ReferenceChoice(remembered, REMEMBERED)
    if has_store(data_dir):
        raise DataDirError(f"{data_dir} does not record the reference folder it was run with: "
                           "give --reference once (it is remembered from then on)")
    return ReferenceChoice(SAMPLE_REFERENCE, SAMPLE)


def optional_reference(data_dir: Path, given: Path | None) -> ReferenceChoice | None:
    """For a run whose reference folder is optional (INV-10-02 reads only its work
    calendar): --reference if given, else the folder the data directory last ran with, as
    `choose_reference` has it; else none (never the sample files: they hold no calendar)."""
    if given is not None:
        return ReferenceChoice(Path(given), GIVEN)
    remembered = recall(data_dir)
    return None if remembered is None else ReferenceChoice(remembered, REMEMBERED)


def require_inbox(folder: Path) -> None:
    """For a flow: the folder its decks wait in must exist, or the flow would start Prefect
    and run a week of nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "does not exist"
        raise DataDirError(f"inbox {folder} {what}: put the week's decks there (or give "
                           "--inbox); nothing was run")
