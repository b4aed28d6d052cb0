"""Which weeks of a table changed: a per-week fingerprint (rows and the sum of row hashes)
taken before and after an object is recomputed.

A correction that moves an event to another week, a late label of an old event, or a week that
stopped being partial all change the fingerprint of the weeks they touch.

>>> changed_weeks({"w1": (2, "7"), "w2": (1, "5")}, {"w1": (2, "7"), "w2": (1, "6")})
{'w2'}
>>> changed_weeks({"*": (3, "1")}, {"*": (4, "2")}) is None
True
"""

from __future__ import annotations

import duckdb

from outcomes.core.quoting import quote_ident


def week_fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> dict | None:
    """{week_start: (rows, sum of row hashes)} of ``relation``, or None without week_start."""
    schema, name = relation.split(".", 1)
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? order by column_index",
            [schema, name],
        ).fetchall()
    ]
    if not columns:
        return {}
    row_hash = "hash(" + ", ".join(quote_ident(c) for c in columns) + ")"
    if "week_start" not in columns:
        [(n, h)] = con.execute(
            f"select count(*), coalesce(sum({row_hash}), 0)::varchar from {relation}"
        ).fetchall()
        return {"*": (n, h)}
    return {
        w: (n, h)
        for w, n, h in con.execute(
            f"select week_start, count(*), sum({row_hash})::varchar from {relation} group by 1"
        ).fetchall()
    }


def changed_weeks(before: dict | None, after: dict | None) -> set | None:
    """Weeks whose rows differ; None (every week) when the relation has no week_start."""
    if before is None or after is None or "*" in before or "*" in after:
        return None if before != after else set()
    return {w for w in set(before) | set(after) if before.get(w) != after.get(w)}
