"""Typed DuckDB views over a data directory, for analysts (`qap sql`).

The Parquet files keep their documented schemas (docs/outputs.md): record fields as sent, dates
as MMDDYYYY text, counts as right-aligned text. The views type them once, the same way for
every reader: dates as DATE, counts as integers (a zone-punched adjustment figure decoded with
its sign), a standard as a percent (DECIMAL 95.00, the listings' text and the Cumulative Data
File's hundredths alike), the Cumulative Data File's defect percent as printed (DECIMAL 14.29),
a blank field as NULL.

Which runs count is the store's history, not the run folders: a run is in effect when the
current state descends from its generation without a rollback having undone it; a rolled-back
run's listings stay on disk (with ROLLED-BACK.txt, which a reader could miss or lose) but no view
reads them. The state views read the current generation, resolved once, so one session sees one
consistent set of tables even while a run publishes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from layouts.zoned import DECREASE, INCREASE
from pipelines.engine.machinery.register import run_folders
from pipelines.state.store import Store

if TYPE_CHECKING:
    import duckdb

# View name -> file name pattern in a run folder (docs/outputs.md, "Run folder").
LISTINGS = {
    "register_3927": "pce-01-43.parquet",
    "posting_3927": "posting-3927.parquet",
    "register_3926": "pce-03-41.parquet",
    "posting_3926": "posting-3926.parquet",
    "ipr": "ipr_*.parquet",
    "sar": "sar_*.parquet",
    "ipr_adjustments": "ipr-adjustments_*.parquet",
    "data_not_posted": "data-not-posted_*.parquet",
    "individual_weekly": "individual-weekly_*.parquet",
    "unit_group": "unit-group_*.parquet",
    # the reports a manager checks: quarterly, sample selection, INV-10-02 (review 13, R13-11)
    "defect_frequency": "defect-frequency_*.parquet",
    "qa_unit_group": "qa-unit-group_*.parquet",
    "ipsr": "ipsr_*.parquet",
    "pull_list": "pull-list.parquet",
    "sampling_findings": "sampling-findings.parquet",
    "ro_inventory_report": "ro-inventory_*.parquet",
    "inv_10_02": "inv-10-02_*.parquet",
    "queue_screen": "queue-screen_*.parquet",
    "gs13_analysis": "gs13-analysis_*.parquet",
    "eom_inventory": "eom-inventory_*.parquet",
}
# Text columns of the listings that hold a date sent as MMDDYYYY, a count, a standard.
DATE_TEXT = {"week_ending"}
COUNT_TEXT = {"sampled", "defects", "defective", "hours", "volume"}
STANDARD_TEXT = {"quality_standard"}
# Float percents of the state kept to two decimals (cum_ofp): DECIMAL(5,2), as printed.
PERCENT = {"defect_percent"}
# Integer standards of the state kept in hundredths (cum_ofp's and quality_standards' NNnn):
# DECIMAL(5,2), as printed and as the listings' `quality_standard` (review 17, F3: 9500 beside
# a defect percent 32.43). Only INTEGER columns: the IPR's `standard` is a DOUBLE rate.
STANDARD_HUNDREDTHS = {"quality_standard", "standard"}

# A count as sent: digits (leading blanks allowed), or zone-punched (IRM 3.30.28.4.4.5(4)):
# the last position carries the last digit and the sign. Anything else is NULL.
MACROS = f"""
CREATE OR REPLACE MACRO qap_count(x) AS CASE
  WHEN regexp_full_match(x, ' *[0-9]+ *') THEN CAST(trim(x) AS BIGINT)
  WHEN regexp_full_match(rtrim(x), ' *[0-9]*[{INCREASE}{DECREASE}]') THEN
    (CASE WHEN strpos('{DECREASE}', right(rtrim(x), 1)) > 0 THEN -1 ELSE 1 END)
    * CAST(concat(ltrim(left(rtrim(x), -1)),
                  CAST(greatest(strpos('{INCREASE}', right(rtrim(x), 1)),
                                strpos('{DECREASE}', right(rtrim(x), 1))) - 1 AS VARCHAR))
           AS BIGINT)
  ELSE NULL END;
CREATE OR REPLACE MACRO qap_date(x) AS
  CAST(try_strptime(CASE WHEN regexp_full_match(x, '[0-9]{{8}}') THEN x END, '%m%d%Y') AS DATE);
CREATE OR REPLACE MACRO qap_standard(x) AS
  CASE WHEN regexp_full_match(x, '[0-9]{{4}}') THEN CAST(CAST(x AS INTEGER) / 100 AS DECIMAL(5, 2))
  END;
