"""Run 03's parts hand the reduce the sums of their review lines, not the lines
(pipelines/engine/qap/review_sums.py): the Cumulative Data File and the defect charges get
the same figures from the parts' sums as from every line at once, and a part keeps the lines
themselves only when the individual step will read them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from test_cum_file import reviews
from test_pce_03_41 import DEFECT_CODES, OFP, more, review, sample

from pipelines.engine.machinery.deck import Deck
from pipelines.engine.qap import cum_file as cf
from pipelines.engine.qap import review_sums, run03, week_parts
from pipelines.engine.qap.compact import compact
from pipelines.engine.qap.individual import defect_charges as dc
from pipelines.engine.qap.individual import review_data

A, B = ("10000", "123", "45678"), ("20000", "456", "45000")
SAT = dt.date(2026, 12, 19)


def _week_lines() -> pl.DataFrame:
    """Review lines of one week: employees, a unit charge (#), 900s and 930s on an employee's
    sample, a blank sample, two OFPs, a code seen in many transactions."""
    day = "12/19/2026"
    return pl.concat([
        reviews(day, (A, "123456789", 10, 2, [("101", 2), ("901", 1)]), line_no=2),
        reviews(day, (A, "#", None, 3, [("101", 3)]), line_no=10),
        reviews(day, (A, "234567890", 4, 1, [("935", 1), ("102", 2)]), line_no=20),
        reviews(day, (B, "123456789", 7, 0, []), line_no=30),
        reviews(day, (B, "345678901", 5, 5, [("101", 5)]), line_no=40),
        reviews(day, (A, "456789012", 6, 1, [("101", 1)]), line_no=50),
    ]).with_columns((pl.col("line_no") == 40).alias("warning"))  # 40: a possible identical


def test_the_sums_of_a_week_in_parts_summed_again_are_the_sums_of_the_whole_week():
    lines = _week_lines()
    parts = [lines.filter(pl.col("unit") < 20), lines.filter(pl.col("unit").is_between(20, 40)),
             lines.filter(pl.col("unit") > 40)]
    whole = review_sums.of_lines(lines).sort(review_sums.KEY, nulls_last=True)
    again = review_sums.combine(review_sums.of_lines(p) for p in parts).sort(
        review_sums.KEY, nulls_last=True)
    assert again.equals(whole)
    assert again.filter(pl.col("org_code") == A[0]).select(
        "defect_code", "sampled", "defective", "defects", *dc.FIGURES).rows() == [
        ("101", 19, 6, 6, 3, 3, 0, 0),  # 2 and 1 the employees', 3 the unit's (#)
        ("102", 0, 0, 2, 2, 0, 0, 0),
        ("901", 0, 0, 1, 0, 0, 1, 0),  # a 900 code on an employee's sample: moved to the unit
        ("935", 4, 1, 1, 0, 0, 1, 0),  # 930-999: local, moved too
    ]
    assert again.filter(pl.col("org_code") == B[0]).select(
        "defect_code", "sampled", "defective", "defects", "employee", dc.IDENTICAL).rows() == [
        ("101", 5, 5, 5, 5, 5), (None, 7, 0, 0, 0, 0)]  # a sample without a code: the null code




def test_a_lines_charge_carried_from_its_first_line_is_the_one_joined_on_its_transaction():
    """`line_charges` carries a transaction's first line's charge down where every line
    follows that line (a part in deck order), and joins it on the transaction otherwise:
    lines in order, shuffled, reversed, and without a transaction's first line."""
    lines = _week_lines()
    unit = pl.col("unit_charge") | pl.col("ssn").is_null() | (pl.col("ssn") == "0" * 9)
    for frame in (lines, lines.reverse(), lines.sample(fraction=1.0, shuffle=True, seed=3),
                  lines.filter(~pl.col("starts") | (pl.col("unit") != 20)),
                  lines.with_columns(pl.when(pl.col("line_no") == 12).then(None)
                                     .otherwise("unit").alias("unit"))):
        first = frame.filter("starts").select("unit", unit.alias("_unit"))
        joined = frame.join(first, on="unit", how="left", maintain_order="left")["_unit"]
        assert dc._with_first_line(frame)["_unit"].equals(joined)
    assert review_sums.of_lines(lines.reverse()).sort(review_sums.KEY, nulls_last=True).equals(
        review_sums.of_lines(lines).sort(review_sums.KEY, nulls_last=True))

def test_the_cum_file_posts_the_same_figures_from_the_sums_as_from_the_lines():
    lines = _week_lines()
    run_date = dt.date(2026, 12, 22)
    from_lines = cf.post_reviews(*cf.empty(), lines, run_date)
    from_sums = cf.post_totals(*cf.empty(), cf.totals_of_weeks(review_sums.of_lines(lines)),
                               run_date)
    assert from_sums[0].equals(from_lines[0]) and from_sums[1].equals(from_lines[1])
    assert from_sums[0].select("program_code", "sampled", "defective", "total_defects").rows(
    ) == [(A[2], 23, 7, 10), (B[2], 12, 5, 5)]  # the # transaction's blank sample counts 3


def test_the_defect_charges_of_a_week_in_parts_are_those_of_the_whole_week():
    lines = _week_lines()
    parts = [lines.filter(pl.col("unit") < 30), lines.filter(pl.col("unit") >= 30)]
    whole_state, whole = dc.run_weeks(review_sums.of_lines(lines), None)
    state, weeks = dc.run_weeks(review_sums.combine(review_sums.of_lines(p) for p in parts),
                                None)
    assert list(weeks) == [SAT] and state.equals(whole_state)
    assert weeks[SAT].frame().equals(whole[SAT].frame())
    assert state.select("program_code", "defect_code", *dc.FIGURES).rows() == [
        (A[2], "101", 3, 3, 0, 0), (A[2], "102", 2, 0, 0, 0), (A[2], "901", 0, 0, 1, 0),
        (A[2], "935", 0, 0, 1, 0), (B[2], "101", 5, 0, 0, 5)]


def deck_of(body: list[str], name: str = "deck.dat", sequence: int = 0) -> Deck:
    """A deck of these records (lines 2 on), as the intake would open it."""
    records = pl.DataFrame({"line_no": pl.Series(range(2, 2 + len(body)), dtype=pl.UInt32),
                            "text": pl.Series(body, dtype=pl.String)})
    return Deck(path=Path(name), encoding="ascii", campus="XX",
                week_ending=dt.date(2026, 11, 14), created=dt.datetime(2026, 11, 15),
                sequence=sequence, records=records, content_hash="0")


def test_a_part_keeps_all_its_review_lines_the_individual_ones_or_none_and_sums_them_all():
    unit = sample(ssn=None, mark="#", sampled=3, defective=1)  # a unit/group charge
    body = [line for n in range(1, 7) for line in review(
        sample(), more("103", 2), sample(ssn="987654321", code="104"), unit if n % 2 else sample(),
        serial=f"{n:02d}")]
    deck = deck_of(body)
    kept = {keep: list(week_parts.check_deck(deck, 0, 0, OFP, DEFECT_CODES, 8, keep))
            for keep in (run03.KEEP_ALL, run03.KEEP_INDIVIDUAL, run03.KEEP_NONE)}
    assert len(kept[run03.KEEP_ALL]) == 3  # parts of about 8 records: two documents of 5
    every = pl.concat(p.reviews for p in kept[run03.KEEP_ALL])
    assert every.height == 24 == sum(p.review_lines for p in kept[run03.KEEP_NONE])
    assert pl.concat(p.reviews for p in kept[run03.KEEP_INDIVIDUAL]).equals(
        review_data.individual_lines(every))
    assert 0 < review_data.individual_lines(every).height < every.height
    assert all(p.reviews.height == 0 for p in kept[run03.KEEP_NONE])
    sums = {k: review_sums.combine(p.review_sums for p in parts).sort(review_sums.KEY)
            for k, parts in kept.items()}
    assert sums[run03.KEEP_NONE].equals(sums[run03.KEEP_ALL])
    assert sums[run03.KEEP_NONE].equals(review_sums.of_lines(every).sort(review_sums.KEY))


def _string_buffers(frame: pl.DataFrame) -> int:
    """Bytes of the buffers behind `frame`'s columns (shared ones once)."""
    seen: dict[int, int] = {}
    for column in frame.to_arrow(compat_level=pl.CompatLevel.newest()).columns:
        for chunk in column.chunks:
            for buffer in chunk.buffers():
                if buffer is not None:
                    seen[buffer.address] = buffer.size
    return sum(seen.values())


def test_a_few_rows_cut_from_a_big_text_keep_no_more_than_their_own_strings_once_compacted():
    text = pl.DataFrame({"text": [f"{n:080d}" for n in range(100_000)], "n": range(100_000)})
    few = text.filter(pl.col("n") % 1000 == 0).with_columns(
        pl.col("text").str.slice(60, 20).alias("field"))
    assert _string_buffers(few) > 8_000_000  # the whole text, for 100 rows
    owned = compact(few)
    assert owned.equals(few) and owned.schema == few.schema
    assert _string_buffers(owned) < 50_000

