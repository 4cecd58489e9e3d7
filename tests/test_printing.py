"""Tests of the legacy 132-column print layout (pipelines.reports.printing)."""

from __future__ import annotations

import datetime
import itertools
import os
import re
from pathlib import Path

import polars as pl
import pytest
from golden_files import GOLDEN_UPDATE_ENV, assert_golden

from pipelines.reports.printing import (
    FORM_FEED,
    NO_ITEMS,
    PAGE_WIDTH,
    PageChunk,
    PageHeading,
    field,
    fmt_date,
    mask_ssn_expr,
    paginate,
    paginate_chunks,
    paginate_flowing,
    plan_chunks,
    render,
    write_pages,
    write_report,
)

GOLDEN = Path(__file__).parent / "golden" / "printing"
PAGE_RE = re.compile(r"PAGE +(\d+) OF +\d+$")

HEADING = PageHeading(
    run_number="PCE-03-41",
    title="INVALID REVIEW DATA LISTING - FORM 3926",
    run_date=datetime.date(2026, 11, 20),
    week_ending=datetime.date(2026, 11, 14),
    column_heads=(
        "DLN             SSN          REVIEWER  ERROR",
        "                                       CODE   DESCRIPTION",
    ),
    subtitle="DECK SC 11142026 000",
)


def _pages(text: str) -> list[list[str]]:
    """Split printed text into pages (form feed) and lines; drops the final empty line."""
    assert text.endswith("\n")
    return [page.split("\n") for page in text[:-1].split("\n" + FORM_FEED)]


def _page_numbers(text: str) -> list[int]:
    return [int(PAGE_RE.search(page[0]).group(1)) for page in _pages(text)]


def _simple_detail(n: int, groups: list[str] | None = None) -> pl.DataFrame:
    data: dict[str, list] = {"line": [f"DETAIL {i:04d}" for i in range(n)]}
    if groups is not None:
        data["grp"] = groups
    return pl.DataFrame(data, schema_overrides={"line": pl.String})


# --------------------------------------------------------------------------- golden file


def _small_report() -> str:
    records = pl.DataFrame(
        {
            "deck": ["001", "001", "001", "001", "001", "002", "002"],
            "dln": [
                "29211-318-00001-6",
                "29211-318-00002-6",
                "29211-318-00003-6",
                "29211-318-00004-6",
                "29211-318-00005-6",
                "29211-319-00001-6",
                "29211-319-00002-6-EXTRA",
            ],
            "ssn": ["123456789", "987-65-4321", "", None, "12345", "555443333", "  "],
            "reviewer": ["1234", "1234", "56", "1234", None, "7", "7"],
            "code": [12, 7, 103, 12, 1, 44, 9],
            "desc": [
                "INVALID SELECTION CODE",
                "MISSING REVIEW DATE",
                "EMPLOYEE NUMBER NOT ON FILE FOR THIS CAMPUS",
                None,
                "BLANK",
                "DUPLICATE DLN",
                "WEEK ENDING OUT OF RANGE",
            ],
        }
    )
    detail = records.select(
        line=pl.concat_str(
            [
                field("dln", 17),
                pl.lit(" "),
                field(mask_ssn_expr("ssn"), 11),
                pl.lit("  "),
                field("reviewer", 8, "right"),
                pl.lit("  "),
                field("code", 4, "right"),
                pl.lit("   "),
                field("desc", 30),
            ]
        ),
        deck=pl.col("deck"),
        break_title=pl.concat_str([pl.lit("DECK SC 11142026 "), pl.col("deck")]),
    )
    return render(paginate(detail, HEADING, lines_per_page=4, break_on="deck"))


def test_small_report_matches_golden() -> None:
    assert_golden(_small_report(), GOLDEN / "small.txt")


def test_empty_report_matches_golden() -> None:
    empty = pl.DataFrame(schema={"line": pl.String, "deck": pl.String})
    assert_golden(render(paginate(empty, HEADING, break_on="deck")), GOLDEN / "empty.txt")


