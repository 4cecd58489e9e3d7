"""The weekly validation run (runs 01 then 03) as one plain function: no Prefect needed.

Order (rules.md, "The weekly cycle"): refuse decks that fail control or were posted before;
run 01 applies Forms 3927 to the Defect Code File; run 03 checks Forms 3926 against it, the OFP
Consistency File and the Quality Standard File; then conservation is checked and the new state
is published as one generation, or nothing is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import DeckFault, decode
from pipelines.engine.machinery.deck import Deck, DeckRefused, open_deck
from pipelines.engine.machinery.register import (
    DECK_WEEK,
    close_context,
    close_corrected,
    open_entries,
    supersede_resubmitted,
)
from pipelines.engine.qap import cum_file, run01, run03
from pipelines.engine.qap.individual import periods, review_data
from pipelines.engine.qap.individual import step as individual_step
from pipelines.engine.qap.reference import Reference
from pipelines.reports import (
    cum_listing,
    listings,
    open_register,
    pce_01_43,
    pce_03_41,
    printing,
    quality_standards,
)
from pipelines.state import run_folder
from pipelines.state.store import Store
from validators import pce_01_43 as v01
from validators import pce_03_41 as v03
from validators.codes import RUN_3926, RUN_3927

PREFIX = layout.load("prefix")
INDIVIDUAL_PROGRAMS = ("59600", "59602")  # Forms 3081 and 6489: the individual data step

CC_CLEAN, CC_REJECTED, CC_REFUSED, CC_INCOMPLETE, CC_ABEND = 0, 4, 8, 12, 16


class ConservationError(Exception):
    pass


@dataclass
class DeckOutcome:
    path: str
    status: str  # "accepted", "refused", "duplicate"
    reason: str = ""
    identity: str = ""
    records: int = 0
    posted: int = 0
    rejected: int = 0


@dataclass
class RunResult:
    run_id: str
    run_date: dt.date
    week_ending: dt.date | None
    run_dir: Path | None
    decks: list[DeckOutcome] = field(default_factory=list)
    codes: dict[str, Counter] = field(default_factory=dict)  # run -> code -> records
    warnings: int = 0
    corrected: int = 0  # open register entries closed by this (reprocess) run
    resubmitted: int = 0  # open entries a (reprocess) run replaced by its own: still wrong
    still_open: int = 0
    outputs: dict[str, Path] = field(default_factory=dict)
    generation: int | None = None
    notes: list[str] = field(default_factory=list)  # what the operator should check

    @property
    def records_in(self) -> int:
        return sum(d.records for d in self.decks if d.status == "accepted")

    @property
    def posted(self) -> int:
        return sum(d.posted for d in self.decks)

    @property
    def rejected(self) -> int:
        return sum(d.rejected for d in self.decks)

    @property
    def condition_code(self) -> int:
        if any(d.status != "accepted" for d in self.decks):
            return CC_REFUSED
        return CC_REJECTED if self.rejected else CC_CLEAN


def next_run_id(published: list[str], run_date: dt.date) -> str:
    """The run date's next free id; `published` are the run ids of the store's history."""
    stamp = f"{run_date:%Y%m%d}"
    taken = set(published)
    n = 1
    while f"{stamp}.{n:02d}" in taken:
        n += 1
    return f"{stamp}.{n:02d}"


def _open_all(paths: list[Path], known: set[str], result: RunResult, refused_dir: Path
              ) -> list[Deck]:
    decks: list[Deck] = []
    seen: dict[str, str] = {}
    for path in paths:
        outcome = DeckOutcome(path=str(path), status="refused")
        try:
            deck = open_deck(path)
        except (DeckFault, DeckRefused) as err:
            outcome.reason = str(err)
            _keep_for_resubmission(path, refused_dir)
            result.decks.append(outcome)
            continue
        outcome.identity, outcome.records = deck.identity, deck.records.height
        if deck.content_hash in known or deck.content_hash in seen:
            first = seen.get(deck.content_hash, "an earlier run")
            outcome.status = "duplicate"
            outcome.reason = (f"{path}: duplicate deck: the same records were already posted "
                              f"({first}); nothing of it posts again")
            outcome.records = 0
        else:
            outcome.status = "accepted"
            seen[deck.content_hash] = f"{path.name} in this run"
            decks.append(deck)
        result.decks.append(outcome)
    return decks


def _keep_for_resubmission(path: Path, refused_dir: Path) -> None:
    if path.is_file():
        run_folder.private_dir(refused_dir)
        shutil.copy2(path, refused_dir / path.name)


def _records(decks: list[Deck]) -> pl.DataFrame:
    frames = [d.records.with_columns(pl.lit(i, pl.UInt16).alias("deck_no"))
              for i, d in enumerate(decks)]
    if not frames:
        frames = [pl.DataFrame(schema={"line_no": pl.UInt32, "text": pl.String,
                                       "deck_no": pl.UInt16})]
    combined = pl.concat(frames).with_row_index("seq")
    return decode(combined, PREFIX)


def _deck_columns(rows: pl.DataFrame, decks: list[Deck], run_id: str) -> pl.DataFrame:
    """The deck's name, hash and page title beside each row: a row's deck_no is the deck's
    place in `decks`, so each column is a gather (a join would copy every column of rows)."""
    at = rows.get_column("deck_no")
    names = pl.Series("deck", [d.name for d in decks], pl.String)
    hashes = pl.Series("deck_hash", [d.content_hash for d in decks], pl.String)
    titles = pl.Series("deck_title", [f"{d.heading}  {d.name}" for d in decks], pl.String)
    return rows.with_columns(names.gather(at), hashes.gather(at), titles.gather(at),
                             pl.lit(run_id).alias("run_id"))


def _date_notes(decks: list[Deck], run_date: dt.date, published: list[str]) -> list[str]:
    """Dates that are accepted but probably mistaken: an HDR week ending that is not a
    Saturday, and a run date before the last run's."""
    notes = [f"{d.name}: HDR week ending {d.week_ending:%m/%d/%Y} is a {d.week_ending:%A}, "
             "not a Saturday; its Forms 3081 and 6489 count in the week ending "
             f"{periods.saturday_of(d.week_ending):%m/%d/%Y}"
             for d in decks if d.week_ending.weekday() != periods.SATURDAY]
    runs = [r[:8] for r in published if run_folder.RUN_ID.match(r)]
    last = max((dt.datetime.strptime(r, "%Y%m%d").date() for r in runs), default=None)
    if last is not None and run_date < last:
        notes.append(f"run date {run_date:%m/%d/%Y} is before the last run's "
                     f"({last:%m/%d/%Y}); run ids and register ages follow it (--run-date)")
    return notes


