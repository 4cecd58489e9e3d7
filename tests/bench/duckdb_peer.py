"""The DuckDB peer of the weekly run (issue 20, target 2): what a plain SQL script does with the
same Form 3926 week deck, so that the whole `qap run` process has an outside yardstick.

It does FAR LESS than the run, on purpose: it reads ONE deck as one text column, cuts every
field of the prefix, Form 3926 header and Form 3926 line layouts with `substr` (positions read
from layouts/records/*.toml, as the project's own decoder does), applies nine simple checks
and writes the rows that fail any of them, with their line numbers and check codes, to one
Parquet file. No HDR/TRL control totals, no deck identity, no Defect Code or OFP Consistency
File, no transactions or documents, no Cumulative Data File, no posting, no printed report,
no store, no atomic publish.

The nine checks (the PCE-03-41 code each stands for, `shared/spec/rules.md`):
  36p program number not 59702, 59706 or 59707   36s section not 01-12
  03  header organization code not 5 digits     04  header function code not 3 digits
  05  header program code not 5 digits          07  quality standard not blank or 4 digits
  36w header week ending not a real date        11  review number sampled not blank or digits
  15  defect code not blank or 3 digits

A plain script: it imports only duckdb and the standard library.

Example:
    python tests/bench/duckdb_peer.py bench/out/week.dat bench/out/peer
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from pathlib import Path

import duckdb

RECORDS = Path(__file__).resolve().parents[2] / "layouts" / "records"
LAYOUTS = {"prefix": "p", "form3926_header": "h", "form3926_line": "l"}  # record -> column prefix
PROGRAMS = ("59702", "59706", "59707")


def fields() -> list[tuple[str, int, int]]:
    """(column name, 1-based start, width) of every field of the three layouts."""
    out = []
    for record, short in LAYOUTS.items():
        data = tomllib.loads((RECORDS / f"{record}.toml").read_text())
        for f in data["field"]:
            start, end = int(f["start"]), int(f["end"])
            out.append((f"{short}_{f['name']}", start, end - start + 1))
    return out


def _digits(col: str, width: int) -> str:
    return f"regexp_full_match({col}, '[0-9]{{{width}}}')"


def _blank(col: str) -> str:
    return f"regexp_full_match({col}, ' *')"  # a short line gives '' here: blank too


HEADER = "p_section = '01'"
LINE = "p_section <> '01'"
REVIEW_LINE = f"({LINE} AND p_program_number = '59702')"
# (code, SQL that is true when the record FAILS the check)
CHECKS = (
    ("36p", f"p_program_number NOT IN {PROGRAMS}"),
    ("36s", f"NOT ({_digits('p_section', 2)} AND p_section BETWEEN '01' AND '12')"),
    ("03", f"{HEADER} AND NOT {_digits('h_org_code', 5)}"),
    ("04", f"{HEADER} AND NOT {_digits('h_function_code', 3)}"),
    ("05", f"{HEADER} AND NOT {_digits('h_program_code', 5)}"),
    ("07", f"{HEADER} AND NOT ({_blank('h_quality_standard')} OR "
           f"{_digits('h_quality_standard', 4)})"),
    ("36w", f"{HEADER} AND try_strptime(h_week_ending, '%m%d%Y') IS NULL"),
    ("11", f"{REVIEW_LINE} AND NOT regexp_full_match(l_sampled, ' *[0-9]*')"),  # blank or digits
    ("15", f"{LINE} AND NOT ({_blank('l_defect_code')} OR {_digits('l_defect_code', 3)})"),
)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def load(deck: Path) -> str:
    """The deck as one text column, in a table whose rowid is the line number less one (a
    `row_number() OVER ()` instead runs single-threaded and costs more than all the checks)."""
    return f"""
        CREATE TEMP TABLE deck AS
        SELECT text FROM read_csv({_quoted(deck)}, columns = {{'text': 'VARCHAR'}}, header = false,
                                  delim = '\x1f', quote = '', escape = '', auto_detect = false)"""


def query() -> str:
    """Slice, check, keep the failing rows (with their line numbers and codes)."""
    cut = ", ".join(f"substr(text, {start}, {width}) AS {name}" for name, start, width in fields())
    codes = ", ".join(f"CASE WHEN {sql} THEN '{code}' END" for code, sql in CHECKS)
    return f"""
        WITH cut AS (SELECT rowid + 1 AS line_no, text, {cut} FROM deck
                     WHERE substr(text, 1, 3) NOT IN ('HDR', 'TRL')),
        checked AS (SELECT *, concat_ws(' ', {codes}) AS codes FROM cut)
        SELECT * FROM checked WHERE codes <> ''"""


def run(deck: Path, out_dir: Path) -> tuple[int, Path]:
    """Write OUT_DIR/errors.parquet (owner-only: it holds record text); return its row count."""
    target = out_dir / "errors.parquet"
    umask = os.umask(0o077)  # whatever the caller's umask; put back for a caller in-process
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        out_dir.chmod(0o700)
        con = duckdb.connect()
        con.execute(load(deck))
        copied = con.execute(f"COPY ({query()}) TO {_quoted(target)} (FORMAT parquet)").fetchone()
    finally:
        os.umask(umask)
    return int(copied[0]) if copied else 0, target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python tests/bench/duckdb_peer.py DECK OUT_DIR", file=sys.stderr)
        return 2
    deck, out_dir = Path(args[0]), Path(args[1])
    if not deck.is_file():
        print(f"duckdb_peer: deck {deck} not found", file=sys.stderr)
        return 2
    start = time.perf_counter()
    failing, target = run(deck, out_dir)
    print(f"duckdb_peer: {failing} failing row(s) to {target} in "
          f"{time.perf_counter() - start:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
