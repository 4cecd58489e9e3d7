"""What the week's individual review transactions leave to the unit/group: the rows a QA
Unit/Group report (IRM 3.30.28.4.2.4(3)) reads, one per finding (UNIT_GROUP_COLUMNS).

* ``procedural``: a defect line with a code 900-909 (IRM 3.30.28.4.2.4) on a transaction with
  an SSN: the error is the unit/group's, never the employee's;
* ``local``: a defect line with a local code 930-999 on such a transaction (glossary 16: not
  for individual evaluation); run 03 also warns about it on the posting listing;
* ``identical``: a sample that looks like multiple identical defects (IRM 3.30.28.4.2.2, see
  `run03.identical_units`): every document defective, one code. It posts as recorded; the
  manager decides whether all but one document belong to the unit/group (4.2.2(5)).

Every row carries its transaction's number sampled, defective documents, the documents charged
to the employee (`review_data.charged_errors`) and the rest (`to_unit_group`). Unit/group
charges sent as such (`#`, or the all-zero SSN) are the unit's already and are not repeated:
the Cumulative Data File holds them. A review that matched no Form 3081 is listed too: where
the charge lies does not depend on the employee's time report.
"""

from __future__ import annotations

import polars as pl

from pipelines.engine.qap.individual import review_data
from pipelines.engine.qap.individual.reference import OFP_KEY
from validators.pce_03_41 import LOCAL_CODES, PROCEDURAL_CODES, code_in

UNIT_GROUP_COLUMNS = ["deck_no", "line_no", "ssn", "week_ending", *OFP_KEY, "kind",
                      "defect_code", "defects", "sampled", "defective", "employee_errors",
                      "to_unit_group"]
SCHEMA: dict[str, pl.DataType] = {
    "deck_no": pl.UInt16(), "line_no": pl.UInt32(), "ssn": pl.String(), "week_ending": pl.Date(),
    "org_code": pl.String(), "function_code": pl.String(), "program_code": pl.String(),
    "kind": pl.String(), "defect_code": pl.String(), "defects": pl.Int64(),
    "sampled": pl.Int64(), "defective": pl.Int64(), "employee_errors": pl.Int64(),
    "to_unit_group": pl.Int64(),
}


def unit_group_frame(reviews: pl.DataFrame) -> pl.DataFrame:
    """The findings of the week's review lines (run 03 `reviews`), in deck order."""
    lines = review_data.individual_lines(reviews)
    if lines.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    first = lines.filter("starts").select(
        "unit", "ssn", pl.col("sampled").fill_null(0), pl.col("defective").fill_null(0))
    txn = first.join(review_data.charged_errors(lines), on="unit", how="left").with_columns(
        pl.col("errors").alias("employee_errors"),
        (pl.col("defective") - pl.col("errors")).alias("to_unit_group")).drop("errors")
    kind = (pl.when(code_in("defect_code", PROCEDURAL_CODES)).then(pl.lit("procedural"))
            .when(code_in("defect_code", LOCAL_CODES)).then(pl.lit("local"))
            .when(pl.col("starts") & pl.col("warning")).then(pl.lit("identical")))
    found = lines.with_columns(kind.alias("kind")).filter(pl.col("kind").is_not_null())
    return found.drop("ssn", "sampled", "defective").join(
        txn, on="unit", how="left", maintain_order="left").select(
        [pl.col(c).cast(t) for c, t in SCHEMA.items()]).sort("deck_no", "line_no")
