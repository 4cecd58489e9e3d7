"""`qap backfill`: weeks run in order, one weekly run each, with the outcomes `qap run` gives
week by week (issue 20, target 3)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import stat
from pathlib import Path

import polars as pl
import pytest
from run_outputs import umask

from fixtures import generate
from layouts import encode, layout
from pipelines.operator import backfill, cli
from pipelines.state.store import Store

SEED = 11
WEEKS = {"w1": "11012025", "w2": "11082025", "w3": "11152025"}  # Saturdays
RUN_DATES = ["2025-11-04", "2025-11-11", "2025-11-18"]  # the Tuesday after each


def qap(*args) -> int:
    return cli.run_app([str(a) for a in args])




def _rewrap(deck_text: str, sequence: int) -> str:
    """The same records under an HDR of another sequence number."""
    lines = deck_text.rstrip("\n").split("\n")
    hdr = layout.load("hdr")
    field = hdr.field("hdr_week_ending")
    created = hdr.field("creation_date")
    first = lines[0]
    return encode.deck(lines[1:-1], week_ending=first[field.offset:field.end],
                       created=first[created.offset:created.end], sequence=sequence)


def _cut_short(week_ending: str) -> str:
    """A deck whose TRL promises one record more than it holds: refused by control (8)."""
    lines = encode.deck(["59702"], week_ending=week_ending, sequence=9).rstrip("\n").split("\n")
    lines[-1] = encode.record("trl", record_id="TRL", record_count="0000002")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """history/w1..w3 (national list + reviews, reviews + a deck cut short, reviews) and
    reference/. Folder names are given out of order on disk (`b-...`) to show that the HDR
    week ending orders the weeks, not the name."""
    root = tmp_path_factory.mktemp("backfill-inputs")
    codes = generate.national_codes(300, SEED)
    ofp = generate.reference_ofp(generate.ofps_needed(400), SEED)
    (root / "reference").mkdir()
    (root / "reference" / generate.OFP_FILE).write_text(ofp)
    history = root / "history"
    for i, (name, week) in enumerate(WEEKS.items()):
        folder = history / name
        folder.mkdir(parents=True)
        (folder / "reviews.dat").write_text(
            generate.review_deck(400, SEED + i, ofp, codes, error_rate=0.05, week_ending=week))
    national = generate.defect_list_deck(codes, SEED, WEEKS["w1"])
    (history / "w1" / "00-national.dat").write_text(_rewrap(national, 3))  # reviews: 2
    (history / "w2" / "zz-cut-short.dat").write_text(_cut_short(WEEKS["w2"]))
    return root


def _decks(inputs: Path, week: str) -> list[Path]:
    return sorted((inputs / "history" / week).glob("*.dat"))


@pytest.fixture(scope="module")
def one_by_one(inputs, tmp_path_factory) -> Path:
    """The three weeks run with `qap run`, each with its run date."""
    data = tmp_path_factory.mktemp("one-by-one") / "data"
    codes = [qap("run", *_decks(inputs, week), "-d", data, "-r", inputs / "reference", "-q",
                 "--run-date", date) for week, date in zip(WEEKS, RUN_DATES, strict=True)]
    assert codes == [4, 8, 4]
    return data


@pytest.fixture(scope="module")
def backfilled(inputs, tmp_path_factory) -> tuple[Path, int, str]:
    data = tmp_path_factory.mktemp("backfill") / "data"
    out = tmp_path_factory.mktemp("backfill-out") / "out.json"
    with umask(0o022):
        code = _json_run(out, inputs / "history", "-d", data, "-r", inputs / "reference", "-q")
    return data, code, out.read_text()


def _json_run(out: Path, *args) -> int:
    """`qap backfill --json`, its stdout kept in `out`."""
    with open(out, "w") as stdout, contextlib.redirect_stdout(stdout):
        return qap("backfill", *args, "--json")


def _tables(data: Path) -> dict[str, pl.DataFrame]:
    store = Store(data)
    return {name: store.read(name) for name in sorted(store.manifest()["tables"])}


def _reports(data: Path) -> dict[str, bytes]:
    """Every printed report of every run folder, by run id and name."""
    return {f"{p.parent.name}/{p.name}": p.read_bytes()
            for p in sorted((data / "runs").glob("*/*.txt"))}


def test_backfill_runs_the_weeks_in_hdr_order_on_the_tuesday_after_each(inputs):
    weeks = backfill.plan([inputs / "history"], today=dt.date(2026, 1, 1))
    assert [(w.number, w.name, w.week_ending, w.run_date) for w in weeks] == [
        (1, "w1", dt.date(2025, 11, 1), dt.date(2025, 11, 4)),
        (2, "w2", dt.date(2025, 11, 8), dt.date(2025, 11, 11)),
        (3, "w3", dt.date(2025, 11, 15), dt.date(2025, 11, 18))]
    assert [d.name for d in weeks[0].decks] == ["00-national.dat", "reviews.dat"]


def test_week_folders_given_out_of_order_run_by_their_hdr_week_ending(inputs):
    history = inputs / "history"
    weeks = backfill.plan([history / "w3", history / "w1", history / "w2"],
                          today=dt.date(2026, 1, 1))
    assert [w.name for w in weeks] == ["w1", "w2", "w3"]


def test_a_week_whose_tuesday_has_not_come_runs_today():
    assert backfill.run_date_for(dt.date(2025, 11, 15), dt.date(2025, 11, 17)) == \
        dt.date(2025, 11, 17)
    assert backfill.run_date_for(dt.date(2025, 11, 18), dt.date(2026, 1, 1)) == \
        dt.date(2025, 11, 25)  # a Tuesday week ending: the Tuesday after, not the same day


def test_backfill_of_three_weeks_leaves_the_store_of_three_qap_runs(backfilled, one_by_one):
    data, code, _ = backfilled
    assert code == 8
    mine, theirs = _tables(data), _tables(one_by_one)
    assert sorted(mine) == sorted(theirs)
    for name, frame in theirs.items():
        assert mine[name].equals(frame), name
    assert [m["run_id"] for m in Store(data).history()] == \
        ["20251104.01", "20251111.01", "20251118.01"]


def test_backfill_prints_the_reports_of_three_qap_runs(backfilled, one_by_one):
    data, _, _ = backfilled
    mine, theirs = _reports(data), _reports(one_by_one)
    assert len(theirs) > 10 and sorted(mine) == sorted(theirs)
    differ = [name for name in theirs if mine[name] != theirs[name]]
    assert differ == []
    assert all((data / "runs" / run / "index.html").is_file()
               for run in ("20251104.01", "20251111.01", "20251118.01"))


def test_week_with_a_refused_deck_goes_on_with_8(backfilled):
    _, code, text = backfilled
    document = json.loads(text)
    weeks = [(w["folder"], w["condition_code"], w["decks_refused"])
             for w in document["weeks"]]
    assert weeks == [("w1", 4, 0), ("w2", 8, 1), ("w3", 4, 0)]
    assert document["stopped"] is None and document["condition_code"] == code == 8
    for week in document["weeks"]:
        assert week["records_in"] == week["posted"] + week["rejected"] > 0
    refused = [n for n in document["weeks"][1]["notes"] if n.startswith("deck ")]
    assert len(refused) == 1 and " refused: " in refused[0]  # which deck, and why
    assert [(w["week"], w["runs"]) for w in document["plan"]] == [(1, True), (2, True),
                                                                 (3, True)]


def test_every_file_the_backfill_writes_is_owner_only(backfilled):
    data, _, _ = backfilled
    loose = []
    for folder, _dirs, files in os.walk(data):
        if stat.S_IMODE(os.lstat(folder).st_mode) != 0o700:
            loose.append(folder)
        for name in files:
            info = os.lstat(Path(folder) / name)
            if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != 0o600:
                loose.append(f"{folder}/{name}")
    assert loose == []


REFERENCE_GIVEN: Path  # set by `stopped`: the -r folder the backfill was given


@pytest.fixture(scope="module")
def stopped(inputs, tmp_path_factory):
    """Week 2 with a reference folder of its own that lacks the OFP Consistency File."""
    root = tmp_path_factory.mktemp("stopped")
    history = root / "history"
    shutil.copytree(inputs / "history", history)
    (history / "w2" / "reference").mkdir()
    data = root / "data"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = qap("backfill", history, "-d", data, "-r", inputs / "reference", "-q")
    global REFERENCE_GIVEN
    REFERENCE_GIVEN = inputs / "reference"
    return history, data, code, err.getvalue(), out.getvalue()


def test_week_with_a_missing_reference_stops_with_12_and_names_the_week(stopped):
    _, data, code, err, _ = stopped
    assert code == 12
    assert [m["run_id"] for m in Store(data).history()] == ["20251104.01"]  # w3 not run
    assert "backfill stopped at week 2 of 3 (w2, week ending 11/08/2025)" in err
    assert "w2/reference/ofp_consistency.txt: reference file not found" in err
    assert "this week's own reference folder" in err
    history, _, _, _, _ = stopped
    assert (f"resume with: qap backfill {history} -d {data} -r {REFERENCE_GIVEN} "
            f"--from {history / 'w2'}") in err  # all that was given, and the week's own folder


def test_the_summary_table_shows_each_week_of_the_plan_and_what_became_of_it(stopped):
    out = stopped[4].splitlines()
    assert out[0].startswith("week 1 of 3: w1 (week ending 11/01/2025): run 20251104.01, "
                             "condition code 4, ")
    assert out[1].startswith("week 2 of 3: w2 (week ending 11/08/2025): condition code 12: ")
    table = out[out.index("") + 1:]
    assert table[0].split() == ["WEEK", "FOLDER", "WEEK", "ENDING", "RUN", "DATE", "RUN", "ID",
                                "CC", "RECORDS", "IN", "POSTED", "REJECTED", "REFUSED"]
    assert table[1].split()[:6] == ["1", "w1", "11/01/2025", "11/04/2025", "20251104.01", "4"]
    assert table[2].split() == ["2", "w2", "11/08/2025", "11/11/2025", "stopped", "12"]
    assert table[3].split() == ["3", "w3", "11/15/2025", "11/18/2025", "not", "run"]
    assert table[4].split()[0] == "total" and table[4].split()[1:] == table[1].split()[6:]
    assert table[5] == f"Reports and run pages: {stopped[1] / 'runs'}/<run id>/"
    assert table[6] == "Backfill condition code 12: the run could not complete"


def test_backfill_has_help_with_an_example(capsys):
    assert qap("backfill", "--help") == 0
    assert "Example: qap backfill" in capsys.readouterr().out


def test_resume_after_a_stop_posts_nothing_twice(stopped, inputs, backfilled, tmp_path):
    history, data, _, _, _ = stopped
    shutil.copy(inputs / "reference" / generate.OFP_FILE, history / "w2" / "reference")
    assert qap("backfill", history, "-d", data, "-q", "--from", "w2") == 8
    clean = _tables(backfilled[0])
    resumed = _tables(data)
    assert sorted(resumed) == sorted(clean)
    for name, frame in resumed.items():  # a refusal's reason names the deck's own path
        if name == "decks":
            frame = frame.with_columns(pl.col("reason").str.replace(
                str(history), str(inputs / "history"), literal=True))
        assert frame.equals(clean[name]), name
    # The whole series again: every deck is refused as already posted, nothing posts.
    out = tmp_path / "again.json"
    assert _json_run(out, history, "-d", data, "-q") == 8
    again = json.loads(out.read_text())
    assert [(w["posted"], w["decks_refused"]) for w in again["weeks"]] == [
        (0, 2), (0, 2), (0, 1)]
    for name in ("cum_ofp", "cum_defects", "defect_codes", "quality_standards"):
        assert Store(data).read(name).equals(clean[name]), name


def test_dry_run_lists_the_weeks_and_runs_nothing(inputs, tmp_path, capsys):
    data = tmp_path / "data"
    assert qap("backfill", inputs / "history", "-d", data, "--dry-run", "--from",
               "2025-11-08") == 0
    out = capsys.readouterr().out
    assert "week 1 of 3: " in out and "(before --from: not run)" in out
    assert "week 2 of 3: " in out and "week ending 11/08/2025, run date 11/11/2025" in out
    assert not data.exists()


def test_from_naming_no_week_is_a_usage_error(inputs, tmp_path, capsys):
    assert qap("backfill", inputs / "history", "-d", tmp_path / "d", "--from", "w9") == 2
    assert "--from 'w9' names no week of this backfill (weeks: w1, w2, w3)" in \
        capsys.readouterr().err


def test_a_week_folder_without_a_readable_hdr_is_refused_and_the_others_run(inputs, tmp_path,
                                                                            capsys):
    history = tmp_path / "h"
    shutil.copytree(inputs / "history" / "w1", history / "w1")
    shutil.copytree(inputs / "history" / "w3", history / "w3")
    (history / "w2").mkdir()
    (history / "w2" / "deck.dat").write_text("not a deck\n")
    (history / "w2" / "notes.txt").write_text("HDR\n")
    data, reference = tmp_path / "d", inputs / "reference"
    assert qap("backfill", history, "-d", data, "-r", reference, "-q") == 8
    out = capsys.readouterr().out
    assert (f"week folder {history / 'w2'} refused (condition code 8): no deck has a readable "
            "HDR week ending (columns 6-13 of its first record; decks: deck.dat, notes.txt), "
            "so the week's place in the series and its run date are unknown; nothing of it "
            "was run, the other weeks run without it. Once its decks are mended, run it with: "
            f"qap backfill {history / 'w2'} -d {data} -r {reference}\n") in out
    assert [m["run_id"] for m in Store(data).history()] == ["20251104.01", "20251118.01"]
    assert ["-", "w2", "-", "-", "refused", "8"] in [line.split() for line in out.splitlines()]
    assert out.endswith("Backfill condition code 8: a deck was refused (nothing of it "
                        "posted)\n")


def test_an_interrupt_inside_a_week_stops_there_with_12_and_posts_none_of_it(inputs, tmp_path):
    """Ctrl-C arriving while week 2's run 03 works (raised from the engine's own progress
    call): week 1 stays posted, week 2 posts nothing, week 3 is not run; --from resumes."""
    data = tmp_path / "data"
    weeks = backfill.plan([inputs / "history"], today=dt.date(2026, 1, 1))

    def progress(message: str) -> None:
        if message.startswith("run 03") and Store(data).history():
            raise KeyboardInterrupt

    outcome = backfill.run(weeks, len(weeks), data, inputs / "reference", progress=progress)
    assert [w.name for w in outcome.done] == ["w1"]
    assert outcome.stopped is not None and outcome.stopped.name == "w2"
    assert outcome.condition_code == 12 and outcome.stopped.message.startswith("interrupted")
    assert [m["run_id"] for m in Store(data).history()] == ["20251104.01"]
    assert qap("backfill", inputs / "history", "-d", data, "-q", "--from", "w2") == 8
    assert [m["run_id"] for m in Store(data).history()] == \
        ["20251104.01", "20251111.01", "20251118.01"]


@pytest.mark.parametrize("form", ["text", "crlf", "ebcdic"])
def test_the_plan_reads_the_hdr_week_ending_of_text_crlf_and_ebcdic_decks(tmp_path, form):
    text = encode.deck(["59702"], week_ending="11082025")
    path = tmp_path / "deck.dat"
    if form == "ebcdic":
        path.write_bytes(b"".join(line.ljust(132).encode("cp037")
                                  for line in text.rstrip("\n").split("\n")))
    else:
        path.write_bytes(text.replace("\n", "\r\n" if form == "crlf" else "\n").encode())
    assert backfill.hdr_week_ending(path) == dt.date(2025, 11, 8)


def test_a_deck_with_no_hdr_places_nothing(tmp_path):
    path = tmp_path / "deck.dat"
    path.write_text("59702\nTRL0000001\n")
    assert backfill.hdr_week_ending(path) is None


def test_no_other_command_posts_between_two_weeks_of_a_backfill(inputs, tmp_path):
    """The backfill holds the store's lock for the whole series: a `qap run` tried while week
    2 starts is told the store is busy (12), naming the backfill, and posts nothing."""
    data = tmp_path / "data"
    weeks = backfill.plan([inputs / "history"], today=dt.date(2026, 1, 1))
    tried: list[int] = []

    def started(week) -> None:
        if week.number == 2:
            tried.append(qap("run", *weeks[2].decks, "-d", data, "-r", inputs / "reference",
                             "-q"))

    outcome = backfill.run(weeks, len(weeks), data, inputs / "reference", started=started)
    assert tried == [12] and outcome.condition_code < 12
    assert [m["run_id"] for m in Store(data).history()] == \
        ["20251104.01", "20251111.01", "20251118.01"]  # the three weeks, nothing between


def test_a_backfill_started_while_another_holds_the_store_runs_nothing(inputs, tmp_path):
    data = tmp_path / "data"
    weeks = backfill.plan([inputs / "history"], today=dt.date(2026, 1, 1))
    with Store(data).lock("qap backfill (3 weeks)"):
        outcome = backfill.run(weeks, len(weeks), data, inputs / "reference")
    assert outcome.condition_code == 12 and outcome.done == []
    assert "in use by run 'qap backfill (3 weeks)'" in outcome.stopped.message
    assert "lock file; no week of this backfill was run" in outcome.stopped.message
    assert Store(data).history() == []


def test_an_interrupt_after_a_week_published_counts_it_and_stops_at_the_next(
        inputs, tmp_path, monkeypatch):
    """Ctrl-C while week 2's run page is drawn (its run has published): week 2 counts as
    posted, the backfill stops at week 3 with 12 and the resume starts there."""
    data = tmp_path / "data"
    weeks = backfill.plan([inputs / "history"], today=dt.date(2026, 1, 1))
    page = backfill._run_page

    def interrupting(result, data_dir):
        if result.run_id == "20251111.01":
            raise KeyboardInterrupt
        return page(result, data_dir)

    monkeypatch.setattr(backfill, "_run_page", interrupting)
    outcome = backfill.run(weeks, len(weeks), data, inputs / "reference")
    assert [(w.name, w.run_id) for w in outcome.done] == [("w1", "20251104.01"),
                                                        ("w2", "20251111.01")]
    assert outcome.done[1].posted > 0 and "published" in outcome.done[1].notes[0]
    assert outcome.stopped.name == "w3" and outcome.condition_code == 12
    assert outcome.stopped.message == "interrupted after week 2 had posted; this week was not run"
    monkeypatch.setattr(backfill, "_run_page", page)
    assert qap("backfill", inputs / "history", "-d", data, "-r", inputs / "reference", "-q",
               "--from", inputs / "history" / "w3") < 12
    assert [m["run_id"] for m in Store(data).history()] == \
        ["20251104.01", "20251111.01", "20251118.01"]


def test_from_with_a_week_folder_names_that_week_when_two_share_a_name(inputs, tmp_path):
    for where, week in (("x", "w1"), ("y", "w2")):
        shutil.copytree(inputs / "history" / week, tmp_path / where / "week")
    weeks = backfill.plan([tmp_path / "x" / "week", tmp_path / "y" / "week"],
                          today=dt.date(2026, 1, 1))
    assert backfill.week_named(weeks, "week").number == 1  # a name alone: the first
    assert backfill.week_named(weeks, str(tmp_path / "y" / "week")).number == 2
