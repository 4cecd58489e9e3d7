"""Sample selection on the fixture week (fixtures/sampling/make_fixtures.py says what each
record is for): codes on exact records with their near misses, the spread, conservation, the
printed reports against golden files, replay from the log."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import polars as pl
import pytest
from golden_files import assert_golden

from fixtures.sampling import make_fixtures as fx
from layouts.encode import deck
from pipelines.engine.sampling import inputs, replay
from pipelines.engine.sampling.selection import run_select
from pipelines.reports.sampling_outputs import write_all
from pipelines.state.store import Store

GOLDEN = Path(__file__).parent / "golden" / "sampling"
RUN_DATE = dt.date(2026, 1, 17)
WEEK = dt.date(2026, 1, 17)


@pytest.fixture(scope="module")
def reference():
    return inputs.load_reference(fx.REFERENCE)


@pytest.fixture(scope="module")
def week(tmp_path_factory, reference):
    data = tmp_path_factory.mktemp("sampling") / "data"
    result = run_select(sorted(fx.WEEK_DIR.glob("*.dat")), data, reference, write_all,
                        RUN_DATE)
    return data, result


def _register(data: Path) -> dict[tuple[str, int], list[str]]:
    reg = Store(data).read("error_register").filter(pl.col("run") == "SAMPLING")
    return {(r["deck"], r["line_no"]): r["error_codes"] for r in reg.iter_rows(named=True)}


def test_each_bad_request_is_on_the_register_with_its_code_and_the_good_ones_are_not(week):
    data, _ = week
    reg = _register(data)
    requests = {line: codes for (d, line), codes in reg.items() if d == "01-requests.dat"}
    assert requests == {6: ["S01"], 7: ["S04"], 8: ["S08"], 9: ["S09"], 10: ["S10"],
                        11: ["S02"], 12: ["S06"], 13: ["S07"], 14: ["S11"], 15: ["S22"]}


def test_each_bad_batch_is_on_the_register_with_its_code(week):
    data, _ = week
    batches = {line: codes for (d, line), codes in _register(data).items()
               if d == "02-batches.dat"}
    assert batches == {21: ["S05"], 22: ["S05"], 23: ["S12"], 24: ["S03"], 25: ["S13"],
                       26: ["S06"], 27: ["S07"], 28: ["S02"]}


def test_an_approved_mid_quarter_change_is_taken_and_an_unapproved_one_is_s22(week):
    data, _ = week
    history = Store(data).read("sample_requests")
    brown = history.filter(pl.col("ssn") == "234567891").sort("line_no")
    assert brown["weekly_sample"].to_list() == [5, 6]  # line 16 (Y) is in force this week
    adams = history.filter(pl.col("ssn") == "123456789")
    assert adams["weekly_sample"].to_list() == [6]  # line 15 (N) is not


def test_findings_name_their_record_and_say_why(week):
    _, result = week
    found = result.findings.select("code", "deck", "line_no", "reason").rows()
    assert found == [
        ("S20", "01-requests.dat", 5, "no batch of the QPC's OFPs this week"),
        ("S21", "02-batches.dat", 4, "QPC 104 has no sample request for the employee"),
        ("S23", "01-requests.dat", 4, "the weekly sample of 3 is under four"),
        ("S23", "01-requests.dat", 16,
         "work completed on 3 day(s) of the week (01/12 01/14 01/16)"),
    ]


def test_weekly_sample_is_spread_over_at_least_four_days_when_the_work_allows(week):
    _, result = week
    adams = result.pulls.filter((pl.col("ssn") == "123456789") & (pl.col("kind") == "IR"))
    assert adams["pulled"].sum() == 6
    assert adams["pull_date"].n_unique() == 5
    assert adams["pulled"].to_list() == [2, 1, 1, 1, 1]
    times = adams.sort("pull_date")["suggested_time"].to_list()
    assert all(a != b for a, b in itertools.pairwise(times))


def test_work_on_three_days_is_pulled_whole_over_those_days(week):
    _, result = week
    brown = result.pulls.filter(pl.col("ssn") == "234567891").sort("pull_date")
    assert brown.select("pull_date", "pulled").rows() == [
        (dt.date(2026, 1, 12), 2), (dt.date(2026, 1, 14), 2), (dt.date(2026, 1, 16), 2)]


def test_only_batches_of_the_requested_qpc_are_pulled(week):
    _, result = week
    items = result.items.filter(pl.col("kind") == "IR")
    assert set(items["batch_id"]) - {"A-MON-1", "A-TUE-1", "A-WED-1", "A-WED-2", "A-THU-1",
                                     "A-FRI-1", "B-MON-1", "B-WED-1", "B-FRI-1", "E-MON-1",
                                     "E-TUE-1", "E-WED-1", "E-THU-1"} == set()
    assert "A-TUE-2" not in set(result.items["batch_id"])  # QPC 104: no request


def test_hqw_ofp_gets_its_share_of_230_in_four_or_more_pulls_from_the_three_digit_table(week):
    _, result = week
    hqw = result.pulls.filter(pl.col("kind") == "HQW")
    assert hqw["weekly_sample"].unique().to_list() == [39]  # 230 over weeks 3-8: ceil(230/6)
    assert hqw["pulled"].to_list() == [8, 8, 8, 8, 7]
    assert set(hqw["table"]) == {"3-DIGIT"}
    row = result.week_rows.filter(pl.col("kind") == "HQW").row(0, named=True)
    assert (row["quarter_pulled"], row["hqw_target"], row["short"]) == (39, 230, 0)


def test_conservation_records_in_equal_used_plus_register(week):
    _, result = week
    assert [(d.records, d.posted, d.rejected) for d in result.decks] == [(15, 5, 10),
                                                                        (27, 19, 8)]
    assert result.condition_code == 4


def test_the_week_replays_from_the_log_and_the_key(week, reference):
    data, _ = week
    log = Store(data).read("sampling_log")
    assert log.height == 16
    assert replay.replay(log, reference.key) == []
    assert replay.replay(log, "another key") != []
    tampered = log.with_columns(pl.when(pl.col("pull_no") == 5).then(pl.lit([1]))
                                .otherwise("drawn").alias("drawn"))
    assert [f.split(":")[0] for f in replay.replay(tampered, reference.key)] == [
        "week ending 01/17/2026 pull 5"]


@pytest.mark.parametrize("name", ["pull-list", "sampling-log", "sampling-week",
                                  "sampling-findings"])
def test_printed_reports_match_golden(week, name):
    _, result = week
    assert_golden(result.outputs[name].read_text(), GOLDEN / f"{name}.txt")


def test_each_sampling_report_prints_its_own_report_number(week):
    """Review 17, F7: the week summary and the findings both printed SMP-03."""
    _, result = week
    numbers = {name: result.outputs[name].read_text().split(None, 1)[0]
               for name in ("pull-list", "sampling-log", "sampling-week", "sampling-findings")}
    assert numbers == {"pull-list": "SMP-01", "sampling-log": "SMP-02",
                       "sampling-week": "SMP-03", "sampling-findings": "SMP-04"}


def test_parquet_twins_are_owner_only(week):
    _, result = week
    for name in ("pull-list", "sampling-log", "sampling-week", "sampling-findings"):
        assert (result.run_dir / f"{name}.parquet").stat().st_mode & 0o777 == 0o600


def _day_decks(folder: Path) -> list[Path]:
    """The fixture week's good batches as one deck per day (a daily run each)."""
    good = fx.batches()[:19]
    paths = []
    for n, (day, date) in enumerate(fx.DAYS.items(), start=1):
        mine = [r for r in good if r[12:20] == date]
        path = folder / f"batches-{day}.dat"
        path.write_text(deck(mine, week_ending=fx.WEEK, created=date, sequence=n))
        paths.append(path)
    return paths


