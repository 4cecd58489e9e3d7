"""The shortcuts the posting listing and run 03's checks take (docs/performance.md, "Ninth
session", "Twelfth session") give what the plain way gives: display from text padded once, the
header's fields decoded and the header cells laid out once per document, the line rules
checked on their suspect rows, the OFP counts carried from part to part looked up once per
document."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from test_pce_03_41 import (
    FIRST,
    FUNC,
    OFP,
    ORG,
    PROG,
    SAT,
    printed_posting,
    records_frame,
    review,
    run,
    sample,
)
from test_run03_paths import _frame

from fixtures import generate
from layouts import layout
from layouts.decoder import decode
from pipelines.engine.qap import run03, week_parts
from pipelines.reports import pce_03_41 as listing
from validators import pce_03_41 as v
from validators.rules import flags

CODES = [f"{c:03d}" for c in range(100, 160)]


def _ofp(seed: int) -> pl.DataFrame:
    return decode(pl.DataFrame({"text": generate.reference_ofp(30, seed).splitlines()}),
                  layout.load("ofp_consistency"))


def _generated(seed: int, n: int = 3000, error_rate: float = 0.2) -> pl.DataFrame:
    """Run 03's records of a generated week deck (`_ofp(seed)` its OFPs, CODES its codes)."""
    text = generate.review_deck(n, seed, generate.reference_ofp(30, seed), CODES,
                                error_rate=error_rate)
    return _frame(text).select(pl.exclude("is_header"))


def _odd_records() -> pl.DataFrame:
    """Run 03 records with a line before any header, a Form 3081 among them, a mistyped
    program, and records cut short (a line of 13 columns whose header never came, one of 7,
    a header of 20)."""
    time_report = "59601073" + " " * 7 + "123456789"
    mistyped = [t.replace(v.REVIEW, "59709", 1) for t in review(sample(), serial="02")]
    orphan = review(sample(ssn="234567891"), serial="03")[1]
    body = [orphan, *review(sample(), sample(ssn="345678912", code="930")), time_report,
            *mistyped, "59702222AA104", "5970222", review(serial="05")[0][:20]]
    return run03.run(records_frame(body), OFP, pl.Series(["101", "102", "930"]),
                     pl.DataFrame(schema=v.QS_SCHEMA)).records


@pytest.mark.parametrize("keep", [None, "rejected", "posted"])
def test_display_in_slices_is_the_display_of_the_whole(keep):
    """Slices that begin inside a document pad its header's text apart; the records include
    lines with no header, records too short for their fields and other formats."""
    records = pl.concat([_odd_records(), run03.run(
        _generated(4, error_rate=0.05), _ofp(4), pl.Series(CODES),
        pl.DataFrame(schema=v.QS_SCHEMA)).records.with_columns(
        pl.col("seq") + 1_000_000, pl.col("hdr_seq") + 1_000_000)])
    chosen = {None: None, "rejected": pl.col("rejected"), "posted": ~pl.col("rejected")}[keep]
    at = run03.header_positions(records)
    whole = run03.display(records, chosen)
    assert records["text"].str.len_chars().min() < 13  # a record too short for its serial
    assert whole.height > 100 and whole["control_number"].str.len_chars().unique().to_list() == [3]
    cuts = [0, 1, 3, 5, 9, 40, 41, 300, 1234, records.height]
    pieces = [run03.display(records, chosen, start=lo, length=hi - lo, headers_at=at)
              for lo, hi in itertools.pairwise(cuts)]
    assert pl.concat(pieces).equals(whole)
    assert run03.display(records, chosen, start=records.height + 5, length=3).height == 0


@pytest.mark.parametrize("keep", [None, "rejected", "posted"])
def test_header_fields_decoded_once_per_document_are_each_rows_header_text_decoded(keep):
    """Each row shows the fields of its own header's text, as decoding that text on every
    row gives (blanks where it has none), the rows' documents decoded once each."""
    records = pl.concat([_odd_records(), run03.run(
        _generated(5, error_rate=0.1), _ofp(5), pl.Series(CODES),
        pl.DataFrame(schema=v.QS_SCHEMA)).records.with_columns(
        pl.col("seq") + 1_000_000, pl.col("hdr_seq") + 1_000_000)])
    chosen = {None: None, "rejected": pl.col("rejected"), "posted": ~pl.col("rejected")}[keep]
    for rows in (run03.display(records, chosen),
                 run03.display(records, chosen, start=7, length=500)):
        plain = decode(rows.select("header_text"), run03.HEADER, source="header_text",
                       typed=False).select(pl.col(c).fill_null(" " * run03.HEADER.field(c).width)
                                           for c in run03.HEADER.names)
        assert rows.select(run03.HEADER.names).equals(plain)
        assert rows["hdr_seq"].n_unique() > 3


@pytest.mark.parametrize("seq", [[3, 4, 5, 6, 7, 8], [3, 4, 6, 7, 8, 9], [0, 1, 2, 3, 4, 5]])
def test_header_positions_are_where_the_header_seq_is_or_would_go(seq):
    """Records numbered one after another take a subtraction, others the search: the same
    rows, for headers inside, before and after the records and for no header."""
    records = pl.DataFrame({"seq": seq, "hdr_seq": [3, 3, None, 12, 1, seq[-1]]},
                           schema={"seq": pl.UInt32, "hdr_seq": pl.UInt32})
    searched = records["seq"].search_sorted(records["hdr_seq"].fill_null(0))
    assert run03.header_positions(records).equals(searched)
    assert run03.header_positions(records).dtype == searched.dtype
    assert run03.header_positions(records.head(0)).len() == 0


