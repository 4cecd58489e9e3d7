"""Cumulative Data File: quarters, posting reviews and adjustments, codes 19 and 26-33, listing.

Figures are worked out by hand in the comments; adjustment amounts are written as the
zone-punched text a Form 3926 carries (IRM 3.30.28.4.4.5(4)) and decoded by layouts.zoned.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from golden_files import assert_golden

from layouts import zoned
from pipelines.engine.qap import cum_file as cf
from pipelines.engine.qap import review_sums
from pipelines.reports import cum_listing
from pipelines.reports.printing import render
from validators import adjustments as adj
from validators.codes import RUN_3926, lookup

GOLDEN = Path(__file__).parent / "golden" / "cum_listing"

A = ("12345", "123", "45678")
B = ("12345", "123", "45679")
C = ("23456", "456", "11111")

REVIEW_SCHEMA = {
    "deck_no": pl.UInt16, "line_no": pl.UInt32, "unit": pl.UInt32, "week_ending": pl.Date,
    "org_code": pl.String, "function_code": pl.String, "program_code": pl.String,
    "starts": pl.Boolean, "unit_charge": pl.Boolean, "ssn": pl.String, "sampled": pl.Int64,
    "defective": pl.Int64, "defect_code": pl.String, "defects": pl.Int64, "warning": pl.Boolean,
}
ADJUSTMENT_SCHEMA = {
    "deck_no": pl.UInt16, "line_no": pl.UInt32, "unit": pl.UInt32, "week_ending": pl.Date,
    "org_code": pl.String, "function_code": pl.String, "program_code": pl.String,
    "sampled_delta": pl.Int64, "defective_delta": pl.Int64, "defect_code": pl.String,
    "defects_delta": pl.Int64,
}


def day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%m/%d/%Y").date()


def summed(week: str, *txns, line_no: int = 2, deck_no: int = 0) -> pl.DataFrame:
    """`reviews` summed as a run's parts sum them for posting (`review_sums`)."""
    return review_sums.of_lines(reviews(week, *txns, line_no=line_no, deck_no=deck_no))


def reviews(week: str, *txns, line_no: int = 2, deck_no: int = 0) -> pl.DataFrame:
    """Review lines as run 03 accepts them. A transaction is (ofp, ssn or "#", sampled,
    defective, [(defect code, defects), ...]); its first line starts it."""
    rows = []
    for ofp, who, sampled, defective, codes in txns:
        unit = line_no
        for i, (code, n) in enumerate(codes or [(None, None)]):
            first = i == 0
            rows.append({
                "deck_no": deck_no, "line_no": line_no, "unit": unit, "week_ending": day(week),
                "org_code": ofp[0], "function_code": ofp[1], "program_code": ofp[2],
                "starts": first, "unit_charge": first and who == "#",
                "ssn": who if first and who != "#" else None,
                "sampled": sampled if first else None, "defective": defective if first else None,
                "defect_code": code, "defects": n, "warning": False})
            line_no += 1
    return pl.DataFrame(rows, schema=REVIEW_SCHEMA)


def S(text: str) -> dict:  # item 11, number sampled
    return {"sampled_delta": zoned.decode(text)}


def D(text: str) -> dict:  # item 16, number of defective records
    return {"defective_delta": zoned.decode(text)}


def K(code: str, text: str) -> dict:  # items 12 and 14, a defect code's defects
    return {"defect_code": code, "defects_delta": zoned.decode(text)}


def document(ofp, week: str, unit: int, *lines: dict, deck_no: int = 0) -> list[dict]:
    """An adjustment document whose header is line `unit`; its lines follow it."""
    base = {"deck_no": deck_no, "unit": unit, "week_ending": day(week), "org_code": ofp[0],
            "function_code": ofp[1], "program_code": ofp[2], "sampled_delta": None,
            "defective_delta": None, "defect_code": None, "defects_delta": None}
    return [base | {"line_no": unit + i} | item for i, item in enumerate(lines, start=1)]


def adjustments(*documents: list[dict]) -> pl.DataFrame:
    rows = [row for doc in documents for row in doc]
    return pl.DataFrame(rows, schema=ADJUSTMENT_SCHEMA)


def headers(lines: pl.DataFrame, rejected: tuple[int, ...] = ()) -> pl.DataFrame:
    """The documents of `lines` as run 03 gives them: here a document's header is line `unit`."""
    return lines.group_by("unit", maintain_order=True).agg(
        pl.col("deck_no", "week_ending", *cf.OFP).first()).with_columns(
        pl.col("unit").alias("line_no"), pl.col("unit").is_in(rejected).alias("rejected"))


def flags_of(frame: pl.DataFrame) -> set[tuple[int, str]]:
    return {(r["line_no"], r["code"]) for r in frame.iter_rows(named=True)}


def ofp_rows(cum_ofp: pl.DataFrame) -> list[tuple]:
    return [(r["fiscal_quarter"], r["org_code"], r["program_code"], r["sampled"], r["defective"],
             r["total_defects"], r["defect_percent"], r["last_posted"], r["last_adjusted"])
            for r in cum_ofp.iter_rows(named=True)]


def code_rows(cum_defects: pl.DataFrame) -> list[tuple]:
    return [(r["fiscal_quarter"], r["program_code"], r["defect_code"], r["defects"])
            for r in cum_defects.iter_rows(named=True)]


# ----------------------------------------------------------------------------- fiscal quarter


