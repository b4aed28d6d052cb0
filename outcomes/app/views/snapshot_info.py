"""Readers of the built snapshot for the app: plain functions of a read-only connection.

Every function takes a DuckDB connection on the snapshot as its first argument and returns
a DataFrame or plain values, so it can be tested without Streamlit and cached by
:func:`outcomes.app.streamlit_glue.load`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries

# the app queries of the build facts (sidebar, sign-off) and of a metric's latest value and series
QUERIES = ("snapshot_build_manifest", "snapshot_failures")
VALUE_QUERIES = ("snapshot_latest_values", "snapshot_metric_series")
NO_SNAPSHOT = (
    "No data yet. Run `make run` (generates the demo) or `outcomes ingest` then `outcomes build`."
)


def build_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The snapshot's build: id, status, times, and counts of failed objects and tests.

    >>> import duckdb; con = duckdb.connect()
    >>> build_info(con)["build_id"] is None
    True
    """
    try:
        rows = queries.rows(con, "snapshot_build_manifest")
    except duckdb.CatalogException:
        rows = []
    if not rows:
        return {
            "build_id": None,
            "status": None,
            "started_at": None,
            "finished_at": None,
            "failed_objects": 0,
            "failed_tests": 0,
        }
    build_id, status, started, finished = rows[0]
    failed_objects, failed_tests = queries.rows(con, "snapshot_failures")[0]
    return {
        "build_id": build_id,
        "status": status,
        "started_at": started,
        "finished_at": finished,
        "failed_objects": failed_objects,
        "failed_tests": failed_tests,
    }


def snapshot_age_hours(info: dict[str, Any], now: dt.datetime | None = None) -> float | None:
    """Hours since the build finished (UTC), or None before the first build.

    >>> snapshot_age_hours({"finished_at": dt.datetime(2026, 1, 1)}, now=dt.datetime(2026, 1, 2))
    24.0
    """
    finished = info.get("finished_at")
    if finished is None:
        return None
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return (now - finished).total_seconds() / 3600


def latest_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per metric: the newest complete week's all-dimensions value, with its build status."""
    return queries.run(con, "snapshot_latest_values")


def metric_series(
    con: duckdb.DuckDBPyConnection, metric: str, dimensions: str = "{}"
) -> pd.DataFrame:
    """The weekly series of one metric for one dimension set (``{}`` = all)."""
    return queries.run(con, "snapshot_metric_series", {"metric": metric, "dimensions": dimensions})
