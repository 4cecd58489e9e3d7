"""Reference files are checked record by record when loaded: a malformed OFP Consistency File or
Employee Master File stops the run (condition code 12) with file, line, column, field and what
was expected, instead of changing the IPR and SAR unseen."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fixtures import generate
from layouts.decoder import DeckFault, read_records
from pipelines.engine.machinery.reference import (
    EMF_FILE,
    EMPLOYEE_MASTER,
    OFP_CONSISTENCY,
    OFP_FILE,
    ReferenceFault,
    ReferenceMissing,
    check,
    load,
)
from pipelines.state.store import Store
from tests.bench import individual as bench_individual

FIXTURES = Path(__file__).parent.parent / "fixtures"
OFP = (FIXTURES / "reference" / OFP_FILE).read_text().splitlines()
EMF = (FIXTURES / "reference" / EMF_FILE).read_text().splitlines()
NOT_USED_OFP = ". The OFP Consistency File was not used: correct it and run again"
NOT_USED_EMF = ". The Employee Master File was not used: correct it and run again"
COUNT = "digits right-justified (leading blanks or zeros)"


def _folder(tmp_path: Path, ofp: list[str] | None = None, emf: list[str] | None = None,
            newline: str = "\n") -> Path:
    """A reference folder with the sample files, either one replaced by `ofp`/`emf` lines."""
    folder = tmp_path / "reference"
    folder.mkdir(parents=True)
    for name, lines in ((OFP_FILE, ofp or OFP), (EMF_FILE, emf or EMF)):
        (folder / name).write_bytes("".join(f"{t}{newline}" for t in lines).encode())
    return folder


def _edit(lines: list[str], line: int, edit: Callable[[str], str]) -> list[str]:
    out = list(lines)
    out[line - 1] = edit(out[line - 1])
    return out


def _put(column: int, text: str) -> Callable[[str], str]:
    """Overwrite the record from `column` (1-based) with `text`."""
    return lambda rec: rec[:column - 1] + text + rec[column - 1 + len(text):]


def _fault(folder: Path) -> ReferenceFault:
    with pytest.raises(ReferenceFault) as err:
        load(folder)
    return err.value


# --- faults: the exact message ----------------------------------------------------------------

OFP_FAULTS = [
    pytest.param(
        [*OFP, "this is not an OFP file at all", "this is not an OFP file at all"],
        'line 5, column 1: organization code (columns 1-5) is "this "; expected 5 digits; '
        "1 other line is also bad: line 6 (column 1, organization code)",
        id="junk_lines_appended"),
    pytest.param(
        _edit(OFP, 1, _put(18, "  4X 25Z0")),
        'line 1, column 21: learning-curve hours (columns 18-21) is "  4X"; expected whole '
        f"hours, {COUNT}",
        id="learning_curve_not_digits"),
    pytest.param(
        _edit(OFP, 2, _put(22, " 12Z0")),
        'line 2, column 25: efficiency standard (columns 22-26) is " 12Z0"; expected items per '
        f"hour NNNnn, {COUNT}",
        id="efficiency_standard_not_digits"),
    pytest.param(
        _edit(OFP, 3, _put(22, "     ")),
        "line 3, column 22: efficiency standard (columns 22-26) is blank; expected items per "
        f"hour NNNnn, {COUNT}",
        id="efficiency_standard_blank"),
    pytest.param(
        _edit(OFP, 3, _put(18, "+040")),
        'line 3, column 18: learning-curve hours (columns 18-21) is "+040"; expected whole '
        f"hours, {COUNT}",
        id="learning_curve_signed"),
    pytest.param(
        _edit(OFP, 2, _put(7, "2X")),
        'line 2, column 8: function code (columns 6-8) is "42X"; expected 3 digits',
        id="function_code_not_digits"),
    pytest.param(
        _edit(OFP, 4, _put(9, "443 0")),
        'line 4, column 12: program code (columns 9-13) is "443 0"; expected 5 digits',
        id="program_code_with_a_blank"),
    pytest.param(
        _edit(OFP, 1, _put(14, "   ")),
        "line 1, column 14: quality program cluster (QPC) (columns 14-16) is blank; "
        "expected a QPC, not blank",
        id="qpc_blank"),
    pytest.param(
        _edit(OFP, 2, _put(17, "3")),
        'line 2, column 17: measured code (column 17) is "3"; expected 1 (measured) or 2 '
        "(unmeasured)",
        id="measured_code_unknown"),
    pytest.param(
        _edit(OFP, 4, lambda rec: rec[:17]),
        "line 4, column 18: learning-curve hours (columns 18-21) is missing: the record ends at "
        f"column 17; expected whole hours, {COUNT}",
        id="record_cut_before_learning_curve"),
    pytest.param(
        [*OFP, OFP[0][:26] + "ANOTHER TITLE"],
        "line 5, column 1: OFP (columns 1-13) is already on line 1; expected one line per OFP",
        id="duplicate_ofp"),
    pytest.param(
        [OFP[0], "", *OFP[1:]],
        "line 2, column 1: the line is blank; expected one line per OFP",
        id="blank_line_between_records"),
]


@pytest.mark.parametrize(("lines", "message"), OFP_FAULTS)
def test_malformed_ofp_consistency_file_is_refused_with_line_and_column(tmp_path, lines,
                                                                         message):
    folder = _folder(tmp_path, ofp=lines)
    fault = _fault(folder)
    assert str(fault) == f"{folder / OFP_FILE}, {message}{NOT_USED_OFP}"


EMF_FAULTS = [
    pytest.param(
        _edit(EMF, 2, lambda rec: rec[:44]),
        "line 2, column 46: assigned organization code (columns 46-50) is missing: the record "
        "ends at column 32; expected 5 digits",
        id="truncated_after_first_name"),
    pytest.param(
        _edit(EMF, 3, lambda rec: "12345678XSMITH   JOHN  bad date"),
        "line 3, column 9: SSN (columns 1-9) is not valid (not shown); expected 9 digits",
        id="bad_ssn_is_not_echoed"),
    pytest.param(
        _edit(EMF, 1, _put(57, "02302025")),
        'line 1, column 57: date placed on the measured plan (columns 57-64) is "02302025"; '
        "expected a date MMDDYYYY, or blank",
        id="measured_since_not_a_real_date"),
    pytest.param(
        _edit(EMF, 4, _put(66, "07/01/26")),
        'line 4, column 68: start of the annual rating period (columns 66-73) is "07/01/26"; '
        "expected a date MMDDYYYY",
        id="rating_start_not_mmddyyyy"),
    pytest.param(
        _edit(EMF, 5, lambda rec: rec[:65]),
        "line 5, column 66: start of the annual rating period (columns 66-73) is missing: the "
        "record ends at column 65; expected a date MMDDYYYY",
        id="rating_start_cut_off"),
    pytest.param(
        _edit(EMF, 2, _put(10, " " * 20)),
        "line 2, column 10: last name (columns 10-29) is blank; expected a name, not blank",
        id="last_name_blank"),
    pytest.param(
        _edit(EMF, 1, _put(46, "8112O")),
        'line 1, column 50: assigned organization code (columns 46-50) is "8112O"; expected 5 '
        "digits",
        id="assigned_org_letter_o"),
    pytest.param(
        _edit(EMF, 1, _put(51, "5 ")),
        'line 1, column 52: grade (columns 51-52) is "5 "; expected 2 digits',
        id="grade_one_digit"),
    pytest.param(
        _edit(EMF, 1, _put(53, " 3")),
        'line 1, column 53: step (columns 53-54) is " 3"; expected 2 digits or blank',
        id="step_one_digit"),
    pytest.param(
        _edit(EMF, 3, _put(55, "6")),
        'line 3, column 55: class code (column 55) is "6"; expected 1, 2, 3, 4 or 5',
        id="class_code_unknown"),
    pytest.param(
        _edit(EMF, 3, _put(56, "m")),
        'line 3, column 56: performance plan (column 56) is "m"; expected M (measured) or U '
        "(unmeasured)",
        id="plan_lower_case"),
    pytest.param(
        _edit(EMF, 4, _put(65, " ")),
        "line 4, column 65: work status (column 65) is blank; expected W (in work status) or N "
        "(not)",
        id="work_status_blank"),
    pytest.param(
        [*EMF, EMF[1][:9] + EMF[0][9:]],
        "line 6, column 1: SSN (columns 1-9) is already on line 2; expected one line per "
        "employee",
        id="duplicate_ssn"),
]


@pytest.mark.parametrize(("lines", "message"), EMF_FAULTS)
def test_malformed_employee_master_file_is_refused_with_line_and_column(tmp_path, lines,
                                                                        message):
    folder = _folder(tmp_path, emf=lines)
    fault = _fault(folder)
    assert str(fault) == f"{folder / EMF_FILE}, {message}{NOT_USED_EMF}"


def test_a_bad_line_is_reported_at_its_first_fault_only(tmp_path):
    lines = _edit(EMF, 3, lambda rec: "12345678XSMITH   JOHN  bad date")
    fault = _fault(_folder(tmp_path, emf=lines))
    assert (fault.line, fault.column, fault.field, fault.others) == (3, 9, "ssn", 0)


def test_other_bad_lines_are_counted_and_the_first_five_named(tmp_path):
    lines = [*OFP[:2], *(f"junk{i}" for i in range(8)), *OFP[2:], OFP[0]]
    folder = _folder(tmp_path, ofp=lines)
    fault = _fault(folder)
    assert str(fault) == (
        f'{folder / OFP_FILE}, line 3, column 1: organization code (columns 1-5) is "junk0"; '
        "expected 5 digits; 8 other lines are also bad: line 4 (column 1, organization code), "
        "line 5 (column 1, organization code), line 6 (column 1, organization code), line 7 "
        "(column 1, organization code), line 8 (column 1, organization code), and 3 more"
        f"{NOT_USED_OFP}")
    assert (fault.line, fault.column, fault.others) == (3, 1, 8)


def test_repeated_key_names_the_first_line_that_holds_it(tmp_path):
    lines = [*EMF, "", EMF[4]]
    fault = _fault(_folder(tmp_path, emf=lines))
    assert "line 6, column 1: the line is blank" in str(fault)
    assert "1 other line is also bad: line 7 (column 1, SSN repeated)" in str(fault)


def test_the_ofp_file_is_checked_before_the_employee_master(tmp_path):
    folder = _folder(tmp_path, ofp=[*OFP, "junk"], emf=[*EMF, "junk"])
    assert _fault(folder).path == str(folder / OFP_FILE)


# --- unreadable reference files: reference wording, not deck wording --------------------------

def test_empty_reference_file_is_not_worded_as_a_deck(tmp_path):
    folder = _folder(tmp_path)
    (folder / OFP_FILE).write_bytes(b"")
    fault = _fault(folder)
    assert str(fault) == (f"{folder / OFP_FILE}: file is empty; a reference file needs at "
                          "least one record")
    assert "HDR" not in str(fault)


def test_binary_reference_file_is_not_worded_as_a_deck(tmp_path):
    folder = _folder(tmp_path)
    (folder / EMF_FILE).write_bytes(b"\x00\xff\x10garbage")
    fault = _fault(folder)
    assert str(fault) == (f"{folder / EMF_FILE}, line 1, column 1: byte 0x00 is not printable "
                          "ASCII; a reference file is ASCII text, one record per line (or "
                          "whole 132-byte EBCDIC records)")
    assert (fault.line, fault.column) == (1, 1)


def test_ebcdic_reference_file_cut_short_is_read_as_text_and_refused(tmp_path):
    folder = _folder(tmp_path)
    (folder / OFP_FILE).write_bytes(b"".join(t.ljust(132).encode("cp037") for t in OFP)[:-1])
    fault = _fault(folder)
    assert str(fault).startswith(f"{folder / OFP_FILE}, line 1, column 1: byte 0x")
    assert str(fault).endswith("is not printable ASCII; a reference file is ASCII text, one "
                               "record per line (or whole 132-byte EBCDIC records)")


def test_deck_faults_keep_the_deck_wording(tmp_path):
    empty, binary = tmp_path / "empty.dat", tmp_path / "binary.dat"
    empty.write_bytes(b"")
    binary.write_bytes(b"\x00\xff")
    with pytest.raises(DeckFault) as err:
        read_records(empty)
    assert str(err.value) == (f"{empty}: file is empty; a deck needs at least an HDR and a TRL "
                              "record")
    with pytest.raises(DeckFault) as err:
        read_records(binary)
    assert str(err.value) == (f"{binary}, line 1, column 1: byte 0x00 is not printable ASCII; "
                              "records are ASCII text (or 132-byte EBCDIC records, which start "
                              "with HDR)")


# --- missing files: which one gives which outcome ---------------------------------------------

def test_missing_ofp_consistency_file_is_reference_missing(tmp_path):
    folder = _folder(tmp_path)
    (folder / OFP_FILE).unlink()
    with pytest.raises(ReferenceMissing) as err:
        load(folder)
    assert not isinstance(err.value, ReferenceFault)
    assert str(err.value) == (f"{folder / OFP_FILE}: reference file not found (expected the "
                              "OFP Consistency File here; give another folder with --reference)")


def test_missing_employee_master_is_no_employees_unless_needed(tmp_path):
    folder = _folder(tmp_path)
    (folder / EMF_FILE).unlink()
    assert load(folder).employees is None
    with pytest.raises(ReferenceMissing, match="expected the Employee Master File here"):
        load(folder, need_employees=True)


# --- near misses that must load ---------------------------------------------------------------

def test_crlf_reference_files_load_the_same(tmp_path):
    plain = load(_folder(tmp_path / "lf"))
    crlf = load(_folder(tmp_path / "crlf", newline="\r\n"))
    assert crlf.ofp.equals(plain.ofp) and crlf.employees.equals(plain.employees)


def test_ebcdic_reference_files_load_as_their_text(tmp_path):
    folder = _folder(tmp_path / "ebcdic")
    for name, lines in ((OFP_FILE, OFP), (EMF_FILE, EMF)):  # binary transfer: no line ends
        (folder / name).write_bytes(b"".join(t.ljust(132).encode("cp037") for t in lines))
    ebcdic, plain = load(folder), load(_folder(tmp_path / "plain"))
    assert ebcdic.ofp.height == len(OFP) and ebcdic.employees.height == len(EMF)
    assert ebcdic.ofp.drop("text").equals(plain.ofp.drop("text"))
    assert ebcdic.employees.drop("text").equals(plain.employees.drop("text"))
    assert ebcdic.ofp["text"].to_list() == [t.rstrip(" ") for t in OFP]


def test_trailing_blanks_kept_or_trimmed_load_the_same(tmp_path):
    padded = load(_folder(tmp_path / "padded", ofp=[t.ljust(80) for t in OFP],
                          emf=[t.ljust(132) for t in EMF]))
    plain = load(_folder(tmp_path / "plain"))
    assert padded.ofp.drop("text").equals(plain.ofp.drop("text"))
    assert padded.employees.drop("text").equals(plain.employees.drop("text"))


def test_blank_optional_fields_load(tmp_path):
    untitled = OFP[3][:26] + " " * 40  # program title blank, record cut after the standard
    ofp = [*OFP[:3], untitled.rstrip(), "81150410443001032000000000"]
    nameless = _put(30, " " * 16)(EMF[0])  # first name and middle initial blank
    unstepped = _put(53, "  ")(EMF[1])  # step blank
    undated = _put(57, " " * 8)(EMF[2])  # never placed on the measured plan
    ref = load(_folder(tmp_path, ofp=ofp, emf=[nameless, unstepped, undated, *EMF[3:]]))
    assert ref.ofp.height == 5 and ref.employees.height == 5
    assert ref.ofp["learning_curve_hours_v"].to_list() == [40, 60, 40, 0, 0]
    assert ref.employees["measured_since_v"].null_count() == 1


def test_ofps_that_differ_only_in_program_code_are_not_duplicates(tmp_path):
    ofp = [*OFP, OFP[0][:8] + "44211" + OFP[0][13:]]  # same org and function, other program
    assert load(_folder(tmp_path, ofp=ofp)).ofp.height == 5


# --- the bundled and generated reference files pass ------------------------------------------

@pytest.mark.parametrize("folder", ["reference", "individual"])
def test_bundled_reference_folders_load(folder):
    ref = load(FIXTURES / folder)
    assert ref.ofp.height > 0 and ref.employees is not None and ref.employees.height > 0


def test_promoted_week_employee_master_loads(tmp_path):
    folder = tmp_path / "ref"
    folder.mkdir()
    shutil.copy(FIXTURES / "individual" / OFP_FILE, folder / OFP_FILE)
    shutil.copy(FIXTURES / "individual" / "employee_master_01102026.txt", folder / EMF_FILE)
    assert load(folder).employees.height == 8


def test_generated_ofp_consistency_file_loads(tmp_path):
    folder = tmp_path / "ref"
    folder.mkdir()
    (folder / OFP_FILE).write_text(generate.reference_ofp(500, seed=11))
    assert load(folder).ofp.height == 500


def test_individual_week_generator_writes_valid_reference_files(tmp_path):
    from tests.bench import individual_week as bench_individual_week

    bench_individual_week.build(tmp_path, 400, 30, 30, seed=7)
    ref = load(tmp_path)
    assert ref.ofp.height > 0 and ref.employees.height > 0


def test_individual_bench_reference_frames_pass_the_checks():
    emf = bench_individual.employees(2_000).with_row_index("line_no", offset=1)
    ofp = bench_individual.ofp().with_row_index("line_no", offset=1)
    check(emf, Path(EMF_FILE), EMPLOYEE_MASTER)
    check(ofp, Path(OFP_FILE), OFP_CONSISTENCY)


# --- the command: condition code 12, nothing posted ------------------------------------------

def test_cli_malformed_reference_is_condition_code_12_and_nothing_posts(tmp_path):
    from pipelines.operator import cli

    folder = _folder(tmp_path, ofp=_edit(OFP, 1, _put(18, "  4X")))
    data = tmp_path / "data"
    deck = FIXTURES / "national" / "national-defect-list.dat"
    result = CliRunner().invoke(cli.app, ["run", str(deck), "-d", str(data), "-q",
                                          "--reference", str(folder)])
    assert result.exit_code == 12
    assert f"{folder / OFP_FILE}, line 1, column 21: learning-curve hours" in result.output
    assert "Traceback" not in result.output
    assert Store(data).current_generation() is None and not (data / "runs").exists()
