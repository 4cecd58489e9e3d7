"""The weekly validation run (runs 01 then 03) as one plain function: no Prefect needed.

Order (rules.md, "The weekly cycle"): refuse decks that fail control or were posted before;
run 01 applies Forms 3927 to the Defect Code File; run 03 checks Forms 3926 against it, the OFP
Consistency File and the Quality Standard File; the Cumulative Data File and the individual
data follow. The run computes frames; the report stage it is given (`printer`, the family's:
`pipelines.reports.qap_week.print_week`) prints every report of the run from them; then
conservation is checked and the new state is published as one generation, or nothing is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.engine.machinery import entries, intake, written_from
from pipelines.engine.machinery.conservation import ConservationError, conserve
from pipelines.engine.machinery.deck import Deck
from pipelines.engine.machinery.reference import Reference
from pipelines.engine.machinery.register import open_entries
from pipelines.engine.machinery.result import DeckOutcome, Progress, RunResult, StepOutcome
from pipelines.engine.machinery.weeks import not_saturday_notes, saturday_of
from pipelines.engine.qap import (
    cum_file,
    reinput_register,
    reprocess_register,
    run01,
    run03,
    spilled,
    week_parts,
)
from pipelines.engine.qap.individual import defect_charges
from pipelines.engine.qap.individual import step as individual_step
from pipelines.state import private, run_folder
from pipelines.state.store import Store, check_folders
from validators import pce_01_43 as v01
from validators import pce_03_41 as v03
from validators.codes import RUN_3926, RUN_3927
from validators.hdr_notes import hdr_notes

__all__ = ["STAGES", "STEPS", "ConservationError", "DeckOutcome", "RunResult", "WeekReports",
           "run_week"]

INDIVIDUAL_PROGRAMS = week_parts.INDIVIDUAL_PROGRAMS  # Forms 3081 and 6489: individual data
PARTS = ".parts"  # the run folder's private sub-folder of checked run 03 parts
# The run folder's private sub-folder of the state tables and frequency frames the run keeps
# on disk from the posting to the publishing (`spilled`); removed before the folder publishes.
SPILLED = ".spilled"
# The data directory's own folders a run writes in, besides state/ (the store checks that)
DATA_FOLDERS = (".", "runs", "refused", "weeks", "archive", "corrections", "weeks/.lock")
STEPS = ("run 01", "run 03", "individual data")  # the steps whose records post or reject
# The run's stages in order (the prefix of the progress message that opens it, what the stage
# does until the next one); each message is a `Progress` that names its stage.
STAGES = (
    ("run ", "read + control decks, concat, decode prefix, split by program"),
    ("run 01", "run 01: Forms 3927 -> Defect Code File"),
    ("run 03", "run 03: Forms 3926 checks (run03.run)"),
    ("posting", "Cumulative Data File posting (26-33), deck columns, display rows"),
    ("individual", "individual data (cum jobs, IPR, SAR, Data Not Posted), error register"),
    ("writing", "the report stage: every printed report and Parquet twin of the run"),
    ("publishing", "counts, conservation, ledger, store tables, commit generation"),
)


@dataclass
class WeekReports:
    """Everything the weekly run's printed reports are printed from: the report stage's input.
    Rows carry their deck columns (`intake.deck_columns`)."""

    run_id: str
    run_date: dt.date
    week_ending: dt.date | None
    reprocess: bool
    decks: list[Deck]
    rows01: pl.DataFrame  # every Form 3927 record with its fate and header text
    rows03: week_parts.Rows03  # every Form 3926 record, part by part
    posted03: pl.DataFrame  # deck_no, rows: the posted Form 3926 records' runs of one deck
    rejected03: pl.DataFrame  # the PCE-03-41 register rows, displayed
    individual: individual_step.IndividualStep
    frequency: dict[dt.date, defect_charges.WeekFrequency]  # per week: its Defect Frequency
    standards: pl.DataFrame  # the Quality Standard File after the run
    cum_ofp: pl.DataFrame
    cum_defects: spilled.Frame  # the run's is spilled
    still_open: pl.DataFrame  # open register entries after the run


Printer = Callable[[WeekReports, RunResult, Path], None]


def _stage(at: int, text: str) -> Progress:
    assert text.startswith(STAGES[at][0]), (at, text)  # the message opens its declared stage
    return Progress(text, at, len(STAGES))


def _date_notes(decks: list[Deck], run_date: dt.date, published: list[str]) -> list[str]:
    """HDR fields and dates that are accepted but probably mistaken: an HDR week ending that is
    not a Saturday, the HDR notes H01-H03 (`validators.hdr_notes`), and a run date before the
    last run's."""
    notes = not_saturday_notes(decks, "its Forms 3081 and 6489")
    for d in decks:
        notes += [note for _, note in hdr_notes(d.name, d.campus, d.week_ending,
                                                d.created.date(), run_date)]
    runs = [r[:8] for r in published if run_folder.RUN_ID.match(r)]
    last = max((dt.datetime.strptime(r, "%Y%m%d").date() for r in runs), default=None)
    if last is not None and run_date < last:
        notes.append(f"run date {run_date:%m/%d/%Y} is before the last run's "
                     f"({last:%m/%d/%Y}); run ids and register ages follow it (--run-date)")
    return notes


