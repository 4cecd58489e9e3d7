"""Weeks run Sunday to Saturday and are named by their Saturday (rules.md, "Individual data").
Shared by every run family whose decks carry an HDR week ending, so that a deck headed with
another day counts in the same week, with the same note, in the weekly run and in sample
selection (docs/decisions.md, "Decks")."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.engine.machinery.deck import Deck

SATURDAY = 5  # date.weekday()


def saturday_of(d: dt.date) -> dt.date:
    """The Saturday ending the week (Sunday-Saturday) that holds `d`."""
    return d + dt.timedelta(days=(SATURDAY - d.weekday()) % 7)


def not_saturday_notes(decks: list[Deck], counted: str) -> list[str]:
    """A note per deck whose HDR week ending is a real date but not a Saturday: accepted, and
    `counted` (what of it, e.g. "its batches") counts in the Saturday of that week."""
    return [f"{d.name}: HDR week ending {d.week_ending:%m/%d/%Y} is a {d.week_ending:%A}, "
            f"not a Saturday; {counted} count in the week ending "
            f"{saturday_of(d.week_ending):%m/%d/%Y}"
            for d in decks if d.week_ending.weekday() != SATURDAY]
