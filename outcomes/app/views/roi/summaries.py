"""The ROI summaries a window needs: the period, the previous period, and inception to the
period's end, each from :func:`outcomes.roi.summary.summarise`, with the budget projection of
the period and of the previous one (from the metrics, :mod:`.budget_projection`).

With a ``system`` (the page's filter, issue 15) the summaries read that system's ledger rows
(``main.roi_ledger.system``) only; the budget projection stays the company's.

One cached call (``ui.load(window_summaries, ...)``) gives the page all of them, so the
headline, the charts and the lines table share one reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from outcomes.app.views.roi.budget_projection import projection
from outcomes.app.views.roi.snapshot_connection import catalog_safe
from outcomes.core.periods import Period
from outcomes.roi import summary as roi_summary
from outcomes.roi.budget_projection import BudgetProjection
from outcomes.roi.ledger import LedgerRow, read_ledger
from outcomes.roi.period_status import PeriodStatus, period_status
from outcomes.roi.summary import RoiSummary


@dataclass(frozen=True)
class WindowSummaries:
    """The summaries behind a window's headline, charts and lines."""

    current: RoiSummary  # the window
    previous: RoiSummary  # the previous period of the same kind (windows.previous_window)
    history: RoiSummary  # the first ledger week to the window's end
    projection: BudgetProjection | None  # of the window's last complete week
    previous_projection: BudgetProjection | None
    status: PeriodStatus | None = None  # the window's partial weeks and provisional lines


def ledger_of(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | None,
    end: dt.date | None,
    system: str | None = None,
) -> Sequence[LedgerRow]:
    """Every system's ledger rows (the company: None) or one AI system's."""
    return read_ledger(con, start, end, system=system)


def summary(
    con: duckdb.DuckDBPyConnection,
    start: dt.date | None,
    end: dt.date | None,
    system: str | None = None,
) -> RoiSummary:
    """:func:`outcomes.roi.summary.summarise` of ``start..end`` (None = open) of the company
    or of one system."""
    return roi_summary.summarise(catalog_safe(con), start, end, system=system)


def window_summaries(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    prior_start: dt.date,
    prior_end: dt.date,
    system: str | None = None,
) -> WindowSummaries:
    """The summaries of ``start..end``, of the previous period ``prior_start..prior_end`` and
    of inception to ``end`` (of the company, or of ``system``), with the budget projection of
    the first two."""
    con = catalog_safe(con)
    # one reading of the ledger serves the three windows
    ledger = ledger_of(con, None, max(end, prior_end), system)
    current = roi_summary.summarise(con, start, end, ledger=ledger)
    previous = roi_summary.summarise(con, prior_start, prior_end, ledger=ledger)
    return WindowSummaries(
        current=current,
        previous=previous,
        history=roi_summary.summarise(con, None, end, ledger=ledger),
        projection=projection(con, current, system),
        previous_projection=projection(con, previous, system),
        status=period_status(
            con,
            Period("window", start, end),
            [r for r in ledger if start <= r.week_start <= end],
        ),
    )
