"""Run staging and metric SQL files over small hand-made raw tables (golden tests).

The harness does what the build does for SQL, without the raw store: raw tables come from
pandas DataFrames (missing tables are created empty from the contracts), then the macros,
every staging view, and the metric files asked for, each as ``metrics.<name>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.config import Settings
from outcomes.core.blueprints import metric_file
from outcomes.core.contracts import CONTRACTS
from outcomes.store.segments import SEGMENTED
from outcomes.store.sqlfunctions import install

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
STAGING_ORDER = (
    "ai_events",
    "ai_features",
    "feature_value_counts",
    "feedback",
    "work_items",
    "users",
    "costs",
    "cost_weeks",
    "incidents",
    "assumptions",
    "systems",
    "weeks",
    "load_rows",
)


def raw_frame(table: str, rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """A DataFrame with exactly the contract's columns of ``table`` (missing ones null)."""
    columns = [c.name for c in CONTRACTS[table].columns]
    return pd.DataFrame(list(rows), columns=columns)


def run_sql(
    raw: Mapping[str, pd.DataFrame | Iterable[Mapping[str, object]]],
    metric_files: Iterable[str | Path] = (),
    *,
    settings: Settings | None = None,
    as_of: str = "2026-06-01 00:00:00",
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Build an in-memory warehouse from ``raw`` rows and run ``metric_files`` on it.

    ``metric_files`` are paths, or names under ``sql/metrics``. ``extra_tables`` maps
    ``schema.table`` to a DataFrame for inputs that are not raw tables.
    """
    settings = settings or Settings()
    con = duckdb.connect()
    con.execute(
        "create schema raw; create schema staging; create schema metrics; create schema roi"
    )
    con.execute(
        "create table raw.loads (load_id varchar, table_name varchar, started_at timestamp, "
        "rows_corrected bigint default 1)"
    )
    for table, contract in CONTRACTS.items():
        given = raw.get(table, [])
        frame = given if isinstance(given, pd.DataFrame) else raw_frame(table, given)
        columns = ", ".join(
            f"try_cast(src.{c.name} as {c.type}) as {c.name}"
            if c.name in frame.columns
            else f"null::{c.type} as {c.name}"
            for c in contract.columns
        )
        con.register("src", frame)
        # _correction null: as in a load file written before ingest flagged corrections, so
        # staging ranks every key of the load (the fixture's rows may repeat a key)
        correction = ", null::boolean as _correction" if table in SEGMENTED else ""
        con.execute(
            f"create table raw.{table} as select {columns}, 'L1' as _load_id, "
            f"row_number() over () as _row_number{correction} from src"
        )
        con.unregister("src")
    con.execute(
        # rows_corrected > 0: the fixture's rows may repeat a key, so staging ranks them all
        "insert into raw.loads select 'L1', null, timestamp '2026-01-01 00:00:00', 1"
    )
    for name, frame in (extra_tables or {}).items():
        con.register("src", frame)
        con.execute(f"create table {name} as select * from src")
        con.unregister("src")
    install(con, settings, as_of=as_of)
    for name in STAGING_ORDER:
        sql = (SQL_DIR / "staging" / f"{name}.sql").read_text()
        con.execute(f"create view staging.{name} as {sql}")
    for item in metric_files:
        if str(item).endswith(".sql"):
            name, sql = Path(item).stem, Path(item).read_text()
        else:  # a metric's own file, or its text as its family file's blueprints make it
            name, sql = str(item), metric_text(str(item))
        con.execute(f"create table metrics.{name} as {sql}")
    return con


def metric_text(name: str) -> str:
    """The SQL text of metric ``name`` under sql/metrics (outcomes.core.blueprints.metric_file)."""
    found = metric_file(SQL_DIR / "metrics", name)
    assert found is not None, f"no metric {name!r} under {SQL_DIR / 'metrics'}"
    return found.text


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """All rows of ``sql`` (fetched fully: DuckDB 2.0 keeps an unfinished result open)."""
    return con.execute(sql).fetchall()
