"""Prefect's temporary server does not outlive a flow command killed outright (session 18, F10).

A stand-in process plays the server (`sleep`): a command ties it to itself with
`server_watch.Watcher.tie`, and is then killed with SIGKILL, or ends on its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil

COMMAND = textwrap.dedent("""
    import subprocess, sys, time
    from pipelines.operator import server_watch
    watcher = server_watch.Watcher()
    server = subprocess.Popen(["sleep", "300"])
    watcher.tie(server.pid)
    print(server.pid, flush=True)
    if sys.argv[1] == "hang":
        time.sleep(300)
""")


def _ended(pid: int, within_s: float = 15.0) -> bool:
    """Whether `pid` has ended (gone, or a zombie nobody has reaped yet) within the time."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _command(mode: str) -> tuple[subprocess.Popen[str], int]:
    command = subprocess.Popen([sys.executable, "-c", COMMAND, mode], stdout=subprocess.PIPE,
                               text=True)
    assert command.stdout is not None
    return command, int(command.stdout.readline())


def test_a_command_killed_outright_takes_its_server_with_it() -> None:
    command, server = _command("hang")
    try:
        time.sleep(0.3)
        assert not _ended(server, within_s=0.2)  # running while the command runs
        command.send_signal(signal.SIGKILL)
        command.wait()
        assert _ended(server)
    finally:
        command.kill()
        if not _ended(server, within_s=0):
            os.kill(server, signal.SIGKILL)


def test_a_command_that_ends_on_its_own_leaves_no_server() -> None:
    command, server = _command("end")
    assert command.wait(timeout=30) == 0
    assert _ended(server)


def test_a_configured_server_starts_nothing() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipelines.operator import server_watch

    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        assert server_watch.start_temporary_server() is None
    assert not server_watch._WATCHERS


def test_the_watch_of_a_process_gone_already_ends_quietly() -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    watcher = subprocess.run([sys.executable, "-m", "pipelines.operator.server_watch"],
                             input=f"{gone.pid}\nnot an id\n".encode(), capture_output=True,
                             timeout=30)
    assert (watcher.returncode, watcher.stderr) == (0, b"")
