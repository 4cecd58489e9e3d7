"""The QAP weekly run's report stage: every printed report of the run, with its Parquet twin,
printed from the frames the engine computed (`weekly.WeekReports`), into the run folder.

Order (the order the summary lists them): the run 01 and run 03 registers and posting
listings, the Quality Standard listing, each week's individual data reports, the Cumulative
Data File listing and the open error register. Every page names the run (`run_stamp`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.engine.machinery import intake
from pipelines.engine.machinery.result import RunResult
from pipelines.engine.qap.weekly import WeekReports
from pipelines.reports import (
    cum_listing,
    defect_frequency,
    individual_week,
    listings,
    open_register,
    pce_01_43,
    pce_03_41,
    printing,
    quality_standards,
)

LISTINGS = {"run 01": ("pce-01-43", "posting-3927"), "run 03": ("pce-03-41", "posting-3926")}


def print_week(week: WeekReports, result: RunResult, run_dir: Path) -> None:
    """Print every report of the run into `run_dir`; each file written goes into
    `result.files`, each report into `result.outputs` and its step's `reports`."""
    with printing.run_stamp(week.run_id, week.reprocess):
        _listings(week, result, run_dir)
        _write(result, "quality-standards", run_dir, quality_standards.print_standards,
               week.standards, week.run_date, week.week_ending)
        printed = individual_week.print_step(week.individual, week.run_date, run_dir)
        result.outputs.update(printed.outputs)
        result.files += list(printed.outputs.values())
        result.steps["individual data"].reports += [
            name.removesuffix(".txt") for name in printed.outputs if name.endswith(".txt")]
        for frequency in week.frequency.values():  # Defect Frequency, QA Unit/Group
            written = defect_frequency.write_week(frequency, week.run_date, run_dir)
            result.outputs.update(written)
            result.files += list(written.values())
        _write(result, "cum-data-file", run_dir, cum_listing.print_cum_listing,
               week.cum_ofp, week.cum_defects, week.run_date, week.week_ending)
        _write(result, "open-register", run_dir, open_register.print_open,
               week.still_open, week.run_date, week.week_ending)


def _write(result: RunResult, name: str, run_dir: Path, printer, *args) -> None:
    path = run_dir / f"{name}.txt"
    printer(*args, path)
    result.outputs[name] = path
    result.files.append(path)


def _listings(week: WeekReports, result: RunResult, run_dir: Path) -> None:
    """The four listings. The posting listing (nearly every record of the week) is built,
    printed and written to Parquet in page-aligned parts: the printed fields of one part at a
    time, the text and the Parquet the same as of the whole."""
    rows01 = week.rows01
    targets = [
        ("pce-01-43", lambda: rows01.filter("rejected"), pce_01_43.print_register,
         pce_01_43.COLUMNS),
        ("posting-3927", lambda: rows01.filter(~pl.col("rejected")), pce_01_43.print_posting,
         pce_01_43.COLUMNS),
        ("pce-03-41", lambda: week.rejected03, pce_03_41.print_register, pce_03_41.COLUMNS),
    ]
    for name, build, printer, columns in targets:
        rows = build()
        printer(rows, week.run_date, week.week_ending, run_dir / f"{name}.txt")
        rows.select(columns).write_parquet(run_dir / f"{name}.parquet", compression="zstd",
                                           compression_level=1)
        _record(result, name, run_dir)

    name = "posting-3926"
    names = pl.DataFrame({"deck_no": range(len(week.decks)), "deck": [d.name for d in week.decks]},
                         schema={"deck_no": pl.UInt16, "deck": pl.String})
    # the posted records' runs of one deck: the listing's page breaks and parts
    parts, total_pages = listings.plan_listing(week.posted03, names=names)
    with listings.ParquetParts(run_dir / f"{name}.parquet") as parquet:

        def posted03():
            for part in parts:  # counted in posted records, as `display_posted` reads them
                rows = intake.deck_columns(week.rows03.display_posted(part.offset, part.length),
                                           week.decks, week.run_id)
                parquet.write(rows.select(pce_03_41.COLUMNS))
                yield rows

        pce_03_41.print_posting_chunks(posted03(), total_pages, week.run_date,
                                       week.week_ending, run_dir / f"{name}.txt")
    _record(result, name, run_dir)


def _record(result: RunResult, name: str, run_dir: Path) -> None:
    """A listing and its Parquet twin, owned by the step that made its rows."""
    result.outputs[name] = run_dir / f"{name}.txt"
    result.files += [run_dir / f"{name}.txt", run_dir / f"{name}.parquet"]
    step = next(s for s, names in LISTINGS.items() if name in names)
    result.steps[step].reports.append(name)
