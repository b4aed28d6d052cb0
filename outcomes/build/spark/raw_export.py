"""The raw tables as Parquet, for Spark: exported from the snapshot being built (a byte copy
of the raw store, so a consistent set of whole loads), one file per table.

Spark reads Parquet wherever it runs; on a cluster, ``directory`` must be storage the cluster
sees (the ``spark.raw_dir`` setting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from outcomes.core.quoting import quote_ident, quote_literal


def export_raw(con: duckdb.DuckDBPyConnection, directory: Path) -> dict[str, Path]:
    """Write every table of schema ``raw`` to ``directory/<table>.parquet``; table -> file."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for (table,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw' order by 1"
    ).fetchall():
        path = directory / f"{table}.parquet"
        con.execute(f"copy raw.{quote_ident(table)} to {quote_literal(str(path))} (format parquet)")
        files[table] = path
    return files


def register_raw(spark: Any, files: dict[str, Path]) -> None:
    """Each exported file as the temporary view ``raw__<table>``."""
    for table, path in files.items():
        spark.read.parquet(str(path)).createOrReplaceTempView(f"raw__{table}")
