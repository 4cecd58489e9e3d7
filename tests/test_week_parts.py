"""The weekly run checks run 03 in parts of whole documents (pipelines/engine/qap/week_parts.py)
and works out the Defect Frequency rows in batches of whole OFPs (defect_charges.WeekFrequency):
cut into parts of a few records and batches of a few rows, a week prints and posts exactly
what it does in one part and one batch."""

from __future__ import annotations

import dataclasses
import datetime as dt
import stat
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from run_outputs import assert_same_state, files, umask
from test_partial_sums import deck_of

from fixtures import generate
from layouts import layout
from layouts.decoder import decode, decode_file
from pipelines.engine.machinery import intake
from pipelines.engine.machinery.deck import Deck, DeckChanged, open_deck
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.qap import review_sums, run03, week_parts
from pipelines.engine.qap.individual import defect_charges
from pipelines.operator.runs import run_week
from validators import pce_01_43 as v01

FIXTURES = Path(__file__).parent.parent / "fixtures"
NATIONAL = FIXTURES / "national" / "national-defect-list.dat"
SAMPLE_WEEK = sorted((FIXTURES / "sample-week").glob("*.dat"))


def _week(data: Path, reference: Path, first: list[Path], week: list[Path]):
    ref = load_reference(reference)
    run_week(first, data, ref, dt.date(2026, 11, 10))
    return run_week(week, data, ref, dt.date(2026, 11, 17))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """A generated week of 4,000 records (reviews, adjustments, 3926-A forms, bad lines)."""
    return generate.write_inputs(tmp_path_factory.mktemp("gen"), 4_000, seed=11,
                                 error_rate=0.05)


@pytest.mark.parametrize("which", ["sample week", "generated week"])
def test_a_week_checked_in_parts_of_a_few_records_prints_and_posts_the_same_bytes(
        which, generated, tmp_path, monkeypatch):
    if which == "sample week":
        inputs = (FIXTURES / "reference", [NATIONAL], SAMPLE_WEEK)
    else:
        reference = tmp_path / "reference"
        reference.mkdir()
        (reference / "ofp_consistency.txt").write_bytes(generated["ofp"].read_bytes())
        # the generated national list and week share an HDR: one run takes both
        inputs = (reference, [NATIONAL], [generated["national"], generated["week"]])
    whole = _week(tmp_path / "whole", *inputs)
    monkeypatch.setattr(week_parts, "PART_LINES", 7)
    monkeypatch.setattr(defect_charges, "BATCH_ROWS", 3)  # Defect Frequency: 3 rows a batch
    parts = _week(tmp_path / "parts", *inputs)
    assert all(d.status == "accepted" for d in whole.decks if "03-cut" not in d.path
               and "duplicate" not in d.path), [(d.path, d.reason) for d in whole.decks]
    assert whole.posted > (3_000 if which == "generated week" else 15)
    assert parts.records_in == whole.records_in and parts.rejected == whole.rejected
    assert parts.codes == whole.codes and parts.condition_code == whole.condition_code
    printed_whole, printed_parts = files(whole.run_dir), files(parts.run_dir)
    assert list(printed_parts) == list(printed_whole)
    if which == "generated week":  # batches cross pages and scopes of the Defect Frequency
        frequency = next(t for n, t in printed_whole.items() if n.startswith("defect-freq")
                         and n.endswith(".txt"))
        assert frequency.count(b"\f") >= 3 and b"QUARTER TO DATE" in frequency
    for name, text in printed_whole.items():
        if name.endswith(".parquet"):  # row groups follow the batches; the rows are the same
            assert pl.read_parquet(whole.run_dir / name).equals(
                pl.read_parquet(parts.run_dir / name)), name
        else:
            assert printed_parts[name] == text, name
    assert_same_state(tmp_path / "whole", tmp_path / "parts")


