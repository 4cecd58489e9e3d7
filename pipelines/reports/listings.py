"""What the four run 01/03 listings share: the deck page break and the printing call."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from pipelines.reports import trailer
from pipelines.reports.printing import (
    PageChunk,
    PageHeading,
    cut_at_pages,
    paginate,
    paginate_chunks,
    write_pages,
    write_report,
)

LINES_PER_PAGE = 50
CHUNK_ROWS = 100_000  # most detail rows of a listing built at a time (parts end on a page)
PARQUET_LEVEL = 1  # zstd level of the listings' Parquet twins


def codes_text() -> pl.Expr:
    return pl.col("error_codes").list.join(" ")


def _detail(rows: pl.DataFrame, line: pl.Expr) -> pl.DataFrame:
    return rows.select(line.alias("line"), "deck_no",  # paginate strips trailing blanks
                       pl.col("deck_title").alias("break_title"))


def _named_decks(rows: pl.DataFrame) -> pl.DataFrame:
    if "deck" not in rows.columns:
        return pl.DataFrame(schema={"deck_no": pl.UInt16, "deck": pl.String})
    # Each deck's first row: a listing part holds 100,000 rows of a few decks. The rows are
    # copied out: a filter's few rows keep the buffers of the part's columns (1.7 MiB per
    # 100,000 rows), and the posting listing keeps these of every part to its end.
    first = rows.select("deck_no", "deck").filter(pl.col("deck_no").is_first_distinct())
    return pl.DataFrame(first.to_dict(as_series=False), schema=first.schema)


def print_listing(rows: pl.DataFrame, line: pl.Expr, heading: PageHeading, path: Path,
                  legend_run: str | None = None) -> None:
    """Detail lines from `rows` (which carry deck_no, deck and deck_title), a new page per
    deck, then the closing lines (`trailer`): the deck key, for a register (`legend_run`) the
    meaning of each code it used, and the end line with the count of records."""
    legend = trailer.legend(legend_run, trailer.used_codes(rows)) if legend_run else []
    closing = trailer.closing(rows.height, _named_decks(rows), legend)
    write_report(paginate(trailer.append(_detail(rows, line), closing), heading,
                          lines_per_page=LINES_PER_PAGE, break_on="deck_no"), path)


def plan_listing(runs: pl.DataFrame, rows_per_chunk: int | None = None,
                 names: pl.DataFrame | None = None) -> tuple[list[PageChunk], int]:
    """Parts of a listing whose rows are `runs` (deck_no and rows of each run of one deck, in
    order: `week_parts.deck_runs`), each starting a page (`CHUNK_ROWS` rows at most by
    default); and the listing's page count with its closing lines (`names`: deck_no and deck
    of the run's decks, for the deck key) (what `print_listing_chunks` needs). A deck's pages
    start every `LINES_PER_PAGE` rows of its run, so the plan holds a row per page, not per
    record."""
    runs = runs.filter(pl.col("rows") > 0)
    lengths = runs.get_column("rows").cast(pl.Int64)
    records = int(lengths.sum())
    listed = runs.select(pl.col("deck_no").unique())
    if names is not None:
        listed = listed.join(names, on="deck_no", how="left")
    closing = trailer.closing(records, listed if "deck" in listed.columns else
                              _named_decks(listed))
    if records == 0:  # the no-items line and the closing lines, on pages of their own
        return [PageChunk(0, 0, 1)], -(-(1 + len(closing)) // LINES_PER_PAGE)
    offsets = lengths.cum_sum() - lengths
    starts = pl.select(pl.int_ranges(offsets, offsets + lengths, LINES_PER_PAGE,
                                     dtype=pl.Int64).explode()).to_series()
    parts, _ = cut_at_pages(starts, records, rows_per_chunk or CHUNK_ROWS)
    # The closing lines go on under the last run's lines (`trailer.append`).
    tail = lengths.to_list()
    tail[-1] += len(closing)
    return parts, sum(-(-n // LINES_PER_PAGE) for n in tail)


def print_listing_chunks(chunks: Iterable[pl.DataFrame], line: pl.Expr, heading: PageHeading,
                         path: Path, total_pages: int) -> None:
    """`print_listing` of the rows given part by part (the parts of `plan_listing`, in order):
    the same text, with only one part's printed lines alive at a time (and the last part held
    back until the closing lines, which it ends with, are known)."""

    def details():
        records, named, held = 0, [], None
        for rows in chunks:
            records += rows.height
            named.append(_named_decks(rows))
            if held is not None:
                yield held
            held = _detail(rows, line)
        held = held if held is not None else pl.DataFrame(
            schema={"line": pl.String, "deck_no": pl.UInt16, "break_title": pl.String})
        decks = pl.concat(named) if named else _named_decks(pl.DataFrame())
        yield trailer.append(held, trailer.closing(records, decks))

    write_pages(paginate_chunks(details(), heading, lines_per_page=LINES_PER_PAGE,
                                break_on="deck_no", total_pages=total_pages, joined=True), path)


class ParquetParts:
    """A Parquet file written part by part (`with ParquetParts(path) as out: out.write(frame)`),
    so only one part is held at a time. It reads back (pyarrow, polars, DuckDB) exactly as
    `write_parquet` of the parts' concat with zstd level 1 does: the same Arrow schema, columns,
    rows and order. The file is created by the first part (at least one is needed, an empty
    frame will do); an error inside the block removes it.

    The parts go to polars' own streaming Parquet sink, on a helper thread, through an IO
    source (`polars.io.plugins.register_io_source`) that hands them over one at a time: the
    writer encodes a part while the caller makes the next, and no part is converted to
    another library's arrays first (which cost a third of the Parquet's time)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._parts: queue.Queue[pl.DataFrame | None] = queue.Queue(maxsize=1)
        self._schema: pl.Schema | None = None
        self._sink: threading.Thread | None = None
        self._failed: BaseException | None = None

    def write(self, frame: pl.DataFrame) -> None:
        if self._schema is None:
            self._start(frame.schema)
        elif frame.columns != self._schema.names():
            raise ValueError(f"{self.path}: a part with columns {frame.columns}, not "
                             f"{self._schema.names()}")
        elif frame.schema != self._schema:
            frame = frame.cast(dict(self._schema))
        self._hand(frame)

    def _start(self, schema: pl.Schema) -> None:
        from polars.io.plugins import register_io_source

        self._schema = schema
        parts = self._parts

        def source(with_columns, predicate, n_rows, batch_size):
            while (part := parts.get()) is not None:
                yield part if with_columns is None else part.select(with_columns)

        frames = register_io_source(source, schema=schema)

        def sink() -> None:
            try:
                frames.sink_parquet(self.path, compression="zstd",
                                    compression_level=PARQUET_LEVEL)
            except BaseException as err:  # handed to the caller's thread
                self._failed = err

        self._sink = threading.Thread(target=sink, name="parquet-parts", daemon=True)
        self._sink.start()

    def _hand(self, part: pl.DataFrame | None) -> None:
        """Give the sink `part` (None: the end), raising the sink's error if it has stopped."""
        while True:
            if self._failed is not None:
                raise self._failed
            try:
                self._parts.put(part, timeout=0.05)
                return
            except queue.Full:
                if self._sink is not None and not self._sink.is_alive():
                    raise self._failed or RuntimeError(
                        f"{self.path}: the writer stopped") from None

    def _finish(self) -> None:
        sink, self._sink = self._sink, None
        if sink is None:
            return
        try:
            self._hand(None)
        finally:
            sink.join()
        if self._failed is not None:
            raise self._failed

    def __enter__(self) -> ParquetParts:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        started = self._sink is not None
        try:
            self._finish()
            if not started and exc_type is None:
                raise ValueError(f"{self.path}: no part written; Parquet needs a schema")
        except BaseException:
            self.path.unlink(missing_ok=True)
            if exc_type is None:
                raise
        if exc_type is not None:
            self.path.unlink(missing_ok=True)


def heading(run_number: str, title: str, run_date: dt.date, week_ending: dt.date | None,
            heads: tuple[str, ...]) -> PageHeading:
    return PageHeading(run_number=run_number, title=title, run_date=run_date,
                       week_ending=week_ending, column_heads=heads)
