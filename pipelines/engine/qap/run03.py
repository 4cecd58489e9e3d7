"""Run 03: Forms 3926 (reviews, adjustments) and 3926-A against the reference files.

Grouping (record-layouts.md): a document is a section-01 header and the following lines with the
same deck, block and serial. A review line starts a transaction when column 16, item 10, 11 or
16 holds anything; otherwise it continues the one above. An adjustment or 3926-A document is one
transaction. A code on a header rejects its whole document; a code on a line rejects its whole
transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import polars as pl

from layouts import layout
from layouts.decoder import decode
from pipelines.engine.qap import ordered, review_sums
from pipelines.engine.qap.individual import review_data
from validators import pce_03_41 as v
from validators.rules import FLAG_SCHEMA, blank, codes_by_row, control_number_bad

PREFIX = layout.load("prefix")
HEADER = layout.load("form3926_header")
LINE = layout.load("form3926_line")

# What a line reads of its header: its program (the rules), its OFP and week (posting).
_HEADER_CARRY = {"program_number": "h_program", "org_code": "h_org", "function_code":
                 "h_function", "program_code": "h_program_code",
                 "week_ending_v": "h_week_ending_v"}
# What a line keeps of the record before its own fields are decoded: a million-row frame
# holds a column per name, so the text and the prefix fields no rule reads stay behind.
_LINE_INPUT = ["seq", "line_no", "deck_no", "program_number", "format_code", "section",
               "control_bad", "text"]


@dataclass(frozen=True)
class Run03Result:
    records: pl.DataFrame  # one row per record: display fields, status, error_codes, warning
    reviews: pl.DataFrame  # accepted review lines kept (`check`'s `keep`), one row per line
    review_sums: pl.DataFrame  # every accepted review line summed (`review_sums.SCHEMA`)
    adjustments: pl.DataFrame  # every adjustment line under a header (zone-punched deltas)
    adjustment_documents: pl.DataFrame  # one row per adjustment header: keys, rejected
    standard_weeks: pl.Series  # week endings (Date) of the Forms 3926-A that posted
    quality_standards: pl.DataFrame  # the Quality Standard File after the run
    review_lines: int = 0  # accepted review lines, kept or not


def _repeat(*keys: str) -> pl.Expr:
    """1 for the first record of its kind, 2 for a repeat: the rules only ask "seen before?"."""
    return (~pl.struct(*keys).is_first_distinct()).cast(pl.UInt32) + 1


def _repeat_in(group: str, value: str) -> pl.Expr:
    """`_repeat(group, value)` for a numeric group and a text value, on one 64-bit key (a
    struct of a million rows costs twice the time and memory). A null group is one group."""
    key = (pl.col(group).cast(pl.UInt64).fill_null(2**32 - 1) * 2**32
           + pl.col(value).cast(pl.Categorical).to_physical().cast(pl.UInt64))
    return (~key.is_first_distinct()).cast(pl.UInt32) + 1


def prepare(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Header and line frames with the document and transaction facts the rules read.

    Two ways to the same facts: when every document's lines follow its header unbroken (any
    well-formed deck), running sums and forward fills over deck order compute them in one pass;
    otherwise (interleaved documents, lines with no header, a repeated header) grouped windows
    do. `tests/test_run03_paths.py` proves they agree.
    """
    rec = records.with_columns((pl.col("section") == "01").alias("is_header"),
                               control_number_bad().alias("control_bad"))  # 36's, once
    if rec.height and _contiguous(rec):
        headers, lines = _fast(rec)
    else:
        headers, lines = _general(rec)
    return headers, _line_facts(lines)


DOC = ["deck_no", "block", "serial"]


def _contiguous(rec: pl.DataFrame) -> bool:
    """Every line follows its header unbroken: the first record is a header, each line has the
    document of the record before it, and no document has two headers."""
    same = pl.lit(True)
    for k in DOC:
        same = same & (pl.col(k) == pl.col(k).shift(1)).fill_null(False)
    if not rec.select((pl.col("is_header") | same).all()).item():
        return False
    # Headers in rising document order are unique without hashing them (5.5 to 3.7 ms a part)
    docs = rec.select(DOC).filter(rec.get_column("is_header"))
    return (ordered.sorted_by(docs, DOC, unique=True)
            or bool(docs.select(pl.struct(DOC).is_unique().all()).item()))


