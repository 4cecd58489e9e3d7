"""A register entry as the run page shows it: the record cut into its layout's fields, the
fields its codes point at marked, and each code's meaning from the code tables.

Which field a PCE-01-43 or PCE-03-41 code points at is the column its rule is hung on
(`validators.rules.Rule.column`); the few codes checked by a join or by the Cumulative Data
File, and the individual data reasons, are listed here. SSNs are masked but for the last four
digits, as on paper.
"""

from __future__ import annotations

from html import escape

from layouts import layout
from validators import adjustments, pce_01_43, pce_03_41
from validators.codes import RUN_3926, RUN_3927, SUB_REASONS, describe

OFP = ("org_code", "function_code", "program_code")
SHOWN = 4  # the SSN's last four digits may show
LAYOUTS = {(RUN_3927, "header"): "form3927_header", (RUN_3927, "line"): "form3927_line",
           (RUN_3926, "header"): "form3926_header", (RUN_3926, "line"): "form3926_line",
           ("IPR-3081", "form3081"): "form3081", ("IPR-6489", "form6489"): "form6489"}
# Rule columns that are facts computed from the record, not its fields: the fields they rest on.
DERIVED = {"on_file": OFP, "code_on_file": ("defect_code",), "total_defects": ("defects",),
           "week_ending_v": ("week_ending",), "control_bad": ("block", "serial")}
# Codes found by a join or a pass over state rather than a column rule.
JOINED = {(RUN_3926, "06"): OFP, (RUN_3926, "10"): ("quality_standard",),
          (RUN_3926, "14"): ("defect_code",), (RUN_3926, "24"): ("defect_list",),
          (RUN_3927, "04"): ("defect_code",),
          (RUN_3927, "05"): ("defect_code",), (RUN_3927, "06"): ("defect_code",),
          (RUN_3927, "10"): ("defect_code",)}
FIGURES = ("hours_tenths", "volume", "reviewed", "errors")
INDIVIDUAL = {
    "A01": ("adjustment_code",), "A02": ("ssn",), "A03": OFP, "A04": ("grade",),
    "A05": ("record_code",), "A06": FIGURES, "A07": ("quarter_ending",), "A08": FIGURES,
    "A09": ("ssn", *OFP), "A10": ("ssn", *OFP), "A11": ("record_code", "grade"),
    "A12": FIGURES, "A13": ("reviewed", "errors"), "A14": ("ssn",), "A15": ("format_code",),
    "A16": ("measured_pca", "measured_teps", "time_code", "class_code"), "A17": ("step",),
    "A18": ("week_ending",), "T01": ("ssn",), "T02": ("ssn",), "T03": ("week_ending",),
    "T04": OFP, "T05": ("hours_tenths",), "T06": ("volume",), "T07": ("grade", "step"),
    "T08": ("time_code",), "T09": ("format_code",), "I01": (),
}
_RULES = {RUN_3927: [*pce_01_43.HEADER_RULES, *pce_01_43.LINE_RULES],
          RUN_3926: [*pce_03_41.HEADER_RULES, *pce_03_41.LINE_RULES,
                     *adjustments.DOCUMENT_RULES, *adjustments.CODE_RULES]}


def meaning(run: str, code: str) -> str:
    """A code's meaning from the one code table, whichever family issued it (an individual
    data reason by its code whatever run names it; empty for an unknown code)."""
    entry = describe(run, code)
    return entry.meaning if entry is not None else ""


def _columns(rule_column: str) -> tuple[str, ...]:
    return DERIVED.get(rule_column, (rule_column,))


def fields_of(run: str, code: str, sub_reason: str | None) -> tuple[str, ...]:
    """The fields `code` points at; for a code with sub-reasons, the fields of the sub-reasons
    the entry names (every rule's field of the code when it names none)."""
    if run not in _RULES:
        return INDIVIDUAL.get(code, ())
    if (run, code) in JOINED:
        return JOINED[(run, code)]
    rules = [r for r in _RULES[run] if r.code == code]
    subs = SUB_REASONS.get((run, code))
    if subs and sub_reason:
        named = {part.strip() for part in sub_reason.split(";")}
        chosen = [r for r in rules if subs.get(r.sub) in named]
        rules = chosen or rules
    out: list[str] = []
    for r in rules:
        out += [c for c in _columns(r.column) if c not in out]
    return tuple(out)


def marked_fields(run: str, record_type: str, codes: list[str], sub_reason: str | None
                  ) -> dict[str, list[str]]:
    """field name -> the codes that point at it, for the fields of the entry's layout."""
    names = {f.name for f in _layout_fields(run, record_type)}
    marks: dict[str, list[str]] = {}
    for code in codes:
        for name in fields_of(run, code, sub_reason):
            if name in names:
                marks.setdefault(name, []).append(code)
    return marks


def _layout_fields(run: str, record_type: str) -> list[layout.Field]:
    prefix = list(layout.load("prefix").fields)
    name = LAYOUTS.get((run, record_type))
    return prefix + (list(layout.load(name).fields) if name else [])


def _masked(text: str, run: str, record_type: str) -> str:
    for f in _layout_fields(run, record_type):
        if f.name == "ssn":
            hidden = f.width - SHOWN
            padded = text.ljust(f.end)
            body = padded[f.offset:f.offset + hidden]
            if body.strip():
                text = padded[:f.offset] + "X" * hidden + padded[f.offset + hidden:]
    return text


def record_html(text: str, run: str, record_type: str, codes: list[str],
                sub_reason: str | None) -> str:
    """The record (SSN masked) as one span per layout field; a field a code points at has the
    class `hl` and names its codes."""
    text = _masked(text or "", run, record_type)
    marks = marked_fields(run, record_type, codes, sub_reason)
    fields = sorted(_layout_fields(run, record_type), key=lambda f: f.start)
    parts, at = [], 0
    for f in fields:
        if f.offset > at:
            parts.append(escape(text[at:f.offset].ljust(f.offset - at)))
        piece = escape(text[f.offset:f.end].ljust(f.width)).replace(" ", "&nbsp;")
        if f.name in marks:
            why = " ".join(marks[f.name])
            parts.append(f'<span class="fld hl" data-field="{f.name}" data-codes="{why}" '
                         f'title="{f.name}: code {why}">{piece}</span>')
        else:
            parts.append(f'<span class="fld" data-field="{f.name}" title="{f.name}">'
                         f"{piece}</span>")
        at = max(at, f.end)
    rest = text[at:].rstrip()
    if rest:
        parts.append(escape(rest))
    return f'<code class="rec">{"".join(parts)}</code>'


NO_CODE = ("No code of its own: rejected with its document, which has a code on another of "
           "its records.")


def meanings_html(run: str, codes: list[str], sub_reason: str | None) -> str:
    if not codes:
        return f'<ul class="means"><li>{escape(NO_CODE)}</li></ul>'
    items = "".join(f"<li><b>{escape(c)}</b> {escape(meaning(run, c))}</li>" for c in codes)
    sub = f'<div class="sub">{escape(sub_reason)}</div>' if sub_reason else ""
    return f'<ul class="means">{items}</ul>{sub}'


def codes_html(run: str, codes: list[str]) -> str:
    """The entry's codes; `data-codes` carries them as run:code for the page's filter."""
    keys = " ".join(f"{run}:{c}" for c in codes)
    return f'<span class="codes" data-codes="{escape(keys)}">{escape(" ".join(codes))}</span>'
