"""The Periodic Defect Frequency OFP Summary and the QA Unit/Group Report, printed from
`defect_charges.WeekFrequency` rows a batch at a time: a new page for each period and for
quarter to date.

Defect Frequency: per OFP, its codes ranked by defects (the Pareto view: share and running
share), with the employee and unit/group parts of each; the 900-909 codes ranked apart below;
an OFP total line says how much of all its defects 900-909 are.
QA Unit/Group: per OFP, the codes charged to the unit/group: from unit/group reviews, and moved
off employees' reviews (900-909 procedural, 930-999 local); the employee charges beside them
for scale, and the employee defects on samples that may be multiple identical defects
(IDENTICAL?), which the manager may move to the unit/group."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.qap.individual.defect_charges import (
    FREQUENCY_COLUMNS,
    IDENTICAL,
    WeekFrequency,
    no_rows,
    on_unit_group,
    outline_counts,
)
from pipelines.engine.qap.individual.reference import OFP_KEY
from pipelines.reports.columns import Col, head_line, lines
from pipelines.reports.listings import ParquetParts
from pipelines.reports.printing import PagedReport, PageHeading, paginate
from pipelines.state.files import write_atomically

FREQUENCY_RUN, FREQUENCY_TITLE = "DFS", "PERIODIC DEFECT FREQUENCY OFP SUMMARY"
UNIT_RUN, UNIT_TITLE = "QAUG", "QA UNIT/GROUP REPORT"  # our labels: legacy numbers not known
LINES_PER_PAGE = 50
INDENT = 2
NONE = "*** NO DEFECTS ***"


def _share(hundredths: pl.Expr) -> pl.Expr:
    """A share in hundredths of a percent (never negative: a part of a positive total) as
    `fmt_hundredths` prints it, `12345` -> `123.45`: as a decimal of two places, a third of
    `fmt_hundredths`' time over the 1M week's 544,232 rows (two casts and a zero fill)."""
    return (hundredths.cast(pl.Decimal(38, 2)) / 100).cast(pl.String)


DESCRIPTION_WIDTH, DELETED = 40, "(DELETED)"


def _description() -> pl.Expr:
    """The code's description on the Defect Code File; a code a Form 3927 deleted after its
    defects were charged prints its last one, cut short to leave room for the mark, so the
    line still says what the defects were (review 17, F8)."""
    room = DESCRIPTION_WIDTH - len(DELETED) - 1
    last = pl.col("description").fill_null("").str.slice(0, room).str.strip_chars_end()
    return pl.when(pl.col("code_deleted")).then(
        pl.concat_str([last, pl.lit(DELETED)], separator=" ").str.strip_chars_start()
    ).otherwise(pl.col("description"))


GROUP = ["scope", "period_start", "period_end", *OFP_KEY]
FREQ_COLS = [
    Col("RANK", "rank", 4, "right"), Col("CODE", "defect_code", 4),
    Col("DESCRIPTION", _description(), DESCRIPTION_WIDTH),
    Col("DEFECTS", "defects", 7, "right", gap=2),
    Col("SHARE", _share(pl.col("share_h")), 7, "right", gap=2),
    Col("RUNNING", _share(pl.col("running_h")), 7, "right"),
    Col("EMPLOYEE", "employee", 8, "right", gap=2),
    Col("UNIT/GROUP", "unit_group", 10, "right"),
    Col("NOTE", pl.when(pl.col("local")).then(pl.lit("LOCAL")), 5, gap=2)]
UNIT_COLS = [
    Col("CODE", "defect_code", 4), Col("DESCRIPTION", _description(), DESCRIPTION_WIDTH),
    Col("UNIT REVIEWS", "unit_review", 12, "right", gap=2),
    Col("OFF EMPLOYEE", "unit_moved", 12, "right", gap=2),
    Col("UNIT/GROUP", "unit_group", 10, "right"),
    Col("EMPLOYEE", "employee", 8, "right", gap=2),
    Col("KIND", pl.when(pl.col("section") == "procedural").then(pl.lit("PROCEDURAL"))
        .when(pl.col("local")).then(pl.lit("LOCAL")), 10, gap=2),
    Col("IDENTICAL?", pl.when(pl.col(IDENTICAL) > 0).then(pl.col(IDENTICAL)), 10, "right")]


SECTION_LINE = f"{' ' * INDENT}900-909 PROCEDURAL, SYSTEMIC OR ORGANIZATIONAL (RANKED APART)"


def _scope_title(scope: str, start: dt.date, end: dt.date) -> str:
    kind = "QUARTER TO DATE" if scope == "quarter" else "PERIOD"
    return f"{kind} {start:%m/%d/%Y}-{end:%m/%d/%Y}"


def _scope_titles(rows: pl.DataFrame) -> pl.Series:
    """The page subtitle of every row (`_scope_title`), worked out once for each run of rows
    of one scope (a batch is one scope): two dates formatted per row cost a fifth of the
    lines' time."""
    keys = ["scope", "period_start", "period_end"]
    run = rows.select(pl.struct(keys).rle_id()).to_series()
    starts = run.ne_missing(run.shift(1)).fill_null(True)
    titles = [_scope_title(*key) for key in rows.filter(starts).select(keys).iter_rows()]
    return pl.Series("scope", titles, pl.String).gather(run)


