"""Overhead of the Prefect weekly flow over the engine on a 1,000,000-line week. A script, not a
test; it takes a few minutes. It builds the inputs with `fixtures.generate.write_inputs` (the
national Defect Code deck, a week deck of --lines records, the OFP Consistency File) into
bench/out/flow (gitignored) and measures, each run in a fresh child process on a fresh data
directory:

(a) engine: `run_week([national, week])`, as `qap run` calls it; then, timed apart, the run
    page (`run_page.write`), which the flow's engine task also makes and `qap run` too.
(b) flow, running server: `weekly_flow` over an inbox holding the same two decks, against a
    `prefect server start` this script starts on 127.0.0.1 (and stops at the end).
(c) flow, temporary server: the same with no PREFECT_API_URL, so Prefect starts its temporary
    local server inside the flow call (PREFECT_HOME in the data directory), as `qap flow week`
    does by default.

Overhead = flow call - engine call (best of --repeat each); issue 20's target 6 is (b) at most
1 s over (a) on the 1,000,000-line week. The flow's own steps come from its steps.json (seconds
per step): intake (hash + HDR/TRL control of each deck, a second read of the week deck), the
engine task, archive (renames); and, from the times of the flow's log lines, Prefect's own
start (creating the flow run, before its first line) and finish (after the flow's last line:
the final state; the flows are async, so it no longer waits out the heartbeat thread's
second, as Prefect's sync engine did: `flow_call.py`). "process" adds the imports (Prefect's are
3-4 s) and, for (c), stopping the temporary server.

The children may write compiled bytecode (PYTHONDONTWRITEBYTECODE is dropped), as on a machine
after set-up; an unmeasured warm-up flow of the national deck alone against the running server
writes it first, so that no measured call compiles Prefect's modules (--no-warm-up skips it).
With --json the last line of the output is one JSON object with every figure.

Example:
    uv run python -m tests.bench.flow --lines 1000000 --repeat 2
    uv run python -m tests.bench.flow --lines 1000000 --repeat 1 --no-temporary --json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from fixtures import generate

OUT = Path("bench/out/flow")
RUN_DATE = dt.date(2026, 11, 17)


def _cpu() -> float:
    """CPU of this process and of the children it has waited for: the run page draws its
    charts in a process of its own (`chart_painter`)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _child_engine(data: Path, inputs: Path) -> dict:
    from pipelines.engine.machinery import reference
    from pipelines.operator.runs import run_week

    ref = reference.load(inputs)
    decks = [inputs / generate.NATIONAL_FILE, inputs / generate.WEEK_FILE]
    start, cpu = time.perf_counter(), _cpu()
    result = run_week(decks, data, ref, RUN_DATE)
    call, cpu = time.perf_counter() - start, _cpu() - cpu
    from pipelines.reports import run_page  # the flow's engine task makes the page too

    start, page_cpu = time.perf_counter(), _cpu()
    run_page.write(result, data)
    page, page_cpu = time.perf_counter() - start, _cpu() - page_cpu
    return {"call": call, "cpu": cpu, "run_page": page, "run_page_cpu": page_cpu,
            "condition_code": result.condition_code,
            "records_in": result.records_in, "posted": result.posted}


class _FlowClock(logging.Handler):
    """When the flow's log lines are emitted: the first is Prefect's "Beginning flow run",
    after it has created the flow run and set it Running; the flow's own last line is its
    "condition code N: ..." (`flows._close`). Before the first is Prefect's start, after the
    last its finish (the final state)."""

    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None
        self.last_ours: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        if record.getMessage().startswith("condition code"):
            self.last_ours = now


def _child_flow(data: Path, inputs: Path, decks: tuple[str, ...] = (
        generate.NATIONAL_FILE, generate.WEEK_FILE)) -> dict:
    from pipelines.operator.flow_call import call
    from pipelines.operator.flows import weekly_flow

    inbox = data / "inbox"
    inbox.mkdir(parents=True)
    for name in decks:
        shutil.copy2(inputs / name, inbox / name)
    clock = _FlowClock()
    logging.getLogger("prefect.flow_runs").addHandler(clock)
    start, cpu = time.perf_counter(), _cpu()
    outcome = call(weekly_flow, data_dir=data, reference_dir=inputs, run_date=RUN_DATE)
    end, cpu = time.perf_counter(), _cpu() - cpu
    steps = {s["step"]: s.get("seconds") for s in outcome.steps}
    prefect = ({"prefect_start": clock.first - start, "prefect_finish": end - clock.last_ours}
               if clock.first is not None and clock.last_ours is not None else {})
    return {"call": end - start, "cpu": cpu, "condition_code": outcome.condition_code,
            "steps": steps, **prefect}


