"""The workbench sandbox: one test per attack, each checking the plain-words refusal AND that
nothing happened (no file written or read, no object created, settings unchanged, snapshot
file unchanged). Statement-level attacks must be refused before any connection opens; the
file / settings layers are also attacked directly on an open sandbox connection, so the
second line of defence is tested on its own."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import duckdb
import pytest

from outcomes.config import SandboxSettings
from outcomes.store import sandbox
from outcomes.store.sandbox import open_sandbox, run_sandboxed
from outcomes.store.sandbox_statement import SandboxRefusal
from tests.conftest import settings_for


@pytest.fixture
def sbx_settings(demo_root: Path):
    return settings_for(
        demo_root,
        sandbox=SandboxSettings(query_seconds=1.0, memory="200MB", rows=100, threads=2),
    )


@pytest.fixture
def snapshot_unchanged(sbx_settings):
    """Asserts after the test that the snapshot file is byte-identical and has no WAL."""
    path = Path(sbx_settings.warehouse_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    yield
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the snapshot changed"
    assert not Path(f"{path}.wal").exists()


@pytest.fixture
def no_connection(monkeypatch):
    """Fails the test if the refused text ever reaches a DuckDB connection on the snapshot."""

    def refuse(*args, **kwargs):
        raise AssertionError("a refused statement reached the sandbox connection")

    monkeypatch.setattr(sandbox, "open_sandbox", refuse)


def refusal(sql: str, settings) -> SandboxRefusal:
    with pytest.raises(SandboxRefusal) as info:
        run_sandboxed(sql, settings)
    return info.value


def tables_in_snapshot(settings) -> set[tuple[str, str]]:
    con = open_sandbox(settings)
    try:
        return set(
            con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = 'warehouse'"
            ).fetchall()
        )
    finally:
        con.close()


# -- a plain SELECT works -----------------------------------------------------------------


def test_a_select_runs_and_says_when_rows_were_cut(sbx_settings):
    result = run_sandboxed(
        "select metric, week_start, value from metric_values order by all", sbx_settings
    )
    assert len(result.frame) == 100 and result.truncated
    assert "first 100 rows (the preview stops at 100)" in result.note
    small = run_sandboxed("select week_of(timestamp '2026-11-18 10:00') as w", sbx_settings)
    assert str(small.frame["w"][0]) == "2026-11-16" and not small.truncated


def test_python_functions_work_in_the_sandbox(sbx_settings):
    result = run_sandboxed("select round(chi2_sf(3.84, 1), 2) as p", sbx_settings)
    assert result.frame["p"][0] == pytest.approx(0.05)


# -- attacks ----------------------------------------------------------------------------


# Statement-level attacks: refused in plain words before any connection opens (no_connection),
# the snapshot unchanged. One case per attack: (id, statement, kind, words of the reason).
REFUSED_STATEMENTS = [
    (
        "read_csv_of_a_system_file",
        "select * from read_csv('/etc/passwd')",
        "files",
        "Reading or writing files is disabled in the preview (read_csv)",
    ),
    ("a_file_by_its_path_in_from", "select * from '/etc/passwd'", "files", "/etc/passwd"),
    ("glob", "select * from glob('/etc/*')", "files", "(glob)"),
    (
        "file_reading_through_query_strings",
        "select * from query('select * from read_text(''/etc/hostname'')')",
        "not_select",
        "runs SQL from a string",
    ),
    ("install", "install httpfs", "extension", "cannot be installed or loaded"),
    # the locked connection alone would allow LOAD (NOTES): the statement check must not
    ("load_of_a_built_in_extension", "load json", "extension", "INSTALL / LOAD"),
    ("set", "set memory_limit = '20GB'", "configuration", "Settings are locked"),
    ("pragma", "pragma threads = 64", "configuration", "PRAGMA"),
    ("create_table", "create table metrics.evil as select 1 as x", "write", "read-only"),
    # also allowed by the locked connection alone (NOTES)
    (
        "create_temp_table",
        "create temp table t as select * from metric_values",
        "write",
        "temp tables",
    ),
    ("checkpoint", "checkpoint", "write", "CHECKPOINT"),
]


@pytest.mark.parametrize(
    "sql, kind, words",
    [pytest.param(*case[1:], id=case[0]) for case in REFUSED_STATEMENTS],
)
def test_the_statement_is_refused(
    sql, kind, words, sbx_settings, snapshot_unchanged, no_connection
):
    exc = refusal(sql, sbx_settings)
    assert exc.kind == kind and words in exc.reason


def test_the_connection_itself_cannot_read_files(sbx_settings, snapshot_unchanged):
    """Second line of defence: even SQL that slipped past the checks cannot touch files."""
    con = open_sandbox(sbx_settings)
    try:
        for sql in (
            "select * from read_text('/etc/hostname')",
            "select * from glob('/etc/*')",
            "select * from read_csv('/etc/passwd')",
        ):
            with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
                con.execute(sql).fetchall()
    finally:
        con.close()


def test_copy_to_is_refused_and_writes_no_file(
    sbx_settings, snapshot_unchanged, no_connection, tmp_path
):
    target = tmp_path / "stolen.csv"
    exc = refusal(f"copy (select * from metric_values) to '{target}'", sbx_settings)
    assert exc.kind == "files" and "(COPY)" in exc.reason
    assert not target.exists()


def test_copy_to_on_the_connection_itself_writes_no_file(
    sbx_settings, snapshot_unchanged, tmp_path
):
    target = tmp_path / "stolen.csv"
    con = open_sandbox(sbx_settings)
    try:
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy (select 1) to '{target}'")
    finally:
        con.close()
    assert not target.exists()


def test_attach_is_refused_and_creates_no_database(
    sbx_settings, snapshot_unchanged, no_connection, tmp_path
):
    other = tmp_path / "other.duckdb"
    exc = refusal(f"attach '{other}' as other", sbx_settings)
    assert exc.kind == "attach" and "ATTACH opens another database" in exc.reason
    assert not other.exists()


def test_the_connection_itself_refuses_set(sbx_settings, snapshot_unchanged):
    con = open_sandbox(sbx_settings)
    try:
        with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
            con.execute("set memory_limit = '20GB'")
        with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
            con.execute("set enable_external_access = true")
        limit, access, threads = con.execute(
            "select current_setting('memory_limit'), current_setting('enable_external_access'), "
            "current_setting('threads')"
        ).fetchall()[0]
    finally:
        con.close()
    assert limit == "190.7 MiB"  # 200MB as DuckDB reports it
    assert access is False and threads == 2


def test_insert_is_refused(sbx_settings, snapshot_unchanged, monkeypatch):
    before = tables_in_snapshot(sbx_settings)
    exc = refusal(
        "insert into main.metric_values select * from main.metric_values limit 1", sbx_settings
    )
    assert exc.kind == "write" and "INSERT" in exc.reason
    assert tables_in_snapshot(sbx_settings) == before


def test_drop_is_refused_and_the_table_stays(sbx_settings, snapshot_unchanged):
    exc = refusal("drop table metrics.accuracy", sbx_settings)
    assert exc.kind == "write" and "DROP" in exc.reason
    assert ("metrics", "accuracy") in tables_in_snapshot(sbx_settings)


def test_several_statements_are_refused_and_none_runs(sbx_settings, snapshot_unchanged):
    exc = refusal("select 1; drop table metrics.accuracy", sbx_settings)
    assert exc.kind == "statements"
    assert "exactly one SELECT" in exc.reason and "2 statements" in exc.reason
    assert ("metrics", "accuracy") in tables_in_snapshot(sbx_settings)


def test_a_runaway_query_is_stopped_at_the_time_limit(sbx_settings, snapshot_unchanged):
    started = time.perf_counter()
    exc = refusal("select count(*) from range(1000000000000) as t(i) where i % 7 = 3", sbx_settings)
    elapsed = time.perf_counter() - started
    assert exc.kind == "time_limit" and "stopped after 1 s" in exc.reason
    assert elapsed < 8, f"took {elapsed:.1f} s"


def test_a_memory_bomb_is_stopped_at_the_memory_limit(
    demo_root, snapshot_unchanged, tmp_path, monkeypatch
):
    # A time limit far beyond what the bomb needs: on a busy machine (CI, other test runs) the
    # 1 s limit of the other tests could stop it first and the memory limit would go untested.
    patient = settings_for(
        demo_root,
        sandbox=SandboxSettings(query_seconds=300.0, memory="200MB", rows=100, threads=2),
    )
    monkeypatch.chdir(tmp_path)  # a spill would go to ./.tmp: there must be none
    exc = refusal("select list(i) as l from range(300000000) as t(i)", patient)
    assert exc.kind == "memory_limit" and "more than 200MB" in exc.reason
    assert not (tmp_path / ".tmp").exists() and not os.listdir(tmp_path)


def test_a_spilling_memory_bomb_does_not_write_to_disk(
    sbx_settings, snapshot_unchanged, tmp_path, monkeypatch
):
    """A large distinct count spills to ./.tmp under the NOTES recipe; the sandbox has no
    temporary directory, so it fails at the memory limit instead of filling the disk."""
    monkeypatch.chdir(tmp_path)
    exc = refusal(
        "select count(distinct (i::varchar || repeat('x', 50))) from range(30000000) as t(i)",
        sbx_settings,
    )
    assert exc.kind in ("memory_limit", "time_limit")
    assert not os.listdir(tmp_path)