def _header_facts(headers: pl.DataFrame) -> pl.DataFrame:
    return headers.with_columns(
        _repeat("program_number", "org_code", "function_code", "program_code", "week_ending")
        .alias("adjustment_rank"))


def _fast(rec: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    rec = rec.with_columns(
        (pl.col("is_header").cast(pl.Int64).cum_sum() - 1).alias("hord"),
        pl.when("is_header").then("seq").forward_fill().alias("hdr_seq"),
        pl.int_range(pl.len()).alias("pos"))
    headers = decode(rec.filter("is_header"), HEADER)
    headers = _header_facts(headers.with_columns(
        (pl.col("pos").shift(-1).fill_null(rec.height) - pl.col("pos") - 1).alias("n_lines"),
        pl.lit(1, pl.UInt32).alias("header_rank")))
    lines = decode(rec.select(*_LINE_INPUT, "hord", "hdr_seq").filter(~rec["is_header"]),
                   LINE).drop("text")
    carried = headers.select(pl.col(k).alias(a) for k, a in _HEADER_CARRY.items())
    lines = lines.hstack(carried.rechunk().gather(lines["hord"].cast(pl.UInt32)).get_columns())

    reviewing = pl.col("h_program") == v.REVIEW
    first_in_doc = pl.col("hord") != pl.col("hord").shift(1, fill_value=-1)
    lines = lines.with_columns(_starts().alias("starts")).with_columns(
        pl.col("starts").cast(pl.UInt32).cum_sum().alias("__s"),
        pl.when("starts").then("seq").forward_fill().alias("__start_seq"))
    lines = lines.with_columns(
        pl.when(reviewing).then(pl.col("__s") - pl.when(first_in_doc).then(
            pl.col("__s") - pl.col("starts").cast(pl.UInt32)).forward_fill())
        .otherwise(1).alias("txn_no"))
    lines = lines.with_columns(
        pl.when(reviewing & (pl.col("txn_no") == 0)).then("seq")
        .when(reviewing).then("__start_seq").otherwise("hdr_seq").alias("unit"))
    first = pl.col("unit") != pl.col("unit").shift(1)
    last = pl.col("unit") != pl.col("unit").shift(-1)

    def within_unit(x: pl.Expr) -> pl.Expr:
        """Running total of x inside each unit (units are unbroken runs here)."""
        run = x.cum_sum()
        return run - pl.when(first.fill_null(True)).then(run - x).forward_fill()

    defects = pl.col("defects_v").fill_null(0)
    code = (~blank("defect_code")).cast(pl.UInt32)
    lines = lines.with_columns(
        (within_unit(defects).pipe(
            lambda r: pl.when(last.fill_null(True)).then(r).backward_fill())).alias(
                "defects_sum"),
        within_unit(code).alias("code_rank"),
        pl.when(first.fill_null(True)).then("ssn").forward_fill().alias("unit_ssn"),
    ).drop("__s", "__start_seq")
    lines = lines.with_columns(_ofp_rank_fast(headers, lines).alias("ofp_rank")).drop("hord")
    return headers, lines


def _counted_code() -> pl.Expr:
    return ((~blank("defect_code")) & pl.col("h_program").is_in([v.REVIEW, v.ADJUSTMENT])
            ).cast(pl.UInt32)


def _ofp_rank_fast(headers: pl.DataFrame, lines: pl.DataFrame) -> pl.Series:
    """Defect-code lines of the OFP in its deck up to this one: earlier documents' counts
    (per header) plus the running count inside the document (documents are unbroken here)."""
    hord = pl.col("hord")
    counted = lines.select("hord", _counted_code().alias("c")).with_columns(
        pl.col("c").cum_sum().alias("k")).with_columns(
        (pl.col("k") - pl.when(hord != hord.shift(1, fill_value=-1)).then(pl.col("k") - pl.col("c"))
         .forward_fill()).alias("inside"))
    per_doc = counted.filter(hord != hord.shift(-1, fill_value=-1)).select("hord", "inside")
    before = headers.select("hord", "deck_no", "org_code", "function_code", "program_code").join(
        per_doc, on="hord", how="left", maintain_order="left").select(
        (pl.col("inside").fill_null(0).cum_sum().over("deck_no", "org_code", "function_code",
                                                      "program_code")
         - pl.col("inside").fill_null(0)).alias("before"))["before"]
    return before.gather(lines["hord"]) + counted["inside"]


def _starts() -> pl.Expr:
    return (pl.col("h_program") == v.REVIEW) & (
        ~blank("unit_mark") | ~blank("ssn") | ~blank("sampled") | ~blank("defective"))


def _general(rec: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    rec = rec.with_columns(
        pl.when("is_header").then("seq").otherwise(None).forward_fill().over(DOC)
        .alias("hdr_seq"))
    headers = decode(rec.filter("is_header"), HEADER)
    lines = decode(rec.select(*_LINE_INPUT, "hdr_seq").filter(~rec["is_header"]),
                   LINE).drop("text")

    n_lines = lines.group_by("hdr_seq").len("n_lines")
    headers = _header_facts(headers.join(n_lines, left_on="seq", right_on="hdr_seq",
                                         how="left", maintain_order="left").with_columns(
        pl.col("n_lines").fill_null(0),
        pl.int_range(1, pl.len() + 1).over(DOC).alias("header_rank")))
    carry = headers.select(pl.col("seq").alias("hdr_seq"),
                           *[pl.col(k).alias(a) for k, a in _HEADER_CARRY.items()])
    lines = lines.join(carry, on="hdr_seq", how="left", maintain_order="left")

    reviewing = pl.col("h_program") == v.REVIEW
    lines = lines.with_columns(_starts().alias("starts"))
    lines = lines.with_columns(
        pl.when(reviewing).then(pl.col("starts").cast(pl.UInt32).cum_sum().over("hdr_seq"))
        .otherwise(1).alias("txn_no"))
    # A unit is what is posted or rejected whole: a review transaction, or a whole adjustment or
    # 3926-A document (header included); a line that belongs nowhere is a unit of its own.
    lines = lines.with_columns(
        pl.when(pl.col("h_program").is_null() | (reviewing & (pl.col("txn_no") == 0)))
        .then(pl.col("seq"))
        .when(reviewing).then(pl.col("seq").first().over("hdr_seq", "txn_no"))
        .otherwise(pl.col("hdr_seq")).alias("unit"))
    lines = lines.with_columns(
        pl.col("defects_v").fill_null(0).sum().over("unit").alias("defects_sum"),
        (~blank("defect_code")).cast(pl.UInt32).cum_sum().over("unit").alias("code_rank"),
        pl.col("ssn").first().over("unit").alias("unit_ssn"),
        _counted_code().cum_sum().over("deck_no", "h_org", "h_function", "h_program_code")
        .alias("ofp_rank"),
    )
    return headers, lines


def _line_facts(lines: pl.DataFrame) -> pl.DataFrame:
    """Facts both paths compute alike: repeats and the few adjustment lines' zone checks."""
    return v.adjustment_facts(lines.with_columns(
        _repeat_in("unit", "defect_code").alias("dup_rank"),
        _section_rank(lines).alias("section_rank")))


def _section_rank(lines: pl.DataFrame) -> pl.Expr:
    """`_repeat_in("hdr_seq", "section")`: 1 everywhere when each document's lines come
    together, after those of the documents before it, in rising sections (a well-formed deck:
    none can repeat), found by comparing each line with the one before instead of hashing
    every line's document and section (6.6 to 1.5 ms a part of 212,719 lines)."""
    doc, section = pl.col("hdr_seq"), pl.col("section")
    rising = ((doc > doc.shift(1)) | ((doc == doc.shift(1)) & (section > section.shift(1)))
              ).fill_null(False) | (pl.int_range(pl.len()) == 0)
    if lines.select((rising & doc.is_not_null()).all()).item():
        return pl.lit(1, pl.UInt32)
    return _repeat_in("hdr_seq", "section")


def _standard_candidates(headers: pl.DataFrame, coded: pl.Series) -> list[v.StandardChange]:
    """3926-A forms with no other code, and (for 24 alone) deletes that have one."""
    rejected = pl.col("seq").is_in(coded.implode()) | (pl.col("n_lines") > 0)
    forms = headers.filter((pl.col("program_number") == v.STANDARD)
                           & (~rejected | (pl.col("defect_list") == "999"))
                           ).with_columns(rejected.alias("rejected"))
    return [v.StandardChange(seq=r["seq"], org_code=r["org_code"],
                             function_code=r["function_code"], program_code=r["program_code"],
                             week_ending=r["week_ending_v"], delete=r["defect_list"] == "999",
                             standard=r["quality_standard_v"], rejected=r["rejected"])
            for r in forms.sort("seq").iter_rows(named=True)]


def run(records: pl.DataFrame, ofp: pl.DataFrame, defect_codes: pl.Series,
        quality_standards: pl.DataFrame) -> Run03Result:
    """Validate every Form 3926 record; `records` carries deck_no, line_no, seq, text, prefix.
    The whole run as one part (`check`), then the run-wide checks (`reduce`)."""
    three, late = reduce([check(records, ofp, defect_codes)], quality_standards)
    return dataclasses.replace(three, records=settle(three.records, late))


@dataclass
class DeckCarry:
    """What the earlier parts of a deck tell its next part: how many defect-code lines each
    OFP has had in the deck (the 200 limit) and the adjustments seen (19)."""

    ofp_codes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"h_org": pl.String, "h_function": pl.String, "h_program_code": pl.String,
                "before": pl.UInt32}))
    adjustment_keys: pl.Series = field(default_factory=lambda: pl.Series("key", [], pl.String))


