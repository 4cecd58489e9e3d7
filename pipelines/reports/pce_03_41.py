"""Invalid Review Data Listing - Form 3926 (computer run PCE-03-41) and the 3926 Posting
Transaction Listing: one line per record, with the fields of IRM 3.30.28.4.9.2(1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from pipelines.engine.qap import run03
from pipelines.reports.listings import codes_text, heading, print_listing, print_listing_chunks
from pipelines.reports.printing import PAGE_WIDTH, PageHeading, field, mask_ssn_expr
from validators.codes import RUN_3926
from validators.pce_03_41 import LOCAL_CODES, code_in

HEADS = (  # WEEK ENDING is the record's own (its header's), as transcribed: MMDDYYYY
    "CTRL  DECK     WEEK      DEF  ORG    FUNC PROGRAM QUAL  SSN          SAMPLE DEFECT NUMBER  "
    "DEFECTIVE",
    "NO    LINE     ENDING    LIST CODE   CODE CODE    STD                SIZE   CODE  DEFECTS "
    "DOCUMENTS",
)

# Parquet columns shared by the register and the posting listing (docs/outputs.md).
COLUMNS = ["run_id", "deck", "deck_hash", "line_no", "record_type", "control_number",
           "program_number", "week_ending", "defect_list", "org_code", "function_code",
           "program_code", "quality_standard", "unit_mark", "ssn", "sampled", "defect_code",
           "defects", "defective", "error_codes", "sub_reason", "warning", "text"]


def _masked_ssn(valid_only: bool) -> list[pl.Expr]:
    """11 print positions: XXX-XX- and the last four, or blanks. A posted SSN is 9 digits or
    blank, so the posting listing takes the short way, as two cells of the line (the mask or
    blanks, then the SSN's last four, blanks of a blank one): no column of masked SSNs is made
    first (half the time over a million lines); the register masks whatever was sent."""
    ssn = pl.col("ssn")
    if valid_only:
        return [pl.when(ssn == " " * 9).then(pl.lit(" " * 7)).otherwise(pl.lit("XXX-XX-")),
                ssn.str.slice(5, 4)]
    return [pl.when(ssn.str.strip_chars() == "").then(pl.lit(" " * 11)).otherwise(
        field(mask_ssn_expr("ssn"), 11))]


def _standard(raw: pl.Expr) -> pl.Expr:
    """A standard as a percent, `95.00` (the field is hundredths of a percent, `9500`), in five
    positions; anything but four digits prints as sent, so the register shows what is wrong."""
    dotted = pl.concat_str([raw.str.slice(0, 2).str.strip_chars_start("0").str.pad_start(1, "0")
                            .str.pad_start(2), pl.lit("."), raw.str.slice(2, 2)])
    return pl.when(raw.str.contains(r"^\d{4}$")).then(dotted).otherwise(raw.str.pad_end(5))


def _warning() -> pl.Expr:
    """A posted line's warning: a local defect code charged to an SSN sits on the code's own
    line; a possible multiple identical defect (run03.identical_units) on the sample's first
    line, whose code is never a local one."""
    local = code_in("defect_code", LOCAL_CODES)
    return (pl.when(pl.col("warning") & local).then(pl.lit("W LOCAL DEFECT CODE"))
            .when("warning").then(pl.lit("W MULTIPLE IDENTICAL DEFECTS?"))
            .otherwise(pl.lit("")))


def _header_cells() -> pl.Expr:
    """The cells of a line that its header gives (WEEK ENDING to QUAL STD), laid out once per
    document of the rows (`hdr_seq`) and repeated on its other rows: every row of a document
    shows its header's fields (`run03.display`), so they print the same on each."""
    first = run03.document_starts()

    def once(name: str) -> pl.Expr:
        return pl.col(name).filter(first)

    cells = pl.concat_str([
        once("week_ending"), pl.lit("  "), once("defect_list"), pl.lit("  "),
        once("org_code"), pl.lit("  "), once("function_code"), pl.lit("  "),
        once("program_code"), pl.lit("   "), _standard(once("quality_standard")), pl.lit(" ")])
    return cells.gather(first.cum_sum() - 1)


def _line(with_codes: bool) -> pl.Expr:
    # The raw fields are already their layout width, so they print as sliced.
    cells = [pl.col("control_number"), pl.lit("   "),
             pl.col("line_no").cast(pl.String).str.pad_start(7), pl.lit("  "),
             _header_cells(), pl.col("unit_mark"),
             *_masked_ssn(not with_codes), pl.lit("  "), pl.col("sampled"), pl.lit("  "),
             pl.col("defect_code"),
             pl.lit("    "), pl.col("defects"), pl.lit("   "), pl.col("defective")]
    if with_codes:  # a 36 or 09 says which fault, as far as the 132 columns allow
        cells += [pl.lit("      "), codes_text(),
                  pl.when(pl.col("sub_reason").is_not_null())
                  .then(pl.lit("  ") + pl.col("sub_reason")).otherwise(pl.lit(""))]
        return pl.concat_str(cells).str.slice(0, PAGE_WIDTH)
    else:
        cells += [pl.lit("      "), _warning()]
    return pl.concat_str(cells)


def print_register(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                   path: Path) -> None:
    h = heading(RUN_3926, "INVALID REVIEW DATA LISTING - FORM 3926", run_date, week_ending,
                (HEADS[0] + "   ERROR CODES", HEADS[1]))
    print_listing(rows, _line(True), h, path, legend_run=RUN_3926)


def _posting_heading(run_date: dt.date, week_ending: dt.date | None) -> PageHeading:
    return heading(RUN_3926, "3926 POSTING TRANSACTION LISTING", run_date, week_ending,
                   (HEADS[0] + "   WARNING", HEADS[1]))


def print_posting(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                  path: Path) -> None:
    print_listing(rows, _line(False), _posting_heading(run_date, week_ending), path)


def print_posting_chunks(chunks: Iterable[pl.DataFrame], total_pages: int, run_date: dt.date,
                         week_ending: dt.date | None, path: Path) -> None:
    """`print_posting` of the posted rows given in the parts of `listings.plan_listing`."""
    print_listing_chunks(chunks, _line(False), _posting_heading(run_date, week_ending), path,
                         total_pages)
