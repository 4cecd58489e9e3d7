"""The operator's loop: open register, corrections deck, reprocess, withdraw, rollback, locks."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from pathlib import Path

import polars as pl
import pytest

from layouts.encode import deck, record
from pipelines.engine.machinery import register
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator.runs import run_week
from pipelines.reports import summary
from pipelines.state.store import Store, StoreBusy, StoreError

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE = load_reference(FIXTURES / "reference")
WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))


@pytest.fixture()
def posted_week(tmp_path):
    data = tmp_path / "data"
    run_week([FIXTURES / "national" / "national-defect-list.dat"], data, REFERENCE,
             dt.date(2026, 11, 10))
    week = run_week(WEEK, data, REFERENCE, dt.date(2026, 11, 17))
    return data, week


def _open(data: Path) -> pl.DataFrame:
    return register.open_entries(Store(data).read("error_register"), dt.date(2026, 11, 24))


def test_every_rejected_record_is_open_on_the_register_with_its_age(posted_week):
    data, week = posted_week
    entries = _open(data)
    assert entries.height == week.rejected == 84
    assert set(entries["age_days"].to_list()) == {7}
    assert (week.run_dir / "open-register.txt").read_text().count("PCE-03-41") >= 58


def test_corrections_deck_carries_each_rejected_line_with_its_header(posted_week, tmp_path):
    data, _ = posted_week
    out = tmp_path / "fix.dat"
    [written] = register.corrections_deck(data, out, dt.datetime(2026, 11, 18, 9, 30))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("HDRCR") and lines[-1] == f"TRL{written.records:07d}"
    review_header = next(t for t in lines if t.startswith("59702222A0102" + "01"))
    assert lines.index(review_header) < lines.index(next(
        t for t in lines if t.startswith("59702222A010202")))


def test_reprocess_posts_the_corrected_record_and_closes_only_its_entry(posted_week, tmp_path):
    data, _ = posted_week
    header = record("prefix+form3926_header", program_number="59702", format_code="222",
                    block="A01", serial="02", section="01", week_ending="11142026",
                    defect_list="000", org_code="81120", function_code="410",
                    program_code="44210")
    fixed = record("prefix+form3926_line", program_number="59702", format_code="222",
                   block="A01", serial="02", section="02", ssn="234567891", sampled=12)
    fix = tmp_path / "fix.dat"
    fix.write_text(deck([header, fixed], campus="CR", sequence=9))
    before = _open(data).height
    result = run_week([fix], data, REFERENCE, dt.date(2026, 11, 19), reprocess=True)
    assert result.posted == 2 and result.rejected == 0 and result.corrected == 2
    reg = Store(data).read("error_register")
    closed = reg.filter(pl.col("status") == "corrected")
    assert sorted(closed["line_no"].to_list()) == [8, 9]  # the line and its context header
    assert set(closed["closed_by"].to_list()) == {result.run_id}
    assert _open(data).height == before - 2
    printed = result.outputs["posting-3926"].read_text().split("\n")[1]
    assert printed.startswith(f"RUN DATE 11/19/2026  RUN ID {result.run_id} REPROCESS ")


def test_withdraw_closes_one_entry_with_its_reason(posted_week):
    data, _ = posted_week
    deck_name = "02-reviews-adjustments-standards.dat"
    register.withdraw(data, deck_name, 12, "code 777 was a typing slip; form re-sent",
                      dt.date(2026, 11, 18))
    row = Store(data).read("error_register").filter(
        (pl.col("deck") == deck_name) & (pl.col("line_no") == 12)).row(0, named=True)
    assert row["status"] == "withdrawn" and row["reason"].startswith("code 777")
    with pytest.raises(StoreError, match="no open register entry"):
        register.withdraw(data, deck_name, 12, "again", dt.date(2026, 11, 18))


def test_rollback_before_a_run_restores_the_state_and_the_next_run_proceeds(posted_week):
    data, week = posted_week
    store = Store(data)
    store.rollback_before(week.run_id)
    assert store.read("error_register").height == 0
    assert store.read("defect_codes").height == 46  # 48 records: 2 headers, 46 codes
    again = run_week(WEEK, data, REFERENCE, dt.date(2026, 11, 17))
    assert [d.status for d in again.decks] == ["accepted", "accepted", "refused", "accepted",
                                               "accepted"]
    assert again.rejected == week.rejected


def _hold_lock(data: str, seconds: float, ready) -> None:
    with Store(Path(data)).lock("other operator"):
        ready.set()
        time.sleep(seconds)


def test_second_run_on_a_busy_data_directory_is_refused_clearly(tmp_path):
    data = tmp_path / "data"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(data), 3.0, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(StoreBusy, match="other operator"):
            run_week(WEEK[:1], data, REFERENCE, dt.date(2026, 11, 17))
    finally:
        holder.join()
    assert Store(data).current_generation() is None


def test_a_withdrawal_on_a_busy_data_directory_is_refused_at_once(tmp_path):
    """Review 14, F15: `qap withdraw` waited for the lock without a word (up to 30 s, or a
    whole backfill), where every other writer is refused at once, naming the holder."""
    data = tmp_path / "data"
    run_week(WEEK, data, REFERENCE, dt.date(2026, 11, 17))
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(data), 3.0, ready))
    holder.start()
    try:
        assert ready.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="other operator"):
            register.withdraw(data, "04-time-reports-3081.dat", 6, "busy", dt.date(2026, 11, 18))
        assert time.monotonic() - started < 2
    finally:
        holder.join()


def _form3081(ssn: str, hours: int, volume: int = 10, time_code: str = "1") -> str:
    return record("prefix+form3081", program_number="59600", format_code="073", ssn=ssn,
                  week_ending="12202025", org_code="81120", function_code="110",
                  program_code="43210", hours_tenths=hours, volume=volume, grade="07",
                  step="03", time_code=time_code)


def _entries(texts: list[str], run_id: str = "R1", run: str = "IPR-3081") -> pl.DataFrame:
    n = len(texts)
    return pl.DataFrame({
        "run_id": [run_id] * n, "run": [run] * n, "deck": ["fix.dat"] * n,
        "line_no": list(range(2, n + 2)), "text": texts, "status": ["open"] * n,
        "opened": [dt.date(2025, 12, 22)] * n, "closed": [None] * n, "closed_by": [None] * n},
        schema_overrides={"line_no": pl.UInt32, "closed": pl.Date, "closed_by": pl.String})


def test_a_corrected_3081_closes_only_the_entry_for_its_employee_ofp_and_week():
    reg = _entries([_form3081("111223333", 9999), _form3081("222334444", 9999)])
    posted = pl.DataFrame({"run": ["IPR-3081"], "text": [_form3081("111223333", 400)]})
    closed, n = register.close_corrected(reg, posted, "R2", dt.date(2025, 12, 23))
    assert n == 1 and closed["status"].to_list() == ["corrected", "open"]


# Three Forms 3081 of one employee, week and OFP (direct, overhead, learning-curve time), each
# rejected: they share the key, so a correction closes the one it is most like.
SIBLINGS = [_form3081("111223333", 9999, 10, "1"), _form3081("111223333", 20, 0, "7"),
            _form3081("111223333", 0, 300, "2")]


def test_a_corrected_record_closes_one_entry_of_several_that_share_its_key():
    fixed = _form3081("111223333", 20, 0, "3")  # the second, time code 7 made 3
    closed, n = register.close_corrected(_entries(SIBLINGS), pl.DataFrame(
        {"run": ["IPR-3081"], "text": [fixed]}), "R2", dt.date(2025, 12, 23))
    assert n == 1 and closed["status"].to_list() == ["open", "corrected", "open"]


def test_the_whole_deck_re_input_with_one_fixed_closes_one_and_supersedes_the_rest():
    fixed = _form3081("111223333", 400, 10, "1")  # the first, hours 999.9 made 40.0
    # The run's own register: the three earlier entries and the two records rejected again.
    reg = pl.concat([_entries(SIBLINGS), _entries(SIBLINGS[1:], run_id="R2")])
    posted = pl.DataFrame({"run": ["IPR-3081"], "text": [fixed]})
    reg, corrected = register.close_corrected(reg, posted, "R2", dt.date(2025, 12, 23))
    reg, resubmitted = register.supersede_resubmitted(reg, "R2", dt.date(2025, 12, 23))
    assert (corrected, resubmitted) == (1, 2)
    assert reg["status"].to_list() == ["corrected", "resubmitted", "resubmitted", "open",
                                       "open"]


# --- the operator loop: corrections deck -> edit -> reprocess -> withdraw ---------------------

BAD_3081_SSN = "999887777"  # deck 04 line 6: rejected T02, SSN not on the Employee Master File


def _corrections(data: Path, out: Path) -> list[str]:
    [written] = register.corrections_deck(data, out, dt.datetime(2026, 11, 18, 9, 30))
    return written.path.read_text().splitlines()


def _fixed(lines: list[str]) -> dict[str, str]:
    """Two corrections an operator makes: the review with " 1 2" sampled (error 11) gets 12,
    and the Form 3081 with an SSN not on the Employee Master File gets BROWN's SSN."""
    review = next(t for t in lines if t.startswith("59702222A010202"))
    time_report = next(t for t in lines if t.startswith("59600073       " + BAD_3081_SSN))
    return {review: review[:25] + "   12" + review[30:],
            time_report: time_report.replace(BAD_3081_SSN, "234567891")}


