"""The six headline tiles of a window, each with its change against the previous period.

Net value to date (inception to the period's end), net value in the period, ROI of the period
(net / costs), payback week (first week with cumulative net >= 0), annualised run-rate (last 4
complete weeks x 13) and projected monthly inference cost at production volume against the
monthly budget; the first five from :func:`outcomes.roi.summary.summarise`, the last from the
metrics (:mod:`.budget_projection`). Money stays Decimal; :mod:`outcomes.core.money` rounds half
up, to whole units in the tiles and to cents in their help texts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.roi.summaries import WindowSummaries
from outcomes.app.views.roi.windows import Window
from outcomes.core.money import CENT, money, percent, points, signed_money
from outcomes.roi.budget_projection import BudgetProjection
from outcomes.roi.ledger import decimal_text
from outcomes.roi.sensitivity import RoiRange, roi_range
from outcomes.roi.summary import RUN_RATE_WEEKS, RoiSummary


@dataclass(frozen=True)
class Figure:
    """One headline tile."""

    key: str
    label: str
    text: str
    delta: str | None  # change against the previous period, as text (None: no comparison)
    delta_color: Literal["normal", "inverse", "off"]  # normal: up is good; inverse: up is bad
    help: str
    value: Any = None
    previous: Any = None
    original: str | None = None  # the figure as closed, when the period was restated
    arrow: Literal["auto", "off"] = "auto"  # off: a change that is not a rise or a fall
    alert: str | None = None  # a line the reader must not miss (e.g. over budget)
    basis: str = ""  # what the figure is: actual or projected, its period and unit
    badges: tuple[str, ...] = ()  # partial / provisional: the period's figures are not final

    @property
    def full_label(self) -> str:
        """The label with what the figure is (``ROI · actual, 2026-03, % of costs``)."""
        return f"{self.label} · {self.basis}" if self.basis else self.label


FIGURE_KEYS = ("net_to_date", "net_period", "roi", "payback", "run_rate", "inference_budget")


def headline(s: WindowSummaries, prior: Window, period: str = "period") -> list[Figure]:
    """The six headline figures of the window with their change against the previous period.

    ``prior`` names the previous period in the help texts; ``period`` (the window's label) goes
    into each figure's ``basis``; the window's partial weeks and provisional lines badge the
    figures they touch.
    """
    current, previous = s.current, s.previous
    c = current.currency
    vs = f"against the {prior.label} ({prior.start:%d %b} – {prior.end:%d %b %Y})"
    if previous.weeks and len(previous.weeks) != len(current.weeks):
        vs += f": {len(current.weeks)} weeks against {len(previous.weeks)}"
    if not previous.weeks:
        vs = "not shown: the ledger has no week in the previous period"
    figures = [
        _money_figure(
            "net_to_date",
            "Net value to date",
            current.cumulative_net,
            previous.cumulative_net,
            c,
            f"All benefits minus all costs from the first ledger week to {_end(current)}: "
            f"{money(current.cumulative_net, c, cents=True)}. Change {vs}.",
        ),
        _money_figure(
            "net_period",
            "Net value in period",
            current.net_value,
            previous.net_value,
            c,
            f"Benefits {money(current.total_benefits, c, cents=True)} minus costs "
            f"{money(current.total_costs, c, cents=True)} = {money(current.net_value, c, cents=True)}. "
            f"Change {vs}.",
        ),
        Figure(
            "roi",
            "ROI",
            percent(current.roi),
            points(current.roi - previous.roi)
            if current.roi is not None and previous.roi is not None
            else None,
            "normal",
            "Net value / costs of the period"
            + (
                f": {money(current.net_value, c, cents=True)} / {money(current.total_costs, c, cents=True)}"
                if current.roi is not None
                else " (no costs in the period)"
            )
            + f". Change in percentage points {vs}.",
            current.roi,
            previous.roi,
        ),
        Figure(
            "payback",
            "Payback week",
            f"{current.payback_week:%d %b %Y}" if current.payback_week else "Not yet",
            _payback_delta(current.payback_week, previous.payback_week),
            "off",
            "First week whose cumulative net value (from the first ledger week) is zero or more"
            + (
                f"; the cumulative net is {money(current.cumulative_net, c)} now."
                if current.weeks
                else "."
            )
            + f" Compared {vs}.",
            current.payback_week,
            previous.payback_week,
            arrow="off",
        ),
        _money_figure(
            "run_rate",
            "Annualised run-rate",
            current.run_rate_annualised,
            previous.run_rate_annualised,
            c,
            (
                f"Net value of the last {RUN_RATE_WEEKS} complete weeks of the period "
                f"({current.run_rate_weeks[0]:%d %b} – {current.run_rate_weeks[-1]:%d %b %Y}) × 52 / 4."
                if current.run_rate_weeks
                else f"Needs {RUN_RATE_WEEKS} complete weeks in the period."
            )
            + f" Change {vs}.",
        ),
        _inference_figure(s.projection, s.previous_projection, c, vs),
    ]
    if not previous.weeks:
        figures = [replace(f, delta=None) for f in figures]
    badges = tuple(s.status.badges()) if s.status is not None else ()
    basis = {
        "net_to_date": f"actual, to {_end(current)}, {c}",
        "net_period": f"actual, {period}, {c}",
        "roi": f"actual, {period}, % of costs",
        "payback": "actual, week",
        "run_rate": f"actual, last {RUN_RATE_WEEKS} complete weeks x 13, {c}/year",
        "inference_budget": "projected at production volume, per month",
    }
    return [
        replace(
            f,
            basis=basis[f.key],
            badges=badges if f.key in ("net_to_date", "net_period", "roi", "payback") else (),
        )
        for f in figures
    ]


def _inference_figure(
    p: BudgetProjection | None, q: BudgetProjection | None, c: str, vs: str
) -> Figure:
    if p is None:
        return Figure(
            "inference_budget",
            "Projected inference cost vs budget",
            "n/a",
            None,
            "off",
            "No projection: the period has no complete week with AI events, or the assumptions "
            "register has no projected_monthly_volume.",
        )
    if p.budget_ratio is None:
        text, delta = f"{money(p.projected_monthly_cost, c)}/mo", None
        help_budget = "The assumptions register has no monthly_budget to compare with."
    else:
        text = f"{percent(p.budget_ratio, 0)} of budget"
        delta = (
            points(p.budget_ratio - q.budget_ratio) if q and q.budget_ratio is not None else None
        )
        help_budget = f"Budget {money(p.monthly_budget, c)}/month" + (
            " — OVER BUDGET." if p.over_budget else "."
        )
    return Figure(
        "inference_budget",
        "Projected inference cost vs budget",
        text,
        delta,
        "inverse",
        f"Projected monthly inference cost at production volume: {money(p.projected_monthly_cost, c, cents=True)} "
        f"= cost per inference {money(p.cost_per_inference, c, cents=True) if p.cost_per_inference >= CENT else f'{p.cost_per_inference:.6f} {c}'}"
        f" (week {p.week_start:%d %b %Y}) × {p.projected_monthly_volume.normalize():,f} events × "
        f"headroom {decimal_text(p.headroom)}. {help_budget} Change {vs}.",
        p.budget_ratio,
        q.budget_ratio if q else None,
        alert=(
            f"Over budget: {money(p.projected_monthly_cost, c)}/month projected against "
            f"{money(p.monthly_budget, c)}/month"
            if p.over_budget
            else None
        ),
    )


def _money_figure(
    key: str, label: str, now: Decimal | None, before: Decimal | None, c: str, why: str
) -> Figure:
    """A tile of an amount (whole units; n/a when there is none), its change in money."""
    text = money(now, c) if now is not None else "n/a"
    return Figure(key, label, text, _money_delta(now, before, c), "normal", why, now, before)


def _end(summary: RoiSummary) -> str:
    if summary.end is not None:
        return f"{summary.end:%d %b %Y}"
    return f"{summary.last_week:%d %b %Y}" if summary.last_week else "date"


def _money_delta(now: Decimal | None, before: Decimal | None, currency: str) -> str | None:
    if now is None or before is None:
        return None
    return signed_money(now - before, currency)


def _payback_delta(now: dt.date | None, before: dt.date | None) -> str | None:
    if now is None:
        return "not paid back yet"
    if before is None:
        return "reached in this period"
    return "unchanged" if now == before else f"moved from {before:%d %b %Y}"


def headline_range(con: Any, start: dt.date, end: dt.date, system: str | None = None) -> RoiRange:
    """ROI and net value of ``start..end`` with every ranged assumption at the end that lowers
    them and at the end that raises them (:func:`outcomes.roi.sensitivity.roi_range`), of the
    company or of one AI ``system``."""
    return roi_range(catalog_safe(con), None, start, end, system=system)


def range_text(span: RoiRange, currency: str, window: Window) -> str:
    """How sure the headline is, and the period it covers, in one line.

    >>> span = RoiRange(Decimal("0.8"), Decimal("1.2"), Decimal("1.5"), Decimal("8000"),
    ...     Decimal("12000"), Decimal("15000"), {}, {})
    >>> w = Window("quarter", "2026-Q1", dt.date(2026, 1, 5), dt.date(2026, 3, 30))
    >>> print(range_text(span, "USD", w))
    ROI 120.0%, range 80.0% – 150.0%; net value $12,000, range $8,000 – $15,000 (every assumption with a low / high at its low or high end) · covers 2026-Q1: weeks starting 05 Jan 2026 – 30 Mar 2026
    """
    covers = (
        f"covers {window.label}: weeks starting {window.start:%d %b %Y} – {window.end:%d %b %Y}"
    )
    if span.base_roi is None:
        return f"ROI n/a (no costs in the period) · {covers}"
    lo, hi = sorted([span.low_roi or span.base_roi, span.high_roi or span.base_roi])
    nlo, nhi = sorted([span.low_net, span.high_net])
    return (
        f"ROI {percent(span.base_roi)}, range {percent(lo)} – {percent(hi)}; net value "
        f"{money(span.base_net, currency)}, range {money(nlo, currency)} – "
        f"{money(nhi, currency)} (every assumption with a low / high at its low or high end) · "
        f"{covers}"
    )
