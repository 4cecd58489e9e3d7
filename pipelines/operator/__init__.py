"""The operator side: CLI command groups, flows, inbox, data-directory checks."""
