"""The temporary tables of one file's load, by name, and dropping them afterwards.

``SOURCE_VIEW``: ``_rn`` (1-based row number), ``s<i>`` (source text) or ``n<i>`` (native
Parquet value) per source column; ``SOURCE_TABLE``: a CSV or JSON file materialised in file
order (``rowid`` = row - 1); ``TYPED_TABLE``: ``_rn``, kept ``s<i>``, typed contract columns,
``_bad`` (fails a rule), ``_h`` (row hash); ``FLAGS_TABLE``: ``_rn`` of duplicate-key,
duplicate-row and correction rows.

>>> source_value("event_id")
'"v:event_id"'
"""

from __future__ import annotations

import duckdb

from outcomes.core.quoting import quote_ident

SOURCE_VIEW = "_ingest_src"
SOURCE_TABLE = "_ingest_src0"
TYPED_TABLE = "_ingest_t"
FLAGS_TABLE = "_ingest_flags"


def source_value(name: str) -> str:
    """Column holding the trimmed source value of contract column `name` (null when blank)."""
    return quote_ident(f"v:{name}")


def drop_scratch_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every temporary table of a file's load (those that exist)."""
    for name, kind in (
        (SOURCE_VIEW, "view"),
        (TYPED_TABLE, "table"),
        (FLAGS_TABLE, "table"),
        (SOURCE_TABLE, "table"),
    ):
        con.execute(f"drop {kind} if exists {name}")
