"""Form 6489 (IPR adjustment, program 59602) checks A01-A18 as rules: a form that fails one
takes no action (message code 4, register run IPR-6489) and is listed on the IPR adjustment
report with every code found.

Two sets, as the facts they read arrive at two moments: `static_rules` need only the form (and
the reference files), `cum_rules` need the cum job record the form acts on (joined in by the
engine as `on_file_code`, `current_grade` and the `after_<figure>` values).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from validators.ipr_3081 import prefix_ok
from validators.rules import Rule

ZERO, CREATE, SUBSTITUTE, ADD = "zero", "create", "substitute", "add"  # what a code does
SIGNED = {"hours": "hours_tenths", "volume": "volume", "reviewed": "reviewed",
          "errors": "errors"}  # signed figures of the form -> their layout fields


def _blank(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars() == ""


def static_rules(ofp_known: bool, employees_known: bool) -> list[Rule]:
    """Checks that need no cum job record. A form that would make a cum job record needs its
    SSN on the Employee Master File (as a Form 3081 does, T02); one acting on a record that
    exists does not, so a departed employee's figures can still be corrected. Reads `_on_ofp`
    (with `ofp_known`), `_on_emf` (with `employees_known`) and `_prefix_ok`."""
    on_file = (pl.col("_on_ofp") if ofp_known else
               pl.col("org_code").str.contains(r"^[0-9]{5}$")
               & pl.col("function_code").str.contains(r"^[0-9]{3}$")
               & pl.col("program_code").str.contains(r"^[0-9]{5}$"))
    target = pl.col("quarter_end").dt.strftime("%Y%m")
    malformed = pl.any_horizontal([~_blank(f"{k}_raw") & pl.col(f"{k}_change").is_null()
                                   for k in SIGNED])
    all_blank = pl.all_horizontal([_blank(f"{k}_raw") for k in SIGNED])
    return [
        Rule("A01", "adjustment_code", lambda: pl.col("action").is_null(), "unknown code"),
        Rule("A02", "ssn", lambda: ~pl.col("ssn").str.contains(r"^[0-9]{9}$"), "SSN"),
        Rule("A03", "org_code", lambda: ~on_file, "OFP not on file"),
        Rule("A04", "grade", lambda: ~pl.col("grade").str.contains(r"^[0-9]{2}$"), "grade"),
        Rule("A05", "record_code", lambda: ~pl.col("record_code").is_in(["1", "2"]),
             "record code"),
        Rule("A06", "hours_raw", lambda: malformed, "signed figure"),
        Rule("A07", "quarter_ending", lambda: ~_blank("quarter_ending")
             & pl.col("action").is_not_null() & (pl.col("quarter_ending") != target),
             "quarter ending"),
        Rule("A08", "hours_raw", lambda: pl.col("action").is_in([SUBSTITUTE, ADD])
             .fill_null(False) & all_blank, "no figures"),
        *([Rule("A14", "ssn", lambda: (pl.col("action") == CREATE) & ~pl.col("_on_emf"),
                "SSN not on the Employee Master")] if employees_known else []),
        Rule("A15", "format_code", lambda: ~pl.col("_prefix_ok"), "prefix not a Form 6489's"),
        Rule("A16", "time_code", lambda: ~pl.col("measured_pca").is_in([" ", "1", "2"])
             | ~pl.col("measured_teps").is_in([" ", "1", "2", "3", "4", "5"])
             | ~pl.col("time_code").is_in([" ", "1", "2", "3"])
             | ~pl.col("class_code").is_in([" ", "1", "2", "3", "4", "5"]), "a code"),
        Rule("A17", "step", lambda: ~pl.col("step").str.contains(r"^([0-9]{2})?$"), "step"),
        Rule("A18", "week_ending", lambda: ~_blank("week_ending_raw")
             & pl.col("form_week_ending").is_null(), "week ending not a date"),
    ]


def form_prefix_ok() -> pl.Expr:
    return prefix_ok("060")


def cum_rules(figures: Iterable[str]) -> list[Rule]:
    """Checks against the cum job record the form acts on (`figures`: the cum job figures,
    each with its `after_<figure>` column)."""
    figures = list(figures)
    action, rc = pl.col("action"), pl.col("record_code")
    exists = pl.col("on_file_code").is_not_null()
    cur = pl.col("current_grade")
    create_rc_bad = ((rc == "1") & cur.is_not_null() & (cur != pl.col("grade"))) | (
        (rc == "2") & (cur == pl.col("grade")).fill_null(False))
    negative = pl.any_horizontal([pl.col(f"after_{f}") < 0 for f in figures])
    return [
        Rule("A09", "ssn", lambda: (action != CREATE) & ~exists, "no cum job record"),
        Rule("A10", "ssn", lambda: (action == CREATE) & exists, "cum job record exists"),
        Rule("A11", "record_code", lambda: pl.when(action == CREATE).then(create_rc_bad)
             .otherwise(exists & (rc != pl.col("on_file_code"))), "record code vs grade"),
        Rule("A12", "hours_raw", lambda: (action != ZERO) & negative.fill_null(False),
             "a figure would go negative"),
        Rule("A13", "errors_raw", lambda: (action != ZERO) & ~negative.fill_null(False)
             & (pl.col("after_errors") > pl.col("after_reviewed")).fill_null(False),
             "errors above documents reviewed"),
    ]
