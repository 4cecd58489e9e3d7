"""Checks of sample selection (IRM 3.30.28.2): sample requests (SRQ) and completed-work batches
(CWB). Each code is a row of `validators.codes` (run SAMPLING).

A record check is a `Rule` (one record at a time); a check against the reference files or the
store's history is a join that returns flags in the same (seq, code) shape. S01-S14, S22 and
S24 reject the record to the open error register; the findings (S20, S21, S23, S25) leave the
record used and are listed, and are computed where the week's figures are
(`pipelines.engine.sampling.week`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from layouts import layout
from validators.rules import Rule, codes_by_row, digits, flag_rows, flags, no_flags, schema

REQUEST, BATCH = "SRQ", "CWB"
OFP_KEY = ["org_code", "function_code", "program_code"]

REQUEST_RULES = [
    Rule("S01", "ssn", lambda: ~digits("ssn", 9), "SSN not nine digits"),
    Rule("S04", "weekly_sample", lambda: pl.col("weekly_sample_v").is_null(),
         "sample size not digits"),
    Rule("S06", "effective_week", lambda: pl.col("effective_week_v").is_null(),
         "week applies from not a date"),
    Rule("S07", "grade", lambda: ~digits("grade", 2), "grade not two digits"),
    Rule("S10", "change_approved", lambda: ~pl.col("change_approved").is_in(["Y", "N", " "]),
         "approval flag not Y, N or blank"),
]

BATCH_RULES = [
    Rule("S01", "ssn", lambda: ~digits("ssn", 9), "SSN not nine digits"),
    Rule("S03", "org_code", lambda: ~(digits("org_code", 5) & digits("function_code", 3)
                                      & digits("program_code", 5)), "OFP not digits"),
    Rule("S05", "items", lambda: pl.col("items_v").fill_null(0) == 0,
         "items not digits or zero"),
    Rule("S06", "date_completed", lambda: pl.col("date_completed_v").is_null(),
         "date completed not a date"),
    Rule("S07", "grade", lambda: ~digits("grade", 2), "grade not two digits"),
]

_REQUEST_SCHEMA = schema(REQUEST_RULES, "sample requests")
_BATCH_SCHEMA = schema(BATCH_RULES, "completed-work batches")


def _not_on_master(frame: pl.DataFrame, employees: pl.DataFrame) -> pl.DataFrame:
    """S02: a well-formed SSN that the Employee Master File does not hold."""
    known = employees.get_column("ssn").implode()
    return flag_rows(frame, "S02", digits("ssn", 9) & ~pl.col("ssn").is_in(known))


def request_flags(requests: pl.DataFrame, employees: pl.DataFrame, ofp: pl.DataFrame
                  ) -> pl.DataFrame:
    """Flags of the record checks and reference joins of sample requests."""
    qpcs = ofp.get_column("qpc").unique().implode()
    pairs = ofp.select(pl.concat_str("qpc", "function_code", "program_code")).to_series()
    listed = pl.col("qpc").is_in(qpcs)
    return pl.concat([
        flags(requests, _REQUEST_SCHEMA),
        _not_on_master(requests, employees),
        flag_rows(requests, "S08", ~listed),
        flag_rows(requests, "S09", listed & ~pl.concat_str("qpc", "function_code",
                                                           "program_code")
                  .is_in(pairs.implode())),
    ])


def batch_flags(batches: pl.DataFrame, employees: pl.DataFrame, ofp: pl.DataFrame,
                seen_batches: pl.DataFrame) -> pl.DataFrame:
    """Flags of completed-work batches. `seen_batches` (ssn, batch_id) were sent before."""
    ofps = ofp.select(pl.concat_str(*OFP_KEY)).to_series().implode()
    ofp_digits = digits("org_code", 5) & digits("function_code", 3) & digits("program_code", 5)
    week = pl.col("deck_week_ending")
    in_week = pl.col("date_completed_v").is_between(week - pl.duration(days=6), week)
    key = pl.struct("ssn", "batch_id")
    earlier = seen_batches.select(pl.struct("ssn", "batch_id")).to_series().implode()
    repeated = (pl.int_range(pl.len()).over("ssn", "batch_id", order_by="seq") > 0
                ) | key.is_in(earlier)
    return pl.concat([
        flags(batches, _BATCH_SCHEMA),
        _not_on_master(batches, employees),
        flag_rows(batches, "S03", ofp_digits & ~pl.concat_str(*OFP_KEY).is_in(ofps)),
        flag_rows(batches, "S12", pl.col("date_completed_v").is_not_null() & ~in_week),
        flag_rows(batches, "S13", repeated),
    ])


# A work group's items are numbered from one random-number table; the largest (five digits)
# reaches 100,000 items (00000 stands for the 100,000th: IRM 3.30.28.2.2.2(3)-(4)).
WORK_GROUP_MOST = 100_000


def work_group_flags(batches: pl.DataFrame, flagged: pl.DataFrame, ofp: pl.DataFrame,
                     hqw: pl.DataFrame) -> pl.DataFrame:
    """S14 on every batch of a day's work group of more than WORK_GROUP_MOST items, among the
    batches no other check rejects (`flagged`: their flags): a group is what one walk of a
    table numbers (`pipelines.engine.sampling.plan`): an employee's batches of one day and
    QPC, or every batch of one High Quality Work OFP of one day. None of its
    batches can be sampled, and one of them holds a wrong count; the rest of the week is."""
    ok = batches.filter(~pl.col("seq").is_in(flagged["seq"].implode()))
    if ok.height == 0:
        return no_flags()
    qpc = ofp.select(*OFP_KEY, "qpc").unique(OFP_KEY, keep="first")
    high = hqw.select(*OFP_KEY, "grade").unique().with_columns(pl.lit(True).alias("hqw"))
    ok = ok.join(qpc, on=OFP_KEY, how="left").join(high, on=[*OFP_KEY, "grade"], how="left")
    group = pl.when(pl.col("hqw").fill_null(False)).then(
        pl.concat_str(pl.lit("HQW"), *OFP_KEY)).otherwise(
        pl.concat_str(pl.lit("IR"), "ssn", "qpc"))
    items = pl.col("items_v").sum().over("date_completed_v", group)
    return flag_rows(ok, "S14", items > WORK_GROUP_MOST)


def unknown_flags(records: pl.DataFrame) -> pl.DataFrame:
    """S11: a record that is neither a request nor a batch."""
    return flag_rows(records, "S11", ~pl.col("record_id").is_in([REQUEST, BATCH]))


def with_codes(frame: pl.DataFrame, found: list[pl.DataFrame]) -> pl.DataFrame:
    """`frame` plus `error_codes` (sorted list, empty when none) and `rejected`."""
    codes = codes_by_row([*found, no_flags()])
    return frame.join(codes, on="seq", how="left", maintain_order="left").with_columns(
        pl.col("error_codes").fill_null(pl.lit([], pl.List(pl.String))),
    ).with_columns((pl.col("error_codes").list.len() > 0).alias("rejected"))


def change_flags(request: dict, prior: dict | None, first_week: bool, shortfall: bool
                 ) -> list[str]:
    """S22 and S24 for one otherwise valid request, given the size in force before it.

    S22 (3.30.28.2.2.1(4)): a size that differs from the one in force, from a week other than
    the first of the quarter, without the Section Chief's approval (Y). S24 (3.30.28.2.2.1(11)):
    a size above the one in force when an earlier week of the quarter was short."""
    if prior is None or request["weekly_sample_v"] == prior["weekly_sample"]:
        return []
    codes = []
    if not first_week and request["change_approved"] != "Y":
        codes.append("S22")
    if request["weekly_sample_v"] > prior["weekly_sample"] and shortfall:
        codes.append("S24")
    return codes


_LAYOUTS = {REQUEST: layout.load("sample_request"), BATCH: layout.load("work_batch")}
_DATE = "a date MMDDYYYY"
# code -> (field of a request, field of a batch, what was expected): where `why` looks
_WHERE = {
    "S03": (None, "org_code", "13 digits, an OFP of the OFP Consistency File"),
    "S04": ("weekly_sample", None, "4 digits"),
    "S05": (None, "items", "5 digits, not zero"),
    "S06": ("effective_week", "date_completed", _DATE),
    "S07": ("grade", "grade", "2 digits"),
    "S08": ("qpc", None, "a QPC of the OFP Consistency File"),
    "S09": ("function_code", None, "the function and program of an OFP of QPC {qpc}"),
    "S10": ("change_approved", None, "Y, N or blank"),
    "S13": (None, "batch_id", "an identifier not sent before for the SSN"),
    "S14": (None, "items", f"a count that keeps the day's work group (the employee's batches "
            f"of the day and QPC, or a High Quality Work OFP's) within {WORK_GROUP_MOST:,} "
            "items, the largest random-number table's reach"),
    "S22": ("weekly_sample", None, "approval Y in column 58 for a mid-quarter change (is "
            "{approved!r})"),
    "S24": ("weekly_sample", None, "no increase after a short week this quarter"),
}
# field -> (how the message names it, first column, last column) where not the layout's own
_NAMES = {"org_code": ("OFP", 21, 33), "function_code": ("function/program", 38, 45)}
_LABELS = {"qpc": "QPC", "batch_id": "batch identifier", "weekly_sample": "weekly sample size",
           "effective_week": "week it applies from", "change_approved": "approval flag"}


def why(text: str, code: str, week_ending: dt.date) -> str:
    """Where in the record `code` is, the value found and what was expected, for the register
    and the summary (as `qap run` and `qap inventory` say it). An SSN's digits are never
    repeated: only its characters that are not digits, with their columns."""
    kind = text[:3]
    if code == "S11" or kind not in _LAYOUTS:
        return f"record type (columns 1-3) is {text[:3]!r}; expected SRQ or CWB"
    lay = _LAYOUTS[kind]
    if code == "S02":
        return "SSN (columns 4-12) is not on the Employee Master File; expected an SSN of it"
    if code == "S01":
        f = lay.field("ssn")
        bad = ", ".join(f"{c!r} in column {f.start + i}" for i, c in
                        enumerate(text.ljust(f.end)[f.offset:f.end]) if not c.isdigit())
        return f"SSN (columns 4-12) has {bad}; expected 9 digits"
    if code == "S12":
        return (f"{_found(lay, 'date_completed', text)}; expected a date in the week "
                f"{week_ending - dt.timedelta(days=6):%m/%d/%Y}-{week_ending:%m/%d/%Y}")
    request_field, batch_field, expected = _WHERE[code]
    name = request_field if kind == REQUEST else batch_field
    found = _found(lay, name, text)
    return f"{found}; expected " + expected.format(qpc=text[32:35], approved=text.ljust(58)[57])


def _found(lay: layout.Layout, name: str, text: str) -> str:
    """`<field> (columns a-b) is '<value>'` (the OFP and function/program as one span)."""
    label, start, end = _NAMES.get(name) or (_LABELS.get(name, name.replace("_", " ")),
                                             lay.field(name).start, lay.field(name).end)
    value = text.ljust(end)[start - 1:end]
    columns = f"column {start}" if start == end else f"columns {start}-{end}"
    return f"{label} ({columns}) is {value!r}"
