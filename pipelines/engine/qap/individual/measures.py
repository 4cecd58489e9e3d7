"""The figures the IPR and SAR print, computed in integers and rounded half up.

Rate = volume / hours (items per hour); percent of standard = rate / the OFP's efficiency
standard x 100; percent accurate = (reviewed - errors) / reviewed x 100 (rules.md). Each is
returned in hundredths (an Int64, null when its divisor is 0 or missing) so that printing and
Parquet agree to the last digit; `as_float` gives the Parquet value.
"""

from __future__ import annotations

import polars as pl

from pipelines.engine.qap.individual.periods import div_half_up


def rate_h(volume: pl.Expr, hours_tenths: pl.Expr) -> pl.Expr:
    """Items per hour in hundredths: volume / (tenths / 10) x 100."""
    return div_half_up(volume * 1000, hours_tenths)


def pct_standard_h(volume: pl.Expr, hours_tenths: pl.Expr, standard_h: pl.Expr) -> pl.Expr:
    """Percent of the efficiency standard (itself in hundredths), in hundredths of a percent."""
    return div_half_up(volume * 10_000_000, hours_tenths * standard_h)


def pct_accurate_h(reviewed: pl.Expr, errors: pl.Expr) -> pl.Expr:
    """Percent accurate in hundredths of a percent."""
    return div_half_up((reviewed - errors) * 10_000, reviewed)


def as_float(hundredths: pl.Expr) -> pl.Expr:
    """The Parquet value: hundredths / 100 as the nearest float to the 2-decimal figure."""
    return (hundredths.cast(pl.Float64) / 100).round(2)


def fmt_hundredths(value: pl.Expr) -> pl.Expr:
    """12345 -> '123.45'; null -> ''. Non-negative values only."""
    return pl.concat_str([(value // 100).cast(pl.String), pl.lit("."),
                          (value % 100).cast(pl.String).str.zfill(2)])  # null in, null out


def fmt_tenths(value: pl.Expr, *, signed: bool = False) -> pl.Expr:
    """325 -> '32.5' (with `signed`: '+32.5', '-1.1'); null -> ''."""
    magnitude = value.abs()
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("+" if signed else ""))
    return pl.concat_str([sign, (magnitude // 10).cast(pl.String), pl.lit("."),
                          (magnitude % 10).cast(pl.String)])  # null in, null out


def fmt_signed(value: pl.Expr) -> pl.Expr:
    """A 6489 change: '+3', '-12'; null (no change) -> ''."""
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    return pl.concat_str([sign, value.abs().cast(pl.String)])  # null in, null out
