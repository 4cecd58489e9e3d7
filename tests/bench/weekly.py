"""Benchmark of the weekly run (runs 01 + 03) against the polars parse floor. A script, not a
test: it builds a synthetic week deck (`fixtures.generate`) into bench/out/ (gitignored) and
measures, in the same run:

(a) the parse floor: `pl.read_csv` of the week deck as one String column, then ONE select of
    `str.slice` for every field of every layout the deck uses (prefix, form3926_header,
    form3926_line) over all lines. Best of 3.
(b) the outputs floor: the parse floor plus only what the issues require the run to write,
    done the cheapest way and with no check at all: the deck's sha256 (its identity), one
    printed line per record (the sliced fields joined, no pages or headings) and a Parquet
    file of the sliced fields (uncompressed). Best of 3. Its ratio to (a) is, in practice,
    a lower bound for any run that writes those outputs on this machine.
(c) the full run: `pipelines.operator.runs.run_week` on a fresh data dir with the
    national Defect Code deck and the week deck, in a child process so that its peak RSS is
    its own. Best of 2.

Targets (from the issue): full / floor <= 2.0 and peak RSS <= 1 GB; each prints PASS or MISS.
The per-stage breakdown comes from the timestamps of run_week's `progress` messages.

Example:
    uv run python -m tests.bench.weekly --lines 1000000 --seed 7

To profile one full run (after a bench has built bench/out/):
    uv run --with pyinstrument python -m pyinstrument -m tests.bench.weekly --child bench/out/prof
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl

from fixtures import generate
from layouts.layout import load
from pipelines.engine.qap import weekly

OUT = Path("bench/out")
FLOOR_LAYOUTS = ("prefix", "form3926_header", "form3926_line")
RATIO_TARGET = 2.0
RSS_TARGET = 1024**3  # bytes
RUN_DATE = dt.date(2026, 11, 16)
STAGE_NAMES = weekly.STAGES  # progress message prefix -> what the stage does until the next


def parse_floor(path: Path) -> float:
    """Seconds to read the deck as one String column and slice every field of its layouts."""
    fields = [(lay.record, f) for lay in map(load, FLOOR_LAYOUTS) for f in lay.fields]
    start = time.perf_counter()
    frame = pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None,
                        new_columns=["text"], schema={"text": pl.String})
    sliced = frame.select(pl.col("text").str.slice(f.offset, f.width).alias(f"{rec}.{f.name}")
                          for rec, f in fields)
    took = time.perf_counter() - start
    assert sliced.width == len(fields) and sliced.height == frame.height
    return took


def outputs_floor(path: Path, out: Path) -> float:
    """Seconds for the parse floor plus the outputs every run must write, in their cheapest
    form: the identity hash, a printed line and a Parquet row per record (files in `out`)."""
    fields = [(lay.record, f) for lay in map(load, FLOOR_LAYOUTS) for f in lay.fields]
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    identity = hashlib.sha256(path.read_bytes()).hexdigest()
    frame = pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None,
                        new_columns=["text"], schema={"text": pl.String})
    sliced = frame.select(pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("line_no"),
                          *(pl.col("text").str.slice(f.offset, f.width).alias(f"{rec}.{f.name}")
                            for rec, f in fields), "text")
    printed = sliced.select(pl.concat_str(pl.exclude("text").cast(pl.String), separator=" "))
    printed.write_csv(out / "printed.txt", include_header=False, quote_style="never")
    sliced.write_parquet(out / "fields.parquet", compression="uncompressed")
    took = time.perf_counter() - start
    assert len(identity) == 64 and printed.height == sliced.height == frame.height
    return took


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


class _RssSampler(threading.Thread):
    """Samples VmRSS every few milliseconds; keeps the peak of each stage (progress message)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stage = 0
        self.peaks: list[int] = [0]
        self.done = threading.Event()

    def mark(self) -> None:
        self.peaks.append(0)
        self.stage += 1

    def run(self) -> None:
        while not self.done.wait(0.005):
            rss = _status_kb("VmRSS:")
            stage = self.stage
            self.peaks[stage] = max(self.peaks[stage], rss)


def measure_run(data_dir: Path, inputs: Path, decks: list[Path]) -> dict:
    """One `run_week` of `decks` on a fresh `data_dir`, timed and RSS-sampled per stage."""
    from pipelines.engine.machinery import reference
    from pipelines.operator.runs import run_week

    if data_dir.exists():
        shutil.rmtree(data_dir)
    ref = reference.load(inputs)
    marks: list[tuple[float, str]] = []
    sampler = _RssSampler()

    def progress(msg: str) -> None:
        marks.append((time.perf_counter() - start, msg))
        sampler.mark()

    sampler.start()
    start = time.perf_counter()
    result = run_week(decks, data_dir, ref, RUN_DATE, progress=progress)
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    reports = sorted(p.name for p in result.outputs.values() if p.suffix == ".txt")
    return {"wall": wall, "marks": marks, "stage_rss_kb": sampler.peaks,
            "hwm_kb": _status_kb("VmHWM:"), "records_in": result.records_in,
            "posted": result.posted, "rejected": result.rejected, "reports": reports,
            "condition_code": result.condition_code}


