"""End-of-Month Inventory, INV-10-02M (spec 7.5), printed on month-end as-of dates.

The Balanced Measures view: one line per field RO with range, covered inventory and over or
under; totals per group, territory and area. The totals count the active field ROs the Group
Manager's RO Inventory Report totals (spec 4 and 7.1), so that the two reconcile: trainees are
not counted (IRM 1.4.50.10.2(5)), and a field RO not working inventory (on detail, acting
manager, on leave, collateral duty) is listed with its status and no over or under; both
appear in the totals only on the "excluded" part, with their cases (docs/decisions.md,
"review 17, F6").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.inventory.ro_rules import active_field_ro
from pipelines.reports.printing import PageHeading, fmt_date, paginate, write_report

RUN_NUMBER, TITLE = "INV-10-02M", "END OF MONTH INVENTORY"
HEAD = ("ASSIGN   NAME           GR P D RANGE    INV  OVER UNDER",)
PARQUET_COLUMNS = ("run_id", "as_of", "row_kind", "scope", "assignment_number", "name",
                   "grade", "duty_status", "status", "range_min", "range_max", "covered",
                   "over", "under", "ros", "trainees_excluded", "trainee_cases_excluded",
                   "not_active_excluded", "not_active_cases_excluded")
COUNTS = ("ros", "covered", "over", "under", "trainees_excluded", "trainee_cases_excluded",
          "not_active_excluded", "not_active_cases_excluded")


def _field_ros(entries: pl.DataFrame) -> pl.DataFrame:
    """Every field RO, `active` as the manager's report totals it; over and under only for
    an active one (a range check, spec 4)."""
    active = active_field_ro()
    return entries.filter(pl.col("position_type") == "F").with_columns(
        active.alias("active"),
        pl.when(active).then((pl.col("covered") - pl.col("range_max")).clip(lower_bound=0))
        .alias("over"),
        pl.when(active).then((pl.col("range_min") - pl.col("covered")).clip(lower_bound=0))
        .alias("under"))


def _excluded(rows: pl.DataFrame, key: pl.Expr, count: str, cases: str) -> pl.DataFrame:
    return rows.group_by(key).agg(pl.len().alias(count), pl.col("covered").sum().alias(cases))


def _totals(ros: pl.DataFrame, trainees: pl.DataFrame, width: int, kind: str) -> pl.DataFrame:
    """Active field ROs' count, inventory, over and under per scope; trainees and field ROs
    not active beside them, excluded."""
    key = pl.col("group").str.slice(0, width).alias("scope")
    body = ros.filter("active").group_by(key).agg(
        pl.len().alias("ros"), pl.col("covered").sum(), pl.col("over").sum(),
        pl.col("under").sum())
    out = body
    for part in (_excluded(trainees, key, "trainees_excluded", "trainee_cases_excluded"),
                 _excluded(ros.filter(~pl.col("active")), key, "not_active_excluded",
                           "not_active_cases_excluded")):
        out = out.join(part, on="scope", how="full", coalesce=True)
    return out.with_columns(pl.lit(kind).alias("row_kind"),
                            pl.col(*COUNTS).fill_null(0)).sort("scope")


def parquet_rows(entries: pl.DataFrame, run_id: str, as_of: dt.date) -> pl.DataFrame:
    ros = _field_ros(entries)
    trainees = entries.filter(pl.col("position_type") == "T")
    lines = ros.with_columns(pl.lit("ro").alias("row_kind"), pl.col("group").alias("scope"))
    totals = [_totals(ros, trainees, w, k) for w, k in ((6, "group"), (4, "territory"),
                                                       (2, "area"))]
    return pl.concat([lines, *totals], how="diagonal_relaxed").with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(as_of).alias("as_of")).select(PARQUET_COLUMNS)


def print_report(entries: pl.DataFrame, run_date: dt.date, as_of: dt.date, path: Path) -> None:
    ros = _field_ros(entries)
    trainees = entries.filter(pl.col("position_type") == "T")
    lines = []
    for r in ros.iter_rows(named=True):
        rng = f"{r['range_min']}-{r['range_max']}" if r["range_max"] is not None else ""
        measured = (f"{r['over']:>5} {r['under']:>5}" if r["active"]
                    else f"{'':>5} {'':>5} {r['status']}")
        lines.append(f"{r['assignment_number']:<8} {r['name'][:14]:<14} {r['grade']:<2} "
                     f"{r['position_type']} {r['duty_status']} {rng:<7} {r['covered']:>4} "
                     f"{measured}")
    lines.append("-" * 132)
    for width, kind in ((6, "GROUP"), (4, "TERRITORY"), (2, "AREA")):
        for t in _totals(ros, trainees, width, kind).iter_rows(named=True):
            # the excluded part on a line of its own: any figures stay within 132 columns
            lines.append(f"{kind} {t['scope']}: ACTIVE FIELD ROS {t['ros']}  INVENTORY "
                         f"{t['covered']}  OVER {t['over']}  UNDER {t['under']}")
            lines.append(f"  EXCLUDED: TRAINEES {t['trainees_excluded']}, CASES "
                         f"{t['trainee_cases_excluded']}  NOT ACTIVE "
                         f"{t['not_active_excluded']}, CASES {t['not_active_cases_excluded']}")
    heading = PageHeading(run_number=RUN_NUMBER, title=TITLE, run_date=run_date,
                          week_ending=None, column_heads=HEAD,
                          subtitle=f"MONTH ENDING {fmt_date(as_of)}")
    detail = pl.DataFrame({"line": lines}, schema={"line": pl.String})
    write_report(paginate(detail, heading, lines_per_page=50), path)
