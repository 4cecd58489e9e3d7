"""Cum job records, Forms 3081 and 6489, and Weekly Data Not Posted, on the committed fixtures
(fixtures/individual) and on small forms built here with `layouts.encode`."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import polars as pl
import pytest

from fixtures.individual import make_fixtures as make
from fixtures.individual import weeks
from layouts import layout
from layouts.decoder import decode
from layouts.encode import record
from pipelines.engine.qap.individual import cum_jobs, run, time_reports
from pipelines.engine.qap.individual.ipr_adjustments import apply_adjustments
from pipelines.engine.qap.individual.reference import employees_table, ofp_table
from validators import codes

FIXTURES = Path(__file__).parents[1] / "fixtures" / "individual"

ADAMS, BAKER, CARTER, DAVIS, EVANS, FOSTER, GREEN, HILL = (
    "111223333", "222334444", "333445555", "444556666", "555667777", "666778888", "777889999",
    "888990000")
DE, DE_B, CE, ERS = (("81120", "110", "43210"), ("81120", "110", "43220"),
                     ("81120", "120", "46110"), ("81110", "210", "45500"))
Q4, Q1, Q2 = dt.date(2025, 9, 30), dt.date(2025, 12, 31), dt.date(2026, 3, 31)
FIGS = ["hours_tenths", "volume", "lc_hours_tenths", "lc_volume", "reviewed", "errors"]


@functools.cache
def results():
    return weeks.run_all()


def _record(cum: pl.DataFrame, ssn: str, ofp: tuple[str, str, str], grade: str,
            quarter: dt.date) -> dict | None:
    rows = cum.filter((pl.col("ssn") == ssn) & (pl.col("org_code") == ofp[0])
                      & (pl.col("function_code") == ofp[1]) & (pl.col("program_code") == ofp[2])
                      & (pl.col("grade") == grade) & (pl.col("quarter_end") == quarter))
    assert rows.height <= 1
    return rows.row(0, named=True) if rows.height else None


def _figures(cum: pl.DataFrame, *key) -> tuple | None:
    rec = _record(cum, *key)
    return None if rec is None else tuple(rec[f] for f in FIGS)


def test_fixture_files_are_what_make_fixtures_writes() -> None:
    for name, text in make.build().items():
        assert (FIXTURES / name).read_text() == text, f"{name}: rerun make_fixtures.py"


# --------------------------------------------------------------------------- cum job records


def _week1_posting() -> cum_jobs.WeekPosting:
    sat = dt.date(2025, 12, 20)
    time_3081, _ = weeks.forms("12202025")
    checked = time_reports.check(time_3081, sat, employees=employees_table(
        weeks.employees("12202025")), ofp=ofp_table(weeks.ofp()))
    return cum_jobs.post_week_detail(weeks.start_cum_jobs(), checked.valid,
                                     weeks.reviews("12202025"), sat)


def test_post_week_adds_the_weeks_3081s_and_matched_reviews() -> None:
    cum = _week1_posting().cum_jobs
    # hours, volume, lc hours, lc volume, reviewed, errors (start + this week)
    assert _figures(cum, ADAMS, DE, "07", Q1) == (2400 + 320, 6000 + 800, 0, 0, 40 + 5, 2 + 1)
    assert _figures(cum, ADAMS, DE_B, "07", Q1) == (80, 300, 0, 0, 3, 0)
    assert _figures(cum, BAKER, DE, "05", Q1) == (2000, 4300, 0, 0, 35, 5)
    assert _figures(cum, FOSTER, CE, "04", Q1) == (0, 0, 100 + 200, 50 + 120, 2, 1)
    assert _figures(cum, GREEN, DE_B, "05", Q1) == (100, 0, 0, 0, 0, 0)
    assert _figures(cum, HILL, CE, "07", Q4) == (4800, 6000, 0, 0, 65, 4)  # untouched
    assert _record(cum, ADAMS, DE, "07", Q1)["last_posted"] == dt.date(2025, 12, 20)
    assert cum.columns == cum_jobs.CUM_COLUMNS


def test_post_week_plain_function_returns_the_same_cum_jobs() -> None:
    sat = dt.date(2025, 12, 20)
    posting = _week1_posting()
    valid = time_reports.check(weeks.forms("12202025")[0], sat,
                               employees=employees_table(weeks.employees("12202025")),
                               ofp=ofp_table(weeks.ofp())).valid
    plain = cum_jobs.post_week(weeks.start_cum_jobs(), valid, weeks.reviews("12202025"), sat)
    assert plain.equals(posting.cum_jobs)


def test_unit_group_charges_and_continuation_lines_never_reach_individual_data() -> None:
    weekly = _week1_posting().weekly
    # Adams 43210: 5 reviewed, 1 error; the continuation line (defect 102) adds nothing, and the
    # '#' line and the all-zero SSN line on the same OFP are unit/group charges.
    adams = weekly.filter((pl.col("ssn") == ADAMS) & (pl.col("program_code") == "43210"))
    assert adams.select("reviewed", "errors").row(0) == (5, 1)
    assert "000000000" not in weekly["ssn"].to_list()


def test_learning_curve_time_is_kept_apart() -> None:
    weekly = _week1_posting().weekly.filter(pl.col("ssn") == FOSTER)
    assert weekly.select(FIGS).row(0) == (0, 0, 200, 120, 2, 1)


def test_grade_change_makes_the_old_grade_prior() -> None:
    before = results()["01032026"].cum_jobs.filter(pl.col("ssn") == ADAMS)
    assert set(before["record_code"]) == {"1"}
    after = results()["01102026"].cum_jobs.filter(pl.col("ssn") == ADAMS)
    codes_by_grade = after.group_by("grade").agg(pl.col("record_code").unique()).sort("grade")
    assert codes_by_grade.rows() == [("07", ["2"]), ("08", ["1"])]
    assert after.filter(pl.col("grade") == "07").height == 3  # Q1 43210, Q1 43220, Q2 43210
    assert _record(after, ADAMS, DE, "08", Q2)["step"] == "01"


def test_employees_without_time_keep_their_record_codes() -> None:
    cum = weeks.start_cum_jobs().with_columns(
        pl.when(pl.col("ssn") == DAVIS).then(pl.lit("2")).otherwise(pl.col("record_code"))
        .alias("record_code"))
    out = cum_jobs.post_week(cum, time_reports.empty_time(), cum_jobs.empty_reviews(),
                             dt.date(2025, 12, 20))
    assert out.filter(pl.col("ssn") == DAVIS)["record_code"].to_list() == ["2"]
    assert out.select(FIGS).equals(cum.sort(cum_jobs.CUM_KEY).select(FIGS))


def test_split_week_posts_each_date_to_its_own_quarter() -> None:
    cum = results()["01032026"].cum_jobs
    assert _figures(cum, ADAMS, DE, "07", Q1)[:2] == (3120 + 240, 7800 + 700)
    assert _figures(cum, ADAMS, DE, "07", Q2) == (160, 450, 0, 0, 2 + 1, 0 + 1)  # + 6489 code 4
    weekly = results()["01032026"].frames["individual-weekly"].filter(pl.col("ssn") == ADAMS)
    assert weekly.select("week_ending", "period_end", "quarter_end").rows() == [
        (Q1, Q1, Q1), (dt.date(2026, 1, 3), dt.date(2026, 1, 3), Q2)]


def test_friday_quarter_end_week_is_one_period_but_two_quarters() -> None:
    sat, friday = dt.date(2028, 1, 1), dt.date(2027, 12, 31)
    lines = [record("prefix+form3081", program_number="59600", format_code="073", ssn=ADAMS,
                    week_ending=f"{d:%m%d%Y}", org_code=DE[0], function_code=DE[1],
                    program_code=DE[2], hours_tenths="0100", volume="0000250", grade="07",
                    step="03", time_code="1") for d in (friday, sat)]
    decoded = decode(pl.DataFrame({"text": lines}), layout.load("prefix"),
                     layout.load("form3081"))
    valid = time_reports.check(decoded, sat).valid
    assert valid.select("period_end").to_series().to_list() == [sat, sat]
    cum = cum_jobs.post_week(cum_jobs.empty_cum_jobs(), valid, cum_jobs.empty_reviews(), sat)
    assert cum.select("quarter_end", "volume").rows() == [(friday, 250),
                                                          (dt.date(2028, 3, 31), 250)]


# --------------------------------------------------------------------------- Forms 3081


def _time(**overrides: str) -> pl.DataFrame:
    values = {"program_number": "59600", "format_code": "073", "ssn": ADAMS,
              "week_ending": "12202025", "org_code": DE[0], "function_code": DE[1],
              "program_code": DE[2], "hours_tenths": "0400", "volume": "0000900",
              "grade": "07", "step": "03", "time_code": "1"} | overrides
    return decode(pl.DataFrame({"text": [record("prefix+form3081", **values)]}),
                  layout.load("prefix"), layout.load("form3081"))


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, []),
    ({"ssn": "11122333X"}, ["T01"]),
    ({"ssn": "123123123"}, ["T02"]),
    ({"week_ending": "12192025"}, ["T03"]),
    ({"week_ending": "13452025"}, ["T03"]),
    ({"program_code": "43299"}, ["T04"]),
    ({"hours_tenths": "04.0"}, ["T05"]),
    ({"volume": "   -900"}, ["T06"]),
    ({"volume": ""}, []),  # blank volume reads as 0
    ({"grade": "7"}, ["T07"]),
    ({"step": "3"}, ["T07"]),
    ({"time_code": "4"}, ["T08"]),
    ({"hours_tenths": "", "time_code": ""}, ["T05", "T08"]),
    ({"format_code": "060"}, ["T09"]),
    ({"block": "AB1", "serial": "01"}, ["T09"]),
    ({"section": "02"}, ["T09"]),
])
def test_form_3081_checks(overrides: dict[str, str], expected: list[str]) -> None:
    checked = time_reports.check(_time(**overrides), dt.date(2025, 12, 20),
                                 employees=employees_table(weeks.employees("12202025")),
                                 ofp=ofp_table(weeks.ofp()))
    if expected:
        assert checked.valid.height == 0
        assert checked.rejected["reason_codes"].to_list() == [expected]
    else:
        assert checked.rejected.height == 0 and checked.valid.height == 1


# --------------------------------------------------------------------------- Forms 6489


def _messages(week: str) -> list[tuple[str, str, str, list[str]]]:
    adj = results()[week].frames["ipr-adjustments"]
    return adj.select("ssn", "adjustment_code", "message_code", "reason_codes").rows()


def test_every_6489_gets_a_message_code() -> None:
    assert _messages("12202025") == [
        (BAKER, "4", "3", []), (HILL, "D", "3", []), (DAVIS, "1", "2", []),
        (CARTER, "4", "4", ["A12"]), (ADAMS, "2", "4", ["A10"])]
    assert _messages("12272025") == [
        (CARTER, "3", "3", []), (BAKER, "B", "1", []), (HILL, "C", "3", []),
        (ADAMS, "4", "4", ["A11"]), (GREEN, "4", "4", ["A09"]), (BAKER, "7", "4", ["A01"])]
    assert _messages("01032026") == [
        (EVANS, "A", "2", []), (DAVIS, "9", "2", []), (HILL, "2", "1", []),
        (ADAMS, "4", "3", []), (BAKER, "D", "4", ["A12"]), (CARTER, "4", "4", ["A07"])]
    assert _messages("01102026") == [(ADAMS, "4", "3", []), (ADAMS, "4", "4", ["A11"])]


def test_code_1_zeroes_the_current_quarter_record_and_keeps_it() -> None:
    # Davis's 46110 grade 05 Q1 record (800 + this week's 400 hours tenths, 760 + 400 volume)
    # is set to zero, its record code and step kept, so a later form can still adjust it.
    rec = _record(results()["12202025"].cum_jobs, DAVIS, CE, "05", Q1)
    assert tuple(rec[f] for f in FIGS) == (0, 0, 0, 0, 0, 0)
    assert (rec["record_code"], rec["step"], rec["last_posted"], rec["last_adjusted"]) == (
        "1", "02", dt.date(2025, 12, 20), dt.date(2025, 12, 20))


def test_code_2_creates_a_current_quarter_record() -> None:
    rec = _record(results()["01032026"].cum_jobs, HILL, DE_B, "07", Q2)
    assert tuple(rec[f] for f in FIGS) == (40, 120, 0, 0, 2, 0)
    assert (rec["record_code"], rec["step"], rec["last_adjusted"], rec["last_posted"]) == (
        "1", "05", dt.date(2026, 1, 3), None)


def test_code_3_substitutes_only_the_figures_given() -> None:
    # week 12/27: 3081 2800 hours tenths, 2120 volume, 34 reviewed, 2 errors; form: 32 and 3
    assert _figures(results()["12272025"].cum_jobs, CARTER, ERS, "06", Q1) == (
        2800, 2120, 0, 0, 32, 3)


def test_code_4_adds_signed_figures_lenient_digits_increase() -> None:
    adj = results()["12202025"].frames["ipr-adjustments"].row(0, named=True)
    assert (adj["hours_raw"], adj["volume_raw"], adj["reviewed_raw"], adj["errors_raw"]) == (
        "   1J", "     5}", "    2", "     ")
    assert (adj["hours_change"], adj["volume_change"], adj["reviewed_change"],
            adj["errors_change"]) == (-11, -50, 2, None)
    assert (adj["before_hours_tenths"], adj["after_hours_tenths"]) == (2000, 1989)
    assert _figures(results()["12202025"].cum_jobs, BAKER, DE, "05", Q1) == (
        1989, 4250, 0, 0, 37, 5)


@pytest.mark.parametrize(("week", "ssn", "key"), [
    ("01032026", DAVIS, (CE, "05", Q1)),  # code 9
    ("01032026", EVANS, (CE, "06", Q1)),  # code A
])
def test_codes_9_and_a_zero_the_first_prior_quarter(week: str, ssn: str, key: tuple) -> None:
    before = results()["12272025"].cum_jobs
    assert _figures(before, ssn, *key) != (0, 0, 0, 0, 0, 0)
    assert _figures(results()[week].cum_jobs, ssn, *key) == (0, 0, 0, 0, 0, 0)


def test_code_b_creates_a_first_prior_quarter_record() -> None:
    assert _figures(results()["12272025"].cum_jobs, BAKER, DE_B, "05", Q4) == (
        120, 360, 0, 0, 4, 0)


def test_code_c_substitutes_in_the_first_prior_quarter() -> None:
    assert _figures(results()["12272025"].cum_jobs, HILL, CE, "07", Q4) == (
        4800, 6100, 0, 0, 70, 5)


def test_code_d_adds_in_the_first_prior_quarter() -> None:
    assert _figures(results()["12202025"].cum_jobs, HILL, CE, "07", Q4) == (
        4800, 6000, 0, 0, 70, 5)


def test_r_c_2_adjusts_the_prior_grade_record() -> None:
    cum = results()["01102026"].cum_jobs
    assert _figures(cum, ADAMS, DE, "07", Q2)[:2] == (160, 400)  # 450 - 50


def test_a_refused_6489_changes_nothing() -> None:
    res = results()["12202025"]
    carter = _record(res.cum_jobs, CARTER, ERS, "06", Q1)
    assert (carter["reviewed"], carter["errors"]) == (29, 1)  # 'errors -50' refused
    row = res.frames["ipr-adjustments"].filter(pl.col("ssn") == CARTER).row(0, named=True)
    assert all(row[f"before_{f}"] == row[f"after_{f}"] for f in FIGS)


SAT = dt.date(2025, 12, 20)


def _form(**overrides: str) -> dict[str, str]:
    return {"program_number": "59602", "format_code": "060", "org_code": DE[0],
            "function_code": DE[1], "program_code": DE[2], "ssn": ADAMS, "last_name": "ADAMS",
            "adjustment_code": "4", "record_code": "1", "grade": "07", "quarter_ending": "",
            "week_ending": "12202025", "step": "03", "time_code": "1", "class_code": "1",
            "reviewed": "    1"} | overrides


def _base() -> pl.DataFrame:
    return cum_jobs.post_week(weeks.start_cum_jobs(), time_reports.empty_time(),
                              cum_jobs.empty_reviews(), SAT)


def _apply(*forms: dict[str, str]):
    decoded = decode(pl.DataFrame({"text": [record("prefix+form6489", **f) for f in forms]}),
                     layout.load("prefix"), layout.load("form6489"))
    return apply_adjustments(_base(), decoded, SAT, ofp=ofp_table(weeks.ofp()))


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"adjustment_code": "5"}, "A01"),
    ({"adjustment_code": " "}, "A01"),
    ({"ssn": "11122333"}, "A02"),
    ({"program_code": "43299"}, "A03"),
    ({"grade": "7 "}, "A04"),
    ({"record_code": "3"}, "A05"),
    ({"reviewed": "   1X"}, "A06"),
    ({"hours_tenths": " 1-2 "}, "A06"),
    ({"quarter_ending": "202509"}, "A07"),
    ({"adjustment_code": "C", "quarter_ending": "202512"}, "A07"),
    ({"reviewed": ""}, "A08"),
    ({"adjustment_code": "3", "reviewed": ""}, "A08"),
    ({"adjustment_code": "D"}, "A09"),
    ({"adjustment_code": "2"}, "A10"),
    ({"record_code": "2"}, "A11"),
    ({"adjustment_code": "2", "grade": "09"}, "A11"),  # R/C 1 create at a non-current grade
    ({"adjustment_code": "2", "grade": "07", "record_code": "2",
      "program_code": "43220"}, "A11"),  # R/C 2 create at the current grade
    ({"reviewed": "   5}"}, "A12"),
    ({"errors": "   50"}, "A13"),
    ({"format_code": "073"}, "A15"),
    ({"block": "A01", "serial": "01"}, "A15"),
    ({"measured_pca": "3"}, "A16"),
    ({"measured_teps": "8"}, "A16"),
    ({"time_code": "7"}, "A16"),
    ({"class_code": "9"}, "A16"),
    ({"step": "XX"}, "A17"),
    ({"step": "3"}, "A17"),
    ({"week_ending": "99999999"}, "A18"),
])
def test_6489_errors_take_no_action(overrides: dict[str, str], reason: str) -> None:
    result = _apply(_form(**overrides))
    row = result.adjustments.row(0, named=True)
    assert (row["message_code"], row["reason_codes"][0]) == (codes.ERROR, reason)
    assert row["reason"] == codes.ADJUSTMENT_REASONS[reason]
    assert result.cum_jobs.equals(_base())


def test_6489_items_a_form_does_not_use_may_be_blank() -> None:
    result = _apply(_form(measured_pca=" ", measured_teps=" ", time_code=" ", class_code=" ",
                          step="", week_ending=""),
                    _form(measured_pca="2", measured_teps="5", time_code="3", class_code="5"))
    assert result.adjustments["message_code"].to_list() == [codes.ADJUSTED, codes.ADJUSTED]
    assert result.adjustments["reason_codes"].to_list() == [[], []]


def test_6489_with_an_unknown_code_and_no_figures_is_a01_alone() -> None:
    result = _apply(_form(adjustment_code="5", reviewed=""))
    assert result.adjustments["reason_codes"].to_list() == [["A01"]]


def test_6489_creating_a_record_for_an_ssn_not_on_the_employee_master_is_a14() -> None:
    decoded = decode(pl.DataFrame({"text": [record("prefix+form6489", **_form(
        adjustment_code="2", ssn="999999999"))]}), layout.load("prefix"), layout.load("form6489"))

    def apply(ssns: list[str]):
        return apply_adjustments(_base(), decoded, SAT, ofp=ofp_table(weeks.ofp()),
                                 employees=pl.DataFrame({"ssn": ssns}, schema={"ssn": pl.String}))

    row = apply(["123456789"]).adjustments.row(0, named=True)
    assert (row["message_code"], row["reason_codes"]) == (codes.ERROR, ["A14"])
    assert row["reason"] == "SSN NOT ON EMPLOYEE MASTER"
    added = apply(["999999999"])  # near miss: on the file, the record is made
    assert added.adjustments["message"].to_list() == ["ADDED"]
    assert added.cum_jobs.filter(pl.col("ssn") == "999999999").height == 1


def test_6489_accepted_when_all_is_well() -> None:
    row = _apply(_form()).adjustments.row(0, named=True)
    assert (row["message_code"], row["message"], row["reason_codes"]) == ("3", "ADJUSTED", [])


def test_blank_quarter_ending_is_read_as_the_quarter_the_code_names() -> None:
    row = _apply(_form(quarter_ending="202512")).adjustments.row(0, named=True)
    assert row["message_code"] == "3" and row["quarter_end"] == Q1


def test_two_forms_for_one_record_apply_in_deck_order() -> None:
    create = _form(adjustment_code="2", program_code="43220", reviewed="   10",
                   errors="    1")
    add = _form(program_code="43220", reviewed="   5}")  # -50: would go negative after 10
    add_ok = _form(program_code="43220", reviewed="    3")
    result = _apply(create, add, add_ok)
    assert result.adjustments["message_code"].to_list() == ["1", "4", "3"]
    rec = _record(result.cum_jobs, ADAMS, DE_B, "07", Q1)
    assert (rec["reviewed"], rec["errors"]) == (13, 1)


def test_a_zeroed_record_can_be_adjusted_by_a_later_form_in_the_deck() -> None:
    # Adams 43210 grade 07 Q1 starts at 2400/6000/0/0/40/2: code 1 zeroes it, then code 4
    # adds 1.0 hour (10 tenths) and 1 reviewed to the zeroed record.
    result = _apply(_form(adjustment_code="1", reviewed=""),
                    _form(hours_tenths="   10", reviewed="    1"))
    assert result.adjustments["message_code"].to_list() == [codes.DELETED, codes.ADJUSTED]
    assert _figures(result.cum_jobs, ADAMS, DE, "07", Q1) == (10, 0, 0, 0, 1, 0)


def test_a_record_zeroed_by_code_1_is_the_first_prior_quarter_record_later() -> None:
    # Code 1 in the week of 12/20/2025 zeroes Adams's Q1 record; in the week of 01/10/2026 Q1
    # is the first prior quarter: code D adds 5 volume to it, code 9 zeroes it again.
    zeroed = _apply(_form(adjustment_code="1", reviewed="")).cum_jobs
    later = [_form(adjustment_code="D", week_ending="01102026", reviewed="", volume="      5"),
             _form(adjustment_code="9", week_ending="01102026", reviewed="")]
    decoded = decode(pl.DataFrame({"text": [record("prefix+form6489", **f) for f in later]}),
                     layout.load("prefix"), layout.load("form6489"))
    result = apply_adjustments(zeroed, decoded, dt.date(2026, 1, 10),
                               ofp=ofp_table(weeks.ofp()))
    assert result.adjustments["message_code"].to_list() == [codes.ADJUSTED, codes.DELETED]
    assert result.adjustments["after_volume"].to_list() == [5, 0]
    assert _figures(result.cum_jobs, ADAMS, DE, "07", Q1) == (0, 0, 0, 0, 0, 0)


def test_learning_curve_time_code_routes_hours_and_volume() -> None:
    result = _apply(_form(function_code="120", program_code="46110", ssn=FOSTER, grade="04",
                          step="01", time_code="2", hours_tenths="   50", volume="     30",
                          reviewed=""))
    assert _figures(result.cum_jobs, FOSTER, CE, "04", Q1) == (0, 0, 150, 80, 0, 0)


@pytest.mark.parametrize(("teps", "figures"), [
    ("5", (0, 0, 150, 80, 0, 0)),  # M/C TEPS 5, adjustments to learning-curve information
    ("1", (50, 30, 100, 50, 0, 0)),  # near miss: time code 1 and TEPS 1 is direct time
])
def test_mc_teps_5_routes_hours_and_volume_to_the_learning_curve(teps, figures) -> None:
    result = _apply(_form(function_code="120", program_code="46110", ssn=FOSTER, grade="04",
                          step="01", time_code="1", measured_teps=teps, hours_tenths="   50",
                          volume="     30", reviewed=""))
    assert _figures(result.cum_jobs, FOSTER, CE, "04", Q1) == figures


# --------------------------------------------------------------------------- data not posted


def _not_posted(week: str) -> list[tuple]:
    frame = results()[week].frames["data-not-posted"]
    return frame.select("source", "ssn", "program_code", "week_ending", "reason_codes").rows()


def test_reviews_without_a_matching_3081_are_listed_never_dropped() -> None:
    assert _not_posted("12202025") == [
        ("3926", ADAMS, "46110", "12202025", ["N01"]),
        ("3081", "12345678 ", "43210", "12202025", ["T01"]),
        ("3081", HILL, "99999", "12202025", ["T04"]),
        ("3081", "999001111", "43210", "12202025", ["T02"]),
        ("3926", "999001111", "43210", "12202025", ["N01"]),
    ]
    assert _not_posted("12272025") == [
        ("3081", GREEN, "43220", "12272025", ["T05", "T08"]),
        ("3926", HILL, "46110", "12202025", ["N02"]),
    ]
    assert _not_posted("01032026") == [
        ("3081", BAKER, "43210", "12302025", ["T03"]),
        ("3926", BAKER, "43220", "12312025", ["N01"]),
    ]
    assert _not_posted("01102026") == []


def test_every_individual_review_either_posts_or_is_listed() -> None:
    for week in weeks.WEEKS:
        res = results()[week]
        reviews = weeks.reviews(week).filter(
            pl.col("starts") & pl.col("ssn").is_not_null() & (pl.col("ssn") != "000000000"))
        listed = res.frames["data-not-posted"].filter(pl.col("source") == "3926")
        posted = res.frames["individual-weekly"]["reviewed"].sum()
        assert reviews["sampled"].sum() == posted + listed["reviewed"].sum()


# --------------------------------------------------------------------------- tables and docs


def test_every_code_in_the_tables_is_issued_by_a_fixture_or_a_test_above() -> None:
    issued = set()
    for res in results().values():
        for name in ("ipr-adjustments", "data-not-posted"):
            issued |= set(res.frames[name]["reason_codes"].explode().drop_nulls())
    issued |= {"A02", "A03", "A04", "A05", "A06", "A08", "A13", "A14", "A15", "A16", "A17",
               "A18", "T06", "T07", "T09"}  # tests above
    assert issued == set(codes.ADJUSTMENT_REASONS) | set(codes.NOT_POSTED_REASONS)
    messages = set()
    for res in results().values():
        messages |= set(res.frames["ipr-adjustments"]["message_code"])
    assert messages == set(codes.MESSAGES)


def test_run_individual_docstring_lists_every_parquet_column() -> None:
    doc = run.__doc__ or ""
    bullets = dict(re.findall(r"\* ``([a-z-]+)`` -- (.*?)(?=\n\* ``|\n\nPrinted)", doc, re.S))
    assert set(bullets) == set(run.OUTPUT_COLUMNS)
    for name, columns in run.OUTPUT_COLUMNS.items():
        text = bullets[name]
        for column in columns:
            shown = re.sub(r"^(before|after)_", r"\1_<figure>", column)
            assert column in text or shown.split("<figure>")[0] + "<figure>" in text, (
                name, column)
        assert results()["12202025"].frames[name].columns == columns


def test_run03_review_lines_feed_post_week() -> None:
    """The interface with run 03: its accepted `reviews` are what `post_week` reads."""
    from pipelines.engine.qap import run03
    from validators import pce_03_41

    def line(section: str, **values: object) -> str:
        return record("prefix+form3926_line", program_number="59702", format_code="222",
                      block="A01", serial="01", section=section, **values)

    texts = [record("prefix+form3926_header", program_number="59702", format_code="222",
                    block="A01", serial="01", section="01", week_ending="12202025",
                    defect_list="000", org_code=DE[0], function_code=DE[1],
                    program_code=DE[2]),
             line("02", ssn=ADAMS, sampled=5, defect_code="101", defects=1, defective=1),
             line("03", defect_code="102", defects=1),
             line("04", unit_mark="#", defect_code="101", defects=1, defective=1)]
    frame = pl.DataFrame({"text": texts}).with_row_index("line_no", offset=2).with_columns(
        pl.lit(0, pl.UInt16).alias("deck_no")).with_row_index("seq")
    result = run03.run(decode(frame, layout.load("prefix")), weeks.ofp(),
                       pl.Series(["101", "102"]), pl.DataFrame(schema=pce_03_41.QS_SCHEMA))
    assert dict(result.reviews.schema) == cum_jobs.REVIEW_SCHEMA
    time_3081 = time_reports.check(_time(), SAT).valid
    cum = cum_jobs.post_week(cum_jobs.empty_cum_jobs(), time_3081, result.reviews, SAT)
    assert cum.select("ssn", "volume", "reviewed", "errors").rows() == [(ADAMS, 900, 5, 1)]