def child(data_dir: Path, inputs: Path) -> dict:
    """One full run of the national list and the week (printed as JSON by main)."""
    return measure_run(data_dir, inputs,
                       [inputs / generate.NATIONAL_FILE, inputs / generate.WEEK_FILE])


def _full_run(data_dir: Path, inputs: Path) -> dict:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tests.bench.weekly", "--child", str(data_dir),
                           "--out", str(inputs)], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"full run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process_wall"] = time.perf_counter() - start
    return report


def _stages(run: dict) -> list[tuple[float, int, str, str]]:
    """(seconds, peak RSS KiB, stage, message) from the progress timestamps of one run."""
    marks = [(0.0, "(call)"), *[(t, m) for t, m in run["marks"]], (run["wall"], "(return)")]
    rss = run["stage_rss_kb"]
    out = [(marks[1][0], rss[0], "setup: store, lock, deck ledger", "")]
    for i, ((t0, msg), (t1, _)) in enumerate(itertools.pairwise(marks[1:]), start=1):
        name = next((n for prefix, n in reversed(STAGE_NAMES) if msg.startswith(prefix)), msg)
        out.append((t1 - t0, rss[i], name, msg.split(" to ")[0]))
    return out


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> None:
    """Build the bench deck, measure the parse floor and the full run, print the verdicts.

    Example: uv run python -m tests.bench.weekly --lines 1000000 --seed 7
    """
    parser = argparse.ArgumentParser(prog="python -m tests.bench.weekly", description=main.__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # data dir of one run
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.out)))
        return

    start = time.perf_counter()
    files = generate.write_inputs(args.out, args.lines, args.seed)
    built = time.perf_counter() - start
    week = files["week"]
    print(f"deck {week}: {args.lines:,} records, {week.stat().st_size / 1e6:.1f} MB, "
          f"built in {built:.2f} s (seed {args.seed})")

    floors = [parse_floor(week) for _ in range(3)]
    floor = min(floors)
    print(f"(a) parse floor, best of 3:   {floor:7.3f} s   "
          f"[{', '.join(f'{t:.3f}' for t in floors)}]")

    least = [outputs_floor(week, args.out / "outputs-floor") for _ in range(3)]
    print(f"(b) outputs floor, best of 3: {min(least):7.3f} s   = {min(least) / floor:.2f} x (a): "
          f"hash + a printed line and a Parquet row per record, no checks "
          f"[{', '.join(f'{t:.3f}' for t in least)}]")

    runs = [_full_run(args.out / f"data-{i}", args.out) for i in range(2)]
    best = min(runs, key=lambda r: r["wall"])
    walls = ", ".join(f"{r['wall']:.3f}" for r in runs)
    process = ", ".join(f"{r['process_wall']:.2f}" for r in runs)
    print(f"(c) full run 01+03, best of 2: {best['wall']:7.3f} s   [{walls}; child process "
          f"incl. imports {process} s]")
    print(f"    records in {best['records_in']:,}, posted {best['posted']:,}, rejected "
          f"{best['rejected']:,}, condition code {best['condition_code']}")

    ratio = best["wall"] / floor
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    hwm = max(r["hwm_kb"] for r in runs) * 1024
    print(f"ratio full / floor: {ratio:7.2f}   target <= {RATIO_TARGET}   "
          f"{_verdict(ratio <= RATIO_TARGET)}   (the outputs alone: {min(least) / floor:.2f}; "
          f"full / outputs floor: {best['wall'] / min(least):.2f})")
    print(f"peak RSS of full run: {peak / 2**20:,.0f} MiB (ru_maxrss of children; VmHWM "
          f"{hwm / 2**20:,.0f} MiB)   target <= {RSS_TARGET / 2**20:,.0f} MiB   "
          f"{_verdict(peak <= RSS_TARGET)}")

    print(f"stages of the best full run ({best['wall']:.2f} s; peak RSS sampled every 5 ms):")
    print(f"  {'seconds':>9} {'share':>6} {'peak RSS':>10}  stage")
    for seconds, rss_kb, name, msg in _stages(best):
        shown = f"  [{msg}]" if msg else ""
        peak_text = f"{rss_kb / 1024:6,.0f} MiB" if rss_kb else f"{'-':>10}"
        print(f"  {seconds:7.3f} s {seconds / best['wall']:6.1%} {peak_text}  {name}{shown}")


if __name__ == "__main__":
    main()
