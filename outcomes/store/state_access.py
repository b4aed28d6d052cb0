"""How the state store reads and writes its file: one connection per operation.

:class:`StateAccess` is the base of :class:`~outcomes.store.state.StateStore`; each record
kind (annotations, alerts, sign-offs, ...) adds its methods on top of ``_read``, ``_write``
and ``_select``. Opening migrates the file forward.

>>> import tempfile
>>> from outcomes.store.state_schema import LATEST_VERSION
>>> access = StateAccess(Path(tempfile.mkdtemp()) / "state.sqlite")
>>> access.schema_version() == LATEST_VERSION
True
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from outcomes.store.state_file import (
    TIMESTAMP_FORMAT,
    StateValidationError,
    connect_state,
    immediate,
)
from outcomes.store.state_schema import apply_migrations, check_not_newer, user_version
from outcomes.store.state_values import parse_date, parse_timestamp

R = TypeVar("R")

# How stored text becomes a record's value, by column name (others are taken as they are).
STORED_TYPES: dict[str, Callable[[Any], Any]] = {
    "week_start": parse_date,
    "effective_from": parse_date,
    "created_at": parse_timestamp,
    "at": parse_timestamp,
}


class StateAccess:
    """The file at ``path`` (migrated on opening) and the clock that stamps writes.

    Every method opens its own connection, so one instance may be shared by threads and
    several processes may write the same file.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if str(path) == ":memory:":
            raise StateValidationError(
                "the state store needs a file (each operation opens its own connection); "
                "use a temporary file instead of ':memory:'"
            )
        self.path = Path(path)
        self._now = now or (lambda: datetime.now(UTC))
        apply_migrations(self.path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        with self._read() as conn:
            return user_version(conn)

    def applied_migrations(self) -> list[tuple[int, str, str]]:
        """``(version, applied_at, description)`` of every migration applied to the file."""
        with self._read() as conn:
            rows = conn.execute(
                "select version, applied_at, description from schema_migrations order by version"
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def _stamp(self) -> str:
        now = self._now()
        if now.tzinfo is None:
            raise StateValidationError("now() returned a naive datetime; give it a time zone")
        return now.astimezone(UTC).strftime(TIMESTAMP_FORMAT)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with connect_state(self.path, check=check_not_newer) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, str]]:
        with connect_state(self.path, check=check_not_newer) as conn, immediate(conn):
            # Stamped once the write lock is held, so `at` order follows id order.
            yield conn, self._stamp()

    def _select(
        self, table: str, where: Sequence[str], args: Sequence[object], order: str
    ) -> list[Any]:
        sql = f"select * from {table}"
        if where:
            sql += " where " + " and ".join(where)
        with self._read() as conn:
            return conn.execute(f"{sql} order by {order}", args).fetchall()

    def _fetch(
        self,
        record: type[R],
        table: str,
        where: Sequence[str],
        args: Sequence[object],
        order: str,
        **convert: Callable[[Any], Any],
    ) -> list[R]:
        """The selected rows as ``record`` instances (one field per column of that name);
        a value passes through ``convert[column]`` or :data:`STORED_TYPES` first."""
        conversions = {**STORED_TYPES, **convert}
        names = [f.name for f in dataclasses.fields(record)]  # type: ignore[arg-type]
        return [
            record(**{n: conversions.get(n, _as_stored)(r[n]) for n in names})
            for r in self._select(table, where, args, order)
        ]


def _as_stored(value: Any) -> Any:
    return value
