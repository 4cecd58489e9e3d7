"""Hostile and odd input from the fault campaign (issue 13, items 10-12 and 14): a deck dated at
the ends of the calendar, a lone CR inside a record, file names a run cannot print or open,
and Forms 3081/6489 keyed under another form's program. Each gets a clear refusal or a masked
SSN, never condition code 16 or a traceback."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from layouts.encode import deck as deck_text
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.operator import cli, inbox
from pipelines.operator.runs import run_week

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REFERENCE = FIXTURES / "reference"
RUN_DAY = "2026-11-17"
runner = CliRunner()

FORM_3081 = "59600073       1234567891114202681120410442100400000100005031"
FORM_6489 = ("59602060       8112041044210123456789ADAMS             1{     2{          "
             "411051202612111420260311")
FORM_3927_HEADER = "59703223C0101010008141A4421CODE AND EDIT"
FORM_3927_LINE = "59703223C010102640NEW NATIONAL DEFECT 640"
FORM_3926_HEADER = "59702222A010101111420260008112041044210"
FORM_3926_LINE = "59702222A010102 123456789   12101    2    1"


def qap(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


def _write(path: Path, records: list[str], week_ending: str = "11142026") -> Path:
    path.write_text(deck_text(records, week_ending=week_ending))
    return path


# --- item 10: HDR dates at the ends of the calendar ------------------------------------------

@pytest.mark.parametrize("week_ending", ["12319999", "01020001"])
def test_hdr_week_ending_at_the_ends_of_the_calendar_refuses_the_deck_with_8(tmp_path,
                                                                             week_ending):
    empty = tmp_path / "empty.dat"
    empty.write_text(f"HDRSC{week_ending}11162026060000001\nTRL0000000\n")
    forms = _write(tmp_path / "forms.dat", [FORM_3081, FORM_6489], week_ending)
    good = _write(tmp_path / "good.dat", [FORM_3927_HEADER, FORM_3927_LINE])
    done = qap("run", empty, forms, good, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 8, done.output
    for deck in (empty, forms):
        assert (f"REFUSED: {deck}, line 1, column 6: HDR week ending (columns 6-13) is "
                f"'{week_ending}'; expected a date MMDDYYYY in the years 1900-2099") in done.output
    assert "Conservation: 2 records in = 2 posted + 0 on a register" in done.output
    assert "internal error" not in done.output


@pytest.mark.parametrize("week_ending", ["12259999", "12290001"])
def test_a_review_dated_a_saturday_at_the_ends_of_the_calendar_is_36_not_16(tmp_path,
                                                                            week_ending):
    """Review 18f, F0: a review's own week ending, a real Saturday in December 9999 or in
    year 1, stopped the week with 16 (its quarter and fiscal year cannot be counted), nothing
    of the week posted; the review is rejected 36 and the rest of the deck posts."""
    odd = FORM_3926_HEADER.replace("A0101", "A0201").replace("11142026", week_ending)
    records = [FORM_3926_HEADER, FORM_3926_LINE, odd, FORM_3926_LINE.replace("A0101", "A0201")]
    reviews = _write(tmp_path / "reviews.dat", records)
    national = FIXTURES / "national" / "national-defect-list.dat"
    done = qap("run", national, reviews, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 4, done.output
    assert "Error codes PCE-03-41: 36 x1\n" in done.output
    kept = re.search(r"Conservation: (\d+) records in = (\d+) posted \+ 2 on a register",
                     done.output)
    assert kept and int(kept[1]) == int(kept[2]) + 2  # the odd review's header and line


def test_hdr_dates_inside_the_years_a_deck_may_carry_still_run(tmp_path):
    early = _write(tmp_path / "early.dat", [FORM_3927_HEADER, FORM_3927_LINE], "01061900")
    done = qap("run", early, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 0, done.output


# --- item 11: a lone CR inside a record ------------------------------------------------------

@pytest.mark.parametrize("records, column", [
    ([FORM_3927_HEADER, FORM_3927_LINE], len(FORM_3927_LINE) + 1),
    ([FORM_3926_HEADER, FORM_3926_LINE], len(FORM_3926_LINE) + 1),
    ([FORM_3081, FORM_3081.replace("123456789", "234567891")], len(FORM_3081) + 1),
], ids=["3927", "3926", "3081"])
def test_lone_carriage_return_inside_a_record_refuses_the_deck_naming_line_and_column(
        tmp_path, records, column):
    deck = tmp_path / "cr.dat"
    text = deck_text(records).splitlines()
    text[2] += "\r1"  # the second record: "...    1\r1"
    deck.write_bytes(("\n".join(text) + "\n").encode())
    done = qap("run", deck, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 8, done.output
    assert (f"REFUSED: {deck}, line 3, column {column}: a carriage return (0x0D) inside a "
            "record; lines end in LF or CRLF only") in done.output


def test_crlf_line_ends_and_a_last_cr_still_read(tmp_path):
    deck = tmp_path / "crlf.dat"
    deck.write_bytes(deck_text([FORM_3927_HEADER, FORM_3927_LINE]).replace("\n", "\r\n")
                     .encode() + b"\r")
    done = qap("run", deck, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 0, done.output


# --- item 12: unusable file names ------------------------------------------------------------

UNUSABLE = {
    "line feed": ("week\n46.dat", "the name holds a line feed"),
    "carriage return": ("week\r46.dat", "the name holds a carriage return"),
    "form feed": ("week\f46.dat", "the name holds a form feed"),
    "not UTF-8": (os.fsdecode(b"week\xff46.dat"), "the name is not UTF-8 text"),
}


@pytest.mark.parametrize("kind", list(UNUSABLE))
def test_deck_name_a_run_cannot_print_is_12_before_anything_runs(tmp_path, kind):
    name, why = UNUSABLE[kind]
    deck = _write(tmp_path / name, [FORM_3927_HEADER, FORM_3927_LINE])
    done = qap("run", deck, "-d", tmp_path / "data", "-r", REFERENCE, "-q")
    assert done.exit_code == 12, done.output
    assert f"deck {str(deck)!a}: unusable file name: {why}; rename the file" in done.output
    assert "nothing was run" in done.output and not (tmp_path / "data").exists()


def test_path_part_over_255_bytes_is_12_before_anything_runs(tmp_path):
    deck = tmp_path / ("w" * 256 + ".dat")
    done = qap("run", deck, "-d", tmp_path / "data", "-r", REFERENCE, "-q")
    assert done.exit_code == 12, done.output
    assert "a part of the path is 260 bytes long; at most 255 can be opened" in done.output


def test_engine_refuses_only_the_deck_with_an_unusable_name_with_8(tmp_path):
    bad = _write(tmp_path / "week\n46.dat", [FORM_3927_HEADER, FORM_3927_LINE])
    good = _write(tmp_path / "good.dat", [FORM_3926_HEADER, FORM_3926_LINE])
    result = run_week([bad, good], tmp_path / "data", load_reference(REFERENCE),
                      dt.date(2026, 11, 17))
    assert result.condition_code == 8
    refused, accepted = result.decks
    assert (refused.status, refused.path) == ("refused", ascii(str(bad)))
    assert refused.reason.endswith("unusable file name: the name holds a line feed; rename "
                                   "the file (letters, digits, '.', '-', '_') and send it again")
    assert (accepted.status, accepted.records, accepted.posted + accepted.rejected) == (
        "accepted", 2, 2)
    assert bad.exists() and not (tmp_path / "data" / "refused").exists()


def test_inbox_intake_refuses_an_unusable_name_and_records_it_printably(tmp_path):
    data = tmp_path / "data"
    folder = data / "inbox"
    folder.mkdir(parents=True)
    bad = _write(folder / os.fsdecode(b"w\n\xff.dat"), [FORM_3927_HEADER, FORM_3927_LINE])
    info = inbox.inspect(bad)
    assert (info.status, info.name) == ("refused", ascii("w\n\udcff.dat"))
    assert "unusable file name: the name holds a line feed" in info.reason
    batch = inbox.Batch.create(data, inbox.WEEKLY, dt.date(2026, 11, 14), [info])
    batch.log(f"intake {info.path}")  # a path that is not UTF-8 goes to the log escaped
    assert f"{info.sha256}  {info.name}\n" == (batch.folder / "inputs.sha256").read_text()
    moved = inbox.archive(data, batch, [])
    assert Path(moved[info.name]) == data / "refused" / info.name and not bad.exists()


# --- item 14: SSNs of Forms 3081/6489 keyed under another program -----------------------------

def _digits_of_ssns(text: str) -> list[str]:
    """Runs of five or more of the SSNs' first five digits as printed: 12345, 23456 ..."""
    return re.findall(r"12345|23456|34567", text)


