"""key_local staging rows as immutable Parquet parts that snapshots share (issue 18: incremental
builds that do not copy the previous snapshot).

A full build writes each key_local staging object's rows as parts; an incremental build copies
only the small snapshot file, lists the same part files (not copied, not rewritten: same inode,
same bytes) and adds one part per recomputed object in its own folder. The rows it reads equal a
full build's (tests/build/test_incremental.py compares every relation). Parts no snapshot needs
go; those of the snapshot a reader may still hold stay; the sandbox reads exactly the listed
parts and cannot write them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.config import SandboxSettings, Settings
from outcomes.demo_pipeline import run_demo
from outcomes.ingest.load import ingest_path
from outcomes.store.parts import parts_root, prune
from outcomes.store.sandbox import open_sandbox, run_sandboxed
from outcomes.store.snapshot import open_file
from tests.build.test_incremental import AS_OF, END
from tests.conftest import settings_for

KEY_LOCAL = {"ai_events", "ai_features", "feedback", "work_items", "load_rows"}


def _listed(path: Path) -> list[tuple[str, int, str, int]]:
    con = open_file(path)
    try:
        return con.execute(
            "select object, seq, path, rows from main.staging_parts order by object, seq"
        ).fetchall()
    finally:
        con.close()


def _fingerprint(f: Path) -> tuple[int, int, str]:
    st = f.stat()
    return st.st_ino, st.st_mtime_ns, hashlib.sha256(f.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory):
    """A full build of the demo, then one more week ingested and built incrementally:
    (settings, full build, its parts with fingerprints, incremental build)."""
    import sys

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from newweek import write_new_week

    root = tmp_path_factory.mktemp("parts")
    settings = settings_for(
        root,
        build_as_of=AS_OF,
        sandbox=SandboxSettings(query_seconds=10.0, memory="300MB", rows=100, threads=1),
    )
    assert run_demo(settings, events=6_000, end=END, loaded_by="pytest") == 0
    full = _listed(settings.warehouse_path)
    first = {p: _fingerprint(parts_root(settings) / p) for _, _, p, _ in full}
    first_id = _build_id(settings)
    last_complete = END - dt.timedelta(days=END.weekday() + 7)
    for table, path in write_new_week(settings.demo_dir, root / "new-week", last_complete).items():
        ingest_path(path, table, settings, loaded_by="pytest")
    inc = build_snapshot(settings, incremental=True)
    assert inc.ok
    return settings, first_id, full, first, inc


def _build_id(settings: Settings) -> str:
    con = open_file(settings.warehouse_path)
    try:
        return con.execute("select build_id from main.build_manifest").fetchall()[0][0]
    finally:
        con.close()


def test_a_full_build_keeps_key_local_staging_rows_in_parts_not_in_the_file(builds):
    settings, first_id, full, _, _ = builds
    assert {o for o, *_ in full} == KEY_LOCAL
    assert all(p.startswith(f"{first_id}/") for _, _, p, _ in full)
    for _, _, p, _ in full:
        f = parts_root(settings) / p
        assert not os.access(f, os.W_OK) or os.geteuid() == 0
        assert f.stat().st_mode & 0o222 == 0  # read-only on disk
    # the rows the parts list are the rows staging reads (a full build replaces no key)
    con = open_file(settings.warehouse_path)
    try:
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'staging_data'"
            ).fetchall()
        }
        assert not tables & KEY_LOCAL, tables
        [(n,)] = con.execute("select count(*) from staging.ai_features").fetchall()
    finally:
        con.close()
    assert n > 0


def test_an_incremental_build_shares_the_parts_and_adds_one_per_recomputed_object(builds):
    settings, first_id, full, first, inc = builds
    now = _listed(settings.warehouse_path)
    paths = [p for _, _, p, _ in now]
    # every part of the base is still listed, and is the very same file (not copied, not
    # rewritten): same inode, same modification time, same bytes
    assert set(first) <= set(paths)
    assert {p: _fingerprint(parts_root(settings) / p) for p in first} == first
    added = [(o, p) for o, _, p, _ in now if p not in first]
    recomputed = {o.name for o in inc.objects if o.kind == "staging"} & KEY_LOCAL
    assert sorted(o for o, _ in added) == sorted(recomputed)
    assert all(p.startswith(f"{inc.build_id}/") for _, p in added)
    # a new week brings new keys only: its parts replace nothing, the views stay plain unions
    con = open_file(settings.warehouse_path)
    try:
        replaced = dict(
            con.execute("select object, count(*) from main.staging_replaced group by 1").fetchall()
        )
        [(stored,)] = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'staging_data' "
            "and table_name = 'ai_features'"
        ).fetchall()
        counted = {
            o: con.execute(f"select count(*) from staging.{o}").fetchall()[0][0]
            for o in sorted(KEY_LOCAL)
        }
    finally:
        con.close()
    assert replaced == {} and stored == 0
    # the rows the manifest records come from the parts' list (rows minus rows replaced)
    assert {o: inc.object(f"staging.{o}").rows for o in KEY_LOCAL} == counted


def test_parts_no_snapshot_needs_are_removed_and_the_previous_snapshots_stay(builds, tmp_path):
    settings, first_id, _, _, inc = builds
    # a full build now: its own parts; the incremental one's (and the first build's, which the
    # incremental lists) stay for readers still holding that snapshot
    again = build_snapshot(settings)
    assert again.ok
    folders = {f.name for f in parts_root(settings).iterdir()}
    assert {first_id, inc.build_id, again.build_id} <= folders
    # one more: the snapshot before it (again) is kept, the two older ones go
    last = build_snapshot(settings)
    assert last.ok
    assert {f.name for f in parts_root(settings).iterdir()} == {again.build_id, last.build_id}
    # a running build's folder is never pruned
    (parts_root(settings) / "B-running").mkdir()
    assert prune(settings, keep={last.build_id}, running={"B-running"}) == [
        parts_root(settings) / again.build_id
    ]
    assert (parts_root(settings) / "B-running").is_dir()


def test_a_missing_part_makes_the_incremental_build_a_full_one(tmp_path):
    settings = settings_for(tmp_path, build_as_of=AS_OF)
    assert run_demo(settings, events=2_000, end=END, loaded_by="pytest") == 0
    [(path,)] = [(p,) for o, _, p, _ in _listed(settings.warehouse_path) if o == "feedback"][:1]
    (parts_root(settings) / path).unlink()
    said: list[str] = []
    result = build_snapshot(settings, progress=said.append, incremental=True)
    assert result.ok
    assert any("part" in line and "missing" in line and "full build" in line for line in said)
    con = open_file(settings.warehouse_path)
    try:
        modes = {m for (m,) in con.execute("select mode from main.build_reuse").fetchall()}
    finally:
        con.close()
    assert modes == {"full"}


def test_a_build_that_fails_leaves_no_parts(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, build_as_of=AS_OF)
    assert run_demo(settings, events=2_000, end=END, loaded_by="pytest") == 0
    before = {f.name for f in parts_root(settings).iterdir()}

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("outcomes.build.full.write_manifest", boom)
    with pytest.raises(OSError, match="disk full"):
        build_snapshot(settings)
    assert {f.name for f in parts_root(settings).iterdir()} == before


def test_the_sandbox_reads_the_listed_parts_and_no_other_nor_writes_them(builds, tmp_path):
    settings, *_ = builds
    result = run_sandboxed("select count(*) as n from staging.ai_features", settings)
    assert int(result.frame["n"][0]) > 0
    [(_, _, listed, _)] = _listed(settings.warehouse_path)[:1]
    part = parts_root(settings) / listed
    # a Parquet file in the parts folder that this snapshot does not list (another build's)
    stray = parts_root(settings) / "B-other" / "ai_features-0.parquet"
    stray.parent.mkdir(exist_ok=True)
    duckdb.execute(f"copy (select 'secret' as s) to '{stray}' (format parquet)")
    before = _fingerprint(part)
    con = open_sandbox(settings)
    try:
        for name in (str(stray), "B-other/ai_features-0.parquet"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"select * from read_parquet('{name}')").fetchall()
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy (select 1 as a) to '{part}' (format parquet)")
    finally:
        con.close()
    assert _fingerprint(part) == before


# -- what the review of the first version found (each failed before its fix) ---------------


def test_an_interrupt_after_the_swap_keeps_the_live_snapshots_parts(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, build_as_of=AS_OF)
    assert run_demo(settings, events=2_000, end=END, loaded_by="pytest") == 0

    def interrupted(target):
        raise KeyboardInterrupt

    monkeypatch.setattr("outcomes.build.full.forget_earlier_builds", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_snapshot(settings)
    live = _listed(settings.warehouse_path)
    assert all((parts_root(settings) / p).is_file() for _, _, p, _ in live)
    con = open_file(settings.warehouse_path)
    try:
        assert con.execute("select count(*) from staging.ai_features").fetchall()[0][0] > 0
    finally:
        con.close()


def test_a_running_builds_base_is_not_pruned_by_builds_that_finish_meanwhile(tmp_path):
    from outcomes.build.leftovers import claim_tmp

    settings = settings_for(tmp_path, build_as_of=AS_OF)
    assert run_demo(settings, events=2_000, end=END, loaded_by="pytest") == 0
    base = _build_id(settings)
    # an incremental build started from this snapshot and still running, its base noted
    target = settings.warehouse_path
    running = claim_tmp(target.parent / f".{target.stem}-B29990101T000000-feedbeef.duckdb.tmp")
    running.note({base})
    try:
        for _ in range(2):  # two builds finish: the base is neither current nor replaced
            assert build_snapshot(settings).ok
        assert (parts_root(settings) / base).is_dir()
    finally:
        running.close()
    assert build_snapshot(settings).ok  # that build is gone: its base goes now
    assert not (parts_root(settings) / base).exists()


def test_an_unreadable_current_snapshot_prunes_nothing(tmp_path, monkeypatch):
    settings = settings_for(tmp_path, build_as_of=AS_OF)
    assert run_demo(settings, events=2_000, end=END, loaded_by="pytest") == 0
    stale = parts_root(settings) / "B20000101T000000-00000000"
    stale.mkdir()

    def unreadable(*args, **kwargs):
        raise duckdb.IOException("Could not set lock on file")

    monkeypatch.setattr("outcomes.store.snapshot.fetch_snapshot", unreadable)
    assert build_snapshot(settings).ok
    assert stale.is_dir()  # it cannot tell what the replaced snapshot lists: keeps everything
    monkeypatch.undo()
    assert build_snapshot(settings).ok
    assert not stale.exists()


def test_a_hugeint_column_is_exact_in_a_part_and_its_key_is_replaced(tmp_path):
    from outcomes.build.staging_parts import (
        PartsTarget,
        columns_of,
        make_view,
        replace_keys,
        write_part,
    )

    settings = settings_for(tmp_path)
    con = duckdb.connect()
    con.execute("create schema staging_data")
    con.execute(f"set file_search_path = '{parts_root(settings)}'")
    big = 2**60 + 1  # not a double: exact only if the part keeps it as a decimal
    sql = f"select range::hugeint + {big} as k, 'old' as v from range(3)"
    columns = columns_of(con, sql)
    assert write_part(con, PartsTarget(settings, "B1"), "t", sql, columns)[0] == 3
    make_view(con, "t", columns, "k")
    assert con.execute("select k from staging_data.t order by k").fetchall()[0] == (big,)
    # key big + 1 recomputed in a later build: its old row goes, the new one shows
    con.execute(f"create temp table old as select {big + 1}::hugeint as k, 1 as n")
    new = f"select {big + 1}::hugeint as k, 'new' as v"
    replace_keys(con, PartsTarget(settings, "B2"), "t", "k", "old", new)
    rows = con.execute("select k, v from staging_data.t order by k").fetchall()
    assert rows == [(big, "old"), (big + 1, "new"), (big + 2, "old")]
    assert con.execute("describe staging_data.t").fetchall()[0][1] == "HUGEINT"
