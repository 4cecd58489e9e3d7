"""`qap backfill`: a series of week folders run in order, one weekly run per week
(pipelines/operator/backfill.py). Only typer and the option types are imported at start-up;
the engine is imported when the command runs."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipelines.engine.machinery.conditions import CC_INCOMPLETE, CC_REFUSED, CC_USAGE, MEANING
from pipelines.operator.cli_options import (
    DataDir,
    Json,
    Quiet,
    ReferenceDir,
    Speaker,
    answer_in_json,
)

if TYPE_CHECKING:
    from pipelines.operator.backfill import BackfillOutcome, UnplacedWeek, Week, WeekOutcome

_SAY = Speaker("qap")


def _n(value: int) -> str:
    return f"{value:,}"


def _decks(n: int) -> str:
    return f"{n} deck{'s' * (n != 1)}"


def _week_line(w: WeekOutcome, of: int) -> str:
    head = f"week {w.number} of {of}: {w.name} (week ending {w.week_ending:%m/%d/%Y})"
    if w.message:
        return f"{head}: condition code {w.condition_code}: {w.message}"
    refused = f", {_decks(w.refused)} refused" if w.refused else ""
    return (f"{head}: run {w.run_id}, condition code {w.condition_code}, {_n(w.posted)} "
            f"posted, {_n(w.rejected)} rejected{refused}")


_COLUMNS = (("WEEK", 5), ("FOLDER", 20), ("WEEK ENDING", 11), ("RUN DATE", 10),
            ("RUN ID", 11), ("CC", 3), ("RECORDS IN", 12), ("POSTED", 12), ("REJECTED", 10),
            ("REFUSED", 7))


def _row(cells: list[str]) -> str:
    out = []
    for (name, width), cell in zip(_COLUMNS, cells, strict=True):
        text = cell[:width] if name == "FOLDER" else cell
        out.append(text.ljust(width) if name in ("FOLDER", "RUN ID") else text.rjust(width))
    return "  ".join(out).rstrip()


def _table(outcome: BackfillOutcome, plan: list[Week]) -> str:
    """The summary: one row per week of the plan, with what became of it."""
    rows = [_row([name for name, _ in _COLUMNS])]
    ran = {w.number: w for w in [*outcome.done, *([outcome.stopped] if outcome.stopped else [])]}
    for week in plan:
        w = ran.get(week.number)
        date_cells = [f"{week.week_ending:%m/%d/%Y}", f"{week.run_date:%m/%d/%Y}"]
        if w is None:
            why = "not run" if outcome.stopped and week.number > outcome.stopped.number \
                else "skipped"
            rows.append(_row([str(week.number), week.name, *date_cells, why, "", "", "", "",
                              ""]))
        elif w.message:
            rows.append(_row([str(w.number), w.name, *date_cells, "stopped",
                              str(w.condition_code), "", "", "", ""]))
        else:
            rows.append(_row([str(w.number), w.name, *date_cells, w.run_id or "",
                              str(w.condition_code), _n(w.records_in), _n(w.posted),
                              _n(w.rejected), str(w.refused)]))
    for refused in outcome.refused:
        rows.append(_row(["-", refused.folder.name, "-", "-", "refused", str(CC_REFUSED), "", "",
                          "", ""]))
    done = outcome.done
    rows.append(_row(["", "total", "", "", "", "", _n(sum(w.records_in for w in done)),
                      _n(sum(w.posted for w in done)), _n(sum(w.rejected for w in done)),
                      str(sum(w.refused for w in done))]))
    return "\n".join(rows)


def _mended(week: UnplacedWeek, data_dir: Path, reference: Path) -> str:
    """The command that runs a refused week folder once its decks are mended."""
    return (f"qap backfill {shlex.quote(str(week.folder))} -d {shlex.quote(str(data_dir))} -r "
            f"{shlex.quote(str(reference))}")


def _refused_line(week: UnplacedWeek, data_dir: Path, reference: Path) -> str:
    return (f"week folder {week.folder} refused (condition code {CC_REFUSED}): {week.reason}; "
            "nothing of it was run, the other weeks run without it. Once its decks are "
            f"mended, run it with: {_mended(week, data_dir, reference)}")


def _resume(stopped: WeekOutcome, plan: list[Week], sources: list[Path], data_dir: Path,
            reference: Path) -> str:
    """The command that resumes at the stopped week: the same sources, data directory and
    reference folder, and the week's folder as given (a folder name alone may name another
    week of the series)."""
    given = " ".join(shlex.quote(str(s)) for s in sources)
    folder = next(w.folder for w in plan if w.number == stopped.number)
    return (f"qap backfill {given} -d {shlex.quote(str(data_dir))} -r "
            f"{shlex.quote(str(reference))} --from {shlex.quote(str(folder))}")


def _stop_message(outcome: BackfillOutcome, plan: list[Week], sources: list[Path],
                  data_dir: Path, reference: Path) -> str:
    stopped = outcome.stopped
    assert stopped is not None
    n = len(outcome.done)
    before = (f"{n} week{'s' * (n != 1)} before it posted" if n
              else "no week of this backfill posted")
    return (f"backfill stopped at week {stopped.number} of {outcome.weeks} ({stopped.name}, "
            f"week ending {stopped.week_ending:%m/%d/%Y}) with condition code "
            f"{stopped.condition_code}: {stopped.message}. {before}; the later weeks depend "
            f"on this week's state and were not run. Fix the cause, then resume with: "
            f"{_resume(stopped, plan, sources, data_dir, reference)}")


def _plan_document(plan: list[Week], first: int) -> list[dict[str, Any]]:
    return [{"week": w.number, "folder": str(w.folder), "week_ending": w.week_ending,
             "run_date": w.run_date, "decks": [d.name for d in w.decks],
             "reference": str(w.reference) if w.reference else None,
             "runs": w.number >= first} for w in plan]


def _outcome_document(w: WeekOutcome) -> dict[str, Any]:
    return {"week": w.number, "folder": w.name, "week_ending": w.week_ending,
            "run_date": w.run_date, "run_id": w.run_id, "condition_code": w.condition_code,
            "records_in": w.records_in, "posted": w.posted, "rejected": w.rejected,
            "decks_refused": w.refused, "run_dir": w.run_dir, "message": w.message or None,
            "notes": w.notes}


def _refused_document(unplaced: list[UnplacedWeek], data_dir: Path, reference: Path
                      ) -> list[dict[str, Any]]:
    return [{"folder": str(u.folder), "condition_code": CC_REFUSED, "reason": u.reason,
             "run_once_mended": _mended(u, data_dir, reference)} for u in unplaced]


def _dry_run_text(plan: list[Week], first: int, reference: Path,
                  unplaced: list[UnplacedWeek]) -> str:
    lines = [f"Backfill plan: {len(plan)} week(s), in this order (nothing is run):"]
    for w in plan:
        own = f"; reference {w.reference}" if w.reference else ""
        skip = "" if w.number >= first else " (before --from: not run)"
        lines.append(f"  week {w.number} of {len(plan)}: {w.folder}, {_decks(len(w.decks))}, "
                     f"week ending {w.week_ending:%m/%d/%Y}, run date "
                     f"{w.run_date:%m/%d/%Y}{own}{skip}")
    lines += [f"  refused: {u.folder}: {u.reason}" for u in unplaced]
    lines.append(f"Reference folder for weeks without their own: {reference}")
    return "\n".join(lines)


def backfill(
    sources: Annotated[list[Path], typer.Argument(
        readable=False,
        help="Week folders (decks inside), or folders of week folders.", show_default=False)],
    data_dir: DataDir = Path("qap-data"),
    reference: ReferenceDir = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="Resume at this week (its folder name, or its week ending "
        "YYYY-MM-DD); the weeks before it are not run.", show_default=False)] = None,
    quiet: Quiet = False,
    as_json: Json = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List the weeks, their order and run dates; run nothing.")] = False,
) -> None:
    """Run a series of weeks in order, one weekly run (as `qap run`) per week, each on the
    state the week before left.

    A week folder holds the week's decks (and, if that week's reference files differ, a
    `reference/` folder with them). Weeks run in the order of the latest HDR week ending of
    their decks; each runs on the Tuesday after its week ending (today at the latest). A
    week that ends with 12 or 16 stops the backfill, and the message says how to resume
    (--from); 4 and 8 go on. A week folder none of whose decks has a readable HDR cannot be
    placed: it is refused (8), the message says how to run it once mended, and the other
    weeks run. The backfill's condition code is the highest of its weeks. A deck already
    posted is refused, never posted twice, so a backfill run again is safe.

    Example: qap backfill history/ -d /srv/qap -r /srv/qap/reference
    """
    answer_in_json(as_json)
    from pipelines.operator import backfill as series
    from pipelines.operator import habits
    from pipelines.operator.data_dir import choose_reference, prepare

    unplaced: list[series.UnplacedWeek] = []  # refused, and the other weeks run
    try:
        plan = series.plan(sources, unplaced=unplaced)
    except series.PlanError as err:
        raise _SAY.fail(f"{err}; nothing was run", CC_INCOMPLETE) from None
    first = 1
    if start is not None:
        named = series.week_named(plan, start)
        if named is None:
            known = ", ".join(w.name for w in plan)
            raise _SAY.fail(f"--from {start!r} names no week of this backfill (weeks: {known}); "
                            "nothing was run", CC_USAGE)
        first = named.number
    todo = [w for w in plan if w.number >= first]
    if dry_run:  # the data directory is only read: which reference folder it would use
        choice = _SAY.checked(choose_reference, data_dir, reference)
        if as_json:
            typer.echo(habits.dumps({"data_dir": str(data_dir), "dry_run": True,
                                     "reference": str(choice.folder),
                                     "weeks": _plan_document(plan, first),
                                     "refused_weeks": _refused_document(unplaced, data_dir,
                                                                        choice.folder)}))
        else:
            typer.echo(_dry_run_text(plan, first, choice.folder, unplaced))
        raise typer.Exit(0)

    _SAY.checked(prepare, data_dir)
    choice = _SAY.checked(choose_reference, data_dir, reference)
    say = None if quiet else (lambda msg: typer.echo(f"  .. {msg}", err=True))
    if say and choice.progress():
        say(choice.progress())

    def started(week: Week) -> None:
        if say:
            say(f"week {week.number} of {len(plan)}: {week.folder}, {_decks(len(week.decks))}, "
                f"week ending {week.week_ending:%m/%d/%Y}, run date {week.run_date:%m/%d/%Y}")

    def finished(week: WeekOutcome) -> None:
        if as_json:
            if say:
                say(_week_line(week, len(plan)))
        else:
            typer.echo(_week_line(week, len(plan)))
            for note in week.notes:  # what `qap run`'s summary would ask the operator to check
                typer.echo(f"  note: {note}")

    for week in unplaced:
        refusal = _refused_line(week, data_dir, choice.folder)
        if as_json:
            if say:
                say(refusal)
        else:
            typer.echo(refusal)
    outcome = series.run(todo, len(plan), data_dir, choice.folder, progress=say,
                         started=started, finished=finished, refused=unplaced)
    code = outcome.condition_code
    note = choice.summary_note()
    if as_json:
        typer.echo(habits.dumps({
            "data_dir": str(data_dir), "dry_run": False, "reference": str(choice.folder),
            "weeks_planned": len(plan), "from": start, "plan": _plan_document(plan, first),
            "weeks": [_outcome_document(w) for w in outcome.done],
            "stopped": _outcome_document(outcome.stopped) if outcome.stopped else None,
            "resume": _resume(outcome.stopped, plan, sources, data_dir, choice.folder)
            if outcome.stopped else None,
            "refused_weeks": _refused_document(unplaced, data_dir, choice.folder),
            "notes": [note] if note else [],
            "condition_code": code, "meaning": MEANING[code]}))
    else:
        typer.echo("")
        typer.echo(_table(outcome, plan))
        if outcome.done:
            typer.echo(f"Reports and run pages: {data_dir / 'runs'}/<run id>/")
        if note:
            typer.echo(note)
        typer.echo(f"Backfill condition code {code}: {MEANING[code]}")
    if outcome.stopped is not None:
        typer.echo(f"qap: {_stop_message(outcome, plan, sources, data_dir, choice.folder)}",
                   err=True)
    raise typer.Exit(code)


def install(app: typer.Typer) -> None:
    app.command()(backfill)

