"""What the `qap` and `qap flow` commands share: option types, the failure message, dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

CC_INCOMPLETE = 12

DataDir = Annotated[Path, typer.Option("--data-dir", "-d", help="State and run folders.")]
ReferenceDir = Annotated[Path, typer.Option(
    "--reference", "-r", help="Folder with ofp_consistency.txt (and employee_master.txt).")]
RunDate = Annotated[str | None, typer.Option(help="Run date YYYY-MM-DD (default today).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")]


def fail(who: str, message: str, code: int) -> typer.Exit:
    """Say what went wrong on stderr, as `who: message`; the caller raises the exit."""
    typer.echo(f"{who}: {message}", err=True)
    return typer.Exit(code)


def parse_date(who: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(who, f"--run-date {text!r} is not a date YYYY-MM-DD", CC_INCOMPLETE) from None