# --------------------------------------------------------------------------- layout


def test_small_report_layout() -> None:
    pages = _pages(_small_report())
    assert len(pages) == 3  # deck 001: 4 + 1 lines, deck 002: 2 lines
    assert [len(p) - 6 for p in pages] == [4, 1, 2]  # 6 heading lines per page
    for number, page in enumerate(pages, start=1):
        line1, line2, blank, head1, head2, dashes = page[:6]
        assert line1.startswith("PCE-03-41 ")
        assert line1.endswith(f"PAGE {number:4d} OF    3") and len(line1) == PAGE_WIDTH
        title_at = line1.index("INVALID REVIEW")
        assert title_at == (PAGE_WIDTH - len(HEADING.title)) // 2
        assert line2.startswith("RUN DATE 11/20/2026 ")
        assert line2.index("WEEK ENDING 11/14/2026") == (PAGE_WIDTH - 22) // 2
        assert len(line2) == PAGE_WIDTH
        assert blank == ""
        assert (head1, head2) == tuple(h.rstrip() for h in HEADING.column_heads)
        assert dashes == "-" * len(HEADING.column_heads[1])
    assert pages[0][1].endswith(" DECK SC 11142026 001")
    assert pages[1][1].endswith(" DECK SC 11142026 001")
    assert pages[2][1].endswith(" DECK SC 11142026 002")


def test_form_feed_only_before_pages_after_the_first() -> None:
    text = render(paginate(_simple_detail(10), HEADING, lines_per_page=3))
    lines = text.split("\n")
    assert not text.startswith(FORM_FEED)
    ff_lines = [i for i, s in enumerate(lines) if FORM_FEED in s]
    assert len(ff_lines) == 3  # 4 pages
    assert all(lines[i].startswith(FORM_FEED + "PCE-03-41") for i in ff_lines)
    assert text.count(FORM_FEED) == 3


def test_page_numbers_consecutive_from_first_page() -> None:
    text = render(paginate(_simple_detail(23), HEADING, lines_per_page=5, first_page=7))
    assert _page_numbers(text) == [7, 8, 9, 10, 11]


def test_headings_on_every_page_and_every_detail_printed_once_in_order() -> None:
    n, per_page = 103, 10
    pages = _pages(render(paginate(_simple_detail(n), HEADING, lines_per_page=per_page)))
    assert len(pages) == 11
    details: list[str] = []
    for page in pages:
        assert page[0].lstrip(FORM_FEED).startswith("PCE-03-41")
        assert page[1].startswith("RUN DATE ")
        assert page[5].startswith("-----")
        assert len(page) - 6 <= per_page
        details.extend(page[6:])
    assert details == [f"DETAIL {i:04d}" for i in range(n)]


def test_page_break_on_group_change() -> None:
    groups = ["A"] * 3 + ["B"] * 7 + [None] * 2 + ["A"] * 1 + [None] * 1
    detail = _simple_detail(len(groups), groups)
    pages = _pages(render(paginate(detail, HEADING, lines_per_page=5, break_on="grp")))
    # A(3) | B(5) B(2) | null(2) | A(1) | null(1): each change of value, null included, breaks.
    assert [len(p) - 6 for p in pages] == [3, 5, 2, 2, 1, 1]
    printed = [line for page in pages for line in page[6:]]
    assert printed == detail["line"].to_list()
    group_of = dict(zip(detail["line"], groups, strict=True))
    for page in pages:
        assert len({group_of[line] for line in page[6:]}) == 1


def test_break_title_is_subtitle_with_fallback() -> None:
    detail = pl.DataFrame(
        {
            "line": ["a", "b", "c", "d"],
            "grp": [1, 1, 2, 3],
            "break_title": ["DECK ONE", "DECK ONE", None, "   "],
        }
    )
    pages = _pages(render(paginate(detail, HEADING, lines_per_page=50, break_on="grp")))
    assert [p[1].split()[-1] for p in pages] == ["ONE", "000", "000"]
    assert pages[0][1].endswith(" DECK ONE")
    assert pages[1][1].endswith(" " + HEADING.subtitle)


