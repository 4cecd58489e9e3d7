"""Prefect 3 flows around the weekly engine: they wire engine functions as tasks and keep the
books (inbox, archive, run folder, condition codes, artifacts); they decide nothing about a
record. Runs without Prefect stay what they were: `pipelines.engine.qap.weekly.run_week`
and `qap run`.

weekly_flow     inbox/ -> intake (control totals, hashes; per deck, in parallel on the task
                runner: Dask with `dask_address`) -> run 01, run 03, post, individual data,
                IPR and SAR (one serialized `run_week` call: one atomic generation; with
                `dask_address` run 03's per-deck checks run on the Dask workers,
                `dask_map.on_cluster`) -> archive/ or refused/.
reprocess_flow  the same over corrections/, with `run_week(reprocess=True)`: what posts closes
                its open error-register entry.
rollback_flow   `Store.rollback_before(run_id)`; optionally puts the run's decks back in the
                inbox so that the next weekly flow posts them again.

Every step records a condition code (0, 4, 8, 12, 16) in weeks/<batch>/steps.json; the flow's
result carries the highest. From 12 up the flow returns a Failed state, so the flow run ends
Failed without Prefect logging a traceback after the summary; calling the flow then raises
FlowFailed, which carries the outcome. A rerun resumes the unfinished batch and skips the steps
it already completed. Without `reference_dir` a batch flow uses the folder the data directory
last ran with (pipelines/operator/data_dir.py).

The flows are async functions around bodies of plain blocking code (`flow_call.blocking_body`),
called through `flow_call.call`: Prefect's async engine ends a flow call without waiting out
its heartbeat thread's second (flow_call.py says why; artifacts are written with `_sync=True`).
docs/operations.md: schedule, server, deployment, scale-out.
"""

import contextlib
import datetime as dt
import logging
import os
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run as current_flow_run
from prefect.states import Completed, Failed, State

from pipelines.engine.machinery import register
from pipelines.engine.machinery.conditions import (
    CC_ABEND,
    CC_CLEAN,
    CC_INCOMPLETE,
    CC_REFUSED,
    MEANING,
    unforeseen,
)
from pipelines.engine.machinery.conservation import ConservationError
from pipelines.engine.machinery.reference import ReferenceMissing
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.machinery.result import Progress
from pipelines.engine.qap.week_parts import DeckChanged
from pipelines.operator import dask_map, inbox
from pipelines.operator.data_dir import DataDirError, ReferenceChoice, choose_reference, remember
from pipelines.operator.flow_call import blocking_body
from pipelines.operator.inbox import REPROCESS, WEEKLY, Batch, DeckInput, InboxChanged
from pipelines.operator.runs import run_week
from pipelines.reports import run_artifact, summary
from pipelines.state import private
from pipelines.state.store import AlreadyRolledBack, StoreError
from validators.codes import RUN_3926, RUN_3927

# The legacy steps that one run_week call does, as one atomic generation
ENGINE_STEPS = ("run 01", "run 03", "post", "individual data", "IPR and SAR")


class StepFailed(Exception):
    """A step could not complete; `code` is its condition code (12 or 16)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class FlowOutcome:
    """What a flow run did; `condition_code` is the highest of its steps."""

    kind: str
    condition_code: int
    message: str = ""
    run_folder: str | None = None
    week_ending: str | None = None
    run_id: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # deck -> archive/refused destination
    waiting: list[str] = field(default_factory=list)  # decks left in the inbox for a later run
    summary: str = ""
    flow_run_id: str | None = None
    notes: list[str] = field(default_factory=list)  # summary lines above "Run folder:"


class FlowFailed(Exception):
    """What calling a flow raises when its condition code is 12 or 16 (the run ended Failed);
    `outcome` holds the steps and codes for the caller."""

    def __init__(self, outcome: FlowOutcome):
        super().__init__(f"condition code {outcome.condition_code}: {outcome.message}")
        self.outcome = outcome


def _finish(outcome: FlowOutcome) -> State:
    """The flow's final state, named by its condition code ("CC 4 records rejected"): below 12
    Completed holding the outcome (rejected records and refused decks are expected outcomes,
    not failures); from 12 up Failed holding FlowFailed. A returned state fails the run
    quietly; a raised exception would make Prefect print its traceback under the summary that
    already says what went wrong."""
    cc = outcome.condition_code
    name, message = run_artifact.state_name(cc), f"condition code {cc}: {outcome.message}"
    if cc < CC_INCOMPLETE:
        return Completed(name=name, message=message, data=outcome)
    return Failed(name=name, message=message, data=FlowFailed(outcome))


# --- tasks: each wraps one engine (or inbox) function --------------------------------------------

class _NoTracebackWhenIncomplete(logging.Filter):
    """Prefect logs a failed task's exception with its traceback. For a step that could not
    complete (12: reference missing, store busy, archive move failed) the summary says why,
    so the log keeps the line and drops the traceback; a 16 keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        if isinstance(failure, StepFailed) and failure.code == CC_INCOMPLETE:
            record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("prefect.task_runs").addFilter(_NoTracebackWhenIncomplete())


