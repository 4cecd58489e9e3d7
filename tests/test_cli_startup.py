"""`qap --help` starts fast because building the app and printing any command's help loads no
heavy library: the command modules import the engine, the reports, the store and polars inside
the commands (issue 20, target 5). A fresh interpreter shows what a start really imports; no
timing here, the figures are in docs/performance.md."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# What a start must not load: the data and orchestration libraries (seconds together) and what
# they bring. pydantic is not here: Typer itself checks option values with it.
HEAVY = ("polars", "pyarrow", "pandera", "hypothesis", "prefect", "prefect_dask", "dask",
         "distributed", "duckdb", "great_tables", "altair", "vl_convert", "jinja2", "pandas",
         "numpy", "httpx", "fastapi", "sqlalchemy")

PROBE = textwrap.dedent("""
    import contextlib, io, json, sys

    {preload}
    from typer.main import get_command

    from pipelines.operator.cli import app, run_app

    def helps(command, path):
        yield [*path, "--help"]
        for name, sub in sorted(getattr(command, "commands", {{}}).items()):
            yield from helps(sub, [*path, name])

    shown = {{}}
    for args in helps(get_command(app), []):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = run_app(args)
        shown[" ".join(args)] = (code, out.getvalue())
    print(json.dumps({{"shown": shown,
                      "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
""")


def _start(preload: str = "") -> dict:
    """Every `qap ... --help` in one fresh interpreter: what each printed, what got loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(preload=preload, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_qap_help_and_every_commands_help_load_no_heavy_library():
    started = _start()
    shown = started["shown"]
    # the probe printed real help: the app, each group and each command of a group
    for args in ("--help", "flow --help", "sample --help", "run --help", "flow week --help",
                 "sample select --help", "inventory --help", "sql --help", "ipsr --help"):
        code, text = shown[args]
        assert code == 0 and f"Usage: qap {args.removesuffix('--help')}" in text, args
    assert started["heavy"] == []


def test_the_probe_sees_a_heavy_import_at_start():
    """Not vacuous: a command module importing polars at its top would be reported."""
    assert _start(preload="import polars")["heavy"] == ["polars"]
