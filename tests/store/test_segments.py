"""Raw rows of the large tables as immutable Parquet files per load (issue 18).

Each load of ai_events, ai_features, feedback or work_items is one read-only Parquet file that
the ledger ``raw.load_files`` lists with its rows, bytes and SHA-256 (checked here with hashlib
and pyarrow, not with the product's own code); a snapshot names those files instead of holding a
copy of their rows; the SQL sandbox reads them and nothing else, and cannot write them.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from outcomes.build.full import build_snapshot
from outcomes.config import SandboxSettings
from outcomes.ingest.load import ingest_path
from outcomes.store.raw import open_raw_store
from outcomes.store.sandbox import open_sandbox, run_sandboxed
from outcomes.store.sandbox_statement import SandboxRefusal
from outcomes.store.segments import SegmentMissing, copy_raw_store
from outcomes.store.snapshot import fetch_snapshot, open_file
from tests.conftest import settings_for
from tests.ingest.test_ingest import assert_ledger_invariant, fetch, good, write_csv


@pytest.fixture
def settings(tmp_path: Path):
    return settings_for(
        tmp_path / "data",
        sandbox=SandboxSettings(query_seconds=5.0, memory="200MB", rows=100, threads=1),
    )


def _events(tmp_path: Path, name: str, ids: list[str]) -> Path:
    return write_csv(tmp_path / name, [good("ai_events", event_id=i) for i in ids])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_load_is_one_read_only_parquet_file_the_ledger_lists_with_its_hash(settings, tmp_path):
    bad = dict(good("ai_events", event_id="E9"), occurred_at="not a time")
    f = write_csv(tmp_path / "a.csv", [good("ai_events", event_id="E1"), bad])
    [a] = ingest_path(f, "ai_events", settings)
    [b] = ingest_path(_events(tmp_path, "b.csv", ["E2", "E3"]), "ai_events", settings)
    assert (a.rows_in, a.rows_accepted, a.rows_quarantined) == (2, 1, 1)
    listed = fetch(
        settings,
        "select load_id, table_name, path, rows, bytes, sha256 from raw.load_files order by path",
    )
    assert [(r[0], r[1], r[3]) for r in listed] == sorted(
        [(a.load_id, "ai_events", 1), (b.load_id, "ai_events", 2)], key=lambda r: r[0]
    )
    folder = Path(settings.raw_path).parent / "raw.segments"
    for load_id, _, path, _rows, size, sha in listed:
        file = folder / path
        assert path == f"ai_events/{load_id}.parquet"
        assert file.stat().st_size == size and _sha(file) == sha
        assert not file.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        table = pq.read_table(file)  # another reader: Spark or pyarrow read the same file
        assert set(table.column("_load_id").to_pylist()) == {load_id}
    # the view reads exactly those files: every accepted row once, the rejected one nowhere
    assert fetch(settings, "select event_id from raw.ai_events order by 1") == [
        ("E1",),
        ("E2",),
        ("E3",),
    ]
    assert fetch(settings, "select count(*) from raw.quarantine")[0][0] == 1
    assert_ledger_invariant(settings)


def test_the_raw_store_file_holds_no_rows_of_the_large_tables(settings, tmp_path):
    ingest_path(_events(tmp_path, "a.csv", [f"E{i}" for i in range(50)]), "ai_events", settings)
    con = duckdb.connect(str(settings.raw_path), read_only=True)
    try:
        kinds = dict(
            con.execute(
                "select table_name, 'table' from duckdb_tables() where schema_name = 'raw' "
                "union all select view_name, 'view' from duckdb_views() "
                "where schema_name = 'raw' and not internal"
            ).fetchall()
        )
    finally:
        con.close()
    for table in ("ai_events", "ai_features", "feedback", "work_items"):
        assert kinds[table] == "view", table
    assert kinds["loads"] == kinds["quarantine"] == kinds["load_files"] == "table"


def test_a_load_rolled_back_leaves_no_file_and_a_half_written_one_goes_at_the_next_write(
    settings, tmp_path, monkeypatch
):
    from outcomes.ingest import load

    real = load._load_rows

    def fails_after_writing(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("killed after the file was written")

    monkeypatch.setattr(load, "_load_rows", fails_after_writing)
    with pytest.raises(RuntimeError):
        ingest_path(_events(tmp_path, "a.csv", ["E1"]), "ai_events", settings)
    root = Path(settings.raw_path).parent / "raw.segments" / "ai_events"
    assert list(root.glob("*")) == list(root.glob(".*")) == []  # written, then removed
    assert fetch(settings, "select count(*) from raw.load_files") == [(0,)]
    assert fetch(settings, "select count(*) from raw.ai_events") == [(0,)]
    # a file half-written by an ingest that was killed goes at the next write
    (root / ".L1.parquet.tmp").write_bytes(b"PAR1")
    with open_raw_store(settings, write=True):
        pass
    assert list(root.glob(".*")) == []


def test_a_snapshot_lists_the_files_its_build_read_and_a_later_load_does_not_change_it(
    settings, tmp_path
):
    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    assert build_snapshot(settings).status in ("ok", "failed")  # a tiny store: metrics may fail
    snapshot = Path(settings.warehouse_path)
    con = open_file(snapshot)
    try:
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        }
        [(path,)] = con.execute("select path from raw.load_files").fetchall()
    finally:
        con.close()
    assert "ai_events" not in tables  # a view over the file, no copy of its rows
    root = Path(settings.raw_path).parent / "raw.segments"
    assert not Path(path).is_absolute() and (root / path).is_file()
    ingest_path(_events(tmp_path, "b.csv", ["E3"]), "ai_events", settings)
    assert fetch(settings, "select count(*) from raw.ai_events") == [(3,)]
    # the snapshot still reads the two rows its build read
    assert fetch_snapshot(settings, "select count(*) from raw.ai_events") == [(2,)]


def test_a_build_names_a_missing_load_file(settings, tmp_path):
    [r] = ingest_path(_events(tmp_path, "a.csv", ["E1"]), "ai_events", settings)
    file = Path(settings.raw_path).parent / "raw.segments" / "ai_events" / f"{r.load_id}.parquet"
    file.unlink()
    with pytest.raises(SegmentMissing) as info:
        build_snapshot(settings)
    text = str(info.value)
    assert str(file) in text and r.load_id in text and "raw.segments" in text
    assert not Path(settings.warehouse_path).exists()


def test_a_copy_of_the_raw_store_shares_the_files_and_builds_the_same(settings, tmp_path):
    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    other = settings_for(tmp_path / "copy")
    copy_raw_store(settings.raw_path, other.raw_path)
    [(path,)] = fetch(settings, "select path from raw.load_files")
    a = Path(settings.raw_path).parent / "raw.segments" / path
    b = Path(other.raw_path).parent / "raw.segments" / path
    assert os.stat(a).st_ino == os.stat(b).st_ino  # a hard link, not a second copy
    assert fetch(other, "select event_id from raw.ai_events order by 1") == [("E1",), ("E2",)]


def test_a_copy_over_an_earlier_copy_drops_that_copy_s_write_ahead_log(settings, tmp_path):
    """A copy whose writer was killed leaves a WAL; copying the store over it again must not
    replay that WAL onto the new file (DuckDB refuses the file: 'checkpoint iteration')."""
    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    work = settings_for(tmp_path / "work")
    copy_raw_store(settings.raw_path, work.raw_path)
    ingest_path(_events(tmp_path, "b.csv", ["E3"]), "ai_events", work)
    con = duckdb.connect(str(work.raw_path))  # a writer killed before its checkpoint
    con.execute("set wal_autocheckpoint = '1TB'")
    con.execute("create table main.scratch as select 1 as x")
    wal = Path(f"{work.raw_path}.wal").read_bytes()
    con.close()
    Path(f"{work.raw_path}.wal").write_bytes(wal)  # as the kill left it
    assert wal
    copy_raw_store(settings.raw_path, work.raw_path)
    assert fetch(work, "select event_id from raw.ai_events order by 1") == [("E1",), ("E2",)]


# -- the SQL sandbox reads the snapshot's files, and only those, and never writes them ------


@pytest.fixture
def built(settings, tmp_path):
    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    build_snapshot(settings)
    [(path,)] = fetch_snapshot(settings, "select path from raw.load_files")
    return settings, Path(settings.raw_path).parent / "raw.segments" / path


def test_the_sandbox_reads_the_raw_rows_of_the_snapshot(built):
    settings, _ = built
    result = run_sandboxed("select event_id from raw.ai_events order by 1", settings)
    assert list(result.frame["event_id"]) == ["E1", "E2"]


def test_the_sandbox_reads_no_other_parquet_file(built, tmp_path):
    settings, _ = built
    other = tmp_path / "secret.parquet"
    duckdb.execute(f"copy (select 'secret' as s) to '{other}' (format parquet)")
    con = open_sandbox(settings)
    try:
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            con.execute(f"select * from read_parquet('{other}')").fetchall()
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"select * from glob('{tmp_path}/*')").fetchall()
    finally:
        con.close()


def test_the_sandbox_cannot_overwrite_a_load_file(built, tmp_path):
    settings, file = built
    before = _sha(file)
    with pytest.raises(SandboxRefusal):
        run_sandboxed(f"copy (select 1 as a) to '{file}' (format parquet)", settings)
    with pytest.raises(SandboxRefusal):
        run_sandboxed(
            f"copy (select 1 as a) to '{file}' (format parquet, use_tmp_file false)", settings
        )
    con = open_sandbox(settings)  # the connection itself, past the statement check
    try:
        with pytest.raises(duckdb.PermissionException):  # DuckDB writes a temporary file first
            con.execute(f"copy (select 1 as a) to '{file}' (format parquet)")
    finally:
        con.close()
    assert _sha(file) == before


def test_the_sandbox_worker_cannot_overwrite_a_load_file_even_as_root(built):
    """The sandbox's child process, handed a COPY as if it had got past the statement check,
    with DuckDB's temporary file turned off: it gave up every capability first, so even as root
    it is bound by the file's read-only mode (a user that is not root always was)."""
    import json
    import subprocess
    import sys

    settings, file = built
    before = _sha(file)
    for sql in (
        f"copy (select 1 as a) to '{file}' (format parquet, use_tmp_file false)",
        "select count(*) as n from raw.ai_events",
    ):
        request = json.dumps({"sql": sql, "settings": settings.model_dump(mode="json")})
        run = subprocess.run(
            [sys.executable, "-m", "outcomes.store.sandbox_worker"],
            input=request.encode(),
            capture_output=True,
            timeout=120,
        )
        lines = run.stdout.split(b"\n", 2)
        assert lines[0] == b"ready", run.stderr
        header = json.loads(lines[1])
        if sql.startswith("copy"):
            assert header.get("refused") == "query_error", header
            assert "Permission denied" in header["reason"], header
        else:
            assert header.get("truncated") is False, header  # it still reads the rows
    assert _sha(file) == before


