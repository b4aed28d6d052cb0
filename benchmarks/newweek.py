""" "One new week arrives": copy the last complete demo week as next week's load.

The rows of the demo week starting ``week`` (events by ``occurred_at``, work items by
``opened_at``, features and feedback by their event) are written again with every timestamp
moved ``shift_days`` later and every id prefixed with ``N``, as Parquet files (text columns, as
the demo writes them) under ``out_dir``: ``<table>.parquet`` for ai_events, ai_features,
feedback and work_items. Ingesting them adds one new reporting week and no corrections.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

TABLES = ("work_items", "ai_events", "ai_features", "feedback")


def _scan(src: Path, table: str) -> str:
    if (src / table).is_dir() and any((src / table).glob("*.csv")):  # a split CSV (100m)
        return f"read_csv('{src / table}/*.csv', all_varchar = true, header = true)"
    if (src / table).is_dir():
        return f"read_parquet('{src / table}/*.parquet')"
    return f"read_csv('{src / table}.csv', all_varchar = true, header = true)"


def _shift(column: str, days: int) -> str:
    return (
        f"coalesce(strftime(try_cast({column} as timestamp) + interval {days} day, "
        f"'%Y-%m-%d %H:%M:%S'), {column}) as {column}"
    )


def write_new_week(src: Path, out_dir: Path, week: date, shift_days: int = 14) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    lo, hi = f"timestamp '{week}'", f"timestamp '{week}' + interval 7 day"
    con = duckdb.connect()
    try:
        con.execute(
            f"create temp table ev as select * from {_scan(src, 'ai_events')} "
            f"where try_cast(occurred_at as timestamp) >= {lo} "
            f"and try_cast(occurred_at as timestamp) < {hi}"
        )
        queries = {
            "ai_events": "select 'N' || event_id as event_id, "
            + _shift("occurred_at", shift_days)
            + ", * exclude (event_id, occurred_at, work_item_id), "
            "case when work_item_id is null or work_item_id = '' then work_item_id "
            "else 'N' || work_item_id end as work_item_id from ev",
            "ai_features": "select 'N' || f.event_id as event_id, f.* exclude (event_id) from "
            f"{_scan(src, 'ai_features')} as f semi join ev on ev.event_id = f.event_id",
            "feedback": "select 'N' || f.event_id as event_id, "
            + _shift("labeled_at", shift_days)
            + ", f.* exclude (event_id, labeled_at) from "
            f"{_scan(src, 'feedback')} as f semi join ev on ev.event_id = f.event_id",
            "work_items": "select 'N' || item_id as item_id, "
            + _shift("opened_at", shift_days)
            + ", "
            + _shift("closed_at", shift_days)
            + f", * exclude (item_id, opened_at, closed_at) from {_scan(src, 'work_items')} "
            f"where try_cast(opened_at as timestamp) >= {lo} "
            f"and try_cast(opened_at as timestamp) < {hi}",
        }
        paths = {}
        for table in TABLES:
            path = out_dir / f"{table}.parquet"
            con.execute(f"copy ({queries[table]}) to '{path}' (format parquet)")
            paths[table] = path
        return paths
    finally:
        con.close()