def test_daily_runs_resume_where_the_day_before_stopped(tmp_path, reference):
    data = tmp_path / "data"
    run_select([fx.WEEK_DIR / "01-requests.dat"], data, reference, write_all, RUN_DATE)
    for day, date in zip(_day_decks(tmp_path), fx.DAYS.values(), strict=True):
        # each day's run on that day: the later days of the week may still bring work
        run_select([day], data, reference, write_all, dt.datetime.strptime(date, "%m%d%Y").date())
    log = Store(data).read("sampling_log").sort("pull_no")
    assert log["pull_date"].n_unique() == 5
    assert replay.replay(log, reference.key) == []
    two = log.filter(pl.col("table") == "2-DIGIT")
    starts = list(zip(two["start_row"], two["start_column"], strict=True))
    stops = list(zip(two["stop_row"], two["stop_column"], strict=True))
    assert starts[1:] == stops[:-1]


def test_a_request_that_grows_after_a_short_week_is_s24_and_one_without_shortfall_is_not(
        tmp_path, reference):
    data = tmp_path / "data"
    first = [fx.request("123456789", "ADAMS ANN", "101", "05", "410", "44210", "0006"),
             fx.request("567891234", "EVANS EVE", "101", "05", "410", "44220", "0004")]
    short_week = [fx.batch("123456789", "01052026", "8112041044210", "05", "W2-1", "00002"),
                  *[fx.batch("567891234", d, "8112041044220", "05", f"E{d}", "00030")
                    for d in ("01052026", "01062026", "01072026", "01082026")]]
    (tmp_path / "r1.dat").write_text(deck(first, week_ending="01102026", created="01032026"))
    (tmp_path / "b1.dat").write_text(deck(short_week, week_ending="01102026",
                                          created="01102026", sequence=2))
    run_select([tmp_path / "r1.dat", tmp_path / "b1.dat"], data, reference, write_all,
               dt.date(2026, 1, 10))
    grow = [fx.request("123456789", "ADAMS ANN", "101", "05", "410", "44210", "0008",
                       week=fx.WEEK, approved="Y"),
            fx.request("567891234", "EVANS EVE", "101", "05", "410", "44220", "0006",
                       week=fx.WEEK, approved="Y")]
    (tmp_path / "r2.dat").write_text(deck(grow, week_ending=fx.WEEK, created="01102026"))
    run_select([tmp_path / "r2.dat"], data, reference, write_all, RUN_DATE)
    reg = _register(data)
    assert reg == {("r2.dat", 2): ["S24"]}
    in_force = Store(data).read("sample_requests").filter(pl.col("ssn") == "567891234")
    assert in_force["weekly_sample"].to_list() == [4, 6]


