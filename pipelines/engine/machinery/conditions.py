"""Condition codes, defined once: what a run, a step or a command ends with (README,
"Condition codes"). Every module that returns or exits with one imports it from here."""

from __future__ import annotations

from pathlib import Path

from pipelines.state.disk import no_space

CC_CLEAN, CC_REJECTED, CC_REFUSED, CC_INCOMPLETE, CC_ABEND = 0, 4, 8, 12, 16
CC_USAGE = 2  # a command line the command cannot read, as click says it

MEANING = {CC_CLEAN: "clean", CC_REJECTED: "records rejected (see the error registers)",
           CC_REFUSED: "a deck was refused (nothing of it posted)",
           CC_INCOMPLETE: "the run could not complete",
           CC_ABEND: "the run stopped on an internal error"}


class Incomplete(Exception):
    """An error a step raises when the run cannot complete for a reason outside the product
    (12), its message saying what the operator should do; callers need not know each one."""


def unforeseen(err: BaseException, nothing: str, where: Path | None = None
               ) -> tuple[int, str]:
    """The condition code and the sentence for an error no step foresaw. A full file system
    (`no_space`, `where`: the data directory) is the machine's state, not a fault of the
    product: the run could not complete (12), and the sentence says where to make room
    (review 14, F11); so is an `Incomplete` (a deck changed under the run after intake), whose
    message says what to do; anything else is an internal error (16). `nothing`: what was not
    done ("nothing was posted")."""
    if isinstance(err, Incomplete):
        return CC_INCOMPLETE, f"{err}; {nothing}"
    said = f"{type(err).__name__}: {err}"
    if full := no_space(err, where):
        return CC_INCOMPLETE, (f"{full} ({said}); {nothing}: make room there (a run writes its "
                               "reports and a new generation of the state beside the last "
                               "one) and run again")
    return CC_ABEND, f"internal error, {nothing}: {said}"
