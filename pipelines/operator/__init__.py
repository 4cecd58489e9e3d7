"""The operator surface: the `qap` CLI (one module per command group), the Prefect flows, the
inbox and the data-directory checks. It only wires the engine and the reports."""
