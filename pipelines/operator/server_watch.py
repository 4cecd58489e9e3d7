"""Prefect's temporary server tied to the flow command that started it.

Prefect starts its temporary local server as a child process and stops it at exit (`atexit`).
A command killed by SIGKILL (or by the kernel's OOM killer) runs no exit code, so the server
went on running, holding its port and its SQLite database (session 18, F10). Here the command
starts the server itself, as Prefect's client would (the same per-process `SubprocessASGIServer`,
which the flow's client then finds running), with a watcher process beside it: the command
writes each server process's id to the watcher through a pipe as soon as Prefect has made it
(the server takes seconds to come up, and a kill may come first); the kernel closes the pipe
when the command ends, however it ends, and the watcher then stops every process it was given.
`python -m pipelines.operator.server_watch` is the watcher.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import IO

STOP_WAIT_S = 5.0
POLL_S = 0.02  # how often the server's process is looked for while Prefect starts it


class Watcher:
    """The watcher process and the write end of its pipe, held open for the command's life.
    The watcher is in a session of its own, so a Ctrl-C at the terminal reaches the command
    (which stops the server itself) and not the watcher; it holds none of the command's output
    open (a pipe reading the command would wait for it too)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", __name__],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
        self._tied: set[int] = set()

    def tie(self, pid: int) -> None:
        """Have process `pid` stopped once this process has ended."""
        if pid not in self._tied and self._process.stdin is not None:
            self._process.stdin.write(f"{pid}\n".encode())
            self._process.stdin.flush()
            self._tied.add(pid)


_WATCHERS: list[Watcher] = []  # kept for the process's life: dropping one would end its watch


def start_temporary_server() -> int | None:
    """Start Prefect's temporary server now if the flows will use it (no PREFECT_API_URL, the
    temporary server allowed), tied to this process from the moment its process exists; its
    process id, or None when a configured server is used. Raises what Prefect's own start
    raises (a server that does not come up in time)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if server.running:  # started earlier in this process, and tied then
        return server.server_process.pid if server.server_process else None
    watcher = Watcher()
    _WATCHERS.append(watcher)
    started = threading.Event()

    def tie_each_process() -> None:  # Prefect makes a new one if the port was taken
        while not started.wait(POLL_S):
            if (process := server.server_process) is not None:
                watcher.tie(process.pid)

    looking = threading.Thread(target=tie_each_process, name="server-watch", daemon=True)
    looking.start()
    try:
        server.start()
    finally:
        started.set()
        looking.join()
    if server.server_process is None:
        return None
    watcher.tie(server.server_process.pid)
    return server.server_process.pid


def watch(given: IO[bytes]) -> None:
    """Read process ids from `given` until its end (the command has gone), then stop each one
    still running as the process it was when its id came (psutil checks the start time, so
    a number used again by another process is left alone)."""
    import psutil

    tied = []
    for line in given:
        try:
            tied.append(psutil.Process(int(line)))
        except (ValueError, psutil.Error):  # gone already, or not an id
            continue
    for process in tied:
        try:
            process.terminate()
        except psutil.Error:  # stopped by Prefect at the command's normal end
            continue
    _, running = psutil.wait_procs(tied, timeout=STOP_WAIT_S)
    for process in running:
        try:
            process.kill()
        except psutil.Error:
            continue


if __name__ == "__main__":
    watch(sys.stdin.buffer)
