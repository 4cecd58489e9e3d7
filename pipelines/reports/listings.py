"""What the four run 01/03 listings share: the deck page break and the printing call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.reports import trailer
from pipelines.reports.printing import (
    PageChunk,
    PageHeading,
    count_pages,
    paginate,
    paginate_chunks,
    plan_chunks,
    write_pages,
    write_report,
)

if TYPE_CHECKING:  # imported when a Parquet part is written: ~30 MiB less RSS until then
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    return rows.select("deck_no", "deck").unique("deck_no")


def print_listing(rows: pl.DataFrame, line: pl.Expr, heading: PageHeading, path: Path,
                  legend_run: str | None = None) -> None:
    """Detail lines from `rows` (which carry deck_no, deck and deck_title), a new page per
    deck, then the closing lines (`trailer`): the deck key, for a register (`legend_run`) the
    meaning of each code it used, and the end line with the count of records."""
    legend = trailer.legend(legend_run, trailer.used_codes(rows)) if legend_run else []
    closing = trailer.closing(rows.height, _named_decks(rows), legend)
    write_report(paginate(trailer.append(_detail(rows, line), closing), heading,
                          lines_per_page=LINES_PER_PAGE, break_on="deck_no"), path)


def plan_listing(decks: pl.DataFrame, rows_per_chunk: int | None = None,
                 names: pl.DataFrame | None = None) -> tuple[list[PageChunk], int]:
    """Parts of a listing whose rows carry `decks`' deck_no, in order, each starting a page
    (`CHUNK_ROWS` rows at most by default); and the listing's page count with its closing
    lines (`names`: deck_no and deck of the run's decks, for the deck key) (what
    `print_listing_chunks` needs)."""
    parts, _ = plan_chunks(decks.select("deck_no"), lines_per_page=LINES_PER_PAGE,
                           break_on="deck_no", rows_per_chunk=rows_per_chunk or CHUNK_ROWS)
    listed = decks.select(pl.col("deck_no").unique())
    if names is not None:
        listed = listed.join(names, on="deck_no", how="left")
    closing = trailer.closing(decks.height, listed if "deck" in listed.columns else
                              _named_decks(listed))
    whole = trailer.append(decks.select("deck_no", line=pl.lit("")), closing)
    return parts, count_pages(whole, LINES_PER_PAGE, "deck_no")


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
                                break_on="deck_no", total_pages=total_pages), path)


def _parquet_schema(schema: pa.Schema) -> pa.Schema:
    """The Arrow schema polars' own writer stores: list items are named "element"."""
    import pyarrow as pa

    def norm(t: pa.DataType) -> pa.DataType:
        if pa.types.is_large_list(t):
            return pa.large_list(pa.field("element", norm(t.value_type)))
        if pa.types.is_list(t):
            return pa.list_(pa.field("element", norm(t.value_type)))
        return t
    return pa.schema([pa.field(f.name, norm(f.type), f.nullable) for f in schema])


class ParquetParts:
    """A Parquet file written part by part (`with ParquetParts(path) as out: out.write(frame)`),
    so only one part is held at a time. It reads back (pyarrow, polars, DuckDB) exactly as
    `write_parquet` of the parts' concat with zstd level 1 does: the same Arrow schema, columns,
    rows and order; the encoded bytes are pyarrow's. The file is created by the first part (at
    least one is needed, an empty frame will do); an error inside the block removes it.

    A part is encoded on a helper thread while the caller goes on (pyarrow's writer is single
    threaded and lets go of the GIL); the next `write` and the end of the block wait for it.
    `plain` names columns written without a dictionary (values unique to their row, where a
    dictionary only costs time and space), as polars' own writer leaves them."""

    def __init__(self, path: Path, plain: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self.plain = frozenset(plain)
        self._writer: pq.ParquetWriter | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="parquet-parts")
        self._pending: Future[None] | None = None

    def write(self, frame: pl.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = frame.to_arrow()
        if self._writer is None:
            schema = _parquet_schema(table.schema)
            self._writer = pq.ParquetWriter(
                self.path, schema, compression="zstd", compression_level=PARQUET_LEVEL,
                use_dictionary=[f.name for f in schema if f.name not in self.plain])
        schema = self._writer.schema
        if table.schema.names != schema.names:
            raise ValueError(f"{self.path}: a part with columns {table.schema.names}, not "
                             f"{schema.names}")
        if table.schema != schema:  # relabel list items, no copy (Table.cast copies strings)
            table = pa.Table.from_arrays(
                [c if c.type == f.type else c.cast(f.type)
                 for c, f in zip(table.columns, schema, strict=True)], schema=schema)
        self._wait()
        self._pending = self._pool.submit(self._writer.write_table, table)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> ParquetParts:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        writer, self._writer = self._writer, None
        try:
            try:
                self._wait()
            finally:
                self._pool.shutdown()
                if writer is not None:
                    writer.close()
            if writer is None and exc_type is None:
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
