"""Run 03's per-deck map on a Dask cluster (`distributed`): each deck is read and checked by a
worker (`week_parts.check_deck_file`); the parts come back in deck order and the reduce, the
reports and the store's publish stay in the run's own process (docs/operations.md).

Also the form of a scheduler address (`check_address`, no Dask import: `qap flow` refuses a
mistyped option before anything starts, review 19, F2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from pipelines.engine.qap import run03, week_parts

# The schemes distributed.comm knows (its registry), without importing it
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
FORM = "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]@]+):([0-9]{1,5})")


class BadAddress(ValueError):
    """A scheduler address that cannot be used as given."""


def check_address(address: str) -> str:
    """The address as given when Dask could connect to something of its form (a scheme Dask
    knows, no scheme meaning tcp as in Dask, then HOST:PORT); else BadAddress saying what is
    wrong and the form to give. An inproc:// address (a cluster in this process) is taken."""
    scheme, sep, where = address.partition("://")
    if not sep:
        scheme, where = "tcp", address
    why = None
    if scheme not in SCHEMES:
        why = (f"unknown scheme {scheme + '://'!r}; Dask's are "
               f"{', '.join(s + '://' for s in SCHEMES)}")
    elif scheme == "inproc":
        return address
    elif (found := _HOST_PORT.fullmatch(where)) is None:
        why = f"{where!r} is not HOST:PORT"
    elif not 0 < int(found[2]) < 65536:
        why = f"port {found[2]} is not 1-65535"
    if why:
        raise BadAddress(f"{address!r} is not a Dask scheduler address ({why}); give {FORM}")
    return address


def on_cluster(scheduler: Any) -> week_parts.MapDecks:
    """A `map_decks` for `run_week` on the cluster at `scheduler` (an address such as
    tcp://10.0.0.5:8786, or a `distributed.Client` or `LocalCluster`). The workers read the
    decks from their paths: a file system they share with this process."""

    def map_decks(tasks: list[week_parts.DeckTask], ofp: pl.DataFrame,
                  defect_codes: pl.Series) -> Iterator[list[run03.Run03Part]]:
        from distributed import Client

        from pipelines.engine.qap import week_parts

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
