"""Benchmark of the run page alone (issue 20): what `qap run` spends after `run_week` publishes.
A script, not a test. It needs the week a `tests.bench.weekly` run left in bench/out (the
national deck and the week deck), runs `run_week` on them ONCE into bench/out/page-data (kept,
with the result pickled beside it), then times `run_page.write` --runs times, each in a fresh
process as `qap run` does it: with what `run_week` imported already loaded, the page's own
imports, then the page. Wall and CPU (user + sys of every thread, and of any process the page
starts) are printed per run, and their medians. The children may write compiled bytecode, and an
unmeasured first page writes it, as on a machine after set-up.

Example (after `python -m tests.bench.weekly --runs 1 --lines 1000000`):
    uv run python -m tests.bench.run_page --runs 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("bench/out")
RUN_DATE = dt.date(2026, 11, 16)


def prepare(out: Path) -> Path:
    """`run_week` of the bench's week into `out/page-data` once; the pickled result's path."""
    saved = out / "page-data" / "result.pickle"
    if saved.exists():
        return saved
    from fixtures import generate
    from pipelines.engine.machinery import reference
    from pipelines.operator.runs import run_week

    data = out / "page-data" / "data"
    result = run_week([out / generate.NATIONAL_FILE, out / generate.WEEK_FILE], data,
                      reference.load(out), RUN_DATE)
    saved.write_bytes(pickle.dumps(result))
    return saved


def child(saved: Path) -> None:
    """One page as `qap run` makes it after `run_week`: what the run imported is loaded
    first, untimed; then the page's own imports and `write`, timed (printed as JSON)."""
    import pipelines.operator.runs  # noqa: F401  (the run's imports, there before the page)

    start, cpu = time.perf_counter(), _cpu()
    from pipelines.reports import run_page

    imported, imported_cpu = time.perf_counter() - start, _cpu() - cpu
    result = pickle.loads(saved.read_bytes())
    run_page.write(result, saved.parent / "data")
    print(json.dumps({"wall": time.perf_counter() - start, "cpu": _cpu() - cpu,
                      "import_s": imported, "import_cpu_s": imported_cpu}))


def _cpu() -> float:
    """CPU of this process (every thread) and of the children it has waited for (a page may
    draw its charts in a process of its own)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _process(cmd: list[str]) -> dict:
    """One child's figures; it may write compiled bytecode."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    saved = prepare(args.out)
    page = [sys.executable, "-m", "tests.bench.run_page", "--child", str(saved)]
    _process(page)  # unmeasured: compiles the bytecode, as set-up does (issue 20, target 5)
    runs = []
    for _ in range(args.runs):
        runs.append(_process(page))
        print(f"page: {runs[-1]['wall']:.2f} s wall, {runs[-1]['cpu']:.2f} s CPU (its imports "
              f"{runs[-1]['import_s']:.2f} s, {runs[-1]['import_cpu_s']:.2f} s CPU)", flush=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"median of {len(runs)}: {med['wall']:.2f} s wall, {med['cpu']:.2f} s CPU (its imports "
          f"{med['import_s']:.2f} s, {med['import_cpu_s']:.2f} s CPU)")
    print(json.dumps({"run_page_s": med["wall"], "run_page_cpu_s": med["cpu"], "runs": runs}))


if __name__ == "__main__":
    main()
