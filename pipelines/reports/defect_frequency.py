"""The Periodic Defect Frequency OFP Summary and the QA Unit/Group Report, printed from
`defect_charges.week_frequency` rows: a new page for each period and for quarter to date.

Defect Frequency: per OFP, its codes ranked by defects (the Pareto view: share and running
share), with the employee and unit/group parts of each; the 900-909 codes ranked apart below;
an OFP total line says how much of all its defects 900-909 are.
QA Unit/Group: per OFP, the codes charged to the unit/group: from unit/group reviews, and moved
off employees' reviews (900-909 procedural, 930-999 local); the employee charges beside them
for scale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.individual.defect_charges import FREQUENCY_COLUMNS
from pipelines.individual.print_columns import Col, head_line
from pipelines.reports.printing import PageHeading, fmt_date, paginate, write_report

FREQUENCY_RUN, FREQUENCY_TITLE = "DFS", "PERIODIC DEFECT FREQUENCY OFP SUMMARY"
UNIT_RUN, UNIT_TITLE = "QAUG", "QA UNIT/GROUP REPORT"  # our labels: legacy numbers not known
LINES_PER_PAGE = 50
INDENT = 2
NONE = "*** NO DEFECTS ***"


def _pct(h: int | None) -> str:
    return "" if h is None else f"{h // 100}.{h % 100:02d}"


FREQ_COLS = [Col("RANK", "", 4, "right"), Col("CODE", "", 4), Col("DESCRIPTION", "", 40),
             Col("DEFECTS", "", 7, "right", gap=2), Col("SHARE", "", 7, "right", gap=2),
             Col("RUNNING", "", 7, "right"), Col("EMPLOYEE", "", 8, "right", gap=2),
             Col("UNIT/GROUP", "", 10, "right"), Col("NOTE", "", 5, gap=2)]
UNIT_COLS = [Col("CODE", "", 4), Col("DESCRIPTION", "", 40),
             Col("UNIT REVIEWS", "", 12, "right", gap=2),
             Col("OFF EMPLOYEE", "", 12, "right", gap=2), Col("UNIT/GROUP", "", 10, "right"),
             Col("EMPLOYEE", "", 8, "right", gap=2), Col("KIND", "", 10, gap=2)]


def _cells(cols: list[Col], values: list[object]) -> str:
    """One detail line laid out like `head_line`."""
    parts = [" " * INDENT]
    for i, (c, v) in enumerate(zip(cols, values, strict=True)):
        text = "" if v is None else str(v)
        text = text[: c.width]
        parts.append((" " * c.gap if i else "") + (text.ljust(c.width) if c.align == "left"
                                                   else text.rjust(c.width)))
    return "".join(parts).rstrip()


def _scope_title(scope: str, start: dt.date, end: dt.date) -> str:
    kind = "QUARTER TO DATE" if scope == "quarter" else "PERIOD"
    return f"{kind} {fmt_date(start)}-{fmt_date(end)}"


def _groups(rows: pl.DataFrame) -> Iterator[tuple[str, str, pl.DataFrame]]:
    """(scope title, OFP text, its rows) in print order."""
    for key, part in rows.group_by(["scope", "period_start", "period_end", "org_code",
                                    "function_code", "program_code"], maintain_order=True):
        scope, start, end, org, fun, prog = key
        yield _scope_title(str(scope), start, end), f"OFP {org} {fun} {prog}", part


def _ofp_total(part: pl.DataFrame) -> str:
    r = part.row(0, named=True)
    return (f"{' ' * INDENT}OFP TOTAL {r['ofp_defects']} DEFECTS: EMPLOYEE {r['ofp_employee']}, "
            f"UNIT/GROUP {r['ofp_unit_group']}; 900-909 {r['ofp_procedural']} = "
            f"{_pct(r['procedural_h'])}% OF ALL DEFECTS")


def frequency_lines(rows: pl.DataFrame) -> list[tuple[str, str]]:
    """(line, page key) of the Defect Frequency OFP Summary."""
    out: list[tuple[str, str]] = []
    for title, ofp, part in _groups(rows):
        out.append((ofp, title))
        for section in ("defects", "procedural"):
            lines = part.filter(pl.col("section") == section)
            if lines.height == 0:
                continue
            if section == "procedural":
                out.append((f"{' ' * INDENT}900-909 PROCEDURAL, SYSTEMIC OR ORGANIZATIONAL "
                            "(RANKED APART)", title))
            for r in lines.iter_rows(named=True):
                out.append((_cells(FREQ_COLS, [
                    r["rank"], r["defect_code"], r["description"], r["defects"],
                    _pct(r["share_h"]), _pct(r["running_h"]), r["employee"], r["unit_group"],
                    "LOCAL" if r["local"] else ""]), title))
        out.append((_ofp_total(part), title))
        out.append(("", title))
    return out


def unit_group_lines(rows: pl.DataFrame) -> list[tuple[str, str]]:
    """(line, page key) of the QA Unit/Group Report: OFPs with a unit/group charge."""
    out: list[tuple[str, str]] = []
    for title, ofp, part in _groups(rows):
        charged = part.filter(pl.col("unit_group") > 0).sort("defect_code")
        if charged.height == 0:
            continue
        out.append((ofp, title))
        for r in charged.iter_rows(named=True):
            kind = ("PROCEDURAL" if r["section"] == "procedural"
                    else "LOCAL" if r["local"] else "")
            out.append((_cells(UNIT_COLS, [r["defect_code"], r["description"],
                                           r["unit_review"], r["unit_moved"], r["unit_group"],
                                           r["employee"], kind]), title))
        out.append((_ofp_total(part), title))
        out.append(("", title))
    return out


def _pages(lines: list[tuple[str, str]], run_number: str, title: str, heads: tuple[str, ...],
           run_date: dt.date, week_ending: dt.date) -> pl.DataFrame:
    if not lines:
        lines = [(NONE, "")]
    detail = pl.DataFrame({"line": [x[0] for x in lines], "scope": [x[1] for x in lines]},
                          schema={"line": pl.String, "scope": pl.String}).with_columns(
        pl.col("scope").alias("break_title"))
    heading = PageHeading(run_number, title, run_date, week_ending, heads)
    return paginate(detail, heading, lines_per_page=LINES_PER_PAGE, break_on="scope")


def frequency_pages(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date
                    ) -> pl.DataFrame:
    return _pages(frequency_lines(rows), FREQUENCY_RUN, FREQUENCY_TITLE,
                  (head_line(FREQ_COLS, INDENT),), run_date, week_ending)


def unit_group_pages(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date
                     ) -> pl.DataFrame:
    return _pages(unit_group_lines(rows), UNIT_RUN, UNIT_TITLE, (head_line(UNIT_COLS, INDENT),),
                  run_date, week_ending)


def write_files(rows: pl.DataFrame, run_date: dt.date, week_ending: dt.date, folder: Path
                ) -> dict[str, Path]:
    """`defect-frequency_MMDDYYYY` and `qa-unit-group_MMDDYYYY` (.txt and .parquet) in `folder`
    (file name -> path). The Unit/Group twin keeps only the codes with a unit/group charge."""
    out: dict[str, Path] = {}
    stamp = f"{week_ending:%m%d%Y}"
    for name, pages, frame in (
            ("defect-frequency", frequency_pages(rows, run_date, week_ending), rows),
            ("qa-unit-group", unit_group_pages(rows, run_date, week_ending),
             rows.filter(pl.col("unit_group") > 0))):
        txt, parquet = folder / f"{name}_{stamp}.txt", folder / f"{name}_{stamp}.parquet"
        write_report(pages, txt)
        frame.select(FREQUENCY_COLUMNS).write_parquet(parquet)
        out[txt.name], out[parquet.name] = txt, parquet
    return out
