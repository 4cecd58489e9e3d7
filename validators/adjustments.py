"""Adjustment Forms 3926 against the Cumulative Data File: error codes 26-33 and 19 across runs.

Conditions are rules.md, "Form 3926 error codes"; the arithmetic that produces the figures they
read lives in `pipelines.engine.qap.cum_file`. Two levels, as the codes are about two kinds
of cum row:

* document level (one row per adjustment document, i.e. per OFP and week ending), frame columns
  `seq` (row id), `unit`, `on_file` (the OFP has a cum row in the quarter of the week ending) and
  the OFP's cumulative figures *after* the document: `sampled`, `defective`, `total_defects`;
* defect-code level (one row per document and defect code), columns `seq`, `unit`,
  `defect_code`, `code_on_file` (the OFP has a cum row for the code in that quarter) and
  `defects`, the code's cumulative defects after the document.

A missing cum row counts as zero, so a document for an OFP with no row gets 26 and also every
other code its figures earn (32 on each of its defect codes, 27 on a decrease, ...): every code
found is reported (rules.md).

Which line carries a code (PLACEMENT): the legacy register prints every line of a rejected
document with the codes that line itself carries, so each code goes on the line that holds the
item it is about.

* 19 across runs is on the document's header, as run 03's 19 for a second document is
  (`pipelines.engine.qap.cum_file.second_adjustment`); the document may have no lines.
* 26: the document's first line.
* 27: every line carrying a number sampled (item 11).
* 28: every line carrying a number of defective records (item 16).
* 29: the document's last line carrying a number of defects (item 14), in line order.
* 30: the item-16 lines; when the document has none (the number sampled went down, or the file
  was already out of balance) the item-11 lines; failing those the first line.
* 31: the item-16 lines; when none, the last item-14 line; failing that the first line.
* 32, 33: the line of that defect code.

>>> [r.code for r in DOCUMENT_RULES + CODE_RULES]
['26', '27', '28', '29', '30', '31', '32', '33']
"""

from __future__ import annotations

import polars as pl

from validators.rules import Rule, digits, flags, schema

# ----------------------------------------------------------------------------- conditions


def no_cum_row_for_ofp() -> pl.Expr:
    """26: no Cumulative Data File row for the OFP in the quarter of the week ending."""
    return ~pl.col("on_file")


def sampled_negative() -> pl.Expr:
    """27: the OFP's cumulative number sampled would be negative."""
    return pl.col("sampled") < 0


def defective_negative() -> pl.Expr:
    """28: cumulative defective documents would be negative."""
    return pl.col("defective") < 0


def total_defects_negative() -> pl.Expr:
    """29: the OFP's cumulative total of defects would be negative."""
    return pl.col("total_defects") < 0


def defective_above_sampled() -> pl.Expr:
    """30: cumulative defective documents would exceed the cumulative number sampled."""
    return pl.col("defective") > pl.col("sampled")


def defective_above_defects() -> pl.Expr:
    """31: cumulative defective documents would exceed the cumulative total of defects."""
    return pl.col("defective") > pl.col("total_defects")


def no_cum_row_for_code() -> pl.Expr:
    """32: the defect code has no cumulative row for this OFP in that quarter. Only a code
    of three digits names one: a line whose code is not (15) names none, and 32 sent the
    operator to the Cumulative Data File for a code that cannot be there (review 18f, F5)."""
    return ~pl.col("code_on_file") & digits("defect_code", 3).fill_null(False)


def code_defects_negative() -> pl.Expr:
    """33: the defect code's cumulative number of defects would be negative."""
    return pl.col("defects") < 0


DOCUMENT_RULES = [
    Rule("26", "on_file", no_cum_row_for_ofp, "no cum row for the OFP in that quarter"),
    Rule("27", "sampled", sampled_negative, "cumulative number sampled negative"),
    Rule("28", "defective", defective_negative, "cumulative defective documents negative"),
    Rule("29", "total_defects", total_defects_negative, "cumulative total defects negative"),
    Rule("30", "defective", defective_above_sampled, "defective documents above number sampled"),
    Rule("31", "defective", defective_above_defects, "defective documents above total defects"),
]
CODE_RULES = [
    Rule("32", "code_on_file", no_cum_row_for_code, "no cum row for the defect code"),
    Rule("33", "defects", code_defects_negative, "defect code's cumulative defects negative"),
]

DOCUMENT_SCHEMA = schema(DOCUMENT_RULES, "Adjustments against the Cumulative Data File (OFP)")
CODE_SCHEMA = schema(CODE_RULES, "Adjustments against the Cumulative Data File (defect codes)")


