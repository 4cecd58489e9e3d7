"""Run 01: Forms 3927 update the Defect Code File in deck order (block, serial, section).

The national list loads the same way, as a deck of action-A forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from layouts import layout
from layouts.decoder import decode
from validators import pce_01_43 as v
from validators.rules import FLAG_SCHEMA, codes_by_row, digits

HEADER = layout.load("form3927_header")
LINE = layout.load("form3927_line")

DCF_SCHEMA = {"defect_code": pl.String, "description": pl.String, "org_prefix": pl.String,
              "function_prefix": pl.String, "program_prefix": pl.String,
              "operation": pl.String, "last_action": pl.String, "last_run": pl.String}

# A code a Form 3927 deleted, with the description it had: its defects charged before still
# count on the Defect Frequency reports, which print it marked deleted (review 17, F8).
DELETED_SCHEMA = {"defect_code": pl.String, "description": pl.String,
                  "deleted_run": pl.String}


@dataclass(frozen=True)
class Run01Result:
    records: pl.DataFrame  # one row per record with status and error_codes
    defect_codes: pl.DataFrame  # the Defect Code File after the run
    deleted_codes: pl.DataFrame = field(  # not on it: deleted by a D, with their description
        default_factory=lambda: pl.DataFrame(schema=DELETED_SCHEMA))


def empty_dcf() -> pl.DataFrame:
    return pl.DataFrame(schema=DCF_SCHEMA)


def descriptions(result: Run01Result) -> pl.DataFrame:
    """Every code's description for the reports: the Defect Code File's, and a deleted
    code's last one with `code_deleted` (a code added again is on the file, not deleted)."""
    return pl.concat([
        result.defect_codes.select("defect_code", "description",
                                   pl.lit(False).alias("code_deleted")),
        result.deleted_codes.select("defect_code", "description",
                                    pl.lit(True).alias("code_deleted"))])


def ebcdic_order(name: str) -> pl.Expr:
    """A sort key that orders block, serial and section codes as the mainframe's EBCDIC sort
    did: blank, then letters, then digits (ASCII puts digits before letters). Each digit maps
    to one of the characters just after Z, in order."""
    return pl.col(name).str.replace_many(list("0123456789"), list("[\\]^_`abcd"))