@pytest.mark.parametrize(("week", "quarter"), [
    ("11/14/2026", "2027Q1"), ("10/03/2026", "2027Q1"), ("12/31/2026", "2027Q1"),
    ("01/02/2027", "2027Q2"), ("01/03/2026", "2026Q2"), ("03/31/2026", "2026Q2"),
    ("04/04/2026", "2026Q3"), ("06/30/2026", "2026Q3"), ("07/04/2026", "2026Q4"),
    ("09/30/2026", "2026Q4"),
])
def test_fiscal_quarter_is_decided_by_the_week_ending_date(week, quarter):
    assert cf.fiscal_quarter(day(week)) == quarter


def test_fiscal_quarter_expression_agrees_with_the_scalar_every_day_of_two_years():
    days = pl.date_range(dt.date(2025, 9, 1), dt.date(2027, 10, 31), eager=True)
    got = pl.DataFrame({"d": days}).select(cf.fiscal_quarter_expr("d"))["fiscal_quarter"]
    assert got.to_list() == [cf.fiscal_quarter(d) for d in days.to_list()]


# ----------------------------------------------------------------------------- reviews


def test_reviews_post_sampled_and_defective_from_the_first_line_and_count_unit_charges():
    cum = cf.post_reviews(*cf.empty(), reviews(
        "12/19/2026",
        (A, "123456789", 10, 2, [("234", 2), ("509", 1)]),
        (A, "#", None, 1, [("234", 1)]),  # unit charge, sample blank: its 1 defective counts
        (A, "234567890", 5, None, []),  # nothing wrong: defective blank counts 0
    ), day("12/22/2026"))
    assert ofp_rows(cum[0]) == [
        ("2027Q1", "12345", "45678", 16, 3, 4, 18.75, day("12/22/2026"), None)]
    assert code_rows(cum[1]) == [("2027Q1", "45678", "234", 3), ("2027Q1", "45678", "509", 1)]


def test_defect_percent_rounds_half_up_and_is_null_when_nothing_was_sampled():
    cum_ofp, _ = cf.post_reviews(*cf.empty(), reviews(
        "12/19/2026",
        (A, "#", 32, 1, [("234", 1)]),  # 1 / 32 = 3.125 % -> 3.13
        (B, "#", None, None, []),  # nothing sampled, nothing defective: no percent
    ), day("12/22/2026"))
    assert cum_ofp["defect_percent"].to_list() == [3.13, None]


def test_reviews_of_two_weeks_of_one_run_go_to_their_own_quarters():
    lines = pl.concat([reviews("12/26/2026", (A, "#", 2, 1, [("234", 1)])),
                       reviews("01/02/2027", (A, "#", 3, 1, [("234", 2)]), line_no=10)])
    cum_ofp, cum_defects = cf.post_reviews(*cf.empty(), lines, day("01/05/2027"))
    assert cum_ofp.select("fiscal_quarter", "sampled", "total_defects").rows() == [
        ("2027Q1", 2, 1), ("2027Q2", 3, 2)]
    assert code_rows(cum_defects) == [("2027Q1", "45678", "234", 1),
                                      ("2027Q2", "45678", "234", 2)]


def test_posting_nothing_changes_nothing():
    cum_ofp, cum_defects = cf.post_reviews(*cf.empty(), reviews(
        "12/19/2026", (A, "#", 2, 1, [("234", 1)])), day("12/22/2026"))
    again = cf.post_reviews(cum_ofp, cum_defects, pl.DataFrame(schema=REVIEW_SCHEMA),
                            day("12/29/2026"))
    assert again[0].equals(cum_ofp) and again[1].equals(cum_defects)
    assert cf.post_adjustments(cum_ofp, cum_defects, adjustments(), day("12/29/2026"))[0].equals(
        cum_ofp)


# ----------------------------------------------------------------------------- a sequence


