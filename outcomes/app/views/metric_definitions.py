"""The metrics of the snapshot with their header fields and build result, and the unowned ones.

Read from ``main.metric_definitions`` when the build wrote it, otherwise from the headers of
the files the build recorded in ``main.build_objects``: the weekly review and model health
show the definitions the figures were built with, not the files as they are now (the metric
catalog, :mod:`outcomes.app.views.catalog`, reads the files).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.snapshot_cells import has_table
from outcomes.core.header_defaults import parse_file_header
from outcomes.core.headers import HeaderError, MetricHeader

# the app queries behind these definitions ("show the SQL")
QUERIES = ("review_metric_definitions", "review_metric_builds")
# the header fields every metric listing starts with
HEADER_COLUMNS = ["name", "title", "kind", "unit", "direction", "owner", "thresholds"]
CATALOG_COLUMNS = [*HEADER_COLUMNS, "description", "dimensions"]


def metric_catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per metric of the snapshot: name, title, kind, unit, direction, owner,
    thresholds (dict or None), description, dimensions (list), build_status, error.

    Reads ``main.metric_definitions`` when the build wrote it; otherwise the headers of the
    files the build recorded in ``main.build_objects``.
    """
    if has_table(con, "main", "metric_definitions"):
        frame = queries.run(con, "review_metric_definitions")
        frame["thresholds"] = [_thresholds(t) for t in frame["thresholds"]]
        frame["dimensions"] = [_dimension_list(d) for d in frame["dimensions"]]
    else:
        frame = _catalog_from_files(con)
    objects = queries.run(con, "review_metric_builds")
    frame = frame.merge(objects, on="name", how="outer")
    frame["title"] = frame["title"].fillna(frame["name"])
    frame["kind"] = frame["kind"].fillna("model")
    frame["build_status"] = frame["build_status"].fillna("ok")
    frame["owner"] = frame["owner"].where(frame["owner"].notna(), None)
    return frame.sort_values("name").reset_index(drop=True)


def _thresholds(value: Any) -> dict[str, Any] | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Mapping):
        return dict(value) or None
    parsed = json.loads(value) if isinstance(value, str) else None
    return parsed or None


def _dimension_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [v.strip() for v in value.strip("[]").split(",") if v.strip()]
    return [str(v) for v in value]


def _catalog_from_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    records = []
    for name, path in queries.rows(con, "review_metric_files"):
        try:
            # the folder's defaults (owner by kind) apply, as in the build
            header = parse_file_header(Path(path), "metrics", name).header
        except (OSError, HeaderError, TypeError):
            records.append({"name": name})
            continue
        assert isinstance(header, MetricHeader)  # the model parse_header uses for "metrics"
        t = getattr(header, "thresholds", None)
        records.append(
            {
                "name": name,
                "title": header.title,
                "kind": str(header.kind),
                "unit": str(header.unit),
                "direction": str(header.direction),
                "owner": header.owner,
                "thresholds": None
                if t is None
                else {"warn": t.warn, "alert": t.alert, "mode": str(t.mode)},
                "description": header.description,
                "dimensions": list(header.dimensions),
            }
        )
    return pd.DataFrame(records, columns=CATALOG_COLUMNS)


def unowned_metrics(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the metrics whose header names no owner."""
    catalog = metric_catalog(con)
    mask = catalog["owner"].isna() | (catalog["owner"].astype(str).str.strip() == "")
    return catalog.loc[mask, "name"].tolist()
