"""Raw rows of the large tables as immutable Parquet files, one per load (issue 18).

The four event-scale tables (``SEGMENTED``: ai_events, ai_features, feedback, work_items) keep
their accepted rows in one Parquet file per load and table,
``<raw folder>/<raw store stem>.segments/<table>/<load_id>.parquet``, written once by ingest and
never rewritten (read-only on disk). The raw store's ledger ``raw.load_files`` lists each file
with its rows, bytes and SHA-256; ``raw.<table>`` is a view over exactly the files it lists.

A snapshot starts from a byte copy of the raw store file, so it carries the ledger and the views,
not the rows: trace, the workbench and the audit pack read exactly the files of the loads the
build read, and a new load (a new file) never changes what an older snapshot sees. Readers never
wait for ingest: the files they read are never written again. Spark reads the same files.

Paths in the raw store's ledger and views are relative to its folder, which every connection
that reads them names as DuckDB's ``file_search_path`` (:func:`allow_segments`): the raw store
file and its ``.segments`` folder move together. A snapshot's copy of the ledger names each
file by its absolute path (:func:`anchor_paths`), so a copied snapshot still reads the files
its build read. The SQL sandbox
reads them with external access off through ``allowed_paths`` listing exactly these files;
DuckDB would also let a statement write to an allowed path, which the sandbox's one-SELECT rule
refuses, and which DuckDB's own COPY cannot do (it writes a temporary file beside the target
first, which is not allowed) -- both tested in tests/store/test_segments.py.

>>> segment_relpath("raw.duckdb", "ai_events", "L1")
'raw.segments/ai_events/L1.parquet'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb

from outcomes.config import Settings
from outcomes.core.contracts import CONTRACTS, Contract
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.errors import OutcomesError


class SegmentMissing(OutcomesError, FileNotFoundError):
    """A load file the raw store lists is gone or not the file that was written."""


SEGMENTED: tuple[str, ...] = ("ai_events", "ai_features", "feedback", "work_items")

LOAD_FILES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("path", "VARCHAR"),  # relative to the raw store's folder
    ("rows", "BIGINT"),
    ("bytes", "BIGINT"),
    ("sha256", "VARCHAR"),
)


def segment_relpath(raw_name: str, table: str, load_id: str) -> str:
    """The file of one load's rows of ``table``, relative to the raw store's folder."""
    return f"{Path(raw_name).stem}.segments/{table}/{load_id}.parquet"


def raw_folder(settings: Settings) -> Path:
    """The folder the ledger's relative paths start from (the raw store's)."""
    return Path(settings.raw_path).resolve().parent


def segments_root(settings: Settings) -> Path:
    """``<raw folder>/<raw stem>.segments``."""
    return raw_folder(settings) / f"{Path(settings.raw_path).stem}.segments"


def load_files_ddl() -> str:
    body = ", ".join(f"{n} {t}" for n, t in LOAD_FILES_COLUMNS)
    return f"create table if not exists raw.load_files ({body})"


def set_search_path(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Relative segment paths resolve against the raw store's folder on ``con``."""
    con.execute(f"set file_search_path = {quote_literal(str(raw_folder(settings)))}")