def test_three_weekly_runs_with_unit_charges_adjustments_and_a_new_quarter():
    ledger = cf.empty_adjustment_ledger()
    cum_ofp, cum_defects = cf.empty()

    # Run 1, week ending 12/19/2026 (FY2027 Q1).
    run = cf.post_run(cum_ofp, cum_defects, summed(
        "12/19/2026",
        (A, "123456789", 10, 2, [("234", 2), ("509", 1)]),
        (A, "#", None, 1, [("234", 1)]),
        (A, "234567890", 5, None, []),
        (B, "345678901", 8, 3, [("101", 2), ("102", 2)]),
    ), adjustments(), ledger, day("12/22/2026"), "20261222.01",
        documents=headers(adjustments()))
    assert run.flags.height == 0
    assert ofp_rows(run.cum_ofp) == [
        ("2027Q1", "12345", "45678", 16, 3, 4, 18.75, day("12/22/2026"), None),
        ("2027Q1", "12345", "45679", 8, 3, 4, 37.5, day("12/22/2026"), None)]

    # Run 2, week ending 12/26/2026 (still Q1): a unit sample, then two adjustment documents.
    # A: 16+20=36 sampled, 3+2=5 defective, 4+2=6 defects (627 is new) -> 13.89 %; then
    # +5 sampled, 509 -1, -1 defective -> 41, 4, 5 -> 9.76 %.
    # B: 101 -3 would leave 101 at -1 (33) and total 1 under defective 3 (31): rejected whole,
    # its +2 sampled does not post either.
    docs = adjustments(document(A, "12/26/2026", 20, S("    E"), K("509", "    J"), D("    J")),
                       document(B, "12/26/2026", 30, S("    B"), K("101", "    L")))
    run = cf.post_run(run.cum_ofp, run.cum_defects, summed(
        "12/26/2026", (A, "#", 20, 2, [("627", 2)])), docs,
        run.adjustment_ledger, day("12/29/2026"), "20261229.01", documents=headers(docs))
    assert flags_of(run.flags) == {(32, "31"), (32, "33")}
    assert ofp_rows(run.cum_ofp) == [
        ("2027Q1", "12345", "45678", 41, 4, 5, 9.76, day("12/29/2026"), day("12/29/2026")),
        ("2027Q1", "12345", "45679", 8, 3, 4, 37.5, day("12/22/2026"), None)]
    assert run.adjustment_ledger.rows() == [
        ("12345", "123", "45678", day("12/26/2026"), "20261229.01")]

    # Run 3, week ending 01/02/2027: FY2027 Q2 starts with new rows. B has no Q2 row (26, and
    # 32 for its code, on its first line); a second document for A and week 12/26 is 19 on its
    # header (it posted in run 2); a late document for A and week 12/19 adjusts Q1: +1
    # defective, 234 +1.
    docs = adjustments(document(B, "01/02/2027", 40, K("101", "    A"), S("    A")),
                       document(A, "12/26/2026", 50, S("    A")),
                       document(A, "12/19/2026", 60, D("    A"), K("234", "    A")))
    run = cf.post_run(run.cum_ofp, run.cum_defects, summed(
        "01/02/2027",
        (A, "456789012", 4, 1, [("234", 1)]),
        (C, "#", 3, None, []),
    ), docs, run.adjustment_ledger, day("01/05/2027"), "20270105.01", documents=headers(docs))
    assert flags_of(run.flags) == {(41, "26"), (41, "32"), (50, "19")}
    assert ofp_rows(run.cum_ofp) == [
        ("2027Q1", "12345", "45678", 41, 5, 6, pytest.approx(12.2), day("12/29/2026"),
         day("01/05/2027")),
        ("2027Q1", "12345", "45679", 8, 3, 4, 37.5, day("12/22/2026"), None),
        ("2027Q2", "12345", "45678", 4, 1, 1, 25.0, day("01/05/2027"), None),
        ("2027Q2", "23456", "11111", 3, 0, 0, 0.0, day("01/05/2027"), None)]
    assert code_rows(run.cum_defects) == [
        ("2027Q1", "45678", "234", 4), ("2027Q1", "45678", "509", 0),
        ("2027Q1", "45678", "627", 2), ("2027Q1", "45679", "101", 2),
        ("2027Q1", "45679", "102", 2), ("2027Q2", "45678", "234", 1)]
    assert run.adjustment_ledger["week_ending"].to_list() == [day("12/26/2026"),
                                                               day("12/19/2026")]
    # total defects is always the sum of the codes' defects
    sums = run.cum_defects.group_by(cf.KEYS).agg(pl.col("defects").sum())
    both = run.cum_ofp.join(sums, on=cf.KEYS, how="left").with_columns(
        pl.col("defects").fill_null(0))
    assert (both["total_defects"] == both["defects"]).all()


def test_cumulative_file_round_trips_through_parquet(tmp_path):
    cum_ofp, cum_defects = cf.post_reviews(*cf.empty(), reviews(
        "12/19/2026", (A, "#", 2, 1, [("234", 1)])), day("12/22/2026"))
    for name, frame, schema in (("ofp", cum_ofp, cf.CUM_OFP_SCHEMA),
                                ("defects", cum_defects, cf.CUM_DEFECTS_SCHEMA)):
        frame.write_parquet(tmp_path / f"{name}.parquet")
        back = pl.read_parquet(tmp_path / f"{name}.parquet")
        assert dict(back.schema) == schema and back.equals(frame)


# ----------------------------------------------------------------------------- IRM example


