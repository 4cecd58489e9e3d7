"""Weekly Individual Performance Report (IPR), printed: one employee per page (or more pages),
employees by assigned organization then name, SSN masked to its last four.

Sections per employee: entity; weekly efficiency (hours, learning-curve hours, volume, rate and
percent of the OFP's efficiency standard per OFP, grade and week ending date); weekly quality
(documents reviewed, errors, percent accurate, for lines with reviews); the adjustments section
(Forms 6489 posted for the employee this week, only when there is one); then, for each quarter
the week falls in, quarter-to-date efficiency and quality from the cum job records (the LINE
column says CURRENT or PRIOR grade). A section with nothing to show prints NONE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.engine.qap.individual import periods
from pipelines.engine.qap.individual.ipr import measured, week_quarters
from pipelines.engine.qap.individual.measures import fmt_hundredths, fmt_signed, fmt_tenths
from pipelines.reports.columns import Col, head_line, lines
from pipelines.reports.printing import (
    PageHeading,
    count_pages,
    fmt_date,
    mask_ssn_expr,
    paginate_chunks,
    write_pages,
)
from validators import codes

RUN_NUMBER = "IPR"  # the legacy run number is not known; this is our label
TITLE = "WEEKLY INDIVIDUAL PERFORMANCE REPORT"
LINES_PER_PAGE = 55
EMPLOYEES_PER_PART = 5_000  # employees laid out at a time (`page_parts`)
INDENT = 2

_LABEL = (pl.when(pl.col("scope") == "week").then(pl.col("week_ending").dt.strftime("%m/%d/%Y"))
          .when(pl.col("record_code") == "1").then(pl.lit("CURRENT GR"))
          .otherwise(pl.lit("PRIOR GR")))
_OFP = [Col("ORG", "org_code", 5, gap=2), Col("FUN", "function_code", 3),
        Col("PROG", "program_code", 5), Col("GR", "grade", 2, gap=2)]
EFFICIENCY = [
    Col("LINE", _LABEL, 10), *_OFP, Col("ST", "step", 2), Col("QPC", "qpc", 3),
    Col("HOURS", fmt_tenths(pl.col("hours_tenths")), 9, "right"),
    Col("LC HOURS", fmt_tenths(pl.col("lc_hours_tenths")), 9, "right"),
    Col("VOLUME", "volume", 9, "right"), Col("LC VOLUME", "lc_volume", 9, "right"),
    Col("RATE", fmt_hundredths(pl.col("rate_h")), 9, "right"),
    Col("STANDARD", fmt_hundredths(pl.col("standard_h")), 9, "right"),
    Col("PCT OF STD", fmt_hundredths(pl.col("pct_standard_h")), 11, "right"),
]
QUALITY = [
    Col("LINE", _LABEL, 10), *_OFP, Col("ST", "step", 2), Col("QPC", "qpc", 3),
    Col("REVIEWED", "reviewed", 9, "right"), Col("ERRORS", "errors", 9, "right"),
    Col("PCT ACCURATE", fmt_hundredths(pl.col("pct_accurate_h")), 13, "right"),
]
ADJUSTMENTS = [
    Col("LINE", pl.lit("FORM 6489"), 10), *_OFP,
    Col("R/C", "record_code", 3, "right"), Col("A/C", "adjustment_code", 3, "right"),
    Col("QTR END", pl.col("quarter_end").dt.strftime("%Y%m"), 7, gap=2),
    Col("HOURS", fmt_tenths(pl.col("hours_change"), signed=True), 8, "right"),
    Col("VOLUME", fmt_signed(pl.col("volume_change")), 9, "right"),
    Col("REVIEWED", fmt_signed(pl.col("reviewed_change")), 9, "right"),
    Col("ERRORS", fmt_signed(pl.col("errors_change")), 9, "right"),
    Col("MESSAGE", "message", 10, gap=2),
]


def _name() -> pl.Expr:
    return pl.concat_str([pl.col("last_name"), pl.lit(", "), pl.col("first_name"),
                          pl.lit(" "), pl.col("middle_initial")]).str.strip_chars()


def _entity(emp: pl.DataFrame, text: bool = True) -> list[pl.DataFrame]:
    """The two entity lines of each employee, (emp, line) each (blank without `text`)."""
    if not text:
        return [emp.select("emp", pl.lit("").alias("line"))] * 2
    one = pl.concat_str([
        pl.lit("EMPLOYEE  "), mask_ssn_expr("ssn"), pl.lit("  "), _name().str.pad_end(36),
        pl.lit("ASSIGNED ORG "), pl.col("assigned_org"), pl.lit("  GRADE/STEP "),
        pl.col("emf_grade"), pl.lit("/"), pl.col("emf_step"), pl.lit("  CLASS "),
        pl.col("class_code"), pl.lit("  WORK STATUS "), pl.col("work_status")])
    date = pl.col("measured_since").dt.strftime("%m/%d/%Y").fill_null("")
    start = pl.col("rating_start").dt.strftime("%m/%d/%Y").fill_null("")
    two = pl.concat_str([pl.lit(" " * 10 + "MEASURED PLAN SINCE "), date,
                         pl.lit("   RATING PERIOD FROM "), start])
    return [emp.select("emp", one.alias("line")), emp.select("emp", two.alias("line"))]


def _fixed(who: pl.DataFrame, texts: list[str]) -> pl.DataFrame:
    """emp, line: the same lines for every employee of `who`, employee by employee."""
    return who.join(pl.DataFrame({"line": texts}, schema={"line": pl.String}), how="cross")


def _section(emp: pl.DataFrame, rows: pl.DataFrame, cols: list[Col], titles: list[str], *,
             always: bool = True, text: bool = True) -> list[pl.DataFrame]:
    """(emp, line) pieces of one section, in print order for each employee: titles and column
    heads, one line per row (in `rows` order) or NONE, and a blank line; with `always=False`
    nothing at all for an employee without rows. `rows` carry `emp`."""
    body = (rows.select("emp").with_columns(lines(rows, cols, INDENT, strip=False)) if text
            else rows.select("emp", pl.lit("").alias("line")))
    who = emp if always else emp.join(rows.select("emp"), on="emp", how="semi")
    none = who.join(rows.select("emp"), on="emp", how="anti").with_columns(
        pl.lit(" " * INDENT + "NONE").alias("line"))
    return [_fixed(who, [*titles, head_line(cols, INDENT)]), body, none, _fixed(who, [""])]


def _in_print_order(employees: pl.DataFrame) -> pl.DataFrame:
    """The measured employees in print order, numbered by `emp` (their place in the report)."""
    return measured(employees).sort("assigned_org", "last_name", "first_name",
                                    "middle_initial", "ssn").with_row_index("emp")


def detail(ipr: pl.DataFrame, employees: pl.DataFrame, adjustments: pl.DataFrame,
           week_ending: dt.date, emp: pl.DataFrame | None = None, text: bool = True
           ) -> pl.DataFrame:
    """Detail lines with `emp` (page break per employee) and `break_title` (the org).

    Each piece of the report (entity lines, a section's titles, its rows, NONE, the blank line
    after it) is a frame of (emp, line) in print order within each employee; the pieces are
    stacked in print order and put in employee order by one stable sort on `emp`. `emp` (a
    consecutive slice of `_in_print_order`) limits the lines to those employees; without
    `text` the lines are left blank (as many, for counting pages)."""
    emp = _in_print_order(employees) if emp is None else emp
    order = emp.select("ssn", "emp")
    ipr = ipr.join(order, on="ssn", how="inner", maintain_order="left")
    week, qtd = (ipr.filter(pl.col("scope") == s) for s in ("week", "quarter"))
    posted = adjustments.filter(pl.col("message_code") != codes.ERROR).sort("seq").join(
        order, on="ssn", how="inner", maintain_order="left")
    who = emp.select("emp")
    pieces = [*_entity(emp, text),
              *_section(who, week, EFFICIENCY, ["", "WEEKLY EFFICIENCY"], text=text),
              *_section(who, week.filter(pl.col("reviewed") > 0), QUALITY, ["WEEKLY QUALITY"],
                        text=text),
              *_section(who, posted, ADJUSTMENTS, ["ADJUSTMENTS (FORMS 6489 POSTED THIS WEEK)"],
                        always=False, text=text)]
    for q in week_quarters(week_ending):
        rows = qtd.filter(pl.col("quarter_end") == q)
        title = f"QUARTER TO DATE - QUARTER ENDING {fmt_date(q)} ({periods.fiscal_label(q)})"
        pieces += _section(who, rows, EFFICIENCY, [title, "  EFFICIENCY"], text=text)
        pieces += _section(who, rows.filter(pl.col("reviewed") > 0), QUALITY, ["  QUALITY"],
                           text=text)
    stacked = pl.concat([p.select(pl.col("emp").cast(pl.UInt32), "line") for p in pieces],
                        rechunk=False).sort("emp", maintain_order=True)  # one copy, not two
    del pieces
    titles = emp.select(pl.concat_str([pl.lit("ASSIGNED ORG "), pl.col("assigned_org")])
                        ).to_series()
    first = emp["emp"][0] if emp.height else 0
    return stacked.select("line", "emp",
                          titles.gather(stacked["emp"] - first).alias("break_title"))


def _heading(run_date: dt.date, week_ending: dt.date) -> PageHeading:
    return PageHeading(RUN_NUMBER, TITLE, run_date, week_ending, ())


def page_parts(ipr: pl.DataFrame, employees: pl.DataFrame, adjustments: pl.DataFrame,
               run_date: dt.date, week_ending: dt.date,
               employees_per_part: int | None = None) -> Iterator[pl.DataFrame]:
    """The report's `paginate` frames, `employees_per_part` employees at a time (the text is
    that of the whole report paginated at once).

    Every employee starts a page, so each part starts one. The page-number width needs the
    whole report's page count first: one pass counts each part's pages (blank lines, no
    formatting), the second lays them out, so only one part's lines are alive at a time (an
    IPR has a million lines or more)."""
    size = max(employees_per_part or EMPLOYEES_PER_PART, 1)
    emp = _in_print_order(employees)
    parts = [emp.slice(at, size) for at in range(0, emp.height, size)]

    def details(text: bool = True) -> Iterator[pl.DataFrame]:
        for part in parts:
            yield detail(ipr, employees, adjustments, week_ending, emp=part, text=text)

    total = sum(count_pages(d, LINES_PER_PAGE, "emp") for d in details(text=False))
    yield from paginate_chunks(details(), _heading(run_date, week_ending),
                               lines_per_page=LINES_PER_PAGE, break_on="emp",
                               total_pages=max(total, 1))


def print_report(ipr: pl.DataFrame, employees: pl.DataFrame, adjustments: pl.DataFrame,
                 run_date: dt.date, week_ending: dt.date, path: Path) -> None:
    write_pages(page_parts(ipr, employees, adjustments, run_date, week_ending), path)
