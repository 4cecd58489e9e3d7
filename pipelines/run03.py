"""Run 03: Forms 3926 (reviews, adjustments) and 3926-A against the reference files.

Grouping (record-layouts.md): a document is a section-01 header and the following lines with the
same deck, block and serial. A review line starts a transaction when column 16, item 10, 11 or
16 holds anything; otherwise it continues the one above. An adjustment or 3926-A document is one
transaction. A code on a header rejects its whole document; a code on a line rejects its whole
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from layouts import layout
from layouts.decoder import decode
from validators import pce_03_41 as v
from validators.rules import blank, codes_by_row

HEADER = layout.load("form3926_header")
LINE = layout.load("form3926_line")
LOCAL_CODES = (930, 999)

_HEADER_CARRY = {"program_number": "h_program", "org_code": "h_org", "function_code":
                 "h_function", "program_code": "h_program_code", "week_ending": "h_week_ending",
                 "week_ending_v": "h_week_ending_v", "defect_list": "h_defect_list",
                 "quality_standard": "h_quality_standard"}


@dataclass(frozen=True)
class Run03Result:
    records: pl.DataFrame  # one row per record: display fields, status, error_codes, warning
    reviews: pl.DataFrame  # accepted review transactions, one row per defect line or sample
    adjustments: pl.DataFrame  # accepted adjustment lines (decoded zone-punched deltas)
    quality_standards: pl.DataFrame  # the Quality Standard File after the run


def _repeat(*keys: str) -> pl.Expr:
    return (~pl.struct(*keys).is_first_distinct()).cast(pl.UInt32) + 1


def prepare(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Header and line frames with the document and transaction facts the rules read."""
    rec = records.with_columns((pl.col("section") == "01").alias("is_header"))
    doc = ["deck_no", "block", "serial"]
    rec = rec.with_columns(
        pl.when("is_header").then("seq").otherwise(None).forward_fill().over(doc)
        .alias("hdr_seq"))
    headers = decode(rec.filter("is_header"), HEADER)
    lines = decode(rec.filter(~pl.col("is_header")), LINE)

    n_lines = lines.group_by("hdr_seq").len("n_lines")
    headers = headers.join(n_lines, left_on="seq", right_on="hdr_seq", how="left").with_columns(
        pl.col("n_lines").fill_null(0),
        pl.int_range(1, pl.len() + 1).over(doc).alias("header_rank"),
        pl.int_range(1, pl.len() + 1).over(
            pl.col("program_number"), "org_code", "function_code", "program_code", "week_ending")
        .alias("adjustment_rank"),
    )
    carry = headers.select(pl.col("seq").alias("hdr_seq"),
                           *[pl.col(k).alias(a) for k, a in _HEADER_CARRY.items()])
    lines = lines.join(carry, on="hdr_seq", how="left", maintain_order="left")

    reviewing = pl.col("h_program") == v.REVIEW
    starts = reviewing & ((pl.col("unit_mark") != " ") | ~blank("ssn") | ~blank("sampled")
                          | ~blank("defective"))
    lines = lines.with_columns(starts.alias("starts"))
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
    code = ~blank("defect_code")
    lines = lines.with_columns(
        pl.col("defects_v").fill_null(0).sum().over("unit").alias("defects_sum"),
        code.cast(pl.UInt32).cum_sum().over("unit").alias("code_rank"),
        # The rules only ask "seen before?": 1 for the first of its kind, 2 for a repeat
        # (is_first_distinct is far cheaper than a rank over a million tiny groups).
        _repeat("unit", "defect_code").alias("dup_rank"),
        _repeat("hdr_seq", "section").alias("section_rank"),
        (code & pl.col("h_program").is_in([v.REVIEW, v.ADJUSTMENT])).cast(pl.UInt32).cum_sum()
        .over("deck_no", "h_org", "h_function", "h_program_code").alias("ofp_rank"),
    )
    return headers, lines


def _standard_candidates(headers: pl.DataFrame, coded: pl.Series) -> list[v.StandardChange]:
    clean = headers.filter((pl.col("program_number") == v.STANDARD) & (pl.col("n_lines") == 0)
                           & ~pl.col("seq").is_in(coded.implode()))
    return [v.StandardChange(seq=r["seq"], org_code=r["org_code"],
                             function_code=r["function_code"], program_code=r["program_code"],
                             week_ending=r["week_ending_v"], delete=r["defect_list"] == "999",
                             standard=r["quality_standard_v"])
            for r in clean.sort("seq").iter_rows(named=True)]