def _where() -> str:
    """Which Dask worker (or process) ran a task; Dask is not imported when it is not in use."""
    dask = sys.modules.get("distributed")
    if dask is not None:
        try:
            return f"dask worker {dask.get_worker().address}"
        except ValueError:
            pass
    return f"pid {os.getpid()}"


@task(name="intake-deck", task_run_name="intake-{path.name}", cache_policy=NO_CACHE)
def intake_deck(path: Path) -> DeckInput:
    """Hash one deck and apply HDR/TRL control (`open_deck`); no records leave the worker."""
    info = inbox.inspect(Path(path))
    info.inspected_by = _where()
    get_run_logger().info(f"{info.name}: {info.status} {info.identity or info.reason}")
    return info


@task(name="weekly-run", task_run_name="run-01-03-post", cache_policy=NO_CACHE)
def engine_run(decks: list[Path], data_dir: Path, reference_dir: Path, run_date: dt.date,
               reprocess: bool, progress_key: str, dask_address: str | None = None
               ) -> dict[str, Any]:
    """`run_week`: run 01, run 03 and the Cumulative Data File posting as one generation;
    with `dask_address`, run 03's per-deck checks run on that Dask cluster."""
    logger = get_run_logger()
    artifact = create_progress_artifact(0.0, key=progress_key,
                                        description=f"run_week on {len(decks)} deck(s)")

    def progress(message: str) -> None:
        logger.info(message)
        if isinstance(message, Progress):  # a note opens no stage
            update_progress_artifact(artifact, min(95.0, 100.0 * message.done))

    try:
        reference = load_reference(reference_dir)
        mapper = None
        if dask_address:
            from pipelines.operator.dask_map import on_cluster

            mapper = on_cluster(dask_address, logger.warning)
        result = run_week(decks, data_dir, reference, run_date, progress=progress,
                          reprocess=reprocess, map_decks=mapper)
    except (ReferenceMissing, StoreError, dask_map.ClusterUnavailable) as err:
        raise StepFailed(CC_INCOMPLETE, str(err)) from None
    except DeckChanged as err:  # a worker read another deck than intake passed
        raise StepFailed(CC_INCOMPLETE, f"{err}; nothing was posted") from None
    except ConservationError as err:
        raise StepFailed(CC_ABEND, f"{err}; nothing was posted") from None
    except Exception as err:
        raise StepFailed(*unforeseen(err, "nothing was posted", data_dir)) from err
    from pipelines.reports import run_page  # the chart libraries: only where a page is made

    page, why_not = run_page.write_after_posting(result, data_dir)
    if page:
        result.outputs["run-page"] = page
    if why_not:
        logger.warning(why_not)
    update_progress_artifact(artifact, 100.0)
    return inbox.engine_record(result, summary.render(result))


@task(name="archive-decks", task_run_name="archive", cache_policy=NO_CACHE)
def archive_decks(data_dir: Path, run_folder: Path, outcomes: list[dict[str, Any]]
                  ) -> dict[str, str]:
    """Move the batch's decks out of the inbox (accepted -> archive/, else refused/)."""
    try:
        return inbox.archive(data_dir, Batch.load(run_folder), outcomes)
    except OSError as err:
        raise StepFailed(CC_INCOMPLETE, str(err)) from None


