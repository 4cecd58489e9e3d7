"""`qap sql`: DuckDB over a data directory's typed views (`sql_views`), one query or a shell.

DuckDB is imported when the command runs, not when `qap` starts. The Python package ships no
DuckDB shell, so without a query a small one reads statements (ended by `;`) from the terminal.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipelines.operator.cli_options import DataDir, checked, fail
from pipelines.operator.data_dir import require_store

if TYPE_CHECKING:
    import duckdb

CC_INCOMPLETE = 12
CC_BAD_QUERY = 2  # DuckDB could not run the query: a command line qap cannot use
MAX_CELL = 60  # a wider value is cut with `...` in the table (use CSV for whole values)
PROMPT, MORE = "qap-sql> ", "     ..> "
HELP = """Statements end with `;`. Dot commands:
  .views        the views and tables, with their row counts
  .schema NAME  the columns of a view and their types
  .quit         leave (Ctrl-D too)"""


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, dt.date | dt.datetime | decimal.Decimal | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    text = str(value).replace("\n", " ").replace("\r", " ").replace("\f", " ")
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 3] + "..."


def table(columns: list[str], rows: list[tuple]) -> str:
    """Rows as a plain text table: a head, dashes, numbers to the right, a row count."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    right = [bool(rows) and all(isinstance(r[i], int | float | decimal.Decimal) and
                                not isinstance(r[i], bool) for r in rows if r[i] is not None)
             for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} {'row' if len(rows) == 1 else 'rows'})")
    return "\n".join(out)


class NotAQuery(ValueError):
    """A statement `qap sql` does not run: it answers queries and changes nothing."""


_EXPLAIN = re.compile(r"\s*EXPLAIN(\s+ANALYZE)?\b", re.IGNORECASE)
_QUERY_WORDS = {"PIVOT", "SELECT", "WITH", "FROM"}


def _first_word(text: str) -> str:
    """The statement's first keyword, its comments left out."""
    words = re.findall(r"[A-Za-z_]+", re.sub(r"--[^\n]*|/\*.*?\*/", " ", text, flags=re.S))
    return words[0].upper() if words else ""


def check_read_only(query: str) -> None:
    """Only queries: SELECT (DESCRIBE, SHOW, SUMMARIZE and FROM-first are SELECTs to DuckDB)
    and EXPLAIN of a SELECT. COPY, ATTACH, CREATE, SET... could write into the store or
    anywhere else, which `qap sql` must not (its help: it queries)."""
    import duckdb

    statements = duckdb.extract_statements(query)
    if not statements:
        raise NotAQuery("the query is empty (give none to open the shell)")
    for statement in statements:
        kind, text = statement.type, statement.query
        explained = _EXPLAIN.match(text)
        if kind == duckdb.StatementType.EXPLAIN and explained:  # judged by what it explains
            text = text[explained.end():]
            inner = duckdb.extract_statements(text)
            kind = inner[0].type if len(inner) == 1 else kind
        if kind == duckdb.StatementType.MULTI and _first_word(text) in _QUERY_WORDS:
            kind = duckdb.StatementType.SELECT  # a PIVOT: DuckDB plans it as several steps
        if kind != duckdb.StatementType.SELECT:
            word = text.strip().split(None, 1)[0].upper() if text.strip() else str(kind)
            raise NotAQuery(f"{word} statements are not run: qap sql answers queries "
                            "(SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) and changes nothing; "
                            "to keep a result, give --csv and redirect it to a file")


def sealed(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """After the views are made: the session may open only the files they read, and its
    settings are locked, so no statement reaches another file (`check_read_only` keeps
    even those from being written)."""
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con.execute(f"SET allowed_paths = [{listed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run_query(con: duckdb.DuckDBPyConnection, query: str, csv: bool = False) -> str:
    """A query's result as text (a table, or CSV); anything else is refused (`NotAQuery`)."""
    check_read_only(query)
    result = con.execute(query)
    if result.description is None:
        return "OK"
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    if csv:
        import csv as csv_module
        import io

        buffer = io.StringIO()
        writer = csv_module.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    return table(columns, rows)


def _dot(con: duckdb.DuckDBPyConnection, command: str) -> str:
    word, _, rest = command.strip().partition(" ")
    if word == ".views":
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        rows = [(n, con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names]
        return table(["name", "rows"], rows)
    if word == ".schema" and rest.strip():
        return run_query(con, f'DESCRIBE "{rest.strip()}"')
    return HELP


def shell(con: duckdb.DuckDBPyConnection, opening: str) -> None:
    """Read statements until `.quit` or end of input; an error is said and the shell goes on."""
    import duckdb

    typer.echo(opening)
    typer.echo(HELP)
    pending = ""
    while True:
        try:
            line = input(MORE if pending else PROMPT)
        except EOFError:
            typer.echo("")
            return
        except KeyboardInterrupt:  # Ctrl-C drops the statement being typed, as shells do
            typer.echo("")
            pending = ""
            continue
        if not pending and line.strip().startswith("."):
            if line.strip() in (".quit", ".exit"):
                return
            typer.echo(_dot(con, line))
            continue
        pending = f"{pending}\n{line}" if pending else line
        if not pending.strip().endswith(";"):
            continue
        statement, pending = pending, ""
        try:
            typer.echo(run_query(con, statement))
        except (duckdb.Error, NotAQuery) as err:
            typer.echo(f"Error: {err}")


def sql(
    query: Annotated[str | None, typer.Argument(
        help="SQL to run; without it, an interactive shell.", show_default=False)] = None,
    data_dir: DataDir = Path("qap-data"),
    csv: Annotated[bool, typer.Option("--csv", help="Print the result as CSV.")] = False,
) -> None:
    """Query the data directory with DuckDB through typed views: the current state's tables,
    the registers and every published run's listings (runs a rollback undid are left out),
    `runs` and `error_codes`. Dates are DATE, counts integers, blanks NULL
    (docs/outputs.md, "Typed views"). Views with SSNs show them in full: they are for the
    data directory's owner only, as its files are. Read-only: only queries run (SELECT,
    DESCRIBE, SHOW, SUMMARIZE, EXPLAIN), over the views' files alone; to keep a result, give
    --csv and redirect it.

    Example: qap sql "SELECT run_id, sum(sampled) FROM posting_3926 GROUP BY ALL" -d /srv/qap
    """
    import duckdb

    from pipelines.operator.sql_views import open_views
    from pipelines.state.store import StoreError

    checked("qap", require_store, data_dir, False)
    con = duckdb.connect(":memory:")
    try:
        views = open_views(data_dir, con)
    except (StoreError, duckdb.Error, OSError) as err:  # e.g. a run's Parquet file unreadable
        con.close()
        raise fail("qap", f"the views could not be made: {err}", CC_INCOMPLETE) from None
    sealed(con, views.files)
    try:
        if query is None:
            left = (f"; left out (rolled back): {', '.join(views.runs_left_out)}"
                    if views.runs_left_out else "")
            shell(con, f"DuckDB over {data_dir}, generation {views.generation}: runs "
                       f"{', '.join(views.runs_in_effect) or 'none'}{left}")
            return
        typer.echo(run_query(con, query, csv=csv))
    except NotAQuery as err:
        raise fail("qap", f"{err} (nothing was run)", CC_BAD_QUERY) from None
    except duckdb.Error as err:
        raise fail("qap", f"the query failed, nothing was changed: {err}", CC_BAD_QUERY
                   ) from None
    finally:
        con.close()
