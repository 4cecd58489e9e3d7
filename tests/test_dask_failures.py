"""A Dask cluster the flows cannot use is said as one message and a condition code, never a
traceback or an endless wait (review 19, F2-F4): a mistyped --dask-address is a usage error (2)
before anything starts; in the flow (a deployment's parameter) it is 12, the decks left in the
inbox."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.operator.cli import app
from pipelines.operator.flow_call import call

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "fixtures" / "reference"
WEEK = sorted((ROOT / "fixtures" / "sample-week").glob("*.dat"))
FORM = "give tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (a usage error: nothing was run)"
SCHEMES = "Dask's are tcp://, tls://, ws://, wss://, ucx://, inproc://"


@pytest.fixture(scope="module")
def flows(prefect_harness):
    from pipelines.operator import flows

    return flows


def _flow(*args: str):
    """`qap flow ...` as the command runs it: the app's start resets what an earlier command
    of the session left (a --json answer)."""
    return CliRunner().invoke(app, ["flow", *args])


def _inbox(data: Path) -> list[str]:
    (data / "inbox").mkdir(parents=True, exist_ok=True)
    for deck in WEEK:
        shutil.copy2(deck, data / "inbox" / deck.name)
    return sorted(p.name for p in WEEK)


@pytest.mark.parametrize(("address", "why"), [
    ("bogus://x", f"unknown scheme 'bogus://'; {SCHEMES}"),
    ("tcp://x", "'x' is not HOST:PORT"),
    ("tcp://10.0.0.5:0", "port 0 is not 1-65535"),
    ("", "'' is not HOST:PORT"),
])
@pytest.mark.parametrize("command", [["week"], ["reprocess"], ["serve"]])
def test_a_malformed_dask_address_is_a_usage_error_before_anything_starts(command, address,
                                                                          why, tmp_path):
    data = tmp_path / "data"
    result = _flow(*command, "-d", str(data), "--dask-address", address)
    assert result.exit_code == 2
    assert result.output == (f"qap flow: --dask-address {address!r} is not a Dask scheduler "
                             f"address ({why}); {FORM}\n")
    assert not data.exists()  # no store, no prefect/ folder: nothing was started


def test_a_malformed_address_given_to_the_flow_itself_is_12_and_the_decks_wait(flows,
                                                                               tmp_path):
    data = tmp_path / "data"
    waiting = _inbox(data)
    outcome = None
    try:
        call(flows.weekly_flow, data_dir=data, reference_dir=REFERENCE,
             run_date=dt.date(2026, 11, 17), dask_address="bogus://x")
    except flows.FlowFailed as failed:
        outcome = failed.outcome
    assert outcome is not None and outcome.condition_code == 12
    assert outcome.summary == (
        "Condition code 12: 'bogus://x' is not a Dask scheduler address (unknown scheme "
        f"'bogus://'; {SCHEMES}); give tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    assert sorted(p.name for p in (data / "inbox").iterdir()) == waiting
    assert not (data / "weeks").exists() and not (data / "runs").exists()


def _nobody_listens() -> str:
    """The address of a port nothing listens on (just bound and let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def test_a_scheduler_nobody_answers_is_12_in_one_message_with_the_summary(flows, tmp_path,
                                                                          monkeypatch, caplog):
    data = tmp_path / "data"
    waiting = _inbox(data)
    address = _nobody_listens()
    monkeypatch.setenv("QAP_DASK_CONNECT_TIMEOUT", "1")
    result = _flow("week", "-d", str(data), "-r", str(REFERENCE), "--run-date", "2026-11-17",
                   "-q", "--dask-address", address)
    assert result.exit_code == 12
    said = (f"no Dask scheduler answered at {address} within 1 s (QAP_DASK_CONNECT_TIMEOUT): "
            "check the address and that `dask scheduler` runs there; nothing was posted, the "
            f"decks stay in {data.absolute() / 'inbox'}")
    assert result.stdout == f"Condition code 12: {said}\n"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"][:1] == [said]
    assert not [r for r in caplog.records if r.exc_info]  # no traceback logged
    assert sorted(p.name for p in (data / "inbox").iterdir()) == waiting
    assert [p.name for p in (data / "weeks").iterdir()] == [".lock"]  # no run folder
    assert not (data / "runs").exists()  # no run id taken


def test_run03_on_a_scheduler_nobody_answers_posts_nothing(tmp_path, monkeypatch):
    from pipelines.engine.machinery.reference import load as load_reference
    from pipelines.operator.dask_map import ClusterUnavailable, on_cluster
    from pipelines.operator.runs import run_week

    address = _nobody_listens()
    monkeypatch.setenv("QAP_DASK_CONNECT_TIMEOUT", "0.5")
    with pytest.raises(ClusterUnavailable, match=rf"^no Dask scheduler answered at {address} "
                       r"within 0\.5 s \(QAP_DASK_CONNECT_TIMEOUT\): "):
        run_week(WEEK, tmp_path / "data", load_reference(REFERENCE), dt.date(2026, 11, 17),
                 map_decks=on_cluster(address))
    assert not (tmp_path / "data" / "runs" / "20261117.01").exists()


def test_a_connect_timeout_that_is_not_seconds_is_12_before_anything_starts(tmp_path,
                                                                            monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("QAP_DASK_CONNECT_TIMEOUT", "10s")
    result = _flow("week", "-d", str(data), "--dask-address", "tcp://10.0.0.5:8786")
    assert result.exit_code == 12
    assert result.output == ("qap flow: QAP_DASK_CONNECT_TIMEOUT='10s' is not a number of "
                             "seconds (above 0, at most 86400); nothing was run\n")
    assert not data.exists()


def _empty_cluster():
    """A scheduler without a worker, as one whose only worker died."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=0, processes=False, dashboard_address=None)


def test_a_scheduler_without_workers_is_waited_for_a_bounded_time_then_12(flows, tmp_path,
                                                                          monkeypatch, caplog):
    data = tmp_path / "data"
    waiting = _inbox(data)
    monkeypatch.setenv("QAP_DASK_WORKER_WAIT", "2")
    with _empty_cluster() as cluster:
        address = cluster.scheduler_address
        result = _flow("week", "-d", str(data), "-r", str(REFERENCE), "--run-date",
                       "2026-11-17", "-q", "--dask-address", address)
    assert result.exit_code == 12
    said = (f"the Dask scheduler at {address} has no worker: none joined within 2 s "
            f"(QAP_DASK_WORKER_WAIT); start one (`dask worker {address}`) and run again; "
            f"nothing was posted, the decks stay in {data.absolute() / 'inbox'}")
    assert result.stdout == f"Condition code 12: {said}\n"
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [f"waiting up to 2 s (QAP_DASK_WORKER_WAIT) for a Dask worker: the "
                      f"scheduler at {address} has none"]  # said under -q: a warning
    assert not [r for r in caplog.records if r.exc_info]
    assert sorted(p.name for p in (data / "inbox").iterdir()) == waiting
    assert [p.name for p in (data / "weeks").iterdir()] == [".lock"]
    assert not (data / "runs").exists()


def test_run03_waits_for_a_worker_that_joins_and_gives_the_same_bytes(tmp_path, monkeypatch):
    from run_outputs import files

    from pipelines.engine.machinery.reference import load as load_reference
    from pipelines.operator.dask_map import ClusterUnavailable, on_cluster
    from pipelines.operator.runs import run_week

    ref, day = load_reference(REFERENCE), dt.date(2026, 11, 17)
    here = run_week(WEEK, tmp_path / "here", ref, day)
    said: list[str] = []
    monkeypatch.setenv("QAP_DASK_WORKER_WAIT", "0.6")
    with _empty_cluster() as cluster:
        with pytest.raises(ClusterUnavailable, match=r"has no worker: none joined within "
                           r"0\.6 s \(QAP_DASK_WORKER_WAIT\)"):
            run_week(WEEK, tmp_path / "none", ref, day, map_decks=on_cluster(cluster, said.append))
        assert not (tmp_path / "none" / "runs" / "20261117.01").exists()
        monkeypatch.setenv("QAP_DASK_WORKER_WAIT", "30")
        threading.Timer(1.0, cluster.scale, [1]).start()  # a worker joins while it waits
        there = run_week(WEEK, tmp_path / "there", ref, day,
                         map_decks=on_cluster(cluster, said.append))
    assert said == [f"waiting up to {wait} s (QAP_DASK_WORKER_WAIT) for a Dask worker: the "
                    f"scheduler at {cluster.scheduler_address} has none" for wait in ("0.6", "30")]
    assert there.condition_code == here.condition_code == 8
    assert files(there.run_dir) == files(here.run_dir)
