"""Which original decks each corrections deck was written from, kept in the data directory
(`register/corrections-decks.json`) under the corrections deck's HDR: campus CR, week ending,
creation date and time, sequence, which the operator keeps when editing it.

Control numbers are unique within a deck only, so two decks of a week can each hold a document
A01/02 with the same text; `qap corrections` writes their open entries in two decks of that week
(`register._parts`), and a reprocess reads this record so that each corrected record stands for
an entry of the deck(s) its corrections deck holds the entries of (review 14, F13 within one
week). It is not a state generation: a rollback leaves it as it is. It only narrows which open
entries a record may stand for, so a stale key never closes an entry that is not open, nor one
of a deck its corrections deck was not written from.

Owner-only (0600 in a 0700 folder, whatever the umask), written atomically and never through a
link: the folder is refused when it is one, the file is replaced, not written through.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.engine.machinery.deck import CORRECTIONS_CAMPUS, Deck
from pipelines.state import private
from pipelines.state.files import write_atomically
from pipelines.state.store import StoreError, check_folders

FOLDER = "register"  # in the data directory
NAME = "corrections-decks.json"
LOCK = ".lock"  # two `qap corrections` at once take their sequences one after the other
FORMAT = 1
MAX_SEQUENCE = 999  # the HDR's sequence has 3 digits
_REMOVE = ("Remove it to go on as before it was kept: records of corrections decks as like "
           "entries of two decks of their week then close none, and the summary names them")
# `qap corrections` stops rather than write decks it cannot record: a record of them is what
# lets each close only its own decks' entries and a second one written from entries closed
# since be refused as stale (nothing posted twice); writing the record would also overwrite
# the file (check of session 16, P4c)
_NOT_WRITTEN = ("no deck was written (nor any folder), since the decks could not be recorded, "
                "and without their record a corrected record could close another deck's entry "
                "or post twice. Remove it (or mend it), then run `qap corrections` again; "
                "removed, the corrections decks it named are read as "
                "decks written by hand: their records as like entries of two decks of their "
                "week close none, and the summary names them")


@dataclass(frozen=True)
class Written:
    """One corrections deck as `qap corrections` wrote it: its file name then, the original
    decks whose open entries it holds (deck hash, the register's `deck_hash` -> file name),
    and those entries ("run_id deck line", `register.entry_key`; empty in a record written
    before they were kept): one no longer open when the deck is reprocessed was closed since,
    and its record is not to post again (check of session 17, P2)."""

    file: str
    sources: dict[str, str]
    entries: tuple[str, ...] = ()


def key(campus: str, week_ending: dt.date, created: dt.datetime, sequence: int) -> str:
    """A deck's HDR as the record names it: "CR 10242026 12052026084002 002"."""
    return f"{campus} {week_ending:%m%d%Y} {created:%m%d%Y%H%M%S} {sequence:03d}"


def key_of(deck: Deck) -> str:
    """The record's key of a deck that passed intake."""
    return key(deck.campus, deck.week_ending, deck.created, deck.sequence)


def path(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER / NAME


def _folder(data_dir: Path) -> Path:
    """DIR/register, refused when it is a link or another user's (a write through it would
    land outside the data directory), made and set to 0700 otherwise."""
    check_folders(Path(data_dir), (FOLDER, f"{FOLDER}/{LOCK}"))
    return private.folder(Path(data_dir) / FOLDER)


class Unreadable(StoreError):
    """The record is there but cannot be read (not json, another format, a link): `str()` is
    what stops a reprocess; `what` says the file and its fault, for the commands that word it
    their own way (check of session 16, P4c)."""

    def __init__(self, where: Path, fault: str) -> None:
        self.where, self.fault = where, fault
        super().__init__(f"{self.what}; stopped before anything was changed. {_REMOVE}")

    @property
    def what(self) -> str:
        return f"{self.where}: {self.fault}"


def read(data_dir: Path) -> dict[str, Written]:
    """The record, by key; empty when there is none yet (a store older than it, or no
    `qap corrections` since). A record that cannot be read stops the command (Unreadable,
    12): without it a corrected record could stand for an entry of another deck."""
    where = path(data_dir)
    try:
        check_folders(Path(data_dir), (FOLDER,))
        fd = os.open(where, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise Unreadable(where, f"cannot be read ({err.strerror}; a link planted there? it is "
                         "never a link)") from None
    try:
        with os.fdopen(fd, "rb") as fh:
            kept = json.loads(fh.read())
        if kept["format"] != FORMAT:  # a later version's record is not read as this one's
            raise ValueError(f"format {kept['format']!r}, this version reads {FORMAT}")
        decks = kept["decks"]
        return {k: Written(file=str(v["file"]), sources=dict(v["sources"]),
                           entries=tuple(str(e) for e in v.get("entries", ())))
                for k, v in decks.items()}
    except KeyError as err:
        raise Unreadable(where, f"not a record of corrections decks (no {err} in it)"
                         ) from None
    except (OSError, ValueError, TypeError, AttributeError) as err:
        raise Unreadable(where, f"not a record of corrections decks ({err})") from None


def unnamed(err: Unreadable) -> str:
    """What a listing says, once, when the record cannot be read: it lists without naming the
    corrections decks (check of session 16, P4c)."""
    return (f"the corrections decks written from these decks cannot be named: "
            f"{err.what}. {_REMOVE}; `qap reprocess` and `qap corrections` stop (12) until it "
            "is removed or put right.")


def first_sequence(known: dict[str, Written], created: dt.datetime) -> int:
    """The HDR sequence the next corrections decks made at `created` start from: 1, or after
    the highest taken by decks recorded with the same creation second, so that two `qap
    corrections` within one second never share a key."""
    stamp = f"{created:%m%d%Y%H%M%S}"
    taken = [int(k.split(" ")[3]) for k in known
             if k.startswith(f"{CORRECTIONS_CAMPUS} ") and k.split(" ")[2] == stamp]
    return max(taken, default=0) + 1


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[dict[str, Written]]:
    """The record, held against another `qap corrections` until the block ends (which reads
    it, picks its sequences and `add`s its decks)."""
    folder = _folder(data_dir)
    with private.owner_only():
        fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                     private.FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            known = read(data_dir)
        except Unreadable as err:  # its decks could not be recorded: see `_NOT_WRITTEN`
            raise StoreError(f"{err.what}; {_NOT_WRITTEN}") from None
        yield known
    finally:
        os.close(fd)


def add(data_dir: Path, known: dict[str, Written], new: dict[str, Written]) -> Path:
    """Write the record with `new` decks added to `known` (as `locked` read it), atomically;
    a key already there is never given other contents."""
    clash = [k for k in new if k in known and known[k] != new[k]]
    if clash:
        raise StoreError(f"corrections deck HDR {clash[0]} is already recorded for other decks; "
                         "nothing was written")
    if any(int(k.split(" ")[3]) > MAX_SEQUENCE for k in new):
        raise StoreError(f"more than {MAX_SEQUENCE} corrections decks in one second; nothing was "
                         "written")
    decks = {**known, **new}
    text = json.dumps({"format": FORMAT, "decks": {
        k: {"file": w.file, "sources": w.sources} | ({"entries": list(w.entries)}
                                                     if w.entries else {})
        for k, w in sorted(decks.items())}},
        indent=1).encode()
    where = path(data_dir)
    _folder(data_dir)
    write_atomically(where, lambda fh: fh.write(text))  # mkstemp: 0600, replaces a link
    return where


def created_of(hdr_key: str) -> dt.datetime:
    """The creation date and time a key holds."""
    return dt.datetime.strptime(hdr_key.split(" ")[2], "%m%d%Y%H%M%S")


def latest_for(known: dict[str, Written], decks: set[str]) -> dict[str, Written]:
    """Of the recorded corrections decks, the newest written from each of `decks` (deck
    hashes): what `qap register` names beside those decks' open entries."""
    newest: dict[str, str] = {}
    for hdr_key in sorted(known, key=lambda k: (created_of(k), k)):
        for deck in known[hdr_key].sources:
            if deck in decks:
                newest[deck] = hdr_key
    return {k: known[k] for k in sorted(set(newest.values()))}


def said(hdr_key: str, written: Written) -> str:
    """One recorded corrections deck in a line: its file, HDR and the decks it was written
    from: "fix-2.dat (HDR CR, week ending 10/24/2026, made 12/05/2026 08:40:02, sequence 002):
    entries of deckB.dat"."""
    campus, week, _, sequence = hdr_key.split(" ")
    return (f"{written.file} (HDR {campus}, week ending {week[:2]}/{week[2:4]}/{week[4:]}, made "
            f"{created_of(hdr_key):%m/%d/%Y %H:%M:%S}, sequence {sequence}): entries of "
            + ", ".join(sorted(set(written.sources.values()))))
