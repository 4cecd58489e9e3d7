"""The policy numbers of run INV-10-02, read from `validators/params/ro_inventory.toml`.

Every number an inventory rule uses comes through `Params`, so a policy change is a dated edit
of the TOML file, never of code; `qap inventory params` prints what is in force and why.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

PARAMS_FILE = Path(__file__).parent / "params" / "ro_inventory.toml"
SECTIONS = ("gs13", "assign", "over_range", "hold_file", "queue", "cag", "support")


class ParamsError(Exception):
    """The parameter file is missing a value or dated after the run: names file and key."""


@dataclass(frozen=True)
class Range:
    grade: str
    min: int
    max: int
    effective: dt.date
    source: str


@dataclass(frozen=True)
class Params:
    """The values in force on one as-of date."""

    path: Path
    source: str
    ranges: dict[str, Range]  # grade "05".."13" -> range in force
    mix_target_pct: int
    mix_tolerance_pts: int
    band_top: int
    min_case_share: float
    weekly_limit: int
    recent_move_weeks: int
    work_days: int
    hold_max_days: int
    csed_min_days: int
    contact_days: int
    ased_years: int
    factors_required: int
    subelements_from: dt.date
    min_cases_rounding: str
    ros_supported_rounding: str
    sources: dict[str, str]  # section -> where its numbers come from
    as_of: dt.date | None = None  # the date they are in force on (None: the latest values)


def _in_force(rows: list[dict], as_of: dt.date | None) -> list[dict]:
    """Per grade, the row with the latest effective date on or before `as_of`."""
    best: dict[str, dict] = {}
    for row in rows:
        if as_of is not None and row["effective"] > as_of:
            continue
        held = best.get(row["grade"])
        if held is None or row["effective"] > held["effective"]:
            best[row["grade"]] = row
    return list(best.values())


def load(as_of: dt.date | None = None, path: Path | None = None) -> Params:
    """The parameters in force on `as_of` (all latest values when None)."""
    path = path or PARAMS_FILE
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ParamsError(f"{path}: cannot be read as TOML ({err})") from None

    def get(section: str, key: str):
        try:
            return data[section][key]
        except KeyError:
            raise ParamsError(f"{path}: [{section}] has no {key}") from None

    ranges = {r["grade"]: Range(r["grade"], int(r["min"]), int(r["max"]), r["effective"],
                                r.get("from", ""))
              for r in _in_force(data.get("range", []), as_of)}
    return Params(
        path=path, source=data.get("source", ""), ranges=ranges,
        mix_target_pct=get("gs13", "mix_target_pct"),
        mix_tolerance_pts=get("gs13", "mix_tolerance_pts"),
        band_top=get("gs13", "band_top"), min_case_share=get("gs13", "min_case_share"),
        weekly_limit=get("assign", "weekly_limit"),
        recent_move_weeks=get("assign", "recent_move_weeks"),
        work_days=get("over_range", "work_days"), hold_max_days=get("hold_file", "max_days"),
        csed_min_days=get("queue", "csed_min_days"), contact_days=get("queue", "contact_days"),
        ased_years=get("queue", "ased_years"), factors_required=get("cag", "factors_required"),
        subelements_from=get("cag", "subelements_from"),
        min_cases_rounding=get("support", "min_cases_rounding"),
        ros_supported_rounding=get("support", "ros_supported_rounding"),
        sources={s: data.get(s, {}).get("from", "") for s in SECTIONS}, as_of=as_of,
    )


def describe(params: Params) -> str:
    """The values in force with where each comes from, for `qap inventory params`. Before a
    value's effective date it is not in force (spec 3.7: dated like OpenFisca parameters),
    so a date before the IRM's 10/20/2023 prints no ranges and its rules as not in force
    (check of session 16, P8), not an empty heading and the rules as if they were."""
    data = tomllib.loads(params.path.read_text())
    on = f" on {params.as_of:%m/%d/%Y}" if params.as_of else ""
    out = [f"Policy parameters of run INV-10-02 ({params.path.name}), in force{on or ' now'}",
           f"Sources: {params.source}", "", "Standard inventory ranges (taxpayer cases):"]
    for grade in sorted(params.ranges, reverse=True):
        r = params.ranges[grade]
        out.append(f"  GS-{grade}  {r.min:>3}-{r.max:<3} effective {r.effective:%m/%d/%Y}  "
                   f"{r.source}")
    if not params.ranges:
        first = min((r["effective"] for r in data.get("range", [])), default=None)
        out.append(f"  none in force{on}" + (f": the first take effect {first:%m/%d/%Y}"
                                             if first else ""))
    for section in SECTIONS:
        values = data.get(section, {})
        out.append("")
        out.append(f"[{section}]  {values.get('from', '')}")
        effective = values.get("effective")
        if params.as_of and isinstance(effective, dt.date) and effective > params.as_of:
            out.append(f"  not in force{on}: effective {effective:%m/%d/%Y}")
            continue
        for key, value in values.items():
            if key not in ("from",):
                out.append(f"  {key} = {value}")
    return "\n".join(out)