@dataclass(frozen=True)
class Run03Part:
    """Run 03 of whole documents (a deck, or a part of one, or the whole run) before the
    run-wide checks: each record's own codes, the reviews and adjustments, and what the
    run-wide checks read."""

    records: pl.DataFrame  # as Run03Result.records, without the run-wide codes
    reviews: pl.DataFrame  # the accepted review lines `keep` asked for
    review_sums: pl.DataFrame  # every accepted review line of the part summed (`review_sums`)
    review_lines: int  # accepted review lines, kept or not
    adjustments: pl.DataFrame
    adjustment_documents: pl.DataFrame
    standard_forms: pl.DataFrame  # every 3926-A header: seq, week_ending, rejected
    candidates: list[v.StandardChange]
    adjustment_keys: pl.DataFrame  # seq, key of adjustment headers first of their key here


_ADJUSTMENT_KEY = ("program_number", "org_code", "function_code", "program_code", "week_ending")
# Which accepted review lines a part keeps beside their sums (`check`'s `keep`): all of them,
# those the individual step reads (`review_data.individual_lines`: only a run with an Employee
# Master File needs them), or none.
KEEP_ALL, KEEP_INDIVIDUAL, KEEP_NONE = "all", "individual", "none"


def check(records: pl.DataFrame, ofp: pl.DataFrame, defect_codes: pl.Series,
          carry: DeckCarry | None = None, keep: str = KEEP_ALL) -> Run03Part:
    """Every check that reads whole documents only; with `carry`, `records` is the next part
    of one deck and the counts that run across a deck go on from the parts before. The
    accepted review lines are summed (`review_sums`); `keep` says which of them the part
    keeps as well."""
    headers, lines = prepare(records)
    key = pl.concat_str([pl.col(k) for k in _ADJUSTMENT_KEY], separator="\x1f")
    if carry is not None:
        headers = headers.with_columns(
            pl.when(key.is_in(carry.adjustment_keys.implode())).then(pl.lit(2, pl.UInt32))
            .otherwise("adjustment_rank").alias("adjustment_rank"))
        lines = _ofp_rank_after(lines, carry)
    firsts = headers.filter((pl.col("program_number") == v.ADJUSTMENT)
                            & (pl.col("adjustment_rank") == 1)).select("seq", key.alias("key"))
    if carry is not None:
        carry.adjustment_keys = pl.concat([carry.adjustment_keys, firsts["key"]])
    found = [v.header_flags(headers), v.line_flags(lines), v.ofp_not_on_file(headers, ofp),
             v.defect_code_not_on_file(lines, defect_codes)]
    coded = pl.concat(found)["seq"].unique()
    candidates = _standard_candidates(headers, coded)
    codes = codes_by_row(found)
    subs = v.sub_reasons(headers, lines, pl.concat(found[:2]))
    # Only what posting and the listings read goes on; the rules' facts are let go here.
    lines = lines.select(_KEEP)
    return _assemble(headers, lines, codes, records, subs, candidates, firsts, keep)


