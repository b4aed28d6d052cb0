"""Run the floor queries on a built snapshot and check them against the product's tables."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def connect(warehouse: Path, segments: Path) -> duckdb.DuckDBPyConnection:
    """The snapshot read-only (its macros come with it) plus the product's Python functions;
    its raw views read the load files under ``segments`` (the raw store's .segments folder).
    Under the product build's memory limit (``work_memory``), so the two are compared alike."""
    from outcomes.config import get_settings
    from outcomes.core.quoting import quote_literal
    from outcomes.store import sqlfunctions

    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute(f"set global memory_limit = {quote_literal(get_settings().work_memory)}")
    parts = warehouse.parent / f"{warehouse.stem}.parts"  # its key_local staging's parts
    con.execute(f"set global file_search_path = {quote_literal(f'{segments},{parts}')}")
    sqlfunctions._register_udfs(con)
    return con


def run(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    return con.execute((HERE / f"{name}.sql").read_text()).fetchall()


def run_per_system(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    """The rows of ``name`` (floor_drift) run once per AI system (the variable
    ``floor_system``): drift is per system, so the rows are those of one run over all of them,
    except the rows of events without a system (only an older store's rows can lack it; the
    product has no drift rows for them either). At 100M events one statement over every
    system ran out of disk for its spill (27 GB free in session 10, 31 GB in session 11);
    docs/DECISIONS.md, issue 18, item 15. Each run reads the raw tables again: the floor does
    more reading than one statement would."""
    sql = (HERE / f"{name}.sql").read_text()
    systems = [
        s
        for (s,) in con.execute(
            "select distinct system from raw.ai_events where system is not null order by 1"
        ).fetchall()
    ]
    rows: list[tuple] = []
    try:
        for system in systems:
            con.execute("set variable floor_system = ?", [system])
            rows += con.execute(sql).fetchall()
    finally:
        con.execute("reset variable floor_system")
    return rows


def _close(a: float | None, b: float | None, tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def check_rollup(con: duckdb.DuckDBPyConnection, rows: list[tuple], tol: float = 1e-9) -> dict:
    """Compare the floor roll-up with the company rows (system null) of metrics.latency_p95,
    accuracy and mean_confidence."""
    floor = {(r[0], r[1], r[2]): r for r in rows}
    mismatches, compared = [], 0
    for metric, column in (("latency_p95", 5), ("mean_confidence", 7)):
        for w, mv, seg, value in con.execute(
            f"select week_start, model_version, segment, value from metrics.{metric} "
            "where system is null"
        ).fetchall():
            compared += 1
            f = floor.get((w, mv, seg))
            if f is None or not _close(f[column], value, tol):
                mismatches.append((metric, str(w), mv, seg, value, f and f[column]))
    for w, mv, seg, num, den in con.execute(
        "select week_start, model_version, segment, numerator, denominator from metrics.accuracy "
        "where system is null"
    ).fetchall():
        compared += 1
        f = floor.get((w, mv, seg))
        if f is None or f[10] != num or f[11] != den:
            mismatches.append(("accuracy", str(w), mv, seg, (num, den), f and (f[10], f[11])))
    return {"compared": compared, "mismatches": len(mismatches), "examples": mismatches[:5]}


def check_drift(con: duckdb.DuckDBPyConnection, rows: list[tuple], tol: float = 1e-9) -> dict:
    """Compare the floor drift with metrics.drift_numeric / drift_categorical."""
    floor = {(r[0], r[1], r[2]): r for r in rows}
    mismatches, compared = [], 0
    for kind, feature, w, psi, ks_value in product_drift(con):
        compared += 1
        f = floor.get((kind, feature, w))
        if f is None or not _close(f[3], psi, tol) or not _close(f[4], ks_value, tol):
            mismatches.append((kind, feature, str(w), psi, ks_value, f and f[3:]))
    return {"compared": compared, "mismatches": len(mismatches), "examples": mismatches[:5]}


def product_drift(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(kind, system/feature, week_start, psi, ks_statistic) of every drift row with a
    reference (drift is per AI system: the floor keys a feature by system || '/' || feature)."""
    out: list[tuple] = []
    for kind, table, ks in (
        ("numeric", "drift_numeric", "ks_statistic"),
        ("categorical", "drift_categorical", "null"),
    ):
        out += [
            (kind, *r)
            for r in con.execute(
                f"select system || '/' || feature, week_start, psi, {ks} "
                f"from metrics.{table} where n_reference > 0"
            ).fetchall()
        ]
    return out
