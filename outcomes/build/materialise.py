"""Create a definition's object in the snapshot being built: a staging view (over its
materialised rows), a metric table and its rows of ``main.metric_values``, an ROI table.

:func:`materialise_all` is the full build's walk over every definition in build order: a
broken file is ``failed``, whatever reads a failed or skipped object is ``skipped``, the rest
go on.

>>> import duckdb
>>> con = duckdb.connect()
>>> con.execute(METRIC_VALUES_DDL).fetchall()
[]
"""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb

from outcomes.build.key_batches import batch_bodies, create_in_batches, key_ranges
from outcomes.build.objects import ObjectResult, error_text, load_ids_of, scalar
from outcomes.build.reuse_decisions import key_column
from outcomes.build.staging_parts import (
    PartsTarget,
    columns_of,
    forget,
    make_view,
    write_part,
)
from outcomes.core.definition import BrokenDefinition, SqlDefinition, is_view
from outcomes.core.headers import MetricHeader
from outcomes.core.progress import Progress
from outcomes.core.quoting import quote_ident, quote_literal
from outcomes.core.registry import Registry

STAGING_DATA = "staging_data"  # the materialised rows behind the staging views

METRIC_VALUES_DDL = """
create table main.metric_values (
    metric varchar not null,
    week_start date,
    dimensions varchar not null,
    value double,
    numerator double,
    denominator double,
    flag varchar,
    extras varchar not null
)"""


def materialise_all(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    order: list[str],
    say: Progress,
    *,
    create: Callable[[SqlDefinition], int | None] | None = None,
    failures: tuple[type[Exception], ...] = (duckdb.Error,),
    engine: str = "",
) -> list[ObjectResult]:
    """Create every object of ``order`` (a full build); a failure skips its dependents.

    ``create`` makes one object and returns its rows (default: :func:`materialise` on
    ``con``); another engine passes its own, the exceptions it fails with, and its name,
    which the progress lines and error texts carry.
    """
    create = create or (lambda item: materialise(con, item))
    results: dict[str, ObjectResult] = {}
    load_id_cache: dict[str, tuple[str, ...]] = {}
    for q in order:
        item: SqlDefinition | BrokenDefinition = registry.definitions.get(q) or registry.broken[q]
        depends_on = registry.depends_on(q)
        load_ids = load_ids_of(con, registry.raw_tables(q), load_id_cache)
        started = time.perf_counter()
        rows: int | None = None
        error: str | None = None
        if isinstance(item, BrokenDefinition):
            status, error = "failed", f"invalid definition: {item.message}"
        else:
            blocked = [d for d in depends_on if d in results and results[d].status != "ok"]
            blocked += [d for d in depends_on if d not in results and d in registry.broken]
            if blocked:
                status = "skipped"
                error = "skipped: depends on " + ", ".join(
                    f"{d} ({results[d].status if d in results else 'failed'})" for d in blocked
                )
            else:
                try:
                    rows = create(item)
                    status = "ok"
                except failures as exc:
                    text = f"{engine}: {error_text(exc)}" if engine else error_text(exc, item)
                    status, error = "failed", text
        duration_ms = (time.perf_counter() - started) * 1000
        results[q] = ObjectResult.of(
            item,
            status=status,
            error=error,
            rows=rows,
            duration_ms=duration_ms,
            depends_on=depends_on,
            load_ids=load_ids,
        )
        unmeasured = "" if engine else "a view, rows not counted"
        detail = f"{rows:,} rows" if rows is not None else error or unmeasured
        on = f" on {engine}" if engine else ""
        say(f"{q}: {status}{on} ({detail}, {duration_ms:.0f} ms)")
    return list(results.values())


