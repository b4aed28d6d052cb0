"""The workbench's schema browser: every table and column an analyst can query in the
snapshot, with its type and a description taken from where it is declared: the header of the
staging, metric or ROI SQL file (table) and the standard metric columns or dimensions
(columns), the raw data contracts (raw tables and columns), and a short note for the build's
own tables in ``main``.

>>> column_description("metrics", "accuracy", "flag", dims=())
'provisional, partial or insufficient: why a value is not final (blank when it is)'
>>> column_description("metrics", "accuracy", "segment", dims=("segment",))
'dimension declared in the header (one row per value; blank: all values)'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from outcomes.app import queries
from outcomes.app.views.snapshot_cells import has_table
from outcomes.core.contracts import CONTRACTS
from outcomes.core.header_defaults import parse_file_header
from outcomes.core.headers import HeaderError

QUERIES = ("schema_browser_columns", "schema_browser_objects")
SCHEMAS = {
    "raw": "Loaded source rows, as the data contracts accept them",
    "staging": "Cleaned views over the raw tables (sql/staging)",
    "metrics": "One table per metric: weekly values by dimension (sql/metrics)",
    "roi": "One table per ROI ledger line (sql/roi)",
    "main": "The build's own tables: manifest, objects, tests, values, ledger",
}
STANDARD = {
    "week_start": "first day of the reporting week",
    "value": "the metric's value that week, in the unit of its header",
    "numerator": "what the value divides (for a ratio), to re-aggregate exactly",
    "denominator": "what the value is divided by (for a ratio)",
    "flag": "provisional, partial or insufficient: why a value is not final (blank when it is)",
}
MAIN_TABLES = {
    "build_manifest": "One row per build: id, status, times, settings",
    "build_objects": "Every definition the build ran: status, rows, duration, error",
    "metric_values": "Every metric's weekly values in one long table (dimensions as JSON)",
    "metric_definitions": "Every metric's header as built: title, unit, owner, thresholds",
    "alerts": "Warn / alert rows the build's threshold checks raised",
    "roi_ledger": "The ROI ledger: one row per line and week with its formula and inputs",
    "calibration": "CBPE: each AI system's confidence calibration (breakpoints) and its fit",
    "calibration_digest": "SHA-256 of the reference rows the calibration was fitted on (an "
    "incremental build with the same rows keeps the fit)",
}
COLUMNS = ["schema", "table", "column", "type", "description"]


def _header_descriptions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, tuple]]:
    """``{name: (description, dimensions)}`` from the header of each built definition."""
    if not has_table(con, "main", "build_objects"):
        return {}
    out = {}
    folder = {"staging": "staging", "metric": "metrics", "roi": "roi"}
    for name, kind, path in queries.rows(con, "schema_browser_objects"):
        try:
            # a family file's metric: its own header (outcomes.core.blueprints)
            parsed = parse_file_header(Path(path), folder.get(kind, "metrics"), name)
        except (OSError, HeaderError, TypeError, ValueError):
            continue
        header = parsed.header
        title = getattr(header, "title", None)
        text = f"{title}: {header.description}" if title else header.description
        out[name] = (" ".join(text.split()), tuple(getattr(header, "dimensions", ())))
    return out


def column_description(schema: str, table: str, column: str, *, dims: Sequence[str]) -> str:
    """What one column holds, from its contract, the standard metric columns or the header."""
    if schema in ("raw", "staging") and table in CONTRACTS:  # staging keeps the raw names
        try:
            return CONTRACTS[table].column(column).description
        except (KeyError, ValueError):
            return ""
    if schema in ("metrics", "roi"):
        if column in STANDARD:
            return STANDARD[column]
        if column in dims:
            return "dimension declared in the header (one row per value; blank: all values)"
    return ""


def schema_columns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every queryable column: schema, table, column, type, description (the table's
    description on its first column's row is in :func:`schema_tables`)."""
    frame = queries.run(con, "schema_browser_columns")
    headers = _header_descriptions(con)
    frame["description"] = [
        column_description(s, t, c, dims=headers.get(t, ("", ()))[1])
        for s, t, c in zip(
            frame["schema_name"], frame["table_name"], frame["column_name"], strict=True
        )
    ]
    frame = frame.rename(
        columns={
            "schema_name": "schema",
            "table_name": "table",
            "column_name": "column",
            "data_type": "type",
        }
    )
    return frame[COLUMNS].reset_index(drop=True)


def schema_tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per queryable table: schema, table (as ``schema.table``), columns, description."""
    columns = schema_columns(con)
    headers = _header_descriptions(con)
    rows = []
    for (schema, table), group in columns.groupby(["schema", "table"], sort=True):
        if schema == "raw" and table in CONTRACTS:
            about = CONTRACTS[table].description
        elif schema == "main":
            about = MAIN_TABLES.get(table, "")
        else:
            about = headers.get(table, ("", ()))[0]
        rows.append(
            {
                "schema": schema,
                "table": f"{schema}.{table}",
                "columns": len(group),
                "description": about,
            }
        )
    return pd.DataFrame(rows, columns=["schema", "table", "columns", "description"])


def search(columns: pd.DataFrame, text: str) -> pd.DataFrame:
    """The columns whose table, name, type or description contain ``text`` (any case).

    >>> cols = pd.DataFrame({"schema": ["raw"], "table": ["costs"], "column": ["amount"],
    ...                      "type": ["DECIMAL"], "description": ["Cost in USD"]})
    >>> len(search(cols, "usd")), len(search(cols, "latency"))
    (1, 0)
    """
    if not text.strip():
        return columns
    needle = text.strip().lower()
    hay = (
        columns["table"] + " " + columns["column"] + " " + columns["type"] + " "
        + columns["description"]
    ).str.lower()  # fmt: skip
    return columns[hay.str.contains(needle, regex=False)].reset_index(drop=True)
