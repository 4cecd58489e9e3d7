"""Replaying the sampling log (IRM 3.30.28.2.2.4: the log is the audit trail): with the site's
sampling key an auditor draws each week's start point and direction again and walks the table
for each logged work group and count, each walk on a table from where the one before it on that
table stopped (3.30.28.2.2.2(9)(c)); the log must show the same start, numbers and stop."""

from __future__ import annotations

import polars as pl

from pipelines.engine.sampling import random_tables, starts
from pipelines.engine.sampling.walk import Cell, walk


def replay(log: pl.DataFrame, key: str) -> list[str]:
    """What does not replay, one sentence per pull (empty: every pull replays).

    Each pull is walked again from the start the key gives it: the week's first walk on a table
    from the key's start and direction, every later one from where the key's own walk before
    it stopped (never from a start or stop read in the log). A wrong key thus fails every pull
    it draws, and a tampered pull fails alone: the walks after it still follow the key."""
    faults: list[str] = []
    at: dict[tuple, tuple[Cell, str]] = {}
    for row in log.sort("week_ending", "pull_no").iter_rows(named=True):
        digits = int(row["table"].split("-")[0])
        table = random_tables.load(digits)
        week = row["week_ending"]
        cell, direction = at.get((week, digits)) or starts.week_start(key, week, table)
        start = Cell(row["start_row"], row["start_column"])
        stop = Cell(row["stop_row"], row["stop_column"])
        name = f"week ending {week:%m/%d/%Y} pull {row['pull_no']}"
        w = walk(table, cell, direction, row["target"], row["daily_volume"])
        at[(week, digits)] = (w.stop, direction)
        if (start, row["direction"]) != (cell, direction):
            faults.append(f"{name}: starts at {start} {row['direction']}, expected "
                          f"{cell} {direction}")
        elif list(w.drawn) != list(row["drawn"]) or w.stop != stop:
            faults.append(f"{name}: the walk gives {' '.join(map(str, w.drawn))} stopping at "
                          f"{w.stop}; the log says {' '.join(map(str, row['drawn']))} "
                          f"stopping at {stop}")
    return faults
