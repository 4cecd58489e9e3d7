"""Record checks of run INV-10-02 (codes 01-14, shared/spec/inventory.md 5.1).

Each code is a Rule on the decoded records of one type, or a join across types (06 repeats,
07 a holder missing from the roster, 12 a hold date on a case not in a hold file). A rejected
record keeps every code it earned; nothing is dropped: the run puts it on the open register.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from layouts import layout
from layouts.decoder import decode
from validators.rules import Rule, blank, codes_by_row, digits, flag_rows, flags, no_flags, schema

ROSTER, CASE, FORECAST = (layout.load("ro_roster"), layout.load("ro_case"),
                          layout.load("gs13_forecast"))
RECORD_TYPES = ("ROR", "CAS", "FCS")
GRADES = ("05", "07", "09", "11", "12", "13")
POSITION_TYPES = ("F", "T", "S", "H")
DUTY_STATUSES = ("A", "D", "M", "L", "X")
KINDS = ("B", "D", "O", "F", "C", "X")
COVERED_KINDS = ("B", "D", "O", "F", "C")  # IRM 1.4.50.10.2(8)
REASONS = ("1", "2", "3", "4", "5", "6", "7")  # spec 3.5
ROSTER_DATES = ("group_start", "returned", "relief_date", "notice_date")
CASE_DATES = ("assigned", "first_assigned", "csed", "ased", "last_contact", "hold_date",
              "left_date", "grade_changed")
YES_FIELDS = ("levy", "summons", "letter_1058", "appeals", "accelerated", "restricted",
              "doc_f1", "doc_f2", "doc_f3", "doc_f4", "reason_documented", "reviewed",
              "conf_f1", "conf_f2", "conf_f3", "conf_f4")
CODED = {"trust_fund": ("T",), "business": ("I", "O"), "case_reason": REASONS,
         "tf_determination": ("Y", "N"), "nftl": ("F", "N", "X"), "proposed": ("Q", "H", "R"),
         "left_why": ("C", "Q", "H", "R"), "grading": ("S", "M")} | {f: ("Y",) for f in YES_FIELDS}
# Subelement letters each factor allows (TIGTA App. V; factor 1's are redacted: any A-Z).
SUBELEMENTS = {"sub_f1": ("doc_f1", "A-Z"), "sub_f2": ("doc_f2", "A-G"),
               "sub_f3": ("doc_f3", "A-C"), "sub_f4": ("doc_f4", "A-D")}


def _in(column: str, values: tuple[str, ...], allow_blank: bool = False) -> pl.Expr:
    ok = pl.col(column).is_in(list(values))
    return ok | blank(column) if allow_blank else ok


def _bad_date(column: str, required: bool = False) -> pl.Expr:
    bad = ~blank(column) & pl.col(f"{column}_v").is_null()
    return bad | blank(column) if required else bad


def _any(exprs: list[pl.Expr]) -> pl.Expr:
    return pl.any_horizontal(exprs)


ROSTER_RULES = [
    Rule("02", "assignment", lambda: ~digits("assignment", 8) | (
        ~blank("coach") & ~digits("coach", 8)), "assignment number not 8 digits"),
    Rule("03", "ro_grade", lambda: ~_in("ro_grade", GRADES) & ~(
        blank("ro_grade") & (pl.col("position_type") == "H")), "roster grade not in table"),
    Rule("04", "position_type", lambda: ~_in("position_type", POSITION_TYPES)
         | ~_in("duty_status", DUTY_STATUSES), "position type or duty status not in table"),
    Rule("05", "group_start", lambda: _any([_bad_date(d, d == "group_start")
                                            for d in ROSTER_DATES]), "date not MMDDYYYY"),
    Rule("10", "ro_reason", lambda: ~_in("ro_reason", REASONS, allow_blank=True),
         "RO reason not 1-7"),
    Rule("11", "adjustment", lambda: ~blank("adjustment") & ~(
        digits("adjustment", 3) & (pl.col("adjustment") <= "100")), "adjustment not 000-100"),
]

CASE_RULES = [
    Rule("02", "holder", lambda: ~digits("holder", 8), "holder not 8 digits"),
    Rule("05", "assigned", lambda: _any([_bad_date(d, d == "assigned") for d in CASE_DATES]),
         "date not MMDDYYYY"),
    Rule("08", "case_grade", lambda: ~_in("case_grade", GRADES), "case grade not in table"),
    Rule("09", "kind", lambda: ~_in("kind", KINDS), "case kind not in table"),
    Rule("10", "proposed", lambda: _any([~_in(f, v, allow_blank=True) for f, v in CODED.items()]),
         "coded field not in its table"),
    Rule("12", "assigned", lambda: (pl.col("assigned_v") > pl.col("as_of"))
         | (pl.col("left_date_v") < pl.col("assigned_v"))
         | (pl.col("left_date_v") > pl.col("as_of")), "dates out of order"),
    Rule("13", "sub_f1", lambda: _any([
        pl.col(sub).str.contains(f"[^ {letters}]")
        | (~blank(sub) & (pl.col(doc) != "Y"))
        for sub, (doc, letters) in SUBELEMENTS.items()]), "subelement not allowed"),
]

FORECAST_RULES = [
    Rule("14", "scope", lambda: ~digits("scope", 6) | pl.col("period_end_v").is_null()
         | pl.col("forecast_cases_v").is_null() | pl.col("forecast_ros_v").is_null()
         | ~pl.col("forecast_cases").str.contains(r"^ *[0-9]+$")
         | ~pl.col("forecast_ros").str.contains(r"^ *[0-9]+$"), "forecast fields not valid"),
]

ROSTER_SCHEMA = schema(ROSTER_RULES, "ROR roster records (INV-10-02)")
CASE_SCHEMA = schema(CASE_RULES, "CAS case records (INV-10-02)")
FORECAST_SCHEMA = schema(FORECAST_RULES, "FCS forecast records (INV-10-02)")


@dataclass(frozen=True)
class Checked:
    """The deck's records by type, each with `error_codes` (sorted) and `rejected`."""

    roster: pl.DataFrame
    cases: pl.DataFrame
    forecasts: pl.DataFrame
    other: pl.DataFrame  # records of no known type (01)

    @property
    def every(self) -> pl.DataFrame:
        """seq, line_no, deck_no, text, record_type, control_number, error_codes, rejected."""
        parts = [
            (self.roster, "ROR", pl.col("assignment")), (self.cases, "CAS", pl.col("case_id")),
            (self.forecasts, "FCS", pl.col("scope")), (self.other, "other", pl.lit("")),
        ]
        return pl.concat([f.select("seq", "line_no", "deck_no", "text",
                                   pl.lit(kind).alias("record_type"),
                                   key.alias("control_number"), "error_codes", "rejected")
                          for f, kind, key in parts]).sort("seq")


