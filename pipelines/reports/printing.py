"""Fixed-width 132-column print-outs with the legacy IRS campus QAP mainframe look.

The weekly runs (error registers such as PCE-03-41 "INVALID REVIEW DATA LISTING - FORM 3926",
posting transaction listings, weekly reports) must reproduce the old line-printer listings, so
reviewers can compare them page for page with the mainframe output they replace.

Page layout (columns counted from 1, 132 wide)::

    <FF>PCE-03-41         INVALID REVIEW DATA LISTING - FORM 3926         PAGE    1 OF    2
    RUN DATE 11/20/2026             WEEK ENDING 11/14/2026            DECK SC 11142026 001
    <blank>
    <column heads, 1-3 lines, printed as given>
    <dashes as wide as the longest column-head line>
    <detail lines>

Decisions (documented here because callers and golden files depend on them):

* ``lines_per_page`` counts DETAIL lines only; the heading block is added on top of it.
* Page eject: every page after the first starts with a form feed ``"\\f"`` glued to the front of
  its first heading line (the printer channel-1 skip). Lines are separated by ``"\\n"`` and the
  text ends with ``"\\n"``. The form feed is not counted as a print column.
* Page numbers print as ``PAGE`` plus the number right-justified with zero suppression in four
  positions (edit mask ZZZ9), then ``OF`` and the report's last page in the same mask
  (``PAGE    1 OF    3``); a report of more than 9,999 pages widens both fields for all of its
  pages, still ending at column 132.
* Heading line 2 names the run that printed the page (``RUN ID 20261117.01``, the id that
  ``qap rollback`` and the run folder go by) when a run is printing (``run_stamp``): every
  report of a weekly run carries it, and a report printed outside a run does not. A reprocess
  run's pages add ``REPROCESS``.
* Title centered in the full 132 columns; cut short if it would run into the run number or the
  page number. No ``WEEK ENDING`` text at all when ``week_ending`` is None.
* The subtitle of a page is the ``break_title`` of its first detail line when the detail frame
  has that column and the value is not blank; otherwise ``PageHeading.subtitle``. It is cut to the
  room left of column 132 after the week-ending text.
* Trailing blanks are stripped from every printed line (detail lines included), never padded.
* Detail lines are printed as given (not cut at column 132), but must not contain ``\\n``,
  ``\\r`` or ``\\f``: those would silently break the pagination, so ``paginate`` refuses them.
* An empty report prints one page with the headings and ``*** NO ITEMS THIS RUN ***``
  centered on the first detail line.
* A long report can be printed in parts (``plan_chunks``, ``paginate_chunks``, ``write_pages``)
  so that only one part's lines are in memory: the parts start on page boundaries, and the
  text is byte for byte that of ``paginate`` and ``write_report`` of the whole.

Pagination is vectorized: page numbers come from cumulative sums over the detail frame, the heading
block is a small polars frame (pages x heading lines), and both are interleaved with
``DataFrame.merge_sorted`` on an output-position key (an O(n) merge, no sort, no Python loop over
rows or pages). A writer's pages (``joined=True``: the long reports printed in parts) carry each
page's heading lines joined to the front of its first detail line instead, put in place by one
scatter: the same text written, without merging every line.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.state.files import write_atomically

PAGE_WIDTH = 132
FORM_FEED = "\f"
NO_ITEMS = "*** NO ITEMS THIS RUN ***"

_PAGE_DIGITS = 4  # ZZZ9 edit mask of the legacy page counter
_RUN_ID: contextvars.ContextVar[str] = contextvars.ContextVar("run_id", default="")
_FORBIDDEN_IN_DETAIL = r"[\n\r\f]"


@dataclass(frozen=True)
class PageHeading:
    """Everything printed above the detail lines of each page of one report."""

    run_number: str  # computer run number, e.g. "PCE-03-41"
    title: str  # e.g. "INVALID REVIEW DATA LISTING - FORM 3926"
    run_date: datetime.date
    week_ending: datetime.date | None
    column_heads: tuple[str, ...]  # typically 1-3 lines, already laid out to their columns
    subtitle: str = ""  # right side of heading line 2, e.g. deck identity "DECK SC 11142026 001"


# --------------------------------------------------------------------------- cell formatting


def fmt_date(d: datetime.date | None) -> str:
    """MM/DD/YYYY as on the legacy print-outs; blank when there is no date."""
    if d is None:
        return ""
    # Not strftime: "%Y" does not zero-pad years before 1000 on every platform.
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def mask_ssn_expr(col: str) -> pl.Expr:
    """Mask a taxpayer SSN for printing: only the last four characters may appear on paper.

    "123456789" -> "XXX-XX-6789"; blank (empty or all spaces) stays as it is; null stays null;
    anything else (dashed, short, garbage) -> "XXX-XX-" + last 4 characters of the stripped value.
    """
    value = pl.col(col).cast(pl.String)
    stripped = value.str.strip_chars()
    masked = pl.concat_str([pl.lit("XXX-XX-"), stripped.str.slice(-4)])
    return pl.when(stripped == "").then(value).otherwise(masked).alias(col)


def field(expr: pl.Expr | str, width: int, align: str = "left") -> pl.Expr:
    """Fixed-width print cell for building detail lines with ``pl.concat_str``.

    A ``str`` is a column name. The value is cast to String, null prints as blanks, a value longer
    than ``width`` is cut to its first ``width`` characters (like a too-short print field), then
    padded with blanks on the right (``align="left"``) or on the left (``align="right"``).
    """
    if width < 0:
        raise ValueError(f"field width must be >= 0, got {width}")
    if align not in ("left", "right"):
        raise ValueError(f"align must be 'left' or 'right', got {align!r}")
    e = pl.col(expr) if isinstance(expr, str) else expr
    e = e.cast(pl.String).fill_null("").str.slice(0, width)
    return e.str.pad_end(width) if align == "left" else e.str.pad_start(width)


# --------------------------------------------------------------------------- pagination


def _heading_left1(heading: PageHeading, page_text_width: int) -> str:
    """Heading line 1 without the page number: run number at col 1, title centered."""
    run = heading.run_number.strip()
    title = heading.title.strip()
    start = max((PAGE_WIDTH - len(title)) // 2, len(run) + 1 if run else 0)
    room = PAGE_WIDTH - page_text_width - 1 - start  # keep one blank before "PAGE"
    title = title[: max(room, 0)]
    return (run.ljust(start) + title).rstrip() if title else run


@contextlib.contextmanager
def run_stamp(run_id: str, reprocess: bool = False) -> Iterator[None]:
    """Every page printed inside the block names run `run_id` beside its run date, and says
    REPROCESS when the run re-inputs corrections: its week figures are those records only."""
    token = _RUN_ID.set(f"{run_id} REPROCESS" if reprocess else run_id)
    try:
        yield
    finally:
        _RUN_ID.reset(token)


def _heading_left2(heading: PageHeading) -> str:
    """Heading line 2 without the subtitle: run date (and run id) at col 1, week ending
    centered."""
    left = f"RUN DATE {fmt_date(heading.run_date)}"
    if run_id := _RUN_ID.get():
        left += f"  RUN ID {run_id}"
    if heading.week_ending is None:
        return left
    week = f"WEEK ENDING {fmt_date(heading.week_ending)}"
    start = max((PAGE_WIDTH - len(week)) // 2, len(left) + 1)
    return left.ljust(start) + week


def _constant_heading_lines(heading: PageHeading) -> list[str]:
    """Heading lines 3.. (same on every page): blank line, column heads, dashes."""
    heads = [h.rstrip() for h in heading.column_heads]
    lines = ["", *heads]
    if heads:
        lines.append("-" * max(len(h) for h in heads))
    return lines


def _new_page(lines_per_page: int, grouped: bool) -> pl.Expr:
    """True on the detail lines that start a page, over a frame with a row number ``i`` and,
    when ``grouped``, the page-break value ``brk`` (null counts as a value)."""
    idx = pl.col("i")
    if grouped:
        new_group = (idx == 0) | pl.col("brk").ne_missing(pl.col("brk").shift(1))
        group_start = pl.when(new_group).then(idx).otherwise(None).forward_fill()
        pos_in_group = idx - group_start
    else:
        pos_in_group = idx
    return (pos_in_group % lines_per_page) == 0


def _page_starts(detail: pl.DataFrame, lines_per_page: int, break_on: str | None) -> pl.Series:
    """Row numbers (Int64, ascending) of the detail lines that start a page under ``paginate``;
    empty for an empty frame. Reads only the ``break_on`` column."""
    cols = [pl.col(break_on).alias("brk")] if break_on is not None else []
    return (
        detail.lazy()
        .select(*cols, i=pl.int_range(pl.len(), dtype=pl.Int64))
        .filter(_new_page(lines_per_page, break_on is not None))
        .select("i")
        .collect()
        .get_column("i")
    )


def _pages_and_tail(detail: pl.DataFrame, lines_per_page: int, break_on: str | None
                    ) -> tuple[int, int]:
    """Pages that ``paginate`` lays `detail` (not empty) out on, and the detail lines on its
    last page: `_page_starts`' count and last gap, from the lengths of the ``break_on`` runs
    (null counts as a value) instead of a pass over every row."""
    if break_on is None:
        lengths = [detail.height]
    else:
        brk = detail.get_column(break_on)
        starts = brk.ne_missing(brk.shift(1)).scatter(0, True)  # the first row starts a run
        firsts = starts.arg_true()
        lengths = firsts.append(pl.Series([detail.height], dtype=firsts.dtype)).diff(
            null_behavior="drop").to_list()
    pages = sum(-(-n // lines_per_page) for n in lengths)
    return pages, lengths[-1] - (-(-lengths[-1] // lines_per_page) - 1) * lines_per_page


def count_pages(detail: pl.DataFrame, lines_per_page: int, break_on: str | None = None) -> int:
    """Pages that ``paginate`` lays `detail` out on (0 for no rows)."""
    return _pages_and_tail(detail, lines_per_page, break_on)[0] if detail.height else 0


def paginate(
    detail: pl.DataFrame,
    heading: PageHeading,
    *,
    lines_per_page: int = 55,
    break_on: str | None = None,
    first_page: int = 1,
    form_feed_first: bool = False,
    last_page: int | None = None,
    joined: bool = False,
) -> pl.DataFrame:
    """Lay out formatted detail lines into printed pages, headings on every page.

    ``detail`` has a String column ``line`` (already formatted, e.g. with ``field``) and, when
    ``break_on`` is given, a column of that name: each change of its value (null counts as a value)
    starts a new page, as the legacy runs skip to a new page per deck or organization. An optional
    String column ``break_title`` supplies the subtitle of the pages it starts.

    ``lines_per_page`` counts detail lines only. Returns a one-column frame ``line`` in print order;
    pages after the first begin with a form feed (see module docstring). Page numbers run
    consecutively from ``first_page`` so a continuation report can carry numbering on.

    For a report printed in parts (see ``paginate_chunks``): ``form_feed_first`` puts the form
    feed on the first page of this call too, and ``last_page`` is the number of the last page of
    the whole report, which sets the width of the page-number field on every page (by default
    the last page of this call). Neither changes anything at its default.

    ``joined=True`` is for a writer (``write_pages``, ``PagedReport``): each page's heading
    lines come joined, with their line ends, to the front of its first detail line, so a row
    is a page's first line or a detail line, and the text written is the same. The headings
    are then put in place by one scatter instead of a merge of every line with them (the 40
    pagings of the 1M week's report stage, 2.07 million lines, one thread: 0.43-0.46 to
    0.28-0.30 s).
    """
    if lines_per_page < 1:
        raise ValueError(f"lines_per_page must be >= 1, got {lines_per_page}")
    if first_page < 1:
        raise ValueError(f"first_page must be >= 1, got {first_page}")
    if last_page is not None and last_page < first_page:
        raise ValueError(f"last_page must be >= first_page, got {last_page} < {first_page}")
    if "line" not in detail.columns:
        raise ValueError("detail frame needs a String column 'line'")
    if break_on is not None and break_on not in detail.columns:
        raise ValueError(f"break_on column {break_on!r} not in detail frame")

    has_title = "break_title" in detail.columns
    line = pl.col("line").cast(pl.String).fill_null("")
    if detail.height and detail.select(line.str.contains(_FORBIDDEN_IN_DETAIL).any()).item():
        raise ValueError(r"detail lines must not contain '\n', '\r' or '\f'")

    if detail.height == 0:
        # One page with the headings and the no-items notice; no break, no break title.
        detail = pl.DataFrame({"line": [NO_ITEMS.center(PAGE_WIDTH).rstrip()]})
        break_on, has_title = None, False

    const_lines = _constant_heading_lines(heading)
    n_head = 2 + len(const_lines)  # heading lines per page

    idx = pl.col("i")
    cols: list[pl.Expr] = [line.str.strip_chars_end(" ").alias("line")]
    if break_on is not None:
        cols.append(pl.col(break_on).alias("brk"))
    if has_title:
        cols.append(pl.col("break_title").cast(pl.String).alias("sub"))

    work = (
        detail.lazy()
        .select(cols)
        .with_columns(i=pl.int_range(pl.len(), dtype=pl.Int64))
        .with_columns(new_page=_new_page(lines_per_page, break_on is not None))
        .with_columns(p=pl.col("new_page").cast(pl.Int64).cum_sum() - 1)
        .collect()
    )

    n_pages = int(work.get_column("p")[-1]) + 1
    if last_page is None:
        last_page = first_page + n_pages - 1
    elif last_page < first_page + n_pages - 1:
        raise ValueError(
            f"last_page {last_page} is before the last page of this call, "
            f"{first_page + n_pages - 1}"
        )
    digits = max(_PAGE_DIGITS, len(str(last_page)))
    of_pages = f" OF {last_page:>{digits}}"  # PAGE n OF m: the reader knows none is missing
    left1 = _heading_left1(heading, len("PAGE ") + digits + len(of_pages))
    left2 = _heading_left2(heading)
    sub_room = max(PAGE_WIDTH - len(left2) - 1, 0)

    default_sub = pl.lit(heading.subtitle.strip(), dtype=pl.String)
    if has_title:
        page_sub = pl.col("sub").str.strip_chars()
        page_sub = pl.when(page_sub.fill_null("") != "").then(page_sub).otherwise(default_sub)
    else:
        page_sub = default_sub

    page_text = pl.concat_str(
        [pl.lit("PAGE "), (pl.col("p") + first_page).cast(pl.String).str.pad_start(digits),
         pl.lit(of_pages)]
    )
    line1 = pl.concat_str([pl.lit(left1), page_text.str.pad_start(PAGE_WIDTH - len(left1))])
    ejects = pl.lit(True) if form_feed_first else pl.col("p") > 0
    line1 = pl.when(ejects).then(pl.lit(FORM_FEED) + line1).otherwise(line1)
    line2 = pl.concat_str(
        [pl.lit(left2), page_sub.str.slice(0, sub_room).str.pad_start(PAGE_WIDTH - len(left2))]
    ).str.strip_chars_end(" ")

    if joined:  # the heading lines and the page's first detail line, one after another
        firsts = work.lazy().filter(pl.col("new_page")).select(
            "i", pl.concat_str([line1, line2, *[pl.lit(s) for s in const_lines],
                                pl.col("line")], separator="\n").alias("line")).collect()
        return pl.DataFrame(work.get_column("line").scatter(firsts["i"], firsts["line"]))

    # Output position of detail i on page p: i plus p+1 heading blocks before it. Heading line k of
    # page p (first detail s) sits at s + p*n_head + k. Both sequences increase -> merge, no sort.
    details = work.select(
        key=idx + (pl.col("p") + 1) * n_head,
        line=pl.col("line"),
    )
    headings = (
        work.lazy()
        .filter(pl.col("new_page"))
        .select(
            key=idx + pl.col("p") * n_head,
            line=pl.concat_list([line1, line2, *[pl.lit(s) for s in const_lines]]),
        )
        .explode("line")
        .with_columns(key=pl.col("key") + pl.int_range(pl.len(), dtype=pl.Int64) % n_head)
        .collect()
    )
    return details.merge_sorted(headings, key="key").select("line")


# --------------------------------------------------------------------------- reports in parts


@dataclass(frozen=True)
class PageChunk:
    """Detail rows ``offset`` to ``offset + length`` of a report, starting on a page boundary."""

    offset: int
    length: int
    first_page: int  # number of the page its first row starts


def plan_chunks(
    detail: pl.DataFrame,
    *,
    lines_per_page: int,
    break_on: str | None = None,
    rows_per_chunk: int,
) -> tuple[list[PageChunk], int]:
    """Cut a report's detail rows into parts of at most ``rows_per_chunk`` rows (more only when a
    single page is longer) that each start on a page of ``paginate``; also the whole report's
    page count. ``detail`` needs only the ``break_on`` column (any column without one), so the
    printed lines themselves can be built part by part. An empty report is one empty part of
    one page (the no-items page).
    """
    if lines_per_page < 1:
        raise ValueError(f"lines_per_page must be >= 1, got {lines_per_page}")
    if rows_per_chunk < 1:
        raise ValueError(f"rows_per_chunk must be >= 1, got {rows_per_chunk}")
    if break_on is not None and break_on not in detail.columns:
        raise ValueError(f"break_on column {break_on!r} not in detail frame")
    n = detail.height
    if n == 0:
        return [PageChunk(0, 0, 1)], 1
    return cut_at_pages(_page_starts(detail, lines_per_page, break_on), n, rows_per_chunk)


def cut_at_pages(starts: pl.Series, n: int, rows_per_chunk: int) -> tuple[list[PageChunk], int]:
    """``plan_chunks``' parts of a report of `n` rows (at least one) whose pages start at the
    rows `starts` (ascending, the first 0), and its page count: for a caller that knows where
    its pages start without a frame of every row."""
    if rows_per_chunk < 1:
        raise ValueError(f"rows_per_chunk must be >= 1, got {rows_per_chunk}")
    total = starts.len()
    parts: list[PageChunk] = []
    k = 0  # index in `starts` of the current part's first page
    while k < total:
        begin = int(starts[k])
        if n - begin <= rows_per_chunk:
            parts.append(PageChunk(begin, n - begin, k + 1))
            break
        # The last page start that keeps the part within rows_per_chunk, at least one page on.
        nxt = max(int(starts.search_sorted(begin + rows_per_chunk, side="right")) - 1, k + 1)
        end = int(starts[nxt]) if nxt < total else n
        parts.append(PageChunk(begin, end - begin, k + 1))
        k = nxt
    return parts, total


def paginate_chunks(
    chunks: Iterable[pl.DataFrame],
    heading: PageHeading,
    *,
    lines_per_page: int = 55,
    break_on: str | None = None,
    total_pages: int,
    joined: bool = False,
) -> Iterator[pl.DataFrame]:
    """``paginate`` a report given as consecutive parts of its detail frame, part by part
    (``joined``: as ``paginate`` has it, for a writer).

    The concatenated output is exactly ``paginate`` of the whole frame, provided every part
    starts on a page boundary of the whole (``plan_chunks`` cuts such parts) and
    ``total_pages`` is the whole report's page count (it sets the page-number width). Both are
    checked: a part that would start mid-page, or a page count that comes out different,
    raises ValueError. Empty parts are skipped; a report with no rows at all prints the
    no-items page.
    """
    next_page = 1
    tail = 0  # detail lines on the last page so far
    last_brk: pl.Series | None = None  # break value of the last line so far
    for detail in chunks:
        if detail.height == 0:
            continue
        if break_on is not None and break_on not in detail.columns:
            raise ValueError(f"break_on column {break_on!r} not in detail frame")
        brk = detail.get_column(break_on) if break_on is not None else None
        # The same test as paginate's page break: ne_missing (null counts as a value).
        same_group = brk is None or last_brk is None or not brk.head(1).ne_missing(last_brk).item()
        if next_page > 1 and same_group and tail != lines_per_page:
            raise ValueError(
                f"report part starts in the middle of page {next_page - 1} "
                f"({tail} of {lines_per_page} lines printed)"
            )
        pages, tail_now = _pages_and_tail(detail, lines_per_page, break_on)
        yield paginate(
            detail,
            heading,
            lines_per_page=lines_per_page,
            break_on=break_on,
            first_page=next_page,
            form_feed_first=next_page > 1,
            last_page=total_pages,
            joined=joined,
        )
        next_page += pages
        tail = tail_now
        last_brk = brk.tail(1) if brk is not None else None
    if next_page == 1:
        empty = pl.DataFrame(schema={"line": pl.String})
        yield paginate(empty, heading, lines_per_page=lines_per_page, last_page=total_pages,
                       joined=joined)
        next_page = 2
    if next_page - 1 != total_pages:
        raise ValueError(f"report printed {next_page - 1} pages, not total_pages={total_pages}")


def _page_cut(lines: pl.DataFrame, lines_per_page: int, break_on: str | None = None) -> int:
    """How many of `lines` (which start a page) can be printed now: all but those short of a
    whole page in the last `break_on` group, which the next lines may go on."""
    last_group = lines.height
    if break_on is not None:
        brk = lines.get_column(break_on)
        last_group -= int(brk.ne_missing(brk.shift(1)).fill_null(True).arg_true()[-1])
    return lines.height - last_group % lines_per_page


def paginate_flowing(
    details: Iterable[pl.DataFrame],
    heading: PageHeading,
    *,
    lines_per_page: int = 55,
    total_lines: int,
) -> Iterator[pl.DataFrame]:
    """``paginate`` of a report with no breaks, given as consecutive parts of its detail lines
    cut anywhere (a row's lines may run on into the next part): the lines short of a full page
    at the end of a part wait for the next one, so every part handed to ``paginate_chunks``
    starts a page. ``total_lines`` is the whole report's count of detail lines."""
    if lines_per_page < 1:
        raise ValueError(f"lines_per_page must be >= 1, got {lines_per_page}")

    def whole_pages() -> Iterator[pl.DataFrame]:
        waiting = pl.DataFrame(schema={"line": pl.String})
        for detail in details:
            lines = pl.concat([waiting, detail.select(pl.col("line").cast(pl.String))])
            cut = _page_cut(lines, lines_per_page)
            if cut:
                yield lines.slice(0, cut)
            waiting = lines.slice(cut)
        if waiting.height:
            yield waiting

    total_pages = max(-(-total_lines // lines_per_page), 1)
    yield from paginate_chunks(whole_pages(), heading, lines_per_page=lines_per_page,
                               total_pages=total_pages)


# --------------------------------------------------------------------------- output


def _csv_kwargs() -> dict[str, object]:
    # One column, never quoted, no header: write_csv emits exactly the lines, each ending "\n".
    return {"include_header": False, "quote_style": "never", "line_terminator": "\n"}


def render(pages: pl.DataFrame) -> str:
    """The printed text of ``paginate`` output, identical to what ``write_report`` writes."""
    return pages.select("line").write_csv(None, **_csv_kwargs())


def write_report(pages: pl.DataFrame, path: Path) -> None:
    """Write the report atomically: readers never see a half-written print file.

    Written by `state.files.write_atomically`: a temp file in the target directory, fsynced,
    then renamed over ``path``; owner-only (0600) on purpose: reports carry taxpayer data.
    """
    write_pages([pages], path)


def write_pages(chunks: Iterable[pl.DataFrame], path: Path) -> None:
    """``write_report`` of a report given in parts (``paginate_chunks`` output, in order).

    Each part is appended to the file as it comes, so only one is held at a time; the file
    replaces ``path`` only after the last part (`state.files.write_atomically`), and a failure
    in any part leaves ``path`` as it was and no temp file behind.
    """

    def write(fh) -> None:
        for pages in chunks:
            pages.select("line").write_csv(fh, **_csv_kwargs())

    write_atomically(Path(path), write)


class PagedReport:
    """``paginate`` of a report whose detail lines are made part by part and handed over as
    they come (``add``), written to the open file ``fh`` page by page; ``close`` prints the
    rest. The text is ``paginate`` of the whole detail frame (``paginate_chunks`` checks the
    parts and ``total_pages``): the lines short of a page of the ``break_on`` group that is
    still going wait for the next part. Lets one pass over a report's rows print several
    reports, each a page at a time."""

    def __init__(self, fh, heading: PageHeading, *, lines_per_page: int, break_on: str,
                 total_pages: int) -> None:
        self.fh, self.lines_per_page, self.break_on = fh, lines_per_page, break_on
        self._given: list[pl.DataFrame] = []
        self._done = False
        self._waiting: pl.DataFrame | None = None
        self._pages = paginate_chunks(self._parts(), heading, lines_per_page=lines_per_page,
                                      break_on=break_on, total_pages=total_pages, joined=True)

    def _parts(self) -> Iterator[pl.DataFrame]:
        while True:
            if self._given:
                yield self._given.pop(0)
            elif self._done:
                return
            else:  # pragma: no cover - the pages are only asked for after a part is given
                raise RuntimeError("a report part was asked for before it was given")

    def _print(self, part: pl.DataFrame) -> None:
        self._given.append(part)
        next(self._pages).select("line").write_csv(self.fh, **_csv_kwargs())

    def add(self, detail: pl.DataFrame) -> None:
        """More detail lines (with the ``break_on`` column), in order."""
        if detail.height == 0:
            return
        lines = detail if self._waiting is None else pl.concat([self._waiting, detail])
        cut = _page_cut(lines, self.lines_per_page, self.break_on)
        if cut:
            self._print(lines.slice(0, cut))
        self._waiting = lines.slice(cut) if cut < lines.height else None

    def close(self) -> None:
        if self._waiting is not None:
            self._print(self._waiting)
            self._waiting = None
        self._done = True
        for pages in self._pages:
            pages.select("line").write_csv(self.fh, **_csv_kwargs())
