"""The portfolio as the page shows it: one row per system, the company's totals, and texts.

Money is rounded here, for display only (the rows hold exact decimals).

>>> percent(Decimal("0.4567")), percent(None)
('45.7%', '–')
>>> roi_range_text(Decimal("0.1"), Decimal("0.5"))
'10.0% – 50.0%'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from outcomes.app.views.portfolio import PortfolioRow

COLUMNS = [
    "System",
    "Stage",
    "Readiness",
    "Net value to date",
    "ROI",
    "ROI range",
    "Payback week",
    "Trend",
    "Adoption",
    "Weekly review",
    "Open alerts",
    "Value at risk",
    "Drift share",
    "ROI page",
]
COMPANY = "Company (all systems)"


def percent(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{float(value):.1%}"


def roi_range_text(low: Decimal | None, high: Decimal | None) -> str:
    if low is None or high is None:
        return "–"
    return f"{percent(low)} – {percent(high)}"


def money(value: Decimal | float | None, currency: str) -> str:
    """``12,345 USD`` (whole units, for display).

    >>> money(Decimal("-1234.56"), "USD")
    '-1,235 USD'
    """
    if value is None:
        return "–"
    return f"{Decimal(str(value)).quantize(Decimal(1)):,} {currency}"


def stage_text(row: PortfolioRow) -> str:
    """``production since 2026-03-02``; ``not in the register`` for a system without one."""
    if row.system is None:
        return ""
    v = row.version
    if v is None or v.stage is None:
        return "not in the register"
    return f"{v.stage} since {v.stage_since}" if v.stage_since else v.stage


def review_text(row: PortfolioRow, week: dt.date | None) -> str:
    if row.review_signed is None or week is None:
        return "–"
    return f"✅ signed ({week})" if row.review_signed else f"⏳ not signed ({week})"


def alerts_text(row: PortfolioRow) -> str:
    """``2 alert · 1 warn``, ``none``.

    >>> from outcomes.app.views.portfolio import LedgerMoney
    >>> r = PortfolioRow("a", None, LedgerMoney(), None, None, {}, {}, {"warn": 1, "alert": 2})
    >>> alerts_text(r)
    '2 alert · 1 warn'
    """
    if not row.open_alerts:
        return "none"
    return " · ".join(f"{row.alerts[k]} {k}" for k in ("alert", "warn") if row.alerts.get(k))


def value_at_risk_text(row: PortfolioRow, currency: str) -> str:
    """The value at risk of the last complete week with its low / high band."""
    value = row.values.get("value_at_risk")
    if value is None:
        return "–"
    extra = row.extras.get("value_at_risk", {})
    low, high = extra.get("low"), extra.get("high")
    band = f" ({money(low, currency)} – {money(high, currency)})" if low is not None else ""
    return money(value, currency) + band


def readiness_text(row: PortfolioRow) -> str:
    ready = None if row.system is None else row.ready
    if ready is None:
        return ""
    failed = sum(1 for i in row.readiness if not i.passed)
    return "✅ ready" if ready else f"❌ not ready ({failed} of {len(row.readiness)} failing)"


def roi_link(system: str | None) -> str:
    """The relative URL of the ROI page of ``system`` (the company's without one).

    >>> roi_link("invoice matcher"), roi_link(None)
    ('roi?system=invoice+matcher', 'roi')
    """
    return "roi" if system is None else "roi?" + urlencode({"system": system})


def table(rows: Sequence[PortfolioRow], week: dt.date | None, currency: str) -> pd.DataFrame:
    """The portfolio table: systems by name, the company's totals last."""
    records: list[dict[str, Any]] = []
    for row in rows:
        adoption = row.values.get("adoption_rate")
        drift = row.values.get("drift_share")
        records.append(
            {
                "System": COMPANY if row.system is None else row.system,
                "Stage": stage_text(row),
                "Net value to date": money(row.money.net_value, currency),
                "ROI": percent(row.money.roi),
                "ROI range": roi_range_text(row.roi_low, row.roi_high),
                "Payback week": str(row.money.payback_week or "not yet"),
                "Trend": list(row.money.trend),
                "Adoption": percent(adoption),
                "Weekly review": review_text(row, week),
                "Open alerts": alerts_text(row),
                "Value at risk": value_at_risk_text(row, currency),
                "Drift share": percent(drift),
                "Readiness": readiness_text(row),
                "ROI page": roi_link(row.system),
            }
        )
    return pd.DataFrame(records, columns=COLUMNS)


def headline(rows: Sequence[PortfolioRow]) -> dict[str, Any]:
    """The company's figures above the table: its row, and how many systems are ready.

    >>> headline([])["systems"]
    0
    """
    company = next((r for r in rows if r.system is None), None)
    systems = [r for r in rows if r.system is not None]
    return {
        "company": company,
        "systems": len(systems),
        "ready": sum(1 for r in systems if r.ready),
        "open_alerts": company.open_alerts if company else 0,
    }
