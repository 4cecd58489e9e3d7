"""`qap flow ...`: the weekly run as Prefect flows (inbox -> run 01, run 03, post -> archive).

With no Prefect server configured, a flow command starts Prefect's temporary local server for
its own duration (7-19 s on a small machine) and keeps its database in <data-dir>/prefect
(PREFECT_HOME), unless PREFECT_HOME is set. With PREFECT_API_URL set (or in the active
profile), flow runs, logs and artifacts go to that server. Exit status: the flow's condition
code (0 clean, 4 rejected, 8 refused, 12 could not complete, 16 internal error).
docs/operations.md: schedule, server, deployment, scale-out, run folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipelines.engine.machinery.conditions import CC_ABEND, CC_INCOMPLETE, CC_REFUSED, CC_USAGE
from pipelines.operator.cli_options import (
    NATIONAL_LIST,
    NATIONAL_RUN_DATE,
    SAMPLE_REFERENCE,
    SAMPLE_RUN_DATE,
    SAMPLE_WEEK,
    Quiet,
    ReferenceDir,
    RunDate,
    Speaker,
    UndoLater,
    folder_path,
    polish_help,
)
from pipelines.operator.data_dir import (
    choose_reference,
    not_busy,
    own_folders,
    prepare,
    require_inbox,
    require_store,
)

_SAY = Speaker("qap flow")
_fail, _date, _checked = _SAY.fail, _SAY.date, _SAY.checked

HELP = (
    "The weekly run as Prefect flows: inbox -> intake, run 01, run 03, post, individual data, "
    "IPR and SAR -> archive; a run folder per week; condition code per step.\n\n"
    "Without a Prefect server configured (PREFECT_API_URL), each command starts Prefect's "
    "temporary local server for its own duration (7-19 s) with PREFECT_HOME in "
    "<data-dir>/prefect. Exit status: the flow's condition code. Schedule, server, deployment "
    "and scale-out: docs/operations.md.")
flow_app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False,
                       context_settings={"help_option_names": ["-h", "--help"]})

DataDir = Annotated[Path, typer.Option(
    "--data-dir", "-d", parser=folder_path, readable=False,
    help="State, inbox/, archive/, refused/ and weeks/ (run folders).")]
InboxDir = Annotated[Path | None, typer.Option(
    "--inbox", parser=folder_path, readable=False,
    help="Where decks wait (default <data-dir>/inbox; corrections: "
    "<data-dir>/corrections).")]
DaskAddress = Annotated[str | None, typer.Option(
    "--dask-address", help="An existing Dask scheduler, e.g. tcp://10.0.0.5:8786: the decks' "
    "intake and run 03's per-deck checks run on its workers (they must see the inbox path, "
    "and the flow's Prefect server: PREFECT_API_URL; docs/operations.md).")]


def prefect_home(data_dir: Path) -> None:
    """PREFECT_HOME inside the data directory unless the user has one; a profiles file in the
    default home (~/.prefect) stays in force, so a configured server is still used. Must run
    before Prefect is imported (its settings are read at import)."""
    # The temporary server this process may start sends no telemetry (and its SQLite file is
    # spared the heartbeat's writes, which can collide with the first flow run's).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The temporary server takes 7-19 s to start on a 2-core machine, more when it is busy;
    # Prefect's default wait is 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    if os.environ.get("PREFECT_HOME"):
        return
    user_profiles = Path.home() / ".prefect" / "profiles.toml"
    if user_profiles.is_file():
        os.environ.setdefault("PREFECT_PROFILES_PATH", str(user_profiles))
    _checked(own_folders, data_dir, "prefect")  # Prefect's database goes there
    home = (data_dir / "prefect").absolute()
    home.mkdir(parents=True, exist_ok=True)  # the temporary server's database goes here
    os.environ["PREFECT_HOME"] = str(home)
    if "prefect.context" in sys.modules:  # imported already: read the settings again
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


def _flows(data_dir: Path, quiet: bool):
    prefect_home(data_dir)
    from pipelines.operator import flows

    if quiet:
        _quiet_console()
    return flows


def _quiet_console() -> None:
    """-q: Prefect's console shows warnings and errors only, and not its event sender's
    "Still processing items" as the command ends, a note of progress (docwalk F19)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.setLevel(logging.WARNING)
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)


