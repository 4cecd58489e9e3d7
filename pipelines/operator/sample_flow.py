"""The daily pulls as a Prefect flow: <data-dir>/sampling-inbox -> sample selection (one
`run_select` call: one atomic generation) -> sampling-archive/<run id>/ or refused/. It only
wires the engine and keeps the books; the summary and condition code are the engine's.

Decks being written should carry a dot name or a .part/.tmp suffix until complete (as for the
weekly inbox). A deck that is refused (control totals, unreadable) or a duplicate goes to
refused/ to be corrected and sent again; the others are archived with the run that used them.
Async like the weekly flow, for the same reason: call it through `flow_call.call`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from pipelines.engine.machinery.conditions import CC_INCOMPLETE, MEANING
from pipelines.engine.sampling import inputs
from pipelines.engine.sampling.selection import SelectResult, run_select
from pipelines.operator import inbox, pending_archive
from pipelines.operator.data_dir import choose_reference, remember
from pipelines.operator.flow_call import blocking_body
from pipelines.reports import sampling_outputs
from pipelines.state import private

SAMPLING_INBOX, SAMPLING_ARCHIVE = "sampling-inbox", "sampling-archive"
# the decks of a published selection whose archive step failed, moved first by the next run
PENDING = "sampling-pending.json"


@dataclass
class SampleFlowOutcome:
    """What a daily flow run did: the engine's condition code and summary, where decks went."""

    condition_code: int
    run_id: str | None = None
    summary: str = ""
    moved: dict[str, str] = field(default_factory=dict)


@task(name="sample-select", cache_policy=NO_CACHE)
def select_task(decks: list[Path], data_dir: Path, reference_dir: Path,
                run_date: dt.date | None) -> SelectResult:
    reference = inputs.load_reference(reference_dir)
    log = get_run_logger()
    return run_select(decks, data_dir, reference, sampling_outputs.write_all, run_date,
                      progress=log.info)


@task(name="sample-archive", cache_policy=NO_CACHE)
def archive_task(data_dir: Path, result: SelectResult) -> tuple[dict[str, str], str]:
    """Used decks to sampling-archive/<run id>/, refused and duplicate ones to refused/;
    where each went, and why the step stopped ('' when it did not). A stop is the flow's to
    say, once (raised, Prefect printed a traceback too: second check of session 18, N1)."""
    moved: dict[str, str] = {}
    try:
        for o in result.decks:
            moved[Path(o.path).name] = str(_move(data_dir, Path(o.path), result.run_id,
                                                 o.status == "accepted"))
    except OSError as err:  # a link planted at sampling-archive/<run> (check of 18, N1)
        return moved, str(err)
    return moved, ""


def _move(data_dir: Path, src: Path, run_id: str, used: bool) -> Path:
    """A deck to sampling-archive/<run id>/ (`used`) or to refused/; where it now lies."""
    return inbox.keep_in(data_dir, src, data_dir / SAMPLING_ARCHIVE / run_id if used
                         else data_dir / inbox.REFUSED)


def _left_behind(data_dir: Path, result: SelectResult) -> str:
    """The note of the decks a failed archive step left (`pending_archive`), written, and what
    the next run does with them; or, when even the note cannot be written, what to do."""
    try:
        pending_archive.note(data_dir / PENDING, result.run_id,
                             [(Path(o.path), o.status == "accepted") for o in result.decks])
    except OSError as err:
        return (f"the decks left in {data_dir / SAMPLING_INBOX} were used, and could not be "
                f"noted for the next run ({err}): move them to "
                f"{data_dir / SAMPLING_ARCHIVE / result.run_id} by hand")
    return pending_archive.said(data_dir / PENDING, data_dir / SAMPLING_INBOX,
                                "qap sample daily")


@flow(name="qap-sample-daily", validate_parameters=True)
@blocking_body
def sample_daily_flow(data_dir: Path = Path("qap-data"), reference_dir: Path | None = None,
                      run_date: dt.date | None = None) -> SampleFlowOutcome:
    """Select the day's pulls from the decks waiting in <data_dir>/sampling-inbox."""
    log = get_run_logger()
    with private.owner_only(), inbox.lock(data_dir):
        aside = [*inbox.set_aside_links(data_dir / SAMPLING_INBOX, data_dir / inbox.REFUSED),
                 *inbox.set_aside_bad_names(data_dir / SAMPLING_INBOX,
                                            data_dir / inbox.REFUSED)]
        for line in aside:
            log.warning(line)
        try:
            finished = pending_archive.finish(
                data_dir / PENDING, data_dir / SAMPLING_INBOX,
                lambda src, run_id, used: _move(data_dir, src, run_id, used), "selection run")
        except OSError as err:  # still no way to the archive: nothing is selected
            text = "\n".join([*aside, f"archive failed: {err}. The decks an earlier selection "
                               f"left in {data_dir / SAMPLING_INBOX} ({data_dir / PENDING}) "
                               "were not moved and nothing was selected",
                               f"Flow condition code {CC_INCOMPLETE}: {MEANING[CC_INCOMPLETE]}"])
            log.error(text)
            return SampleFlowOutcome(CC_INCOMPLETE, summary=text)
        decks = inbox.waiting(data_dir / SAMPLING_INBOX)
        if not decks:
            log.info("no deck waiting in %s", data_dir / SAMPLING_INBOX)
            return SampleFlowOutcome(condition_code=8 if aside else 0, summary="\n".join(
                [*aside, *finished, "no deck waiting"]))
        choice = choose_reference(data_dir, reference_dir)
        result = select_task(decks, data_dir, choice.folder, run_date)
        remember(data_dir, choice.folder)
        moved, stopped = archive_task(data_dir, result)
        failed = [f"archive failed: {stopped}. Selection run {result.run_id} published; "
                  f"{_left_behind(data_dir, result)}"] if stopped else []
        for line in failed:
            log.error(line)
    code = max(result.condition_code, 8 if aside else 0, CC_INCOMPLETE if failed else 0)
    last = ([f"Flow condition code {code}: {MEANING.get(code, '')}"]  # the selection's own
            if code != result.condition_code else [])  # line says less (second check, N1)
    text = "\n".join([*aside, *finished, sampling_outputs.summary(result), *failed, *last])
    # the summary once: `qap sample daily` prints it, a deployment's run keeps it as an
    # artifact; the log gets one line (it printed the whole summary a second time)
    create_markdown_artifact(f"# Sample selection {result.run_id}\n\n```\n{text}\n```\n",
                             _sync=True, key="qap-sample-summary",
                             description="Sample selection: the one-screen summary")
    log.info(f"sample selection {result.run_id} finished: condition code {code}")
    return SampleFlowOutcome(code, result.run_id, text, moved)