def run_week(deck_paths: list[Path], data_dir: Path, reference: Reference,
             run_date: dt.date | None = None, progress=None, reprocess: bool = False
             ) -> RunResult:
    """Validate and post the decks; the caller holds no lock (this takes it).

    With `reprocess`, the decks are operators' corrections: what posts closes the open register
    entries for the same records.
    """
    run_date = run_date or dt.date.today()
    say = progress or (lambda _msg: None)
    store = Store(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with store.lock("weekly run", wait_seconds=0):
        published = [m.get("run_id", "") for m in store.history()]
        run_id = next_run_id(published, run_date)
        with printing.run_stamp(run_id, reprocess):
            return _run_locked(deck_paths, data_dir, reference, run_date, say, reprocess,
                               store, run_id, published)


def _run_locked(deck_paths: list[Path], data_dir: Path, reference: Reference,
                run_date: dt.date, say: Callable[[str], None], reprocess: bool, store: Store,
                run_id: str, published: list[str]) -> RunResult:
    """`run_week` once the store is locked and the run has its id; `published` are the run
    ids of the store's history."""
    tidied = run_folder.tidy(data_dir / "runs", set(published))
    for note in tidied:
        say(note)
    ledger = store.read("decks")
    known = set(ledger.filter(pl.col("status") == "posted")["content_hash"].to_list()
                ) if ledger is not None else set()
    result = RunResult(run_id=run_id, run_date=run_date, week_ending=None, run_dir=None,
                       notes=tidied)
    say(f"run {run_id}: reading {len(deck_paths)} deck(s)")
    decks = _open_all(deck_paths, known, result, data_dir / "refused")
    result.week_ending = max((d.week_ending for d in decks), default=None)
    result.notes += _date_notes(decks, run_date, published)
    records = _records(decks)
    # The decks' own frames are copied into `records`; only their identities are kept.
    decks = [dataclasses.replace(d, records=d.records.clear()) for d in decks]
    program = pl.col("program_number")
    r01 = records.filter(program == v01.PROGRAM)
    r_ind = records.filter(program.is_in(INDIVIDUAL_PROGRAMS))
    # A week of Forms 3926 alone needs no copy for run 03.
    r03 = records if not (r01.height or r_ind.height) else records.filter(
        ~program.is_in([v01.PROGRAM, *INDIVIDUAL_PROGRAMS]))
    del records  # each run reads its own part from here on

    say(f"run 01: {r01.height} Form 3927 record(s)")
    dcf = store.read("defect_codes")
    one = run01.run(r01, dcf if dcf is not None else run01.empty_dcf(), run_id)
    say(f"run 03: {r03.height} Form 3926 record(s)")
    qs = store.read("quality_standards")
    three = run03.run(r03, reference.ofp, one.defect_codes["defect_code"],
                      qs if qs is not None else pl.DataFrame(schema=v03.QS_SCHEMA))
    del r03

    say(f"posting {three.reviews.height} review line(s) and the adjustment documents "
        "that pass to the Cumulative Data File")
    cum = _post_cum(store, three, run_id, run_date)
    three = _reject_cum_flags(three, cum.flags)

    header_text = r01.select(pl.col("seq").alias("hdr_seq"),
                             pl.col("text").alias("header_text"))
    rows01 = _deck_columns(one.records, decks, run_id).join(
        header_text, on="hdr_seq", how="left", maintain_order="left")
    rows03 = three.records
    reviews, standards = three.reviews, three.quality_standards
    del three

    run_dir = run_folder.start(data_dir / "runs", run_id)  # renamed once published
    result.run_dir = run_dir
    # The run 01/03 listings come first, so the run 03 records (a row per record of the
    # week) are let go before the individual step builds its own frames.
    say(f"writing listings to {run_dir}")
    headers_at = run03.header_positions(rows03)
    rejected03 = _deck_columns(run03.display(rows03, pl.col("rejected"),
                                             headers_at=headers_at), decks, run_id)
    _write_outputs(result, rows01, rows03, headers_at, rejected03, decks, run_id, run_dir)
    tally03 = rows03.select("deck_no", "rejected", "error_codes")
    result.warnings = int(rows03["warning"].sum())
    posted03_text = (rows03.filter(~pl.col("rejected")).select("text") if reprocess
                     else rows03.clear().select("text"))
    del rows03, headers_at

    say(f"individual data: {r_ind.height} Form 3081/6489 record(s), "
        f"{reviews.height} review line(s)")
    individual_lines = review_data.individual_lines(reviews)
    del reviews
    ind = individual_step.run_step(
        _with_deck_weeks(r_ind, decks), individual_lines,
        {t: store.read(t) for t in individual_step.READS}, reference.employees,
        reference.ofp, result.week_ending, run_date, run_dir,
        deck_names=[d.name for d in decks])
    for note in ind.notes:
        say(note)
    result.notes += ind.notes
    del individual_lines
    rows_ind = _deck_columns(ind.records, decks, run_id).with_columns(
        pl.lit(None, pl.String).alias("header_text"))
    _count(result, rows01, tally03, rows_ind)
    _conserve(result)

    say(f"publishing generation {run_id}")
    gen = store.begin(run_id)
    gen.write("defect_codes", one.defect_codes)
    gen.write("quality_standards", standards)
    quality_standards.print_standards(standards, run_date, result.week_ending,
                                      run_dir / "quality-standards.txt")
    result.outputs["quality-standards"] = run_dir / "quality-standards.txt"
    gen.write("cum_ofp", cum.cum_ofp)
    gen.write("cum_defects", cum.cum_defects)
    gen.write("adjustment_ledger", cum.adjustment_ledger)
    for table, frame in ind.tables.items():
        gen.write(table, frame)
    result.outputs.update(ind.outputs)
    cum_listing.print_cum_listing(cum.cum_ofp, cum.cum_defects, run_date,
                                  result.week_ending, run_dir / "cum-data-file.txt")
    result.outputs["cum-data-file"] = run_dir / "cum-data-file.txt"
    gen.write("decks", _ledger(ledger, result, decks, run_id, run_date))
    register = _register(store.read("error_register"), rows01, rejected03, rows_ind,
                         run_date, decks)
    if reprocess:
        posted = pl.concat([
            rows01.filter(~pl.col("rejected")).select(pl.lit(RUN_3927).alias("run"), "text"),
            posted03_text.select(pl.lit(RUN_3926).alias("run"), "text"),
            rows_ind.filter(~pl.col("rejected")).select("run", "text")])
        register, result.corrected = close_corrected(register, posted, run_id, run_date)
        register, _ = close_context(register, run_id, run_date)
        register, result.resubmitted = supersede_resubmitted(register, run_id, run_date)
    still_open = open_entries(register, run_date)
    open_register.print_open(still_open, run_date, result.week_ending,
                             run_dir / "open-register.txt")
    result.outputs["open-register"] = run_dir / "open-register.txt"
    result.still_open = still_open.height
    gen.write("error_register", register)
    result.generation = gen.commit(note=f"weekly run {run_id}", extra={
        "condition_code": result.condition_code, "records_in": result.records_in,
        "posted": result.posted, "rejected": result.rejected})
    result.run_dir = run_folder.publish(run_dir)
    result.outputs = {k: result.run_dir / p.relative_to(run_dir)
                      for k, p in result.outputs.items()}
    return result


def _post_cum(store: Store, three: run03.Run03Result, run_id: str, run_date: dt.date
              ) -> cum_file.CumPosting:
    ofp, defects = store.read("cum_ofp"), store.read("cum_defects")
    if ofp is None or defects is None:
        ofp, defects = cum_file.empty()
    return cum_file.post_run(ofp, defects, three.reviews, three.adjustments,
                             store.read("adjustment_ledger"), run_date, run_id,
                             documents=three.adjustment_documents,
                             quality_standards=three.quality_standards,
                             standard_weeks=three.standard_weeks.to_list())


def _reject_cum_flags(three: run03.Run03Result, flags: pl.DataFrame) -> run03.Run03Result:
    """Codes 19 (across runs) and 26-33 land on their lines; their documents reject whole."""
    if flags.height == 0:
        return three
    per_line = flags.group_by("deck_no", "line_no").agg(pl.col("code").alias("cum_codes"))
    rows = three.records.join(per_line, on=["deck_no", "line_no"], how="left",
                              maintain_order="left")
    bad_docs = rows.filter(pl.col("cum_codes").is_not_null())["hdr_seq"].unique()
    rows = rows.with_columns(
        pl.concat_list(pl.col("error_codes"), pl.col("cum_codes").fill_null([]))
        .list.unique().list.sort().alias("error_codes"),
        (pl.col("rejected") | pl.col("hdr_seq").is_in(bad_docs.implode())).alias("rejected"),
    ).drop("cum_codes")
    return dataclasses.replace(three, records=rows)


def _count(result: RunResult, rows01: pl.DataFrame, rows03: pl.DataFrame,
           rows_ind: pl.DataFrame) -> None:
    every = pl.concat([rows.select("deck_no", "rejected") for rows in (rows01, rows03, rows_ind)])
    per_deck = {r["deck_no"]: r for r in every.group_by("deck_no").agg(
        pl.col("rejected").sum().alias("rejected"),
        (~pl.col("rejected")).sum().alias("posted")).iter_rows(named=True)}
    accepted = [o for o in result.decks if o.status == "accepted"]
    for i, outcome in enumerate(accepted):
        outcome.posted = int(per_deck.get(i, {}).get("posted", 0))
        outcome.rejected = int(per_deck.get(i, {}).get("rejected", 0))
    labelled = [rows01.with_columns(pl.lit(RUN_3927).alias("run")),
                rows03.with_columns(pl.lit(RUN_3926).alias("run")), rows_ind]
    coded = pl.concat([rows.select("run", "error_codes").filter(
        pl.col("error_codes").list.len() > 0) for rows in labelled]).explode("error_codes")
    for run in (RUN_3927, RUN_3926, *individual_step.RUNS.values()):
        codes = coded.filter(pl.col("run") == run)["error_codes"].to_list()
        if codes or run in (RUN_3927, RUN_3926):
            result.codes[run] = Counter(codes)


def _conserve(result: RunResult) -> None:
    for d in result.decks:
        if d.status == "accepted" and d.records != d.posted + d.rejected:
            raise ConservationError(
                f"{d.path}: conservation failed: {d.records} records in, {d.posted} posted, "
                f"{d.rejected} on a register")


def _with_deck_weeks(records: pl.DataFrame, decks: list[Deck]) -> pl.DataFrame:
    """Each record of individual data carries its deck's HDR week ending."""
    weeks = pl.DataFrame({"deck_no": pl.Series(range(len(decks)), dtype=pl.UInt16),
                          individual_step.DECK_WEEK: [d.week_ending for d in decks]},
                         schema={"deck_no": pl.UInt16, individual_step.DECK_WEEK: pl.Date})
    return records.join(weeks, on="deck_no", how="left", maintain_order="left")


def _write_outputs(result: RunResult, rows01: pl.DataFrame, rows03: pl.DataFrame,
                   headers_at: pl.Series, rejected03: pl.DataFrame, decks: list[Deck], run_id: str,
                   run_dir: Path) -> None:
    """The four listings. The posting listing (nearly every record of the week) is built,
    printed and written to Parquet in page-aligned parts: the printed fields of one part at a
    time, the text and the Parquet the same as of the whole."""

    week = result.week_ending
    targets = [
        ("pce-01-43", lambda: rows01.filter("rejected"), pce_01_43.print_register,
         pce_01_43.COLUMNS),
        ("posting-3927", lambda: rows01.filter(~pl.col("rejected")), pce_01_43.print_posting,
         pce_01_43.COLUMNS),
        ("pce-03-41", lambda: rejected03, pce_03_41.print_register, pce_03_41.COLUMNS),
    ]
    for name, build, printer, columns in targets:
        rows = build()
        printer(rows, result.run_date, week, run_dir / f"{name}.txt")
        rows.select(columns).write_parquet(run_dir / f"{name}.parquet", compression="zstd",
                                           compression_level=1)
        result.outputs[name] = run_dir / f"{name}.txt"

    name = "posting-3926"
    # Where each posted row is in rows03, and its deck: enough to cut the listing into parts.
    posted = rows03.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("at"), "deck_no",
                           "rejected").filter(~pl.col("rejected")).drop("rejected")
    parts, total_pages = listings.plan_listing(posted)
    with listings.ParquetParts(run_dir / f"{name}.parquet", plain=("line_no", "text")) as parquet:

        def posted03():
            for part in parts:
                start = length = 0  # the one part of an empty listing
                if part.length:
                    at = posted.get_column("at").slice(part.offset, part.length)
                    start, length = at[0], at[-1] - at[0] + 1
                rows = _deck_columns(run03.display(rows03, ~pl.col("rejected"), start=start,
                                                   length=length, headers_at=headers_at),
                                     decks, run_id)
                parquet.write(rows.select(pce_03_41.COLUMNS))
                yield rows

        pce_03_41.print_posting_chunks(posted03(), total_pages, result.run_date, week,
                                       run_dir / f"{name}.txt")
    result.outputs[name] = run_dir / f"{name}.txt"


