"""Reading the cells of the snapshot the way every view needs them: whether a table is there,
a week as a date, a dimensions JSON as a dict or a label.

>>> dims_label('{"segment": "smb"}'), dims_label("{}")
('segment=smb', 'all')
>>> as_date("2026-01-05 00:00:00")
datetime.date(2026, 1, 5)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from outcomes.app import queries


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether the snapshot holds table (or view) ``schema.name``.

    >>> has_table(duckdb.connect(), "main", "nothing")
    False
    """
    rows = queries.rows(con, "snapshot_table_exists", {"schema": schema, "name": name})
    return bool(rows[0][0])


def as_date(value: Any) -> dt.date | None:
    """A week cell (date, timestamp, ISO text) as a date; None for null or NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def dims(text: Any) -> dict[str, Any]:
    """A dimensions (or extras) JSON cell as a dict; {} when it is not a JSON object."""
    if isinstance(text, Mapping):
        return dict(text)
    try:
        parsed = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def dims_label(text: Any) -> str:
    """``{"segment": "smb"}`` -> ``segment=smb``; ``{}`` -> ``all``."""
    found = dims(text)
    return ", ".join(f"{k}={v}" for k, v in sorted(found.items())) or "all"
