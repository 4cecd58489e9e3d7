"""The daily pulls flow (session Prefect harness): sampling-inbox -> selection -> archive."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import polars as pl

from fixtures.sampling import make_fixtures as fx
from pipelines.operator.flow_call import call
from pipelines.state.store import Store


def test_daily_flow_selects_from_the_inbox_and_archives_or_refuses_each_deck(
        prefect_harness, tmp_path):
    from pipelines.operator.sample_flow import SAMPLING_ARCHIVE, SAMPLING_INBOX, sample_daily_flow

    data = tmp_path / "data"
    waiting = data / SAMPLING_INBOX
    waiting.mkdir(parents=True)
    for deck in fx.WEEK_DIR.glob("*.dat"):
        shutil.copy2(deck, waiting / deck.name)
    (waiting / "03-cut.dat").write_text("HDRSC0117202601172026060000003\nTRL0000009\n")
    before = os.umask(0o022)  # the flow must not rely on the caller's umask
    try:
        outcome = call(sample_daily_flow, data_dir=data, reference_dir=fx.REFERENCE,
                       run_date=dt.date(2026, 1, 17))
    finally:
        os.umask(before)
    assert outcome.condition_code == 8  # the cut deck is refused; the week is still selected
    assert sorted(p.name for p in (data / SAMPLING_ARCHIVE / outcome.run_id).iterdir()) == [
        "01-requests.dat", "02-batches.dat"]
    assert (data / "refused" / "03-cut.dat").is_file()
    assert list(waiting.iterdir()) == []
    log = Store(data).read("sampling_log")
    assert log.height == 16 and log["run_id"].unique().to_list() == [outcome.run_id]
    assert (data / "runs" / outcome.run_id / "pull-list.txt").is_file()
    assert "Conservation: 42 records in = 24 used + 18 on the register" in outcome.summary
    assert pl.Series(outcome.moved.values()).str.contains("refused").sum() == 1
    archived = data / SAMPLING_ARCHIVE / outcome.run_id
    # the decks hold whole SSNs: owner-only wherever they land, whatever the umask
    assert {oct(p.stat().st_mode & 0o777) for p in archived.iterdir()} == {"0o600"}
    assert oct(archived.stat().st_mode & 0o777) == "0o700"
    assert oct((data / "refused" / "03-cut.dat").stat().st_mode & 0o777) == "0o600"


def test_daily_flow_sets_a_link_aside_without_touching_its_target(prefect_harness, tmp_path):
    """Review 12, F9: the archive's chmod went through a link in the sampling inbox."""
    from pipelines.operator.sample_flow import SAMPLING_ARCHIVE, SAMPLING_INBOX, sample_daily_flow

    data, outside = tmp_path / "data", tmp_path / "outside"
    waiting = data / SAMPLING_INBOX
    waiting.mkdir(parents=True)
    outside.mkdir()
    decks = sorted(fx.WEEK_DIR.glob("*.dat"))
    shutil.copy2(decks[0], waiting / decks[0].name)
    shutil.copy2(decks[1], outside / decks[1].name)
    (outside / decks[1].name).chmod(0o644)
    (waiting / decks[1].name).symlink_to(outside / decks[1].name)
    outcome = call(sample_daily_flow, data_dir=data, reference_dir=fx.REFERENCE,
                   run_date=dt.date(2026, 1, 17))
    assert outcome.condition_code == 8
    assert outcome.summary.splitlines()[0].startswith(
        f"{decks[1].name}: refused, a symbolic link (to {outside / decks[1].name})")
    assert oct((outside / decks[1].name).stat().st_mode & 0o777) == "0o644"
    assert (data / "refused" / decks[1].name).is_symlink()
    assert sorted(p.name for p in (data / SAMPLING_ARCHIVE / outcome.run_id).iterdir()) == [
        decks[0].name]


