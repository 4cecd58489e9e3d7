"""Invalid Form 3927 Listing (computer run PCE-01-43) and the 3927 Posting Transaction
Listing: one line per record, with the fields of IRM 3.30.28.4.9.4(1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from layouts import layout
from pipelines.reports.listings import codes_text, heading, print_listing
from pipelines.reports.printing import field
from pipelines.reports.ssn_mask import mask_fields
from validators.codes import RUN_3927

HEAD = "CTRL  DECK     DEF  ACT  DEFECT DESCRIPTION"
HEAD2 = "NO    LINE     LIST CODE CODE"
DESCRIPTION_AT = 32  # print position (0-based) of the description
CODES_WIDTH = 14  # five codes: more than a Form 3927 record can carry
# The posting listing prints the whole 100-character description; the register gives up the
# end of it to the error codes, so that a line never passes column 132.
POSTING_DESCRIPTION = 100
REGISTER_DESCRIPTION = 132 - DESCRIPTION_AT - 1 - CODES_WIDTH

COLUMNS = ["run_id", "deck", "deck_hash", "line_no", "record_type", "control_number",
           "list_number", "action", "defect_code", "description", "error_codes", "sub_reason",
           "text"]


HEADER, LINE = layout.load("form3927_header"), layout.load("form3927_line")


def _ssn_masked(rows: pl.DataFrame) -> pl.DataFrame:
    """A Form 3081 or 6489 keyed 59703 prints its SSN masked (`ssn_mask`): a header's own
    fields, a line's, and the header fields a line shows."""
    header = pl.col("record_type") == "header"
    rows = mask_fields(rows, {"list_number": HEADER.field("list_number"),
                              "action": HEADER.field("action"),
                              "description": HEADER.field("operation")}, where=header)
    rows = mask_fields(rows, {"defect_code": LINE.field("defect_code"),
                              "description": LINE.field("description")}, where=~header)
    return mask_fields(rows, {"list_number": HEADER.field("list_number"),
                              "action": HEADER.field("action")}, source="header_text",
                       where=~header)


def _line(with_codes: bool) -> pl.Expr:
    width = REGISTER_DESCRIPTION if with_codes else POSTING_DESCRIPTION
    cells = [field("control_number", 3), pl.lit("   "), field("line_no", 7, "right"),
             pl.lit("  "), field("list_number", 3), pl.lit("   "), field("action", 1),
             pl.lit("   "), field("defect_code", 3), pl.lit("    "),
             field(pl.col("description").str.strip_chars_end(), width)]
    if with_codes:
        cells += [pl.lit(" "), codes_text()]
    return pl.concat_str(cells)


def print_register(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                   path: Path) -> None:
    h = heading(RUN_3927, "INVALID FORM 3927 LISTING", run_date, week_ending,
                (HEAD.ljust(DESCRIPTION_AT + REGISTER_DESCRIPTION) + " ERROR CODES", HEAD2))
    print_listing(_ssn_masked(rows), _line(True), h, path)


def print_posting(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                  path: Path) -> None:
    h = heading(RUN_3927, "3927 POSTING TRANSACTION LISTING", run_date, week_ending,
                (HEAD, HEAD2))
    print_listing(_ssn_masked(rows), _line(False), h, path)
