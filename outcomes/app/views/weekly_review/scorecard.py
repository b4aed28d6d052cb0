"""The scorecard of a week: every metric's headline value, change, last 8 weeks and status,
and one metric's headline trend.

Statuses of a scorecard row:

- ``alert`` / ``warn``: the metric's all-dimensions row of the week is at that level (for a
  metric without a total row, e.g. drift by feature: its worst dimension);
- ``ok``: thresholds are declared and the week is at neither level;
- ``no_threshold``: the metric declares no thresholds;
- ``insufficient``: no value that week, or the row is flagged insufficient or partial (checks
  do not evaluate those);
- ``error``: the metric failed to build in this snapshot.

Values and changes are text in the metric's unit (:mod:`outcomes.core.formats`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.charts import sparkline_points
from outcomes.app.views.metric_definitions import metric_catalog
from outcomes.app.views.snapshot_cells import as_date, dims
from outcomes.app.views.systems import for_system
from outcomes.app.views.weekly_review.alerts import LEVEL_RANK, alerts, grade
from outcomes.core.formats import format_change, format_value

QUERIES = (
    "review_metric_definitions",
    "review_metric_builds",
    "review_scorecard_window",
    "review_alerts",
    "review_metric_trend",
)
KIND_ORDER = ("model", "drift", "business", "cost", "quality", "roi")
SPARK_WEEKS = 8
STATUS_ICON = {
    "alert": "🔴 alert",
    "warn": "🟠 warn",
    "ok": "🟢 ok",
    "no_threshold": "⚪ no threshold",
    "insufficient": "⚪ insufficient",
    "error": "❌ error",
}
# the page's labels of those columns (the sparkline's column type is the page's)
COLUMN_LABELS = {
    "title": "Metric",
    "value_text": "Value",
    "change_text": "vs last week",
    "status_label": "Status",
    "owner": "Owner",
    "flag": "Flag (provisional / partial / insufficient)",
    "basis": "Row (all = all-dimensions total)",
}
# what a kind's table shows, in this order
SHOWN_COLUMNS = [
    "title",
    "value_text",
    "change_text",
    "spark",
    "status_label",
    "owner",
    "flag",
    "basis",
]


def _window_values(con: duckdb.DuckDBPyConnection, week: dt.date) -> pd.DataFrame:
    start = week - dt.timedelta(days=7 * (SPARK_WEEKS - 1))
    frame = queries.run(con, "review_scorecard_window", {"start": start, "week": week})
    frame["week_start"] = [as_date(w) for w in frame["week_start"]]
    return frame


def _headline(values: pd.DataFrame, direction: str) -> tuple[pd.DataFrame, str]:
    """Weekly headline rows of one metric: the total row, else the worst dimension."""
    total = values[values["dimensions"] == "{}"]
    if len(total) or values.empty:
        return total[["week_start", "value", "flag"]], "all"
    usable = values[values["flag"].fillna("") != "insufficient"]
    usable = usable if len(usable) else values
    usable = usable.dropna(subset=["value"])
    ascending = direction == "higher_is_better"  # worst = lowest when higher is better
    ordered = usable.sort_values(["week_start", "value"], ascending=[True, ascending])
    worst = ordered.groupby("week_start", as_index=False).first()
    keys = sorted({k for d in values["dimensions"] for k in dims(d)})
    return worst[["week_start", "value", "flag"]], "worst " + "/".join(keys or ["dimension"])


def scorecard(
    con: duckdb.DuckDBPyConnection, week: dt.date, system: str | None = None
) -> pd.DataFrame:
    """Every metric for ``week``: kind, metric, title, unit, value, previous, change,
    change_pct, status, owner, flag, spark (the last 8 weekly values, oldest first, None
    where a week has no value), basis ('all' or 'worst <dimension>'), dimension_alerts
    (warn/alert rows on single dimensions that week), value_text, change_text,
    build_status, error. Sorted by kind (:data:`KIND_ORDER`) then title. Of the company, or
    of ``system`` (:func:`outcomes.app.views.systems.for_system`)."""
    catalog = metric_catalog(con)
    window = for_system(_window_values(con, week), system)
    week_alerts = for_system(alerts(con), system)
    if len(week_alerts):
        week_alerts = week_alerts[week_alerts["week_start"] == week]
    spark_weeks = [week - dt.timedelta(days=7 * i) for i in range(SPARK_WEEKS - 1, -1, -1)]
    previous_week = week - dt.timedelta(days=7)
    records = []
    for m in catalog.itertuples():
        values = window[window["metric"] == m.name]
        direction = m.direction if isinstance(m.direction, str) else "neutral"
        headline, basis = _headline(values, direction)
        by_week = {w: (v, f) for w, v, f in headline.itertuples(index=False)}
        value, flag = by_week.get(week, (None, None))
        previous = by_week.get(previous_week, (None, None))[0]
        value = None if value is None or value != value else float(value)
        previous = None if previous is None or previous != previous else float(previous)
        change = value - previous if value is not None and previous is not None else None
        change_pct = (
            change / abs(previous) if change is not None and previous not in (None, 0) else None
        )
        flag = flag if isinstance(flag, str) else None
        mine = week_alerts[week_alerts["metric"] == m.name] if len(week_alerts) else week_alerts
        if basis == "all" and len(mine):
            headline_alerts = mine[mine["dimensions"] == "{}"]
            dimension_alerts = int(len(mine) - len(headline_alerts))
        else:
            headline_alerts = mine
            dimension_alerts = 0
        levels = list(headline_alerts["level"]) if len(headline_alerts) else []
        if basis != "all" and value is not None and flag not in ("insufficient", "partial"):
            # no total row, so checks (scope total) never see it: grade the worst row shown
            graded = grade(value, m.thresholds, direction)
            levels = [graded] if graded else levels
        status = _status(m.build_status, m.thresholds, value, flag, levels)
        spark = [by_week.get(w, (None, None))[0] for w in spark_weeks]
        unit = m.unit if isinstance(m.unit, str) else None
        records.append(
            {
                "kind": m.kind,
                "metric": m.name,
                "title": m.title,
                "unit": unit,
                "value": value,
                "previous": previous,
                "change": change,
                "change_pct": change_pct,
                "status": status,
                "owner": m.owner if isinstance(m.owner, str) and m.owner.strip() else None,
                "flag": flag,
                "spark": [None if v is None or v != v else float(v) for v in spark],
                "basis": basis,
                "dimension_alerts": dimension_alerts,
                "value_text": format_value(value, unit),
                "change_text": format_change(change, unit),
                "build_status": m.build_status,
                "error": m.error if isinstance(m.error, str) else None,
            }
        )
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    for column in ("owner", "flag", "error", "unit"):
        frame[column] = pd.Series(
            [v if isinstance(v, str) else None for v in frame[column]],
            dtype=object,
            index=frame.index,
        )
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    frame["_kind_rank"] = frame["kind"].map(rank).fillna(len(rank))
    frame = frame.sort_values(["_kind_rank", "title"]).drop(columns="_kind_rank")
    return frame.reset_index(drop=True)


def _status(
    build_status: str, thresholds: Any, value: float | None, flag: str | None, levels: list[str]
) -> str:
    if build_status != "ok":
        return "error"
    if levels:
        return max(levels, key=lambda lvl: LEVEL_RANK.get(lvl, 0))
    if not isinstance(thresholds, Mapping):
        return "no_threshold"
    if value is None or flag in ("insufficient", "partial"):
        return "insufficient"
    return "ok"


def status_counts(card: pd.DataFrame) -> str:
    """``🔴 alert: 2 · 🟢 ok: 9``: how many rows have each status (those with none left out).

    >>> status_counts(pd.DataFrame({"status": ["ok", "alert", "ok"]}))
    '🔴 alert: 1 · 🟢 ok: 2'
    """
    counts = card["status"].value_counts()
    return " · ".join(
        f"{STATUS_ICON[s]}: {counts.get(s, 0)}" for s in STATUS_ICON if counts.get(s, 0)
    )


def kind_tables(card: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The scorecard as one table a kind, in scorecard order: :data:`SHOWN_COLUMNS`, with
    the status as a label and the sparkline as the points a table can draw.

    >>> card = pd.DataFrame({"kind": ["model"], "title": ["Acc"], "value_text": ["90%"],
    ...     "change_text": ["–"], "spark": [[None, 0.9]], "status": ["ok"], "owner": [None],
    ...     "flag": [None], "basis": ["all"]})
    >>> [(kind, table["spark"].tolist()) for kind, table in kind_tables(card)]
    [('model', [[0.9]])]
    """
    shown = card.assign(
        status_label=card["status"].map(STATUS_ICON),
        spark=[sparkline_points(s) for s in card["spark"]],
    )
    return [
        (kind, shown[shown["kind"] == kind][SHOWN_COLUMNS].fillna({"flag": ""}))
        for kind in shown["kind"].drop_duplicates()
    ]


def trend_choices(card: pd.DataFrame) -> dict[str, str]:
    """``{metric: "Title (metric)"}`` in scorecard order, for the trend picker.

    >>> trend_choices(pd.DataFrame({"metric": ["acc"], "title": ["Accuracy"]}))
    {'acc': 'Accuracy (acc)'}
    """
    return {m: f"{t} ({m})" for m, t in zip(card["metric"], card["title"], strict=True)}


def metric_trend(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    until: dt.date | None = None,
    system: str | None = None,
) -> pd.DataFrame:
    """Headline weekly series of one metric (total row, else worst dimension), up to
    ``until``, of the company or of ``system``: week_start, value, flag."""
    frame = queries.run(con, "review_metric_trend", {"metric": metric, "until": until})
    frame = for_system(frame.assign(metric=metric), system)
    frame["week_start"] = [as_date(w) for w in frame["week_start"]]
    catalog = metric_catalog(con)
    row = catalog[catalog["name"] == metric]
    direction = row["direction"].iloc[0] if len(row) else "neutral"
    headline, _ = _headline(frame, direction if isinstance(direction, str) else "neutral")
    return headline.reset_index(drop=True)
