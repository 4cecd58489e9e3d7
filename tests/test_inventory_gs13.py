"""Part 2 of run INV-10-02 on the worked example (spec 8.2): queue screening 60-68, CAG
grading 80-86, GS-13 support 90 and the GS-13 Casework Analysis, the month-end report."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from golden_files import assert_golden

from layouts.encode import deck, record
from pipelines.engine.inventory import calendar
from pipelines.engine.inventory.queue import years_after
from pipelines.engine.inventory.support import minimum_cases
from pipelines.operator.inventory_run import run_inventory
from tests.inventory_helpers import GOLDEN, RUN_DATE, WORKED, codes_of, evaluated
from validators import ro_params


@pytest.fixture(scope="module")
def worked():
    return evaluated()


def _keys(flags: pl.DataFrame, code: str) -> list[str]:
    return flags.filter(pl.col("code") == code)["key"].to_list()


def _figure(ev, table: int, measure: str, basis: str = "", column: str = "value"):
    hit = ev.analysis.filter((pl.col("table") == table) & (pl.col("measure") == measure)
                             & (pl.col("basis") == basis))
    return hit[column][0]


def test_queue_screening_allows_89_and_97_and_blocks_the_other_9(worked):
    q = worked.queue
    assert q.height == 11
    assert q.filter(pl.col("result") == "ALLOWED")["case_id"].to_list() == [
        "E000000089", "E000000097"]
    assert (q["result"] == "BLOCKED").sum() == 9
    relief = worked.queue_relief.row(0, named=True)
    assert (relief["holder"], relief["over_by"], relief["allowed"], relief["still_over"]) == (
        "35010103", 3, 2, 1)


def test_queue_codes_60_to_68_are_those_of_8_2(worked):
    expected = {"60": ["E000000036"], "61": ["E000000091"], "62": ["E000000092"],
                "63": ["E000000093"], "64": ["E000000090"], "65": ["E000000094"],
                "66": ["E000000095"], "67": ["E000000096"],
                "68": ["E000000090", "E000000098"]}
    assert {code: _keys(worked.flags, code) for code in expected} == expected


def test_csed_exactly_195_days_away_does_not_block_return_to_queue(worked):
    case97 = worked.queue.filter(pl.col("case_id") == "E000000097").row(0, named=True)
    assert (case97["days_to_csed"], case97["excl_d"], case97["result"]) == (
        195, False, "ALLOWED")
    case90 = worked.queue.filter(pl.col("case_id") == "E000000090").row(0, named=True)
    assert (case90["days_to_csed"], case90["excl_d"]) == (77, True)


def test_contact_exactly_180_days_ago_blocks_return_to_queue(worked):
    case98 = worked.queue.filter(pl.col("case_id") == "E000000098").row(0, named=True)
    assert (case98["days_since_contact"], case98["excl_h"], case98["result"]) == (
        180, True, "BLOCKED")
    assert "180 DAYS AGO" in worked.flags.filter(
        (pl.col("code") == "68") & (pl.col("key") == "E000000098"))["detail"][0]


def test_every_exclusion_found_is_reported_not_only_the_first(tmp_path):
    roster = record("ro_roster", ror_type="ROR", assignment="35010601", seid="OOOOO",
                    last_name="OVER", ro_grade="12", position_type="F", duty_status="A",
                    group_start="01052026")
    cases = [record("ro_case", cas_type="CAS", case_id=f"Q{n:09d}", holder="35010601",
                    case_grade="12", kind="B", assigned="01052026", csed="01012030",
                    last_contact="06022025", nftl="F") for n in range(51)]
    cases.append(record("ro_case", cas_type="CAS", case_id="Q999999999", holder="35010601",
                        case_grade="12", kind="B", assigned="01052026", trust_fund="T",
                        business="I", csed="06012026", ased="01012027", tf_determination="N",
                        last_contact="05012026", nftl="X", levy="Y", appeals="Y",
                        accelerated="Y", restricted="Y", proposed="Q"))
    path = tmp_path / "all.dat"
    path.write_text(deck([roster, *cases], campus="35", week_ending="05162026",
                         created="05182026"))
    ev = evaluated(path)
    assert [c for c, k in codes_of(ev.flags) if k == "Q999999999"] == [
        "61", "62", "63", "64", "65", "66", "67", "68"]
    assert "LEVY, APPEALS" in ev.flags.filter(pl.col("code") == "65")["detail"][0]
    row = ev.queue.row(0, named=True)
    assert all(row[f"excl_{x}"] for x in "abcdefgh") and not row["holder_not_over"]


def test_ased_anniversary_of_february_29_rolls_to_february_28():
    assert years_after(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)
    assert years_after(dt.date(2026, 5, 16), 1) == dt.date(2027, 5, 16)


def test_cag_codes_80_to_86_are_those_of_8_2(worked):
    expected = {"80": [46, 47], "81": [24], "82": list(range(46, 52)), "83": [9],
                "84": [84, 85, 86], "85": [87, 88], "86": [82, 83]}
    assert {c: _keys(worked.flags, c) for c in expected} == {
        c: [f"E{n:09d}" for n in ns] for c, ns in expected.items()}
    gs12 = worked.flags.filter(pl.col("code") == "86")["values"].to_list()
    assert [(v["days"], v["count"]) for v in gs12] == [(195, 714), (121, 248)]


def test_worked_example_flags_40_in_all_22_e_12_w_6_i_and_90_for_the_run(worked):
    flags = worked.flags
    assert flags.height == 40
    assert flags.group_by("severity").len().sort("severity").rows() == [
        ("E", 22), ("I", 6), ("W", 12)]
    assert _keys(flags, "90") == ["350101"]  # keyed by the analysis scope, the group


def test_table_1_and_2_figures_of_8_2(worked):
    t1 = [_figure(worked, 1, m) for m in ("gs13_ros", "with_no_cases", "active",
                                          "active_meeting_minimum", "pct_meeting")]
    assert t1 == [3, 1, 2, 1, 50.00]
    unadjusted = [_figure(worked, 2, m, "unadjusted") for m in (
        "held", "needed", "shortfall", "supported_unrounded", "supported", "roster",
        "not_supported")]
    assert unadjusted == [36, 60, 24, 1.80, 2, 3, 1]
    adjusted = [_figure(worked, 2, m, "adjusted") for m in (
        "needed", "shortfall", "supported", "roster", "not_supported")]
    assert adjusted == [40, 4, 2, 2.00, 0.00]
    net = [_figure(worked, 2, m, "net") for m in (
        "review_rate", "unwarranted_unrounded", "unwarranted", "held", "supported_unrounded",
        "supported", "not_supported")]
    assert net == [20.00, 7.20, 7, 29, 1.45, 2, 1]


def test_table_3_cag_grading_figures_of_8_2(worked):
    got = {m: (_figure(worked, 3, m), _figure(worked, 3, m, column="numerator"))
           for m in ("gs13_cases", "manually_graded", "undocumented_no_reason",
                     "fewer_with_reason", "reviewed", "not_warranted",
                     "undocumented_confirmed", "missing_subelement", "properly_documented",
                     "factor_1", "factor_2", "factor_3", "factor_4")}
    assert got == {
        "gs13_cases": (38, None), "manually_graded": (38, None),
        "undocumented_no_reason": (15.79, 6), "fewer_with_reason": (1, None),
        "reviewed": (10, None), "not_warranted": (20.00, 2),
        "undocumented_confirmed": (2, None), "missing_subelement": (1, None),
        "properly_documented": (32, None), "factor_1": (78.13, 25),
        "factor_2": (93.75, 30), "factor_3": (43.75, 14), "factor_4": (90.63, 29)}
    assert _figure(worked, 3, "undocumented_confirmed", column="denominator") == 4


def test_table_4_lower_graded_hands_figures_of_8_2(worked):
    got = [(_figure(worked, 4, m), _figure(worked, 4, m, column="numerator")) for m in (
        "lower_reviewed", "lower_three_or_more", "lower_exactly_two", "gs13_held_by_lower",
        "avg_days_since_regrade", "avg_days_since_first", "gs13_first_worked_lower",
        "avg_days_before_reassignment")]
    assert got == [(5, None), (60.00, 3), (40.00, 2), (2, None), (158.0, 316), (481.0, 962),
                   (83.33, 30), (600.0, 18000)]


def test_gs13_ros_supported_rounds_up_and_minimum_rounds_down_as_tigta_did():
    params = ro_params.load()
    assert minimum_cases(34, params) == 20  # 34 x 0.60 = 20.4: the fraction dropped
    # TIGTA's own figures: 1,765 / 20 = 88.25 -> 89; 1,549 / 20 = 77.45 -> 78
    import math
    assert [math.ceil(n / minimum_cases(34, params)) for n in (1765, 1603, 1757, 1549)] == [
        89, 81, 88, 78]


def test_forecast_record_gives_table_5_forecast_against_actual(tmp_path):
    text = WORKED.read_text().splitlines()
    fcs = record("gs13_forecast", fcs_type="FCS", scope="350101", period_end="06302026",
                 forecast_cases=40, forecast_ros=3, basis="GS-12 CASES X 0.25")
    lines = [*text[1:-1], fcs]
    path = tmp_path / "fcs.dat"
    path.write_text(deck(lines, campus="35", week_ending="05162026", created="05182026"))
    ev = evaluated(path)
    basis = "350101 06/30/2026"
    assert [_figure(ev, 5, m, basis) for m in (
        "forecast_cases", "actual_cases", "variance_cases", "forecast_ros",
        "actual_ros_supported", "variance_ros")] == [40, 36, -4, 3, 2, -1]


@pytest.fixture(scope="module")
def worked_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("gs13") / "data"
    return run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)


@pytest.mark.parametrize("name", ["queue-screen_05162026", "gs13-analysis_05162026"])
def test_part_2_printed_reports_match_golden(worked_run, name):
    assert_golden((worked_run.run_dir / f"{name}.txt").read_text(), GOLDEN / f"{name}.txt")
    assert (worked_run.run_dir / f"{name}.parquet").exists()


def test_queue_parquet_twin_has_one_row_per_proposal(worked_run):
    twin = pl.read_parquet(worked_run.run_dir / "queue-screen_05162026.parquet")
    assert twin.height == 11 and (twin["result"] == "ALLOWED").sum() == 2
    assert twin.filter(pl.col("case_id") == "E000000098")["excl_h"].to_list() == [True]


def test_worked_example_run_opens_34_register_entries(worked_run):
    assert (worked_run.opened, worked_run.carried) == (34, 0)
    assert "eom-inventory" not in worked_run.outputs  # 05/16 is not a month end


def _month_end_deck(tmp_path):
    text = WORKED.read_text().replace("HDR350516202605182026", "HDR350531202606012026", 1)
    path = tmp_path / "month-end.dat"
    path.write_text(text)
    return path


def test_trainees_are_left_out_of_group_and_month_end_totals(tmp_path):
    result = run_inventory([_month_end_deck(tmp_path)], tmp_path / "data",
                           calendar.WorkCalendar(), dt.date(2026, 6, 1))
    eom = pl.read_parquet(result.run_dir / "eom-inventory_05312026.parquet")
    group = eom.filter(pl.col("row_kind") == "group").row(0, named=True)
    # FOX (duty M, adjustment 100, no cases) is listed but not among the 4 active field ROs
    assert (group["ros"], group["covered"], group["trainees_excluded"],
            group["trainee_cases_excluded"], group["not_active_excluded"],
            group["not_active_cases_excluded"]) == (4, 183, 1, 12, 1, 0)
    assert "35010105" not in eom["assignment_number"].drop_nulls().to_list()
    ro = pl.read_parquet(result.run_dir / "ro-inventory_05312026.parquet")
    totals = ro.filter(pl.col("row_kind") == "group").row(0, named=True)
    assert (totals["active_ros"], totals["covered"], totals["trainee_cases"]) == (4, 183, 12)
    assert_golden(result.outputs["eom-inventory"].read_text(),
                  GOLDEN / "eom-inventory_05312026.txt")


def test_month_end_totals_leave_out_an_ro_on_detail_as_the_managers_report_does(tmp_path):
    """Review 17, F6: FOX on detail (duty D, no adjustment: range 34-50) holding 3 cases is
    NOT ACTIVE on the manager's report; the month-end totals count the same 4 active ROs and
    183 cases, not 5 / 186 with FOX 31 under range."""
    lines = WORKED.read_text().splitlines()[1:-1]
    fox = "ROR35010106FFFFFFOX                 FRED           13FD08022021"
    lines = [fox if line.startswith("ROR35010106") else line for line in lines]
    plain = next(line for line in lines if line.startswith("CASE000000060"))
    lines += [f"CASE00000020{n}35010106{plain[21:]}" for n in (1, 2, 3)]
    month_end = tmp_path / "month-end.dat"
    month_end.write_text(deck(lines, campus="35", week_ending="05312026", created="06012026"))
    result = run_inventory([month_end], tmp_path / "data", calendar.WorkCalendar(),
                           dt.date(2026, 6, 1))
    text = result.outputs["eom-inventory"].read_text()
    assert ("35010106 FOX F          13 F D 34-50      3             NOT ACTIVE"
            in text.splitlines())
    assert "GROUP 350101: ACTIVE FIELD ROS 4  INVENTORY 183  OVER 3  UNDER 3" in text
    assert "  EXCLUDED: TRAINEES 1, CASES 12  NOT ACTIVE 1, CASES 3" in text
    manager = result.outputs["ro-inventory"].read_text()
    assert "GROUP (ACTIVE FIELD ROS 4)  INVENTORY 183" in manager
    eom = pl.read_parquet(result.run_dir / "eom-inventory_05312026.parquet")
    fox_row = eom.filter(pl.col("assignment_number") == "35010106").row(0, named=True)
    assert (fox_row["status"], fox_row["covered"], fox_row["over"], fox_row["under"]) == (
        "NOT ACTIVE", 3, None, None)


def test_analysis_prints_earlier_quarter_end_runs_beside_the_current(tmp_path):
    data = tmp_path / "data"
    quarter = WORKED.read_text().replace("HDR350516202605182026", "HDR350331202604012026", 1)
    # at 03/31/2026 the cases assigned later are not yet there
    keep = [line for line in quarter.splitlines()[1:-1]
            if not line.startswith("CAS") or line[26:34][4:] + line[26:34][:4] <= "20260331"]
    first = tmp_path / "q1.dat"
    first.write_text(deck(keep, campus="35", week_ending="03312026", created="04012026"))
    run_inventory([first], data, calendar.WorkCalendar(), dt.date(2026, 4, 1))
    later = run_inventory([WORKED], data, calendar.WorkCalendar(), RUN_DATE)
    text = later.outputs["gs13-analysis"].read_text()
    assert "03/31/2026  05/16/2026" in text
    assert "EARLIER QUARTER END 03/31/2026 (UNADJUSTED)" in text


def _deck_with(tmp_path, changes: dict[str, dict[int, str]]):
    """The worked example with some case lines changed: {case id: {column: text}}."""
    lines = WORKED.read_text().splitlines()
    for i, line in enumerate(lines):
        for case_id, cols in changes.items():
            if line.startswith("CAS" + case_id):
                padded = list(line.ljust(132))
                for col, text in cols.items():
                    padded[col - 1:col - 1 + len(text)] = text
                lines[i] = "".join(padded).rstrip()
    path = tmp_path / "changed.dat"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_table_3_row_82_leaves_out_systemically_graded_cases_as_code_82_does(tmp_path):
    # case 50 (GS-13, nothing documented, no reason) graded systemically: no 82 for it
    ev = evaluated(_deck_with(tmp_path, {"E000000050": {96: "S"}}))
    assert _keys(ev.flags, "82") == [f"E{n:09d}" for n in (46, 47, 48, 49, 51)]
    assert (_figure(ev, 3, "undocumented_no_reason", column="numerator"),
            _figure(ev, 3, "undocumented_no_reason")) == (5, 13.16)  # 5 of 38
    assert _figure(ev, 3, "manually_graded") == 37


def test_table_4_row_84_counts_documented_unreviewed_cases_as_code_84_does(tmp_path):
    # GS-12 case 25, not reviewed, documents factors 1 2 4 (subelement A each): an 84
    ev = evaluated(_deck_with(tmp_path, {"E000000025": {107: "YY Y", 117: "A", 119: "A",
                                                        129: "A"}}))
    assert _keys(ev.flags, "84") == ["E000000025", "E000000084", "E000000085", "E000000086"]
    t4 = [(_figure(ev, 4, m, column="numerator"), _figure(ev, 4, m))
          for m in ("lower_three_or_more", "lower_exactly_two")]
    assert t4 == [(4, 66.67), (2, 33.33)]
    assert (_figure(ev, 4, "lower_reviewed"), _figure(ev, 4, "lower_documented_only")) == (5, 1)
