"""Reference files read by run 03 and the individual data step: OFP Consistency and Employee
Master. A missing, unreadable or malformed one stops the run (condition code 12) before anything
posts, with a message naming file, line, column, field and what was expected.

Every record is checked against the fields the product relies on (docs/decisions.md, "Reference
files"): a bad OFP line would silently blank an IPR's STANDARD column and a bad Employee Master
line would drop the employee from the IPR and SAR, so neither is let through. A check is a small
`Rule` (field, what it must hold, a boolean polars expression); a file's schema is a list of them
plus its key, which must not repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import DeckFault, decode_file
from layouts.layout import Field, Layout

OFP_FILE = "ofp_consistency.txt"
EMF_FILE = "employee_master.txt"
LISTED = 5  # other bad lines named in the message; the rest are counted


class ReferenceMissing(Exception):
    """A reference file the run needs is not there, or cannot be used (condition code 12)."""


class ReferenceFault(ReferenceMissing):
    """A reference file that is there but is not records of its layout: the run stops rather
    than read a wrong value as blank or drop a record unseen."""

    def __init__(self, message: str, path: Path | str, line: int | None = None,
                 column: int | None = None, field: str | None = None, others: int = 0):
        self.path, self.line, self.column, self.field = str(path), line, column, field
        self.others = others
        super().__init__(message)


@dataclass(frozen=True)
class Reference:
    ofp: pl.DataFrame
    employees: pl.DataFrame | None


# --- rules: one per required field ------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """A field the product reads, what it must hold, and where in it a bad value goes wrong."""

    field: str
    label: str
    expected: str  # "{width}" stands for the field's width, taken from the layout
    ok: Callable[[pl.Expr], pl.Expr]  # raw slice (padded to the field's width) -> well-formed
    offset: Callable[[str], int] = lambda value: 0  # 0-based position of the first bad character
    secret: bool = False  # the value is never echoed (an SSN)


def _first_non_digit(value: str, skip_blanks: bool = False) -> int:
    """Where a digit was expected but something else stands; 0 when every character is one."""
    start = len(value) - len(value.lstrip(" ")) if skip_blanks else 0
    if start == len(value):
        return 0
    return next((i for i in range(start, len(value)) if not value[i].isdigit()), 0)


def _digits(raw: pl.Expr) -> pl.Expr:
    return raw.str.contains(r"^[0-9]+$")


def _count(raw: pl.Expr) -> pl.Expr:
    """As the decoder reads a number: right-justified digits, leading blanks or zeros."""
    return raw.str.contains(r"^ *[0-9]+$")


def _date(raw: pl.Expr) -> pl.Expr:
    return (raw.str.contains(r"^[0-9]{8}$")
            & raw.str.strptime(pl.Date, "%m%d%Y", strict=False).is_not_null()).fill_null(False)


def _present(raw: pl.Expr) -> pl.Expr:
    return raw.str.strip_chars(" ") != ""


def _or_blank(ok: Callable[[pl.Expr], pl.Expr]) -> Callable[[pl.Expr], pl.Expr]:
    return lambda raw: ~_present(raw) | ok(raw)


def _one_of(codes: str) -> Callable[[pl.Expr], pl.Expr]:
    return lambda raw: raw.is_in(list(codes))


def digits(field: str, label: str, secret: bool = False, blank: bool = False) -> Rule:
    expected = "{width} digits" + (" or blank" if blank else "")
    return Rule(field, label, expected, _or_blank(_digits) if blank else _digits,
                _first_non_digit, secret)


def count(field: str, label: str, expected: str) -> Rule:
    return Rule(field, label, f"{expected}, digits right-justified (leading blanks or zeros)",
                _count, lambda value: _first_non_digit(value, skip_blanks=True))


def date(field: str, label: str, blank: bool = False) -> Rule:
    expected = "a date MMDDYYYY" + (", or blank" if blank else "")
    return Rule(field, label, expected, _or_blank(_date) if blank else _date, _first_non_digit)


def code(field: str, label: str, codes: str, expected: str) -> Rule:
    return Rule(field, label, expected, _one_of(codes))


def present(field: str, label: str, expected: str) -> Rule:
    return Rule(field, label, expected, _present)


@dataclass(frozen=True)
class ReferenceFile:
    """One reference file: its name, layout, key and the rules every record must pass."""

    name: str
    record: str
    title: str
    key: tuple[str, ...]
    key_label: str
    one_per: str
    rules: tuple[Rule, ...]

    @property
    def layout(self) -> Layout:
        return layout.load(self.record)


OFP_CONSISTENCY = ReferenceFile(
    OFP_FILE, "ofp_consistency", "OFP Consistency File",
    ("org_code", "function_code", "program_code"), "OFP", "one line per OFP", (
        digits("org_code", "organization code"),
        digits("function_code", "function code"),
        digits("program_code", "program code"),
        present("qpc", "quality program cluster (QPC)", "a QPC, not blank"),
        code("measured_code", "measured code", "12", "1 (measured) or 2 (unmeasured)"),
        count("learning_curve_hours", "learning-curve hours", "whole hours"),
        count("efficiency_standard", "efficiency standard", "items per hour NNNnn"),
    ))

EMPLOYEE_MASTER = ReferenceFile(
    EMF_FILE, "employee_master", "Employee Master File", ("ssn",), "SSN", "one line per employee",
    (
        digits("ssn", "SSN", secret=True),
        present("last_name", "last name", "a name, not blank"),
        digits("assigned_org", "assigned organization code"),
        digits("grade", "grade"),
        digits("step", "step", blank=True),
        code("class_code", "class code", "12345", "1, 2, 3, 4 or 5"),
        code("plan", "performance plan", "MU", "M (measured) or U (unmeasured)"),
        date("measured_since", "date placed on the measured plan", blank=True),
        code("work_status", "work status", "WN", "W (in work status) or N (not)"),
        date("rating_period_start", "start of the annual rating period"),
    ))


# --- checking a file --------------------------------------------------------------------------

def bad_lines(frame: pl.DataFrame, ref: ReferenceFile) -> pl.DataFrame:
    """Each bad record once, at its first fault in column order (`fault` indexes `ref.rules`;
    `len(ref.rules)` is a repeated key, `first` the line that holds it first)."""
    faults = [pl.when(~rule.ok(pl.col(rule.field))).then(pl.lit(i))
              for i, rule in enumerate(ref.rules)]
    first = pl.col("line_no").min().over(list(ref.key))
    repeated = pl.when(first != pl.col("line_no")).then(pl.lit(len(ref.rules)))
    return (frame.with_columns(pl.coalesce(*faults, repeated).alias("fault"),
                               first.alias("first"))
            .filter(pl.col("fault").is_not_null())
            .select("line_no", "text", "fault", "first", *ref.layout.names)
            .sort("line_no"))


def _columns(field: Field) -> str:
    return f"column {field.start}" if field.width == 1 else f"columns {field.start}-{field.end}"


@dataclass(frozen=True)
class Fault:
    """What is wrong with one record, as the operator is told."""

    line: int
    column: int
    field: str  # layout field name(s), for callers
    label: str  # the field as the spec names it, for the list of other bad lines
    what: str


def _repeated(row: dict, ref: ReferenceFile) -> Fault:
    fields = [ref.layout.field(k) for k in ref.key]
    start, end = min(f.start for f in fields), max(f.end for f in fields)
    return Fault(row["line_no"], start, "+".join(ref.key), f"{ref.key_label} repeated",
                 f"{ref.key_label} (columns {start}-{end}) is already on line {row['first']}; "
                 f"expected {ref.one_per}")


def _found(rule: Rule, value: str) -> str:
    if rule.secret:
        return "is not valid (not shown)"
    return f'is "{value}"' if value.strip(" ") else "is blank"


def describe(row: dict, ref: ReferenceFile) -> Fault:
    """The fault of one row of `bad_lines`: a short or blank record is said to end early rather
    than to hold blanks, since that is what the operator will see in an editor."""
    if row["fault"] == len(ref.rules):
        return _repeated(row, ref)
    rule = ref.rules[row["fault"]]
    field = ref.layout.field(rule.field)
    ends = len(row["text"].rstrip(" "))
    where = f"{rule.label} ({_columns(field)})"
    expected = rule.expected.format(width=field.width)
    if ends == 0:
        return Fault(row["line_no"], 1, rule.field, "blank line",
                     f"the line is blank; expected {ref.one_per}")
    if ends < field.start:
        return Fault(row["line_no"], field.start, rule.field, rule.label,
                     f"{where} is missing: the record ends at column {ends}; "
                     f"expected {expected}")
    value = row[rule.field]
    return Fault(row["line_no"], field.start + rule.offset(value), rule.field, rule.label,
                 f"{where} {_found(rule, value)}; expected {expected}")


def message(path: Path, ref: ReferenceFile, faults: list[Fault], total: int) -> str:
    """The first fault in full, then how many other lines are bad, the first few by name."""
    first = faults[0]
    text = f"{path}, line {first.line}, column {first.column}: {first.what}"
    others = total - 1
    if others:
        listed = ", ".join(f"line {f.line} (column {f.column}, {f.label})" for f in faults[1:])
        more = f", and {others - len(faults) + 1} more" if others >= len(faults) else ""
        lines = "line is" if others == 1 else "lines are"
        text += f"; {others} other {lines} also bad: {listed}{more}"
    return text + f". The {ref.title} was not used: correct it and run again"


def check(frame: pl.DataFrame, path: Path, ref: ReferenceFile) -> None:
    """Raise ReferenceFault on the first bad record, counting and listing the others."""
    bad = bad_lines(frame, ref)
    if bad.height == 0:
        return
    faults = [describe(row, ref) for row in bad.head(LISTED + 1).iter_rows(named=True)]
    first = faults[0]
    raise ReferenceFault(message(path, ref, faults, bad.height), path, first.line,
                         first.column, first.field, bad.height - 1)


def read(reference_dir: Path, ref: ReferenceFile) -> pl.DataFrame:
    """One reference file, decoded and checked; every way it can fail is a ReferenceMissing."""
    path = reference_dir / ref.name
    if not there(path):
        raise ReferenceMissing(f"{path}: reference file not found (expected the {ref.title} "
                               "here; give another folder with --reference)")
    try:
        frame = decode_file(path, ref.layout)
    except DeckFault as fault:
        raise ReferenceFault(str(fault), path, fault.line, fault.column) from None
    check(frame, path, ref)
    return frame


def there(path: Path) -> bool:
    """Whether a reference file is there; a folder that cannot be looked into is said (12),
    not taken for an internal error."""
    try:
        return path.exists()
    except PermissionError:
        raise ReferenceMissing(f"{path.parent}: the reference folder cannot be read "
                               "(Permission denied); give a folder this user can read with "
                               "--reference") from None


def load(reference_dir: Path, need_employees: bool = False) -> Reference:
    """The OFP Consistency File always; the Employee Master File when it is there (or when
    `need_employees`). Without it the individual data step rejects Forms 3081/6489 as I01."""
    ofp = read(reference_dir, OFP_CONSISTENCY)
    has_emf = need_employees or there(reference_dir / EMF_FILE)
    employees = read(reference_dir, EMPLOYEE_MASTER) if has_emf else None
    return Reference(ofp=ofp, employees=employees)
