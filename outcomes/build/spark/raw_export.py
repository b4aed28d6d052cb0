"""The raw tables as Parquet, for Spark, from the snapshot being built (a byte copy of the raw
store, so a consistent set of whole loads): the large tables' load files as they are, each
other table exported to one file.

Spark reads Parquet wherever it runs; on a cluster, ``directory`` must be storage the cluster
sees (the ``spark.raw_dir`` setting).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.store.segments import SEGMENT_META_COLUMNS, SEGMENTED

_SPARK_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "BOOLEAN": "boolean"}


def export_raw(
    con: duckdb.DuckDBPyConnection, directory: Path, root: Path
) -> dict[str, list[Path]]:
    """The Parquet files of every table of schema ``raw`` in ``directory``: a large table's load
    files as they are, linked (or copied) to ``directory/<table>/`` (the very files the snapshot
    names, :mod:`outcomes.store.segments`), every other table written to
    ``directory/<table>.parquet``; table -> files."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for table, path in con.execute(
        "select table_name, path from raw.load_files order by table_name, path"
    ).fetchall():
        # into ``directory`` (the storage the cluster sees): a hard link where it can be one
        source = root / path  # the ledger's path is under the raw store's .segments folder
        target = directory / table / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        files.setdefault(table, []).append(target)
    for (table,) in con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'raw' union select view_name from duckdb_views() "
        "where database_name = current_database() and schema_name = 'raw' order by 1"
    ).fetchall():
        if table in files:
            continue
        path = directory / f"{table}.parquet"  # a small table, or a large one with no rows yet
        con.execute(f"copy raw.{quote_ident(table)} to {quote_literal(str(path))} (format parquet)")
        files[table] = [path]
    return files


def register_raw(spark: Any, files: dict[str, list[Path]]) -> None:
    """Each table's files as the temporary view ``raw__<table>`` (columns a file written before
    a contract gained them are null there)."""
    for table, paths in files.items():
        frame = spark.read.option("mergeSchema", "true").parquet(*(str(p) for p in paths))
        if table in SEGMENTED:  # files written before a bookkeeping column existed lack it
            for name, kind in SEGMENT_META_COLUMNS:
                if name not in frame.columns:
                    frame = frame.selectExpr("*", f"cast(null as {_SPARK_TYPES[kind]}) as {name}")
        frame.createOrReplaceTempView(f"raw__{table}")