def document_flags(documents: pl.DataFrame) -> pl.DataFrame:
    """(seq, code) for 26-31 on the document-level frame."""
    return flags(documents, DOCUMENT_SCHEMA)


def code_flags(codes: pl.DataFrame) -> pl.DataFrame:
    """(seq, code) for 32-33 on the defect-code-level frame."""
    return flags(codes, CODE_SCHEMA)


def posted_in_earlier_run(documents: pl.DataFrame, ledger: pl.DataFrame) -> pl.DataFrame:
    """19 across runs: the documents whose OFP and week ending already posted an adjustment.

    `documents` (one row per document: unit, org_code, function_code, program_code,
    week_ending) and `ledger` (the same keys, one row per posted document) -> (unit, code).
    """
    keys = ["org_code", "function_code", "program_code", "week_ending"]
    return (documents.join(ledger.select(keys).unique(), on=keys, how="semi")
            .select("unit", pl.lit("19").alias("code")))


# ----------------------------------------------------------------------------- placement

# Line kinds, in the order a code prefers them (the first kind the document has wins).
FIRST, SAMPLED, DEFECTIVE, LAST_DEFECT, CODE_LINE = (
    "first", "sampled", "defective", "last_defect", "defect_code_line")

PLACEMENT: dict[str, tuple[str, ...]] = {
    "26": (FIRST,),
    "27": (SAMPLED, FIRST),
    "28": (DEFECTIVE, FIRST),
    "29": (LAST_DEFECT, FIRST),
    "30": (DEFECTIVE, SAMPLED, FIRST),
    "31": (DEFECTIVE, LAST_DEFECT, FIRST),
    "32": (CODE_LINE,),
    "33": (CODE_LINE,),
}

LINE_FLAG_SCHEMA = {"deck_no": pl.UInt16, "line_no": pl.UInt32, "code": pl.String}
_KINDS = (FIRST, SAMPLED, DEFECTIVE, LAST_DEFECT)


def no_line_flags() -> pl.DataFrame:
    return pl.DataFrame(schema=LINE_FLAG_SCHEMA)


def line_kinds(lines: pl.DataFrame) -> pl.DataFrame:
    """Adjustment lines with one boolean column per line kind (see PLACEMENT)."""
    order = ["unit", "deck_no", "line_no"]
    return lines.sort(order).with_columns(
        (pl.int_range(pl.len()).over("unit") == 0).alias(FIRST),
        pl.col("sampled_delta").is_not_null().alias(SAMPLED),
        pl.col("defective_delta").is_not_null().alias(DEFECTIVE),
        (pl.col("defects_delta").is_not_null()
         & (pl.col("defects_delta").is_not_null().cum_sum(reverse=True).over("unit") == 1))
        .alias(LAST_DEFECT),
    )


def place(unit_flags: pl.DataFrame, code_line_flags: pl.DataFrame, lines: pl.DataFrame
          ) -> pl.DataFrame:
    """Put document flags (unit, code) and defect-code flags (unit, defect_code, code) on lines.

    `lines` is the adjustments frame (unit, deck_no, line_no, the three deltas, defect_code).
    Returns (deck_no, line_no, code), distinct, in line order.
    """
    kinds = line_kinds(lines)
    has = kinds.group_by("unit").agg([pl.col(k).any() for k in _KINDS])
    found = [no_line_flags()]
    if unit_flags.height:
        anchor = pl.lit(None, pl.String)
        for code, prefer in reversed(PLACEMENT.items()):
            if CODE_LINE in prefer:
                continue
            pick = pl.lit(None, pl.String)
            for kind in reversed(prefer):
                pick = pl.when(pl.col(kind)).then(pl.lit(kind)).otherwise(pick)
            anchor = pl.when(pl.col("code") == code).then(pick).otherwise(anchor)
        chosen = unit_flags.select("unit", "code").join(has, on="unit").with_columns(
            anchor.alias("anchor")).select("unit", "code", "anchor")
        on_line = pl.lit(False)
        for kind in _KINDS:
            on_line = on_line | ((pl.col("anchor") == kind) & pl.col(kind))
        found.append(chosen.join(kinds, on="unit").filter(on_line)
                     .select(LINE_FLAG_SCHEMA.keys()))
    if code_line_flags.height:
        found.append(code_line_flags.select("unit", "defect_code", "code")
                     .join(kinds, on=["unit", "defect_code"]).select(LINE_FLAG_SCHEMA.keys()))
    return (pl.concat([f.cast(LINE_FLAG_SCHEMA) for f in found]).unique()
            .sort("deck_no", "line_no", "code"))
