"""Replaying the sampling log (IRM 3.30.28.2.2.4: the log is the audit trail): with the site's
sampling key an auditor draws each week's start point and direction again, walks the table
from each logged start for the logged work group and count, and must find the logged numbers
and stop point; each walk on a table must start where the one before it on that table stopped
(3.30.28.2.2.2(9)(c))."""

from __future__ import annotations

import polars as pl

from pipelines.engine.sampling import random_tables, starts
from pipelines.engine.sampling.walk import Cell, walk


def replay(log: pl.DataFrame, key: str) -> list[str]:
    """What does not replay, one sentence per pull (empty: every pull replays)."""
    faults: list[str] = []
    at: dict[tuple, tuple[Cell, str]] = {}
    for row in log.sort("week_ending", "pull_no").iter_rows(named=True):
        digits = int(row["table"].split("-")[0])
        table = random_tables.load(digits)
        week = row["week_ending"]
        expected = at.get((week, digits)) or starts.week_start(key, week, table)
        start = Cell(row["start_row"], row["start_column"])
        name = f"week ending {week:%m/%d/%Y} pull {row['pull_no']}"
        if (start, row["direction"]) != expected:
            faults.append(f"{name}: starts at {start} {row['direction']}, expected "
                          f"{expected[0]} {expected[1]}")
        w = walk(table, start, row["direction"], row["target"], row["daily_volume"])
        if list(w.drawn) != list(row["drawn"]) or w.stop != Cell(row["stop_row"],
                                                                  row["stop_column"]):
            faults.append(f"{name}: the walk gives {' '.join(map(str, w.drawn))} stopping at "
                          f"{w.stop}; the log says {' '.join(map(str, row['drawn']))} "
                          f"stopping at ROW {row['stop_row']} COLUMN {row['stop_column']}")
        at[(week, digits)] = (Cell(row["stop_row"], row["stop_column"]), row["direction"])
    return faults
