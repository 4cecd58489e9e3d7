"""The RO inventory exceptions register (spec section 6): conditions, not bad records.

An E or W flag opens an entry, or carries the open entry of the same code and key with its
first run and age; an open entry whose condition a later run (covering its group) no longer
finds closes itself as cleared; a run-level entry (code 90) is keyed by the analysis scope
(group, territory or area) and only a run of that same scope can clear it, so a run of
another group's deck says nothing about it; an operator may withdraw one with a reason, and it stays
withdrawn while its condition lasts. I flags are printed, never entered.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.engine.machinery.register import withdrawal_id
from pipelines.state.store import Store

SCHEMA = {"code": pl.String, "key": pl.String, "severity": pl.String, "key_kind": pl.String,
          "group": pl.String, "assignment_number": pl.String, "case_id": pl.String,
          "detail": pl.String, "first_run": pl.String, "first_as_of": pl.Date,
          "last_run": pl.String, "last_as_of": pl.Date, "state": pl.String,
          "closed_by": pl.String, "closed_run": pl.String, "closed_on": pl.Date,
          "closed_reason": pl.String, "ended": pl.Boolean, "withdrawn_as": pl.String}
OPEN, CLOSED, CLEARED, WITHDRAWN = "open", "closed", "cleared", "withdrawn"


class NoSuchEntry(Exception):
    """A withdrawal names no open entry."""


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _covered(entry: dict, groups: list[str], scope: str) -> bool:
    """Whether this run looked at the entry's condition: its group was measured, or (run-level
    entries) the run's analysis scope is the entry's."""
    if entry["key_kind"] == "run":
        return entry["group"] == scope
    return entry["group"] in groups


def _conformed(register: pl.DataFrame) -> pl.DataFrame:
    """The register in today's schema: one written before `withdrawn_as` lacks it."""
    missing = [pl.lit(None, t).alias(c) for c, t in SCHEMA.items() if c not in register.columns]
    return register.with_columns(missing).select(list(SCHEMA)).cast(SCHEMA)


def _scoped_keys(register: pl.DataFrame) -> pl.DataFrame:
    """Registers written before run-level entries were keyed by scope say `RUN`."""
    return register.with_columns(
        pl.when((pl.col("key_kind") == "run") & (pl.col("key") == "RUN"))
        .then(pl.col("group")).otherwise(pl.col("key")).alias("key"))


def update(previous: pl.DataFrame | None, flags: pl.DataFrame, run_id: str, as_of: dt.date,
           groups: list[str], scope: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Apply one run's flags (`groups` measured, analysis `scope`). Returns the register, the
    flags with `first_run`, `age_days` and `register_state` (opened, carried, withdrawn,
    printed-only), and the entries this run closed. Entries the run did not cover are left
    as they are."""
    register = _scoped_keys(_conformed(previous)) if previous is not None else empty()
    rows = {(r["code"], r["key"]): r for r in register.iter_rows(named=True)
            if r["state"] == OPEN or (r["closed_by"] == WITHDRAWN and not r["ended"])}
    others = [r for r in register.iter_rows(named=True) if (r["code"], r["key"]) not in rows]
    out_flags, found = [], set()
    for f in flags.iter_rows(named=True):
        if f["severity"] == "I":
            out_flags.append(f | {"first_run": None, "age_days": None,
                                  "register_state": "printed-only"}
                             | dict.fromkeys(WITHDRAWAL_OF))
            continue
        ident = (f["code"], f["key"])
        found.add(ident)
        entry = rows.get(ident)
        if entry is None:
            entry = {c: f.get(c) for c in SCHEMA} | {
                "first_run": run_id, "first_as_of": as_of, "state": OPEN, "ended": False,
                "closed_by": None, "closed_run": None, "closed_on": None, "closed_reason": None,
                "withdrawn_as": None}
            state = "opened"
        else:
            state = "withdrawn" if entry["state"] == CLOSED else "carried"
        entry |= {"last_run": run_id, "last_as_of": as_of, "detail": f["detail"]}
        rows[ident] = entry
        out_flags.append(f | {"first_run": entry["first_run"],
                              "age_days": (as_of - entry["first_as_of"]).days,
                              "register_state": state} | _withdrawal_of(entry))
    closed_now = []
    for entry in [*others, *rows.values()]:  # withdrawn since the last run: listed once
        if (entry["closed_by"] == WITHDRAWN and entry["closed_run"] is None
                and _covered(entry, groups, scope)):
            entry["closed_run"] = run_id
            closed_now.append(entry)
    for ident, entry in rows.items():
        if ident in found or not _covered(entry, groups, scope):
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
                   "register_state": pl.String, **WITHDRAWAL_OF}
    closed = pl.DataFrame(closed_now, schema=SCHEMA)
    return register, pl.DataFrame(out_flags, schema=flag_schema), closed


# What a flag of a withdrawn entry carries, so the register prints it as withdrawn (review 13,
# R13-4; decisions.md "Withdrawn exceptions ... printed `withdrawn`"): null on other flags.
WITHDRAWAL_OF = {"withdrawn_as": pl.String, "withdrawn_on": pl.Date,
                 "closed_reason": pl.String}


def _withdrawal_of(entry: dict) -> dict:
    if entry["closed_by"] != WITHDRAWN:
        return dict.fromkeys(WITHDRAWAL_OF)
    return {"withdrawn_as": entry["withdrawn_as"], "withdrawn_on": entry["closed_on"],
            "closed_reason": entry["closed_reason"]}


def withdraw(register: pl.DataFrame | None, code: str, key: str, reason: str,
             on: dt.date, withdrawal: str | None = None) -> pl.DataFrame:
    """Close the open entry of `code` and `key` as withdrawn, with the operator's reason and
    the withdrawal's id (`withdrawn_as`), which the reports name."""
    if not reason.strip():
        raise NoSuchEntry("a withdrawal needs a reason (--reason)")
    register = _scoped_keys(_conformed(register)) if register is not None else empty()
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
        pl.when(hit).then(pl.lit(reason)).otherwise("closed_reason").alias("closed_reason"),
        pl.when(hit).then(pl.lit(withdrawal, pl.String)).otherwise("withdrawn_as")
        .alias("withdrawn_as"))


def publish_withdrawal(data_dir: Path, code: str, key: str, reason: str, on: dt.date
                       ) -> tuple[str, int]:
    """Withdraw one entry as a generation of its own id, the QAP `qap withdraw`'s
    `withdraw-YYYYMMDD.NN` (review 13, R13-6): `qap rollback` of it undoes only this
    withdrawal, and one of an earlier id lists it. Returns the id and the generation."""
    store = Store(data_dir)
    with store.lock("withdraw", wait_seconds=0):  # refused at once, as any writer is
        withdrawal = withdrawal_id([m.get("run_id", "") for m in store.history()], on)
        register = withdraw(store.read("inventory_exceptions"), code, key, reason, on,
                            withdrawal)
        gen = store.begin(withdrawal)
        gen.write("inventory_exceptions", register)
        return withdrawal, gen.commit(note=f"withdrew INV-10-02 {code} {key}: {reason}")
