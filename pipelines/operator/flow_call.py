"""Our flows as Prefect sees them, and calling them from plain code (the CLI, tests, bench).

The flows are async functions around bodies of plain blocking code (`blocking_body`): Prefect's
sync flow engine ends every flow call by joining its heartbeat thread, which sleeps in whole
seconds, so each call waited 0-1 s for nothing (docs/performance.md, "Thirteenth session");
its async engine stops the thread without waiting for it. Heartbeats are sent all the same
(docs/operations.md, "Crashed runs"). The bodies write their artifacts with Prefect's sync
calls (`_sync=True`: inside an async flow Prefect would otherwise hand back a coroutine).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any


def blocking_body(body: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """The async flow function for `@flow` around `body`, with `body`'s name and signature
    (Prefect reads its parameters from them). It holds one sync API client for the body's
    task runs: in an async flow each sync task run would otherwise open a client of its own
    (a TLS context each: 25-35 ms a task run on these machines)."""
    @functools.wraps(body)
    async def flow_function(*args: Any, **kwargs: Any) -> Any:
        from prefect.context import SyncClientContext

        with SyncClientContext.get_or_create():
            return body(*args, **kwargs)
    # the signature with its annotations resolved in `body`'s module: Prefect's parameter
    # model would look up a postponed one (`from __future__ import annotations`) here
    flow_function.__signature__ = inspect.signature(body, eval_str=True)  # type: ignore[attr-defined]
    return flow_function


def call(flow: Callable[..., Coroutine[Any, Any, Any]], /, **parameters: Any) -> Any:
    """The flow's result, run on an event loop of its own. Not `asyncio.run`: that turns
    Ctrl-C into the cancelling of a task, which a body that never awaits would not see until
    it ended; here Ctrl-C raises KeyboardInterrupt in the body, as in a plain call. Prefect's
    temporary server, when the flows use it, is started first and tied to this process
    (`server_watch`): a command killed outright leaves no server running."""
    from pipelines.operator.server_watch import start_temporary_server

    start_temporary_server()
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(flow(**parameters))
    finally:
        loop.close()
