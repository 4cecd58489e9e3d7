"""Once run 03 is settled the weekly run holds counts of the Form 3926 records, not a row per
record (week_parts.Settled, issue 20 target 3): posted and rejected per deck, the codes given,
and the posted records as runs of one deck, from which the posting listing is planned and read
back a part at a time. Each compact form gives what the records themselves give."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from fixtures import generate
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.qap import run03, week_parts
from pipelines.operator.runs import run_week
from pipelines.reports import listings, trailer
from pipelines.reports.printing import count_pages, plan_chunks
from validators.codes import RUN_3926

FIXTURES = Path(__file__).parent.parent / "fixtures"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
SAMPLE_WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))


def _settled_week(tmp_path: Path, monkeypatch, part_lines: int, decks: list[Path],
                  reference: Path):
    """The week run with parts of about `part_lines` records; what `settle_with` returned,
    the settled records of every part (the old per-record form) and the run's result."""
    seen = {}
    settle = week_parts.Rows03.settle_with

    def spy(self, late, by_line, posted_text=False, places=None):
        settled = settle(self, late, by_line, posted_text, places)
        seen["every"] = pl.concat([self._load(i)[0] for i in range(len(self.heights))])
        seen["rows03"], seen["settled"] = self, settled
        spans = [(a, 13) for a in range(0, settled.posted_records + 13, 11)]
        seen["shown"] = [(a, n, self.display_posted(a, n)) for a, n in spans]
        return settled

    monkeypatch.setattr(week_parts, "PART_LINES", part_lines)
    monkeypatch.setattr(week_parts.Rows03, "settle_with", spy)
    ref = load_reference(reference)
    run_week([NATIONAL], tmp_path / "data", ref, dt.date(2026, 11, 10))
    result = run_week(decks, tmp_path / "data", ref, dt.date(2026, 11, 17))
    return seen["settled"], seen["every"], seen, result


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """A generated week of 3,000 records, 5% of them with an error, and the same records as
    three decks (`decks`), cut where a document starts."""
    out = tmp_path_factory.mktemp("gen")
    files = generate.write_inputs(out, 3_000, seed=7, error_rate=0.05)
    body = pl.Series(files["week"].read_text().splitlines()[1:-1])
    section = week_parts.PREFIX.field("section")
    headers = body.str.slice(section.offset, section.width) == "01"
    starts = headers.arg_true()
    cut = [0, int(starts[starts.len() // 3]), int(starts[2 * starts.len() // 3]), body.len()]
    files["decks"] = []
    for k in range(3):
        path = out / f"deck-{k}.dat"
        path.write_text(generate._deck(body.slice(cut[k], cut[k + 1] - cut[k]),
                                       generate.WEEK_ENDING, sequence=k + 2))
        files["decks"].append(path)
    return files


def _inputs(which: str, generated: dict, tmp_path: Path) -> tuple[list[Path], Path]:
    if which == "sample week":
        return SAMPLE_WEEK, FIXTURES / "reference"
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "ofp_consistency.txt").write_bytes(generated["ofp"].read_bytes())
    if which == "three decks":
        return [generated["national"], *generated["decks"]], reference
    return [generated["national"], generated["week"]], reference


@pytest.mark.parametrize("which", ["sample week", "three decks"])
def test_counts_taken_while_settling_are_the_counts_of_the_settled_records(
        which, generated, tmp_path, monkeypatch):
    decks, reference = _inputs(which, generated, tmp_path)
    settled, every, _, result = _settled_week(tmp_path, monkeypatch, 29, decks, reference)
    per_deck = every.group_by("deck_no").agg(
        (~pl.col("rejected")).sum().cast(pl.Int64).alias("posted"),
        pl.col("rejected").sum().cast(pl.Int64).alias("rejected")).sort("deck_no")
    assert settled.decks.equals(per_deck)
    if which == "three decks":  # rejected records in several decks, each deck in parts
        assert (per_deck["rejected"] > 0).sum() == 3
    given = every["error_codes"].explode().drop_nulls()
    assert settled.codes == Counter(given.to_list()) and sum(settled.codes.values()) > 20
    assert list(settled.codes) == given.unique(maintain_order=True).to_list()  # first use
    assert result.codes[RUN_3926] == settled.codes
    assert result.steps["run 03"].posted == int((~every["rejected"]).sum())
    assert result.steps["run 03"].rejected == int(every["rejected"].sum())
    assert result.records_in == result.posted + result.rejected


@pytest.mark.parametrize("which", ["sample week", "three decks"])
def test_posted_records_are_held_as_one_run_per_deck_not_cut_by_rejected_records(
        which, generated, tmp_path, monkeypatch):
    decks, reference = _inputs(which, generated, tmp_path)
    settled, every, _, _ = _settled_week(tmp_path, monkeypatch, 29, decks, reference)
    posted = every.filter(~pl.col("rejected"))
    assert settled.posted.equals(week_parts.deck_runs(posted))
    assert settled.posted.height == posted["deck_no"].n_unique()
    # the runs of consecutive posted rows (what rejected records would cut) are many more
    rejected = every["rejected"]
    stretches = int((~rejected & rejected.shift(1, fill_value=True)).sum())
    if which == "three decks":
        assert settled.posted.height == 3 and stretches > 30, stretches


def test_posted_records_read_back_by_number_across_parts_are_the_posted_rows_displayed(
        generated, tmp_path, monkeypatch):
    decks, reference = _inputs("generated week", generated, tmp_path)
    settled, every, seen, _ = _settled_week(tmp_path, monkeypatch, 29, decks, reference)
    assert len(seen["rows03"].heights) > 50  # spans of 13 posted records cross many parts
    assert sum(seen["rows03"].posted_heights) == settled.posted_records
    whole = run03.display(every, ~pl.col("rejected"))
    assert whole.height == settled.posted_records
    for start, length, shown in seen["shown"]:
        assert shown.equals(whole.slice(start, length)), (start, length)
    assert seen["shown"][-1][2].height == 0 and seen["shown"][-1][2].columns == whole.columns


def _planned_from_every_row(deck_nos: list[int], per_part: int, names: pl.DataFrame | None):
    """The listing's plan as it was made from a row per posted record (deck_no)."""
    decks = pl.DataFrame({"deck_no": deck_nos}, schema={"deck_no": pl.UInt16})
    parts, _ = plan_chunks(decks, lines_per_page=listings.LINES_PER_PAGE, break_on="deck_no",
                           rows_per_chunk=per_part)
    listed = decks.select(pl.col("deck_no").unique())
    if names is not None:
        listed = listed.join(names, on="deck_no", how="left")
    else:
        listed = pl.DataFrame(schema={"deck_no": pl.UInt16, "deck": pl.String})
    whole = trailer.append(decks.select("deck_no", line=pl.lit("")),
                           trailer.closing(decks.height, listed))
    return parts, count_pages(whole, listings.LINES_PER_PAGE, "deck_no")


NAMES = pl.DataFrame({"deck_no": range(6), "deck": [f"deck-{i}.dat" for i in range(5)]
                      + ["x" * 400]}, schema={"deck_no": pl.UInt16, "deck": pl.String})


@pytest.mark.parametrize("runs", [
    [], [(0, 1)], [(0, 50)], [(0, 49)], [(0, 47)], [(0, 100), (1, 50)],
    [(0, 130), (1, 7), (4, 48)], [(2, 3), (0, 51), (2, 99), (5, 46)],
    [(0, 12_345), (1, 250_001), (3, 1)]])
@pytest.mark.parametrize("per_part", [1, 50, 120, 100_000])
@pytest.mark.parametrize("named", [True, False])
def test_listing_planned_from_deck_runs_is_the_listing_planned_from_every_row(
        runs, per_part, named):
    deck_nos = [deck for deck, n in runs for _ in range(n)]
    names = NAMES if named else None
    frame = pl.DataFrame(runs or None, schema=[("deck_no", pl.UInt16), ("rows", pl.Int64)],
                         orient="row")
    assert listings.plan_listing(frame, per_part, names=names) == _planned_from_every_row(
        deck_nos, per_part, names)


def test_a_deck_run_of_no_rows_plans_as_if_it_were_not_there():
    runs = pl.DataFrame({"deck_no": [0, 1, 2], "rows": [60, 0, 45]},
                        schema={"deck_no": pl.UInt16, "rows": pl.Int64})
    assert listings.plan_listing(runs, 50, names=NAMES) == _planned_from_every_row(
        [0] * 60 + [2] * 45, 50, NAMES)


def _values_address(series: pl.Series) -> int:
    """Where a series' values lie in memory (its Arrow export shares them, no copy)."""
    array = series.to_arrow()
    return array.buffers()[1].address + array.offset * array.type.byte_width


def test_deck_names_kept_from_each_listing_part_hold_none_of_the_parts_columns():
    # The posting listing keeps each part's deck (deck_no, deck) to its end, for the deck key:
    # a filter's row would hold the part's whole columns (1.7 MiB per 100,000 rows).
    names = pl.Series("deck", ["week-46-reviews-of-the-campus.dat", "b.dat"])
    at = pl.Series([1] * 100_000, dtype=pl.UInt16)
    part = pl.DataFrame({"deck_no": at}).with_columns(names.gather(at))
    start = _values_address(part["deck_no"])  # where the part's deck_no values lie
    filtered = _values_address(part.filter(pl.col("deck_no").is_first_distinct())["deck_no"])
    assert start <= filtered < start + 2 * part.height  # what a filter alone would keep
    kept = listings._named_decks(part)
    assert kept.rows() == [(1, "b.dat")] and kept.schema == part.schema
    assert not start <= _values_address(kept["deck_no"]) < start + 2 * part.height
