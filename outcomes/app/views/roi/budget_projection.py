"""Projected monthly inference cost at production volume against the monthly budget: the
rows of ``metrics.projected_inference_cost`` and ``metrics.projected_budget_ratio`` for the
period's last complete week (one definition of the figure: the metric's SQL), and its working.

The metric computes in doubles; the page shows them as the shortest decimal that reads back
as the same double (``0.1``, not ``0.1000000000000000055...``), rounded only for display.

>>> _decimal(0.1), _decimal_or_none(None), _decimal(250000.0).normalize()
(Decimal('0.1'), None, Decimal('2.5E+5'))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.working_panel import INPUT_COLUMNS, Working, empty_working
from outcomes.core.money import money, percent
from outcomes.roi.ledger import decimal_text
from outcomes.roi.summary import RoiSummary

PROJECTION_METRICS = ("projected_inference_cost", "projected_budget_ratio")
ASSUMPTION_KEYS = ("projected_monthly_volume", "headroom", "monthly_budget")


@dataclass(frozen=True)
class BudgetProjection:
    """One week's projected monthly inference cost, as the metrics computed it."""

    week_start: dt.date
    inference_cost: Decimal  # measured: sum of cost_usd of the week's events (exact)
    events: int
    cost_per_inference: Decimal
    projected_monthly_volume: Decimal
    headroom: Decimal
    projected_monthly_cost: Decimal
    monthly_budget: Decimal | None
    budget_ratio: Decimal | None
    headroom_assumed: bool  # True: no headroom in the register, the metric's default was used

    @property
    def over_budget(self) -> bool | None:
        """True above 100 % of the budget (None without a budget)."""
        return None if self.budget_ratio is None else self.budget_ratio > 1


def projection(con: duckdb.DuckDBPyConnection, summary: RoiSummary) -> BudgetProjection | None:
    """The projection of the last complete week of ``summary`` (None: no complete week, no
    events that week, no projected_monthly_volume, or a snapshot without the metric)."""
    complete = [w.week_start for w in summary.weeks if w.complete]
    if not complete:
        return None
    try:
        found = queries.run(catalog_safe(con), "roi_budget_projection", {"week": complete[-1]})
    except duckdb.CatalogException:  # a snapshot without events, register or the metric
        return None
    if not len(found):
        return None
    r = found.iloc[0]
    return BudgetProjection(
        week_start=complete[-1],
        inference_cost=Decimal(r["inference_cost"]),
        events=int(r["events"]),
        cost_per_inference=_decimal(r["cost_per_inference"]),
        projected_monthly_volume=_decimal(r["projected_monthly_volume"]),
        headroom=_decimal(r["headroom"]),
        projected_monthly_cost=_decimal(r["projected_monthly_cost"]),
        monthly_budget=_decimal_or_none(r["monthly_budget"]),
        budget_ratio=_decimal_or_none(r["budget_ratio"]),
        headroom_assumed=bool(r["headroom_assumed"]),
    )


def projection_working(
    con: duckdb.DuckDBPyConnection, p: BudgetProjection | None, currency: str
) -> Working:
    """Projected monthly inference cost vs budget: cost per inference of the last complete
    week x projected volume x headroom, each assumption with its owner and date."""
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


def _frame(con: Any, name: str, params: dict[str, Any]) -> pd.DataFrame:
    try:
        return queries.run(con, name, params)
    except duckdb.CatalogException:
        return pd.DataFrame()


def _decimal(value: Any) -> Decimal:
    return Decimal(repr(float(value)))


def _decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value != value:  # SQL null (None, or NaN in a DataFrame)
        return None
    return _decimal(value)
