"""Run 01 / PCE-01-43: every Form 3927 error code, deck-order semantics, the Defect Code File.

Records are written through `layouts.encode.record`, so every column comes from the layout
files; a records frame is built as `pipelines.engine.machinery.intake.numbered` builds it
(decode(prefix) plus deck_no and seq). `line_no` counts as in a deck file: the HDR is
line 1, the first form record line 2. The authority is rules.md, "Form 3927 error codes".
"""

from __future__ import annotations

import polars as pl
import pytest

from layouts import layout
from layouts.decoder import decode
from layouts.encode import record
from pipelines.engine.qap import run01

PREFIX = layout.load("prefix")
FIRST_LINE = 2  # line 1 of a deck is its HDR

HEADER_DEFAULTS = {"list_number": "000", "org_prefix": "12", "function_prefix": "34",
                   "program_prefix": "5678", "operation": "CODE AND EDIT"}


# --- helpers ---------------------------------------------------------------------------------

def header(action: str = "A", block: str = "AB1", serial: str = "01", section: str = "01",
           **items: str) -> str:
    """A Form 3927 header; `items` override list_number, org_prefix, ... operation."""
    return record("prefix+form3927_header", program_number="59703", format_code="223",
                  block=block, serial=serial, section=section, action=action,
                  **(HEADER_DEFAULTS | items))


def line(code: str, description: str | None = None, block: str = "AB1", serial: str = "01",
         section: str = "02") -> str:
    """A Form 3927 defect line; the description defaults to one naming the code."""
    return record("prefix+form3927_line", program_number="59703", format_code="223",
                  block=block, serial=serial, section=section, defect_code=code,
                  description=f"DEFECT {code}" if description is None else description)


def doc(action: str, *lines: str | tuple[str, str], block: str = "AB1", serial: str = "01",
        **items: str) -> list[str]:
    """One document: its header, then one line per code (or (code, description)) in sections
    02, 03, ..."""
    out = [header(action, block=block, serial=serial, **items)]
    for n, entry in enumerate(lines, start=2):
        code, desc = (entry, None) if isinstance(entry, str) else entry
        out.append(line(code, desc, block=block, serial=serial, section=f"{n:02d}"))
    return out


def frame(*decks: list[str]) -> pl.DataFrame:
    """The records frame of one or more decks, as the weekly run hands it to run 01."""
    parts = [pl.DataFrame({"text": texts}, schema={"text": pl.String})
             .with_row_index("line_no", offset=FIRST_LINE)
             .with_columns(pl.lit(i, pl.UInt16).alias("deck_no"))
             for i, texts in enumerate(decks)]
    return decode(pl.concat(parts).with_row_index("seq"), PREFIX)


def defect_file(*codes: str) -> pl.DataFrame:
    """A Defect Code File holding `codes` (description "ON FILE <code>")."""
    rows = [{"defect_code": c, "description": f"ON FILE {c}", "org_prefix": "12",
             "function_prefix": "34", "program_prefix": "5678", "operation": "CODE AND EDIT",
             "last_action": "A", "last_run": "20261107.01"} for c in codes]
    return pl.DataFrame(rows, schema=run01.DCF_SCHEMA)


def run(*decks: list[str], on_file: tuple[str, ...] = ()) -> run01.Run01Result:
    return run01.run(frame(*decks), defect_file(*on_file), "20261116.01")


def outcome(result: run01.Run01Result, deck_no: int = 0) -> dict[int, tuple[list[str], bool]]:
    """line_no -> (error codes, rejected) for every record of one deck."""
    rows = result.records.filter(pl.col("deck_no") == deck_no).sort("line_no")
    return {r["line_no"]: (list(r["error_codes"]), r["rejected"])
            for r in rows.iter_rows(named=True)}


def codes(result: run01.Run01Result, deck_no: int = 0) -> dict[int, list[str]]:
    """line_no -> error codes for every record of one deck."""
    return {n: c for n, (c, _) in outcome(result, deck_no).items()}


def file_rows(result: run01.Run01Result) -> list[tuple[str, str, str]]:
    return list(result.defect_codes.select("defect_code", "description", "last_action")
                .iter_rows())


def line_of(deck: list[str], code: str) -> int:
    """line_no of the last line in `deck` carrying `code` (column 16-18)."""
    return max(n for n, text in enumerate(deck, start=FIRST_LINE)
               if text[13:15] != "01" and text[15:18] == code)