def _week_deck(week: str, records: list[str], path: Path) -> Path:
    path.write_text(deck(records, week_ending=week, sequence=7))
    return path


def test_corrections_deck_carries_the_week_of_its_records_not_the_day_it_was_made(
        posted_week, tmp_path):
    data, _ = posted_week
    lines = _corrections(data, tmp_path / "fix.dat")
    assert lines[0] == "HDRCR" + "11142026" + "11182026" + "093000" + "001"
    register_weeks = Store(data).read("error_register")[register.DECK_WEEK].unique().to_list()
    assert register_weeks == [dt.date(2026, 11, 14)]


def test_corrections_deck_makes_its_folder_and_does_not_overwrite(posted_week, tmp_path):
    data, _ = posted_week
    out = data / "corrections" / "fix.dat"
    assert not out.parent.exists()
    _corrections(data, out)
    out.write_text("an operator's edits\n")
    with pytest.raises(register.DeckExists, match="--force"):
        register.corrections_deck(data, out, dt.datetime(2026, 11, 18, 10))
    assert out.read_text() == "an operator's edits\n"
    [again] = register.corrections_deck(data, out, dt.datetime(2026, 11, 18, 10), force=True)
    assert again.records == 86 and out.read_text().startswith("HDRCR11142026")


def test_entries_of_two_weeks_make_one_deck_per_week_each_with_its_week(posted_week, tmp_path):
    data, _ = posted_week
    header = "59702222A010201" + "11212026" + "0008112041044210"
    bad = "59702222A010202 234567891 1 2"  # error 11, in the week of 11/21/2026
    later = _week_deck("11212026", [header, bad], tmp_path / "week47.dat")
    run_week([later], data, REFERENCE, dt.date(2026, 11, 24))
    written = register.corrections_deck(data, tmp_path / "c" / "fix.dat",
                                        dt.datetime(2026, 11, 25, 8))
    assert [(d.path.name, d.week_ending, d.records) for d in written] == [
        ("fix_11142026.dat", dt.date(2026, 11, 14), 86),
        ("fix_11212026.dat", dt.date(2026, 11, 21), 2)]
    assert not (tmp_path / "c" / "fix.dat").exists()
    second = written[1].path.read_text().splitlines()
    assert second == ["HDRCR112120261125202608000000" + "2", header, bad, "TRL0000002"]
    assert written[0].path.read_text().startswith("HDRCR11142026")


