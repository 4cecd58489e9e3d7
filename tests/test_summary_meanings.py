"""The one-screen summary spells out its most frequent codes from the one code table."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pipelines.engine.machinery.result import RunResult
from pipelines.reports import summary
from validators.codes import CODES


def _result(codes: dict[str, Counter]) -> RunResult:
    return RunResult(run_id="20261117.01", run_date=dt.date(2026, 11, 17),
                     week_ending=dt.date(2026, 11, 14), run_dir=None, codes=codes)


def test_summary_names_the_meaning_of_its_most_frequent_codes_from_the_code_table():
    text = summary.render(_result({"PCE-03-41": Counter({"14": 3, "11": 1}),
                                   "IPR-3081": Counter({"T02": 2})})).splitlines()
    at = text.index("Error codes IPR-3081: T02 x2")
    meaning_14 = CODES[("PCE-03-41", "14")].meaning
    assert text[at + 1] == f"  PCE-03-41 14 x3: {meaning_14}"[:100]
    assert text[at + 2].startswith("  IPR-3081 T02 x2: " + CODES[("IPR-3081", "T02")].meaning[:20])
    assert text[at + 3].startswith("  PCE-03-41 11 x1: ")


def test_summary_of_a_clean_run_lists_no_meanings():
    text = summary.render(_result({"PCE-03-41": Counter()})).splitlines()
    assert text[text.index("Error codes PCE-03-41: none") + 1].startswith("Conservation:")


def test_summary_keeps_to_the_three_most_frequent_codes_to_stay_on_one_screen():
    codes = Counter({c: 10 - i for i, c in enumerate(["03", "04", "05", "06"])})
    text = summary.render(_result({"PCE-03-41": codes}))
    assert "PCE-03-41 05 x8:" in text and "PCE-03-41 06 x7:" not in text
