"""Sample selection as one plain function, `run_select`: decks of sample requests and
completed-work batches in, the days' pulls, the sampling log, the week's figures and findings
out, published as one store generation beside the weekly run's tables (or nothing is).

Order: refuse decks that fail control or were taken before; check every record (S01-S14;
S22/S24 against the requests in force and the weeks already short); the accepted requests join
the request history; for each week the batches are for, the pulls of each day (`plan`), then
the week's figures to date and the findings (`week`); conservation (records in = used + on the
register); the printed reports and their Parquet twins in the run folder; one generation.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.engine.machinery import intake
from pipelines.engine.machinery.conservation import conserve
from pipelines.engine.machinery.deck import Deck
from pipelines.engine.machinery.entries import extend_register
from pipelines.engine.machinery.intake import Posted, control, same_content
from pipelines.engine.machinery.register import differ, open_entries
from pipelines.engine.machinery.result import RunResult
from pipelines.engine.machinery.weeks import not_saturday_notes, saturday_of
from pipelines.engine.sampling import inputs, plan
from pipelines.engine.sampling import week as week_figures
from pipelines.engine.sampling.inputs import DECK_WEEK, SamplingReference
from pipelines.state import run_folder
from pipelines.state.store import Store
from validators import sampling as checks
from validators.codes import RUN_SAMPLING

TABLES = ("sample_requests", "sampling_log", "sampling_weeks", "work_batches")
REQUEST_SCHEMA = {
    "ssn": pl.String, "employee_name": pl.String, "qpc": pl.String, "grade": pl.String,
    "function_code": pl.String, "program_code": pl.String, "weekly_sample": pl.Int64,
    "effective_week": pl.Date, "change_approved": pl.String, "run_id": pl.String,
    "deck": pl.String, "line_no": pl.UInt32, "text": pl.String,
}
BATCH_SCHEMA = {
    "ssn": pl.String, "date_completed_v": pl.Date, "org_code": pl.String,
    "function_code": pl.String, "program_code": pl.String, "grade": pl.String,
    "batch_id": pl.String, "items_v": pl.Int64, "week_ending": pl.Date, "run_id": pl.String,
    "deck": pl.String, "line_no": pl.UInt32, "text": pl.String,
}
RECORD_TYPES = {checks.REQUEST: "sample_request", checks.BATCH: "work_batch"}


@dataclass
class SelectResult(RunResult):
    """`RunResult` (decks, codes, conservation, condition code) plus what selection made."""

    weeks: list[dt.date] = field(default_factory=list)
    pulls: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=plan.LOG_SCHEMA))
    items: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=plan.ITEM_SCHEMA))
    week_rows: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=week_figures.WEEK_SCHEMA))
    findings: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=week_figures.FINDING_SCHEMA))
    rejects: list[str] = field(default_factory=list)  # deck, line, code and why, per reject


def _empty(schema: dict) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


# Prints the run's reports into its run folder: (result, the weeks' log, open register
# entries, run folder) -> report name -> path. The engine computes; the operator layer passes
# `pipelines.reports.sampling_outputs.write_all`.
ReportWriter = Callable[["SelectResult", pl.DataFrame, pl.DataFrame, Path], dict[str, Path]]


def run_select(deck_paths: list[Path], data_dir: Path, reference: SamplingReference,
               write_reports: ReportWriter, run_date: dt.date | None = None,
               progress: Callable[[str], None] | None = None, corrections: bool = False
               ) -> SelectResult:
    """Select the pulls the decks call for; the caller holds no lock (this takes it). With
    `corrections`, the decks resend records from the open error register (`close_resent`)."""
    run_date = run_date or dt.date.today()
    say = progress or (lambda _msg: None)
    store = Store(data_dir)
    with intake.run_started(store, data_dir, run_date, "sample selection") as (published,
                                                                                 run_id):
        for note in run_folder.tidy(data_dir / "runs", set(published)):
            say(note)
        return _run_locked(deck_paths, data_dir, reference, run_date, say, store, run_id,
                           write_reports, corrections)


def _open(paths: list[Path], posted: Posted, result: SelectResult, refused: Path
          ) -> list[Deck]:
    """Control each deck; a refused one is copied to `refused` for resubmission, one whose
    records (in any order) were taken before is a duplicate."""
    return control(paths, result, refused,
                   same_content(posted, "nothing of it is used again"),
                   shown=str, refuse_bad_names=False)


def _read(store: Store, table: str, schema: dict) -> pl.DataFrame:
    frame = store.read(table)
    return _empty(schema) if frame is None else frame


def _run_locked(deck_paths: list[Path], data_dir: Path, reference: SamplingReference,
                run_date: dt.date, say: Callable[[str], None], store: Store, run_id: str,
                write_reports: ReportWriter, corrections: bool = False) -> SelectResult:
    result = SelectResult(run_id=run_id, run_date=run_date, week_ending=None, run_dir=None,
                          notes=list(reference.notes))
    if not reference.key:
        result.notes.append("no sampling key in the reference folder (sampling_key.txt): "
                            "start points are drawn from an empty key and can be foreseen")
    ledger = store.read("decks")
    say(f"run {run_id}: reading {len(deck_paths)} deck(s)")
    decks = _open(deck_paths, Posted.of(ledger), result, data_dir / "refused")
    result.notes += not_saturday_notes(decks, "its batches")
    rows = inputs.records(decks)
    requests, batches, other = inputs.split(rows)

    history = _read(store, "sample_requests", REQUEST_SCHEMA)
    seen = _read(store, "work_batches", BATCH_SCHEMA)
    requests = checks.with_codes(requests, [checks.request_flags(
        requests, reference.employees, reference.ofp)])
    found = checks.batch_flags(batches, reference.employees, reference.ofp,
                               seen.select("ssn", "batch_id"))
    batches = checks.with_codes(batches, [found, checks.work_group_flags(
        batches, found, reference.ofp, reference.hqw)])
    other = checks.with_codes(other, [checks.unknown_flags(other)])
    weeks_table = _read(store, "sampling_weeks", week_figures.WEEK_SCHEMA)
    requests, accepted = _request_changes(requests, history, weeks_table, run_id)
    history = pl.concat([history, accepted])

    new_batches = _batch_rows(batches.filter(~pl.col("rejected")), run_id)
    all_batches = pl.concat([seen, new_batches])
    result.weeks = sorted(set(new_batches["week_ending"].to_list()))
    result.week_ending = max(result.weeks, default=max(
        (saturday_of(d.week_ending) for d in decks), default=None))
    log = _select_weeks(result, history, all_batches, new_batches,
                        _read(store, "sampling_log", plan.LOG_SCHEMA), reference, say)
    weeks_table = pl.concat([weeks_table.filter(~pl.col("week_ending").is_in(result.weeks)),
                             result.week_rows])

    every = pl.concat([f.select("deck_no", "seq", "line_no", "text", "record_id", "deck",
                                "deck_hash", DECK_WEEK, "error_codes", "rejected")
                       for f in (requests, batches, other)]).sort("seq").pipe(_with_why)
    _count(result, every)
    conserve(result)

    run_dir = run_folder.start(data_dir / "runs", run_id)
    result.run_dir = run_dir
    gen = store.begin(run_id)
    gen.write("sample_requests", history)
    gen.write("work_batches", all_batches)
    gen.write("sampling_log", log)
    gen.write("sampling_weeks", weeks_table)
    gen.write("decks", intake.ledger(ledger, result, decks, None, run_id, run_date))
    register = _register(store.read("error_register"), every, run_id, run_date)
    if corrections:
        register = close_resent(register, every, run_id, run_date, result)
    still_open = open_entries(register, run_date)
    result.still_open = still_open.height
    say(f"writing the pull list, sampling log and week summary to {run_dir}")
    result.outputs.update(write_reports(
        result, log.filter(pl.col("week_ending").is_in(result.weeks)), still_open, run_dir))
    say(f"publishing generation {run_id}")
    gen.write("error_register", register)
    result.generation = gen.commit(note=f"sample selection {run_id}", extra={
        "condition_code": result.condition_code, "records_in": result.records_in,
        "used": result.posted, "rejected": result.rejected, "pulls": result.pulls.height})
    result.run_dir = run_folder.publish(run_dir)
    result.outputs = {k: result.run_dir / p.relative_to(run_dir)
                      for k, p in result.outputs.items()}
    return result


def _select_weeks(result: SelectResult, history: pl.DataFrame, all_batches: pl.DataFrame,
                  new_batches: pl.DataFrame, log: pl.DataFrame, reference: SamplingReference,
                  say: Callable[[str], None]) -> pl.DataFrame:
    """Each week's pulls, figures and findings into `result`, oldest week first; returns the
    whole log with the new pulls."""
    for week in result.weeks:
        say(f"week ending {week:%m/%d/%Y}: planning the pulls")
        pulls, items, rows, found = _select_week(week, history, all_batches, new_batches, log,
                                                 reference, result.run_id, result.run_date)
        log = pl.concat([log, pulls])
        result.pulls = pl.concat([result.pulls, pulls])
        result.items = pl.concat([result.items, items])
        result.week_rows = pl.concat([result.week_rows, rows])
        result.findings = pl.concat([result.findings, found])
    return log


def _request_changes(requests: pl.DataFrame, history: pl.DataFrame, weeks: pl.DataFrame,
                     run_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """S22/S24 on the otherwise valid requests, in deck order, each against the size in force
    for its employee and QPC before it (the history, then this run's earlier requests).
    Returns the requests with their codes and the accepted ones as history rows."""
    accepted: list[dict] = []
    extra: dict[int, list[str]] = {}
    past: dict[tuple, list[dict]] = {}
    for p in history.iter_rows(named=True):
        past.setdefault((p["ssn"], p["qpc"]), []).append(p)
    short = by_key(weeks.filter((pl.col("kind") == plan.IR) & (pl.col("short") > 0)),
                   "ssn", "qpc")
    for r in requests.filter(~pl.col("rejected")).sort("seq").iter_rows(named=True):
        week = saturday_of(r["effective_week_v"])
        key = (r["ssn"], r["qpc"])
        # the latest applying by then; of several from one week, the last taken
        prior = max((p for p in past.get(key, []) if p["effective_week"] <= week),
                    key=lambda p: p["effective_week"], default=None)
        shortfall = key in short and short[key].filter(
            plan.earlier_in_quarter("week_ending", week)).height > 0
        codes = checks.change_flags(r, prior, plan.quarter_week(week) == 1, shortfall)
        if codes:
            extra[r["seq"]] = codes
            continue
        row = {"ssn": r["ssn"], "employee_name": r["employee_name"].strip(), "qpc": r["qpc"],
               "grade": r["grade"], "function_code": r["function_code"],
               "program_code": r["program_code"], "weekly_sample": r["weekly_sample_v"],
               "effective_week": week, "change_approved": r["change_approved"],
               "run_id": run_id, "deck": r["deck"], "line_no": r["line_no"], "text": r["text"]}
        past.setdefault(key, []).append(row)
        accepted.append(row)
    if extra:
        more = pl.DataFrame({"seq": list(extra), "more": list(extra.values())},
                            schema={"seq": requests.schema["seq"], "more": pl.List(pl.String)})
        requests = requests.join(more, on="seq", how="left", maintain_order="left").with_columns(
            pl.concat_list("error_codes", pl.col("more").fill_null([])).list.sort()
            .alias("error_codes")).with_columns(
            (pl.col("error_codes").list.len() > 0).alias("rejected")).drop("more")
    return requests, pl.DataFrame(accepted, schema=REQUEST_SCHEMA)


def _batch_rows(batches: pl.DataFrame, run_id: str) -> pl.DataFrame:
    return batches.select(
        "ssn", "date_completed_v", "org_code", "function_code", "program_code", "grade",
        "batch_id", pl.col("items_v").cast(pl.Int64),
        pl.col(DECK_WEEK).alias("week_ending"), pl.lit(run_id).alias("run_id"), "deck",
        pl.col("line_no").cast(pl.UInt32), "text").cast(BATCH_SCHEMA)


def by_key(frame: pl.DataFrame, *key: str) -> dict[tuple, pl.DataFrame]:
    """`frame` split by the values of `key` (a tuple each): one pass instead of a filter per
    employee."""
    if frame.height == 0:
        return {}
    return frame.partition_by(*key, as_dict=True, maintain_order=True)


def in_force(history: pl.DataFrame, week: dt.date) -> pl.DataFrame:
    """Each employee and QPC's request in force in `week`: the latest one applying by then."""
    return (history.with_row_index("_order").filter(pl.col("effective_week") <= week)
            .sort("effective_week", "_order").group_by("ssn", "qpc", maintain_order=True)
            .last().drop("_order"))


def _select_week(week: dt.date, history: pl.DataFrame, all_batches: pl.DataFrame,
                 new_batches: pl.DataFrame, log: pl.DataFrame, reference: SamplingReference,
                 run_id: str, run_date: dt.date
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    ofp = reference.ofp.select(*checks.OFP_KEY, "qpc")
    hqw = reference.hqw.select(*checks.OFP_KEY, "grade", pl.lit(True).alias("hqw"))

    def enrich(frame: pl.DataFrame) -> pl.DataFrame:
        return (frame.filter(pl.col("week_ending") == week)
                .join(ofp, on=checks.OFP_KEY, how="left")
                .join(hqw, on=[*checks.OFP_KEY, "grade"], how="left")
                .with_columns(pl.col("hqw").fill_null(False),
                              pl.concat_str(*checks.OFP_KEY).alias("ofp")))

    batches_w, new_w = enrich(all_batches), enrich(new_batches)
    requests = in_force(history, week)
    week_log = log.filter(pl.col("week_ending") == week)
    ir_work = by_key(new_w.filter(~pl.col("hqw")), "ssn", "qpc")
    ir_log = by_key(week_log.filter(pl.col("kind") == plan.IR), "ssn", "qpc")
    demands = []
    for r in requests.sort("ssn", "qpc").iter_rows(named=True):
        work = ir_work.get((r["ssn"], r["qpc"]), new_w.clear())
        mine = ir_log.get((r["ssn"], r["qpc"]), week_log.clear())
        identity = {k: r[k] for k in ("ssn", "employee_name", "qpc", "function_code",
                                      "program_code", "grade")} | {"ofp": ""}
        demands.append(plan.Demand(plan.IR, r["ssn"], r["weekly_sample"],
                                   int(mine["pulled"].sum()), identity, work,
                                   _last_time(log.filter((pl.col("kind") == plan.IR)
                                                         & (pl.col("ssn") == r["ssn"])))))
    hqw_demands = []
    for h in (reference.hqw.select(pl.concat_str(*checks.OFP_KEY).alias("ofp"), "grade")
              .unique("ofp", keep="first").sort("ofp").iter_rows(named=True)):
        done = log.filter((pl.col("kind") == plan.HQW) & (pl.col("ofp") == h["ofp"]))
        before = int(done.filter(plan.earlier_in_quarter("week_ending", week))["pulled"].sum())
        mine = done.filter(pl.col("week_ending") == week)
        target = plan.hqw_week_target(week, before)
        hqw_demands.append({"ofp": h["ofp"], "grade": h["grade"], "target": target,
                            "quarter_before": before})
        identity = {"ssn": "", "employee_name": "", "qpc": "", "function_code": h["ofp"][5:8],
                    "program_code": h["ofp"][8:], "grade": h["grade"], "ofp": h["ofp"]}
        work = new_w.filter(pl.col("hqw") & (pl.col("ofp") == h["ofp"]))
        demands.append(plan.Demand(plan.HQW, h["ofp"], target, int(mine["pulled"].sum()),
                                   identity, work, _last_time(done)))
    days = sorted(set(new_w["date_completed_v"].to_list()))
    known_to = plan.known_through(run_date,
                                  max(batches_w["date_completed_v"].to_list(), default=None))
    cursor = plan.Cursor.resume(reference.key, week, log)
    first = int(week_log["pull_no"].max() or 0)
    pulls, items = plan.plan_days(demands, days, week, known_to, cursor, first, run_id)
    pulls_f = pl.DataFrame(pulls, schema=plan.LOG_SCHEMA) if pulls else _empty(plan.LOG_SCHEMA)
    items_f = (pl.DataFrame(items, schema=plan.ITEM_SCHEMA) if items
               else _empty(plan.ITEM_SCHEMA))
    rows, found = week_figures.figures(week, requests, batches_w,
                                       pl.concat([week_log, pulls_f]), hqw_demands, known_to)
    return pulls_f, items_f, rows, found


def _last_time(pulls: pl.DataFrame) -> str | None:
    """The suggested time of the last pull in the sampling log (any week): the next pull day's
    time must differ from it, across a week boundary too (3.30.28.2.2(5)(b))."""
    if pulls.height == 0:
        return None
    return pulls.sort("pull_date", "week_ending", "pull_no")["suggested_time"][-1]


def _with_why(every: pl.DataFrame) -> pl.DataFrame:
    """`every` plus `whys` (for a rejected record, each code's field, columns, value and what
    was expected: `checks.why`) and `sub_reason`, the register's text: the whys joined by
    "; " (null for a record used)."""
    whys = [[checks.why(text, code, week) for code in codes] if rejected else []
            for text, codes, week, rejected in every.select(
                "text", "error_codes", DECK_WEEK, "rejected").iter_rows()]
    return every.with_columns(pl.Series("whys", whys, pl.List(pl.String))).with_columns(
        pl.when("rejected").then(pl.col("whys").list.join("; ")).alias("sub_reason"))


def _count(result: SelectResult, every: pl.DataFrame) -> None:
    result.rejects = [f"{deck}, line {line}: {code} {why}" for deck, line, codes, whys in
                      every.filter("rejected").select("deck", "line_no", "error_codes", "whys")
                      .iter_rows() for code, why in zip(codes, whys, strict=True)]
    accepted = [o for o in result.decks if o.status == "accepted"]
    for i, outcome in enumerate(accepted):
        mine = every.filter(pl.col("deck_no") == i)
        outcome.rejected = int(mine["rejected"].sum())
        outcome.posted = mine.height - outcome.rejected
    result.codes[RUN_SAMPLING] = Counter(every["error_codes"].explode().drop_nulls().to_list())
    if result.findings.height:
        result.codes[f"{RUN_SAMPLING} findings"] = Counter(result.findings["code"].to_list())


def record_key(text: pl.Expr) -> pl.Expr:
    """What identifies the record a resent one replaces: a batch by record type, SSN and batch
    identifier; a request by record type, SSN, QPC and the week it applies from; any other
    record by its whole text."""
    return (pl.when(text.str.starts_with(checks.BATCH))
            .then(text.str.slice(0, 12) + text.str.slice(35, 10))
            .when(text.str.starts_with(checks.REQUEST))
            .then(text.str.slice(0, 12) + text.str.slice(32, 3) + text.str.slice(49, 8))
            .otherwise(text))


def close_resent(register: pl.DataFrame, every: pl.DataFrame, run_id: str,
                 run_date: dt.date, result: SelectResult) -> pl.DataFrame:
    """A corrections run: each record it resends stands for one open SAMPLING entry of an
    earlier run with its key (`record_key`), the most alike (fewest differing columns) first.
    That entry closes as `corrected` when the record was used, or as `resubmitted` when it was
    rejected again (the new entry, with today's codes, stands for it), as the weekly
    reprocess does. A correction that changes the key (a wrong SSN) finds no entry: withdraw
    it."""
    rows = register.with_row_index("_row").filter(
        (pl.col("run") == RUN_SAMPLING) & (pl.col("status") == "open")
        & (pl.col("run_id") != run_id)).select("_row", "text",
                                              record_key(pl.col("text")).alias("_key"))
    open_by_key: dict[str, list[tuple[int, str]]] = {}
    for row, text, key in rows.iter_rows():
        open_by_key.setdefault(key, []).append((row, text))
    status: dict[int, str] = {}
    resent = every.select("rejected", "text", record_key(pl.col("text")).alias("_key"))
    for rejected, text, key in resent.sort("rejected").iter_rows():
        free = [(r, t) for r, t in open_by_key.get(key, []) if r not in status]
        if free:
            row = min(free, key=lambda e: (differ(e[1], text), e[0]))[0]
            status[row] = "resubmitted" if rejected else "corrected"
    result.corrected = sum(v == "corrected" for v in status.values())
    result.resubmitted = len(status) - result.corrected
    if not status:
        return register
    marks = pl.DataFrame({"_row": list(status), "_status": list(status.values())},
                         schema={"_row": pl.UInt32, "_status": pl.String})
    hit = pl.col("_status").is_not_null()
    return register.with_row_index("_row").join(marks, on="_row", how="left",
                                                maintain_order="left").with_columns(
        pl.coalesce("_status", "status").alias("status"),
        pl.when(hit).then(pl.lit(run_date)).otherwise("closed").alias("closed"),
        pl.when(hit).then(pl.lit(run_id)).otherwise("closed_by").alias("closed_by"),
    ).drop("_row", "_status")


def _register(previous: pl.DataFrame | None, every: pl.DataFrame, run_id: str,
              run_date: dt.date) -> pl.DataFrame:
    """The open error register with this run's rejected records added (run SAMPLING)."""
    new = every.filter("rejected").select(
        pl.lit(run_id).alias("run_id"), pl.lit(RUN_SAMPLING).alias("run"), "deck", "deck_hash",
        "line_no", pl.col("record_id").replace_strict(RECORD_TYPES, default="unknown",
                                                      return_dtype=pl.String)
        .alias("record_type"), pl.lit("").alias("control_number"), "error_codes", "text",
        pl.lit(None, pl.String).alias("header_text"), pl.lit("open").alias("status"),
        pl.lit(run_date).alias("opened"), pl.lit(None, pl.Date).alias("closed"),
        pl.lit(None, pl.String).alias("closed_by"), pl.lit(None, pl.String).alias("reason"),
        DECK_WEEK, "sub_reason")
    return extend_register(previous, new)
