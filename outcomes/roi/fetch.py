"""Queries the ROI modules run on a snapshot, each on its own cursor (closed after).

A cursor per query lets threads share one connection. The app passes a connection whose
cursors keep the snapshot's catalog (``outcomes.app.views.roi.catalog_safe``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd


def fetch_rows(
    con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object] | None = None
) -> list[Any]:
    """Every row of ``sql`` with ``args``, as tuples.

    >>> fetch_rows(duckdb.connect(), "select ? + 1", [41])
    [(42,)]
    """
    cur = con.cursor()
    try:
        return cur.execute(sql, list(args or [])).fetchall()
    finally:
        cur.close()


def fetch_frame(
    con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object] | None = None
) -> pd.DataFrame:
    """The rows of ``sql`` as a DataFrame; empty when the snapshot lacks a table it reads.

    >>> len(fetch_frame(duckdb.connect(), "select * from no_such_table"))
    0
    """
    cur = con.cursor()
    try:
        return cur.execute(sql, list(args or [])).df()
    except duckdb.CatalogException:
        return pd.DataFrame()
    finally:
        cur.close()


def fetch_records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql`` as dicts; ``[]`` when the snapshot lacks a table or column it reads.

    For the optional parts of a snapshot (an older build has fewer tables). Run on ``con``
    itself, as :func:`outcomes.roi.ledger.read_ledger` is, not on a new cursor.

    >>> fetch_records(duckdb.connect(), "select 1 as one"), fetch_records(duckdb.connect(), "select * from nothing")
    ([{'one': 1}], [])
    """
    try:
        result = con.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    except (duckdb.CatalogException, duckdb.BinderException):
        return []  # an optional part the snapshot does not have
