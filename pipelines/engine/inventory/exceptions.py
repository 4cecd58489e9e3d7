"""The RO inventory exceptions register (spec section 6): conditions, not bad records.

An E or W flag opens an entry, or carries the open entry of the same code and key with its
first run and age; an open entry whose condition a later run (covering its group) no longer
finds closes itself as cleared; an operator may withdraw one with a reason, and it stays
withdrawn while its condition lasts. I flags are printed, never entered.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

SCHEMA = {"code": pl.String, "key": pl.String, "severity": pl.String, "key_kind": pl.String,
          "group": pl.String, "assignment_number": pl.String, "case_id": pl.String,
          "detail": pl.String, "first_run": pl.String, "first_as_of": pl.Date,
          "last_run": pl.String, "last_as_of": pl.Date, "state": pl.String,
          "closed_by": pl.String, "closed_run": pl.String, "closed_on": pl.Date,
          "closed_reason": pl.String, "ended": pl.Boolean}
OPEN, CLOSED, CLEARED, WITHDRAWN = "open", "closed", "cleared", "withdrawn"


class NoSuchEntry(Exception):
    """A withdrawal names no open entry."""


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def update(previous: pl.DataFrame | None, flags: pl.DataFrame, run_id: str, as_of: dt.date,
           groups: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Apply one run's flags. Returns the register, the flags with `first_run`, `age_days`
    and `register_state` (opened, carried, withdrawn, printed-only), and the entries this run
    closed."""
    register = previous.select(list(SCHEMA)).cast(SCHEMA) if previous is not None else empty()
    rows = {(r["code"], r["key"]): r for r in register.iter_rows(named=True)
            if r["state"] == OPEN or (r["closed_by"] == WITHDRAWN and not r["ended"])}
    others = [r for r in register.iter_rows(named=True) if (r["code"], r["key"]) not in rows]
    out_flags, found = [], set()
    for f in flags.iter_rows(named=True):
        if f["severity"] == "I":
            out_flags.append(f | {"first_run": None, "age_days": None,
                                  "register_state": "printed-only"})
            continue
        ident = (f["code"], f["key"])
        found.add(ident)
        entry = rows.get(ident)
        if entry is None:
            entry = {c: f.get(c) for c in SCHEMA} | {
                "first_run": run_id, "first_as_of": as_of, "state": OPEN, "ended": False,
                "closed_by": None, "closed_run": None, "closed_on": None, "closed_reason": None}
            state = "opened"
        else:
            state = "withdrawn" if entry["state"] == CLOSED else "carried"
        entry |= {"last_run": run_id, "last_as_of": as_of, "detail": f["detail"]}
        rows[ident] = entry
        out_flags.append(f | {"first_run": entry["first_run"],
                              "age_days": (as_of - entry["first_as_of"]).days,
                              "register_state": state})
    closed_now = []
    for entry in [*others, *rows.values()]:  # withdrawn since the last run: listed once
        if (entry["closed_by"] == WITHDRAWN and entry["closed_run"] is None
                and (entry["group"] in groups or entry["key_kind"] == "run")):
            entry["closed_run"] = run_id
            closed_now.append(entry)
    for ident, entry in rows.items():
        if ident in found or (entry["group"] not in groups and entry["key_kind"] != "run"):
            continue
        if entry["state"] == OPEN:
            entry |= {"state": CLOSED, "closed_by": CLEARED, "closed_run": run_id,
                      "closed_on": as_of, "ended": True}
            closed_now.append(entry)
        else:
            entry["ended"] = True
    register = pl.DataFrame([*others, *rows.values()], schema=SCHEMA).sort(
        "group", "code", "key", "first_run")
    flag_schema = {**flags.schema, "first_run": pl.String, "age_days": pl.Int64,
                   "register_state": pl.String}
    closed = pl.DataFrame(closed_now, schema=SCHEMA)
    return register, pl.DataFrame(out_flags, schema=flag_schema), closed


def withdraw(register: pl.DataFrame | None, code: str, key: str, reason: str,
             on: dt.date) -> pl.DataFrame:
    """Close the open entry of `code` and `key` as withdrawn, with the operator's reason."""
    if not reason.strip():
        raise NoSuchEntry("a withdrawal needs a reason (--reason)")
    register = register if register is not None else empty()
    hit = ((pl.col("code") == code.zfill(2)) & (pl.col("key") == key)
           & (pl.col("state") == OPEN))
    if register.filter(hit).height == 0:
        raise NoSuchEntry(f"no open exceptions register entry for code {code} and key {key}")
    return register.with_columns(
        pl.when(hit).then(pl.lit(CLOSED)).otherwise("state").alias("state"),
        pl.when(hit).then(pl.lit(WITHDRAWN)).otherwise("closed_by").alias("closed_by"),
        # closed_run stays empty until the next run covering the entry reports it
        pl.when(hit).then(pl.lit(None, pl.String)).otherwise("closed_run").alias("closed_run"),
        pl.when(hit).then(pl.lit(on)).otherwise("closed_on").alias("closed_on"),
        pl.when(hit).then(pl.lit(reason)).otherwise("closed_reason").alias("closed_reason"))
