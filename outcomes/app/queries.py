"""The queries pages run: one file per query under ``sql/app/``, read and run by name.

Pages and views hold no SQL strings: a view asks for ``run(con, "data_load_ledger")`` and a
panel can always show the SQL that made it (``query_text(name)``), the way Datasette shows
every page's query. The files are plain DuckDB SQL over the snapshot, with ``?`` or ``$name``
parameters, and a leading ``--`` comment that states the grain.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("create table t as select 1 as x")
>>> "select" in query_text("snapshot_build_manifest").lower()
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from outcomes.config import BUNDLED_SQL_DIR
from outcomes.errors import OutcomesError

APP_SQL_DIR = BUNDLED_SQL_DIR / "app"


class UnknownQuery(OutcomesError, KeyError):
    """No ``sql/app/<name>.sql``."""

    def __str__(self) -> str:
        return str(self.args[0])


@functools.cache
def _read(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


_QUERY_NAME = re.compile(r"[a-z0-9_]+")


def query_text(name: str) -> str:
    """The SQL of ``sql/app/<name>.sql`` (re-read when the file changes). ``name`` is a file
    name without a folder: any other text (an absolute path, ``..``) is refused, so no caller
    can make the app run a SQL file from elsewhere."""
    if not isinstance(name, str) or not _QUERY_NAME.fullmatch(name):
        raise UnknownQuery(
            f"no app query {name!r}: an app query is named by its file under {APP_SQL_DIR} "
            "(lower-case letters, digits and underscores)"
        )
    path = APP_SQL_DIR / f"{name}.sql"
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise UnknownQuery(f"no app query {name!r}: expected the file {path}") from None
    return _read(path, mtime)


def run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run the app query ``name`` on its own cursor and return every row as a DataFrame."""
    cur = con.cursor()
    try:
        return cur.execute(query_text(name), params).df()
    finally:
        cur.close()


def rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Run the app query ``name`` and return its rows as tuples (fetched whole)."""
    cur = con.cursor()
    try:
        return cur.execute(query_text(name), params).fetchall()
    finally:
        cur.close()
