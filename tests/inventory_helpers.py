"""Shared by the tests of run INV-10-02: the fixture decks and the engine run on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.inventory.calendar import WorkCalendar
from pipelines.engine.inventory.step import Evaluation, evaluate
from pipelines.engine.machinery.deck import open_deck
from validators import inv_10_02, ro_params

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "inventory"
GOLDEN = Path(__file__).parent / "golden" / "inventory"
WORKED = FIXTURES / "worked-example.dat"
SECOND = FIXTURES / "second-week.dat"
HOLIDAY = FIXTURES / "holiday-week.dat"
BAD = FIXTURES / "bad-records.dat"
REFERENCE = FIXTURES / "reference"
RUN_DATE, SECOND_RUN_DATE = dt.date(2026, 5, 18), dt.date(2026, 5, 25)


def checked(path: Path) -> tuple[inv_10_02.Checked, dt.date]:
    deck = open_deck(path)
    records = deck.records.with_columns(pl.lit(0, pl.UInt16).alias("deck_no")).with_row_index(
        "seq")
    return inv_10_02.check(records, deck.week_ending), deck.week_ending


def evaluated(path: Path = WORKED, params: ro_params.Params | None = None,
              calendar: WorkCalendar | None = None, previous: pl.DataFrame | None = None
              ) -> Evaluation:
    """What the engine computes from one deck, without a store."""
    result, as_of = checked(path)
    params = params or ro_params.load(as_of)
    return evaluate(result.roster.filter(~pl.col("rejected")),
                    result.cases.filter(~pl.col("rejected")), as_of, params,
                    calendar or WorkCalendar(), previous,
                    result.forecasts.filter(~pl.col("rejected")))


def ro(measured: pl.DataFrame, assignment: str) -> dict:
    return measured.filter(pl.col("assignment") == assignment).row(0, named=True)


def codes_of(flags: pl.DataFrame) -> list[tuple[str, str]]:
    """(code, key) of every flag, in report order."""
    return list(flags.select("code", "key").iter_rows())
