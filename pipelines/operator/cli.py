"""The `qap` command: thin wrappers over the engine, each exiting with a condition code.

Condition codes follow the mainframe habit: 0 clean, 4 records rejected, 8 a deck refused,
12 the run could not complete (missing reference, data directory busy or missing,
interrupted before the run published), 16 internal error. A Ctrl-C after the run
published says so and ends with the run's own code.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from pipelines.engine.machinery.conditions import CC_ABEND, CC_INCOMPLETE, unforeseen
from pipelines.operator import (
    backfill_cli,
    quarterly_cli,
    reference_cli,
    register_cli,
    run_cli,
    sql_cli,
)
from pipelines.operator.cli_options import (
    answer_in_json,
    interrupted,
    polish_help,
    published_mark,
    said_as_json,
)
from pipelines.operator.flow_cli import flow_app
from pipelines.operator.inventory_cli import InventoryCommand, flow_inventory, inventory
from pipelines.operator.sample_cli import sample_app
from pipelines.operator.version import version_text
from pipelines.state import private

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})
# One module per command group (`qap flow` is flow_cli); a run family adds its own module and
# hooks it in here with a line.
for group in (run_cli, register_cli, reference_cli):
    group.install(app)
backfill_cli.install(app)  # a series of weeks in order (pipelines/operator/backfill_cli.py)
app.add_typer(flow_app, name="flow")
app.add_typer(sample_app, name="sample")
app.command(cls=InventoryCommand)(inventory)  # INV-10-02 (pipelines/operator/inventory_cli.py)
flow_app.command("inventory")(flow_inventory)
quarterly_cli.register(app)
app.command("sql")(sql_cli.sql)


def _version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(0)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
        ] = False) -> None:
    answer_in_json(False)  # until a command with --json says otherwise


def _interrupt_behind(exit_: BaseException) -> bool:
    """Typer turns Ctrl-C into a silent exit 130 (click: "Aborted!", exit 1); both keep the
    KeyboardInterrupt in the exception chain, which tells it from a real exit."""
    seen: BaseException | None = exit_
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def run_app(args: list[str] | None = None) -> int:
    """Run `qap` and return its condition code; an interrupt is one line and 12 (or, after
    the command published its run, the run's own code: `interrupted`)."""
    mark = published_mark()
    try:
        with private.owner_only():  # every file a command writes is owner-only
            app(args=args, prog_name="qap")
    except SystemExit as done:
        if _interrupt_behind(done):
            return interrupted(mark)
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        typer.echo(done.code, err=True)
        return 1
    except KeyboardInterrupt:
        return interrupted(mark)
    except Exception as err:  # what no command foresaw: a sentence, not a traceback
        if os.environ.get("QAP_TRACEBACK"):
            raise
        return _unforeseen(err)
    except BaseException as err:  # a compiled library's panic (polars) is no Exception
        if type(err).__name__ != "PanicException" or os.environ.get("QAP_TRACEBACK"):
            raise
        return _unforeseen(err)
    return 0


def _unforeseen(err: BaseException) -> int:
    """A store that cannot be read as published is 12 with the store's own message; anything
    else is an internal error (16), named in one line (QAP_TRACEBACK=1 shows where)."""
    store = sys.modules.get("pipelines.state.store")  # loaded by then if the error is its
    if store is not None and isinstance(err, store.StoreError):
        typer.echo(f"qap: {err}", err=True)
        said_as_json(str(err), CC_INCOMPLETE)
        return CC_INCOMPLETE
    code, said = unforeseen(err, "nothing more was done")
    where = " (run again with QAP_TRACEBACK=1 to see where)" if code == CC_ABEND else ""
    typer.echo(f"qap: {said}{where}", err=True)
    said_as_json(said, code)
    return code


def main() -> None:
    sys.exit(run_app())


polish_help(app)

if __name__ == "__main__":
    main()
