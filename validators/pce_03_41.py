"""Form 3926 checks, computer run PCE-03-41: the rule for every code of `codes.py` run 3926.

Header rules read the header frame, line rules the line frame (both prepared by
`pipelines.engine.qap.run03.prepare`, which adds the document and transaction facts they
need). Reference rules (06, 10, 14, 24 on delete) are joins or an ordered pass; 26-33 need
the Cumulative Data File and live with posting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from layouts import zoned
from validators import rules
from validators.codes import RUN_3926
from validators.rules import Rule, blank, digits, flag_rows, flags, no_flags, schema
from validators.years import FIRST_YEAR, LAST_YEAR

REVIEW, ADJUSTMENT, STANDARD = "59702", "59706", "59707"
FAMILY = (REVIEW, ADJUSTMENT, STANDARD)
FORMAT = "222"
LINE_SECTIONS = [f"{n:02d}" for n in range(2, 13)]
MAX_CODES_PER_SAMPLE = 10
MAX_CODES_PER_OFP = 200
QUARTER_ENDS = ((12, 31), (3, 31), (6, 30), (9, 30))
# Defect codes that are never the employee's (IRM 3.30.28.4.8.2): 900-909 procedural, systemic
# or organizational (3.30.28.4.2.4, charged to the unit/group); 930-999 local (glossary 16, not
# for individual evaluation).
PROCEDURAL_CODES = ("900", "909")
LOCAL_CODES = ("930", "999")

P = pl.col("program_number")
HP = pl.col("h_program")


def code_in(column: str, bounds: tuple[str, str]) -> pl.Expr:
    """The column holds a 3-digit defect code within `bounds` (inclusive): one of the codes
    the bounds span, looked up as a set (a 3-digit text between two 3-digit bounds is one of
    them), not a digits pattern and two comparisons on every row (about a fifth of the CPU
    on the week's million lines, where the listings and charges ask it several times)."""
    lo, hi = (int(b) for b in bounds)
    return pl.col(column).is_in([f"{n:03d}" for n in range(lo, hi + 1)]).fill_null(False)


def unit_group_code(column: str = "defect_code") -> pl.Expr:
    """A defect code never charged to the employee: 900-909 or 930-999."""
    return code_in(column, PROCEDURAL_CODES) | code_in(column, LOCAL_CODES)


def _is(program: str) -> pl.Expr:
    return P.eq(program)


def _week_ending_ok() -> pl.Expr:
    d = pl.col("week_ending_v")
    quarter_end = pl.lit(False)
    for month, day in QUARTER_ENDS:
        quarter_end = quarter_end | ((d.dt.month() == month) & (d.dt.day() == day))
    return d.is_not_null() & ((d.dt.weekday() == 6) | quarter_end)


def _week_year_out() -> pl.Expr:
    """A week ending outside the years an HDR may carry (1900-2099): its quarter, fiscal year
    and rating period are counted from it, and at the calendar's ends cannot be (a real
    Saturday in December 9999 stopped the week with 16: review 18f, F0); a year slipped in
    keying (01/02/9999) posted into 9999Q2. Checked only on a Saturday or quarter end, so
    that a record gets one reason for its date."""
    year = pl.col("week_ending_v").dt.year()
    return _week_ending_ok() & ((year < FIRST_YEAR) | (year > LAST_YEAR))


def _qs_present() -> pl.Expr:
    return ~blank("quality_standard")


HEADER_RULES = [
    Rule("36", "program_number", lambda: ~P.is_in(FAMILY) | (pl.col("format_code") != FORMAT),
         "unknown program or format code", sub="program"),
    Rule("36", "week_ending", lambda: P.is_in(FAMILY) & ~_week_ending_ok(),
         "week ending missing, not a date, or neither a Saturday nor a quarter end",
         sub="week_ending"),
    Rule("36", "week_ending", lambda: P.is_in(FAMILY) & _week_year_out(),
         f"week ending outside the years {FIRST_YEAR}-{LAST_YEAR}", sub="week_year"),
    Rule("36", "control_bad", lambda: pl.col("control_bad"),
         "block or serial not A-Z 0-9 / 00-99", sub="control"),
    Rule("36", "defect_list", lambda: P.is_in([REVIEW, ADJUSTMENT])
         & (pl.col("defect_list") != "000"), "defect list not 000 on a review or adjustment",
         sub="defect_list"),
    Rule("36", "section", lambda: pl.col("header_rank") > 1,
         "section 01 repeated within a document", sub="header_repeated"),
    Rule("36", "program_number", lambda: _is(ADJUSTMENT) & (pl.col("n_lines") == 0),
         "adjustment document with no lines", sub="no_lines"),
    Rule("36", "quality_standard", lambda: _is(STANDARD) & ~_qs_present(),
         "3926-A with a blank quality standard", sub="no_standard"),
    Rule("03", "org_code", lambda: ~digits("org_code", 5), "organization code not digits"),
    Rule("04", "function_code", lambda: ~digits("function_code", 3), "function code not digits"),
    Rule("05", "program_code", lambda: ~digits("program_code", 5), "program code not digits"),
    Rule("07", "quality_standard", lambda: _qs_present() & ~digits("quality_standard", 4),
         "quality standard neither blank nor 4 digits"),
    Rule("08", "quality_standard", lambda: _qs_present()
         & (pl.col("org_code").str.slice(2, 3) != "000"),
         "quality standard with an organization not ending in 000"),
    Rule("09", "quality_standard", lambda: P.is_in([REVIEW, ADJUSTMENT]) & _qs_present()
         & (pl.col("n_lines") > 0), "quality standard on a form that has lines",
         sub="standard_with_lines"),
    Rule("19", "program_number", lambda: _is(ADJUSTMENT) & (pl.col("adjustment_rank") > 1),
         "second adjustment document for the same OFP and week ending"),
    Rule("24", "defect_list", lambda: _is(STANDARD)
         & ~pl.col("defect_list").is_in(["   ", "999"]), "3926-A defect list not blank or 999"),
]

REVIEWING = HP == REVIEW
ADJUSTING = HP == ADJUSTMENT
COUNTED = HP.is_in([REVIEW, ADJUSTMENT])
CODE = ~blank("defect_code")


def _count_bad(column: str) -> pl.Expr:
    """A review count that is not blank and not right-justified digits."""
    return ~blank(column) & pl.col(f"{column}_v").is_null()


ZONED = ("sampled", "defects", "defective")


def adjustment_facts(lines: pl.DataFrame) -> pl.DataFrame:
    """`<item>_zoned_bad` for items 11, 14 and 16: True on an adjustment line whose item is
    neither blank nor four digits or blanks then a zone character (22, 25, 23). Checked on the
    adjustment lines only; every other line is False."""
    at = lines.with_row_index("__i").filter(ADJUSTING).select(
        "__i", *[(~zoned.valid_expr(pl.col(c), 5, strict=True)).alias(c) for c in ZONED])
    out = []
    for c in ZONED:
        flag = pl.repeat(False, lines.height, eager=True).alias(f"{c}_zoned_bad")
        out.append(flag.scatter(at["__i"], at[c]) if at.height else flag)
    return lines.with_columns(out)


def _zoned_bad(column: str) -> pl.Expr:
    return pl.col(f"{column}_zoned_bad")


LINE_RULES = [
    Rule("36", "section", lambda: pl.col("h_program").is_null(), "line with no header",
         sub="no_header"),
    Rule("36", "control_bad", lambda: pl.col("control_bad"),
         "block or serial not A-Z 0-9 / 00-99", sub="control"),
    Rule("36", "section", lambda: ~pl.col("section").is_in(LINE_SECTIONS),
         "section not 02-12", sub="section"),
    Rule("36", "program_number", lambda: HP.is_not_null() & ((P != HP)
         | (pl.col("format_code") != FORMAT)), "program or format differs from its header",
         sub="not_its_header"),
    Rule("36", "section", lambda: pl.col("section_rank") > 1, "section repeated in a document",
         sub="section_repeated"),
    Rule("09", "section", lambda: HP == STANDARD, "sampling data under a 3926-A",
         sub="lines_under_standard"),
    Rule("36", "unit_mark", lambda: REVIEWING & ~pl.col("unit_mark").is_in([" ", "#"]),
         "column 16 neither blank nor #", sub="unit_mark"),
    Rule("36", "unit_mark", lambda: REVIEWING & (pl.col("unit_mark") == "#") & ~blank("ssn"),
         "# together with an SSN", sub="unit_with_ssn"),
    Rule("36", "ssn", lambda: REVIEWING & ~blank("ssn") & ~digits("ssn", 9), "SSN not 9 digits",
         sub="ssn"),
    Rule("36", "section", lambda: REVIEWING & (pl.col("txn_no") == 0),
         "continuation line with no transaction above it", sub="no_transaction"),
    Rule("36", "section", lambda: REVIEWING & ~pl.col("starts") & ~CODE & blank("defects"),
         "line with no data", sub="no_data"),
    Rule("36", "defect_code", lambda: REVIEWING & CODE
         & (pl.col("code_rank") > MAX_CODES_PER_SAMPLE), "more than 10 defect codes on a sample",
         sub="codes_per_sample"),
    Rule("36", "defect_code", lambda: COUNTED & CODE
         & (pl.col("ofp_rank") > MAX_CODES_PER_OFP), "defect code beyond the 200th for the OFP",
         sub="codes_per_ofp"),
    Rule("11", "sampled", lambda: REVIEWING & (_count_bad("sampled") | (pl.col("sampled_v") == 0)),
         "number sampled not digits, or zero"),
    Rule("12", "ssn", lambda: REVIEWING & ~blank("ssn") & blank("sampled"),
         "SSN with a blank number sampled"),
    Rule("13", "defective", lambda: REVIEWING & (_count_bad("defective")
         | (pl.col("defective_v") == 0)), "defective records not digits, or zero"),
    Rule("15", "defect_code", lambda: COUNTED & CODE & ~digits("defect_code", 3),
         "defect code not 3 digits"),
    Rule("16", "defects", lambda: COUNTED & ~CODE & ~blank("defects"),
         "number of defects without a defect code"),
    Rule("17", "defects", lambda: COUNTED & CODE & blank("defects"),
         "defect code without a number of defects"),
    Rule("18", "defects", lambda: REVIEWING & (_count_bad("defects")
         | (pl.col("defects_v") <= 0)), "number of defects not digits or zero"),
    Rule("19", "defect_code", lambda: COUNTED & CODE & (pl.col("dup_rank") > 1),
         "defect code repeated in a transaction"),
    Rule("20", "defective", lambda: REVIEWING & pl.col("starts")
         & (pl.col("defective_v") > pl.col("defects_sum")),
         "defective records above the total of defects"),
    Rule("21", "defective", lambda: REVIEWING & pl.col("starts")
         & (pl.col("defective_v") > pl.col("sampled_v")),
         "defective records above the number sampled"),
    Rule("22", "sampled", lambda: _zoned_bad("sampled"), "adjustment sampled not zone-punched"),
    Rule("23", "defective", lambda: _zoned_bad("defective"),
         "adjustment defective not zone-punched"),
    Rule("25", "defects", lambda: _zoned_bad("defects"), "adjustment defects not zone-punched"),
    Rule("34", "ssn", lambda: ADJUSTING & ((pl.col("unit_mark") != " ") | ~blank("ssn")),
         "SSN or # on an adjustment"),
    Rule("35", "defective", lambda: REVIEWING & pl.col("starts") & blank("defective")
         & (pl.col("defects_sum") > 0), "defects without defective records"),
]

HEADER_SCHEMA = schema(HEADER_RULES, "Form 3926 headers (PCE-03-41)")
LINE_SCHEMA = schema(LINE_RULES, "Form 3926 lines (PCE-03-41)")


def _suspects(frame: pl.DataFrame, checked: list[Rule]) -> pl.DataFrame:
    """The rows of `frame` on which some rule fires, found in one pass: every rule here reads
    its own row only (the facts across rows are columns that `prepare` computed), so pandera
    finds the same flags on them as on the whole frame, at the cost of a few rows' checks
    instead of a pass over every row per rule."""
    if frame.height == 0:
        return frame
    return frame.filter(pl.any_horizontal(r.fires().fill_null(False) for r in checked))


def header_flags(headers: pl.DataFrame) -> pl.DataFrame:
    return flags(_suspects(headers, HEADER_RULES), HEADER_SCHEMA)


def line_flags(lines: pl.DataFrame) -> pl.DataFrame:
    return flags(_suspects(lines, LINE_RULES), LINE_SCHEMA)


def sub_reasons(headers: pl.DataFrame, lines: pl.DataFrame, flagged: pl.DataFrame
                ) -> pl.DataFrame:
    """(seq, sub_reason): which fault a record's 36 or 09 stands for (codes.SUB_REASONS)."""
    return pl.concat([rules.sub_reasons(headers, HEADER_RULES, RUN_3926, flagged),
                      rules.sub_reasons(lines, LINE_RULES, RUN_3926, flagged)])


def ofp_not_on_file(headers: pl.DataFrame, ofp: pl.DataFrame) -> pl.DataFrame:
    """06: exact OFP match; a 3926-A for an `NN000` organization matches NN, function, program."""
    # an OFP with a non-digit is not on file either; the columns read, not the whole frame
    readable = headers.select("seq", "program_number", "org_code", "function_code",
                              "program_code").filter(P.is_in(FAMILY))
    if readable.height == 0:
        return no_flags()
    exact = ofp.select("org_code", "function_code", "program_code").unique()
    prefix = ofp.select(pl.col("org_code").str.slice(0, 2).alias("org2"), "function_code",
                        "program_code").unique()
    by_prefix = _is(STANDARD) & (pl.col("org_code").str.slice(2, 3) == "000")
    checked = readable.with_columns(pl.col("org_code").str.slice(0, 2).alias("org2"))
    hit_exact = checked.join(exact, on=["org_code", "function_code", "program_code"],
                             how="semi")["seq"]
    hit_prefix = checked.filter(by_prefix).join(prefix, on=["org2", "function_code",
                                                            "program_code"], how="semi")["seq"]
    found = pl.when(by_prefix).then(pl.col("seq").is_in(hit_prefix.implode())).otherwise(
        pl.col("seq").is_in(hit_exact.implode()))
    return flag_rows(checked, "06", ~found)


def defect_code_not_on_file(lines: pl.DataFrame, defect_codes: pl.Series) -> pl.DataFrame:
    """14: a well-formed defect code that the Defect Code File (as run 01 left it) lacks."""
    return flag_rows(lines.select("seq", "h_program", "defect_code"), "14",
                     COUNTED & digits("defect_code", 3)
                     & ~pl.col("defect_code").is_in(defect_codes.implode()))


@dataclass(frozen=True)
class StandardChange:
    seq: int
    org_code: str
    function_code: str
    program_code: str
    week_ending: dt.date
    delete: bool
    standard: int | None  # NNnn hundredths of a percent
    rejected: bool = False  # already coded: looked at for 24 only, never posts


def apply_standards(candidates: list[StandardChange], on_file: pl.DataFrame
                    ) -> tuple[pl.DataFrame, pl.DataFrame, list[int]]:
    """10 and 24 (delete), in deck order over 3926-A forms that passed every other check,
    plus 24 on deletes that other codes already reject (every code found is reported). A
    delete carries a standard too (IRM 3.30.28.4.6), so it counts as a second one (10).

    Returns the Quality Standard File after the run, the flags, and the seqs that posted.
    """
    table = {(r["org_code"], r["function_code"], r["program_code"]): r
             for r in on_file.iter_rows(named=True)}
    seen: set[tuple] = set()
    bad: list[tuple[int, str]] = []
    posted: list[int] = []
    for c in candidates:
        key = (c.org_code, c.function_code, c.program_code)
        current = table.get(key)
        codes = [code for code, found in (
            ("10", (key, c.week_ending) in seen
             or (current is not None and current["week_ending"] == c.week_ending)),
            ("24", c.delete and current is None)) if found]
        bad.extend((c.seq, code) for code in codes)
        if codes or c.rejected:
            continue
        seen.add((key, c.week_ending))
        posted.append(c.seq)
        if c.delete:
            del table[key]
            continue
        assert c.standard is not None
        table[key] = {"org_code": c.org_code, "function_code": c.function_code,
                      "program_code": c.program_code,
                      "standard": max(c.standard, 100), "below_minimum": c.standard < 100,
                      "week_ending": c.week_ending}
    result = pl.DataFrame(list(table.values()), schema=QS_SCHEMA).sort(
        "org_code", "function_code", "program_code")
    flagged = pl.DataFrame(bad, schema={"seq": pl.UInt32, "code": pl.String}, orient="row")
    return result, flagged, posted


QS_SCHEMA = {"org_code": pl.String, "function_code": pl.String, "program_code": pl.String,
             "standard": pl.Int32, "below_minimum": pl.Boolean, "week_ending": pl.Date}