def _call(flows: Any, flow: Any, **parameters: Any) -> Any:
    """Run a flow; its outcome whatever its condition code (FlowFailed carries it)."""
    import httpx

    from pipelines.operator.flow_call import call

    try:
        return call(flow, **parameters)
    except flows.FlowFailed as failed:
        return failed.outcome
    except (httpx.HTTPError, OSError) as err:
        raise _fail(f"the run could not complete ({type(err).__name__}: {err}); is the Prefect "
                    "API reachable (PREFECT_API_URL)?", CC_INCOMPLETE) from None
    except RuntimeError as err:
        if "Prefect API server" not in str(err):  # the temporary server did not start
            raise _fail(f"internal error: RuntimeError: {err}", CC_ABEND) from None
        raise _fail(f"the run could not complete: {err}", CC_INCOMPLETE) from None
    except Exception as err:
        raise _fail(f"internal error: {type(err).__name__}: {err}", CC_ABEND) from None


def _dask(address: str | None) -> str | None:
    """--dask-address as Dask could use it, else a usage error (2) before anything starts: a
    mistyped address failed only inside the flow, as an internal error (review 19, F2). A
    timeout setting that cannot be read is 12 (review 19, F3)."""
    if address is None:
        return None
    from pipelines.operator.dask_map import BadAddress, check_address, check_settings

    try:
        check_address(address)
    except BadAddress as err:
        raise _fail(f"--dask-address {err} (a usage error: nothing was run)",
                    CC_USAGE) from None
    try:
        check_settings()
    except BadAddress as err:
        raise _fail(f"{err}; nothing was run", CC_INCOMPLETE) from None
    return address


def _batch(kind: str, data_dir: Path, reference: Path | None, inbox: Path | None,
           run_date: str | None, dask_address: str | None, quiet: bool) -> int:
    """A weekly run may start a new data directory; a reprocess needs an existing store. The
    flow itself picks the reference folder when none is given (and logs which)."""
    day = _date(run_date)
    dask_address = _dask(dask_address)
    waiting = inbox if inbox is not None else data_dir / "inbox"
    if kind == "weekly" and not data_dir.exists():  # `prepare` would make it, for nothing
        _checked(require_inbox, waiting)
    _checked(prepare if kind == "weekly" else require_store, data_dir)
    _checked(not_busy, data_dir)
    if kind == "weekly" or inbox is not None:
        _checked(require_inbox, waiting)
    _checked(choose_reference, data_dir, reference)
    flows = _flows(data_dir, quiet)
    flow = flows.weekly_flow if kind == "weekly" else flows.reprocess_flow
    outcome = _call(flows, flow, data_dir=data_dir, reference_dir=reference, inbox_dir=inbox,
                    run_date=day, dask_address=dask_address)
    typer.echo(outcome.summary)
    return outcome.condition_code


@flow_app.command()
def week(
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    inbox: InboxDir = None,
    run_date: RunDate = None,
    dask_address: DaskAddress = None,
    quiet: Quiet = False,
) -> None:
    """Run the weekly flow over the decks waiting in the inbox, then archive them.

    Steps: intake (control totals, hashes), run 01, run 03, post, individual data, IPR and
    SAR, archive. A rerun after a failure resumes the same run folder and skips what
    completed; nothing posts twice. Without --reference the folder the data directory last
    ran with is used; only a new data directory falls back to the bundled sample files.

    Example: qap flow week -d /srv/qap -r /srv/qap/reference
    """
    raise typer.Exit(_batch("weekly", data_dir, reference, inbox, run_date, dask_address, quiet))


@flow_app.command()
def reprocess(
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    inbox: InboxDir = None,
    run_date: RunDate = None,
    dask_address: DaskAddress = None,
    quiet: Quiet = False,
) -> None:
    """Run corrected register records from <data-dir>/corrections; what posts closes its entry.

    The decks are checked and posted like a week's, then archived like the weekly ones. The
    data directory must hold a store; without --reference the folder it last ran with is used.

    Example: qap corrections /srv/qap/corrections/fix.dat -d /srv/qap  (edit it), then
             qap flow reprocess -d /srv/qap
    """
    raise typer.Exit(_batch("reprocess", data_dir, reference, inbox, run_date, dask_address,
                            quiet))