@pytest.mark.parametrize("fact_rows", [week_parts.FACT_ROWS, 7])
def test_a_deck_is_cut_where_a_document_starts(generated, fact_rows, monkeypatch):
    monkeypatch.setattr(week_parts, "FACT_ROWS", fact_rows)  # 7: facts found in many windows
    deck = pl.read_csv(generated["week"], has_header=False, separator="\x1f",
                       quote_char=None, new_columns=["text"])[1:-1]  # without HDR and TRL
    runs03 = deck.filter(~pl.col("text").str.slice(0, 5).is_in(week_parts.OTHER_PROGRAMS))
    cut = week_parts.cuts(runs03, 100)
    assert len(cut) > 20 and sum(n for _, n in cut) == runs03.height
    assert [a + n for a, n in cut[:-1]] == [a for a, _ in cut[1:]]
    section = week_parts.PREFIX.field("section")
    starts = runs03["text"].str.slice(section.offset, section.width).gather([a for a, _ in cut])
    assert starts.to_list() == ["01"] * len(cut)
    assert all(n >= 100 for _, n in cut[:-1])  # a part ends at the first header past 100


@pytest.mark.parametrize("fact_rows", [week_parts.FACT_ROWS, 7])
def test_a_deck_whose_documents_are_not_unbroken_is_one_part(generated, fact_rows,
                                                             monkeypatch):
    monkeypatch.setattr(week_parts, "FACT_ROWS", fact_rows)
    deck = pl.read_csv(generated["week"], has_header=False, separator="\x1f",
                       quote_char=None, new_columns=["text"])[1:-1]
    runs03 = deck.filter(~pl.col("text").str.slice(0, 5).is_in(week_parts.OTHER_PROGRAMS))
    swapped = pl.concat([runs03[1:2], runs03[0:1], runs03[2:]])  # a line before its header
    assert week_parts.cuts(swapped, 100) == [(0, swapped.height)]
    repeated = pl.concat([runs03, runs03[0:1]])  # the first header again at the end
    assert week_parts.cuts(repeated, 100) == [(0, repeated.height)]



def _lines(path: Path) -> list[str]:
    """A deck file's records between HDR and TRL."""
    return path.read_text().splitlines()[1:-1]


