"""Projected monthly inference cost at production volume against the monthly budget, as the
metrics ``projected_inference_cost`` and ``projected_budget_ratio`` computed it for one week.

One definition of the figure, the metrics' SQL: ``outcomes roi summary`` and the ROI page both
read it here (the query is ``sql/app/roi_budget_projection.sql``, which the page shows). It is a
projection (cost per inference x projected volume x headroom), not spend.

The metrics compute in doubles; a figure is the shortest decimal that reads back as the same
double (``0.1``, not ``0.1000000000000000055...``), rounded only for display.

>>> _decimal(0.1), _decimal_or_none(None), _decimal(250000.0).normalize()
(Decimal('0.1'), None, Decimal('2.5E+5'))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from outcomes.config import BUNDLED_SQL_DIR

PROJECTION_QUERY = "roi_budget_projection"
PROJECTION_SQL_PATH = BUNDLED_SQL_DIR / "app" / f"{PROJECTION_QUERY}.sql"


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


def read_projection(
    con: duckdb.DuckDBPyConnection, week: dt.date, system: str | None = None
) -> BudgetProjection | None:
    """The projection of ``week``, of the company or of AI ``system`` (None: no events that
    week, no projected_monthly_volume, or a snapshot without the metric)."""
    cur = con.cursor()
    try:
        found = cur.execute(
            PROJECTION_SQL_PATH.read_text(), {"week": week, "system": system}
        ).fetchall()
        names = [d[0] for d in cur.description or ()]
    except duckdb.CatalogException:  # a snapshot without events, register or the metric
        return None
    finally:
        cur.close()
    if not found:
        return None
    r = dict(zip(names, found[0], strict=True))
    return BudgetProjection(
        week_start=week,
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


def _decimal(value: Any) -> Decimal:
    return Decimal(repr(float(value)))


def _decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value != value:  # SQL null (None, or NaN in a DataFrame)
        return None
    return _decimal(value)
