"""Run 03's per-deck map on a Dask cluster (`distributed`): each deck is read and checked by a
worker (`week_parts.check_deck_file`); the parts come back in deck order and the reduce, the
reports and the store's publish stay in the run's own process (docs/operations.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from pipelines.engine.qap import run03, week_parts


def on_cluster(scheduler: Any) -> week_parts.MapDecks:
    """A `map_decks` for `run_week` on the cluster at `scheduler` (an address such as
    tcp://10.0.0.5:8786, or a `distributed.Client` or `LocalCluster`). The workers read the
    decks from their paths: a file system they share with this process."""

    def map_decks(tasks: list[week_parts.DeckTask], ofp: pl.DataFrame,
                  defect_codes: pl.Series) -> Iterator[list[run03.Run03Part]]:
        from distributed import Client

        owned = not isinstance(scheduler, Client)
        client = Client(scheduler) if owned else scheduler
        try:
            ofp_f, codes_f = client.scatter([ofp, defect_codes], broadcast=True)
            futures = client.map(week_parts.check_deck_file, tasks, ofp=ofp_f,
                                 defect_codes=codes_f, pure=False)
            for future in futures:  # in deck order; each result let go once taken
                yield future.result()
                future.release()
        finally:
            if owned:
                client.close()

    return map_decks
