"""Recompute a ``key_local(<column>)`` staging definition for the key values new loads touched.

A staging definition that keeps the newest version per key has rows for one key value that
depend only on the input rows of that value: the raw tables (and keyed staging inputs) are
narrowed to the touched keys, the SQL runs on them, and its rows replace the old rows of those
keys. The weeks of the old and new rows (in each of their week columns) are what changed
downstream.
"""

from __future__ import annotations

import duckdb

from outcomes.build.incremental_plan import Plan, in_range, new_loads_filter
from outcomes.build.objects import raw_columns
from outcomes.build.staging_parts import PartsTarget, replace_keys, uses_parts
from outcomes.core.definition import SqlDefinition, is_view
from outcomes.core.quoting import quote_ident
from outcomes.core.registry import Registry


def recompute_keys(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    item: SqlDefinition,
    key: str,
    keyed_inputs: list[str],
    p: Plan,
    input_weeks: dict[str, set | None] | None = None,
    parts: PartsTarget | None = None,
) -> set | None:
    """Recompute the rows of the key values that new loads (or a keyed input) touched.

    Every raw table the definition reads that has the key column is narrowed to those key
    values (so are keyed staging inputs), the SQL runs on the narrowed tables, and its rows
    replace the old rows of those keys. Returns the weeks of the old and new rows.
    """

    name, k = item.name, quote_ident(key)
    keys_table = f"_keys_{name}"
    sources = []
    narrowed: dict[tuple[str, str], str] = {}
    for ref in sorted(r for r in item.reads if r.startswith("raw.")):
        table = ref.split(".", 1)[1]
        columns = raw_columns(con, table)
        if key in columns and "_load_id" in columns:
            sources.append(
                f"select {k} as k from raw.{quote_ident(table)} where {new_loads_filter(p, '_load_id')}"
            )
            narrowed[("raw", table)] = f"_narrow_raw_{table}"
    for q in keyed_inputs:
        sources.append(f"select k from _keys_{q.split('.', 1)[1]}")
    con.execute(
        f"create or replace temp table {keys_table} as "
        + (" union ".join(sources) if sources else "select null::varchar as k where false")
    )
    # the keys' range as constants too: row groups outside it are skipped unread (new keys
    # are usually the newest ids; corrections of old keys widen it, which stays correct)
    [(lo, hi)] = con.execute(f"select min(k), max(k) from {keys_table}").fetchall()
    mine = in_range(k, lo, hi, f"select k from {keys_table}")
    for (_, table), temp in narrowed.items():
        con.execute(
            f"create or replace temp view {temp} as select * from raw.{quote_ident(table)} where {mine}"
        )
    for q in keyed_inputs:
        upstream = q.split(".", 1)[1]
        temp = f"_narrow_staging_{upstream}"
        con.execute(
            f"create or replace temp view {temp} as select * from staging.{quote_ident(upstream)} "
            f"where {mine}"
        )
        narrowed[("staging", upstream)] = temp

    if is_view(item):
        return _view_key_weeks(con, item, key, keys_table, narrowed, input_weeks or {})
    body = narrowed_sql(item, narrowed)
    data = f"staging_data.{quote_ident(name)}"
    # the weeks its rows fall in: week_start, or each week column of a row with several
    # (work_items: opened_week, closed_week); none: every week counts as changed
    weeks = week_columns(con, "staging_data", name)

    def weeks_of(relation: str, where: str) -> set:
        sql = " union ".join(
            f"select distinct {quote_ident(c)} from {relation} "
            f"where {where} and {quote_ident(c)} is not null"
            for c in weeks
        )
        return {w for (w,) in con.execute(sql).fetchall()}

    has_week = bool(weeks)
    if uses_parts(con, name):
        # the rows of the touched keys as a new part; earlier parts are not rewritten. The
        # touched keys' rows read once: their weeks, and the keys that have rows already (only
        # those are replaced: a new week's keys are new, so its part replaces nothing and the
        # view stays a plain union of parts)
        assert parts is not None, f"staging_data.{name} is kept in parts: a build writes parts"
        old = f"_old_{name}"
        con.execute(
            f"create or replace temp table {old} as select {k} as k"
            + "".join(f", {quote_ident(c)}" for c in weeks)
            + f" from {data} where {mine}"
        )
        before = weeks_of(old, "true") if has_week else None
        replace_keys(con, parts, name, key, old, body)
    else:
        before = weeks_of(data, mine) if has_week else None
        _replace_rows(con, data, mine, body)
    if not has_week:
        return None
    after = weeks_of(data, mine)
    return (before or set()) | after


def _replace_rows(con: duckdb.DuckDBPyConnection, data: str, mine: str, body: str) -> None:
    """Replace the rows of the touched keys in the table ``data`` (a snapshot Spark built)."""
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {data} where {mine}")
        con.execute(f"insert into {data} select * from ({body}) as _k")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _view_key_weeks(
    con: duckdb.DuckDBPyConnection,
    item: SqlDefinition,
    key: str,
    keys_table: str,
    narrowed: dict[tuple[str, str], str],
    input_weeks: dict[str, set | None],
) -> set | None:
    """The changed weeks of a staging definition tagged ``view`` (nothing stored: the view
    already reads the new rows): the weeks of its rows of the touched keys now, and before:
    its SQL on the raw rows of the earlier loads only, plus the changed weeks of its keyed
    staging inputs (already recomputed, so their own before-weeks come from there)."""
    if not has_column(con, "staging", item.name, "week_start"):
        return None
    k = quote_ident(key)
    earlier = dict(narrowed)
    for (schema, table), temp in narrowed.items():
        if schema == "raw":
            earlier[(schema, table)] = f"{temp}_earlier"
            con.execute(
                f"create or replace temp view {temp}_earlier as select * from {temp} "
                "where _load_id not in (select load_id from _new_loads)"
            )
    weeks: set = set()
    for tables in (narrowed, earlier):
        weeks |= {
            w
            for (w,) in con.execute(
                f"select distinct week_start from ({narrowed_sql(item, tables)}) as _v "
                f"where {k} in (select k from {keys_table})"
            ).fetchall()
        }
    for schema, table in narrowed:
        if schema == "staging":
            upstream = input_weeks.get(f"staging.{table}", set())
            if upstream is None:
                return None
            weeks |= upstream
    return weeks


def week_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    """The DATE columns of ``schema.table`` that name a reporting week: ``week_start`` and any
    ``*_week`` (in column order)."""
    return [
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and data_type = 'DATE' "
            "and (column_name = 'week_start' or ends_with(column_name, '_week')) "
            "order by column_index",
            [schema, table],
        ).fetchall()
    ]


def has_column(con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str) -> bool:
    """Whether ``schema.table`` of the current database has ``column``."""
    return bool(
        con.execute(
            "select count(*) from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and column_name = ?",
            [schema, table, column],
        ).fetchall()[0][0]
    )


def narrowed_sql(item: SqlDefinition, tables: dict[tuple[str, str], str]) -> str:
    """The definition's SQL with each (schema, table) of ``tables`` read from its stand-in."""
    from sqlglot import exp, parse_one

    def narrow(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and (node.db, node.name) in tables:
            new = exp.to_table(tables[(node.db, node.name)])
            if node.alias:
                new.set("alias", node.args.get("alias"))
            return new
        return node

    return parse_one(item.body_sql, read="duckdb").transform(narrow).sql("duckdb")