def test_daily_flow_logs_one_line_and_leaves_the_summary_to_the_command(prefect_harness,
                                                                         tmp_path, caplog):
    """Review 13, R13-11: `qap sample daily` printed the summary twice, once in the log."""
    from pipelines.operator.sample_flow import SAMPLING_INBOX, sample_daily_flow

    data = tmp_path / "data"
    (data / SAMPLING_INBOX).mkdir(parents=True)
    shutil.copy2(fx.WEEK_DIR / "01-requests.dat", data / SAMPLING_INBOX / "01-requests.dat")
    with caplog.at_level("INFO"):
        outcome = call(sample_daily_flow, data_dir=data, reference_dir=fx.REFERENCE,
                       run_date=dt.date(2026, 1, 17))
    said = [r.getMessage() for r in caplog.records]
    assert outcome.summary.startswith(f"QAP sample selection {outcome.run_id}")
    assert not [m for m in said if "QAP sample selection" in m]
    assert f"sample selection {outcome.run_id} finished: condition code 4" in said


def test_daily_flow_refuses_a_name_it_cannot_print_and_says_a_linked_archive(prefect_harness,
                                                                               tmp_path):
    """Check of session 18: a deck name holding a line feed stopped every daily run with 16
    until renamed (N5); a link planted at sampling-archive/<run> was refused, but said as an
    internal error, 16 (N1). The name is refused (8) and the week goes on; the link is said,
    12, and nothing goes through it."""
    from pipelines.operator.sample_flow import SAMPLING_ARCHIVE, SAMPLING_INBOX, sample_daily_flow

    data, outside = tmp_path / "data", tmp_path / "outside"
    waiting = data / SAMPLING_INBOX
    waiting.mkdir(parents=True)
    outside.mkdir()
    for deck in fx.WEEK_DIR.glob("*.dat"):
        shutil.copy2(deck, waiting / deck.name)
    shutil.copy2(next(fx.WEEK_DIR.glob("*.dat")), waiting / "y\nz.dat")
    (data / SAMPLING_ARCHIVE).mkdir(mode=0o700)
    (data / SAMPLING_ARCHIVE / "20260117.01").symlink_to(outside)
    outcome = call(sample_daily_flow, data_dir=data, reference_dir=fx.REFERENCE,
                   run_date=dt.date(2026, 1, 17))
    assert outcome.condition_code == 12
    assert "REFUSED: 'y\\nz.dat': unusable file name: the name holds a line feed" in (
        outcome.summary.replace(str(waiting) + "/", ""))
    assert (data / "refused" / "'y\\nz.dat'").is_file()
    assert "archive failed: " in outcome.summary and "is a symbolic link" in outcome.summary
    assert outcome.summary.splitlines()[-1].startswith("Flow condition code 12: ")
    assert list(outside.iterdir()) == []
    used = sorted(p.name for p in waiting.iterdir())
    assert used == sorted(p.name for p in fx.WEEK_DIR.glob("*.dat"))  # left by the failure

    # the link still there: the next run moves nothing, selects nothing (12)
    again = call(sample_daily_flow, data_dir=data, reference_dir=fx.REFERENCE,
                 run_date=dt.date(2026, 1, 17))
    assert (again.condition_code, again.run_id) == (12, None)
    assert "were not moved and nothing was selected" in again.summary
    assert sorted(p.name for p in waiting.iterdir()) == used and list(outside.iterdir()) == []

    # the link removed: the next run archives the used decks with their run, refuses none
    # (check of session 18, N1: it refused them as duplicates)
    (data / SAMPLING_ARCHIVE / "20260117.01").unlink()
    rerun = call(sample_daily_flow, data_dir=data, reference_dir=fx.REFERENCE,
                 run_date=dt.date(2026, 1, 17))
    assert (rerun.condition_code, rerun.run_id) == (0, None)
    assert rerun.summary.splitlines() == [
        f"{name}: used by selection run 20260117.01, whose archive step did not finish: moved "
        f"to {data / SAMPLING_ARCHIVE / '20260117.01'} now" for name in used] + [
        "no deck waiting"]
    assert sorted(p.name for p in (data / SAMPLING_ARCHIVE / "20260117.01").iterdir()) == used
    assert list(waiting.iterdir()) == [] and not (data / "sampling-pending.json").exists()
    assert sorted(p.name for p in (data / "refused").iterdir()) == ["'y\\nz.dat'"]
