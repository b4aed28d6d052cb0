"""ROI summary of any period, exact Decimal, from ``main.roi_ledger``.

Conventions (for docs/DECISIONS.md):

- Of one AI system (``system``: its ledger rows) or of the company (``system`` None: every
  system's rows, i.e. the per-(week, line) sums over systems).
- A week belongs to the period that contains its ``week_start`` (:mod:`outcomes.core.periods`).
- total_benefits / total_costs: sums of the ledger amounts of the period's weeks (costs are
  positive); net_value = benefits - costs; ``roi`` = net_value / total_costs (``None`` when the
  costs are 0). Nothing is rounded; :func:`outcomes.roi.ledger.display` rounds to cents for display.
- cumulative net is inception-to-date: the running sum of weekly net from the first ledger
  week, so a period's series starts from ``opening_cumulative_net`` (the net before it).
- payback_week: the first week, from the first ledger week up to the period's end, whose
  cumulative net is >= 0 (it may lie before the period's start; ``None``: not paid back yet).
- run rate: the net of the last 4 complete weeks of the period x 52 / 4 (benefits and costs
  likewise); ``None`` with fewer than 4 complete weeks. The build's current, unfinished week
  (``staging.weeks.is_partial``) is not complete.
- projected inference cost at production volume: of the last complete week of the period, as
  metrics.projected_inference_cost and projected_budget_ratio computed it
  (:mod:`outcomes.roi.budget_projection`, the same reading as the ROI page's). A projection,
  not spend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from outcomes.core.periods import parse_period
from outcomes.roi.budget_projection import BudgetProjection, read_projection
from outcomes.roi.fetch import fetch_rows
from outcomes.roi.ledger import LedgerRow, decimal_text, display, read_ledger
from outcomes.roi.totals import LineTotal, line_totals, ratio

RUN_RATE_WEEKS = 4
WEEKS_PER_YEAR = 52


@dataclass(frozen=True)
class WeekFigures:
    """One ledger week: benefits, costs, net, inception-to-date net, and whether complete."""

    week_start: dt.date
    benefits: Decimal
    costs: Decimal
    net: Decimal
    cumulative_net: Decimal  # inception to date
    complete: bool


@dataclass(frozen=True)
class RoiSummary:
    """The ROI figures of a period (see the module doc for each convention)."""

    start: dt.date | None  # the requested bounds (None: open)
    end: dt.date | None
    currency: str
    weeks: tuple[WeekFigures, ...]
    lines: tuple[LineTotal, ...]
    total_benefits: Decimal
    total_costs: Decimal
    net_value: Decimal
    roi: Decimal | None
    opening_cumulative_net: Decimal
    cumulative_net: Decimal
    payback_week: dt.date | None
    run_rate_weeks: tuple[dt.date, ...]
    run_rate_benefits: Decimal | None
    run_rate_costs: Decimal | None
    run_rate_annualised: Decimal | None  # net
    projection: BudgetProjection | None

    @property
    def first_week(self) -> dt.date | None:
        return self.weeks[0].week_start if self.weeks else None

    @property
    def last_week(self) -> dt.date | None:
        return self.weeks[-1].week_start if self.weeks else None

    def render(self) -> str:
        """A plain-text summary (``outcomes roi summary``); money rounded to cents here only."""
        c = self.currency
        span = (
            f"{self.first_week} .. {self.last_week} ({len(self.weeks)} weeks)"
            if self.weeks
            else "no ledger weeks"
        )
        roi = "n/a (no costs)" if self.roi is None else f"{self.roi * 100:.1f}%"
        lines = [
            f"ROI summary {span}",
            f"  total benefits      {display(self.total_benefits):>16} {c}",
            f"  total costs         {display(self.total_costs):>16} {c}",
            f"  net value           {display(self.net_value):>16} {c}",
            f"  ROI (net / costs)   {roi:>16}",
            f"  cumulative net      {display(self.cumulative_net):>16} {c} (inception to date)",
            f"  payback week        {str(self.payback_week or 'not yet'):>16}",
        ]
        if self.run_rate_annualised is None:
            lines.append(
                f"  run rate            {'n/a':>16} (fewer than {RUN_RATE_WEEKS} complete weeks)"
            )
        else:
            lines.append(
                f"  run rate (net/yr)   {display(self.run_rate_annualised):>16} {c} "
                f"(weeks {self.run_rate_weeks[0]} .. {self.run_rate_weeks[-1]} x 52 / 4)"
            )
        if self.projection is not None:
            p = self.projection
            ratio = "" if p.budget_ratio is None else f", {p.budget_ratio * 100:.1f}% of budget"
            lines.append(
                f"  projected inference {display(p.projected_monthly_cost):>16} {c}/month "
                f"(projected, not spend: week {p.week_start} cost per inference x "
                f"{decimal_text(p.projected_monthly_volume)} events/month x "
                f"{decimal_text(p.headroom)} headroom){ratio}"
            )
        lines.append("  by line:")
        for t in self.lines:
            lines.append(f"    {t.category:<8} {t.line_id:<22} {display(t.amount):>16} {c}")
        return "\n".join(lines)


def summarise(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    period: str | None = None,
    ledger: Sequence[LedgerRow] | None = None,
    system: str | None = None,
) -> RoiSummary:
    """Totals, ROI, cumulative series, payback, run rate and projection of ``start..end``.

    ``period`` (``2026-Q1``...) sets both bounds. Bounds are inclusive, on week_start.
    ``ledger``: the ledger rows from the first week on, already read (a caller that summarises
    several windows reads the ledger once); rows after ``end`` are left out here.
    ``system``: one AI system's figures (None: the company's, every system's rows), its
    projection too (metrics.projected_inference_cost's row of the system).
    """
    if period is not None:
        start, end = parse_period(period).bounds
    if ledger is None:
        history = read_ledger(con, None, end, system=system)
    else:
        history = [
            e
            for e in ledger
            if (end is None or e.week_start <= end) and (system is None or e.system == system)
        ]
    partial = _partial_weeks(con)
    currency = history[0].currency if history else _currency(con)
    by_week: dict[dt.date, list[LedgerRow]] = {}
    for e in history:
        by_week.setdefault(e.week_start, []).append(e)
    weeks: list[WeekFigures] = []
    cumulative = Decimal(0)
    opening = Decimal(0)
    payback: dt.date | None = None
    for week in sorted(by_week):
        benefits = sum((e.amount for e in by_week[week] if e.category == "benefit"), Decimal(0))
        costs = sum((e.amount for e in by_week[week] if e.category == "cost"), Decimal(0))
        net = benefits - costs
        cumulative += net
        if payback is None and cumulative >= 0:
            payback = week
        if start is not None and week < start:
            opening = cumulative
            continue
        weeks.append(WeekFigures(week, benefits, costs, net, cumulative, week not in partial))
    in_period = [e for e in history if start is None or e.week_start >= start]
    total_benefits = sum((w.benefits for w in weeks), Decimal(0))
    total_costs = sum((w.costs for w in weeks), Decimal(0))
    net_value = total_benefits - total_costs
    complete = [w for w in weeks if w.complete]
    recent = complete[-RUN_RATE_WEEKS:] if len(complete) >= RUN_RATE_WEEKS else []
    factor = Decimal(WEEKS_PER_YEAR) / Decimal(RUN_RATE_WEEKS)
    return RoiSummary(
        start=start,
        end=end,
        currency=currency,
        weeks=tuple(weeks),
        lines=line_totals(in_period),
        total_benefits=total_benefits,
        total_costs=total_costs,
        net_value=net_value,
        roi=ratio(net_value, total_costs),
        opening_cumulative_net=opening,
        cumulative_net=cumulative,
        payback_week=payback,
        run_rate_weeks=tuple(w.week_start for w in recent),
        run_rate_benefits=sum((w.benefits for w in recent), Decimal(0)) * factor
        if recent
        else None,
        run_rate_costs=sum((w.costs for w in recent), Decimal(0)) * factor if recent else None,
        run_rate_annualised=sum((w.net for w in recent), Decimal(0)) * factor if recent else None,
        projection=read_projection(con, complete[-1].week_start, system) if complete else None,
    )


def _partial_weeks(con: duckdb.DuckDBPyConnection) -> set[dt.date]:
    try:
        return {
            w for (w,) in fetch_rows(con, "select week_start from staging.weeks where is_partial")
        }
    except duckdb.CatalogException:
        return set()


def _currency(con: duckdb.DuckDBPyConnection) -> str:
    try:
        found = fetch_rows(con, "select value from main.build_settings where key = 'currency'")
    except duckdb.CatalogException:
        found = []
    return found[0][0] if found else "USD"
