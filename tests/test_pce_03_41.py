"""Run 03, Invalid Review Data Listing PCE-03-41: every Form 3926 error code on exact lines.

Each test builds a small deck in memory with `layouts.encode.record`, turns it into the records
frame exactly as `pipelines.engine.machinery.intake.numbered` does (Deck.records keeps file line
numbers, so the HDR is line 1 and the first form record line 2), and calls
`pipelines.engine.qap.run03.run` directly.
The authority is the "Form 3926 error codes" table of shared/spec/rules.md. Codes 26-33 need
the Cumulative Data File and are not run 03 validation: they are not tested here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from layouts import layout
from layouts.decoder import decode
from layouts.encode import record
from pipelines.engine.qap import run03
from validators.pce_03_41 import ADJUSTMENT, QS_SCHEMA, REVIEW, STANDARD

PREFIX = layout.load("prefix")
OFP_LAYOUT = layout.load("ofp_consistency")

SAT = "11142026"  # a Saturday
ORG, FUNC, PROG = "10100", "110", "12345"
FIRST = 2  # line number of a deck's first form record (the HDR is line 1)
AUTO = "auto"


# --- reference files ---------------------------------------------------------------------------

def ofp_frame(*ofps: tuple[str, str, str]) -> pl.DataFrame:
    """An OFP Consistency File decoded from encoded lines."""
    lines = [record("ofp_consistency", org_code=o, function_code=f, program_code=p, qpc="101",
                    measured_code="1", learning_curve_hours=40, efficiency_standard=1000,
                    program_title="TEST PROGRAM") for o, f, p in ofps]
    return decode(pl.DataFrame({"text": lines}, schema={"text": pl.String}), OFP_LAYOUT)


OFP = ofp_frame((ORG, FUNC, PROG), ("20000", FUNC, PROG), ("81234", "310", "54321"))
DEFECT_CODES = pl.Series("defect_code", [f"{n:03d}" for n in range(101, 113)] + ["930"])


def qs_frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=QS_SCHEMA)


NO_STANDARDS = qs_frame()


# --- records -----------------------------------------------------------------------------------

def header(program: str = REVIEW, *, block: str = "AA1", serial: str = "01",
           section: str = "01", fmt: str = "222", week: str | None = SAT,
           defect_list: str | None = AUTO, org: str | None = ORG, function: str | None = FUNC,
           program_code: str | None = PROG, qs: str | None = None) -> str:
    if defect_list == AUTO:
        defect_list = None if program == STANDARD else "000"
    return record("prefix+form3926_header", program_number=program, format_code=fmt,
                  block=block, serial=serial, section=section, week_ending=week,
                  defect_list=defect_list, org_code=org, function_code=function,
                  program_code=program_code, quality_standard=qs)


def line(program: str = REVIEW, *, section: str = "02", block: str = "AA1", serial: str = "01",
         fmt: str = "222", mark: str | None = None, ssn: str | None = None,
         sampled: str | int | None = None, code: str | None = None,
         defects: str | int | None = None, defective: str | int | None = None) -> str:
    return record("prefix+form3926_line", program_number=program, format_code=fmt, block=block,
                  serial=serial, section=section, unit_mark=mark, ssn=ssn, sampled=sampled,
                  defect_code=code, defects=defects, defective=defective)


def form(program: str, lines: list[dict[str, Any]], **head: Any) -> list[str]:
    """A header and its lines, sections numbered 02, 03, ... unless a line names its own."""
    where = {"block": head.get("block", "AA1"), "serial": head.get("serial", "01")}
    out = [header(program, **head)]
    for n, fields in enumerate(lines, start=2):
        out.append(line(**{"program": program, "section": f"{n:02d}", **where, **fields}))
    return out


def review(*lines: dict[str, Any], **head: Any) -> list[str]:
    return form(REVIEW, list(lines), **head)


def adjustment(*lines: dict[str, Any], **head: Any) -> list[str]:
    return form(ADJUSTMENT, list(lines), **head)


def standard(qs: str | None = "0950", *, org: str = "10000", **head: Any) -> list[str]:
    return form(STANDARD, [], qs=qs, org=org, **head)


def sample(**fields: Any) -> dict[str, Any]:
    """A review line that starts a transaction: one employee, one defect code, all consistent."""
    return {"ssn": "123456789", "sampled": 10, "code": "101", "defects": 1, "defective": 1,
            **fields}


def more(code: str = "102", defects: Any = 1, **fields: Any) -> dict[str, Any]:
    """A review continuation line: one more defect code for the transaction above."""
    return {"code": code, "defects": defects, **fields}


def adj(**fields: Any) -> dict[str, Any]:
    """A well-formed adjustment line: +12 sampled, +1 defect of 101, +1 defective."""
    return {"sampled": "   1B", "code": "101", "defects": "    A", "defective": "    A",
            **fields}


def records_frame(*decks: list[str]) -> pl.DataFrame:
    """The run 03 input, built like `pipelines.engine.machinery.intake.numbered`: deck_no, seq,
    prefix fields."""
    frames = [pl.DataFrame({"line_no": pl.Series(range(FIRST, FIRST + len(body)),
                                                 dtype=pl.UInt32),
                            "text": pl.Series(body, dtype=pl.String)})
              .with_columns(pl.lit(i, pl.UInt16).alias("deck_no"))
              for i, body in enumerate(decks)]
    combined = pl.concat(frames).with_row_index("seq")
    return decode(combined, PREFIX)


def run(*decks: list[str], ofp: pl.DataFrame = OFP, defect_codes: pl.Series = DEFECT_CODES,
        standards: pl.DataFrame = NO_STANDARDS) -> run03.Run03Result:
    return run03.run(records_frame(*decks), ofp, defect_codes, standards)


def rows(result: run03.Run03Result, deck: int = 0) -> dict[int, dict[str, Any]]:
    frame = result.records.filter(pl.col("deck_no") == deck)
    return {r["line_no"]: r for r in frame.iter_rows(named=True)}


def codes(result: run03.Run03Result, deck: int = 0) -> dict[int, list[str]]:
    return {n: r["error_codes"] for n, r in rows(result, deck).items()}


def rejected(result: run03.Run03Result, deck: int = 0) -> dict[int, bool]:
    return {n: r["rejected"] for n, r in rows(result, deck).items()}


def assert_register(result: run03.Run03Result, expected: dict[int, list[str]],
                    deck: int = 0) -> None:
    """Every line named carries exactly those codes; every other line carries none."""
    got = codes(result, deck)
    assert set(expected) <= set(got), f"lines {sorted(set(expected) - set(got))} not in run"
    assert got == {n: expected.get(n, []) for n in got}


# --- one table: every code 03-25 and 34-36 on an exact line, and its near miss -----------------

H, L1, L2, L3 = FIRST, FIRST + 1, FIRST + 2, FIRST + 3  # header and first lines of one form

CODE_CASES = [
    # 03 / 04 / 05: header OFP fields not all digits (such an OFP is not on file either: 06)
    pytest.param(review(sample(), org="10A00"), {H: ["03", "06"]},
                 id="review_org_code_not_digits_is_03"),
    pytest.param(review(sample(), org="1010"), {H: ["03", "06"]},
                 id="review_org_code_short_is_03"),
    pytest.param(review(sample(), function="11A"), {H: ["04", "06"]},
                 id="review_function_code_not_digits_is_04"),
    pytest.param(review(sample(), program_code="1234 "), {H: ["05", "06"]},
                 id="review_program_code_not_digits_is_05"),
    pytest.param(review(sample()), {}, id="review_ofp_all_digits_on_file_is_clean"),
    # 06: OFP not on the OFP Consistency File
    pytest.param(review(sample(), org="10200"), {H: ["06"]}, id="review_ofp_not_on_file_is_06"),
    pytest.param(adjustment(adj(), program_code="12346"), {H: ["06"]},
                 id="adjustment_ofp_not_on_file_is_06"),
    pytest.param(standard(org="30000"), {H: ["06"]},
                 id="standard_no_ofp_shares_org_prefix_is_06"),
    pytest.param(standard(org="10000"), {}, id="standard_org_prefix_matches_an_ofp_is_clean"),
    # 07: quality standard neither blank nor 4 digits
    pytest.param(standard(qs="9A50"), {H: ["07"]}, id="standard_quality_standard_alpha_is_07"),
    pytest.param(standard(qs="950"), {H: ["07"]},
                 id="standard_quality_standard_three_positions_is_07"),
    pytest.param(standard(qs="0950"), {}, id="standard_quality_standard_four_digits_is_clean"),
    # 08: quality standard present, organization not ending in 000
    pytest.param(standard(org=ORG), {H: ["08"]}, id="standard_org_not_ending_000_is_08"),
    pytest.param(review(qs="0950"), {H: ["08"]},
                 id="review_quality_standard_org_not_ending_000_is_08"),
    # 09: sampling data with a change to a quality standard
    pytest.param(form(STANDARD, [sample()], qs="0950", org="10000"), {L1: ["09"]},
                 id="standard_with_a_line_is_09_on_the_line"),
    pytest.param(review(sample(), org="20000", qs="0950"), {H: ["09"]},
                 id="review_with_quality_standard_and_lines_is_09"),
    pytest.param(adjustment(adj(), org="20000", qs="0950"), {H: ["09"]},
                 id="adjustment_with_quality_standard_and_lines_is_09"),
    pytest.param(review(org="20000", qs="0950"), {},
                 id="review_with_quality_standard_and_no_lines_is_not_09"),
    # 11: review number sampled neither blank nor right-justified digits
    pytest.param(review(sample(sampled="  12 ")), {L1: ["11"]},
                 id="review_sampled_trailing_blank_is_11"),
    pytest.param(review(sample(sampled=" 1 2")), {L1: ["11"]},
                 id="review_sampled_embedded_blank_is_11"),
    pytest.param(review(sample(sampled="  1A")), {L1: ["11"]}, id="review_sampled_alpha_is_11"),
    pytest.param(review(sample(sampled="  -12")), {L1: ["11"]},
                 id="review_sampled_minus_sign_is_11"),
    pytest.param(review(sample(sampled="  +12")), {L1: ["11"]},
                 id="review_sampled_plus_sign_is_11"),
    pytest.param(review(sample(sampled="   12")), {}, id="review_sampled_right_justified_is_clean"),
    pytest.param(review(sample(sampled="00012")), {}, id="review_sampled_leading_zeros_is_clean"),
    # 12: SSN present, number sampled blank
    pytest.param(review(sample(sampled=None, code=None, defects=None, defective=None)),
                 {L1: ["12"]}, id="review_ssn_with_blank_sampled_is_12"),
    pytest.param(review(sample(ssn=None, mark="#", sampled=None, code=None, defects=None,
                               defective=None)), {},
                 id="review_unit_charge_with_blank_sampled_is_not_12"),
    # 13: review defective records neither blank nor digits
    pytest.param(review(sample(defective="  1A")), {L1: ["13"]},
                 id="review_defective_alpha_is_13"),
    pytest.param(review(sample(defective="   -1")), {L1: ["13"]},
                 id="review_defective_minus_sign_is_13"),
    pytest.param(review(sample(defective="    1")), {}, id="review_defective_digits_is_clean"),
    # 14: defect code digits but not on the Defect Code File
    pytest.param(review(sample(code="555")), {L1: ["14"]}, id="review_defect_code_unknown_is_14"),
    pytest.param(adjustment(adj(code="555")), {L1: ["14"]},
                 id="adjustment_defect_code_unknown_is_14"),
    # 15: defect code neither blank nor 3 digits
    pytest.param(review(sample(code="1A1")), {L1: ["15"]},
                 id="review_defect_code_alpha_is_15_not_14"),
    pytest.param(review(sample(code="10")), {L1: ["15"]}, id="review_defect_code_short_is_15"),
    pytest.param(adjustment(adj(code="1A1")), {L1: ["15"]},
                 id="adjustment_defect_code_alpha_is_15"),
    # 16: defect code blank, number of defects present
    pytest.param(review(sample(code=None)), {L1: ["16"]},
                 id="review_defects_without_defect_code_is_16"),
    pytest.param(adjustment(adj(code=None)), {L1: ["16"]},
                 id="adjustment_defects_without_defect_code_is_16"),
    # 17: defect code present, number of defects blank
    pytest.param(review(sample(defects=None, defective=None)), {L1: ["17"]},
                 id="review_defect_code_without_defects_is_17"),
    pytest.param(review(sample(), more(defects=None)), {L2: ["17"]},
                 id="review_continuation_code_without_defects_is_17"),
    pytest.param(adjustment(adj(defects=None)), {L1: ["17"]},
                 id="adjustment_defect_code_without_defects_is_17"),
    # 18: review number of defects not digits or not greater than zero
    pytest.param(review(sample(defects="    0", defective=None)), {L1: ["18"]},
                 id="review_defects_zero_is_18"),
    pytest.param(review(sample(defects="  1A", defective=None)), {L1: ["18"]},
                 id="review_defects_alpha_is_18"),
    pytest.param(review(sample(defects="   -2", defective=None)), {L1: ["18"]},
                 id="review_defects_negative_is_18"),
    pytest.param(review(sample(defects=3, defective=2), more(defects="   -2")), {L2: ["18"]},
                 id="review_negative_continuation_defects_is_18_and_not_counted"),
    pytest.param(review(sample(), more(defects="    0")), {L2: ["18"]},
                 id="review_continuation_defects_zero_is_18"),
    pytest.param(review(sample(defects=1)), {}, id="review_defects_one_is_clean"),
    # 19: same defect code twice in a review transaction / an adjustment; second adjustment
    pytest.param(review(sample(), more(code="101")), {L2: ["19"]},
                 id="review_same_defect_code_twice_in_transaction_is_19"),
    pytest.param(review(sample(), sample()), {},
                 id="review_same_defect_code_in_two_transactions_is_clean"),
    pytest.param(adjustment(adj(), adj(sampled=None, defective=None)), {L2: ["19"]},
                 id="adjustment_same_defect_code_twice_is_19"),
    pytest.param(adjustment(adj()) + adjustment(adj(code="102"), serial="02"),
                 {H + 2: ["19"]}, id="adjustment_second_document_same_ofp_and_week_is_19"),
    pytest.param(adjustment(adj()) + adjustment(adj(code="102"), serial="02",
                                                week="11212026"), {},
                 id="adjustment_second_document_other_week_is_clean"),
    # 20: defective records greater than the sum of the numbers of defects
    pytest.param(review(sample(defects=1, defective=2)), {L1: ["20"]},
                 id="review_defective_above_total_defects_is_20"),
    pytest.param(review(sample(code=None, defects=None, defective=1)), {L1: ["20"]},
                 id="review_defective_with_no_defects_is_20"),
    pytest.param(review(sample(defects=1, defective=2), more()), {},
                 id="review_defective_within_defects_of_continuation_is_clean"),
    # 21: defective records greater than number sampled
    pytest.param(review(sample(sampled=2, defects=5, defective=3)), {L1: ["21"]},
                 id="review_defective_above_sampled_is_21"),
    pytest.param(review(sample(sampled=3, defects=5, defective=3)), {},
                 id="review_defective_equal_sampled_is_clean"),
    # 22 / 23 / 25: adjustment items 11, 16, 14 must be zone-punched
    pytest.param(adjustment(adj(sampled="   12")), {L1: ["22"]},
                 id="adjustment_sampled_not_zone_punched_is_22"),
    pytest.param(adjustment(adj(sampled="  1B ")), {L1: ["22"]},
                 id="adjustment_sampled_zone_not_last_is_22"),
    pytest.param(adjustment(adj(sampled="   1K")), {}, id="adjustment_sampled_decrease_is_clean"),
    pytest.param(adjustment(adj(sampled=None)), {}, id="adjustment_sampled_blank_is_clean"),
    pytest.param(adjustment(adj(defective="    1")), {L1: ["23"]},
                 id="adjustment_defective_not_zone_punched_is_23"),
    pytest.param(adjustment(adj(defective="    }")), {},
                 id="adjustment_defective_minus_zero_is_clean"),
    pytest.param(adjustment(adj(defects="    1")), {L1: ["25"]},
                 id="adjustment_defects_not_zone_punched_is_25"),
    pytest.param(adjustment(adj(defects="  1A1")), {L1: ["25"]},
                 id="adjustment_defects_zone_inside_is_25"),
    # 24: 3926-A defect list neither blank nor 999
    pytest.param(standard(defect_list="123"), {H: ["24"]}, id="standard_defect_list_123_is_24"),
    pytest.param(standard(defect_list="000"), {H: ["24"]}, id="standard_defect_list_000_is_24"),
    # 34: SSN or # on an adjustment line
    pytest.param(adjustment(adj(ssn="123456789")), {L1: ["34"]},
                 id="adjustment_line_with_ssn_is_34"),
    pytest.param(adjustment(adj(mark="#")), {L1: ["34"]},
                 id="adjustment_line_with_unit_mark_is_34"),
    # 35: review defective blank but defects greater than zero
    pytest.param(review(sample(defective=None)), {L1: ["35"]},
                 id="review_defects_without_defective_is_35"),
    pytest.param(review(sample(defective=None, code=None, defects=None)), {},
                 id="review_no_defects_no_defective_is_clean"),
    # 36: week ending missing / not a date / neither Saturday nor quarter end
    pytest.param(review(sample(), week=None), {H: ["36"]}, id="review_week_ending_missing_is_36"),
    pytest.param(review(sample(), week="11312026"), {H: ["36"]},
                 id="review_week_ending_not_a_date_is_36"),
    pytest.param(review(sample(), week="1114202A"), {H: ["36"]},
                 id="review_week_ending_not_digits_is_36"),
    pytest.param(review(sample(), week="11112026"), {H: ["36"]},
                 id="review_week_ending_wednesday_not_quarter_end_is_36"),
    pytest.param(standard(week="11112026"), {H: ["36"]},
                 id="standard_week_ending_wednesday_not_quarter_end_is_36"),
    pytest.param(review(sample(), week="12312025"), {},
                 id="review_week_ending_wednesday_quarter_end_is_clean"),
    pytest.param(standard(week="12312025"), {},
                 id="standard_week_ending_wednesday_quarter_end_is_clean"),
    pytest.param(adjustment(adj(), week="03312026"), {},
                 id="adjustment_week_ending_tuesday_quarter_end_is_clean"),
    # 36: a Saturday outside the years an HDR may carry (review 18f, F0: 16 at the calendar's
    # ends, a slipped year posted into 9999Q2)
    pytest.param(review(sample(), week="12259999"), {H: ["36"]},
                 id="review_week_ending_saturday_in_9999_is_36"),
    pytest.param(review(sample(), week="12290001"), {H: ["36"]},
                 id="review_week_ending_saturday_in_0001_is_36"),
    pytest.param(review(sample(), week="12301899"), {H: ["36"]},
                 id="review_week_ending_saturday_in_1899_is_36"),
    pytest.param(standard(week="12252100"), {H: ["36"]},
                 id="standard_week_ending_saturday_in_2100_is_36"),
    pytest.param(review(sample(), week="12262099"), {},
                 id="review_week_ending_saturday_in_2099_is_clean"),
    pytest.param(review(sample(), week="12291900"), {},
                 id="review_week_ending_saturday_in_1900_is_clean"),
    # 36: a block or serial the control number cannot be read from (review 18f, F7)
    pytest.param(review(sample(), block="a01"), {H: ["36"], L1: ["36"]},
                 id="lower_case_block_is_36_on_header_and_line"),
    pytest.param(review(sample(), serial="AB"), {H: ["36"], L1: ["36"]},
                 id="letters_in_the_serial_are_36"),
    pytest.param(review(sample(), serial="  "), {H: ["36"], L1: ["36"]},
                 id="blank_serial_is_36"),
    pytest.param(adjustment(adj(), block="*01"), {H: ["36"], L1: ["36"]},
                 id="punctuation_in_the_block_is_36"),
    pytest.param(review(sample(), block="9Z9", serial="00"), {},
                 id="digit_and_letter_block_and_serial_00_are_clean"),
    # 36: defect list other than 000 on a review or adjustment
    pytest.param(review(sample(), defect_list="001"), {H: ["36"]},
                 id="review_defect_list_not_000_is_36"),
    pytest.param(adjustment(adj(), defect_list=None), {H: ["36"]},
                 id="adjustment_defect_list_blank_is_36"),
    # 36: unknown program or format, unknown section
    pytest.param(form("59709", [sample()]), {H: ["36"]}, id="unknown_program_is_36"),
    pytest.param(review(sample(), fmt="223"), {H: ["36"]}, id="review_wrong_format_code_is_36"),
    pytest.param(review(sample(section="13")), {L1: ["36"]}, id="review_section_13_is_36"),
    pytest.param(review(sample(section="00")), {L1: ["36"]}, id="review_section_00_is_36"),
    pytest.param(review(sample(section="12")), {}, id="review_section_12_is_clean"),
    pytest.param(review(sample(program=ADJUSTMENT)), {L1: ["36"]},
                 id="review_line_with_other_program_is_36"),
    # 36: a section number repeated within a document
    pytest.param(review(sample(section="02"), sample(section="02")), {L2: ["36"]},
                 id="review_section_repeated_is_36"),
    pytest.param([*review(sample()), header()], {FIRST + 2: ["36"]},
                 id="review_header_section_01_repeated_is_36"),
    pytest.param(review(sample(section="03"), sample(section="02")), {},
                 id="review_sections_out_of_order_not_repeated_is_clean"),
    # 36: a line with no header
    pytest.param([line(**sample())], {FIRST: ["36"]}, id="line_with_no_header_is_36"),
    pytest.param([*review(sample()), line(serial="02", **sample())], {FIRST + 2: ["36"]},
                 id="line_of_another_serial_with_no_header_is_36"),
    # 36: a continuation line with no transaction above it
    pytest.param(review(more()), {L1: ["36"]}, id="review_continuation_first_line_is_36"),
    pytest.param(review(sample(), more()), {}, id="review_continuation_after_sample_is_clean"),
    # 36: # together with an SSN; SSN not 9 digits
    pytest.param(review(sample(mark="#")), {L1: ["36"]}, id="review_unit_mark_with_ssn_is_36"),
    pytest.param(review(sample(mark="#", ssn=None)), {}, id="review_unit_mark_blank_ssn_is_clean"),
    pytest.param(review(sample(mark="*", ssn=None)), {L1: ["36"]},
                 id="review_column_16_neither_blank_nor_hash_is_36"),
    pytest.param(review(sample(ssn="12345678")), {L1: ["36"]}, id="review_ssn_8_digits_is_36"),
    pytest.param(review(sample(ssn="12345678A")), {L1: ["36"]}, id="review_ssn_alpha_is_36"),
    pytest.param(review(sample(ssn=None)), {}, id="review_blank_ssn_is_clean"),
    # 36: an adjustment document with no lines; a 3926-A with a blank quality standard
    pytest.param(adjustment(), {H: ["36"]}, id="adjustment_with_no_lines_is_36"),
    pytest.param(adjustment(adj()), {}, id="adjustment_with_a_line_is_clean"),
    pytest.param(standard(qs=None), {H: ["36"]}, id="standard_blank_quality_standard_is_36"),
    # 36: a review line with no data at all
    pytest.param(review(sample(), {}), {L2: ["36"]}, id="review_empty_line_is_36"),
]


@pytest.mark.parametrize(("deck", "expected"), CODE_CASES)
def test_error_codes_on_exact_lines(deck: list[str], expected: dict[int, list[str]]) -> None:
    assert_register(run(deck), expected)


def test_a_week_ending_year_out_of_range_says_so_once() -> None:
    """Review 18f, F0: the sub-reason names the year, not a weekday the date has right; a
    date both out of range and not a Saturday says only that it is not one."""
    result = run(review(sample(), week="12259999"), review(sample(), week="12249999"))
    assert rows(result)[H]["sub_reason"] == "YEAR NOT 1900-2099"
    assert rows(result, 1)[H]["sub_reason"] == "WEEK END NOT SAT/QTR END"


def test_a_record_in_another_format_shows_no_3926_fields_a_mistyped_program_does() -> None:
    time_report = record("prefix+form3081", program_number="59601", format_code="073",
                         ssn="123456789", week_ending=SAT, org_code=ORG, function_code=FUNC,
                         program_code=PROG, hours_tenths=400, volume=900, grade="07",
                         step="03", time_code="1")
    mistyped = [t.replace(REVIEW, "59709", 1) for t in review(sample())]
    result = run([time_report], mistyped)
    shown = run03.display(result.records).select("deck_no", "line_no", "ssn", "sampled")
    assert shown.rows() == [(0, FIRST, " " * 9, " " * 5),
                            (1, FIRST, " " * 9, " " * 5),  # the header has no SSN
                            (1, FIRST + 1, "123456789", "   10")]
    assert [r["error_codes"] for r in result.records.iter_rows(named=True)][:2] == [
        ["36"], ["36"]]


# --- 36: more than 10 codes on one transaction, more than 200 code lines for one OFP ----------

def _codes_sample(n: int) -> list[str]:
    """One review transaction of n lines, each with its own defect code (101, 102, ...)."""
    lines = [sample(code="101", defects=1, defective=1)]
    lines += [more(code=f"{101 + i}") for i in range(1, n)]
    return review(*lines)


def test_review_ten_defect_codes_on_one_transaction_is_clean() -> None:
    result = run(_codes_sample(10))
    assert_register(result, {})
    assert not any(rejected(result).values())


def test_review_eleventh_defect_code_on_one_transaction_is_36() -> None:
    result = run(_codes_sample(11))
    assert_register(result, {FIRST + 11: ["36"]})
    assert all(rejected(result)[n] for n in range(FIRST + 1, FIRST + 12))


def _ofp_deck(n_code_lines: int, **head: Any) -> tuple[list[str], list[int]]:
    """Review documents for one OFP, one single-line transaction per defect-code line.

    Returns the deck and the line number of every defect-code line, in deck order.
    """
    deck: list[str] = []
    code_lines: list[int] = []
    serial = 0
    while len(code_lines) < n_code_lines:
        batch = min(11, n_code_lines - len(code_lines))
        serial += 1
        start = FIRST + len(deck)
        deck += review(*[sample(ssn=None) for _ in range(batch)], serial=f"{serial:02d}", **head)
        code_lines += list(range(start + 1, start + 1 + batch))
    return deck, code_lines


def test_review_200_defect_code_lines_for_one_ofp_are_clean() -> None:
    deck, _ = _ofp_deck(200)
    result = run(deck)
    assert_register(result, {})


def test_review_201st_defect_code_line_for_one_ofp_in_one_deck_is_36() -> None:
    deck, code_lines = _ofp_deck(202)
    result = run(deck)
    assert_register(result, {code_lines[200]: ["36"], code_lines[201]: ["36"]})
    flags = rejected(result)
    assert flags[code_lines[199]] is False
    assert flags[code_lines[200]] is True


def test_defect_code_line_count_is_per_deck_and_per_ofp() -> None:
    deck, _ = _ofp_deck(150)
    other, _ = _ofp_deck(60, block="BB1")
    other_ofp = review(sample(), block="CC1", org="20000")
    result = run(deck, other + other_ofp)
    assert_register(result, {}, deck=0)
    assert_register(result, {}, deck=1)


def test_defect_code_line_count_includes_adjustments_of_the_same_ofp() -> None:
    deck, _ = _ofp_deck(200)
    deck += adjustment(adj(), block="ZZ9")
    result = run(deck)
    last = FIRST + len(deck) - 1
    assert_register(result, {last: ["36"]})
    assert rejected(result)[last - 1] is True  # the adjustment header goes with its document


# --- transaction granularity -------------------------------------------------------------------

def test_bad_review_transaction_rejects_alone() -> None:
    deck = review(sample(), sample(sampled="  1A"), more(), sample(ssn="987654321"))
    result = run(deck)
    assert_register(result, {L2: ["11"]})
    assert rejected(result) == {H: False, L1: False, L2: True, L3: True, FIRST + 4: False}
    posted = result.reviews["line_no"].to_list()
    assert posted == [L1, FIRST + 4]


def test_bad_continuation_line_rejects_its_whole_transaction() -> None:
    deck = review(sample(), sample(), more(code="555"), more(code="103"), sample())
    result = run(deck)
    assert_register(result, {L3: ["14"]})
    assert rejected(result) == {H: False, L1: False, L2: True, L3: True, FIRST + 4: True,
                                FIRST + 5: False}


def test_code_on_review_header_rejects_whole_document() -> None:
    deck = review(sample(), sample(code="555"), more(), org="10200") + review(sample(),
                                                                            serial="02")
    result = run(deck)
    assert_register(result, {H: ["06"], L2: ["14"]})
    assert rejected(result) == {H: True, L1: True, L2: True, L3: True,
                                FIRST + 4: False, FIRST + 5: False}
    assert result.reviews["line_no"].to_list() == [FIRST + 5]


def test_adjustment_with_one_bad_line_rejects_whole_document() -> None:
    deck = adjustment(adj(), adj(code="102", defective="    1"), adj(code="103"))
    result = run(deck)
    assert_register(result, {L2: ["23"]})
    assert rejected(result) == {H: True, L1: True, L2: True, L3: True}
    assert result.adjustment_documents.select("line_no", "rejected").rows() == [(H, True)]
    assert result.adjustments["unit"].n_unique() == 1 and result.adjustments.height == 3


def test_register_shows_every_line_of_a_rejected_transaction_with_its_own_codes() -> None:
    deck = review(sample(defective=None), more(code="1A1"), more(code="103", defects="    0"))
    result = run(deck)
    register = result.records.filter("rejected").select("line_no", "error_codes")
    # the header is listed too: nothing of its document posts
    assert register.rows() == [(H, []), (L1, ["35"]), (L2, ["15"]), (L3, ["18"])]


def test_good_review_transactions_post_with_their_figures() -> None:
    deck = review(sample(sampled=12, defects=2, defective=1), more(code="103", defects=3),
                  sample(ssn=None, mark="#", sampled=5, code=None, defects=None, defective=None))
    result = run(deck)
    assert_register(result, {})
    assert not any(rejected(result).values())
    posted = result.reviews.select("line_no", "ssn", "unit_charge", "sampled", "defect_code",
                                   "defects", "defective").rows()
    assert posted == [(L1, "123456789", False, 12, "101", 2, 1),
                      (L2, None, False, None, "103", 3, None),
                      (L3, None, True, 5, None, None, None)]


def test_good_adjustment_posts_signed_deltas() -> None:
    result = run(adjustment(adj(sampled="   1K", defects="    {", defective="   1}")))
    assert_register(result, {})
    posted = result.adjustments.select("sampled_delta", "defect_code", "defects_delta",
                                       "defective_delta").rows()
    assert posted == [(-12, "101", 0, -10)]


# --- every code found is reported --------------------------------------------------------------

MULTI_CASES = [
    pytest.param(review(sample(ssn="12345678", sampled="  1A", code="1A1")),
                 {L1: ["11", "15", "36"]}, id="review_line_with_three_codes"),
    pytest.param(review(sample(sampled=None, defective=None)), {L1: ["12", "35"]},
                 id="review_ssn_blank_sampled_and_no_defective_is_12_and_35"),
    pytest.param(review(sample(sampled=2, defects=1, defective=3)), {L1: ["20", "21"]},
                 id="review_defective_above_defects_and_sampled_is_20_and_21"),
    pytest.param(adjustment(adj(ssn="123456789", sampled="   12", defects="    1",
                                defective="    1")), {L1: ["22", "23", "25", "34"]},
                 id="adjustment_line_with_four_codes"),
    pytest.param(review(sample(), org="1A1A1", function="X10", program_code="1234 "),
                 {H: ["03", "04", "05", "06"]}, id="review_header_with_03_04_05"),
    pytest.param(standard(org=ORG, qs="9A50", defect_list="123", week="11112026"),
                 {H: ["07", "08", "24", "36"]}, id="standard_header_with_four_codes"),
    pytest.param(review(sample(), org="10200", week=None, defect_list="001"),
                 {H: ["06", "36"]}, id="review_header_06_and_two_36_reported_once"),
]


@pytest.mark.parametrize(("deck", "expected"), MULTI_CASES)
def test_every_code_on_a_line_is_reported(deck: list[str],
                                          expected: dict[int, list[str]]) -> None:
    assert_register(run(deck), expected)


# --- 06 for a 3926-A with an NN000 organization --------------------------------------------------

@pytest.mark.parametrize(("program", "org", "function", "expected"), [
    pytest.param(STANDARD, "81000", "310", [], id="standard_81000_matches_ofp_81234"),
    pytest.param(STANDARD, "81000", "311", ["06"], id="standard_81000_other_function_is_06"),
    pytest.param(STANDARD, "82000", "310", ["06"], id="standard_82000_no_org_82_is_06"),
    pytest.param(REVIEW, "81000", "310", ["06"], id="review_81000_needs_exact_match_is_06"),
    pytest.param(REVIEW, "81234", "310", [], id="review_81234_exact_match_is_clean"),
])
def test_ofp_match_for_quality_standard_org_prefix(program: str, org: str, function: str,
                                                    expected: list[str]) -> None:
    if program == STANDARD:
        deck = standard(org=org, function=function, program_code="54321")
    else:
        deck = review(sample(), org=org, function=function, program_code="54321")
    assert_register(run(deck), {H: expected})


# --- 10 and 24 against the Quality Standard File -------------------------------------------------

WEEK = dt.date(2026, 11, 14)


def _on_file(week: dt.date, standard_: int = 950) -> pl.DataFrame:
    return qs_frame({"org_code": "10000", "function_code": FUNC, "program_code": PROG,
                     "standard": standard_, "below_minimum": False, "week_ending": week})


def test_second_standard_same_ofp_and_week_in_run_is_10_and_first_stands() -> None:
    deck = standard(qs="0950") + standard(qs="0800", serial="02")
    result = run(deck)
    assert_register(result, {H + 1: ["10"]})
    assert rejected(result) == {H: False, H + 1: True}
    assert result.quality_standards.rows() == [("10000", FUNC, PROG, 950, False, WEEK)]


def test_second_standard_in_another_deck_of_the_run_is_10() -> None:
    result = run(standard(qs="0950"), standard(qs="0800"))
    assert_register(result, {}, deck=0)
    assert_register(result, {H: ["10"]}, deck=1)
    assert result.quality_standards["standard"].to_list() == [950]


def test_standard_same_ofp_other_week_updates() -> None:
    result = run(standard(qs="0950") + standard(qs="0800", serial="02", week="11212026"))
    assert_register(result, {})
    assert result.quality_standards["standard"].to_list() == [800]


def test_standard_already_on_file_for_that_week_is_10() -> None:
    result = run(standard(qs="0800"), standards=_on_file(WEEK))
    assert_register(result, {H: ["10"]})
    assert result.quality_standards["standard"].to_list() == [950]


def test_standard_on_file_for_an_earlier_week_is_updated() -> None:
    result = run(standard(qs="0800"), standards=_on_file(dt.date(2026, 11, 7)))
    assert_register(result, {})
    assert result.quality_standards.rows() == [("10000", FUNC, PROG, 800, False, WEEK)]


def test_delete_for_ofp_with_no_standard_is_24() -> None:
    result = run(standard(defect_list="999"))
    assert_register(result, {H: ["24"]})
    assert result.quality_standards.height == 0


def test_delete_for_ofp_with_standard_on_file_posts() -> None:
    result = run(standard(defect_list="999"), standards=_on_file(dt.date(2026, 11, 7)))
    assert_register(result, {})
    assert result.quality_standards.height == 0


def test_delete_with_blank_quality_standard_is_36() -> None:
    # rules.md lists "a 3926-A with a blank quality standard" under 36 with no exception for a
    # delete, so a delete carries a standard too (fixtures/build_sample_week.py sends 0000).
    result = run(standard(qs=None, defect_list="999"), standards=_on_file(dt.date(2026, 11, 7)))
    assert_register(result, {H: ["36"]})
    assert result.quality_standards.height == 1


def test_delete_with_blank_standard_and_none_on_file_is_24_and_36() -> None:
    result = run(standard(qs=None, defect_list="999"))
    assert_register(result, {H: ["24", "36"]})


def test_second_delete_of_the_same_standard_is_10_and_24() -> None:
    deck = standard(defect_list="999", week="11212026") + standard(
        defect_list="999", serial="02", week="11212026")
    result = run(deck, standards=_on_file(dt.date(2026, 11, 7)))
    assert_register(result, {H + 1: ["10", "24"]})
    assert result.quality_standards.height == 0


def test_delete_after_insert_in_same_week_is_10() -> None:
    result = run(standard(qs="0950") + standard(defect_list="999", serial="02"))
    assert_register(result, {H + 1: ["10"]})
    assert result.quality_standards["standard"].to_list() == [950]


def test_rejected_standard_does_not_block_a_later_one() -> None:
    result = run(standard(qs="9A50") + standard(qs="0800", serial="02"))
    assert_register(result, {H: ["07"]})
    assert result.quality_standards["standard"].to_list() == [800]


def test_standard_below_one_percent_is_stored_as_100_below_minimum() -> None:
    result = run(standard(qs="0050"))
    assert_register(result, {})
    assert result.quality_standards.rows() == [("10000", FUNC, PROG, 100, True, WEEK)]


def test_standard_of_exactly_one_percent_is_not_below_minimum() -> None:
    result = run(standard(qs="0100"))
    assert result.quality_standards.rows() == [("10000", FUNC, PROG, 100, False, WEEK)]


def test_standard_with_lines_is_09_and_does_not_post() -> None:
    result = run(form(STANDARD, [sample()], qs="0800", org="10000"))
    assert_register(result, {L1: ["09"]})
    assert rejected(result) == {H: True, L1: True}
    assert result.quality_standards.height == 0


# --- local defect codes (930-999) --------------------------------------------------------------

def test_local_defect_code_charged_to_ssn_posts_with_warning() -> None:
    result = run(review(sample(code="930")))
    assert_register(result, {})
    line_row = rows(result)[L1]
    assert line_row["rejected"] is False
    assert line_row["warning"] is True
    assert result.reviews["warning"].to_list() == [True]


def test_local_defect_code_on_continuation_of_ssn_transaction_warns() -> None:
    result = run(review(sample(), more(code="930")))
    assert_register(result, {})
    assert {n: r["warning"] for n, r in rows(result).items()} == {H: False, L1: False, L2: True}


def test_local_defect_code_on_unit_transaction_posts_without_warning() -> None:
    result = run(review(sample(ssn=None, mark="#", code="930")))
    assert_register(result, {})
    line_row = rows(result)[L1]
    assert line_row["rejected"] is False
    assert line_row["warning"] is False


def test_local_defect_code_on_rejected_transaction_is_not_a_warning() -> None:
    result = run(review(sample(code="930", defective=None)))
    assert_register(result, {L1: ["35"]})
    assert rows(result)[L1]["warning"] is False


# --- zeros in items 11, 14 and 16 (IRM 3.30.28.4.9.2(11)(a)-(b)) ---------------------------------

def test_review_number_sampled_of_zero_is_11_on_its_line():
    result = run(review(sample(sampled="00000", code=None, defects=None, defective=None)))
    assert_register(result, {L1: ["11"]})
    assert result.reviews.height == 0


def test_review_defective_of_zero_is_13_on_its_line():
    result = run(review(sample(code=None, defects=None, defective="    0"),
                        sample(ssn="234567891")))
    assert_register(result, {L1: ["13"]})
    assert rejected(result) == {H: False, L1: True, L2: False}


def test_review_zero_in_all_three_counts_carries_11_13_and_18():
    result = run(review(sample(sampled="    0", defects="00000", defective="00000")))
    assert_register(result, {L1: ["11", "13", "18"]})


# --- multiple identical defects (IRM 3.30.28.4.2.2) ----------------------------------------------

def test_every_document_defective_with_one_code_warns_on_the_samples_first_line():
    result = run(review(sample(sampled=3, code="104", defects=3, defective=3)))
    assert_register(result, {})
    assert {n: r["warning"] for n, r in rows(result).items()} == {H: False, L1: True}
    assert result.reviews["warning"].to_list() == [True]


@pytest.mark.parametrize("sample_lines", [
    pytest.param([sample(sampled=3, code="104", defects=3, defective=2)],
                 id="one_document_worked_correctly"),
    pytest.param([sample(sampled=3, code="104", defects=2, defective=3), more(code="105")],
                 id="two_codes"),
    pytest.param([sample(sampled=3, code="104", defects=1, defective=3),
                  more(code="908", defects=2)], id="split_recorded_with_908"),
    pytest.param([sample(sampled=1, code="104", defects=1, defective=1)],
                 id="sample_of_one"),
    pytest.param([sample(ssn=None, mark="#", sampled=3, code="104", defects=3, defective=3)],
                 id="unit_charge"),
])
def test_no_multiple_identical_warning_when_the_pattern_does_not_hold(sample_lines):
    result = run(review(*sample_lines), defect_codes=pl.Series([*DEFECT_CODES, "908"]))
    assert_register(result, {})
    assert not any(r["warning"] for r in rows(result).values())


def printed_posting(records: list[str], path) -> str:
    """The 3926 Posting Transaction Listing of run 03 over `records`, printed to `path`."""
    from pipelines.reports import pce_03_41 as listing

    result = run(records)
    posted = run03.display(result.records, ~pl.col("rejected")).with_columns(
        pl.lit("HDR  deck.dat").alias("deck_title"), pl.lit("deck.dat").alias("deck"))
    listing.print_posting(posted, dt.date(2026, 11, 17), dt.date(2026, 11, 14), path)
    return path.read_text()


def test_posting_listing_prints_the_multiple_identical_warning_within_132_columns(tmp_path):
    text = printed_posting(review(sample(sampled=3, code="104", defects=3, defective=3),
                                  sample(ssn="234567891", code="930")),
                           tmp_path / "posting.txt")
    lines = [ln for ln in text.splitlines() if "XXX-XX-" in ln]
    assert [ln.split("  ")[-1].strip() for ln in lines] == [
        "W MULTIPLE IDENTICAL DEFECTS?", "W LOCAL DEFECT CODE"]
    assert max(len(ln) for ln in text.splitlines()) <= 132


def test_code_in_is_a_three_digit_code_within_the_bounds():
    from validators.pce_03_41 import LOCAL_CODES, PROCEDURAL_CODES, code_in, unit_group_code

    codes = ["900", "905", "909", "910", "929", "930", "999", "899", "090", "90", "9000",
             "905\n", " 905", "905 ", "९०५", "99a", "", None, "1000", "0930"]
    got = pl.DataFrame({"c": codes}, schema={"c": pl.String}).select(
        code_in("c", PROCEDURAL_CODES).alias("proc"), code_in("c", LOCAL_CODES).alias("local"),
        unit_group_code("c").alias("unit"))

    def within(c, lo, hi):  # the definition: three ASCII digits, lo <= c <= hi
        return c is not None and len(c) == 3 and c.isascii() and c.isdigit() and lo <= c <= hi
    assert got["proc"].to_list() == [within(c, "900", "909") for c in codes]
    assert got["local"].to_list() == [within(c, "930", "999") for c in codes]
    assert got["unit"].to_list() == [within(c, "900", "909") or within(c, "930", "999")
                                     for c in codes]
