"""Tests of pipelines.state.store: round trip, history/rollback, locking and crash safety."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from pipelines.state import store as store_module
from pipelines.state.store import AlreadyRolledBack, LaterRuns, Store, StoreBusy, StoreError

ROOT = Path(__file__).resolve().parents[1]
CHILD_SCRIPT = Path(__file__).with_name("store_crash_child.py")

_spec = importlib.util.spec_from_file_location("store_crash_child", CHILD_SCRIPT)
assert _spec is not None and _spec.loader is not None
child = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(child)


def _df(**cols: list) -> pl.DataFrame:
    return pl.DataFrame(cols)


def _publish(store: Store, run_id: str, tables: dict[str, pl.DataFrame], **kw) -> int:
    with store.lock(run_id), store.begin(run_id) as gen:
        for name, df in tables.items():
            gen.write(name, df)
        return gen.commit(**kw)


def _current_tables(data_dir: Path) -> dict[str, pl.DataFrame]:
    """What a plain downstream reader sees through the stable `current/` path."""
    current = data_dir / "current"
    if not current.exists():
        return {}
    return {p.stem: pl.read_parquet(p) for p in sorted(current.glob("*.parquet"))}


def _assert_same_tables(got: dict[str, pl.DataFrame], want: dict[str, pl.DataFrame]) -> None:
    assert sorted(got) == sorted(want)
    for name in want:
        assert_frame_equal(got[name], want[name])


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["POLARS_MAX_THREADS"] = "1"
    env.pop(child.CRASH_ENV, None)
    env.update(extra)
    return env


# --------------------------------------------------------------------------- round trip


def test_empty_store_has_no_generation_tables_or_history(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    assert store.current_generation() is None
    assert store.read("decks") is None
    assert store.manifest() is None
    assert store.history() == []
    assert not (tmp_path / "data").exists()  # reading never creates anything


def test_round_trip_two_tables_and_generation_numbers_increase(tmp_path: Path) -> None:
    store = Store(tmp_path)
    codes = _df(code=["A1", "B2"], weight=[1.5, 2.0])
    decks = _df(deck=[10, 11, 12], site=["KC", "OG", "AU"])

    first = _publish(store, "w01", {"defect_codes": codes, "decks": decks})
    assert first == 1
    assert store.current_generation() == 1
    assert_frame_equal(store.read("defect_codes"), codes)
    assert_frame_equal(store.read("decks"), decks)
    assert store.read("error_register") is None

    second = _publish(store, "w02", {"decks": decks.head(1)})
    assert second == 2
    assert store.current_generation() == 2
    assert_frame_equal(store.read("decks"), decks.head(1))
    assert_frame_equal(store.read("decks", generation=1), decks)


@pytest.mark.parametrize("change", ["other rows", "same rows, other bytes"])
def test_a_published_table_changed_from_outside_is_not_read(tmp_path: Path, change) -> None:
    """The next run would build on it: `read` compares the bytes it parses (and their rows)
    with the manifest and refuses a file that is not the one published."""
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(deck=[10, 11, 12])})
    path = tmp_path / "state" / "generations" / "000001" / "decks.parquet"
    changed = _df(deck=[10]) if change == "other rows" else _df(deck=[10, 11, 13])
    path.unlink()
    changed.write_parquet(path)
    with pytest.raises(StoreError) as refused:
        store.read("decks")
    assert str(refused.value) == (
        f"table 'decks' of generation 1 ({path}) is not the file that was published (its "
        "sha256 or row count differs from the generation's manifest): it was changed from "
        "outside the store. Nothing was done; put the published file back, or publish the "
        "state as an earlier generation had it with `qap rollback`")


def test_unwritten_tables_are_carried_forward_from_parent(tmp_path: Path) -> None:
    store = Store(tmp_path)
    codes = _df(code=["A1"])
    _publish(store, "w01", {"defect_codes": codes, "cum_data": _df(n=[1])})
    _publish(store, "w02", {"cum_data": _df(n=[2])})

    assert_frame_equal(store.read("defect_codes"), codes)
    assert_frame_equal(store.read("cum_data"), _df(n=[2]))
    m1, m2 = store.manifest(1), store.manifest(2)
    assert m2["tables"]["defect_codes"] == m1["tables"]["defect_codes"]
    assert m2["tables"]["cum_data"] != m1["tables"]["cum_data"]
    old = store.generations_dir / "000001" / "defect_codes.parquet"
    new = store.generations_dir / "000002" / "defect_codes.parquet"
    assert os.path.samefile(old, new)  # hard link, not a copy


def test_a_table_written_again_unchanged_is_a_link_to_the_last_generations_file(
        tmp_path: Path) -> None:
    """Review 14, F6: a run writes every table, so each generation held a full copy of the
    state even where nothing changed; the same bytes now link to the parent's file."""
    store = Store(tmp_path)
    _publish(store, "w01", {"defect_codes": _df(code=["A1"]), "cum_data": _df(n=[1])})
    _publish(store, "w02", {"defect_codes": _df(code=["A1"]), "cum_data": _df(n=[2])})

    def file(gen: str, table: str) -> Path:
        return store.generations_dir / gen / f"{table}.parquet"

    assert os.path.samefile(file("000001", "defect_codes"), file("000002", "defect_codes"))
    assert not os.path.samefile(file("000001", "cum_data"), file("000002", "cum_data"))
    assert_frame_equal(store.read("defect_codes"), _df(code=["A1"]))
    assert not list((store.generations_dir / "000002").glob(".*"))  # no link left behind


