"""run03.prepare has a one-pass path for well-formed decks and a grouped path for any deck;
on every well-formed deck they must give the same facts."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from fixtures import generate
from layouts.decoder import Records, decode
from pipelines.engine.machinery.deck import control
from pipelines.engine.machinery.intake import numbered
from pipelines.engine.qap import run03
from pipelines.engine.qap.week_parts import PREFIX
from validators.rules import control_number_bad

FIXTURES = Path(__file__).parent.parent / "fixtures"
HEADER_FACTS = ["seq", "n_lines", "header_rank", "adjustment_rank"]
LINE_FACTS = ["seq", "hdr_seq", "h_program", "h_org", "h_function", "h_program_code",
              "h_week_ending_v", "starts", "txn_no", "unit", "defects_sum", "code_rank",
              "unit_ssn", "ofp_rank", "dup_rank", "section_rank", "sampled_zoned_bad",
              "defects_zoned_bad", "defective_zoned_bad"]


def _frame(text: str) -> pl.DataFrame:
    frame = pl.read_csv(io.BytesIO(text.encode()), has_header=False, separator="\x1f",
                        quote_char=None, new_columns=["text"], schema={"text": pl.String}
                        ).with_columns(pl.col("text").fill_null("")).with_row_index(
        "line_no", offset=1)
    deck = control(Records(path=Path("mem.dat"), frame=frame, encoding="ascii"))
    return decode(numbered(deck.records, 0, 0), PREFIX)


def _both(records: pl.DataFrame):
    rec = records.with_columns((pl.col("section") == "01").alias("is_header"),
                               control_number_bad().alias("control_bad"))
    assert run03._contiguous(rec)
    fast = run03._fast(rec)
    general = run03._general(rec)
    return ((fast[0], run03._line_facts(fast[1])),
            (general[0], run03._line_facts(general[1])))


def _assert_same(records: pl.DataFrame) -> None:
    (fh, fl), (gh, gl) = _both(records)
    assert fh.select(HEADER_FACTS).cast({"n_lines": pl.Int64}).equals(
        gh.select(HEADER_FACTS).cast({"n_lines": pl.Int64}))
    cast = {"txn_no": pl.Int64, "code_rank": pl.Int64, "ofp_rank": pl.Int64,
            "unit": pl.Int64, "hdr_seq": pl.Int64}
    assert fl.select(LINE_FACTS).cast(cast).equals(gl.select(LINE_FACTS).cast(cast))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_agree_on_generated_decks_with_errors(seed):
    ofps = generate.reference_ofp(30, seed)
    codes = [f"{n:03d}" for n in range(100, 160)]
    text = generate.review_deck(3000, seed, ofps, codes, error_rate=0.2)
    _assert_same(_frame(text))


def test_paths_agree_on_the_sample_week_without_its_orphan_line():
    text = (FIXTURES / "sample-week" / "02-reviews-adjustments-standards.dat").read_text()
    lines = [t for t in text.splitlines() if not t.startswith("59702222B9901")]
    body = lines[1:-1]
    text = "\n".join([lines[0], *body, f"TRL{len(body):07d}"]) + "\n"
    _assert_same(_frame(text))


def test_interleaved_documents_take_the_grouped_path():
    records = _frame("\n".join([
        "HDRSC111420261116202606000000001",
        "59702222A010101111420260008112041044210",
        "59702222A010201111420260008112041044210",
        "59702222A010102 123456789   12",
        "59702222A010202 123456789    4",
        "TRL0000004"]) + "\n")
    rec = records.with_columns((pl.col("section") == "01").alias("is_header"))
    assert not run03._contiguous(rec)
    _, lines = run03.prepare(records)
    assert lines["hdr_seq"].to_list() == [0, 1]  # each line with its own block and serial


@pytest.mark.parametrize("body", [
    ["59702222A010102 123456789   12",  # a line before any header
     "59702222A010101111420260008112041044210"],
    ["59702222A010101111420260008112041044210",
     "59702222A010102 123456789   12",
     "59702222A020102 123456789   12"],  # a line of another block, whose header never came
    ["59702222A010101111420260008112041044210",
     "59702222A010102 123456789   12",
     "59702222A010101111420260008112041044210"],  # the same document's header twice
    ["59702222A020101111420260008112041044210",
     "59702222A010101111420260008112041044210",
     "59702222A020101111420260008112041044210"],  # twice, another document between
])
def test_decks_that_are_not_in_document_order_are_not_contiguous(body: list[str]):
    records = _frame("\n".join(["HDRSC111420261116202606000000001", *body,
                                f"TRL{len(body):07d}"]) + "\n")
    assert not run03._contiguous(records.with_columns(
        (pl.col("section") == "01").alias("is_header")))


def test_documents_in_falling_order_each_whole_are_contiguous():
    """Headers in rising order are unique without a hash; falling ones are hashed."""
    for first, second in (("01", "02"), ("02", "01")):
        records = _frame("\n".join([
            "HDRSC111420261116202606000000001",
            f"59702222A01{first}01111420260008112041044210", f"59702222A01{first}02 123456789   12",
            f"59702222A01{second}01111420260008112041044210",
            f"59702222A01{second}02 123456789    4", "TRL0000004"]) + "\n")
        assert run03._contiguous(records.with_columns(
            (pl.col("section") == "01").alias("is_header")))


@pytest.mark.parametrize(("docs", "sections"), [
    ([1, 1, 1, 5, 5, 9], ["02", "03", "12", "02", "04", "02"]),  # rising: no repeat
    ([1, 1, 1, 5, 5, 9], ["02", "03", "03", "02", "04", "02"]),  # a section twice
    ([1, 1, 5, 1, 5, 9], ["02", "03", "02", "04", "03", "02"]),  # interleaved documents
    ([1, 1, 5, 1, 5, 9], ["02", "03", "02", "03", "03", "02"]),  # interleaved, repeated
    ([5, 5, 1, 1, 9, 9], ["02", "03", "02", "03", "02", "03"]),  # documents out of order
    ([None, None, 1, 1, None, 9], ["02", "03", "02", "03", "02", "03"]),  # lines, no header
    ([1, 1, None, None, 9, 9], ["02", "03", "03", "02", "02", "03"]),
    ([], []),
])
def test_a_sections_repeat_found_by_rising_sections_is_the_one_found_by_hashing(docs, sections):
    lines = pl.DataFrame({"hdr_seq": docs, "section": sections},
                         schema={"hdr_seq": pl.UInt32, "section": pl.String})
    ranks = lines.select(run03._section_rank(lines).alias("r")).to_series()
    hashed = lines.select(run03._repeat_in("hdr_seq", "section").alias("r")).to_series()
    assert (ranks if ranks.len() == lines.height else pl.repeat(ranks[0], lines.height, eager=True)
            ).cast(pl.UInt32).to_list() == hashed.to_list()