# --- the flows -------------------------------------------------------------------------------

def _run_name(kind: str):
    def name() -> str:
        day = current_flow_run.parameters.get("run_date") or dt.date.today()
        return f"{kind}-{day}"
    return name


@flow(name="qap-weekly", flow_run_name=_run_name(WEEKLY), validate_parameters=True)
@blocking_body
def weekly_flow(data_dir: Path = Path("qap-data"), reference_dir: Path | None = None,
                inbox_dir: Path | None = None, run_date: dt.date | None = None,
                dask_address: str | None = None) -> FlowOutcome | State:
    """The weekly QAP run over the decks waiting in the inbox (default <data_dir>/inbox).

    reference_dir: default the folder the data directory last ran with (a new one: the
    bundled sample files). dask_address: an existing Dask scheduler (tcp://host:8786) for the
    per-deck intake; the engine run stays one serialized call in the flow's process.
    """
    return _batch_flow(WEEKLY, data_dir, reference_dir, inbox_dir, run_date, dask_address)


@flow(name="qap-reprocess", flow_run_name=_run_name(REPROCESS), validate_parameters=True)
@blocking_body
def reprocess_flow(data_dir: Path = Path("qap-data"), reference_dir: Path | None = None,
                   inbox_dir: Path | None = None, run_date: dt.date | None = None,
                   dask_address: str | None = None) -> FlowOutcome | State:
    """Corrected error-register records (decks in <data_dir>/corrections, as `qap corrections`
    writes them and operators edit them): what posts closes its open register entry."""
    return _batch_flow(REPROCESS, data_dir, reference_dir, inbox_dir, run_date, dask_address)


@flow(name="qap-rollback", flow_run_name="rollback-{run_id}", validate_parameters=True)
@blocking_body
def rollback_flow(run_id: str, data_dir: Path = Path("qap-data"), requeue: bool = False,
                  undo_later: bool = False) -> FlowOutcome | State:
    """Put the state back as it was before run `run_id` (history kept). With `requeue`, the
    run's archived decks go back into the inbox so that the next flow run posts them again.
    Later runs and withdrawals are undone only with `undo_later`; otherwise it is refused."""
    logger = get_run_logger()
    data_dir = Path(data_dir).absolute()
    outcome = FlowOutcome(kind="rollback", condition_code=CC_CLEAN, run_id=run_id,
                          flow_run_id=_flow_run_id())
    try:
        with private.owner_only(), inbox.lock(data_dir):
            generation, undone = register.rollback(data_dir, run_id, "qap flow rollback",
                                                   undo_later=undo_later)
            outcome.message = (f"state rolled back to before run {run_id} (generation "
                               f"{generation})" + "".join(f"\n  also undone: {line}"
                                                          for line in undone)
                               + f"\n  {register.STALE_CORRECTIONS}")
            batch = Batch.for_run(data_dir, run_id)
            if batch is not None:
                try:
                    back = inbox.requeue(data_dir, batch) if requeue else []
                except inbox.RequeueIncomplete as err:
                    back = err.back
                    outcome.condition_code = CC_INCOMPLETE
                    outcome.message += f"\n  {err}"
                batch.state["rolled_back"] = {"at": inbox._now(), "generation": generation,
                                              "requeued": back}
                batch.save()
                batch.log(outcome.message + (f"; back in the inbox: {', '.join(back)}"
                                             if back else ""))
                outcome.run_folder = str(batch.folder)
                outcome.moved = {name: str(inbox.inbox_dir(data_dir, batch.kind) / name)
                                 for name in back}
    except AlreadyRolledBack as err:  # nothing to do, as `qap rollback` says it
        outcome.message = str(err)
    except StoreError as err:
        outcome.condition_code, outcome.message = CC_INCOMPLETE, str(err)
    logger.info(outcome.message)
    outcome.summary = outcome.message
    create_markdown_artifact(_sync=True, key="qap-rollback",
                             description=f"rollback before {run_id}",
                             markdown=f"# Rollback before run {run_id}\n\n{outcome.message}\n"
                             + "".join(f"\n- back in the inbox: `{p}`"
                                       for p in outcome.moved.values()))
    return _finish(outcome)


