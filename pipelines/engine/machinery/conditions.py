"""Condition codes, defined once: what a run, a step or a command ends with (README,
"Condition codes"). Every module that returns or exits with one imports it from here."""

from __future__ import annotations

CC_CLEAN, CC_REJECTED, CC_REFUSED, CC_INCOMPLETE, CC_ABEND = 0, 4, 8, 12, 16
CC_USAGE = 2  # a command line the command cannot read, as click says it

MEANING = {CC_CLEAN: "clean", CC_REJECTED: "records rejected (see the error registers)",
           CC_REFUSED: "a deck was refused (nothing of it posted)",
           CC_INCOMPLETE: "the run could not complete",
           CC_ABEND: "the run stopped on an internal error"}

_NO_SPACE = ("No space left on device", "os error 28", "Disk quota exceeded", "os error 122")


def unforeseen(err: BaseException, nothing: str) -> tuple[int, str]:
    """The condition code and the sentence for an error no step foresaw. A full file system
    is the machine's state, not a fault of the product: the run could not complete (12), and
    the sentence says where to make room (review 14, F11); anything else is an internal
    error (16). `nothing`: what was not done ("nothing was posted")."""
    said = f"{type(err).__name__}: {err}"
    if any(mark in str(err) for mark in _NO_SPACE) or getattr(err, "errno", None) in (28, 122):
        return CC_INCOMPLETE, (f"the file system is full ({said}); {nothing}: make room where "
                               "the data directory is (a run writes its reports and a new "
                               "generation of the state beside the last one) and run again")
    return CC_ABEND, f"internal error, {nothing}: {said}"
