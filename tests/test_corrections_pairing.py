"""A corrected record closes an entry of the deck its corrections deck was written from
(review 14, F13 within one week; verify14-results.md, "F13 within one week (store SW)").

Control numbers are unique within a deck only: deckA.dat and deckB.dat of one week each hold
documents A01/01-03 with the same bad records (lines 7, 8, 10, 11). `qap corrections` writes
deckA's open entries in fix.dat and deckB's in fix-2.dat and records, by each deck's HDR,
which original deck it holds the entries of; a reprocess then closes (or replaces) only
entries of those decks."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.engine.machinery import register, written_from
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator import cli
from pipelines.operator.runs import run_week
from pipelines.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = load_reference(ROOT / "fixtures" / "reference")
NATIONAL = ROOT / "fixtures" / "national" / "national-defect-list.dat"

# The review's decks (review14-scratch/same/deckA.dat, deckB.dat): one week, the same block.
_BODY = """59702222A010101102420260008112041044210
59702222A010102 123456789   10101    1    1
59702222A010103 234567891    8
59702222A010104 345678912    {n}102    2    1
59702222A010201102420260008112041044210
59702222A010202 123456789    4888    1    1
59702222A010203 234567891    2103    3    3
59702222A010204 456789123    6104    1    1
59702222A01030110242026000811X041044210
59702222A010302 567891234    3
"""
DECK_A = "HDRSC1024202610262026060000010\n" + _BODY.format(n=5) + "TRL0000010\n"
DECK_B = "HDRSC1024202610262026060000015\n" + _BODY.format(n=7) + "TRL0000010\n"
WRONG = (7, 8, 10, 11)  # 14, 21, 03 06, and the line of that header's document
MADE = dt.datetime(2026, 10, 27, 9, 0, 0)


def _week(tmp_path: Path, *names: str) -> tuple[Path, dict[str, Path]]:
    """A store with the national list and the week's decks `names` posted (10/27/2026)."""
    data = tmp_path / "SW"
    run_week([NATIONAL], data, REFERENCE, dt.date(2026, 10, 20))
    decks = {"deckA.dat": tmp_path / "deckA.dat", "deckB.dat": tmp_path / "deckB.dat"}
    decks["deckA.dat"].write_text(DECK_A)
    decks["deckB.dat"].write_text(DECK_B)
    week = run_week([decks[n] for n in names], data, REFERENCE, dt.date(2026, 10, 27))
    assert week.rejected == 4 * len(names)
    return data, decks


def _corrections(data: Path, folder: Path, made: dt.datetime = MADE) -> dict[str, Path]:
    """`qap corrections FOLDER/fix.dat`; the decks written, by name."""
    written = register.corrections_deck(data, folder / "fix.dat", made)
    return {d.path.name: d.path for d in written}


def _fix_line_3(deck: Path) -> Path:
    """The review's edit: line 3 (the review A01/02/02) defect code 888 -> 101."""
    lines = deck.read_text().splitlines()
    assert lines[2] == "59702222A010202 123456789    4888    1    1"
    lines[2] = lines[2].replace("4888", "4101")
    deck.write_text("\n".join(lines) + "\n")
    return deck


def _statuses(data: Path, *decks: str) -> dict[tuple[str, int], str]:
    """The status of each entry of the original decks `decks`, by (deck, line)."""
    entries = Store(data).read("error_register").filter(pl.col("deck").is_in(decks))
    return {(d, n): s for d, n, s in entries.select("deck", "line_no", "status").iter_rows()}


def _expected(corrected_deck: str | None, resubmitted: tuple[str, ...]
              ) -> dict[tuple[str, int], str]:
    status = {}
    for deck in ("deckA.dat", "deckB.dat"):
        for line in WRONG:
            again = "resubmitted" if deck in resubmitted else "open"
            status[(deck, line)] = "corrected" if (deck, line) == (corrected_deck, 7) else again
    return status


