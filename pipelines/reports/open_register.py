"""Open error register listing: every entry still open, with its age, printed each run. A deck
name longer than its column prints cut, with a mark `[n]` that the key at the end resolves
to the whole name."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import polars as pl

from pipelines.engine.machinery.register import DECK_WEEK, ssn_of_record
from pipelines.reports import trailer
from pipelines.reports.printing import (
    PAGE_WIDTH,
    PageHeading,
    field,
    mask_ssn_expr,
    paginate,
    write_report,
)

DECK_WIDTH = 30
HEAD = ("OPENED      AGE  RUN        DECK                            LINE  CTRL  ERROR CODES",)


def _head(place_width: int) -> tuple[str, ...]:
    if place_width == 3:
        return HEAD
    return (HEAD[0].replace("CTRL  ERROR CODES", f"{'PLACE':<{place_width + 3}}ERROR CODES"),)


def print_open(entries: pl.DataFrame, run_date: dt.date, week_ending: dt.date | None,
               path: Path, place_width: int = 3, subtitle: str = "") -> None:
    """`place_width` > 3: print the column `place` (what identifies the record, e.g. the
    INV-10-02 key columns) instead of the 3-character control number; `subtitle`, e.g. an
    inventory's AS OF date, which its run prints where a week's run prints its week."""
    heading = PageHeading(run_number="QAP-REG", title="OPEN ERROR REGISTER ENTRIES",
                          run_date=run_date, week_ending=week_ending,
                          column_heads=_head(place_width), subtitle=subtitle)
    ctrl = "control_number" if place_width == 3 else "place"
    long_names = _long_names(entries)
    if entries.height == 0:
        detail = pl.DataFrame({"line": []}, schema={"line": pl.String})
    else:
        main = pl.concat_str([
            field(pl.col("opened").dt.strftime("%m/%d/%Y"), 10), pl.lit("  "),
            field("age_days", 3, "right"), pl.lit("  "), field("run", 9), pl.lit("  "),
            field(_deck_cell(long_names), DECK_WIDTH), pl.lit("  "),
            field("line_no", 6, "right"), pl.lit("  "),
            field(ctrl, place_width), pl.lit("   "),
            pl.col("error_codes").list.join(" ")]).str.strip_chars_end()
        whole = pl.when(pl.col("sub_reason").is_not_null()).then(
            main + pl.lit("  ") + pl.col("sub_reason")).otherwise(main)
        lines = (pl.when(whole.str.len_chars() <= PAGE_WIDTH).then(pl.concat_list(whole))
                 .otherwise(pl.concat_list(main, _continued(pl.col("sub_reason")))))
        if "beside" in entries.columns and entries["beside"].is_not_null().any():
            lines = pl.when(pl.col("beside").is_null()).then(lines).otherwise(
                pl.concat_list(lines, _continued(BESIDE + pl.col("beside") + BESIDE_END)))
        detail = entries.select(lines.alias("line")).explode("line")
    key = [line for n, name in enumerate(long_names, 1) for line in _key(n, name)]
    closing = [*(["", *key] if key else []), "", trailer.end_line(entries.height)]
    write_report(paginate(trailer.append(detail, closing), heading, lines_per_page=50), path)


CONTINUED = 12  # a reason too long for its entry's line goes on under it, from this column
# Under an entry a later weekly run's record sits beside without closing it (check of session
# 17, Q4): perhaps its record corrected and posted already, so withdraw it rather than re-input
BESIDE = pl.lit("Beside it since, closing nothing: ")
BESIDE_END = pl.lit(". Withdraw this entry if that is its record corrected")


def _continued(reason: pl.Expr) -> pl.Expr:
    """A reason (what a sampling reject's field held and what was expected) on lines of its
    own under its entry, cut at words, each within the page."""
    return reason.map_elements(
        lambda text: [" " * CONTINUED + part
                      for part in textwrap.wrap(text, PAGE_WIDTH - CONTINUED)],
        return_dtype=pl.List(pl.String))


def _long_names(entries: pl.DataFrame) -> list[str]:
    """Deck names too long for the column, in the order they are first listed."""
    if entries.height == 0:
        return []
    names = entries.get_column("deck").drop_nulls().unique(maintain_order=True)
    return [n for n in names.to_list() if len(n) > DECK_WIDTH]


def _mark(n: int) -> str:
    return f" [{n}]"


def _deck_cell(long_names: list[str]) -> pl.Expr:
    cut = {name: name[:DECK_WIDTH - len(_mark(n))] + _mark(n)
           for n, name in enumerate(long_names, 1)}
    return pl.col("deck").replace_strict(cut, default=pl.col("deck"), return_dtype=pl.String)


def _key(n: int, name: str) -> list[str]:
    """`[n] <whole name>`, going on under itself past column 132."""
    lead = f"[{n}] "
    room = PAGE_WIDTH - len(lead)
    pieces = [name[at:at + room] for at in range(0, len(name), room)]
    return [lead + pieces[0], *(" " * len(lead) + piece for piece in pieces[1:])]


# An entry with no code of its own: rejected because its document or transaction was (the
# printed register says which line); correct the line that has a code (docwalk F7)
NO_CODE = "-   with its document (no code of its own)"


def screen(entries: pl.DataFrame, data_dir: Path, as_of: dt.date, chosen: str = "",
           include_closed: bool = False) -> list[str]:
    """`qap register`: the entries as the run's listing has them, plus the masked SSN; deck
    names in full (`qap withdraw` needs them). `chosen` names the filters the caller applied;
    `include_closed`: closed entries are listed too, with their status."""
    kind = "" if include_closed else "open "
    if entries.height == 0:
        return [f"The error register in {data_dir} has no {kind}entries{chosen}."]
    rows = entries.with_columns(ssn_of_record()).with_columns(mask_ssn_expr("ssn"))
    width = max(4, *(len(d) for d in rows["deck"]))
    title = "Error register" if include_closed else "Open error register"
    count = f"{rows.height} {kind}{'entry' if rows.height == 1 else 'entries'}"
    if include_closed:
        count += f", {rows.filter(pl.col('status') == 'open').height} open"
    status = f"{'STATUS':<12}" if include_closed else ""
    lines = [f"{title} in {data_dir} on {as_of:%m/%d/%Y}: {count}{chosen}",
             f"{status}OPENED      AGE  REGISTER   RUN ID       WEEK        {'DECK':<{width}}  "
             "  LINE  CTRL  SSN          ERROR CODES"]
    for r in rows.iter_rows(named=True):
        week = r.get(DECK_WEEK)
        lines.append(f"{r['status']:<12}"[:len(status)] +
                     f"{r['opened']:%m/%d/%Y}  {r['age_days']:>3}  {r['run']:<9}  "
                     f"{r['run_id']:<11}  {f'{week:%m/%d/%Y}' if week else '':<10}  "
                     f"{r['deck']:<{width}}  {r['line_no']:>6}  {r['control_number'] or '':<4}  "
                     f"{r['ssn'] or '':<11}  {' '.join(r['error_codes'] or []) or NO_CODE}"
                     f"{'  ' + r['sub_reason'] if r['sub_reason'] else ''}".rstrip())
        if r.get("beside") and r["status"] == "open":
            lines.append(" " * (len(status) + CONTINUED) + "beside it since, closing nothing: "
                         f"{r['beside']}. Withdraw the entry if that is its record corrected, "
                         "else `qap corrections --with-beside` writes it")
    return lines
