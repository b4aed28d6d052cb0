"""The full build's start: a byte copy of the raw store file, its schema ``raw`` kept.

Copying the file (under the raw store's shared lock) brings the small raw tables, ``raw.loads``,
``raw.quarantine``, ``raw.load_files`` and the large tables' views over their load files at the
speed of a file copy (the rows of the large tables stay in those files,
:mod:`outcomes.store.segments`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from outcomes.build.errors import RawStoreMissing
from outcomes.build.objects import scalar
from outcomes.config import Settings
from outcomes.core.quoting import quote_ident


def copy_raw_file(settings: Settings, tmp: Path) -> None:
    """Copy the raw store file (and its WAL, if a writer left one) to ``tmp``, under the raw
    store's shared lock, so the copy holds whole loads only."""
    from outcomes.store.raw import raw_lock

    raw_path = Path(settings.raw_path)
    with raw_lock(settings, exclusive=False):
        shutil.copyfile(raw_path, tmp)
        # the WAL and any file DuckDB keeps beside it (a checkpoint cut short by a crash)
        for wal in sorted(raw_path.parent.glob(f"{raw_path.name}.wal*")):
            shutil.copyfile(wal, f"{tmp}{wal.name[len(raw_path.name) :]}")


def remove_tmp(tmp: Path) -> None:
    """Delete the temporary snapshot file ``tmp`` and any WAL beside it."""
    for leftover in (tmp, *tmp.parent.glob(f"{tmp.name}.wal*")):
        leftover.unlink(missing_ok=True)


def adopt_raw(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Keep schema ``raw`` of the copied raw store (drop anything else); rows per raw table."""
    from outcomes.store.raw import ensure_schema

    for (schema,) in con.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database() "
        "and not internal and schema_name not in ('raw', 'main') order by 1"
    ).fetchall():
        con.execute(f"drop schema {quote_ident(schema)} cascade")
    for kind, name in con.execute(
        "select 'view', view_name from duckdb_views() "
        "where database_name = current_database() and not internal and schema_name = 'main' "
        "union all select 'table', table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'main' order by all"
    ).fetchall():
        con.execute(f"drop {kind} if exists main.{quote_ident(name)}")
    tables = [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'raw' order by table_name"
        ).fetchall()
    ]
    if not tables:
        raise RawStoreMissing(
            f"the raw store {settings.raw_path} has no raw tables; run `outcomes demo` "
            "(demo data) or `outcomes ingest <file> --table <table>` first"
        )
    ensure_schema(con)  # contract tables an older raw store lacks exist, empty
    counts = {t: scalar(con, f"select count(*) from raw.{quote_ident(t)}") for t in tables}
    for table, rows in con.execute(  # the large tables' rows stay in their load files
        "select table_name, sum(rows)::bigint from raw.load_files group by 1 order by 1"
    ).fetchall():
        counts[table] = rows
    return counts
