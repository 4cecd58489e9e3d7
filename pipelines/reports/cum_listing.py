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

from pipelines.engine.qap import ordered, spilled
from pipelines.engine.qap.cum_file import KEYS, sort_key
from pipelines.reports.columns import Col, lines
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


# A defect-code line: the label to TOTAL DEFECTS, then the defects under it (`columns.lines`:
# the defects, a few numbers, laid out once each; the label's width known, padded only).
CODE_LINE = [
    Col("", pl.concat_str(pl.lit(" " * _INDENT + "DEFECT CODE "), pl.col("defect_code")),
        _STARTS[_TOTAL_COL]),
    Col("", "defects", COLUMNS[_TOTAL_COL][2], "right", gap=0)]


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


def _lines_of(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame, *keep: str
              ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The OFP lines and the defect-code lines (KEYS, `_code`, `keep`, line), in the frames'
    order. A line may end in blanks, which printing strips."""
    ofp = cum_ofp.select(*KEYS, pl.lit("").alias("_code"), *keep, _ofp_line().alias("line"))
    codes = cum_defects.select(*KEYS, pl.col("defect_code").alias("_code"), *keep).with_columns(
        lines(cum_defects, CODE_LINE, strip=False))
    return ofp, codes


def _printed(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.select("line", "fiscal_quarter", _break_title().alias("break_title"))


def listing_lines(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame,
                  quarters: Iterable[str] | None = None) -> pl.DataFrame:
    """Detail lines (line, fiscal_quarter, break_title) in print order: quarter, OFP, code.
    A line may end in blanks, which printing strips."""
    cum_ofp, cum_defects = _of_quarters(cum_ofp, cum_defects, quarters)
    return _printed(_in_key_order(pl.concat(_lines_of(cum_ofp, cum_defects)),
                                  [*KEYS, "_code"]))


def _batch_lines(ofp: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """`listing_lines` of a range of the file from `_batches` (each frame with its `_key`, in
    key order). When every key is there and no two lines share one (each OFP's line, then its
    codes' in code order: none null or blank), the OFP lines go among the code lines by their
    places (before the code lines of their key), a stable sort of one integer, not a sort of
    every line by its joined key (the 1M week's 274,076 lines laid out and put in order: 87 to
    65 ms, the checks included; polars' merge_sorted of the two took 10 ms more)."""
    codes_in_order = codes.height == 0 or (
        codes["_key"].null_count() == 0
        and not (codes["defect_code"].fill_null("") == "").any()
        and ordered.sorted_by(codes, ["_key", "defect_code"], unique=True))
    if not (codes_in_order and ofp["_key"].null_count() == 0
            and ordered.sorted_by(ofp, ["_key"], unique=True)):
        return listing_lines(ofp.drop("_key"), codes.drop("_key"))
    ofp_lines, code_lines = _lines_of(ofp, codes, "_key")
    # A code line's place is 2j+1 (j: its row); an OFP line goes before the first code line
    # of its key or a later one, 2b (b: the code lines before it).
    before = code_lines["_key"].search_sorted(ofp_lines["_key"], side="left")
    at_ofp = ofp_lines.select("line", "fiscal_quarter",
                              (before.cast(pl.Int64) * 2).alias("_at"))
    at_code = code_lines.select("line", "fiscal_quarter",
                                (pl.int_range(pl.len(), dtype=pl.Int64) * 2 + 1).alias("_at"))
    return _printed(pl.concat([at_ofp, at_code]).sort("_at", maintain_order=True))


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
    its range, and a code row whose OFP has no row goes where its key falls. Both frames keep
    their joined key (`_key`)."""
    ofp, codes = _keyed(cum_ofp), _keyed(cum_defects, "defect_code")
    # Boundaries: the keys found every `lines` rows of either frame (a range ends before one).
    bounds = pl.concat([frame["_key"].gather_every(lines, offset=lines)
                        for frame in (ofp, codes)]).unique().sort()
    cuts = [[0, *frame["_key"].search_sorted(bounds, side="left").to_list(), frame.height]
            for frame in (ofp, codes)]
    for n in range(len(cuts[0]) - 1):
        (a, b), (c, d) = (cuts[0][n], cuts[0][n + 1]), (cuts[1][n], cuts[1][n + 1])
        if b > a or d > c:
            yield ofp.slice(a, b - a), codes.slice(c, d - c)


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
            report.add(_batch_lines(ofp, codes))
        report.close()

    write_atomically(Path(path), write)
