"""The reduce hands on its review sums in key order, and the defect charges and the Cumulative
Data File skip their group-bys and sorts where the order and the week's dates make them
needless (pipelines/engine/qap/ordered.py, issue 20). Each short way is checked here against
the long way (group, sum, sort) on seeded sums of many keys, and the long way is still taken
when a week's lines carry more than one date per period or quarter, or a state already holds
the week's quarter."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl

from pipelines.engine.qap import cum_file as cf
from pipelines.engine.qap import ordered, review_sums
from pipelines.engine.qap.individual import defect_charges as dc
from pipelines.engine.qap.individual import periods

SAT = dt.date(2026, 1, 3)  # 12/31/2025, a quarter end, splits the week
SPLIT = dt.date(2025, 12, 31)


def _sums(dates: list[dt.date], rows: int = 3_000, seed: int = 7) -> pl.DataFrame:
    """Review sums (review_sums.SCHEMA, one row per key) of random lines dated `dates`, in no
    particular order, with null codes (samples without a code)."""
    rnd = random.Random(seed)
    codes = [None, *[f"{c:03d}" for c in (101, 102, 205, 901, 903, 935, 450)]]
    frame = pl.DataFrame({
        "week_ending": [rnd.choice(dates) for _ in range(rows)],
        "org_code": [f"{rnd.randrange(10, 30)}000" for _ in range(rows)],
        "function_code": [f"{rnd.randrange(100, 104)}" for _ in range(rows)],
        "program_code": [f"4{rnd.randrange(1000, 1012)}" for _ in range(rows)],
        "defect_code": [rnd.choice(codes) for _ in range(rows)],
        **{c: [rnd.randrange(0, 6) for _ in range(rows)] for c in review_sums.SUMS}},
        schema=review_sums.SCHEMA)
    return frame.group_by(review_sums.KEY).agg(pl.col(review_sums.SUMS).sum()).select(
        list(review_sums.SCHEMA)).sample(fraction=1.0, shuffle=True, seed=seed)


def _reduced(sums: pl.DataFrame) -> pl.DataFrame:
    """`sums` as the weekly run's posting takes them: combined, in key order."""
    return review_sums.combine([sums.slice(0, 100), sums.slice(100)])


def _week_the_long_way(sums: pl.DataFrame, saturday: dt.date) -> pl.DataFrame:
    sunday = saturday - dt.timedelta(days=6)
    return sums.filter(pl.col("week_ending").is_between(sunday, saturday)
                       & pl.col("defect_code").is_not_null()).select(
        periods.period_end_expr(pl.col("week_ending"), saturday).alias("period_end"),
        periods.quarter_end_expr(pl.col("week_ending")).alias("quarter_end"), *dc.OFP_KEY,
        "defect_code", *dc.FIGURES).group_by(dc.WEEK_KEY).agg(
        pl.col(list(dc.FIGURES)).sum()).sort(dc.WEEK_KEY)


def test_sorted_by_reads_the_order_of_several_keys_with_nulls_first():
    frame = pl.DataFrame({"a": ["1", "1", "1", "2", "2"], "b": [None, "x", "y", None, None]})
    assert ordered.sorted_by(frame, ["a", "b"])
    assert not ordered.sorted_by(frame, ["a", "b"], unique=True)  # the last two are one key
    assert ordered.sorted_by(frame.head(4), ["a", "b"], unique=True)
    assert not ordered.sorted_by(frame.reverse(), ["a", "b"])
    assert not ordered.sorted_by(frame, ["b"])  # "y" before a null
    assert ordered.sorted_by(frame.head(1), ["a"], unique=True)
    swapped = pl.DataFrame({"a": ["1", "2", "1"], "b": ["z", "a", "b"]})
    assert not ordered.sorted_by(swapped, ["a", "b"])  # the first column is out of order
    assert ordered.sorted_by(swapped.sort("a", "b"), ["a", "b"], unique=True)


def test_the_posting_takes_the_sums_in_key_order():
    sums = _sums([SPLIT, SAT])
    parts = [sums.slice(0, 1_000), sums.slice(1_000, 800), sums.slice(1_800)]
    combined = review_sums.combine(parts)
    assert combined.equals(sums.sort(review_sums.KEY))
    assert ordered.sorted_by(combined, review_sums.KEY, unique=True)
    assert not ordered.sorted_by(sums, review_sums.KEY)
    assert parts == []  # taken: the caller holds none of the parts' frames


def test_a_week_with_one_date_per_period_takes_the_charges_the_long_way_gives():
    sums = _sums([SPLIT, SAT, dt.date(2025, 12, 27)])  # and the week before, left out
    week = dc.week_charges(_reduced(sums), SAT)
    assert week.equals(_week_the_long_way(sums, SAT))
    assert week["period_end"].unique().sort().to_list() == [SPLIT, SAT] and week.height > 500
    assert dc.week_charges(sums, SAT).equals(week)  # sums out of order: sorted, not summed


def test_a_week_with_more_dates_than_periods_is_summed():
    # 12/30 is not a date a week's forms carry; it falls in the period ending on the Saturday
    sums = _sums([SPLIT, dt.date(2025, 12, 30), SAT])
    week = dc.week_charges(_reduced(sums), SAT)
    assert week.equals(_week_the_long_way(sums, SAT))
    assert ordered.sorted_by(week, dc.WEEK_KEY, unique=True)


