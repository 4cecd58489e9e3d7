"""A run family, declared: what it reads, its steps, its progress stages, its printed reports,
the codes it issues and the store tables it writes, plus its engine entry point.

A family's engine (`pipelines/engine/<family>/`) computes and returns frames; its report stage
(`pipelines/reports/`) prints them; the operator layer (`pipelines/operator/runs.py`) binds
the two and the CLI and flows call that. A new family is a new declaration and new folders;
nothing of another family changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.engine.machinery.result import RunResult


@dataclass(frozen=True)
class Family:
    name: str  # short id, e.g. "qap-week"
    title: str  # what an operator calls it
    layouts: tuple[str, ...]  # record layouts it reads (layouts/records/<name>.toml)
    references: tuple[str, ...]  # reference files it reads (file names in the reference folder)
    steps: tuple[str, ...]  # its steps, in order, as RunResult.steps names them
    stages: tuple[tuple[str, str], ...]  # what opens each stage (its `Progress` message's
    #                                       prefix) and what the stage does
    reports: tuple[str, ...]  # printed reports (file stems; `_MMDDYYYY` ones per week)
    codes: tuple[str, ...]  # the runs of validators/codes.py whose codes it issues
    tables: tuple[str, ...]  # store tables it writes
    run: Callable[..., RunResult]  # the engine entry point: run(..., printer=report stage)


def printer_fourth(engine: Callable[..., RunResult]) -> Callable[..., RunResult]:
    """A family's `run` for an engine entry point that takes its report stage fourth (decks,
    data folder, reference data, report stage, then its own options): the family convention
    passes the report stage as the keyword `printer`."""

    def run(deck_paths: list[Path], data_dir: Path, reference: object, *options: object,
            printer: Callable[..., object], **named: object) -> RunResult:
        return engine(deck_paths, data_dir, reference, printer, *options, **named)

    run.__doc__ = f"`{engine.__name__}` in the family convention (the report stage as `printer`)."
    return run
