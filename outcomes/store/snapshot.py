"""Read the built snapshot (``settings.warehouse_path``), read-only: the one place that opens it.

Every reader goes through here: :func:`open_snapshot` (a connection), :func:`fetch_snapshot`
(one query's rows), :func:`attach_snapshot` (into a connection of the caller's own, as the
sandbox needs); a build writes its own temporary file through :func:`open_build_file`.

``duckdb.connect(path)`` shares one database instance per path inside a process, so while any
connection to the old snapshot is open it would keep returning the old file after a build
swapped in a new one. ``open_snapshot`` therefore opens each build's file under a path of its
own: a hard link ``.<name>.readers/<inode>-<mtime>/warehouse.duckdb`` beside the warehouse
(costs nothing, keeps the swapped-out file alive for readers that still hold it). Its catalog
is named ``warehouse`` and is the default of the connection and of all its cursors.

>>> import tempfile, pathlib
>>> from outcomes.config import Settings
>>> s = Settings(warehouse_path=pathlib.Path(tempfile.mkdtemp()) / "warehouse.duckdb")
>>> current_build_id(s) is None
True
>>> try:
...     open_snapshot(s)
... except SnapshotMissing as exc:
...     print(type(exc).__name__, "run `outcomes build`" in str(exc))
SnapshotMissing True
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from outcomes.config import Settings
from outcomes.core.quoting import quote_literal
from outcomes.errors import OutcomesError
from outcomes.store.segments import allow_segments, set_search_path

CATALOG = "warehouse"


class SnapshotMissing(OutcomesError, FileNotFoundError):
    """No snapshot has been built yet."""


def open_snapshot(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A new read-only connection to the current snapshot (close it when done).

    Writes to the snapshot fail ("attached in read-only mode"); the Python functions of
    :mod:`outcomes.store.sqlfunctions` are registered, the macros come with the file.
    """
    path = Path(settings.warehouse_path)
    con = _with_retries(path, lambda reader: duckdb.connect(str(reader), read_only=True))
    try:
        from outcomes.store.sqlfunctions import install

        install(con, settings, macros=False)
        set_search_path(con, settings)  # the raw views' load files
    except duckdb.IOException as exc:
        con.close()
        if not path.exists():
            raise SnapshotMissing(f"no snapshot at {path}: run `outcomes build`") from exc
        raise
    except BaseException:
        con.close()
        raise
    return con


