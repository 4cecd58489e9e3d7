"""The `qap` console script. It imports nothing heavy itself, so Ctrl-C (and SIGTERM, taken as
one) is caught from the first moment: while polars, pyarrow and typer load (a second or more)
as well as during a command, an interrupt prints one line and ends with condition code 12,
never a traceback."""

from __future__ import annotations

import signal
import sys

from pipelines.engine.machinery.conditions import CC_INCOMPLETE
from pipelines.operator.interrupt import INTERRUPTED


def _ignore_interrupts() -> None:
    """The outcome is decided: a Ctrl-C while Python shuts down would otherwise kill the process
    by signal (exit 130) after the summary was printed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a scheduler's or systemd's stop, `timeout`) ends a command as Ctrl-C does: one
    line and a condition code, not a silent exit 143 (review 14, F8)."""
    raise KeyboardInterrupt


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # answered before polars and typer load
        from pipelines.operator.version import version_text

        print(version_text())
        sys.exit(0)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        from pipelines.operator.cli import run_app

        code = run_app()
        _ignore_interrupts()
    except KeyboardInterrupt:  # during the imports above (run_app handles its own)
        _ignore_interrupts()
        print(INTERRUPTED, file=sys.stderr, flush=True)
        code = CC_INCOMPLETE
    sys.exit(code)


if __name__ == "__main__":
    main()