def test_current_parquet_is_readable_by_plain_pyarrow_polars_and_duckdb(tmp_path: Path) -> None:
    store = Store(tmp_path)
    decks = _df(deck=[1, 2, 3], site=["KC", "OG", None])
    _publish(store, "w01", {"decks": decks})
    path = tmp_path / "current" / "decks.parquet"

    assert os.readlink(tmp_path / "current") == os.path.join("state", "generations", "000001")
    assert pq.read_table(path).to_pydict() == decks.to_dict(as_series=False)
    assert_frame_equal(pl.read_parquet(path), decks)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"

    duckdb = pytest.importorskip("duckdb")
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall() == [(3,)]


def test_manifest_records_run_parent_rows_sha256_note_and_extra(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(d=[1, 2])})
    _publish(store, "w02", {"codes": _df(c=["x"])}, note="second", extra={"source": "x.csv"})
    m = store.manifest()
    assert m["generation"] == 2 and m["run_id"] == "w02" and m["parent"] == 1
    assert m["note"] == "second" and m["extra"] == {"source": "x.csv"}
    assert m["tables"]["decks"]["rows"] == 2 and m["tables"]["codes"]["rows"] == 1
    assert len(m["tables"]["codes"]["sha256"]) == 64
    assert m["created"].endswith("+00:00")
    assert store.manifest(1)["parent"] is None
    store.verify()
    store.verify(1)


# --------------------------------------------------------------------------- history / rollback


def test_rollback_before_second_run_restores_first_generation_as_new_generation(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"cum_data": _df(v=[1]), "decks": _df(d=[1])})
    _publish(store, "w02", {"cum_data": _df(v=[2]), "error_register": _df(e=["bad"])})
    _publish(store, "w03", {"cum_data": _df(v=[3])})

    new = store.rollback_before("w02", note="w02 input was wrong")
    assert new == 4
    assert store.current_generation() == 4
    _assert_same_tables(
        {t: store.read(t) for t in store.manifest()["tables"]},
        {t: store.read(t, generation=1) for t in store.manifest(1)["tables"]},
    )
    assert store.read("error_register") is None  # added by w02, so gone after the rollback
    _assert_same_tables(_current_tables(tmp_path), {"cum_data": _df(v=[1]), "decks": _df(d=[1])})

    history = store.history()
    assert [m["generation"] for m in history] == [1, 2, 3, 4]  # nothing deleted
    assert [m["run_id"] for m in history][:3] == ["w01", "w02", "w03"]
    assert history[3]["parent"] == 3 and history[3]["note"] == "w02 input was wrong"
    assert history[3]["extra"]["restored_generation"] == 1

    assert _publish(store, "w04", {"decks": _df(d=[4])}) == 5
    assert store.manifest()["parent"] == 4
    assert_frame_equal(store.read("cum_data"), _df(v=[1]))
    assert_frame_equal(store.read("decks"), _df(d=[4]))


