"""ROI per AI system, for the portfolio: net value to date, ROI with its low / high range,
payback week, and the weekly value vs cost series; and the company's figures beside them.

Every figure is :func:`outcomes.roi.summary.summarise` of the system's ledger rows (inception
to ``end``) and :func:`outcomes.roi.sensitivity.roi_range` of the same rows (every ranged
assumption at the end that lowers, then raises, the ROI), exact Decimal. The company row is
the same over every system's rows: its benefits, costs and net are the exact sums of the
systems' (the ledger adds up per (week, line)).

>>> SystemSummary.__dataclass_fields__.keys() >= {"system", "net_value", "roi_low", "weeks"}
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from outcomes.roi.ledger import COMPANY, LedgerRow, read_ledger, systems_of
from outcomes.roi.sensitivity import roi_range
from outcomes.roi.summary import WeekFigures, summarise


@dataclass(frozen=True)
class SystemSummary:
    """One AI system's ROI to date (``system`` is ``""`` for the company)."""

    system: str
    currency: str
    first_week: dt.date | None
    last_week: dt.date | None
    total_benefits: Decimal
    total_costs: Decimal
    net_value: Decimal  # to date (inception to the end asked for)
    roi: Decimal | None  # net / costs; None without costs
    roi_low: Decimal | None  # every ranged assumption at its ROI-lowering end
    roi_high: Decimal | None
    payback_week: dt.date | None  # first week whose cumulative net is >= 0
    weeks: tuple[WeekFigures, ...]  # the weekly value (benefits) vs cost series

    @property
    def is_company(self) -> bool:
        return self.system == COMPANY


def system_summary(
    con: duckdb.DuckDBPyConnection,
    system: str | None,
    end: dt.date | None = None,
    *,
    ledger: list[LedgerRow] | None = None,
) -> SystemSummary:
    """The figures of ``system`` (None: the company) from its first ledger week to ``end``."""
    rows = ledger if ledger is not None else read_ledger(con, None, end)
    s = summarise(con, None, end, ledger=rows, system=system)
    span = roi_range(con, None, None, end, system)
    return SystemSummary(
        system=COMPANY if system is None else system,
        currency=s.currency,
        first_week=s.first_week,
        last_week=s.last_week,
        total_benefits=s.total_benefits,
        total_costs=s.total_costs,
        net_value=s.net_value,
        roi=s.roi,
        roi_low=span.low_roi,
        roi_high=span.high_roi,
        payback_week=s.payback_week,
        weeks=s.weeks,
    )


def system_summaries(
    con: duckdb.DuckDBPyConnection, end: dt.date | None = None, *, company: bool = True
) -> list[SystemSummary]:
    """One :class:`SystemSummary` per AI system of the ledger (by name), then the company's
    (``company=False`` leaves it out). Reads the ledger once."""
    rows = read_ledger(con, None, end)
    out = [system_summary(con, s, end, ledger=rows) for s in systems_of(rows)]
    if company:
        out.append(system_summary(con, None, end, ledger=rows))
    return out
