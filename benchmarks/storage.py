"""Where the disk of one benchmark size goes (issue 18): bytes per event by file and by table.

Files are grouped by what they are (the source files, the raw store, the snapshot, the
benchmark's own working copies); the two DuckDB files of the product are broken down by table
(the blocks each table's columns occupy), so a change of storage layout shows in the table
that it changes.

>>> import tempfile, duckdb
>>> folder = Path(tempfile.mkdtemp())
>>> con = duckdb.connect(str(folder / "warehouse.duckdb"))
>>> _ = con.execute("create table t as select range as x, range::varchar as y from range(300000)")
>>> con.close()
>>> report = storage_report(folder, events=300_000)
>>> report["files"]["snapshot"] == (folder / "warehouse.duckdb").stat().st_size
True
>>> [t["table"] for t in report["tables"]["snapshot"]]
['main.t']
>>> 0 < report["tables"]["snapshot"][0]["bytes"] <= report["files"]["snapshot"]
True
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

# what each file of a benchmark folder is; the first pattern a file matches names its group
GROUPS = (
    ("source", ("source/*",)),
    ("raw store", ("raw.duckdb", "raw.duckdb.wal", "raw.segments/*")),
    # the snapshot's file and its key_local staging rows in parts (outcomes.store.parts); the
    # parts an earlier snapshot lists stay until the build after next (a reader may hold it)
    ("snapshot", ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.parts/*")),
    ("benchmark copies", ("raw-work.*", "full.duckdb*", "full.parts/*", "new-week/*", "*.parquet")),
    # hard links that keep an earlier build open for its readers until they move on
    ("earlier snapshots held by readers", (".warehouse.duckdb.readers/*",)),
)
# the product's own files: what a customer's disk holds for these events
PRODUCT = ("source", "raw store", "snapshot")
BLOCK_BYTES = 262_144  # DuckDB's default block size


def _group(relative: str) -> str:
    """The group of a file by its path under the benchmark folder (``*`` spans folders).

    >>> _group("source/ai_events/part-1.parquet"), _group("raw.duckdb"), _group("x.json")
    ('source', 'raw store', 'other')
    """
    for name, patterns in GROUPS:
        if any(fnmatch(relative, p) for p in patterns):
            return name
    return "other"


def table_bytes(db: Path) -> list[dict]:
    """Bytes of each table of the DuckDB file ``db`` (its distinct persistent blocks), largest
    first; a block two tables share counts for each."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        catalog = con.execute("select current_database()").fetchone()[0]
        tables = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            "where database_name = current_database() order by all"
        ).fetchall()
        out = []
        for schema, table, rows in tables:
            # catalog, schema and table spelled out: a raw store's catalog is named raw too
            qualified = f"{catalog}.{schema}.{table}"
            blocks = con.execute(
                "select count(distinct block_id) from pragma_storage_info(?) "
                "where persistent and block_id >= 0",
                [qualified],
            ).fetchone()[0]
            out.append({"table": f"{schema}.{table}", "rows": rows, "bytes": blocks * BLOCK_BYTES})
    finally:
        con.close()
    return sorted(out, key=lambda t: (-t["bytes"], t["table"]))


def listed_file_bytes(db: Path, kind: str) -> list[dict]:
    """Rows and bytes by table of the files a DuckDB file lists, as rows of the table breakdown:
    ``files:<table>`` for a raw store's load files (``raw.load_files``), ``parts:<object>`` for
    a snapshot's staging parts (``main.staging_parts``); [] when it lists none."""
    import duckdb

    name, ledger = {
        "files": ("table_name", "raw.raw.load_files"),
        "parts": ("object", "main.staging_parts"),
    }[kind]
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"select {name}, sum(rows)::bigint, sum(bytes)::bigint "
            f"from {ledger} group by 1 order by 3 desc, 1"
        ).fetchall()
    except duckdb.CatalogException:
        rows = []
    finally:
        con.close()
    return [{"table": f"{kind}:{t}", "rows": n, "bytes": b} for t, n, b in rows]


def storage_report(data: Path, events: int) -> dict:
    """Bytes by file group, the product's bytes per event, and each DuckDB file by table."""
    files: dict[str, int] = {}
    seen: set[tuple[int, int]] = set()  # a file with several hard links counts once
    # the product's files first, a reader's link last: the bytes a hard link shares with the
    # raw store or the current snapshot are theirs
    paths = sorted(
        (p for p in data.rglob("*") if p.is_file()),
        key=lambda p: (
            _group(p.relative_to(data).as_posix()) not in PRODUCT,
            ".readers" in str(p),
            p,
        ),
    )
    for path in paths:
        stat = path.stat()
        if (stat.st_dev, stat.st_ino) in seen:
            continue
        seen.add((stat.st_dev, stat.st_ino))
        group = _group(path.relative_to(data).as_posix())
        files[group] = files.get(group, 0) + stat.st_size
    tables = {
        name: table_bytes(data / f)
        for name, f in (("raw store", "raw.duckdb"), ("snapshot", "warehouse.duckdb"))
        if (data / f).exists()
    }
    if (data / "raw.duckdb").exists():
        tables["raw store"] = sorted(
            tables["raw store"] + listed_file_bytes(data / "raw.duckdb", "files"),
            key=lambda t: (-t["bytes"], t["table"]),
        )
    if (data / "warehouse.duckdb").exists():
        tables["snapshot"] = sorted(
            tables["snapshot"] + listed_file_bytes(data / "warehouse.duckdb", "parts"),
            key=lambda t: (-t["bytes"], t["table"]),
        )
    product = sum(files.get(g, 0) for g in PRODUCT)
    return {
        "files": files,
        "bytes_per_event": product / events if events else None,
        "bytes_per_event_all": sum(files.values()) / events if events else None,
        "tables": tables,
    }


def markdown(report: dict, events: int, top: int = 8) -> list[str]:
    """The report as markdown lines: file groups, then each DuckDB file's largest tables."""
    lines = [
        "## Disk (issue 18)",
        "",
        f"The product's files (source, raw store, snapshot): {report['bytes_per_event']:,.0f} "
        f"bytes per event; with the benchmark's working copies {report['bytes_per_event_all']:,.0f}.",
        "",
        "| files | MB | bytes per event |",
        "|---|---:|---:|",
    ]
    for group, size in report["files"].items():
        lines.append(f"| {group} | {size / 1e6:,.1f} | {size / events:,.0f} |")
    for name, tables in report["tables"].items():
        lines += ["", f"| {name}: table | rows | MB | bytes per event |", "|---|---:|---:|---:|"]
        for t in tables[:top]:
            lines.append(
                f"| {t['table']} | {t['rows']:,} | {t['bytes'] / 1e6:,.1f} | "
                f"{t['bytes'] / events:,.0f} |"
            )
    return lines