KEEP = False  # --keep: leave each run's data directory (about 150 MB each) for inspection


def _run_child(kind: str, data: Path, inputs: Path, env: dict[str, str]) -> dict:
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tests.bench.flow", "--child", kind,
                           str(data), "--out", str(inputs)], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode:
        sys.exit(f"{kind} run failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["process"] = time.perf_counter() - start
    if not KEEP:
        shutil.rmtree(data)
    return report


def _env(**extra: str) -> dict[str, str]:
    """Ours without Prefect's settings, and free to write compiled bytecode (see above)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(home: Path) -> tuple[subprocess.Popen, str, float]:
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    port = _free_port()
    prefect = Path(sys.executable).with_name("prefect")
    start = time.perf_counter()
    with open(home / "server.log", "w") as log:  # the child keeps its own copy of the fd
        server = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(PREFECT_HOME=str(home)), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    import httpx

    while time.perf_counter() - start < 180:
        if server.poll() is not None:
            sys.exit(f"prefect server exited: {(home / 'server.log').read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url, time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    _stop_server(server)
    sys.exit("prefect server did not answer within 180 s")


def _stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["call"])


def _line(label: str, runs: list[dict], engine: float | None) -> str:
    best = _best(runs)
    calls = ", ".join(f"{r['call']:.2f}" for r in runs)
    procs = ", ".join(f"{r['process']:.2f}" for r in runs)
    text = (f"{label:<28} call {best['call']:7.2f} s  [{calls}]  CPU {best['cpu']:.2f} s  "
            f"process [{procs}] s")
    if engine is not None:
        over = best["call"] - engine
        text += f"\n{'':<28} overhead over the engine: {over:+.2f} s ({over / engine:+.0%})"
    return text


def _steps(run: dict) -> str:
    steps = run.get("steps") or {}
    named = {k: v for k, v in steps.items() if v is not None}
    listed = ", ".join(f"{k} {v:.2f} s" for k, v in named.items())
    rest = run["call"] - sum(named.values())
    text = f"{'':<28} steps: {listed}; outside the steps {rest:.2f} s"
    if "prefect_start" in run:
        text += (f"\n{'':<28} of which Prefect's flow start {run['prefect_start']:.2f} s and "
                 f"finish {run['prefect_finish']:.2f} s")
    return text


def _prefect_share(run: dict, rest: float) -> str:
    if "prefect_start" not in run:
        return ""
    fixed = run["prefect_start"] + run["prefect_finish"]
    return (f", of which Prefect's flow start and finish {fixed:.2f} s; the flow's own "
            f"{rest - fixed:+.2f} s (intake, tasks, bookkeeping, the server's share of the cores)")


def main(argv: list[str] | None = None) -> None:
    """Build the inputs, run engine / flow + running server / flow + temporary server.

    Example: uv run python -m tests.bench.flow --lines 1000000 --repeat 2
    """
    parser = argparse.ArgumentParser(prog="python -m tests.bench.flow",
                                     description=main.__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--keep", action="store_true", help="keep each run's data directory")
    parser.add_argument("--no-temporary", dest="temporary", action="store_false",
                        help="skip (c), the flow with Prefect's temporary server")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="skip the unmeasured first flow that compiles the bytecode")
    parser.add_argument("--json", action="store_true",
                        help="end with one JSON object holding every figure")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, data = args.child[0], Path(args.child[1])
        if kind == "warm-up":
            report = _child_flow(data, args.out, (generate.NATIONAL_FILE,))
        else:
            report = (_child_engine if kind == "engine" else _child_flow)(data, args.out)
        print(json.dumps(report))
        return

    global KEEP
    KEEP = args.keep
    out = args.out.absolute()
    start = time.perf_counter()
    files = generate.write_inputs(out, args.lines, args.seed)
    print(f"inputs in {out}: week deck {args.lines:,} records "
          f"({files['week'].stat().st_size / 1e6:.1f} MB), built in "
          f"{time.perf_counter() - start:.1f} s; {os.cpu_count()} cores")

    server, url, took = _start_server(out / "server-home")
    try:
        print(f"    prefect server on {url}, answered after {took:.1f} s", flush=True)

        def running_env(name: str) -> dict[str, str]:
            return _env(PREFECT_API_URL=url, PREFECT_HOME=str(out / name / "prefect"))

        warm = None
        if args.warm_up:
            warm = _run_child("warm-up", out / "warm-up", out, running_env("warm-up"))
            print(f"    warm-up flow (national deck alone, unmeasured): {warm['call']:.2f} s "
                  f"call, {warm['process']:.2f} s process", flush=True)
        engine, running = [], []
        for i in range(args.repeat):  # alternating, so that both see the same machine load
            engine.append(_run_child("engine", out / f"engine-{i}", out, _env()))
            running.append(_run_child("flow", out / f"running-{i}", out,
                                      running_env(f"running-{i}")))
    finally:
        _stop_server(server)
    base = _best(engine)["call"]
    print(_line("(a) engine run_week", engine, None))
    print(f"{'':<28} records in {engine[0]['records_in']:,}, posted {engine[0]['posted']:,}, "
          f"condition code {engine[0]['condition_code']}")
    print(_line("(b) flow, running server", running, base))
    print(_steps(_best(running)))
    over = _best(running)["call"] - base
    page = _best(engine)["run_page"]
    print(f"target 6 (issue 20): the flow against a running server at most 1 s over the engine: "
          f"{over:+.2f} s   {'PASS' if over <= 1.0 else 'MISS'}\n"
          f"    of which the run page (charts), which the engine call leaves out: {page:.2f} s; "
          f"the rest {over - page:+.2f} s{_prefect_share(_best(running), over - page)}\n"
          f"    over the engine and the run page (the flow's engine task draws it, as `qap run` "
          f"does): {over - page:+.2f} s   {'PASS' if over - page <= 1.0 else 'MISS'}\n"
          f"    in CPU of the calling process (the server's own is not counted): flow "
          f"{_best(running)['cpu']:.2f} s - engine {_best(engine)['cpu']:.2f} s - run page "
          f"{_best(engine)['run_page_cpu']:.2f} s = "
          f"{_best(running)['cpu'] - _best(engine)['cpu'] - _best(engine)['run_page_cpu']:+.2f} s")

    temporary = []
    for i in range(args.repeat if args.temporary else 0):
        data = out / f"temporary-{i}"
        temporary.append(_run_child("flow", data, out, _env(
            PREFECT_HOME=str(data / "prefect"),
            PREFECT_PROFILES_PATH=str(data / "prefect" / "profiles.toml"))))
    if temporary:
        print(_line("(c) flow, temporary server", temporary, base))
        print(_steps(_best(temporary)))
    codes = {r["condition_code"] for r in engine + running + temporary}
    print(f"condition codes of all runs: {sorted(codes)} (the same week each time)")
    if args.json:
        temp = _best(temporary)["call"] if temporary else None
        print(json.dumps({
            "lines": args.lines, "seed": args.seed, "repeat": args.repeat,
            "server_start_s": took, "warm_up_call_s": warm["call"] if warm else None,
            "engine_s": base, "flow_running_s": _best(running)["call"],
            "overhead_running_s": over, "target_overhead_s": 1.0, "pass": over <= 1.0,
            "engine_run_page_s": page, "overhead_less_run_page_s": over - page,
            "pass_less_run_page": over - page <= 1.0,
            "engine_cpu_s": _best(engine)["cpu"], "flow_running_cpu_s": _best(running)["cpu"],
            "engine_run_page_cpu_s": _best(engine)["run_page_cpu"],
            "flow_running_steps_s": _best(running).get("steps"),
            "prefect_start_s": _best(running).get("prefect_start"),
            "prefect_finish_s": _best(running).get("prefect_finish"),
            "flow_temporary_s": temp, "overhead_temporary_s": temp and temp - base,
            "records_in": engine[0]["records_in"], "posted": engine[0]["posted"],
            "condition_codes": sorted(codes),
            "each": {"engine_s": [r["call"] for r in engine],
                     "flow_running_s": [r["call"] for r in running],
                     "flow_temporary_s": [r["call"] for r in temporary],
                     "engine_process_s": [r["process"] for r in engine],
                     "flow_running_process_s": [r["process"] for r in running],
                     "prefect_start_s": [r.get("prefect_start") for r in running],
                     "prefect_finish_s": [r.get("prefect_finish") for r in running]}}))


if __name__ == "__main__":
    main()