def run_week(deck_paths: list[Path], data_dir: Path, reference: Reference,
             run_date: dt.date | None = None, progress=None, reprocess: bool = False,
             *, printer: Printer, map_decks: week_parts.MapDecks | None = None,
             store: Store | None = None) -> RunResult:
    """Validate and post the decks; the run takes the store's lock, unless the caller hands in
    a `store` it holds locked already (a backfill runs its weeks under one lock). `printer`
    is the report stage that prints every report of the run into its folder.

    With `reprocess`, the decks are operators' corrections: what posts closes the open register
    entries for the same records. With `map_decks`, run 03's checks of each deck run there (a
    cluster, `pipelines.operator.dask_map`); the rest of the run stays in this process.
    """
    run_date = run_date or dt.date.today()
    say = progress or (lambda _msg: None)
    if store is not None and not store.locked:
        raise ValueError("run_week: a store handed in must be held locked by the caller")
    held = store is not None
    store = store or Store(data_dir)
    with private.owner_only():
        data_dir.mkdir(parents=True, exist_ok=True)
    with private.owner_only(), (contextlib.nullcontext() if held
                                else store.lock("weekly run", wait_seconds=0)):
        check_folders(data_dir, DATA_FOLDERS)
        private.tighten(data_dir)
        published = [m.get("run_id", "") for m in store.history()]
        run_id = intake.next_run_id(published, run_date)
        return _run_locked(deck_paths, data_dir, reference, run_date, say, reprocess,
                           store, run_id, published, printer, map_decks)


