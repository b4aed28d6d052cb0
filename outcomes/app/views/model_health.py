"""Model health: weekly trends of the model metrics per model version and segment.

Readers of ``main.metric_values`` (plain functions of a read-only snapshot connection, cached
by :func:`outcomes.app.streamlit_glue.load`) and pure helpers that shape one chart's series. The page
``app_pages/model_health.py`` only lays them out with :func:`outcomes.app.charts.trend_chart`.

Roll-ups follow docs/ARCHITECTURE.md: a ratio over several dimension rows (e.g. one model
version over all its segments) is ``sum(numerator) / sum(denominator)``, never an average of
ratios. Metrics without numerator and denominator (latency percentiles, calibration error) are
not additive: they are shown per model version x segment, as the build computed them.

>>> import pandas as pd
>>> values = pd.DataFrame({
...     "metric": ["accuracy"] * 3, "week_start": pd.to_datetime(["2026-01-05"] * 3),
...     "model_version": ["v1", "v1", None], "segment": ["smb", "enterprise", None],
...     "value": [0.9, 0.6, 0.8], "numerator": [90.0, 30.0, 120.0],
...     "denominator": [100.0, 50.0, 150.0], "flag": [None, None, None]})
>>> health_series(values, "accuracy", "model_version")[["series", "value"]].to_dict("records")
[{'series': 'v1', 'value': 0.8}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.markup import md_text
from outcomes.app.views.metric_definitions import metric_catalog
from outcomes.app.views.systems import dimensions_of

# the app queries behind every chart of the page ("show the SQL")
QUERIES = ("health_values", "review_metric_definitions", "review_metric_builds")
# the page's charts: the latency chart shows one percentile at a time, p95 first
LATENCY = ("latency_p95", "latency_p50", "latency_p99")
CHARTED = (
    "accuracy",
    "error_rate",
    "calibration_error",
    *LATENCY,
    "override_rate",
    "acceptance_rate",
)
HEALTH_METRICS: tuple[str, ...] = (
    "accuracy",
    "error_rate",
    "calibration_error",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "override_rate",
    "acceptance_rate",
)
# What each split draws: one line per value of these dimensions (empty = the total row).
SPLITS: dict[str, tuple[str, ...]] = {
    "model_version": ("model_version",),
    "segment": ("segment",),
    "model_version_segment": ("model_version", "segment"),
    "all": (),
}
SPLIT_LABELS: dict[str, str] = {
    "model_version": "Model version",
    "segment": "Segment",
    "model_version_segment": "Model version × segment",
    "all": "All traffic (total)",
}
DIMENSION_LABELS: dict[str, str] = {"model_version": "Model version", "segment": "Segment"}
SERIES_COLUMNS = ["week_start", "series", "value", "numerator", "denominator", "flag", "rows"]
VALUE_COLUMNS = [
    "metric",
    "week_start",
    "model_version",
    "segment",
    "value",
    "numerator",
    "denominator",
    "flag",
]
# When rolled-up rows disagree, the flag that says the most about trustworthiness wins.
FLAG_ORDER = ("partial", "insufficient", "provisional")


@dataclass(frozen=True)
class SeriesResult:
    """One chart's lines, and how they were made (said under the chart)."""

    frame: pd.DataFrame  # SERIES_COLUMNS
    split_used: tuple[str, ...]  # dimensions the lines are drawn by
    note: str | None = None  # e.g. why a non-additive metric is drawn per version x segment


