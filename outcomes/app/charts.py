"""Altair chart builders shared by every page: trends and sparklines (drift heatmaps and
distributions: :mod:`outcomes.app.drift_charts`).

Streamlit-free: each builder takes DataFrames and returns an ``alt.Chart`` (or a layer), so a
page only calls ``st.altair_chart(chart)`` and a test can inspect ``chart.to_dict()``.

Conventions every chart follows:

- the y axis title carries the unit, numbers are formatted by unit (:func:`unit_format`);
- tooltips show exact values (full precision next to the formatted one);
- warn / alert thresholds of absolute mode are drawn as dashed horizontal rules;
- annotations (notes and model-version changes) are vertical rules with a tooltip;
- a series keeps its colour on every chart: :func:`series_color` derives it from the name.

>>> import pandas as pd
>>> s = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-05", "2026-01-12"]),
...                   "value": [0.9, 0.8]})
>>> notes = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-12"]), "text": ["v2 deployed"],
...                       "kind": ["deploy"], "author": ["ana"]})
>>> chart = trend_chart(s, title="Accuracy", y_title="Accuracy", unit="ratio",
...                     annotations=notes, thresholds={"warn": 0.85, "alert": 0.8})
>>> "v2 deployed" in str(chart.to_dict())
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from outcomes.core.formats import format_value

# Tableau colours; a series' index is a stable hash of its name.
# Red and amber are left out: they mean alert and warn.
PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#9c755f",
    "#ff9da7",
    "#86bcb6",
    "#8cd17d",
    "#499894",
    "#79706e",
)
# Named series that should look the same everywhere (all-dimensions total, ROI sides).
FIXED_COLORS: dict[str, str] = {
    "all": "#4e79a7",
    "total": "#4e79a7",
    "reference": "#bab0ac",
    "current": "#4e79a7",
    "benefit": "#59a14f",
    "cost": "#e15759",
    "net": "#4e79a7",
}
STATUS_COLORS: dict[str, str] = {
    "ok": "#59a14f",
    "warn": "#f1a340",
    "alert": "#d62728",
    "no_threshold": "#9e9e9e",
    "insufficient": "#bdbdbd",
}
ANNOTATION_COLORS: dict[str, str] = {
    "deploy": "#7b3294",
    "incident": "#d62728",
    "business_event": "#1a9850",
    "other": "#636363",
    "model_version": "#e7298a",
}

_UNIT_FORMAT = {
    "ratio": ".1%",
    "usd": "$,.2f",
    "count": ",.0f",
    "hours": ",.1f",
    "minutes": ",.1f",
    "ms": ",.0f",
    "score": ".3f",
    "tokens": ",.0f",
}
_UNIT_LABEL = {
    "ratio": "%",
    "usd": "USD",
    "count": "count",
    "hours": "hours",
    "minutes": "minutes",
    "ms": "ms",
    "score": "score",
    "tokens": "tokens",
}


def unit_format(unit: str | None) -> str:
    """d3 format string for values of ``unit`` (axis labels and tooltips).

    >>> unit_format("ratio"), unit_format("usd"), unit_format("unknown")
    ('.1%', '$,.2f', ',.4~g')
    """
    return _UNIT_FORMAT.get(unit or "", ",.4~g")


def axis_title(title: str, unit: str | None) -> str:
    """``title (unit)``, the y-axis title of a metric.

    >>> axis_title("Accuracy", "ratio"), axis_title("Latency p95", "ms")
    ('Accuracy (%)', 'Latency p95 (ms)')
    """
    label = _UNIT_LABEL.get(unit or "")
    return f"{title} ({label})" if label else title


def series_color(name: object) -> str:
    """The colour of a series name on every chart (fixed names first, else a stable hash).

    >>> series_color("all"), series_color("v2") == series_color("v2")
    ('#4e79a7', True)
    """
    key = str(name)
    if key.lower() in FIXED_COLORS:
        return FIXED_COLORS[key.lower()]
    digest = hashlib.sha256(key.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def color_scale(values: Iterable[object]) -> alt.Scale:
    """An ordinal colour scale whose domain is ``values``: stable colours, distinct in the chart.

    Each series takes :func:`series_color`; when two series of the same chart hash to the same
    colour, the later one (in sorted order) takes the next palette colour not yet used in the
    chart, so the same set of series always gets the same colours and no two look alike (up
    to len(PALETTE) hashed series; beyond that colours repeat).

    >>> color_scale(["v2", "v1"]).to_dict()["domain"]
    ['v1', 'v2']
    >>> colors = color_scale([f"model-{i}" for i in range(8)]).to_dict()["range"]
    >>> len(set(colors))
    8
    """
    domain = sorted({str(v) for v in values if v is not None and v == v})
    # fixed names (total, benefit, cost...) keep their colour: they are placed first
    used: set[str] = {FIXED_COLORS[v.lower()] for v in domain if v.lower() in FIXED_COLORS}
    colors: list[str] = []
    for value in domain:
        color = series_color(value)
        if value.lower() in FIXED_COLORS:
            colors.append(color)
            continue
        if color in used:
            start = PALETTE.index(color) if color in PALETTE else 0
            free = [
                PALETTE[(start + step) % len(PALETTE)]
                for step in range(1, len(PALETTE))
                if PALETTE[(start + step) % len(PALETTE)] not in used
            ]
            color = free[0] if free else color
        used.add(color)
        colors.append(color)
    return alt.Scale(domain=domain, range=colors)


TITLE_WIDTH = 70  # characters a title line holds before it wraps (narrow columns clip more)
LEGEND: dict[str, Any] = {"orient": "bottom", "columns": 4, "labelLimit": 220, "symbolLimit": 40}


def wrapped_title(title: str, subtitle: str = "", width: int = TITLE_WIDTH) -> alt.TitleParams:
    """A chart title wrapped on word boundaries (a long one never runs off the chart),
    anchored left, with an optional wrapped subtitle.

    >>> wrapped_title("a " * 50, width=20).to_dict()["text"][0]
    'a a a a a a a a a a'
    """
    import textwrap

    lines = textwrap.wrap(title, width) or [title]
    sub = textwrap.wrap(subtitle, width + 20) if subtitle else []
    return alt.TitleParams(
        lines if len(lines) > 1 else lines[0],
        subtitle=(sub if len(sub) > 1 else sub[0]) if sub else alt.Undefined,
        anchor="start",
    )


def legend(title: str) -> alt.Legend:
    """A legend under the plot, in columns: a tall legend never pushes the title off."""
    return alt.Legend(title=title, **LEGEND)


def week_axis(weeks: Iterable[object], fmt: str = "%b %d") -> alt.Axis:
    """The x axis of a weekly chart: one label per week when there are few weeks (a
    single-week series would otherwise repeat the same date across the axis).

    >>> week_axis(pd.to_datetime(["2026-01-05"])).to_dict()["values"]
    [{'date': 5, 'month': 1, 'year': 2026}]
    """
    unique = sorted({pd.Timestamp(w) for w in weeks if not pd.isna(w)})
    if 0 < len(unique) <= 12:
        return alt.Axis(
            format=fmt,
            labelAngle=0,
            values=[alt.DateTime(year=w.year, month=w.month, date=w.day) for w in unique],
        )
    return alt.Axis(format=fmt, labelAngle=0, labelOverlap=True)


def week_scale(weeks: Iterable[object]) -> alt.Scale:
    """Half a week of room either side of a single week, so its point sits in the middle."""
    unique = sorted({pd.Timestamp(w) for w in weeks if not pd.isna(w)})
    if len(unique) == 1:
        half = pd.Timedelta(days=3, hours=12)
        return alt.Scale(domain=[(unique[0] - half).isoformat(), (unique[0] + half).isoformat()])
    return alt.Scale()


def _dates(frame: pd.DataFrame, column: str = "week_start") -> pd.DataFrame:
    out = frame.copy()
    if column in out.columns:
        out[column] = pd.to_datetime(out[column])
    return out


def annotation_layer(annotations: pd.DataFrame | None) -> alt.Chart | None:
    """Vertical rules (one per note) with a tooltip: week, kind, text, author.

    ``annotations`` has columns week_start, text, kind, author (metric optional).
    """
    if annotations is None or annotations.empty:
        return None
    notes = annotations.copy()
    for column in ("kind", "author", "text"):
        if column not in notes.columns:
            notes[column] = ""
    # Inline values, not a DataFrame: the notes then travel inside the spec itself (Streamlit
    # moves DataFrames into separate datasets), so an export or a test sees them there.
    records = [
        {
            "week_start": pd.Timestamp(r["week_start"]).strftime("%Y-%m-%d"),
            "week": pd.Timestamp(r["week_start"]).strftime("%Y-%m-%d"),
            "text": "" if pd.isna(r["text"]) else str(r["text"]),
            "kind": "" if pd.isna(r["kind"]) else str(r["kind"]),
            "author": "" if pd.isna(r["author"]) else str(r["author"]),
        }
        for r in notes.to_dict("records")
    ]
    data = alt.Data(values=records)
    kinds = sorted({r["kind"] for r in records})
    scale = alt.Scale(domain=kinds, range=[ANNOTATION_COLORS.get(k, "#636363") for k in kinds])
    tooltip = [
        alt.Tooltip("week:N", title="Week"),
        alt.Tooltip("kind:N", title="Note type"),
        alt.Tooltip("text:N", title="Note"),
        alt.Tooltip("author:N", title="By"),
    ]
    rules = (
        alt.Chart(data)
        .mark_rule(strokeDash=[2, 2], strokeWidth=1.5, opacity=0.8)
        .encode(
            x="week_start:T",
            color=alt.Color("kind:N", scale=scale, legend=legend("Notes")),
            tooltip=tooltip,
        )
    )
    # a marker at the top of each rule: easier to hover than a 1-px line
    flags = (
        alt.Chart(data)
        .mark_point(shape="triangle-down", size=90, filled=True, yOffset=4)
        .encode(
            x="week_start:T",
            y=alt.value(0),
            color=alt.Color("kind:N", scale=scale, legend=None),
            tooltip=tooltip,
        )
    )
    return rules + flags


def layered(*charts: alt.Chart | alt.LayerChart) -> alt.LayerChart:
    """``alt.layer(*charts)`` of charts without facet encodings: always a ``LayerChart``.

    (altair types it ``LayerChart | FacetChart``: layers that share a facet encoding are
    turned into a facet chart; ours have none.)
    """
    chart = alt.layer(*charts)
    assert isinstance(chart, alt.LayerChart)
    return chart


def threshold_layer(thresholds: Mapping[str, Any] | None, unit: str | None) -> alt.Chart | None:
    """Dashed warn / alert rules for absolute thresholds (change modes have no level line)."""
    if not thresholds or str(thresholds.get("mode") or "absolute") != "absolute":
        return None
    levels = [level for level in ("warn", "alert") if thresholds.get(level) is not None]
    if not levels:
        return None
    rows = [{"level": level, "threshold": float(thresholds[level])} for level in levels]
    scale = alt.Scale(domain=levels, range=[STATUS_COLORS[lvl] for lvl in levels])
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_rule(strokeDash=[6, 4], strokeWidth=1.5)
        .encode(
            y="threshold:Q",
            color=alt.Color("level:N", scale=scale, legend=legend("Threshold")),
            tooltip=[
                alt.Tooltip("level:N", title="Level"),
                alt.Tooltip("threshold:Q", title="Threshold", format=unit_format(unit)),
            ],
        )
    )


def trend_chart(
    series: pd.DataFrame,
    *,
    title: str,
    y_title: str,
    unit: str | None,
    annotations: pd.DataFrame | None = None,
    thresholds: Mapping[str, Any] | None = None,
    color_field: str | None = None,
    height: int = 280,
) -> alt.LayerChart:
    """A weekly line with points, unit on the axis, thresholds and notes drawn.

    ``series``: week_start, value, optional flag and ``color_field`` (one line per value of
    it, coloured by :func:`series_color`). ``thresholds``: ``{warn, alert, mode}`` as in the
    metric header. Flagged points (provisional, partial, insufficient) are drawn hollow.
    """
    data = _dates(series)
    if "flag" not in data.columns:
        data["flag"] = None
    data["flag"] = data["flag"].fillna("")
    data["value_exact"] = data["value"]
    # the week as text: a temporal tooltip would show it in the browser's time zone
    data["week"] = data["week_start"].dt.strftime("%Y-%m-%d")
    fmt = unit_format(unit)
    tooltip: list[alt.Tooltip] = [
        alt.Tooltip("week:N", title="Week"),
        alt.Tooltip("value:Q", title=y_title, format=fmt),
        alt.Tooltip("value_exact:Q", title="Exact value"),
        alt.Tooltip("flag:N", title="Flag"),
    ]
    if color_field:
        tooltip.insert(1, alt.Tooltip(f"{color_field}:N", title=color_field))
    x = alt.X(
        "week_start:T",
        title="Week",
        axis=week_axis(data["week_start"]),
        scale=week_scale(data["week_start"]),
    )
    y = alt.Y(
        "value:Q",
        title=axis_title(y_title, unit),
        axis=alt.Axis(format=fmt),
        scale=alt.Scale(zero=False),
    )
    base = alt.Chart(data)
    encode: dict[str, Any] = {"x": x, "y": y}
    if color_field:
        encode["color"] = alt.Color(
            f"{color_field}:N", scale=color_scale(data[color_field]), legend=legend(color_field)
        )
    line = base.mark_line(strokeWidth=2).encode(**encode)
    if not color_field:
        line = line.encode(color=alt.value(series_color("all")))
    fill_color = (
        alt.Color(f"{color_field}:N", scale=color_scale(data[color_field]), legend=None)
        if color_field
        else alt.value(series_color("all"))
    )
    points = base.mark_point(size=45, strokeWidth=1.5).encode(
        **encode,
        fill=alt.condition("datum.flag == ''", fill_color, alt.value("white")),
        tooltip=tooltip,
    )
    if not color_field:
        points = points.encode(color=alt.value(series_color("all")))
    # line and points share one colour scale (one legend); rules and notes get their own
    layers: list[alt.Chart | alt.LayerChart] = [layered(line, points)]
    rules = threshold_layer(thresholds, unit)
    if rules is not None:
        layers.append(rules)
    notes = annotation_layer(annotations)
    if notes is not None:
        layers.append(notes)
    subtitle = _threshold_subtitle(thresholds, unit)
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(
            title=wrapped_title(title, subtitle),
            height=height,
        )
    )


def _threshold_subtitle(thresholds: Mapping[str, Any] | None, unit: str | None) -> str:
    if not thresholds:
        return ""
    mode = str(thresholds.get("mode") or "absolute")
    parts = []
    for level in ("warn", "alert"):
        if thresholds.get(level) is not None:
            value = float(thresholds[level])
            shown = (
                format_value(value, unit)
                if mode == "absolute"
                else (
                    f"{value:.0%}" if mode in ("change_pct", "vs_trailing_mean") else f"{value:g}"
                )
            )
            parts.append(f"{level} {shown}")
    where = "" if mode == "absolute" else f" ({mode.replace('_', ' ')})"
    return "Thresholds: " + ", ".join(parts) + where if parts else ""


def sparkline(values: Sequence[float | None] | pd.Series, *, unit: str | None = None) -> alt.Chart:
    """A small line without axes for the last weeks of a metric (last point marked).

    >>> sparkline([1, 2, 3]).to_dict()["mark"]["type"]
    'line'
    """
    data = pd.DataFrame({"i": range(len(values)), "value": list(values)})
    data["last"] = data["i"] == len(data) - 1
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=1.5, point=False, color=series_color("all"))
        .encode(
            x=alt.X("i:O", axis=None),
            y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("value:Q", format=unit_format(unit))],
        )
        .properties(width=120, height=28)
    )


def sparkline_points(values: Sequence[float | None] | None) -> list[float] | None:
    """The values a table sparkline can draw: missing weeks dropped, None when nothing is left.

    >>> sparkline_points([None, 1.0, float("nan"), 2.0]), sparkline_points([None, None])
    ([1.0, 2.0], None)
    """
    points = [float(v) for v in values or () if v is not None and v == v]
    return points or None


def overview_trend(
    series: pd.DataFrame, metric: str, *, title: str | None = None, unit: str | None = None
) -> alt.Chart:
    """The overview's line of one metric's all-dimensions weekly values, by its header's
    title and unit.

    >>> s = pd.DataFrame({"week_start": pd.to_datetime(["2026-01-05"]), "value": [1.0],
    ...                   "flag": [None]})
    >>> overview_trend(s, "accuracy", title="Accuracy").to_dict()["title"]["text"]
    'Accuracy, weekly (all dimensions)'
    """
    name = title or metric
    data = _dates(series)
    data["week"] = data["week_start"].dt.strftime("%Y-%m-%d")
    data["flag"] = data["flag"].fillna("") if "flag" in data else ""
    fmt = unit_format(unit)
    return (
        alt.Chart(data, title=wrapped_title(f"{name}, weekly (all dimensions)"))
        .mark_line(point=True, color=series_color("all"))
        .encode(
            x=alt.X(
                "week_start:T",
                title="Week",
                axis=week_axis(data["week_start"]),
                scale=week_scale(data["week_start"]),
            ),
            y=alt.Y("value:Q", title=axis_title(name, unit), axis=alt.Axis(format=fmt)),
            tooltip=[
                alt.Tooltip("week:N", title="Week"),
                alt.Tooltip("value:Q", title=name, format=fmt),
                alt.Tooltip("flag:N", title="Flag"),
            ],
        )
    )
