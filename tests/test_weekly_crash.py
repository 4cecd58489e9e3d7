"""A weekly run killed (SIGKILL) at any point of publishing leaves the state before or after,
and a rerun completes to the same state as a run that was never interrupted. Its reports
are only ever under their run id when the run was published: a killed run leaves a working
folder (`.partial`), which the next run removes or, if the run was published, renames."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from pipelines.engine.machinery.reference import load
from pipelines.operator.runs import run_week
from pipelines.state.store import Store

FIXTURES = Path(__file__).parent.parent / "fixtures"
CHILD = Path(__file__).parent / "weekly_crash_child.py"
STEPS = ["begin:cleaned", "begin:tmp-created", "commit:carried-forward",
         "commit:manifest-written", "commit:tmp-synced", "commit:renamed",
         "commit:generations-synced", "commit:symlink-temp-created", "commit:swapped"]
TABLES = ["defect_codes", "quality_standards", "cum_ofp", "cum_defects", "error_register",
          "adjustment_ledger"]


def _state(data: Path) -> dict[str, pl.DataFrame | None]:
    store = Store(data)
    return {t: store.read(t) for t in TABLES}


def _same(a: dict, b: dict) -> bool:
    return all((a[t] is None and b[t] is None) or (a[t] is not None and b[t] is not None
               and a[t].equals(b[t])) for t in TABLES)


RUN = "20261117.01"  # the run id of the sample week in the child


def _runs(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "runs").iterdir())


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _child(data: Path, crash_at: str | None) -> int:
    env = dict(os.environ)
    env.pop("QAP_CRASH_AT", None)
    if crash_at:
        env["QAP_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, str(CHILD), str(data)], env=env,
                          capture_output=True, timeout=120).returncode


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    before = root / "before"
    run_week([FIXTURES / "national" / "national-defect-list.dat"], before,
             load(FIXTURES / "reference"), dt.date(2026, 11, 10))
    after = root / "after"
    shutil.copytree(before, after, symlinks=True)
    assert _child(after, None) == 0
    return root, _state(before), _state(after)


def test_kill_at_any_step_leaves_before_or_after_and_rerun_completes(base):
    root, before, after = base

    reports = _files(root / "after" / "runs" / RUN)

    def one(step: str) -> tuple[str, int, str, bool, list[str], list[str], list[str]]:
        data = root / f"kill-{step.replace(':', '-')}"
        shutil.copytree(root / "before", data, symlinks=True)
        code = _child(data, step)
        seen = _state(data)
        which = "before" if _same(seen, before) else "after" if _same(seen, after) else "mixed"
        left = _runs(data)
        if which == "before":
            assert _child(data, None) == 0
        final = _same(_state(data), after)
        if which == "after":  # the decks were posted: this run refuses them, tidying first
            assert _child(data, None) == 0
        return step, code, which, final, left, _runs(data), _files(data / "runs" / RUN)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, STEPS))
    for step, code, which, final, left, runs, files in results:
        assert code == -signal.SIGKILL, step
        assert which in ("before", "after"), step
        assert final, step
        assert left == ["20261110.01", f"{RUN}.partial"], step
        assert RUN in runs and not [r for r in runs if r.endswith(".partial")], step
        assert files == reports, step
    assert [r[2] for r in results].count("after") == 1  # only the swap publishes
