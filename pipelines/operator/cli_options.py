"""What the `qap` and `qap flow` commands share: option types, the failure message, dates,
the interrupt message, help text that flows."""

from __future__ import annotations

import datetime as dt
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pipelines.operator.data_dir import DataDirError
from pipelines.operator.entry import INTERRUPTED

T = TypeVar("T")

CC_INCOMPLETE = 12

DataDir = Annotated[Path, typer.Option("--data-dir", "-d", help="State and run folders.")]
ReferenceDir = Annotated[Path | None, typer.Option(
    "--reference", "-r", show_default=False,
    help="Folder with ofp_consistency.txt (and employee_master.txt). Default: the folder the "
    "data directory last ran with; a new data directory uses the bundled sample files.")]
RunDate = Annotated[str | None, typer.Option(help="Run date YYYY-MM-DD (default today).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")]
UndoLater = Annotated[bool, typer.Option(
    "--force", help="Also undo the generations published after the run (listed when refused).")]


def fail(who: str, message: str, code: int) -> typer.Exit:
    """Say what went wrong on stderr, as `who: message`; the caller raises the exit."""
    typer.echo(f"{who}: {message}", err=True)
    return typer.Exit(code)


def checked(who: str, check: Callable[..., T], *args: Any) -> T:
    """Run a data-directory check (`pipelines.operator.data_dir`) before a command acts, so that its
    refusal is condition code 12 with its message, said as `who: message`."""
    try:
        return check(*args)
    except DataDirError as err:
        raise fail(who, str(err), CC_INCOMPLETE) from None


def parse_date(who: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(who, f"--run-date {text!r} is not a date YYYY-MM-DD", CC_INCOMPLETE) from None



def interrupted() -> int:
    """Ctrl-C: one line on stderr, not a traceback; the run could not complete (12)."""
    print(INTERRUPTED, file=sys.stderr, flush=True)
    return CC_INCOMPLETE


def reflow(text: str | None) -> str | None:
    """Join the hard-wrapped lines of each paragraph, so help reads as sentences in any width;
    an indented line (an example's second line) keeps its own line."""
    if text is None:
        return None
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines = paragraph.split("\n")
        joined = [lines[0]]
        for line in lines[1:]:
            if line[:1].isspace():
                joined.append(line)
            else:
                joined[-1] = f"{joined[-1]} {line}"
        paragraphs.append("\n".join(joined))
    return "\n\n".join(paragraphs)


def polish_help(app: typer.Typer) -> None:
    """Reflow the help of an app and of each of its commands (Typer keeps line breaks)."""
    app.info.help = reflow(app.info.help)
    for command in app.registered_commands:
        command.help = reflow(command.help or inspect.getdoc(command.callback))