def _kept(reviews: pl.DataFrame, keep: str) -> pl.DataFrame:
    if keep == KEEP_ALL:
        return reviews
    if keep == KEEP_INDIVIDUAL:
        return review_data.individual_lines(reviews)
    if keep == KEEP_NONE:
        return reviews.clear()
    raise ValueError(f"keep: {keep!r} is not one of {KEEP_ALL}, {KEEP_INDIVIDUAL}, {KEEP_NONE}")


def document_starts() -> pl.Expr:
    """True on the first of each run of rows of one document (`hdr_seq`, null for lines
    without a header counting as a value) in rows kept in deck order."""
    doc = pl.col("hdr_seq")
    return doc.ne_missing(doc.shift(1)) | (pl.int_range(pl.len()) == 0)


def _ofp_rank_after(lines: pl.DataFrame, carry: DeckCarry) -> pl.DataFrame:
    """`ofp_rank` counted from the deck's first part: the earlier parts' defect-code lines of
    each OFP are added, and this part's are added to `carry`. A run of lines of one document
    (`hdr_seq`) has its header's OFP, so the OFPs are looked up once per run, not per line."""
    ofp = ["h_org", "h_function", "h_program_code"]
    marks = lines.select(document_starts().alias("first"), _counted_code().alias("counted"))
    run = marks["first"].cum_sum() - 1  # each line's run of one document
    runs = lines.select(ofp).filter(marks["first"])
    if carry.ofp_codes.height:  # the deck's first part has nothing before it
        before = runs.join(carry.ofp_codes, on=ofp, how="left", maintain_order="left")["before"]
        lines = lines.with_columns(
            (pl.col("ofp_rank") + before.fill_null(0).gather(run)).alias("ofp_rank"))
    counted = marks["counted"].cum_sum()
    through = counted.filter(marks["first"].shift(-1, fill_value=True))  # at each run's end
    here = runs.with_columns((through - through.shift(1, fill_value=0)).alias("n")).filter(
        pl.col("n") > 0).group_by(ofp).agg(pl.col("n").sum().cast(pl.UInt32))
    carry.ofp_codes = carry.ofp_codes.join(here, on=ofp, how="full", coalesce=True).select(
        *ofp, (pl.col("before").fill_null(0) + pl.col("n").fill_null(0)).alias("before"))
    return lines


