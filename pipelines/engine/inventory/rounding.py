"""Rounding in decimal arithmetic, half up, as the spec prints percentages (8.2: 78.125 prints
78.13) and rounds adjusted range bounds (section 4, the RSD rounding of rules.md). Python's
`round` on floats would give 78.12."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: Decimal, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pct(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a percentage with two decimals; None when nothing to divide."""
    if not denominator:
        return None
    return half_up(Decimal(numerator) * 100 / Decimal(denominator), 2)


def scaled(bound: int, adjustment_pct: int) -> int:
    """A range bound under an inventory adjustment: bound x (100 - adj) / 100, half up."""
    return int(half_up(Decimal(bound) * (100 - adjustment_pct) / 100))