def health_values(
    con: duckdb.DuckDBPyConnection,
    metrics: Sequence[str] = HEALTH_METRICS,
    system: str | None = None,
) -> pd.DataFrame:
    """Every row of the model-health metrics in ``main.metric_values`` of the company (rows
    without an AI system) or of ``system``, dimensions unpacked.

    Columns: metric, week_start (datetime), model_version, segment (None on the total row
    = all), value, numerator, denominator, flag.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("create table metric_values as select 'accuracy' as metric, "
    ...     "date '2026-01-05' as week_start, '{\\"model_version\\":\\"v1\\"}' as dimensions, "
    ...     "0.9::double as value, 9::double as numerator, 10::double as denominator, "
    ...     "null::varchar as flag")
    >>> health_values(con)[["metric", "model_version", "segment", "value"]].to_dict("records")
    [{'metric': 'accuracy', 'model_version': 'v1', 'segment': None, 'value': 0.9}]
    """
    metrics = list(metrics)
    if not metrics:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    total = dimensions_of(system)
    params = {"metrics": metrics, "system": system, "total": total}
    frame = queries.run(con, "health_values", params)
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    for column in ("model_version", "segment", "flag"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame[VALUE_COLUMNS]


def dimension_values(values: pd.DataFrame, dimension: str) -> list[str]:
    """Distinct non-null values of ``dimension`` (``model_version`` or ``segment``), sorted.

    >>> dimension_values(pd.DataFrame({"segment": ["smb", None, "enterprise", "smb"]}), "segment")
    ['enterprise', 'smb']
    """
    if dimension not in values.columns:
        return []
    return sorted({str(v) for v in values[dimension] if v is not None and v == v})


def is_additive(rows: pd.DataFrame) -> bool:
    """Whether rows can be rolled up as sum(numerator) / sum(denominator).

    >>> is_additive(pd.DataFrame({"numerator": [1.0], "denominator": [2.0]}))
    True
    >>> is_additive(pd.DataFrame({"numerator": [None], "denominator": [None]}))
    False
    """
    if rows.empty or "numerator" not in rows or "denominator" not in rows:
        return False
    return bool(rows["numerator"].notna().all() and rows["denominator"].notna().all())


def health_series(values: pd.DataFrame, metric: str, split: str, **filters: Any) -> pd.DataFrame:
    """The lines of one chart as a frame with :data:`SERIES_COLUMNS`: :func:`series_for` with
    the same filters (versions, segments, since)."""
    return series_for(values, metric, split, **filters).frame


def series_for(
    values: pd.DataFrame,
    metric: str,
    split: str,
    *,
    versions: Sequence[str] | None = None,
    segments: Sequence[str] | None = None,
    since: dt.date | None = None,
) -> SeriesResult:
    """One line per value of the ``split`` dimensions (:data:`SPLITS`), weekly.

    ``versions`` / ``segments`` keep only those rows (None = all). A ratio split by one
    dimension is rolled up from the version x segment rows; a non-additive metric (no
    numerator / denominator) is drawn per version x segment instead, with a note. With
    ``split="all"`` and no filter, the build's total row is used as is.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    rows = values[values["metric"] == metric]
    if since is not None:
        rows = rows[rows["week_start"] >= pd.Timestamp(since)]
    filtered = versions is not None or segments is not None
    detail = rows[rows["model_version"].notna() & rows["segment"].notna()]
    if versions is not None:
        detail = detail[detail["model_version"].isin(list(versions))]
    if segments is not None:
        detail = detail[detail["segment"].isin(list(segments))]
    dims = SPLITS[split]
    note = None
    if split == "all" and not filtered:
        total = rows[rows["model_version"].isna() & rows["segment"].isna()]
        frame = total.assign(series="all", rows=1)
        return SeriesResult(_shape(frame), ())
    if dims == ("model_version", "segment"):
        frame = detail.assign(series=_labels(detail, dims), rows=1)
        return SeriesResult(_shape(frame), dims)
    if not is_additive(detail):
        if detail.empty:
            return SeriesResult(_shape(detail.assign(series="", rows=0)), dims)
        both = ("model_version", "segment")
        note = (
            f"{metric} is not additive (a percentile or calibration error of a group cannot be "
            "computed from its parts), so each model version × segment is drawn as built."
        )
        frame = detail.assign(series=_labels(detail, both), rows=1)
        return SeriesResult(_shape(frame), both, note)
    keys = ["week_start", *dims]
    grouped = (
        detail.groupby(keys, dropna=False, sort=True)
        .agg(
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            flag=("flag", _worst_flag),
            rows=("value", "size"),
        )
        .reset_index()
    )
    grouped = grouped[grouped["denominator"] > 0]
    grouped["value"] = grouped["numerator"] / grouped["denominator"]
    grouped["series"] = _labels(grouped, dims) if dims else "all (filtered)"
    return SeriesResult(_shape(grouped), dims, note)


def _labels(frame: pd.DataFrame, dims: Sequence[str]) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    return frame[list(dims)].astype(str).agg(" · ".join, axis=1)


def _worst_flag(flags: pd.Series) -> str | None:
    present = {f for f in flags if isinstance(f, str) and f}
    for flag in FLAG_ORDER:
        if flag in present:
            return flag
    return next(iter(sorted(present)), None)


def _shape(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in SERIES_COLUMNS:
        if column not in out.columns:
            out[column] = None
    out = out[SERIES_COLUMNS].sort_values(["series", "week_start"], kind="stable")
    out["flag"] = out["flag"].astype(object).where(out["flag"].notna(), None)
    return out.reset_index(drop=True)


def latest_by_series(series: pd.DataFrame) -> pd.DataFrame:
    """Per line: the newest week that is not flagged partial, its value and the change
    against the week before it (None without one).

    >>> s = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]),
    ...     "series": ["v1"] * 3, "value": [0.8, 0.9, 0.5], "flag": [None, None, "partial"]})
    >>> latest_by_series(s)[["series", "value", "change"]].round(3).to_dict("records")
    [{'series': 'v1', 'value': 0.9, 'change': 0.1}]
    """
    records = []
    for name, rows in series.groupby("series", sort=True):
        complete = rows[rows["flag"].fillna("") != "partial"].sort_values("week_start")
        if complete.empty:
            continue
        last = complete.iloc[-1]
        prev = complete.iloc[-2] if len(complete) > 1 else None
        change = None if prev is None else float(last["value"]) - float(prev["value"])
        records.append(
            {
                "series": name,
                "week_start": last["week_start"],
                "value": float(last["value"]),
                "change": change,
                "flag": last["flag"] if isinstance(last["flag"], str) else None,
            }
        )
    return pd.DataFrame(records, columns=["series", "week_start", "value", "change", "flag"])


def health_catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The definitions of the model-health metrics (title, unit, direction, owner,
    thresholds, build_status, error), in :data:`HEALTH_METRICS` order; a metric that is not in
    the build at all is listed with build_status ``missing``."""
    catalog = metric_catalog(con).set_index("name")
    records = []
    for name in HEALTH_METRICS:
        if name in catalog.index:
            row = catalog.loc[name].to_dict()
        else:
            row = {
                "title": name,
                "unit": None,
                "direction": None,
                "owner": None,
                "thresholds": None,
                "build_status": "missing",
                "error": f"{name} is not in this build (no sql/metrics/{name}.sql?)",
            }
        row["name"] = name
        records.append(row)
    return pd.DataFrame(records)