# --- 1. every code, with a near miss ---------------------------------------------------------
# Each case: (deck, codes on file at run start, line_no of the record under test, its codes).
# Deck lines: 2 is the first header, 3 its first line, and so on.

CASES = {
    # 02 action code not A, C or D: on the header; its lines are rejected with no code of their own
    "action_code_X_is_02": (doc("X", "100"), (), 2, ["02"]),
    "action_code_blank_is_02": (doc(" ", "100"), (), 2, ["02"]),
    "action_code_lower_case_a_is_02": (doc("a", "100"), (), 2, ["02"]),
    "action_code_D_is_not_02": (doc("D", "100"), ("100",), 2, []),
    # 03 defect code not 3 digits
    "defect_code_with_a_letter_is_03": (doc("A", "1A0"), (), 3, ["03"]),
    "defect_code_of_two_digits_is_03": (doc("A", "10"), (), 3, ["03"]),
    "defect_code_blank_on_a_delete_is_03": (doc("D", "   "), (), 3, ["03"]),
    "defect_code_with_leading_zeros_is_not_03": (doc("A", "007"), (), 3, []),
    # 04 action A for a code already on the file
    "add_of_code_on_file_at_run_start_is_04": (doc("A", "100"), ("100",), 3, ["04"]),
    "add_of_code_added_by_an_earlier_document_is_04": (
        doc("A", "100") + doc("A", "100", serial="02"), (), 5, ["04"]),
    "add_of_code_deleted_earlier_in_run_is_not_04": (
        doc("D", "100") + doc("A", "100", serial="02"), ("100",), 5, []),
    # 05 action C or D for a code not on the file when the run began
    "change_of_code_not_on_file_is_05": (doc("C", "100"), ("101",), 3, ["05"]),
    "delete_of_code_not_on_file_is_05": (doc("D", "100"), ("101",), 3, ["05"]),
    "change_of_code_on_file_at_run_start_is_not_05": (doc("C", "100"), ("100",), 3, []),
    "delete_of_code_on_file_at_run_start_is_not_05": (doc("D", "100"), ("100",), 3, []),
    # 06 action C or D for a code an earlier transaction of this run deleted
    "change_of_code_deleted_earlier_in_run_is_06": (
        doc("D", "100") + doc("C", "100", serial="02"), ("100",), 5, ["06"]),
    "delete_of_code_deleted_earlier_in_run_is_06": (
        doc("D", "100") + doc("D", "100", serial="02"), ("100",), 5, ["06"]),
    "change_before_the_delete_is_not_06": (
        doc("C", "100") + doc("D", "100", serial="02"), ("100",), 3, []),
    # 07 action A or C with a blank description
    "add_with_blank_description_is_07": (doc("A", ("100", "")), (), 3, ["07"]),
    "change_with_blank_description_is_07": (doc("C", ("100", "")), ("100",), 3, ["07"]),
    "add_with_all_blank_description_is_07": (doc("A", ("100", " " * 100)), (), 3, ["07"]),
    "delete_with_blank_description_is_not_07": (doc("D", ("100", "")), ("100",), 3, []),
    # 09 insufficient data, one sub-condition at a time
    "list_number_001_is_09": (doc("A", "100", list_number="001"), (), 2, ["09"]),
    "list_number_blank_is_09": (doc("A", "100", list_number="   "), (), 2, ["09"]),
    "blank_organization_is_09": (doc("A", "100", org_prefix="  "), (), 2, ["09"]),
    "blank_function_is_09": (doc("A", "100", function_prefix="  "), (), 2, ["09"]),
    "blank_program_is_09": (doc("A", "100", program_prefix="    "), (), 2, ["09"]),
    "blank_operation_name_on_an_add_is_09": (doc("A", "100", operation=""), (), 2, ["09"]),
    "blank_operation_name_on_a_change_is_not_09": (
        doc("C", "100", operation=""), ("100",), 2, []),
    "blank_operation_name_on_a_delete_is_not_09": (
        doc("D", "100", operation=""), ("100",), 2, []),
    "one_digit_program_left_justified_is_not_09": (doc("A", "100", program_prefix="5"), (), 2, []),
    "line_with_no_header_is_09": ([line("100")], (), 2, ["09"]),
    "line_whose_header_has_another_serial_is_09": (
        [*doc("A", "100"), line("101", serial="02")], (), 4, ["09"]),
    "line_transcribed_before_its_header_is_not_09": ([line("100"), header("A")], (), 2, []),
    "line_of_a_serial_with_no_header_is_09": ([header("A"), line("100", serial="02")], (), 3,
                                             ["09"]),
    "line_under_its_header_is_not_09": (doc("A", "100"), (), 3, []),
    # 09 a block or serial the control number cannot be read from (review 18f, F7)
    "lower_case_block_is_09_on_header_and_line": (doc("A", "100", block="ab1"), (), 3, ["09"]),
    "letters_in_the_serial_are_09": (doc("A", "100", serial="AB"), (), 2, ["09"]),
    "blank_serial_is_09": (doc("A", "100", serial="  "), (), 2, ["09"]),
    "punctuation_in_the_block_is_09": (doc("A", "100", block="*01"), (), 2, ["09"]),
    "digit_block_and_serial_00_are_not_09": (doc("A", "100", block="901", serial="00"), (), 3,
                                              []),
    # 10 the same defect code twice on one document: the later line
    "same_code_twice_on_one_add_document_is_10": (doc("A", "100", "100"), (), 4, ["10"]),
    "same_code_twice_on_one_change_document_is_10": (
        doc("C", "100", "100"), ("100",), 4, ["10"]),
    "same_code_twice_on_one_delete_document_is_10": (
        doc("D", "100", "100"), ("100",), 4, ["10"]),
    "first_of_two_same_codes_on_one_document_is_not_10": (doc("A", "100", "100"), (), 3, []),
    "same_code_on_two_documents_is_not_10": (
        doc("C", "100") + doc("C", "100", serial="02"), ("100",), 5, []),
}


