"""``outcomes status``: the load ledger, quarantine by reason, and the current snapshot."""

from __future__ import annotations

import duckdb

from outcomes.config import Settings


def _table(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    frame = con.execute(sql).df()
    return frame.to_string(index=False) if len(frame) else "  (none)"


def render_status(settings: Settings) -> str:
    """A plain-text report of what has been loaded and built."""
    from outcomes.store.raw import open_raw_store
    from outcomes.store.snapshot import SnapshotMissing, open_snapshot

    parts: list[str] = []
    if settings.raw_path.exists():
        with open_raw_store(settings, write=False) as con:
            parts += [
                f"raw store {settings.raw_path}",
                "",
                "loads (rows in = accepted + quarantined + skipped):",
                _table(
                    con,
                    "select table_name as table, regexp_extract(source_file, '[^/]+$') as file, status, "
                    "rows_in, rows_accepted as accepted, rows_quarantined as quarantined, "
                    "rows_skipped as skipped, "
                    "rows_corrected as corrected, strftime(started_at, '%Y-%m-%d %H:%M') as loaded_at, "
                    "loaded_by from raw.loads order by started_at, load_id",
                ),
                "",
                "quarantine by table and rule:",
                _table(
                    con,
                    "select table_name as table, rule, count(*) as rows from raw.quarantine "
                    "group by all order by 1, 3 desc",
                ),
            ]
    else:
        parts.append(
            f"no raw store at {settings.raw_path}: run `outcomes demo` or `outcomes ingest`"
        )
    parts.append("")
    try:
        con = open_snapshot(settings)
    except SnapshotMissing:
        parts.append(f"no snapshot at {settings.warehouse_path}: run `outcomes build`")
    else:
        try:
            parts += [
                f"snapshot {settings.warehouse_path}",
                _table(
                    con,
                    "select build_id, status, strftime(finished_at, '%Y-%m-%d %H:%M:%S') as finished_at "
                    "from main.build_manifest",
                ),
                "",
                "objects by kind and status:",
                _table(
                    con,
                    "select kind, status, count(*) as objects from main.build_objects group by all order by 1, 2",
                ),
                "",
                "failed definitions (fix them, then `outcomes build`):",
                _table(
                    con,
                    "select kind, name, split_part(trim(error), chr(10), 1) as error "
                    "from main.build_objects where status <> 'ok' order by 1, 2",
                ),
            ]
        finally:
            con.close()
    return "\n".join(parts)
