"""The decks a published run left in its inbox because its archive step failed.

A run publishes, then its flow moves the decks it read to the archive (used) or to refused/.
When that move fails (a link planted at the run's archive folder: check of session 18, N1),
the decks stay in the inbox, and a rerun read them again and refused them as duplicates of the
run that used them. A weekly flow batch resumes at its archive step; the daily sampling and
inventory flows have no batch, so they keep a note instead: each deck left, with a digest of
its bytes and where it belongs. The next run of the flow moves those decks first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from pipelines.state.files import write_atomically
from pipelines.state.store import sha256_file

# a deck moved to where a run put it: (its path in the inbox, the run's id, whether it was used)
Move = Callable[[Path, str, bool], Path]


def note(path: Path, run_id: str, decks: Iterable[tuple[Path, bool]]) -> None:
    """Write the note at `path`: the decks (path, used) still in the inbox after the run
    `run_id` published and its archive step failed. Owner-only; replaces a link."""
    left = [{"name": deck.name, "sha256": sha256_file(deck), "used": used}
            for deck, used in decks if deck.is_file() and not deck.is_symlink()]
    text = json.dumps({"run_id": run_id, "decks": left}, indent=1) + "\n"
    write_atomically(path, lambda fh: fh.write(text.encode()))


def said(path: Path, inbox: Path, command: str) -> str:
    """What the note at `path` means for the operator."""
    return (f"the decks it took that are still in {inbox} are noted in {path}: the next "
            f"`{command}` moves them first and reads nothing of them again")


def finish(path: Path, inbox: Path, move: Move, run_kind: str) -> list[str]:
    """Move each deck the note at `path` names that still lies in `inbox` with the same bytes
    (a deck gone, or another deck under its name, is left to this run); a line each. The note
    is removed once every deck is moved. Raises OSError as the archive step does (the note is
    then kept, and the caller reads nothing of the inbox)."""
    if path.is_symlink() or not path.is_file():
        return []
    try:
        pending = json.loads(path.read_text(encoding="utf-8"))
        run_id = str(pending["run_id"])
        decks = [(Path(d["name"]).name, str(d["sha256"]), bool(d["used"]))
                 for d in pending["decks"]]
    except (ValueError, KeyError, TypeError) as err:
        raise OSError(f"{path} is not the note a failed archive step writes ({err!r}); move it "
                      "aside and move the decks it names by hand") from None
    lines = []
    for name, digest, used in decks:
        src = inbox / name
        if src.is_file() and not src.is_symlink() and sha256_file(src) == digest:
            where = move(src, run_id, used)
            lines.append(f"{name}: {'used' if used else 'refused'} by {run_kind} {run_id}, "
                         f"whose archive step did not finish: moved to {where.parent} now")
    path.unlink()
    return lines
