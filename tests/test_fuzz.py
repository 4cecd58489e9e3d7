"""The fault campaign kept as a test (issue 13): a seeded fuzz of mutated record lines through
the engine (tests/fuzz.py). No run raises or ends above 8, conservation holds run by run
(counted from the error register), no printed line passes column 132. QAP_FUZZ_LINES and
QAP_FUZZ_SEED run a longer campaign; `python -m tests.fuzz --lines N` runs it outside
pytest."""

from __future__ import annotations

import os
import random

from tests import fuzz

LINES = int(os.environ.get("QAP_FUZZ_LINES", "3000"))
SEED = int(os.environ.get("QAP_FUZZ_SEED", "13"))


def test_mutated_lines_never_stop_the_week_and_every_record_is_posted_or_registered(tmp_path):
    campaign = fuzz.run(LINES, SEED, tmp_path)
    assert campaign.lines == LINES
    assert campaign.posted + campaign.on_register > LINES // 2  # most lines reached the rules
    assert campaign.refused > 0 and campaign.posted > 0 and campaign.on_register > 0
    assert set(campaign.codes) <= {0, 4, 8}


def test_the_same_seed_spoils_the_same_lines():
    pool = fuzz.source_lines()
    first = [fuzz.mutate(random.Random(5), line) for line in pool]
    again = [fuzz.mutate(random.Random(5), line) for line in pool]
    assert first == again and first != pool
    assert all(len(line) <= 132 and line.isascii() and line.isprintable() for line in first)