def _run_locked(deck_paths: list[Path], data_dir: Path, reference: Reference,
                run_date: dt.date, say: Callable[[str], None], reprocess: bool, store: Store,
                run_id: str, published: list[str], printer: Printer,
                map_decks: week_parts.MapDecks | None = None) -> RunResult:
    """`run_week` once the store is locked and the run has its id; `published` are the run
    ids of the store's history."""
    tidied = run_folder.tidy(data_dir / "runs", set(published))
    for note in tidied:
        say(note)
    ledger = store.read("decks")
    result = RunResult(run_id=run_id, run_date=run_date, week_ending=None, run_dir=None,
                       notes=tidied, reprocess=reprocess)
    say(_stage(0, f"run {run_id}: reading {len(deck_paths)} deck(s)"))
    # Each deck is taken as it is accepted: what the run reads of its records is kept, its
    # run 03 parts planned, and its records let go (the week's decks are never held together).
    taken = week_parts.WeekDecks(plan=map_decks is None)
    open_register = store.read("error_register") if reprocess else None
    written = _written(data_dir) if reprocess else None
    decks, sorted_hashes = intake.open_all(
        deck_paths, intake.Posted.of(ledger), result, data_dir / "refused",
        intake.open_texts(open_register) if reprocess else None, taken.take,
        written, _open_decks(open_register), open_register, _published(store, written))
    del open_register
    result.week_ending = max((d.week_ending for d in decks), default=None)
    result.notes += _date_notes(decks, run_date, published)
    r_other = taken.other_records()
    program = pl.col("program_number")
    r01 = r_other.filter(program == v01.PROGRAM)
    r_ind = r_other.filter(program.is_in(INDIVIDUAL_PROGRAMS))
    del r_other

    say(_stage(1, f"run 01: {r01.height} Form 3927 record(s)"))
    dcf = store.read("defect_codes")
    one = run01.run(r01, dcf if dcf is not None else run01.empty_dcf(), run_id,
                    store.read("deleted_defect_codes"))
    n03 = sum(taken.heights) - r01.height - r_ind.height
    say(_stage(2, f"run 03: {n03} Form 3926 record(s)"))
    # The run's folder is made now: the checked parts wait in it (private) until printed.
    run_dir = run_folder.start(data_dir / "runs", run_id)  # renamed once published
    result.run_dir = run_dir
    rows03 = week_parts.Rows03(run_dir / PARTS)
    # The parts sum their review lines (`review_sums`): what posting and the defect charges
    # read. Only the individual step reads lines, and only with an Employee Master File.
    keep = run03.KEEP_NONE if reference.employees is None else run03.KEEP_INDIVIDUAL
    parts = week_parts.check_week(decks, reference.ofp, one.defect_codes["defect_code"], rows03,
                                  map_decks=map_decks, keep=keep, taken=taken)
    del taken
    qs = store.read("quality_standards")
    three, late = run03.reduce(parts, qs if qs is not None
                               else pl.DataFrame(schema=v03.QS_SCHEMA))
    del parts  # their records are in rows03

    say(_stage(3, f"posting {three.review_lines} review line(s) and the adjustment "
                  "documents that pass to the Cumulative Data File"))
    spill = run_dir / SPILLED  # the state the run writes at its end waits there (issue 20)
    # The review sums come in key order (`review_sums.combine`): the posting sorts nothing.
    # What the defect charges read of them (issue 18) first; then the posting takes them and
    # lets them go once it has their totals.
    weeks = defect_charges.weeks_of(three.review_sums, spill)
    sums = [three.review_sums]
    three = dataclasses.replace(three, review_sums=three.review_sums.clear())
    cum, cum_defects = _post_cum(store, three, sums, run_id, run_date, spill)
    individual_lines, review_lines = three.reviews, three.review_lines
    standards = three.quality_standards
    del three
    earlier_register = store.read("error_register")
    settled = rows03.settle_with(late, cum.flags.select("deck_no", "line_no", "code")
                                 if cum.flags.height else None, posted_text=reprocess,
                                 places=None if reprocess else reinput_register.open_places(
                                     earlier_register, run_id))

    header_text = r01.select(pl.col("seq").alias("hdr_seq"),
                             pl.col("text").alias("header_text"))
    rows01 = intake.deck_columns(one.records, decks, run_id).join(
        header_text, on="hdr_seq", how="left", maintain_order="left")
    rejected03 = intake.deck_columns(settled.rejected, decks, run_id)
    result.warnings = settled.warnings

    say(_stage(4, f"individual data: {r_ind.height} Form 3081/6489 record(s), "
                  f"{review_lines} review line(s)"))
    before = store.read("defect_charges")
    charges, frequency = defect_charges.add_weeks(weeks, before, run01.descriptions(one),
                                                  spill)  # issue 18
    del weeks
    previous = {t: store.read(t) for t in individual_step.READS}
    reported = _reported_before(before, previous.get("weekly_history"))
    del before
    ind = individual_step.run_step(
        _with_deck_weeks(r_ind, decks), individual_lines, previous, reference.employees,
        reference.ofp, result.week_ending, deck_names=[d.name for d in decks],
        deck_weeks=[d.week_ending for d in decks])
    del previous
    for note in ind.notes:
        say(note)
    result.notes += ind.notes
    if not reprocess:
        result.notes += _added_to(sorted(set(ind.weeks) | set(frequency)), reported)
    del individual_lines
    rows_ind = intake.deck_columns(ind.records, decks, run_id).with_columns(
        pl.lit(None, pl.String).alias("header_text"))
    register = entries.append(earlier_register, _labelled(
        rows01, rejected03, rows_ind), run_date, decks)
    del earlier_register
    posted = _posted(rows01, settled.posted_text, rows_ind, decks)
    if reprocess:
        register = reprocess_register.close(register, posted, decks, run_id, run_date,
                                             result, written)  # the record intake read
    else:  # a record re-input in a weekly deck closes its entry there (review 17, F5)
        register = reinput_register.close(register, posted, decks, run_id, run_date, result)
    del posted
    still_open = open_entries(register, run_date)
    result.still_open = still_open.height
    _count(result, rows01, settled, rows_ind)

    say(_stage(5, f"writing reports to {run_dir}"))
    printer(WeekReports(run_id=run_id, run_date=run_date, week_ending=result.week_ending,
                        reprocess=reprocess, decks=decks, rows01=rows01, rows03=rows03,
                        posted03=settled.posted, rejected03=rejected03, individual=ind,
                        frequency=frequency,
                        standards=standards, cum_ofp=cum.cum_ofp,
                        cum_defects=cum_defects, still_open=still_open),
            result, run_dir)
    rows03.release()
    del rows03, rejected03, settled
    conserve(result)

    say(_stage(6, f"publishing generation {run_id}"))
    gen = store.begin(run_id)
    gen.write("defect_codes", one.defect_codes)
    gen.write("deleted_defect_codes", one.deleted_codes)
    gen.write("quality_standards", standards)
    gen.write("cum_ofp", cum.cum_ofp)
    gen.write("cum_defects", cum_defects.read())
    gen.write("adjustment_ledger", cum.adjustment_ledger)
    for table, frame in ind.tables.items():
        gen.write(table, frame)
    if charges is not None:
        gen.write("defect_charges", spilled.read(charges))
    del frequency, charges, cum_defects
    shutil.rmtree(spill, ignore_errors=True)  # not published with the reports
    gen.write("decks", intake.ledger(ledger, result, decks, sorted_hashes, run_id, run_date))
    gen.write("error_register", register)
    kind = "reprocess run" if result.reprocess else "weekly run"  # review 19, F10
    result.generation = gen.commit(note=f"{kind} {run_id}", extra={
        "condition_code": result.condition_code, "records_in": result.records_in,
        "posted": result.posted, "rejected": result.rejected})
    result.run_dir = run_folder.publish(run_dir)
    result.outputs = {k: result.run_dir / p.relative_to(run_dir)
                      for k, p in result.outputs.items()}
    result.files = [result.run_dir / p.relative_to(run_dir) for p in result.files]
    return result