def test_a_register_from_before_the_week_column_takes_the_week_from_the_deck_ledger(
        posted_week, tmp_path):
    data, _ = posted_week
    store = Store(data)
    old = store.read("error_register").drop(register.DECK_WEEK)
    with store.lock("test"):
        gen = store.begin("old-register")
        gen.write("error_register", old)
        gen.commit(note="a register as written before deck_week_ending")
    lines = _corrections(data, tmp_path / "fix.dat")
    assert lines[0].startswith("HDRCR11142026")
    no_header = next(t for t in lines if t.startswith("59703223C011102"))  # 09, sent as is
    fix = _week_deck("11142026", [no_header], tmp_path / "one.dat")
    result = run_week([fix], data, REFERENCE, dt.date(2026, 11, 19), reprocess=True)
    assert (result.rejected, result.resubmitted) == (1, 1)
    reg = Store(data).read("error_register")
    assert reg.height == old.height + 1 and reg[register.DECK_WEEK].null_count() == old.height
    assert reg.filter(pl.col("run_id") == result.run_id)[register.DECK_WEEK].to_list() == [
        dt.date(2026, 11, 14)]


def test_a_corrected_3081_and_review_post_in_their_own_week_on_reprocess(posted_week, tmp_path):
    data, _ = posted_week
    lines = _corrections(data, tmp_path / "fix.dat")
    fixed = _fixed(lines)
    header = next(t for t in lines if t.startswith("59702222A010201"))
    edited = [lines[0], header, *fixed.values(), "TRL0000003"]
    fix = tmp_path / "edited.dat"
    fix.write_text("\n".join(edited) + "\n")
    result = run_week([fix], data, REFERENCE, dt.date(2026, 11, 19), reprocess=True)
    assert (result.posted, result.rejected, result.week_ending) == (3, 0, dt.date(2026, 11, 14))
    assert "IPR-3081" not in result.codes  # no T03: the 3081 is in its own week
    assert sorted(n for n in result.outputs if n.startswith("ipr_")) == [
        "ipr_11142026.parquet", "ipr_11142026.txt"]
    assert pl.read_parquet(result.outputs["data-not-posted_11142026.parquet"]).height == 0
    weekly = pl.read_parquet(result.outputs["individual-weekly_11142026.parquet"])
    assert weekly.select("ssn", "grade", "week_ending", "hours_tenths", "volume", "reviewed",
                         "errors").rows() == [
        ("234567891", "05", dt.date(2026, 11, 14), 80, 100, 12, 0)]
    # The SSN is a key field of a Form 3081: the old entry stays open until withdrawn.
    reg = Store(data).read("error_register")
    old = reg.filter(pl.col("text").str.contains(BAD_3081_SSN))
    assert old.select("status", "deck", "line_no").rows() == [
        ("open", "04-time-reports-3081.dat", 6)]
    assert result.corrected == 2 and _open(data).height == 84 - 2
    register.withdraw(data, "04-time-reports-3081.dat", 6, "SSN corrected to 234567891",
                      dt.date(2026, 11, 19))
    assert _open(data).height == 84 - 3


