"""Run INV-10-02 as one plain function (spec section 4, "Order of the run").

refuse (HDR/TRL) -> decode and check records (01-14, rejects to the open error register) ->
measure each roster entry -> RO, group and assignment rules (20-41) -> exceptions register ->
reports -> publish one generation. Conservation (records in = used + rejected) is checked
before anything is published. Exceptions are the run's product, not faults: they never raise
the condition code (spec 10.8).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import polars as pl

from pipelines.engine.inventory import (
    assign,
    cag,
    exceptions,
    measure,
    queue,
    ro_rules,
    support,
)
from pipelines.engine.inventory import flags as flagging
from pipelines.engine.inventory.calendar import WorkCalendar
from pipelines.engine.inventory.rekeyed import close_rekeyed
from pipelines.engine.machinery import intake
from pipelines.engine.machinery.conservation import conserve
from pipelines.engine.machinery.deck import Deck
from pipelines.engine.machinery.entries import extend_register, in_register_schema
from pipelines.engine.machinery.intake import Posted, control, same_content
from pipelines.engine.machinery.register import (
    DECK_WEEK,
    close_corrected,
    open_entries,
    place,
    supersede_resubmitted,
)
from pipelines.engine.machinery.result import RunResult
from pipelines.state import run_folder
from pipelines.state.store import Generation, Store
from validators import inv_10_02, ro_params
from validators.codes import RUN_INV

STATE_TABLES = ("ro_inventory", "inventory_exceptions")


@dataclass
class InventoryResult(RunResult):
    """`RunResult` (decks, conservation, condition code, register movements, files) plus what
    the inventory run found; its `week_ending` is the HDR as-of date (`as_of`)."""

    calendar_assumed: bool = True
    record_codes: Counter = field(default_factory=Counter)  # code -> records carrying it
    flags: pl.DataFrame | None = None
    opened: int = 0
    carried: int = 0
    cleared: int = 0
    roster_entries: int = 0
    held_cases: int = 0
    rejects: list[str] = field(default_factory=list)  # where each rejected record is wrong

    @property
    def as_of(self) -> dt.date | None:
        return self.week_ending

    @as_of.setter
    def as_of(self, day: dt.date | None) -> None:
        self.week_ending = day

    @property
    def used(self) -> int:
        """Records used: the inventory's word for `posted`."""
        return self.posted


def open_decks(paths: list[Path], posted: Posted, result: InventoryResult,
               refused_dir: Path) -> list[Deck]:
    """Control every deck; refuse a failed one, one whose records (in any order) were run
    before, or one of another as-of. The HDR's columns 6-13 are an inventory's as-of date
    (inventory.md 3.1), and its refusals say so."""
    decks = control(paths, result, refused_dir,
                    same_content(posted, "nothing of it is used again"),
                    check=_as_of_refusal, shown=str, refuse_bad_names=False)
    for outcome in result.decks:
        outcome.reason = outcome.reason.replace("HDR week ending (columns 6-13)",
                                                "HDR as-of date (columns 6-13)")
    return decks


def _as_of_refusal(path: Path, deck: Deck, accepted: list[Deck]) -> str | None:
    if not as_of_date_ok(deck.week_ending):
        return (f"{path}, line 1, columns 6-13: HDR as-of date "
                f"{deck.week_ending:%m/%d/%Y} is a {deck.week_ending:%A}; "
                "expected the Saturday that ends the work week or the last day "
                "of a month")
    if accepted and deck.week_ending != accepted[0].week_ending:
        return (f"{path}, line 1, column 6: HDR as-of date "
                f"{deck.week_ending:%m/%d/%Y} differs from the run's "
                f"{accepted[0].week_ending:%m/%d/%Y}; run decks of one as-of date "
                "together")
    return None


def as_of_date_ok(day: dt.date) -> bool:
    """The HDR as-of date is the Saturday ending a work week or a month's last day (spec
    3.1): any other day would make the work week of rules 40/41 end mid-week."""
    return day.weekday() == 5 or _month_end(day)