def test_empty_report_prints_one_page() -> None:
    empty = pl.DataFrame(schema={"line": pl.String})
    pages = _pages(render(paginate(empty, HEADING, first_page=3)))
    assert len(pages) == 1
    assert pages[0][0].endswith("PAGE    3 OF    3")
    assert pages[0][6:] == [NO_ITEMS.center(PAGE_WIDTH).rstrip()]


def test_no_trailing_blanks_and_headings_fit_132() -> None:
    detail = pl.DataFrame({"line": ["X    ", None, "  Y  ", ""], "g": [1, 1, 2, 2]})
    text = render(paginate(detail, HEADING, lines_per_page=1, break_on="g"))
    for line in text.split("\n"):
        assert line == line.rstrip(" ")
        assert len(line.lstrip(FORM_FEED)) <= PAGE_WIDTH
    assert [p[6:] for p in _pages(text)] == [["X"], [""], ["  Y"], [""]]


def test_no_week_ending_no_subtitle_no_column_heads() -> None:
    heading = PageHeading(
        "PCE-01-43", "POSTING TRANSACTION LISTING", datetime.date(2026, 1, 2), None, ()
    )
    pages = _pages(render(paginate(_simple_detail(2), heading)))
    assert pages[0][1] == "RUN DATE 01/02/2026"
    assert pages[0][2:] == ["", "DETAIL 0000", "DETAIL 0001"]


def test_long_title_and_subtitle_are_cut_and_big_page_numbers_widen() -> None:
    heading = PageHeading(
        "PCE-03-41",
        "T" * 200,
        datetime.date(2026, 11, 20),
        datetime.date(2026, 11, 14),
        ("H",),
        "S" * 200,
    )
    text = render(paginate(_simple_detail(3), heading, lines_per_page=1, first_page=9999))
    pages = _pages(text)
    assert [p[0].lstrip(FORM_FEED)[-19:] for p in pages] == [
        "PAGE  9999 OF 10001",
        "PAGE 10000 OF 10001",
        "PAGE 10001 OF 10001",
    ]
    for page in pages:
        line1, line2 = page[0].lstrip(FORM_FEED), page[1]
        assert len(line1) == PAGE_WIDTH and len(line2) == PAGE_WIDTH
        assert line1.startswith("PCE-03-41 T") and "T PAGE" in line1
        assert "11/14/2026 S" in line2


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        paginate(pl.DataFrame({"line": ["ok", "two\nlines"]}), HEADING)
    with pytest.raises(ValueError, match="must not contain"):
        paginate(pl.DataFrame({"line": ["eject\f"]}), HEADING)
    with pytest.raises(ValueError, match="'line'"):
        paginate(pl.DataFrame({"text": ["x"]}), HEADING)
    with pytest.raises(ValueError, match="break_on"):
        paginate(pl.DataFrame({"line": ["x"]}), HEADING, break_on="deck")
    with pytest.raises(ValueError, match="lines_per_page"):
        paginate(pl.DataFrame({"line": ["x"]}), HEADING, lines_per_page=0)


# --------------------------------------------------------------------------- cells


def test_fmt_date() -> None:
    assert fmt_date(datetime.date(2026, 3, 4)) == "03/04/2026"
    assert fmt_date(datetime.date(987, 1, 31)) == "01/31/0987"
    assert fmt_date(None) == ""


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("123456789", "XXX-XX-6789"),
        (" 123456789 ", "XXX-XX-6789"),
        ("123-45-6789", "XXX-XX-6789"),
        ("12345678  ", "XXX-XX-5678"),
        ("12", "XXX-XX-12"),
        ("", ""),
        ("         ", "         "),
        (None, None),
    ],
)
def test_mask_ssn_expr(raw: str | None, masked: str | None) -> None:
    df = pl.DataFrame({"ssn": [raw]}, schema={"ssn": pl.String})
    out = df.select(mask_ssn_expr("ssn"))
    assert out.columns == ["ssn"]
    assert out.item() == masked