def test_an_ebcdic_batch_deck_selects_the_same_pulls_as_its_text(tmp_path, reference, week):
    _, text_result = week
    records = (fx.WEEK_DIR / "02-batches.dat").read_text().splitlines()
    ebcdic = tmp_path / "02-batches.ebc"
    ebcdic.write_bytes(b"".join(r.ljust(132).encode("cp037") for r in records))
    result = run_select([fx.WEEK_DIR / "01-requests.dat", ebcdic], tmp_path / "data",
                        reference, write_all, RUN_DATE)
    assert result.pulls.drop("run_id").equals(text_result.pulls.drop("run_id"))


def _hqw_week(tmp_path: Path, reference, days: list[str], run_date: dt.date = RUN_DATE
              ) -> pl.DataFrame:
    batches = [fx.batch("345678912", day, "8114041044300", "04", f"H-{day}", "00040")
               for day in days]
    path = tmp_path / f"hqw-{len(days)}.dat"
    path.write_text(deck(batches, week_ending=fx.WEEK, created="01172026"))
    return run_select([path], tmp_path / f"data-{len(days)}-{run_date:%d}", reference,
                      write_all, run_date).findings


def test_hqw_ofp_worked_on_three_days_is_s25_and_on_four_days_is_not(tmp_path, reference):
    three = _hqw_week(tmp_path, reference, ["MON", "WED", "FRI"])
    assert three.select("code", "ofp", "reason").rows() == [
        ("S25", "8114041044300", "work completed on 3 day(s) of the week (01/12 01/14 01/16)")]
    assert _hqw_week(tmp_path, reference, ["MON", "TUE", "WED", "FRI"]).height == 0


