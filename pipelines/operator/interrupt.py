"""What an interrupted command says. Kept apart so the `qap` entry point can say it without
importing anything heavy (and without importing the CLI it starts)."""

from __future__ import annotations

INTERRUPTED = "qap: interrupted; nothing was posted by the unfinished run"