def chart_title(title: str, split: str) -> str:
    """What a chart shows, e.g. ``Accuracy by model version, weekly``.

    >>> chart_title("Accuracy", "model_version_segment")
    'Accuracy by model version × segment, weekly'
    """
    if split == "all":
        return f"{title}, all traffic, weekly"
    return f"{title} by {SPLIT_LABELS[split].lower()}, weekly"


WINDOWS: dict[str, int | None] = {
    "Last 13 weeks": 13,
    "Last 26 weeks": 26,
    "Last 52 weeks": 52,
    "All weeks": None,
}


def narrowed(chosen: Sequence[str], every: Sequence[str]) -> tuple[str, ...] | None:
    """The values a filter keeps, or None when it keeps them all (no filter).

    >>> narrowed(["v1", "v2"], ["v2", "v1"]), narrowed(["v1"], ["v1", "v2"])
    (None, ('v1',))
    """
    return None if set(chosen) == set(every) else tuple(chosen)


def window_start(values: pd.DataFrame, weeks: int | None) -> dt.date | None:
    """First week of a window of ``weeks`` weeks ending at the newest week (None = all).

    >>> v = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-05", "2026-03-30"])})
    >>> window_start(v, 4)
    datetime.date(2026, 3, 9)
    """
    if weeks is None or values.empty:
        return None
    newest = pd.Timestamp(values["week_start"].max()).date()
    return newest - dt.timedelta(weeks=weeks - 1)