def test_fewer_than_four_pulls_is_said_only_once_it_is_certain(tmp_path, reference):
    # Monday to Wednesday, run on the Wednesday: Thursday and Friday may still bring work
    assert _hqw_week(tmp_path, reference, ["MON", "TUE", "WED"], dt.date(2026, 1, 14)
                     ).height == 0
    # the same work run on the Saturday: no day is left, three pulls are all there can be
    assert _hqw_week(tmp_path, reference, ["MON", "TUE", "WED"]).select("code").rows() == [
        ("S25",)]


def _reordered(deck_file: Path, out: Path) -> Path:
    """`deck_file`'s records in reverse order under a new HDR (its sequence number + 1)."""
    hdr, *records, trl = deck_file.read_text().splitlines()
    out.write_text("\n".join([hdr[:27] + f"{int(hdr[27:30]) + 1:03d}", *records[::-1], trl])
                   + "\n")
    return out


def test_the_same_records_in_another_order_under_a_new_hdr_are_a_duplicate(week, reference,
                                                                            tmp_path):
    data = tmp_path / "data"
    shutil.copytree(week[0], data, symlinks=True)
    register = Store(data).read("error_register")
    again = _reordered(fx.WEEK_DIR / "02-batches.dat", tmp_path / "reordered.dat")
    result = run_select([again], data, reference, write_all, RUN_DATE)
    assert [(d.status, d.reason) for d in result.decks] == [(
        "duplicate", f"{again}: duplicate deck: the same records in another order were "
        f"already accepted by run {week[1].run_id} (02-batches.dat); nothing of it is used "
        "again")]
    assert result.condition_code == 8 and result.pulls.height == 0
    assert Store(data).read("error_register").equals(register)  # nothing opened twice


def test_a_deck_under_an_hdr_already_taken_is_a_duplicate(week, reference, tmp_path):
    """Review 13, R13-1: an HDR names one transmission, as in `qap run`: a deck under it with
    one record added is a second sending, and nothing of it is used."""
    data = tmp_path / "data"
    shutil.copytree(week[0], data, symlinks=True)
    hdr, *records, _trl = (fx.WEEK_DIR / "02-batches.dat").read_text().splitlines()
    added = tmp_path / "added.dat"
    added.write_text("\n".join([hdr, *records, records[0].replace("A-MON-1", "A-MON-9"),
                                f"TRL{len(records) + 1:07d}"]) + "\n")
    result = run_select([added], data, reference, write_all, RUN_DATE)
    assert [(d.status, d.reason) for d in result.decks] == [(
        "duplicate", f"{added}: duplicate deck: its HDR (campus, week ending, creation date "
        "and time, sequence: SC 01172026 01172026060000 002) was already accepted by run "
        f"{week[1].run_id} (02-batches.dat); nothing of it is used again")]
    assert result.condition_code == 8 and result.pulls.height == 0


def test_a_deck_sent_twice_is_a_duplicate_and_nothing_of_it_is_used_again(week, reference):
    data, _ = week
    again = run_select([fx.WEEK_DIR / "02-batches.dat"], data, reference, write_all, RUN_DATE)
    assert [d.status for d in again.decks] == ["duplicate"]
    assert again.condition_code == 8 and again.pulls.height == 0
    assert Store(data).read("sampling_log").height == 16


def test_every_sampling_code_of_the_table_is_emitted_by_a_check():
    import inspect

    from pipelines.engine.sampling import selection
    from pipelines.engine.sampling import week as week_module
    from validators import sampling as checks
    from validators.codes import CODES, RUN_SAMPLING

    source = "".join(inspect.getsource(m) for m in (checks, week_module, selection))
    table = {code for run, code in CODES if run == RUN_SAMPLING}
    assert {code for code in table if f'"{code}"' not in source} == set()


