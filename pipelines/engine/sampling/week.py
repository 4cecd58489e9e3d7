"""The week's figures to date (requested, pulled, short, pulls, HQW progress against 230) and
the findings that go with them (S20, S21, S23, S25): the week summary and the SAR's Reviews
This Week area read these rows.

A finding is said once it is certain: S20 (a request with no work) when no working day of the
week is left unknown; S23 and S25 (fewer than four pulls possible) as soon as the days that had
work plus the working days not yet known are fewer than four, or the sample itself is (S23 then
on the first run of the week, before the employee's first work: the request is all it needs). An HQW
OFP with a share to pull and no work at all in the week is S25 too ("no work this week"): its
four pulls cannot be made (glossary 11).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.sampling.plan import HQW, HQW_DOCUMENTS, IR, unknown_days

WEEK_SCHEMA = {
    "week_ending": pl.Date, "kind": pl.String, "ssn": pl.String, "employee_name": pl.String,
    "qpc": pl.String, "ofp": pl.String, "grade": pl.String, "requested": pl.Int64,
    "pulled": pl.Int64, "short": pl.Int64, "pulls": pl.Int64, "work_days": pl.Int64,
    "volume": pl.Int64, "quarter_pulled": pl.Int64, "hqw_target": pl.Int64,
}
FINDING_SCHEMA = {
    "week_ending": pl.Date, "code": pl.String, "kind": pl.String, "ssn": pl.String,
    "qpc": pl.String, "ofp": pl.String, "deck": pl.String, "line_no": pl.UInt32,
    "text": pl.String, "reason": pl.String,
}


def _days(dates: list[dt.date]) -> str:
    return " ".join(f"{d:%m/%d}" for d in sorted(dates))


def _few_pulls(requested: int, work: list[dt.date], later: int) -> str | None:
    """Why fewer than four pulls are possible, or None when four are."""
    if requested < 4:
        return f"the weekly sample of {requested} is under four"
    if len(work) + later < 4:
        open_days = f"; {later} working day(s) still to come" if later else ""
        if not work:
            return f"no work this week{' so far' if later else ''}{open_days}"
        return f"work completed on {len(work)} day(s) of the week ({_days(work)}){open_days}"
    return None


def figures(week_ending: dt.date, requests: pl.DataFrame, batches: pl.DataFrame,
            log: pl.DataFrame, hqw_demands: list[dict], known_to: dt.date | None
            ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(week rows, findings) of the week ending `week_ending`, to date.

    requests: in force this week (with deck, line_no, text of the record that set them);
    batches: every accepted batch of the week so far, with `qpc`, `ofp` and `hqw`;
    log: every pull of the week so far; hqw_demands: ofp, target, quarter_before;
    known_to: the last day whose work is known (`plan.known_through`)."""
    later = len(unknown_days(week_ending, known_to))
    rows, found = [], []
    ir = batches.filter(~pl.col("hqw"))
    work_of = ir.partition_by("ssn", "qpc", as_dict=True) if ir.height else {}
    ir_log = log.filter(pl.col("kind") == IR)
    pulls_of = ir_log.partition_by("ssn", "qpc", as_dict=True) if ir_log.height else {}
    for r in requests.sort("ssn", "qpc").iter_rows(named=True):
        work = work_of.get((r["ssn"], r["qpc"]), ir.clear())
        pulls = pulls_of.get((r["ssn"], r["qpc"]), log.clear())
        pulled = int(pulls["pulled"].sum())
        work_days = work["date_completed_v"].unique().to_list()
        rows.append({"week_ending": week_ending, "kind": IR, "ssn": r["ssn"],
                     "employee_name": r["employee_name"], "qpc": r["qpc"], "ofp": "",
                     "grade": r["grade"], "requested": r["weekly_sample"], "pulled": pulled,
                     "short": max(r["weekly_sample"] - pulled, 0),
                     "pulls": pulls["pull_date"].n_unique(), "work_days": len(work_days),
                     "volume": int(work["items_v"].sum()), "quarter_pulled": None,
                     "hqw_target": None})
        at = {"week_ending": week_ending, "kind": IR, "ssn": r["ssn"], "qpc": r["qpc"],
              "ofp": "", "deck": r["deck"], "line_no": r["line_no"], "text": r["text"]}
        if not work_days and not later and r["weekly_sample"] > 0:
            found.append({**at, "code": "S20", "reason": "no batch of the QPC's OFPs this week"})
        elif (work_days or 0 < r["weekly_sample"] < 4) and (
                why := _few_pulls(r["weekly_sample"], work_days, later)):
            found.append({**at, "code": "S23", "reason": why})
    asked = requests.select("ssn", "qpc")
    for b in ir.join(asked, on=["ssn", "qpc"], how="anti").sort("deck", "line_no").iter_rows(
            named=True):
        found.append({"week_ending": week_ending, "code": "S21", "kind": IR, "ssn": b["ssn"],
                      "qpc": b["qpc"], "ofp": b["ofp"], "deck": b["deck"],
                      "line_no": b["line_no"], "text": b["text"],
                      "reason": f"QPC {b['qpc']} has no sample request for the employee"})
    for h in hqw_demands:
        work = batches.filter(pl.col("hqw") & (pl.col("ofp") == h["ofp"]))
        pulls = log.filter((pl.col("kind") == HQW) & (pl.col("ofp") == h["ofp"]))
        pulled = int(pulls["pulled"].sum())
        work_days = work["date_completed_v"].unique().to_list()
        rows.append({"week_ending": week_ending, "kind": HQW, "ssn": "", "employee_name": "",
                     "qpc": "", "ofp": h["ofp"], "grade": h["grade"], "requested": h["target"],
                     "pulled": pulled, "short": max(h["target"] - pulled, 0),
                     "pulls": pulls["pull_date"].n_unique(), "work_days": len(work_days),
                     "volume": int(work["items_v"].sum()),
                     "quarter_pulled": h["quarter_before"] + pulled,
                     "hqw_target": HQW_DOCUMENTS})
        if h["target"] > 0 and len(work_days) + later < 4:
            found.append({"week_ending": week_ending, "code": "S25", "kind": HQW, "ssn": "",
                          "qpc": "", "ofp": h["ofp"], "deck": "", "line_no": None, "text": "",
                          "reason": _few_pulls(4, work_days, later)})
    return (pl.DataFrame(rows, schema=WEEK_SCHEMA) if rows
            else pl.DataFrame(schema=WEEK_SCHEMA),
            pl.DataFrame(found, schema=FINDING_SCHEMA).sort("code", "deck", "line_no", "ofp")
            if found
            else pl.DataFrame(schema=FINDING_SCHEMA))
