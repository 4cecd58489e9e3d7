"""Return-to-queue screening (codes 60-68, IRM 1.4.50.10.2(12); spec 5.2 and 7.3).

Every case proposed `Q` is checked against its holder's range and the eight exclusions a-h;
every exclusion found is reported (not only the first), and the listing shows them in IRM
order. Day boundaries as the spec reads them: a CSED exactly 195 days away passes (d), a
contact exactly 180 days ago blocks (h), the ASED is compared with the as-of date's
anniversary (g; 02/29 rolls to 02/28).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.engine.inventory.flags import Flag, fmt_date
from validators.ro_params import Params

EXCLUSIONS = ("a", "b", "c", "d", "e", "f", "g", "h")
CODES = dict(zip(EXCLUSIONS, ("61", "62", "63", "64", "65", "66", "67", "68"), strict=True))
PENDING = {"levy": "LEVY", "summons": "SUMMONS", "letter_1058": "LETTER 1058",
           "appeals": "APPEALS"}
SCHEMA = {"group": pl.String, "case_id": pl.String, "holder": pl.String, "grade": pl.String,
          "kind": pl.String, "holder_over_by": pl.Int64, "csed": pl.Date,
          "days_to_csed": pl.Int64, "last_contact": pl.Date, "days_since_contact": pl.Int64,
          "ased": pl.Date, **{f"excl_{x}": pl.Boolean for x in EXCLUSIONS},
          "holder_not_over": pl.Boolean, "result": pl.String}


def years_after(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later; 02/29 rolls to 02/28 (spec reading 9.23)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _exclusions(c: dict, as_of: dt.date, params: Params) -> dict[str, str]:
    """The exclusions a-h a case meets, each with the wording of its flag."""
    found: dict[str, str] = {}
    if c["accelerated"] == "Y":
        found["a"] = "ACCELERATED ISSUANCE"
    if c["restricted"] == "Y":
        found["b"] = "RESTRICTED FROM THE QUEUE"
    if c["nftl"] in (" ", "X"):
        found["c"] = ("NFTL NOT FILED, NO REASON IN THE HISTORY" if c["nftl"] == "X"
                      else "NO NFTL DETERMINATION")
    csed = c["csed_v"]
    if csed is not None and (csed - as_of).days < params.csed_min_days:
        found["d"] = (f"CSED {fmt_date(csed)} IS {(csed - as_of).days} DAYS AWAY (UNDER "
                      f"{params.csed_min_days})")
    pending = [name for field, name in PENDING.items() if c[field] == "Y"]
    if pending:
        found["e"] = f"ENFORCEMENT PENDING: {', '.join(pending)}"
    if c["trust_fund"] == "T" and c["business"] == "I":
        found["f"] = "TRUST FUND CASE OF A BUSINESS STILL IN BUSINESS"
    ased = c["ased_v"]
    if (c["trust_fund"] == "T" and ased is not None
            and ased < years_after(as_of, params.ased_years) and c["tf_determination"] != "Y"):
        found["g"] = (f"TRUST FUND ASED {fmt_date(ased)} < {params.ased_years} YEAR, NOT "
                      "DETERMINED")
    contact = c["last_contact_v"]
    if contact is not None and (as_of - contact).days <= params.contact_days:
        found["h"] = (f"TAXPAYER CONTACT {fmt_date(contact)}, {(as_of - contact).days} DAYS "
                      f"AGO (UP TO {params.contact_days})")
    return found


def screen(measured: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date, params: Params
           ) -> tuple[pl.DataFrame, list[Flag]]:
    """One listing row per held case proposed `Q`, and the flags 60-68 it earns."""
    holders = {r["assignment"]: r for r in measured.iter_rows(named=True)}
    proposed = cases.filter((pl.col("proposed") == "Q") & pl.col("left_date_v").is_null())
    rows, flags = [], []
    for c in proposed.sort("case_id").iter_rows(named=True):
        holder = holders[c["holder"]]
        over_by = holder["over_by"]
        not_over = holder["status"] != "OVER"
        found = _exclusions(c, as_of, params)
        common = {"key_kind": "case", "group": holder["group"],
                  "assignment_number": c["holder"], "case_id": c["case_id"],
                  "grade": c["case_grade"]}
        if not_over:
            limit = holder["range_max"]
            why = (f"{holder['covered']} CASES, MAXIMUM {limit}" if limit is not None
                   else "NO STANDARD RANGE")
            flags.append(Flag("60", detail=f"PROPOSED FOR THE QUEUE, HOLDER NOT OVER RANGE "
                              f"({why})", count=holder["covered"], limit=limit, **common))
        for x in EXCLUSIONS:
            if x in found:
                flags.append(Flag(CODES[x], detail=f"QUEUE BLOCKED ({x.upper()}): {found[x]}",
                                  **common, **_values(x, c, as_of)))
        csed, contact = c["csed_v"], c["last_contact_v"]
        rows.append({
            "group": holder["group"], "case_id": c["case_id"], "holder": c["holder"],
            "grade": c["case_grade"], "kind": c["kind"], "holder_over_by": over_by,
            "csed": csed, "days_to_csed": (csed - as_of).days if csed else None,
            "last_contact": contact,
            "days_since_contact": (as_of - contact).days if contact else None,
            "ased": c["ased_v"], **{f"excl_{x}": x in found for x in EXCLUSIONS},
            "holder_not_over": not_over,
            "result": "BLOCKED" if found or not_over else "ALLOWED"})
    return pl.DataFrame(rows, schema=SCHEMA), flags


def _values(x: str, c: dict, as_of: dt.date) -> dict:
    if x == "d":
        return {"date": c["csed_v"], "days": (c["csed_v"] - as_of).days}
    if x == "h":
        return {"date": c["last_contact_v"], "days": (as_of - c["last_contact_v"]).days}
    if x == "g":
        return {"date": c["ased_v"]}
    return {}


def relief(listing: pl.DataFrame, measured: pl.DataFrame) -> pl.DataFrame:
    """Per over-range holder with proposals: over by, allowed returns, still over after them."""
    allowed = listing.group_by("holder").agg(
        (pl.col("result") == "ALLOWED").sum().cast(pl.Int64).alias("allowed"))
    over = measured.filter(pl.col("status") == "OVER").select(
        pl.col("assignment").alias("holder"), "group", "over_by")
    return over.join(allowed, on="holder").with_columns(
        (pl.col("over_by") - pl.col("allowed")).alias("still_over")).sort("holder")
