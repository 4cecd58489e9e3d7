"""Calling our flows from plain code: the CLI, the tests and the bench.

The flows are `async def` although their bodies never await: Prefect's sync flow engine ends
every flow call by joining its heartbeat thread, which sleeps in whole seconds, so each call
waited 0-1 s for nothing (docs/performance.md, "Thirteenth session"); its async engine stops
the thread without waiting for it. Heartbeats are sent all the same (docs/operations.md,
"Crashed runs"). A flow body is plain blocking code, so the run's artifacts are written with
Prefect's sync calls (`_sync=True`: inside an async flow Prefect would otherwise hand back a
coroutine).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def call(flow: Callable[..., Coroutine[Any, Any, Any]], /, **parameters: Any) -> Any:
    """The flow's result, run on an event loop of its own. Not `asyncio.run`: that turns
    Ctrl-C into the cancelling of a task, which a body that never awaits would not see until
    it ended; here Ctrl-C raises KeyboardInterrupt in the body, as in a plain call."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(flow(**parameters))
    finally:
        loop.close()
