"""A backfill: a series of weekly runs in order, each on the state the week before left
(issue 20, target 3). It wires, per week, the same entry `qap run` calls (`runs.run_week`,
the engine with its report stage) and the run page; nothing of a week outlives its run but
its line in the summary (`WeekOutcome`), so a backfill holds one week at a time.

The plan (which folders are weeks, their order, each week's run date) is read from the decks'
HDRs alone, before anything runs: docs/decisions.md, "Backfill (issue 20)".
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from layouts import layout
from layouts.decoder import RECORD_WIDTH
from pipelines.engine.machinery import names
from pipelines.engine.machinery.conditions import (
    CC_ABEND,
    CC_CLEAN,
    CC_INCOMPLETE,
    CC_REFUSED,
    unforeseen,
)
from pipelines.operator.inbox import IGNORED_SUFFIXES

REFERENCE_FOLDER = "reference"  # a week's own reference folder, inside its week folder
TUESDAY = 1  # the weekly run's day: the Monday cut-off is past (IRM 3.30.28.4.7(4))
_HDR_WEEK = layout.load("hdr").field("hdr_week_ending")
_EBCDIC_HDR = "HDR".encode("cp037")


class PlanError(Exception):
    """The sources cannot be made into a series of weeks; nothing was run (12)."""


@dataclass(frozen=True)
class Week:
    """One week of the backfill: its folder, its decks (by name), the latest HDR week ending
    among them, the run date it gets, and its own reference folder if it has one."""

    number: int
    folder: Path
    decks: tuple[Path, ...]
    week_ending: dt.date
    run_date: dt.date
    reference: Path | None = None

    @property
    def name(self) -> str:
        return self.folder.name

    def outcome(self, condition_code: int, **figures) -> WeekOutcome:
        """This week's line of the summary."""
        return WeekOutcome(number=self.number, name=self.name, week_ending=self.week_ending,
                           run_date=self.run_date, condition_code=condition_code, **figures)


@dataclass(frozen=True)
class UnplacedWeek:
    """A week folder none of whose decks has a readable HDR week ending: its place in the
    series and its run date are unknown, so it is refused (8) and the other weeks run."""

    folder: Path
    reason: str


@dataclass
class WeekOutcome:
    """What one week's run left: the figures of the summary table, nothing of its records."""

    number: int
    name: str
    week_ending: dt.date
    run_date: dt.date
    condition_code: int
    run_id: str | None = None
    records_in: int = 0
    posted: int = 0
    rejected: int = 0
    refused: int = 0  # decks refused (control, unreadable or already posted)
    run_dir: Path | None = None
    message: str = ""  # why the week stopped (12, 16)
    notes: list[str] = field(default_factory=list)


@dataclass
class BackfillOutcome:
    weeks: int  # in the plan
    done: list[WeekOutcome] = field(default_factory=list)
    stopped: WeekOutcome | None = None
    refused: list[UnplacedWeek] = field(default_factory=list)  # not in the plan: not run

    @property
    def condition_code(self) -> int:
        codes = [w.condition_code for w in self.done]
        if self.stopped is not None:
            codes.append(self.stopped.condition_code)
        if self.refused:
            codes.append(CC_REFUSED)
        return max(codes, default=CC_CLEAN)


# --- the plan ----------------------------------------------------------------------------------

