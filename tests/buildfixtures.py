"""Small raw stores and SQL folders, written in code, for the registry and build tests.

The raw store is made directly (no ingest): two raw tables with the bookkeeping columns
(`_load_id`, `_row_number`) and a load ledger; the SQL folder holds two staging
views and four metrics, so the tests do not depend on the project's own `sql/` files.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb

from outcomes.config import Settings
from tests.conftest import BUILD_AS_OF

# 3 weeks (Mondays 2026-03-02, 03-09, 03-16) x 2 segments; events per (week, segment):
EVENTS_PER_CELL = {
    ("2026-03-02", "smb"): 3,
    ("2026-03-02", "ent"): 2,
    ("2026-03-09", "smb"): 4,
    ("2026-03-09", "ent"): 1,
    ("2026-03-16", "smb"): 2,
    ("2026-03-16", "ent"): 3,
}
N_EVENTS = sum(EVENTS_PER_CELL.values())  # 15


def make_raw_store(path: Path, *, rows: bool = True, repeat: int = 1) -> Path:
    """A raw store at ``path`` with raw.ai_events, raw.feedback, raw.loads (and quarantine).

    ``repeat`` multiplies the events (each copy gets new ids), to make builds slower.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute(
        """create table raw.ai_events (
            event_id varchar, occurred_at timestamp, model_version varchar, segment varchar,
            latency_ms double, confidence double,
            _load_id varchar, _row_number bigint)"""
    )
    con.execute(
        """create table raw.feedback (
            event_id varchar, labeled_at timestamp, correct boolean, accepted boolean,
            overridden boolean, _load_id varchar, _row_number bigint)"""
    )
    con.execute(
        """create table raw.loads (
            load_id varchar, table_name varchar, file_sha256 varchar, started_at timestamp,
            status varchar)"""
    )
    con.execute(
        """create table raw.quarantine (
            load_id varchar, table_name varchar, row_number bigint, rule varchar, reason varchar)"""
    )
    if rows:
        events, labels = [], []
        n = 0
        for copy in range(repeat):
            for (week, segment), count in EVENTS_PER_CELL.items():
                monday = dt.datetime.fromisoformat(week)
                for i in range(count):
                    n += 1
                    event_id = f"e{n}"
                    load = "L1" if week != "2026-03-16" else "L2"
                    events.append(
                        (
                            event_id,
                            monday + dt.timedelta(days=1, hours=i),
                            "v1",
                            segment,
                            100.0 * (i + 1),
                            0.5,
                            load,
                            n,
                        )
                    )
                    if copy == 0 and i % 2 == 0:  # every other event is labelled
                        labels.append(
                            (
                                event_id,
                                monday + dt.timedelta(days=2),
                                i % 4 == 0,
                                True,
                                False,
                                "L3",
                                n,
                            )
                        )
        con.executemany("insert into raw.ai_events values (?, ?, ?, ?, ?, ?, ?, ?)", events)
        con.executemany("insert into raw.feedback values (?, ?, ?, ?, ?, ?, ?)", labels)
        con.execute(
            """insert into raw.loads values
            ('L1', 'ai_events', 'sha-a', timestamp '2026-03-20 10:00:00', 'loaded'),
            ('L2', 'ai_events', 'sha-b', timestamp '2026-03-21 10:00:00', 'loaded'),
            ('L3', 'feedback', 'sha-c', timestamp '2026-03-21 11:00:00', 'loaded')"""
        )
    con.close()
    return path


STAGING = {
    "events": """
        /* ---
        name: events
        description: AI events with their reporting week.
        grain: One row per event.
        kind: staging
        tests:
          - not_null(event_id)
          - unique(event_id)
        --- */
        select
            event_id,
            week_of(occurred_at) as week_start,
            segment,
            latency_ms
        from raw.ai_events
        """,
    "labels": """
        /* ---
        name: labels
        description: Feedback labels.
        grain: One row per labelled event.
        kind: staging
        --- */
        select event_id, correct from raw.feedback
        """,
}

METRICS = {
    "event_count": """
        /* ---
        name: event_count
        title: Events
        description: AI events per week and segment.
        grain: One row per week and segment.
        kind: business
        unit: count
        direction: neutral
        dimensions: [segment]
        tests:
          - not_null(value)
          - unique(week_start, segment)
        --- */
        select
            week_start,
            segment,
            count(*)::double as value
        from staging.events
        group by all
        """,
    "accuracy": """
        /* ---
        name: accuracy
        title: Accuracy
        description: Share of labelled events that were correct.
        grain: One row per week.
        kind: model
        unit: ratio
        direction: higher_is_better
        thresholds: {warn: 0.9, alert: 0.8}
        tests:
          - range(value, 0, 1)
        --- */
        with joined as (
            select e.week_start, l.correct
            from staging.events as e
            inner join staging.labels as l
                on l.event_id = e.event_id
        )

        select
            week_start,
            count_if(correct)::double as numerator,
            count(*)::double as denominator,
            numerator / denominator as value
        from joined
        group by all
        """,
    "latency_mean": """
        /* ---
        name: latency_mean
        title: Mean latency
        description: Mean latency per week.
        grain: One row per week.
        kind: model
        unit: ms
        direction: lower_is_better
        --- */
        select
            week_start,
            avg(latency_ms) as value,
            count(*) as n,
            'x' as note
        from staging.events
        group by all
        """,
    "weekly_total": """
        /* ---
        name: weekly_total
        title: Events per week
        description: Sum of event_count over segments (a metric on a metric).
        grain: One row per week.
        kind: business
        unit: count
        direction: neutral
        --- */
        select week_start, sum(value) as value
        from metrics.event_count
        group by all
        """,
}


def write_sql(root: Path, files: dict[str, str]) -> Path:
    """Write ``{"metrics/x": text}`` as ``root/metrics/x.sql`` (dedented); returns ``root``."""
    for name, text in files.items():
        path = root / f"{name}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def standard_sql(root: Path, extra: dict[str, str] | None = None) -> Path:
    files = {f"staging/{k}": v for k, v in STAGING.items()}
    files.update({f"metrics/{k}": v for k, v in METRICS.items()})
    files.update(extra or {})
    return write_sql(root, files)


def metric(name: str, select: str, **fields: str) -> str:
    """A metric file text with a valid header; ``fields`` override or add header lines."""
    header = {
        "name": name,
        "title": name.replace("_", " "),
        "description": "test metric",
        "grain": "One row per week.",
        "kind": "business",
        "unit": "count",
        "direction": "neutral",
    }
    header.update(fields)
    lines = "\n".join(f"{k}: {v}" for k, v in header.items())
    return f"/* ---\n{lines}\n--- */\n{select}\n"


def settings_for(tmp: Path, sql_dir: Path, raw: Path | None = None) -> Settings:
    return Settings(
        sql_dir=sql_dir,
        raw_path=raw or tmp / "store.duckdb",
        warehouse_path=tmp / "wh" / "warehouse.duckdb",
        timezone="UTC",
        build_as_of=BUILD_AS_OF,
    )
