"""Raw rows of the large tables as immutable Parquet files, one per load (issue 18).

The four event-scale tables (``SEGMENTED``: ai_events, ai_features, feedback, work_items) keep
their accepted rows in one Parquet file per load and table,
``<raw folder>/<raw store stem>.segments/<table>/<load_id>.parquet``, written once by ingest and
never rewritten (read-only on disk). The raw store's ledger ``raw.load_files`` lists each file
(its path under the ``.segments`` folder) with its rows, bytes, SHA-256 and columns;
``raw.<table>`` is a view over exactly the listed files.

A snapshot starts from a byte copy of the raw store file, so it carries the ledger and the views,
not the rows: trace, the workbench and the audit pack read exactly the files of the loads the
build read (a build checks each is there, :func:`check_files`). A new load (a new file) never
changes what an older snapshot sees, and readers never wait for ingest: the files they read are
never written again. Spark reads the same files.

Paths are relative to the ``.segments`` folder, which every connection that reads them names as
DuckDB's ``file_search_path`` (:func:`set_search_path`): the raw store file and its folder move
together, a snapshot reads the files of the raw store its settings name, and no server path
shows in the catalog a metric author can read. (DuckDB tries a relative path against the working
directory first; a file there would need a load id's name, which is unique.) The SQL sandbox
reads the files with external access off through ``allowed_paths`` listing exactly these files:
DuckDB would also let a statement write to an allowed path, which the one-SELECT rule refuses,
DuckDB's default COPY cannot (it writes a temporary file beside the target first), and the
read-only mode stops, the sandbox's process having no capability to override it
(:mod:`outcomes.store.capabilities`); tests/store/test_segments.py tries each.

>>> segment_name("L20261206T230618-0446e251"), segment_name("a/../b"), segment_name(None)[:7]
('L20261206T230618-0446e251.parquet', 'legacy-f55f9cc801f5.parquet', 'legacy-')
"""

from __future__ import annotations

import hashlib
import os
import re
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

# Bookkeeping columns on every raw table, after the contract columns. No stored row hash: ingest
# hashes the loaded versions of the keys a file repeats when it needs them (ingest/duplicates.py);
# a stored 16-digit hash was 57% of raw.ai_features' bytes, in the raw store and every snapshot.
# A raw store written before keeps its `_row_hash` column, unread and null for new rows.
META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_load_id", "VARCHAR"),
    ("_row_number", "BIGINT"),
)
# A load file's rows also say whether each one replaces a version of its key that an earlier
# load brought (ingest/duplicates.py flags it). Staging ranks the versions of those keys only:
# at 100M events 30 of 52 weekly ai_features loads corrected something, but 1.4M of their 600M
# rows, and ranking every row of a correcting load was half of the full build. Null in a file
# written before the flag existed: staging then ranks that load's keys, as it used to.
SEGMENT_META_COLUMNS: tuple[tuple[str, str], ...] = (*META_COLUMNS, ("_correction", "BOOLEAN"))

LOAD_FILES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("path", "VARCHAR"),  # under the .segments folder; absolute in a snapshot
    ("rows", "BIGINT"),
    ("bytes", "BIGINT"),
    ("sha256", "VARCHAR"),
    ("columns", "VARCHAR[]"),  # a file written before a contract gained a column lacks it
)

_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def segment_name(load_id: str | None) -> str:
    """The file name of a load's rows: the load id when it is a plain name (every id ingest
    makes is), else ``legacy-<hash of the id>`` (an older store's odd or missing ids)."""
    if load_id is not None and _SAFE_NAME.fullmatch(load_id):
        return f"{load_id}.parquet"
    digest = hashlib.sha256(repr(load_id).encode()).hexdigest()[:12]
    return f"legacy-{digest}.parquet"


def segments_root(settings: Settings) -> Path:
    """``<raw folder>/<raw stem>.segments``: the raw store's load files."""
    raw = Path(settings.raw_path).resolve()
    return raw.parent / f"{raw.stem}.segments"


def load_files_ddl() -> str:
    body = ", ".join(f"{n} {t}" for n, t in LOAD_FILES_COLUMNS)
    return f"create table if not exists raw.load_files ({body})"


def _absolute(settings: Settings, path: str) -> Path:
    return Path(path) if Path(path).is_absolute() else segments_root(settings) / path


def listed_files(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Path]:
    """The absolute paths of the files ``raw.load_files`` lists on ``con`` ([] if none)."""
    try:
        rows = con.execute("select path from raw.load_files order by path").fetchall()
    except duckdb.CatalogException:
        return []
    return [_absolute(settings, p) for (p,) in rows]


