"""The Prefect flows end to end, all under ONE session-scoped Prefect test server
(`prefect_harness` in conftest.py): inbox -> engine -> archive, run folder, artifacts, exit
codes; a rerun after failures posts nothing twice; the intake on a local Dask cluster."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.operator.flow_call import call

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
REFERENCE = FIXTURES / "reference"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))
WEEK_DAY = dt.date(2026, 11, 17)
REFUSED = "03-cut-short.dat"  # its TRL count is wrong; every other deck is accepted
ACCEPTED = [p.name for p in WEEK if p.name != REFUSED]


@pytest.fixture(scope="module")
def flows(prefect_harness):
    from pipelines.operator import flows

    return flows


def _seed(inbox: Path, decks: list[Path]) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for deck in decks:
        shutil.copy2(deck, inbox / deck.name)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _steps(folder: Path) -> dict:
    return json.loads((folder / "steps.json").read_text())


def _codes(folder: Path) -> dict[str, int]:
    return {n: s.get("condition_code") for n, s in _steps(folder)["steps"].items()}


def _client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _artifacts(flow_run_id: str) -> dict[str, dict]:
    """The flow run's artifacts by key, read from the REST API (the 3.8 client's
    read_artifacts either sends nulls the server refuses or joins on task runs)."""
    import httpx
    from prefect.settings import get_current_settings

    found = httpx.post(f"{get_current_settings().api.url}/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 50}).json()
    return {a["key"]: a for a in found}


def _state(flow_run_id: str) -> str:
    with _client() as client:
        return client.read_flow_run(flow_run_id).state.type.value


def _state_name(flow_run_id: str) -> str:
    with _client() as client:
        return client.read_flow_run(flow_run_id).state.name


def _generations(data: Path) -> list[dict]:
    from pipelines.state.store import Store

    return Store(data).history()


def test_weekly_flow_end_to_end_through_the_cli(flows, tmp_path):
    from pipelines.operator.flow_cli import flow_app

    data = tmp_path / "data"
    runner = CliRunner()

    def week(day: str):
        return runner.invoke(flow_app, ["week", "-d", str(data), "-r", str(REFERENCE),
                                        "--run-date", day, "-q"])

    missing = week("2026-11-09")  # no inbox: said at once, before Prefect (issue 13)
    assert missing.exit_code == 12 and "does not exist" in missing.output
    (data / "inbox").mkdir(parents=True)
    empty = week("2026-11-09")
    assert empty.exit_code == 0 and "nothing to do" in empty.stdout
    _seed(data / "inbox", [NATIONAL])
    first = week("2026-11-10")
    assert first.exit_code == 0, first.output
    _seed(data / "inbox", WEEK)
    second = week("2026-11-17")
    assert second.exit_code == 8, second.output
    assert "Flow condition code 8" in second.stdout
    assert len(second.stdout.splitlines()) <= 50  # one screen

    # run folder: the sample week's (the national list's week ended 11/07/2026)
    folder = data / "weeks" / "2026-11-14"
    state = _steps(folder)
    assert state["finished"] and state["condition_code"] == 8 and len(state["attempts"]) == 1
    assert state["steps"]["post"]["seconds"] > 0
    steps, engine = state["steps"], state["engine"]
    individual = 4 if steps["individual data"]["rejected"] else 0
    assert _codes(folder) == {"intake": 8, "run 01": 4, "run 03": 4, "post": 0,
                              "individual data": individual, "IPR and SAR": 0, "archive": 0}
    assert sum(steps[s]["posted"] + steps[s]["rejected"] for s in (
        "run 01", "run 03", "individual data")) == engine["records_in"]
    inputs = {d["name"]: d for d in json.loads((folder / "inputs.json").read_text())}
    assert {n: d["sha256"] for n, d in inputs.items()} == {p.name: _sha(p) for p in WEEK}
    assert inputs[REFUSED]["status"] == "refused" and "TRL says 3" in inputs[REFUSED]["reason"]
    assert (folder / "inputs.sha256").read_text().count("\n") == len(WEEK)
    # docs/operations.md's checks of the archived and the refused copies, run as written: the
    # refused one said "the same in DIR/refused", whose path is one level up (review 19, F13)
    doc = " ".join((ROOT / "docs" / "operations.md").read_text().split())
    said = {}
    for check in re.findall(r"`(cd DIR/[^`]*? && sha256sum [^`]*)`", doc):
        command = check.replace("DIR", shlex.quote(str(data))).replace("<batch>", folder.name)
        said[check.split()[1]] = subprocess.run(command, shell=True, capture_output=True,
                                                text=True).stdout
    assert said == {"DIR/archive/<batch>": "".join(f"{p.name}: OK\n" for p in WEEK
                                                   if p.name != REFUSED),
                    "DIR/refused": f"{REFUSED}: OK\n"}
    log = (folder / "flow.log").read_text()
    assert "run 01: 26 Form 3927 record(s)" in log and "intake 03-cut-short.dat" in log
    assert "Task run 'run-01-03-post'" not in log and "run-01-03-post - run 03:" in log
    run_id = state["engine"]["run_id"]
    assert run_id == "20261117.01"
    for name in ("pce-01-43.txt", "pce-03-41.txt", "open-register.txt", "posting-3926.txt",
                 "cum-data-file.txt"):
        assert (folder / "reports" / name).read_bytes() == (
            data / "runs" / run_id / name).read_bytes()
    assert "Condition code 8" in (folder / "summary.txt").read_text()
    assert f"Run page: {folder / 'reports' / 'index.html'}" in (  # docwalk F12
        folder / "summary.txt").read_text().splitlines()

    # archive, refused, empty inbox
    assert sorted(p.name for p in (data / "archive" / "2026-11-14").iterdir()) == ACCEPTED
    for deck in WEEK:
        kept = data / ("refused" if deck.name == REFUSED else "archive/2026-11-14")
        assert (kept / deck.name).read_bytes() == deck.read_bytes()
    assert list((data / "inbox").iterdir()) == []

    # Prefect: the flow run completed (8 < 12) and left its artifacts
    flow_run_id = state["attempts"][0]["flow_run_id"]
    assert _state(flow_run_id) == "COMPLETED"
    artifacts = _artifacts(flow_run_id)
    assert {"qap-weekly-steps", "qap-weekly-error-codes", "qap-weekly-reports",
            "qap-weekly-progress"} <= set(artifacts)
    steps = json.loads(artifacts["qap-weekly-steps"]["data"])
    assert [(r["step"], r["condition code"]) for r in steps][:4] == [
        ("intake", 8), ("run 01", 4), ("run 03", 4), ("post", 0)]
    top = json.loads(artifacts["qap-weekly-error-codes"]["data"])
    counted = [(n, run, code) for run, codes in state["engine"]["codes"].items()
               for code, n in codes.items()]
    assert len(top) == min(10, len(counted)) and top[0]["meaning"]
    assert (top[0]["records"], top[0]["run"], top[0]["code"]) == min(
        counted, key=lambda c: (-c[0], c[1], c[2]))
    assert str(folder / "reports" / "pce-03-41.txt") in artifacts["qap-weekly-reports"]["data"]
    assert artifacts["qap-weekly-progress"]["data"] == 100.0

    # issue 19: the state name carries the condition code; the artifact tells every code's
    # meaning (individual reasons too) and where the run page is
    assert _state_name(flow_run_id) == "CC 8 deck refused"
    clean = _steps(data / "weeks" / "2026-11-07")["attempts"][0]["flow_run_id"]
    assert (_state(clean), _state_name(clean)) == ("COMPLETED", "CC 0 clean")
    md = artifacts["qap-weekly-reports"]["data"]
    assert "**CC 8 deck refused**" in md
    assert f"Run page: `{folder / 'reports' / 'index.html'}`" in md
    assert "| IPR-3081 | T02 | 1 | SSN NOT ON EMPLOYEE MASTER |" in md
    assert "| IPR-6489 | A12 | 1 | A FIGURE WOULD GO NEGATIVE |" in md
    assert "| 03-cut-short.dat | refused | 2 | 0 | 0 |" in md  # its 2 records, held back
    assert (folder / "reports" / "index.html").is_file()
    assert sorted(p.name for p in (folder / "reports").glob("chart-*.png")) == [
        "chart-accuracy.png", "chart-pareto.png", "chart-sar.png", "chart-trend.png"]


def test_rerun_after_failures_posts_nothing_twice(flows, tmp_path):
    from pipelines.operator import inbox

    data = tmp_path / "data"
    _seed(data / "inbox", WEEK)
    folder = data / "weeks" / "2026-11-14"

    def run(reference: Path = REFERENCE):
        try:
            return call(flows.weekly_flow, data_dir=data, reference_dir=reference,
                        run_date=WEEK_DAY)
        except flows.FlowFailed as failed:
            return failed.outcome

    # 1. another flow run holds the data directory: 12, nothing touched
    with inbox.lock(data):
        busy = run()
    assert busy.condition_code == 12 and "another flow run" in busy.message
    assert not folder.exists()

    # 2. reference missing: the engine stops (12) before posting; decks stay in the inbox
    missing = run(tmp_path / "no-reference")
    assert missing.condition_code == 12 and _state(missing.flow_run_id) == "FAILED"
    assert _state_name(missing.flow_run_id) == "CC 12 incomplete"
    assert _codes(folder)["post"] == 12 and _generations(data) == []
    assert sorted(p.name for p in (data / "inbox").iterdir()) == [p.name for p in WEEK]

    # 3. rerun: intake is kept, the engine posts, then the archive fails (12)
    (data / "archive").write_text("not a folder")
    posted = run()
    assert posted.condition_code == 12 and "archive failed" in posted.message
    assert len(_generations(data)) == 1
    ledger = pl.read_parquet(data / "current" / "decks.parquet")
    register = pl.read_parquet(data / "current" / "error_register.parquet")

    # 4. rerun after the fix: engine steps kept, only the archive runs; no second posting
    (data / "archive").unlink()
    done = run()
    assert done.condition_code == 8 and done.run_folder == str(folder)
    state = _steps(folder)
    assert len(state["attempts"]) == 4 - 1  # busy never opened the folder
    assert state["steps"]["intake"]["skipped_in_attempts"] == [2, 3]
    assert state["steps"]["post"]["attempt"] == 2 and state["steps"]["post"][
        "skipped_in_attempts"] == [3]
    assert len(_generations(data)) == 1
    assert pl.read_parquet(data / "current" / "decks.parquet").equals(ledger)
    assert pl.read_parquet(data / "current" / "error_register.parquet").equals(register)
    assert sorted(p.name for p in (data / "archive" / "2026-11-14").iterdir()) == ACCEPTED
    assert list((data / "inbox").iterdir()) == []

    # 5. the same decks delivered again: a new batch; the engine posts none of them (8)
    _seed(data / "inbox", WEEK)
    again = run()
    assert again.condition_code == 8 and again.run_folder.endswith("2026-11-14.2")
    codes = _codes(Path(again.run_folder))
    assert codes["post"] == 8 and _steps(Path(again.run_folder))["engine"]["posted"] == 0
    ledger = pl.read_parquet(data / "current" / "decks.parquet")
    assert ledger.filter(pl.col("status") == "posted").height == len(ACCEPTED)
    assert ledger.filter(pl.col("status") == "duplicate")["deck"].to_list() == ACCEPTED
    assert pl.read_parquet(data / "current" / "error_register.parquet").height == (
        register.height)
    assert sorted(p.name for p in (data / "refused").iterdir()) == sorted(
        [*ACCEPTED, REFUSED])

    # 6. reprocess flow, then a crash between the engine's commit and its step record:
    #    the rerun finds the published generation and posts nothing again
    from pipelines.engine.machinery.register import corrections_deck

    (data / "corrections").mkdir()
    corrections_deck(data, data / "corrections" / "fix.dat", dt.datetime(2026, 11, 18, 9))
    (data / "archive").rename(tmp_path / "archive-aside")
    (data / "archive").write_text("not a folder")
    try:
        call(flows.reprocess_flow, data_dir=data, reference_dir=REFERENCE,
                             run_date=dt.date(2026, 11, 18))
    except flows.FlowFailed as failed:
        crashed = Path(failed.outcome.run_folder)
    generations = len(_generations(data))
    state = _steps(crashed)
    for step in ("run 01", "run 03", "post"):
        state["steps"][step]["status"] = "started"
    state["engine"] = None
    (crashed / "steps.json").write_text(json.dumps(state))
    (data / "archive").unlink()
    (tmp_path / "archive-aside").rename(data / "archive")
    recovered = call(flows.reprocess_flow, data_dir=data, reference_dir=REFERENCE,
                                     run_date=dt.date(2026, 11, 18))
    assert recovered.run_folder == str(crashed) and len(_generations(data)) == generations
    assert _steps(crashed)["engine"]["recovered"] is True
    assert (data / "archive" / crashed.name / "fix.dat").is_file()

    # 7. rollback the sample week with requeue: refused while it would silently undo the
    #    reprocess run too; asked for, its decks are back, and the next run posts them
    generations = len(_generations(data))
    later = r"would also undo 2 later generations:\n  generation 2 \(20261117.02\)"
    with pytest.raises(flows.FlowFailed, match=later):
        call(flows.rollback_flow, run_id="20261117.01", data_dir=data, requeue=True)
    assert len(_generations(data)) == generations and list((data / "inbox").iterdir()) == []
    rolled = call(flows.rollback_flow, run_id="20261117.01", data_dir=data, requeue=True,
                                 undo_later=True)
    assert rolled.condition_code == 0 and "also undone: generation" in rolled.message
    assert "rollback before run 20261117.01" in (
        data / "runs" / "20261117.01" / "ROLLED-BACK.txt").read_text()
    assert sorted(p.name for p in (data / "inbox").iterdir()) == ACCEPTED
    assert _steps(folder)["rolled_back"]["requeued"] == ACCEPTED
    reposted = run()
    assert reposted.condition_code == 4 and _steps(Path(reposted.run_folder))["engine"][
        "posted"] == _steps(folder)["engine"]["posted"]


def test_intake_and_run03_map_on_a_local_dask_cluster(flows, tmp_path):
    from distributed import LocalCluster

    data = tmp_path / "data"
    _seed(data / "inbox", WEEK)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        workers = set(cluster.scheduler_info["workers"])
        outcome = call(flows.weekly_flow, data_dir=data, reference_dir=REFERENCE,
                       run_date=WEEK_DAY, dask_address=cluster.scheduler_address)
    assert outcome.condition_code == 8
    inputs = json.loads((Path(outcome.run_folder) / "inputs.json").read_text())
    assert {d["inspected_by"].removeprefix("dask worker ") for d in inputs} <= workers
    assert _codes(Path(outcome.run_folder))["run 03"] == 4


def test_deployment_is_a_tuesday_cron_and_prefect_yaml_points_at_the_flow(flows):
    import yaml

    deployment = flows.weekly_deployment(parameters={"data_dir": "/srv/qap"})
    deployment_id = deployment.apply()
    with _client() as client:
        stored = client.read_deployment(deployment_id)
    assert stored.schedules[0].schedule.cron == "0 6 * * 2"
    assert stored.entrypoint == "pipelines.operator.flows.weekly_flow"
    assert stored.parameters == {"data_dir": "/srv/qap"}

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in spec["deployments"]}
    weekly = by_name["qap-weekly"]
    assert weekly["schedules"][0]["cron"] == "0 6 * * 2"
    for d in spec["deployments"]:
        module, _, name = d["entrypoint"].partition(":")
        assert (ROOT / module).is_file() and callable(getattr(flows, name))


def test_a_link_in_the_inbox_is_refused_and_its_target_left_as_it_was(flows, tmp_path):
    """Review 12, F9: a link in the inbox was archived as a link, and the archive's chmod went
    through it to a file outside the data directory (0644 -> 0600). Now the link itself is
    moved to refused/, its target untouched, and the decks beside it run."""
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "national.dat"
    shutil.copy2(NATIONAL, target)
    target.chmod(0o644)
    data = tmp_path / "data"
    _seed(data / "inbox", [WEEK[0]])
    (data / "inbox" / "00-link.dat").symlink_to(target)
    outcome = call(flows.weekly_flow, data_dir=data, reference_dir=REFERENCE, run_date=WEEK_DAY)
    assert outcome.condition_code == 8
    said = (f"00-link.dat: refused, a symbolic link (to {target}); an inbox takes deck files, "
            f"not links: copy the deck itself in (the link is now {data / 'refused'}"
            "/00-link.dat)")
    assert said in outcome.summary.splitlines()
    assert oct(target.stat().st_mode & 0o777) == "0o644" and _sha(target) == _sha(NATIONAL)
    assert (data / "refused" / "00-link.dat").is_symlink()
    assert [d["name"] for d in json.loads(
        (Path(outcome.run_folder) / "inputs.json").read_text())] == [WEEK[0].name]
    assert (data / "archive" / "2026-11-14" / WEEK[0].name).is_file()
    assert _codes(Path(outcome.run_folder))["intake"] == 8
    assert not list((data / "inbox").iterdir())


def test_every_flow_is_async_so_its_end_does_not_wait_for_the_heartbeat_thread(flows):
    """Prefect's sync engine ends each flow call by joining its heartbeat thread, which sleeps
    in whole seconds (0-1 s of idle wall a call, issue 20's target 6); its async engine does
    not wait. Heartbeats are sent either way (docs/operations.md, "Crashed runs")."""
    import inspect

    from pipelines.operator import inventory_flow, sample_flow

    every = [flows.weekly_flow, flows.reprocess_flow, flows.rollback_flow,
             inventory_flow.inventory_flow, sample_flow.sample_daily_flow]
    assert [f.name for f in every if not inspect.iscoroutinefunction(f.fn)] == []
    assert all(f.isasync for f in every)


def test_an_async_flow_run_still_sends_its_heartbeat(flows, tmp_path):
    """What zombie-run detection reads (docs/operations.md, "Crashed runs") is kept: the
    flow run's first heartbeat event reaches the server."""
    import time

    import httpx
    from prefect.events.worker import EventsWorker
    from prefect.settings import get_current_settings

    (tmp_path / "data" / "inbox").mkdir(parents=True)
    outcome = call(flows.weekly_flow, data_dir=tmp_path / "data", reference_dir=REFERENCE,
                   run_date=WEEK_DAY)
    assert outcome.message.startswith("nothing to do")
    EventsWorker.drain_all()
    query = {"filter": {"event": {"name": ["prefect.flow-run.heartbeat"]},
                        "resource": {"id": [f"prefect.flow-run.{outcome.flow_run_id}"]},
                        "occurred": {"since": "2000-01-01T00:00:00Z"}}, "limit": 5}
    url = f"{get_current_settings().api.url}/events/filter"
    for _ in range(50):  # the server stores events a moment after it receives them
        found = httpx.post(url, json=query).json()["events"]
        if found:
            break
        time.sleep(0.1)
    assert [e["event"] for e in found] == ["prefect.flow-run.heartbeat"]


def test_the_task_runs_of_a_flow_body_share_one_api_client(flows):
    """In an async flow each sync task run opened an API client of its own (a TLS context:
    25-35 ms a task run); `blocking_body` holds one for the body (flow_call.py)."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.context import SyncClientContext

    from pipelines.operator.flow_call import blocking_body

    @task(cache_policy=NO_CACHE)
    def client_of_this_task_run():
        return SyncClientContext.get().client

    @flow
    @blocking_body
    def two_task_runs() -> list:
        return [client_of_this_task_run(), client_of_this_task_run()]

    first, second = call(two_task_runs)
    assert first is second
