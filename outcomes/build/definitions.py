"""``main.metric_definitions``: every definition's header and SQL, stored in the snapshot.

The app reads definitions from the snapshot it shows, so a page never mixes the headers of
one build with the figures of another.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from outcomes.core.registry import Registry

COLUMNS = [
    "name",
    "schema",
    "title",
    "kind",
    "unit",
    "direction",
    "owner",
    "thresholds",
    "description",
    "grain",
    "dimensions",
    "tests",
    "reads",
    "sql",
    "sha256",
    "path",
]


def definitions_frame(registry: Registry) -> pd.DataFrame:
    """One row per valid definition (staging, metrics, roi), headers flattened."""
    rows = []
    for d in registry.topological():
        h = d.header
        thresholds = getattr(h, "thresholds", None)
        rows.append(
            {
                "name": d.name,
                "schema": d.schema,
                "title": getattr(h, "title", None) or d.name,
                "kind": str(h.kind),
                "unit": str(getattr(h, "unit", "") or "") or None,
                "direction": str(getattr(h, "direction", "") or "") or None,
                "owner": h.owner,
                "thresholds": json.dumps(thresholds.model_dump(mode="json"), sort_keys=True)
                if thresholds
                else None,
                "description": " ".join(h.description.split()),
                "grain": h.grain,
                "dimensions": json.dumps(list(getattr(h, "dimensions", ()))),
                "tests": json.dumps([t.text for t in h.tests]),
                "reads": json.dumps(sorted(d.reads)),
                "sql": d.sql,
                "sha256": d.sha256,
                "path": str(d.path),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_definitions(con: duckdb.DuckDBPyConnection, registry: Registry) -> int:
    """Create ``main.metric_definitions`` in the snapshot being built; returns its rows."""
    frame = definitions_frame(registry)
    con.register("definitions_frame", frame)
    try:
        con.execute(
            "create or replace table main.metric_definitions as "
            "select * from definitions_frame order by schema, name"
        )
    finally:
        con.unregister("definitions_frame")
    return len(frame)
