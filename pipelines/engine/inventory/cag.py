"""CAG grading of GS-13 casework (codes 80-86; TIGTA 2010-30-029, App. V; spec 5.2).

A case warrants GS-13 when it meets at least 3 of the 4 CAG factors (`factors_required`);
a factor counts when at least one subelement is met. The deck carries the factors documented
in ICS (107-110) and, for reviewed cases, the factors a review confirmed (112-116).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.inventory.flags import Flag
from validators.ro_params import Params

FACTORS = (1, 2, 3, 4)
NAMES = {1: "NATURE OF ENTITY", 2: "RANGE OF CASE ISSUES", 3: "IMPACT OF ENFORCEMENT ACTION",
         4: "PERSONAL CONTACTS"}
SCHEMA = {"case_id": pl.String, "holder": pl.String, "group": pl.String,
          "case_grade": pl.String, "holder_grade": pl.String, "manual": pl.Boolean,
          "documented": pl.List(pl.Int64), "reviewed": pl.Boolean,
          "confirmed": pl.List(pl.Int64), "reason": pl.Boolean, "missing_sub": pl.Boolean,
          "undocumented": pl.Boolean, "not_warranted": pl.Boolean, "meets": pl.Int64,
          "days_since_regrade": pl.Int64, "days_since_first": pl.Int64,
          "first_grade": pl.String, "days_before_reassignment": pl.Int64,
          "sub_f2": pl.String, "sub_1": pl.Boolean, "sub_2": pl.Boolean,
          "sub_3": pl.Boolean, "sub_4": pl.Boolean}


def _factors(c: dict, prefix: str) -> list[int]:
    return [n for n in FACTORS if c[f"{prefix}{n}"] == "Y"]


def grade_cases(measured: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date,
                params: Params) -> pl.DataFrame:
    """One row per held GS-13 case and per reviewed or documented lower-graded case."""
    holders = {r["assignment"]: r for r in measured.iter_rows(named=True)}
    rows = []
    for c in cases.filter(pl.col("left_date_v").is_null()).sort("case_id").iter_rows(named=True):
        documented, confirmed = _factors(c, "doc_f"), _factors(c, "conf_f")
        reviewed = c["reviewed"] == "Y"
        gs13 = c["case_grade"] == "13"
        if not (gs13 or reviewed or documented):
            continue
        holder = holders[c["holder"]]
        changed = c["grade_changed_v"]
        missing_sub = bool(changed and changed >= params.subelements_from and any(
            not c[f"sub_f{n}"].strip() for n in documented))
        first = c["first_assigned_v"] or c["assigned_v"]
        first_grade = c["first_grade"].strip() or holder["ro_grade"]
        rows.append({
            "case_id": c["case_id"], "holder": c["holder"], "group": holder["group"],
            "case_grade": c["case_grade"], "holder_grade": holder["ro_grade"],
            "manual": c["grading"] == "M", "documented": documented, "reviewed": reviewed,
            "confirmed": confirmed, "reason": c["reason_documented"] == "Y",
            "missing_sub": missing_sub,
            "undocumented": gs13 and len(documented) < params.factors_required
            and c["reason_documented"] != "Y",
            "not_warranted": gs13 and reviewed and len(confirmed) < params.factors_required,
            "meets": len(confirmed) if reviewed else len(documented),
            "days_since_regrade": (as_of - changed).days if changed else None,
            "days_since_first": (as_of - first).days,
            "first_grade": first_grade,
            "days_before_reassignment": (c["assigned_v"] - first).days,
            "sub_f2": c["sub_f2"],
            **{f"sub_{n}": bool(c[f"sub_f{n}"].strip()) for n in FACTORS}})
    return pl.DataFrame(rows, schema=SCHEMA)


def _list(factors: list[int]) -> str:
    return " ".join(str(n) for n in factors) or "NONE"


def cag_flags(graded: pl.DataFrame, params: Params) -> list[Flag]:
    """80-86 for the graded cases (every code found, one flag per code and case)."""
    need = params.factors_required
    out: list[Flag] = []
    for g in graded.iter_rows(named=True):
        common = {"key_kind": "case", "group": g["group"], "assignment_number": g["holder"],
                  "case_id": g["case_id"], "grade": g["case_grade"]}
        documented, confirmed = g["documented"], g["confirmed"]
        if g["case_grade"] == "13":
            if g["not_warranted"]:
                out.append(Flag("80", detail=f"REVIEWED GS-13 CASE: {len(confirmed)} CAG "
                                f"FACTORS CONFIRMED ({_list(confirmed)}), NOT WARRANTED",
                                count=len(confirmed), limit=need, **common))
            if len(documented) < need and g["reason"]:
                out.append(Flag("81", detail=f"GS-13 CASE: {len(documented)} CAG FACTORS "
                                f"DOCUMENTED ({_list(documented)}), REASON DOCUMENTED",
                                count=len(documented), limit=need, **common))
            if g["undocumented"] and g["manual"]:
                out.append(Flag("82", detail=f"GS-13 CASE: {len(documented)} CAG FACTORS "
                                f"DOCUMENTED ({_list(documented)}), NO REASON DOCUMENTED",
                                count=len(documented), limit=need, **common))
        if g["missing_sub"]:
            bare = [n for n in documented if not g[f"sub_{n}"]]
            out.append(Flag("83", detail="CAG FACTOR DOCUMENTED WITHOUT A SUBELEMENT: "
                            + _list(bare), **common))
        if g["case_grade"] != "13":
            basis = "CONFIRMED" if g["reviewed"] else "DOCUMENTED"
            factors = confirmed if g["reviewed"] else documented
            if g["meets"] >= need:
                out.append(Flag("84", detail=f"GRADE {g['case_grade']} CASE, {g['meets']} "
                                f"GS-13 FACTORS ({_list(factors)} {basis}): RE-GRADE CANDIDATE",
                                count=g["meets"], limit=need, **common))
            elif g["meets"] == need - 1:
                out.append(Flag("85", detail=f"GRADE {g['case_grade']} CASE, {g['meets']} "
                                f"GS-13 FACTORS ({_list(factors)} {basis}): SCREENING "
                                "CANDIDATE", count=g["meets"], limit=need, **common))
        holder_grade = g["holder_grade"]
        if g["case_grade"] == "13" and holder_grade and holder_grade < "13":
            out.append(Flag("86", detail=f"HELD BY A GS-{holder_grade}: "
                            f"{g['days_since_regrade']} DAYS SINCE RE-GRADE, "
                            f"{g['days_since_first']} SINCE FIRST ASSIGNED",
                            days=g["days_since_regrade"], count=g["days_since_first"],
                            **common))
    return out
