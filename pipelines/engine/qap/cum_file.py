"""The Cumulative Data File (IRM 3.30.28.4.4.4-3.30.28.4.4.5; rules.md "Cumulative Data File").

Two Parquet-ready frames, kept per fiscal quarter (October-December is Q1 of the next fiscal
year; a quarter is labelled like ``2027Q1``) and OFP:

* ``cum_ofp``, one row per quarter and OFP (CUM_OFP_SCHEMA): number sampled, defective documents,
  total defects, defect percent (defective / sampled x 100, rounded half up to 2 decimals, null
  when nothing was sampled), the quality standard in force (NNnn hundredths of a percent, stored
  as 100 with ``below_minimum`` true when the standard sent was below 1.00), and the dates of the
  last posting and the last adjustment. ``below_minimum`` is one column more than the figures
  the IRM names: the listing prints ``*`` from it (rules.md "Quality Standard File").
* ``cum_defects``, one row per quarter, OFP and defect code (CUM_DEFECTS_SCHEMA): the number of
  defects charged to the code. A code whose defects an adjustment brings to 0 keeps its row.
  ``total_defects`` of an OFP is always the sum of its codes' ``defects``.

Order of a weekly run 03 (rules.md): post this run's accepted reviews (`post_reviews`), then check
the adjustment documents against the file as it then stands (`second_adjustment` for code 19
across runs, `check_adjustments` for 26-33), drop every document that carries any code
(`accepted_adjustments`) and post the rest (`post_adjustments`); `post_run` does all of it.
Documents run 03 already rejected are checked as well (every code found is reported) but never
post and never count toward the documents after them.
Adjustments change only this file, never individual data (IRM 3.30.28.4.4.5(6)).

Flags of this module are ``(deck_no, line_no, code)`` (validators.adjustments.LINE_FLAG_SCHEMA):
the adjustments frame of run 03 carries deck and line, not the record ``seq``; join on
``deck_no``/``line_no`` to the run's records to get it. Which line of a document carries which
code is set out in `validators.adjustments` (PLACEMENT).

>>> import datetime as dt
>>> fiscal_quarter(dt.date(2026, 11, 14)), fiscal_quarter(dt.date(2026, 1, 3))
('2027Q1', '2026Q2')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from pipelines.engine.qap import ordered
from validators import adjustments as adj

OFP = ["org_code", "function_code", "program_code"]
KEYS = ["fiscal_quarter", *OFP]
FIGURES = ["sampled", "defective", "total_defects"]

CUM_OFP_SCHEMA = {
    "fiscal_quarter": pl.String, "org_code": pl.String, "function_code": pl.String,
    "program_code": pl.String, "sampled": pl.Int64, "defective": pl.Int64,
    "total_defects": pl.Int64, "defect_percent": pl.Float64, "quality_standard": pl.Int32,
    "below_minimum": pl.Boolean, "last_posted": pl.Date, "last_adjusted": pl.Date,
}
CUM_DEFECTS_SCHEMA = {
    "fiscal_quarter": pl.String, "org_code": pl.String, "function_code": pl.String,
    "program_code": pl.String, "defect_code": pl.String, "defects": pl.Int64,
}
# One row per adjustment document of a run (its header): run 03's `adjustment_documents`.
DOCUMENT_SCHEMA = {
    "unit": pl.UInt32, "deck_no": pl.UInt16, "line_no": pl.UInt32, "week_ending": pl.Date,
    "org_code": pl.String, "function_code": pl.String, "program_code": pl.String,
    "rejected": pl.Boolean,
}
# One row per adjustment document that posted: the half of code 19 that spans runs reads it.
ADJUSTMENT_LEDGER_SCHEMA = {
    "org_code": pl.String, "function_code": pl.String, "program_code": pl.String,
    "week_ending": pl.Date, "run_id": pl.String,
}


def empty() -> tuple[pl.DataFrame, pl.DataFrame]:
    """An empty Cumulative Data File: (cum_ofp, cum_defects)."""
    return pl.DataFrame(schema=CUM_OFP_SCHEMA), pl.DataFrame(schema=CUM_DEFECTS_SCHEMA)


def empty_adjustment_ledger() -> pl.DataFrame:
    return pl.DataFrame(schema=ADJUSTMENT_LEDGER_SCHEMA)


# ----------------------------------------------------------------------------- fiscal quarter


def fiscal_quarter(day: dt.date) -> str:
    """``YYYYQn`` of the fiscal year (October-September, named for the year it ends in)."""
    if day.month >= 10:
        return f"{day.year + 1}Q1"
    return f"{day.year}Q{(day.month - 1) // 3 + 2}"


def fiscal_quarter_expr(day: str | pl.Expr) -> pl.Expr:
    """Polars twin of `fiscal_quarter` for a Date column or expression (null stays null)."""
    d = pl.col(day) if isinstance(day, str) else day
    month = d.dt.month().cast(pl.Int32)
    year = d.dt.year().cast(pl.Int32) + (month >= 10).cast(pl.Int32)
    quarter = pl.when(month >= 10).then(1).otherwise((month - 1) // 3 + 2)
    return pl.format("{}Q{}", year, quarter).alias("fiscal_quarter")


# ----------------------------------------------------------------------------- shared


def defect_percent_expr() -> pl.Expr:
    """defective / sampled x 100 rounded half up to hundredths (integer arithmetic, exact)."""
    s, d = pl.col("sampled"), pl.col("defective")
    hundredths = (d * 20_000 + s) // (2 * s)
    return pl.when(s > 0).then(hundredths / 100).otherwise(None).alias("defect_percent")


def _finish_ofp(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(defect_percent_expr()).select(
        [pl.col(c).cast(t) for c, t in CUM_OFP_SCHEMA.items()])


def _finish_defects(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([pl.col(c).cast(t) for c, t in CUM_DEFECTS_SCHEMA.items()])


def sort_key(keys: list[str]) -> pl.Expr:
    # \x01 sorts below every character a key holds, so the joined string sorts as the tuple.
    return pl.concat_str(keys, separator="\x01").alias("_key")


def _upsert(cum: pl.DataFrame, add: pl.DataFrame, keys: list[str], update: list[pl.Expr],
            finish) -> pl.DataFrame:
    """`cum` with `add` (keys + amounts) posted: the rows both have are updated in place, the new
    ones are merged in, in key order. Columns of `add` are seen by `update` as ``<name>_add``,
    plus ``_hit`` (True on a row `add` touches). Sorting only the new rows and merging keeps a
    big file cheap to update (a full re-sort of 400,000 rows costs more than the whole post)."""
    key = sort_key(keys)
    add = add.rename({c: f"{c}_add" for c in add.columns if c not in keys}).with_columns(
        key, pl.lit(True).alias("_hit"))
    cum = cum.with_columns(key)
    # One joined string key hashes faster than five columns, and is the merge key below.
    if cum.height:
        old = cum.join(add.drop(keys), on="_key", how="left", maintain_order="left")
    else:  # a new file: its columns alone (joined, the empty file hashed all of `add`)
        old = cum.with_columns(pl.lit(None, t).alias(c) for c, t in add.drop(keys).schema.items()
                               if c != "_key")
    # The new rows: all of `add` when none is on file (a new quarter, or a new file), which
    # copies nothing; else those not on file. In key order when the run's sums were.
    on_file = int(old["_hit"].sum()) if old.height else 0
    new = add if on_file == 0 else add.join(cum.select("_key"), on="_key", how="anti",
                                            maintain_order="left")
    del add, cum
    # `old`'s columns, then the others of `new` (as a diagonal concat, which would copy them)
    new = new.with_columns(pl.lit(None, t).alias(c) for c, t in old.schema.items()
                           if c not in new.columns).select(
        *old.columns, *[c for c in new.columns if c not in old.columns])
    # `finish` keeps the row order: the key columns computed above still line up.
    old = finish(old.with_columns(update)).with_columns(old["_key"])
    new = finish(new.with_columns(update)).with_columns(new["_key"])
    if not new["_key"].is_sorted():
        new = new.sort("_key")
    if old.height == 0:  # a new file: its rows are the new ones, in one chunk as a merge's
        return new.drop("_key").rechunk()
    if not old["_key"].is_sorted():
        old = old.sort("_key")
    return old.merge_sorted(new, key="_key").drop("_key")


def set_quality_standards(cum_ofp: pl.DataFrame, quality_standards: pl.DataFrame,
                          quarters: Iterable[str] | None = None) -> pl.DataFrame:
    """Refresh ``quality_standard``/``below_minimum`` from the Quality Standard File.

    The file (org_code ``NN000``, function_code, program_code, standard, below_minimum) holds a
    standard per organization prefix: it applies to every OFP whose organization starts with
    ``NN`` (as code 06 matches a 3926-A). Only rows of `quarters` change (all rows when None), so
    a closed quarter keeps the standard it had; an OFP with no standard on file gets null.
    """
    qs = quality_standards.select(
        pl.col("org_code").str.slice(0, 2).alias("_org2"), "function_code", "program_code",
        pl.col("standard").cast(pl.Int32).alias("_standard"),
        (pl.col("below_minimum") if "below_minimum" in quality_standards.columns
         else pl.col("standard") < 100).cast(pl.Boolean).alias("_below"))
    hit = (pl.lit(True) if quarters is None
           else pl.col("fiscal_quarter").is_in(pl.Series(list(quarters), dtype=pl.String)
                                               .implode()))
    joined = cum_ofp.with_columns(pl.col("org_code").str.slice(0, 2).alias("_org2")).join(
        qs, on=["_org2", "function_code", "program_code"], how="left", maintain_order="left")
    return _finish_ofp(joined.with_columns(
        pl.when(hit).then("_standard").otherwise("quality_standard").alias("quality_standard"),
        pl.when(hit).then("_below").otherwise("below_minimum").alias("below_minimum")))


# ----------------------------------------------------------------------------- reviews


def review_figures() -> list[pl.Expr]:
    """Aggregations of review lines into sampled, defective and defects (a group's lines).

    Number sampled and defective come from each transaction's first line (``starts``); a blank
    counts 0. Unit/group (``#``) transactions count like any other, except that one with a
    blank sample counts its defective documents as its sample: they were taken out of the
    employee's sample (IRM 3.30.28.4.4.3, whose table records 3 sampled to the unit and 15 in
    all while the form leaves the unit's sample blank). Only a transaction without an SSN can
    have a blank sample (an SSN needs one: 12). Defects count on lines with a code.
    """
    sampled = pl.col("sampled").fill_null(pl.col("defective"))
    return [pl.when("starts").then(sampled).sum().alias("sampled"),
            pl.when("starts").then("defective").sum().alias("defective"),
            pl.when(pl.col("defect_code").is_not_null()).then("defects").sum().alias("defects")]


def review_totals(reviews: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What a run's accepted review lines add: (per quarter and OFP, per quarter/OFP/code).
    The figures are `review_figures`."""
    # One pass over the lines, per week and code (a line without a code is the null code); the
    # quarter is then worked out per week, not per line, and the OFP totals come from the result.
    return totals_of_weeks(reviews.lazy().group_by("week_ending", *OFP, "defect_code").agg(
        review_figures()))


def totals_of_weeks(weekly: pl.LazyFrame | pl.DataFrame | list[pl.DataFrame]
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`review_totals` from the lines' figures per week ending, OFP and code (the null code
    for lines without one): sampled, defective, defects (`review_sums` holds them). A list
    handed in (one frame) is emptied: the frame is let go as the totals are made."""
    held = weekly if isinstance(weekly, list) else None
    frame = held[-1] if held is not None else weekly
    one_week = _one_week_per_quarter(frame.lazy())
    lines = frame.lazy().with_columns(fiscal_quarter_expr("week_ending"))
    ofp = lines.group_by(KEYS).agg(pl.col("sampled", "defective").sum(),
                                   pl.col("defects").sum().alias("total_defects"))
    if held is not None and one_week:
        ofp_add = ofp.collect()
        del frame, lines, ofp
        return ofp_add, _code_rows(held)
    codes = lines.filter(pl.col("defect_code").is_not_null()).select(
        *KEYS, "defect_code", "defects")
    if not one_week:  # else a row per week ending is one per quarter
        codes = codes.group_by(*KEYS, "defect_code").agg(pl.col("defects").sum())
    if held is not None:
        held.clear()
    del frame, lines
    ofp_add, codes_add = pl.collect_all([ofp, codes])
    kept = [codes_add]
    del codes_add
    return ofp_add, ordered.remade(kept, lambda column: column.rechunk())


def _code_rows(held: list[pl.DataFrame]) -> pl.DataFrame:
    """The code rows to add (quarter, OFP, code, defects) of figures per week ending, OFP and
    code that carry one week ending per quarter: their rows with a code, the week ending
    turned into its quarter, made a column at a time as the figures' own columns are let go
    (`held` is emptied). At the 4M week's 1.09 million keys the figures and the rows were
    held together (+110 MiB, mostly the text columns' 16-byte views)."""
    frame = held.pop().select("week_ending", *OFP, "defect_code", "defects")
    coded = frame.get_column("defect_code").is_not_null()
    columns = []
    for name in frame.columns:
        column = frame.get_column(name).filter(coded)
        frame = frame.drop(name)
        if name == "week_ending":
            column = column.to_frame().select(fiscal_quarter_expr("week_ending")).to_series()
        columns.append(column.rechunk())
        del column
    return pl.DataFrame(columns)


def _one_week_per_quarter(weekly: pl.LazyFrame) -> bool:
    """The lines' figures per week ending, OFP and code (one row per key) carry one week
    ending per quarter: summed per quarter they stay one row per key, so the group-by of a
    million rows (+190 MiB at 1.09 million) is left out. Checked on the few dates."""
    dates = weekly.select(pl.col("week_ending").unique()).with_columns(
        fiscal_quarter_expr("week_ending")).collect()
    return dates["fiscal_quarter"].n_unique() == dates.height


def post_reviews(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame, reviews: pl.DataFrame,
                 run_date: dt.date, *, quality_standards: pl.DataFrame | None = None
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add a run's accepted review lines (run 03 ``reviews``) to the quarter of their week ending.

    Creates the OFP and defect-code rows a quarter does not have yet; sets ``last_posted`` to
    `run_date` on every OFP row the run adds to. With `quality_standards`, the standards of the
    quarters posted to are refreshed (`set_quality_standards`).
    """
    return post_totals(cum_ofp, cum_defects, review_totals(reviews), run_date,
                       quality_standards=quality_standards)


def post_totals(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame,
                totals: tuple[pl.DataFrame, pl.DataFrame], run_date: dt.date, *,
                quality_standards: pl.DataFrame | None = None
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`post_reviews` of the reviews' `review_totals` (or `totals_of_weeks`)."""
    ofp_add, codes_add = totals
    new_ofp = _upsert(cum_ofp, ofp_add, KEYS, [
        *[(pl.col(c).fill_null(0) + pl.col(f"{c}_add").fill_null(0)).alias(c) for c in FIGURES],
        pl.when(pl.col("_hit").fill_null(False)).then(pl.lit(run_date, pl.Date))
        .otherwise("last_posted").alias("last_posted")], _finish_ofp)
    if quality_standards is not None and ofp_add.height:
        new_ofp = set_quality_standards(new_ofp, quality_standards,
                                        ofp_add["fiscal_quarter"].unique().to_list())
    new_defects = _upsert(cum_defects, codes_add, [*KEYS, "defect_code"], [
        (pl.col("defects").fill_null(0) + pl.col("defects_add").fill_null(0)).alias("defects")],
        _finish_defects)
    return new_ofp, new_defects


# ----------------------------------------------------------------------------- adjustments


def _deltas(adjustments: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per document (unit): quarter, OFP, week ending and the summed deltas (blank = 0);
    per document and defect code: the code's summed defects delta."""
    lines = adjustments.lazy().with_columns(fiscal_quarter_expr("week_ending"))
    docs = lines.group_by("unit").agg(
        pl.col(*KEYS, "week_ending").first(),
        pl.col("sampled_delta").sum().alias("d_sampled"),
        pl.col("defective_delta").sum().alias("d_defective"),
        pl.col("defects_delta").sum().alias("d_total_defects")).sort("unit")
    codes = (lines.filter(pl.col("defect_code").is_not_null())
             .group_by("unit", "defect_code")
             .agg(pl.col(*KEYS).first(), pl.col("defects_delta").sum().alias("d_defects"))
             .sort("unit", "defect_code"))
    docs_f, codes_f = pl.collect_all([docs, codes])
    return docs_f, codes_f


def _figures_after(docs: pl.DataFrame, codes: pl.DataFrame, out: list[int]
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each document's cumulative figures after it posts, on top of the documents before it (in
    deck order, same quarter and OFP) that are not in `out`."""
    active = ~pl.col("unit").is_in(pl.Series(out, dtype=docs["unit"].dtype).implode())

    def after(base: str, delta: str, group: list[str]) -> pl.Expr:
        own = pl.col(delta)
        counted = pl.when(active).then(own).otherwise(0)
        prior = counted.cum_sum().over(group) - counted
        return (pl.col(base).fill_null(0) + prior + own).alias(base)

    doc_fig = docs.with_columns(
        *[after(c, f"d_{c}", KEYS) for c in FIGURES]).with_row_index("seq")
    code_fig = codes.with_columns(
        after("defects", "d_defects", [*KEYS, "defect_code"])).with_row_index("seq")
    return doc_fig, code_fig


def check_adjustments(adjustments: pl.DataFrame, cum_ofp: pl.DataFrame,
                      cum_defects: pl.DataFrame, *, rejected: Iterable[int] = ()
                      ) -> pl.DataFrame:
    """Codes 26-33 for run 03's accepted adjustment lines -> (deck_no, line_no, code).

    Pass the file as it stands after this run's reviews posted. Documents are taken in deck order
    (``unit``): each is checked on top of the earlier documents for the same quarter and OFP that
    pass, so what finally posts can never drive a figure negative. Documents in `rejected` (e.g.
    flagged 19 by `second_adjustment`) are checked too but never count toward later ones.
    Line placement: `validators.adjustments` (PLACEMENT).
    """
    if adjustments.height == 0:
        return adj.no_line_flags()
    docs, codes = _deltas(adjustments)
    docs = docs.join(
        cum_ofp.select(*KEYS, *FIGURES, pl.lit(True).alias("on_file")), on=KEYS, how="left"
    ).with_columns(pl.col("on_file").fill_null(False)).sort("unit")
    codes = codes.join(
        _rows_of(cum_defects, codes, [*KEYS, "defect_code"]).select(
            *KEYS, "defect_code", "defects", pl.lit(True).alias("code_on_file")),
        on=[*KEYS, "defect_code"], how="left",
    ).with_columns(pl.col("code_on_file").fill_null(False)).sort("unit", "defect_code")

    out = sorted(set(rejected))
    while True:
        doc_fig, code_fig = _figures_after(docs, codes, out)
        doc_flags = adj.document_flags(doc_fig).join(
            doc_fig.select("seq", "unit"), on="seq").select("unit", "code")
        code_flags = adj.code_flags(code_fig).join(
            code_fig.select("seq", "unit", "defect_code"), on="seq").select(
            "unit", "defect_code", "code")
        flagged = pl.concat([doc_flags["unit"], code_flags["unit"]]).unique()
        new = docs.filter(pl.col("unit").is_in(flagged.implode())
                          & ~pl.col("unit").is_in(pl.Series(out, dtype=docs["unit"].dtype)
                                                  .implode()))
        if new.height == 0:
            break
        # The first newly flagged document of each quarter/OFP was checked on an exact footing
        # (everything before it is settled): it is rejected; the ones after it are checked again.
        out += new.group_by(KEYS).agg(pl.col("unit").min())["unit"].to_list()
    return adj.place(doc_flags, code_flags, adjustments)


def _rows_of(cum: pl.DataFrame, wanted: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The rows of `cum` (a file of a million code rows) with the `keys` of `wanted` (a run's
    few hundred adjustment documents): a semi join hashes the few keys, where joining the
    documents to the whole file hashed and copied it (+210 MiB at 1.09 million rows). It
    joins the rows `_narrowed` to the few that can match."""
    wanted = wanted.select(keys).unique()
    return _narrowed(cum, wanted, keys).join(wanted, on=keys, how="semi",
                                             maintain_order="left")


def _narrowed(cum: pl.DataFrame, wanted: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The rows of `cum` each of whose `keys` is a value that column has in `wanted`, in
    order: every row a join of them with `wanted` can match (a null matches nothing in
    either), found by a mask per column. A join of the whole file on five text columns
    encoded every row's keys (+63-66 MiB at 1.09 million rows); these masks are bits."""
    return cum.filter(*[pl.col(k).is_in(wanted.get_column(k).drop_nulls().implode())
                        for k in keys])


def second_adjustment(documents: pl.DataFrame, adjustment_ledger: pl.DataFrame | None
                      ) -> pl.DataFrame:
    """Code 19 across runs -> (deck_no, line_no, code) on the document's header, where run 03
    puts the 19 of a second document within one run.

    `documents` (DOCUMENT_SCHEMA, rejected ones included: every code found is reported) whose
    OFP and week ending already posted an adjustment in an earlier run (`adjustment_ledger`:
    ADJUSTMENT_LEDGER_SCHEMA).
    """
    if documents.height == 0 or adjustment_ledger is None or adjustment_ledger.height == 0:
        return adj.no_line_flags()
    found = adj.posted_in_earlier_run(documents, adjustment_ledger)
    return (documents.join(found, on="unit").select(adj.LINE_FLAG_SCHEMA.keys())
            .cast(adj.LINE_FLAG_SCHEMA).sort("deck_no", "line_no"))


def checkable(documents: pl.DataFrame) -> pl.Expr:
    """Documents whose quarter and OFP can be read: a week ending that is a date and an OFP of
    digits. The others (already rejected: 03-06, 36) have no Cumulative Data File row to
    check against, so 26-33 would say nothing true about them."""
    ofp = pl.all_horizontal(pl.col(c).str.contains(f"^[0-9]{{{n}}}$")
                            for c, n in zip(OFP, (5, 3, 5), strict=True))
    return pl.col("unit").is_in(documents.filter(
        pl.col("week_ending").is_not_null() & ofp.fill_null(False))["unit"].implode())


def flagged_documents(adjustments: pl.DataFrame, line_flags: pl.DataFrame) -> pl.Series:
    """The documents (``unit``) with at least one flagged line."""
    lines = line_flags.select("deck_no", "line_no").cast(
        {"deck_no": adjustments["deck_no"].dtype, "line_no": adjustments["line_no"].dtype})
    return adjustments.join(lines, on=["deck_no", "line_no"], how="semi")["unit"].unique()


def accepted_adjustments(adjustments: pl.DataFrame, line_flags: pl.DataFrame) -> pl.DataFrame:
    """The adjustment lines of the documents none of whose lines carries a flag (a document is
    rejected whole)."""
    bad = flagged_documents(adjustments, line_flags)
    return adjustments.filter(~pl.col("unit").is_in(bad.implode()))


def post_adjustments(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame,
                     adjustments_ok: pl.DataFrame, run_date: dt.date
                     ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the signed deltas of documents that passed every check; ``last_adjusted`` =
    `run_date` on their OFP rows. ``total_defects`` moves by the sum of the defects deltas.

    Raises ValueError when a document has no row to adjust or would drive a figure negative:
    only documents that passed `check_adjustments` may be posted.
    """
    if adjustments_ok.height == 0:
        return cum_ofp, cum_defects
    docs, codes = _deltas(adjustments_ok)
    ofp_add = docs.group_by(KEYS).agg([pl.col(f"d_{c}").sum() for c in FIGURES])
    code_add = codes.group_by(*KEYS, "defect_code").agg(pl.col("d_defects").sum())
    missing = (ofp_add.join(cum_ofp, on=KEYS, how="anti").height
               + code_add.join(_rows_of(cum_defects, code_add, [*KEYS, "defect_code"]),
                               on=[*KEYS, "defect_code"], how="anti").height)
    if missing:
        raise ValueError(f"{missing} adjustment(s) name a quarter/OFP or defect code with no "
                         "cumulative row; post only documents that passed check_adjustments")
    hit = pl.col("_hit").fill_null(False)
    new_ofp = _finish_ofp(cum_ofp.join(
        ofp_add.with_columns(pl.lit(True).alias("_hit")), on=KEYS, how="left",
        maintain_order="left",
    ).with_columns(
        *[(pl.col(c) + pl.col(f"d_{c}").fill_null(0)).alias(c) for c in FIGURES],
        pl.when(hit).then(pl.lit(run_date, pl.Date)).otherwise("last_adjusted")
        .alias("last_adjusted")))
    new_defects = _finish_defects(_added(cum_defects, code_add, [*KEYS, "defect_code"],
                                        "defects", "d_defects"))
    negative = (new_ofp.filter(pl.any_horizontal(pl.col(FIGURES) < 0)).height
                + int((new_defects["defects"] < 0).sum()))
    if negative:
        raise ValueError(f"{negative} cumulative row(s) would go negative; post only documents "
                         "that passed check_adjustments")
    return new_ofp, new_defects


def _added(cum: pl.DataFrame, add: pl.DataFrame, keys: list[str], column: str, delta: str
           ) -> pl.DataFrame:
    """`cum` with `add`'s `delta` (one row per key, every key in `cum`) added to `column` of
    its rows: the rows hit are found by row number and only the column is made anew, where a
    left join of the file to the few deltas copied every column of every row."""
    rows = _narrowed(cum.select(keys).with_row_index("_row"), add, keys)
    hit = rows.join(add.select(*keys, delta), on=keys, how="inner").sort("_row")
    deltas = pl.zeros(cum.height, cum.schema[column], eager=True).scatter(hit["_row"],
                                                                          hit[delta])
    return cum.with_columns(pl.col(column) + deltas)


def adjustment_ledger_entries(adjustments_ok: pl.DataFrame, run_id: str) -> pl.DataFrame:
    """Ledger rows (ADJUSTMENT_LEDGER_SCHEMA) for the documents this run posted."""
    return (adjustments_ok.group_by("unit", maintain_order=True)
            .agg(pl.col(*OFP, "week_ending").first())
            .select(*OFP, "week_ending", pl.lit(run_id).alias("run_id"))
            .cast(ADJUSTMENT_LEDGER_SCHEMA).unique(maintain_order=True))


# ----------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class CumPosting:
    cum_ofp: pl.DataFrame
    cum_defects: pl.DataFrame
    flags: pl.DataFrame  # (deck_no, line_no, code): 19 across runs and 26-33
    adjustment_ledger: pl.DataFrame  # the ledger with this run's posted documents added


def post_run(cum_ofp: pl.DataFrame, cum_defects: pl.DataFrame,
             review_sums: pl.DataFrame | list[pl.DataFrame],
             adjustments: pl.DataFrame, adjustment_ledger: pl.DataFrame | None,
             run_date: dt.date, run_id: str, *, documents: pl.DataFrame,
             quality_standards: pl.DataFrame | None = None,
             standard_weeks: Iterable[dt.date] = ()) -> CumPosting:
    """Run 03's part of the Cumulative Data File, in rules.md order: post the reviews, check the
    adjustment documents (19 across runs, 26-33), post the documents that carry no code.

    `review_sums` are the run's accepted review lines summed per week ending, OFP and code
    (`review_sums.of_lines`; the columns `totals_of_weeks` reads).

    `adjustments` holds the lines of every document in `documents` (DOCUMENT_SCHEMA), those run
    03 rejected too: they are checked, so their register entries show every code, but they
    never post nor count toward the documents after them. The documents with flags must also
    be rejected in run 03's records (join `flags` on deck_no/line_no): their every line goes to
    the PCE-03-41 register.

    With `quality_standards` (the file after this run), the standard of the quarters this run's
    reviews post to, and of the quarters of the Forms 3926-A it posted (`standard_weeks`), is
    refreshed: a standard set or deleted in a week without reviews reaches the file too.
    """
    ledger = adjustment_ledger if adjustment_ledger is not None else empty_adjustment_ledger()
    totals = totals_of_weeks(review_sums)  # a list handed over is let go as it is totalled
    del review_sums
    cum_ofp, cum_defects = post_totals(cum_ofp, cum_defects, totals,
                                       run_date, quality_standards=quality_standards)
    quarters = {fiscal_quarter(week) for week in standard_weeks if week is not None}
    if quality_standards is not None and quarters:
        cum_ofp = set_quality_standards(cum_ofp, quality_standards, sorted(quarters))
    documents = documents.cast(DOCUMENT_SCHEMA)
    repeat = second_adjustment(documents, ledger)
    out = pl.concat([documents.filter("rejected")["unit"],
                     documents.join(repeat, on=["deck_no", "line_no"], how="semi")["unit"]])
    found = check_adjustments(adjustments.filter(checkable(documents)), cum_ofp, cum_defects,
                              rejected=out.to_list())
    flags = pl.concat([repeat, found]).unique().sort("deck_no", "line_no", "code")
    ok = accepted_adjustments(adjustments.filter(~pl.col("unit").is_in(out.implode())), flags)
    cum_ofp, cum_defects = post_adjustments(cum_ofp, cum_defects, ok, run_date)
    ledger = pl.concat([ledger.cast(ADJUSTMENT_LEDGER_SCHEMA),
                        adjustment_ledger_entries(ok, run_id)])
    return CumPosting(cum_ofp, cum_defects, flags, ledger)
