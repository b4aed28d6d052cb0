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