@pytest.mark.parametrize(("deck", "on_file", "line_no", "expected"), CASES.values(),
                         ids=CASES.keys())
def test_error_code_on_exact_line(deck, on_file, line_no, expected):
    assert codes(run(deck, on_file=on_file))[line_no] == expected


NEAR_MISSES = [n for n, case in CASES.items() if not case[3]]


@pytest.mark.parametrize("name", NEAR_MISSES)
def test_near_miss_record_is_not_rejected(name):
    deck, on_file, line_no, _ = CASES[name]
    assert outcome(run(deck, on_file=on_file))[line_no] == ([], False)


@pytest.mark.parametrize("name", [n for n in NEAR_MISSES if not n.startswith("first_of_two")])
def test_near_miss_leaves_the_whole_deck_clean(name):
    deck, on_file, _, _ = CASES[name]
    result = run(deck, on_file=on_file)
    assert all(c == [] for c in codes(result).values())
    assert not result.records["rejected"].any()


def test_lines_under_a_09_header_are_rejected_without_codes_of_their_own():
    result = run(doc("A", "100", "101", org_prefix="  "))
    assert outcome(result) == {2: (["09"], True), 3: ([], True), 4: ([], True)}
    assert file_rows(result) == []


def test_a_line_can_carry_several_codes():
    # code not 3 digits and blank description on an action A
    assert codes(run(doc("A", ("1X", ""))))[3] == ["03", "07"]


def test_a_record_with_the_same_line_no_in_another_deck_is_kept_apart():
    # deck 1 has a line whose document header is in deck 0: no header in its own deck
    result = run(doc("A", "100"), [line("101", section="03")])
    assert codes(result, 0) == {2: [], 3: []}
    assert codes(result, 1) == {2: ["09"]}
    assert file_rows(result) == [("100", "DEFECT 100", "A")]


# --- 2. deck-order semantics -----------------------------------------------------------------

def test_add_then_add_of_same_code_in_two_documents_rejects_the_second_as_04():
    result = run(doc("A", ("100", "FIRST")) + doc("A", ("100", "SECOND"), serial="02"))
    assert outcome(result) == {2: ([], False), 3: ([], False), 4: ([], True),
                               5: (["04"], True)}
    assert file_rows(result) == [("100", "FIRST", "A")]


def test_delete_then_change_of_same_code_is_06():
    result = run(doc("D", "100") + doc("C", ("100", "NEW WORDING"), serial="02"),
                 on_file=("100",))
    assert codes(result) == {2: [], 3: [], 4: [], 5: ["06"]}
    assert file_rows(result) == []