def set_search_path(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The views' relative paths resolve under the raw store's ``.segments`` folder and the
    snapshots' ``.parts`` folder (:mod:`outcomes.store.parts`) on ``con``."""
    from outcomes.store.parts import parts_root

    folders = ",".join(str(f) for f in (segments_root(settings), parts_root(settings)))
    # global: the cursors of a connection (the app's threads) are sessions of their own
    con.execute(f"set global file_search_path = {quote_literal(folders)}")


def allow_segments(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[Path]:
    """Let ``con`` read exactly the load files its ``raw.load_files`` lists (and the staging
    parts its ``main.staging_parts`` lists), also once external access is off: DuckDB's
    ``allowed_paths`` with each file as the views name it (relative) and as DuckDB resolves it
    (absolute); call before ``enable_external_access = false``. Sets the search path too.
    Returns the load files allowed."""
    from outcomes.store.parts import allowed_files

    set_search_path(con, settings)
    try:
        rel = [
            p for (p,) in con.execute("select path from raw.load_files order by path").fetchall()
        ]
    except duckdb.CatalogException:
        rel = []
    files = [_absolute(settings, p) for p in rel]
    allowed = [*rel, *(str(f) for f in files), *allowed_files(con, settings)]
    if allowed:
        con.execute(f"set allowed_paths = [{', '.join(quote_literal(a) for a in allowed)}]")
    return files


def _typed_columns(contract: Contract) -> list[tuple[str, str]]:
    return [(c.name, c.type) for c in contract.columns] + list(SEGMENT_META_COLUMNS)


def view_sql(contract: Contract, files: Sequence[str], present: set[str] | None = None) -> str:
    """``create or replace view raw.<table>`` over exactly ``files`` (typed, contract order);
    a column none of them has (``present``) is null.

    >>> print(view_sql(CONTRACTS["feedback"], [])[:75])
    create or replace view raw.feedback as select cast(null as VARCHAR) as "eve
    """
    cols = _typed_columns(contract)
    if not files:
        body = ", ".join(f"cast(null as {t}) as {quote_ident(n)}" for n, t in cols)
        return f"create or replace view raw.{contract.table} as select {body} where false"
    have = {n for n, _ in cols} if present is None else present
    body = ", ".join(
        f"cast({quote_ident(n) if n in have else 'null'} as {t}) as {quote_ident(n)}"
        for n, t in cols
    )
    listed = ", ".join(quote_literal(f) for f in files)
    return (
        f"create or replace view raw.{contract.table} as select {body} "
        f"from read_parquet([{listed}], union_by_name = true)"
    )


def refresh_views(
    con: duckdb.DuckDBPyConnection, settings: Settings, tables: Sequence[str] = SEGMENTED
) -> None:
    """(Re)create ``raw.<table>`` over the files ``raw.load_files`` lists (by the relative path
    it lists: no server path in the catalog a metric author can read).

    Raises :class:`SegmentMissing` naming the first listed file that is not there. A table an
    older store still holds as a table is left alone (:func:`migrate_tables` moves it).
    """
    set_search_path(con, settings)
    by_table: dict[str, list[str]] = {t: [] for t in tables}
    present: dict[str, set[str]] = {t: set() for t in tables}
    for load_id, table, path, columns in con.execute(
        "select load_id, table_name, path, columns from raw.load_files "
        "order by table_name, load_id, path"
    ).fetchall():
        if table not in by_table:
            continue
        f = _absolute(settings, path)
        if not f.is_file():
            raise missing(settings, f, table, load_id, "is missing")
        by_table[table].append(path)
        present[table].update(columns or ())
    for table in tables:
        if not is_base_table(con, table):
            con.execute(view_sql(CONTRACTS[table], by_table[table], present[table]))


def missing(settings: Settings, f: Path, table: str, load_id: str, what: str) -> SegmentMissing:
    """The error for a listed load file that is not there (or not the file written)."""
    return SegmentMissing(
        f"the raw store {settings.raw_path} lists {f} (rows of {table}, load {load_id}) but the "
        f"file {what}. A raw store is its file and its folder {segments_root(settings)}: move "
        "or restore them together, or ingest the source files again into a new raw store."
    )


def check_files(con: duckdb.DuckDBPyConnection, settings: Settings) -> int:
    """In a snapshot being built: check that each listed file is there with its recorded size,
    and make the views again over them. Returns the files listed.

    Raises :class:`SegmentMissing` naming the first file that is gone or changed size.
    """
    rows = con.execute(
        "select load_id, table_name, path, bytes from raw.load_files order by path"
    ).fetchall()
    for load_id, table, path, size in rows:
        f = _absolute(settings, path)
        have = f.stat().st_size if f.is_file() else None
        if have != size:
            what = "is missing" if have is None else f"has {have:,} bytes, not {size:,}"
            raise missing(settings, f, table, load_id, what)
    refresh_views(con, settings)
    return len(rows)


def write_segment(
    con: duckdb.DuckDBPyConnection, settings: Settings, table: str, load_id: str, select: str
) -> int:
    """Write the rows of ``select`` (contract columns, ``_load_id``, ``_row_number``,
    ``_correction``) as the load's file of ``table``, list it in ``raw.load_files`` and refresh
    the view; returns rows.

    The file is written beside its final name, flushed, renamed into place (the folder flushed
    too) and made read-only; an existing file is never replaced. A load rolled back removes its
    files (:func:`discard_load`). No file is written for zero rows.
    """
    name = segment_name(load_id)
    final = segments_root(settings) / table / name
    if final.exists():
        raise FileExistsError(f"{final} exists: a load file is never written twice")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{name}.tmp")
    tmp.unlink(missing_ok=True)
    [(rows,)] = con.execute(  # COPY says how many rows it wrote: the query runs once
        f"copy ({select}) to {quote_literal(str(tmp))} "
        "(format parquet, compression zstd, use_tmp_file false)"
    ).fetchall()
    if not rows:
        tmp.unlink()
        return 0
    fsync_path(tmp)
    os.replace(tmp, final)
    os.chmod(final, 0o444)
    fsync_path(final.parent)
    fsync_path(final.parent.parent)
    columns = [n for n, _ in _typed_columns(CONTRACTS[table])]  # what ``select`` returns
    con.execute(
        "insert into raw.load_files values (?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            table,
            f"{table}/{name}",
            rows,
            final.stat().st_size,
            file_sha256(final),
            columns,
        ],
    )
    refresh_views(con, settings, (table,))
    return int(rows)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard_load(con: duckdb.DuckDBPyConnection, settings: Settings, load_id: str) -> list[Path]:
    """Remove the files of a load that was rolled back (never listed, so never read by any
    build: ingest holds the raw store's exclusive lock until it commits); a file the ledger
    lists is never touched. Returns what was removed."""
    root = segments_root(settings)
    listed = {
        root / p
        for (p,) in con.execute(
            "select path from raw.load_files where load_id = ?", [load_id]
        ).fetchall()
    }
    name = segment_name(load_id)
    removed = []
    for table in SEGMENTED:
        for f in (root / table / name, root / table / f".{name}.tmp"):
            if f.exists() and f not in listed:
                f.unlink()
                removed.append(f)
    return removed


def remove_partial_writes(settings: Settings) -> list[Path]:
    """Delete ``.<name>.tmp`` files a killed ingest left half-written (under the exclusive
    lock). A whole file no ledger row lists is left alone: a snapshot may still read it."""
    root = segments_root(settings)
    removed = sorted(root.glob("*/.*.tmp")) if root.exists() else []
    for f in removed:
        f.unlink()
    return removed


def migrate_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """A raw store written before load files holds ``raw.<table>`` as a table: write each of its
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
        names: set[str] = set()
        for (load_id,) in con.execute(
            f"select distinct _load_id from raw.{table}__old order by 1 nulls first"
        ).fetchall():
            if segment_name(load_id) in names:  # two odd ids with one name: cannot happen
                raise RuntimeError(f"two loads of {table} map to {segment_name(load_id)}")
            names.add(segment_name(load_id))
            where = (
                "_load_id is null" if load_id is None else f"_load_id = {quote_literal(load_id)}"
            )
            moved[table] += write_segment(
                con,
                settings,
                table,
                load_id,
                f"select {cols} from raw.{table}__old where {where} order by _row_number",
            )
        con.execute(f"drop table raw.{table}__old")
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
    never written again, so sharing them is safe; a copy where links cannot be made). The copy's
    views are made again over its own files the first time it is opened.

    Call with no ingest running on ``source`` (a backup, a test, the benchmark's working copy).
    """
    import shutil

    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    # the WAL goes with its file: a stale one of an earlier copy would be replayed onto this
    # one (DuckDB then refuses the file), and the source's holds writes not yet checkpointed
    wal, target_wal = Path(f"{source}.wal"), Path(f"{target}.wal")
    target_wal.unlink(missing_ok=True)
    if wal.exists():
        shutil.copyfile(wal, target_wal)
    from outcomes.store.parts import link_files

    link_files(
        source.resolve().parent / f"{source.stem}.segments",
        target.resolve().parent / f"{target.stem}.segments",
    )
