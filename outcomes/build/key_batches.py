"""A large ``key_local(<column>)`` staging table built in batches of key ranges.

A staging definition tagged ``key_local(k)`` has rows for one value of ``k`` that depend only on
the input rows with that value (the incremental build relies on it,
:mod:`outcomes.build.key_recompute`). So a full build may run its SQL once per range of ``k``,
on its raw inputs and staging inputs narrowed to the range, and append the rows: the same rows
as one run. One run joins every input row at once. At 100M events, staging.ai_features joins
1B feature rows with 100M events: under ``work_memory`` (9.4 GB) DuckDB partitioned both sides
to disk and spilled more than 41 GB, and the build failed for lack of disk. One range's
events fit in memory, and each range reads only the load files whose key range meets it
(Parquet min/max), so the batches read the raw files once in all.

Batches start above :data:`ROWS_PER_BATCH` input rows; their boundaries are the quantiles of
a deterministic sample of the keys (every key whose hash falls in one bucket of
``rows / SAMPLE_KEYS``), so the same raw rows give the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from outcomes.build.key_recompute import has_column, narrowed_sql
from outcomes.build.objects import raw_columns
from outcomes.build.reuse_decisions import key_column
from outcomes.core.definition import SqlDefinition
from outcomes.core.quoting import quote_ident, quote_literal

ROWS_PER_BATCH = 100_000_000  # input rows of the keyed raw tables per batch
SAMPLE_KEYS = 100_000  # keys sampled to place the boundaries


def _keyed_inputs(con: duckdb.DuckDBPyConnection, d: SqlDefinition, key: str) -> list[tuple]:
    """(schema, table) of each input of ``d`` that has the key column: raw tables and staging
    objects (the definition's rows of a key read only their rows of that key)."""
    out = []
    for ref in sorted(d.reads):
        schema, _, table = ref.partition(".")
        if schema == "raw" and key in raw_columns(con, table):
            out.append(("raw", table))
        elif schema == "staging" and has_column(con, "staging", table, key):
            out.append(("staging", table))
    return out


def key_ranges(
    con: duckdb.DuckDBPyConnection, d: SqlDefinition
) -> list[tuple[object, object]] | None:
    """The key ranges ``[lo, hi)`` (None: unbounded) to build ``d`` in, or None to build it in
    one run (not ``key_local``, or its keyed raw inputs hold at most ROWS_PER_BATCH rows)."""
    key = key_column(d)
    if key is None:
        return None
    inputs = _keyed_inputs(con, d, key)
    raw = [t for s, t in inputs if s == "raw"]
    counts = {
        t: con.execute(f"select count(*) from raw.{quote_ident(t)}").fetchall()[0][0] for t in raw
    }
    total = sum(counts.values())
    if total <= ROWS_PER_BATCH:
        return None
    batches = -(-total // ROWS_PER_BATCH)
    largest = max(counts, key=lambda t: counts[t])
    k = quote_ident(key)
    every = max(1, counts[largest] // SAMPLE_KEYS)
    sample = [
        v
        for (v,) in con.execute(
            f"select distinct {k} from raw.{quote_ident(largest)} "
            f"where {k} is not null and hash({k}) % {every} = 0 order by 1"
        ).fetchall()
    ]
    bounds = sorted(
        {sample[len(sample) * i // batches] for i in range(1, batches)} if sample else set()
    )
    edges: list[object] = [None, *bounds, None]
    return list(zip(edges, edges[1:], strict=False))


def _in(k: str, lo: object, hi: object) -> str:
    parts = [f"{k} >= {quote_literal(str(lo))}" if lo is not None else "true"]
    if hi is not None:
        parts.append(f"{k} < {quote_literal(str(hi))}")
    if lo is None:  # the first range also holds the rows without a key
        return f"({k} is null or {' and '.join(parts)})"
    return " and ".join(parts)


def create_in_batches(
    con: duckdb.DuckDBPyConnection,
    d: SqlDefinition,
    ranges: list[tuple[object, object]],
    table: str,
) -> None:
    """Create ``table`` with the rows of ``d``, its SQL run once per key range on its keyed
    inputs narrowed to the range."""
    for i, body in enumerate(batch_bodies(con, d, ranges)):
        if i == 0:
            con.execute(f"create table {table} as select * from ({body}) as _b")
        else:
            con.execute(f"insert into {table} select * from ({body}) as _b")


def batch_bodies(
    con: duckdb.DuckDBPyConnection, d: SqlDefinition, ranges: list[tuple[object, object]]
) -> Iterator[str]:
    """``d``'s SQL once per key range, its keyed inputs narrowed to the range (temporary views
    that hold while the caller runs the SQL it is given, dropped at the end)."""
    key = key_column(d)
    assert key is not None  # key_ranges returned ranges
    k = quote_ident(key)
    inputs = _keyed_inputs(con, d, key)
    try:
        for lo, hi in ranges:
            stand_ins = {}
            for schema, name in inputs:
                temp = f"_batch_{schema}_{name}"
                con.execute(
                    f"create or replace temp view {temp} as select * from "
                    f"{schema}.{quote_ident(name)} where {_in(k, lo, hi)}"
                )
                stand_ins[(schema, name)] = temp
            yield narrowed_sql(d, stand_ins)
    finally:
        for schema, name in inputs:
            con.execute(f"drop view if exists _batch_{schema}_{name}")