def test_change_of_code_added_earlier_in_run_but_not_on_file_at_start_is_05():
    # rules.md literally: "not on the file when the run began", even though an earlier A of
    # this run put it there
    result = run(doc("A", ("100", "ADDED")) + doc("C", ("100", "CHANGED"), serial="02"))
    assert codes(result) == {2: [], 3: [], 4: [], 5: ["05"]}
    assert file_rows(result) == [("100", "ADDED", "A")]


def test_delete_of_code_added_earlier_in_run_is_05_and_the_code_stays():
    result = run(doc("A", "100") + doc("D", "100", serial="02"))
    assert codes(result)[5] == ["05"]
    assert file_rows(result) == [("100", "DEFECT 100", "A")]


def test_change_after_delete_and_readd_in_same_run_is_still_06():
    # our reading, literal: an earlier transaction of this run deleted the code
    result = run(doc("D", "100") + doc("A", ("100", "BACK"), serial="02")
                 + doc("C", ("100", "CHANGED"), serial="03"), on_file=("100",))
    assert codes(result) == {2: [], 3: [], 4: [], 5: [], 6: [], 7: ["06"]}
    assert file_rows(result) == [("100", "BACK", "A")]


def test_rejected_add_does_not_add_so_a_later_add_posts():
    result = run(doc("A", ("100", "")) + doc("A", ("100", "SECOND TRY"), serial="02"))
    assert outcome(result) == {2: ([], True), 3: (["07"], True), 4: ([], False),
                               5: ([], False)}
    assert file_rows(result) == [("100", "SECOND TRY", "A")]


def test_add_under_rejected_header_does_not_add_so_a_later_add_posts():
    result = run(doc("A", "100", list_number="001") + doc("A", "100", serial="02"))
    assert codes(result) == {2: ["09"], 3: [], 4: [], 5: []}
    assert file_rows(result) == [("100", "DEFECT 100", "A")]


def test_rejected_delete_does_not_delete_so_a_later_change_posts():
    result = run(doc("X", "100") + doc("C", ("100", "CHANGED"), serial="02"),
                 on_file=("100",))
    assert codes(result) == {2: ["02"], 3: [], 4: [], 5: []}
    assert outcome(result)[3] == ([], True)
    assert file_rows(result) == [("100", "CHANGED", "C")]


def test_delete_then_add_reestablishes_the_code():
    result = run(doc("D", "100") + doc("A", ("100", "REESTABLISHED"), serial="02"),
                 on_file=("100",))
    assert all(c == [] for c in codes(result).values())
    assert file_rows(result) == [("100", "REESTABLISHED", "A")]


def test_blocks_sort_as_the_mainframe_did_letters_before_digits():
    # EBCDIC collation: block AAB runs before 9ZZ although ASCII puts digits first, so the
    # change posts and the delete after it takes the code away.
    result = run(doc("D", "100", block="9ZZ") + doc("C", ("100", "CHANGED"), block="AAB"),
                 on_file=("100",))
    assert codes(result) == {2: [], 3: [], 4: [], 5: []}
    assert file_rows(result) == []
    # near miss: both blocks of digits keep their numeric order (delete first, change 06)
    result = run(doc("D", "100", block="1ZZ") + doc("C", ("100", "CHANGED"), block="9AB"),
                 on_file=("100",))
    assert codes(result)[5] == ["06"]


def test_order_spans_decks_of_one_run():
    result = run(doc("D", "100"), doc("C", "100"), on_file=("100",))
    assert codes(result, 0) == {2: [], 3: []}
    assert codes(result, 1) == {2: [], 3: ["06"]}


# --- 3. what a code rejects ------------------------------------------------------------------

def test_header_code_rejects_every_line_of_its_document_only():
    result = run(doc("X", "100", "101", "102") + doc("A", "103", serial="02"))
    assert outcome(result) == {2: (["02"], True), 3: ([], True), 4: ([], True),
                               5: ([], True), 6: ([], False), 7: ([], False)}
    assert file_rows(result) == [("103", "DEFECT 103", "A")]


def test_line_code_rejects_only_that_line():
    result = run(doc("A", "100", ("101", ""), "102"))
    assert outcome(result) == {2: ([], False), 3: ([], False), 4: (["07"], True),
                               5: ([], False)}
    assert [r[0] for r in file_rows(result)] == ["100", "102"]


