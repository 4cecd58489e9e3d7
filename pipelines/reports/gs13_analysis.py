"""GS-13 Casework Analysis, INV-10-02G (spec 7.4), and its Parquet twin (long form).

Tables 1-2 put the current run beside up to three earlier quarter-end runs (TIGTA's Figures 1
and 2); Table 2 prints TIGTA's unadjusted view and the IRS's adjusted view side by side, and
the line net of the cases a review found unwarranted (Appendix IV); Tables 3-4 follow the
case review; Table 5 compares a forecast (FCS records) with the actual.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, fmt_date, paginate, write_report

RUN_NUMBER, TITLE = "INV-10-02G", "GS-13 CASEWORK ANALYSIS"
LABEL = 52
FACTOR_NAMES = {1: "NATURE OF ENTITY", 2: "RANGE OF CASE ISSUES",
                3: "IMPACT OF ENFORCEMENT ACTION", 4: "PERSONAL CONTACTS"}


def _get(frame: pl.DataFrame, table: int, measure: str, basis: str = "",
         column: str = "value"):
    hit = frame.filter((pl.col("table") == table) & (pl.col("measure") == measure)
                       & (pl.col("basis") == basis))
    return hit[column][0] if hit.height else None


def _i(value) -> str:
    return "" if value is None else str(int(value))


def _p(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _row(label: str, *cells: str, width: int = 12) -> str:
    return (f"{label:<{LABEL}}" + "".join(f"{c:>{width}}" for c in cells)).rstrip()


def table1(current: pl.DataFrame, earlier: list[pl.DataFrame], minimum: int) -> list[str]:
    runs = [*earlier, current]
    dates = [fmt_date(r["as_of"][0]) for r in runs]
    lines = [f"TABLE 1. GS-13 ROS MEETING THE GS-13 CASE TARGET (AT LEAST {minimum} GS-13 "
             "CASES)", _row("", *dates)]
    for label, measure in (("GS-13 ROS ON THE ROSTER", "gs13_ros"),
                           ("WITH NO CASES", "with_no_cases"),
                           ("ACTIVE (HOLDING CASES)", "active"),
                           (f"ACTIVE WITH AT LEAST {minimum} GS-13 CASES",
                            "active_meeting_minimum")):
        lines.append(_row(label, *(_i(_get(r, 1, measure)) for r in runs)))
    lines.append(_row("PERCENT OF ACTIVE MEETING THE TARGET",
                      *(_p(_get(r, 1, "pct_meeting")) for r in runs)))
    return lines


def table2(current: pl.DataFrame, earlier: list[pl.DataFrame], minimum: int) -> list[str]:
    def supported(basis: str) -> str:
        raw = _get(current, 2, "supported_unrounded", basis)
        return f"{raw:.2f} -> {_i(_get(current, 2, 'supported', basis))}"

    lines = ["TABLE 2. GS-13 ROS SUPPORTED BY GS-13 CASEWORK",
             _row("", "UNADJUSTED", "ADJUSTED", width=16),
             _row("", "(TIGTA)", "(IRS)", width=16)]
    for label, measure in (("GS-13 CASES HELD BY GS-13 ROS", "held"),
                           ("GS-13 CASES NEEDED AT THE MINIMUM", "needed"),
                           ("SHORTFALL", "shortfall")):
        lines.append(_row(label, _i(_get(current, 2, measure, "unadjusted")),
                          _i(_get(current, 2, measure, "adjusted")), width=16))
    lines.append(_row(f"ROS SUPPORTED (HELD / {minimum}, ROUNDED UP)", supported("unadjusted"),
                      supported("adjusted"), width=16))
    roster = _get(current, 2, "roster", "adjusted")
    lines.append(_row("GS-13 ROS ON THE ROSTER (ADJUSTED: SUM OF 100-ADJ %)",
                      _i(_get(current, 2, "roster", "unadjusted")), f"{roster:.2f}", width=16))
    lines.append(_row("NOT SUPPORTED", _i(_get(current, 2, "not_supported", "unadjusted")),
                      f"{_get(current, 2, 'not_supported', 'adjusted'):.2f}", width=16))
    rate = _get(current, 2, "review_rate", "net")
    if rate is None:
        lines.append("NET OF UNWARRANTED CASES: NO GS-13 CASE WAS REVIEWED; NOT COMPUTED")
    else:
        held = _i(_get(current, 2, "held", "unadjusted"))
        held = _i(_get(current, 2, "held", "unadjusted"))
        net = _i(_get(current, 2, "held", "net"))
        lines.append(
            f"NET OF UNWARRANTED CASES: REVIEW RATE {rate:.2f} % ("
            f"{_i(_get(current, 2, 'review_rate', 'net', 'numerator'))} OF "
            f"{_i(_get(current, 2, 'review_rate', 'net', 'denominator'))} REVIEWED), {held} X "
            f"{rate / 100:.2f} = {_get(current, 2, 'unwarranted_unrounded', 'net'):.2f} -> "
            f"{_i(_get(current, 2, 'unwarranted', 'net'))} UNWARRANTED")
        lines.append(
            f"  NET {net} CASES, {net} / {minimum} = "
            f"{_get(current, 2, 'supported_unrounded', 'net'):.2f} -> "
            f"{_i(_get(current, 2, 'supported', 'net'))} SUPPORTED, "
            f"{_i(_get(current, 2, 'not_supported', 'net'))} NOT SUPPORTED")
    for run in earlier:
        lines.append(f"  EARLIER QUARTER END {fmt_date(run['as_of'][0])} (UNADJUSTED): HELD "
                     f"{_i(_get(run, 2, 'held', 'unadjusted'))}, SUPPORTED "
                     f"{_i(_get(run, 2, 'supported', 'unadjusted'))} OF "
                     f"{_i(_get(run, 2, 'roster', 'unadjusted'))}")
    return lines


def _count_pct(frame: pl.DataFrame, table: int, measure: str, suffix: str = " %") -> tuple:
    return (_i(_get(frame, table, measure, column="numerator")),
            _p(_get(frame, table, measure)) + suffix)


def table3(current: pl.DataFrame) -> list[str]:
    c = current
    lines = ["TABLE 3. CAG GRADING OF GS-13 CASES",
             _row("GS-13 CASES", _i(_get(c, 3, "gs13_cases"))),
             _row("MANUALLY GRADED", _i(_get(c, 3, "manually_graded"))),
             _row("FEWER THAN 3 FACTORS DOCUMENTED, NO REASON (82)",
                  *_count_pct(c, 3, "undocumented_no_reason")),
             _row("FEWER THAN 3 FACTORS DOCUMENTED, WITH A REASON (81)",
                  _i(_get(c, 3, "fewer_with_reason"))),
             _row("REVIEWED", _i(_get(c, 3, "reviewed"))),
             _row("NOT WARRANTED (80), PERCENT OF REVIEWED",
                  *_count_pct(c, 3, "not_warranted")),
             _row("UNDOCUMENTED BUT CONFIRMED, OF THOSE REVIEWED",
                  _i(_get(c, 3, "undocumented_confirmed")),
                  "OF " + _i(_get(c, 3, "undocumented_confirmed", column="denominator"))),
             _row("FACTOR WITHOUT A SUBELEMENT (83)", _i(_get(c, 3, "missing_subelement"))),
             _row("PROPERLY DOCUMENTED: FACTORS CITED",
                  _i(_get(c, 3, "properly_documented")))]
    for n, name in FACTOR_NAMES.items():
        lines.append(_row(f"  {n} {name}", *_count_pct(c, 3, f"factor_{n}")))
        if n == 2:
            subs = [f"{x} {_i(_get(c, 3, f'factor_2_{x}'))}" for x in "ABCDEFG"]
            lines.append("      SUBELEMENTS: " + "  ".join(subs))
    return lines


def table4(current: pl.DataFrame) -> list[str]:
    c = current
    avg = _get(c, 4, "avg_days_since_regrade")
    first = _get(c, 4, "avg_days_since_first")
    reassign = _get(c, 4, "avg_days_before_reassignment")
    return ["TABLE 4. GS-13 WORK IN LOWER-GRADED HANDS",
            _row("LOWER-GRADED CASES REVIEWED", _i(_get(c, 4, "lower_reviewed"))),
            _row("LOWER-GRADED, FACTORS DOCUMENTED, NOT REVIEWED",
                 _i(_get(c, 4, "lower_documented_only"))),
            _row("  MEETING 3 OR MORE GS-13 FACTORS (84)",
                 *_count_pct(c, 4, "lower_three_or_more")),
            _row("  MEETING EXACTLY 2 GS-13 FACTORS (85)",
                 *_count_pct(c, 4, "lower_exactly_two")),
            _row("GS-13 CASES HELD BY A LOWER GRADE (86)", _i(_get(c, 4, "gs13_held_by_lower"))),
            _row("  AVERAGE DAYS SINCE RE-GRADE", "" if avg is None else f"{avg:.1f}"),
            _row("  AVERAGE DAYS SINCE FIRST ASSIGNMENT", "" if first is None else f"{first:.1f}"),
            _row("GS-13 ROS' GS-13 CASES FIRST WORKED BY A LOWER GRADE",
                 _i(_get(c, 4, "gs13_first_worked_lower", column="numerator")),
                 "OF " + _i(_get(c, 4, "gs13_first_worked_lower", column="denominator")),
                 _p(_get(c, 4, "gs13_first_worked_lower")) + " %"),
            _row("  AVERAGE CALENDAR DAYS BEFORE REASSIGNMENT",
                 "" if reassign is None else f"{reassign:.1f}")]


def table5(current: pl.DataFrame) -> list[str]:
    rows = current.filter(pl.col("table") == 5)
    if rows.height == 0:
        return ["TABLE 5. FORECAST AGAINST ACTUAL: NO FCS RECORD IN THE DECK"]
    lines = ["TABLE 5. FORECAST AGAINST ACTUAL",
             _row("SCOPE AND PERIOD END", "FORECAST", "ACTUAL", "VARIANCE")]
    for basis in rows["basis"].unique(maintain_order=True).to_list():
        for label, key, actual in (("GS-13 CASES", "cases", "actual_cases"),
                                   ("GS-13 ROS", "ros", "actual_ros_supported")):
            lines.append(_row(f"{basis}  {label}", _i(_get(current, 5, f"forecast_{key}", basis)),
                              _i(_get(current, 5, actual, basis)),
                              _i(_get(current, 5, f"variance_{key}", basis))))
    return lines


def print_analysis(current: pl.DataFrame, earlier: list[pl.DataFrame], minimum: int,
                   scope: str, run_date: dt.date, as_of: dt.date, path: Path) -> None:
    blocks = [table1(current, earlier, minimum), table2(current, earlier, minimum),
              table3(current), table4(current), table5(current)]
    lines = [line for block in blocks for line in [*block, ""]][:-1]
    heading = PageHeading(run_number=RUN_NUMBER, title=TITLE, run_date=run_date,
                          week_ending=None, column_heads=(),
                          subtitle=f"AS OF {fmt_date(as_of)}  SCOPE {scope}")
    detail = pl.DataFrame({"line": lines}, schema={"line": pl.String})
    write_report(paginate(detail, heading, lines_per_page=50), path)
