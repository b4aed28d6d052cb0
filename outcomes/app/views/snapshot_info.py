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
    return con.execute(
        """
        with complete as (
            select max(week_start) as week_start from staging.weeks where not is_partial
        )
        select
            o.name as metric,
            o.status as build_status,
            o.error,
            v.week_start,
            v.value,
            v.flag
        from main.build_objects as o
        left join main.metric_values as v
            on v.metric = o.name
            and v.dimensions = '{}'
            and v.week_start = (select week_start from complete)
        where o.kind = 'metric'
        order by o.name
        """
    ).df()


def metric_series(
    con: duckdb.DuckDBPyConnection, metric: str, dimensions: str = "{}"
) -> pd.DataFrame:
    """The weekly series of one metric for one dimension set (``{}`` = all)."""
    return con.execute(
        "select week_start, value, numerator, denominator, flag from main.metric_values "
        "where metric = ? and dimensions = ? order by week_start",
        [metric, dimensions],
    ).df()
