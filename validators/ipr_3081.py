"""Form 3081 (employee time report, program 59600) checks T01-T09 as rules: a line that fails
one does not post and is listed on Weekly Data Not Posted with every code found (register run
IPR-3081). Columns are those of `decode(records, prefix, form3081)`; the engine adds `_on_ofp`
(the OFP is on the OFP Consistency File) before it evaluates them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from validators.rules import Rule, digits


def prefix_ok(format_code: str) -> pl.Expr:
    """A Form 3081/6489 prefix as record-layouts.md gives it: its own format code, and no
    block, serial or section (columns 9-15 blank)."""
    return (pl.col("format_code") == format_code) & pl.concat_str(
        "block", "serial", "section").str.contains(r"^ *$")


def rules(week_dates: Sequence[dt.date], employee_ssns: pl.Series | None,
          ofp_known: bool) -> list[Rule]:
    """The checks of one week in code order. `week_dates`: the dates a form of the week may
    carry; `employee_ssns`: the Employee Master's SSNs (None: not looked up, T02 is not run);
    `ofp_known`: the OFP Consistency File is given (else T04 is not run)."""
    dates = pl.Series(list(week_dates), dtype=pl.Date)
    out = [Rule("T01", "ssn", lambda: ~digits("ssn", 9), "SSN not 9 digits")]
    if employee_ssns is not None:
        out.append(Rule("T02", "ssn", lambda: digits("ssn", 9)
                        & ~pl.col("ssn").is_in(employee_ssns.implode()),
                        "SSN not on the Employee Master"))
    out.append(Rule("T03", "week_ending",
                    lambda: ~pl.col("week_ending_v").is_in(dates.implode()).fill_null(False),
                    "week ending not this week"))
    if ofp_known:
        out.append(Rule("T04", "org_code", lambda: ~pl.col("_on_ofp"), "OFP not on file"))
    out += [
        Rule("T05", "hours_tenths",
             lambda: ~pl.col("hours_tenths").str.contains(r"^ *[0-9]+$"), "hours not digits"),
        Rule("T06", "volume", lambda: ~pl.col("volume").str.contains(r"^ *[0-9]*$"),
             "volume not blank or digits"),
        Rule("T07", "grade", lambda: ~digits("grade", 2)
             | ~pl.col("step").str.contains(r"^([0-9]{2}| {2})$"), "grade or step not 2 digits"),
        Rule("T08", "time_code", lambda: ~pl.col("time_code").is_in(["1", "2", "3"]),
             "time code not 1, 2 or 3"),
        Rule("T09", "format_code", lambda: ~prefix_ok("073"), "prefix not a Form 3081's"),
    ]
    return out