@dataclass(frozen=True)
class HealthChart:
    """One model-health chart, ready to draw: ``status`` ok / empty / unavailable / error."""

    status: str
    title: str
    spec: dict | None = None  # the Vega-Lite spec (status ok)
    caption: str = ""
    message: str = ""


def health_charts(
    con: duckdb.DuckDBPyConnection,
    metrics: tuple[str, ...],
    split: str,
    since: dt.date | None,
    versions: tuple[str, ...] | None,
    segments: tuple[str, ...] | None,
    notes: tuple[pd.DataFrame | None, ...],
) -> dict[str, HealthChart]:
    """The charts of ``metrics`` (``notes[i]`` drawn on ``metrics[i]``) as Vega-Lite specs.

    Building an Altair chart and validating its spec costs about 0.1 s a chart; the page draws
    six, so it caches this (``outcomes.app.streamlit_glue.load``: keyed by the snapshot, the choices and the
    notes) and a warm rerun only sends the cached specs. The values and definitions are read
    once for all charts; a read error is raised (and so not cached). A metric missing from the
    build is ``unavailable``; a chart that cannot be drawn is an ``error`` card, so one broken
    metric does not take the page down.
    """
    catalog = health_catalog(con)
    values = health_values(con)
    return {
        metric: _health_chart(catalog, values, metric, split, since, versions, segments, note)
        for metric, note in zip(metrics, notes, strict=True)
    }


def _health_chart(
    catalog: pd.DataFrame,
    values: pd.DataFrame,
    metric: str,
    split: str,
    since: dt.date | None,
    versions: tuple[str, ...] | None,
    segments: tuple[str, ...] | None,
    notes: pd.DataFrame | None,
) -> HealthChart:
    """One chart of :func:`health_charts`."""
    from outcomes.app import charts

    definition = catalog[catalog["name"] == metric].iloc[0]
    title = str(definition["title"] or metric)
    if definition["build_status"] != "ok":
        message = definition["error"] or definition["build_status"]
        return HealthChart(
            "unavailable", title, message=f"**{title}** is unavailable in this build: {message}"
        )
    try:
        result = series_for(
            values, metric, split, since=since, versions=versions, segments=segments
        )
        if result.frame.empty:
            return HealthChart(
                "empty",
                title,
                message=f"**{title}**: no rows for the chosen versions, segments and weeks.",
            )
        if notes is not None and since is not None and len(notes):
            notes = notes[notes["week_start"].map(lambda d: d >= since)]
        legend = " × ".join(DIMENSION_LABELS[d] for d in result.split_used) or "Series"
        chart = charts.trend_chart(
            result.frame.rename(columns={"series": legend}),
            title=chart_title(title, split),
            y_title=title,
            unit=definition["unit"],
            annotations=notes,
            thresholds=definition["thresholds"],
            color_field=legend,
        )
        caption = f"Owner: {md_text(definition['owner'] or 'unowned')}."
        if result.note:
            caption = f"{result.note} {caption}"
        return HealthChart("ok", title, spec=chart.to_dict(), caption=caption)
    except Exception as exc:  # noqa: BLE001 - drawn as an error card; the others still draw
        return HealthChart(
            "error", title, message=f"**{md_text(title)}** could not be drawn: {md_text(exc)}"
        )
