"""A ``key_local`` staging object's rows written as parts, and its view over them
(:mod:`outcomes.store.parts` says where they live and who may read them).

A full build writes each object's rows as parts (one per key batch, :mod:`key_batches`); an
incremental build adds one part with the rows of the keys new loads touched and lists those keys
as replaced (:func:`replace_keys`), so ``staging_data.<object>`` reads the newest rows of each
key without rewriting the earlier parts.

>>> sql = view_sql("t", [("id", "VARCHAR")], ["B1/t-0.parquet", "B2/t-1.parquet"], "id", True)
>>> print(sql[:99])
create or replace view staging_data."t" as select cast(r."id" as VARCHAR) as "id" from read_parquet
>>> "(['B1/t-0.parquet', 'B2/t-1.parquet'])" in sql, "s.seq > r._part where s.k is null" in sql
(True, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

from outcomes.config import Settings
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.store.parts import PARTS_DDL, REPLACED_DDL, folders_of, part_path, parts_root
from outcomes.store.segments import fsync_path

PART_COLUMN = "_part"  # each row's part number, stored in the file: later parts replace keys
# DuckDB writes a HUGEINT to Parquet as a DOUBLE (2.0.1): exact as DECIMAL(38, 0) instead
STORED_AS = {"HUGEINT": "DECIMAL(38,0)", "UHUGEINT": "DECIMAL(38,0)"}


@dataclass(frozen=True)
class PartsTarget:
    """Where this build writes its parts: ``<parts root>/<build id>/``."""

    settings: Settings
    build_id: str


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(PARTS_DDL)
    con.execute(REPLACED_DDL)


def uses_parts(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the snapshot keeps ``staging_data.<name>`` as a view over parts."""
    try:
        [(n,)] = con.execute(
            "select count(*) from main.staging_parts where object = ?", [name]
        ).fetchall()
    except duckdb.CatalogException:
        return False
    return bool(n)


def columns_of(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column ``sql`` returns (DESCRIBE binds it, does not run it)."""
    return [(r[0], r[1]) for r in con.execute(f"describe {sql}").fetchall()]


def write_part(
    con: duckdb.DuckDBPyConnection,
    target: PartsTarget,
    name: str,
    select_sql: str,
    columns: list[tuple[str, str]],
    replaced_rows: int = 0,
) -> tuple[int, int]:
    """Write the rows of ``select_sql`` as the next part of ``name`` and list it (with the rows
    of earlier parts it replaces); returns (rows, part number). Each column is written as the
    type ``columns`` gives it (the view casts it back), so every part of an object has the
    same types. The file is flushed and made read-only; it is never written again."""
    ensure_tables(con)
    [(seq,)] = con.execute(
        "select coalesce(max(seq) + 1, 0)::integer from main.staging_parts where object = ?",
        [name],
    ).fetchall()
    rel = part_path(target.build_id, name, seq)
    final = parts_root(target.settings) / rel
    if final.exists():
        raise FileExistsError(f"{final} exists: a part is never written twice")
    final.parent.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(
        f"cast(_p.{quote_ident(c)} as {STORED_AS.get(t, t)}) as {quote_ident(c)}"
        for c, t in columns
    )
    [(rows,)] = con.execute(  # COPY says how many rows it wrote: the query runs once
        f"copy (select {cols}, {seq}::integer as {PART_COLUMN} from ({select_sql}) as _p) "
        f"to {quote_literal(str(final))} (format parquet, compression zstd, use_tmp_file false)"
    ).fetchall()
    fsync_path(final)
    os.chmod(final, 0o444)
    fsync_path(final.parent)
    con.execute(
        "insert into main.staging_parts values (?, ?, ?, ?, ?, ?)",
        [name, seq, rel, rows, final.stat().st_size, replaced_rows],
    )
    return int(rows), seq


def view_sql(
    name: str, columns: list[tuple[str, str]], files: list[str], key: str, replaced: bool
) -> str:
    """``staging_data.<name>`` over ``files``, each column cast to the type its SQL gives; with
    ``replaced``, a row is left out when a later part recomputed its key."""
    cols = ", ".join(f"cast(r.{quote_ident(c)} as {t}) as {quote_ident(c)}" for c, t in columns)
    listed = ", ".join(quote_literal(f) for f in files)
    body = (
        f"create or replace view staging_data.{quote_ident(name)} as select {cols} "
        f"from read_parquet([{listed}]) as r"
    )
    if not replaced:
        return body
    k = dict(columns).get(key, "VARCHAR")
    key_sql = (
        f"r.{quote_ident(key)}"
        if k == "VARCHAR"
        else f"cast(cast(r.{quote_ident(key)} as {k}) as varchar)"
    )
    # the newest part that recomputed each key: a row of an older part is replaced (an anti
    # join written as a left join, which DuckDB plans as a hash join on the few replaced keys)
    return (
        f"{body} left join (select k, max(seq) as seq from main.staging_replaced "
        f"where object = {quote_literal(name)} group by k) as s "
        f"on s.k = {key_sql} and s.seq > r.{PART_COLUMN} where s.k is null"
    )


def make_view(
    con: duckdb.DuckDBPyConnection, name: str, columns: list[tuple[str, str]], key: str
) -> None:
    """(Re)create ``staging_data.<name>`` over the parts listed for it."""
    files = [
        p
        for (p,) in con.execute(
            "select path from main.staging_parts where object = ? order by seq", [name]
        ).fetchall()
    ]
    [(replaced,)] = con.execute(
        "select count(*) from main.staging_replaced where object = ?", [name]
    ).fetchall()
    con.execute(view_sql(name, columns, files, key, bool(replaced)))


def view_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(name, type) of the columns of the view ``staging_data.<name>``, in order."""
    return [
        (c, t)
        for c, t in con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = "
            "current_database() and schema_name = 'staging_data' and table_name = ? "
            "order by column_index",
            [name],
        ).fetchall()
    ]


