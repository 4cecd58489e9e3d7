"""Speed check of the page layout: `paginate` of a million detail lines and `write_report` of
the result (figures, not a test): `python3 -m uv run python -m tests.bench.printing`."""

from __future__ import annotations

import datetime
import tempfile
import time
from pathlib import Path

import polars as pl

from pipelines.reports.printing import PageHeading, field, mask_ssn_expr, paginate, write_report


def main() -> None:
    n = 1_000_000
    synthetic = (
        pl.DataFrame({"i": pl.int_range(n, eager=True)})
        .with_columns(
            ssn=(pl.col("i") * 7919 % 1_000_000_000).cast(pl.String).str.zfill(9),
            deck=pl.col("i") // 20_000,
        )
        .select(
            line=pl.concat_str(
                [
                    field(pl.col("i") + 1, 8, "right"),
                    pl.lit("  "),
                    field(mask_ssn_expr("ssn"), 11),
                    pl.lit("  "),
                    field(pl.lit("3926"), 4),
                    pl.lit("  "),
                    field(pl.format("ERROR CODE {}", pl.col("i") % 97), 20),
                    pl.lit("  "),
                    field(pl.col("i") % 100_000, 10, "right"),
                ]
            ),
            deck=pl.col("deck"),
            break_title=pl.format("DECK SC 11142026 {}", pl.col("deck").cast(pl.String)),
        )
    )
    demo_heading = PageHeading(
        run_number="PCE-03-41",
        title="INVALID REVIEW DATA LISTING - FORM 3926",
        run_date=datetime.date(2026, 11, 20),
        week_ending=datetime.date(2026, 11, 14),
        column_heads=("     SEQ  SSN          FORM  ERROR                       AMOUNT",),
    )
    t0 = time.perf_counter()
    out = paginate(synthetic, demo_heading, lines_per_page=50, break_on="deck")
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "pce0341.txt"
        write_report(out, target)
        t2 = time.perf_counter()
        size = target.stat().st_size
    pages_printed = out.select(pl.col("line").str.contains("PAGE ").sum()).item()
    print(
        f"paginate {n:,} detail lines -> {out.height:,} printed lines, {pages_printed:,} pages: "
        f"{(t1 - t0) * 1000:.0f} ms; write_report {size / 1e6:.1f} MB: {(t2 - t1) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
