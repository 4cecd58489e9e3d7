"""Form 3927 checks, computer run PCE-01-43: the rule for every code of `codes.py` run 3927.

One defect line is one transaction. Codes 04, 05 and 06 depend on what earlier transactions of
the run did, so they come from an ordered pass (`apply`), not from the row schema.
"""

from __future__ import annotations

import polars as pl

from validators import rules
from validators.codes import RUN_3927
from validators.rules import Rule, blank, digits, flags, schema

PROGRAM, FORMAT = "59703", "223"
LINE_SECTIONS = [f"{n:02d}" for n in range(2, 32)]
ACTIONS = ("A", "C", "D")

HEADER_RULES = [
    Rule("02", "action", lambda: ~pl.col("action").is_in(ACTIONS), "action code not A, C or D"),
    Rule("09", "list_number", lambda: pl.col("list_number") != "000", "list number not 000",
         sub="list_number"),
    Rule("09", "org_prefix", lambda: blank("org_prefix"), "organization blank", sub="org"),
    Rule("09", "function_prefix", lambda: blank("function_prefix"), "function blank",
         sub="function"),
    Rule("09", "program_prefix", lambda: blank("program_prefix"), "program blank", sub="program"),
    Rule("09", "operation", lambda: (pl.col("action") == "A") & blank("operation"),
         "operation name blank on an action A", sub="operation"),
    Rule("09", "format_code", lambda: pl.col("format_code") != FORMAT, "format code not 223",
         sub="format"),
    Rule("09", "section", lambda: pl.col("header_rank") > 1, "header repeated in a document",
         sub="header_repeated"),
    Rule("09", "block", rules.control_number_bad, "block or serial not A-Z 0-9 / 00-99",
         sub="control"),
]

LINE_RULES = [
    Rule("09", "section", lambda: pl.col("h_action").is_null(), "line with no header",
         sub="no_header"),
    Rule("09", "block", rules.control_number_bad, "block or serial not A-Z 0-9 / 00-99",
         sub="control"),
    Rule("09", "section", lambda: ~pl.col("section").is_in(LINE_SECTIONS), "section not 02-31",
         sub="section"),
    Rule("09", "section", lambda: pl.col("section_rank") > 1, "section repeated in a document",
         sub="section_repeated"),
    Rule("09", "format_code", lambda: pl.col("format_code") != FORMAT, "format code not 223",
         sub="format"),
    Rule("03", "defect_code", lambda: ~digits("defect_code", 3), "defect code not 3 digits"),
    Rule("07", "description", lambda: pl.col("h_action").is_in(["A", "C"])
         & blank("description"), "blank description on an action A or C"),
    Rule("10", "defect_code", lambda: pl.col("h_action").is_not_null()
         & (pl.col("dup_rank") > 1), "defect code repeated on one document"),
]

HEADER_SCHEMA = schema(HEADER_RULES, "Form 3927 headers (PCE-01-43)")
LINE_SCHEMA = schema(LINE_RULES, "Form 3927 lines (PCE-01-43)")


def header_flags(headers: pl.DataFrame) -> pl.DataFrame:
    return flags(headers, HEADER_SCHEMA)


def line_flags(lines: pl.DataFrame) -> pl.DataFrame:
    return flags(lines, LINE_SCHEMA)


def sub_reasons(headers: pl.DataFrame, lines: pl.DataFrame, flagged: pl.DataFrame
                ) -> pl.DataFrame:
    """(seq, sub_reason): which fault a record's 09 stands for (codes.SUB_REASONS)."""
    return pl.concat([rules.sub_reasons(headers, HEADER_RULES, RUN_3927, flagged),
                      rules.sub_reasons(lines, LINE_RULES, RUN_3927, flagged)])


def apply(lines: pl.DataFrame, coded: set[int], on_file: set[str]
          ) -> tuple[list[tuple[int, str]], list[int]]:
    """04/05/06 in deck order; returns the flags and the seqs of the lines that post.

    `lines` holds seq, h_action, defect_code for lines whose header is readable and whose code
    is three digits, less the later duplicates of a document (10); `coded` are seqs already
    carrying a code (their own or their header's).
    """
    at_start = set(on_file)
    current = set(on_file)
    deleted: set[str] = set()
    bad: list[tuple[int, str]] = []
    posted: list[int] = []
    for seq, action, code in lines.select("seq", "h_action", "defect_code").iter_rows():
        own: str | None = None
        if action == "A" and code in current:
            own = "04"
        elif action in ("C", "D") and code not in at_start:
            own = "05"
        elif action in ("C", "D") and code in deleted:
            own = "06"
        if own:
            bad.append((seq, own))
        if own or seq in coded:
            continue
        posted.append(seq)
        if action == "A":
            current.add(code)
        elif action == "D":
            current.discard(code)
            deleted.add(code)
    return bad, posted