# -- what the review of the first version found (each failed before its fix) ---------------


def test_a_build_brings_an_older_raw_store_up_to_date_first(settings, tmp_path):
    from tests.ingest.test_row_hash import as_an_older_release

    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    as_an_older_release(settings).close()  # rows in a table, no load file
    build_snapshot(settings)
    assert fetch_snapshot(settings, "select event_id from raw.ai_events order by 1") == [
        ("E1",),
        ("E2",),
    ]
    assert len(fetch_snapshot(settings, "select path from raw.load_files")) == 1


def test_a_contract_column_no_file_has_yet_reads_as_null(settings, tmp_path, monkeypatch):
    from outcomes.core import contracts

    ingest_path(_events(tmp_path, "a.csv", ["E1"]), "ai_events", settings)
    old = contracts.CONTRACTS["ai_events"]
    extra = old.columns[0].model_copy(update={"name": "region", "type": "VARCHAR"})
    grown = old.model_copy(update={"columns": [*old.columns, extra]})
    monkeypatch.setitem(contracts.CONTRACTS, "ai_events", grown)
    with open_raw_store(settings, write=True) as con:  # ingest of another table still works
        rows = con.execute("select event_id, region from raw.ai_events").fetchall()
    assert rows == [("E1", None)]


def test_a_file_a_snapshot_reads_survives_a_new_raw_store_in_its_place(settings, tmp_path):
    # `outcomes demo` deletes raw.duckdb and ingests again while the old snapshot is served
    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    build_snapshot(settings)
    Path(settings.raw_path).unlink()
    ingest_path(_events(tmp_path, "b.csv", ["E3"]), "ai_events", settings)
    assert fetch(settings, "select count(*) from raw.ai_events") == [(1,)]
    assert fetch_snapshot(settings, "select count(*) from raw.ai_events") == [(2,)]


