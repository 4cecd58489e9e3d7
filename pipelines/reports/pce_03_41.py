"""Invalid Review Data Listing - Form 3926 (computer run PCE-03-41) and the 3926 Posting
Transaction Listing: one line per record, with the fields of IRM 3.30.28.4.9.2(1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.listings import codes_text, heading, print_listing
from pipelines.reports.printing import field, mask_ssn_expr
from validators.codes import RUN_3926

HEADS = (
    "CTRL  DECK     DEF  ORG    FUNC PROGRAM QUAL  SSN          SAMPLE DEFECT NUMBER  DEFECTIVE",
    "NO    LINE     LIST CODE   CODE CODE    STD                SIZE   CODE  DEFECTS DOCUMENTS",
)

# Parquet columns shared by the register and the posting listing (docs/outputs.md).
COLUMNS = ["run_id", "deck", "deck_hash", "line_no", "record_type", "control_number",
           "program_number", "week_ending", "defect_list", "org_code", "function_code",
           "program_code", "quality_standard", "unit_mark", "ssn", "sampled", "defect_code",
           "defects", "defective", "error_codes", "warning", "text"]


def _line(with_codes: bool) -> pl.Expr:
    cells = [field("control_number", 3), pl.lit("   "), field("line_no", 7, "right"),
             pl.lit("  "), field("defect_list", 3), pl.lit("  "), field("org_code", 5),
             pl.lit("  "), field("function_code", 3), pl.lit("  "), field("program_code", 5),
             pl.lit("   "), field("quality_standard", 4), pl.lit("  "), field("unit_mark", 1),
             field(mask_ssn_expr("ssn"), 11), pl.lit("  "), field("sampled", 5), pl.lit("  "),
             field("defect_code", 3), pl.lit("    "), field("defects", 5), pl.lit("   "),
             field("defective", 5)]
    if with_codes:
        cells += [pl.lit("      "), codes_text()]
    else:
        cells += [pl.lit("      "), pl.when("warning").then(pl.lit("W LOCAL DEFECT CODE"))
                  .otherwise(pl.lit(""))]
    return pl.concat_str(cells)


def print_register(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                   path: Path) -> None:
    h = heading(RUN_3926, "INVALID REVIEW DATA LISTING - FORM 3926", run_date, week_ending,
                (HEADS[0] + "  ERROR CODES", HEADS[1]))
    print_listing(rows, _line(True), h, path)


def print_posting(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
                  path: Path) -> None:
    h = heading(RUN_3926, "3926 POSTING TRANSACTION LISTING", run_date, week_ending,
                (HEADS[0] + "  WARNING", HEADS[1]))
    print_listing(rows, _line(False), h, path)
