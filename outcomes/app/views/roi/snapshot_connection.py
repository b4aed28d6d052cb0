"""A connection whose cursors stay on the snapshot's catalog, for the ROI modules.

``outcomes.app.streamlit_glue`` hands out cursors on an in-memory DuckDB with the snapshot
attached as ``warehouse``; a plain ``.cursor()`` of those starts on the in-memory catalog, where
``main.roi_ledger`` does not exist. The ROI modules query through ``con.cursor()``, so the view
passes them :func:`catalog_safe` of its connection.

>>> import duckdb
>>> con = catalog_safe(duckdb.connect())
>>> catalog_safe(con) is con
True
"""

from __future__ import annotations

from typing import Any

import duckdb


class _SnapshotConnection:
    """A connection whose ``cursor()`` keeps the caller's default catalog."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._catalog = con.execute("select current_database()").fetchall()[0][0]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        cur.execute(f'use "{self._catalog}"')
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def catalog_safe(con: Any) -> Any:
    """``con`` wrapped so that its cursors see the same default catalog (see the module doc)."""
    return con if isinstance(con, _SnapshotConnection) else _SnapshotConnection(con)
