"""Benchmarks (figures, not tests: pytest collects no file here). Each runs as
`python3 -m uv run python -m tests.bench.<name>`; docs/performance.md has the figures."""

# The product sets polars' allocator when `pipelines` loads, which must be before polars does
# (`pipelines/__init__.py`); `qap` loads it first, so the benchmarks do too, and measure the
# run as it runs.
import pipelines  # noqa: F401
