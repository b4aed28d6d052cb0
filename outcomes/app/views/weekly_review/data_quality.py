"""Data quality of the review's week: freshness, newest loads, quarantine, null rates."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.snapshot_cells import dims

QUERIES = ("review_dq_freshness", "review_dq_loads", "review_dq_quarantine", "review_dq_null_rates")


def dq_panel(con: duckdb.DuckDBPyConnection, week: dt.date) -> dict[str, pd.DataFrame]:
    """Data quality of the week.

    - ``freshness``: source, hours (dq_freshness_hours of the week), newest_at, stale;
    - ``loads``: per raw table, the newest load: finished_at, status, rows in / accepted /
      quarantined;
    - ``quarantine``: per table and rule, rows rejected in the loads of this week and in all
      loads of the snapshot, with an example reason;
    - ``null_rates``: per source, the share of incoming rows with a missing required field
      in the loads of this week (dq_null_rate).
    """
    out: dict[str, pd.DataFrame] = {}
    records = []
    for dimensions, value, extras in queries.rows(con, "review_dq_freshness", {"week": week}):
        source = dims(dimensions).get("source")
        extra = dims(extras)
        records.append(
            {
                "source": source or "all (stalest)",
                "hours": value,
                "newest_at": extra.get("newest_at"),
                "stale": extra.get("stale"),
            }
        )
    out["freshness"] = pd.DataFrame(records, columns=["source", "hours", "newest_at", "stale"])
    out["loads"] = queries.run(con, "review_dq_loads")
    out["quarantine"] = queries.run(con, "review_dq_quarantine", {"week": week})
    nulls = queries.rows(con, "review_dq_null_rates", {"week": week})
    out["null_rates"] = pd.DataFrame(
        [
            {
                "source": dims(d).get("source") or "all",
                "null_rate": v,
                "rows_missing": n,
                "rows_in": den,
            }
            for d, v, n, den in nulls
        ],
        columns=["source", "null_rate", "rows_missing", "rows_in"],
    )
    return out
