"""HDR/TRL deck control: a deck that fails is refused whole, saying which check and where."""

from __future__ import annotations

import hashlib

import pytest

from layouts.encode import deck, record
from pipelines.engine.machinery.deck import DeckRefused, open_deck

BODY = [record("prefix+form3926_line", program_number="59702", format_code="222",
               block="A01", serial="01", section="02", ssn="123456789", sampled=4)]


def _deck(tmp_path, text: str, name: str = "d.dat"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_deck_has_identity_from_hdr_and_content(tmp_path):
    d = open_deck(_deck(tmp_path, deck(BODY, sequence=7)))
    assert (d.campus, f"{d.week_ending:%m%d%Y}", d.sequence) == ("SC", "11142026", 7)
    assert d.records.height == 1 and d.records["line_no"].to_list() == [2]
    same = open_deck(_deck(tmp_path, deck(BODY, sequence=7), "renamed.dat"))
    assert same.content_hash == d.content_hash


@pytest.mark.parametrize(("text", "check", "line"), [
    ("\n".join(BODY) + "\nTRL0000001\n", "HDR missing", 1),
    (deck(BODY).replace("TRL0000001\n", ""), "TRL missing", 2),
    (deck(BODY).replace("TRL0000001", "TRL0000002"), "TRL count", 3),
    (deck(BODY).replace("TRL0000001", "TRL00000X1"), "TRL count", 3),
    (deck([*BODY, "HDRSC111420261116202606000002", *BODY]).replace("TRL0000003", "TRL0000003"),
     "HDR inside deck", 3),
    (deck(BODY).replace("HDRSC11142026", "HDRSC13142026"), "HDR", 1),
    (deck(BODY).replace("HDRSC", "HDR  "), "HDR", 1),
])
def test_control_failures_refuse_the_whole_deck(tmp_path, text, check, line):
    with pytest.raises(DeckRefused) as err:
        open_deck(_deck(tmp_path, text))
    assert err.value.check == check and err.value.line == line


def test_trl_count_message_says_both_counts(tmp_path):
    with pytest.raises(DeckRefused, match="TRL says 2 records but the deck holds 1"):
        open_deck(_deck(tmp_path, deck(BODY).replace("TRL0000001", "TRL0000002")))


def test_trl_count_message_points_at_blank_lines_inside_the_deck(tmp_path):
    text = deck(BODY).replace("\nTRL", "\n\nTRL")
    with pytest.raises(DeckRefused, match=r"TRL says 1 record but the deck holds 2 between HDR "
                       r"and TRL; 1 of them blank \(line 3\): a blank line counts as a record"):
        open_deck(_deck(tmp_path, text))


def test_bad_hdr_date_message_names_the_field_once(tmp_path):
    text = deck(BODY).replace("HDRSC11142026", "HDRSC13992026")
    with pytest.raises(DeckRefused, match=r"HDR week ending \(columns 6-13\) is '13992026'; "):
        open_deck(_deck(tmp_path, text))


def test_blank_lines_after_trl_are_not_records(tmp_path):
    assert open_deck(_deck(tmp_path, deck(BODY) + "\n\n")).records.height == 1


def test_content_hash_is_the_same_for_lf_crlf_trailing_blanks_and_ebcdic(tmp_path):
    body = [*BODY, BODY[0].replace("   4", "   5")]
    text = deck(body, sequence=3)
    variants = {
        "lf.dat": text.encode(),
        "crlf.dat": text.replace("\n", "\r\n").encode(),
        "blanks.dat": text.replace("\n", "   \n").encode(),
        "tail.dat": (text + "\n\n").encode(),
        "deck.ebc": b"".join(line.ljust(132).encode("cp037") for line in text.splitlines()),
    }
    hashes = set()
    for name, data in variants.items():
        path = tmp_path / name
        path.write_bytes(data)
        hashes.add(open_deck(path).content_hash)
    assert len(hashes) == 1
    other = tmp_path / "other.dat"
    other.write_text(deck(BODY, sequence=3))
    assert open_deck(other).content_hash not in hashes


def test_empty_deck_hashes_like_no_content(tmp_path):
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    a.write_text(deck([], sequence=1))
    b.write_text(deck([], sequence=2).replace("\n", "\r\n"))
    assert open_deck(a).content_hash == open_deck(b).content_hash


@pytest.mark.parametrize("batch", [1, 2, 200_000])
def test_records_hash_is_sha256_of_the_sorted_records_joined_by_lf(tmp_path, monkeypatch,
                                                                  batch):
    """The deck ledger keeps this hash of every posted deck, so a reordered copy is known
    whatever version of the program hashed it: sha256 of the records, trailing blanks
    dropped, sorted, joined by LF; the same whether hashed in one batch or many."""
    from pipelines.engine.machinery import intake

    monkeypatch.setattr(intake, "_HASH_BATCH", batch)
    lines = [BODY[0].replace("   4", f"   {n}") for n in (7, 5, 9)]
    path = _deck(tmp_path, deck(lines, sequence=3).replace("\n", "   \n", 2))
    expected = "\n".join(sorted(line.rstrip(" ") for line in lines)).encode()
    assert intake.records_hash(open_deck(path)) == hashlib.sha256(expected).hexdigest()
    empty = _deck(tmp_path, deck([], sequence=4), "empty.dat")
    assert intake.records_hash(open_deck(empty)) == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("sort_rows", [1, 7, 500_000])
def test_records_hash_sorted_a_range_of_values_at_a_time_is_the_hash_of_all_sorted(
        tmp_path, monkeypatch, sort_rows):
    """A big deck's records are sorted a range of their values at a time (`SORT_ROWS`):
    duplicates, blank records and records padded with blanks, in a shuffled order, hash as
    the whole deck sorted at once."""
    import random

    from pipelines.engine.machinery import intake

    monkeypatch.setattr(intake, "SORT_ROWS", sort_rows)
    monkeypatch.setattr(intake, "_HASH_BATCH", 5)
    lines = [BODY[0].replace("   4", f"{n % 37:4d}") for n in range(300)] + [""] * 4
    lines += [line + "  " for line in lines[:20]]  # the same records with trailing blanks
    random.Random(5).shuffle(lines)
    path = _deck(tmp_path, deck(lines, sequence=3))
    expected = "\n".join(sorted(line.rstrip(" ") for line in lines)).encode()
    assert intake.records_hash(open_deck(path)) == hashlib.sha256(expected).hexdigest()
    if sort_rows == 7:  # every range of the sort order is a run of the sorted records
        texts = intake.unpadded(open_deck(path).records["text"])
        ranges = [r.sort().to_list() for r in intake._ranges(texts)]
        assert len(ranges) > 10
        assert [t for r in ranges for t in r] == sorted(texts.to_list())


def test_lines_after_the_trl_are_named_as_such(tmp_path):
    """Review 12, F15.14: "the last record is not a TRL record" when the TRL was there."""
    path = _deck(tmp_path, deck(BODY) + "\n\nJUNK\n")
    with pytest.raises(DeckRefused) as refused:
        open_deck(path)
    assert str(refused.value) == (
        f"{path}, line 6, column 1: the TRL on line 3 is followed by 3 more line(s); a deck "
        "ends with its TRL (remove what follows, or was a second file joined on?)")


def test_ebcdic_sent_in_text_mode_is_named_as_such(tmp_path):
    """Review 12, F15.14: an EBCDIC deck with its line ends kept got only the byte count."""
    from layouts.decoder import DeckFault

    records = deck(BODY).rstrip("\n").split("\n")
    data = b"\x25".join(r.ljust(132).encode("cp037") for r in records)
    path = tmp_path / "ebc.dat"
    path.write_bytes(data)
    with pytest.raises(DeckFault) as refused:
        open_deck(path)
    assert str(refused.value) == (
        f"{path}: EBCDIC file of {len(data)} bytes is not a whole number of 132-byte records "
        "(it holds 2 EBCDIC line end(s), 0x25 or 0x15: was it sent in text mode? send it in "
        "binary mode, as fixed 132-byte records)")
