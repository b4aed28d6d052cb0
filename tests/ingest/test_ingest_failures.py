"""Ingest's failures end in one clear message (exit 2 from the CLI), never a traceback or a
hang: a busy or damaged raw store, a full disk, a named pipe; a file still being written is
skipped and picked up later; a file that grew loads only its new rows; an old raw store opens.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from outcomes.cli import BAD_INPUT, main
from outcomes.config import Settings
from outcomes.ingest import load
from outcomes.ingest.load import ingest_path
from outcomes.ingest.load_ledger import ingest_status
from outcomes.store.raw import open_raw_store, raw_lock
from outcomes.store.state_file import StateError, connect_state, immediate
from tests.clihelpers import one_line_error
from tests.hostile_files import csv_text, event

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OUTCOMES_RAW_PATH", str(tmp_path / "raw.duckdb"))
    return Settings(raw_path=tmp_path / "raw.duckdb")


def events_csv(path: Path, first: int, n: int) -> Path:
    path.write_text(csv_text([event(i) for i in range(first, first + n)]))
    return path


def test_a_busy_raw_store_is_one_line_after_the_wait(settings, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(load.ingest_path.__kwdefaults__, "lock_timeout", 0.3)
    path = events_csv(tmp_path / "e.csv", 1, 3)
    with raw_lock(settings):
        err = one_line_error(capsys, main(["ingest", str(path), "--table", "ai_events"]))
    assert "raw store busy" in err and "waited 0.3 s" in err


def test_a_damaged_raw_store_is_one_line(settings, tmp_path, capsys):
    settings.raw_path.write_bytes(b"this is not a duckdb file" * 100)
    path = events_csv(tmp_path / "e.csv", 1, 3)
    err = one_line_error(capsys, main(["ingest", str(path), "--table", "ai_events"]))
    assert "cannot be used" in err and "damaged" in err


def test_a_full_disk_during_a_load_is_one_line_and_loads_nothing(
    settings, tmp_path, capsys, monkeypatch
):
    def full(*args: object) -> None:
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(load, "insert_quarantine", full)
    path = events_csv(tmp_path / "e.csv", 1, 3)
    err = one_line_error(capsys, main(["ingest", str(path), "--table", "ai_events"]))
    assert "the disk is full" in err
    with open_raw_store(settings, write=False) as con:
        assert con.execute("select count(*) from raw.ai_events").fetchall() == [(0,)]


def test_a_named_pipe_is_refused_at_once(settings, tmp_path):
    fifo = tmp_path / "events.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "outcomes", "ingest", str(fifo), "--table", "ai_events"],
        cwd=ROOT,
        env={**os.environ, "OUTCOMES_RAW_PATH": str(settings.raw_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == BAD_INPUT and "Traceback" not in proc.stderr
    assert "not a regular file" in proc.stderr
    assert time.monotonic() - started < 30
    # the lock was let go: another ingest runs
    [r] = ingest_path(events_csv(tmp_path / "ok.csv", 1, 2), "ai_events", settings, lock_timeout=1)
    assert r.status == "loaded"


def test_a_file_modified_within_the_settle_time_is_skipped_then_picked_up(tmp_path):
    path = events_csv(tmp_path / "e.csv", 1, 5)
    patient = Settings(raw_path=tmp_path / "raw.duckdb", ingest_settle_seconds=3600)
    [r] = ingest_path(path, "ai_events", patient)
    assert r.status == "skipped_unsettled" and "settle time" in r.message
    assert "skipped_unsettled" in r.accounting_line()
    [r] = ingest_path(path, "ai_events", Settings(raw_path=tmp_path / "raw.duckdb"))
    assert (r.status, r.rows_accepted) == ("loaded", 5)


def test_a_file_changed_during_the_read_is_skipped_then_picked_up(settings, tmp_path, monkeypatch):
    path = events_csv(tmp_path / "e.csv", 1, 5)
    real = load._load_rows

    def writer_appends(*args, **kwargs):
        result = real(*args, **kwargs)
        with path.open("a") as f:  # the exporter is still writing
            f.write(csv_text([event(6)]).splitlines()[1] + "\n")
        return result

    monkeypatch.setattr(load, "_load_rows", writer_appends)
    [r] = ingest_path(path, "ai_events", settings)
    assert r.status == "skipped_changed" and "changed while it was read" in r.message
    with open_raw_store(settings, write=False) as con:
        assert con.execute("select count(*) from raw.ai_events").fetchall() == [(0,)]
    monkeypatch.setattr(load, "_load_rows", real)
    [r] = ingest_path(path, "ai_events", settings)
    assert (r.status, r.rows_in, r.rows_accepted) == ("loaded", 6, 6)


def test_a_file_that_grew_loads_only_its_new_rows(settings, tmp_path):
    path = events_csv(tmp_path / "e.csv", 1, 100)
    [a] = ingest_path(path, "ai_events", settings)
    events_csv(path, 1, 150)  # re-sent, extended
    [b] = ingest_path(path, "ai_events", settings)
    assert (b.rows_in, b.rows_accepted, b.rows_quarantined, b.rows_skipped) == (150, 50, 0, 100)
    assert b.skipped_reasons == "100 already loaded (same values)"
    with open_raw_store(settings, write=False) as con:
        assert con.execute("select count(*) from raw.ai_events").fetchall() == [(150,)]
        assert con.execute("select count(*) from raw.quarantine").fetchall() == [(0,)]
    assert a.rows_accepted == 100


def test_a_raw_store_written_before_the_accounting_columns_opens_and_gains_them(tmp_path):
    path = tmp_path / "store.duckdb"  # not raw.duckdb: its catalog would be named raw
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute(
        "create table raw.loads (load_id varchar, table_name varchar, source_file varchar, "
        "file_sha256 varchar, file_format varchar, rows_in bigint, rows_accepted bigint, "
        "rows_quarantined bigint, rows_corrected bigint, extra_columns varchar[], "
        "started_at timestamp, finished_at timestamp, loaded_by varchar, status varchar, "
        "message varchar)"
    )
    con.execute(
        "insert into raw.loads values ('L0', 'users', 'old.csv', 'abc', 'csv', 1, 1, 0, 0, [], "
        "timestamp '2026-01-01', timestamp '2026-01-01', 'x', 'loaded', 'old')"
    )
    con.execute(
        "create table raw.quarantine (load_id varchar, table_name varchar, source_file varchar, "
        "row_number bigint, column_name varchar, rule varchar, reason varchar, raw_values json, "
        "failures json)"
    )
    con.close()
    settings = Settings(raw_path=path)
    status = ingest_status(settings)  # a reader: the store gains the columns first
    assert list(status["load_id"]) == ["L0"] and "lines_in" in status.columns
    bad = tmp_path / "u.csv"
    bad.write_text("user_id,team,eligible_from\nu1,ops,2026-01-05\nu2,ops,someday\n")
    [r] = ingest_path(bad, "users", settings)
    assert (r.rows_in, r.rows_accepted, r.rows_quarantined, r.rows_skipped) == (2, 1, 1, 0)
    status = ingest_status(settings)
    assert list(status["load_id"])[0] == "L0" and status["rows_skipped"].iloc[1] == 0
    with open_raw_store(settings, write=False) as con:
        assert con.execute("select line_number from raw.quarantine").fetchall() == [(3,)]


def test_a_full_state_store_is_one_clear_error(tmp_path):
    path = tmp_path / "state.sqlite"
    with connect_state(path) as conn, immediate(conn):
        conn.execute("create table t (a blob)")
    with (
        pytest.raises(StateError, match="the disk is full") as info,
        connect_state(path) as conn,
    ):
        conn.execute("pragma max_page_count = 3")
        with immediate(conn):
            conn.execute("insert into t values (zeroblob(100000))")
    assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    assert "no transaction is active" not in str(info.value)


def test_an_unreadable_file_is_refused_with_a_message_and_exit_2(
    settings, tmp_path, capsys, monkeypatch
):
    def denied(path: Path) -> str:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(load, "file_sha256", denied)  # as root, chmod 000 would still read
    path = events_csv(tmp_path / "e.csv", 1, 3)
    code = main(["ingest", str(path), "--table", "ai_events"])
    err = capsys.readouterr().err
    assert code == BAD_INPUT and "Traceback" not in err
    assert "cannot be read (Permission denied)" in err and str(path) in err
