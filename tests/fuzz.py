"""The fault campaign as a seeded fuzz: mutated record lines through the engine.

Lines of the sample week's decks (Forms 3927, 3926, 3926-A, 3081, 6489) are mutated the ways
transcription and transfer go wrong (a column overtyped, a field shifted, a date at the ends of
the calendar, a program or format code of another form, a zone-punched sign, a control byte or
a lone CR, a line cut short or run long, the HDR and TRL damaged) and packed into decks, which
go through `weekly.run_week` a few decks at a time, each run on the state the last one left.
Every run must end 0, 4 or 8 (no exception: the command line would make one 16), every record
of an accepted deck must be posted or on the error register (conservation, counted here from
the register itself, not taken from the run's own figures), and no printed line may pass
column 132 or hold a control character but the form feed.

The test suite runs a few thousand lines (tests/test_fuzz.py). For the long campaign:
    uv run python -m tests.fuzz --lines 150000 --seed 13 [--work /tmp/fuzz]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from layouts.encode import deck as wrap_deck
from pipelines.engine.machinery.reference import Reference
from pipelines.engine.machinery.reference import load as load_reference
from pipelines.engine.machinery.result import RunResult
from pipelines.operator.runs import run_week
from pipelines.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "fixtures" / "national" / "national-defect-list.dat",
           *sorted((ROOT / "fixtures" / "sample-week").glob("*.dat"))]
REFERENCE = ROOT / "fixtures" / "reference"
PROGRAMS = ["59702", "59703", "59706", "59707", "59600", "59602", "5970 ", "     "]
FORMATS = ["222", "223", "073", "060", "22 ", "XYZ"]
DATES = ["12319999", "01010001", "00000000", "02302026", "13012026", "11142026", "        ",
         "1114202", "99999999"]
ZONES = "{}ABCDEFGHIJKLMNOPQR"
PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]
ODD_BYTES = ["\x00", "\x0c", "\t", "\x1f", "\x7f", "\r", "\xe9"]


def source_lines() -> list[str]:
    """The records (HDR and TRL left out) of the sample week and the national list."""
    lines = []
    for path in SOURCES:
        text = path.read_text().splitlines()
        lines += [t for t in text if t and not t.startswith(("HDR", "TRL"))]
    return lines


def _overtype(rng: random.Random, line: str, text: str, at: int | None = None) -> str:
    at = rng.randrange(0, max(len(line), 1)) if at is None else at
    line = line.ljust(at)
    return line[:at] + text + line[at + len(text):]


def mutate(rng: random.Random, line: str) -> str:
    """One record as a transcription might spoil it (or unspoiled, now and then): printable
    ASCII within 132 columns, so the record reaches the validators."""
    kind = rng.randrange(13)
    if kind == 0:
        return line
    if kind == 1:
        return _overtype(rng, line, rng.choice(PRINTABLE))
    if kind == 2:
        return _overtype(rng, line, rng.choice("0123456789 "))
    if kind == 3:
        return _overtype(rng, line, rng.choice(PROGRAMS), 0)
    if kind == 4:
        return _overtype(rng, line, rng.choice(FORMATS), 5)
    if kind == 5:
        return _overtype(rng, line, rng.choice(DATES), rng.choice([15, 24, 0, 60]))
    if kind == 6:
        return _overtype(rng, line, rng.choice(ZONES))
    if kind == 7:
        return line[:rng.randrange(0, max(len(line), 1))]
    if kind == 8:
        return (line + "".join(rng.choice(PRINTABLE) for _ in range(90)))[:rng.randrange(
            len(line), 133)]
    if kind == 9:
        at = rng.randrange(0, max(len(line), 1))
        return line[:at] + (" " if rng.random() < 0.5 else "") + line[at + 1:]
    if kind == 10:
        return _overtype(rng, line, rng.choice(["01", "02", "12", "13", "99", "  "]), 13)
    if kind == 11:
        return _overtype(rng, line, "".join(rng.choice("0123456789") for _ in range(9)),
                         rng.choice([15, 16, 28]))
    return mutate(rng, mutate(rng, line))


def deck_bytes(rng: random.Random, records: list[str], sequence: int, week: dt.date) -> bytes:
    """A deck of `records`; one deck in four is also spoiled as a file (HDR or TRL damaged, a
    blank line, a control byte or a lone CR, a line over 132 columns), which refuses it."""
    text = wrap_deck(records, week_ending=f"{week:%m%d%Y}", sequence=sequence % 1000)
    lines = text.splitlines()
    if rng.random() < 0.25:
        at = rng.randrange(1, len(lines) - 1) if len(lines) > 2 else 0
        fault = rng.randrange(6)
        if fault == 0:
            lines[0] = mutate(rng, lines[0])
        elif fault == 1:
            lines[-1] = mutate(rng, lines[-1])
        elif fault == 2:
            lines.insert(rng.randrange(1, len(lines)), "")
        elif fault == 3:
            lines[at] = _overtype(rng, lines[at], rng.choice(ODD_BYTES))
        elif fault == 4:
            lines[at] = lines[at].ljust(133, "9")
        else:
            lines[0] = _overtype(rng, lines[0], rng.choice(DATES), rng.choice([5, 13]))
    end = "\r\n" if rng.random() < 0.2 else "\n"
    return (end.join(lines) + end).encode("utf-8")


@dataclass
class Campaign:
    lines: int = 0
    decks: int = 0
    runs: int = 0
    refused: int = 0
    posted: int = 0
    on_register: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        return (f"{self.lines} mutated lines in {self.decks} decks over {self.runs} runs: "
                f"{self.posted} posted + {self.on_register} on a register, {self.refused} decks "
                f"refused; condition codes {dict(sorted(self.codes.items()))}; "
                f"{self.seconds:.1f} s")


class FuzzFailure(AssertionError):
    """What held in the legacy run and failed here; the message names the run and the deck."""


def _check_printed(result: RunResult) -> None:
    for path in result.outputs.values():
        if path.suffix != ".txt":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            line = line.removeprefix("\f")
            if len(line) > 132 or any(c < " " or c > "~" for c in line):
                raise FuzzFailure(f"{path}, line {number}: printed line of {len(line)} columns "
                                  f"or with a control character: {line!r}")


def _check_conserved(result: RunResult, store: Store, register_before: int) -> int:
    register = store.read("error_register")
    opened = (register.height if register is not None else 0) - register_before
    if result.records_in != result.posted + result.rejected or opened != result.rejected:
        raise FuzzFailure(f"run {result.run_id}: {result.records_in} records in, "
                          f"{result.posted} posted, {result.rejected} rejected, {opened} new "
                          "register entries")
    return register.height if register is not None else 0


def run(lines: int, seed: int, work: Path, decks_per_run: int = 12, lines_per_deck: int = 40,
        reference: Reference | None = None) -> Campaign:
    """The campaign: `lines` mutated lines from `seed`, in a new data directory under `work`."""
    rng = random.Random(seed)
    pool = source_lines()
    reference = reference or load_reference(REFERENCE)
    data, inbox = work / "data", work / "decks"
    inbox.mkdir(parents=True, exist_ok=True)
    store = Store(data)
    done = Campaign()
    t0 = time.perf_counter()
    week, day, register_rows = dt.date(2026, 11, 14), dt.date(2026, 11, 17), 0
    while done.lines < lines:
        paths = []
        for _ in range(decks_per_run):
            if done.lines >= lines:
                break
            size = min(rng.randrange(1, lines_per_deck * 2), lines - done.lines)
            records = [mutate(rng, rng.choice(pool)) for _ in range(size)]
            path = inbox / f"fuzz-{done.decks:05d}.dat"
            path.write_bytes(deck_bytes(rng, records, done.decks, week))
            paths.append(path)
            done.lines += size
            done.decks += 1
        try:
            result = run_week(paths, data, reference, day)
        except Exception as err:
            raise FuzzFailure(f"run of {paths[0].name}..{paths[-1].name} (seed {seed}) raised "
                              f"{type(err).__name__}: {err}") from err
        if result.condition_code not in (0, 4, 8):
            raise FuzzFailure(f"run {result.run_id}: condition code {result.condition_code}")
        register_rows = _check_conserved(result, store, register_rows)
        _check_printed(result)
        done.runs += 1
        done.refused += sum(d.status != "accepted" for d in result.decks)
        done.posted += result.posted
        done.on_register += result.rejected
        done.codes[result.condition_code] = done.codes.get(result.condition_code, 0) + 1
        week += dt.timedelta(days=7)
        day += dt.timedelta(days=7)
    done.seconds = time.perf_counter() - t0
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the decks and the data directory (default: temporary)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qap-fuzz-") as tmp:
        campaign = run(args.lines, args.seed, args.work or Path(tmp))
    print(campaign.line())
    print("no run raised, every run ended 0, 4 or 8, conservation held")


if __name__ == "__main__":
    main()
