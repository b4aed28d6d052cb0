"""What was loaded, what was refused, and how fresh each source is, as the snapshot holds it.

The snapshot carries a copy of ``raw.loads`` and ``raw.quarantine`` (docs/DECISIONS.md 2), so
the data page reads them from the same build as every figure; loads after the last build
appear after the next one. Every function takes a connection on the snapshot.

>>> import duckdb
>>> con = duckdb.connect()
>>> from outcomes.store.raw import ensure_schema
>>> ensure_schema(con)
>>> len(load_ledger(con)), len(quarantine_rows(con))
(0, 0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.core.contracts import CONTRACTS, contract_markdown

# the app queries behind each tab of the data page ("show the SQL")
LOAD_QUERIES = ("data_load_ledger",)
QUARANTINE_QUERIES = ("data_quarantine_summary", "data_quarantine_filters", "data_quarantine_rows")
FRESHNESS_QUERIES = ("data_source_freshness", "data_last_loads", "snapshot_build_settings")
FRESHNESS_COLUMNS = ["source", "rows", "last_load", "newest_row", "hours_behind_build", "status"]


def load_ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per load, newest first: file, table, rows in / accepted / quarantined /
    corrected, status, when, by whom."""
    return queries.run(con, "data_load_ledger")


def quarantine_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows by table and rule, most first."""
    return queries.run(con, "data_quarantine_summary")


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    table: str | None = None,
    rule: str | None = None,
    load_id: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Quarantined rows (filtered by table, rule, load; at most ``limit``) with the reason and
    every raw value as the file had it."""
    params = {
        "table": table or None,
        "rule": rule or None,
        "load_id": load_id or None,
        "limit": int(limit),
    }
    return queries.run(con, "data_quarantine_rows", params)


def source_freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source table: rows, last load, newest row time, hours from it to the build
    (``as_of``), and whether that is past ``freshness_hours`` (event sources only)."""
    as_of, limit = freshness_basis(con)
    last_loads = dict(queries.rows(con, "data_last_loads"))
    rows = []
    for _, source, watched, dated, count, newest in queries.rows(con, "data_source_freshness"):
        hours = (
            (as_of - pd.Timestamp(newest)).total_seconds() / 3600
            if as_of is not None and newest is not None
            else None
        )
        rows.append(
            {
                "source": source,
                "rows": count,
                "last_load": last_loads.get(source),
                "newest_row": newest,
                "hours_behind_build": round(hours, 1) if hours is not None else None,
                "status": (
                    "no rows"
                    if not count
                    else "stale"
                    if watched and hours is not None and hours > limit
                    else "fresh"
                    if watched
                    else "not dated"
                    if not dated
                    else "reference data"
                ),
            }
        )
    return pd.DataFrame(rows, columns=FRESHNESS_COLUMNS)


def freshness_basis(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp | None, float]:
    """``(as_of, freshness_hours)`` of the build: what :func:`source_freshness` compares to."""
    settings = dict(queries.rows(con, "snapshot_build_settings"))
    as_of = pd.Timestamp(settings["as_of"]) if settings.get("as_of") else None
    return as_of, float(settings.get("freshness_hours", "48"))


def quarantine_filters(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Tables and rules present in the quarantine (for the page's filters)."""
    found: dict[str, list[str]] = {"table": [], "rule": []}
    for kind, value in queries.rows(con, "data_quarantine_filters"):
        found[kind].append(value)
    return {"tables": found["table"], "rules": found["rule"]}


def row_values(row: Mapping[str, Any]) -> tuple[Any, Any]:
    """A quarantined row's raw values (as in the file) and every failure, parsed from JSON.

    >>> row_values({"raw_values": '{"a": "x"}', "failures": '[{"rule": "required"}]'})
    ({'a': 'x'}, [{'rule': 'required'}])
    """
    return json.loads(row["raw_values"]), json.loads(row["failures"])


def contracts() -> list[tuple[str, str]]:
    """Every raw table's contract as ``(table, Markdown)``, by table name.

    >>> contracts()[0][0]
    'ai_events'
    """
    return [(name, contract_markdown(name)) for name in sorted(CONTRACTS)]