def records_of(decks: list[Deck]) -> pl.DataFrame:
    frames = [d.records.with_columns(pl.lit(i, pl.UInt16).alias("deck_no"))
              for i, d in enumerate(decks)]
    frames.append(pl.DataFrame(schema={"line_no": pl.UInt32, "text": pl.String,
                                       "deck_no": pl.UInt16}))
    return pl.concat(frames).with_row_index("seq")


def _previous_snapshot(history: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame | None:
    """Each RO's row of the latest earlier run (as-of before this one)."""
    if history is None:
        return None
    earlier = history.filter((pl.col("row_kind") == "ro") & (pl.col("as_of") < as_of))
    return earlier.sort("as_of").group_by("assignment_number").last()


def _oldest_holds(measured: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date) -> dict:
    holds = measured.filter(pl.col("position_type") == "H")["assignment"].to_list()
    parked = cases.filter(pl.col("holder").is_in(holds) & pl.col("left_date_v").is_null())
    out = {}
    for holder, day in parked.group_by("holder").agg(
            pl.coalesce("hold_date_v", "assigned_v").min()).iter_rows():
        out[holder] = ((as_of - day).days, day)
    return out


def register_rows(rows: pl.DataFrame, decks: list[Deck], run_id: str, run_date: dt.date,
                   as_of: dt.date) -> pl.DataFrame:
    rejected = rows.filter("rejected")
    at = rejected.get_column("deck_no")
    return rejected.select(
        pl.lit(run_id).alias("run_id"), pl.lit(RUN_INV).alias("run"),
        pl.Series("deck", [d.name for d in decks], pl.String).gather(at),
        pl.Series("deck_hash", [d.content_hash for d in decks], pl.String).gather(at),
        "line_no", "record_type", "control_number", "error_codes", "text",
        pl.lit(None, pl.String).alias("header_text"), pl.lit("open").alias("status"),
        pl.lit(run_date).alias("opened"), pl.lit(None, pl.Date).alias("closed"),
        pl.lit(None, pl.String).alias("closed_by"), pl.lit(None, pl.String).alias("reason"),
        pl.lit(as_of).alias(DECK_WEEK)).pipe(in_register_schema)


def open_with_place(register: pl.DataFrame | None, run_date: dt.date) -> pl.DataFrame:
    """The open error register entries, each with `place`: for an INV-10-02 record the columns
    that identify it (ROR 1-11, CAS 1-21, spec 6), for another run its control number."""
    entries = open_entries(register, run_date)
    if entries.height == 0:
        return entries.with_columns(pl.lit(None, pl.String).alias("place"))
    return entries.with_columns(pl.when(pl.col("run") == RUN_INV).then(place())
                                .otherwise(pl.col("control_number")).alias("place"))


def merged_register(previous: pl.DataFrame | None, new: pl.DataFrame) -> pl.DataFrame:
    """The open error register with this run's rejected records appended."""
    return extend_register(previous, new)


def count_records(result: InventoryResult, every: pl.DataFrame) -> None:
    accepted = [o for o in result.decks if o.status == "accepted"]
    for i, outcome in enumerate(accepted):
        mine = every.filter(pl.col("deck_no") == i)
        outcome.rejected = int(mine["rejected"].sum())
        outcome.posted = mine.height - outcome.rejected
    result.record_codes = Counter(every["error_codes"].explode().drop_nulls().to_list())
    names = [Path(o.path).name for o in accepted]
    as_of = result.as_of or dt.date.today()
    for r in every.filter("rejected").iter_rows(named=True):
        for code in r["error_codes"]:
            result.rejects.append(
                f"{names[r['deck_no']]}, line {r['line_no']}: "
                f"{(r['record_type'] + ' ' + (r['control_number'] or '')).strip()}: {code} "
                f"{inv_10_02.why(r['record_type'], r['text'], code, as_of)}")
    conserve(result)


class Evaluation(NamedTuple):
    """What the engine computes from one as-of date's records (no files)."""

    measured: pl.DataFrame  # one row per roster entry, with `codes`
    totals: pl.DataFrame  # one row per group
    flags: pl.DataFrame  # every flag 20-90, in report order
    queue: pl.DataFrame  # one row per case proposed for the queue
    queue_relief: pl.DataFrame  # per over-range holder: allowed returns, still over
    graded: pl.DataFrame  # CAG grading per GS-13 or reviewed/documented case
    analysis: pl.DataFrame  # GS-13 Casework Analysis, long form


def evaluate(roster: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date,
             params: ro_params.Params, calendar: WorkCalendar,
             previous: pl.DataFrame | None = None,
             forecasts: pl.DataFrame | None = None) -> Evaluation:
    """The engine without files: measure, rules 20-41, queue 60-68, CAG 80-86, support 90."""
    measured = measure.measure(roster, cases, as_of, params, calendar, previous)
    measured = assign.new_assignments(measured, cases, as_of, params)
    totals = ro_rules.group_totals(measured)
    listing, queue_flags = queue.screen(measured, cases, as_of, params)
    graded = cag.grade_cases(measured, cases, as_of, params)
    if forecasts is None:
        forecasts = inv_10_02.check(pl.DataFrame(schema={
            "seq": pl.UInt32, "line_no": pl.UInt32, "text": pl.String, "deck_no": pl.UInt16}),
            as_of).forecasts
    figures, support_flags = support.analysis(measured, graded, forecasts, as_of, params)
    found = (ro_rules.ro_flags(measured, as_of, params) + ro_rules.group_flags(totals)
             + ro_rules.hold_file_flags(measured, cases, as_of, params)
             + assign.assignment_flags(measured, params) + queue_flags
             + cag.cag_flags(graded, params) + support_flags)
    flags = flagging.frame(found)
    ro_codes = flags.filter(pl.col("key_kind") == "ro").group_by("assignment_number").agg(
        pl.col("code").sort().alias("codes"))
    hold_codes = flags.filter(pl.col("code") == "31").group_by("assignment_number").agg(
        pl.col("code").unique().sort().alias("case_codes"))
    measured = measured.join(ro_codes, left_on="assignment", right_on="assignment_number",
                             how="left", maintain_order="left").join(
        hold_codes, left_on="assignment", right_on="assignment_number", how="left",
        maintain_order="left").with_columns(
        pl.when(pl.col("position_type") == "H").then(pl.col("case_codes"))
        .otherwise(pl.col("codes")).fill_null([]).alias("codes")).drop("case_codes")
    return Evaluation(measured, totals, flags, listing, queue.relief(listing, measured),
                      graded, figures)


@dataclass(frozen=True)
class RunProducts:
    """Everything a run's printed reports and their Parquet twins show (reports/ prints them;
    the engine never imports reports/)."""

    run_id: str
    run_date: dt.date
    as_of: dt.date
    deck_heading: str  # e.g. "DECK AO 35 SEQ 001"
    entries: pl.DataFrame  # measured roster, `assignment_number` and `grade` named as printed
    totals: pl.DataFrame
    oldest_holds: dict  # hold file -> (days, date) of its oldest case
    snapshot: pl.DataFrame  # the ro-inventory Parquet twin, also the state table's new rows
    flags: pl.DataFrame  # with register states
    closed: pl.DataFrame  # exceptions register entries this run closed
    queue: pl.DataFrame
    queue_relief: pl.DataFrame
    analysis: pl.DataFrame  # with run_id and scope
    earlier_quarters: list[pl.DataFrame]
    minimum: int  # GS-13 cases per GS-13 RO (TIGTA fn 11)
    scope: str
    month_end: bool
    still_open: pl.DataFrame  # open error register entries after the run


# Prints the reports of a run into its folder; returns {report name: printed file}.
ReportWriter = Callable[[RunProducts, Path], dict[str, Path]]


def snapshot_rows(entries: pl.DataFrame, totals: pl.DataFrame, run_id: str,
                  as_of: dt.date) -> pl.DataFrame:
    """One row per roster entry (`row_kind` ro or hold) and one per group with its totals."""
    kinds = entries.with_columns(
        pl.when(pl.col("position_type") == "H").then(pl.lit("hold")).otherwise(pl.lit("ro"))
        .alias("row_kind"))
    groups = totals.select(
        "group", pl.lit("group").alias("row_kind"), "covered", "range_min", "range_max",
        "cases_gs13", pl.lit("GROUP").alias("status"), pl.col("active_ros").cast(pl.Int64),
        "trainee_cases", "hold_cases", "headroom")
    out = pl.concat([kinds, groups], how="diagonal_relaxed").with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(as_of).alias("as_of"))
    return out.select(*SNAPSHOT_COLUMNS)