def open_file(path: Path, raw_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the snapshot file ``path`` itself, not through the current
    snapshot's reader path: for tools that compare two files (tests, the benchmark). Its staging
    parts resolve under ``<stem>.parts`` beside it, its raw views under ``raw_path``'s load
    files when given. The product's readers use :func:`open_snapshot`."""
    con = duckdb.connect(str(path), read_only=True)
    con.execute(
        f"set global file_search_path = {quote_literal(search_path([Path(path)], [Path(raw_path)] if raw_path else []))}"
    )
    return con


def search_path(snapshots: list[Path], raw_stores: list[Path] | None = None) -> str:
    """DuckDB's ``file_search_path`` for snapshot files (their ``.parts`` folders) and raw
    stores (their ``.segments`` folders), comma-separated.

    >>> search_path([Path("/d/warehouse.duckdb")], [Path("/d/raw.duckdb")])
    '/d/warehouse.parts,/d/raw.segments'
    """
    from outcomes.store.parts import PARTS_SUFFIX

    folders = [p.parent / f"{p.stem}{PARTS_SUFFIX}" for p in snapshots]
    folders += [p.parent / f"{p.stem}.segments" for p in raw_stores or []]
    return ",".join(str(f) for f in folders)


def fetch_snapshot(
    settings: Settings, sql: str, params: list[object] | None = None
) -> list[tuple[object, ...]]:
    """The rows of one query on the current snapshot (opened and closed around it).

    Raises :class:`SnapshotMissing` before the first build, ``duckdb.Error`` when the query
    fails (a table this snapshot does not have, say).
    """
    con = open_snapshot(settings)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def attach_snapshot(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Attach the current snapshot read-only to ``con`` as catalog ``warehouse`` and make it the
    default (for a connection configured by its caller, such as the sandbox's)."""
    path = Path(settings.warehouse_path)

    def attach(reader: Path) -> duckdb.DuckDBPyConnection:
        con.execute(f"attach {quote_literal(str(reader))} as {CATALOG} (read_only)")
        return con

    _with_retries(path, attach)
    con.execute(f"use {CATALOG}")
    allow_segments(con, settings)  # exactly the load files the snapshot lists, by name


def open_build_file(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a build's own temporary file (never the current snapshot:
    a build writes a new file and swaps it in), allowed to read the load files it lists."""
    # bounded memory: past work_memory the build spills to <file>.tmp instead of growing
    con = duckdb.connect(str(path), config={"memory_limit": settings.work_memory})
    try:
        allow_segments(con, settings)
    except BaseException:
        con.close()
        raise
    return con


def _with_retries(
    path: Path, open_reader: Callable[[Path], duckdb.DuckDBPyConnection]
) -> duckdb.DuckDBPyConnection:
    """``open_reader(per-build path of the current snapshot)``, tried again while a build swaps."""
    if not path.exists():
        raise SnapshotMissing(
            f"no snapshot at {path}: run `outcomes build` (or `outcomes demo` for demo data)"
        )
    for attempt in range(5):
        try:
            return open_reader(_reader_path(path))
        except (FileNotFoundError, duckdb.IOException) as exc:
            # another reader may clean up the folder of a build swapped out a moment ago
            if not path.exists():
                raise SnapshotMissing(f"no snapshot at {path}: run `outcomes build`") from exc
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _reader_path(path: Path) -> Path:
    """The per-build path of the current snapshot file (created on first use)."""
    readers = path.parent / f".{path.name}.readers"
    readers.mkdir(exist_ok=True)
    tmp = readers / f".link-{os.getpid()}-{secrets.token_hex(4)}"
    os.link(path, tmp)  # one atomic look at the current file: its inode is the build's
    try:
        st = tmp.stat()
        folder = readers / f"{st.st_ino}-{st.st_mtime_ns}"
        folder.mkdir(exist_ok=True)
        target = folder / f"{CATALOG}.duckdb"
        if not target.exists():
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _forget_earlier(readers, folder.name)
    return target


def _forget_earlier(readers: Path, current: str) -> None:
    for old in readers.iterdir():
        # readers holding an old build keep their open file; new readers never want it
        if old.is_dir() and old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def forget_earlier_builds(path: Path) -> None:
    """After a build is swapped in: drop the names of earlier builds kept for readers, so their
    disk is freed once the readers that still hold them open move on (POSIX keeps an open
    file's blocks; nobody new can want an earlier build)."""
    readers = path.parent / f".{path.name}.readers"
    if not readers.is_dir():
        return
    st = path.stat()
    _forget_earlier(readers, f"{st.st_ino}-{st.st_mtime_ns}")


def snapshot_identity(settings: Settings) -> tuple[str, int, int] | None:
    """``(build_id, st_ino, st_mtime_ns)`` of the current snapshot, for cache keys (None if unbuilt).

    The build id and the file status come from the same file: if a build swaps in a new file
    while we read, we read again.
    """
    path = Path(settings.warehouse_path)
    for _ in range(5):
        try:
            before = os.stat(path)
        except FileNotFoundError:
            return None
        build_id = _read_build_id(settings)
        try:
            after = os.stat(path)
        except FileNotFoundError:
            return None
        if (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns):
            return build_id or "", after.st_ino, after.st_mtime_ns
    raise RuntimeError(f"{path} kept changing while its build id was read; try again")


def current_build_id(settings: Settings) -> str | None:
    """The build id of the current snapshot (None if nothing is built)."""
    identity = snapshot_identity(settings)
    return identity[0] if identity else None


def _read_build_id(settings: Settings) -> str | None:
    try:
        con = open_snapshot(settings)
    except SnapshotMissing:
        return None
    try:
        rows = con.execute("select build_id from main.build_manifest limit 1").fetchall()
    finally:
        con.close()
    return rows[0][0] if rows else None


def snapshot_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new cursor on a connection from :func:`open_snapshot`, with the snapshot as the
    default catalog (a cursor starts on the in-memory catalog), for use from one thread."""
    cur = con.cursor()
    cur.execute(f"use {CATALOG}")
    return cur