def _flow_run_id() -> str | None:
    return current_flow_run.id


def weekly_deployment(name: str = "qap-weekly", cron: str = "0 6 * * 2", timezone: str = "UTC",
                      parameters: dict[str, Any] | None = None):
    """The weekly flow as a deployment on a cron schedule (Tuesday 06:00 by default), as
    `qap flow serve` serves it; the flow is found by module path, from any directory."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    return weekly_flow.to_deployment(
        name=name, schedule=Cron(cron, timezone=timezone), parameters=parameters or {},
        description="Weekly IRS QAP run over the inbox (intake, run 01 to IPR and SAR, archive)",
        tags=["qap", "weekly"], entrypoint_type=EntrypointType.MODULE_PATH)


def _intake(paths: list[Path], dask_address: str | None) -> list[DeckInput]:
    """Each deck's intake task, on the Dask cluster when given one: a scheduler that does not
    answer, or has no worker in time, is found before a task is sent (`dask_map.reach`:
    ClusterUnavailable; the wait is a warning, said under -q too)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        dask_map.reach(dask_address, get_run_logger().warning)
        with DaskTaskRunner(address=dask_address, client_kwargs={
                "timeout": dask_map.seconds(dask_map.CONNECT_TIMEOUT)}) as runner:
            return [f.result() for f in runner.map(intake_deck, parameters={"path": paths})]
    return [f.result() for f in intake_deck.map(paths)]


class _RunFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.run = getattr(record, "task_run_name", None) or getattr(
            record, "flow_run_name", "")
        return super().format(record)