def test_header_is_rejected_when_none_of_its_lines_posted():
    result = run(doc("A", "100", "101"), on_file=("100", "101"))
    assert outcome(result) == {2: ([], True), 3: (["04"], True), 4: (["04"], True)}


def test_10_rejects_the_later_duplicates_only():
    result = run(doc("A", ("100", "FIRST"), "101", ("100", "SECOND"), ("100", "THIRD")))
    assert outcome(result) == {2: ([], False), 3: ([], False), 4: ([], False),
                               5: (["10"], True), 6: (["10"], True)}
    assert file_rows(result) == [("100", "FIRST", "A"), ("101", "DEFECT 101", "A")]


def test_10_is_the_only_code_of_a_later_duplicate_even_when_the_first_is_05():
    result = run(doc("C", "100", "100"))
    assert outcome(result) == {2: ([], True), 3: (["05"], True), 4: (["10"], True)}


def test_10_on_a_delete_document_leaves_the_first_delete_posted():
    result = run(doc("D", "100", "100"), on_file=("100", "101"))
    assert outcome(result) == {2: ([], False), 3: ([], False), 4: (["10"], True)}
    assert file_rows(result) == [("101", "ON FILE 101", "A")]


# --- 4. the Defect Code File after the run ---------------------------------------------------

def test_defect_code_file_after_a_mix_of_add_change_delete():
    deck = (doc("A", ("300", "NEW CODE   "), ("301", "  LEADING BLANKS KEPT"), block="AB1")
            + doc("C", ("100", "NEW WORDING FOR 100"), ("999", "NOT ON FILE"), block="AB1",
                  serial="02")
            + doc("D", "101", "102", block="AB2")
            + doc("A", ("101", "READDED 101"), ("200", "DUPLICATE"), block="AB3"))
    result = run(deck, on_file=("100", "101", "102", "200"))
    assert codes(result)[line_of(deck, "999")] == ["05"]
    assert codes(result)[line_of(deck, "200")] == ["04"]
    assert file_rows(result) == [
        ("100", "NEW WORDING FOR 100", "C"),
        ("101", "READDED 101", "A"),
        ("200", "ON FILE 200", "A"),
        ("300", "NEW CODE", "A"),
        ("301", "  LEADING BLANKS KEPT", "A"),
    ]


def test_change_keeps_the_header_items_of_the_add_and_records_the_run():
    result = run(doc("C", ("100", "CHANGED"), org_prefix="99", operation=""),
                 on_file=("100",))
    row = result.defect_codes.row(0, named=True)
    assert row == {"defect_code": "100", "description": "CHANGED", "org_prefix": "12",
                   "function_prefix": "34", "program_prefix": "5678",
                   "operation": "CODE AND EDIT", "last_action": "C",
                   "last_run": "20261116.01"}


def test_initial_national_list_loads_as_a_deck_of_add_forms_from_an_empty_file():
    page1 = [(f"{n:03d}", f"NATIONAL DEFECT {n}") for n in range(30)]  # a full page: 02-31
    page2 = [("050", "REVIEW OMITTED"), ("799", "LAST NATIONAL CODE")]
    deck = (doc("A", *page1, block="N01", program_prefix="59", operation="ALL OPERATIONS")
            + doc("A", *page2, block="N01", serial="02", org_prefix="10", function_prefix="20",
                  program_prefix="1234", operation="RETURNS ANALYSIS"))
    result = run01.run(frame(deck), run01.empty_dcf(), "20261116.01")
    assert not result.records["rejected"].any()
    assert all(c == [] for c in codes(result).values())
    assert file_rows(result) == [*((c, d, "A") for c, d in page1), *((c, d, "A") for c, d in page2)]
    first, last = result.defect_codes.row(0, named=True), result.defect_codes.row(-1, named=True)
    assert (first["org_prefix"], first["function_prefix"], first["program_prefix"],
            first["operation"]) == ("12", "34", "59", "ALL OPERATIONS")
    assert (last["org_prefix"], last["function_prefix"], last["program_prefix"],
            last["operation"]) == ("10", "20", "1234", "RETURNS ANALYSIS")
    assert result.defect_codes.schema == pl.Schema(run01.DCF_SCHEMA)


def test_empty_run_leaves_the_file_as_it_was():
    result = run01.run(frame([]), defect_file("100"), "20261116.01")
    assert result.records.height == 0
    assert file_rows(result) == [("100", "ON FILE 100", "A")]