def test_field_truncation_padding_null() -> None:
    df = pl.DataFrame({"s": ["ABCDEFG", "AB", None, ""], "n": [12345, 7, None, 0]})
    out = df.select(
        left=field("s", 5),
        right=field("s", 5, "right"),
        num=field(pl.col("n"), 4, "right"),
        zero=field("s", 0),
    )
    assert out["left"].to_list() == ["ABCDE", "AB   ", "     ", "     "]
    assert out["right"].to_list() == ["ABCDE", "   AB", "     ", "     "]
    assert out["num"].to_list() == ["1234", "   7", "    ", "   0"]
    assert out["zero"].to_list() == ["", "", "", ""]


def test_field_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="align"):
        field("s", 3, "center")
    with pytest.raises(ValueError, match="width"):
        field("s", -1)


# --------------------------------------------------------------------------- reports in parts


def _decks(sizes: list[int], decks: list[int | None]) -> pl.DataFrame:
    """Detail lines in runs of the given sizes and deck numbers (a deck may come back later, a
    null deck is a value of its own), each deck titled, one title blank (default subtitle)."""
    deck = [d for n, d in zip(sizes, decks, strict=True) for _ in range(n)]
    titles = {d: ("   " if d == 2 else f"DECK SC 11142026 {d:03d}") for d in decks if d is not None}
    return pl.DataFrame(
        {
            "line": [f"{i:7d}  LINE OF DECK {d}   " for i, d in enumerate(deck)],
            "deck_no": pl.Series(deck, dtype=pl.UInt16),
            "break_title": [titles.get(d) for d in deck],
        }
    )


def _in_parts(
    detail: pl.DataFrame, lines_per_page: int, break_on: str | None, rows_per_chunk: int,
    joined: bool = False,
) -> tuple[str, list[PageChunk]]:
    keys = detail.select(break_on) if break_on else detail.select("line")
    parts, total = plan_chunks(
        keys, lines_per_page=lines_per_page, break_on=break_on, rows_per_chunk=rows_per_chunk
    )
    pages = paginate_chunks(
        (detail.slice(p.offset, p.length) for p in parts),
        HEADING,
        lines_per_page=lines_per_page,
        break_on=break_on,
        total_pages=total,
        joined=joined,
    )
    return "".join(render(frame) for frame in pages), parts


SIZES = [120, 37, 50, 1, 263, 100, 49]
DECKS = [0, 1, 2, None, 1, 3, None]


@pytest.mark.parametrize(
    ("sizes", "decks", "lines_per_page", "break_on", "rows_per_chunk"),
    [
        (SIZES, DECKS, 50, "deck_no", 50),  # one page a part
        (SIZES, DECKS, 50, "deck_no", 100),  # divides the pages, not the decks
        (SIZES, DECKS, 50, "deck_no", 137),  # divides neither
        (SIZES, DECKS, 50, "deck_no", 200),
        (SIZES, DECKS, 50, "deck_no", 10_000),  # one part
        (SIZES, DECKS, 50, "deck_no", 1),  # a part smaller than a page: one page a part
        (SIZES, DECKS, 7, "deck_no", 20),
        (SIZES, DECKS, 7, "deck_no", 49),
        (SIZES, DECKS, 7, None, 30),  # no page break on a deck
        ([20_001, 3, 5, 1], [5, 6, 5, None], 2, "deck_no", 4_096),  # 10,006 pages
        ([20_001, 3, 5, 1], [5, 6, 5, None], 2, "deck_no", 3_001),
    ],
)
def test_report_in_parts_is_byte_identical_to_the_whole(
    sizes: list[int],
    decks: list[int | None],
    lines_per_page: int,
    break_on: str | None,
    rows_per_chunk: int,
) -> None:
    detail = _decks(sizes, decks)
    whole = render(paginate(detail, HEADING, lines_per_page=lines_per_page, break_on=break_on))
    text, parts = _in_parts(detail, lines_per_page, break_on, rows_per_chunk)
    assert text == whole
    assert _in_parts(detail, lines_per_page, break_on, rows_per_chunk, joined=True)[0] == whole
    n_pages = len(_pages(whole))
    assert _page_numbers(whole) == list(range(1, n_pages + 1))
    # The parts cover the frame in order, each starts a page, none longer than asked unless
    # a part is a single page.
    assert [p.offset for p in parts] == [0, *[p.offset + p.length for p in parts[:-1]]]
    assert sum(p.length for p in parts) == detail.height
    assert all(p.length <= max(rows_per_chunk, lines_per_page) for p in parts)
    assert (len(parts) > 1) == (rows_per_chunk < detail.height)
    assert parts[0].first_page == 1
    if n_pages > 9_999:
        assert whole.startswith(HEADING.run_number) and whole.split("\n", 1)[0].endswith(
            f"PAGE     1 OF {n_pages}"
        )
        assert f"PAGE {n_pages} OF {n_pages}\n" in whole


