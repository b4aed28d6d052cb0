"""The Spark engine of ``outcomes build --engine spark`` (issue 17).

The raw tables are exported from the snapshot being built (a copy of the raw store) as Parquet
(:mod:`~outcomes.build.spark.raw_export`); every staging, metric and ROI definition runs on
Spark as the portability layer (:mod:`outcomes.core.portable`) writes it
(:mod:`~outcomes.build.spark.spark_materialise`), and its rows come back into the same DuckDB
snapshot the app reads, typed as DuckDB types them. Tests, ledger and manifest stay on DuckDB.
"""
