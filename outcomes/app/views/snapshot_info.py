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
from outcomes.core.formats import format_value

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


def latest_values(con: duckdb.DuckDBPyConnection, dimensions: str = "{}") -> pd.DataFrame:
    """Per metric: the newest complete week's value for ``dimensions`` (``{}`` = all; an AI
    system's total is ``{"system":"x"}``), with its build status."""
    return queries.run(con, "snapshot_latest_values", {"dimensions": dimensions})


def metric_series(
    con: duckdb.DuckDBPyConnection, metric: str, dimensions: str = "{}"
) -> pd.DataFrame:
    """The weekly series of one metric for one dimension set (``{}`` = all)."""
    return queries.run(con, "snapshot_metric_series", {"metric": metric, "dimensions": dimensions})


READABLE_COLUMNS = ["Metric", "Kind", "Week of", "Value", "Note", "Built"]


def readable_latest(latest: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """:func:`latest_values` for a person: the metric's title (not its id), kind, the week as
    a date, the value in the unit of its header, a note instead of a flag, and whether it
    built; a blank, never "None", where there is nothing.

    >>> latest = pd.DataFrame({"metric": ["acc"], "build_status": ["ok"], "error": [None],
    ...     "week_start": [pd.Timestamp("2026-01-05")], "value": [0.912], "flag": [None]})
    >>> catalog = pd.DataFrame({"name": ["acc"], "title": ["Accuracy"], "kind": ["model"],
    ...     "unit": ["ratio"]})
    >>> readable_latest(latest, catalog).iloc[0].tolist()
    ['Accuracy', 'Model', '5 Jan 2026', '91.2%', '', 'yes']
    """
    info = catalog.set_index("name") if len(catalog) else pd.DataFrame()
    records = []
    for row in latest.itertuples():
        meta = info.loc[row.metric] if row.metric in info.index else None
        unit = meta["unit"] if meta is not None and isinstance(meta["unit"], str) else None
        week = None if row.week_start is None or pd.isna(row.week_start) else row.week_start
        flag = row.flag if isinstance(row.flag, str) else ""
        records.append(
            {
                "Metric": meta["title"] if meta is not None else row.metric,
                "Kind": str(meta["kind"]).capitalize() if meta is not None else "",
                "Week of": "" if week is None else f"{pd.Timestamp(week):%-d %b %Y}",
                "Value": format_value(row.value, unit) if week is not None else "no value",
                "Note": flag.replace("_", " "),
                "Built": "yes" if row.build_status == "ok" else "failed",
            }
        )
    return pd.DataFrame(records, columns=READABLE_COLUMNS)
