"""Copy what people wrote in the app (state store, SQLite) into the snapshot being built.

DuckDB here cannot read SQLite (no extension downloads), so the rows go through Python.
Copied: the latest output-review verdict per event, as ``raw.output_verdicts``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from outcomes.config import Settings

VERDICT_COLUMNS = ["event_id", "week_start", "verdict", "author", "comment", "created_at"]


def verdicts_frame(settings: Settings) -> pd.DataFrame:
    """Latest verdict per event from the state store (empty when there is no store yet)."""
    if not settings.state_path.exists():
        return pd.DataFrame(columns=VERDICT_COLUMNS)
    from outcomes.store.state import StateStore

    rows = [
        {
            "event_id": v.event_id,
            "week_start": v.week_start,
            "verdict": str(v.verdict),
            "author": v.author,
            "comment": v.comment,
            "created_at": v.created_at.replace(tzinfo=None),
        }
        for v in StateStore(settings.state_path).verdicts()
    ]
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def copy_state_into(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Create ``raw.output_verdicts`` in the snapshot; returns {table: rows}."""
    frame = verdicts_frame(settings)
    con.execute("create schema if not exists raw")
    con.execute(
        "create or replace table raw.output_verdicts (event_id varchar, week_start date, "
        "verdict varchar, author varchar, comment varchar, created_at timestamp)"
    )
    if len(frame):
        con.register("verdicts_frame", frame)
        try:
            con.execute(
                "insert into raw.output_verdicts select event_id, week_start::date, verdict, author, "
                "comment, created_at::timestamp from verdicts_frame order by event_id"
            )
        finally:
            con.unregister("verdicts_frame")
    return {"output_verdicts": len(frame)}
