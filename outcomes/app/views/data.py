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

import duckdb
import pandas as pd

from outcomes.core.contracts import CONTRACTS

# The column that dates a row of each source, and whether a stale newest row is a problem
# (events keep coming; reference tables such as users or assumptions change rarely).
SOURCE_TIME: dict[str, tuple[str | None, bool]] = {
    "ai_events": ("occurred_at", True),
    "ai_features": (None, False),
    "feedback": ("labeled_at", True),
    "work_items": ("coalesce(closed_at, opened_at)", True),
    "users": ("eligible_from", False),
    "costs": ("period_end", False),
    "incidents": ("detected_at", False),
    "assumptions": ("effective_from", False),
}


def load_ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per load, newest first: file, table, rows in / accepted / quarantined /
    corrected, status, when, by whom."""
    return con.execute(
        """
        select
            load_id,
            table_name as "table",
            regexp_extract(source_file, '[^/]+$') as file,
            status,
            rows_in,
            rows_accepted,
            rows_quarantined,
            rows_corrected,
            finished_at as loaded_at,
            loaded_by,
            message,
            source_file
        from raw.loads
        order by started_at desc, load_id desc
        """
    ).df()


def quarantine_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows by table and rule, most first."""
    return con.execute(
        """
        select table_name as "table", rule, column_name as "column", count(*) as rows
        from raw.quarantine
        group by all
        order by rows desc, "table", rule
        """
    ).df()


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    table: str | None = None,
    rule: str | None = None,
    load_id: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Quarantined rows (filtered by table, rule, load; at most ``limit``) with the reason and
    every raw value as the file had it."""
    where, params = [], []
    for column, value in (("table_name", table), ("rule", rule), ("load_id", load_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    clause = ("where " + " and ".join(where)) if where else ""
    return con.execute(
        f"""
        select
            table_name as "table",
            regexp_extract(source_file, '[^/]+$') as file,
            row_number,
            column_name as "column",
            rule,
            reason,
            raw_values::varchar as raw_values,
            failures::varchar as failures,
            load_id
        from raw.quarantine
        {clause}
        order by load_id, row_number
        limit {int(limit)}
        """,
        params,
    ).df()


def source_freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source table: rows, last load, newest row time, hours from it to the build
    (``as_of``), and whether that is past ``freshness_hours`` (event sources only)."""
    as_of, limit = freshness_basis(con)
    last_loads = dict(
        con.execute(
            "select table_name, max(finished_at) from raw.loads where status = 'loaded' group by 1"
        ).fetchall()
    )
    rows = []
    for table in CONTRACTS:
        column, watched = SOURCE_TIME.get(table, (None, False))
        exists = con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'raw' and table_name = ?",
            [table],
        ).fetchall()[0][0]
        if not exists:
            continue
        select = f"max({column})::timestamp" if column else "null::timestamp"
        count, newest = con.execute(f"select count(*), {select} from raw.{table}").fetchall()[0]
        hours = (
            (as_of - pd.Timestamp(newest)).total_seconds() / 3600
            if as_of is not None and newest is not None
            else None
        )
        last_load = last_loads.get(table)
        rows.append(
            {
                "source": table,
                "rows": count,
                "last_load": last_load,
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
                    if column is None
                    else "reference data"
                ),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["source", "rows", "last_load", "newest_row", "hours_behind_build", "status"],
    )


def freshness_basis(con: duckdb.DuckDBPyConnection) -> tuple[pd.Timestamp | None, float]:
    """``(as_of, freshness_hours)`` of the build: what :func:`source_freshness` compares to."""
    settings = dict(con.execute("select key, value from main.build_settings").fetchall())
    as_of = pd.Timestamp(settings["as_of"]) if settings.get("as_of") else None
    return as_of, float(settings.get("freshness_hours", "48"))


def quarantine_filters(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Tables and rules present in the quarantine (for the page's filters)."""
    tables = [
        r[0]
        for r in con.execute("select distinct table_name from raw.quarantine order by 1").fetchall()
    ]
    rules = [
        r[0] for r in con.execute("select distinct rule from raw.quarantine order by 1").fetchall()
    ]
    return {"tables": tables, "rules": rules}
