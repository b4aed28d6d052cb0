"""The full build's walk over the definitions, run on Spark: each definition's SQL goes through
the portability layer, runs on Spark (its rows checkpointed and kept as the temporary view
``<schema>__<name>`` its dependents read), and comes back into the DuckDB snapshot, each column
cast to the type DuckDB gives the same SQL (``DESCRIBE``, which binds but does not run it).
Rows travel as Parquet files in the build's temporary folder (``spark.raw_dir`` on a cluster),
never through the driver's memory.

A failure is ``failed`` and skips its dependents, as in :mod:`outcomes.build.materialise`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from outcomes.build.materialise import materialise_all, store_rows
from outcomes.build.objects import ObjectResult
from outcomes.build.spark.raw_export import export_raw, register_raw
from outcomes.build.spark.session import spark_session
from outcomes.config import Settings
from outcomes.core.definition import SqlDefinition
from outcomes.core.portable.spark_sql import to_spark
from outcomes.core.progress import Progress
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.core.registry import Registry
from outcomes.store.segments import segments_root


def build_settings_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """``main.build_settings`` of the snapshot being built (what ``setting(key)`` reads)."""
    return dict(con.execute("select key, value from main.build_settings").fetchall())


def run_on_spark(spark: Any, spark_sql: str, directory: Path) -> tuple[Any, Path]:
    """Run ``spark_sql`` once, its rows written as Parquet under ``directory`` (columns
    ``c0..cn``: Parquet refuses some of Spark's expression names); returns the rows read back
    (under their own names: dependents read them, not the SQL again) and the folder. Rows go
    through files, not the driver: a staging table of 12M rows does not fit a driver's memory."""
    frame = spark.sql(spark_sql)
    names = frame.columns
    frame.toDF(*[f"c{i}" for i in range(len(names))]).write.mode("overwrite").parquet(
        str(directory)
    )
    return spark.read.parquet(str(directory)).toDF(*names), directory


def write_rows(
    con: duckdb.DuckDBPyConnection, d: SqlDefinition, directory: Path, target: str
) -> None:
    """Create ``target`` in DuckDB from Spark's Parquet files, typed as DuckDB types ``d``'s
    SQL (``DESCRIBE`` binds it without running it)."""
    described = con.execute(f"describe {d.body_sql}").fetchall()
    files = quote_literal(str(directory / "*.parquet"))
    found = len(con.execute(f"describe select * from read_parquet({files})").fetchall())
    if found != len(described):
        raise duckdb.Error(f"Spark returned {found} columns, DuckDB's SQL has {len(described)}")
    select = ", ".join(
        f"c{i}::{column_type} as {quote_ident(name)}"
        for i, (name, column_type, *_) in enumerate(described)
    )
    con.execute(f"create table {target} as select {select} from read_parquet({files})")


def materialise_on_spark(
    con: duckdb.DuckDBPyConnection,
    spark: Any,
    d: SqlDefinition,
    settings: dict[str, str],
    directory: Path,
) -> int:
    """Run ``d`` on Spark and write its object into the snapshot; returns its row count."""
    frame, files = run_on_spark(spark, to_spark(d.body_sql, settings), directory / d.qualified)
    frame.createOrReplaceTempView(f"{d.schema}__{d.name}")
    return store_rows(con, d, lambda table: write_rows(con, d, files, table))


def materialise_all_on_spark(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    order: list[str],
    say: Progress,
    settings: Settings,
    before: Callable[[SqlDefinition], object] | None = None,
) -> list[ObjectResult]:
    """Every object of ``order`` built on Spark (``settings.spark``); see the module docstring.

    ``before(item)`` runs in DuckDB before each object (the CBPE calibration fit); the ``main``
    tables an object reads (``main.calibration``) then go to Spark as ``main__<name>``."""
    started_session = time.perf_counter()
    spark = spark_session(settings.spark.master)
    say(
        f"spark: session on {settings.spark.master} ({time.perf_counter() - started_session:.1f} s)"
    )
    values = build_settings_of(con)
    with tempfile.TemporaryDirectory(
        prefix="outcomes-spark-",
        dir=str(settings.spark.raw_dir) if settings.spark.raw_dir else None,
    ) as directory:
        register_raw(spark, export_raw(con, Path(directory) / "raw", segments_root(settings)))
        return _walk(con, spark, registry, order, say, values, Path(directory) / "built", before)


def _walk(
    con: duckdb.DuckDBPyConnection,
    spark: Any,
    registry: Registry,
    order: list[str],
    say: Progress,
    values: dict[str, str],
    directory: Path,
    before: Callable[[SqlDefinition], object] | None = None,
) -> list[ObjectResult]:
    from pyspark.errors import PySparkException

    def create(item: SqlDefinition) -> int:
        if before is not None:
            before(item)
        for table in sorted(r for r in item.reads if r.startswith("main.")):
            if table != "main.build_settings":  # settings are inlined as literals
                _register_main(con, spark, table, directory / f"{table}.parquet")
        return materialise_on_spark(con, spark, item, values, directory)

    return materialise_all(
        con,
        registry,
        order,
        say,
        create=create,
        failures=(duckdb.Error, PySparkException, ValueError),
        engine="spark",
    )


def _register_main(con: duckdb.DuckDBPyConnection, spark: Any, table: str, file: Path) -> None:
    """``main.<name>`` of the snapshot as Spark's temporary view ``main__<name>`` (via Parquet)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    schema, name = table.split(".", 1)
    con.execute(f"copy {schema}.{quote_ident(name)} to {quote_literal(str(file))} (format parquet)")
    spark.read.parquet(str(file)).createOrReplaceTempView(f"{schema}__{name}")
