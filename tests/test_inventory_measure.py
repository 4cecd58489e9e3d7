"""The measure step and rules 20-41 on the worked example of shared/spec/inventory.md 8.1,
against the figures of 8.2 (per roster entry, group, flags)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from layouts.encode import record
from pipelines.engine.inventory.calendar import WorkCalendar
from pipelines.engine.inventory.measure import _Daily, spell_start
from pipelines.engine.inventory.rounding import pct, scaled
from tests.inventory_helpers import HOLIDAY, codes_of, evaluated, ro

A, B, C, D, E, F, HOLD = (f"3501010{n}" for n in (1, 2, 3, 4, 5, 6, 0))

# 8.2 "Per roster entry": covered, other, G13, G12, G11, G09, % GS-13, range, new / exempt,
# status, codes
EXPECTED = {
    A: (44, 1, 24, 12, 8, 0, 54.55, (34, 50), (0, 0), "IN RANGE", ["24"]),
    B: (36, 0, 12, 20, 4, 0, 33.33, (34, 50), (0, 0), "IN RANGE", ["22", "25", "26"]),
    C: (53, 0, 2, 41, 10, 0, 3.77, (34, 50), (0, 0), "OVER", ["20", "21"]),
    D: (50, 0, 0, 0, 30, 20, 0.00, (53, 79), (7, 1), "UNDER", ["23", "40"]),
    E: (12, 0, 0, 0, 0, 12, None, (None, None), (8, 8), "NO STD RANGE", ["27", "28", "41"]),
    F: (0, 0, 0, 0, 0, 0, None, (0, 0), (0, 0), "NOT ACTIVE", []),
}


@pytest.fixture(scope="module")
def worked():
    return evaluated()


@pytest.mark.parametrize("assignment", list(EXPECTED))
def test_worked_example_roster_entry_matches_spec_8_2(worked, assignment):
    measured = worked.measured
    row = ro(measured, assignment)
    got = (row["covered"], row["other"], row["cases_gs13"], row["cases_gs12"],
           row["cases_gs11"], row["cases_gs09"], row["pct_gs13"],
           (row["range_min"], row["range_max"]), (row["new_in_week"], row["new_exempt"]),
           row["status"], row["codes"])
    assert got == EXPECTED[assignment]


def test_over_range_ro_c_is_over_by_3_since_04_27_for_15_work_days_deadline_05_11(worked):
    c = ro(worked[0], C)
    assert (c["over_by"], c["spell_start"], c["work_days_over"], c["deadline"]) == (
        3, dt.date(2026, 4, 27), 15, dt.date(2026, 5, 11))


def test_hold_file_holds_2_cases_and_case_197_is_31_at_57_days(worked):
    measured, flags = worked.measured, worked.flags
    assert ro(measured, HOLD)["held"] == 2
    hold = flags.filter(pl.col("code") == "31").row(0, named=True)
    assert (hold["case_id"], hold["values"]["days"]) == ("E000000197", 57)
    assert ro(measured, HOLD)["codes"] == ["31"]


def test_group_totals_count_active_field_ros_only_and_leave_trainees_out(worked):
    totals, flags = worked.totals, worked.flags
    g = totals.row(0, named=True)
    assert (g["group"], g["active_ros"], g["covered"], g["range_min"], g["range_max"],
            g["headroom"], g["cases_gs13"], g["trainee_cases"], g["hold_cases"]) == (
        "350101", 4, 183, 155, 229, 46, 38, 12, 2)
    assert "30" not in flags["code"].to_list()


def test_worked_example_flags_of_codes_20_to_41_are_exactly_those_of_8_2(worked):
    part_1 = worked[2].filter(pl.col("code") < "60")
    assert codes_of(part_1) == [
        ("20", C), ("21", C), ("22", B), ("23", D), ("24", A), ("25", B), ("26", B),
        ("27", E), ("28", E), ("31", "E000000197"), ("40", D), ("41", E)]
    severities = part_1.group_by("severity").len().sort("severity").rows()
    assert severities == [("E", 3), ("I", 1), ("W", 8)]


def test_gs13_share_of_33_percent_is_25_and_12_gs13_cases_is_26(worked):
    flags = worked[2].filter(pl.col("key") == B)
    by_code = {f["code"]: f["values"] for f in flags.iter_rows(named=True)}
    assert by_code["25"]["pct"] == 33.33 and by_code["25"]["count"] == 12
    assert (by_code["26"]["count"], by_code["26"]["limit"]) == (12, 20)


def test_worked_example_d_has_7_new_assignments_6_not_exempt_and_is_40(worked):
    flags = worked[2].filter(pl.col("code") == "40").row(0, named=True)
    assert (flags["key"], flags["values"]["count"]) == (D, 7)
    assert "6 NOT EXEMPT" in flags["detail"]


def test_percentages_round_half_up_in_decimal():
    assert str(pct(25, 32)) == "78.13"  # 78.125: Python's round would give 78.12
    assert str(pct(29, 32)) == "90.63"
    assert pct(1, 0) is None


def test_adjusted_range_bounds_scale_and_round_half_up():
    assert (scaled(34, 100), scaled(50, 100)) == (0, 0)
    assert (scaled(34, 25), scaled(50, 25)) == (26, 38)  # 25.5 -> 26, 37.5 -> 38
    assert scaled(53, 50) == 27  # 26.5 -> 27


def test_over_range_spell_starts_the_day_the_rebuilt_count_first_exceeds_the_maximum():
    monday = dt.date(2026, 4, 27)
    daily = _Daily([dt.date(2026, 1, 5)] * 50 + [monday, dt.date(2026, 5, 4)],
                   [None] * 49 + [dt.date(2026, 5, 1), None, None])
    # 51 from 04/27, back to 50 on 05/01 (a case left), 51 again from 05/04: the last spell
    assert spell_start(daily, 50, dt.date(2026, 5, 16), None) == dt.date(2026, 5, 4)


def test_a_later_run_carries_the_spell_start_when_every_day_it_can_see_is_over():
    daily = _Daily([dt.date(2026, 1, 5)] * 53, [None] * 53)
    previous = {"as_of": dt.date(2026, 5, 9), "spell_start": dt.date(2026, 4, 27)}
    assert spell_start(daily, 50, dt.date(2026, 5, 16), previous) == dt.date(2026, 4, 27)
    in_range_before = {"as_of": dt.date(2026, 5, 9), "spell_start": None}
    assert spell_start(daily, 50, dt.date(2026, 5, 16), in_range_before) == dt.date(2026, 5, 10)


def test_holiday_in_work_calendar_moves_the_ten_work_day_deadline():
    memorial_day = WorkCalendar(frozenset({dt.date(2026, 5, 25)}), assumed=False)
    for calendar, deadline in ((WorkCalendar(), dt.date(2026, 5, 28)),
                               (memorial_day, dt.date(2026, 5, 29))):
        ev = evaluated(HOLIDAY, calendar=calendar)
        measured, flags = ev.measured, ev.flags
        gray = ro(measured, "35010201")
        assert (gray["spell_start"], gray["work_days_over"], gray["deadline"]) == (
            dt.date(2026, 5, 14), 2, deadline)
        assert codes_of(flags) == [("20", "35010201"), ("30", "350102")]
        assert f"DUE {deadline:%m/%d/%Y}" in flags["detail"][0]


def test_ro_over_range_past_ten_work_days_without_written_relief_is_21(worked):
    assert ("21", C) in codes_of(worked[2])
    detail = worked[2].filter(pl.col("code") == "21")["detail"][0]
    assert detail.startswith("OVER RANGE PAST 05/11/2026")


def _one_ro(relief: str | None, notice: str | None, cases: int, tmp_path):
    """A deck of one GS-12 (34-50) holding `cases` cases since 01/05/2026."""
    from layouts.encode import deck

    lines = [record("ro_roster", ror_type="ROR", assignment="35010401", seid="ZZZZZ",
                    last_name="ZED", first_name="ZOE", ro_grade="12", position_type="F",
                    duty_status="A", group_start="01052026", relief_date=relief,
                    notice_date=notice)]
    lines += [record("ro_case", cas_type="CAS", case_id=f"Z{n:09d}", holder="35010401",
                     case_grade="12", kind="B", assigned="01052026") for n in range(cases)]
    path = tmp_path / "one.dat"
    path.write_text(deck(lines, campus="35", week_ending="05162026", created="05182026"))
    return [code for code, key in codes_of(evaluated(path)[2]) if key == "35010401"]


def test_relief_letter_dated_on_or_after_the_spell_start_stops_21(tmp_path):
    # over since 01/05/2026; a relief letter of 01/20/2026 is on file: 20 only
    assert _one_ro("01202026", None, 51, tmp_path) == ["20"]
    # a letter from before the spell does not count
    assert _one_ro("01022026", None, 51, tmp_path) == ["20", "21"]


def test_relief_letter_with_inventory_back_in_range_and_no_notice_is_22(tmp_path):
    assert _one_ro("01202026", None, 40, tmp_path) == ["22"]
    assert _one_ro("01202026", "05012026", 40, tmp_path) == []
    # a notice from before the letter does not answer it
    assert _one_ro("01202026", "01102026", 40, tmp_path) == ["22"]


def _week_deck(tmp_path, reasons: dict[int, str], group_start: str = "01052026"):
    """One GS-11 with 50 old cases and 6 assigned this week (05/11-05/15/2026); case 1 of the
    week was reassigned away on 05/14 (left, why R)."""
    from layouts.encode import deck

    lines = [record("ro_roster", ror_type="ROR", assignment="35010701", seid="WWWWW",
                    last_name="WEEK", ro_grade="11", position_type="F", duty_status="A",
                    group_start=group_start)]
    lines += [record("ro_case", cas_type="CAS", case_id=f"W{n:09d}", holder="35010701",
                     case_grade="11", kind="B", assigned="01052026") for n in range(50)]
    lines += [record("ro_case", cas_type="CAS", case_id=f"N{n:09d}", holder="35010701",
                     case_grade="11", kind="B", assigned=f"05{11 + n % 5:02d}2026",
                     case_reason=reasons.get(n),
                     left_date="05142026" if n == 1 else None,
                     left_why="R" if n == 1 else None) for n in range(1, 7)]
    path = tmp_path / "week.dat"
    path.write_text(deck(lines, campus="35", week_ending="05162026", created="05182026"))
    return evaluated(path)


def test_reassignments_count_as_new_assignments_and_exempt_ones_do_not_trip_40(tmp_path):
    ev = _week_deck(tmp_path, {})
    row = ro(ev.measured, "35010701")
    assert (row["new_in_week"], row["new_exempt"], row["covered"]) == (6, 0, 55)
    assert [c for c, k in codes_of(ev.flags) if k == "35010701"] == ["40"]
    # one listed reason on a case: 5 not exempt, no 40; more than 5 in all is printed (41)
    ev = _week_deck(tmp_path, {3: "4"})
    assert [c for c, k in codes_of(ev.flags) if k == "35010701"] == ["41"]
    # a group start in the previous work week implies reason 1 for every case of the week
    ev = _week_deck(tmp_path, {}, group_start="05062026")
    assert (ro(ev.measured, "35010701")["new_exempt"]) == 6
    assert [c for c, k in codes_of(ev.flags) if k == "35010701"] == ["41"]
