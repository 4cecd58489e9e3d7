"""Reference files read by run 03 and the individual data step: OFP Consistency and Employee
Master. A missing or unreadable one stops the run (condition code 12) with a clear message."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from layouts import layout
from layouts.decoder import DeckFault, decode_file

OFP_FILE = "ofp_consistency.txt"
EMF_FILE = "employee_master.txt"


class ReferenceMissing(Exception):
    pass


@dataclass(frozen=True)
class Reference:
    ofp: pl.DataFrame
    employees: pl.DataFrame | None


def load(reference_dir: Path, need_employees: bool = False) -> Reference:
    def one(name: str, record: str) -> pl.DataFrame:
        path = reference_dir / name
        if not path.exists():
            raise ReferenceMissing(f"{path}: reference file not found (expected the "
                                   f"{layout.load(record).title.split(' (')[0]} here; "
                                   "give another folder with --reference)")
        try:
            return decode_file(path, layout.load(record))
        except DeckFault as fault:
            raise ReferenceMissing(str(fault)) from None

    ofp = one(OFP_FILE, "ofp_consistency")
    emf_path = reference_dir / EMF_FILE
    employees = one(EMF_FILE, "employee_master") if need_employees or emf_path.exists() else None
    return Reference(ofp=ofp, employees=employees)
