"""What the `qap` and `qap flow` commands share: option types, the failure message, dates,
the interrupt message, help text that flows."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pipelines.engine.machinery.conditions import CC_CLEAN, CC_INCOMPLETE, CC_USAGE
from pipelines.operator.data_dir import DataDirError
from pipelines.operator.interrupt import INTERRUPTED
from validators.years import FIRST_YEAR, LAST_YEAR

T = TypeVar("T")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLE_WEEK = FIXTURES / "sample-week"
SAMPLE_REFERENCE = FIXTURES / "reference"
NATIONAL_LIST = FIXTURES / "national" / "national-defect-list.dat"
NATIONAL_RUN_DATE, SAMPLE_RUN_DATE = dt.date(2026, 11, 10), dt.date(2026, 11, 17)

def _path_parser(give: str) -> Callable[[str | Path], Path]:
    """A path option's parser: an empty value is refused (a usage error, 2, saying `give`),
    not read as the current folder, where a run would start a store among the user's files
    (`-d "$DIR"` with the variable unset). Typer passes a default as it is: a Path."""
    def parse(text: str | Path) -> Path:
        if isinstance(text, Path):
            return text
        if not text.strip():
            raise typer.BadParameter(f"is empty; {give}")
        return Path(text)
    return parse


folder_path = _path_parser("give a folder (was a shell variable unset?)")
file_path = _path_parser("give a file name")


DataDir = Annotated[Path, typer.Option("--data-dir", "-d", parser=folder_path, readable=False,
                                       help="State and run folders.")]
ReferenceDir = Annotated[Path | None, typer.Option(
    "--reference", "-r", show_default=False, parser=folder_path, readable=False,
    help="Folder with ofp_consistency.txt (and employee_master.txt). Default: the folder the "
    "data directory last ran with; a new data directory uses the bundled sample files.")]
RunDate = Annotated[str | None, typer.Option(help="Run date YYYY-MM-DD (default today).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")]
UndoLater = Annotated[bool, typer.Option(
    "--force", help="Also undo the generations published after the run (listed when refused).")]


_AS_JSON: ContextVar[bool] = ContextVar("as_json", default=False)


def answer_in_json(on: bool) -> None:
    """The running command's --json (every `qap` call sets it: the app's callback to False,
    a command with --json to its value), read by `said_as_json`."""
    _AS_JSON.set(on)


def said_as_json(message: str, code: int) -> None:
    """With the running command's --json, a failure is also one JSON document on stdout, so
    that a script reading stdout gets the condition code and why instead of nothing."""
    if _AS_JSON.get():
        typer.echo(json.dumps({"condition_code": code, "error": message}))


Json = Annotated[bool, typer.Option("--json", help="One JSON document instead of the text (a "
                                    "failure too: its condition code and why).")]


def fail(who: str, message: str, code: int) -> typer.Exit:
    """Say what went wrong on stderr, as `who: message`; the caller raises the exit."""
    typer.echo(f"{who}: {message}", err=True)
    said_as_json(message, code)
    return typer.Exit(code)


def checked(who: str, check: Callable[..., T], *args: Any) -> T:
    """Run a data-directory check (`pipelines.operator.data_dir`) before a command acts, so that its
    refusal is condition code 12 with its message, said as `who: message`."""
    try:
        return check(*args)
    except DataDirError as err:
        raise fail(who, str(err), CC_INCOMPLETE) from None


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(who: str, text: str | None, option: str = "--run-date") -> dt.date | None:
    """A date option, YYYY-MM-DD in the years an HDR date may take: a run date goes into run
    ids (YYYYMMDD.NN), register ages and every report heading, so year 1 or 9999 is refused
    as a usage error (2), as an unreadable date is."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise fail(who, f"{option} {text!r} is not a date YYYY-MM-DD (a usage error: "
                   "nothing was run)", CC_USAGE)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise fail(who, f"{option} {text}: the year must be {FIRST_YEAR}-{LAST_YEAR} (a usage "
                   "error: nothing was run)", CC_USAGE)
    return day


@dataclass(frozen=True)
class Speaker:
    """The helpers a command group shares, speaking as `who` (`qap`, `qap flow`)."""

    who: str

    def fail(self, message: str, code: int) -> typer.Exit:
        return fail(self.who, message, code)

    def date(self, text: str | None) -> dt.date | None:
        return parse_date(self.who, text)

    def checked(self, check: Callable[..., T], *args: Any) -> T:
        """A data-directory check before the command acts (for a flow: before Prefect's 7-19 s
        start): its refusal is 12 at once."""
        return checked(self.who, check, *args)


def _published() -> list[Any]:
    """The generations this process has published (`store.published_here`); the store's
    module not loaded (it brings polars): none."""
    store = sys.modules.get("pipelines.state.store")
    return store.published_here() if store is not None else []


def published_mark() -> int:
    """Where a command starts in the process's publications: what `interrupted` looks past."""
    return len(_published())


def interrupted(mark: int = 0) -> int:
    """Ctrl-C: one line on stderr, not a traceback. Before anything was published the run
    could not complete (12); after the command published a generation (`mark`: from
    `published_mark` when it started; the stop fell while the run page or the summary was
    made), the run posted: the line says so and the code is the run's own."""
    published = _published()[mark:]
    if not published:
        print(INTERRUPTED, file=sys.stderr, flush=True)
        return CC_INCOMPLETE
    last = published[-1]
    code = max((p.condition_code or CC_CLEAN for p in published), default=CC_CLEAN)
    from pipelines.state.run_folder import PARTIAL

    folder = Path(last.data_dir) / "runs" / last.run_id
    working = folder.with_name(folder.name + PARTIAL)  # the next command moves it (`tidy`)
    reports = f"; its reports are in {folder}" if folder.is_dir() or working.is_dir() else ""
    said = f", condition code {last.condition_code}" if last.condition_code is not None else ""
    print(f"qap: interrupted after run {last.run_id} was published (generation "
          f"{last.generation}{said}): it posted, and the same decks will not post again"
          f"{reports}; the summary and the run page were not made (`qap history -d "
          f"{last.data_dir}` lists the run)", file=sys.stderr, flush=True)
    return code


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


def deck_problem(deck: Path) -> str | None:
    """Why a deck path given to a command cannot be run, said the one way every command says
    it (review 18s, F6: `qap sample select` and `qap inventory` took a name holding a line
    feed, which then forged lines of their summaries), or None."""
    from pipelines.engine.machinery import names

    if bad_name := names.refusal(deck):
        return f"deck {bad_name}"
    if not deck.exists():
        return f"deck {deck} not found"
    if not deck.is_file():
        return f"deck {deck} is not a file"
    return None


def deck_out_problem(out: Path) -> str | None:
    """Why a corrections deck cannot be written to `out`, before anything is (review 18s, F7,
    F8): a name the reprocess would refuse, a folder, or a file where a folder belongs."""
    from pipelines.engine.machinery import names

    if why := names.unusable(out):
        return (f"{names.shown(out)}: unusable file name: {why}; its reprocess could not "
                "take the deck. "
                "Name it with letters, digits, '.', '-', '_'; nothing was written")
    if out.is_dir():
        return f"{out} is a folder; give a deck file name in it, e.g. {out / 'fix.dat'}"
    blocker = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"{out}: {blocker} is a file, not a folder; nothing was written"
    return None

