"""Cumulative Data File listing (computer run PCE-03-41, IRM 3.30.28.4.4.4).

Reads the Cumulative Data File only (`pipelines.engine.qap.cum_file`). Per fiscal quarter (a
new page for each, subtitled ``FISCAL YEAR 2027 QUARTER 1``) and OFP, one line with the
OFP's figures::

    FISCAL   ORG    FUNC  PROGRAM     NUMBER  DEFECTIVE      TOTAL   DEFECT  ...
    QUARTER  CODE   CODE  CODE       SAMPLED  DOCUMENTS    DEFECTS  PERCENT  ...
    -----------------------------------------------------------------------  ...
    2027Q1   12345  123   45678          143          8         21     5.59  ...

then one indented line per defect code, its number of defects under TOTAL DEFECTS::

             DEFECT CODE 234                                     8

Percents print NN.NN (blank when nothing was sampled); a quality standard stored below the 1.00
minimum prints ``1.00*`` (rules.md "Quality Standard File"); dates MM/DD/YYYY, blank when never.
The whole layout: tests/golden/cum_listing/two_quarters.txt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from pipelines.engine.qap import spilled
from pipelines.engine.qap.cum_file import KEYS, sort_key
from pipelines.reports.listings import LINES_PER_PAGE
from pipelines.reports.printing import PagedReport, PageHeading, field, paginate
from pipelines.state.files import write_atomically
from validators.codes import RUN_3926

TITLE = "CUMULATIVE DATA FILE LISTING"
GAP = "  "

# (head line 1, head line 2, width, align) of every column of an OFP line, left to right.
COLUMNS = (
    ("FISCAL", "QUARTER", 7, "left"),
    ("ORG", "CODE", 5, "left"),
    ("FUNC", "CODE", 4, "left"),
    ("PROGRAM", "CODE", 7, "left"),
    ("NUMBER", "SAMPLED", 9, "right"),
    ("DEFECTIVE", "DOCUMENTS", 9, "right"),
    ("TOTAL", "DEFECTS", 9, "right"),
    ("DEFECT", "PERCENT", 7, "right"),
    ("QUALITY", "STANDARD", 8, "right"),
    ("LAST", "POSTED", 10, "left"),
    ("LAST", "ADJUSTED", 10, "left"),
)


def _head(line: int) -> str:
    cells = [(h[line].ljust(w) if a == "left" else h[line].rjust(w)) for *h, w, a in COLUMNS]
    return GAP.join(cells).rstrip()


HEADS = (_head(0), _head(1))
_STARTS = [sum(c[2] + len(GAP) for c in COLUMNS[:i]) for i in range(len(COLUMNS))]
_TOTAL_COL = 6  # defects of a defect-code line print under TOTAL DEFECTS
_INDENT = _STARTS[1]  # defect-code lines start under ORG CODE


def hundredths_text(hundredths: pl.Expr) -> pl.Expr:
    """An integer number of hundredths printed NN.NN (null stays null)."""
    return pl.format("{}.{}", hundredths // 100,
                     (hundredths % 100).cast(pl.String).str.zfill(2))


def _date(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime("%m/%d/%Y")


def _ofp_line() -> pl.Expr:
    percent = hundredths_text((pl.col("defect_percent") * 100).round().cast(pl.Int64))
    standard = pl.concat_str(
        hundredths_text(pl.col("quality_standard").cast(pl.Int64)),
        pl.when(pl.col("below_minimum").fill_null(False)).then(pl.lit("*")).otherwise(
            pl.lit(" ")))
    values = ["fiscal_quarter", "org_code", "function_code", "program_code", "sampled",
              "defective", "total_defects", percent, standard, _date("last_posted"),
              _date("last_adjusted")]
    cells = []
    for value, (*_, width, align) in zip(values, COLUMNS, strict=True):
        cells += [field(value, width, align), pl.lit(GAP)]
    return pl.concat_str(cells[:-1])


def _code_line() -> pl.Expr:
    label = pl.concat_str(pl.lit(" " * _INDENT + "DEFECT CODE "), pl.col("defect_code"))
    return pl.concat_str(field(label, _STARTS[_TOTAL_COL]),
                         field("defects", COLUMNS[_TOTAL_COL][2], "right"))


def _break_title() -> pl.Expr:
    q = pl.col("fiscal_quarter")
    return pl.format("FISCAL YEAR {} QUARTER {}", q.str.slice(0, 4), q.str.slice(5, 1))


def _of_quarters(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame,
                 quarters: Iterable[str] | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file's rows of `quarters` (all of them for None)."""
    if quarters is None:
        return cum_ofp, cum_defects
    wanted = pl.col("fiscal_quarter").is_in(pl.Series(list(quarters), dtype=pl.String)
                                            .implode())
    return cum_ofp.filter(wanted), cum_defects.filter(wanted)


