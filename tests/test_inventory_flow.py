"""`qap flow inventory`: the INV-10-02 run as a Prefect flow under the session's test server
(`prefect_harness`): inbox -> intake -> run -> archive, artifacts with the flag counts."""

from __future__ import annotations

import shutil
import stat

import httpx
import pytest
from typer.testing import CliRunner

from tests.inventory_helpers import BAD, WORKED


@pytest.fixture(scope="module")
def harness(prefect_harness):
    return prefect_harness


def test_inventory_flow_runs_the_inbox_archives_and_publishes_flag_counts(harness, tmp_path):
    from prefect.settings import get_current_settings

    from pipelines.operator.cli import app

    data = tmp_path / "data"
    inbox = data / "inventory"
    inbox.mkdir(parents=True)
    shutil.copy2(WORKED, inbox / WORKED.name)
    (inbox / "cut.dat").write_text(BAD.read_text().replace("TRL0000017", "TRL0000099"))
    for deck in inbox.iterdir():
        deck.chmod(0o644)
    out = CliRunner().invoke(app, ["flow", "inventory", "-d", str(data), "--run-date",
                                   "2026-05-18", "-q"])
    assert out.exit_code == 8, out.output  # a deck refused by control; the other one ran
    assert "Flags: 40 (22 E, 12 W, 6 I)" in out.output
    assert "intake            8" in out.output and "archive           0" in out.output
    assert (data / "archive" / "inventory" / "20260518.01" / WORKED.name).is_file()
    assert (data / "refused" / "inventory" / "cut.dat").is_file()
    for moved in (data / "archive" / "inventory" / "20260518.01" / WORKED.name,
                  data / "refused" / "inventory" / "cut.dat"):  # review 18s, F5: 0644 kept
        assert stat.S_IMODE(moved.stat().st_mode) == 0o600
    assert not list(inbox.iterdir())
    assert (data / "runs" / "20260518.01" / "gs13-analysis_05162026.txt").is_file()
    found = httpx.post(f"{get_current_settings().api.url}/artifacts/filter", json={
        "artifacts": {"key": {"any_": ["qap-inventory-flags"]}}, "limit": 5}).json()
    rows = found[-1]["data"]
    rows = rows if isinstance(rows, list) else __import__("json").loads(rows)
    assert {r["code"]: r["flags"] for r in rows}["82"] == 6


def test_inventory_flow_whose_only_deck_is_refused_publishes_nothing(harness, tmp_path):
    from pipelines.operator.cli import app
    from pipelines.state.store import Store

    data = tmp_path / "data"
    inbox = data / "inventory"
    inbox.mkdir(parents=True)
    (inbox / "cut.dat").write_text(BAD.read_text().replace("TRL0000017", "TRL0000099"))
    out = CliRunner().invoke(app, ["flow", "inventory", "-d", str(data), "--run-date",
                                   "2026-05-18", "-q"])
    assert out.exit_code == 8, out.output
    assert "(no deck accepted, nothing published)" in out.output
    assert Store(data).history() == [] and not (data / "runs" / "20260518.01").exists()
    assert (data / "refused" / "inventory" / "cut.dat").is_file()


def test_the_flow_uses_the_reference_folder_the_data_directory_remembers(harness, tmp_path):
    """Verification of review 13, NEW-1: `qap flow inventory` without -r fell back to a
    Monday-Friday calendar although `qap inventory -r` had been remembered."""
    from pipelines.operator.cli import app
    from tests.inventory_helpers import HOLIDAY, REFERENCE

    data = tmp_path / "data"
    first = CliRunner().invoke(app, ["inventory", str(WORKED), "-d", str(data), "-r",
                                     str(REFERENCE), "--run-date", "2026-05-18", "-q"])
    assert first.exit_code == 4, first.output
    inbox = data / "inventory"
    inbox.mkdir()
    shutil.copy2(HOLIDAY, inbox / HOLIDAY.name)
    out = CliRunner().invoke(app, ["flow", "inventory", "-d", str(data), "--run-date",
                                   "2026-05-18", "-q"])
    assert out.exit_code == 0, out.output
    text = (data / "runs" / "20260518.02" / "inv-10-02_05162026.txt").read_text()
    assert "(2 WORK DAYS, DUE 05/29/2026)" in text  # the calendar's Memorial Day counts