SNAPSHOT_COLUMNS = (
    "run_id", "as_of", "group", "row_kind", "assignment_number", "seid", "name", "grade",
    "position_type", "duty_status", "adjustment_pct", "range_min", "range_max", "covered",
    "other", "cases_gs13", "cases_gs12", "cases_gs11", "cases_gs09", "cases_gs05_07",
    "pct_gs13", "new_in_week", "new_exempt", "status", "over_by", "spell_start",
    "work_days_over", "deadline", "relief_date", "notice_date", "codes", "active_ros",
    "trainee_cases", "hold_cases", "headroom")


def run_inventory(deck_paths: list[Path], data_dir: Path, calendar: WorkCalendar,
                  reports: ReportWriter, run_date: dt.date | None = None,
                  progress: Callable[[str], None] | None = None,
                  params_path: Path | None = None) -> InventoryResult:
    """Check, measure and report the decks; publish one generation (the caller holds no lock).
    `reports` prints the run's reports into its folder (pipelines/reports/inventory_run.py)."""
    run_date = run_date or dt.date.today()
    say = progress or (lambda _msg: None)
    store = Store(data_dir)
    with intake.run_started(store, data_dir, run_date, "inventory run") as (published, run_id):
        return _run_locked(deck_paths, data_dir, calendar, run_date, say, store, run_id,
                           published, params_path, reports)