def test_hqw_share_counts_only_earlier_weeks_of_the_same_quarter(tmp_path, reference):
    from pipelines.engine.sampling import plan

    assert plan.quarter_week(dt.date(2026, 1, 3)) == 1  # holds January 1
    assert plan.quarter_week(dt.date(2026, 2, 28)) == 9
    assert plan.hqw_week_target(dt.date(2026, 1, 17), 0) == 39
    assert plan.hqw_week_target(dt.date(2026, 2, 21), 200) == 30  # week 8: the rest
    assert plan.hqw_week_target(dt.date(2026, 2, 28), 0) == 0  # after the eighth week
    weeks = pl.DataFrame({"w": [dt.date(2025, 12, 27), dt.date(2026, 1, 3),
                                dt.date(2026, 1, 10), dt.date(2026, 1, 17)]})
    assert weeks.filter(plan.earlier_in_quarter("w", dt.date(2026, 1, 17)))["w"].to_list() == [
        dt.date(2026, 1, 3), dt.date(2026, 1, 10)]


def test_a_corrections_run_closes_the_entries_of_the_records_it_resends(tmp_path, reference):
    data = tmp_path / "data"
    run_select(sorted(fx.WEEK_DIR.glob("*.dat")), data, reference, write_all, RUN_DATE)
    fixed = [fx.batch("123456789", "MON", "8112041044210", "05", "A-BAD-1", "00010"),  # S05
             fx.request("123456789", "ADAMS ANN", "102", "05", "420", "11220", "00A4"),  # S04
             fx.batch("123456789", "MON", "8112041044210", "05", "A-NEW-1", "00010")]
    (tmp_path / "fix.dat").write_text(deck(fixed, week_ending=fx.WEEK, created="01182026",
                                           sequence=7))
    result = run_select([tmp_path / "fix.dat"], data, reference, write_all, RUN_DATE,
                        corrections=True)
    assert (result.corrected, result.resubmitted) == (1, 1)
    reg = Store(data).read("error_register").filter(pl.col("run") == "SAMPLING")
    status = {(r["deck"], r["line_no"]): r["status"] for r in reg.iter_rows(named=True)}
    assert status[("02-batches.dat", 21)] == "corrected"
    assert status[("01-requests.dat", 7)] == "resubmitted"
    assert status[("fix.dat", 3)] == "open"  # today's entry for the request still wrong
    assert status[("02-batches.dat", 22)] == "open"  # A-BAD-2 was not resent
    assert sum(s == "open" for s in status.values()) == 18 - 2 + 1


def test_a_work_group_beyond_the_largest_table_rejects_its_batches_and_the_week_goes_on(
        tmp_path, reference):
    """Review 14, F3: two batches of one employee, day and QPC of 60,000 and 50,000 items (each
    a valid count) make a work group that no table numbers; the run ended in 16 with a
    ValueError. Now both are S14 on the register and the other employee's work is pulled."""
    batches = [fx.batch("123456789", "01122026", "8112041044210", "05", "BIG-1", "60000"),
               fx.batch("123456789", "01122026", "8112041044210", "05", "BIG-2", "50000"),
               fx.batch("567891234", "01122026", "8112041044220", "05", "E-1", "00030")]
    (tmp_path / "big.dat").write_text(deck(batches, week_ending=fx.WEEK, created=fx.WEEK,
                                           sequence=7))
    data = tmp_path / "data"
    result = run_select([fx.WEEK_DIR / "01-requests.dat", tmp_path / "big.dat"], data,
                        reference, write_all, RUN_DATE)
    reg = Store(data).read("error_register").filter(pl.col("deck") == "big.dat")
    assert reg.select("line_no", "error_codes").rows() == [(2, ["S14"]), (3, ["S14"])]
    assert reg["sub_reason"].to_list() == [
        "items (columns 46-50) is '60000'; expected a count that keeps the "
        "day's work group (the employee's batches of the day and QPC, or a High Quality Work "
        "OFP's) within 100,000 items, the largest random-number table's reach",
        "items (columns 46-50) is '50000'; expected a count that keeps the "
        "day's work group (the employee's batches of the day and QPC, or a High Quality Work "
        "OFP's) within 100,000 items, the largest random-number table's reach"]
    assert result.condition_code == 4
    pulled = Store(data).read("sampling_log").filter(pl.col("pull_date") == dt.date(2026, 1, 12))
    assert pulled["ssn"].to_list() == ["567891234"] and pulled["pulled"].item() > 0
    assert result.records_in == result.posted + result.rejected
