"""The rows an audit pack's cost, inference and amortisation lines read, for a replay.

:func:`pack_inputs` returns the ``inputs/*.csv`` files of a pack: exactly what the ROI lines
that do not read metrics read from the snapshot, for the period's weeks and only the columns
they read, so :mod:`outcomes.roi.pack_replay` can re-execute every line over the pack alone:

- ``inputs/ai_events.csv``: ``week_start``, ``system``, ``cost_usd`` of every event of the
  period's weeks (``sql/roi/inference.sql`` sums ``cost_usd`` per week and system);
- ``inputs/cost_allocations.csv``: ``cost_id``, ``week_start``, ``system``, ``category``,
  ``currency``, ``method``, ``amount`` of the cost lines spread over the period's weeks and
  assigned to the systems (own, or a share of a shared line: staging.cost_allocations), of
  the categories the pack's lines read through ``cost_lines('<category>', ...)``; and
  ``inputs/cost_weeks.csv``: ``cost_id``, ``week_start``, ``category``, ``currency``,
  ``amount`` of those cost lines' weeks, so a verify checks that the shares add up;
- ``inputs/system_weeks.csv``: ``week_start``, ``system``, ``week_number`` (weeks since the
  system's go-live) of the period's weeks (``sql/roi/build_amortisation.sql``);
- ``inputs/build_settings.csv``: ``key``, ``value`` of the build's settings
  (``setting('currency')``, ``setting('as_of')``, the time zone and week start of ``week_of``).

A table the snapshot does not hold gives a file with its header only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from outcomes.core.csv_cells import csv_bytes

# file -> (columns, query over the snapshot; ? are the period's first and last day)
INPUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "inputs/ai_events.csv": (
        ("week_start", "system", "cost_usd"),
        "select week_start, system, cost_usd::varchar from staging.ai_events "
        "where week_start between ? and ? order by all",
    ),
    "inputs/cost_allocations.csv": (
        ("cost_id", "week_start", "system", "category", "currency", "method", "amount"),
        "select cost_id, week_start, system, category, currency, method, amount::varchar "
        "from staging.cost_allocations "
        "where week_start between ? and ? and category in (select unnest(?)) order by all",
    ),
    "inputs/cost_weeks.csv": (
        ("cost_id", "week_start", "category", "currency", "amount"),
        "select cost_id, week_start, category, currency, amount::varchar from staging.cost_weeks "
        "where week_start between ? and ? and category in (select unnest(?)) order by all",
    ),
    "inputs/system_weeks.csv": (
        ("week_start", "system", "week_number"),
        "select week_start, system, week_number from staging.system_weeks "
        "where week_start between ? and ? order by all",
    ),
    "inputs/build_settings.csv": (
        ("key", "value"),
        "select key, value from main.build_settings order by key",
    ),
}
COST_CATEGORY = re.compile(r"\bcost_lines\(\s*'([^']*)'")


def cost_categories(roi_sql: Mapping[str, bytes]) -> list[str]:
    """The cost categories the ROI SQL files read through ``cost_lines``.

    >>> cost_categories({"sql/roi/people.sql": b"select * from cost_lines('people', 'x', 1)"})
    ['people']
    """
    return sorted({c for sql in roi_sql.values() for c in COST_CATEGORY.findall(sql.decode())})


def pack_inputs(
    con: duckdb.DuckDBPyConnection, start: date, end: date, roi_sql: Mapping[str, bytes]
) -> dict[str, bytes]:
    """``inputs/*.csv`` of the period ``start`` .. ``end`` for the pack's ``sql/roi`` files."""
    categories = cost_categories(roi_sql)
    files = {}
    for name, (columns, query) in INPUTS.items():
        params: list[Any] = [] if "?" not in query else [start, end]
        if name in ("inputs/cost_weeks.csv", "inputs/cost_allocations.csv"):
            params.append(categories)
        try:
            found = con.execute(query, params).fetchall()
        except duckdb.CatalogException:  # a snapshot without that table: nothing read
            found = []
        files[name] = csv_bytes(columns, ([_text(v) for v in row] for row in found))
    return files


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
