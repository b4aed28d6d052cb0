"""The state store's SQLite file: its errors, a short-lived connection, transactions, WAL.

Every operation opens its own connection with a busy timeout; every write is one short
``BEGIN IMMEDIATE`` transaction (:func:`immediate`), so the app and the CLI may write at once.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "state.sqlite"
>>> with connect_state(path) as conn, immediate(conn):
...     _ = conn.execute("create table t (a text)")
...     insert_row(conn, "t", {"a": "x"})
1
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from outcomes.errors import OutcomesError

BUSY_TIMEOUT_SECONDS = 10.0
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # ISO 8601 UTC text, sorts as it reads


class StateError(OutcomesError):
    """Base class of state store errors."""


class StateSchemaError(StateError):
    """The file's schema cannot be used by this code (newer version, or not a state store)."""


class StateValidationError(StateError, ValueError):
    """An argument to a write was invalid (empty author, unknown kind, float money...)."""


@contextmanager
def connect_state(
    path: Path, *, check: Callable[[sqlite3.Connection, Path], None] | None = None
) -> Iterator[sqlite3.Connection]:
    """A connection to the file (closed on exit); ``check(conn, path)`` runs first if given."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise StateError(f"{path}: cannot open the state store: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # In WAL mode NORMAL never corrupts the file and survives an app crash; a power cut may
        # drop the last commits (row and audit entry together). FULL costs an fsync per note.
        conn.execute("pragma synchronous = normal")
        if check is not None:
            check(conn, path)
        yield conn
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise StateSchemaError(
                f"{path}: not a SQLite file; point state_path at a state store or a new file"
            ) from exc
        hint = _unavailable_hint(str(exc))
        if hint is not None:  # the machine, not the code: one clear message
            raise StateError(f"{path}: the state store cannot be written: {exc}; {hint}") from exc
        raise
    finally:
        conn.close()


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One transaction that holds the write lock from its start (rolled back on error)."""
    # IMMEDIATE takes the write lock up front, so a writer waits (busy_timeout) at BEGIN
    # instead of failing with SQLITE_BUSY when it upgrades from a read lock.
    conn.execute("begin immediate")
    try:
        yield
    except BaseException:
        # SQLite already rolled back after some failures (a full disk): rolling back again
        # would raise "no transaction is active" and hide the real error.
        if conn.in_transaction:
            conn.execute("rollback")
        raise
    conn.execute("commit")


def _unavailable_hint(message: str) -> str | None:
    """What to do when SQLite fails for a reason of the machine (full, locked, read-only)."""
    low = message.lower()
    if "full" in low:
        return "the disk is full; free space and try again"
    if "locked" in low or "busy" in low:
        return "another process holds it; try again in a moment"
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return "check the permissions of the file and its folder"
    return None


def enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Put the file in WAL mode (a property of the file: every later connection gets it)."""
    # Switching needs an exclusive lock and SQLite does not call the busy handler for it, so
    # when several processes open a new file at once we retry here until the busy timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            mode = conn.execute("pragma journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                mode = conn.execute("pragma journal_mode = wal").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    if str(mode).lower() != "wal":
        raise StateError(f"{path}: could not switch to WAL mode (journal_mode is {mode!r})")


def insert_row(conn: sqlite3.Connection, table: str, row: Mapping[str, object]) -> int:
    """Insert one row (column -> value) into ``table``; return its id."""
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cur = conn.execute(f"insert into {table} ({names}) values ({marks})", tuple(row.values()))
    assert cur.lastrowid is not None
    return int(cur.lastrowid)