@pytest.mark.parametrize("rows", [0, 1, 5, 12])
def test_pages_with_headings_joined_to_their_first_lines_write_the_same_text(rows: int) -> None:
    """`joined=True` (for writers): a row per page fewer than lines, the same text."""
    detail = _simple_detail(rows)
    for kw in ({}, {"first_page": 3, "form_feed_first": True, "last_page": 20}):
        lines = paginate(detail, HEADING, lines_per_page=5, **kw)
        joined = paginate(detail, HEADING, lines_per_page=5, joined=True, **kw)
        assert render(joined) == render(lines)
        assert joined.height == max(rows, 1)


def test_paginate_parts_parameters_default_to_the_whole_report() -> None:
    detail = _simple_detail(12)
    plain = render(paginate(detail, HEADING, lines_per_page=5))
    same = paginate(detail, HEADING, lines_per_page=5, form_feed_first=False, last_page=None)
    assert render(same) == plain
    ejected = render(paginate(detail, HEADING, lines_per_page=5, form_feed_first=True))
    assert ejected == FORM_FEED + plain
    wide = _pages(render(paginate(detail, HEADING, lines_per_page=5, last_page=10_000)))
    assert [p[0].lstrip(FORM_FEED)[-19:] for p in wide] == [
        "PAGE     1 OF 10000",
        "PAGE     2 OF 10000",
        "PAGE     3 OF 10000",
    ]
    with pytest.raises(ValueError, match="last_page"):
        paginate(detail, HEADING, lines_per_page=5, first_page=2, last_page=3)
    with pytest.raises(ValueError, match="last_page"):
        paginate(detail, HEADING, lines_per_page=5, first_page=4, last_page=3)


def test_empty_report_in_parts_prints_the_no_items_page() -> None:
    empty = pl.DataFrame(schema={"line": pl.String, "deck_no": pl.UInt16})
    parts, total = plan_chunks(empty, lines_per_page=50, break_on="deck_no", rows_per_chunk=10)
    assert (parts, total) == ([PageChunk(0, 0, 1)], 1)
    pages = paginate_chunks(
        [empty, empty], HEADING, lines_per_page=50, break_on="deck_no", total_pages=total
    )
    whole = render(paginate(empty, HEADING, lines_per_page=50, break_on="deck_no"))
    assert "".join(render(frame) for frame in pages) == whole


