"""What the four run 01/03 listings share: the deck page break and the printing call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, paginate, write_report

LINES_PER_PAGE = 50


def codes_text() -> pl.Expr:
    return pl.col("error_codes").list.join(" ")


def print_listing(rows: pl.DataFrame, line: pl.Expr, heading: PageHeading, path: Path) -> None:
    """Detail lines from `rows` (which carry deck_no and deck_title), a new page per deck."""
    detail = rows.select(line.alias("line"), "deck_no",  # paginate strips trailing blanks
                         pl.col("deck_title").alias("break_title"))
    write_report(paginate(detail, heading, lines_per_page=LINES_PER_PAGE, break_on="deck_no"),
                 path)


def heading(run_number: str, title: str, run_date: dt.date, week_ending: dt.date | None,
            heads: tuple[str, ...]) -> PageHeading:
    return PageHeading(run_number=run_number, title=title, run_date=run_date,
                       week_ending=week_ending, column_heads=heads)
