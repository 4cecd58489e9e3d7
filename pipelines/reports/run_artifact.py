"""What a flow run tells Prefect: the state name that carries its condition code, and the
markdown artifact (summary table, the codes with their meanings, where the run page is).

Plain text from plain data (the engine record a flow keeps in steps.json), so it is tested
without Prefect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.reports.register_view import meaning

SHORT = {0: "clean", 4: "records rejected", 8: "deck refused", 12: "incomplete", 16: "abend"}


def state_name(condition_code: int) -> str:
    """The flow run's state name: "CC 4 records rejected", "CC 8 deck refused", ..."""
    return f"CC {condition_code} {SHORT.get(condition_code, 'unknown')}".rstrip()


def _cell(value: Any) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def top_codes(codes: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Every code of the run, most records first, with its meaning from the code tables (the
    individual data reasons included)."""
    rows = [{"run": run, "code": code, "records": n, "meaning": meaning(run, code)}
            for run, counted in codes.items() for code, n in counted.items()]
    return sorted(rows, key=lambda r: (-r["records"], r["run"], r["code"]))


def markdown(title: str, condition_code: int, message: str, run_folder: str | None,
             record: dict[str, Any] | None, steps: list[dict[str, Any]],
             run_page: Path | None, reports: list[Path]) -> str:
    """The run's artifact: condition code, summary and step tables, codes, run page, listings."""
    md = [f"# {title}", "", f"**{state_name(condition_code)}**: {message}", ""]
    md += [f"Run page: `{run_page}`" if run_page else "Run page: none (the engine did not "
           "complete)", "", f"Run folder: `{run_folder or '-'}`", "", "## Summary", ""]
    if record:
        md += _table(["records in", "posted", "rejected", "warnings", "still open",
                      "generation"],
                     [[record["records_in"], record["posted"], record["rejected"],
                       record.get("warnings", ""), record.get("still_open", ""),
                       record.get("generation", "")]])
        md += ["", "## Decks", ""]
        md += _table(["deck", "status", "records", "posted", "rejected"],
                     [[Path(d["path"]).name, d["status"], d["records"], d["posted"],
                       d["rejected"]] for d in record["decks"]])
    else:
        md.append("The engine did not complete: nothing was posted.")
    md += ["", "## Steps", ""]
    md += _table(["step", "condition code", "status", "detail"],
                 [[s["step"], s.get("condition_code"), s.get("status"), s.get("detail", "")]
                  for s in steps])
    codes = top_codes((record or {}).get("codes") or {})
    md += ["", "## Error codes", ""]
    md += _table(["run", "code", "records", "meaning"],
                 [[c["run"], c["code"], c["records"], c["meaning"]] for c in codes]
                 ) if codes else ["No error code."]
    md += ["", "## Printed reports", ""]
    md += [f"- `{p}`" for p in reports] or ["- none (the engine did not complete)"]
    return "\n".join(md) + "\n"