def test_a_missing_file_is_named_not_called_damage(settings, tmp_path):
    [r] = ingest_path(_events(tmp_path, "a.csv", ["E1"]), "ai_events", settings)
    file = Path(settings.raw_path).parent / "raw.segments" / "ai_events" / f"{r.load_id}.parquet"
    file.unlink()
    with pytest.raises(SegmentMissing) as info:
        ingest_path(write_csv(tmp_path / "u.csv", [good("users")]), "users", settings)
    assert str(file) in str(info.value) and "damaged" not in str(info.value)


def test_a_copy_under_another_name_in_the_same_folder_reads_its_own_files(settings, tmp_path):
    ingest_path(_events(tmp_path, "a.csv", ["E1"]), "ai_events", settings)
    work = settings_for(
        Path(settings.raw_path).parent, raw_path=Path(settings.raw_path).parent / "raw-work.duckdb"
    )
    copy_raw_store(settings.raw_path, work.raw_path)
    ingest_path(_events(tmp_path, "b.csv", ["E2"]), "ai_events", work)
    assert fetch(work, "select event_id from raw.ai_events order by 1") == [("E1",), ("E2",)]
    assert fetch(settings, "select event_id from raw.ai_events") == [("E1",)]
    import shutil

    shutil.rmtree(Path(settings.raw_path).parent / "raw.segments")  # the source's files go
    assert fetch(work, "select count(*) from raw.ai_events") == [(2,)]


