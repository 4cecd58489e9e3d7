"""Child process for the weekly crash test: runs the sample week and SIGKILLs itself at the
store step named by QAP_CRASH_AT (the store's test seam), or runs to the end without it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from pathlib import Path

from pipelines.engine.machinery.reference import load
from pipelines.operator.runs import run_week
from pipelines.state import store

FIXTURES = Path(__file__).parent.parent / "fixtures"


def main(data: str) -> None:
    target = os.environ.get("QAP_CRASH_AT")
    if target:
        def hook(step: str) -> None:
            if step == target:
                os.kill(os.getpid(), signal.SIGKILL)
        store.crash_hook = hook
    run_week(sorted((FIXTURES / "sample-week").glob("*.dat")), Path(data),
             load(FIXTURES / "reference"), dt.date(2026, 11, 17))


if __name__ == "__main__":
    main(sys.argv[1])