def reduce(parts: list[Run03Part], quality_standards: pl.DataFrame
           ) -> tuple[Run03Result, pl.DataFrame]:
    """The run's result from its checked parts (in deck order) and the codes the run-wide
    checks found (seq, code), which each part's records still take (`settle`). Its records
    are the parts' records as given (a run that keeps them elsewhere gives none). The parts'
    review sums are taken out of `parts` (its entries are replaced by parts without them),
    so that each is let go as the run's sums are made (`review_sums.combine`)."""
    standards, late, standard_weeks = run_wide(parts, quality_standards)
    sums = [p.review_sums for p in parts]
    parts[:] = [dataclasses.replace(p, review_sums=p.review_sums.clear()) for p in parts]
    return Run03Result(
        records=pl.concat([p.records for p in parts]),
        reviews=pl.concat([p.reviews for p in parts]),
        review_sums=review_sums.combine(sums),
        adjustments=pl.concat([p.adjustments for p in parts]),
        adjustment_documents=settle_documents(
            pl.concat([p.adjustment_documents for p in parts]), late),
        standard_weeks=standard_weeks, quality_standards=standards,
        review_lines=sum(p.review_lines for p in parts)), late


def run_wide(parts: list[Run03Part], quality_standards: pl.DataFrame
             ) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """The checks that read across decks, once every part is checked: an adjustment repeated
    from an earlier deck (19) and the 3926-A forms applied in deck order (10, 24). Returns the
    Quality Standard File after the run, the codes found (seq, code) and the week endings of
    the 3926-A forms that posted."""
    keys = pl.concat([p.adjustment_keys for p in parts])
    repeated = keys.filter(~pl.col("key").is_first_distinct()).select(
        "seq", pl.lit("19").alias("code"))
    candidates = sorted((c for p in parts for c in p.candidates), key=lambda c: c.seq)
    standards, qs_flags, _ = v.apply_standards(candidates, quality_standards)
    late = pl.concat([repeated.cast(FLAG_SCHEMA), qs_flags.select(FLAG_SCHEMA.keys())
                      .cast(FLAG_SCHEMA)])
    forms = pl.concat([p.standard_forms for p in parts])
    posted = forms.filter(~pl.col("rejected") & ~pl.col("seq").is_in(late["seq"].implode()))
    return standards, late, posted["week_ending_v"].unique()


