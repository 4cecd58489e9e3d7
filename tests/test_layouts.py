"""Layouts as data, the one decoder and the zone-punch codec."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from golden_files import assert_golden
from hypothesis import given, settings
from hypothesis import strategies as st

from layouts import zoned
from layouts.decoder import DeckFault, decode, lf_lines, read_records
from layouts.encode import deck, record
from layouts.layout import all_layouts, layout_table, load

GOLDEN = Path(__file__).parent / "golden" / "layouts"
EXPECTED_RECORDS = {"hdr", "trl", "prefix", "form3926_header", "form3926_line",
                    "form3927_header", "form3927_line", "form3081", "form6489",
                    "ofp_consistency", "employee_master",
                    "sample_request", "work_batch", "hqw_reference", "sampling_key",
                    "ro_roster", "ro_case", "gs13_forecast", "work_calendar"}  # INV-10-02


def test_one_layout_file_per_record_type_of_the_spec():
    assert {lay.record for lay in all_layouts()} == EXPECTED_RECORDS


def test_printed_layout_tables_match_golden():
    assert_golden("\n".join(layout_table(lay) for lay in all_layouts()), GOLDEN / "all.txt")


def test_layout_positions_follow_the_spec_to_the_column():
    line = load("form3926_line")
    assert (line.field("ssn").start, line.field("ssn").end) == (17, 25)
    assert (line.field("defective").start, line.field("defective").end) == (39, 43)
    assert (load("form6489").field("class_code").start) == 98
    assert load("form3927_line").field("description").width == 100


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


SAMPLE = deck([
    record("prefix+form3926_header", program_number="59702", format_code="222", block="A01",
           serial="01", section="01", week_ending="11142026", defect_list="000",
           org_code="81120", function_code="410", program_code="44210"),
    record("prefix+form3926_line", program_number="59702", format_code="222", block="A01",
           serial="01", section="02", ssn="123456789", sampled=12, defect_code="101",
           defects=2, defective=1),
    "",
])


def _decoded(path: Path) -> pl.DataFrame:
    return decode(read_records(path).frame, load("prefix"), load("form3926_line"))


def test_lf_crlf_and_ebcdic_decode_identically(tmp_path):
    lf = _write(tmp_path, "lf.dat", SAMPLE.encode())
    crlf = _write(tmp_path, "crlf.dat", SAMPLE.replace("\n", "\r\n").encode())
    ebcdic = _write(tmp_path, "deck.ebc", b"".join(
        line.ljust(132).encode("cp037") for line in SAMPLE.splitlines()))
    expected = _decoded(lf)
    assert _decoded(crlf).equals(expected)
    assert _decoded(ebcdic).equals(expected)
    assert read_records(ebcdic).encoding == "cp037"


def test_decoder_keeps_raw_text_line_numbers_and_types(tmp_path):
    out = _decoded(_write(tmp_path, "d.dat", SAMPLE.encode()))
    row = out.filter(pl.col("line_no") == 3).row(0, named=True)
    assert row["ssn"] == "123456789" and row["sampled"] == "   12" and row["sampled_v"] == 12
    assert row["text"].startswith("59702222A010102")
    blank_line = out.filter(pl.col("line_no") == 4).row(0, named=True)
    assert blank_line["text"] == "" and blank_line["sampled"] == "     "
    assert blank_line["sampled_v"] is None


def test_number_field_rejects_signs_embedded_and_trailing_blanks():
    frame = pl.DataFrame({"text": [
        record("prefix+form3926_line", sampled=s)
        for s in ("   12", "+0012", " 1 2", "  12 ", "  +12", "1+2  ", "   -1", "00012")]})
    values = decode(frame, load("prefix"), load("form3926_line"))["sampled_v"].to_list()
    assert values == [12, None, None, None, None, None, None, 12]



@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["   12", "+0012", " 1 2", "00012", "     ", "99999", "  -1",
                                 "11142026", "02302026", "A1234", ""]), max_size=60),
       st.booleans())
def test_typed_fields_decoded_once_per_value_are_the_rows_decoded_one_by_one(raws, long):
    """`decode` works a typed field out once per distinct value when they are few, and slices
    a text at least as long as the layout without padding it: the values are the expression's
    on every row (typed_expr), short, long, blank and null texts alike."""
    from layouts.decoder import typed_expr
    line, header = load("form3926_line"), load("form3926_header")
    texts = [None if r == "" else record("prefix+form3926_line", sampled=r[:5], defects=r[-5:])
             + (" " * 90 if long else "") for r in raws]
    texts += [record("prefix+form3926_header", week_ending=r.ljust(8)[:8]) for r in raws[:5]]
    texts *= 9  # a value in 9 rows or more: decoded once (and 9 rows of a value: by row)
    out = decode(pl.DataFrame({"text": texts}, schema={"text": pl.String}), line, header)
    for f in (*line.fields, *header.fields):
        sliced = out.select(pl.col("text").str.pad_end(133).str.slice(f.offset, f.width))
        assert out[f.name].equals(sliced["text"], check_names=False), f.name
        if (expr := typed_expr(f, pl.col(f.name))) is not None:
            assert out[f"{f.name}_v"].equals(out.select(expr)[f.name], check_names=False), f.name



def test_a_text_long_in_bytes_but_short_in_characters_is_padded():
    out = decode(pl.DataFrame({"text": ["é" * 10, "x" * 15]}), load("prefix"))
    assert out["section"].to_list() == ["  ", "xx"]

@pytest.mark.parametrize(("data", "where"), [
    (b"", "file is empty"),
    (b"HDR\x00\x01\x02junk\n", "line 1, column 4"),
    (b"HDRSC111420261116202606000000\n" + b"9" * 10_000_000 + b"\n", "line 2, column 133"),
])
def test_unreadable_files_fault_with_file_line_and_column(tmp_path, data, where):
    path = _write(tmp_path, "bad.dat", data)
    with pytest.raises(DeckFault) as err:
        read_records(path)
    assert where in str(err.value) and str(path) in str(err.value)


def test_missing_file_faults_clearly(tmp_path):
    with pytest.raises(DeckFault, match="file not found"):
        read_records(tmp_path / "nope.dat")


@given(st.integers(min_value=-9999, max_value=99999))
def test_zone_codec_round_trips(value):
    text = zoned.encode(value)
    assert len(text) == 5 and zoned.decode(text) == value
    frame = pl.DataFrame({"f": [text]})
    assert frame.select(zoned.value_expr(pl.col("f")))[0, 0] == value
    assert frame.select(zoned.valid_expr(pl.col("f")))[0, 0]


@pytest.mark.parametrize(("text", "strict", "value"), [
    ("   4C", True, 43), ("   1K", True, -12), ("   1{", True, 10), ("    }", True, 0),
    ("   43", True, None), ("   43", False, 43), ("  A1C", True, None), ("     ", True, None),
    ("   1R", False, -19),
])
def test_zone_codec_strict_and_lenient(text, strict, value):
    assert zoned.decode(text, strict=strict) == value
    got = pl.DataFrame({"f": [text]}).select(zoned.value_expr(pl.col("f"), strict=strict))[0, 0]
    assert got == value


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=600), st.text(max_size=600)))
def test_decoder_never_raises_on_arbitrary_input(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "deck.dat"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "replace"))
    try:
        records = read_records(path)
    except DeckFault:
        return
    decode(records.frame, load("prefix"), load("form3926_header"))
    decode(records.frame, load("prefix"), load("form6489"))


def _read_both(path: Path, monkeypatch, chunk: int) -> tuple[object, object]:
    """`read_records` of `path` read whole and a piece of `chunk` bytes at a time: each the
    records (frame, encoding, LF-only, bytes read) or the fault's message."""
    from layouts import decoder

    def read(size: int) -> object:
        monkeypatch.setattr(decoder, "CHUNK_BYTES", size)
        try:
            got = read_records(path)
        except DeckFault as err:
            return str(err)
        return got.frame.to_dicts(), got.encoding, got.lf_only, got.size

    return read(1 << 40), read(chunk)


