"""The shape every INV-10-02 condition is reported in: one row per flag (code and key), with
the printed wording and the figures that fired it (spec 7.2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from validators.codes import RUN_INV, lookup

VALUES = pl.Struct({"count": pl.Int64, "limit": pl.Int64, "days": pl.Int64,
                    "date": pl.Date, "pct": pl.Float64})
SCHEMA = {"code": pl.String, "severity": pl.String, "key_kind": pl.String, "group": pl.String,
          "assignment_number": pl.String, "case_id": pl.String, "grade": pl.String,
          "detail": pl.String, "values": VALUES}


def fmt_date(d: dt.date | None) -> str:
    """MM/DD/YYYY as the flags' wording prints dates; blank when none."""
    return "" if d is None else f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


@dataclass(frozen=True)
class Flag:
    code: str
    key_kind: str  # "ro", "case", "group" or "run"
    group: str
    detail: str
    assignment_number: str | None = None
    case_id: str | None = None
    grade: str | None = None
    count: int | None = None
    limit: int | None = None
    days: int | None = None
    date: dt.date | None = None
    pct: float | None = None

    @property
    def key(self) -> str:
        return {"ro": self.assignment_number, "case": self.case_id, "group": self.group,
                "run": self.group}[self.key_kind] or ""


def frame(flags: list[Flag]) -> pl.DataFrame:
    """Flags in printing order: group, code, key."""
    rows = [{"code": f.code, "severity": lookup(RUN_INV, f.code).severity,
             "key_kind": f.key_kind, "group": f.group,
             "assignment_number": f.assignment_number, "case_id": f.case_id, "grade": f.grade,
             "detail": f.detail, "values": {"count": f.count, "limit": f.limit,
                                            "days": f.days, "date": f.date, "pct": f.pct}}
            for f in flags]
    out = pl.DataFrame(rows, schema=SCHEMA)
    return out.with_columns(key()).sort("group", "code", "key")


def key() -> pl.Expr:
    """What identifies a flag's condition across runs, beside its code; a run-level flag
    (90) is the GS-13 analysis of one scope, so its scope is its key."""
    return (pl.when(pl.col("key_kind") == "ro").then(pl.col("assignment_number"))
            .when(pl.col("key_kind") == "case").then(pl.col("case_id"))
            .when(pl.col("key_kind") == "group").then(pl.col("group"))
            .otherwise(pl.col("group")).alias("key"))  # run level: the analysis scope
