"""The reporting weeks a snapshot holds (``staging.weeks``), read from an open connection.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("create schema staging; create table staging.weeks as select * from "
...     "(values (date '2026-11-09', false), (date '2026-11-16', true)) t(week_start, is_partial)")
>>> last_complete_week(con)
datetime.date(2026, 11, 9)
"""

from __future__ import annotations

import datetime as dt

import duckdb


def last_complete_week(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The newest reporting week that had ended at build time (None without weeks)."""
    rows = con.execute("select max(week_start) from staging.weeks where not is_partial").fetchall()
    return rows[0][0] if rows else None
