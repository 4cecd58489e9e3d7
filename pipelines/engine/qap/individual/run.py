"""The individual data step of the weekly run as one plain function, `run_individual`.

Steps, in order: check the week's Forms 3081; match individual reviews to them; post both to the
employee cum job records; apply the Forms 6489; build the IPR, the SAR (one per period) and the
Weekly Data Not Posted list; lay out the four printed reports.

Parquet outputs (`IndividualResult.frames`; name -> columns). Every `ssn` column holds the FULL
SSN: these files are sensitive (taxpayer and employee data) and must be stored and shared as
such; only the printed reports mask it.

* ``cum-jobs`` -- one row per SSN, OFP, grade and fiscal quarter: ssn, org_code, function_code,
  program_code, grade, quarter_end (Date), record_code ("1" current / "2" prior grade), step,
  hours_tenths, volume, lc_hours_tenths, lc_volume, reviewed, errors, last_posted,
  last_adjusted. The state to carry to next week's `run_individual(cum_jobs=...)`.
* ``individual-weekly`` -- this week's figures, one row per SSN, OFP, grade and week ending date:
  ssn, org_code, function_code, program_code, grade, week_ending, period_end, quarter_end, step,
  hours_tenths, volume, lc_hours_tenths, lc_volume, reviewed, errors.
* ``ipr`` -- one row per measured employee and line of the IPR: ssn, last_name, first_name,
  middle_initial, assigned_org, emf_grade, emf_step, class_code, plan, work_status,
  measured_since, rating_start, scope ("week" / "quarter"), week_ending (null for quarter),
  quarter_end, org_code, function_code, program_code, grade, step, record_code (null for week),
  qpc, hours_tenths, volume, lc_hours_tenths, lc_volume, reviewed, errors, standard, rate,
  pct_standard, pct_accurate (Float64, 2 decimals, null when the divisor is 0).
* ``ipr-adjustments`` -- one row per Form 6489 in deck order: seq, deck_no, deck, line_no, ssn,
  last_name, org_code, function_code, program_code, grade, record_code, adjustment_code, action,
  quarter_end (the quarter acted on), quarter_ending (item 19 as sent), form_week_ending, step,
  time_code, class_code, measured_pca, measured_teps, hours_raw, volume_raw, reviewed_raw,
  errors_raw, hours_change, volume_change, reviewed_change, errors_change, message_code,
  message, reason_codes (list), reason, before_<figure> and after_<figure> for hours_tenths,
  volume, lc_hours_tenths, lc_volume, reviewed, errors.
* ``sar`` -- one row per period, employee, QPC and grade: report_number, report_count,
  period_start, period_end, week_ending, assigned_org, class_code, last_name, first_name,
  middle_initial, ssn, grade, step, qpc, volume_week, volume_quarter, volume_rating, rsd, ras,
  reviewed_week, reviewed_quarter, reviewed_rating, remaining, reviews_requested (always null),
  errors_week, errors_quarter, errors_rating (Float64), pct_accurate (rating period).
* ``data-not-posted`` -- source ("3926" / "3081"), deck_no, deck, line_no, ssn, week_ending
  (MMDDYYYY as sent), org_code, function_code, program_code, grade, step, time_code, hours,
  volume (3081 fields as sent), reviewed, errors (reviews), reason_codes (list), reason, text.

Printed reports (`IndividualResult.pages`; name -> `paginate` frame): ``ipr``,
``ipr-adjustments``, ``data-not-posted`` and ``sar-MMDDYYYY`` per period (two in a split week).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import decode
from pipelines.engine.qap.individual import cum_jobs as cj
from pipelines.engine.qap.individual import ipr as ipr_data
from pipelines.engine.qap.individual import not_posted as dnp
from pipelines.engine.qap.individual import periods, reference, time_reports
from pipelines.engine.qap.individual import sar as sar_data
from pipelines.engine.qap.individual.ipr_adjustments import ADJUSTMENT_COLUMNS, apply_adjustments
from pipelines.reports import data_not_posted as dnp_report
from pipelines.reports import ipr as ipr_report
from pipelines.reports import ipr_adjustments as adj_report
from pipelines.reports import sar as sar_report
from pipelines.reports.printing import render, write_report

TIME_PROGRAM, ADJUSTMENT_PROGRAM = "59600", "59602"


def _with_deck(columns: list[str]) -> list[str]:
    at = columns.index("deck_no") + 1
    return [*columns[:at], "deck", *columns[at:]]


OUTPUT_COLUMNS: dict[str, list[str]] = {
    "cum-jobs": cj.CUM_COLUMNS,
    "individual-weekly": cj.WEEK_COLUMNS,
    "ipr": ipr_data.IPR_COLUMNS,
    "ipr-adjustments": _with_deck(ADJUSTMENT_COLUMNS),
    "sar": sar_data.SAR_COLUMNS,
    "data-not-posted": _with_deck(dnp.NOT_POSTED_COLUMNS),
}


def name_decks(rows: pl.DataFrame, deck_names: Sequence[str] = ()) -> pl.DataFrame:
    """`deck` (the file name) beside `deck_no` (the deck's place in the run's list of accepted
    decks, from 0): an operator correcting a record looks for a file, not a number. Null when
    the names are not given; a frame that has `deck` already is kept as it is."""
    if "deck" in rows.columns:
        return rows
    if not deck_names or rows.height == 0:
        return rows.with_columns(pl.lit(None, pl.String).alias("deck"))
    return rows.with_columns(pl.Series("deck", list(deck_names), pl.String)
                             .gather(rows.get_column("deck_no")))


@dataclass(frozen=True)
class IndividualResult:
    week_ending: dt.date
    frames: dict[str, pl.DataFrame]  # Parquet outputs, OUTPUT_COLUMNS
    pages: dict[str, pl.DataFrame]  # printed reports, paginated

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


def split_individual(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Decoded (Forms 3081, Forms 6489) from deck records already decoded with the prefix."""
    program = pl.col("program_number")
    return (decode(records.filter(program == TIME_PROGRAM), layout.load("form3081")),
            decode(records.filter(program == ADJUSTMENT_PROGRAM), layout.load("form6489")))