def test_parts_that_would_change_the_text_are_refused() -> None:
    detail = _decks([12, 5], [1, 2])
    kw = {"lines_per_page": 5, "break_on": "deck_no"}
    mid_page = [detail.slice(0, 7), detail.slice(7)]  # deck 1 continues mid-page
    with pytest.raises(ValueError, match="middle of page 2"):
        list(paginate_chunks(mid_page, HEADING, total_pages=4, **kw))
    on_deck = [detail.slice(0, 12), detail.slice(12)]  # a new deck starts a page: fine
    assert "".join(
        render(f) for f in paginate_chunks(on_deck, HEADING, total_pages=4, **kw)
    ) == render(paginate(detail, HEADING, **kw))
    with pytest.raises(ValueError, match="total_pages"):
        list(paginate_chunks(on_deck, HEADING, total_pages=5, **kw))
    with pytest.raises(ValueError, match="last_page"):
        list(paginate_chunks(on_deck, HEADING, total_pages=3, **kw))
    with pytest.raises(ValueError, match="rows_per_chunk"):
        plan_chunks(detail, lines_per_page=5, break_on="deck_no", rows_per_chunk=0)


@pytest.mark.parametrize(
    "cuts",
    [
        list(range(15)),  # a line a part
        [0, 7, 14],  # parts end mid-page
        [0, 5, 10, 14],  # parts end on pages
        [0, 0, 2, 2, 14],  # empty parts
        [0, 14],  # one part
    ],
)
def test_flowing_report_in_parts_is_the_whole_text(cuts: list[int]) -> None:
    detail = _simple_detail(14)
    parts = [detail.slice(a, b - a) for a, b in itertools.pairwise(cuts)]
    whole = render(paginate(detail, HEADING, lines_per_page=5))
    flowing = paginate_flowing(parts, HEADING, lines_per_page=5, total_lines=14)
    assert "".join(render(frame) for frame in flowing) == whole


def test_flowing_report_checks_its_line_count() -> None:
    detail = _simple_detail(14)
    empty = render(paginate(detail.clear(), HEADING, lines_per_page=5))
    assert "".join(render(f) for f in paginate_flowing([], HEADING, lines_per_page=5,
                                                        total_lines=0)) == empty
    with pytest.raises(ValueError, match=r"total_pages|last_page"):
        list(paginate_flowing([detail], HEADING, lines_per_page=5, total_lines=9))
    with pytest.raises(ValueError, match="total_pages"):
        list(paginate_flowing([detail], HEADING, lines_per_page=5, total_lines=20))


def test_write_pages_appends_parts_atomically(tmp_path: Path) -> None:
    detail = _decks(SIZES, DECKS)
    parts, total = plan_chunks(detail, lines_per_page=50, break_on="deck_no", rows_per_chunk=150)
    assert len(parts) > 3

    def pages():
        return paginate_chunks(
            (detail.slice(p.offset, p.length) for p in parts),
            HEADING,
            lines_per_page=50,
            break_on="deck_no",
            total_pages=total,
        )

    target = tmp_path / "listing.txt"
    target.write_text("previous run\n")

    def failing():
        for i, frame in enumerate(pages()):
            if i == 2:
                raise RuntimeError("disk gone")
            yield frame

    with pytest.raises(RuntimeError, match="disk gone"):
        write_pages(failing(), target)
    assert target.read_text() == "previous run\n"
    assert sorted(os.listdir(tmp_path)) == ["listing.txt"]

    write_pages(pages(), target)
    whole = paginate(detail, HEADING, lines_per_page=50, break_on="deck_no")
    assert target.read_bytes() == render(whole).encode()
    reference = tmp_path / "whole.txt"
    write_report(whole, reference)
    assert target.read_bytes() == reference.read_bytes()
    assert (target.stat().st_mode & 0o777) == (reference.stat().st_mode & 0o777) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["listing.txt", "whole.txt"]


