"""A Dask cluster the flows cannot use is said as one message and a condition code, never a
traceback or an endless wait (review 19, F2-F4): a mistyped --dask-address is a usage error (2)
before anything starts; in the flow (a deployment's parameter) it is 12, the decks left in the
inbox."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.operator.flow_call import call
from pipelines.operator.flow_cli import flow_app

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "fixtures" / "reference"
WEEK = sorted((ROOT / "fixtures" / "sample-week").glob("*.dat"))
FORM = "give tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (a usage error: nothing was run)"
SCHEMES = "Dask's are tcp://, tls://, ws://, wss://, ucx://, inproc://"


@pytest.fixture(scope="module")
def flows(prefect_harness):
    from pipelines.operator import flows

    return flows


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
    result = CliRunner().invoke(flow_app, [*command, "-d", str(data), "--dask-address",
                                           address])
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