def _decks_in(folder: Path) -> list[Path]:
    """The deck files of a week folder, by name (as the inbox takes them: dot files and
    .part/.tmp/.partial transfers are left alone)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith(IGNORED_SUFFIXES))


def _sub_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and p.name != REFERENCE_FOLDER)


def week_folders(sources: list[Path]) -> list[Path]:
    """Each source is a week folder (it holds decks) or a folder of week folders (it holds no
    deck, only sub-folders: taken by name); in the order given."""
    found: list[Path] = []
    for source in sources:
        if bad := names.refusal(source):
            raise PlanError(f"source {bad}")
        if not source.is_dir():
            what = "is not a folder" if source.exists() else "does not exist"
            raise PlanError(f"source {source} {what}; give week folders or a folder of week "
                            "folders")
        if _decks_in(source):
            found.append(source)
        elif weeks := _sub_folders(source):
            found.extend(weeks)
        else:
            raise PlanError(f"source {source} holds no deck and no week folder")
    return found


def hdr_week_ending(path: Path) -> dt.date | None:
    """The HDR week ending of a deck, read from its first record only (text or 132-byte
    EBCDIC), or None when it has no readable one: its run refuses the deck, and the plan
    places the week by its other decks."""
    try:
        with path.open("rb") as deck:
            head = deck.read(RECORD_WIDTH + 2)
    except OSError:
        return None
    if head.startswith(_EBCDIC_HDR):
        first = head[:RECORD_WIDTH].decode("cp037")
    else:
        first = head.split(b"\n", 1)[0].rstrip(b"\r").decode("ascii", errors="replace")
    if not first.startswith("HDR"):
        return None
    raw = first[_HDR_WEEK.offset:_HDR_WEEK.end]
    try:
        return dt.datetime.strptime(raw, "%m%d%Y").date() if raw.isdigit() else None
    except ValueError:
        return None


def run_date_for(week_ending: dt.date, today: dt.date) -> dt.date:
    """The first Tuesday after the week ending (the weekly run is made once Monday's cut-off
    has passed), but never after today: a week whose Tuesday has not come runs today, as
    `qap run` would."""
    days = (TUESDAY - week_ending.weekday()) % 7 or 7
    return min(week_ending + dt.timedelta(days=days), today)


def plan(sources: list[Path], today: dt.date | None = None,
         unplaced: list[UnplacedWeek] | None = None) -> list[Week]:
    """The weeks in the order they run: by the latest HDR week ending of each week's decks;
    weeks of the same week ending keep the order given (a folder's weeks by name). A week
    folder none of whose decks has a readable HDR cannot be placed: it goes to `unplaced`
    when the caller gives that list (one bad week must not stop the series), else it is a
    PlanError."""
    today = today or dt.date.today()
    placed = []
    for order, folder in enumerate(week_folders(sources)):
        decks = _decks_in(folder)
        if not decks:
            raise PlanError(f"week folder {folder} holds no deck")
        endings = [e for e in map(hdr_week_ending, decks) if e is not None]
        if not endings:
            why = (f"no deck has a readable HDR week ending (columns {_HDR_WEEK.start}-"
                   f"{_HDR_WEEK.end} of its first record; decks: "
                   f"{', '.join(d.name for d in decks)}), so the week's place in the series "
                   "and its run date are unknown")
            if unplaced is None:
                raise PlanError(f"week folder {folder}: {why}; fix or remove its decks")
            unplaced.append(UnplacedWeek(folder, why))
            continue
        reference = folder / REFERENCE_FOLDER
        placed.append((max(endings), order, folder, tuple(decks),
                       reference if reference.is_dir() else None))
    placed.sort(key=lambda p: (p[0], p[1]))
    return [Week(number=i, folder=folder, decks=decks, week_ending=ending,
                 run_date=run_date_for(ending, today), reference=reference)
            for i, (ending, _, folder, decks, reference) in enumerate(placed, start=1)]


def week_named(weeks: list[Week], wanted: str) -> Week | None:
    """The week `--from` names: its folder name, or its week ending (YYYY-MM-DD or MMDDYYYY);
    the first of the series when several share it."""
    exact = [week for week in weeks if str(week.folder) == wanted]  # the resume hint's form
    for week in exact or weeks:
        if wanted in (week.name, str(week.folder), f"{week.week_ending:%Y-%m-%d}",
                      f"{week.week_ending:%m%d%Y}"):
            return week
    return None


# --- the run -------------------------------------------------------------------------------------

def _deck_problem(week: Week) -> str | None:
    for deck in week.decks:
        if bad := names.refusal(deck):
            return f"deck {bad}"
        if not deck.is_file():
            return f"deck {deck} is no longer a file (moved after the plan was made?)"
    return None


def run_one(week: Week, data_dir: Path, reference_dir: Path,
            progress: Callable[[str], None] | None = None, store=None) -> WeekOutcome:
    """One week: its reference files, then `qap run`'s engine entry on its decks with the
    week's run date, then the run page. A week that cannot complete (12) or stops on an
    internal error (16) comes back with its message; nothing of it was posted."""
    from pipelines.engine.machinery.conservation import ConservationError
    from pipelines.engine.machinery.reference import ReferenceMissing
    from pipelines.engine.machinery.reference import load as load_reference
    from pipelines.operator.runs import run_week
    from pipelines.state.store import StoreError

    outcome = week.outcome(CC_INCOMPLETE)
    if problem := _deck_problem(week):
        outcome.message = f"{problem}; nothing of the week was posted"
        return outcome
    try:
        reference = load_reference(week.reference or reference_dir)
        result = run_week(list(week.decks), data_dir, reference, week.run_date,
                          progress=progress, store=store)
    except ReferenceMissing as err:
        own = " (this week's own reference folder)" if week.reference else ""
        outcome.message = f"{err}{own}; nothing of the week was posted"
        return outcome
    except StoreError as err:
        outcome.message = f"{str(err).rstrip('.')}; nothing of the week was posted"
        return outcome
    except ConservationError as err:
        outcome.condition_code, outcome.message = CC_ABEND, f"{err}; nothing was posted"
        return outcome
    except Exception as err:  # the operator gets a sentence, not a traceback
        outcome.condition_code, outcome.message = unforeseen(
            err, "nothing of the week was posted", data_dir)
        return outcome
    outcome.condition_code, outcome.run_id = result.condition_code, result.run_id
    outcome.records_in, outcome.posted = result.records_in, result.posted
    outcome.rejected = result.rejected
    refused = [d for d in result.decks if d.status != "accepted"]
    outcome.refused = len(refused)
    outcome.notes = [f"deck {d.path} {d.status}: {d.reason}" for d in refused]  # why, as
    outcome.notes += list(result.notes)  # `qap run`'s summary says it
    if page_warning := _run_page(result, data_dir):
        outcome.notes.append(page_warning)
    outcome.run_dir = result.run_dir
    return outcome


def _run_page(result, data_dir: Path) -> str | None:
    """The run page, as `qap run` writes it; the week has posted, so a failure is a note."""
    from pipelines.reports import run_page

    return run_page.write_after_posting(result, data_dir)[1]


def run(weeks: list[Week], of: int, data_dir: Path, reference_dir: Path,
        progress: Callable[[str], None] | None = None,
        started: Callable[[Week], None] | None = None,
        finished: Callable[[WeekOutcome], None] | None = None,
        refused: list[UnplacedWeek] | None = None) -> BackfillOutcome:
    """Run `weeks` (of a plan of `of`) in order, one at a time, under one hold of the store's
    lock: no other command posts between two weeks of the series (it is told the store is
    busy). A week ending 12 or 16 stops the series (the later weeks depend on its state); 4
    and 8 go on. `reference_dir` serves every week without a reference folder of its own and
    is remembered by the data directory once a week has posted, as `qap run` does. A store
    that is busy when the backfill starts is 12 for its first week, nothing run. `refused`:
    the week folders the plan could not place, which make the backfill's code at least 8."""
    from pipelines.state import private
    from pipelines.state.store import Store, StoreError

    outcome = BackfillOutcome(weeks=of, refused=list(refused or []))
    if not weeks:
        return outcome
    store = Store(data_dir)
    try:
        with private.owner_only(), store.lock(f"qap backfill ({of} weeks)", wait_seconds=0):
            _run_locked(weeks, outcome, store, data_dir, reference_dir, progress, started,
                        finished)
    except StoreError as err:  # busy, or its lock file unusable: nothing of the series ran
        outcome.stopped = weeks[0].outcome(
            CC_INCOMPLETE, message=f"{str(err).rstrip('.')}; no week of this backfill was run")
        if finished:
            finished(outcome.stopped)
    return outcome


def _run_locked(weeks: list[Week], outcome: BackfillOutcome, store, data_dir: Path,
                reference_dir: Path, progress, started, finished) -> None:
    from pipelines.operator.data_dir import remember

    def stop(week: WeekOutcome) -> None:
        outcome.stopped = week
        if finished:
            finished(week)

    for at, week in enumerate(weeks):
        if started:
            started(week)
        published = len(store.history())
        interrupted = False
        try:
            done = run_one(week, data_dir, reference_dir, progress, store)
        except KeyboardInterrupt:
            done, interrupted = _interrupted(week, store, published), True
        gc.collect()  # the week's frames go before the next week starts
        if done.condition_code >= CC_INCOMPLETE:
            stop(done)
            return
        if warning := remember(data_dir, reference_dir):
            done.notes.append(warning)
        outcome.done.append(done)
        if finished:
            finished(done)
        if interrupted:  # after the week had published: it counts, and the series stops
            if at + 1 < len(weeks):
                stop(weeks[at + 1].outcome(
                    CC_INCOMPLETE, message=f"interrupted after week {week.number} had "
                    "posted; this week was not run"))
            return


def _interrupted(week: Week, store, published: int) -> WeekOutcome:
    """A week interrupted by Ctrl-C: posted, if its run had published its generation (the
    store's history says so), else stopped with nothing of it posted."""
    history = store.history()
    if len(history) > published:
        made = history[-1]
        extra = made.get("extra") or {}
        return week.outcome(int(extra.get("condition_code", CC_CLEAN)),
                            run_id=made.get("run_id"), records_in=extra.get("records_in", 0),
                            posted=extra.get("posted", 0), rejected=extra.get("rejected", 0),
                            notes=["interrupted after the week's run had published: its "
                                   "reports and Parquet twins are in its run folder; its run "
                                   "page may not have been made, and is not made later "
                                   "(docs/outputs.md, \"Run page\")"])
    return week.outcome(CC_INCOMPLETE, message="interrupted before the week's run published; "
                        "nothing of the week was posted")