def materialise(
    con: duckdb.DuckDBPyConnection, d: SqlDefinition, parts: PartsTarget | None = None
) -> int | None:
    """Create the view or table of ``d`` (and its long-table rows); returns its row count
    (None for a staging view, whose rows are not counted: that would run its SQL once more).

    With ``parts`` (where this build writes them), a ``key_local`` staging table keeps its rows
    in Parquet parts (:mod:`outcomes.build.staging_parts`), which later builds share."""
    target = f"{d.schema}.{quote_ident(d.name)}"
    if d.schema == "staging" and is_view(d):
        # tagged `view`: big and read by few metrics, so re-reading its SQL is cheaper than
        # writing its rows (ai_features at 10M events: 120M rows, 35 s to write, ~2 s per read)
        con.execute(f"create view {target} as\n{d.body_sql}\n")
        return None
    ranges = key_ranges(con, d) if d.schema == "staging" else None
    key = key_column(d) if d.schema == "staging" else None
    if parts is not None and key is not None:
        return store_parts(con, d, parts, key, ranges)
    if ranges:  # a large key_local table: one run per key range (outcomes.build.key_batches)
        return store_rows(con, d, lambda table: create_in_batches(con, d, ranges, table))
    return store_rows(con, d, lambda table: con.execute(f"create table {table} as\n{d.body_sql}\n"))


def store_parts(
    con: duckdb.DuckDBPyConnection,
    d: SqlDefinition,
    parts: PartsTarget,
    key: str,
    ranges: list[tuple[object, object]] | None,
) -> int:
    """Write ``d``'s rows as parts (one per key range, else one) and make staging_data.<name>
    a view over them and staging.<name> a view over that; returns the rows."""
    con.execute(f"create schema if not exists {STAGING_DATA}")
    forget(con, d.name)
    columns = columns_of(con, d.body_sql)
    bodies = batch_bodies(con, d, ranges) if ranges else iter([d.body_sql])
    rows = sum(write_part(con, parts, d.name, body, columns)[0] for body in bodies)
    make_view(con, d.name, columns, key)
    con.execute(
        f"create view {d.schema}.{quote_ident(d.name)} as "
        f"select * from {STAGING_DATA}.{quote_ident(d.name)}"
    )
    return rows


def store_rows(
    con: duckdb.DuckDBPyConnection, d: SqlDefinition, create_table: Callable[[str], object]
) -> int:
    """Make the object of ``d`` from the table ``create_table(name)`` writes its rows into (on
    DuckDB or another engine); returns its row count.

    A staging object is materialised once in staging_data.<name>, with staging.<name> a view
    over it: every metric reads staging, and a view over the SQL itself would redo its dedupe
    and joins for each of them (1M events: 257 s that way). A metric's table and its rows of
    main.metric_values are written in one transaction. A failing one leaves nothing behind.
    """
    target = f"{d.schema}.{quote_ident(d.name)}"
    if d.schema == "staging":
        data = f"{STAGING_DATA}.{quote_ident(d.name)}"
        con.execute(f"create schema if not exists {STAGING_DATA}")
        create_table(data)
        con.execute(f"create view {target} as select * from {data}")
        return scalar(con, f"select count(*) from {data}")
    con.execute("begin transaction")
    try:
        create_table(target)
        if d.schema == "metrics":
            con.execute(long_insert(d))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return scalar(con, f"select count(*) from {target}")


def long_insert(d: SqlDefinition) -> str:
    """INSERT of a metric's rows into main.metric_values (canonical JSON, sorted keys)."""
    assert isinstance(d.header, MetricHeader) and d.columns is not None
    columns = set(d.columns)
    dims = sorted(d.header.dimensions)
    # null dimension values mean "all" (grouping-set totals): their keys are left out, so the
    # all-dimensions total is '{}'
    dimensions = (
        "to_json(map_from_entries(list_filter(["
        + ", ".join(f"{{'k': {quote_literal(c)}, 'v': {quote_ident(c)}::varchar}}" for c in dims)
        + "], lambda x: x.v is not null)))::varchar"
        if dims
        else "'{}'"
    )
    extras = sorted(d.extra_columns)
    extras_sql = (
        "json_object("
        + ", ".join(f"{quote_literal(c)}, {quote_ident(c)}" for c in extras)
        + ")::varchar"
        if extras
        else "'{}'"
    )

    def optional(column: str, cast: str) -> str:
        return f"{quote_ident(column)}::{cast}" if column in columns else f"null::{cast}"

    return (
        "insert into main.metric_values select "
        f"{quote_literal(d.name)}, week_start::date, {dimensions}, value::double, "
        f"{optional('numerator', 'double')}, {optional('denominator', 'double')}, "
        f"{optional('flag', 'varchar')}, {extras_sql} "
        f"from metrics.{quote_ident(d.name)}"
    )