def test_rollback_that_would_undo_later_runs_is_refused_unless_asked_and_records_them(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"cum_data": _df(v=[1])})
    _publish(store, "w02", {"cum_data": _df(v=[2])})
    _publish(store, "w03", {"cum_data": _df(v=[3])}, note="third week")
    with pytest.raises(LaterRuns, match=r"(?s)1 later generation:\n  generation 3 \(w03\): "
                       r"third week\nNothing was changed") as refused:
        store.rollback_before("w02", undo_later=False)
    assert [m["run_id"] for m in refused.value.later] == ["w03"]
    assert store.current_generation() == 3
    assert store.rollback_before("w03", undo_later=False) == 4  # nothing after w03
    # w03 is out of the state and undoing a rollback loses nothing: no later generation is
    # in the way any more, and none is listed as undone (review 12, F15.4)
    new = store.rollback_before("w02", undo_later=False)
    assert store.manifest(new)["extra"]["also_undone"] == []
    assert store.manifest(new)["extra"]["also_undone_runs"] == []
    assert_frame_equal(store.read("cum_data"), _df(v=[1]))


def test_a_rollback_lists_the_later_generations_still_in_effect_only(tmp_path: Path) -> None:
    """Review 12, F15.4: a later run that an earlier rollback took out was listed as undone
    again. w02 and w04 are in effect after w03's rollback; rolling back before w02 undoes
    them both, not w03 nor the rollback generation."""
    store = Store(tmp_path)
    for run in ("w01", "w02", "w03"):
        _publish(store, run, {"cum_data": _df(v=[int(run[-1])])})
    store.rollback_before("w03")
    _publish(store, "w04", {"cum_data": _df(v=[4])})
    with pytest.raises(LaterRuns) as refused:
        store.rollback_before("w02", undo_later=False)
    assert [m["run_id"] for m in refused.value.later] == ["w04"]
    new = store.rollback_before("w02", undo_later=True)
    assert store.manifest(new)["extra"]["also_undone_runs"] == ["w04"]
    assert_frame_equal(store.read("cum_data"), _df(v=[1]))


def test_rollback_before_unknown_run_raises_store_error_naming_known_runs(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(d=[1])})
    with pytest.raises(StoreError, match=r"'w99'.*never published.*w01"):
        store.rollback_before("w99")
    assert store.current_generation() == 1


def test_rollback_before_first_run_publishes_empty_state(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(d=[1])})
    assert store.rollback_before("w01") == 2
    assert store.manifest()["tables"] == {}
    assert store.read("decks") is None
    assert _current_tables(tmp_path) == {}


def test_rollback_uses_held_lock_and_is_refused_when_another_store_holds_it(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(d=[1])})
    _publish(store, "w02", {"decks": _df(d=[2])})
    with store.lock("ops-rollback"):
        assert store.rollback_before("w02") == 3
        with pytest.raises(StoreBusy, match="ops-rollback"):
            Store(tmp_path).rollback_before("w02")


# --------------------------------------------------------------------------- misuse


def test_begin_without_lock_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="needs the store lock"):
        Store(tmp_path).begin("w01")


def test_exception_in_with_block_aborts_and_keeps_previous_state(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(d=[1])})
    with store.lock("w02"), pytest.raises(ZeroDivisionError), store.begin("w02") as gen:
        gen.write("decks", _df(d=[2]))
        1 / 0  # noqa: B018
    assert store.current_generation() == 1
    assert_frame_equal(store.read("decks"), _df(d=[1]))
    assert list(store.tmp_dir.iterdir()) == []


def test_leaving_with_block_without_commit_discards_and_raises(tmp_path: Path) -> None:
    store = Store(tmp_path)
    forgot = pytest.raises(StoreError, match="without commit")
    with store.lock("w01"), forgot, store.begin("w01") as gen:
        gen.write("decks", _df(d=[1]))
    assert store.current_generation() is None
    with store.lock("w01"), store.begin("w01") as gen:
        gen.abort()  # explicit abort inside the block is fine
    assert store.current_generation() is None