def _run_locked(deck_paths: list[Path], data_dir: Path, calendar: WorkCalendar,
                run_date: dt.date, say: Callable[[str], None], store: Store, run_id: str,
                published: list[str], params_path: Path | None, reports: ReportWriter
                ) -> InventoryResult:
    result = InventoryResult(run_id=run_id, run_date=run_date, week_ending=None, run_dir=None,
                             calendar_assumed=calendar.assumed)
    result.notes += run_folder.tidy(data_dir / "runs", set(published))
    ledger = store.read("decks")
    say(f"run {run_id}: reading {len(deck_paths)} inventory deck(s)")
    decks = open_decks(deck_paths, Posted.of(ledger, dated=True), result,
                       data_dir / "refused")
    if not decks:  # a refused deck posts nothing: no generation, no register, no history
        result.notes.append("no deck was accepted: nothing was published (no generation, "
                            "no report; the registers and the GS-13 history are unchanged)")
        return result
    as_of = result.as_of = decks[0].week_ending
    if calendar.assumed:
        result.notes.append("no work_calendar.txt in the reference folder: work days are "
                            "Monday-Friday (no holidays)")
    params = ro_params.load(as_of, params_path)
    say(f"checking records (as of {as_of:%m/%d/%Y})")
    checked = inv_10_02.check(records_of(decks), as_of)
    every = checked.every
    count_records(result, every)
    roster = checked.roster.filter(~pl.col("rejected"))
    cases = checked.cases.filter(~pl.col("rejected"))
    history = store.read("ro_inventory")
    say(f"measuring {roster.height} roster entries and {cases.height} cases")
    forecasts = checked.forecasts.filter(~pl.col("rejected"))
    ev = evaluate(roster, cases, as_of, params, calendar, _previous_snapshot(history, as_of),
                  forecasts)
    measured, totals, flags = ev.measured, ev.totals, ev.flags
    result.roster_entries = measured.height
    result.held_cases = int(measured["held"].sum()) if measured.height else 0
    groups = totals["group"].to_list()
    scope = support.scope_of(groups) if groups else "NONE"
    register, flags, closed = exceptions.update(store.read("inventory_exceptions"), flags,
                                                run_id, as_of, groups, scope)
    state = flags["register_state"]
    result.opened = int((state == "opened").sum())
    result.carried = int((state == "carried").sum())
    result.cleared = int((closed["closed_by"] == exceptions.CLEARED).sum())
    result.flags = flags

    error_register = merged_register(store.read("error_register"),
                                     register_rows(every, decks, run_id, run_date, as_of))
    # Each extract sends every record again: one that now passes closes its open entry
    # (corrected at the source); one rejected again replaces it (resubmitted).
    posted = every.filter(~pl.col("rejected")).select(  # the week: as the register's own
        pl.lit(RUN_INV).alias("run"), "text", pl.lit(as_of).alias(DECK_WEEK))
    error_register, result.corrected = close_corrected(error_register, posted, run_id, run_date)
    error_register, result.resubmitted = supersede_resubmitted(error_register, run_id, run_date)
    # ... and one whose key field (02, 06, 07) was fixed at the source has a new place
    error_register, rekeyed = close_rekeyed(error_register, every, [d.name for d in decks],
                                            run_id, run_date, as_of, extract=True)
    result.corrected += rekeyed.corrected
    result.resubmitted += rekeyed.resubmitted
    result.notes += rekeyed.notes
    still_open = open_with_place(error_register, run_date)
    result.still_open = still_open.height

    entries = measured.rename({"assignment": "assignment_number", "ro_grade": "grade"})
    snapshot = snapshot_rows(entries, totals, run_id, as_of)
    gs13_history = store.read("gs13_history")
    figures = ev.analysis.with_columns(pl.lit(run_id).alias("run_id"),
                                       pl.lit(scope).alias("scope"))
    products = RunProducts(
        run_id=run_id, run_date=run_date, as_of=as_of,
        deck_heading=f"DECK AO {decks[0].campus} SEQ {decks[0].sequence:03d}",
        entries=entries, totals=totals, oldest_holds=_oldest_holds(measured, cases, as_of),
        snapshot=snapshot, flags=flags, closed=closed, queue=ev.queue,
        queue_relief=ev.queue_relief, analysis=figures,
        earlier_quarters=_earlier_quarters(gs13_history, scope, as_of),
        minimum=support.minimum_cases(params.ranges["13"].min, params), scope=scope,
        month_end=_month_end(as_of), still_open=still_open)
    run_dir = run_folder.start(data_dir / "runs", run_id)
    result.run_dir = run_dir
    say(f"writing reports to {run_dir}")
    result.outputs = reports(products, run_dir)

    say(f"publishing generation {run_id}")
    gen = store.begin(run_id)
    gen.write("ro_inventory", snapshot if history is None else pl.concat(
        [history, snapshot], how="diagonal_relaxed"))
    gen.write("inventory_exceptions", register)
    if groups:  # a run that measured no group has no GS-13 figures to keep
        gen.write("gs13_history", figures if gs13_history is None else pl.concat(
            [gs13_history, figures], how="diagonal_relaxed"))
    gen.write("error_register", error_register)
    commit(gen, result, ledger, decks, run_dir, f"inventory run {run_id}")
    return result


