"""Run 03's per-deck map on a Dask cluster (`distributed`): each deck is read and checked by a
worker (`week_parts.check_deck_file`); the parts come back in deck order and the reduce, the
reports and the store's publish stay in the run's own process (docs/operations.md).

Also what the flows ask of a scheduler address before they use it: its form (`check_address`,
no Dask import: `qap flow` refuses a mistyped option before anything starts, review 19, F2)
and a cluster that can take work (`reach`): a scheduler answering within
QAP_DASK_CONNECT_TIMEOUT seconds, said as one message, not Dask's tracebacks after 30 s
(review 19, F3); a worker joined within QAP_DASK_WORKER_WAIT seconds, the wait said, not an
endless silence (F4)."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from distributed import Client

    from pipelines.engine.qap import run03, week_parts

CONNECT_TIMEOUT = "QAP_DASK_CONNECT_TIMEOUT"  # seconds to reach the scheduler; Dask's own: 30
WORKER_WAIT = "QAP_DASK_WORKER_WAIT"  # seconds to wait for a worker when the scheduler has none
DEFAULTS = {CONNECT_TIMEOUT: 10.0, WORKER_WAIT: 60.0}
SAY_EVERY = 15.0  # seconds between "still waiting" lines

# The schemes distributed.comm knows (its registry), without importing it
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
FORM = "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]@]+):([0-9]{1,5})")


class BadAddress(ValueError):
    """A scheduler address or timeout setting that cannot be used as given."""


class ClusterUnavailable(Exception):
    """The cluster could not take the work (no scheduler answered, no worker joined): nothing
    was sent to it and nothing was posted."""


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


def check_settings() -> None:
    """The timeouts from the environment, as `seconds` reads them: a wrong value is said
    before the run starts, not when the cluster is first used."""
    for name in DEFAULTS:
        seconds(name)


def seconds(name: str) -> float:
    """A timeout setting from the environment (else its default), in seconds above 0."""
    text = os.environ.get(name, "").strip()
    if not text:
        return DEFAULTS[name]
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 86_400:
        raise BadAddress(f"{name}={text!r} is not a number of seconds (above 0, at most "
                         "86400)")
    return value


def _connect(scheduler: Any) -> tuple[Client, bool]:
    """A client of `scheduler` (an address, or a `LocalCluster` or `Client` of a test) and
    whether it is ours to close; an address that does not answer in time is said plainly."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    timeout = seconds(CONNECT_TIMEOUT)
    try:
        return Client(scheduler, timeout=timeout), True
    except OSError as err:  # Dask retries a refused or unresolved address until the timeout
        said = "" if str(err).startswith("Timed out") else f" ({type(err).__name__}: {err})"
        raise ClusterUnavailable(
            f"no Dask scheduler answered at {scheduler} within {timeout:g} s "
            f"({CONNECT_TIMEOUT}){said}: check the address and that `dask scheduler` runs there"
        ) from None


def _wait_for_worker(client: Client, address: Any, say: Callable[[str], None]) -> None:
    """Return once the scheduler has a running worker; say that it waits, and for how long,
    while it has none; ClusterUnavailable after QAP_DASK_WORKER_WAIT seconds. A task sent to a
    scheduler without workers waits for one for ever (Dask's way: a worker may join)."""
    wait = seconds(WORKER_WAIT)
    start = time.monotonic()
    step = 0.5  # a running worker returns at once; none is said after half a second
    while True:
        try:
            client.wait_for_workers(1, timeout=step)
            return
        except TimeoutError:
            waited = time.monotonic() - start
        except OSError as err:  # the scheduler went away while we waited
            raise ClusterUnavailable(f"lost the Dask scheduler at {address} "
                                     f"({type(err).__name__}: {err})") from None
        if waited >= wait:
            raise ClusterUnavailable(
                f"the Dask scheduler at {address} has no worker: none joined within {wait:g} s "
                f"({WORKER_WAIT}); start one (`dask worker {address}`) and run again")
        say(f"waiting up to {wait:g} s ({WORKER_WAIT}) for a Dask worker: the scheduler at "
            f"{address} has none" if step == 0.5 else
            f"still no Dask worker at {address} after {waited:.0f} s of {wait:g}")
        step = min(SAY_EVERY, wait - waited)


def reach(address: str, say: Callable[[str], None]) -> None:
    """Check that the cluster at `address` can take work now, before any task is sent to it:
    a scheduler answering (Prefect's task runner would wait Dask's 30 s, then fail with two
    tracebacks) and a worker joined (its tasks would wait for one for ever, without a word);
    ClusterUnavailable says why not, `say` that it waits."""
    client, _ = _connect(address)
    try:
        _wait_for_worker(client, address, say)
    finally:
        client.close()


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def on_cluster(scheduler: Any, say: Callable[[str], None] = _stderr) -> week_parts.MapDecks:
    """A `map_decks` for `run_week` on the cluster at `scheduler` (an address such as
    tcp://10.0.0.5:8786, or a `distributed.Client` or `LocalCluster`). The workers read the
    decks from their paths: a file system they share with this process. `say`: where the
    wait for a worker is said."""

    def map_decks(tasks: list[week_parts.DeckTask], ofp: pl.DataFrame,
                  defect_codes: pl.Series) -> Iterator[list[run03.Run03Part]]:
        from pipelines.engine.qap import week_parts

        client, owned = _connect(scheduler)
        try:
            _wait_for_worker(client, getattr(scheduler, "scheduler_address", scheduler), say)
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
