"""Zone-punched signed numbers (IRM 3.30.28.4.4.5(4)): the last position carries digit and sign.

`{` and A-I are 0-9 increasing; `}` and J-R are 0-9 decreasing. Adjustment Forms 3926 use the
strict form (last position must be a zone character); Forms 6489 the lenient one (a plain digit
in the last position is an increase).
"""

from __future__ import annotations

import polars as pl

INCREASE = "{ABCDEFGHI"
DECREASE = "}JKLMNOPQR"
_DIGIT = {c: i for i, c in enumerate(INCREASE)} | {c: i for i, c in enumerate(DECREASE)}
_SIGN = {c: 1 for c in INCREASE} | {c: -1 for c in DECREASE}
_LENIENT_DIGIT = _DIGIT | {str(i): i for i in range(10)}
_LENIENT_SIGN = _SIGN | {str(i): 1 for i in range(10)}


def encode(value: int, width: int = 5) -> str:
    """The strict zone-punched text of `value`; leading positions blank, never zero-filled."""
    magnitude = abs(value)
    head, last = divmod(magnitude, 10)
    if head >= 10 ** (width - 1):
        raise ValueError(f"{value} does not fit a {width}-position zone-punched field")
    zone = (DECREASE if value < 0 else INCREASE)[last]
    return (str(head) if head else "").rjust(width - 1) + zone


def decode(text: str, *, strict: bool = True) -> int | None:
    """Scalar twin of `value_expr`; None for a blank or malformed field."""
    if not text.strip():
        return None
    head, last = text[:-1], text[-1]
    digits, signs = (_DIGIT, _SIGN) if strict else (_LENIENT_DIGIT, _LENIENT_SIGN)
    if last not in digits or not all(c == " " or c.isdigit() for c in head):
        return None
    magnitude = int(head.replace(" ", "0") or "0") * 10 + digits[last]
    return signs[last] * magnitude


def _parts(raw: pl.Expr, width: int, strict: bool) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    digits, signs = (_DIGIT, _SIGN) if strict else (_LENIENT_DIGIT, _LENIENT_SIGN)
    last = raw.str.slice(width - 1, 1)
    head = raw.str.slice(0, width - 1)
    head_ok = head.str.contains(rf"^[0-9 ]{{{width - 1}}}$")
    digit = last.replace_strict(digits, default=None, return_dtype=pl.Int64)
    sign = last.replace_strict(signs, default=None, return_dtype=pl.Int64)
    head_value = head.str.replace_all(" ", "0", literal=True).cast(pl.Int64, strict=False)
    return head_ok, digit, sign * (head_value * 10 + digit)


def is_blank_expr(raw: pl.Expr) -> pl.Expr:
    return raw.str.strip_chars(" ") == ""


def valid_expr(raw: pl.Expr, width: int = 5, *, strict: bool = True) -> pl.Expr:
    """True when the field is blank or a well-formed zone-punched number."""
    head_ok, digit, _ = _parts(raw, width, strict)
    return is_blank_expr(raw) | (head_ok & digit.is_not_null())


def value_expr(raw: pl.Expr, width: int = 5, *, strict: bool = True) -> pl.Expr:
    """Signed value; null when blank (no change) or malformed."""
    head_ok, _, value = _parts(raw, width, strict)
    return pl.when(head_ok & ~is_blank_expr(raw)).then(value)
