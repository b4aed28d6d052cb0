"""Value against cost, as the page draws it: cumulative value vs cumulative cost by week,
the waterfall from benefits through costs to net value, the ROI range by assumption (tornado)
and the table of the period's lines. Charts are Altair (:mod:`outcomes.app.roi_charts`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import roi_charts
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.windows import Window
from outcomes.core.money import money
from outcomes.roi import sensitivity as roi_sensitivity
from outcomes.roi.ledger import amount_text
from outcomes.roi.summary import RoiSummary


def line_table(summary: RoiSummary) -> pd.DataFrame:
    """Per line of the period: title, category, weeks, amount (cents) and exact amount."""
    c = summary.currency
    return pd.DataFrame(
        [
            {
                "line": t.title,
                "line_id": t.line_id,
                "category": t.category,
                "weeks": t.weeks,
                "amount": money(t.amount, c, cents=True),
                "exact": amount_text(t.amount),
            }
            for t in summary.lines
        ],
        columns=["line", "line_id", "category", "weeks", "amount", "exact"],
    )


def weekly_totals(summary: RoiSummary) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(week_start, benefits, costs) of every week of a summary."""
    return [(w.week_start, w.benefits, w.costs) for w in summary.weeks]


def waterfall_lines(summary: RoiSummary) -> list[tuple[str, str, Decimal]]:
    """(title, category, amount) of every line of a summary, the waterfall's steps."""
    return [(t.title, t.category, t.amount) for t in summary.lines]


def cumulative(history: RoiSummary, window: Window, annotations: pd.DataFrame | None = None) -> Any:
    """Cumulative value vs cost from the first ledger week to the window's end."""
    frame = roi_charts.cumulative_frame(weekly_totals(history))
    return roi_charts.cumulative_chart(
        frame,
        currency=history.currency,
        period=(window.start, min(window.end, history.last_week or window.end)),
        payback_week=history.payback_week,
        annotations=annotations,
    )


def waterfall(current: RoiSummary, window: Window) -> Any:
    """Bars from the period's benefits through its costs to its net value."""
    return roi_charts.waterfall_chart(
        roi_charts.waterfall_frame(waterfall_lines(current)),
        currency=current.currency,
        period_label=window.label,
    )


def tornado(table: pd.DataFrame, window: Window) -> Any:
    """ROI with each assumption at the low and the high end of its range."""
    return roi_charts.tornado_chart(roi_charts.tornado_frame(table), period_label=window.label)


def sensitivity_table(
    con: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, system: str | None = None
) -> pd.DataFrame:
    """:func:`outcomes.roi.sensitivity.sensitivity` of the period (the tornado's data), of
    the company or of one AI ``system``."""
    return roi_sensitivity.sensitivity(catalog_safe(con), None, start, end, system=system)
