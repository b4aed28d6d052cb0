"""The portfolio: one row per AI system for the executive, and the company's totals (issue 15).

Per system: stage (the register's version in force on the last complete week, with the day
that stage began), net value to date (inception to the last complete week, the same figures
as :func:`outcomes.roi.system_summary.system_summaries` to that week), ROI with its low / high range, payback week, the trend
of cumulative net value (sparkline), adoption, the status of its weekly review, open alerts,
value at risk with drift beside it, and ready / not ready (:mod:`.readiness`).

Money is exact: net value, benefits and costs are sums of the ledger's DECIMAL amounts per
system (``main.roi_ledger.system``); the company row is their exact sum per week, which the
ledger's own per-system rows add up to. Conventions are the ROI summary's
(:mod:`outcomes.roi.summary`): ROI = net / costs (None without costs), payback = the first week
whose inception-to-date net is >= 0.

The snapshot part is cached per build (:func:`portfolio_snapshot`); sign-offs, acknowledgements
and readiness come from the state store on every run (:func:`assemble`).

>>> from decimal import Decimal as D
>>> rows = [("a", dt.date(2026, 1, 5), D("10"), D("30")), ("a", dt.date(2026, 1, 12), D("50"), D("10")),
...         ("b", dt.date(2026, 1, 5), D("0"), D("5"))]
>>> money = ledger_money(rows)
>>> money["a"].net_value, money["a"].payback_week, money["a"].roi
(Decimal('20'), datetime.date(2026, 1, 12), Decimal('0.5'))
>>> money[None].net_value, money[None].trend
(Decimal('15'), (-25.0, 15.0))
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import duckdb

from outcomes.app import queries
from outcomes.app.views.readiness import ReadinessItem, is_ready
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.app.views.snapshot_cells import as_date, dims, has_table
from outcomes.app.views.systems import SystemVersion, register, system_names
from outcomes.roi.sensitivity import roi_range
from outcomes.roi.totals import Totals
from outcomes.store.state_alerts import Acknowledgement, alert_key
from outcomes.store.state_signoffs import SignOff

QUERIES = (
    "portfolio_ledger_weeks",
    "portfolio_system_values",
    "portfolio_alerts",
    "systems_register",
)
# metrics the portfolio reads at the last complete week, per system and for the company
ROW_METRICS = ("adoption_rate", "value_at_risk", "drift_share", "estimated_accuracy", "accuracy")


@dataclass(frozen=True)
class LedgerMoney(Totals):
    """A system's (or the company's) money to date, exact: the ROI package's totals (its net
    and its ``roi``, net / costs with 38 significant digits), payback week and trend."""

    benefits: Decimal = Decimal(0)
    costs: Decimal = Decimal(0)
    payback_week: dt.date | None = None
    trend: tuple[float, ...] = ()  # cumulative net per ledger week (a sparkline, not money)

    @property
    def net_value(self) -> Decimal:
        return self.net


def ledger_money(rows: Iterable[tuple[Any, dt.date, Decimal, Decimal]]) -> dict:
    """``{system: LedgerMoney}`` and the company under None, from rows of
    ``portfolio_ledger_weeks`` (system, week_start, benefits, costs) ordered by system, week."""
    by_system: dict[Any, dict[dt.date, tuple[Decimal, Decimal]]] = {}
    company: dict[dt.date, tuple[Decimal, Decimal]] = {}
    for system, cell, benefits, costs in rows:
        week = as_date(cell)
        if week is None:
            continue  # a ledger row always has a week (week_start is not null)
        b, c = Decimal(benefits), Decimal(costs)
        by_system.setdefault(system, {})[week] = (b, c)
        cb, cc = company.get(week, (Decimal(0), Decimal(0)))
        company[week] = (cb + b, cc + c)
    out: dict[Any, LedgerMoney] = {}
    for key, weeks in [*by_system.items(), (None, company)]:
        cumulative = Decimal(0)
        payback = None
        trend = []
        for week in sorted(weeks):
            b, c = weeks[week]
            cumulative += b - c
            trend.append(float(cumulative))
            if payback is None and cumulative >= 0:
                payback = week
        out[key] = LedgerMoney(
            benefits=sum((b for b, _ in weeks.values()), Decimal(0)),
            costs=sum((c for _, c in weeks.values()), Decimal(0)),
            payback_week=payback,
            trend=tuple(trend),
        )
    return out


@dataclass(frozen=True)
class PortfolioRow:
    """One system (``system`` None: the company's totals)."""

    system: str | None
    version: SystemVersion | None
    money: LedgerMoney
    roi_low: Decimal | None
    roi_high: Decimal | None
    values: Mapping[str, float | None]  # ROW_METRICS at the last complete week
    extras: Mapping[str, Mapping[str, Any]]  # their extra columns (value_at_risk low / high)
    alerts: Mapping[str, int] = field(default_factory=dict)  # open alerts by level
    review_signed: bool | None = None  # the weekly review of the week signed (None: not read)
    readiness: tuple[ReadinessItem, ...] = ()

    @property
    def ready(self) -> bool | None:
        """Ready for production (None for the company row, or before readiness is read)."""
        return is_ready(self.readiness) if self.readiness else None

    @property
    def open_alerts(self) -> int:
        return sum(self.alerts.values())


@dataclass(frozen=True)
class PortfolioSnapshot:
    """What the snapshot says (cached per build); :func:`assemble` adds the state store."""

    week: dt.date | None  # the last complete week
    currency: str
    rows: tuple[PortfolioRow, ...]  # systems by name, then the company (system None)
    alert_rows: tuple[tuple[str, str, str, str | None], ...]  # metric, dimensions, level, system
    has_system_ledger: bool = True
    notes: tuple[str, ...] = ()


def last_complete_week(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The newest week of ``staging.weeks`` that is not partial."""
    rows = queries.rows(con, "review_weeks")
    complete = [as_date(w) for w, partial, _ in rows if not partial]
    return complete[0] if complete else None


def _range(con: Any, system: str | None, end: dt.date | None) -> tuple[Any, Any]:
    """ROI at the low and high ends of the assumption ranges, to ``end``, of the company
    (None) or of one system (:func:`outcomes.roi.sensitivity.roi_range`)."""
    try:
        span = roi_range(con, None, None, end, system=system)
    except (duckdb.Error, ValueError, ArithmeticError):
        return None, None
    bounds = sorted(r for r in (span.low_roi, span.high_roi) if r is not None)
    return (bounds[0], bounds[-1]) if bounds else (None, None)


def portfolio_snapshot(con: duckdb.DuckDBPyConnection) -> PortfolioSnapshot:
    """Every system's row and the company's, from the snapshot (see the module doc)."""
    con = catalog_safe(con)
    week = last_complete_week(con) if has_table(con, "staging", "weeks") else None
    notes: list[str] = []
    currency = dict(queries.rows(con, "roi_build_settings")).get("currency") or "USD"
    versions = register(con, week or dt.date.max)
    names = system_names(con)
    try:
        money = ledger_money(queries.rows(con, "portfolio_ledger_weeks", {"end": week}))
        has_ledger = True
    except duckdb.Error:
        money, has_ledger = {}, False
        notes.append(
            "The ROI ledger of this snapshot has no per-system rows (main.roi_ledger.system): "
            "net value, ROI and payback per system need a rebuild with the current ROI lines."
        )
    values: dict[tuple[str, Any], float | None] = {}
    extras: dict[tuple[str, Any], dict[str, Any]] = {}
    alert_rows: list[tuple[str, str, str, str | None]] = []
    if week is not None:
        for metric, system, value, extra in queries.rows(
            con, "portfolio_system_values", {"metrics": list(ROW_METRICS), "week": week}
        ):
            values[(metric, system)] = value
            extras[(metric, system)] = dims(extra)
        if has_table(con, "main", "alerts"):
            alert_rows = [
                (m, d, level, s)
                for m, _, d, level, s in queries.rows(con, "portfolio_alerts", {"week": week})
            ]
    end = week
    rows = []
    for system in [*names, None]:
        low, high = _range(con, system, end) if has_ledger else (None, None)
        rows.append(
            PortfolioRow(
                system=system,
                version=versions.get(system) if system else None,
                money=money.get(system, LedgerMoney()),
                roi_low=low,
                roi_high=high,
                values={m: values.get((m, system)) for m in ROW_METRICS},
                extras={m: extras.get((m, system), {}) for m in ROW_METRICS},
            )
        )
    return PortfolioSnapshot(
        week=week,
        currency=str(currency),
        rows=tuple(rows),
        alert_rows=tuple(alert_rows),
        has_system_ledger=has_ledger,
        notes=tuple(notes),
    )


def open_alerts(
    snapshot: PortfolioSnapshot, acks: Iterable[Acknowledgement]
) -> dict[str | None, Counter]:
    """Alerts of the last complete week not acknowledged, by system (None: company-wide) and
    level.

    >>> snap = PortfolioSnapshot(dt.date(2026, 1, 5), "USD", (), (
    ...     ("accuracy", '{"system":"a"}', "alert", "a"), ("drift_psi", '{"system":"a"}', "warn", "a")))
    >>> dict(open_alerts(snap, [])["a"])
    {'alert': 1, 'warn': 1}
    """
    acknowledged = {a.alert_key for a in acks}
    found: dict[str | None, Counter] = {}
    if snapshot.week is None:
        return found
    for metric, dimensions, level, system in snapshot.alert_rows:
        if alert_key(metric, snapshot.week, dims(dimensions)) in acknowledged:
            continue
        found.setdefault(system, Counter())[level] += 1
    return found


def assemble(
    snapshot: PortfolioSnapshot,
    signoffs: Sequence[SignOff],
    acks: Iterable[Acknowledgement],
    readiness: Mapping[str, tuple[ReadinessItem, ...]],
) -> tuple[PortfolioRow, ...]:
    """The snapshot's rows with the state store's part: review status (a sign-off of the last
    complete week, of the system or, for the company row, of the company review), open alerts
    and the readiness items of each system."""
    alerts = open_alerts(snapshot, acks)
    signed = {(s.week_start, s.system) for s in signoffs}
    company_alerts: Counter[str] = Counter()
    for counts in alerts.values():
        company_alerts.update(counts)
    out = []
    for row in snapshot.rows:
        out.append(
            replace(
                row,
                alerts=dict(
                    company_alerts if row.system is None else alerts.get(row.system, Counter())
                ),
                review_signed=(snapshot.week, row.system) in signed if snapshot.week else None,
                readiness=readiness.get(row.system, ()) if row.system else (),
            )
        )
    return tuple(out)
