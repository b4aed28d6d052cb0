"""The SQL behind each panel of the ROI page, the way "show working" shows it for a figure:
the page's own queries (``sql/app/roi_*.sql``) and the metric SQL the snapshot was built with.

The charts and the lines table are computed from the ledger rows in exact Decimal
(:mod:`outcomes.roi.summary`); their queries return the same rows in SQL, so a reader can run
them in any DuckDB shell on the snapshot (the tests check they agree).

>>> [name for name, _ in panel_sql(duckdb.connect(), "waterfall")]
['sql/app/roi_line_totals.sql']
"""

from __future__ import annotations

import duckdb

from outcomes.app import queries
from outcomes.app.views.roi.budget_projection import PROJECTION_METRICS, metric_sql
from outcomes.app.views.roi.windows import CALENDAR_QUERIES

PANELS: dict[str, tuple[str, ...]] = {
    "period": CALENDAR_QUERIES,
    "headline": ("roi_weekly_value_cost", "roi_line_totals", "roi_budget_projection"),
    "cumulative": ("roi_weekly_value_cost",),
    "waterfall": ("roi_line_totals",),
    "tornado": ("roi_line_totals", "roi_assumption_ranges"),
    "lines": ("roi_line_totals",),
    "downloads": ("roi_ledger_rows",),
}


def panel_sql(con: duckdb.DuckDBPyConnection, panel: str) -> tuple[tuple[str, str], ...]:
    """(name, SQL text) of every query behind ``panel`` (a key of :data:`PANELS`)."""
    if panel not in PANELS:
        raise ValueError(f"unknown ROI panel {panel!r}; expected one of {sorted(PANELS)}")
    found = [(f"sql/app/{name}.sql", queries.query_text(name)) for name in PANELS[panel]]
    if panel == "headline":
        found += metric_sql(con, PROJECTION_METRICS)
    return tuple(found)
