"""Why an individual review (a Form 3926 line with an SSN) did not post to individual figures:
N01 when its week is this run's but no Form 3081 has the same SSN, OFP and week; N02 when it
is dated outside the week. Only unmatched reviews are classified (`reason`)."""

from __future__ import annotations

import polars as pl

from validators.rules import Rule


def rules(in_week: pl.Expr) -> list[Rule]:
    """The reasons in the order they are tried; `in_week` is true for a review of this week."""
    return [
        Rule("N02", "week_ending", lambda: ~in_week, "review dated outside this week"),
        Rule("N01", "ssn", lambda: in_week, "no Form 3081 with the same SSN, OFP and week"),
    ]


def reason(in_week: pl.Expr) -> pl.Expr:
    """The one reason of an unmatched review, as a one-code list (`reason_codes`)."""
    chosen = rules(in_week)
    expr = pl.when(chosen[0].fires()).then(pl.lit([chosen[0].code]))
    for rule in chosen[1:]:
        expr = expr.when(rule.fires()).then(pl.lit([rule.code]))
    return expr
