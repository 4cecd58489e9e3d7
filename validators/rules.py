"""A rule is one legacy error code's condition as a polars expression; a schema is a list of them.

Each rule becomes a pandera check whose `error=` is the code, hung on the column the code is
about, so the failure cases name the code and the row. Running a schema yields *flags*: one row
per (record, code) in the shape every register is built from. Cross-file rules are joins that
return flags of the same shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from validators.codes import SUB_REASONS, sub_reason

FLAG_SCHEMA = {"seq": pl.UInt32, "code": pl.String}


@dataclass(frozen=True)
class Rule:
    code: str
    column: str  # the field the code is about
    fires: Callable[[], pl.Expr]  # True on a record that carries the code
    about: str  # short wording, shown in pandera's reports
    sub: str = ""  # for a code that stands for several faults: its key in codes.SUB_REASONS

    def check(self) -> pa.Check:
        expr = self.fires

        def passes(data: pa.PolarsData) -> pl.LazyFrame:
            return data.lazyframe.select(~expr().fill_null(False))

        return pa.Check(passes, error=self.code, name=f"{self.code} {self.about}")


def schema(rules: Iterable[Rule], name: str) -> pa.DataFrameSchema:
    """The pandera schema of `rules`: a column per field a rule is about, its checks in rule
    order. The rules ride along in the schema's metadata, so that `flags` can leave out the
    ones that fire nowhere."""
    rules = tuple(rules)
    columns: dict[str, list[pa.Check]] = {}
    for rule in rules:
        columns.setdefault(rule.column, []).append(rule.check())
    return pa.DataFrameSchema(
        {col: pa.Column(checks=checks, nullable=True) for col, checks in columns.items()},
        name=name, metadata={"rules": rules},
    )


_NARROWED: dict[tuple[int, tuple[bool, ...]], pa.DataFrameSchema] = {}


def _narrowed(checks: pa.DataFrameSchema, fired: tuple[bool, ...]) -> pa.DataFrameSchema:
    """`checks` with only the rules that `fired`, each column and check where it was (kept
    per schema and pattern: the schemas are the validators' module constants)."""
    key = (id(checks), fired)
    if key not in _NARROWED:
        _NARROWED[key] = _narrow(checks, fired)
    return _NARROWED[key]


def _narrow(checks: pa.DataFrameSchema, fired: tuple[bool, ...]) -> pa.DataFrameSchema:
    rules = checks.metadata["rules"]
    order = {col: i for i, col in enumerate(checks.columns)}
    kept = sorted((r for r, f in zip(rules, fired, strict=True) if f),
                  key=lambda r: order[r.column])  # stable: rule order inside a column
    return schema(kept, checks.name)


def no_flags() -> pl.DataFrame:
    return pl.DataFrame(schema=FLAG_SCHEMA)


def flags(frame: pl.DataFrame, checks: pa.DataFrameSchema) -> pl.DataFrame:
    """Validate with lazy=True and return every (seq, code) that failed; never drops rows.

    Every rule's condition is first looked for in one pass over the frame; pandera then runs
    the checks of the rules found somewhere (one collect each), in their order, so the flags
    are the same as from the whole schema: a week's part has a few kinds of fault, not 60."""
    if frame.height == 0:
        return no_flags()
    rules = (checks.metadata or {}).get("rules")
    if rules:
        found = frame.select(r.fires().fill_null(False).any().alias(str(i))
                             for i, r in enumerate(rules)).row(0)
        if not any(found):
            return no_flags()
        checks = _narrowed(checks, tuple(bool(f) for f in found))
    try:
        checks.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        unknown = cases.filter(pl.col("index").is_null())
        if unknown.height:  # a schema fault (missing column, ...) is a bug, not a data error
            raise RuntimeError(f"{checks.name}: {unknown.row(0, named=True)}") from None
        index = cases["index"].cast(pl.UInt32)
        return pl.DataFrame({"seq": frame["seq"].gather(index), "code": cases["check"]},
                            schema=FLAG_SCHEMA)
    return no_flags()


def flag_rows(frame: pl.DataFrame, code: str, where: pl.Expr) -> pl.DataFrame:
    """Flags from a join or a sequential pass (reference checks)."""
    return frame.filter(where).select(pl.col("seq").cast(pl.UInt32),
                                      pl.lit(code).alias("code"))


def codes_by_row(all_flags: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """seq -> sorted, distinct list of codes."""
    stacked = pl.concat([f.select(FLAG_SCHEMA.keys()).cast(FLAG_SCHEMA) for f in all_flags])
    return stacked.group_by("seq").agg(pl.col("code").unique().sort().alias("error_codes"))


SUB_SCHEMA = {"seq": pl.UInt32, "sub_reason": pl.String}


def sub_reasons(frame: pl.DataFrame, rules: Iterable[Rule], run: str,
                flagged: pl.DataFrame) -> pl.DataFrame:
    """(seq, sub_reason) for the rows of `frame` that `flagged` (seq, code) gives a code with
    sub-reasons: the short texts (codes.SUB_REASONS) of every such rule that fires on the row,
    in rule order, joined by "; ". Only those rows are evaluated again, so a clean week pays
    nothing."""
    subs = [r for r in rules if (run, r.code) in SUB_REASONS]
    wanted = flagged.filter(pl.col("code").is_in(list({r.code for r in subs})))
    rows = frame.filter(pl.col("seq").is_in(wanted["seq"].implode()))
    if rows.height == 0:
        return pl.DataFrame(schema=SUB_SCHEMA)
    has = {c: pl.col("seq").is_in(wanted.filter(pl.col("code") == c)["seq"].implode())
           for c in {r.code for r in subs}}
    texts = [pl.when(has[r.code] & r.fires().fill_null(False))
             .then(pl.lit(sub_reason(run, r.code, r.sub))) for r in subs]
    return rows.select(pl.col("seq").cast(pl.UInt32), pl.concat_list(texts).list.drop_nulls()
                       .list.unique(maintain_order=True).list.join("; ").alias("sub_reason")
                       ).filter(pl.col("sub_reason") != "")


def blank(column: str) -> pl.Expr:
    """The decoder's `<field>_blank` flag: the field holds only blanks."""
    return pl.col(f"{column}_blank")


def digits(column: str, width: int) -> pl.Expr:
    """`width` ASCII digits and nothing else (null stays null). A field of up to 3 columns (a
    defect or function code) is looked up among its 10**width digit strings, a hash lookup
    at about half the regex's time (a defect code of 212,719 lines: 4.0 to 2.2 ms)."""
    if 0 < width <= _LOOKED_UP:
        return pl.col(column).is_in([f"{n:0{width}d}" for n in range(10**width)])
    return pl.col(column).str.contains(f"^[0-9]{{{width}}}$")


_LOOKED_UP = 3  # widths whose digit strings `digits` looks up (1,000 of them at most)


def control_number_bad() -> pl.Expr:
    """A form record whose block control (columns 9-11) is not 3 characters A-Z or 0-9, or
    whose document serial (12-13) is not 00-99 (record-layouts.md, "Common prefix"): the
    control number cannot name the source document the register sends the operator to
    (review 18f, F7: a blank serial, `AB`, `a01` and `*01` posted)."""
    return ~(pl.col("block").str.contains("^[A-Z0-9]{3}$") & digits("serial", 2)
             ).fill_null(True)


def _warm_up() -> None:
    """pandera's first validation in a process registers its polars backends (~0.3 s); pay it
    at import, with the other start-up costs, instead of inside the first run."""
    probe = pa.DataFrameSchema({"x": pa.Column(checks=[pa.Check(
        lambda data: data.lazyframe.select(pl.col("x") > 0), error="probe")])})
    with contextlib.suppress(pa.errors.SchemaErrors):
        probe.validate(pl.DataFrame({"x": [0]}), lazy=True)


_warm_up()