def _ofp_total() -> pl.Expr:
    return pl.format(
        f"{' ' * INDENT}OFP TOTAL {{}} DEFECTS: EMPLOYEE {{}}, UNIT/GROUP {{}}; 900-909 {{}} = "
        "{}% OF ALL DEFECTS", "ofp_defects", "ofp_employee", "ofp_unit_group", "ofp_procedural",
        _share(pl.col("procedural_h")))


def _detail(rows: pl.DataFrame, cols: list[Col], section_lines: bool) -> pl.DataFrame:
    """Detail lines (line, scope title) in print order: per OFP a heading line, its rows (with
    the 900-909 section line above its first 900-909 row), its total line and a blank. A row's
    line may end in blanks, which printing strips."""
    if rows.height == 0:
        return pl.DataFrame(schema={"line": pl.String, "scope": pl.String})
    # The rows come a group at a time (each OFP of a scope is one run of rows, its "defects"
    # section first), so a group's first and last rows are where the run's number changes.
    keyed = rows.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) * 5).alias("_key"),
                              _scope_titles(rows),
                              pl.struct(GROUP).rle_id().alias("_group"))
    g, proc = pl.col("_group"), pl.col("section") == "procedural"
    first = g.ne_missing(g.shift(1)).fill_null(True)
    last = g.ne_missing(g.shift(-1)).fill_null(True)
    first_proc = proc & (first | ~proc.shift(1).fill_null(False))
    ofp = pl.format("OFP {} {} {}", *OFP_KEY)
    parts = [keyed.filter(first).select((pl.col("_key")).alias("key"), ofp.alias("line"),
                                        "scope")]
    if section_lines:
        parts.append(keyed.filter(first_proc).select(
            (pl.col("_key") + 1).alias("key"), pl.lit(SECTION_LINE).alias("line"), "scope"))
    parts += [
        # trailing blanks left on: `paginate` strips every line anyway
        keyed.select((pl.col("_key") + 2).alias("key"), lines(keyed, cols, INDENT, strip=False),
                     "scope"),
        keyed.filter(last).select((pl.col("_key") + 3).alias("key"), _ofp_total().alias("line"),
                                  "scope"),
        keyed.filter(last).select((pl.col("_key") + 4).alias("key"), pl.lit("").alias("line"),
                                  "scope")]
    return pl.concat(parts).sort("key").drop("key")


def frequency_lines(rows: pl.DataFrame) -> pl.DataFrame:
    """Detail lines (line, scope) of the Defect Frequency OFP Summary."""
    return _detail(rows, FREQ_COLS, section_lines=True)


def unit_group_lines(rows: pl.DataFrame) -> pl.DataFrame:
    """Detail lines (line, scope) of the QA Unit/Group Report: for each OFP with a unit/group
    charge or a possible multiple identical defect, those codes in code order."""
    charged = rows.filter(on_unit_group()).sort(
        [*GROUP, "defect_code"], maintain_order=True)
    return _detail(charged, UNIT_COLS, section_lines=False)


def _pages(detail: pl.DataFrame, run_number: str, title: str, heads: tuple[str, ...],
           run_date: dt.date, week_ending: dt.date) -> pl.DataFrame:
    if detail.height == 0:
        detail = pl.DataFrame({"line": [NONE], "scope": [""]})
    detail = detail.with_columns(pl.col("scope").alias("break_title"))
    heading = PageHeading(run_number, title, run_date, week_ending, heads)
    return paginate(detail, heading, lines_per_page=LINES_PER_PAGE, break_on="scope")


def frequency_pages(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date
                    ) -> pl.DataFrame:
    return _pages(frequency_lines(rows), FREQUENCY_RUN, FREQUENCY_TITLE,
                  (head_line(FREQ_COLS, INDENT),), run_date, week_ending)


def unit_group_pages(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date
                     ) -> pl.DataFrame:
    return _pages(unit_group_lines(rows), UNIT_RUN, UNIT_TITLE, (head_line(UNIT_COLS, INDENT),),
                  run_date, week_ending)


