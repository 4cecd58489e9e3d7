"""`run_week` of two checkouts of the project on the weekly bench's decks, alternated: CPU
(`time.process_time` around the call), wall and peak RSS (`VmHWM`) of each, and their medians.

    uv run python -m tests.bench.weekly --runs 1 --lines 1000000   # once: leaves bench/out
    uv run python -m tests.bench.run_week_ab --base /path/to/other/checkout --rounds 5

Each run is a child process of its own, started in the checkout's folder with the checkout
on PYTHONPATH (this one's venv for both; each child is checked to import its own `pipelines`),
on a fresh data dir; the children print the run's counts, which must agree. Absolute
times on a shared machine move by a third from one run to the next: compare the sides' medians
of runs made in alternation, not runs made apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The child: `pipelines` first (its allocator setting applies before polars loads).
CHILD = """
import datetime as dt, json, shutil, sys, time
from pathlib import Path
import pipelines  # noqa: F401
from pipelines.engine.machinery import reference
from pipelines.operator.runs import run_week
inputs, data = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(data, ignore_errors=True)
ref = reference.load(inputs)
wall, cpu = time.perf_counter(), time.process_time()
result = run_week([inputs / "national.dat", inputs / "week.dat"], data, ref,
                  dt.date(2026, 11, 16))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM"))
print(json.dumps({"pipelines": str(Path(pipelines.__file__).parent),
                  "cpu_s": cpu, "wall_s": wall, "peak_rss_mib": hwm / 1024,
                  "posted": result.posted, "rejected": result.rejected,
                  "condition_code": result.condition_code}))
"""


def one(checkout: Path, inputs: Path, data: Path) -> dict:
    # In the checkout's folder: `python -c` puts the current folder before PYTHONPATH, so a
    # child started from another checkout's root imported that one's `pipelines`, not its own.
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(inputs), str(data)], env=env,
                         cwd=checkout, check=True, capture_output=True, text=True).stdout
    run = json.loads(out.strip().splitlines()[-1])
    if Path(run.pop("pipelines")).resolve() != checkout.resolve() / "pipelines":
        sys.exit(f"{checkout}: the child ran another checkout's pipelines")
    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--inputs", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    if not (args.inputs / "week.dat").is_file():
        sys.exit(f"{args.inputs}: no week.dat; run `python -m tests.bench.weekly` first")
    args.inputs = args.inputs.resolve()  # the children run in the checkouts' folders
    sides = {"base": args.base.resolve(), "this": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(prefix="run-week-ab-") as tmp:
        for n in range(args.rounds):
            for name, checkout in sides.items():
                run = one(checkout, args.inputs, Path(tmp) / name)
                runs[name].append(run)
                print(f"round {n + 1} {name}: CPU {run['cpu_s']:.2f} s, wall "
                      f"{run['wall_s']:.2f} s, peak {run['peak_rss_mib']:.0f} MiB", flush=True)
    counts = {json.dumps({k: r[k] for k in ("posted", "rejected", "condition_code")})
              for side in runs.values() for r in side}
    if len(counts) != 1:
        sys.exit(f"the runs disagree: {sorted(counts)}")
    for name, side in runs.items():
        cpu, wall, peak = (statistics.median(r[k] for r in side)
                           for k in ("cpu_s", "wall_s", "peak_rss_mib"))
        print(f"{name}: median CPU {cpu:.2f} s, wall {wall:.2f} s, peak {peak:.0f} MiB "
              f"({checkout_of(sides[name])})")


def checkout_of(path: Path) -> str:
    head = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    return f"{path} at {head or '?'}"


if __name__ == "__main__":
    main()
