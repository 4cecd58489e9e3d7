"""Where each week's walk begins and when each day's pull is suggested, drawn from the site's
sampling key so that an auditor holding the key can replay them (IRM 3.30.28.2.2.2(7), (10);
3.30.28.2.2(5)(b)).

Every draw is HMAC-SHA256 keyed with the sampling key over a plain text naming what is drawn
("start|2026-01-10|2", "time|2026-01-06|123456789|QPC 101"); the digest's bytes, read as
big-endian numbers, pick among the choices.

* Start point: row = (bytes 0-1 mod 40) + 1, column = (bytes 2-3 mod 20) + 1 of the table.
* Direction: it must change at least weekly, so weeks alternate between the vertical pair
  (down, up) and the horizontal pair (right, left) by the parity of the week's number (days
  from 0001-01-01 to its Saturday, over 7); byte 4's parity picks within the pair.
* Suggested time: one of 16 half hours from 08:00 to 15:30 (bytes 0-1 mod 16); when it is the
  time suggested for the same employee's (or HQW OFP's) previous pull day, the next half hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from pipelines.engine.sampling.random_tables import Table
from pipelines.engine.sampling.walk import Cell

SLOTS = tuple(f"{8 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(16))
_PAIRS = (("down", "up"), ("right", "left"))


def _draw(key: str, text: str) -> bytes:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).digest()


def week_start(key: str, week_ending: dt.date, table: Table) -> tuple[Cell, str]:
    """The pencil's first cell and the direction for `table` in the week ending `week_ending`."""
    d = _draw(key, f"start|{week_ending.isoformat()}|{table.digits}")
    cell = Cell(int.from_bytes(d[0:2]) % table.rows + 1, int.from_bytes(d[2:4]) % table.columns
                + 1)
    pair = _PAIRS[(week_ending.toordinal() // 7) % 2]
    return cell, pair[d[4] % 2]


def suggested_time(key: str, day: dt.date, who: str, previous: str | None) -> str:
    """The time of day suggested for `who`'s pull on `day`, never `previous` (the time of
    their previous pull day)."""
    slot = int.from_bytes(_draw(key, f"time|{day.isoformat()}|{who}")[0:2]) % len(SLOTS)
    if SLOTS[slot] == previous:
        slot = (slot + 1) % len(SLOTS)
    return SLOTS[slot]
