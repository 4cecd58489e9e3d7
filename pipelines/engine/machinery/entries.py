"""The open error register's table: its schema and the entries a run adds (every rejected
record of every step, with its codes and its deck's HDR week ending). What closes an entry is
`register.py`."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.machinery.deck import Deck
from pipelines.engine.machinery.register import DECK_WEEK

REGISTER_SCHEMA = {"run_id": pl.String, "run": pl.String, "deck": pl.String,
                   "deck_hash": pl.String, "line_no": pl.UInt32, "record_type": pl.String,
                   "control_number": pl.String, "error_codes": pl.List(pl.String),
                   "text": pl.String, "header_text": pl.String, "status": pl.String,
                   "opened": pl.Date,
                   "closed": pl.Date, "closed_by": pl.String, "reason": pl.String,
                   DECK_WEEK: pl.Date, "replaces": pl.String, "sub_reason": pl.String,
                   "beside": pl.String}


def append(previous: pl.DataFrame | None, labelled: list[pl.DataFrame], run_date: dt.date,
           decks: list[Deck]) -> pl.DataFrame:
    """The open error register: every rejected record stays until corrected or withdrawn.
    `labelled` are the run's rows per step, each with its `run` (the register it is on) and
    `sub_reason` (which fault of a code, where the code names several).
    Each entry keeps its deck's HDR week ending, the week a corrections deck must carry."""
    weeks = pl.Series(DECK_WEEK, [d.week_ending for d in decks], pl.Date)
    new = pl.concat([
        _with_week(rows.filter("rejected"), weeks).select(
            "run_id", "run", "deck", "deck_hash", "line_no", "record_type",
            "control_number", "error_codes", "text", "header_text",
            pl.lit("open").alias("status"),
            pl.lit(run_date).alias("opened"), pl.lit(None, pl.Date).alias("closed"),
            pl.lit(None, pl.String).alias("closed_by"), pl.lit(None, pl.String).alias("reason"),
            DECK_WEEK, pl.lit(None, pl.String).alias("replaces"), "sub_reason",
            pl.lit(None, pl.String).alias("beside"))
        .cast(REGISTER_SCHEMA) for rows in labelled])
    return extend_register(previous, new)


def in_register_schema(rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` in REGISTER_SCHEMA's columns and order; a column they lack (a register written
    before it was added, or a run family that has no use for it) is null."""
    missing = [pl.lit(None, t).alias(c) for c, t in REGISTER_SCHEMA.items()
               if c not in rows.columns]
    return rows.with_columns(missing).select(list(REGISTER_SCHEMA)).cast(REGISTER_SCHEMA)


def extend_register(previous: pl.DataFrame | None, new: pl.DataFrame) -> pl.DataFrame:
    """The error register `previous` with a run's `new` entries appended, every run family's
    entries in the one schema."""
    new = in_register_schema(new)
    return new if previous is None else pl.concat([in_register_schema(previous), new])


def _with_week(rows: pl.DataFrame, weeks: pl.Series) -> pl.DataFrame:
    """`rows` plus the HDR week ending of each row's deck (a gather by deck_no)."""
    return rows.with_columns(weeks.gather(rows.get_column("deck_no")))