def commit(gen: Generation, result: InventoryResult, ledger: pl.DataFrame | None,
           decks: list[Deck], run_dir: Path, note: str) -> None:
    """Close a run or a reprocess: its deck ledger rows, the generation's commit, the run
    folder published (the outputs follow it)."""
    gen.write("decks", intake.ledger(ledger, result, decks, None, result.run_id, result.run_date))
    result.generation = gen.commit(note=note, extra={
        "condition_code": result.condition_code, "records_in": result.records_in,
        "posted": result.used, "rejected": result.rejected, "family": RUN_INV})
    result.run_dir = run_folder.publish(run_dir)
    result.outputs = {k: result.run_dir / p.relative_to(run_dir)
                      for k, p in result.outputs.items()}


def _month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def _earlier_quarters(history: pl.DataFrame | None, scope: str, as_of: dt.date
                      ) -> list[pl.DataFrame]:
    """The figures of up to three earlier quarter-end runs of this scope (the last run of
    each such as-of date), oldest first, as TIGTA's Figures 1 and 2 set them side by side."""
    if history is None:
        return []
    mine = history.filter((pl.col("scope") == scope) & (pl.col("as_of") < as_of)
                          & pl.col("as_of").dt.month().is_in([3, 6, 9, 12])
                          & (pl.col("as_of").dt.month_end() == pl.col("as_of")))
    days = sorted(mine["as_of"].unique().to_list())[-3:]
    out = []
    for day in days:
        runs = mine.filter(pl.col("as_of") == day)
        last = runs["run_id"].max()
        out.append(runs.filter(pl.col("run_id") == last))
    return out


