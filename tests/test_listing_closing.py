"""The closing lines of the printed listings (issue 19 item 5): PAGE n OF m, the deck key with
full file names, the legend of the register's codes and the end line with the record count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipelines.engine.qap import week_parts
from pipelines.reports import listings, pce_01_43, trailer
from pipelines.reports.printing import PAGE_WIDTH
from validators.codes import CODES, RUN_3926, RUN_3927

LONG_NAME = "week-46-" + "reviews-of-the-austin-campus-" * 6 + "final.dat"  # 187 characters


def _rows(n: int, decks: list[tuple[int, str]]) -> pl.DataFrame:
    """`n` rows per deck, as `print_listing` gets them (deck_no, deck, deck_title)."""
    frames = [pl.DataFrame({"i": range(n)}).select(
        pl.format("LINE {} OF DECK {}", pl.col("i"), pl.lit(no)).alias("text"),
        pl.lit(no, pl.UInt16).alias("deck_no"), pl.lit(name).alias("deck"),
        pl.lit(f"DECK {no}  SC 11142026 SEQ 00{no}").alias("deck_title"))
        for no, name in decks]
    return pl.concat(frames)


def _print_whole(rows: pl.DataFrame, path: Path) -> str:
    h = listings.heading("PCE-03-41", "TEST LISTING", dt.date(2026, 11, 17),
                         dt.date(2026, 11, 14), ("TEXT",))
    listings.print_listing(rows, pl.col("text"), h, path)
    return path.read_text()


def test_deck_key_prints_a_long_deck_name_whole_within_132_columns():
    lines = trailer.deck_key(pl.DataFrame({"deck_no": [3], "deck": [LONG_NAME]}))
    assert len(lines) == 2 and all(len(ln) <= PAGE_WIDTH for ln in lines)
    assert lines[0].startswith("DECK    3 IS week-46-")
    assert lines[0][13:] + lines[1].lstrip() == LONG_NAME
    assert lines[1].startswith(" " * 13) and not lines[1][13].isspace()


def test_listing_says_page_n_of_m_and_ends_with_the_key_and_the_count(tmp_path):
    rows = _rows(60, [(0, "a.dat"), (2, LONG_NAME)])
    text = _print_whole(rows, tmp_path / "x.txt")
    pages = text.split("\f")
    assert len(pages) == 4  # 60 lines a deck, 50 a page; the closing fits on the last page
    assert [p.split("\n")[0][-17:] for p in pages] == [
        f"PAGE    {n} OF    4" for n in range(1, 5)]
    assert pages[2].split("\n")[1].endswith("DECK 2  SC 11142026 SEQ 002")
    assert text.endswith("\n".join([
        "LINE 59 OF DECK 2", "", "DECK    0 IS a.dat",
        "DECK    2 IS " + LONG_NAME[:119], " " * 13 + LONG_NAME[119:], "",
        "*** END OF REPORT: 120 RECORDS LISTED ***", ""]))
    assert max(len(ln.lstrip("\f")) for ln in text.split("\n")) <= PAGE_WIDTH


def test_closing_lines_that_overflow_a_page_go_on_under_the_last_decks_heading(tmp_path):
    text = _print_whole(_rows(49, [(1, "b.dat")]), tmp_path / "x.txt")
    first, second = text.split("\f")
    assert first.split("\n")[0].endswith("PAGE    1 OF    2")
    assert second.split("\n")[1].endswith("DECK 1  SC 11142026 SEQ 001")
    assert second.split("\n")[5:] == ["DECK    1 IS b.dat", "",
                                      "*** END OF REPORT: 49 RECORDS LISTED ***", ""]


def test_empty_listing_prints_no_items_and_an_end_line_of_zero(tmp_path):
    text = _print_whole(_rows(0, [(0, "a.dat")]), tmp_path / "x.txt")
    assert text.split("\n")[0].endswith("PAGE    1 OF    1")
    assert [ln.strip() for ln in text.split("\n")[5:]] == [
        "*** NO ITEMS THIS RUN ***", "", "*** END OF REPORT: 0 RECORDS LISTED ***", ""]


@pytest.mark.parametrize("per_part", [50, 100, 1_000])
def test_listing_printed_in_parts_is_the_listing_printed_whole(tmp_path, per_part):
    rows = _rows(130, [(0, "a.dat"), (1, "b.dat"), (4, LONG_NAME)])
    whole = _print_whole(rows, tmp_path / "whole.txt")
    names = pl.DataFrame({"deck_no": [0, 1, 2, 3, 4],
                          "deck": ["a.dat", "b.dat", "c.dat", "d.dat", LONG_NAME]},
                         schema={"deck_no": pl.UInt16, "deck": pl.String})
    parts, total = listings.plan_listing(week_parts.deck_runs(rows), per_part, names=names)
    assert total == 9 and (len(parts) > 1) == (per_part < rows.height)
    h = listings.heading("PCE-03-41", "TEST LISTING", dt.date(2026, 11, 17),
                         dt.date(2026, 11, 14), ("TEXT",))
    chunks = (rows.slice(p.offset, p.length) for p in parts)
    listings.print_listing_chunks(chunks, pl.col("text"), h, tmp_path / "parts.txt", total)
    assert (tmp_path / "parts.txt").read_text() == whole


def test_register_legend_names_each_code_used_once_with_its_table_meaning(tmp_path):
    rows = pl.DataFrame({
        "control_number": ["101", "102", "103"], "line_no": [4, 9, 12],
        "list_number": ["000"] * 3, "action": ["X", "A", "A"], "defect_code": ["1X3"] * 3,
        "description": ["", "", "x"], "error_codes": [["02", "03"], ["03"], ["07"]],
        "record_type": ["line"] * 3, "text": [" " * 80] * 3, "header_text": [" " * 80] * 3,
        "deck_no": pl.Series([0, 0, 0], dtype=pl.UInt16), "deck": ["defects.dat"] * 3,
        "deck_title": ["DECK 0  SC 11142026 SEQ 001"] * 3})
    pce_01_43.print_register(rows, dt.date(2026, 11, 17), dt.date(2026, 11, 14),
                             tmp_path / "r.txt")
    tail = (tmp_path / "r.txt").read_text().split("\n")[-10:]
    assert tail == ["", "DECK    0 IS defects.dat", "", "ERROR CODES ON THIS REGISTER",
                    f"  02  {CODES[(RUN_3927, '02')].meaning}",
                    f"  03  {CODES[(RUN_3927, '03')].meaning}",
                    f"  07  {CODES[(RUN_3927, '07')].meaning}", "",
                    "*** END OF REPORT: 3 RECORDS LISTED ***", ""]


def test_a_legend_meaning_too_long_for_132_columns_is_cut_at_a_word():
    long = [c for (run, c), v in CODES.items() if run == RUN_3926 and len(v.meaning) > 126]
    assert long, "the table has a meaning longer than a legend line"
    line = trailer.legend(RUN_3926, long[:1])[1]
    assert len(line) <= PAGE_WIDTH and line.endswith("...")
    assert CODES[(RUN_3926, long[0])].meaning.startswith(line[6:-3])


def test_open_register_marks_a_long_deck_name_and_resolves_it_in_the_key(tmp_path):
    from pipelines.reports import open_register

    entries = pl.DataFrame({
        "opened": [dt.date(2026, 11, 17)] * 3, "age_days": [0, 0, 7],
        "run": ["PCE-03-41"] * 3, "deck": [LONG_NAME, "short.dat", LONG_NAME],
        "line_no": [4, 5, 9], "control_number": ["101", "102", "103"],
        "error_codes": [["14"], ["15"], ["16"]], "sub_reason": [None, None, None]})
    open_register.print_open(entries, dt.date(2026, 11, 17), None, tmp_path / "o.txt")
    lines = (tmp_path / "o.txt").read_text().split("\n")
    assert [ln[28:60] for ln in lines[5:8]] == [
        "week-46-reviews-of-the-aus [1]  ", "short.dat                       ",
        "week-46-reviews-of-the-aus [1]  "]
    assert lines[8:] == ["", "[1] " + LONG_NAME[:128], "    " + LONG_NAME[128:], "",
                         "*** END OF REPORT: 3 RECORDS LISTED ***", ""]