def test_a_raw_store_moved_with_its_folder_reads_its_files_where_they_are_now(settings, tmp_path):
    import shutil

    ingest_path(_events(tmp_path, "a.csv", ["E1", "E2"]), "ai_events", settings)
    moved = settings_for(tmp_path / "moved")
    shutil.move(Path(settings.raw_path).parent, tmp_path / "moved")
    assert fetch(moved, "select event_id from raw.ai_events order by 1") == [("E1",), ("E2",)]


def test_migration_keeps_the_rows_of_odd_and_missing_load_ids_apart(settings, tmp_path):
    from tests.ingest.test_row_hash import as_an_older_release

    ingest_path(write_csv(tmp_path / "f.csv", [good("feedback")]), "feedback", settings)
    con = as_an_older_release(settings, "feedback")
    con.execute("delete from raw.raw.feedback")
    for n, load_id in enumerate([None, None, "", "", "a/../b", "unknown", "unknown"]):
        con.execute(
            "insert into raw.raw.feedback (event_id, correct, _load_id, _row_number) "
            "values (?, true, ?, ?)",
            [f"F{n}", load_id, n],
        )
    con.close()
    with open_raw_store(settings, write=True):
        pass
    rows = fetch(settings, "select event_id, _load_id from raw.feedback order by event_id")
    assert rows == [
        ("F0", None), ("F1", None), ("F2", ""), ("F3", ""),
        ("F4", "a/../b"), ("F5", "unknown"), ("F6", "unknown"),
    ]  # fmt: skip
    files = list((Path(settings.raw_path).parent / "raw.segments" / "feedback").glob("*"))
    assert len(files) == 4 and all(f.parent.name == "feedback" for f in files)


def test_files_of_a_replaced_raw_store_go_once_a_build_of_the_new_one_is_served(settings, tmp_path):
    from outcomes.demo_pipeline import remove_unread

    ingest_path(_events(tmp_path, "a.csv", ["E1"]), "ai_events", settings)
    build_snapshot(settings)
    Path(settings.raw_path).unlink()  # what `outcomes demo` does before it ingests again
    [b] = ingest_path(_events(tmp_path, "b.csv", ["E2"]), "ai_events", settings)
    root = Path(settings.raw_path).parent / "raw.segments" / "ai_events"
    assert remove_unread(settings) == []  # the served snapshot still reads the old file
    assert len(list(root.glob("*.parquet"))) == 2
    build_snapshot(settings)
    [gone] = remove_unread(settings)
    assert [f.name for f in root.glob("*.parquet")] == [f"{b.load_id}.parquet"]
    assert gone.parent == root
    assert fetch_snapshot(settings, "select event_id from raw.ai_events") == [("E2",)]
