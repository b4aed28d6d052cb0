"""The Spark session a build runs on: a master (``local[2]``, ``spark://...``) or a Spark
Connect server (``sc://host:15002``), set by ``settings.spark.master``.

Session settings make Spark compute as DuckDB does: UTC session time zone, no ANSI mode
(overflow and division by zero give null, as the definitions expect), and no precision loss in
decimal products (Spark otherwise cuts their scale: 480.0 became 479.9988).
"""

from __future__ import annotations

import os
import sys
from typing import Any

SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    # grouping on a struct of dimensions needs its fields kept in order
    "spark.sql.legacy.allowHashOnMapType": "false",
}


def spark_session(master: str, app_name: str = "outcomes-build") -> Any:
    """A (shared) Spark session on ``master``; ``sc://`` URLs go through Spark Connect."""
    from pyspark.sql import SparkSession

    # the Python UDF workers run this interpreter (scipy, numpy, pyarrow installed)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master.startswith("sc://"):
        builder = builder.remote(master)
    else:
        builder = (
            builder.master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        )
    spark = builder.getOrCreate()
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    register_udfs(spark)
    return spark


def register_udfs(spark: Any) -> None:
    """``ks_pvalue`` and ``chi2_sf``: the same numpy/scipy code DuckDB's connection runs."""
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql.functions import pandas_udf

    from outcomes.store.sqlfunctions import _chi2_sf, _ks_pvalue

    def ks_pvalue(d: pd.Series, n: pd.Series, m: pd.Series) -> pd.Series:
        arrays = (pa.array(s.astype("float64"), from_pandas=True) for s in (d, n, m))
        return pd.Series(_ks_pvalue(*arrays).to_numpy(zero_copy_only=False), dtype="float64")

    def chi2_sf(x: pd.Series, df: pd.Series) -> pd.Series:
        arrays = (pa.array(s.astype("float64"), from_pandas=True) for s in (x, df))
        return pd.Series(_chi2_sf(*arrays).to_numpy(zero_copy_only=False), dtype="float64")

    # pandas_udf reads the type hints, which `from __future__ import annotations` left as text
    for func in (ks_pvalue, chi2_sf):
        func.__annotations__ = {k: pd.Series for k in func.__annotations__}
    spark.udf.register("ks_pvalue", pandas_udf(ks_pvalue, "double"))  # type: ignore[call-overload]
    spark.udf.register("chi2_sf", pandas_udf(chi2_sf, "double"))  # type: ignore[call-overload]