def test_the_second_decks_corrections_close_only_the_second_decks_entries(tmp_path):
    """The review's scenario: only fix-2.dat (deckB's) corrected and reprocessed. Before
    session 14's mitigation deckA's 7 closed, never re-input; with it, nothing closed."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    written = _corrections(data, tmp_path / "swc")
    fix2 = _fix_line_3(written["fix-2.dat"])
    result = run_week([fix2], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert (result.corrected, result.resubmitted, result.still_open) == (1, 3, 7)
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected("deckB.dat", ("deckB.dat",))
    assert [n for n in result.notes if "corrections decks" in n] == [
        "1 record(s) of corrections decks closed only entries of the decks `qap corrections` "
        "wrote them from, not the like entries of another deck of their week: fix-2.dat line 3 "
        "closed deckB.dat line 7, not deckA.dat line 7",
        "3 record(s) of corrections decks replaced only entries of the decks `qap corrections` "
        "wrote them from, not the like entries of another deck of their week: fix-2.dat line 4 "
        "replaced deckB.dat line 8, not deckA.dat line 8; fix-2.dat line 5 replaced deckB.dat "
        "line 10, not deckA.dat line 10; fix-2.dat line 6 replaced deckB.dat line 11, not "
        "deckA.dat line 11"]
    assert not [n for n in result.notes if "as like entries of two decks" in n]
    replaced = Store(data).read("error_register").filter(pl.col("run_id") == result.run_id)
    assert replaced["replaces"].to_list() == [f"20261027.01 deckB.dat {n}" for n in (8, 10, 11)]


def test_the_first_decks_corrections_close_only_the_first_decks_entries(tmp_path):
    """The mirror: only fix.dat (deckA's) corrected and reprocessed."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    fix = _fix_line_3(_corrections(data, tmp_path / "swc")["fix.dat"])
    result = run_week([fix], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert (result.corrected, result.resubmitted, result.still_open) == (1, 3, 7)
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected("deckA.dat", ("deckA.dat",))


def test_both_corrections_decks_together_each_close_their_own_decks_entries(tmp_path):
    """Both decks reprocessed in one run, only deckA's line fixed: the unchanged deckB record
    rejected again is as like deckA's entry as the fixed one is, and the earliest-entry
    rule gave it deckA's (deckB's then closed as corrected, though its record failed again)."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    written = _corrections(data, tmp_path / "swc")
    fix = _fix_line_3(written["fix.dat"])
    result = run_week([fix, written["fix-2.dat"]], data, REFERENCE, dt.date(2026, 10, 28),
                      reprocess=True)
    assert (result.corrected, result.resubmitted) == (1, 7)
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected(
        "deckA.dat", ("deckA.dat", "deckB.dat"))
    again = Store(data).read("error_register").filter(
        (pl.col("run_id") == result.run_id) & (pl.col("status") == "open"))
    assert {(d, n): r for d, n, r in again.select("deck", "line_no", "replaces").iter_rows()} == {
        ("fix.dat", 4): "20261027.01 deckA.dat 8", ("fix.dat", 5): "20261027.01 deckA.dat 10",
        ("fix.dat", 6): "20261027.01 deckA.dat 11", ("fix-2.dat", 3): "20261027.01 deckB.dat 7",
        ("fix-2.dat", 4): "20261027.01 deckB.dat 8", ("fix-2.dat", 5): "20261027.01 deckB.dat 10",
        ("fix-2.dat", 6): "20261027.01 deckB.dat 11"}


def test_a_corrections_deck_with_no_record_closes_neither_and_says_why(tmp_path):
    """A corrections deck no record names (written by hand, or before `qap corrections`
    kept the record) keeps session 14's behaviour: a record as like entries of two decks
    closes none, and the note says so and why."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    fix2 = _fix_line_3(_corrections(data, tmp_path / "swc")["fix-2.dat"])
    written_from.path(data).unlink(missing_ok=True)
    result = run_week([fix2], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert (result.corrected, result.resubmitted, result.still_open) == (0, 0, 11)
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected(None, ())
    assert next(n for n in result.notes if "as like entries of two decks" in n) == (
        "1 record(s) posted but closed no entry, being as like entries of two decks of their "
        "week (the same key, week and text) (fix-2.dat: no record of the decks `qap "
        "corrections` wrote it from, as for a deck written by hand or before it kept one): "
        "fix-2.dat line 3 (as like deckA.dat line 7 and deckB.dat line 7); withdraw the entry "
        "each stands for (`qap corrections` named the deck whose entries each corrections deck "
        'holds): qap withdraw DECK LINE --reason "..."')


def test_a_stale_record_after_a_rollback_closes_no_other_decks_entry(tmp_path):
    """The week rolled back and deckA alone posted again: the record still says fix-2.dat
    holds deckB's entries, and none of deckB's is open. Its corrected record closed deckA's
    entry 7 (never re-input); then it closed nothing and posted as a new record; now the
    deck is refused as stale and nothing of it posts (check of session 16, P2)."""
    data, decks = _week(tmp_path, "deckA.dat", "deckB.dat")
    fix2 = _fix_line_3(_corrections(data, tmp_path / "swc")["fix-2.dat"])
    register.rollback(data, "20261027.01", "test", undo_later=False)
    again = run_week([decks["deckA.dat"]], data, REFERENCE, dt.date(2026, 10, 29))
    assert again.rejected == 4
    result = run_week([fix2], data, REFERENCE, dt.date(2026, 10, 30), reprocess=True)
    assert (result.corrected, result.resubmitted, result.posted) == (0, 0, 0)
    assert [d.status for d in result.decks] == ["refused"]
    assert "stale corrections deck: `qap corrections` wrote it from the open register " \
        "entries of deckB.dat, and none of them is open now" in result.decks[0].reason
    entries = Store(data).read("error_register").filter(pl.col("run_id") == again.run_id)
    assert entries["status"].to_list() == ["open"] * 4


def test_a_second_corrections_deck_of_entries_already_corrected_is_refused_as_stale(tmp_path):
    """Check of session 16, P2: `qap corrections` run twice, the first fix-2.dat reprocessed
    (deckB's entries corrected or replaced), then the second with another fix: its records
    closed nothing and posted deckB's review a second time, opening its bad lines again."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    first = _fix_line_3(_corrections(data, tmp_path / "one")["fix-2.dat"])
    second = _corrections(data, tmp_path / "two", MADE + dt.timedelta(minutes=5))["fix-2.dat"]
    second.write_text(second.read_text().replace("4888", "4102"))
    done = run_week([first], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert (done.corrected, done.resubmitted, done.still_open) == (1, 3, 7)
    late = run_week([second], data, REFERENCE, dt.date(2026, 10, 29), reprocess=True)
    assert [d.status for d in late.decks] == ["refused"] and late.posted == 0
    assert late.still_open == 7  # nothing posted twice, nothing opened again
    assert Store(data).read("error_register").filter(
        pl.col("run_id") == late.run_id).height == 0


def test_the_record_is_owner_only_whatever_the_umask(tmp_path):
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    before = os.umask(0o022)
    try:
        _corrections(data, tmp_path / "swc")
    finally:
        os.umask(before)
    folder, record = data / written_from.FOLDER, written_from.path(data)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    decks = json.loads(record.read_text())["decks"]
    ledger = dict(Store(data).read("decks").select("deck", "content_hash").iter_rows())
    assert {k: v["sources"] for k, v in decks.items()} == {
        "CR 10242026 10272026090000 001": {ledger["deckA.dat"]: "deckA.dat"},
        "CR 10242026 10272026090000 002": {ledger["deckB.dat"]: "deckB.dat"}}


def test_a_link_planted_for_the_records_folder_is_refused_and_nothing_written(tmp_path):
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    outside = tmp_path / "outside"
    outside.mkdir()
    (data / written_from.FOLDER).symlink_to(outside)
    made = CliRunner().invoke(cli.app, ["corrections", str(tmp_path / "swc" / "fix.dat"),
                                        "-d", str(data)])
    assert made.exit_code == 12 and "is a symbolic link" in made.output
    assert list(outside.iterdir()) == [] and not (tmp_path / "swc").exists()  # (P4b)


def test_two_corrections_within_one_second_never_share_a_key(tmp_path):
    """The second `qap corrections` of the same second takes the next sequences: its decks'
    HDRs differ from the first's, and each is recorded with its own decks."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    first = _corrections(data, tmp_path / "one")
    second = _corrections(data, tmp_path / "two")
    hdrs = [p.read_text().splitlines()[0] for p in (*first.values(), *second.values())]
    assert [h[-3:] for h in hdrs] == ["001", "002", "003", "004"] and len(set(hdrs)) == 4
    known = written_from.read(data)
    assert [(k[-3:], w.file, list(w.sources.values())) for k, w in sorted(known.items())] == [
        ("001", "fix.dat", ["deckA.dat"]), ("002", "fix-2.dat", ["deckB.dat"]),
        ("003", "fix.dat", ["deckA.dat"]), ("004", "fix-2.dat", ["deckB.dat"])]
    fix2 = _fix_line_3(second["fix-2.dat"])
    result = run_week([fix2], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected("deckB.dat", ("deckB.dat",))
    assert result.corrected == 1


def test_corrections_says_what_each_corrections_decks_records_close(tmp_path):
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    fix = tmp_path / "swc" / "fix.dat"
    made = CliRunner().invoke(cli.app, ["corrections", str(fix), "-d", str(data)])
    assert made.exit_code == 0, made.output
    assert made.output.splitlines()[:4] == [
        f"wrote 5 records to {fix.absolute()} (HDR week ending 10/24/2026; entries of "
        "deckA.dat)",
        f"wrote 5 records to {fix.with_name('fix-2.dat').absolute()} (HDR week ending "
        "10/24/2026; entries of deckB.dat)",
        "A record of each deck closes (or replaces) only an entry of the decks named: the data "
        "directory keeps",
        f"that under the deck's HDR ({written_from.path(data.absolute())}), so keep the HDR."]


@pytest.mark.parametrize("garbage", ["{", '{"decks": 3}', '{"format": 2, "decks": {}}',
                                     "a link"])
def test_a_record_that_cannot_be_read_stops_the_reprocess_before_it_posts(tmp_path, garbage):
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    fix2 = _fix_line_3(_corrections(data, tmp_path / "swc")["fix-2.dat"])
    record = written_from.path(data)
    if garbage == "a link":  # (check of session 16, P4: the message said neither of these)
        (tmp_path / "elsewhere.json").write_text(record.read_text())
        record.unlink()
        record.symlink_to(tmp_path / "elsewhere.json")
    else:
        record.write_text(garbage)
    generations = len(Store(data).history())
    ran = CliRunner().invoke(cli.app, ["reprocess", str(fix2), "-d", str(data),
                                       "--run-date", "2026-10-28", "-q", "-r",
                                       str(ROOT / "fixtures" / "reference")])
    said = " ".join(ran.output.split())
    assert ran.exit_code == 12 and ("cannot be read" if garbage == "a link"
                                    else "not a record of corrections decks") in said
    assert "stopped before anything was changed. Remove it to go on as before it was kept" in (
        said)
    assert len(Store(data).history()) == generations


def test_a_record_that_cannot_be_read_stops_a_reprocess_of_a_duplicate_deck_too(tmp_path):
    """Check of session 17, P5: a reprocess of a deck posted before (a duplicate) never
    reached the record's read, and published a run with 8, nothing posted; the record is
    read first, so it stops (12) before anything is changed, as for any other deck."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    fix2 = _fix_line_3(_corrections(data, tmp_path / "swc")["fix-2.dat"])
    args = ["reprocess", str(fix2), "-d", str(data), "--run-date", "2026-10-28", "-q", "-r",
            str(ROOT / "fixtures" / "reference")]
    assert CliRunner().invoke(cli.app, args).exit_code == 4  # one record rejected again
    written_from.path(data).write_text("{")
    generations = len(Store(data).history())
    ran = CliRunner().invoke(cli.app, args)
    assert ran.exit_code == 12 and "not a record of corrections decks" in ran.output
    assert len(Store(data).history()) == generations


_REMOVE = ("Remove it to go on as before it was kept: records of corrections decks as like "
           "entries of two decks of their week then close none, and the summary names them")
_FAULTS = {"{": "not a record of corrections decks (Expecting property name enclosed in double "
                "quotes: line 1 column 2 (char 1))",
           '{"decks": 3}': "not a record of corrections decks (no 'format' in it)",
           '{"format": 2, "decks": {}}': "not a record of corrections decks (format 2, this "
                                         "version reads 1)",
           "a link": "cannot be read (Too many levels of symbolic links; a link planted there? "
                     "it is never a link)"}


@pytest.mark.parametrize("garbage", list(_FAULTS))
def test_a_record_that_cannot_be_read_lists_the_register_and_stops_corrections(tmp_path,
                                                                             garbage):
    """`qap register` lists the entries and says once that the corrections decks cannot be
    named; `qap corrections` writes nothing, since decks it cannot record could close another
    deck's entry or post twice (check of session 16, P4c: both stopped, saying "to reprocess")."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    _corrections(data, tmp_path / "old")
    record = written_from.path(data)
    if garbage == "a link":
        (tmp_path / "elsewhere.json").write_text(record.read_text())
        record.unlink()
        record.symlink_to(tmp_path / "elsewhere.json")
    else:
        record.write_text(garbage)
    kept = record.read_bytes()
    what = f"{record}: {_FAULTS[garbage]}"
    note = (f"the corrections decks written from these decks cannot be named: {what}. "
            f"{_REMOVE}; `qap reprocess` and `qap corrections` stop (12) until it is removed "
            "or put right.")
    listed = CliRunner().invoke(cli.app, ["register", "-d", str(data)])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].endswith(": 8 open entries") and len(lines) == 2 + 8 + 1
    assert lines[-1] == f"Note: {note}"
    listed = CliRunner().invoke(cli.app, ["register", "-d", str(data), "--json"])
    document = json.loads(listed.output)
    assert listed.exit_code == 0 and document["entries"] == 8
    assert (document["corrections_decks"], document["corrections_decks_note"]) == (None, note)
    made = CliRunner().invoke(cli.app, ["corrections", str(tmp_path / "swc" / "fix.dat"),
                                        "-d", str(data)])
    assert made.exit_code == 12
    assert made.output == (
        f"qap: {what}; no deck was written (nor any folder), since the decks could not be "
        "recorded, and without their record a corrected record could close another deck's "
        "entry or post twice. Remove it (or mend it), then run `qap corrections` again; "
        "removed, the corrections decks it named are read as decks written by hand: their "
        "records as like entries of two decks of their week close none, and the summary "
        "names them\n")
    assert not (tmp_path / "swc").exists() and record.read_bytes() == kept


def test_the_reprocess_flow_reads_the_record_of_the_decks_in_corrections(prefect_harness,
                                                                          tmp_path):
    """`qap flow reprocess` takes DIR/corrections/fix-2.dat (fix.dat set aside): deckB's
    entries close, deckA's stay open."""
    from pipelines.operator import flows
    from pipelines.operator.flow_call import call

    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    written = _corrections(data, data / "corrections")
    written["fix.dat"].rename(tmp_path / "fix.dat")
    _fix_line_3(written["fix-2.dat"])
    outcome = call(flows.reprocess_flow, data_dir=data, reference_dir=ROOT / "fixtures" /
                   "reference", run_date=dt.date(2026, 10, 28))
    assert outcome.condition_code == 4
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected("deckB.dat", ("deckB.dat",))


def test_a_header_sent_as_context_closes_as_context_beside_another_decks_header_entry(
        tmp_path):
    """deckA's header A01/02 is itself wrong (03 06), deckB's posted: fix-2.dat sends deckB's
    header only as the context of its lines. Reprocessed unchanged, that header (rejected
    with its lines, no code of its own) closes as context; it replaced deckA's header entry
    (resubmitted, never re-input) when any deck's open entry at its place counted."""
    data, decks = _week(tmp_path, "deckB.dat")
    bad = DECK_A.replace("59702222A010201102420260008112041044210",
                         "59702222A01020110242026000811X041044210")
    decks["deckA.dat"].write_text(bad)
    run_week([decks["deckA.dat"]], data, REFERENCE, dt.date(2026, 10, 27))
    header_a = ("deckA.dat", 6)
    assert _statuses(data, "deckA.dat")[header_a] == "open"
    fix2 = _corrections(data, tmp_path / "swc")["fix-2.dat"]
    assert fix2.read_text().splitlines()[1] == "59702222A010201102420260008112041044210"
    result = run_week([fix2], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert {k: v for k, v in _statuses(data, "deckA.dat").items() if v != "open"} == {}
    assert result.context == 1
    mine = Store(data).read("error_register").filter(pl.col("run_id") == result.run_id)
    assert mine.filter(pl.col("line_no") == 2)["status"].to_list() == ["context"]


def test_register_names_the_newest_corrections_deck_written_from_each_listed_deck(tmp_path):
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    _corrections(data, tmp_path / "old")
    written = _corrections(data, tmp_path / "swc", MADE + dt.timedelta(minutes=5))
    listed = CliRunner().invoke(cli.app, ["register", "-d", str(data)])
    assert listed.output.splitlines()[-3:] == [
        "Corrections decks written from these decks (`qap corrections`); a record "
        "reprocessed from one closes or replaces only an entry of the decks it names:",
        "  fix.dat (HDR CR, week ending 10/24/2026, made 10/27/2026 09:05:00, sequence 001): "
        "entries of deckA.dat",
        "  fix-2.dat (HDR CR, week ending 10/24/2026, made 10/27/2026 09:05:00, sequence 002): "
        "entries of deckB.dat"]
    run_week([_fix_line_3(written["fix-2.dat"])], data, REFERENCE, dt.date(2026, 10, 28),
             reprocess=True)  # deckB's entries closed: only fix.dat is still worth naming
    listed = CliRunner().invoke(cli.app, ["register", "-d", str(data), "--json"])
    assert json.loads(listed.output)["corrections_decks"] == [
        {"hdr": "CR 10242026 10272026090500 001", "file": "fix.dat",
         "entries_of": ["deckA.dat"]}]
    every = CliRunner().invoke(cli.app, ["register", "-d", str(data), "--json", "--all"])
    assert json.loads(every.output)["corrections_decks"] == [  # deckB's closed entries listed
        {"hdr": "CR 10242026 10272026090500 001", "file": "fix.dat",
         "entries_of": ["deckA.dat"]},
        {"hdr": "CR 10242026 10272026090500 002", "file": "fix-2.dat",
         "entries_of": ["deckB.dat"]}]  # (check of session 16, P6: it was left out)


@pytest.mark.parametrize("together", [True, False])
def test_the_same_correction_in_both_decks_posts_both_and_closes_each_decks_entry(
        tmp_path, together):
    """Check of session 16, P1: the same fix made in fix.dat and fix-2.dat (the natural
    case: the same records with the same error) gave two decks of the same records, and the
    second was refused as a duplicate: deckB's corrected review could never be re-input. A
    recorded corrections deck is a duplicate by its HDR only; each closes its own deck's
    entry."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    written = _corrections(data, tmp_path / "swc")
    fix, fix2 = _fix_line_3(written["fix.dat"]), _fix_line_3(written["fix-2.dat"])
    assert fix.read_text().splitlines()[1:] == fix2.read_text().splitlines()[1:]
    runs = ([[fix, fix2]] if together else [[fix], [fix2]])
    results = [run_week(decks, data, REFERENCE, dt.date(2026, 10, 28 + n), reprocess=True)
               for n, decks in enumerate(runs)]
    assert [d.status for r in results for d in r.decks] == ["accepted", "accepted"]
    assert sum(r.corrected for r in results) == 2 and sum(r.resubmitted for r in results) == 6
    assert _statuses(data, "deckA.dat", "deckB.dat") == {
        **_expected("deckA.dat", ("deckA.dat", "deckB.dat")), ("deckB.dat", 7): "corrected"}
    again = run_week([fix2], data, REFERENCE, dt.date(2026, 11, 2), reprocess=True)
    assert [d.status for d in again.decks] == ["duplicate"]  # its HDR: sent once
    assert "its HDR" in again.decks[0].reason and again.corrected == 0


def test_two_corrections_decks_of_the_same_entries_in_one_run_use_the_first(tmp_path):
    """Check of session 16, P2 in one run: the two fix-2.dat of two `qap corrections` runs,
    reprocessed together, both stood for deckB's entries; the second's records closed nothing
    and posted deckB's review again. The first offered is used, the second refused."""
    data, _ = _week(tmp_path, "deckA.dat", "deckB.dat")
    first = _fix_line_3(_corrections(data, tmp_path / "one")["fix-2.dat"])
    second = _corrections(data, tmp_path / "two", MADE + dt.timedelta(minutes=5))["fix-2.dat"]
    second.write_text(second.read_text().replace("4888", "4102"))
    result = run_week([first, second], data, REFERENCE, dt.date(2026, 10, 28), reprocess=True)
    assert [d.status for d in result.decks] == ["accepted", "refused"]
    assert result.decks[1].reason == (
        f"{second}: a second corrections deck of the same entries: `qap corrections` wrote it, "
        "and fix-2.dat of this run, from the open register entries of deckB.dat; only the "
        "first is used, so that no record posts twice. Correct the records in one of them")
    assert (result.corrected, result.resubmitted, result.still_open) == (1, 3, 7)
    assert _statuses(data, "deckA.dat", "deckB.dat") == _expected("deckB.dat", ("deckB.dat",))
