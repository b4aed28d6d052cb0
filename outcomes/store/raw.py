"""The raw store (settings.raw_path): schema `raw`, one table per contract, quarantine, ledger.

The four large tables are views over their load files, one immutable Parquet file per load
(:mod:`outcomes.store.segments`); the file holds the small tables, the ledgers and the views.

Writers (ingest) hold an exclusive `fcntl.flock` on `<raw_path>.lock`; readers (status, build)
hold a shared one, so a reader never meets DuckDB's own "file is locked" error and never sees
a half-written load. A second writer waits up to `timeout` seconds, then gets `RawStoreBusy`.

>>> import tempfile, pathlib
>>> from outcomes.config import Settings
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> s = Settings(raw_path=d / "raw.duckdb")
>>> with open_raw_store(s) as con:
...     n = con.sql("select count(*) from raw.loads").fetchall()[0][0]
>>> n
0
>>> with open_raw_store(s, write=False) as con:
...     sorted(t for (t,) in con.sql(
...         "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall())[:3]
...     sorted(t for (t,) in con.sql(
...         "select view_name from duckdb_views() where schema_name = 'raw'").fetchall())
['assumptions', 'costs', 'incidents']
['ai_events', 'ai_features', 'feedback', 'work_items']
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from outcomes.config import Settings
from outcomes.core.contracts import CONTRACTS, Contract
from outcomes.core.quoting import quote_literal
from outcomes.errors import OutcomesError
from outcomes.store.segments import (
    META_COLUMNS,
    SEGMENTED,
    SegmentMissing,
    remove_partial_writes,
    set_search_path,
)

DEFAULT_LOCK_TIMEOUT = 60.0
CATALOG = "rawstore"  # name the raw store file is attached under

LOADS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("file_sha256", "VARCHAR"),
    ("file_format", "VARCHAR"),
    ("rows_in", "BIGINT"),
    ("rows_accepted", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("rows_corrected", "BIGINT"),
    ("extra_columns", "VARCHAR[]"),
    ("started_at", "TIMESTAMP"),
    ("finished_at", "TIMESTAMP"),
    ("loaded_by", "VARCHAR"),
    ("status", "VARCHAR"),
    ("message", "VARCHAR"),
    # Physical accounting (issue 14), added later: an older store gains them when opened for
    # writing. rows_in = rows_accepted + rows_quarantined + rows_skipped.
    ("rows_skipped", "BIGINT"),
    ("skipped_reasons", "VARCHAR"),
    ("lines_in", "BIGINT"),
    ("file_size", "BIGINT"),
)

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "VARCHAR"),
    ("table_name", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("column_name", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("raw_values", "JSON"),
    ("failures", "JSON"),
    ("line_number", "BIGINT"),  # physical line the record starts on (null for Parquet)
)


class RawStoreBusy(OutcomesError, RuntimeError):
    """Another process holds the raw store lock for longer than we were willing to wait."""


class RawStoreUnusable(OutcomesError, RuntimeError):
    """The raw store file cannot be opened or written (damaged, no permission, disk full)."""


def lock_path(settings: Settings) -> Path:
    """`<raw_path>.lock`, the file ingest and build serialise on."""
    return Path(f"{settings.raw_path}.lock")


@contextmanager
def raw_lock(
    settings: Settings, exclusive: bool = True, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[None]:
    """Hold the raw store lock (exclusive for writers, shared for readers).

    >>> import tempfile, pathlib
    >>> from outcomes.config import Settings
    >>> s = Settings(raw_path=pathlib.Path(tempfile.mkdtemp()) / "raw.duckdb")
    >>> with raw_lock(s):
    ...     try:
    ...         with raw_lock(s, timeout=0.2):
    ...             pass
    ...     except RawStoreBusy as exc:
    ...         print(str(exc)[:15])
    raw store busy:
    """
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RawStoreBusy(
                        f"raw store busy: {settings.raw_path} is locked by another ingest or "
                        f"build (lock file {path}); waited {timeout:g} s. Wait for it to finish "
                        "and run the command again."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def raw_table_ddl(contract: Contract) -> str:
    """CREATE TABLE statement of `raw.<table>`: contract columns + bookkeeping columns.

    >>> print(raw_table_ddl(CONTRACTS["users"]))
    create table if not exists raw.users ("user_id" VARCHAR, "team" VARCHAR, "eligible_from" DATE, "eligible_to" DATE, "_load_id" VARCHAR, "_row_number" BIGINT)
    """
    cols = [(c.name, c.type) for c in contract.columns] + list(META_COLUMNS)
    body = ", ".join(f'"{n}" {t}' for n, t in cols)
    return f"create table if not exists raw.{contract.table} ({body})"


def ensure_schema(con: duckdb.DuckDBPyConnection, settings: Settings | None = None) -> None:
    """Create schema `raw`, every contract's table (a view over its load files for the
    segmented ones, :mod:`outcomes.store.segments`), `raw.loads`, `raw.quarantine` and
    `raw.load_files` if missing.

    With ``settings`` (the raw store opened for writing): a segmented table an older store holds
    as a table moves to load files, and the views are made again over the listed files.
    """
    from outcomes.store import segments

    con.execute("create schema if not exists raw")
    for contract in CONTRACTS.values():
        if contract.table not in segments.SEGMENTED:
            con.execute(raw_table_ddl(contract))
    cols: Sequence[tuple[str, str]]  # (name, type) pairs
    for name, cols in (("loads", LOADS_COLUMNS), ("quarantine", QUARANTINE_COLUMNS)):
        body = ", ".join(f"{n} {t}" for n, t in cols)
        con.execute(f"create table if not exists raw.{name} ({body})")
    con.execute(segments.load_files_ddl())
    if settings is not None:
        segments.migrate_tables(con, settings)
        segments.refresh_views(con, settings)
    for table in segments.SEGMENTED:
        if not segments.has_object(con, table):  # e.g. a snapshot of a store that had none
            con.execute(segments.view_sql(CONTRACTS[table], []))
    tables = [
        (c.table, [(col.name, col.type) for col in c.columns])
        for c in CONTRACTS.values()
        if segments.is_base_table(con, c.table)  # a view's columns come from its files
    ]
    for name, cols in (*tables, ("loads", LOADS_COLUMNS), ("quarantine", QUARANTINE_COLUMNS)):
        have = {
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = 'raw' and table_name = ?",
                [name],
            ).fetchall()
        }
        for n, t in cols:  # a store written before these columns existed (e.g. costs.system)
            if n not in have:
                con.execute(f'alter table raw.{name} add column "{n}" {t}')


@contextmanager
def open_raw_store(
    settings: Settings, write: bool = True, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the raw store, under its lock, with the schema in place.

    `write=True` takes the exclusive lock and opens read-write (creating the file and schema
    if needed); `write=False` takes a shared lock and opens read-only (creating an empty store
    first if none exists). The file is attached as catalog `rawstore` to an in-memory
    connection and made the default, so `raw.<table>` names work; the session time zone is UTC.
    """
    path = Path(settings.raw_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not write and (not path.exists() or _outdated(settings, timeout)):
        # a missing store is created empty; one written before the ledger's newer columns
        # gains them (once, under the exclusive lock), so every reader sees the same columns
        with open_raw_store(settings, write=True, timeout=timeout):
            pass
    with raw_lock(settings, exclusive=write, timeout=timeout):
        # Attached under an alias: a file named raw.duckdb would otherwise be a catalog `raw`
        # and make every `raw.<table>` ambiguous.
        # bounded memory: past work_memory a load's scratch tables spill to the temp folder
        con = duckdb.connect(
            config={"temp_directory": f"{path}.tmp", "memory_limit": settings.work_memory}
        )
        try:
            try:
                mode = "" if write else " (read_only)"
                con.execute(f"attach {quote_literal(str(path))} as {CATALOG}{mode}")
                con.execute(f"use {CATALOG}")
                con.execute("set TimeZone = 'UTC'")
                set_search_path(con, settings)  # the large tables' views read their load files
                if write:
                    con.begin()
                    ensure_schema(con, settings)
                    con.commit()
                    remove_partial_writes(settings)
            except SegmentMissing:
                raise  # names the file and what to do; the store itself is fine
            except (duckdb.Error, OSError) as exc:
                raise unusable(path, exc) from None
            yield con
        finally:
            con.close()


def bring_up_to_date(settings: Settings, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
    """An existing raw store written by an older release gains what this one writes (its large
    tables move to load files) before a build copies it; a file that holds no raw store
    (no ``raw.loads``) is left as it is, for the build to say so."""
    if _outdated(settings, timeout, stores_only=True):
        with open_raw_store(settings, write=True, timeout=timeout):
            pass


def _outdated(settings: Settings, timeout: float, stores_only: bool = False) -> bool:
    """Does the store lack a column of ``raw.loads``, ``raw.quarantine`` or ``raw.load_files``,
    or hold a large table's rows in the file (an older store)? ``stores_only``: False for a file
    that holds no raw store at all."""
    from outcomes.store.segments import LOAD_FILES_COLUMNS

    wanted = (
        {("loads", n) for n, _ in LOADS_COLUMNS}
        | {("quarantine", n) for n, _ in QUARANTINE_COLUMNS}
        | {("load_files", n) for n, _ in LOAD_FILES_COLUMNS}
    )
    with raw_lock(settings, exclusive=False, timeout=timeout):
        con = duckdb.connect()
        try:
            con.execute(f"attach {quote_literal(str(settings.raw_path))} as {CATALOG} (read_only)")
            if con.execute(
                "select count(*) from duckdb_tables() where database_name = ? and "
                f"schema_name = 'raw' and table_name in ({', '.join(map(repr, SEGMENTED))})",
                [CATALOG],
            ).fetchall()[0][0]:
                return True  # rows of a large table in the file: they move to load files
            have = set(
                con.execute(
                    "select table_name, column_name from duckdb_columns() "
                    "where database_name = ? and schema_name = 'raw'",
                    [CATALOG],
                ).fetchall()
            )
        except (duckdb.Error, OSError) as exc:
            raise unusable(Path(settings.raw_path), exc) from None
        finally:
            con.close()
    if stores_only and ("loads", "load_id") not in have:
        return False
    return not wanted <= have


def unusable(path: Path, exc: BaseException) -> RawStoreUnusable:
    """One clear message for a raw store that cannot be opened or written.

    >>> str(unusable(Path("raw.duckdb"), OSError(28, "No space left on device")))[:53]
    'raw store raw.duckdb cannot be used: the disk is full'
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text.lower()
    if "no space left" in low or getattr(exc, "errno", None) == 28:
        why = "the disk is full; free space and run the command again"
    elif "permission denied" in low or isinstance(exc, PermissionError):
        why = "permission denied; check who owns the file and its folder"
    elif "lock" in low:
        why = "another program holds it open; close it and run the command again"
    else:
        why = (
            "it is damaged or not a DuckDB file; restore it from a backup, or move it away and "
            "ingest the source files again"
        )
    return RawStoreUnusable(f"raw store {path} cannot be used: {why} ({text})")
