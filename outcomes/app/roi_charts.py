"""Altair charts of the ROI page: cumulative value vs cost, the waterfall, the tornado.

Streamlit-free, like :mod:`outcomes.app.charts` (whose colours, annotation layer and unit formats
they reuse): benefits are green, costs red, net blue on every chart; titles say what is shown,
axes carry the currency, tooltips give the exact amount next to the rounded one. Amounts
arrive as Decimal and are turned into floats only for drawing.

>>> import datetime as dt
>>> from decimal import Decimal
>>> frame = cumulative_frame([(dt.date(2026, 1, 5), Decimal(10), Decimal(30)),
...                           (dt.date(2026, 1, 12), Decimal(40), Decimal(5))])
>>> frame[["cum_benefits", "cum_costs", "cum_net"]].values.tolist()
[[10.0, 30.0, -20.0], [50.0, 35.0, 15.0]]
>>> payback_point(frame)["week_start"].date()
datetime.date(2026, 1, 12)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd

from outcomes.app.charts import FIXED_COLORS, annotation_layer, layered, week_axis, week_scale

BENEFIT = FIXED_COLORS["benefit"]
COST = FIXED_COLORS["cost"]
NET = FIXED_COLORS["net"]
PERIOD_SHADE = "#eef1f6"


def money_format(currency: str, *, cents: bool = False) -> str:
    """d3 format of an amount in ``currency`` (the symbol only for USD: d3's locale).

    >>> money_format("USD"), money_format("EUR", cents=True)
    ('$,.0f', ',.2f')
    """
    body = ",.2f" if cents else ",.0f"
    return f"${body}" if currency == "USD" else body


def axis_money(currency: str) -> str:
    """Axis title suffix with the currency, e.g. ``(USD)``."""
    return f"({currency})"


def cumulative_frame(weeks: Iterable[tuple[dt.date, Decimal, Decimal]]) -> pd.DataFrame:
    """Running sums of (week_start, benefits, costs) from the first ledger week.

    Columns: week_start, benefits, costs, net, cum_benefits, cum_costs, cum_net (floats for
    drawing) and the exact ``*_exact`` texts of the cumulative sums.
    """
    records = []
    cum_b = cum_c = Decimal(0)
    for week, benefits, costs in sorted(weeks):
        cum_b += benefits
        cum_c += costs
        records.append(
            {
                "week_start": pd.Timestamp(week),
                "benefits": float(benefits),
                "costs": float(costs),
                "net": float(benefits - costs),
                "cum_benefits": float(cum_b),
                "cum_costs": float(cum_c),
                "cum_net": float(cum_b - cum_c),
                "cum_benefits_exact": str(cum_b),
                "cum_costs_exact": str(cum_c),
                "cum_net_exact": str(cum_b - cum_c),
            }
        )
    return pd.DataFrame(
        records,
        columns=[
            "week_start",
            "benefits",
            "costs",
            "net",
            "cum_benefits",
            "cum_costs",
            "cum_net",
            "cum_benefits_exact",
            "cum_costs_exact",
            "cum_net_exact",
        ],
    )


def payback_point(frame: pd.DataFrame) -> pd.Series | None:
    """The first week whose cumulative net is >= 0 (None: not paid back)."""
    hit = frame[frame["cum_net"] >= 0] if len(frame) else frame
    return None if hit.empty else hit.iloc[0]


def cumulative_chart(
    frame: pd.DataFrame,
    *,
    currency: str,
    period: tuple[dt.date, dt.date] | None = None,
    payback_week: dt.date | None = None,
    annotations: pd.DataFrame | None = None,
    height: int = 300,
) -> alt.LayerChart:
    """Cumulative benefits and cumulative costs by week, payback week marked, the selected
    period shaded, notes (model versions...) as rules."""
    fmt = money_format(currency)
    long = frame.melt(
        id_vars=["week_start", "cum_net", "cum_benefits_exact", "cum_costs_exact", "cum_net_exact"],
        value_vars=["cum_benefits", "cum_costs"],
        var_name="series",
        value_name="amount",
    )
    names = {"cum_benefits": "Cumulative value (benefits)", "cum_costs": "Cumulative cost"}
    long["series"] = long["series"].map(names)
    long["exact"] = [
        b if s == names["cum_benefits"] else c
        for s, b, c in zip(
            long["series"], long["cum_benefits_exact"], long["cum_costs_exact"], strict=True
        )
    ]
    domain = [names["cum_benefits"], names["cum_costs"]]
    scale = alt.Scale(domain=domain, range=[BENEFIT, COST])
    color = alt.Color(
        "series:N",
        scale=scale,
        legend=alt.Legend(title=None, orient="top-left"),
    )
    tooltip = [
        alt.Tooltip("week_start:T", title="Week", format="%Y-%m-%d"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip(
            "amount:Q", title=f"Amount ({currency})", format=money_format(currency, cents=True)
        ),
        alt.Tooltip("exact:N", title="Exact"),
        alt.Tooltip(
            "cum_net:Q",
            title=f"Cumulative net ({currency})",
            format=money_format(currency, cents=True),
        ),
    ]
    # a few weeks: one label a week (one week used to repeat its month 8 times), drawn as points
    weeks = frame["week_start"].nunique()
    monthly = alt.Axis(format="%b %Y", labelAngle=0)
    axis = week_axis(frame["week_start"], "%d %b %Y") if weeks <= 12 else monthly
    x = alt.X("week_start:T", title="Week", axis=axis, scale=week_scale(frame["week_start"]))
    base = alt.Chart(long)
    lines = base.mark_line(strokeWidth=2.5, point=weeks == 1).encode(
        x=x,
        y=alt.Y(
            "amount:Q", title=f"Cumulative amount {axis_money(currency)}", axis=alt.Axis(format=fmt)
        ),
        color=color,
    )
    # invisible points: a wide hover target with the exact values
    points = base.mark_point(size=60, filled=True, opacity=0.001).encode(
        x=x, y="amount:Q", color=alt.Color("series:N", scale=scale, legend=None), tooltip=tooltip
    )
    layers: list[Any] = []
    if period is not None:
        shade = pd.DataFrame(
            {
                "start": [pd.Timestamp(period[0])],
                "end": [pd.Timestamp(period[1])],
                "label": ["selected period"],
            }
        )
        layers.append(
            alt.Chart(shade)
            .mark_rect(color=PERIOD_SHADE, opacity=0.9)
            .encode(
                x="start:T",
                x2="end:T",
                tooltip=[
                    alt.Tooltip("label:N", title=""),
                    alt.Tooltip("start:T", title="From", format="%Y-%m-%d"),
                    alt.Tooltip("end:T", title="To", format="%Y-%m-%d"),
                ],
            )
        )
    layers.append(alt.layer(lines, points))
    if payback_week is not None:
        row = frame[frame["week_start"] == pd.Timestamp(payback_week)]
        if len(row):
            mark = pd.DataFrame(
                {
                    "week_start": [pd.Timestamp(payback_week)],
                    "amount": [float(row["cum_benefits"].iloc[0])],
                    "label": [f"Payback {payback_week:%Y-%m-%d}"],
                    "cum_net": [float(row["cum_net"].iloc[0])],
                }
            )
            tip = [
                alt.Tooltip("label:N", title="Payback"),
                alt.Tooltip(
                    "cum_net:Q",
                    title=f"Cumulative net ({currency})",
                    format=money_format(currency, cents=True),
                ),
            ]
            layers.append(
                alt.Chart(mark)
                .mark_rule(color=NET, strokeDash=[4, 3], strokeWidth=1.5)
                .encode(x="week_start:T", tooltip=tip)
            )
            layers.append(
                alt.Chart(mark)
                .mark_point(
                    shape="diamond", size=160, filled=True, color=NET, stroke="white", strokeWidth=1
                )
                .encode(x="week_start:T", y="amount:Q", tooltip=tip)
            )
            layers.append(
                alt.Chart(mark)
                .mark_text(align="left", dx=8, dy=-10, fontWeight="bold", color=NET)
                .encode(x="week_start:T", y="amount:Q", text="label:N")
            )
    notes = annotation_layer(annotations)
    if notes is not None:
        layers.append(notes)
    subtitle = (
        f"Payback in week {payback_week:%Y-%m-%d}: cumulative value first covers cumulative cost"
        if payback_week
        else "Not paid back yet: cumulative cost is still above cumulative value"
    )
    return (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(
            title=alt.TitleParams(
                f"Cumulative value vs cumulative cost, by week ({currency})",
                subtitle=subtitle,
                anchor="start",
            ),
            height=height,
        )
    )


def waterfall_frame(lines: Sequence[tuple[str, str, Decimal]]) -> pd.DataFrame:
    """Steps of a waterfall from (title, category, amount) lines: benefits up, costs down,
    then the net bar from zero.

    >>> f = waterfall_frame([("Time", "benefit", Decimal(100)), ("Cloud", "cost", Decimal(30))])
    >>> f[["label", "start", "end"]].values.tolist()
    [['Time', 0.0, 100.0], ['Cloud', 100.0, 70.0], ['Net value', 0.0, 70.0]]
    """
    order = {"benefit": 0, "cost": 1}
    steps = sorted(lines, key=lambda t: (order.get(t[1], 2), -abs(t[2]), t[0]))
    running = Decimal(0)
    records = []
    for title, category, amount in steps:
        signed = amount if category == "benefit" else -amount
        records.append(
            {
                "label": title,
                "kind": "Benefit" if category == "benefit" else "Cost",
                "start": float(running),
                "end": float(running + signed),
                "amount": float(signed),
                "exact": str(signed),
            }
        )
        running += signed
    records.append(
        {
            "label": "Net value",
            "kind": "Net",
            "start": 0.0,
            "end": float(running),
            "amount": float(running),
            "exact": str(running),
        }
    )
    frame = pd.DataFrame(records, columns=["label", "kind", "start", "end", "amount", "exact"])
    frame["order"] = range(len(frame))
    frame["top"] = frame[["start", "end"]].max(axis=1)
    return frame


def waterfall_chart(
    frame: pd.DataFrame, *, currency: str, period_label: str, height: int = 300
) -> alt.LayerChart:
    """Bars from benefits through costs to the net value of the period."""
    fmt = money_format(currency)
    domain = ["Benefit", "Cost", "Net"]
    x = alt.X(
        "label:N",
        sort=frame["label"].tolist(),
        title=None,
        axis=alt.Axis(labelAngle=-30, labelLimit=140, labelOverlap=False),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Line"),
        alt.Tooltip("kind:N", title="Kind"),
        alt.Tooltip(
            "amount:Q", title=f"Amount ({currency})", format=money_format(currency, cents=True)
        ),
        alt.Tooltip("exact:N", title="Exact"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(size=34)
        .encode(
            x=x,
            y=alt.Y("start:Q", title=f"Amount {axis_money(currency)}", axis=alt.Axis(format=fmt)),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=domain, range=[BENEFIT, COST, NET]),
                legend=alt.Legend(title=None, orient="top", direction="horizontal"),
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(frame)
        .mark_text(dy=-6, fontSize=11, color="#333")
        .encode(x=x, y="top:Q", text=alt.Text("amount:Q", format=fmt))
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    return layered(bars, labels, zero).properties(
        title=alt.TitleParams(
            f"From benefits through costs to net value, {period_label} ({currency})", anchor="start"
        ),
        height=height,
    )


def tornado_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Long form of a sensitivity table (outcomes.roi.sensitivity): one bar per assumption and end.

    Columns: assumption, end ('low value' / 'high value'), roi, base_roi, range (text), order.
    """
    records = []
    for order, r in enumerate(table.to_dict("records")):
        if r.get("low_roi") is None or r.get("high_roi") is None:
            continue
        unit = f" {r['unit']}" if r.get("unit") else ""
        for end, key in (("low value", "low"), ("high value", "high")):
            records.append(
                {
                    "assumption": r["assumption"],
                    "end": end,
                    "roi": float(r[f"{key}_roi"]),
                    "base_roi": float(r["base_roi"]),
                    "value": f"{r[key]}{unit}",
                    "base": f"{r['base']}{unit}",
                    "order": order,
                }
            )
    return pd.DataFrame(
        records, columns=["assumption", "end", "roi", "base_roi", "value", "base", "order"]
    )


def tornado_chart(
    frame: pd.DataFrame, *, period_label: str, height: int | None = None
) -> alt.LayerChart:
    # height: pixels per assumption row
    """ROI with each assumption at the low and the high end of its range (widest swing on top),
    the ROI as built as a rule."""
    order = frame.sort_values("order")["assumption"].drop_duplicates().tolist()
    y = alt.Y("assumption:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    bars = (
        alt.Chart(frame)
        .mark_bar(size=18)
        .encode(
            y=y,
            x=alt.X("roi:Q", title="ROI (%), net value / costs", axis=alt.Axis(format=".0%")),
            x2="base_roi:Q",
            color=alt.Color(
                "end:N",
                scale=alt.Scale(domain=["low value", "high value"], range=["#9ecae1", "#3182bd"]),
                legend=alt.Legend(title="Assumption at its", orient="top"),
            ),
            tooltip=[
                alt.Tooltip("assumption:N", title="Assumption"),
                alt.Tooltip("end:N", title="At its"),
                alt.Tooltip("value:N", title="Value"),
                alt.Tooltip("base:N", title="As built"),
                alt.Tooltip("roi:Q", title="ROI", format=".2%"),
                alt.Tooltip("base_roi:Q", title="ROI as built", format=".2%"),
            ],
        )
    )
    base_value = float(frame["base_roi"].iloc[0]) if len(frame) else 0.0
    rule = (
        alt.Chart(pd.DataFrame({"base_roi": [base_value], "label": ["ROI as built"]}))
        .mark_rule(color="#333", strokeWidth=1.5)
        .encode(
            x="base_roi:Q",
            tooltip=[
                alt.Tooltip("label:N", title=""),
                alt.Tooltip("base_roi:Q", title="ROI", format=".2%"),
            ],
        )
    )
    # a step height: a fixed number of pixels per assumption, whatever the container's width
    return layered(bars, rule).properties(
        title=alt.TitleParams(
            f"ROI range by assumption, {period_label}",
            subtitle=[
                "ROI with one assumption at the low or high end of its range,",
                "the others as built",
            ],
            anchor="start",
        ),
        height=alt.Step(height or 30),
    )