def settle(records: pl.DataFrame, late: pl.DataFrame,
           by_line: pl.DataFrame | None = None) -> pl.DataFrame:
    """Records with the codes found after their part was checked: `late` (seq, code) from
    `run_wide`, `by_line` (deck_no, line_no, code) from the Cumulative Data File (19 across
    runs, 26-33). A code rejects its record's whole document."""
    per_seq = records.select("seq").join(late, on="seq", how="inner").select(
        "seq", "code") if late.height else None
    found = []
    if per_seq is not None and per_seq.height:
        found.append(per_seq)
    if by_line is not None and by_line.height:
        found.append(records.select("seq", "deck_no", "line_no").join(
            by_line, on=["deck_no", "line_no"], how="inner").select("seq", "code"))
    if not found:
        return records
    per_row = pl.concat(found).group_by("seq").agg(pl.col("code").alias("late_codes"))
    rows = records.join(per_row, on="seq", how="left", maintain_order="left")
    bad_docs = rows.filter(pl.col("late_codes").is_not_null())["hdr_seq"].unique()
    return rows.with_columns(
        pl.concat_list(pl.col("error_codes"), pl.col("late_codes").fill_null([]))
        .list.unique().list.sort().alias("error_codes"),
        (pl.col("rejected") | pl.col("hdr_seq").is_in(bad_docs.implode())).alias("rejected"),
    ).drop("late_codes")


def settle_documents(documents: pl.DataFrame, late: pl.DataFrame) -> pl.DataFrame:
    """Adjustment documents rejected by a run-wide code (19 repeated from an earlier deck)."""
    if not late.height:
        return documents
    return documents.with_columns(
        (pl.col("rejected") | pl.col("unit").is_in(late["seq"].implode())).alias("rejected"))


_KEEP = ["seq", "deck_no", "line_no", "unit", "hdr_seq", "h_program", "h_week_ending_v", "h_org",
         "h_function", "h_program_code", "starts", "unit_mark", "unit_ssn", "ssn", "ssn_blank",
         "sampled", "sampled_v", "defect_code", "defect_code_blank", "defects", "defects_v",
         "defective", "defective_v"]


