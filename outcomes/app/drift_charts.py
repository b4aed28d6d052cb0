"""Drift charts of the weekly review: a heatmap of a statistic over weeks and features, and
the reference vs current distribution of one feature.

>>> import pandas as pd
>>> d = pd.DataFrame({"week": ["w1", "w2"], "feature": ["a", "a"], "psi": [0.01, 0.3]})
>>> heatmap(d, "week", "feature", "psi", "PSI").to_dict()["mark"]["type"]
'rect'
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from outcomes.app.charts import color_scale, legend, wrapped_title


def heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    title: str,
    *,
    color_title: str | None = None,
    thresholds: Sequence[float] | None = None,
    tooltip: Sequence[str] = (),
    select: bool = False,
) -> alt.Chart:
    """A rect heatmap of ``color`` over ``x`` (temporal if it holds dates) and ``y``.

    ``thresholds`` (ascending, e.g. PSI ``[0.1, 0.25]``) colour by band: green below the
    first, amber, red above the last. ``select`` adds a point selection named ``cell`` over
    (x, y), for ``st.altair_chart(on_select="rerun")``.
    """
    data = df.copy()
    is_time = pd.api.types.is_datetime64_any_dtype(data[x]) or (
        len(data) and hasattr(data[x].iloc[0], "isoformat")
    )
    if is_time:
        # weeks as ISO text on an ordinal axis: no time-zone shift in the browser
        data[x] = pd.to_datetime(data[x]).dt.strftime("%Y-%m-%d")
        x_enc = alt.X(f"{x}:O", title="Week", sort="ascending", axis=alt.Axis(labelAngle=-45))
        x_tip = alt.Tooltip(f"{x}:N", title="Week")
    else:
        x_enc = alt.X(f"{x}:O", title=x)
        x_tip = alt.Tooltip(f"{x}:N", title=x)
    if thresholds:
        bands = list(thresholds)
        palette = ["#1a9850", "#fee08b", "#d73027", "#67001f"][: len(bands) + 1]
        scale = alt.Scale(type="threshold", domain=bands, range=palette)
    else:
        scale = alt.Scale(scheme="blues")
    chart = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=x_enc,
            y=alt.Y(f"{y}:N", title=y, sort="ascending"),
            color=alt.Color(f"{color}:Q", scale=scale, title=color_title or color),
            tooltip=[
                x_tip,
                alt.Tooltip(f"{y}:N", title=y),
                alt.Tooltip(f"{color}:Q", title=color_title or color, format=".4f"),
                *[alt.Tooltip(f"{t}:N") for t in tooltip],
            ],
        )
        .properties(title=wrapped_title(title))
    )
    if select:
        chart = chart.add_params(alt.selection_point(name="cell", fields=[x, y]))
    return chart


def distribution_chart(dist: pd.DataFrame, *, title: str) -> alt.Chart:
    """Reference vs current shares side by side, one bar pair per bin or category.

    ``dist``: bin (label), bin_order, sample ('reference' / 'current'), rows, share.
    """
    order = dist.sort_values("bin_order")["bin"].drop_duplicates().tolist() if len(dist) else []
    return (
        alt.Chart(dist)
        .mark_bar()
        .encode(
            x=alt.X("bin:N", sort=order, title="Bin / category", axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset("sample:N", sort=["reference", "current"]),
            y=alt.Y("share:Q", title="Share of rows (%)", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "sample:N", scale=color_scale(["reference", "current"]), legend=legend("Sample")
            ),
            tooltip=[
                alt.Tooltip("sample:N", title="Sample"),
                alt.Tooltip("bin:N", title="Bin"),
                alt.Tooltip("rows:Q", title="Rows", format=","),
                alt.Tooltip("share:Q", title="Share", format=".2%"),
            ],
        )
        .properties(title=wrapped_title(title), height=260)
    )
