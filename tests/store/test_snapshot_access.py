"""Every reader of the snapshot goes through ``outcomes.store.snapshot`` (DECISIONS 11).

DuckDB keeps one database instance per path in a process: a reader that opened
``warehouse.duckdb`` itself could keep reading a build that was swapped out. Each reader
(``open_snapshot``, ``fetch_snapshot``, the sandbox, the incremental build's plan and the
CLI's reuse summary) must open the per-build reader path instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from outcomes.build.full import build_snapshot
from outcomes.build.incremental_plan import plan
from outcomes.commands import pipeline as cli
from outcomes.core.registry import load_registry
from outcomes.store.sandbox import open_sandbox, run_sandboxed
from outcomes.store.snapshot import fetch_snapshot, open_snapshot
from tests.buildfixtures import make_raw_store, settings_for, standard_sql

BUILD_ID = "select build_id from main.build_manifest"


@pytest.fixture
def built(tmp_path: Path):
    make_raw_store(tmp_path / "store.duckdb")
    settings = settings_for(tmp_path, standard_sql(tmp_path / "sql"))
    assert build_snapshot(settings).status == "ok"
    return settings


@pytest.fixture
def no_direct_open(built, monkeypatch):
    """Fails the test when anything calls ``duckdb.connect`` on the snapshot's own path."""
    real = duckdb.connect
    warehouse = Path(built.warehouse_path).resolve()

    def guarded(database=":memory:", *args, **kwargs):
        if str(database) not in ("", ":memory:") and Path(str(database)).resolve() == warehouse:
            raise AssertionError(f"{database} opened directly, not through outcomes.store.snapshot")
        return real(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", guarded)
    return built


def readers_folder(settings) -> Path:
    path = Path(settings.warehouse_path)
    return path.parent / f".{path.name}.readers"


def attached_path(con: duckdb.DuckDBPyConnection, database: str) -> str:
    """The file behind the database ``database`` (an SQL expression) of ``con``; closes ``con``."""
    try:
        [(path,)] = con.execute(
            f"select path from duckdb_databases() where database_name = {database}"
        ).fetchall()
    finally:
        con.close()
    return path


def test_the_guard_catches_a_direct_open(no_direct_open):
    with pytest.raises(AssertionError, match="opened directly"):
        duckdb.connect(str(no_direct_open.warehouse_path), read_only=True)


def test_open_and_fetch_read_through_the_reader_path(no_direct_open):
    path = attached_path(open_snapshot(no_direct_open), "current_database()")
    assert Path(path).parent.parent == readers_folder(no_direct_open)
    assert fetch_snapshot(no_direct_open, BUILD_ID)[0][0].startswith("B")


def test_the_sandbox_attaches_the_reader_path(no_direct_open):
    path = attached_path(open_sandbox(no_direct_open), "'warehouse'")
    assert Path(path).parent.parent == readers_folder(no_direct_open)


def test_the_incremental_plan_reads_through_the_snapshot_module(no_direct_open):
    said: list[str] = []
    registry = load_registry(no_direct_open.sql_dir, strict=False)
    plan(no_direct_open, registry, said.append)
    assert not any("cannot open" in line for line in said), said


def test_the_cli_reuse_summary_reads_through_the_snapshot_module(no_direct_open):
    build_id = fetch_snapshot(no_direct_open, BUILD_ID)[0][0]
    assert cli._reuse_summary(no_direct_open, build_id).startswith("objects reused")
    # a build swapped in since: its counts are not this build's
    assert "swapped in since" in cli._reuse_summary(no_direct_open, "another-build")


def test_readers_see_the_new_build_while_a_direct_connection_holds_the_old_one(built):
    held = duckdb.connect(str(built.warehouse_path), read_only=True)
    try:
        old = held.execute(BUILD_ID).fetchall()[0][0]
        new = build_snapshot(built).build_id
        # the hazard: opening the path again in this process returns the old build
        again = duckdb.connect(str(built.warehouse_path), read_only=True)
        try:
            assert again.execute(BUILD_ID).fetchall()[0][0] == old
        finally:
            again.close()
        assert fetch_snapshot(built, BUILD_ID)[0][0] == new
        assert run_sandboxed(BUILD_ID, built).frame["build_id"].tolist() == [new]
    finally:
        held.close()


def test_a_build_frees_the_name_of_the_build_a_reader_held(built):
    """The earlier build's disk is not kept for readers that may never come: after the swap its
    name goes, while the reader that holds it open reads on."""
    con = open_snapshot(built)  # holds the first build through its reader link
    try:
        old = con.execute(BUILD_ID).fetchall()[0][0]
        [held] = [p for p in readers_folder(built).iterdir() if p.is_dir()]
        new = build_snapshot(built).build_id
        assert new != old
        assert not held.exists()  # nobody new can want it: its name is gone
        assert con.execute(BUILD_ID).fetchall()[0][0] == old  # the open reader reads on
        assert con.execute("select count(*) from main.metric_values").fetchall()[0][0] > 0
    finally:
        con.close()
    assert fetch_snapshot(built, BUILD_ID)[0][0] == new