def _assemble(headers: pl.DataFrame, lines: pl.DataFrame, codes: pl.DataFrame,
              records: pl.DataFrame, subs: pl.DataFrame, candidates: list[v.StandardChange],
              adjustment_keys: pl.DataFrame, keep: str) -> Run03Part:
    coded = pl.col("seq").is_in(codes["seq"].implode())
    bad_docs = headers.filter(coded)["seq"]
    bad_units = pl.concat([
        lines.select(pl.col("unit").filter(coded))["unit"],
        headers.filter(coded & (pl.col("program_number") != v.REVIEW))["seq"]])
    lines = lines.with_columns(
        (pl.col("unit").is_in(bad_units.implode()) | pl.col("hdr_seq").is_in(bad_docs.implode()))
        .alias("rejected"))
    good_docs = lines.select(pl.col("hdr_seq").filter(~pl.col("rejected")).unique())["hdr_seq"]
    headers = headers.with_columns(
        (coded | pl.col("seq").is_in(bad_units.implode())
         | ((pl.col("program_number") == v.REVIEW) & (pl.col("n_lines") > 0)
            & ~pl.col("seq").is_in(good_docs.implode()))).alias("rejected"))

    # (the SSN's slice is all blanks: a record's only whitespace, its text being printable
    # ASCII; a comparison, not a strip of every line's copy: 3.8 to 0.3 ms a part)
    individual = (~pl.col("rejected") & (pl.col("h_program") == v.REVIEW)
                  & (pl.col("unit_ssn") != " " * LINE.field("ssn").width))
    local = v.code_in("defect_code", v.LOCAL_CODES)
    lines = lines.with_columns(
        (individual & local).alias("local"),
        pl.col("unit").is_in(identical_units(lines, individual).implode()).alias("identical"))
    lines = lines.with_columns(
        (pl.col("local") | (pl.col("identical") & pl.col("starts"))).alias("warning"))
    status = _in_deck_order(
        headers.select(pl.col("seq").alias("hdr_seq"), "rejected", pl.lit(False).alias("warning")),
        lines.select("hdr_seq", "rejected", "warning"),
        records["section"] == "01")
    # The codes are joined to the seq column alone, not to the million-row frame they join.
    error_codes = records.select("seq").join(codes, on="seq", how="left", maintain_order="left"
                                             )["error_codes"].fill_null([])
    sub_reason = records.select("seq").join(subs, on="seq", how="left", maintain_order="left"
                                            )["sub_reason"]
    out = records.select("seq", "deck_no", "line_no", "text", *PREFIX.names).with_columns(
        status).with_columns(error_codes, sub_reason)

    accepted = ~pl.col("rejected")
    reviews = lines.select(
        "deck_no", "line_no", "unit", pl.col("h_week_ending_v").alias("week_ending"),
        pl.col("h_org").alias("org_code"), pl.col("h_function").alias("function_code"),
        pl.col("h_program_code").alias("program_code"), "starts",
        (pl.col("unit_mark") == "#").alias("unit_charge"),
        pl.when(~blank("ssn")).then("ssn").alias("ssn"),
        pl.col("sampled_v").alias("sampled"), pl.col("defective_v").alias("defective"),
        pl.when(~blank("defect_code")).then("defect_code").alias("defect_code"),
        pl.col("defects_v").alias("defects"), "warning",
        (accepted & (pl.col("h_program") == v.REVIEW)).alias("keep"),
    ).filter("keep").drop("keep")
    # Rejected documents too: the Cumulative Data File checks (19, 26-33) report what they
    # find on them as well, so that every code is known before the operator re-inputs.
    adjustments = lines.filter(pl.col("h_program") == v.ADJUSTMENT).select(
        "deck_no", "line_no", pl.col("hdr_seq").alias("unit"),
        pl.col("h_week_ending_v").alias("week_ending"), pl.col("h_org").alias("org_code"),
        pl.col("h_function").alias("function_code"),
        pl.col("h_program_code").alias("program_code"),
        v.zoned.value_expr(pl.col("sampled")).alias("sampled_delta"),
        v.zoned.value_expr(pl.col("defective")).alias("defective_delta"),
        pl.col("defect_code").str.strip_chars().replace("", None).alias("defect_code"),
        v.zoned.value_expr(pl.col("defects")).alias("defects_delta"))
    documents = headers.filter(pl.col("program_number") == v.ADJUSTMENT).select(
        pl.col("seq").alias("unit"), "deck_no", "line_no",
        pl.col("week_ending_v").alias("week_ending"), "org_code", "function_code",
        "program_code", "rejected")
    forms = headers.filter(pl.col("program_number") == v.STANDARD).select(
        "seq", "week_ending_v", "rejected")
    return Run03Part(records=out, reviews=_kept(reviews, keep),
                     review_sums=review_sums.of_lines(reviews), review_lines=reviews.height,
                     adjustments=adjustments,
                     adjustment_documents=documents, standard_forms=forms,
                     candidates=candidates, adjustment_keys=adjustment_keys)


def identical_units(lines: pl.DataFrame, individual: pl.Expr) -> pl.Series:
    """Review transactions (`unit`) that look like multiple identical defects (IRM
    3.30.28.4.2.2): an employee's sample of two or more in which every document is defective
    and every defect has the same code, one the employee can be charged with. The reviewer
    should have charged one document to the employee and the rest to the unit/group; the form
    cannot say whether that was weighed, so such a sample posts as recorded and is listed for
    the manager. `individual` marks the accepted lines of transactions with an SSN."""
    whole = lines.select(pl.col("unit").filter(
        individual & pl.col("starts") & (pl.col("ssn") != review_unit_ssn())
        & (pl.col("sampled_v") >= 2) & (pl.col("defective_v") == pl.col("sampled_v"))))["unit"]
    if whole.is_empty():
        return whole
    coded = lines.select("unit", "defect_code").filter(
        pl.col("unit").is_in(whole.implode()) & ~lines["defect_code_blank"])
    one = coded.group_by("unit").agg(
        pl.col("defect_code").n_unique().alias("n"),
        v.unit_group_code().any().alias("unit_group"))
    return one.filter((pl.col("n") == 1) & ~pl.col("unit_group"))["unit"]


def review_unit_ssn() -> str:
    """The all-zero SSN Auto 3926 puts on unit/group charges (IRM 3.30.28.4.7(7)(c))."""
    return "0" * 9


def _in_deck_order(from_headers: pl.DataFrame, from_lines: pl.DataFrame,
                   is_header: pl.Series) -> pl.DataFrame:
    """Columns of the header frame and the line frame put back in deck order: both frames are
    in deck order already, so each record's row is computed, not sorted for."""
    at_header = (is_header.cast(pl.Int64).cum_sum() - 1).clip(0)
    at_line = ((~is_header).cast(pl.Int64).cum_sum() - 1).clip(0)
    if from_lines.height == 0:
        return from_headers.gather(at_header) if from_headers.height else from_headers
    if from_headers.height == 0:
        return from_lines.gather(at_line)
    h, ln = from_headers.gather(at_header), from_lines.gather(at_line)
    return pl.select(pl.when(is_header).then(h[c]).otherwise(ln[c]).alias(c)
                     for c in from_headers.columns)


