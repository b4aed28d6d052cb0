"""The demo generator's files for the demo tests: a fixture generating them, DuckDB views over
them (every column read as text), and the keys their assumption register holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pytest

from outcomes.ingest.demo import DemoSummary, generate_demo

# the demo register's keys: every assumption the ROI and the budget projection read
DEMO_ASSUMPTION_KEYS = frozenset(
    {
        "loaded_hourly_cost",
        "baseline_handle_minutes",
        "cost_per_error",
        "baseline_error_rate",
        "build_cost",
        "build_amortisation_months",
        "monthly_budget",
        "projected_monthly_volume",
        "headroom",
    }
)


def generated_demo(*, events: int, end: dt.date):
    """A module-scoped fixture: the demo's files for ``events`` events up to ``end``."""

    @pytest.fixture(scope="module")
    def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
        return generate_demo(tmp_path_factory.mktemp("demo"), events=events, end=end)

    return demo


def scan(path: Path) -> str:
    """DuckDB table function reading one demo source as text."""
    if path.is_dir():
        return f"read_parquet('{path}/*.parquet')"
    if path.suffix == ".jsonl":
        return f"read_json('{path}', format='newline_delimited')"
    return f"read_csv('{path}', all_varchar=true, header=true)"


def source_views(
    paths: Mapping[str, Path], *, first_week: dt.date, end: dt.date
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with one view per demo source, named after its table, and
    ``all_events``: the events before ``end`` with their time ``ts`` and ``week`` number
    (``first_week`` is week 1)."""
    con = duckdb.connect()
    for table, path in paths.items():
        con.execute(f"create view {table} as select * from {scan(path)}")
    con.execute(f"""
        create view all_events as
        select *, try_cast(occurred_at as timestamp) as ts,
               date_diff('day', date '{first_week}', try_cast(occurred_at as timestamp)::date) // 7 + 1
                   as week
        from ai_events
        where try_cast(occurred_at as timestamp) < date '{end}'
        """)
    return con
