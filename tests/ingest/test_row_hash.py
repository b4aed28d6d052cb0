"""No stored row hash (issue 18): a re-sent row is compared with the loaded version of its key by
hashing both when the file is loaded, so raw tables carry no hash column and a raw store written
with one (before) still tells re-sent rows from corrections."""

from __future__ import annotations

import duckdb

from outcomes.core.contracts import CONTRACTS
from outcomes.ingest.load import ingest_path
from outcomes.store.segments import SEGMENT_META_COLUMNS
from tests.ingest.test_ingest import assert_ledger_invariant, fetch, good, write_csv


def _columns(settings, table: str) -> list[str]:
    return [
        name
        for (name,) in fetch(
            settings,
            "select column_name from duckdb_columns() where schema_name = 'raw' "
            "and table_name = ? order by column_index",
            [table],
        )
    ]


def test_raw_tables_hold_the_contract_columns_and_the_load_bookkeeping_only(settings, tmp_path):
    [r] = ingest_path(write_csv(tmp_path / "a.csv", [good("ai_events")]), "ai_events", settings)
    assert r.rows_accepted == 1
    contract = [c.name for c in CONTRACTS["ai_events"].columns]
    assert _columns(settings, "ai_events") == contract + [n for n, _ in SEGMENT_META_COLUMNS]
    assert "_row_hash" not in _columns(settings, "ai_events")


def as_an_older_release(settings, table: str = "ai_events") -> duckdb.DuckDBPyConnection:
    """Turn the raw store into the layout an earlier release wrote: ``raw.<table>`` a table
    holding the rows, no load files. Returns a connection to the file (close it)."""
    con = duckdb.connect(str(settings.raw_path))
    con.execute(f"set file_search_path = '{settings.raw_path.parent / 'raw.segments'}'")
    con.execute(f"create table raw.raw.{table}__t as select * from raw.raw.{table}")
    con.execute(f"drop view raw.raw.{table}")
    con.execute(f"alter table raw.raw.{table}__t rename to {table}")
    con.execute("delete from raw.raw.load_files where table_name = ?", [table])
    for f in (settings.raw_path.parent / "raw.segments" / table).glob("*.parquet"):
        f.unlink()
    return con


def test_a_raw_store_with_stored_hashes_still_tells_resent_rows_from_corrections(
    settings, tmp_path
):
    first = write_csv(
        tmp_path / "a.csv",
        [good("ai_events", event_id="E1"), good("ai_events", event_id="E2")],
    )
    ingest_path(first, "ai_events", settings)
    # the raw store as an earlier release wrote it: rows in a table with a _row_hash column,
    # filled with values this release never reads (a DuckDB whose hash() differs wrote others)
    con = as_an_older_release(settings)
    con.execute("alter table raw.raw.ai_events add column _row_hash varchar")
    con.execute("update raw.raw.ai_events set _row_hash = 'from-an-older-duckdb'")
    con.close()
    second = write_csv(
        tmp_path / "b.csv",
        [
            # E1 again, formatted differently: the same typed values, so already loaded
            good("ai_events", event_id="E1", occurred_at="2026-03-02T14:05:00Z", tokens_in="300.0"),
            good("ai_events", event_id="E2", prediction="refund"),  # a correction
            good("ai_events", event_id="E3"),  # new
        ],
    )
    [b] = ingest_path(second, "ai_events", settings)
    assert (b.rows_in, b.rows_accepted, b.rows_corrected, b.rows_skipped) == (3, 2, 1, 1)
    assert b.skipped_reasons == "1 already loaded (same values)"
    rows = fetch(settings, "select event_id, prediction from raw.ai_events")
    # the older rows moved to their load's file (without the unread hash), the new ones beside
    assert sorted(rows, key=str) == sorted(
        [
            ("E1", good("ai_events")["prediction"]),
            ("E2", good("ai_events")["prediction"]),
            ("E2", "refund"),
            ("E3", good("ai_events")["prediction"]),
        ],
        key=str,
    )
    assert "_row_hash" not in _columns(settings, "ai_events")
    assert_ledger_invariant(settings)


def test_a_column_stored_with_an_older_type_still_matches_a_resent_row(settings, tmp_path):
    # cost_usd is DECIMAL(18,6) in the contract; a raw store written when it was DOUBLE keeps
    # that type, and DuckDB hashes 0.0012::DOUBLE and 0.0012::DECIMAL differently: the loaded
    # version is hashed as the contract's type, so the same row sent again is already loaded
    ingest_path(
        write_csv(tmp_path / "a.csv", [good("ai_events", event_id="E1")]), "ai_events", settings
    )
    con = as_an_older_release(settings)
    con.execute("alter table raw.raw.ai_events alter cost_usd type double")
    con.close()
    # the same values, another file (300.0 is the same BIGINT as 300)
    again = write_csv(tmp_path / "b.csv", [good("ai_events", event_id="E1", tokens_in="300.0")])
    [b] = ingest_path(again, "ai_events", settings)
    assert (b.rows_accepted, b.rows_corrected, b.rows_skipped) == (0, 0, 1)
    assert_ledger_invariant(settings)