@settings(max_examples=300, deadline=None)
@given(data=st.lists(st.sampled_from([b"\n", b"\n", b"HDR", b"abc", b"  ", b" ", b"\r", b"\r\n",
                                      b"\x00", b"\xef\xbb\xbf", b"~", b"TRL0000001"]),
                     max_size=40).map(b"".join),
       chunk=st.integers(min_value=1, max_value=12))
def test_a_deck_read_a_piece_at_a_time_is_the_deck_read_whole(tmp_path_factory, data, chunk):
    """Issue 20: a large LF-only deck is read a piece of whole lines at a time; any file reads
    to the same records, or fails with the same message, as when read whole."""
    path = tmp_path_factory.mktemp("pieces") / "deck.dat"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        whole, pieces = _read_both(path, monkeypatch, chunk)
    assert pieces == whole
    assert isinstance(whole, str) or whole[3] == len(data)  # (check of session 16, P7)


@pytest.mark.parametrize("chunk", [1, 5, 31, 32, 33, 64])
@pytest.mark.parametrize("ending", [b"", b"\n", b"\n\n", b"\n  \n", b"   "])
def test_a_deck_in_pieces_keeps_blank_lines_trailing_blanks_and_its_line_numbers(
        tmp_path, monkeypatch, chunk, ending):
    lines = [b"HDRSC111420261116202606000000", b"", b"5970222200001 x  ", b"  ", b"",
             b"5970222200002", b"TRL0000005"]
    path = _write(tmp_path, "d.dat", b"\n".join(lines) + ending)
    whole, pieces = _read_both(path, monkeypatch, chunk)
    assert pieces == whole and whole[2] is True
    if chunk > 30:  # every piece holds a line end: read in pieces, not whole again
        from layouts import decoder

        assert decoder._read_pieces(path) is not None
    texts = [r["text"] for r in whole[0]]
    assert texts[:6] == [line.decode() for line in lines[:6]]
    assert texts[6].rstrip() == "TRL0000005"
    assert [r["line_no"] for r in whole[0]][:7] == list(range(1, 8))


@pytest.mark.parametrize("data", [b"a\n", b"a \nb  \n", b"a\n\nb\n", b"a\n\n", b"\n", b"\n\n",
                                  b"HDR\n" + b"x" * 132 + b"\n"])
def test_lf_lines_are_the_lines_between_the_lfs(data):
    """`lf_lines` (a deck's part read again) parses as the decoder does: each LF ends a line,
    blank lines are "", trailing blanks kept."""
    assert lf_lines(data).to_list() == data.decode().split("\n")[:-1]


@pytest.mark.parametrize("data", [b"a", b"a\nb", b"a\x1fb\n", "é\n".encode(), b""])
def test_lf_lines_of_what_is_not_lf_ended_ascii_is_none(data):
    assert lf_lines(data) is None