@contextlib.contextmanager
def _log_to(path: Path):
    """Copy the flow's and its tasks' log lines into the run folder's flow.log."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_RunFormatter("%(asctime)s %(levelname)-7s %(run)s - %(message)s"))
    loggers = [logging.getLogger("prefect.flow_runs"), logging.getLogger("prefect.task_runs")]
    for each in loggers:
        each.addHandler(handler)
    try:
        yield
    finally:
        for each in loggers:
            each.removeHandler(handler)
        handler.close()


def _reference(data_dir: Path, given: Path | None, outcome: FlowOutcome) -> Path:
    """The reference folder (given, remembered, or for a new store the sample files); says
    where it came from in the log, and in the summary when it is the sample files."""
    choice: ReferenceChoice = choose_reference(data_dir, given)
    if choice.progress():
        get_run_logger().info(choice.progress())
    if choice.summary_note():
        outcome.notes.append(choice.summary_note())
    return Path(choice.folder).absolute()


def _batch_flow(kind: str, data_dir: Path, reference_dir: Path | None, inbox_dir: Path | None,
                run_date: dt.date | None, dask_address: str | None) -> FlowOutcome | State:
    logger = get_run_logger()
    data_dir = Path(data_dir).absolute()
    run_date = run_date or dt.date.today()
    source = Path(inbox_dir).absolute() if inbox_dir else inbox.inbox_dir(data_dir, kind)
    outcome = FlowOutcome(kind=kind, condition_code=CC_CLEAN, flow_run_id=_flow_run_id())
    try:
        if dask_address:  # a deployment's parameter: `qap flow` has checked its option
            dask_map.check_address(dask_address)
            dask_map.check_settings()
        reference_dir = _reference(data_dir, reference_dir, outcome)
    except (DataDirError, dask_map.BadAddress) as err:
        outcome.condition_code, outcome.message = CC_INCOMPLETE, str(err)
        outcome.summary = f"Condition code {CC_INCOMPLETE}: {err}"
        logger.error(outcome.message)
        return _finish(outcome)
    try:
        with private.owner_only(), inbox.lock(data_dir):
            aside = inbox.set_aside_links(source, data_dir / inbox.REFUSED)
            for line in [*aside, *inbox.not_files(source)]:
                logger.warning(line)
                outcome.notes.append(line)
            batch = Batch.unfinished(data_dir, kind)
            if batch is None:
                paths = inbox.waiting(source)
                if not paths:
                    outcome.message = f"nothing to do: no deck waiting in {source}"
                    if aside:
                        outcome.condition_code = CC_REFUSED
                        outcome.message += f" ({len(aside)} link(s) refused)"
                    logger.info(outcome.message)
                    outcome.summary = "\n".join([*aside, outcome.message])
                    create_markdown_artifact(_sync=True, key=f"qap-{kind}-reports", markdown=(
                        f"# QAP {kind} run\n\n{outcome.message}\n"))
                    return _finish(outcome)
                logger.info(f"intake: {len(paths)} deck(s) in {source}")
                started, t0 = inbox._now(), time.time()
                infos = _intake(paths, dask_address)
                batch = Batch.create(data_dir, kind, inbox.week_key(infos, run_date), infos)
                batch.begin_attempt(outcome.flow_run_id, _parameters(
                    data_dir, reference_dir, source, run_date, dask_address))
                batch.start("intake")
                batch.step("intake").update(started=started, t0=t0)
                for d in infos:
                    batch.log(f"intake {d.name}: {d.status}, sha256 {d.sha256}, {d.size} bytes, "
                              f"{d.identity or d.reason} ({d.inspected_by})")
                refused = [d for d in infos if d.status == "refused"]
                links = f", {len(aside)} link(s) refused" if aside else ""
                batch.record("intake", CC_REFUSED if refused or aside else CC_CLEAN,
                             detail=f"{len(infos)} deck(s), {len(refused)} refused (control "
                             f"or unreadable){links}", decks=len(infos),
                             records=sum(d.records for d in infos))
            else:
                logger.info(f"resuming the unfinished run folder {batch.folder}")
                for line in [*batch.drop_links(), *batch.reroot(source, data_dir)]:
                    logger.warning(line)
                batch.begin_attempt(outcome.flow_run_id, _parameters(
                    data_dir, reference_dir, source, run_date, dask_address))
                batch.skipped("intake")
            with _log_to(batch.folder / "flow.log"):
                _steps(batch, outcome, data_dir, reference_dir, run_date, dask_address)
            outcome.waiting = [p.name for p in inbox.waiting(source)]
            if outcome.waiting:
                logger.warning(f"{len(outcome.waiting)} deck(s) still in {source} for the "
                               f"next run: {', '.join(outcome.waiting)}")
    except StoreError as err:  # InboxBusy: another flow run has this data directory
        outcome.condition_code, outcome.message = CC_INCOMPLETE, str(err)
        outcome.summary = f"Condition code {CC_INCOMPLETE}: {err}"
        logger.error(outcome.message)
    except dask_map.ClusterUnavailable as err:  # before intake: no run folder, no run id
        outcome.condition_code = CC_INCOMPLETE
        outcome.message = f"{err}; nothing was posted, the decks stay in {source}"
        outcome.summary = f"Condition code {CC_INCOMPLETE}: {outcome.message}"
        logger.error(outcome.message)
    return _finish(outcome)


def _parameters(data_dir: Path, reference_dir: Path, source: Path, run_date: dt.date,
                dask_address: str | None) -> dict[str, Any]:
    return {"data_dir": str(data_dir), "reference_dir": str(reference_dir),
            "inbox_dir": str(source), "run_date": run_date.isoformat(),
            "dask_address": dask_address}


def _steps(batch: Batch, outcome: FlowOutcome, data_dir: Path, reference_dir: Path,
           run_date: dt.date, dask_address: str | None = None) -> None:
    """Engine steps, then the archive; each skipped when an earlier attempt completed it."""
    logger = get_run_logger()
    outcome.run_folder, outcome.week_ending = str(batch.folder), batch.state["week_ending"]
    logger.info(f"run folder {batch.folder} (attempt {batch.attempt})")
    record = batch.state["engine"]
    if all(batch.done(s) for s in ENGINE_STEPS):
        for s in ENGINE_STEPS:
            batch.skipped(s)
        logger.info(f"run 01, run 03 and post completed in run {record['run_id']} "
                    "(an earlier attempt); not run again")
    else:
        if batch.step("post").get("status") == "started":
            record = inbox.recover(data_dir, batch)
            if record:
                logger.warning(record["summary"])
        if not record:
            try:
                batch.check_inputs()
                before = inbox.current_generation(data_dir)
                for s in ENGINE_STEPS:  # one engine call: its seconds go on "post"
                    batch.start(s, timed=s == "post", generation_before=before)
                record = engine_run([Path(d.path) for d in batch.inputs], data_dir,
                                    reference_dir, run_date, batch.kind == REPROCESS,
                                    f"qap-{batch.kind}-progress", dask_address)
            except (StepFailed, InboxChanged) as err:
                code = err.code if isinstance(err, StepFailed) else CC_INCOMPLETE
                for s in ENGINE_STEPS:
                    batch.record(s, code, "failed", str(err))
                return _close(batch, outcome, None, f"{err}; decks stay in the inbox")
        batch.state["engine"] = record
        _record_engine(batch, record)
        if warning := remember(data_dir, reference_dir):  # the run posted: its folder stays
            get_run_logger().warning(warning)
    outcome.run_id = record["run_id"]
    inbox.place_reports(batch, record["run_dir"])
    if batch.done("archive"):
        batch.skipped("archive")
    else:
        batch.start("archive")
        try:
            outcome.moved = archive_decks(data_dir, batch.folder, record["decks"])
        except StepFailed as err:
            batch = _reload(batch)
            batch.record("archive", CC_INCOMPLETE, "failed", f"{err}")
            return _close(batch, outcome, record, f"archive failed: {err}; the run posted; a "
                          "rerun moves the decks without posting again")
        batch = _reload(batch)
        to_archive = sum(1 for p in outcome.moved.values() if f"/{inbox.ARCHIVE}/" in p)
        batch.record("archive", CC_CLEAN, detail=f"{to_archive} deck(s) to archive/"
                     f"{batch.name}, {len(outcome.moved) - to_archive} to refused/")
    outcome.moved = {d.name: d.destination for d in batch.inputs if d.destination}
    _close(batch, outcome, record, "")


def _reload(batch: Batch) -> Batch:
    fresh = Batch.load(batch.folder)
    batch.state, batch.inputs = fresh.state, fresh.inputs
    return batch


def _record_engine(batch: Batch, record: dict[str, Any]) -> None:
    """Condition code of each legacy step, from what the one engine call returned."""
    counts = record["steps"]
    if record["recovered"]:
        note = "recovered run: see its listings"
        for step in ENGINE_STEPS:
            batch.record(step, record["condition_code"] if step == "post" else CC_CLEAN,
                         detail=f"run {record['run_id']}: {record['posted']} posted, "
                         f"{record['rejected']} rejected" if step == "post" else note)
        return
    for step, form in (("run 01", "Forms 3927 (PCE-01-43)"),
                       ("run 03", "Forms 3926/3926-A (PCE-03-41)")):
        n = {k: v for k, v in counts[step].items() if k not in ("reports", "condition_code")}
        batch.record(step, counts[step]["condition_code"],
                     detail=f"{form}: {n['posted']} posted, {n['rejected']} rejected", **n)
    duplicates = [d for d in record["decks"] if d["status"] == "duplicate"]
    batch.record("post", CC_REFUSED if duplicates else CC_CLEAN, detail=(
        f"run {record['run_id']}, generation {record['generation']}: {record['posted']} "
        f"posted, {len(duplicates)} duplicate deck(s)"),
        run_id=record["run_id"], generation=record["generation"], posted=record["posted"],
        rejected=record["rejected"])
    step = counts["individual data"]
    n = {k: v for k, v in step.items() if k not in ("reports", "condition_code")}
    runs = sorted(set(record["codes"]) - {RUN_3927, RUN_3926})
    reports = step["reports"]
    batch.record("individual data", step["condition_code"], detail=(
        f"Forms 3081/6489: {n['posted']} posted, {n['rejected']} rejected"
        f"{' (' + ', '.join(runs) + ')' if runs else ''}"), **n)
    batch.record("IPR and SAR", CC_CLEAN, detail=(
        f"printed {', '.join(reports)}" if reports
        else "no individual data this week: nothing printed"), reports=len(reports))


def _close(batch: Batch, outcome: FlowOutcome, record: dict[str, Any] | None,
           failure: str) -> None:
    outcome.condition_code = max(batch.condition_code,
                                 record["condition_code"] if record else CC_CLEAN)
    finished = outcome.condition_code < CC_INCOMPLETE
    batch.finish(outcome.condition_code, finished)
    outcome.steps = [{"step": name, **batch.step(name)} for name in inbox.STEP_NAMES]
    outcome.message = failure or f"{batch.kind} run finished"
    outcome.summary = render(outcome, record)
    batch.write_summary(outcome.summary)
    get_run_logger().log(logging.ERROR if failure else logging.INFO,
                         f"condition code {outcome.condition_code}: {outcome.message}")
    _artifacts(batch, outcome, record)


# --- what a user sees -----------------------------------------------------------------------------




def _detail(text: str, width: int = 80) -> str:
    """A step's detail in the table's last column: cut between words with " ..." when longer
    (the whole of it is in steps.json)."""
    return text if len(text) <= width else textwrap.shorten(text, width, placeholder=" ...")


def render(outcome: FlowOutcome, record: dict[str, Any] | None) -> str:
    """The one-screen summary: the engine's summary, then one line per step."""
    lines = [record["summary"], ""] if record else []
    lines.append(f"{'STEP':<16}{'CC':>3}  {'STATUS':<14}{'ATTEMPT':<9}{'SECONDS':>8}  DETAIL")
    for s in outcome.steps:
        code = s.get("condition_code")
        ran = f"{s.get('attempt', '')}{' kept' if s.get('skipped_in_attempts') else ''}"
        seconds = f"{s['seconds']:.1f}" if "seconds" in s else ""
        lines.append(f"{s['step']:<16}{'' if code is None else code:>3}  {s['status']:<14}"
                     f"{ran:<9}{seconds:>8}  {_detail(s.get('detail', ''))}")
    if outcome.waiting:
        lines.append(f"Still in the inbox for the next run: {', '.join(outcome.waiting)}")
    lines += outcome.notes
    if outcome.run_folder and (  # placed with the reports; said as `qap run` says it
            page := Path(outcome.run_folder) / "reports" / "index.html").is_file():
        lines.append(f"Run page: {page}")
    lines.append(f"Run folder: {outcome.run_folder}")
    cc = outcome.condition_code
    lines.append(f"Flow condition code {cc}: {MEANING.get(cc, '')}"
                 + (f" - {outcome.message}" if cc >= CC_INCOMPLETE else ""))
    return "\n".join(lines)