def prepare(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    # Deck order for run 01 is block, serial, section within each deck (rules.md), in EBCDIC
    # collation; `order` is that position, `seq` stays the record's identity.
    doc = ["deck_no", "block", "serial"]
    rec = records.sort("deck_no", *[ebcdic_order(k) for k in ("block", "serial", "section")],
                       "seq").with_row_index("order").with_columns(
        (pl.col("section") == "01").alias("is_header"))
    rec = rec.with_columns(pl.when("is_header").then("seq").otherwise(None).forward_fill()
                           .over(doc).alias("hdr_seq"))
    headers = decode(rec.filter("is_header"), HEADER).with_columns(
        pl.int_range(1, pl.len() + 1).over(doc).alias("header_rank"))
    carry = headers.select(pl.col("seq").alias("hdr_seq"), pl.col("action").alias("h_action"),
                           *[pl.col(n).alias(f"h_{n}") for n in ("list_number", "org_prefix",
                             "function_prefix", "program_prefix", "operation")])
    lines = decode(rec.filter(~pl.col("is_header")), LINE).join(
        carry, on="hdr_seq", how="left", maintain_order="left").with_columns(
        pl.int_range(1, pl.len() + 1).over("hdr_seq", "defect_code").alias("dup_rank"),
        pl.int_range(1, pl.len() + 1).over("hdr_seq", "section").alias("section_rank"))
    return headers, lines


def run(records: pl.DataFrame, defect_codes: pl.DataFrame, run_id: str,
        deleted_codes: pl.DataFrame | None = None) -> Run01Result:
    """Check and post the Forms 3927; `deleted_codes`: the codes deleted before this run
    (DELETED_SCHEMA), kept with their last description, less those added again."""
    headers, lines = prepare(records)
    found = [v.header_flags(headers), v.line_flags(lines)]
    subs = v.sub_reasons(headers, lines, pl.concat(found))
    bad_headers = set(found[0]["seq"].to_list())
    lines = lines.with_columns(pl.col("hdr_seq").is_in(list(bad_headers)).alias("doc_bad"))
    coded = set(found[1]["seq"].to_list()) | set(lines.filter("doc_bad")["seq"].to_list())
    # A later duplicate on one document (10) is rejected as such: it is not checked against the
    # file, which its own document's first line has just changed (no 04/06 beside the 10).
    readable = lines.filter(pl.col("h_action").is_in(v.ACTIONS) & ~pl.col("doc_bad")
                            & digits("defect_code", 3) & (pl.col("dup_rank") == 1)).sort("order")
    ordered, posted = v.apply(readable, coded, set(defect_codes["defect_code"].to_list()))
    found.append(pl.DataFrame(ordered, schema=FLAG_SCHEMA, orient="row"))
    codes = codes_by_row(found)

    table = {r["defect_code"]: r for r in defect_codes.iter_rows(named=True)}
    gone = ({r["defect_code"]: r for r in deleted_codes.iter_rows(named=True)}
            if deleted_codes is not None else {})
    for r in lines.filter(pl.col("seq").is_in(posted)).sort("order").iter_rows(named=True):
        gone.pop(r["defect_code"], None)
        if r["h_action"] == "D":
            last = table.pop(r["defect_code"], None)
            if last is not None:
                gone[r["defect_code"]] = {"defect_code": r["defect_code"],
                                          "description": last["description"],
                                          "deleted_run": run_id}
            continue
        entry = table.get(r["defect_code"], {}) | {
            "defect_code": r["defect_code"], "description": r["description"].rstrip(),
            "last_action": r["h_action"], "last_run": run_id}
        if r["h_action"] == "A":
            entry |= {n: r[f"h_{n}"].rstrip() for n in ("org_prefix", "function_prefix",
                                                        "program_prefix", "operation")}
        table[r["defect_code"]] = entry
    dcf = pl.DataFrame(list(table.values()), schema=DCF_SCHEMA).sort("defect_code")

    shown = ["seq", "deck_no", "line_no", "text", "program_number", "block", "serial", "section"]
    rows = pl.concat([
        headers.select(*shown, pl.col("seq").alias("hdr_seq"), pl.lit("header").alias(
                           "record_type"), "list_number", "action",
                       pl.lit("   ").alias("defect_code"),
                       pl.col("operation").alias("description")),
        lines.select(*shown, "hdr_seq", pl.lit("line").alias("record_type"),
                     pl.col("h_list_number").fill_null("   ").alias("list_number"),
                     pl.col("h_action").fill_null(" ").alias("action"), "defect_code",
                     "description"),
    ]).join(codes, on="seq", how="left").join(subs, on="seq", how="left").sort("seq")
    posted_set = pl.Series(posted, dtype=pl.UInt32)
    # A header stands or falls with its lines: rejected when it carries a code itself, or when
    # it has lines and none of them posted.
    with_lines = lines["hdr_seq"].drop_nulls().unique()
    live = lines.filter(pl.col("seq").is_in(posted_set.implode()))["hdr_seq"].unique()
    rows = rows.with_columns(
        pl.col("error_codes").fill_null([]),
        (pl.col("block").str.slice(2, 1) + pl.col("serial")).alias("control_number"),
    ).with_columns(
        pl.when(pl.col("record_type") == "line")
        .then(~pl.col("seq").is_in(posted_set.implode()))
        .otherwise((pl.col("error_codes").list.len() > 0)
                   | (pl.col("seq").is_in(with_lines.implode())
                      & ~pl.col("seq").is_in(live.implode()))).alias("rejected"))
    deleted = pl.DataFrame(list(gone.values()), schema=DELETED_SCHEMA).sort("defect_code")
    return Run01Result(records=rows, defect_codes=dcf, deleted_codes=deleted)
