"""The operator surface: the `qap` CLI (one module per command group), the Prefect flows, the
inbox and the data-directory checks. It only wires the engine and the reports.

The command modules import the engine, the reports, the store and polars inside their commands,
not at their top: `qap --help` then loads none of them (tests/test_cli_startup.py)."""
