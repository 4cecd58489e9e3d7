"""The INV-10-02 run as a Prefect flow: DIR/inventory (the inbox) -> intake -> the engine run
-> archive, a condition code per step and artifacts with the flag counts (spec 2, 7.6).

Only wiring: every step is an engine function (`open_deck`, `run_inventory`); the flow keeps
the books. Import it after `flow_cli.prefect_home` (Prefect reads its settings at import).
Async like the weekly flow, for the same reason: call it through `flow_call.call`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from pipelines.engine.inventory import calendar
from pipelines.engine.machinery.conditions import CC_ABEND, CC_CLEAN, CC_INCOMPLETE, CC_REFUSED
from pipelines.engine.machinery.conservation import ConservationError
from pipelines.engine.machinery.deck import DeckFault, DeckRefused, open_deck
from pipelines.operator import pending_archive
from pipelines.operator.data_dir import optional_reference, remember
from pipelines.operator.flow_call import blocking_body
from pipelines.operator.inbox import keep_in, set_aside_bad_names, set_aside_links, waiting
from pipelines.operator.inventory_run import run_inventory
from pipelines.reports import inventory_summary
from pipelines.state.store import StoreError, check_folders
from validators import ro_params
from validators.codes import RUN_INV, lookup

INBOX = "inventory"  # DIR/inventory: decks waiting for the next inventory run
STEPS = ("intake", "inventory run", "archive")
# the decks of a published run whose archive step failed, moved first by the next run
PENDING = "inventory-pending.json"


@dataclass
class InventoryFlowOutcome:
    condition_code: int
    message: str = ""
    run_id: str | None = None
    run_dir: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)  # code -> flags
    summary: str = ""
    notes: list[str] = field(default_factory=list)  # lines too long for the steps' table


class InventoryFlowFailed(Exception):
    def __init__(self, outcome: InventoryFlowOutcome):
        super().__init__(f"condition code {outcome.condition_code}: {outcome.message}")
        self.outcome = outcome


@task(name="inventory-intake", task_run_name="intake-{path.name}", cache_policy=NO_CACHE)
def intake_deck(path: Path) -> dict[str, Any]:
    """HDR/TRL control of one deck (nothing of it is used yet)."""
    try:
        deck = open_deck(path)
    except (DeckFault, DeckRefused) as err:
        return {"deck": path.name, "status": "refused", "reason": str(err), "records": 0}
    return {"deck": path.name, "status": "accepted", "reason": "", "as_of": str(deck.week_ending),
            "records": deck.records.height}


@task(name="inventory-run", task_run_name="inv-10-02", cache_policy=NO_CACHE)
def engine_run(decks: list[Path], data_dir: Path, reference_dir: Path | None,
               run_date: dt.date) -> dict[str, Any]:
    """`run_inventory`: records, measure, rules, registers, reports, one generation."""
    logger = get_run_logger()
    try:
        result = run_inventory(decks, data_dir, calendar.load(reference_dir), run_date,
                               progress=logger.info)
    except (calendar.CalendarError, ro_params.ParamsError, StoreError) as err:
        return {"condition_code": CC_INCOMPLETE, "message": str(err)}
    except ConservationError as err:
        return {"condition_code": CC_ABEND, "message": f"{err}; nothing was published"}
    flags = result.flags
    return {"condition_code": result.condition_code, "run_id": result.run_id,
            "run_dir": str(result.run_dir) if result.run_dir else None,
            "summary": inventory_summary.render(result),
            "decks": [{"deck": Path(d.path).name, "status": d.status, "reason": d.reason}
                      for d in result.decks],
            "flags": dict(Counter(flags["code"].to_list())) if flags is not None else {},
            "severities": dict(Counter(flags["severity"].to_list())) if flags is not None
            else {}, "records_in": result.records_in, "used": result.used,
            "rejected": result.rejected, "opened": result.opened, "carried": result.carried,
            "cleared": result.cleared, "outputs": [p.name for p in result.outputs.values()]}


@task(name="inventory-archive", task_run_name="archive", cache_policy=NO_CACHE)
def archive(data_dir: Path, source: Path, run_id: str, decks: list[dict[str, Any]]
            ) -> tuple[dict[str, str], str]:
    """Accepted decks to archive/inventory/<run id>/, the others to refused/inventory/; where
    each went, and why the step stopped ('' when it did not). A stop is the flow's to say,
    once (raised, Prefect printed a traceback too: check of session 18, N1)."""
    moved: dict[str, str] = {}
    try:
        for d in decks:
            moved[d["deck"]] = str(_move(data_dir, source / d["deck"], run_id,
                                         d["status"] == "accepted"))
    except OSError as err:
        return moved, str(err)
    return moved, ""


def _move(data_dir: Path, src: Path, run_id: str, accepted: bool) -> Path:
    """A deck to archive/inventory/<run id>/ (`accepted`) or refused/inventory/; where it now
    lies."""
    return keep_in(data_dir, src, data_dir / "archive" / INBOX / run_id if accepted
                   else data_dir / "refused" / INBOX)


def _left_behind(data_dir: Path, source: Path, run_id: str, decks: list[dict[str, Any]]) -> str:
    """The note of the decks a failed archive step left (`pending_archive`), written, and
    what the next run does with them; or, when even the note cannot be written, what to do."""
    try:
        pending_archive.note(data_dir / PENDING, run_id,
                             [(source / d["deck"], d["status"] == "accepted") for d in decks])
    except OSError as err:
        return (f"the decks left in {source} were read by run {run_id}, and could not be "
                f"noted for the next run ({err}): move them to "
                f"{data_dir / 'archive' / INBOX / run_id} (used) or "
                f"{data_dir / 'refused' / INBOX} by hand")
    return pending_archive.said(data_dir / PENDING, source, "qap flow inventory")


def _step(outcome: InventoryFlowOutcome, name: str, code: int, detail: str) -> None:
    outcome.steps.append({"step": name, "condition_code": code, "detail": detail})
    outcome.condition_code = max(outcome.condition_code, code)


@flow(name="qap-inventory", flow_run_name="inventory-{run_date}", validate_parameters=True)
@blocking_body
def inventory_flow(data_dir: Path = Path("qap-data"), reference_dir: Path | None = None,
                   inbox_dir: Path | None = None, run_date: dt.date | None = None
                   ) -> InventoryFlowOutcome | State:
    """Run INV-10-02 over the decks waiting in <data_dir>/inventory, then archive them."""
    logger = get_run_logger()
    data_dir = Path(data_dir).absolute()
    run_date = run_date or dt.date.today()
    source = Path(inbox_dir).absolute() if inbox_dir else data_dir / INBOX
    outcome = InventoryFlowOutcome(condition_code=CC_CLEAN)
    try:  # a link at one of these would move decks into or out of the data directory
        check_folders(data_dir, (INBOX, "archive", f"archive/{INBOX}", "refused",
                                 f"refused/{INBOX}"))
    except StoreError as err:
        _step(outcome, "intake", CC_INCOMPLETE, str(err))
        outcome.message = outcome.summary = str(err)
        logger.error(outcome.message)
        return outcome
    for line in [*set_aside_links(source, data_dir / "refused" / INBOX),
                 *set_aside_bad_names(source, data_dir / "refused" / INBOX)]:
        logger.warning(line)
        _step(outcome, "intake", CC_REFUSED, line)
    try:
        outcome.notes += pending_archive.finish(
            data_dir / PENDING, source,
            lambda src, run_id, used: _move(data_dir, src, run_id, used), "inventory run")
    except OSError as err:  # still no way to the archive: nothing of the inbox is read
        _step(outcome, "intake", CC_INCOMPLETE, "an earlier run's decks could not be moved")
        outcome.message = (f"archive failed: {err}. The decks an earlier run left in {source} "
                           f"({data_dir / PENDING}) were not moved and nothing was read")
        outcome.notes.append(outcome.message)
        logger.error(outcome.message)
        return _finish(outcome, {})
    paths = waiting(source)
    if not paths:
        outcome.message = outcome.summary = "\n".join(
            [*outcome.notes, f"nothing to do: no deck waiting in {source}"])
        logger.info(outcome.message)
        return outcome
    intake = [intake_deck(p) for p in paths]
    refused = [d for d in intake if d["status"] != "accepted"]
    _step(outcome, "intake", CC_REFUSED if refused else CC_CLEAN,
          f"{len(intake)} deck(s), {len(refused)} refused by control")
    # the work calendar's folder: given, else the one the data directory remembers
    choice = optional_reference(data_dir, reference_dir)
    if choice and choice.progress():
        logger.info(choice.progress())
    record = engine_run(paths, data_dir, choice.folder if choice else None, run_date)
    if "run_id" not in record:
        _step(outcome, "inventory run", record["condition_code"], record["message"])
        outcome.message = f"{record['message']}; decks stay in {source}"
        return _finish(outcome, record)
    outcome.run_id, outcome.run_dir = record["run_id"], record["run_dir"]
    if choice and (warning := remember(data_dir, choice.folder)):  # as `qap inventory` does
        logger.warning(warning)
    outcome.flags = record["flags"]
    sev = record["severities"]
    _step(outcome, "inventory run", record["condition_code"],
          f"run {record['run_id']}"
          f"{'' if record['run_dir'] else ' (no deck accepted, nothing published)'}: "
          f"{record['records_in']} records, {record['used']} used, "
          f"{record['rejected']} rejected; flags {sum(sev.values())} ({sev.get('E', 0)} E, "
          f"{sev.get('W', 0)} W, {sev.get('I', 0)} I); register {record['opened']} opened, "
          f"{record['carried']} carried, {record['cleared']} cleared")
    outcome.moved, stopped = archive(data_dir, source, record["run_id"], record["decks"])
    if stopped:
        _step(outcome, "archive", CC_INCOMPLETE, "archive failed; the run published (below)")
        outcome.notes.append(f"archive failed: {stopped}. Run {record['run_id']} published; "
                             f"{_left_behind(data_dir, source, record['run_id'], record['decks'])}")
        logger.error(outcome.notes[-1])
    else:
        _step(outcome, "archive", CC_CLEAN, f"{len(outcome.moved)} deck(s) moved")
    outcome.message = "inventory run finished"
    return _finish(outcome, record)


def render(outcome: InventoryFlowOutcome, record: dict[str, Any]) -> str:
    lines = [record["summary"], ""] if record.get("summary") else []
    lines.append(f"{'STEP':<16}{'CC':>3}  DETAIL")
    lines += [f"{s['step']:<16}{s['condition_code']:>3}  {s['detail'][:100]}"
              for s in outcome.steps]
    lines += outcome.notes
    lines.append(f"Flow condition code {outcome.condition_code}: "
                 f"{inventory_summary.MEANING.get(outcome.condition_code, '')}")
    return "\n".join(lines)


def _finish(outcome: InventoryFlowOutcome, record: dict[str, Any]) -> InventoryFlowOutcome | State:
    outcome.summary = render(outcome, record)
    create_table_artifact(outcome.steps, _sync=True, key="qap-inventory-steps",
                          description="INV-10-02: condition code per step")
    rows = [{"code": code, "severity": lookup(RUN_INV, code).severity, "flags": n,
             "meaning": lookup(RUN_INV, code).meaning}
            for code, n in sorted(outcome.flags.items())]
    create_table_artifact(rows or [{"code": "-", "severity": "-", "flags": 0,
                                    "meaning": "no flag"}], _sync=True,
                          key="qap-inventory-flags", description="INV-10-02: flags by code")
    create_markdown_artifact(f"# RO inventory run {outcome.run_id or '-'}\n\n```\n"
                             f"{outcome.summary}\n```\n", _sync=True,
                             key="qap-inventory-summary",
                             description="INV-10-02: the one-screen summary")
    if outcome.condition_code < CC_INCOMPLETE:
        return outcome
    return Failed(message=outcome.message, data=InventoryFlowFailed(outcome))