def test_inventory_flow_refuses_an_inbox_that_is_a_link(harness, tmp_path):
    """Review 18s, F4: DIR/inventory linked to a folder outside had its decks moved into the
    data directory's archive/ and refused/ folders."""
    from pipelines.operator.cli import app

    data, outside = tmp_path / "data", tmp_path / "outside"
    data.mkdir()
    outside.mkdir()
    shutil.copy2(WORKED, outside / WORKED.name)
    (data / "inventory").symlink_to(outside)
    out = CliRunner().invoke(app, ["flow", "inventory", "-d", str(data), "--run-date",
                                   "2026-05-18", "-q"])
    assert out.exit_code == 12, out.output
    assert "inventory is a symbolic link" in " ".join(out.output.split())
    assert [p.name for p in outside.iterdir()] == [WORKED.name]
    assert not (data / "archive").exists()


def test_inventory_flow_refuses_a_name_it_cannot_print_and_runs_the_rest(harness, tmp_path):
    """Check of session 18, N5: a deck name holding a line feed stopped the flow with 16,
    every run, until renamed."""
    from pipelines.operator.cli import app

    data = tmp_path / "data"
    inbox = data / "inventory"
    inbox.mkdir(parents=True)
    shutil.copy2(WORKED, inbox / WORKED.name)
    shutil.copy2(WORKED, inbox / "s\nw.dat")
    out = CliRunner().invoke(app, ["flow", "inventory", "-d", str(data), "--run-date",
                                   "2026-05-18", "-q"])
    assert out.exit_code == 8, out.output
    assert "unusable file name: the name holds a line feed" in out.output
    assert (data / "refused" / "inventory" / "'s\\nw.dat'").is_file()
    assert (data / "archive" / "inventory" / "20260518.01" / WORKED.name).is_file()


def test_inventory_flow_whose_archive_failed_moves_the_run_decks_first_next_time(harness,
                                                                                  tmp_path):
    """Check of session 18, N1: a link planted at archive/inventory/<run> stopped the archive
    step after the run had published (12, and a Prefect traceback); the rerun read the decks
    again and refused them as duplicates. The decks are noted, and the next run moves them
    where they belong first; while the way is blocked, it reads nothing."""
    from pipelines.operator.cli import app

    data, outside = tmp_path / "data", tmp_path / "outside"
    inbox = data / "inventory"
    inbox.mkdir(parents=True)
    outside.mkdir()
    shutil.copy2(WORKED, inbox / WORKED.name)
    (data / "archive" / "inventory").mkdir(parents=True)
    (data / "archive" / "inventory" / "20260518.01").symlink_to(outside)

    def run() -> tuple[int, str]:
        out = CliRunner().invoke(app, ["flow", "inventory", "-d", str(data), "--run-date",
                                       "2026-05-18", "-q"])
        return out.exit_code, " ".join(out.output.split())

    code, said = run()
    assert code == 12, said
    assert (f"archive failed: {data}/archive/inventory/20260518.01 is a symbolic link" in said
            and f"Run 20260518.01 published; the decks it took that are still in {inbox} are "
            f"noted in {data}/inventory-pending.json: the next `qap flow inventory` moves "
            "them first" in said)
    assert "Task run failed" not in said  # the archive task's stop, said once (no traceback)
    assert list(outside.iterdir()) == []
    assert [p.name for p in inbox.iterdir()] == [WORKED.name]

    code, said = run()  # the link still there
    assert code == 12, said
    assert "were not moved and nothing was read" in said and "20260518.02" not in said
    assert [p.name for p in inbox.iterdir()] == [WORKED.name] and list(outside.iterdir()) == []

    (data / "archive" / "inventory" / "20260518.01").unlink()
    code, said = run()
    assert code == 0, said
    assert said == (f"{WORKED.name}: used by inventory run 20260518.01, whose archive step did "
                    f"not finish: moved to {data}/archive/inventory/20260518.01 now nothing to "
                    f"do: no deck waiting in {inbox}")
    assert [p.name for p in (data / "archive" / "inventory" / "20260518.01").iterdir()] == [
        WORKED.name]
    assert not (data / "inventory-pending.json").exists() and not (data / "refused").exists()