def _post_cum(store: Store, three: run03.Run03Result, sums: list[pl.DataFrame], run_id: str,
              run_date: dt.date, spill: Path) -> tuple[cum_file.CumPosting, spilled.Spilled]:
    """The run's posting to the Cumulative Data File, its code rows (`cum_defects`, a row per
    quarter, OFP and code) kept in a file of `spill` until the run writes them: the posting's
    own `cum_defects` is left empty. The review sums are taken out of `sums` and let go once
    totalled."""
    ofp, defects = store.read("cum_ofp"), store.read("cum_defects")
    if ofp is None or defects is None:
        ofp, defects = cum_file.empty()
    cum = cum_file.post_run(ofp, defects, sums, three.adjustments,
                            store.read("adjustment_ledger"), run_date, run_id,
                            documents=three.adjustment_documents,
                            quality_standards=three.quality_standards,
                            standard_weeks=three.standard_weeks.to_list())
    del ofp, defects
    code_rows = spilled.Spilled.of(cum.cum_defects, spill / "cum_defects.arrow")
    return dataclasses.replace(cum, cum_defects=cum.cum_defects.clear()), code_rows


def _posted(rows01: pl.DataFrame, texts03: pl.DataFrame, rows_ind: pl.DataFrame,
            decks: list[Deck]) -> pl.DataFrame:
    """The run's posted records that may close register entries (run, text, header_text,
    deck_no, line_no and their deck's week, by which a record finds the entry of its week):
    every Form 3927, 3081 and 6489 posted, and the Form 3926 records `Rows03.settle_with`
    kept (`texts03`: a reprocess's every one, a weekly run's those at open entries' places)."""
    return _with_deck_weeks(pl.concat([
        rows01.filter(~pl.col("rejected")).select(
            pl.lit(RUN_3927).alias("run"), "text", "header_text", "deck_no", "line_no"),
        texts03.with_columns(pl.lit(RUN_3926).alias("run")),
        rows_ind.filter(~pl.col("rejected")).select("run", "text", "header_text", "deck_no",
                                                    "line_no")], how="diagonal_relaxed"),
        decks)


def _written(data_dir: Path) -> dict[str, written_from.Written]:
    """The corrections decks `qap corrections` recorded, by HDR (`written_from`). A record
    that cannot be read stops the reprocess here, before intake, whatever its decks turn out
    to be (check of session 17, P5: a reprocess of only a duplicate deck never reached the
    later read, and published a run with 8)."""
    return written_from.read(data_dir)


def _published(store: Store, written: dict[str, written_from.Written] | None
               ) -> dict[str, dt.datetime] | None:
    """When each run and withdrawal of the store was published (its generation's time), for
    a reprocess with a corrections deck recorded before its entries were kept
    (`register.closed_since`); None when there is none."""
    if not written or all(w.entries for w in written.values()):
        return None
    return {m["run_id"]: dt.datetime.fromisoformat(m["created"]) for m in store.history()
            if m.get("run_id") and m.get("created")}