def test_reinput_with_some_records_fixed_keeps_one_open_entry_per_wrong_record(
        posted_week, tmp_path):
    data, _ = posted_week
    lines = _corrections(data, tmp_path / "fix.dat")
    fixed = _fixed(lines)
    fix = tmp_path / "edited.dat"
    fix.write_text("\n".join(fixed.get(t, t) for t in lines) + "\n")
    result = run_week([fix], data, REFERENCE, dt.date(2026, 11, 19), reprocess=True)
    # 86 records: the 84 entries and two Form 3927 headers sent as their lines' context.
    # Posted: the review, its header (entry 8) and the 3081 under a new SSN.
    assert (result.records_in, result.posted, result.rejected) == (86, 3, 83)
    assert (result.corrected, result.resubmitted, result.still_open) == (2, 81, 82)
    told = summary.render(result)
    assert "Re-input: 2 open register entries closed as corrected" in told
    assert "Re-input: 81 records were rejected again; each earlier entry is closed" in told
    reg = Store(data).read("error_register")
    statuses = dict(reg.group_by("status").len().rows())
    assert statuses == {"open": 82, "corrected": 2, "resubmitted": 81, "context": 2}
    replaced = reg.filter(pl.col("status") == "resubmitted")
    assert set(replaced["run_id"]) == {"20261117.01"}
    assert set(replaced["closed_by"]) == {result.run_id}
    still = reg.filter(pl.col("status") == "open")
    assert still.filter(pl.col("run_id") == result.run_id).height == 81  # today's codes
    # A second round with nothing fixed changes no count.
    again = register.corrections_deck(data, tmp_path / "fix2.dat", dt.datetime(2026, 11, 20, 9))
    second = run_week([again[0].path], data, REFERENCE, dt.date(2026, 11, 20), reprocess=True)
    assert (second.posted, second.resubmitted, second.still_open) == (0, 82, 82)


