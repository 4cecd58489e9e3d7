"""Condition codes, defined once: what a run, a step or a command ends with (README,
"Condition codes"). Every module that returns or exits with one imports it from here."""

from __future__ import annotations

CC_CLEAN, CC_REJECTED, CC_REFUSED, CC_INCOMPLETE, CC_ABEND = 0, 4, 8, 12, 16
CC_USAGE = 2  # a command line the command cannot read, as click says it

MEANING = {CC_CLEAN: "clean", CC_REJECTED: "records rejected (see the error registers)",
           CC_REFUSED: "a deck was refused (nothing of it posted)",
           CC_INCOMPLETE: "the run could not complete",
           CC_ABEND: "the run stopped on an internal error"}