def _mixed_deck(generated) -> Deck:
    """The generated week with a Form 3927 record after every 13th record: between documents
    and inside them (a header's lines then resume after it)."""
    week, others = _lines(generated["week"]), _lines(generated["national"])
    body = [line for n, record in enumerate(week)
            for line in ([record, others[n // 13 % len(others)]] if n % 13 == 12 else [record])]
    return deck_of(body, "mixed.dat", 1)


def _old_parts(deck: Deck, deck_no: int, seq0: int, part_lines: int,
               ofp: pl.DataFrame | None = None) -> list[run03.Run03Part]:
    """The map as it was: the deck's run 03 records filtered into a frame of their own, then
    cut (`cuts`) and checked part by part."""
    from test_pce_03_41 import DEFECT_CODES, OFP

    ofp = OFP if ofp is None else ofp
    rows = intake.numbered(deck.records, deck_no, seq0).filter(
        ~pl.col("text").str.slice(0, 5).is_in(week_parts.OTHER_PROGRAMS))
    carry = run03.DeckCarry()
    return [run03.check(decode(rows.slice(at, n), week_parts.PREFIX), ofp, DEFECT_CODES, carry)
            for at, n in week_parts.cuts(rows, part_lines)]


@pytest.mark.parametrize("fact_rows", [week_parts.FACT_ROWS, 7, 100])
def test_parts_of_a_deck_with_other_programs_between_its_records_are_its_run_03_records_cut(
        generated, fact_rows, monkeypatch):
    from test_pce_03_41 import DEFECT_CODES

    monkeypatch.setattr(week_parts, "FACT_ROWS", fact_rows)
    ofp = decode_file(generated["ofp"], layout.load("ofp_consistency"))
    deck = _mixed_deck(generated)
    others = deck.records.filter(pl.col("text").str.starts_with(v01.PROGRAM)).height
    assert others > 300
    old = _old_parts(deck, 3, 1_000, 400, ofp)
    new = list(week_parts.check_deck(deck, 3, 1_000, ofp, DEFECT_CODES, 400))
    assert len(new) == len(old) > 8
    assert sum(p.records.height for p in new) == deck.records.height - others
    key = review_sums.KEY
    for a, b in zip(old, new, strict=True):
        assert b.records.equals(a.records) and b.records["rejected"].value_counts().height == 2
        assert b.review_sums.sort(key).equals(a.review_sums.sort(key)) and a.review_sums.height
        assert b.review_lines == a.review_lines
        assert b.adjustments.equals(a.adjustments)
        assert b.standard_forms.equals(a.standard_forms)
    assert new[0].records["seq"][0] == 1_000 and (new[0].records["deck_no"] == 3).all()


@pytest.mark.parametrize("fact_rows", [week_parts.FACT_ROWS, 7])
def test_a_deck_with_other_programs_and_a_broken_document_is_one_part_of_its_run_03_records(
        generated, fact_rows, monkeypatch):
    from test_pce_03_41 import DEFECT_CODES, OFP

    monkeypatch.setattr(week_parts, "FACT_ROWS", fact_rows)
    body = _mixed_deck(generated).records["text"].to_list()
    line = next(n for n, t in enumerate(body) if t[13:15] != "01" and t[:5] != v01.PROGRAM)
    body.insert(len(body) - 50, body[line])  # a line of the first document near the end
    deck = deck_of(body, "mixed.dat", 1)
    new = list(week_parts.check_deck(deck, 0, 0, OFP, DEFECT_CODES, 400))
    assert len(new) == 1
    assert new[0].records.equals(_old_parts(deck, 0, 0, 400)[0].records)


def _buffers(series: pl.Series) -> set[int]:
    """Addresses of the memory an Arrow export of `series` reads (strings as views)."""
    array = series.to_arrow(compat_level=pl.CompatLevel.newest())
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return {b.address for c in chunks for b in c.buffers() if b is not None and b.size}


def test_the_last_part_of_a_deck_holds_none_of_the_decks_memory(generated, monkeypatch):
    """The deck is let go while its last part is checked: that part's records are copied out
    of it, the parts before are cut from it (each checked while the deck is held anyway)."""
    from test_pce_03_41 import DEFECT_CODES, OFP

    deck = _mixed_deck(generated)
    text, line_no = _buffers(deck.records["text"]), _buffers(deck.records["line_no"])
    parts: list[run03.Run03Part] = []
    seen = _checked_records(monkeypatch, lambda: parts.extend(
        week_parts.check_deck(deck, 0, 0, OFP, DEFECT_CODES, 400)))
    assert len(seen) == len(parts) > 8
    assert _buffers(seen[0]["text"]) & text  # (its line numbers are filtered: a copy)
    assert not _buffers(seen[-1]["text"]) & text and not _buffers(seen[-1]["line_no"]) & line_no



def test_review_sums_wait_in_private_files_while_the_map_goes_on_and_come_back_the_same(
        generated, tmp_path, monkeypatch):
    from test_pce_03_41 import DEFECT_CODES

    ofp = decode_file(generated["ofp"], layout.load("ofp_consistency"))  # reviews accepted
    deck = _mixed_deck(generated)
    expected = list(week_parts.check_deck(deck, 0, 0, ofp, DEFECT_CODES, 400))
    rows = week_parts.Rows03(tmp_path / "parts")
    waiting: list[list[tuple[str, int]]] = []
    check = run03.check

    def spy(*args, **kwargs):
        waiting.append(sorted((f.name, stat.S_IMODE(f.stat().st_mode))
                              for f in rows.folder.glob("sums-*")))
        return check(*args, **kwargs)

    monkeypatch.setattr(run03, "check", spy)
    with umask(0o022):
        parts = week_parts.check_week([deck], ofp, DEFECT_CODES, rows, part_lines=400)
    assert len(parts) == len(expected) > 8
    assert waiting[-1] == [(f"sums-{n:05d}.arrow", 0o600) for n in range(len(parts) - 1)]
    for got, want in zip(parts, expected, strict=True):
        key = review_sums.KEY  # (the sums' rows come in no particular order)
        assert want.review_sums.height
        assert got.review_sums.sort(key).equals(want.review_sums.sort(key))
        assert got.records.height == 0 and got.records.schema == want.records.schema
    assert not list(rows.folder.glob("sums-*"))
    rows.release()
    assert not rows.folder.exists()


def test_other_records_are_numbered_where_they_lie_in_the_run(generated):
    deck = _mixed_deck(generated)
    decks = [dataclasses.replace(deck, records=deck.records.slice(0, 50)), deck]
    got = week_parts.other_records(decks)
    assert got.height == sum(d.records.filter(pl.col("text").str.starts_with(v01.PROGRAM)).height
                             for d in decks) > 300
    expected = pl.concat([intake.numbered(d.records, i, 50 * i).filter(
        pl.col("text").str.slice(0, 5).is_in(week_parts.OTHER_PROGRAMS))
        for i, d in enumerate(decks)])
    assert got.select(expected.columns).equals(expected)
    assert got["seq"].to_list()[:4] == [13, 27, 41, 50 + 13]  # after every 13th record


def test_the_checked_parts_wait_in_a_private_folder_gone_once_published(tmp_path, monkeypatch):
    seen: list[tuple[int, int]] = []
    add = week_parts.Rows03.add

    def spy(self, records):
        add(self, records)
        path = self._parts[-1]
        seen.append((stat.S_IMODE(path.stat().st_mode),
                     stat.S_IMODE(path.parent.stat().st_mode)))

    monkeypatch.setattr(week_parts.Rows03, "add", spy)
    with umask(0o022):  # owner-only whatever the umask
        result = _week(tmp_path / "data", FIXTURES / "reference", [NATIONAL], SAMPLE_WEEK)
    assert seen and set(seen) == {(0o600, 0o700)}
    assert not (result.run_dir / ".parts").exists()
    assert not list((tmp_path / "data").rglob("part-*.arrow"))


# --- the counts that run across a deck's parts, and the checks across decks --------------------

def _in_parts(*decks: list[str], part_lines: int) -> dict[int, dict[int, list[str]]]:
    """Run 03 of `decks` as the weekly run does it (each deck in parts, then the run-wide
    checks): deck -> line -> codes."""
    from test_pce_03_41 import DEFECT_CODES, FIRST, NO_STANDARDS, OFP

    from pipelines.engine.machinery.deck import Deck
    from pipelines.engine.qap import run03

    parts, seq0 = [], 0
    for i, body in enumerate(decks):
        records = pl.DataFrame({"line_no": pl.Series(range(FIRST, FIRST + len(body)),
                                                     dtype=pl.UInt32),
                                "text": pl.Series(body, dtype=pl.String)})
        deck = Deck(path=Path(f"deck{i}.dat"), encoding="ascii", campus="XX",
                    week_ending=dt.date(2026, 11, 14), created=dt.datetime(2026, 11, 15),
                    sequence=i, records=records, content_hash=str(i))
        parts += week_parts.check_deck(deck, i, seq0, OFP, DEFECT_CODES, part_lines)
        seq0 += len(body)
    _, late, _ = run03.run_wide(parts, NO_STANDARDS)
    rows = pl.concat([run03.settle(p.records, late) for p in parts])
    return {d: {r["line_no"]: r["error_codes"] for r in rows.filter(pl.col("deck_no") == d)
                .iter_rows(named=True)} for d in range(len(decks))}


def _coded(found: dict[int, list[str]]) -> dict[int, list[str]]:
    return {line: codes for line, codes in found.items() if codes}


def test_the_201st_defect_code_line_of_an_ofp_is_36_when_its_200_lie_in_earlier_parts():
    from test_pce_03_41 import _ofp_deck

    deck, code_lines = _ofp_deck(202)
    found = _in_parts(deck, part_lines=30)  # about 7 parts before the 201st line
    assert _coded(found[0]) == {code_lines[200]: ["36"], code_lines[201]: ["36"]}


def test_an_adjustment_repeated_in_a_later_part_or_a_later_deck_is_19():
    from test_pce_03_41 import FIRST, adj, adjustment, review, sample

    filler = [line for n in range(2, 8) for line in review(sample(), serial=f"{n:02d}")]
    first = adjustment(adj())  # lines 2-3
    later_part = adjustment(adj(code="102"), serial="09")  # the first's OFP and week
    deck = first + filler + later_part
    found = _in_parts(deck, adjustment(adj(code="103"), serial="01"), part_lines=4)
    repeat_in_deck = FIRST + len(first) + len(filler)
    assert _coded(found[0]) == {repeat_in_deck: ["19"]}
    assert _coded(found[1]) == {FIRST: ["19"]}  # the same OFP and week, posted by deck 0


def _deck_file(path: Path, generated, every: int = 13) -> Path:
    """The mixed deck (`_mixed_deck`) as a file with its HDR and TRL, some records ending in
    blanks as sent: what the intake opens and the map reads again."""
    lines = generated["week"].read_text().splitlines()
    body = [line + "  " if n % every == 3 and len(line) < 120 else line
            for n, line in enumerate(_mixed_deck(generated).records["text"].to_list())]
    trl = lines[-1][:3] + f"{len(body):07d}" + lines[-1][10:]
    path.write_text("\n".join([lines[0], *body, trl]) + "\n")
    return path


def _checked_records(monkeypatch, checking) -> list[pl.DataFrame]:
    """The records each part of `checking()` hands to run 03's checks."""
    seen: list[pl.DataFrame] = []
    check = run03.check

    def spy(records, *args, **kwargs):
        seen.append(records)
        return check(records, *args, **kwargs)

    monkeypatch.setattr(run03, "check", spy)
    checking()
    monkeypatch.setattr(run03, "check", check)
    return seen


def test_a_deck_file_is_read_again_a_part_at_a_time_and_checked_as_when_held_whole(
        generated, tmp_path, monkeypatch):
    from test_pce_03_41 import DEFECT_CODES, OFP

    deck = open_deck(_deck_file(tmp_path / "mixed.dat", generated))
    assert deck.first_byte is not None and deck.records["text"].str.ends_with(" ").sum() > 100
    held = _checked_records(monkeypatch, lambda: list(week_parts.check_deck(
        deck, 1, 500, OFP, DEFECT_CODES, 400)))
    decks = [deck]
    rows = week_parts.Rows03(tmp_path / "parts")
    read = _checked_records(monkeypatch, lambda: week_parts.check_week(
        decks, OFP, DEFECT_CODES, rows, part_lines=400))
    assert decks[0].records.height == 0  # let go by the map
    assert len(read) == len(held) > 8
    for got, want in zip(read, held, strict=True):
        assert got.select(pl.exclude("seq", "deck_no")).equals(
            want.select(pl.exclude("seq", "deck_no")))
    rows.release()


@pytest.mark.parametrize("change", ["a letter", "two records swapped", "a byte not ASCII"])
def test_a_deck_changed_after_intake_stops_the_map_naming_its_lines(change, generated,
                                                                    tmp_path, monkeypatch):
    from test_pce_03_41 import DEFECT_CODES, OFP

    path = _deck_file(tmp_path / "mixed.dat", generated)
    deck = open_deck(path)
    calls = 0
    check = run03.check

    def edit_after_the_first_part(records, *args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:  # the same size: line 2,001 changed, or it and the next swapped
            lines = path.read_text().split("\n")
            if change == "a letter":
                lines[2000] = lines[2000][:-1] + ("X" if lines[2000][-1] != "X" else "Y")
            elif change == "a byte not ASCII":  # (0xE9 in Latin-1: not UTF-8 either)
                path.write_bytes(path.read_bytes().replace(
                    lines[2000].encode(), lines[2000][:-1].encode() + b"\xe9", 1))
                return check(records, *args, **kwargs)
            else:
                assert lines[2000] != lines[2001]
                lines[2000], lines[2001] = lines[2001], lines[2000]
            path.write_text("\n".join(lines))
        return check(records, *args, **kwargs)

    monkeypatch.setattr(run03, "check", edit_after_the_first_part)
    rows = week_parts.Rows03(tmp_path / "parts")
    with pytest.raises(DeckChanged, match=r"mixed\.dat: changed since intake \(the part of "
                                          r"lines \d+-\d+ is not what intake read"):
        week_parts.check_week([deck], OFP, DEFECT_CODES, rows, part_lines=400)


def test_a_deck_removed_after_intake_stops_the_map(generated, tmp_path, monkeypatch):
    from test_pce_03_41 import DEFECT_CODES, OFP

    path = _deck_file(tmp_path / "mixed.dat", generated)
    deck = open_deck(path)
    check = run03.check

    def remove(records, *args, **kwargs):
        path.unlink(missing_ok=True)
        return check(records, *args, **kwargs)

    monkeypatch.setattr(run03, "check", remove)
    with pytest.raises(DeckChanged, match=r"mixed\.dat: can no longer be read \(No such file"):
        week_parts.check_week([deck], OFP, DEFECT_CODES, week_parts.Rows03(tmp_path / "p"),
                              part_lines=400)


def test_a_week_of_one_part_decks_holds_none_of_them_through_the_map(generated, tmp_path,
                                                                     monkeypatch):
    """Issue 20: every deck's parts are planned, and its records let go, before the first is
    checked; a deck of one part is read again from its file in its turn, as a larger one is
    (a 4M week in 16 decks held each deck waiting its turn: 690 against 500 MiB as one)."""
    from test_pce_03_41 import DEFECT_CODES, OFP

    paths = [_deck_file(tmp_path / f"deck{n}.dat", generated) for n in range(3)]
    held = [open_deck(p) for p in paths]
    assert all(d.first_byte is not None and d.records.height < 20_000 for d in held)
    want = []
    for n, deck in enumerate(held):
        want += _checked_records(monkeypatch, lambda deck=deck, n=n: list(
            week_parts.check_deck(deck, n, 0, OFP, DEFECT_CODES, 50_000)))
    assert len(want) == 3  # one part a deck
    decks = [open_deck(p) for p in paths]
    heights: list[list[int]] = []
    check = run03.check

    def watch(records, *args, **kwargs):
        heights.append([d.records.height for d in decks])
        if len(heights) == 2:  # the third deck changed while the second is checked
            lines = paths[2].read_text().split("\n")
            lines[5] = lines[5][:-1] + ("X" if lines[5][-1] != "X" else "Y")
            paths[2].write_text("\n".join(lines))
        return check(records, *args, **kwargs)

    monkeypatch.setattr(run03, "check", watch)
    rows = week_parts.Rows03(tmp_path / "parts")
    with pytest.raises(DeckChanged, match=r"deck2\.dat: changed since intake \(the part of lines "
                                          r"2-"):
        week_parts.check_week(decks, OFP, DEFECT_CODES, rows, part_lines=50_000)
    assert heights == [[0, 0, 0], [0, 0, 0]]  # none held from the first check on
    monkeypatch.setattr(run03, "check", check)
    _deck_file(paths[2], generated)  # as it was
    decks = [open_deck(p) for p in paths]
    got = _checked_records(monkeypatch, lambda: week_parts.check_week(
        decks, OFP, DEFECT_CODES, week_parts.Rows03(tmp_path / "again"), part_lines=50_000))
    for mine, theirs in zip(got, want, strict=True):
        assert mine.select(pl.exclude("seq")).equals(theirs.select(pl.exclude("seq")))


def test_decks_taken_at_intake_keep_what_the_run_reads_and_let_their_records_go(
        generated, tmp_path, monkeypatch):
    """Issue 20: each deck is planned and let go as intake accepts it (`WeekDecks.take`), so a
    week's decks are never held together; the run reads the same other records, numbers and
    parts as from the decks held."""
    from test_pce_03_41 import DEFECT_CODES, OFP

    from pipelines.engine.machinery.result import RunResult

    week = tmp_path / "week.dat"
    week.write_bytes(generated["week"].read_bytes())
    paths = [generated["national"], *generate.split_week(week, 3)]
    full = [open_deck(p) for p in paths]
    taken = week_parts.WeekDecks(part_lines=400)
    held_at_take: list[list[int]] = []
    take = taken.take

    def watch(deck: Deck) -> Deck:
        held_at_take.append([len(p[0].held) for p in taken.planned])
        return take(deck)

    result = RunResult(run_id="r", run_date=dt.date(2026, 11, 16), week_ending=None,
                       run_dir=None)
    decks, _ = intake.open_all(paths, intake.Posted.of(None), result, tmp_path / "refused",
                               take=watch)
    assert [o.status for o in result.decks] == ["accepted"] * 4
    # every deck before let go, but the national list's: it has no run 03 record to read
    assert held_at_take == [[], [1], [1, 0], [1, 0, 0]]
    assert [d.records.height for d in decks] == [0] * 4
    assert taken.heights == [d.records.height for d in full] and taken.heights[1] > 1_000
    assert taken.other_records().equals(week_parts.other_records(full))
    assert taken.seq0s() == [0, *[sum(taken.heights[:i]) for i in range(1, 4)]]
    got = _checked_records(monkeypatch, lambda: week_parts.check_week(
        decks, OFP, DEFECT_CODES, week_parts.Rows03(tmp_path / "a"), taken=taken))
    want = _checked_records(monkeypatch, lambda: week_parts.check_week(
        full, OFP, DEFECT_CODES, week_parts.Rows03(tmp_path / "b"), part_lines=400))
    assert len(got) == len(want) > 4
    for mine, theirs in zip(got, want, strict=True):
        assert mine.equals(theirs)


@pytest.mark.parametrize("deck_nos", [[1] * 6, [0, 1, 1, 2, 0, 2], [None, 1, 1, None, 1, 1],
                                      []])
def test_deck_counts_of_one_deck_are_the_group_bys(deck_nos):
    """`deck_counts` counts the rows of one deck by two sums: the same row as the group-by
    on deck_no, and the group-by as before for rows of several decks or a null deck."""
    rejected = [True, False, None, False, True, False][:len(deck_nos)]
    rows = pl.DataFrame({"deck_no": deck_nos, "rejected": rejected},
                        schema={"deck_no": pl.UInt16, "rejected": pl.Boolean})
    grouped = rows.group_by("deck_no").agg(
        (~pl.col("rejected")).sum().cast(pl.Int64).alias("posted"),
        pl.col("rejected").sum().cast(pl.Int64).alias("rejected"))
    counted = week_parts.deck_counts(rows)
    assert counted.schema == grouped.schema
    assert counted.sort("deck_no").equals(grouped.sort("deck_no"))


def test_other_programs_are_found_as_the_sliced_program_number_would_find_them():
    """`_others` compares each program with a record's start: the same flags as the decoder's
    slice of the program number and `is_in`, short records and blanks included."""
    text = pl.Series("text", ["", "5970", v01.PROGRAM, v01.PROGRAM + "01x", " " + v01.PROGRAM,
                              "59600 ", "5960", "59602abc", "59702", "é5960", None], pl.String)
    sliced = text.str.slice(0, 5).is_in(week_parts.OTHER_PROGRAMS)
    assert week_parts._others(text).to_list() == sliced.to_list()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps")
def test_what_settling_keeps_holds_none_of_the_mapped_part_files(generated, tmp_path):
    """The parts are read back mapped (`_mapped`): what `settle_with` returns is copied out of
    them, so that no part's file stays mapped (and resident) while the run goes on."""
    from test_pce_03_41 import DEFECT_CODES

    ofp = decode_file(generated["ofp"], layout.load("ofp_consistency"))  # reviews accepted
    deck = open_deck(_deck_file(tmp_path / "mixed.dat", generated))
    rows = week_parts.Rows03(tmp_path / "parts")
    week_parts.check_week([deck], ofp, DEFECT_CODES, rows, part_lines=400)
    late = pl.DataFrame(schema={"seq": pl.UInt32, "code": pl.String})
    every = rows.settle_with(late, None, posted_text=True)
    places = every.posted_text["text"].str.slice(0, 15).gather_every(50)
    some = rows.settle_with(late, None, places=places)
    assert every.posted_text.height and every.rejected.height and some.posted_text.height
    mapped = [line for line in Path("/proc/self/maps").read_text().splitlines()
              if str(rows.folder) in line]
    assert mapped == []
    rows.release()
def _sliced_facts(text: pl.Series) -> pl.DataFrame:
    """A record's header flag and document as `_cuts` read them by slicing characters."""
    return text.to_frame().select(
        (pl.col("text").str.slice(13, 2) == "01").alias("is_header"),
        pl.col("text").str.slice(8, 5).str.pad_end(5).alias("key"))


@pytest.mark.parametrize("texts", [
    ["597022220000001111420260001846", "597022220000002 5838684210001", "5970222200001x01"],
    ["597022220000001111420260001846", "5970222200001", "59702"],  # short: sliced
    ["597022220000001111420260001846", "5970222200é01x01", "597022220000101"],  # not ASCII
])
def test_the_facts_of_the_cuts_read_as_bytes_are_the_sliced_characters(texts):
    """`_facts` reads the header's section and the document as bytes only when every record
    holds the prefix in ASCII; the flags and documents are the sliced characters' either
    way."""
    text = pl.Series("text", texts, pl.String)
    is_header, key = week_parts._facts(text)
    read = text.to_frame().select(is_header.alias("is_header"), key.alias("key"))
    assert read.equals(_sliced_facts(text))
