"""The weekly run carries individual data end to end: Forms 3926, 3081 and 6489 in, cum jobs,
IPR, SAR and Data Not Posted out, every record posted or on the register."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from layouts.encode import deck, record
from pipelines.engine.machinery.reference import load
from pipelines.operator.runs import run_week
from pipelines.state.store import Store

IND = Path(__file__).parent.parent / "fixtures" / "individual"
WEEK = "12202025"


def _reviews_deck(rows: list[dict]) -> str:
    """One Form 3926 document per OFP, lines in the CSV's order."""
    recs: list[str] = []
    by_ofp: dict[tuple, list[dict]] = {}
    for row in rows:
        by_ofp.setdefault((row["org_code"], row["function_code"], row["program_code"]),
                          []).append(row)
    for serial, ((org, fn, prog), lines) in enumerate(by_ofp.items(), start=1):
        common = dict(program_number="59702", format_code="222", block="R01",
                      serial=f"{serial:02d}")
        recs.append(record("prefix+form3926_header", section="01", week_ending=WEEK,
                           defect_list="000", org_code=org, function_code=fn,
                           program_code=prog, **common))
        for section, row in enumerate(lines, start=2):
            recs.append(record(
                "prefix+form3926_line", section=f"{section:02d}", **common,
                unit_mark="#" if row["unit_charge"] == "True" else None,
                ssn=row["ssn"] or None,
                sampled=int(row["sampled"]) if row["sampled"] else None,
                defective=int(row["defective"]) if row["defective"] else None,
                defect_code=row["defect_code"] or None,
                defects=int(row["defects"]) if row["defects"] else None))
    return deck(recs, week_ending=WEEK, created=WEEK, sequence=3)


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    root = tmp_path_factory.mktemp("ind")
    ref = root / "reference"
    ref.mkdir()
    shutil.copy(IND / "ofp_consistency.txt", ref / "ofp_consistency.txt")
    shutil.copy(IND / "employee_master.txt", ref / "employee_master.txt")
    rows = list(csv.DictReader((IND / f"reviews_{WEEK}.csv").open()))
    codes = sorted({r["defect_code"] for r in rows if r["defect_code"]})
    dl = [record("prefix+form3927_header", program_number="59703", format_code="223",
                 block="N00", serial="01", section="01", list_number="000", org_prefix="81",
                 function_prefix="11", action="A", program_prefix="4321", operation="TEST")]
    dl += [record("prefix+form3927_line", program_number="59703", format_code="223",
                  block="N00", serial="01", section=f"{i + 2:02d}", defect_code=c,
                  description=f"DEFECT {c}") for i, c in enumerate(codes)]
    (root / "codes.dat").write_text(deck(dl, week_ending=WEEK, created=WEEK, sequence=9))
    (root / "reviews.dat").write_text(_reviews_deck(rows))
    decks = [root / "codes.dat", root / "reviews.dat", IND / f"form3081_{WEEK}.txt",
             IND / f"form6489_{WEEK}.txt"]
    data = root / "data"
    result = run_week(decks, data, load(ref), dt.date(2025, 12, 22))
    return data, result, rows


def test_every_record_posts_or_is_on_the_register(week):
    _, result, _ = week
    assert all(d.status == "accepted" for d in result.decks)
    assert result.records_in == result.posted + result.rejected
    assert result.records_in == sum(d.records for d in result.decks) > 0


def test_week_figures_reach_the_cum_jobs_and_the_ipr(week):
    data, result, rows = week
    weekly = pl.read_parquet(result.run_dir / f"individual-weekly_{WEEK}.parquet")
    first = rows[0]
    got = weekly.filter((pl.col("ssn") == first["ssn"]) & (pl.col("program_code") ==
                                                          first["program_code"]))
    assert got["reviewed"].sum() == int(first["sampled"])
    assert got["errors"].sum() == int(first["defective"])
    jobs = Store(data).read("cum_jobs")
    assert jobs is not None and jobs.filter(pl.col("ssn") == first["ssn"]).height >= 1


def test_printed_individual_reports_mask_ssns(week):
    _, result, _ = week
    printed = [p for name, p in result.outputs.items() if p.suffix == ".txt" and
               re.match(r"(ipr|sar|data-not-posted)", name)]
    assert printed, result.outputs
    for path in printed:
        assert not re.search(r"(?<!\d)\d{9}(?!\d)", path.read_text()), path.name