def test_the_state_after_a_week_is_the_long_way_s_whether_the_quarter_is_new_or_not():
    week = dc.week_charges(_reduced(_sums([SPLIT, SAT])), SAT)
    earlier = dc.week_charges(_reduced(_sums([dt.date(2025, 12, 20)], seed=3)),
                              dt.date(2025, 12, 20))
    before = dc.add_week(None, earlier, dt.date(2025, 12, 20))  # the quarter ending 12/31
    old_quarter = before.filter(pl.col("quarter_end") < SPLIT)  # nothing of the week's
    assert old_quarter.height == 0 and before.height > 500
    for state in (None, dc.empty_charges(), before, before.clear()):
        got = dc.add_week(state, week, SAT)
        frames = [week.select(dc.CHARGE_COLUMNS)]
        if state is not None:
            frames.insert(0, state)
        long_way = pl.concat(frames).group_by(dc.CHARGE_KEY).agg(
            pl.col(list(dc.FIGURES)).sum()).sort(dc.CHARGE_KEY)
        assert got.equals(long_way) and got.n_chunks() == 1
    # the week's periods are not the earlier week's: its rows are added, none merged
    assert dc.add_week(before, week, SAT).height == before.height + week.height


def test_the_cum_file_posts_what_the_group_by_gives_with_one_or_two_weeks_in_a_quarter():
    run_date = dt.date(2026, 1, 6)
    for dates in ([SPLIT, SAT], [dt.date(2025, 12, 27), SPLIT, SAT]):
        sums = _reduced(_sums(dates))
        ofp, codes = cf.totals_of_weeks(sums)
        held = [sums.clone()]  # handed over, as the weekly run does: the same totals
        handed = cf.totals_of_weeks(held)
        assert held == [] and handed[1].n_chunks("all") == [1] * codes.width
        for mine, theirs, keys in zip(handed, (ofp, codes), (cf.KEYS, [*cf.KEYS, "defect_code"]),
                                      strict=True):  # group-bys: in any order
            assert mine.sort(keys).equals(theirs.sort(keys))
        if len(dates) == 2:  # one date a quarter: the sums' rows, in their order
            assert handed[1].equals(codes)
        long_way = sums.filter(pl.col("defect_code").is_not_null()).with_columns(
            cf.fiscal_quarter_expr("week_ending")).group_by(*cf.KEYS, "defect_code").agg(
            pl.col("defects").sum())
        order = [*cf.KEYS, "defect_code"]
        assert codes.sort(order).equals(long_way.sort(order))
        # posted to a new file, then again to the file it made: the second doubles every row
        once = cf.post_totals(*cf.empty(), (ofp, codes), run_date)
        twice = cf.post_totals(*once, (ofp, codes), run_date)
        assert once[1].equals(long_way.sort(order).select(list(cf.CUM_DEFECTS_SCHEMA)))
        assert twice[1].select(order).equals(once[1].select(order))
        assert twice[1]["defects"].to_list() == [2 * d for d in once[1]["defects"]]
        assert twice[0]["sampled"].to_list() == [2 * s for s in once[0]["sampled"]]


def _keyed(rows: int, seed: int) -> pl.DataFrame:
    """Rows of two text keys and a date with nulls and many ties, and a column that tells the
    rows apart (so that a sort's order of ties shows)."""
    rnd = random.Random(seed)
    return pl.DataFrame({
        "a": [rnd.choice([None, "b", "a", "ab", "", "z"]) for _ in range(rows)],
        "d": [rnd.choice([None, SPLIT, SAT]) for _ in range(rows)],
        "b": [rnd.choice([None, "x", "y", "x\x01"]) for _ in range(rows)],
        "row": list(range(rows))})


def test_a_sort_taken_column_by_column_is_the_stable_sort_with_nulls_first():
    keys = ["a", "d", "b"]
    for rows in (0, 1, 2, 500):
        frame = _keyed(rows, seed=rows)
        held = [frame.clone()]
        rows = ordered.order_of(ordered.key_codes(held[0], keys))
        got = ordered.remade(held, lambda column, rows=rows: column.gather(rows))  # as combine
        assert held == []  # taken
        assert got.equals(frame.sort(keys, maintain_order=True))
        assert got.schema == frame.schema


def test_key_codes_rank_again_when_the_keys_would_not_fit():
    frame = _keyed(500, seed=5)
    keys = ["a", "d", "b", "a", "b", "d"]  # 6 * 3 * 4 * 6 * 4 * 3 places
    wide, narrow = ordered.key_codes(frame, keys), ordered.key_codes(frame, keys, bits=12)
    assert int(narrow.max()) < 2**12 < int(wide.max())  # ranked again on the way
    # the same order and the same runs of equal keys either way
    assert ordered.order_of(narrow).equals(ordered.order_of(wide))
    assert narrow.rank("dense").equals(wide.rank("dense"))
    by_columns = frame.with_row_index("i").sort(keys, maintain_order=True)["i"]
    assert ordered.order_of(wide).equals(by_columns, check_names=False)


def test_combined_sums_of_a_key_in_several_parts_are_summed_and_a_null_counts_0():
    sums = _sums([SPLIT, SAT])
    extra = sums.head(40).with_columns(pl.lit(None, pl.Int64).alias("defects"))
    parts = [sums.slice(0, 1_000), extra, sums.slice(1_000), sums.head(0), sums.slice(10, 5)]
    long_way = pl.concat(parts).group_by(review_sums.KEY).agg(
        pl.col(review_sums.SUMS).sum()).sort(review_sums.KEY)
    combined = review_sums.combine(parts)
    assert combined.equals(long_way.select(list(review_sums.SCHEMA)))
    assert combined.schema == review_sums.SCHEMA
    assert review_sums.combine([sums.head(1)]).equals(sums.head(1))
    assert review_sums.combine([]).equals(review_sums.empty())
    assert review_sums.combine(iter([sums.slice(5), sums.head(5)])).equals(
        sums.sort(review_sums.KEY))
