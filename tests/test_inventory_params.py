"""The rules read every policy number from validators/params/ro_inventory.toml (spec 3.7):
change one number in a copy of the file and the outcome on the worked example changes."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import polars as pl
import pytest

from layouts.encode import deck, record
from tests.inventory_helpers import codes_of, evaluated, ro
from validators import ro_params

AS_OF = dt.date(2026, 5, 16)
A, B, C, D, E = (f"3501010{n}" for n in range(1, 6))

# (section, key, new value, a flag there with the file's value, gone with the new one,
#  and one that appears with the new value or None)
CASES = [
    ("gs13", "mix_target_pct", "40", ("25", B), None),
    ("gs13", "mix_tolerance_pts", "30", ("25", B), None),
    ("gs13", "band_top", "45", ("24", A), None),
    ("gs13", "min_case_share", "0.30", ("26", B), None),
    ("assign", "weekly_limit", "6", ("40", D), ("41", D)),
    ("assign", "recent_move_weeks", "100", ("40", D), ("41", D)),
    ("over_range", "work_days", "20", ("21", C), None),
    ("hold_file", "max_days", "60", ("31", "E000000197"), None),
    ("queue", "csed_min_days", "70", ("64", "E000000090"), None),
    ("queue", "contact_days", "170", ("68", "E000000098"), None),
    ("queue", "ased_years", "0", ("67", "E000000096"), None),
    ("cag", "factors_required", "2", ("82", "E000000046"), ("84", "E000000087")),
    ("cag", "subelements_from", "2030-01-01", ("83", "E000000009"), None),
]
# Rounding rules: proved by the figures they round (test_rounding_rules_come_from_the_file).
ROUNDING = {("support", "min_cases_rounding"), ("support", "ros_supported_rounding")}


def _edited(tmp_path, section: str, key: str, value: str):
    text = ro_params.PARAMS_FILE.read_text()
    block = re.search(rf"^\[{section}\]\n(.*?)(?=^\[|\Z)", text, flags=re.M | re.S)
    new_block = re.sub(rf"^{key} = [^#\n]*", f"{key} = {value} ", block.group(0), flags=re.M)
    assert new_block != block.group(0), (section, key)
    path = tmp_path / "ro_inventory.toml"
    path.write_text(text.replace(block.group(0), new_block))
    return ro_params.load(AS_OF, path)


@pytest.mark.parametrize(("section", "key", "value", "gone", "appears"), CASES,
                         ids=[f"{s}.{k}" for s, k, *_ in CASES])
def test_rule_reads_its_number_from_the_parameter_file(tmp_path, section, key, value, gone,
                                                       appears):
    before = codes_of(evaluated()[2])
    after = codes_of(evaluated(params=_edited(tmp_path, section, key, value))[2])
    assert gone in before and gone not in after
    if appears:
        assert appears not in before and appears in after


def test_every_number_in_the_parameter_file_is_proved_read_or_listed_as_not_yet_used():
    data = tomllib.loads(ro_params.PARAMS_FILE.read_text())
    numbers = {(s, k) for s in ro_params.SECTIONS for k in data[s]
               if k not in ("from", "effective")}
    assert numbers == {(s, k) for s, k, *_ in CASES} | ROUNDING


def _figure(ev, table: int, measure: str, basis: str = "") -> float:
    hit = ev.analysis.filter((pl.col("table") == table) & (pl.col("measure") == measure)
                             & (pl.col("basis") == basis))
    return hit["value"][0]


def test_rounding_rules_come_from_the_file(tmp_path):
    before = evaluated()
    assert _figure(before, 2, "supported", "unadjusted") == 2  # 36 / 20 = 1.80, rounded up
    assert _figure(before, 2, "needed", "unadjusted") == 60  # 3 x floor(34 x 0.60)
    ceil = evaluated(params=_edited(tmp_path, "support", "min_cases_rounding", '"ceil"'))
    assert _figure(ceil, 2, "needed", "unadjusted") == 63  # 3 x ceil(20.4)
    b26 = ceil.flags.filter(pl.col("code") == "26").row(0, named=True)
    assert b26["values"]["limit"] == 21
    floor = evaluated(params=_edited(tmp_path, "support", "ros_supported_rounding", '"floor"'))
    assert _figure(floor, 2, "supported", "unadjusted") == 1


def _every_grade_deck(tmp_path):
    grades = ("05", "07", "09", "11", "12", "13")
    lines = [record("ro_roster", ror_type="ROR", assignment=f"350105{n:02d}", seid="QQQQQ",
                    last_name="ROSTER", ro_grade=g, position_type="F", duty_status="A",
                    group_start="01052026") for n, g in enumerate(grades, start=1)]
    path = tmp_path / "grades.dat"
    path.write_text(deck(lines, campus="35", week_ending="05162026", created="05182026"))
    return path, grades


def test_every_grade_range_comes_from_the_file_in_force_on_the_as_of_date(tmp_path):
    path, grades = _every_grade_deck(tmp_path)
    data = tomllib.loads(ro_params.PARAMS_FILE.read_text())
    expected = {r["grade"]: (r["min"], r["max"]) for r in data["range"]}
    measured = evaluated(path)[0]
    for n, grade in enumerate(grades, start=1):
        row = ro(measured, f"350105{n:02d}")
        assert (row["range_min"], row["range_max"]) == expected[grade]
    # a new row for grade 11 dated after the as-of date is not in force yet; dated before, it is
    text = ro_params.PARAMS_FILE.read_text()
    for effective, in_force in (("2026-06-01", (53, 79)), ("2026-05-01", (40, 60))):
        edited = tmp_path / f"p{effective}.toml"
        edited.write_text(text + f'\n[[range]]\ngrade = "11"\nmin = 40\nmax = 60\n'
                          f'effective = {effective}\nfrom = "test"\n')
        row = ro(evaluated(path, params=ro_params.load(AS_OF, edited))[0], "35010504")
        assert (row["range_min"], row["range_max"]) == in_force


def test_qap_inventory_params_prints_the_values_in_force_with_their_sources():
    from typer.testing import CliRunner

    from pipelines.operator.cli import app

    out = CliRunner().invoke(app, ["inventory", "params"])
    assert out.exit_code == 0
    assert "GS-11   53-79  effective 10/20/2023  IRM 1.4.50.10.2(7)" in out.output
    assert "weekly_limit = 5" in out.output and "IRM 1.4.50.10.2(2)" in out.output
    assert "csed_min_days = 195" in out.output


def test_qap_inventory_params_before_the_irm_says_its_values_are_not_in_force():
    """Check of session 16, P8: `--run-date 2020-01-01` (before IRM 1.4.50.10.2 of
    10/20/2023) printed the ranges heading with nothing under it and the GS-13 rule's values
    as if in force; spec 3.7 dates the values (OpenFisca), and the command prints those in
    force."""
    from typer.testing import CliRunner

    from pipelines.operator.cli import app

    out = CliRunner().invoke(app, ["inventory", "params", "--run-date", "2020-01-01"])
    assert out.exit_code == 0
    blocks = out.output.split("\n\n")
    assert blocks[0].splitlines()[0] == ("Policy parameters of run INV-10-02 "
                                         "(ro_inventory.toml), in force on 01/01/2020")
    assert blocks[1:3] == [
        "Standard inventory ranges (taxpayer cases):\n"
        "  none in force on 01/01/2020: the first take effect 10/20/2023",
        "[gs13]  IRM 1.4.50.10.2(7); TIGTA 2010-30-029 footnote 11; spec readings 9.6, 9.7\n"
        "  not in force on 01/01/2020: effective 10/20/2023"]
    assert blocks[-2].splitlines()[1:] == ["  effective = 2010-03-16", "  factors_required = 3",
                                           "  subelements_from = 2011-02-15"]  # [cag]: in force
