"""Totals of ledger rows: benefits, costs, net, ROI, and the total of each line.

Costs are positive amounts; net = benefits - costs; ROI = net / costs (``None`` without
costs). Exact Decimal: nothing is rounded here.

>>> t = Totals(Decimal("150"), Decimal("100"))
>>> t.net, t.roi
(Decimal('50'), Decimal('0.5'))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from outcomes.roi.ledger import LedgerRow, amount_text

CATEGORY_ORDER = {"benefit": 0, "cost": 1}


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator / denominator`` with 38 significant digits; ``None`` when dividing by 0.

    >>> ratio(Decimal(1), Decimal(3)), ratio(Decimal(1), Decimal(0))
    (Decimal('0.33333333333333333333333333333333333333'), None)
    """
    if denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 38
        return numerator / denominator


@dataclass(frozen=True)
class Totals:
    """Benefits and costs of some ledger rows, with their net and ROI."""

    benefits: Decimal
    costs: Decimal

    @property
    def net(self) -> Decimal:
        return self.benefits - self.costs

    @property
    def roi(self) -> Decimal | None:
        """net / costs (None when there are no costs)."""
        return ratio(self.net, self.costs)

    def as_dict(self) -> dict[str, str | None]:
        """The totals as text: amounts with 10 places, ROI as its full decimal."""
        roi = self.roi
        return {
            "benefits": amount_text(self.benefits),
            "costs": amount_text(self.costs),
            "net": amount_text(self.net),
            "roi": None if roi is None else str(roi),
        }


def ledger_totals(rows: Iterable[LedgerRow]) -> Totals:
    """Benefits and costs of ``rows`` (a row that is not a cost is a benefit)."""
    benefits = costs = Decimal(0)
    for row in rows:
        if row.category == "cost":
            costs += row.amount
        else:
            benefits += row.amount
    return Totals(benefits, costs)


@dataclass(frozen=True)
class LineTotal:
    """A ledger line summed over weeks and systems (or, with ``week_start``, one week of it;
    with ``system``, of one AI system)."""

    line_id: str
    category: str
    title: str
    amount: Decimal
    weeks: int  # distinct weeks
    week_start: dt.date | None = None
    system: str | None = None


def line_totals(rows: Iterable[LedgerRow]) -> tuple[LineTotal, ...]:
    """One total per line (over every system of ``rows``): benefits first, then costs, each
    by line_id; ``weeks`` counts distinct weeks."""
    totals: dict[str, LineTotal] = {}
    weeks: dict[str, set[dt.date]] = {}
    for r in rows:
        t = totals.get(r.line_id)
        weeks.setdefault(r.line_id, set()).add(r.week_start)
        totals[r.line_id] = LineTotal(
            r.line_id,
            r.category,
            r.title,
            (t.amount if t else Decimal(0)) + r.amount,
            len(weeks[r.line_id]),
        )
    return tuple(
        sorted(totals.values(), key=lambda t: (CATEGORY_ORDER.get(t.category, 2), t.line_id))
    )
