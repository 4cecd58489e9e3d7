"""`qap --version`, answered before anything heavy loads (entry.py asks it first)."""

from __future__ import annotations

DIST = "qap-pipeline"


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"qap {version(DIST)}"
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "qap (version unknown: the package is not installed)"
