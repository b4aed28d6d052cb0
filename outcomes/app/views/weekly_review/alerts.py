"""The alerts of the review: every warn / alert of the snapshot, one week's worst first with
who acknowledged them, and how an absolute-mode value grades.

>>> grade(0.3, {"warn": 0.1, "alert": 0.25}, "lower_is_better")
'alert'
>>> grade(0.9, {"warn": 0.85, "alert": 0.8}, "higher_is_better") is None
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.metric_definitions import metric_catalog
from outcomes.app.views.snapshot_cells import as_date, dims, dims_label, has_table
from outcomes.app.views.state_columns import with_latest
from outcomes.core.thresholds import THRESHOLD_COLUMNS, evaluate_thresholds
from outcomes.store.state_alerts import Acknowledgement, alert_key

QUERIES = ("review_alerts", "review_metric_definitions")
LEVEL_RANK = {"alert": 2, "warn": 1}
WEEK_ALERT_COLUMNS = [
    "alert_key",
    "level",
    "metric",
    "title",
    "kind",
    "dimension",
    "value",
    "observed",
    "threshold",
    "mode",
    "unit",
    "owner",
    "flag",
    "dimensions",
]
# what the page's alerts table shows, in this order
SHOWN_COLUMNS = [
    "level",
    "title",
    "dimension",
    "value",
    "threshold",
    "mode",
    "owner",
    "ack_by",
    "ack_at",
    "ack_note",
]


def alerts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every warn / alert of every week: ``main.alerts`` when the build wrote it, else the
    thresholds of the catalog evaluated here (same rules, :mod:`outcomes.core.thresholds`)."""
    if has_table(con, "main", "alerts"):
        frame = queries.run(con, "review_alerts")
    else:
        catalog = metric_catalog(con)
        records = []
        for row in catalog.itertuples():
            t = row.thresholds
            if not isinstance(t, Mapping):
                continue
            records.append(
                {
                    "metric": row.name,
                    "mode": str(t.get("mode") or "absolute"),
                    "warn": t.get("warn"),
                    "alert": t.get("alert"),
                    "direction": row.direction,
                    "owner": row.owner,
                    "scope": str(t.get("scope") or "total"),
                }
            )
        thresholds = pd.DataFrame(records, columns=THRESHOLD_COLUMNS).astype({"scope": object})
        frame = evaluate_thresholds(con, thresholds)
    if len(frame):
        frame["week_start"] = [as_date(w) for w in frame["week_start"]]
    return frame


def alerts_for_week(
    con: duckdb.DuckDBPyConnection, week: dt.date, system: str | None = None
) -> pd.DataFrame:
    """The week's warn / alert rows (of AI ``system`` when given), worst first, with
    alert_key, title, kind and a readable ``dimension`` label; owner from the metric header."""
    frame = alerts(con)
    if system is not None and len(frame):
        frame = frame[[dims(d).get("system") == system for d in frame["dimensions"]]]
    if frame.empty:
        return pd.DataFrame(columns=WEEK_ALERT_COLUMNS)
    frame = frame[frame["week_start"] == week].copy()
    if frame.empty:
        return pd.DataFrame(columns=WEEK_ALERT_COLUMNS)
    catalog = metric_catalog(con)[["name", "title", "kind", "unit"]]
    frame = frame.merge(catalog, left_on="metric", right_on="name", how="left")
    frame["alert_key"] = [
        alert_key(m, week, dims(d))
        for m, d in zip(frame["metric"], frame["dimensions"], strict=True)
    ]
    frame["dimension"] = [dims_label(d) for d in frame["dimensions"]]
    frame["rank"] = frame["level"].map(LEVEL_RANK).fillna(0)
    frame = frame.sort_values(["rank", "metric", "dimension"], ascending=[False, True, True])
    for column in WEEK_ALERT_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    return frame[WEEK_ALERT_COLUMNS].reset_index(drop=True)


def attach_acknowledgements(
    week_alerts: pd.DataFrame, acks: Iterable[Acknowledgement]
) -> pd.DataFrame:
    """Add ack_by, ack_at, ack_note (the latest acknowledgement of each alert key).

    >>> a = pd.DataFrame({"alert_key": ["k1", "k2"]})
    >>> ack = Acknowledgement(1, "k2", "ana", "looking", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    >>> attach_acknowledgements(a, [ack])["ack_by"].tolist()
    [None, 'ana']
    """
    latest: dict[str, Acknowledgement] = {}
    for ack in acks:
        if ack.alert_key not in latest or ack.id > latest[ack.alert_key].id:
            latest[ack.alert_key] = ack
    return with_latest(
        week_alerts,
        "alert_key",
        latest,
        {
            "ack_by": lambda a: a.author,
            "ack_at": lambda a: a.created_at,
            "ack_note": lambda a: a.note,
        },
    )


def alert_labels(week_alerts: pd.DataFrame) -> dict[str, str]:
    """``{alert_key: "ALERT · title · dimension (acknowledged by …)"}`` for the picker."""
    return {
        r.alert_key: f"{r.level.upper()} · {r.title} · {r.dimension}"
        + (f" (acknowledged by {r.ack_by})" if r.ack_by else "")
        for r in week_alerts.itertuples()
    }


def grade(value: float | None, thresholds: Any, direction: str) -> str | None:
    """The level of an absolute-mode value, as :mod:`outcomes.core.thresholds` grades it, or None."""
    if value is None or not isinstance(thresholds, Mapping):
        return None
    if str(thresholds.get("mode") or "absolute") != "absolute":
        return None
    warn, alert = thresholds.get("warn"), thresholds.get("alert")
    if direction == "higher_is_better":
        if alert is not None and value <= alert:
            return "alert"
        if warn is not None and value <= warn:
            return "warn"
        return None
    if alert is not None and value >= alert:
        return "alert"
    if warn is not None and value >= warn:
        return "warn"
    return None