def test_stale_work_area_is_cleaned_at_next_begin(tmp_path: Path) -> None:
    store = Store(tmp_path)
    _publish(store, "w01", {"decks": _df(d=[1])})
    junk = store.tmp_dir / "gen-dead"
    junk.mkdir()
    (junk / "decks.parquet").write_bytes(b"partial")
    os.symlink("state/generations/000001", tmp_path / ".current.tmp-999999")
    with store.lock("w02"), store.begin("w02") as gen:
        assert not junk.exists()
        assert not (tmp_path / ".current.tmp-999999").is_symlink()
        gen.commit()


def test_invalid_table_name_and_unserializable_extra_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock("w01"), store.begin("w01") as gen:
        with pytest.raises(StoreError, match="invalid table name"):
            gen.write("../escape", _df(a=[1]))
        gen.write("ok", _df(a=[1]))
        with pytest.raises(StoreError, match="JSON-serializable"):
            gen.commit(extra={"when": object()})
        assert gen.commit() == 1


def test_commit_after_lock_released_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock("w01"):
        gen = store.begin("w01")
        gen.write("decks", _df(d=[1]))
    with pytest.raises(StoreError, match="already aborted"):
        gen.commit()
    assert store.current_generation() is None


# --------------------------------------------------------------------------- locking

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pipelines.state.store import Store
    with Store(sys.argv[1]).lock(sys.argv[2]):
        print("locked", flush=True)
        time.sleep(float(sys.argv[3]))
    """
)


def test_second_process_gets_store_busy_naming_holder_then_waiting_succeeds(
    tmp_path: Path,
) -> None:
    hold = 1.5
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path), "week-47-holder", str(hold)],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        store = Store(tmp_path)

        with pytest.raises(StoreBusy) as busy, store.lock("week-47-second", wait_seconds=0):
            pass
        message = str(busy.value)
        assert "week-47-holder" in message
        assert f"pid {holder.pid}" in message
        assert "retry" in message

        started = time.monotonic()
        with store.lock("week-47-second", wait_seconds=hold + 10):
            waited = time.monotonic() - started
            assert (tmp_path / "state" / "lock").read_text().count("week-47-second") == 1
        assert 0.2 < waited < hold + 5
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_not_reentrant_and_lock_file_is_cleared_on_release(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.lock("w01"):
        with pytest.raises(StoreError, match="not re-entrant"), store.lock("w01"):
            pass
        with pytest.raises(StoreBusy, match="'w01'"), Store(tmp_path).lock("other"):
            pass
    assert (tmp_path / "state" / "lock").read_text() == ""


# --------------------------------------------------------------------------- concurrent readers


def test_readers_during_swaps_see_whole_old_or_whole_new_generation(tmp_path: Path) -> None:
    store = Store(tmp_path)

    def tables(k: int) -> dict[str, pl.DataFrame]:
        return {"a": _df(k=[k] * (k + 1)), "b": _df(k=[k] * (2 * k + 1))}

    _publish(store, "r0", tables(0))
    stop = threading.Event()
    seen: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def reader(seen_here: list[int]) -> None:
        try:
            while not stop.is_set():
                # One open() of the stable path yields one whole file, old or new. (Reading by
                # path is not enough: pyarrow, polars and DuckDB open a path 2-4 times per read.)
                with open(tmp_path / "current" / "a.parquet", "rb") as fh:
                    a = pq.read_table(fh).column("k").to_pylist()
                assert len(set(a)) == 1 and len(a) == a[0] + 1
                seen_here.append(a[0])
                # A consistent set of tables: resolve `current` once, then read by path.
                gdir = Path(os.path.realpath(tmp_path / "current"))
                ka = pq.read_table(gdir / "a.parquet").column("k").to_pylist()
                kb = pl.read_parquet(gdir / "b.parquet")["k"].to_list()
                assert set(ka) == set(kb) and len(ka) == ka[0] + 1 and len(kb) == 2 * kb[0] + 1
                seen_here.append(ka[0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(s,)) for s in seen]
    for t in threads:
        t.start()
    try:
        for k in range(1, 25):
            _publish(store, f"r{k}", tables(k))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    for seen_here in seen:
        assert seen_here and seen_here == sorted(seen_here)  # never goes back in time
    assert len({k for s in seen for k in s}) > 1  # reads really overlapped the swaps
    assert store.current_generation() == 25


# --------------------------------------------------------------------------- crash safety

BASE_RUN, CRASH_RUN = "week-01", "week-02"
ALL_TABLES = ["defect_codes", "quality_standards", "cum_data"]
CRASH_TABLES = ["defect_codes", "cum_data"]  # quality_standards is carried forward

# step name -> state expected right after a SIGKILL at that step
RUN_STEPS = {
    "begin:cleaned": "before",
    "begin:tmp-created": "before",
    "write:defect_codes:parquet-written": "before",
    "write:defect_codes:fsynced": "before",
    "write:cum_data:parquet-written": "before",
    "write:cum_data:fsynced": "before",
    "commit:carried-forward": "before",
    "commit:manifest-written": "before",
    "commit:tmp-synced": "before",
    "commit:renamed": "before",
    "commit:generations-synced": "before",
    "commit:symlink-temp-created": "before",
    "commit:swapped": "after",
    "commit:done": "after",
}
ROLLBACK_STEPS = {
    "begin:tmp-created": "before",
    "commit:carried-forward": "before",
    "commit:manifest-written": "before",
    "commit:renamed": "before",
    "commit:symlink-temp-created": "before",
    "commit:swapped": "after",
}
CASES = [("run", s, e) for s, e in RUN_STEPS.items()] + [
    ("rollback", s, e) for s, e in ROLLBACK_STEPS.items()
]


def _expected(tables_by_run: dict[str, str]) -> dict[str, pl.DataFrame]:
    return {t: child.frame_for(t, run) for t, run in tables_by_run.items()}


STATE_W1 = _expected({t: BASE_RUN for t in ALL_TABLES})
STATE_W2 = _expected({t: CRASH_RUN if t in CRASH_TABLES else BASE_RUN for t in ALL_TABLES})


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """SIGKILL a child at every step, all cases in parallel; map case -> crashed data dir."""
    root = tmp_path_factory.mktemp("crash")
    base = root / "template-w1"
    child.run(base, BASE_RUN, ALL_TABLES)
    base2 = root / "template-w2"
    shutil.copytree(base, base2, symlinks=True)
    child.run(base2, CRASH_RUN, CRASH_TABLES)

    procs = {}
    for i, (kind, step, _) in enumerate(CASES):
        data = root / f"case-{i:02d}"
        if kind == "run":
            shutil.copytree(base, data, symlinks=True)
            args = [str(data), CRASH_RUN, ",".join(CRASH_TABLES)]
        else:
            shutil.copytree(base2, data, symlinks=True)
            args = [str(data), "--rollback-before", CRASH_RUN]
        procs[(kind, step)] = (
            data,
            subprocess.Popen(
                [sys.executable, str(CHILD_SCRIPT), *args],
                env=_child_env(**{child.CRASH_ENV: step}),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
    result = {}
    for key, (data, proc) in procs.items():
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, (
            f"{key}: step never reached? rc={proc.returncode} {err}"
        )
        result[key] = data
    return result


@pytest.mark.parametrize(("kind", "step", "expect"), CASES, ids=[f"{k}@{s}" for k, s, _ in CASES])
def test_sigkill_at_step_leaves_old_or_new_state_and_rerun_completes(
    crashed: dict[tuple[str, str], Path], kind: str, step: str, expect: str
) -> None:
    data = crashed[(kind, step)]
    store = Store(data)
    before, after = (STATE_W1, STATE_W2) if kind == "run" else (STATE_W2, STATE_W1)
    gen_before = 1 if kind == "run" else 2

    # 1. Right after the kill: exactly the old or exactly the new state, nothing in between.
    _assert_same_tables(_current_tables(data), before if expect == "before" else after)
    assert store.current_generation() == (gen_before if expect == "before" else gen_before + 1)
    store.verify()
    published = [m["generation"] for m in store.history()]
    assert published == list(range(1, store.current_generation() + 1))
    orphan_expected = expect == "before" and step.startswith(
        ("commit:renamed", "commit:generations-synced", "commit:symlink-temp-created")
    )
    assert store.orphans() == ([gen_before + 1] if orphan_expected else [])

    # 2. The store is usable: the killed holder's lock is gone, the run can simply be redone.
    with store.lock("probe", wait_seconds=0):
        pass
    if kind == "run":
        new = child.run(data, CRASH_RUN, CRASH_TABLES)
    else:
        try:
            new = child.rollback(data, CRASH_RUN)
        except AlreadyRolledBack:  # it had published before the kill: redone, it is a no-op
            assert expect == "after" and store.current_generation() == gen_before + 1
            assert store.history()[-1]["extra"]["rollback_before_run"] == CRASH_RUN
            return
    assert new == max(store._existing_numbers())  # numbered past any orphan, none reused
    assert new == gen_before + (2 if orphan_expected or expect == "after" else 1)
    _assert_same_tables(_current_tables(data), after)
    store.verify()
    assert store.history()[-1]["generation"] == new
    assert all(m["generation"] not in store.orphans() for m in store.history())
    assert list(store.tmp_dir.iterdir()) == []
    assert not list(data.glob(".current.tmp-*"))


def test_uninterrupted_child_run_reaches_reference_state(tmp_path: Path) -> None:
    child.run(tmp_path, BASE_RUN, ALL_TABLES)
    proc = subprocess.run(
        [sys.executable, str(CHILD_SCRIPT), str(tmp_path), CRASH_RUN, ",".join(CRASH_TABLES)],
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
    _assert_same_tables(_current_tables(tmp_path), STATE_W2)


def test_crash_hook_is_inactive_by_default() -> None:
    assert store_module.crash_hook is None


def test_a_write_error_on_a_nearly_full_file_system_is_said_to_be_the_full_disk(
        tmp_path: Path, monkeypatch) -> None:
    """Verify 14, N1: a Parquet file cut short by a full disk fails as "Invalid thrift", and a
    store write said only "cannot write table": the free space tells."""
    from collections import namedtuple

    from pipelines.state import disk

    usage = namedtuple("usage", "total used free")
    error = RuntimeError("parquet: File out of specification: Invalid thrift: transport error")
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda _: usage(10 << 20, 10 << 20, 8192))
    assert disk.no_space(error, tmp_path) == f"the file system of {tmp_path} is full (8 KiB free)"
    monkeypatch.setattr(pl.DataFrame, "write_parquet", lambda *a, **k: (_ for _ in ()).throw(
        error))
    store = Store(tmp_path)
    with store.lock("w01"), pytest.raises(StoreError) as said:
        store.begin("w01").write("cum_data", _df(n=[1]))
    assert str(said.value) == (
        f"cannot write table 'cum_data': {error}; the file system of {tmp_path} is full (8 KiB "
        "free): make room there and run again (nothing was published)")
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda _: usage(10 << 30, 0, 10 << 30))
    assert disk.no_space(error, tmp_path) is None  # room enough: another fault


def test_a_full_disk_after_the_swap_does_not_say_the_commit_failed(tmp_path: Path,
                                                                   monkeypatch) -> None:
    """Review 14 re-check, N3: the disk filled while the note of the published generation was
    written, after `current` had moved: the command said the commit failed (12, "nothing was
    posted") of a run that had posted."""
    from pipelines.state import store as store_module

    def full(state_dir: Path, number: int) -> None:
        (state_dir / f".{store_module.PUBLISHED}.{os.getpid()}.tmp").write_text("")
        raise OSError(28, "No space left on device")

    store = Store(tmp_path)
    _publish(store, "w01", {"cum_data": _df(n=[1])})
    monkeypatch.setattr(store_module, "_record_published", full)
    with store.lock("w02"):
        gen = store.begin("w02")
        gen.write("cum_data", _df(n=[2]))
        assert gen.commit() == 2
    assert store.current_generation() == 2
    store.check_current()  # the note one behind is no alarm
    assert_frame_equal(store.read("cum_data"), _df(n=[2]))
    assert not list(store.state_dir.glob(".*.tmp"))