def _listing_frame(n: int) -> pl.DataFrame:
    """The column types of a listing's Parquet twin (pce_03_41.COLUMNS)."""
    i = pl.int_range(n, eager=True)
    return pl.DataFrame(
        {
            "run_id": ["20261116.01"] * n,
            "line_no": (i + 2).cast(pl.UInt32),
            "ssn": (i * 7919 % 1_000_000_000).cast(pl.String).str.zfill(9),
            "sampled": pl.Series(
                [None if k % 7 == 0 else f"{k % 5:3d}" for k in range(n)], dtype=pl.String
            ),
            "error_codes": [[] if k % 3 else [f"{k % 40:02d}", "19"] for k in range(n)],
            "warning": [k % 11 == 0 for k in range(n)],
            "text": [f"5970222200{k:07d} 11142026 SOME RECORD TEXT {k}" for k in range(n)],
        },
        schema_overrides={"error_codes": pl.List(pl.String)},
    )


@pytest.mark.parametrize("sizes", [[400, 0, 350, 250], [0]])
def test_parquet_in_parts_reads_back_as_the_whole(tmp_path: Path, sizes: list[int]) -> None:
    import duckdb
    import pyarrow.parquet as pq

    from pipelines.reports.listings import ParquetParts

    frame = _listing_frame(sum(sizes))
    whole, parts = tmp_path / "whole.parquet", tmp_path / "parts.parquet"
    frame.write_parquet(whole, compression="zstd", compression_level=1)
    with ParquetParts(parts) as out:
        offset = 0
        for n in sizes:
            out.write(frame.slice(offset, n))
            offset += n
    assert pq.read_schema(parts).remove_metadata() == pq.read_schema(whole).remove_metadata()
    assert pq.read_table(parts).equals(pq.read_table(whole))
    assert pl.read_parquet(parts).equals(pl.read_parquet(whole))
    assert pl.read_parquet(parts).schema == frame.schema
    for query in ("describe select * from '{}'", "select * from '{}'"):
        assert (
            duckdb.sql(query.format(parts)).fetchall() == duckdb.sql(query.format(whole)).fetchall()
        )
    assert (parts.stat().st_mode & 0o777) == (whole.stat().st_mode & 0o777)


def test_parquet_in_parts_leaves_nothing_on_failure(tmp_path: Path) -> None:
    from pipelines.reports.listings import ParquetParts

    target = tmp_path / "p.parquet"
    with pytest.raises(RuntimeError, match="stop"), ParquetParts(target) as out:
        out.write(_listing_frame(10))
        raise RuntimeError("stop")
    assert not target.exists()
    with pytest.raises(ValueError, match="no part"), ParquetParts(target):
        pass
    assert not target.exists()
    with pytest.raises(ValueError, match="a part with columns"), ParquetParts(target) as out:
        out.write(_listing_frame(10))
        out.write(pl.DataFrame({"other": [1]}))
    assert sorted(os.listdir(tmp_path)) == []