def forget(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Unlist ``name``'s parts and replaced keys (its object is rebuilt or dropped; the files
    stay for the snapshots that list them, :func:`outcomes.store.parts.prune`)."""
    if not uses_parts(con, name):
        return
    con.execute("delete from main.staging_parts where object = ?", [name])
    con.execute("delete from main.staging_replaced where object = ?", [name])
    con.execute(f"drop view if exists staging_data.{quote_ident(name)}")


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """The rows ``staging_data.<name>`` reads, from the list of its parts (no scan)."""
    [(n,)] = con.execute(
        "select coalesce(sum(rows) - sum(replaced_rows), 0)::bigint from main.staging_parts "
        "where object = ?",
        [name],
    ).fetchall()
    return int(n)


def replace_keys(
    con: duckdb.DuckDBPyConnection,
    target: PartsTarget,
    name: str,
    key: str,
    old_keys: str,
    select_sql: str,
) -> int:
    """Write the recomputed rows of the touched keys (``select_sql``) as a new part, list as
    replaced by it the keys of ``old_keys`` (column ``k``: a row per row of a touched key the
    view read before) and make the view again. Returns the rows written."""
    columns = view_columns(con, name)
    [(old_rows,)] = con.execute(f"select count(*) from {old_keys}").fetchall()
    rows, seq = write_part(con, target, name, select_sql, columns, replaced_rows=int(old_rows))
    con.execute(
        f"insert into main.staging_replaced select distinct ?, ?, k::varchar from {old_keys} "
        "where k is not null",
        [name, seq],
    )
    make_view(con, name, columns, key)
    return rows


def snapshot_part_folders(settings: Settings) -> set[str] | None:
    """The build folders the current snapshot's parts are in (empty before the first build, or
    for a snapshot without parts): a build keeps them for the readers still holding it. None
    when the snapshot cannot be read (then nothing is pruned)."""
    from outcomes.store.snapshot import SnapshotMissing, fetch_snapshot

    try:
        rows = fetch_snapshot(settings, "select path from main.staging_parts")
    except SnapshotMissing:
        return set()
    except duckdb.CatalogException:  # a snapshot from before parts
        return set()
    except duckdb.Error:
        return None
    return folders_of([str(p) for (p,) in rows])