def test_display_shows_blanks_where_a_record_has_no_header_or_no_line_fields():
    shown = run03.display(_odd_records()).select(
        "line_no", "record_type", "control_number", "week_ending", "org_code", "ssn",
        "defect_code")
    by_line = {r[0]: r[1:] for r in shown.iter_rows()}
    blank_header = (" " * 8, " " * 5)
    assert by_line[FIRST] == ("line", "103", *blank_header, "234567891", "101")  # no header
    assert by_line[FIRST + 1] == ("header", "101", SAT, ORG, " " * 9, " " * 3)
    assert by_line[FIRST + 3] == ("line", "101", SAT, ORG, "345678912", "930")
    assert by_line[FIRST + 4] == ("line", "   ", *blank_header, " " * 9, " " * 3)  # a 3081
    assert by_line[FIRST + 6] == ("line", "102", SAT, ORG, "123456789", "101")  # mistyped
    assert by_line[FIRST + 7] == ("line", "104", *blank_header, " " * 9, " " * 3)
    assert by_line[FIRST + 8] == ("line", "   ", *blank_header, " " * 9, " " * 3)
    assert by_line[FIRST + 9] == ("header", "105", "11142   ", " " * 5, " " * 9, " " * 3)


_HEAD = 56  # the printed line up to the header cells' end: control number to QUAL STD


def _per_row_line(with_codes: bool) -> pl.Expr:
    """The printed line with the header's cells laid out on every row, not once per
    document (as the listing did before)."""
    cells = [pl.col("control_number"), pl.lit("   "),
             pl.col("line_no").cast(pl.String).str.pad_start(7), pl.lit("  "),
             pl.col("week_ending"), pl.lit("  "), pl.col("defect_list"), pl.lit("  "),
             pl.col("org_code"), pl.lit("  "), pl.col("function_code"), pl.lit("  "),
             pl.col("program_code"), pl.lit("   "), listing._standard(pl.col("quality_standard")),
             pl.lit(" ")]
    return pl.concat_str([pl.concat_str(cells), listing._line(with_codes).str.slice(_HEAD)])


@pytest.mark.parametrize("with_codes", [True, False])
def test_header_cells_laid_out_once_per_document_print_as_on_every_row(with_codes):
    shown = run03.display(_odd_records())
    assert shown["hdr_seq"].null_count() == 4
    # a document's rows apart from each other, in another order, a document cut in two
    for rows in (shown, shown.reverse(), pl.concat([shown, shown.head(3)]), shown.slice(2)):
        lines = rows.select(listing._line(with_codes).alias("line"),
                            _per_row_line(with_codes).alias("per_row"))
        assert lines["line"].to_list() == lines["per_row"].to_list()
        assert lines["line"].str.slice(15, 8).to_list() == rows["week_ending"].to_list()


def test_posting_lines_of_a_header_and_its_line_print_exactly():
    result = run(review(sample(sampled=3, code="101", defects=2, defective=1)))
    posted = run03.display(result.records, ~pl.col("rejected"))
    lines = posted.select(listing._line(False).alias("line"))["line"].to_list()
    head = f"  {SAT}  000  {ORG}  {FUNC}  {PROG}          "
    assert lines == [f"101   {FIRST:>7}" + head + " " * 11 + "  " + " " * 5 + "  " + " " * 3
                     + " " * 4 + " " * 5 + "   " + " " * 5 + " " * 6,
                     f"101   {FIRST + 1:>7}" + head + "XXX-XX-6789      3  101        2"
                     "       1      "]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_line_rules_checked_on_suspect_rows_flag_what_the_whole_frame_flags(seed):
    headers, lines = run03.prepare(_generated(seed))
    found = v.line_flags(lines)
    assert found.height > 50
    assert found.sort("seq", "code").equals(flags(lines, v.LINE_SCHEMA).sort("seq", "code"))
    assert v.header_flags(headers).sort("seq", "code").equals(
        flags(headers, v.HEADER_SCHEMA).sort("seq", "code"))


def test_ofp_counts_carried_across_parts_are_those_of_the_whole_deck():
    records = _generated(5, n=4000, error_rate=0.05)
    _, whole = run03.prepare(records)
    carry, ranks = run03.DeckCarry(), []
    parts = week_parts.cuts(records, 60)
    assert len(parts) > 20
    for offset, length in parts:
        _, lines = run03.prepare(records.slice(offset, length))
        ranks.append(run03._ofp_rank_after(lines, carry).select("seq", "ofp_rank"))
    assert pl.concat(ranks).equals(whole.select("seq", "ofp_rank"))
    counted = whole.filter(run03._counted_code() == 1).group_by(
        "h_org", "h_function", "h_program_code").agg(pl.len().cast(pl.UInt32).alias("before"))
    key = ["h_org", "h_function", "h_program_code"]
    assert carry.ofp_codes.sort(key).equals(counted.sort(key))


def test_posting_listing_prints_the_header_fields_on_every_line(tmp_path):
    text = printed_posting(review(sample(sampled=3, code="101", defects=2, defective=1),
                                  sample(ssn="234567891", code="930")),
                           tmp_path / "posting.txt")
    detail = [ln for ln in text.splitlines() if ln.startswith("101 ")]
    assert [ln[15:47] for ln in detail] == [f"{SAT}  000  {ORG}  {FUNC}  {PROG}"] * 3