def test_supersede_closes_only_the_same_run_and_place_of_earlier_runs():
    line = "59702222A010202 234567891 1 2"
    reg = pl.DataFrame({
        "run_id": ["R1", "R1", "R2"], "run": ["PCE-03-41", "PCE-01-43", "PCE-03-41"],
        "deck": ["a.dat", "a.dat", "fix.dat"], "line_no": [3, 3, 2],
        "text": [line, line, line + "   "], "status": ["open", "open", "open"],
        "opened": [dt.date(2026, 11, 17)] * 2 + [dt.date(2026, 11, 19)],
        "closed": [None, None, None], "closed_by": [None, None, None]},
        schema_overrides={"line_no": pl.UInt32, "closed": pl.Date, "closed_by": pl.String})
    closed, n = register.supersede_resubmitted(reg, "R2", dt.date(2026, 11, 19))
    assert n == 1 and closed["status"].to_list() == ["resubmitted", "open", "open"]
    assert closed["closed_by"].to_list() == ["R2", None, None]
    assert closed["opened"][2] == dt.date(2026, 11, 17) and closed["replaces"][2] == "R1 a.dat 3"


def _qap(*args: str):
    from typer.testing import CliRunner

    from pipelines.operator import cli

    return CliRunner().invoke(cli.app, list(args))


def test_qap_corrections_makes_the_folder_refuses_to_overwrite_and_prints_the_commands(
        posted_week, tmp_path):
    data, _ = posted_week
    out = data / "corrections" / "fix.dat"
    made = _qap("corrections", str(out), "-d", str(data))
    assert made.exit_code == 0, made.output
    assert (f"wrote 86 records to {out.absolute()} (HDR week ending 11/14/2026; entries of "
            "01-defect-list-changes.dat, 02-reviews-adjustments-standards.dat, "
            "04-time-reports-3081.dat, 05-ipr-adjustments-6489.dat)") in made.output
    assert (f"  qap reprocess {out.absolute()} --data-dir {data.absolute()} --reference REFDIR"
            in made.output.splitlines())
    assert (f"the reprocess flow: qap flow reprocess --data-dir {data.absolute()} --reference "
            "REFDIR") in made.output
    assert f'  qap withdraw DECK LINE --reason "WHY" --data-dir {data.absolute()}' in made.output
    assert "    Form 3081: SSN, week ending, OFP (columns 16-45)" in made.output.splitlines()
    out.write_text("an operator's edits\n")
    refused = _qap("corrections", str(out), "-d", str(data))
    assert refused.exit_code == 12 and "not overwritten" in refused.output
    assert "Traceback" not in refused.output and out.read_text() == "an operator's edits\n"
    forced = _qap("corrections", str(out), "-d", str(data), "--force")
    assert forced.exit_code == 0 and out.read_text().startswith("HDRCR11142026")
