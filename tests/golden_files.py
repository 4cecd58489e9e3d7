"""Golden-file comparison of printed reports, so layout changes are reviewed, never silent.
`QAP_UPDATE_GOLDEN=1` in the environment rewrites the golden files instead of comparing."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN_UPDATE_ENV = "QAP_UPDATE_GOLDEN"
_MAX_DIFF_LINES = 400



def _read_exact(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def _write_exact(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _visible(line: str) -> str:
    return line.replace("\f", "<FF>").replace("\r", "<CR>").replace("\t", "<TAB>")


def assert_golden(actual: str, path: Path) -> None:
    """Compare printed text with a golden file, so layout changes are reviewed, never silent.

    On mismatch writes ``<stem>.actual<suffix>`` beside the golden file and raises AssertionError
    with a unified diff (form feeds shown as ``<FF>``). With ``QAP_UPDATE_GOLDEN=1`` in the
    environment the golden file is (re)written instead. Comparison is byte-exact (no newline
    translation); lines are split on ``"\\n"`` only, so form feeds stay visible in the diff.
    """
    path = Path(path)
    actual_path = path.with_name(f"{path.stem}.actual{path.suffix}")
    if os.environ.get(GOLDEN_UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_exact(path, actual)
        actual_path.unlink(missing_ok=True)
        return
    expected = _read_exact(path) if path.exists() else None
    if expected == actual:
        actual_path.unlink(missing_ok=True)
        return
    _write_exact(actual_path, actual)
    if expected is None:
        raise AssertionError(
            f"golden file {path} does not exist; actual output written to {actual_path}. "
            f"Review it and rerun with {GOLDEN_UPDATE_ENV}=1 to create the golden file."
        )
    diff = list(
        difflib.unified_diff(
            [_visible(s) for s in expected.split("\n")],
            [_visible(s) for s in actual.split("\n")],
            fromfile=str(path),
            tofile=str(actual_path),
            lineterm="",
        )
    )
    if len(diff) > _MAX_DIFF_LINES:
        diff = [*diff[:_MAX_DIFF_LINES], f"... ({len(diff) - _MAX_DIFF_LINES} more diff lines)"]
    body = "\n".join(diff) or "(difference is only in invisible characters or trailing blanks)"
    raise AssertionError(
        f"printed output differs from golden file {path} (actual written to {actual_path}; "
        f"set {GOLDEN_UPDATE_ENV}=1 to accept):\n{body}"
    )