def _later_repeat(keys: list[str]) -> pl.Expr:
    return pl.col("seq").rank("ordinal").over(keys) > 1


def _with_codes(frame: pl.DataFrame, found: list[pl.DataFrame]) -> pl.DataFrame:
    per_row = codes_by_row([no_flags(), *found])
    out = frame.join(per_row, on="seq", how="left", maintain_order="left")
    return out.with_columns(pl.col("error_codes").fill_null([]).cast(pl.List(pl.String)),
                            (pl.col("error_codes").list.len() > 0).fill_null(False)
                            .alias("rejected"))


def check(records: pl.DataFrame, as_of: dt.date,
          known_roster: pl.DataFrame | None = None) -> Checked:
    """`records`: seq, line_no, deck_no, text (the records between HDR and TRL, all decks).
    `known_roster` (holder, holder_type): roster entries from an earlier run that a
    corrections deck's cases may name without sending their ROR again (07, 12)."""
    kind = pl.col("text").str.slice(0, 3)
    base = records.with_columns(pl.lit(as_of).alias("as_of"))
    roster = decode(base.filter(kind == "ROR"), ROSTER)
    cases = decode(base.filter(kind == "CAS"), CASE)
    forecasts = decode(base.filter(kind == "FCS"), FORECAST)
    other = base.filter(~kind.is_in(list(RECORD_TYPES)))

    roster_flags = [flags(roster, ROSTER_SCHEMA),
                    flag_rows(roster, "06", _later_repeat(["assignment"]))]
    roster = _with_codes(roster, roster_flags)
    used_roster = roster.filter(~pl.col("rejected")).select(
        pl.col("assignment").alias("holder"), pl.col("position_type").alias("holder_type"))
    if known_roster is not None:
        earlier = known_roster.select("holder", "holder_type").filter(
            ~pl.col("holder").is_in(used_roster["holder"].implode()))
        used_roster = pl.concat([used_roster, earlier]).unique("holder", keep="first")
    cases = cases.join(used_roster, on="holder", how="left", maintain_order="left")
    case_flags = [flags(cases, CASE_SCHEMA),
                  flag_rows(cases, "06", _later_repeat(["case_id", "holder"])),
                  flag_rows(cases, "07", pl.col("holder_type").is_null()),
                  flag_rows(cases, "12", ~blank("hold_date") & (pl.col("holder_type") != "H"))]
    cases = _with_codes(cases, case_flags)
    forecasts = _with_codes(forecasts, [flags(forecasts, FORECAST_SCHEMA)])
    other = _with_codes(other, [flag_rows(other, "01", pl.lit(True))])
    return Checked(roster, cases, forecasts, other)


