"""Conservation, checked by every run: records in = posted + on a register, per deck."""

from __future__ import annotations

from pipelines.engine.machinery.result import RunResult


class ConservationError(Exception):
    pass


def conserve(result: RunResult) -> None:
    for d in result.decks:
        if d.status == "accepted" and d.records != d.posted + d.rejected:
            raise ConservationError(
                f"{d.path}: conservation failed: {d.records} records in, {d.posted} posted, "
                f"{d.rejected} on a register")
