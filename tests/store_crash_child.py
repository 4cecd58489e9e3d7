"""Child process for the state-store crash test (tests/test_store.py).

Runs one pipeline "run" against a store: lock, begin, write tables with deterministic content,
commit (or roll back). With ``QAP_STORE_CRASH_AT=<step>`` set, it SIGKILLs itself when the
store reaches that step (see ``pipelines.state.store.crash_hook``), simulating a hard crash there.

Usage:
    python tests/store_crash_child.py DATA_DIR RUN_ID TABLE[,TABLE...]
    python tests/store_crash_child.py DATA_DIR --rollback-before RUN_ID
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from pathlib import Path

import polars as pl

from pipelines.state import store as store_module
from pipelines.state.store import Store

CRASH_ENV = "QAP_STORE_CRASH_AT"


def frame_for(table: str, run_id: str) -> pl.DataFrame:
    """Deterministic content of ``table`` as written by ``run_id`` (differs per run and table)."""
    seed = int.from_bytes(hashlib.sha256(f"{table}/{run_id}".encode()).digest()[:4], "big")
    n = 200 + seed % 100
    return pl.DataFrame(
        {
            "key": [f"{table[:3].upper()}{i:05d}" for i in range(n)],
            "value": [(seed * (i + 1)) % 1_000_003 for i in range(n)],
            "run_id": [run_id] * n,
        }
    )


def run(data_dir: Path, run_id: str, tables: list[str]) -> int:
    """One uninterrupted run: publish ``tables`` as written by ``run_id``; return generation."""
    store = Store(data_dir)
    with store.lock(run_id, wait_seconds=10.0), store.begin(run_id) as gen:
        for table in tables:
            gen.write(table, frame_for(table, run_id))
        return gen.commit(note=f"crash-test run {run_id}", extra={"tables": tables})


def rollback(data_dir: Path, run_id: str) -> int:
    store = Store(data_dir)
    with store.lock(f"rollback-{run_id}", wait_seconds=10.0):
        return store.rollback_before(run_id, note="crash-test rollback")


def install_crash_hook_from_env() -> None:
    step = os.environ.get(CRASH_ENV)
    if not step:
        return

    def hook(name: str) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    store_module.crash_hook = hook


def main(argv: list[str]) -> int:
    install_crash_hook_from_env()
    if len(argv) == 3 and argv[1] == "--rollback-before":
        generation = rollback(Path(argv[0]), argv[2])
    elif len(argv) == 3:
        generation = run(Path(argv[0]), argv[1], [t for t in argv[2].split(",") if t])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(generation)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
