"""The two reference files as the individual data step reads them: one row per employee
(Employee Master File) and one row per OFP (OFP Consistency File), names stripped, typed.

Both take the frames `layouts.decoder.decode_file` returns (raw columns plus `<field>_v`).
"""

from __future__ import annotations

import polars as pl

OFP_KEY = ["org_code", "function_code", "program_code"]


def _text(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.String).str.strip_chars()


def employees_table(emf: pl.DataFrame) -> pl.DataFrame:
    """One row per SSN (a repeated SSN keeps its first line)."""
    return emf.select(
        _text("ssn").alias("ssn"), _text("last_name").alias("last_name"),
        _text("first_name").alias("first_name"), _text("middle_initial").alias("middle_initial"),
        _text("assigned_org").alias("assigned_org"), _text("grade").alias("emf_grade"),
        _text("step").alias("emf_step"), _text("class_code").alias("class_code"),
        _text("plan").alias("plan"), pl.col("measured_since_v").alias("measured_since"),
        _text("work_status").alias("work_status"),
        pl.col("rating_period_start_v").alias("rating_start"),
    ).unique("ssn", keep="first", maintain_order=True)


def ofp_table(ofp: pl.DataFrame) -> pl.DataFrame:
    """One row per OFP; the efficiency standard is kept in hundredths of an item per hour."""
    return ofp.select(
        *[pl.col(k) for k in OFP_KEY], _text("qpc").alias("qpc"),
        _text("measured_code").alias("measured_code"),
        pl.col("learning_curve_hours_v").fill_null(0).alias("learning_curve_hours"),
        pl.col("efficiency_standard_v").alias("standard_hundredths"),
        _text("program_title").alias("program_title"),
    ).unique(OFP_KEY, keep="first", maintain_order=True)
