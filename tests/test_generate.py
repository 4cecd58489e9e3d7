"""The synthetic deck generator (`fixtures.generate`): seeded, within the layouts, and shaped so
that a weekly run rejects only what was made bad on purpose."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fixtures import generate
from layouts import layout
from layouts.decoder import decode
from layouts.layout import RECORD_WIDTH
from pipelines.engine.machinery import reference
from pipelines.engine.machinery.deck import open_deck
from pipelines.operator.runs import run_week
from validators import pce_03_41 as v03

SMALL = 2_000
RUN_DATE = dt.date(2026, 11, 16)
PREFIX = layout.load("prefix")


@pytest.fixture(scope="module")
def inputs() -> tuple[str, list[str]]:
    return generate.reference_ofp(120, seed=3), generate.national_codes(300, seed=3)


def _week(inputs: tuple[str, list[str]], seed: int = 3, error_rate: float = 0.01,
          n_lines: int = SMALL) -> str:
    ofp, codes = inputs
    return generate.review_deck(n_lines, seed, ofp, codes, error_rate=error_rate)


def _run(tmp_path: Path, ofp: str, codes: list[str], week: str):
    (tmp_path / generate.OFP_FILE).write_text(ofp)
    national = tmp_path / generate.NATIONAL_FILE
    national.write_text(generate.defect_list_deck(codes, seed=3))
    week_path = tmp_path / generate.WEEK_FILE
    week_path.write_text(week)
    return run_week([national, week_path], tmp_path / "data", reference.load(tmp_path),
                    RUN_DATE)


def test_same_seed_gives_identical_bytes(inputs):
    ofp, codes = inputs
    assert generate.reference_ofp(120, seed=3) == ofp
    assert generate.defect_list_deck(codes, 3) == generate.defect_list_deck(codes, 3)
    assert _week(inputs).encode() == _week(inputs).encode()


def test_another_seed_gives_another_deck(inputs):
    assert _week(inputs, seed=3) != _week(inputs, seed=4)
    assert generate.reference_ofp(40, seed=3) != generate.reference_ofp(40, seed=4)


@pytest.mark.parametrize("n_lines", [generate.MIN_LINES, SMALL, SMALL + 1, 25_013])
def test_week_deck_passes_deck_control_with_exactly_n_lines(tmp_path, inputs, n_lines):
    path = tmp_path / "week.dat"
    path.write_text(_week(inputs, n_lines=n_lines))
    deck = open_deck(path)
    assert deck.records.height == n_lines
    assert deck.week_ending == dt.date(2026, 11, 14)


def test_national_deck_passes_deck_control_30_codes_a_page(tmp_path, inputs):
    _, codes = inputs
    path = tmp_path / "national.dat"
    path.write_text(generate.defect_list_deck(codes, seed=3))
    records = decode(open_deck(path).records, PREFIX)
    pages = records.filter(pl.col("section") == "01").height
    assert pages == -(-len(codes) // 30)
    assert records.height == pages + len(codes)
    assert records["section"].max() == "31"


def test_no_line_exceeds_132_columns(inputs):
    ofp, codes = inputs
    for text in (ofp, generate.defect_list_deck(codes, 3), _week(inputs, error_rate=0.2)):
        assert max(len(line) for line in text.splitlines()) <= RECORD_WIDTH


def test_week_deck_holds_every_kind_of_form(inputs):
    records = decode(pl.DataFrame({"text": _week(inputs, n_lines=25_000).splitlines()[1:-1]}),
                     PREFIX)
    programs = set(records["program_number"].unique())
    assert programs == {v03.REVIEW, v03.ADJUSTMENT, v03.STANDARD}
    text = records["text"]
    unit_mark = layout.load("form3926_line").field("unit_mark")
    assert text.str.slice(unit_mark.offset, 1).eq("#").any()
    per_doc = records.group_by("block", "serial").len()
    assert per_doc["len"].max() <= 12  # a header and at most 11 lines
    assert per_doc.height == records.filter(pl.col("section") == "01").height  # unique controls


def test_clean_deck_posts_every_record(tmp_path, inputs):
    ofp, codes = inputs
    result = _run(tmp_path, ofp, codes, _week(inputs, error_rate=0.0))
    assert [d.status for d in result.decks] == ["accepted", "accepted"]
    assert result.rejected == 0
    assert result.posted == result.records_in == len(codes) + -(-len(codes) // 30) + SMALL
    assert sum(result.codes["PCE-03-41"].values()) == 0


def test_bad_lines_are_rejected_near_the_error_rate_and_records_are_conserved(tmp_path, inputs):
    ofp, codes = inputs
    rate = 0.03
    result = _run(tmp_path, ofp, codes, _week(inputs, error_rate=rate))
    week = result.decks[1]
    assert week.records == week.posted + week.rejected == SMALL
    assert rate / 3 <= week.rejected / week.records <= rate * 3
    assert result.decks[0].rejected == 0  # the national list always loads whole
    deliberate = {"11", "13", "14", "16", "18", "20", "21", "35", "36"}
    assert set(result.codes["PCE-03-41"]) <= deliberate


def test_too_few_ofps_for_the_defect_lines_is_refused_up_front(inputs):
    _, codes = inputs
    with pytest.raises(ValueError, match="OFPs"):
        generate.review_deck(20_000, 3, [("18101", "101", "10101")], codes)


def test_main_writes_the_three_files(tmp_path):
    generate.main(["--lines", "500", "--seed", "5", "--out", str(tmp_path)])
    assert {p.name for p in tmp_path.iterdir()} == {
        generate.OFP_FILE, generate.NATIONAL_FILE, generate.WEEK_FILE}
    assert open_deck(tmp_path / generate.WEEK_FILE).records.height == 500


def test_same_seed_gives_identical_bytes_in_another_interpreter(tmp_path, inputs):
    """No hash-ordered set or dict leaks into the output (PYTHONHASHSEED differs per process)."""
    ofp, codes = inputs
    script = ("import sys; from fixtures import generate as g; "
              "sys.stdout.write(g.review_deck(500, 3, g.reference_ofp(120, 3), "
              "g.national_codes(300, 3)))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True, cwd=Path(__file__).parents[1])
    assert done.stdout == generate.review_deck(500, 3, ofp, codes)


def test_a_week_split_into_decks_is_the_week_cut_at_document_headers(tmp_path, inputs):
    """`split_week` (the bench's --decks): the week's records, in order, in decks that start
    at a header, each with its own HDR sequence and TRL count; run as a week they post and
    reject what the one deck does, and the Cumulative Data File is the same."""
    ofp, codes = inputs
    (tmp_path / "one").mkdir()
    one = _run(tmp_path / "one", ofp, codes, _week(inputs))
    week = tmp_path / "one" / generate.WEEK_FILE
    paths = generate.split_week(week, 3)
    assert [p.name for p in paths] == generate.split_names(3) == [
        "week-01.dat", "week-02.dat", "week-03.dat"]
    decks = [open_deck(p) for p in paths]
    whole = open_deck(week)
    assert [d.sequence for d in decks] == [11, 12, 13] and whole.sequence != 11
    assert {(d.campus, d.week_ending, d.created) for d in decks} == {
        (whole.campus, whole.week_ending, whole.created)}
    assert pl.concat([d.records["text"] for d in decks]).equals(whole.records["text"])
    sizes = [d.records.height for d in decks]
    assert max(sizes) - min(sizes) < SMALL // 10  # about equal
    section = PREFIX.field("section")
    assert all(d.records["text"][0][section.offset:section.end] == "01" for d in decks)
    national = tmp_path / "one" / generate.NATIONAL_FILE
    split = run_week([national, *paths], tmp_path / "split" / "data",
                     reference.load(tmp_path / "one"), RUN_DATE)
    assert [d.status for d in split.decks] == ["accepted"] * 4
    assert (split.records_in, split.posted, split.rejected, split.codes) == (
        one.records_in, one.posted, one.rejected, one.codes)
    from pipelines.state.store import Store
    for table in ("cum_ofp", "cum_defects"):
        assert Store(tmp_path / "split" / "data").read(table).equals(
            Store(tmp_path / "one" / "data").read(table)), table