def run(records: pl.DataFrame, ofp: pl.DataFrame, defect_codes: pl.Series,
        quality_standards: pl.DataFrame) -> Run03Result:
    """Validate every Form 3926 record; `records` carries deck_no, line_no, seq, text, prefix."""
    headers, lines = prepare(records)
    found = [v.header_flags(headers), v.line_flags(lines), v.ofp_not_on_file(headers, ofp),
             v.defect_code_not_on_file(lines, defect_codes)]
    coded = pl.concat(found)["seq"].unique()
    standards, qs_flags, _ = v.apply_standards(_standard_candidates(headers, coded),
                                               quality_standards)
    codes = codes_by_row([*found, qs_flags])
    return _assemble(headers, lines, codes, standards)


def _assemble(headers: pl.DataFrame, lines: pl.DataFrame, codes: pl.DataFrame,
              standards: pl.DataFrame) -> Run03Result:
    headers = headers.join(codes, on="seq", how="left")
    lines = lines.join(codes, on="seq", how="left")
    has = pl.col("error_codes").is_not_null()
    bad_docs = headers.filter(has)["seq"]
    bad_units = pl.concat([lines.filter(has)["unit"],
                           headers.filter(has & (pl.col("program_number") != v.REVIEW))["seq"]])
    lines = lines.with_columns(
        (pl.col("unit").is_in(bad_units.implode()) | pl.col("hdr_seq").is_in(bad_docs.implode()))
        .alias("rejected"))
    good_docs = lines.filter(~pl.col("rejected"))["hdr_seq"].unique()
    headers = headers.with_columns(
        (has | pl.col("seq").is_in(bad_units.implode())
         | ((pl.col("program_number") == v.REVIEW) & (pl.col("n_lines") > 0)
            & ~pl.col("seq").is_in(good_docs.implode()))).alias("rejected"))

    local = pl.col("defect_code").str.contains(r"^9[3-9][0-9]$")
    lines = lines.with_columns(
        (~pl.col("rejected") & local & (pl.col("h_program") == v.REVIEW)
         & (pl.col("ssn").first().over("unit").str.strip_chars() != "")).alias("warning"))

    shown = ["seq", "deck_no", "line_no", "text", "program_number", "block", "serial", "section",
             "error_codes", "rejected"]
    head_rows = headers.select(
        *shown, pl.col("seq").alias("hdr_seq"), pl.lit("header").alias("record_type"),
        "week_ending", "defect_list", "org_code",
        "function_code", "program_code", "quality_standard", pl.lit(" ").alias("unit_mark"),
        *[pl.lit(" " * LINE.field(n).width).alias(n) for n in
          ("ssn", "sampled", "defect_code", "defects", "defective")],
        pl.lit(False).alias("warning"))
    line_rows = lines.select(
        *shown, "hdr_seq", pl.lit("line").alias("record_type"),
        *[pl.col(f"h_{n}").fill_null(" " * HEADER.field(n).width).alias(n) for n in
          ("week_ending", "defect_list")],
        pl.col("h_org").fill_null("     ").alias("org_code"),
        pl.col("h_function").fill_null("   ").alias("function_code"),
        pl.col("h_program_code").fill_null("     ").alias("program_code"),
        pl.col("h_quality_standard").fill_null("    ").alias("quality_standard"),
        "unit_mark", "ssn", "sampled", "defect_code", "defects", "defective", "warning")
    records = pl.concat([head_rows, line_rows]).sort("seq").with_columns(
        (pl.col("block").str.slice(2, 1) + pl.col("serial")).alias("control_number"),
        pl.col("error_codes").fill_null([]))

    accepted = lines.filter(~pl.col("rejected"))
    reviews = accepted.filter(pl.col("h_program") == v.REVIEW).select(
        "deck_no", "line_no", "unit", pl.col("h_week_ending_v").alias("week_ending"),
        pl.col("h_org").alias("org_code"), pl.col("h_function").alias("function_code"),
        pl.col("h_program_code").alias("program_code"), "starts",
        (pl.col("unit_mark") == "#").alias("unit_charge"),
        pl.col("ssn").str.strip_chars().replace("", None).alias("ssn"),
        pl.col("sampled_v").alias("sampled"), pl.col("defective_v").alias("defective"),
        pl.col("defect_code").str.strip_chars().replace("", None).alias("defect_code"),
        pl.col("defects_v").alias("defects"), "warning")
    adjustments = accepted.filter(pl.col("h_program") == v.ADJUSTMENT).select(
        "deck_no", "line_no", pl.col("hdr_seq").alias("unit"),
        pl.col("h_week_ending_v").alias("week_ending"), pl.col("h_org").alias("org_code"),
        pl.col("h_function").alias("function_code"),
        pl.col("h_program_code").alias("program_code"),
        v.zoned.value_expr(pl.col("sampled")).alias("sampled_delta"),
        v.zoned.value_expr(pl.col("defective")).alias("defective_delta"),
        pl.col("defect_code").str.strip_chars().replace("", None).alias("defect_code"),
        v.zoned.value_expr(pl.col("defects")).alias("defects_delta"))
    return Run03Result(records=records, reviews=reviews, adjustments=adjustments,
                       quality_standards=standards)