def _where(lay: layout.Layout, name: str, text: str) -> str:
    f = lay.field(name)
    value = text.ljust(f.end)[f.offset:f.end]
    return f"{name.replace('_', ' ')} (columns {f.start}-{f.end}) is {value!r}"


def why(record_type: str, text: str, code: str, as_of: dt.date) -> str:
    """Where in the record a code is and what was expected: for the operator's summary."""
    lay = {"ROR": ROSTER, "CAS": CASE, "FCS": FORECAST}.get(record_type)
    if lay is None:
        return f"record type (columns 1-3) is {text[:3]!r}; expected ROR, CAS or FCS"

    def raw(name: str) -> str:
        f = lay.field(name)
        return text.ljust(f.end)[f.offset:f.end]

    def date(name: str) -> dt.date | None:
        try:
            return dt.datetime.strptime(raw(name), "%m%d%Y").date()
        except ValueError:
            return None

    def bad(name: str) -> bool:
        """Is field `name` wrong for `code`?"""
        value = raw(name)
        if code == "02":
            return not value.isdigit() and (name != "coach" or bool(value.strip()))
        if code == "04":
            return value not in (POSITION_TYPES if name == "position_type" else DUTY_STATUSES)
        if code == "05":
            return (name in ("group_start", "assigned") if not value.strip()
                    else date(name) is None)
        if code == "10":
            table = REASONS if name == "ro_reason" else CODED[name]
            return bool(value.strip()) and value not in table
        if code == "12":
            day = date(name)
            return day is not None and (day > as_of or (
                name == "left_date" and date("assigned") is not None
                and day < date("assigned")) or name == "hold_date")
        if code == "13":
            doc, letters = SUBELEMENTS[name]
            low, high = letters.split("-")
            return bool(value.strip()) and (raw(doc) != "Y" or any(
                c != " " and not low <= c <= high for c in value))
        return False

    candidates = {
        "02": (("assignment", "coach") if record_type == "ROR" else ("holder",), "8 digits"),
        "04": (("position_type", "duty_status"), "position F, T, S or H; duty A, D, M, L or X"),
        "05": (ROSTER_DATES if record_type == "ROR" else CASE_DATES,
               "a date MMDDYYYY (blank only where the date is optional)"),
        "10": (("ro_reason",) if record_type == "ROR" else tuple(CODED),
               "a value of its table, or blank"),
        "12": (("assigned", "left_date", "hold_date"),
               f"not after the as-of date {as_of:%m/%d/%Y}, left on or after assigned; a "
               "hold date only on a case in a GM hold file"),
        "13": (tuple(SUBELEMENTS), "letters of its factor (1 A-Z, 2 A-G, 3 A-C, 4 A-D), and "
               "only for a factor documented in 107-110"),
    }
    if code in candidates:
        names, expected = candidates[code]
        found = next((n for n in names if bad(n)), names[0])
        return f"{_where(lay, found, text)}; expected {expected}"
    simple = {
        "03": ("ro_grade", "05, 07, 09, 11, 12 or 13 (blank only on a hold file)"),
        "11": ("adjustment", "blank or 000-100"),
        "06": ("assignment" if record_type == "ROR" else "case_id",
               "one record per assignment number, or per case and holder (a later repeat)"),
        "07": ("holder", "an assignment number on this deck's roster"),
        "08": ("case_grade", "05, 07, 09, 11, 12 or 13"),
        "09": ("kind", "B, D, O, F, C or X"),
        "14": ("scope", "6 digits, a period end date (10-17) and digit counts (18-27)"),
    }
    if code in simple:
        name, expected = simple[code]
        return f"{_where(lay, name, text)}; expected {expected}"
    return ""
