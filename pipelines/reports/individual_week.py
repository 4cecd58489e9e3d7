"""The individual data step's printed reports: IPR, IPR adjustments, Weekly Data Not Posted and
the SAR of each period, with their Parquet twins, laid out from the frames the engine computed
(`pipelines.engine.qap.individual`). `print_step` is what the weekly report stage calls;
`run_individual` computes and lays out one week at once (fixtures, tests, benchmarks).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.run import WeekFrames, calculate
from pipelines.engine.qap.individual.step import IndividualStep
from pipelines.reports import data_not_posted as dnp_report
from pipelines.reports import ipr as ipr_report
from pipelines.reports import ipr_adjustments as adj_report
from pipelines.reports import ipsr as ipsr_report
from pipelines.reports import sar as sar_report
from pipelines.reports.printing import render, write_pages, write_report


@dataclass(frozen=True)
class IndividualResult:
    week_ending: dt.date
    frames: dict[str, pl.DataFrame]  # Parquet outputs, OUTPUT_COLUMNS
    pages: dict[str, pl.DataFrame]  # printed reports, paginated
    weekly_history: pl.DataFrame | None = None  # state: `cum_jobs.extend_history`, next week's

    @property
    def cum_jobs(self) -> pl.DataFrame:
        return self.frames["cum-jobs"]

    def text(self, name: str) -> str:
        return render(self.pages[name])

    def write(self, run_dir: Path) -> dict[str, Path]:
        """Write `<name>.parquet` and `<name>.txt` files; returns name -> path."""
        run_dir.mkdir(parents=True, exist_ok=True)
        out: dict[str, Path] = {}
        for name, frame in self.frames.items():
            out[f"{name}.parquet"] = run_dir / f"{name}.parquet"
            frame.write_parquet(out[f"{name}.parquet"])
        for name, pages in self.pages.items():
            out[f"{name}.txt"] = run_dir / f"{name}.txt"
            write_report(pages, out[f"{name}.txt"])
        return out




def iter_pages(week: WeekFrames, run_date: dt.date
               ) -> Iterator[tuple[str, Iterable[pl.DataFrame]]]:
    """The printed reports of the week, one at a time (name, its `paginate` frames in order):
    ``ipr``, ``ipr-adjustments``, ``data-not-posted`` and ``sar-MMDDYYYY`` per period. Writing
    each before laying out the next keeps one report in memory, and the IPR (a page or more
    per measured employee) and Weekly Data Not Posted (a line per unmatched review) are laid
    out in parts."""
    w = week.week_ending
    yield "ipr", ipr_report.page_parts(week.ipr, week.employees, week.adjustments, run_date, w)
    yield "ipr-adjustments", [adj_report.pages(week.adjustments, run_date, w)]
    yield "data-not-posted", dnp_report.page_parts(week.not_posted, run_date, w)
    for p in periods.week_periods(w):
        rows = week.sar.filter(pl.col("report_number") == p.number)
        yield f"sar-{p.end:%m%d%Y}", [sar_report.pages(rows, run_date, p.end, w, p.number,
                                                        p.count)]


def lay_out(week: WeekFrames, run_date: dt.date) -> dict[str, pl.DataFrame]:
    """Every printed report of the week (`iter_pages`) at once, each as one frame."""
    return {name: pl.concat(list(parts)) for name, parts in iter_pages(week, run_date)}


def run_individual(*, week_ending: dt.date, run_date: dt.date, employees: pl.DataFrame,
                   ofp: pl.DataFrame, time_3081: pl.DataFrame, forms_6489: pl.DataFrame,
                   reviews: pl.DataFrame, cum_jobs: pl.DataFrame | None = None,
                   ras: int = periods.RAS, with_pages: bool = True,
                   weekly_history: pl.DataFrame | None = None) -> IndividualResult:
    """Run the individual data step for the week ending `week_ending` (a Saturday).

    employees, ofp: the reference files as `decode_file` returns them.
    time_3081, forms_6489: decoded deck records (`split_individual`, or decode with the form3081
    / form6489 layout); deck_no and line_no are carried when present.
    reviews: run 03's accepted review lines (`Run03Result.reviews`).
    cum_jobs: last week's `cum-jobs` output (None: no history).
    weekly_history: last week's `IndividualResult.weekly_history` (None: none kept), the
      weekly figures the SAR's rating period reads when it starts inside a quarter.
    with_pages: False skips laying out the printed reports (`pages` is then empty).
    """
    week = calculate(week_ending=week_ending, employees=employees, ofp=ofp,
                     time_3081=time_3081, forms_6489=forms_6489, reviews=reviews,
                     cum_jobs=cum_jobs, ras=ras, weekly_history=weekly_history)
    return IndividualResult(week_ending=week_ending, frames=week.frames(),
                            pages=lay_out(week, run_date) if with_pages else {},
                            weekly_history=week.history)




def print_step(step: IndividualStep, run_date: dt.date, run_dir: Path) -> IndividualStep:
    """Write every week's reports of the step, then its Parquet twins (`<name>_MMDDYYYY`),
    into `run_dir`; the step comes back with `outputs` (file name -> path) and the print and
    parquet timings. A step that printed nothing leaves `run_dir` untouched."""
    timings = {**step.timings, "print": 0.0, "parquet": 0.0}
    out: dict[str, Path] = {}
    for week in step.printed:
        if week.frames is not None:
            pages = iter_pages(week.frames, run_date)
        else:
            pages = iter([("data-not-posted",
                           dnp_report.page_parts(week.not_posted, run_date, week.week))])
        out |= _write(pages, week.parquet, week.week, run_dir, timings)
        for q_end, rows in week.ipsr:  # a quarter ended
            out |= ipsr_report.write_files(rows, run_date, q_end, week.week, run_dir)
    return dataclasses.replace(step, outputs=out, timings=timings)


def _write(pages: Iterable[tuple[str, Iterable[pl.DataFrame]]],
           frames: dict[str, pl.DataFrame], week: dt.date, run_dir: Path,
           timings: dict[str, float]) -> dict[str, Path]:
    """Lay out and write each report in turn, part by part (`print`), then the Parquet twins
    (`parquet`)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    t = time.perf_counter()
    for name, parts in pages:
        out[f"{name}_{week:%m%d%Y}.txt"] = path = run_dir / f"{name}_{week:%m%d%Y}.txt"
        write_pages(parts, path)
    timings["print"] += time.perf_counter() - t
    t = time.perf_counter()
    for name, frame in frames.items():
        out[f"{name}_{week:%m%d%Y}.parquet"] = path = run_dir / f"{name}_{week:%m%d%Y}.parquet"
        frame.write_parquet(path)
    timings["parquet"] += time.perf_counter() - t
    return out
