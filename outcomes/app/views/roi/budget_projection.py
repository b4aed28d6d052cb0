"""Projected monthly inference cost at production volume against the monthly budget: the
rows of ``metrics.projected_inference_cost`` and ``metrics.projected_budget_ratio`` for the
period's last complete week (one definition of the figure: the metric's SQL), and its working.

The reading itself is :mod:`outcomes.roi.budget_projection` (shared with ``outcomes roi
summary``); this module adds the working panel.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.working_panel import INPUT_COLUMNS, Working, empty_working
from outcomes.core.money import money, percent
from outcomes.roi.budget_projection import BudgetProjection, read_projection
from outcomes.roi.ledger import decimal_text
from outcomes.roi.summary import RoiSummary

PROJECTION_METRICS = ("projected_inference_cost", "projected_budget_ratio")
ASSUMPTION_KEYS = ("projected_monthly_volume", "headroom", "monthly_budget")


def projection(
    con: duckdb.DuckDBPyConnection, summary: RoiSummary, system: str | None = None
) -> BudgetProjection | None:
    """The projection of the last complete week of ``summary``, of the company or of AI
    ``system`` (None: no complete week, no events that week, no projected volume, or a
    snapshot without the metric)."""
    complete = [w.week_start for w in summary.weeks if w.complete]
    if not complete:
        return None
    return read_projection(catalog_safe(con), complete[-1], system)


def projection_working(
    con: duckdb.DuckDBPyConnection,
    p: BudgetProjection | None,
    currency: str,
    system: str | None = None,
) -> Working:
    """Projected monthly inference cost vs budget: cost per inference of the last complete
    week x projected volume x headroom, each assumption with its owner and date. For an AI
    ``system`` the volume and the budget come from the systems register (its production
    events and inference budget per week, x 52 / 12), as the metric reads them."""
    c = currency
    if p is None:
        return empty_working(
            "inference_budget",
            "no projection for this period (no complete week with events, or no projected_monthly_volume assumption)",
        )
    con = catalog_safe(con)
    week = p.week_start
    records = [
        _measured("inference_cost", decimal_text(p.inference_cost), c, "sum(cost_usd)", week),
        _measured("events", str(p.events), "events", "count(*)", week),
    ]
    for key, value in zip(
        ASSUMPTION_KEYS,
        (p.projected_monthly_volume, p.headroom, p.monthly_budget),
        strict=True,
    ):
        if system is not None and key != "headroom":
            records.append(_registered(key, value, system))
        else:
            records.append(_assumption(key, value, _assumption_at(con, key, week)))
    formula = "budget_ratio = (inference_cost / events) × projected_monthly_volume × headroom / monthly_budget"
    filled = (
        f"({decimal_text(p.inference_cost)} / {p.events}) × {decimal_text(p.projected_monthly_volume)} "
        f"× {decimal_text(p.headroom)} = {money(p.projected_monthly_cost, c, cents=True)} per month"
    )
    if p.monthly_budget:
        filled += f"; / {money(p.monthly_budget, c, cents=True)} = {percent(p.budget_ratio)}"
    return Working(
        title=f"projected monthly inference cost at production volume vs budget (week {week})",
        formula=formula,
        formula_filled=filled,
        result=percent(p.budget_ratio) + " of budget"
        if p.budget_ratio is not None
        else money(p.projected_monthly_cost, c, cents=True),
        inputs=pd.DataFrame(records, columns=INPUT_COLUMNS),
        sql=tuple(metric_sql(con, PROJECTION_METRICS)),
        rows=_frame(con, "roi_week_events_sample", {"week": week}),
        rows_title=f"Sample of the {p.events:,} AI events of week {week} (first 20 by event id)",
        notes=(f"headroom: the register has none, the default {decimal_text(p.headroom)} is used",)
        if p.headroom_assumed
        else (),
    )


def metric_sql(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """SQL of metrics from ``main.metric_definitions`` (the text the snapshot was built with)."""
    try:
        found = dict(queries.rows(catalog_safe(con), "roi_metric_sql", {"names": list(names)}))
    except duckdb.CatalogException:
        found = {}
    return [(f"metrics.{n}", found[n]) for n in names if n in found]


def _assumption_at(con: Any, key: str, week: dt.date) -> dict[str, Any] | None:
    found = _frame(con, "roi_assumption_at_week", {"key": key, "week": week})
    return found.iloc[0].to_dict() if len(found) else None


def _measured(name: str, value: str, unit: str, aggregate: str, week: dt.date) -> dict[str, str]:
    return {
        "input": name,
        "value": value,
        "unit": unit,
        "source": "events",
        "source_ref": f"staging.ai_events: {aggregate}, week {week}",
        "owner": "",
        "effective_from": "",
        "note": "",
    }


def _assumption(key: str, value: Decimal | None, a: dict[str, Any] | None) -> dict[str, str]:
    found = a or {}
    return {
        "input": key,
        "value": decimal_text(value) if value is not None else "",
        "unit": found.get("unit") or "",
        "source": "assumption" if a else "default",
        "source_ref": f"staging.assumptions: {key}" if a else f"no {key} in the register",
        "owner": found.get("owner") or "",
        "effective_from": str(found.get("effective_from") or ""),
        "note": " — ".join(
            str(x) for x in (found.get("source"), found.get("note")) if x and x == x
        ),
    }


def _registered(key: str, value: Decimal | None, system: str) -> dict[str, str]:
    """A system's projected volume or budget: its register's weekly figure x 52 / 12."""
    column = (
        "production_events_per_week"
        if key == "projected_monthly_volume"
        else "inference_budget_per_week"
    )
    return {
        "input": key,
        "value": decimal_text(value) if value is not None else "",
        "unit": "events/month" if key == "projected_monthly_volume" else "per month",
        "source": "systems register",
        "source_ref": f"staging.systems: {column} of {system} x 52 / 12",
        "owner": "",
        "effective_from": "",
        "note": "",
    }


def _frame(con: Any, name: str, params: dict[str, Any]) -> pd.DataFrame:
    try:
        return queries.run(con, name, params)
    except duckdb.CatalogException:
        return pd.DataFrame()