def irm_file() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A's Q1 row: 100 sampled, 20 defective, 234:5, 509:1, 627:0 (an adjustment took 627
    to zero; its row stays)."""
    cum_ofp, cum_defects = cf.post_reviews(*cf.empty(), reviews(
        "11/14/2026",
        (A, "#", 100, 20, [("234", 5), ("509", 1), ("627", 1)]),
    ), day("11/17/2026"))
    return cf.post_adjustments(cum_ofp, cum_defects, adjustments(
        document(A, "11/14/2026", 90, K("627", "    J"))), day("11/17/2026"))


def test_irm_adjustment_example_gives_exact_figures():
    cum_ofp, cum_defects = irm_file()
    assert ofp_rows(cum_ofp)[0][3:6] == (100, 20, 6)
    # IRM 3.30.28.4.4.5(6): +43 sampled (4C), 234 +3 (C), 509 +2 (B), 627 +10 (1{),
    # defective -12 (1K).
    doc = adjustments(document(A, "11/21/2026", 100, S("   4C"), K("234", "    C"),
                               K("509", "    B"), K("627", "   1{"), D("   1K")))
    assert doc["sampled_delta"].to_list()[0] == 43 and doc["defective_delta"][-1] == -12
    assert cf.check_adjustments(doc, cum_ofp, cum_defects).height == 0
    cum_ofp, cum_defects = cf.post_adjustments(cum_ofp, cum_defects, doc, day("11/24/2026"))
    # 100+43 = 143 sampled, 20-12 = 8 defective, 6+3+2+10 = 21 defects, 8/143 = 5.59 %.
    assert ofp_rows(cum_ofp) == [
        ("2027Q1", "12345", "45678", 143, 8, 21, 5.59, day("11/17/2026"), day("11/24/2026"))]
    assert code_rows(cum_defects) == [("2027Q1", "45678", "234", 8),
                                      ("2027Q1", "45678", "509", 3),
                                      ("2027Q1", "45678", "627", 10)]


def _deck(lines: list[str]) -> pl.DataFrame:
    from layouts import layout
    from layouts.decoder import decode
    records = pl.DataFrame({
        "line_no": pl.Series(range(1, len(lines) + 1), dtype=pl.UInt32), "text": lines,
        "deck_no": pl.Series([0] * len(lines), dtype=pl.UInt16)}).with_row_index("seq")
    return decode(records, layout.load("prefix"))


def _line(program: str, block: str, section: int, *, sampled: str = "", code: str = "",
          defects: str = "", defective: str = "") -> str:
    return (f"{program}222{block}01{section:02d}" + " " * 10 + sampled.rjust(5)
            + code.rjust(3) + defects.rjust(5) + defective.rjust(5))


def test_irm_example_read_from_form_3926_records_through_run_03():
    from pipelines.engine.qap import run03
    from validators import pce_03_41 as v03
    header = "{}222{}0101{}000" + "".join(A)
    deck = _deck([
        header.format("59706", "AAA", "11212026"),
        _line("59706", "AAA", 2, sampled="   4C"),
        _line("59706", "AAA", 3, code="234", defects="    C"),
        _line("59706", "AAA", 4, code="509", defects="    B"),
        _line("59706", "AAA", 5, code="627", defects="   1{"),
        _line("59706", "AAA", 6, defective="   1K"),
        header.format("59706", "AAB", "11142026"),  # 509 -4 would leave -1: 33 on line 8
        _line("59706", "AAB", 2, code="509", defects="    M"),
    ])
    ofp = pl.DataFrame({"org_code": [A[0]], "function_code": [A[1]], "program_code": [A[2]]})
    three = run03.run(deck, ofp, pl.Series(["234", "509", "627"]),
                      pl.DataFrame(schema=v03.QS_SCHEMA))
    assert three.adjustments.height == 6 and three.adjustment_documents.height == 2
    cum_ofp, cum_defects = irm_file()
    posting = cf.post_run(cum_ofp, cum_defects, three.review_sums, three.adjustments, None,
                          day("11/24/2026"), "20261124.01",
                          documents=three.adjustment_documents)
    assert flags_of(posting.flags) == {(8, "33")}
    flagged = deck.filter(pl.col("line_no") == 8)["text"].item()
    assert flagged[30:33] == "509"
    assert ofp_rows(posting.cum_ofp)[0][3:6] == (143, 8, 21)
    assert code_rows(posting.cum_defects)[1] == ("2027Q1", "45678", "509", 3)


def test_a_document_run_03_rejects_is_still_checked_for_19_and_26_33_and_posts_nothing():
    from pipelines.engine.qap import run03
    from validators import pce_03_41 as v03
    header = "{}222{}0101{}000" + "".join(A)
    deck = _deck([
        header.format("59706", "AAA", "11142026"),  # 2: an SSN (34); 10 - 200 sampled (27)
        "59706222AAA0102 111111111" + "  20}",  # 10 - 200 sampled is also under defective (30)
        header.format("59706", "AAB", "11072026"),  # 4: 555 is not on file (14), no row (32)
        _line("59706", "AAB", 2, code="555", defects="    A"),
        header.format("59706", "AAC", "10312026"),  # 5: no lines (36), posted before (19)
        header.format("59706", "AAD", "10242026"),  # 7-8: passes: +1 sampled posts
        _line("59706", "AAD", 2, sampled="    A"),
    ])
    ofp = pl.DataFrame({"org_code": [A[0]], "function_code": [A[1]], "program_code": [A[2]]})
    three = run03.run(deck, ofp, pl.Series(["234", "509", "627"]),
                      pl.DataFrame(schema=v03.QS_SCHEMA))
    codes = {r["line_no"]: r["error_codes"] for r in three.records.iter_rows(named=True)}
    assert (codes[2], codes[4], codes[5]) == (["34"], ["14"], ["36"])
    assert three.adjustment_documents["rejected"].to_list() == [True, True, True, False]
    ledger = pl.DataFrame([{"org_code": A[0], "function_code": A[1], "program_code": A[2],
                            "week_ending": day("10/31/2026"), "run_id": "20261103.01"}],
                          schema=cf.ADJUSTMENT_LEDGER_SCHEMA)
    posting = cf.post_run(*base_file(), three.review_sums, three.adjustments, ledger,
                          day("11/24/2026"), "20261124.01", documents=three.adjustment_documents)
    assert flags_of(posting.flags) == {(2, "27"), (2, "30"), (4, "32"), (5, "19")}
    assert ofp_rows(posting.cum_ofp)[0][3:6] == (11, 4, 6)  # base 10, 4, 6; AAD's +1 sampled
    assert posting.adjustment_ledger["week_ending"].to_list()[-1] == day("10/24/2026")
    # A document whose quarter cannot be read (a bad week ending) is not checked at all.
    bad = _deck([header.format("59706", "AAE", "13142026"),
                 _line("59706", "AAE", 2, code="555", defects="    A")])
    three = run03.run(bad, ofp, pl.Series(["555"]), pl.DataFrame(schema=v03.QS_SCHEMA))
    assert three.records["error_codes"].to_list() == [["36"], []]
    assert cf.post_run(*base_file(), three.review_sums, three.adjustments, ledger,
                       day("11/24/2026"), "20261124.01",
                       documents=three.adjustment_documents).flags.height == 0


# ----------------------------------------------------------------------------- codes 26-33


def base_file() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Q1 of 2027: A sampled 10, defective 4, total 6 (234:5, 509:1); B has code 101."""
    return cf.post_reviews(*cf.empty(), reviews(
        "12/19/2026",
        (A, "#", 10, 4, [("234", 5), ("509", 1)]),
        (B, "#", 2, 1, [("101", 1)]),
    ), day("12/22/2026"))