def listing_lines(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame,
                  quarters: Iterable[str] | None = None) -> pl.DataFrame:
    """Detail lines (line, fiscal_quarter, break_title) in print order: quarter, OFP, code.
    A line may end in blanks, which printing strips."""
    cum_ofp, cum_defects = _of_quarters(cum_ofp, cum_defects, quarters)
    ofp = cum_ofp.select(*KEYS, pl.lit("").alias("_code"), _ofp_line().alias("line"))
    codes = cum_defects.select(*KEYS, pl.col("defect_code").alias("_code"),
                               _code_line().alias("line"))
    lines = pl.concat([ofp, codes])
    return (_in_key_order(lines, [*KEYS, "_code"])
            .select("line", "fiscal_quarter", _break_title().alias("break_title")))


def _in_key_order(lines: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """`lines` sorted by `keys`: by their one joined key (`sort_key`, the order the store
    keeps the file in), a third of the time of a sort by five text columns, when no key is
    null (a null would make the joined key null)."""
    if any(lines.get_column(k).null_count() for k in keys):
        return lines.sort(keys)
    return lines.with_columns(sort_key(keys)).sort("_key").drop("_key")


def heading(run_date: dt.date, week_ending: dt.date | None) -> PageHeading:
    return PageHeading(run_number=RUN_3926, title=TITLE, run_date=run_date,
                       week_ending=week_ending, column_heads=HEADS)


def render_listing(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame, run_date: dt.date,
                   week_ending: dt.date | None, quarters: Iterable[str] | None = None
                   ) -> pl.DataFrame:
    """The printed pages (one column ``line``), a new page for each fiscal quarter."""
    return paginate(listing_lines(cum_ofp, cum_defects, quarters),
                    heading(run_date, week_ending), lines_per_page=LINES_PER_PAGE,
                    break_on="fiscal_quarter")


BATCH_LINES = 100_000  # lines of the listing laid out at a time, about (whole OFPs)


def _keyed(frame: pl.DataFrame, *within: str) -> pl.DataFrame:
    """`frame` with its quarter and OFP as one column (`cum_file.sort_key`, which sorts as
    the tuple), in key order, then `within`: the store keeps both frames in that order, and
    only an unsorted one is sorted here."""
    keyed = frame.with_columns(sort_key(KEYS))
    return keyed if keyed["_key"].is_sorted() else keyed.sort("_key", *within)


def _batches(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame, lines: int
             ) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """The file in ranges of keys (quarter and OFP) in key order, each with about `lines` OFP
    and code rows at most (more only for one OFP with more codes): every row of a key is in
    its range, and a code row whose OFP has no row goes where its key falls."""
    ofp, codes = _keyed(cum_ofp), _keyed(cum_defects, "defect_code")
    # Boundaries: the keys found every `lines` rows of either frame (a range ends before one).
    bounds = pl.concat([frame["_key"].gather_every(lines, offset=lines)
                        for frame in (ofp, codes)]).unique().sort()
    cuts = [[0, *frame["_key"].search_sorted(bounds, side="left").to_list(), frame.height]
            for frame in (ofp, codes)]
    for n in range(len(cuts[0]) - 1):
        (a, b), (c, d) = (cuts[0][n], cuts[0][n + 1]), (cuts[1][n], cuts[1][n + 1])
        if b > a or d > c:
            yield ofp.slice(a, b - a).drop("_key"), codes.slice(c, d - c).drop("_key")


def _pages(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame) -> int:
    """Pages of the listing: each fiscal quarter's lines (an OFP line and its code lines)
    start a page; no line at all is the one page saying so."""
    lines = pl.concat([cum_ofp.select("fiscal_quarter"), cum_defects.select("fiscal_quarter")])
    per = lines.group_by("fiscal_quarter").len()
    return max(int(per.select(((pl.col("len") + LINES_PER_PAGE - 1) // LINES_PER_PAGE).sum())
                   .item() or 0), 1)


def print_cum_listing(cum_ofp: pl.DataFrame, cum_defects: spilled.Frame, run_date: dt.date,
                      week_ending: dt.date | None, path: Path,
                      quarters: Iterable[str] | None = None, batch_lines: int = BATCH_LINES
                      ) -> None:
    """Write the listing to `path` (atomically, as every report): `render_listing`'s text,
    laid out a range of OFPs at a time, so that a file of a million OFP and code lines is
    never held as printed lines all at once. `cum_defects` may be spilled (the weekly run's):
    it is read back for the listing alone."""
    cum_ofp, cum_defects = _of_quarters(cum_ofp, spilled.read(cum_defects), quarters)
    total = _pages(cum_ofp, cum_defects)

    def write(fh) -> None:
        report = PagedReport(fh, heading(run_date, week_ending), lines_per_page=LINES_PER_PAGE,
                             break_on="fiscal_quarter", total_pages=total)
        for ofp, codes in _batches(cum_ofp, cum_defects, batch_lines):
            report.add(listing_lines(ofp, codes))
        report.close()

    write_atomically(Path(path), write)