def write_files(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date, folder: Path
                ) -> dict[str, Path]:
    """`defect-frequency_MMDDYYYY` and `qa-unit-group_MMDDYYYY` (.txt and .parquet) in `folder`
    (file name -> path) from all the rows at once. The Unit/Group twin keeps only the rows it
    prints."""
    return write_parts([rows], _outline(rows), run_date, week_ending, folder)


def write_week(week: WeekFrequency, run_date: dt.date, folder: Path) -> dict[str, Path]:
    """`write_files` of a week's rows, worked out and printed a batch at a time."""
    return write_parts(week.batches(), week.outline(), run_date, week.saturday, folder)


def _outline(rows: pl.DataFrame) -> pl.DataFrame:
    """`WeekFrequency.outline` of rows already worked out."""
    return rows.group_by([*GROUP], maintain_order=True).agg(outline_counts())


def _pages_of(outline: pl.DataFrame) -> tuple[int, int]:
    """Page counts of the two reports from the rows each group prints (`_detail`): per OFP a
    heading, its rows, the 900-909 section line (Defect Frequency only), a total and a blank;
    a new page for each scope. A report with no line is the one page saying so."""
    if outline.height == 0:
        return 1, 1
    per_scope = outline.group_by(GROUP[:3], maintain_order=True).agg(
        (pl.col("rows") + 3 + (pl.col("procedural") > 0).cast(pl.Int64)).sum().alias("freq"),
        (pl.col("unit_group_rows") + 3).filter(pl.col("unit_group_rows") > 0).sum()
        .alias("unit"))
    pages = per_scope.select(((pl.col(c).cast(pl.Int64) + LINES_PER_PAGE - 1) // LINES_PER_PAGE)
                             .sum() for c in ("freq", "unit"))
    freq, unit = (int(v or 0) for v in pages.row(0))
    return max(freq, 1), max(unit, 1)


def write_parts(batches, outline: pl.DataFrame, run_date: dt.date, week_ending: dt.date,
                folder: Path) -> dict[str, Path]:
    """The two reports and their Parquet twins from `batches` of rows (whole OFP groups, in
    the reports' order) in one pass: each batch is printed as it comes, so one batch of rows
    is held at a time. `outline` (`WeekFrequency.outline`) gives the page counts."""
    stamp = f"{week_ending:%m%d%Y}"
    names = ("defect-frequency", "qa-unit-group")
    txt = {n: folder / f"{n}_{stamp}.txt" for n in names}
    parquet = {n: folder / f"{n}_{stamp}.parquet" for n in names}
    freq_pages, unit_pages = _pages_of(outline)
    headings = {
        "defect-frequency": PageHeading(FREQUENCY_RUN, FREQUENCY_TITLE, run_date, week_ending,
                                        (head_line(FREQ_COLS, INDENT),)),
        "qa-unit-group": PageHeading(UNIT_RUN, UNIT_TITLE, run_date, week_ending,
                                     (head_line(UNIT_COLS, INDENT),))}
    totals = {"defect-frequency": freq_pages, "qa-unit-group": unit_pages}
    makers = {"defect-frequency": frequency_lines, "qa-unit-group": unit_group_lines}
    twins = {"defect-frequency": lambda r: r, "qa-unit-group": lambda r: r.filter(
        on_unit_group())}

    def print_both(files: dict) -> None:
        reports = {n: PagedReport(files[n], headings[n], lines_per_page=LINES_PER_PAGE,
                                  break_on="scope", total_pages=totals[n]) for n in names}
        printed = dict.fromkeys(names, 0)
        with ParquetParts(parquet[names[0]]) as first, ParquetParts(parquet[names[1]]) as second:
            outs = dict(zip(names, (first, second), strict=True))
            seen = False
            for rows in batches:
                seen = True
                for n in names:
                    outs[n].write(twins[n](rows).select(FREQUENCY_COLUMNS))
                    detail = makers[n](rows)
                    printed[n] += detail.height
                    reports[n].add(detail.with_columns(pl.col("scope").alias("break_title")))
            if not seen:
                for n in names:
                    outs[n].write(no_rows().select(FREQUENCY_COLUMNS))
        for n in names:
            if not printed[n]:
                reports[n].add(pl.DataFrame({"line": [NONE], "scope": [""],
                                             "break_title": [""]}))
            reports[n].close()

    first, second = names  # both files open at once: a failure while printing leaves neither
    write_atomically(txt[first], lambda one: write_atomically(
        txt[second], lambda other: print_both({first: one, second: other})))
    return {p.name: p for n in names for p in (txt[n], parquet[n])}