def check(*docs: list[dict]) -> set[tuple[int, str]]:
    return flags_of(cf.check_adjustments(adjustments(*docs), *base_file()))


WEEK = "12/26/2026"

CASES = {
    # name: (document lines, expected flags (line, code)); the header is line 10, lines 11...
    "no_cum_row_for_the_ofp_is_26_on_the_first_line": (
        (C, WEEK, K("234", "    A"), S("    A")), {(11, "26"), (11, "32")}),
    "a_row_in_another_quarter_is_still_26": (
        (A, "01/02/2027", S("    A")), {(11, "26")}),
    "near_miss_26_the_ofp_has_a_row_in_the_quarter": (
        (A, "10/03/2026", S("    A")), set()),
    "sampled_negative_is_27_on_the_sampled_line": (
        (A, WEEK, S("   1J"), D("    M")), {(11, "27"), (12, "30")}),
    "near_miss_27_sampled_down_to_zero": (
        (A, WEEK, S("   1}"), D("    M")), set()),
    "defective_negative_is_28_on_the_defective_line": (
        (A, WEEK, K("234", "    A"), D("    N")), {(12, "28")}),
    "near_miss_28_defective_down_to_zero": (
        (A, WEEK, K("234", "    A"), D("    M")), set()),
    "total_defects_negative_is_29_on_the_last_defect_line": (
        (A, WEEK, K("509", "    K"), K("234", "    N")), {(11, "33"), (12, "29"), (12, "31")}),
    "near_miss_29_defects_down_to_zero": (
        (A, WEEK, K("509", "    J"), K("234", "    N"), D("    M")), set()),
    "defective_above_sampled_is_30_on_the_defective_line": (
        (A, WEEK, D("    G"), K("234", "    E")), {(11, "30")}),
    "near_miss_30_defective_equal_to_sampled": (
        (A, WEEK, D("    F"), K("234", "    E")), set()),
    "defective_above_sampled_without_a_defective_line_is_30_on_the_sampled_line": (
        (A, WEEK, K("234", "    A"), S("    P")), {(12, "30")}),
    "defective_above_total_defects_is_31_on_the_defective_line": (
        (A, WEEK, K("234", "    A"), D("    D")), {(12, "31")}),
    "near_miss_31_defective_equal_to_total_defects": (
        (A, WEEK, K("234", "    A"), D("    C")), set()),
    "defects_down_below_defective_without_a_defective_line_is_31_on_the_last_defect_line": (
        (A, WEEK, S("    A"), K("234", "    M"), K("509", "    A")), {(13, "31")}),
    "defect_code_with_no_cum_row_is_32_on_its_line": (
        (A, WEEK, K("234", "    A"), K("627", "    A")), {(12, "32")}),
    "a_code_on_file_for_another_ofp_is_still_32": (
        (A, WEEK, K("101", "    A")), {(11, "32")}),
    "near_miss_32_the_code_has_a_row": (
        (A, WEEK, K("509", "    A")), set()),
    "near_miss_32_a_code_not_of_three_digits_names_none": (  # 15 only (review 18f, F5)
        (A, WEEK, K("1X1", "    A")), set()),
    "one_code_negative_is_33_on_its_line": (
        (A, WEEK, K("234", "    A"), K("509", "    K")), {(12, "33")}),
    "near_miss_33_code_down_to_zero_keeps_its_row": (
        (A, WEEK, K("234", "    A"), K("509", "    J")), set()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_adjustment_code_on_exact_line(name):
    (ofp, week, *lines), expected = CASES[name]
    assert check(document(ofp, week, 10, *lines)) == expected


def test_every_code_26_to_33_is_triggered_and_in_the_code_table():
    found = {code for _, expected in CASES.values() for _, code in expected}
    assert found == {f"{n}" for n in range(26, 34)}
    for code in found:
        assert lookup(RUN_3926, code).needs_cum_file
    assert [r.code for r in adj.DOCUMENT_RULES + adj.CODE_RULES] == sorted(found)


def test_a_flagged_document_is_rejected_whole_and_changes_nothing():
    cum_ofp, cum_defects = base_file()
    docs = adjustments(document(A, WEEK, 10, S("    E"), K("509", "    K")),  # 33 on line 12
                       document(B, WEEK, 20, S("    A")))
    found = cf.check_adjustments(docs, cum_ofp, cum_defects)
    assert flags_of(found) == {(12, "33")}
    ok = cf.accepted_adjustments(docs, found)
    assert ok["unit"].unique().to_list() == [20]
    new_ofp, new_defects = cf.post_adjustments(cum_ofp, cum_defects, ok, day("12/29/2026"))
    assert new_ofp.filter(pl.col("program_code") == A[2]).equals(
        cum_ofp.filter(pl.col("program_code") == A[2]))
    assert new_defects.equals(cum_defects)
    assert new_ofp.filter(pl.col("program_code") == B[2])["sampled"].item() == 3


def test_documents_of_one_quarter_are_checked_in_deck_order_on_top_of_each_other():
    cum_ofp, cum_defects = base_file()
    # A has 10 sampled, 4 defective: -6 leaves 4; a second -6 in the quarter would leave -2.
    first = document(A, "12/19/2026", 10, S("    O"))
    second = document(A, WEEK, 20, S("    O"))
    assert flags_of(cf.check_adjustments(adjustments(first, second), cum_ofp, cum_defects)) == {
        (21, "27"), (21, "30")}
    # When the first document is rejected it counts for nothing: the second then passes.
    bad_first = document(A, "12/19/2026", 10, S("    O"), K("999", "    A"))
    assert flags_of(cf.check_adjustments(adjustments(bad_first, second), cum_ofp,
                                         cum_defects)) == {(12, "32")}
    # ... and likewise a document another check rejected (19 across runs).
    assert flags_of(cf.check_adjustments(adjustments(first, second), cum_ofp, cum_defects,
                                         rejected=[10])) == set()


def test_second_adjustment_for_an_ofp_and_week_posted_in_an_earlier_run_is_19():
    ledger = pl.DataFrame([{"org_code": A[0], "function_code": A[1], "program_code": A[2],
                            "week_ending": day(WEEK), "run_id": "20261229.01"}],
                          schema=cf.ADJUSTMENT_LEDGER_SCHEMA)
    docs = adjustments(document(A, WEEK, 10, K("234", "    A"), S("    A")),
                       document(A, "12/19/2026", 20, S("    A")),  # other week: near miss
                       document(B, WEEK, 30, S("    A")))  # other OFP: near miss
    assert flags_of(cf.second_adjustment(headers(docs), ledger)) == {(10, "19")}
    assert cf.second_adjustment(headers(docs), None).height == 0


def test_flags_name_deck_and_line():
    cum_ofp, cum_defects = base_file()
    # Two decks, both with a document whose header is line 10; only deck 1's line 11 is wrong.
    other_deck = [row | {"unit": 50} for row in document(A, "12/19/2026", 10,
                                                         K("627", "    A"), deck_no=1)]
    docs = adjustments(document(A, WEEK, 10, S("    A")), other_deck)
    found = cf.check_adjustments(docs, cum_ofp, cum_defects)
    assert dict(found.schema) == adj.LINE_FLAG_SCHEMA
    assert found.rows() == [(1, 11, "32")]


def test_posting_an_unchecked_document_is_refused():
    cum_ofp, cum_defects = base_file()
    with pytest.raises(ValueError, match="check_adjustments"):
        cf.post_adjustments(cum_ofp, cum_defects, adjustments(
            document(A, WEEK, 10, K("509", "    K"))), day("12/29/2026"))
    with pytest.raises(ValueError, match="check_adjustments"):
        cf.post_adjustments(cum_ofp, cum_defects, adjustments(
            document(C, WEEK, 10, S("    A"))), day("12/29/2026"))


# ----------------------------------------------------------------------------- standards


QUALITY_STANDARDS = pl.DataFrame([
    {"org_code": "12000", "function_code": "123", "program_code": "45678", "standard": 9550,
     "below_minimum": False, "week_ending": day("12/19/2026")},
    {"org_code": "23000", "function_code": "456", "program_code": "11111", "standard": 100,
     "below_minimum": True, "week_ending": day("12/19/2026")},
], schema={"org_code": pl.String, "function_code": pl.String, "program_code": pl.String,
           "standard": pl.Int32, "below_minimum": pl.Boolean, "week_ending": pl.Date})


def test_quality_standard_joins_on_the_first_two_organization_digits():
    cum_ofp, _ = cf.post_reviews(*cf.empty(), reviews(
        "12/19/2026", (A, "#", 2, 1, [("234", 1)]), (B, "#", 2, 1, [("234", 1)]),
        (C, "#", 2, 1, [("234", 1)])), day("12/22/2026"), quality_standards=QUALITY_STANDARDS)
    assert cum_ofp.select("program_code", "quality_standard", "below_minimum").rows() == [
        ("45678", 9550, False), ("45679", None, None), ("11111", 100, True)]


def test_quality_standard_changes_only_the_quarters_posted_to():
    lines = reviews("12/19/2026", (A, "#", 2, 1, [("234", 1)]))
    cum_ofp, cum_defects = cf.post_reviews(*cf.empty(), lines, day("12/22/2026"),
                                           quality_standards=QUALITY_STANDARDS)
    later = QUALITY_STANDARDS.with_columns(pl.lit(9000, pl.Int32).alias("standard"))
    cum_ofp, _ = cf.post_reviews(cum_ofp, cum_defects, reviews(
        "01/02/2027", (A, "#", 2, 1, [("234", 1)])), day("01/05/2027"), quality_standards=later)
    assert cum_ofp.select("fiscal_quarter", "quality_standard").rows() == [
        ("2027Q1", 9550), ("2027Q2", 9000)]


def test_a_standard_set_or_deleted_in_a_week_without_reviews_reaches_its_quarter():
    lines = reviews("12/19/2026", (A, "#", 2, 1, [("234", 1)]))
    cum_ofp, cum_defects = cf.post_reviews(*cf.empty(), lines, day("12/22/2026"),
                                           quality_standards=QUALITY_STANDARDS)
    none = adjustments()
    changed = QUALITY_STANDARDS.with_columns(pl.lit(9300, pl.Int32).alias("standard"))
    run = cf.post_run(cum_ofp, cum_defects, summed("12/26/2026"), none, None, day("12/29/2026"),
                      "20261229.01", documents=headers(none), quality_standards=changed,
                      standard_weeks=[day("12/26/2026")])
    assert run.cum_ofp.select("fiscal_quarter", "quality_standard").rows() == [("2027Q1", 9300)]
    deleted = QUALITY_STANDARDS.clear()
    run = cf.post_run(run.cum_ofp, run.cum_defects, summed("01/02/2027"), none, None,
                      day("01/05/2027"), "20270105.01", documents=headers(none),
                      quality_standards=deleted, standard_weeks=[day("12/26/2026")])
    assert run.cum_ofp["quality_standard"].to_list() == [None]
    # near miss: a standard of another quarter leaves 2027Q1 as it was
    run = cf.post_run(cum_ofp, cum_defects, summed("01/02/2027"), none, None,
                      day("01/05/2027"), "20270105.01", documents=headers(none),
                      quality_standards=changed, standard_weeks=[day("01/02/2027")])
    assert run.cum_ofp["quality_standard"].to_list() == [9550]


# ----------------------------------------------------------------------------- listing


def test_cum_listing_prints_ofp_lines_and_indented_defect_codes():
    cum_ofp, cum_defects = irm_file()
    cum_ofp, cum_defects = cf.post_adjustments(cum_ofp, cum_defects, adjustments(document(
        A, "11/21/2026", 100, S("   4C"), K("234", "    C"), K("509", "    B"),
        K("627", "   1{"), D("   1K"))), day("11/24/2026"))
    cum_ofp, cum_defects = cf.post_reviews(cum_ofp, cum_defects, pl.concat([
        reviews("12/19/2026", (B, "#", None, 3, [("101", 3)]), (C, "987654321", 7, 1,
                                                               [("101", 1)])),
        reviews("01/02/2027", (A, "#", 12, 1, [("234", 1), ("509", 2)]), line_no=20),
    ]), day("01/05/2027"))
    cum_ofp = cf.set_quality_standards(cum_ofp, QUALITY_STANDARDS)
    text = render(cum_listing.render_listing(cum_ofp, cum_defects, day("01/05/2027"),
                                             day("01/02/2027")))
    assert_golden(text, GOLDEN / "two_quarters.txt")


def test_empty_cum_listing_prints_the_no_items_page():
    text = render(cum_listing.render_listing(*cf.empty(), day("01/05/2027"), None))
    assert "*** NO ITEMS THIS RUN ***" in text and "CUMULATIVE DATA FILE LISTING" in text


def _many_ofps(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A file of `n` OFPs over two quarters, each with 0-3 codes: at n = 60, 73 and 77 lines
    a quarter (two pages each), so page breaks fall inside an OFP's lines and between
    quarters."""
    i = pl.int_range(n, eager=True)
    ofp = pl.DataFrame({
        "fiscal_quarter": ["2027Q1" if k < n // 2 else "2027Q2" for k in range(n)],
        "org_code": (i % (n // 2) + 10000).cast(pl.String), "function_code": "123",
        "program_code": "45000", "sampled": i + 5, "defective": i % 5,
        "total_defects": i % 4, "defect_percent": None, "quality_standard": 9500,
        "below_minimum": False, "last_posted": day("01/05/2027"), "last_adjusted": None,
    }).cast(cf.CUM_OFP_SCHEMA)
    codes = ofp.select(*cf.KEYS, "total_defects").filter(pl.col("total_defects") > 0).with_columns(
        pl.int_ranges(0, "total_defects").alias("k")).explode("k").select(
        *cf.KEYS, (pl.col("k") * 111 + 101).cast(pl.String).alias("defect_code"),
        pl.lit(1).alias("defects")).cast(cf.CUM_DEFECTS_SCHEMA)
    return ofp, codes


@pytest.mark.parametrize("batch", [1, 2, 7, 1000])
def test_cum_listing_in_batches_prints_the_same_text(tmp_path: Path, batch: int):
    cum_ofp, cum_defects = _many_ofps(60)
    # a code row whose OFP has no row (never made by posting) still prints in key order
    orphan = cum_defects.head(1).with_columns(pl.lit("10007").alias("org_code"),
                                               pl.lit("999").alias("defect_code"))
    cum_ofp = cum_ofp.filter(pl.col("org_code") != "10007")
    cum_defects = pl.concat([cum_defects, orphan]).sample(fraction=1.0, shuffle=True, seed=3)
    whole = render(cum_listing.render_listing(cum_ofp, cum_defects, day("01/05/2027"),
                                              day("01/02/2027")))
    path = tmp_path / "cum.txt"
    cum_listing.print_cum_listing(cum_ofp, cum_defects, day("01/05/2027"), day("01/02/2027"),
                                  path, batch_lines=batch)
    assert whole.count("\f") == 3 and "DEFECT CODE 999" in whole
    assert path.read_text() == whole
    cum_listing.print_cum_listing(cum_ofp, cum_defects, day("01/05/2027"), day("01/02/2027"),
                                  path, quarters=["2027Q2"], batch_lines=batch)
    assert path.read_text() == render(cum_listing.render_listing(
        cum_ofp, cum_defects, day("01/05/2027"), day("01/02/2027"), quarters=["2027Q2"]))
    cum_listing.print_cum_listing(*cf.empty(), day("01/05/2027"), None, path, batch_lines=batch)
    assert path.read_text() == render(cum_listing.render_listing(*cf.empty(), day("01/05/2027"),
                                                                 None))


@pytest.mark.parametrize("batch", [3, 1000])
def test_cum_listing_of_codes_in_key_order_but_not_code_order_prints_the_same_text(
        tmp_path: Path, batch: int):
    """A range whose code rows are in key order but not in code order within an OFP (the
    file as read keeps them so) is sorted, not merged: the same text as the whole."""
    cum_ofp, cum_defects = _many_ofps(20)
    cum_defects = cum_defects.sort([*cf.KEYS, "defect_code"],
                                   descending=[False] * len(cf.KEYS) + [True])
    path = tmp_path / "cum.txt"
    cum_listing.print_cum_listing(cum_ofp, cum_defects, day("01/05/2027"), day("01/02/2027"),
                                  path, batch_lines=batch)
    whole = render(cum_listing.render_listing(cum_ofp, cum_defects, day("01/05/2027"),
                                              day("01/02/2027")))
    assert "DEFECT CODE 323" in whole
    assert path.read_text() == whole


# ----------------------------------------------------------------------------- speed


def test_post_reviews_of_a_million_lines_adds_every_sample_and_defect():
    """At a full week's size the sums are exact (its speed is the benchmark's, not a test's)."""
    n = 1_000_000
    i = pl.int_range(n, eager=True)
    start = (i % 3) == 0
    lines = pl.DataFrame({
        "deck_no": pl.Series([0] * n, dtype=pl.UInt16), "line_no": (i + 1).cast(pl.UInt32),
        "unit": (i // 3).cast(pl.UInt32),
        "week_ending": pl.Series([day("12/26/2026"), day("01/02/2027")]).gather(
            (i >= n // 2).cast(pl.UInt32)),
        "org_code": ((i // 3) % 500 + 10000).cast(pl.String), "function_code": "123",
        "program_code": ((i // 3) % 7 + 45000).cast(pl.String), "starts": start,
        "unit_charge": False, "ssn": None,
        "sampled": pl.select(pl.when(start).then(10)).to_series().cast(pl.Int64),
        "defective": pl.select(pl.when(start).then(2)).to_series().cast(pl.Int64),
        "defect_code": (i % 97 + 100).cast(pl.String), "defects": 1, "warning": False,
    }, schema=REVIEW_SCHEMA)
    cum = cf.post_reviews(*cf.empty(), lines, day("01/05/2027"))  # warm up; fills the file
    cum_ofp, cum_defects = cf.post_reviews(*cum, lines, day("01/05/2027"))
    assert cum_ofp["sampled"].sum() == 2 * 10 * ((n + 2) // 3)
    assert cum_defects["defects"].sum() == 2 * n


# ----------------------------------------------------------------------------- IRM examples


def test_irm_recording_example_unit_sample_blank_counts_its_defective_documents():
    """IRM 3.30.28.4.4.3: an original sample of 15 with 4 defective documents, 3 of them only
    for a systemic error. The form records the unit's 3 defective documents with the sample
    blank and the employee's 12 with 1 defective; the table records 3 sampled to the unit and
    15 in all, so the Cumulative Data File holds 15, 4 and 26.67 % (not 12, 4 and 33.33 %)."""
    cum = cf.post_reviews(*cf.empty(), reviews(
        "11/14/2026",
        (A, "#", None, 3, [("901", 3)]),
        (A, "123456789", 12, 1, [("101", 1)]),
    ), day("11/17/2026"))
    assert ofp_rows(cum[0]) == [
        ("2027Q1", "12345", "45678", 15, 4, 4, 26.67, day("11/17/2026"), None)]
    assert code_rows(cum[1]) == [("2027Q1", "45678", "101", 1), ("2027Q1", "45678", "901", 3)]


def test_rows_of_a_big_file_narrowed_by_masks_are_the_semi_join_s_nulls_and_all():
    keys = ["a", "b"]
    file = pl.DataFrame({"a": ["1", "1", "2", None, "2", "3"], "b": ["x", "y", "x", "x", None, "y"],
                         "n": [1, 2, 3, 4, 5, 6]})
    wanted = pl.DataFrame({"a": ["1", "2", None, "3"], "b": ["y", "x", "x", None]})
    got = cf._rows_of(file, wanted, keys)
    assert got.equals(file.join(wanted.unique(), on=keys, how="semi", maintain_order="left"))
    assert got["n"].to_list() == [2, 3]  # ("2", "y") would pass each mask alone: not joined
    add = pl.DataFrame({"a": ["2", "1"], "b": ["x", "y"], "d": [10, 20]})
    assert cf._added(file, add, keys, "n", "d")["n"].to_list() == [1, 22, 13, 4, 5, 6]


def test_the_code_totals_come_in_one_chunk():
    txn = (A, "#", 2, 1, [("234", 1), ("235", 2)])
    sums = pl.concat([summed("11/14/2026", txn), summed("11/21/2026", txn)], rechunk=False)
    _, codes = cf.totals_of_weeks(sums)
    assert codes.height == 2 and codes.n_chunks("all") == [1] * codes.width


def test_review_sums_handed_over_in_a_list_post_the_same_and_are_let_go():
    """Issue 20: the weekly run hands the posting its review sums in a list, which the
    posting empties once it has their totals, so that its upsert does not hold them too."""
    sums = summed("12/19/2026", (A, "123456789", 10, 2, [("234", 2), ("509", 1)]),
                  (B, "345678901", 8, 3, [("101", 2)]))
    given = cf.post_run(*cf.empty(), sums, adjustments(), None, day("12/22/2026"),
                        "20261222.01", documents=headers(adjustments()))
    held = [sums.clone()]
    handed = cf.post_run(*cf.empty(), held, adjustments(), None, day("12/22/2026"),
                         "20261222.01", documents=headers(adjustments()))
    assert held == []
    assert handed.cum_ofp.equals(given.cum_ofp) and handed.cum_defects.equals(given.cum_defects)
    assert handed.cum_defects.height == 3
