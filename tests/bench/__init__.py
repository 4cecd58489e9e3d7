"""Benchmarks (figures, not tests: pytest collects no file here). Each runs as
`python3 -m uv run python -m tests.bench.<name>`; docs/performance.md has the figures."""
