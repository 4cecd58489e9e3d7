"""The tables of random numbers and the walk (IRM 3.30.28.2.2.2)."""

from __future__ import annotations

import pytest

from pipelines.engine.sampling import random_tables
from pipelines.engine.sampling.walk import Cell, step, walk
from pipelines.operator.cli import run_app

TWO = random_tables.load(2)


def test_two_digit_table_is_forty_rows_of_twenty_as_printed():
    assert (TWO.rows, TWO.columns) == (40, 20)
    assert TWO.numbers[0][:5] == (81, 56, 14, 62, 82)
    assert TWO.cell(6, 7) == 27  # the pencil of the IRM's example
    assert TWO.numbers[39] == (4, 33, 49, 38, 47, 57, 61, 87, 15, 39, 43, 87, 0, 67, 92, 65,
                               41, 45, 36, 77)
    assert TWO.seed is None


def test_a_table_file_with_a_short_row_names_the_line():
    text = (random_tables.TABLE_DIR / "two_digit.txt").read_text().replace(
        "95 41 20 89 48 98 27 38 81 33 83 82 94 40 03 96 40 03 47 24", "95 41 20")
    with pytest.raises(random_tables.TableError, match=r"line 11: expected 20 numbers"):
        random_tables.parse(text, 2)


@pytest.mark.parametrize("digits", [3, 4, 5])
def test_generated_tables_are_the_kept_data_and_carry_their_seed(digits):
    kept = random_tables.load(digits)
    assert kept.seed == random_tables.SEEDS[digits]
    assert kept == random_tables.generate(digits, kept.seed)
    assert (kept.rows, kept.columns) == (40, 20)


def test_irm_worked_example_pulls_19_48_51_53_75_82_and_stops_on_48():
    w = walk(TWO, Cell(6, 7), "down", 6, 100)
    assert w.drawn == (75, 82, 19, 51, 53, 48)
    assert w.pulled == (19, 48, 51, 53, 75, 82)
    assert w.stop == Cell(12, 7)


def test_next_day_resumes_after_the_stop_point():
    first = walk(TWO, Cell(6, 7), "down", 6, 100)
    nxt = walk(TWO, first.stop, "down", 3, 100)
    assert nxt.drawn == (31, 12, 83)  # rows 13, 14, 15 of column 7


def test_numbers_over_the_batch_and_repeats_are_skipped_and_00_is_item_100():
    # row 1 from column 17 rightwards: 77 27 92 86, then row 2: 39 06 63 60 51 02
    assert walk(TWO, Cell(1, 16), "right", 3, 40).drawn == (27, 39, 6)
    # row 5: 84 90 20 20 50 87 74 93 51 62 10: the second 20 is a repeat
    assert walk(TWO, Cell(5, 2), "right", 2, 40).drawn == (20, 10)
    # column 13 downwards from row 38: 77 (row 39), 00 (row 40): a batch of 100 takes item 100
    assert walk(TWO, Cell(38, 13), "down", 2, 100).drawn == (77, 100)


def test_walk_wraps_at_the_table_edges():
    assert step(Cell(40, 7), "down", 40, 20) == Cell(1, 8)
    assert step(Cell(40, 20), "down", 40, 20) == Cell(1, 1)
    assert step(Cell(1, 7), "up", 40, 20) == Cell(40, 6)
    assert step(Cell(6, 20), "right", 40, 20) == Cell(7, 1)
    assert step(Cell(1, 1), "left", 40, 20) == Cell(40, 20)


def test_a_batch_smaller_than_the_count_gives_every_item_once():
    w = walk(TWO, Cell(1, 1), "down", 9, 3)
    assert w.pulled == (1, 2, 3)


def test_qap_sample_walk_prints_the_irm_example(capsys):
    code = run_app(["sample", "walk", "--batch-size", "100", "--row", "6", "--column", "7",
                    "--direction", "down", "--count", "6"])
    first, second = capsys.readouterr().out.splitlines()
    assert code == 0
    assert first == "19 48 51 53 75 82"
    assert second.startswith("stop: row 12 column 7 of the 2-DIGIT table")


def test_qap_sample_walk_refuses_a_column_off_the_table(capsys):
    code = run_app(["sample", "walk", "--batch-size", "100", "--row", "6", "--column", "21",
                    "--direction", "down", "--count", "6"])
    assert code == 2
    assert "column 21 is not on the table (columns 1-20)" in capsys.readouterr().err


def test_qap_sample_walk_uses_the_three_digit_table_over_100_items(capsys):
    assert run_app(["sample", "walk", "--batch-size", "250", "--row", "1", "--column", "1",
                    "--direction", "right", "--count", "2"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    kept = random_tables.load(3).numbers[0]
    expected = [n for n in kept[1:] if 1 <= n <= 250][:2]
    assert first == " ".join(map(str, sorted(expected)))
    assert "3-DIGIT" in second


def test_qap_sample_walk_says_when_the_count_is_more_than_the_work_group(capsys):
    """Review 12, F15.6: --count 2 of a one-item group printed one item without a word."""
    assert run_app(["sample", "walk", "--batch-size", "1", "--row", "1", "--column", "1",
                    "--direction", "down", "--count", "2"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first == "1"
    assert second.endswith("; --count 2 is more than the 1 item(s) of the work group")
