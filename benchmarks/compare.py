"""Compare two snapshots table by table inside DuckDB (for 10M+ events, where loading every
row into Python would take tens of GB).

Per table: row count and the sum of row hashes (doubles rounded to 9 decimals) on each side.
Equal fingerprints: the same rows. Otherwise the rows of each side missing from the other
(``EXCEPT ALL``, doubles rounded) are fetched and compared in Python with the tolerance of
tests/build/test_incremental.py (doubles to 1e-9 relative, JSON extras parsed): DuckDB sums doubles
in parallel in no fixed order, so two builds of the same data can differ in the last bits.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ("raw", "staging_data", "metrics", "roi")
EXTRA = ("main.metric_values", "main.alerts", "main.build_tests")
IGNORED = {"main.build_tests": ("build_id", "message")}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relations(con: duckdb.DuckDBPyConnection, db: str) -> set[str]:
    # staging_data's views too: a key_local staging table's rows are in parts, read by a view
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        f"where database_name = '{db}' and schema_name in {SCHEMAS} union all "
        "select schema_name || '.' || view_name from duckdb_views() "
        f"where database_name = '{db}' and schema_name = 'staging_data'"
    ).fetchall()
    present = {
        f"{s}.{t}"
        for s, t in con.execute(
            f"select schema_name, table_name from duckdb_tables() where database_name = '{db}'"
        ).fetchall()
    }
    return {r[0] for r in rows} | (set(EXTRA) & present)


def _select(con: duckdb.DuckDBPyConnection, db: str, relation: str) -> tuple[str, str]:
    """The relation's rows (doubles rounded, ignored columns left out) and their row hash."""
    schema, table = relation.split(".", 1)
    cols = con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? order by column_index",
        [db, schema, table],
    ).fetchall()
    skip = IGNORED.get(relation, ())
    exprs = [
        f"round({_ident(c)}, 9) as {_ident(c)}" if t in ("DOUBLE", "FLOAT") else _ident(c)
        for c, t in cols
        if c not in skip
    ]
    names = [_ident(c) for c, _ in cols if c not in skip]
    return (
        f"select {', '.join(exprs)} from {db}.{_ident(schema)}.{_ident(table)}",
        f"hash({', '.join(names)})",
    )


def compare(a: Path, b: Path) -> dict:
    """{'identical': bool, 'tables': n, 'different': [...], 'only_in_one': [...]}"""
    sys.path.insert(0, str(ROOT))
    from outcomes.store.snapshot import search_path
    from tests.build.test_incremental import _key_full, _norm, same_rows

    con = duckdb.connect()
    try:
        # each file's staging parts under its own .parts folder (build ids keep names apart)
        con.execute(f"set global file_search_path = '{search_path([Path(a), Path(b)])}'")
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        ra, rb = _relations(con, "a"), _relations(con, "b")
        different, tolerated = [], []
        for rel in sorted(ra & rb):
            (sa, ha), (sb, hb) = _select(con, "a", rel), _select(con, "b", rel)
            fa, fb = (
                con.execute(
                    f"select count(*), coalesce(sum({h})::varchar, '') from ({s}) as t"
                ).fetchall()
                for s, h in ((sa, ha), (sb, hb))
            )
            if fa == fb:
                continue
            left = con.execute(f"{sa} except all {sb}").fetchall()
            right = con.execute(f"{sb} except all {sa}").fetchall()
            x = sorted(map(_norm, left), key=_key_full)
            y = sorted(map(_norm, right), key=_key_full)
            if len(x) == len(y) and same_rows(x, y):
                tolerated.append(rel)
            else:
                different.append({"table": rel, "only_a": len(x), "only_b": len(y)})
        return {
            "identical": not different and ra == rb,
            "tables": len(ra & rb),
            "different": different,
            "within_tolerance": tolerated,
            "only_in_one": sorted(ra ^ rb),
        }
    finally:
        con.close()


if __name__ == "__main__":
    print(compare(Path(sys.argv[1]), Path(sys.argv[2])))
