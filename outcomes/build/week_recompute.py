"""Recompute some weeks of a ``week_local`` object: its rows of those weeks are deleted and
selected again (``select * from (<sql>) where week_start in (...)``), in its table and in
``main.metric_values``.

A fixed-reference drift metric reads only the weeks it needs: its reference windows and the
weeks recomputed.
"""

from __future__ import annotations

import duckdb

from outcomes.build.materialise import STAGING_DATA, long_insert
from outcomes.build.reuse_decisions import DRIFT_REFERENCE, build_setting
from outcomes.core.definition import SqlDefinition
from outcomes.core.quoting import quote_ident


def _narrow_to_reference(con: duckdb.DuckDBPyConnection, item: SqlDefinition, listed: str) -> str:
    """The SQL of a fixed-reference drift metric reading only the weeks it needs.

    The rows of the weeks recomputed depend on those weeks and the reference windows, which
    (fixed mode, checked by ``_drift_weeks``) all end by the table's last reference_end; the
    staging inputs with a week_start are narrowed to these weeks. Any other definition: as is.
    """
    tags = set(getattr(item.header, "tags", None) or ())
    if DRIFT_REFERENCE not in tags or build_setting(con, "drift.reference_mode") != "fixed":
        return item.body_sql
    from sqlglot import exp, parse_one

    [(last_reference,)] = con.execute(
        f"select max(reference_end) from {item.schema}.{quote_ident(item.name)}"
    ).fetchall()
    narrowed: dict[str, str] = {}
    for ref in item.reads:
        schema, name = ref.split(".", 1)
        if schema != "staging" or name == "weeks":
            continue
        has_week = con.execute(
            "select count(*) from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'staging' and table_name = ? and column_name = 'week_start'",
            [name],
        ).fetchall()[0][0]
        if has_week:
            temp = f"_weeks_staging_{name}"
            con.execute(
                f"create or replace temp view {temp} as select * from staging.{quote_ident(name)} "
                f"where week_start <= date '{last_reference:%Y-%m-%d}' or week_start in ({listed})"
            )
            narrowed[name] = temp

    def narrow(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.db == "staging" and node.name in narrowed:
            new = exp.to_table(narrowed[node.name])
            if node.args.get("alias"):
                new.set("alias", node.args.get("alias"))
            return new
        return node

    return parse_one(item.body_sql, read="duckdb").transform(narrow).sql("duckdb")


def recompute_weeks(
    con: duckdb.DuckDBPyConnection,
    item: SqlDefinition,
    weeks: list,
) -> int:
    """Delete and recompute ``weeks`` of the object (and of its long-table rows); its rows."""
    # a staging table's rows live in staging_data (staging.<name> is a view over them)
    schema = STAGING_DATA if item.schema == "staging" else item.schema
    relation = f"{schema}.{quote_ident(item.name)}"
    listed = ", ".join(f"date '{w:%Y-%m-%d}'" for w in weeks) or "null"
    body = _narrow_to_reference(con, item, listed)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {relation} where week_start in ({listed})")
        con.execute(
            f"insert into {relation} select * from (\n{body}\n) as _w "
            f"where week_start in ({listed})"
        )
        if item.schema == "metrics":
            con.execute(
                f"delete from main.metric_values where metric = ? and week_start in ({listed})",
                [item.name],
            )
            insert = long_insert(item) + f" where week_start in ({listed})"
            con.execute(insert)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return con.execute(f"select count(*) from {relation}").fetchall()[0][0]