"""


@dataclass(frozen=True)
class Views:
    """What `open_views` made: the view names, the runs read and the runs left out."""

    state: list[str]
    listings: list[str]
    runs_in_effect: list[str]
    runs_left_out: list[str]
    generation: int | None
    files: list[str]  # every file a view reads: the only ones a query may open


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def runs_in_effect(store: Store) -> tuple[list[str], list[str]]:
    """The runs whose postings the current state holds (`Store.in_effect`), and those a
    rollback undid, oldest first."""
    kept = {m.get("run_id", "") for m in store.in_effect()
            if "rollback_before_run" not in (m.get("extra") or {})}
    ordered = list(dict.fromkeys(m["run_id"] for m in store.history()
                                 if "rollback_before_run" not in (m.get("extra") or {})))
    return [r for r in ordered if r in kept], [r for r in ordered if r not in kept]


def _typed(con: duckdb.DuckDBPyConnection, source: str, listing: bool) -> str:
    """SELECT list that types the columns of `source` (a FROM clause)."""
    cols = con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
    out = []
    for name, kind, *_ in cols:
        q = _quote(name)
        if name == "filename":
            continue
        if name in PERCENT and kind == "DOUBLE":
            out.append(f"CAST(round({q}, 2) AS DECIMAL(5, 2)) AS {q}")
        elif not listing and name in STANDARD_HUNDREDTHS and kind == "INTEGER":
            out.append(f"CAST({q} / 100 AS DECIMAL(5, 2)) AS {q}")
        elif kind != "VARCHAR":
            out.append(q)
        elif listing and name in DATE_TEXT:
            out.append(f"qap_date({q}) AS {q}")
        elif listing and name in COUNT_TEXT:
            out.append(f"qap_count({q}) AS {q}")
        elif listing and name in STANDARD_TEXT:
            out.append(f"qap_standard({q}) AS {q}")
        else:
            out.append(f"CASE WHEN trim({q}) = '' THEN NULL ELSE {q} END AS {q}")
    names = {c[0] for c in cols}
    if listing and "run_id" not in names:
        # the run folder's name (a published run's folder may still be `<id>.partial`)
        out.insert(0, r"regexp_extract(filename, '[/\\]runs[/\\]([0-9]{8}[.][0-9]{2})', 1) "
                      "AS run_id")
    return ", ".join(out)


def open_views(data_dir: Path, con: duckdb.DuckDBPyConnection) -> Views:
    """Create the views on `con`: one per state table of the current generation, one per
    listing over every run in effect, `runs` (the published generations) and `error_codes`
    (the one code table)."""
    store = Store(data_dir)
    store.check_current()
    con.execute(MACROS)
    generation = store.current_generation()
    store.verify(generation)  # the views read the files as published, or not at all
    folder = store.generation_dir(generation)
    state: list[str] = []
    read: list[str] = []
    if folder is not None:
        pinned = Path(os.path.realpath(folder))
        for table in sorted((store.manifest(generation) or {}).get("tables", {})):
            read.append(str(pinned / f"{table}.parquet"))
            source = f"read_parquet({_literal(read[-1])})"
            con.execute(f"CREATE OR REPLACE VIEW {_quote(table)} AS SELECT "
                        f"{_typed(con, source, listing=False)} FROM {source}")
            state.append(table)
    for table, path in sorted(_lacking_tables(store, set(state)).items()):
        read.append(path)
        source = f"read_parquet({_literal(path)})"
        con.execute(f"CREATE OR REPLACE VIEW {_quote(table)} AS SELECT "
                    f"{_typed(con, source, listing=False)} FROM {source} LIMIT 0")
        state.append(table)
    kept, left_out = runs_in_effect(store)
    runs_dir = Path(data_dir) / "runs"
    listings: list[str] = []
    for view, pattern in LISTINGS.items():
        files = sorted(str(f) for run in kept for folder in run_folders(runs_dir, run)[:1]
                       for f in folder.glob(pattern) if f.is_file())
        # no run in effect wrote it: the view is offered empty, typed as a run that did
        empty = not files
        if empty:
            files = _newest_file(runs_dir, left_out, pattern)
        if not files:
            continue
        read += files
        source = (f"read_parquet([{', '.join(_literal(f) for f in files)}], "
                  "union_by_name = true, filename = true)")
        con.execute(f"CREATE OR REPLACE VIEW {_quote(view)} AS SELECT "
                    f"{_typed(con, source, listing=True)} FROM {source}"
                    + (" LIMIT 0" if empty else ""))
        listings.append(view)
    _runs_view(con, store, kept)
    _codes_view(con)
    return Views(state, listings, kept, left_out, generation, read)


def _lacking_tables(store: Store, have: set[str]) -> dict[str, str]:
    """Each table an earlier generation published that the current one lacks (a rollback to
    before the first run restores a state with no tables), with its newest published file:
    its view is offered empty with that file's schema, so a query names the same views
    whatever the generation holds. Generations are never deleted (`Store.rollback_before`)."""
    found: dict[str, str] = {}
    for manifest in reversed(store.history()):
        folder = store.generation_dir(manifest["generation"])
        assert folder is not None
        for table in manifest.get("tables", {}):
            path = folder / f"{table}.parquet"
            if table not in have and table not in found and path.is_file():
                found[table] = os.path.realpath(path)
    return found


def _newest_file(runs_dir: Path, runs: list[str], pattern: str) -> list[str]:
    """The file `pattern` names in the newest of `runs` that wrote one (none: [])."""
    for run in reversed(runs):
        for folder in run_folders(runs_dir, run)[:1]:
            files = sorted(f for f in folder.glob(pattern) if f.is_file())
            if files:
                return [str(files[0])]
    return []


def _runs_view(con: duckdb.DuckDBPyConnection, store: Store, kept: list[str]) -> None:
    rows = [(m["generation"], m["run_id"], m["created"][:19].replace("T", " "),
             m.get("parent"), m.get("note") or None,
             (m.get("extra") or {}).get("rollback_before_run"),
             None if "rollback_before_run" in (m.get("extra") or {}) else m["run_id"] in kept)
            for m in store.history()]
    con.execute("CREATE OR REPLACE TABLE runs (generation INTEGER, run_id VARCHAR, "
                "published TIMESTAMP, parent INTEGER, note VARCHAR, rollback_before_run "
                "VARCHAR, in_effect BOOLEAN)")
    if rows:
        con.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _codes_view(con: duckdb.DuckDBPyConnection) -> None:
    from validators.codes import CODES

    rows = [(c.run, c.code, c.meaning, c.resolution) for c in CODES.values()]
    con.execute("CREATE OR REPLACE TABLE error_codes (run VARCHAR, code VARCHAR, "
                "meaning VARCHAR, resolution VARCHAR)")
    con.executemany("INSERT INTO error_codes VALUES (?, ?, ?, ?)", rows)
