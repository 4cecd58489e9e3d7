"""Memory of a backfill (issue 20, target 3): does `qap backfill` hold one week at a time? A
script, not a test. It builds N week folders of L Form 3926 lines each (`fixtures.generate`;
the national Defect Code deck rides in week 1) into bench/out/backfill/ (gitignored), runs
`qap backfill` over them in a child process, samples the child's VmRSS every 20 ms from
/proc, and prints each week's peak (the child's progress line "week K of N" marks where a
week starts). A backfill that kept anything of its weeks would show peaks growing with K;
one that holds a week at a time shows flat peaks, apart from the store's tables (Cumulative
Data File, register, ledger), which a week reads and which grow by a little each week.

Example:
    uv run python -m tests.bench.backfill --weeks 5 --lines 200000
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from fixtures import generate
from layouts import encode, layout

OUT = Path("bench/out/backfill")
FIRST_WEEK = dt.date(2025, 1, 4)  # a Saturday; the weeks follow it
_WEEK = re.compile(r"week (\d+) of (\d+): ")


def _rewrap(deck_text: str, sequence: int) -> str:
    """The same records under an HDR with another sequence number (the national list and
    week 1's reviews share their week ending and creation time)."""
    lines = deck_text.rstrip("\n").split("\n")
    hdr = layout.load("hdr")
    week, created = hdr.field("hdr_week_ending"), hdr.field("creation_date")
    return encode.deck(lines[1:-1], week_ending=lines[0][week.offset:week.end],
                       created=lines[0][created.offset:created.end], sequence=sequence)


def build(out: Path, weeks: int, lines: int, seed: int) -> tuple[Path, Path]:
    """history/wNN (one reviews deck each, the national list in week 1) and reference/."""
    if out.exists():
        shutil.rmtree(out)
    codes = generate.national_codes(300, seed)
    ofp = generate.reference_ofp(generate.ofps_needed(lines), seed)
    reference, history = out / "reference", out / "history"
    reference.mkdir(parents=True)
    (reference / generate.OFP_FILE).write_text(ofp)
    for k in range(weeks):
        ending = f"{FIRST_WEEK + dt.timedelta(weeks=k):%m%d%Y}"
        folder = history / f"w{k + 1:02d}"
        folder.mkdir(parents=True)
        (folder / "reviews.dat").write_text(
            generate.review_deck(lines, seed + k, ofp, codes, week_ending=ending))
        if k == 0:
            national = generate.defect_list_deck(codes, seed, ending)
            (folder / "00-national.dat").write_text(_rewrap(national, 2))
    return history, reference


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(history: Path, reference: Path, data_dir: Path
            ) -> tuple[int, dict[int, int], dict[int, int], dict[int, float], str]:
    """Run the backfill in a child; (its condition code, peak RSS KiB per week, RSS KiB as
    each week starts, seconds per week, its stdout)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.operator.cli", "backfill", str(history), "-d",
         str(data_dir), "-r", str(reference)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    current = [0]  # the week running now (0: start-up and planning)
    peaks: dict[int, int] = {}
    at_start: dict[int, int] = {}  # RSS when the week starts: what the weeks before left
    started: dict[int, float] = {}

    def read_progress() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            if (m := _WEEK.search(line)) and "run date" in line:
                current[0] = int(m.group(1))
                started[current[0]] = time.perf_counter()

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    while child.poll() is None:
        rss = _rss_kib(child.pid)
        peaks[current[0]] = max(peaks.get(current[0], 0), rss)
        at_start.setdefault(current[0], rss)
        time.sleep(0.02)
    end = time.perf_counter()
    reader.join(timeout=5)
    stdout = child.stdout.read() if child.stdout else ""
    marks = sorted(started.items())
    seconds = {k: (marks[i + 1][1] if i + 1 < len(marks) else end) - t
               for i, (k, t) in enumerate(marks)}
    return child.returncode, peaks, at_start, seconds, stdout


def one_by_one(history: Path, reference: Path, data_dir: Path) -> dict[int, int]:
    """The control: the same weeks run one by one with `qap run` (a fresh process each, the
    backfill's run dates), peak RSS KiB of each. What grows here grows with the store's
    tables, not with a backfill holding weeks."""
    from pipelines.operator import backfill

    if data_dir.exists():
        shutil.rmtree(data_dir)
    peaks = {}
    for week in backfill.plan([history]):
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.operator.cli", "run", *map(str, week.decks),
             "-d", str(data_dir), "-r", str(reference), "-q", "--run-date",
             week.run_date.isoformat()], stdout=subprocess.DEVNULL)
        peak = 0
        while child.poll() is None:
            peak = max(peak, _rss_kib(child.pid))
            time.sleep(0.02)
        peaks[week.number] = peak
    return peaks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.backfill",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=5)
    parser.add_argument("--lines", type=int, default=200_000, help="Form 3926 lines a week")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--control", action="store_true",
                        help="also run the weeks one by one with `qap run` (fresh processes)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    history, reference = build(args.out, args.weeks, args.lines, args.seed)
    print(f"built {args.weeks} week(s) of {args.lines:,} lines in "
          f"{time.perf_counter() - start:.1f} s ({history})")
    code, peaks, at_start, seconds, stdout = measure(history, reference, args.out / "data")
    print(stdout.rstrip())
    print(f"\nbackfill condition code {code}")
    control = one_by_one(history, reference, args.out / "control") if args.control else {}
    print(f"{'week':>5}  {'peak RSS MiB':>12}  {'RSS at start':>12}  {'seconds':>8}"
          + (f"  {'qap run peak':>12}  {'difference':>10}" if control else ""))
    for week in sorted(peaks):
        label = "start" if week == 0 else str(week)
        line = (f"{label:>5}  {peaks[week] / 1024:12.0f}  {at_start[week] / 1024:12.0f}  "
                f"{seconds.get(week, 0):8.1f}")
        if week in control:
            line += f"  {control[week] / 1024:12.0f}  {(peaks[week] - control[week]) / 1024:10.0f}"
        print(line)
    weekly = [peaks[k] for k in sorted(peaks) if k]
    if len(weekly) >= 3:
        # Week 1 also holds the national list; weeks 2.. are alike, so they are compared.
        later = weekly[1:]
        print(f"weeks 2-{len(weekly)}: peak {min(later) / 1024:.0f}-{max(later) / 1024:.0f} MiB; "
              f"last / week 2 = {later[-1] / later[0]:.3f}")


if __name__ == "__main__":
    main()