@flow_app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(help="Run id, e.g. 20261117.01.")],
    data_dir: DataDir = Path("qap-data"),
    requeue: Annotated[bool, typer.Option(
        "--requeue", help="Move the run's archived decks back into the inbox.")] = False,
    force: UndoLater = False,
    quiet: Quiet = False,
) -> None:
    """Put the state back as it was before a run (history kept), as a flow run.

    Refused, with the list, when later runs or withdrawals would be undone too, unless --force.

    Example: qap flow rollback 20261117.01 -d /srv/qap --requeue
    """
    from pipelines.state.store import AlreadyRolledBack, Store, StoreError

    _checked(require_store, data_dir)
    _checked(not_busy, data_dir)
    try:
        Store(data_dir).check_rollback(run_id, undo_later=force)
    except AlreadyRolledBack as err:  # nothing to do: said, and 0, with no flow started
        typer.echo(f"qap flow: {err}")
        return
    except StoreError as err:
        raise _fail(str(err), CC_INCOMPLETE) from None
    flows = _flows(data_dir, quiet)
    outcome = _call(flows, flows.rollback_flow, run_id=run_id, data_dir=data_dir,
                    requeue=requeue, undo_later=force)
    typer.echo(outcome.summary)
    raise typer.Exit(outcome.condition_code)


@flow_app.command()
def serve(
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    inbox: InboxDir = None,
    cron: Annotated[str, typer.Option(help="When to run (cron).")] = "0 6 * * 2",
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cron.")] = "UTC",
    name: Annotated[str, typer.Option(help="Deployment name.")] = "qap-weekly",
    dask_address: DaskAddress = None,
) -> None:
    """Serve the weekly flow on a schedule (default Tuesday 06:00) until stopped (Ctrl-C).

    Needs a running Prefect server: `prefect server start`, then
    PREFECT_API_URL=http://127.0.0.1:4200/api (docs/operations.md).

    The reference folder is fixed when serving starts: --reference, else the folder the data
    directory last ran with, else (a new data directory) the bundled sample files.

    Example: PREFECT_API_URL=http://127.0.0.1:4200/api qap flow serve -d /srv/qap -r /srv/qap/ref
    """
    dask_address = _dask(dask_address)
    _checked(prepare, data_dir)
    choice = _checked(choose_reference, data_dir, reference)
    prefect_home(data_dir)
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise _fail("serving a schedule needs a running Prefect server: start one with "
                    "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api "
                    "(docs/operations.md)", CC_INCOMPLETE)
    from prefect import serve as prefect_serve

    from pipelines.operator import flows

    parameters = {"data_dir": str(data_dir.absolute()),
                  "reference_dir": str(choice.folder.absolute()),
                  "inbox_dir": str(inbox.absolute()) if inbox else None,
                  "dask_address": dask_address}
    deployment = flows.weekly_deployment(name, cron, timezone, parameters)
    typer.echo(f"serving {name} ({cron}, {timezone}) against {url}; Ctrl-C stops it")
    for note in (choice.progress(), choice.summary_note()):
        if note:
            typer.echo(f"  .. {note}", err=True)
    prefect_serve(deployment)


@flow_app.command()
def demo(
    data_dir: DataDir = Path("qap-flow-demo"),
    quiet: Quiet = False,
) -> None:
    """The weekly flow on the bundled fixtures, with Prefect's temporary local server.

    Nothing to start by hand; the data directory is made from scratch each time. Two weekly
    flow runs: the national Defect Code File, then the sample week (error codes on
    purpose, one deck refused: condition code 8, the intended result).

    Example: qap flow demo
    """
    if data_dir.exists():
        if not (data_dir / ".qap-flow-demo").exists():
            raise _fail(f"{data_dir} exists and is not a flow demo directory; not touching it",
                        CC_INCOMPLETE)
        shutil.rmtree(data_dir)
    (data_dir / "inbox").mkdir(parents=True)
    (data_dir / ".qap-flow-demo").write_text("made by `qap flow demo`; removed by the next\n")
    flows = _flows(data_dir, quiet)
    weeks = [("the national Defect Code File", [NATIONAL_LIST], NATIONAL_RUN_DATE),
             ("the sample week", sorted(SAMPLE_WEEK.glob("*.dat")), SAMPLE_RUN_DATE)]
    code = 0
    for n, (what, decks, day) in enumerate(weeks, start=1):
        typer.echo(f"{'' if n == 1 else chr(10)}Weekly flow {n} of 2: {what}")
        for deck in decks:
            shutil.copy2(deck, data_dir / "inbox" / deck.name)
        outcome = _call(flows, flows.weekly_flow, data_dir=data_dir,
                        reference_dir=SAMPLE_REFERENCE, run_date=day)
        typer.echo(outcome.summary)
        code = outcome.condition_code
        if n == 1 and code != 0:
            raise _fail(f"the national list ended with condition code {code}", code)
    typer.echo(f"Flow demo finished: the sample week ended with condition code {code}, as "
               f"intended. Archive: {data_dir / 'archive'}; run folders: {data_dir / 'weeks'}"
               if code == CC_REFUSED else "Flow demo failed.")
    raise typer.Exit(0 if code == CC_REFUSED else code)


polish_help(flow_app)