def test_weekly_posting_listing_in_parts_equals_one_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 3926 Posting Transaction Listing of a run, printed and written in parts of 120 and
    of 333 rows (several decks, parts that split decks), against the whole in one part."""
    import pyarrow.parquet as pq

    from fixtures import generate
    from pipelines.engine.machinery import reference
    from pipelines.operator.runs import run_week
    from pipelines.reports import listings

    ofp = generate.reference_ofp(60, seed=5)
    codes = generate.national_codes(120, seed=5)
    (tmp_path / generate.OFP_FILE).write_text(ofp)
    national = tmp_path / generate.NATIONAL_FILE
    national.write_text(generate.defect_list_deck(codes, seed=5))
    weeks = []
    for seed, n in ((5, 700), (6, 449), (7, 300)):  # three decks, three HDR sequences
        weeks.append(tmp_path / f"week-{seed}.dat")
        weeks[-1].write_text(generate.review_deck(n, seed, ofp, codes, error_rate=0.02,
                                                  sequence=seed))
    ref = reference.load(tmp_path)
    outputs = {}
    for rows in (1_000_000, 120, 333):
        monkeypatch.setattr(listings, "CHUNK_ROWS", rows)
        result = run_week(
            [national, *weeks], tmp_path / f"data-{rows}", ref, datetime.date(2026, 11, 16)
        )
        assert result.posted > 1_000
        run_dir = result.run_dir
        outputs[rows] = (
            (run_dir / "posting-3926.txt").read_bytes(),
            pq.read_table(run_dir / "posting-3926.parquet"),
        )
    text, table = outputs[1_000_000]
    assert text.count(FORM_FEED.encode()) >= 20
    for rows in (120, 333):
        assert outputs[rows][0] == text
        assert outputs[rows][1].equals(table)
        assert outputs[rows][1].schema == table.schema


# --------------------------------------------------------------------------- output files


def test_write_report_equals_render_and_replaces_atomically(tmp_path: Path) -> None:
    pages = paginate(_simple_detail(9), HEADING, lines_per_page=4)
    target = tmp_path / "report.txt"
    target.write_text("old contents that are longer than nothing\n" * 1000)
    write_report(pages, target)
    assert target.read_bytes() == render(pages).encode()
    assert target.read_bytes().endswith(b"\n") and b"\r" not in target.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["report.txt"]  # no temp file left behind


def test_write_report_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous run\n")
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        write_report(pl.DataFrame({"oops": ["x"]}), target)
    assert target.read_text() == "previous run\n"
    assert sorted(os.listdir(tmp_path)) == ["report.txt"]


def test_assert_golden_match_mismatch_and_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(GOLDEN_UPDATE_ENV, raising=False)
    golden = tmp_path / "r.txt"
    actual_file = tmp_path / "r.actual.txt"

    with pytest.raises(AssertionError, match="does not exist"):
        assert_golden("A\n", golden)
    assert actual_file.read_text() == "A\n"

    monkeypatch.setenv(GOLDEN_UPDATE_ENV, "1")
    assert_golden("A\n\fB\n", golden)
    assert golden.read_bytes() == b"A\n\fB\n"
    assert not actual_file.exists()

    monkeypatch.delenv(GOLDEN_UPDATE_ENV)
    assert_golden("A\n\fB\n", golden)  # match passes

    with pytest.raises(AssertionError) as err:
        assert_golden("A\nB\n", golden)
    message = str(err.value)
    assert "-<FF>B" in message and "+B" in message
    assert actual_file.read_bytes() == b"A\nB\n"
    assert golden.read_bytes() == b"A\n\fB\n"  # golden untouched without the env var

    assert_golden("A\n\fB\n", golden)
    assert not actual_file.exists()  # stale .actual removed once it matches again


def test_page_count_and_last_page_of_a_part_from_its_runs_match_the_page_starts() -> None:
    """paginate_chunks counts a part's pages from the lengths of its break runs (nulls a run of
    their own): the same count and last page as paginate's own page starts, on 3,000 seeded
    parts of 1-60 lines, 1-7 lines a page, with and without a break column."""
    import random

    from pipelines.reports.printing import _page_starts, _pages_and_tail

    rng = random.Random(20)
    for _ in range(3_000):
        n, per_page = rng.randint(1, 60), rng.randint(1, 7)
        values = [rng.choice([None, 1, 2, 3]) for _ in range(n)]
        detail = pl.DataFrame({"brk": pl.Series(values, dtype=pl.UInt16), "line": ["x"] * n})
        for break_on in (None, "brk"):
            starts = _page_starts(detail, per_page, break_on)
            assert _pages_and_tail(detail, per_page, break_on) == (
                starts.len(), n - int(starts[-1])), (values, per_page, break_on)


def test_every_golden_report_fits_132_columns() -> None:
    """Review 12, F13: the sampling log printed 134 columns and a finding's reason ran past
    132. Every printed golden report, each line without its form feed, fits the paper."""
    golden = Path(__file__).parent / "golden"
    wide = [f"{path.relative_to(golden)}:{n}: {len(line)}"
            for path in sorted(golden.rglob("*.txt"))
            for n, line in enumerate(path.read_text().split("\n"), 1)
            if len(line.removeprefix("\f")) > 132]
    assert len(list(golden.rglob("*.txt"))) > 30 and wide == []