def header_positions(records: pl.DataFrame) -> pl.Series:
    """Row of each record's header in `records` (which are in seq order), for `display`: the
    row where its header's seq is, or would go. Records numbered one after another (a part
    with no other program's record among them) have it by a subtraction, not a search."""
    seq, hdr_seq = records["seq"], records["hdr_seq"].fill_null(0)
    if seq.len() and (seq.diff(null_behavior="drop") == 1).all():
        rows = (hdr_seq.cast(pl.Int64) - int(seq[0])).clip(0, seq.len())
        return rows.cast(pl.get_index_type()).alias(seq.name)
    return seq.search_sorted(hdr_seq)


def display(records: pl.DataFrame, keep: pl.Expr | None = None, *, start: int = 0,
            length: int | None = None, headers_at: pl.Series | None = None) -> pl.DataFrame:
    """The printed fields of run 03 records (a header's own, or a line's and its header's),
    sliced from the records' text for the rows `keep` selects among rows `start` to
    `start + length`; `header_text` is the text of each record's header (null for a line with
    none). A caller printing in parts passes `header_positions(records)` once."""
    at = headers_at if headers_at is not None else header_positions(records)
    rows = records.slice(start, length).with_columns(
        pl.Series("__at", at.slice(start, length)))
    if keep is not None:
        rows = rows.filter(keep)
    is_header = pl.col("seq") == pl.col("hdr_seq")
    rows = rows.with_columns(
        pl.when(pl.col("hdr_seq").is_not_null()).then(
            records["text"].gather(rows["__at"].clip(0, max(records.height - 1, 0))))
        .alias("header_text"),
        # A record not in the 3926 format (36: a mistyped Form 3081, say) has no 3926 fields
        # to show; one whose program alone is wrong still shows them.
        pl.when(is_header | (pl.col("format_code") != v.FORMAT)).then(pl.lit(""))
        .otherwise("text").alias("__line"))
    rows = decode(rows, PREFIX, typed=False)
    rows = _header_fields(rows)
    rows = decode(rows, LINE, source="__line", typed=False)
    return rows.with_columns(
        pl.when(is_header).then(pl.lit("header")).otherwise(pl.lit("line")).alias("record_type"),
        _control_number(rows),
        *[pl.col(c).fill_null(" " * HEADER.field(c).width) for c in HEADER.names],
    ).drop("__at", "__line")


def _header_fields(rows: pl.DataFrame) -> pl.DataFrame:
    """`decode(rows, HEADER, source="header_text", typed=False)`: the fields decoded once for
    each run of rows of one document (`document_starts`: one header text) and repeated on
    its rows, instead of padding and slicing every row's copy of its header's text (0.20 to
    0.08-0.09 s over the 1M week's posted records)."""
    starts = document_starts()
    run = rows.select(starts.cum_sum() - 1).to_series()
    # narrowed before the filter, which copies every column it keeps (-15 ms a million rows)
    firsts = decode(rows.select("hdr_seq", "header_text").filter(starts).drop("hdr_seq"),
                    HEADER, source="header_text", typed=False)
    return rows.with_columns(firsts.get_column(c).gather(run) for c in HEADER.names
                             if c not in rows.columns)


_BLOCK, _SERIAL = PREFIX.field("block"), PREFIX.field("serial")


def _control_number(rows: pl.DataFrame) -> pl.Series | pl.Expr:
    """The block's last digit and the serial: one slice of the text where every record holds
    both (they are adjacent; every slice is then whole, which its few characters say more
    cheaply than the records' lengths: 10 ms a million records), else from the decoded
    fields (a short record is padded)."""
    if _BLOCK.end == _SERIAL.offset:
        sliced = rows.get_column("text").str.slice(_BLOCK.end - 1, 1 + _SERIAL.width)
        if not sliced.len() or sliced.str.len_chars().min() == 1 + _SERIAL.width:
            return sliced.alias("control_number")
    return (pl.col("block").str.slice(2, 1) + pl.col("serial")).alias("control_number")