LEDGER_SCHEMA = {"content_hash": pl.String, "deck": pl.String, "identity": pl.String,
                 "run_id": pl.String, "run_date": pl.Date, "status": pl.String,
                 "reason": pl.String, "records": pl.Int64}


def _ledger(previous: pl.DataFrame | None, result: RunResult, decks: list[Deck], run_id: str,
            run_date: dt.date) -> pl.DataFrame:
    hashes = iter(d.content_hash for d in decks)
    rows = []
    for o in result.decks:
        rows.append({"content_hash": next(hashes) if o.status == "accepted" else None,
                     "deck": Path(o.path).name, "identity": o.identity, "run_id": run_id,
                     "run_date": run_date,
                     "status": "posted" if o.status == "accepted" else o.status,
                     "reason": o.reason, "records": o.records})
    new = pl.DataFrame(rows, schema=LEDGER_SCHEMA)
    return new if previous is None else pl.concat([previous, new])


REGISTER_SCHEMA = {"run_id": pl.String, "run": pl.String, "deck": pl.String,
                   "deck_hash": pl.String, "line_no": pl.UInt32, "record_type": pl.String,
                   "control_number": pl.String, "error_codes": pl.List(pl.String),
                   "text": pl.String, "header_text": pl.String, "status": pl.String,
                   "opened": pl.Date,
                   "closed": pl.Date, "closed_by": pl.String, "reason": pl.String,
                   DECK_WEEK: pl.Date}