def _artifacts(batch: Batch, outcome: FlowOutcome, record: dict[str, Any] | None) -> None:
    kind = batch.kind
    rows = [{"step": s["step"], "condition code": s.get("condition_code"),
             "status": s["status"], "attempt": s.get("attempt"),
             "decks": s.get("decks", ""), "records": s.get("records", ""),
             "posted": s.get("posted", ""), "rejected": s.get("rejected", ""),
             "seconds": s.get("seconds", ""),
             "detail": s.get("detail", "")}
            for s in outcome.steps]
    create_table_artifact(rows, _sync=True, key=f"qap-{kind}-steps", description=(
        f"{batch.name}: condition code {outcome.condition_code} per step"))
    codes = run_artifact.top_codes((record or {}).get("codes") or {})
    create_table_artifact(codes[:10] or [{"run": "-", "code": "-", "records": 0,
                                           "meaning": "no error code"}],
                          _sync=True, key=f"qap-{kind}-error-codes",
                          description=f"{batch.name}: top error codes")
    reports = sorted((batch.folder / "reports").glob("*.txt"))
    page = batch.folder / "reports" / "index.html"  # the run page, placed with the reports
    title = f"QAP {kind} run {outcome.run_id or '-'}: week ending {batch.state['week_ending']}"
    md = run_artifact.markdown(title, outcome.condition_code, outcome.message,
                               str(batch.folder), record, outcome.steps,
                               page if page.is_file() else None, reports)
    md += "\n## Decks of the batch\n\n" + "\n".join(
        f"- {d.name}: `{d.destination or d.path}`" for d in batch.inputs) + "\n"
    create_markdown_artifact(md, _sync=True, key=f"qap-{kind}-reports",
                             description=f"{batch.name}: reports and decks")