def test_form_3081_and_6489_keyed_59703_print_their_ssn_masked_on_pce_01_43(tmp_path):
    deck = _write(tmp_path / "keyed.dat", [
        FORM_3081.replace("59600", "59703", 1), FORM_6489.replace("59602", "59703", 1)])
    done = qap("run", deck, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 4, done.output
    (run_dir,) = (tmp_path / "data" / "runs").iterdir()
    printed = (run_dir / "pce-01-43.txt").read_text()
    assert _digits_of_ssns(printed) == []
    details = [line for line in printed.splitlines() if line.rstrip().endswith(" 09")]
    assert [line[:64] for line in details] == [
        "            2            XXX    XX678911142026811204104421004000",
        "            3            811    2041044210XXXXX6789ADAMS        ",
    ]


def test_form_6489_keyed_59600_prints_its_ssn_masked_on_data_not_posted(tmp_path):
    deck = _write(tmp_path / "keyed.dat", [FORM_6489.replace("59602", "59600", 1)])
    done = qap("run", deck, "-d", tmp_path / "data", "-r", REFERENCE, "-q",
               "--run-date", RUN_DAY)
    assert done.exit_code == 4, done.output
    (run_dir,) = (tmp_path / "data" / "runs").iterdir()
    (report,) = run_dir.glob("data-not-posted_*.txt")
    printed = report.read_text()
    assert _digits_of_ssns(printed) == [] and "56789" not in printed
    (line,) = [row for row in printed.splitlines() if row.startswith("3081")]
    assert line[:60] == "3081    0      2  XXX-XX-4104  X6789 ADA MS     4210XXXX   {"