def _register(previous: pl.DataFrame | None, rows01: pl.DataFrame, rows03: pl.DataFrame,
              rows_ind: pl.DataFrame, run_date: dt.date, decks: list[Deck]) -> pl.DataFrame:
    """The open error register: every rejected record stays until corrected or withdrawn.
    Each entry keeps its deck's HDR week ending, the week a corrections deck must carry."""
    labelled = [rows01.with_columns(pl.lit(RUN_3927).alias("run")),
                rows03.with_columns(pl.lit(RUN_3926).alias("run")), rows_ind]
    weeks = pl.Series(DECK_WEEK, [d.week_ending for d in decks], pl.Date)
    new = pl.concat([
        _with_week(rows.filter("rejected"), weeks).select(
            "run_id", "run", "deck", "deck_hash", "line_no", "record_type",
            "control_number", "error_codes", "text", "header_text",
            pl.lit("open").alias("status"),
            pl.lit(run_date).alias("opened"), pl.lit(None, pl.Date).alias("closed"),
            pl.lit(None, pl.String).alias("closed_by"), pl.lit(None, pl.String).alias("reason"),
            DECK_WEEK)
        .cast(REGISTER_SCHEMA) for rows in labelled])
    if previous is None:
        return new
    missing = [pl.lit(None, t).alias(c) for c, t in REGISTER_SCHEMA.items()
               if c not in previous.columns]  # a register written before the column was added
    return pl.concat([previous.with_columns(missing).select(list(REGISTER_SCHEMA))
                      .cast(REGISTER_SCHEMA), new])


def _with_week(rows: pl.DataFrame, weeks: pl.Series) -> pl.DataFrame:
    """`rows` plus the HDR week ending of each row's deck (a gather by deck_no)."""
    return rows.with_columns(weeks.gather(rows.get_column("deck_no")))