@dataclass(frozen=True)
class WeekFrames:
    """Everything `run_individual` computes for one week, before printing. The `ipr` and `sar`
    frames still carry the figures in hundredths that the printed reports read."""

    week_ending: dt.date
    employees: pl.DataFrame  # reference.employees_table
    cum_jobs: pl.DataFrame
    weekly: pl.DataFrame
    ipr: pl.DataFrame
    adjustments: pl.DataFrame
    sar: pl.DataFrame
    not_posted: pl.DataFrame
    time_rejected: pl.DataFrame  # `TimeCheck.rejected`: Forms 3081 that did not post (seq)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The Parquet outputs (OUTPUT_COLUMNS)."""
        frames = {
            "cum-jobs": self.cum_jobs, "individual-weekly": self.weekly, "ipr": self.ipr,
            "ipr-adjustments": name_decks(self.adjustments), "sar": self.sar,
            "data-not-posted": name_decks(self.not_posted),
        }
        return {name: frame.select(OUTPUT_COLUMNS[name]) for name, frame in frames.items()}


def calculate(*, week_ending: dt.date, employees: pl.DataFrame, ofp: pl.DataFrame,
              time_3081: pl.DataFrame, forms_6489: pl.DataFrame, reviews: pl.DataFrame,
              cum_jobs: pl.DataFrame | None = None, ras: int = periods.RAS) -> WeekFrames:
    """The week's figures, no printing (arguments as `run_individual`)."""
    periods.check_saturday(week_ending)
    emp = reference.employees_table(employees)
    ofps = reference.ofp_table(ofp)
    checked = time_reports.check(time_3081, week_ending, employees=emp, ofp=ofps)
    posting = cj.post_week_detail(cum_jobs if cum_jobs is not None else cj.empty_cum_jobs(),
                                  checked.valid, reviews, week_ending)
    adjusted = apply_adjustments(posting.cum_jobs, forms_6489, week_ending, ofp=ofps,
                                 employees=emp)
    return WeekFrames(
        week_ending=week_ending, employees=emp, cum_jobs=adjusted.cum_jobs,
        weekly=posting.weekly, adjustments=adjusted.adjustments,
        ipr=ipr_data.ipr_frame(emp, ofps, posting.weekly, adjusted.cum_jobs, week_ending),
        sar=sar_data.sar_frame(emp, ofps, posting.weekly, adjusted.cum_jobs, week_ending, ras),
        not_posted=dnp.not_posted_frame(posting.not_posted, checked.rejected),
        time_rejected=checked.rejected)


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
                   ras: int = periods.RAS, with_pages: bool = True) -> IndividualResult:
    """Run the individual data step for the week ending `week_ending` (a Saturday).

    employees, ofp: the reference files as `decode_file` returns them.
    time_3081, forms_6489: decoded deck records (`split_individual`, or decode with the form3081
    / form6489 layout); deck_no and line_no are carried when present.
    reviews: run 03's accepted review lines (`Run03Result.reviews`).
    cum_jobs: last week's `cum-jobs` output (None: no history).
    with_pages: False skips laying out the printed reports (`pages` is then empty).
    """
    week = calculate(week_ending=week_ending, employees=employees, ofp=ofp,
                     time_3081=time_3081, forms_6489=forms_6489, reviews=reviews,
                     cum_jobs=cum_jobs, ras=ras)
    return IndividualResult(week_ending=week_ending, frames=week.frames(),
                            pages=lay_out(week, run_date) if with_pages else {})


__all__ = ["OUTPUT_COLUMNS", "IndividualResult", "WeekFrames", "calculate", "iter_pages", "lay_out",
           "name_decks", "run_individual", "split_individual"]