def listed_paths(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The relative paths ``raw.load_files`` lists on ``con``'s default catalog ([] if none)."""
    try:
        return [
            p for (p,) in con.execute("select path from raw.load_files order by path").fetchall()
        ]
    except duckdb.CatalogException:
        return []


def allow_segments(
    con: duckdb.DuckDBPyConnection, settings: Settings, paths: Sequence[str] | None = None
) -> list[str]:
    """Let ``con`` read the listed segment files, also once external access is off.

    Sets ``file_search_path`` and ``allowed_paths`` (each file relative, as the views name it,
    and absolute, as DuckDB resolves it); ``paths`` defaults to what ``raw.load_files`` lists.
    Call before ``enable_external_access = false``. Returns the relative paths allowed.
    """
    set_search_path(con, settings)
    rel = listed_paths(con) if paths is None else list(paths)
    folder = raw_folder(settings)
    allowed = [*rel, *(str(folder / p) for p in rel)]
    if allowed:
        con.execute(f"set allowed_paths = [{', '.join(quote_literal(a) for a in allowed)}]")
    return rel


def _typed_columns(contract: Contract) -> list[tuple[str, str]]:
    from outcomes.store.raw import META_COLUMNS

    return [(c.name, c.type) for c in contract.columns] + list(META_COLUMNS)


def view_sql(contract: Contract, paths: Sequence[str]) -> str:
    """``create or replace view raw.<table>`` over exactly ``paths`` (typed, contract order).

    >>> print(view_sql(CONTRACTS["feedback"], [])[:75])
    create or replace view raw.feedback as select cast(null as VARCHAR) as "eve
    """
    cols = _typed_columns(contract)
    if not paths:
        body = ", ".join(f"cast(null as {t}) as {quote_ident(n)}" for n, t in cols)
        return f"create or replace view raw.{contract.table} as select {body} where false"
    body = ", ".join(f"cast({quote_ident(n)} as {t}) as {quote_ident(n)}" for n, t in cols)
    files = ", ".join(quote_literal(p) for p in paths)
    return (
        f"create or replace view raw.{contract.table} as select {body} "
        f"from read_parquet([{files}], union_by_name = true)"
    )


def refresh_views(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """(Re)create ``raw.<table>`` for every segmented table over the files ``raw.load_files``
    lists (the connection must resolve them: :func:`set_search_path`)."""
    set_search_path(con, settings)
    by_table: dict[str, list[str]] = {t: [] for t in SEGMENTED}
    for table, path in con.execute(
        "select table_name, path from raw.load_files order by table_name, load_id, path"
    ).fetchall():
        by_table.setdefault(table, []).append(path)
    for table in SEGMENTED:
        con.execute(view_sql(CONTRACTS[table], by_table[table]))


def anchor_paths(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """In a snapshot being built: make the relative paths of ``raw.load_files`` absolute (the
    files this build read, wherever the snapshot is copied to later), check each file is there
    with its recorded size, and make the views again over them. Returns the files listed.

    Raises :class:`SegmentMissing` naming the first file that is gone or changed size.
    """
    folder = raw_folder(settings)
    con.execute(
        "update raw.load_files set path = ? || '/' || path where not starts_with(path, '/')",
        [str(folder)],
    )
    rows = con.execute(
        "select load_id, table_name, path, bytes from raw.load_files order by path"
    ).fetchall()
    for load_id, table, path, size in rows:
        f = Path(path)
        have = f.stat().st_size if f.is_file() else None
        if have != size:
            what = "is missing" if have is None else f"has {have:,} bytes, not {size:,}"
            raise SegmentMissing(
                f"the raw store {settings.raw_path} lists {f} (rows of {table}, load {load_id}) "
                f"but the file {what}. A raw store is its file and its folder "
                f"{segments_root(settings)}: move or restore them together, or ingest the "
                "source files again into a new raw store."
            )
    refresh_views(con, settings)
    return len(rows)


def write_segment(
    con: duckdb.DuckDBPyConnection, settings: Settings, table: str, load_id: str, select: str
) -> int:
    """Write the rows of ``select`` (contract columns, ``_load_id``, ``_row_number``) as the
    load's file of ``table``, list it in ``raw.load_files`` and refresh the view; returns rows.

    The file is written beside its final name, flushed, renamed into place and made read-only;
    a load rolled back leaves a file no ledger row lists, removed at the next write
    (:func:`remove_unlisted`). No file is written for zero rows.
    """
    rel = segment_relpath(Path(settings.raw_path).name, table, load_id)
    final = raw_folder(settings) / rel
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp")
    tmp.unlink(missing_ok=True)
    [(rows,)] = con.execute(f"select count(*) from ({select})").fetchall()
    if rows:
        con.execute(
            f"copy ({select}) to {quote_literal(str(tmp))} "
            "(format parquet, compression zstd, use_tmp_file false)"
        )
        _fsync(tmp)
        os.replace(tmp, final)
        os.chmod(final, 0o444)
        con.execute(
            "insert into raw.load_files values (?, ?, ?, ?, ?, ?)",
            [load_id, table, rel, rows, final.stat().st_size, file_sha256(final)],
        )
        refresh_views(con, settings)
    return int(rows)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_unlisted(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Path]:
    """Delete segment files no ledger row lists (left by a load that was rolled back or killed);
    call under the raw store's exclusive lock. Returns what was removed."""
    root = segments_root(settings)
    if not root.exists():
        return []
    listed = {raw_folder(settings) / p for p in listed_paths(con)}
    removed = []
    for f in sorted(root.glob("*/*")):
        if f.is_file() and f not in listed:
            f.unlink()
            removed.append(f)
    return removed


def migrate_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """A raw store written before segments holds ``raw.<table>`` as a table: write each of its
    loads' rows to that load's file, then drop the table (under the exclusive lock, inside the
    caller's transaction). Returns rows moved per table."""
    moved: dict[str, int] = {}
    tables = [t for t in SEGMENTED if is_base_table(con, t)]
    for table in tables:  # every old table out of the way before the first view is made
        con.execute(f"alter table raw.{table} rename to {table}__old")
    for table in tables:
        contract = CONTRACTS[table]
        have = {
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = 'raw' and table_name = ?",
                [f"{table}__old"],
            ).fetchall()
        }
        cols = ", ".join(
            f"cast({quote_ident(n) if n in have else 'null'} as {t}) as {quote_ident(n)}"
            for n, t in _typed_columns(contract)
        )
        moved[table] = 0
        for (load_id,) in con.execute(
            f"select distinct _load_id from raw.{table}__old order by 1"
        ).fetchall():
            where = (
                "_load_id is null" if load_id is None else f"_load_id = {quote_literal(load_id)}"
            )
            moved[table] += write_segment(
                con,
                settings,
                table,
                load_id or "unknown",
                f"select {cols} from raw.{table}__old where {where} order by _row_number",
            )
        con.execute(f"drop table raw.{table}__old")
    if tables:
        refresh_views(con, settings)
    return moved


def is_base_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Is ``raw.<table>`` a table (not a view) in ``con``'s default catalog?"""
    [(n,)] = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw' and table_name = ?",
        [table],
    ).fetchall()
    return bool(n)


def has_object(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Is there a table or a view ``raw.<table>`` in ``con``'s default catalog?"""
    [(n,)] = con.execute(
        "select count(*) from (select table_name as name from duckdb_tables() "
        "where database_name = current_database() and schema_name = 'raw' union all "
        "select view_name from duckdb_views() where database_name = current_database() "
        "and schema_name = 'raw') where name = ?",
        [table],
    ).fetchall()
    return bool(n)


def copy_raw_store(source: Path, target: Path) -> None:
    """Copy a raw store to another path: its file, and its load files as hard links (they are
    never written again, so sharing them is safe; a copy where links cannot be made).

    Call with no ingest running on ``source`` (a backup, a test, the benchmark's working copy).
    """
    import shutil

    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    src_root = source.parent / f"{source.stem}.segments"
    dst_root = target.parent / f"{target.stem}.segments"
    if dst_root.exists():
        shutil.rmtree(dst_root)
    if not src_root.exists():
        return
    for f in sorted(src_root.glob("*/*.parquet")):
        dst = dst_root / f.parent.name / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, dst)
        except OSError:
            shutil.copy2(f, dst)
