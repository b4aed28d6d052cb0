"""Notes on charts: people's annotations (state store) and automatic model-version changes.

Every trend chart in the app draws the frame returned by :func:`chart_annotations` through
``outcomes.app.charts.trend_chart(..., annotations=...)``. Columns: week_start, text, kind, author,
metric (None = about the whole week).

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("create schema staging; create table staging.ai_events as select * from "
...     "(values (date '2026-01-05', 'v1'), (date '2026-01-12', 'v1'), (date '2026-02-02', 'v2')) "
...     "t(week_start, model_version)")
>>> version_change_annotations(con)[["week_start", "text"]].to_dict("records")
[{'week_start': datetime.date(2026, 1, 5), 'text': 'model v1 first seen'}, {'week_start': datetime.date(2026, 2, 2), 'text': 'model v2 first seen'}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.store.state import StateStore
from outcomes.store.state_annotations import Annotation

QUERIES = ("annotations_model_versions",)
COLUMNS = ["week_start", "text", "kind", "author", "metric", "created_at"]
SYSTEM_AUTHOR = "system (model_version in ai_events)"


def version_change_annotations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One note per model version, on the first week it appears in ``staging.ai_events``."""
    try:
        rows = queries.rows(con, "annotations_model_versions")
    except duckdb.CatalogException:
        rows = []
    records = [
        {
            "week_start": week if isinstance(week, dt.date) else pd.Timestamp(week).date(),
            "text": f"model {version} first seen",
            "kind": "model_version",
            "author": SYSTEM_AUTHOR,
            "metric": None,
            "created_at": None,
        }
        for week, version in rows
    ]
    return pd.DataFrame(records, columns=COLUMNS)


def notes_frame(notes: Iterable[Annotation]) -> pd.DataFrame:
    """State-store annotations as a frame with :data:`COLUMNS`."""
    records = [
        {
            "week_start": n.week_start,
            "text": n.text,
            "kind": n.kind.value,
            "author": n.author,
            "metric": n.metric,
            "created_at": n.created_at,
        }
        for n in notes
    ]
    return pd.DataFrame(records, columns=COLUMNS)


def chart_annotations(
    store: StateStore | None,
    versions: pd.DataFrame | None = None,
    metric: str | None = None,
) -> pd.DataFrame:
    """Notes to draw on a chart of ``metric``: its own and the general ones, plus versions.

    ``versions`` is :func:`version_change_annotations` (cache it per snapshot); the state
    store is read live, so a note shows up on the next rerun.
    """
    frames = []
    if store is not None:
        frames.append(notes_frame(store.annotations(metric=metric)))
    if versions is not None and len(versions):
        frames.append(versions)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("week_start", kind="stable").reset_index(drop=True)


def week_notes(
    store: StateStore | None, versions: pd.DataFrame | None, week: dt.date
) -> pd.DataFrame:
    """The notes of one week (people's and model-version changes), oldest first."""
    frames = []
    if store is not None:
        frames.append(notes_frame(store.annotations(start=week, end=week)))
    if versions is not None and len(versions):
        frames.append(versions[versions["week_start"] == week])
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)