def _open_decks(register: pl.DataFrame | None) -> set[str]:
    """The deck hashes of the register's open entries."""
    if register is None or "deck_hash" not in register.columns:
        return set()
    return set(register.filter(pl.col("status") == "open")["deck_hash"].drop_nulls()
               .unique().to_list())


def _labelled(rows01: pl.DataFrame, rows03: pl.DataFrame, rows_ind: pl.DataFrame
              ) -> list[pl.DataFrame]:
    """Each step's rows with the register (`run`) its rejected records go on."""
    return [rows01.with_columns(pl.lit(RUN_3927).alias("run")),
            rows03.with_columns(pl.lit(RUN_3926).alias("run")),
            rows_ind.with_columns(pl.col("reason").alias("sub_reason"))]


def _count(result: RunResult, rows01: pl.DataFrame, settled: week_parts.Settled,
           rows_ind: pl.DataFrame) -> None:
    """Posted and rejected per deck and per step, and the codes per run, into `result`; the
    Form 3926 records' counts were taken as they were settled (`Rows03.settle_with`)."""
    every = pl.concat([week_parts.deck_counts(rows01), settled.decks,
                       week_parts.deck_counts(rows_ind)])
    per_deck = {r["deck_no"]: r for r in every.group_by("deck_no").agg(
        pl.col("posted", "rejected").sum()).iter_rows(named=True)}
    accepted = [o for o in result.decks if o.status == "accepted"]
    for i, outcome in enumerate(accepted):
        outcome.posted = int(per_deck.get(i, {}).get("posted", 0))
        outcome.rejected = int(per_deck.get(i, {}).get("rejected", 0))
    result.steps.update(zip(STEPS, (
        _step(rows01),
        StepOutcome(posted=settled.posted_records, rejected=settled.rejected_records),
        _step(rows_ind)), strict=True))
    result.codes[RUN_3927] = Counter(_codes(rows01)["error_codes"].to_list())
    result.codes[RUN_3926] = Counter(settled.codes)
    individual = _codes(rows_ind)
    for run in individual_step.RUNS.values():
        codes = individual.filter(pl.col("run") == run)["error_codes"].to_list()
        if codes:
            result.codes[run] = Counter(codes)


def _step(rows: pl.DataFrame) -> StepOutcome:
    rejected = int(rows["rejected"].sum())
    return StepOutcome(posted=rows.height - rejected, rejected=rejected)


def _codes(rows: pl.DataFrame) -> pl.DataFrame:
    """A row per code given to a record of `rows` (with its `run`, when it has one), in order."""
    return rows.select(*[c for c in ("run",) if c in rows.columns], "error_codes").explode(
        "error_codes").drop_nulls("error_codes")


def _reported_before(charges: pl.DataFrame | None, history: pl.DataFrame | None
                     ) -> set[dt.date]:
    """The weeks (Saturdays) an earlier run printed reports of: the periods of the defect
    charges' state (a week's Defect Frequency) and the weeks of the individual data's weekly
    history (its IPR and SAR)."""
    days: set[dt.date] = set()
    if charges is not None and "period_end" in charges.columns:
        days |= set(charges["period_end"].drop_nulls().unique().to_list())
    if history is not None and "week_ending" in history.columns:
        days |= set(history["week_ending"].drop_nulls().unique().to_list())
    return {saturday_of(d) for d in days}


def _added_to(weeks: list[dt.date], reported: set[dt.date]) -> list[str]:
    """A note for each week of the run an earlier run already printed reports of: this run's
    reports of that week (a late deck's, a second deck's) hold its own records only, beside
    the earlier ones of the same week ending (review 19, F6: nothing told them apart)."""
    return [f"Week ending {w:%m/%d/%Y}: reported already by an earlier run; this run's "
            f"reports of it ({w:%m%d%Y} in their names) hold only this run's records of that "
            "week (its IPR and SAR quarter figures: the whole quarter posted so far)"
            for w in weeks if w in reported]


def _with_deck_weeks(records: pl.DataFrame, decks: list[Deck]) -> pl.DataFrame:
    """Each record carries its deck's HDR week ending (DECK_WEEK): the individual data take
    their week from it, and a reprocess's posted record finds the entry of its week."""
    weeks = pl.DataFrame({"deck_no": pl.Series(range(len(decks)), dtype=pl.UInt16),
                          individual_step.DECK_WEEK: [d.week_ending for d in decks]},
                         schema={"deck_no": pl.UInt16, individual_step.DECK_WEEK: pl.Date})
    return records.join(weeks, on="deck_no", how="left", maintain_order="left")
