"""Benchmark of the individual data step as the weekly run calls it (`step.run_step`). A script,
not a test.

One synthetic week (the split week ending 01/03/2026, so two SARs and two quarters): an
Employee Master File of N employees (every tenth on an unmeasured plan), an OFP Consistency File
of 200 OFPs, a Form 3081 deck (1 line in 499 for an SSN not on the Employee Master File), a
Form 6489 deck (2,000 forms by default, each adjusting a record the week creates) and run 03's
accepted review lines in `Run03Result.reviews` shape (about 1 in 4 lines continues a
transaction, 1 in 50 transactions is a unit/group charge, 1 in 97 carries an SSN with no Form
3081). Records are built as fixed-width text from the layouts and prefix-decoded as the weekly
run does; the previous `cum_jobs` holds one quarter of history per SSN and OFP of the week.

Each measured run is a child process (its peak RSS is its own: the child's VmHWM, read from its
own /proc), writing its reports into bench/out/individual/ (gitignored). Printed:
wall time of run_step, its split (calculate / print = lay out + write .txt / parquet), the
rows and MB written, and peak RSS with and without the inputs.

Example (the defaults are the target volume):
    uv run python -m tests.bench.individual --employees 25000 --time-lines 100000 \\
        --review-lines 1000000 --runs 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from layouts import encode, layout
from layouts.decoder import decode
from pipelines.engine.qap.individual.cum_jobs import CUM_SCHEMA, REVIEW_SCHEMA

OUT = Path("bench/out/individual")
SATURDAY = dt.date(2026, 1, 3)  # split week: the quarter ends Wednesday 12/31/2025
QUARTER_END = dt.date(2025, 12, 31)
RUN_DATE = dt.date(2026, 1, 5)
N_OFP = 200
PREFIX = layout.load("prefix")


def _z(expr: pl.Expr, width: int) -> pl.Expr:
    return expr.cast(pl.String).str.zfill(width)


def _rows(n: int) -> pl.DataFrame:
    return pl.DataFrame({"i": pl.int_range(n, eager=True)})


def employees(n_emp: int) -> pl.DataFrame:
    i = pl.col("i")
    text = encode.text("employee_master", {
        "ssn": _z(i + 100_000_000, 9), "last_name": pl.format("NAME{}", i),
        "first_name": "FIRST", "middle_initial": "A", "assigned_org": _z(81000 + i % 50, 5),
        "grade": "07", "step": "01", "class_code": (i % 5 + 1).cast(pl.String),
        "plan": pl.when(i % 10 == 0).then(pl.lit("U")).otherwise(pl.lit("M")),
        "measured_since": "01012020", "work_status": "W", "rating_period_start": "10012025"})
    return decode(_rows(n_emp).select(text.alias("text")), layout.load("employee_master"))


def ofp() -> pl.DataFrame:
    i = pl.col("i")
    text = encode.text("ofp_consistency", {
        "org_code": "81120", "function_code": "110", "program_code": _z(40000 + i, 5),
        "qpc": _z(100 + i % 20, 3), "measured_code": "1", "learning_curve_hours": "0040",
        "efficiency_standard": "02500", "program_title": pl.format("PROGRAM {}", i)})
    return decode(_rows(N_OFP).select(text.alias("text")), layout.load("ofp_consistency"))


def _time_lines(n_emp: int, n_time: int) -> pl.DataFrame:
    """ssn, program_code, date of each Form 3081 line (half quarter-end dated, half Saturday)."""
    i = pl.col("i")
    ssn = pl.when(i % 499 == 0).then(pl.lit("999999999")).otherwise(  # not on the EMF
        _z(i % n_emp + 100_000_000, 9))
    return _rows(n_time).select(
        "i", ssn=ssn, prog=_z(40000 + (i // n_emp) % N_OFP, 5),
        date=pl.when(i % 2 == 0).then(pl.lit(QUARTER_END)).otherwise(pl.lit(SATURDAY)))


def records(n_emp: int, n_time: int, n_adj: int) -> pl.DataFrame:
    """The 59600/59602 records as the weekly run hands them to run_step: 3081 deck = deck 1,
    6489 deck = deck 2 (the reviews' deck is 0), seq across the run, prefix decoded."""
    t = _time_lines(n_emp, n_time)
    i = pl.col("i")
    time_text = encode.text("prefix+form3081", {
        "program_number": "59600", "format_code": "073", "ssn": pl.col("ssn"),
        "week_ending": pl.col("date").dt.strftime("%m%d%Y"), "org_code": "81120",
        "function_code": "110", "program_code": pl.col("prog"), "hours_tenths": "0200",
        "volume": _z(i % 900, 7), "grade": "07", "step": "01",
        "time_code": pl.when(i % 17 == 0).then(pl.lit("2")).otherwise(pl.lit("1"))})
    adj_text = encode.text("prefix+form6489", {
        "program_number": "59602", "format_code": "060", "org_code": "81120",
        "function_code": "110", "program_code": pl.col("prog"), "ssn": pl.col("ssn"),
        "last_name": "NAME", "hours_tenths": "    1",
        "volume": "     1}", "reviewed": "    1", "adjustment_code": "4", "grade": "07",
        "record_code": "1", "week_ending": "01032026", "step": "01", "time_code": "1",
        "class_code": "1"})
    decks = [
        t.select(text=time_text, deck_no=pl.lit(1, pl.UInt16),
                 line_no=(i + 2).cast(pl.UInt32)),
        # Forms 6489 adjust records the week's Saturday-dated 3081s create (current quarter)
        t.filter(i % 2 == 1).head(n_adj).select(text=adj_text, deck_no=pl.lit(2, pl.UInt16),
                                                line_no=(pl.int_range(pl.len()) + 2)
                                                .cast(pl.UInt32)),
    ]
    frame = pl.concat(decks).with_row_index("seq").with_columns(
        pl.lit(SATURDAY, pl.Date).alias("deck_week_ending"))
    return decode(frame, PREFIX)


def reviews(n_emp: int, n_time: int, n_rev: int) -> pl.DataFrame:
    """Run03Result.reviews: one row per accepted review line of the week."""
    t = _time_lines(n_emp, n_time).rename({"i": "j"})
    i = pl.col("i")
    starts = (i % 4 != 3) | (i == 0)
    r = _rows(n_rev).with_columns(
        starts.alias("starts"),
        starts.cast(pl.UInt32).cum_sum().alias("txn")).with_columns(
        ((pl.col("txn") - 1) % n_time).alias("j"))
    r = r.join(t, on="j", how="left", maintain_order="left")
    unit = starts & (pl.col("txn") % 50 == 0)
    stray = starts & (pl.col("txn") % 97 == 0)
    return r.select(
        deck_no=pl.lit(0, pl.UInt16), line_no=(i + 2).cast(pl.UInt32),
        unit=pl.col("i").first().over("txn").cast(pl.UInt32), week_ending=pl.col("date"),
        org_code=pl.lit("81120"), function_code=pl.lit("110"), program_code=pl.col("prog"),
        starts=pl.col("starts"), unit_charge=unit,
        ssn=pl.when(~starts | unit).then(None).when(stray).then(pl.lit("999999999"))
        .otherwise(pl.col("ssn")),
        sampled=pl.when(starts).then(i % 5 + 1), defective=pl.when(starts).then(i % 2),
        defect_code=pl.when(i % 2 == 1).then(pl.lit("101")),
        defects=pl.when(i % 2 == 1).then(pl.lit(1)), warning=pl.lit(False)).cast(REVIEW_SCHEMA)


def previous_cum_jobs(n_emp: int, n_time: int) -> pl.DataFrame:
    """Last quarter's cum job records: one per SSN, OFP and grade the week's 3081s touch."""
    keys = _time_lines(n_emp, n_time).select("ssn", "prog").unique()
    return keys.select(
        "ssn", org_code=pl.lit("81120"), function_code=pl.lit("110"),
        program_code=pl.col("prog"), grade=pl.lit("07"),
        quarter_end=pl.lit(dt.date(2025, 9, 30)), record_code=pl.lit("1"), step=pl.lit("01"),
        hours_tenths=pl.lit(4000), volume=pl.lit(9000), lc_hours_tenths=pl.lit(0),
        lc_volume=pl.lit(0), reviewed=pl.lit(60), errors=pl.lit(2),
        last_posted=pl.lit(dt.date(2025, 9, 27)), last_adjusted=pl.lit(None, pl.Date),
        overhead_hours_tenths=pl.lit(0),
    ).cast(CUM_SCHEMA)


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def child(run_dir: Path, n_emp: int, n_time: int, n_rev: int, n_adj: int) -> dict:
    """Build the inputs, then one run_step into `run_dir`; the figures as a dict."""
    from pipelines.engine.qap.individual.step import run_step
    from pipelines.reports.individual_week import print_step

    if run_dir.exists():
        shutil.rmtree(run_dir)
    start = time.perf_counter()
    inputs = {"records": records(n_emp, n_time, n_adj), "reviews": reviews(n_emp, n_time, n_rev),
              "previous": {"cum_jobs": previous_cum_jobs(n_emp, n_time)},
              "employees": employees(n_emp), "ofp": ofp()}
    built = time.perf_counter() - start
    inputs_kb = _status_kb("VmHWM:")
    start = time.perf_counter()
    result = print_step(run_step(week_ending=SATURDAY, **inputs), RUN_DATE, run_dir)
    wall = time.perf_counter() - start
    sizes = {name: path.stat().st_size for name, path in result.outputs.items()}
    return {"built": built, "wall": wall, "timings": result.timings,
            "inputs_hwm_kb": inputs_kb, "hwm_kb": _status_kb("VmHWM:"),
            "records": result.records.height, "posted": result.posted,
            "rejected": result.rejected, "reviews": inputs["reviews"].height,
            "cum_jobs": result.tables["cum_jobs"].height,
            "txt_mb": sum(v for k, v in sizes.items() if k.endswith(".txt")) / 1e6,
            "parquet_mb": sum(v for k, v in sizes.items() if k.endswith(".parquet")) / 1e6,
            "txt_lines": {k: sum(1 for _ in result.outputs[k].open()) for k in sizes
                          if k.endswith(".txt")}}


def main(argv: list[str] | None = None) -> None:
    """Run the individual data step on a synthetic week in child processes; print figures."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench.individual",
                                     description=main.__doc__)
    parser.add_argument("--employees", type=int, default=25_000)
    parser.add_argument("--time-lines", type=int, default=100_000)
    parser.add_argument("--review-lines", type=int, default=1_000_000)
    parser.add_argument("--adjustments", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = (args.employees, args.time_lines, args.review_lines, args.adjustments)
    if args.child:
        print(json.dumps(child(args.child, *sizes)))
        return

    print(f"individual data step, week ending {SATURDAY:%m/%d/%Y} (split week): "
          f"{args.employees:,} employees, {args.time_lines:,} Forms 3081, "
          f"{args.adjustments:,} Forms 6489, {args.review_lines:,} review lines")
    runs = []
    for n in range(args.runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "tests.bench.individual", "--child",
             str(args.out / f"run-{n}"), "--employees", str(args.employees), "--time-lines",
             str(args.time_lines), "--review-lines", str(args.review_lines), "--adjustments",
             str(args.adjustments)], capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
        run["process"] = time.perf_counter() - start
        runs.append(run)
        t = run["timings"]
        print(f"  run {n + 1}: run_step {run['wall']:.2f} s = calculate {t['calculate']:.2f} s"
              f" + print {t['print']:.2f} s + parquet {t['parquet']:.2f} s (+ "
              f"{run['wall'] - sum(t.values()):.2f} s other); inputs built in "
              f"{run['built']:.2f} s; child process {run['process']:.2f} s")
    best = min(runs, key=lambda r: r["wall"])
    # The children's own peak (VmHWM): a forked child's ru_maxrss counts this process's size
    peak = max(r["hwm_kb"] for r in runs) / 1024  # KiB -> MiB
    print(f"best run_step wall time: {best['wall']:.2f} s "
          f"(calculate {best['timings']['calculate']:.2f} s, print "
          f"{best['timings']['print']:.2f} s, parquet {best['timings']['parquet']:.2f} s)")
    print(f"peak RSS of the child: {peak:,.0f} MiB (VmHWM); VmHWM with inputs built "
          f"{best['inputs_hwm_kb'] / 1024:,.0f} MiB, after run_step "
          f"{best['hwm_kb'] / 1024:,.0f} MiB")
    print(f"records {best['records']:,} (posted {best['posted']:,}, rejected "
          f"{best['rejected']:,}); cum_jobs {best['cum_jobs']:,} rows; printed "
          f"{best['txt_mb']:.1f} MB, parquet {best['parquet_mb']:.1f} MB")
    for name, n_lines in sorted(best["txt_lines"].items()):
        print(f"  {name}: {n_lines:,} lines")


if __name__ == "__main__":
    main()
